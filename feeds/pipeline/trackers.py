"""What the sanitizer removes as tracking: pixels, hidden images, tracker hosts, link tags.

Used only by ``feeds.pipeline.sanitize`` (which removes and counts) and for thumbnails. Rules:

- **tracking pixels**: an ``<img>`` whose ``width`` or ``height`` is 0 or 1 (``1``, ``1px``);
- **hidden images**: an ``<img>`` with the ``hidden`` attribute, or whose ``style`` hides it
  (``display:none``, ``visibility:hidden``, ``opacity:0``) or sizes it to 0 or 1 px; the
  sanitizer drops ``style``, so without this rule such an image would become visible;
- **tracker hosts**: an ``<img>`` whose address matches an entry of the shipped list
  ``feeds/data/trackers/hosts.txt`` (source, licence and update procedure in its README) or of
  the operator's ``settings.TRACKER_HOSTS_FILE``; an entry is a host (and its subdomains) or a
  host and a path prefix;
- **tracking parameters** in links: the ``utm_*`` family and the click identifiers that
  ``feeds.pipeline.identity.is_tracking_param`` names (the same rule that makes entry links
  equal), plus a ``#xtor=`` fragment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from feeds.pipeline.identity import is_tracking_param

__all__ = [
    "TRACKER_HOSTS_FILE",
    "is_tracker_address",
    "is_tracking_image",
    "strip_tracking_params",
    "tracker_entries",
]

TRACKER_HOSTS_FILE = Path(__file__).resolve().parent.parent / "data" / "trackers" / "hosts.txt"
_TINY = re.compile(r"^\s*[01](?:\.0*)?\s*(?:px)?\s*$", re.IGNORECASE)
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)"
    r"|(?:^|[;\s])(?:max-)?(?:width|height)\s*:\s*[01](?:\.0*)?\s*(?:px)?\s*(?:;|$|!)",
    re.IGNORECASE,
)


def _read(path: Path) -> list[tuple[str, str]]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if not line:
            continue
        host, slash, prefix = line.partition("/")
        entries.append((host.rstrip("."), slash + prefix))
    return entries


@lru_cache(maxsize=4)
def _entries_of(extra_file: str) -> tuple[dict[str, tuple[str, ...]], int]:
    entries = _read(TRACKER_HOSTS_FILE)
    if extra_file:
        entries += _read(Path(extra_file))
    by_host: dict[str, list[str]] = {}
    for host, prefix in entries:
        by_host.setdefault(host, []).append(prefix)
    return {host: tuple(prefixes) for host, prefixes in by_host.items()}, len(entries)


def tracker_entries() -> dict[str, tuple[str, ...]]:
    """The tracker list: host -> path prefixes ("" for the whole host), shipped plus the
    operator's ``settings.TRACKER_HOSTS_FILE``; read once per process (per file name)."""
    return _entries_of(str(getattr(settings, "TRACKER_HOSTS_FILE", "") or ""))[0]


def is_tracker_address(url: str) -> bool:
    """True when ``url`` (absolute http(s)) is on a listed host (or a subdomain of one) and, for
    an entry with a path prefix, under that path. Never raises."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if not host:
        return False
    entries = tracker_entries()
    labels = host.split(".")
    path = parts.path or "/"
    for start in range(len(labels) - 1):
        prefixes = entries.get(".".join(labels[start:]))
        if prefixes and any(not p or path.startswith(p) for p in prefixes):
            return True
    return False


def is_tracking_image(attrs: dict[str, str], url: str) -> bool:
    """True when an ``<img>`` with ``attrs`` (lower-case names, unescaped values) and resolved
    address ``url`` ("" when none) is a tracking pixel, a hidden image or on a tracker host."""
    if _TINY.match(attrs.get("width", "x")) or _TINY.match(attrs.get("height", "x")):
        return True
    if "hidden" in attrs or _HIDING_STYLE.search(attrs.get("style", "")):
        return True
    return bool(url) and is_tracker_address(url)


def strip_tracking_params(url: str) -> str:
    """``url`` without tracking query parameters (``is_tracking_param``) and ``#xtor=``
    fragments; everything else byte for byte. Returns ``url`` itself when nothing changes."""
    if "?" not in url and "#" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    pairs = parts.query.split("&") if parts.query else []
    kept = [p for p in pairs if p and not is_tracking_param(p.split("=", 1)[0])]
    fragment = "" if parts.fragment.lower().startswith("xtor=") else parts.fragment
    if len(kept) == len([p for p in pairs if p]) and fragment == parts.fragment:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), fragment))
