"""/api/docs works with no way out of the intranet: the page names only this server's URLs, each
answers 200 from the installed package, and in Chromium, with every request to another host
refused, Swagger UI shows the API's operations under the page's own Content-Security-Policy."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect, sync_playwright

from tests.web_world import NOW, app_for, settings
from web import api_docs

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"


def referenced_urls(html: str) -> list[str]:
    """Every URL the page loads or links to: src and href attributes, and the schema's url:."""
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"url: '([^']+)'", html)


@pytest.fixture
def client(engine) -> TestClient:
    return TestClient(app_for(engine))


def test_the_docs_page_names_only_urls_of_this_server(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = referenced_urls(page.text)
    assert len(urls) == 4, urls  # style, icon, script, schema
    for url in urls:
        assert not urlsplit(url).scheme and not urlsplit(url).netloc and url.startswith("/"), url
    assert "cdn" not in page.text and "https://" not in page.text


def test_every_url_the_docs_page_names_answers_from_the_installed_package(client):
    for url in referenced_urls(client.get("/api/docs").text):
        response = client.get(url)
        assert response.status_code == 200, url
        name = url.rsplit("/", 1)[-1]
        if name in api_docs.ASSETS:
            assert response.content == (api_docs.ASSETS_DIR / name).read_bytes()
            assert response.headers["content-type"] == api_docs.ASSETS[name]
    assert b"SwaggerUIBundle" in client.get("/api/docs/swagger-ui-bundle.js").content


@pytest.mark.parametrize("name", ["redoc.standalone.js", "..%2F__init__.py", "%2e%2e%2fcore.py", "nothing.js"])
def test_no_other_file_is_served_from_the_package(client, name):
    assert client.get(f"/api/docs/{name}").status_code == 404


def test_the_docs_policy_allows_this_server_and_the_page_script_only(client):
    policy = client.get("/api/docs").headers["content-security-policy"]
    scripts = re.search(r"script-src ([^;]+)", policy)[1].split()
    assert scripts[0] == "'self'" and len(scripts) == 2 and scripts[1].startswith("'sha256-")
    assert "unsafe-inline" not in re.search(r"script-src [^;]+", policy)[0]
    assert "http" not in policy and "connect-src 'self'" in policy


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_swagger_ui_shows_the_api_with_the_internet_cut_off(engine, web_server):
    base = web_server(engine, settings(), lambda: NOW)
    ARTIFACTS.mkdir(exist_ok=True)
    elsewhere: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))

        def only_this_server(route):
            if route.request.url.startswith(base + "/"):
                route.continue_()
            else:  # an intranet: nothing else answers
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_server)
        page.goto(base + "/api/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Duban")
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
        browser.close()
    assert elsewhere == []
    assert "/api/occurrences/{occurrence_id}/answer" in [p.replace("\u200b", "") for p in paths]
    assert not [line for line in console if "Content Security Policy" in line], console
