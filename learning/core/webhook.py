"""Signing and sending a webhook body (no Django): HMAC-SHA256 over the exact bytes sent, to a target
that is neither loopback, private, link-local nor a cloud metadata service.

A target is checked twice: its URL when an admin saves it (``check_url``), and at each delivery the
addresses its name resolves to then (``post``), which connects to the very address it checked (a
DNS answer that changes between check and connect cannot move the request inside) and never follows
a redirect. ``allowed_hosts`` names the private hosts an on-premise CRM may use.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Collection
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Leadloop-Signature"

# Names that reach the machine itself or a cloud's instance metadata, whatever they resolve to here.
INTERNAL_NAMES = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The URL or the address it resolves to is not one Leadloop posts to; the message says why
    without naming internal addresses or ports."""


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: what a receiver recomputes over the raw body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    return hmac.compare_digest(sign(body, secret), signature)


def backoff_seconds(retries: int, *, base: float = 10.0, cap: float = 3600.0) -> float:
    """Exponential backoff: 10 s, 20 s, 40 s ... at most an hour."""
    return min(cap, base * (2**retries))


def _host_name(host: str) -> str:
    return host.strip().rstrip(".").lower()


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64)."""
    found: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        found += [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())) if v4 is not None]
        if ip in NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_refusal(ip: IPAddress, *, allowed: bool) -> str | None:
    """What kind of address ``ip`` is when Leadloop does not post to it (None when it may). A host
    the admin allowed by name may be private or loopback, never link-local (where the metadata
    services live), multicast or unspecified."""
    for each in _embedded(ip):
        if each.is_link_local or each.is_multicast or each.is_unspecified:
            return "link-local, metadata, multicast or unspecified address"
        if not allowed and (each.is_loopback or each.is_private):
            return "loopback or private address"
        if not allowed and not each.is_global:
            return "reserved address"
    return None


def _target(url: str, allowed_hosts: Collection[str]) -> tuple[str, int, bool]:
    """The URL's host, port and whether the host is allowed by name, after the checks that need no
    DNS; raises TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not carry a user name or password (the secret signs each body)")
    host = _host_name(parts.hostname)
    allowed = host in {_host_name(h) for h in allowed_hosts}
    if not allowed and (host in INTERNAL_NAMES or host.endswith(".localhost")):
        raise TargetRefused("names this machine or a metadata service, which is not allowed")
    return host, port or (443 if parts.scheme == "https" else 80), allowed


def _checked_addresses(host: str, port: int, *, allowed: bool) -> list[IPAddress]:
    addresses = resolve(host, port)
    for ip in addresses:
        kind = address_refusal(ip, allowed=allowed)
        if kind:
            raise TargetRefused(f"resolves to a {kind}, which is not allowed")
    return addresses


def check_url(url: str, *, allowed_hosts: Collection[str] = ()) -> None:
    """Raise TargetRefused unless ``url`` is an http(s) URL without credentials whose host is public
    (or named in ``allowed_hosts``). A name is resolved when it can be; one that does not resolve
    here is checked again at delivery."""
    host, port, allowed = _target(url, allowed_hosts)
    with contextlib.suppress(socket.gaierror):
        _checked_addresses(host, port, allowed=allowed)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal, in any notation the resolver accepts,
    resolves to itself). Raises socket.gaierror when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Talks to ``address`` while naming ``host`` in the Host header."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Talks TLS to ``address``, verifying the certificate for ``host`` (SNI too)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str, body: bytes, headers: dict[str, str], *, allowed_hosts: Collection[str] = (), timeout: float = 10.0
) -> int:
    """POST ``body`` to ``url``; returns the HTTP status (a redirect is a status, never followed).
    Raises one of DELIVERY_ERRORS: TargetRefused when the URL, or an address its host resolves to
    now, is not allowed; OSError when nothing answers (refused, timed out, DNS, TLS)."""
    host, port, allowed = _target(url, allowed_hosts)
    address = _checked_addresses(host, port, allowed=allowed)[0]
    parts = urlsplit(url)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname or host, port, address=str(address), timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
        return int(connection.getresponse().status)
    finally:
        connection.close()


DELIVERY_ERRORS = (TargetRefused, OSError, http.client.HTTPException)


def delivery_error(exc: BaseException) -> str:
    """What the delivery log says about a failed attempt: the kind of failure, never an internal
    address, port or errno (the log must not map the network behind the receiver)."""
    if isinstance(exc, TargetRefused):
        return f"not sent: the URL {exc}"
    if isinstance(exc, socket.gaierror):
        return "could not resolve the receiver's host"
    if isinstance(exc, TimeoutError):
        return "the receiver did not answer in time"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "the TLS handshake with the receiver failed"
    if isinstance(exc, http.client.HTTPException):
        return "the receiver's answer was not valid HTTP"
    return "could not connect to the receiver"
