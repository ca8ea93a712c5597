"""Who is asking: the client's address, taken from proxy headers only when a proxy is configured."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address the request came from. With ``PROXIES_IN_FRONT`` = N, the address the Nth proxy
    from us saw (each proxy appends its peer to X-Forwarded-For, so earlier entries are whatever the
    client sent), when the request came from a proxy (``FORWARDED_ALLOW_IPS``); otherwise, the
    socket's peer: a forged X-Forwarded-For changes nothing."""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    hops = settings.PROXIES_IN_FRONT
    if hops and _trusted_proxy(peer):
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return peer
    return peer


def _trusted_proxy(peer: str) -> bool:
    """Is ``peer`` one of the proxies whose X-Forwarded-For is believed (``FORWARDED_ALLOW_IPS``)?"""
    allowed = settings.FORWARDED_ALLOW_IPS
    if "*" in allowed or peer == "":  # "": a Unix socket's peer, the proxy on this machine (gunicorn trusts it too)
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(allowed)))


@cache
def _networks(allowed: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The setting's networks, parsed once (axes asks for the client's address on every request)."""
    return [ipaddress.ip_network(network) for network in allowed]


def login_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The user name a login attempt is counted under: as typed, bounded, without NUL (it is stored)."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).replace("\x00", "")[:150]
