"""Who may read the operator's pages: `/metrics`, and the channel errors in `/healthz` (they
quote mail servers, which name addresses). A caller on this machine (Prometheus or curl next to
Duban), or one sending `Authorization: Bearer <DUBAN_OPS_TOKEN>`. The caller's address is the one
web/proxies.py resolved (the login limit reads the same): behind a reverse proxy, list it in
DUBAN_TRUSTED_PROXIES. A request carrying X-Forwarded-For or Forwarded from a peer not listed there
is never taken for local: a proxy on this machine would otherwise make every caller look local."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request

from web.proxies import unverified_forwarding

REFUSED = ("仅限本机或持运维令牌访问 / for callers on this machine, or with the operator's token: "
           "send `Authorization: Bearer $DUBAN_OPS_TOKEN` (set DUBAN_OPS_TOKEN in the settings)")


def is_operator(request: Request) -> bool:
    token = request.app.state.settings.ops_token
    secret = token.get_secret_value().strip() if token is not None else ""
    if secret:  # an empty DUBAN_OPS_TOKEN= line is no token, not a token anyone can send
        given = request.headers.get("authorization", "").encode()
        if hmac.compare_digest(given, f"Bearer {secret}".encode()):
            return True
    return not unverified_forwarding(request) and _on_this_machine(request.client.host if request.client else None)


def _on_this_machine(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address (the test client says "testclient")
        return False
