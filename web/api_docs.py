"""/api/docs: Swagger UI over /api/openapi.json, its script, style and icon served by Duban itself
from the installed fastapi-offline package, so the page works on an intranet with no way out.

FastAPI's own docs page loads Swagger UI from a CDN (blank without the internet); this one names
only same-origin URLs. Its one inline script (the call that starts Swagger UI) is allowed by its
SHA-256 in the page's Content-Security-Policy, so no other inline script could run there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

DOCS = "/api/docs"
OPENAPI = "/api/openapi.json"
TITLE = "Duban 督办 API"
# The package's static folder, and the files of it the page loads (nothing else is served).
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
          "favicon.png": "image/png"}
# Swagger UI as FastAPI sets it up, but never asking the public validator about our schema.
PARAMETERS = {"dom_id": "#swagger-ui", "layout": "BaseLayout", "deepLinking": True, "showExtensions": True,
              "showCommonExtensions": True, "validatorUrl": None}

router = APIRouter(include_in_schema=False)


def docs_html() -> str:
    """The page: Swagger UI reading OPENAPI, every file from DOCS/… on this server."""
    return get_swagger_ui_html(openapi_url=OPENAPI, title=TITLE, swagger_js_url=f"{DOCS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{DOCS}/swagger-ui.css", swagger_favicon_url=f"{DOCS}/favicon.png",
                               swagger_ui_parameters=PARAMETERS).body.decode()


def inline_script_hashes(html: str) -> list[str]:
    """The CSP sources ('sha256-…') of the page's inline scripts, exactly as the browser hashes them."""
    bodies = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies]


PAGE = docs_html()
# The docs page's own policy: scripts and styles from this server (plus the page's one inline
# script by its hash); Swagger UI's inline styles and data: images; requests to this server only.
POLICY = (f"default-src 'none'; script-src 'self' {' '.join(inline_script_hashes(PAGE))}; "
          "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
          "frame-ancestors 'none'; base-uri 'none'")


@router.get(DOCS)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get(DOCS + "/{name}")
def asset(name: str) -> FileResponse:
    """One of the files the page loads; any other name is 404 (no path reaches past ASSETS)."""
    if name not in ASSETS:
        raise HTTPException(404, "no such file")
    return FileResponse(ASSETS_DIR / name, media_type=ASSETS[name],
                        headers={"cache-control": "public, max-age=86400"})
