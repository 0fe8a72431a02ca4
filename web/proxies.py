"""Who is calling: the connection's address, or the one a trusted reverse proxy forwarded.

`TrustedProxies` (ASGI middleware, installed by web/app.py) puts the caller's address in
`scope["client"]`, so every `request.client` (login limit, answer origins, /metrics access) reads
the same thing. X-Forwarded-For is believed only when the connection comes from an address in
DUBAN_TRUSTED_PROXIES (none by default); then the caller is its rightmost hop that is not itself a
trusted proxy (hops to the left of it were written by the caller and prove nothing). The
`Forwarded` header is never read: proxies that append X-Forwarded-For pass a caller's `Forwarded`
through untouched. uvicorn's own proxy_headers are off (web/server.py): it trusts loopback by
default, which let anyone on the machine, or behind a proxy there, choose their address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network
UNVERIFIED = "duban.unverified_forwarding"  # scope key: forwarding headers from an untrusted peer


def _ip(text: str) -> IPv4Address | IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:  # a name, a port, garbage (the test client says "testclient")
        return None
    return (ip.ipv4_mapped or ip) if isinstance(ip, IPv6Address) else ip


def trusted(host: str | None, proxies: Sequence[Network]) -> bool:
    ip = _ip(host) if host else None
    return ip is not None and any(ip in net for net in proxies)


def caller(peer: str, forwarded_for: list[str], proxies: Sequence[Network]) -> str:
    """The caller's address, given the connection's peer and the X-Forwarded-For hops (left to right)."""
    if not forwarded_for or not trusted(peer, proxies):
        return peer
    for hop in reversed(forwarded_for):
        if not trusted(hop, proxies):
            ip = _ip(hop)
            return str(ip) if ip is not None else hop[:100]
    return forwarded_for[0]


def _hops(headers: list[tuple[bytes, bytes]]) -> list[str]:
    values = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
    return [hop.strip() for hop in ",".join(values).split(",") if hop.strip()]


class TrustedProxies:
    """Sets `scope["client"]` to the caller's address; marks requests that carry forwarding headers
    from a peer that is not a trusted proxy (web/ops_access.py then does not take them for local)."""

    def __init__(self, app: ASGIApp, proxies: Sequence[Network]):
        self.app, self.proxies = app, list(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            headers = scope.get("headers", [])
            if trusted(peer, self.proxies):
                scope = {**scope, "client": (caller(peer, _hops(headers), self.proxies), port)}
            elif any(k in (b"x-forwarded-for", b"forwarded") for k, _ in headers):
                scope = {**scope, UNVERIFIED: True}
        await self.app(scope, receive, send)


def unverified_forwarding(request: Request) -> bool:
    """The request came with X-Forwarded-For or Forwarded from a peer we do not trust: some proxy
    we were not told about may stand in between, so its address is not the caller's."""
    return bool(request.scope.get(UNVERIFIED))
