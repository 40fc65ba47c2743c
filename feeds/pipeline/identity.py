"""Entry identity: which stored entry an item of a fetched document is.

Policy 1 of ``../shared/cases/README.md`` (cases P01-P04):

1. the guid (RSS ``guid``, Atom ``id``, JSON Feed ``id`` as a string) when it
   is present and unique within the document;
2. else the normalized link when present and unique within the document;
3. else a hash of title + content + date.

The identity is stored as the SHA-256 hex of a prefixed key (``guid:``,
``link:``, ``hash:``, ``title_link:``), unique per feed (constraint ``entry_feed_identity_uniq``).

Per-feed policy (``Feed.identity_policy``, set by the admin for feeds that
misbehave): "auto" is the order above; "guid" never uses the link (items that share a
link stay apart); "link" puts the normalized link first (guids that change on every
fetch); "title_link" uses title + normalized link (guids change and links are shared).
Each falls back to the next usable key when its own is missing or not unique.
The remaining rule of the policy (a new guid whose normalized link is unique
in the document and equals a stored entry's link is an update of that entry)
needs the database, so ``feeds.pipeline.store`` applies it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from feeds.pipeline.parse import ParsedEntry

__all__ = [
    "IDENTITY_POLICIES",
    "entry_identities",
    "guid_link",
    "is_tracking_param",
    "link_is_unique",
    "normalize_url",
]

IDENTITY_POLICIES = ("auto", "guid", "link", "title_link")

# Tracking parameters removed from links: the policy's list plus a few
# click identifiers that never select content.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "xtor",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_CHARS = "/?#[]@!$&'()*+,;=:%-._~"
_FRAGMENT_TRACKING_RE = re.compile(r"^xtor=", re.IGNORECASE)
_ABSOLUTE_HTTP_RE = re.compile(r"^https?://[^\s/?#]", re.IGNORECASE)


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter name is a tracking tag (``utm_*``, ``fbclid``...)."""
    name = name.lower()
    return name.startswith("utm_") or name in _TRACKING_EXACT


def _clean_query(query: str) -> str:
    kept = [
        pair for pair in query.split("&") if pair and not is_tracking_param(pair.split("=", 1)[0])
    ]
    return "&".join(kept)


@functools.lru_cache(maxsize=4096)
def normalize_url(url: str) -> str:
    """The normalized form of a link, used for identity and stored as the entry URL.

    Pure, so remembered for the last 4,096 links: a refresh asks for each item's link three
    or four times (identity, the link rules of ``store``, the stored row), 15 us each.

    Scheme and host lower-cased, default port dropped, an empty path becomes
    "/", tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``,
    ``mc_eid``, ``xtor``...) and ``#xtor=`` fragments removed, other parameters
    kept in order and byte for byte, non-ASCII characters percent-encoded
    (UTF-8). Returns "" for an empty or unparseable value. Pure.
    """
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host
    if host and ":" in host:  # IPv6 literal
        netloc = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if netloc else "")
    query = _clean_query(parts.query)
    fragment = "" if _FRAGMENT_TRACKING_RE.match(parts.fragment) else parts.fragment
    normalized = urlunsplit((scheme, netloc, path, query, fragment))
    if not normalized.isascii():
        normalized = quote(normalized, safe=_SAFE_CHARS)
    return normalized


def guid_link(guid: str, *, is_permalink: bool = True) -> str:
    """The item link a guid stands for: the guid itself, or "" when it is not a link.

    RSS 2.0 (``guid``, attribute ``isPermaLink``, default true): a guid is the item's
    permanent URL unless ``isPermaLink`` is false. Tidings takes it as the link only when
    it is also an absolute http(s) URL with a host: a numeric or opaque guid
    (``1568222173893``, ``tag:...``, ``urn:uuid:...``) is never resolved against the feed
    URL into a link that does not exist. Returns the guid stripped, or "". Pure.
    """
    guid = (guid or "").strip()
    if not is_permalink or not _ABSOLUTE_HTTP_RE.match(guid):
        return ""
    try:
        host = urlsplit(guid).hostname
    except ValueError:
        return ""
    return guid if host else ""


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def link_is_unique(entries: Sequence[ParsedEntry]) -> list[bool]:
    """For each entry, whether its normalized link is non-empty and unique in the document."""
    links = [normalize_url(e.url) for e in entries]
    counts = Counter(links)
    return [bool(link) and counts[link] == 1 for link in links]


def entry_identities(entries: Sequence[ParsedEntry], *, policy: str = "auto") -> list[str]:
    """One identity hash (64-char SHA-256 hex) per entry, in the same order.

    ``entries``: the ParsedEntry list of ONE document (uniqueness of guids and
    links is judged within it). Guid, else normalized link, else
    title + content + published date (policy 1). Two entries may share a hash
    only when they share title, content and date (true duplicates); the store
    keeps the first. ``policy`` (one of IDENTITY_POLICIES, unknown = "auto")
    changes which key comes first: see the module docstring.
    """
    guids = [(e.guid or "").strip() for e in entries]
    links = [normalize_url(e.url) for e in entries]
    pairs = [f"{e.title}\x00{link}" if link else "" for e, link in zip(entries, links, strict=True)]
    guid_counts = Counter(guids)
    link_counts = Counter(links)
    pair_counts = Counter(pairs)
    hashes = []
    for entry, guid, link, pair in zip(entries, guids, links, pairs, strict=True):
        unique_guid = bool(guid) and guid_counts[guid] == 1
        unique_link = bool(link) and link_counts[link] == 1 and policy != "guid"
        if policy == "title_link" and pair and pair_counts[pair] == 1:
            key = f"title_link:{pair}"
        elif policy == "link" and unique_link:
            key = f"link:{link}"
        elif unique_guid:
            key = f"guid:{guid}"
        elif unique_link:
            key = f"link:{link}"
        else:
            date = entry.published.isoformat() if entry.published else ""
            body = entry.content_html or entry.summary_html or ""
            key = f"hash:{entry.title}\x00{body}\x00{date}"
        hashes.append(_sha256(key))
    return hashes
