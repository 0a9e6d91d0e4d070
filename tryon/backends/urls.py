"""URL checks shared by the HTTP base and the form encoder, and where results may come from.

A result URL comes from the provider's answer, so it is checked before it is fetched:
its host must be one the backend trusts (:func:`host_allowed`), and the addresses the
host resolves to must all be public (:func:`is_public_address`), unless the API itself
is on a private network (a test fake on loopback, an in-house gateway).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..exceptions import DownloadError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_http_url(value: str) -> bool:
    """Whether ``value`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def redact_url(url: str, *, drop_query: bool = False) -> str:
    """``url`` without user:password (and without the query, which may hold a token)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "" if drop_query else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def userinfo(url: str) -> str:
    """The ``user:password`` part of ``url`` ('' when there is none)."""
    return urlsplit(url).netloc.rpartition("@")[0]


def host_of(url: str) -> str:
    """The host name of ``url``, lower case, without a trailing dot ('' if it has none)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def port_of(url: str) -> int:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return port or (443 if parts.scheme.lower() == "https" else 80)


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``allowed`` (``.example.com``: it and its subdomains)."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.strip().lower().rstrip(".")
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif entry and host == entry:
            return True
    return False


def resolve_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an address literal: itself). Raises OSError."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # An IPv6 scope ("fe80::1%eth0") is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


def is_public_address(address: IPAddress) -> bool:
    """Not loopback, private, link-local (cloud metadata), shared, reserved or multicast.

    An IPv6 address carrying an IPv4 one (mapped, 6to4, NAT64) is judged by that one.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            address = embedded
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class DownloadPolicy:
    """Where a backend may download results from: ``check(url)`` or ``DownloadError``.

    ``hosts``: the host names allowed (the API's own first). ``check_addresses``: also
    resolve the host and refuse it unless every address is public; off when the API
    itself is on a private network, or when an injected transport (a test's
    ``httpx.MockTransport``, a shop's own) decides where connections go.

    The addresses are checked when the URL is, not pinned for the connection: a host
    name of the provider's that changed its answer in between (DNS rebinding) would
    have to be the provider's own doing.
    """

    hosts: tuple[str, ...]
    check_addresses: bool
    resolve: Callable[[str, int], list[IPAddress]] = resolve_addresses

    def check(self, url: str) -> None:
        host = host_of(url)
        if not host_allowed(host, self.hosts):
            raise DownloadError(
                f"Refusing to download a result from {host!r}: it is neither the API's host "
                "nor one of RESULT_HOSTS."
            )
        if not self.check_addresses:
            return
        try:
            addresses = self.resolve(host, port_of(url))
        except OSError as exc:
            raise DownloadError(
                f"Refusing to download a result from {host!r}: its address could not be "
                f"resolved ({type(exc).__name__})."
            ) from exc
        refused = [str(address) for address in addresses if not is_public_address(address)]
        if refused or not addresses:
            raise DownloadError(
                f"Refusing to download a result from {host!r}: it resolves to a private, "
                f"loopback or reserved address ({', '.join(refused) or 'none'})."
            )


def on_private_network(url: str, resolve: Callable[[str, int], list[IPAddress]]) -> bool:
    """Whether ``url``'s host resolves to an address that is not public (False if unknown)."""
    try:
        addresses = resolve(host_of(url), port_of(url))
    except OSError:
        return False
    return any(not is_public_address(address) for address in addresses)
