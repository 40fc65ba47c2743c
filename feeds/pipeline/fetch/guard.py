"""The SSRF guard (cases/README.md rule 8): address rules, the resolver, check_url."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

from feeds.pipeline.fetch.errors import FetchError

BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",  # documentation ranges (RFC 5737, RFC 3849): never a real server
        "198.51.100.0/24",
        "203.0.113.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "2001:db8::/32",
        "ff00::/8",
    )
)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(Exception):
    """Raised inside the connection when an address is refused; not an OSError on purpose."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


@lru_cache(maxsize=32)
def _parse_networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def _allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _parse_networks(tuple(getattr(settings, "FETCH_ALLOWED_NETWORKS", ()) or ()))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one (mapped, compatible, NAT64, translated, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_COMPATIBLE or ip in _NAT64 or ip in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_blocked_address(ip: IPAddress | str) -> bool:
    """True when the SSRF guard refuses a connection to ``ip`` (cases/README.md rule 8).

    An address inside ``settings.FETCH_ALLOWED_NETWORKS`` is allowed. An IPv6 address embedding an
    IPv4 address (``::ffff:a.b.c.d``, ``::a.b.c.d``, ``64:ff9b::a.b.c.d``, 6to4, Teredo) is judged
    as that IPv4 address. Raises ValueError for a string that is not an IP address.
    """
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])
    if any(ip in net for net in _allowed_networks() if net.version == ip.version):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:  # includes :: and ::1, judged as 0.0.0.0 and 0.0.0.1
            return is_blocked_address(embedded)
    return any(ip in net for net in BLOCKED_NETWORKS if net.version == ip.version)


def _host_exempt(host: str) -> bool:
    """Host names in FETCH_ALLOWED_HOSTS skip the address check; IP literals never do."""
    if _ip_literal(host) is not None:
        return False
    allowed = {h.strip().rstrip(".").lower() for h in getattr(settings, "FETCH_ALLOWED_HOSTS", ())}
    return host in allowed


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo for TCP, through the test host map when a test configured one."""
    target = (getattr(settings, "FETCH_TEST_HOST_MAP", None) or {}).get(host)
    if target is not None:
        address = target() if callable(target) else target
        return socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    return _getaddrinfo_within(host, port, float(settings.FETCH_TIMEOUT_CONNECT))


def _getaddrinfo_within(host: str, port: int, seconds: float) -> list[tuple]:
    """getaddrinfo in a helper thread, so a slow DNS server cannot hold a fetch past its caps.

    Raises socket.gaierror when the name does not resolve or no answer came within ``seconds``
    (the abandoned lookup finishes on its own in its daemon thread).
    """
    outcome: dict[str, object] = {}

    def lookup() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc
        except UnicodeError as exc:  # IDNA: empty label or one over 63 characters
            outcome["error"] = socket.gaierror(socket.EAI_NONAME, f"invalid host name ({exc})")

    thread = threading.Thread(target=lookup, name="tidings-dns", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise socket.gaierror(socket.EAI_AGAIN, f"no DNS answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["infos"]  # type: ignore[return-value]


def guarded_addresses(host: str, port: int) -> list[tuple]:
    """Resolve ``host`` once and return its getaddrinfo tuples, all of them checked.

    Raises ``BlockedAddress`` if any address is refused (unless the host name is exempt by name),
    ``socket.gaierror`` if the name does not resolve.
    """
    name = host.strip("[]").rstrip(".").lower()
    infos = _resolve(name, port)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    if not _host_exempt(name):
        for info in infos:
            if is_blocked_address(info[4][0]):
                raise BlockedAddress(name)
    return infos


def blocked_message(host: str, *, redirect: bool = False) -> str:
    """The user-facing sentence for a refused address (same wording whatever the port state),
    in the active language."""
    if redirect:
        return _(
            "The server redirected to %(host)s, which is not allowed: it points to a private, "
            "local or reserved network."
        ) % {"host": host}
    return _(
        "The address %(host)s is not allowed: it points to a private, local or reserved network."
    ) % {"host": host}


def check_url(url: str, *, resolve: bool = True, redirect: bool = False) -> str:
    """Validate ``url`` against the SSRF guard without fetching it; return the cleaned URL.

    Cleaning: surrounding whitespace removed, scheme and host lower-cased, host IDNA-encoded,
    default port and fragment dropped, empty path becomes ``/``. With ``resolve`` (default) the
    host name is resolved and every address checked (``fetch`` checks again at connect time).
    ``redirect`` only changes the wording of messages.

    Raises FetchError ``invalid_url`` (not an absolute web address), ``blocked`` (scheme other than
    http/https, numeric host spelling, refused address) or ``dns`` (name does not resolve).
    Messages are in the active language.
    """
    if not isinstance(url, str) or not url.strip():
        raise FetchError("invalid_url", _("The address is empty."))
    url = url.strip()
    if re.search(r"[\x00-\x20\x7f]", url):
        raise FetchError("invalid_url", _("The address contains spaces or control characters."))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme or ("//" not in url and scheme not in ("javascript", "data", "mailto")):
            raise FetchError("invalid_url", _("The address must start with http:// or https://."))
        raise FetchError("blocked", _("Only http:// and https:// addresses are allowed."))
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError as exc:
        message = _("The address is not valid (%(reason)s).") % {"reason": exc}
        raise FetchError("invalid_url", message) from exc
    if not host:
        raise FetchError("invalid_url", _("The address has no host name."))
    host = _idna(host.rstrip("."))
    if not host:
        raise FetchError("invalid_url", _("The address has no host name."))
    if _NUMERIC_HOST.match(host) and _ip_literal(host) is None:
        raise FetchError("blocked", blocked_message(host, redirect=redirect))
    literal = _ip_literal(host)
    if literal is not None and is_blocked_address(literal):
        raise FetchError("blocked", blocked_message(host, redirect=redirect))
    if literal is None and resolve:
        try:
            guarded_addresses(host, port or (443 if scheme == "https" else 80))
        except BlockedAddress as exc:
            raise FetchError("blocked", blocked_message(host, redirect=redirect)) from exc
        except (OSError, UnicodeError) as exc:
            raise FetchError("dns", unresolved_message(host)) from exc
    netloc = f"[{literal}]" if isinstance(literal, ipaddress.IPv6Address) else host
    if parts.username is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    if port is not None and port != (443 if scheme == "https" else 80):
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        if _ip_literal(host) is not None or host.isascii():
            return host.lower()
        message = _("The host name %(host)s is not valid.") % {"host": repr(host)}
        raise FetchError("invalid_url", message) from exc


def unresolved_message(host: str) -> str:
    """The user-facing sentence for a host name that does not resolve, in the active language."""
    return _("The host name %(host)s could not be resolved.") % {"host": host}
