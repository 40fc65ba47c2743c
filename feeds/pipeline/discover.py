"""Feed discovery: from a site or page URL to the feeds it offers (case P21).

Order: the URL itself if it is a feed (sniffed from the bytes; the Content-Type is only a hint),
else the page's autodiscovery links (``<link rel="alternate">`` with an RSS, Atom or JSON Feed
type; ``rel`` is a case-insensitive token list, hrefs resolve against ``<base>`` and the final
page URL), else the common paths :data:`COMMON_PATHS` at the site root, probed through ``fetch``.
Every URL goes through the SSRF guard of feeds.pipeline.fetch before it is fetched.

A candidate is offered only once it is known to be a feed: the URL itself, a page's single
autodiscovery link and every common path are fetched, sniffed and parsed
(``feeds.pipeline.parse``); one that is no feed (a 404 or other error, an HTML page, any
other document) is skipped and the next is tried. A page
with several links offers them all unfetched (the user picks one; subscribing fetches it).
:func:`discover` also returns the response of the feed it found, so that response can be
stored as the feed's first refresh instead of fetching it again.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from django.conf import settings
from lxml import etree

from feeds.pipeline.fetch import FetchError, FetchResult, check_url, fetch
from feeds.pipeline.parse import NotAFeedError, ParsedFeed, ParseError, parse_feed

# Link types offered as feeds (media types per the RSS Advisory Board, RFC 4287, JSON Feed 1.1).
FEED_LINK_TYPES = {
    "application/rss+xml": "application/rss+xml",
    "application/x-rss+xml": "application/rss+xml",
    "text/rss+xml": "application/rss+xml",
    "application/rdf+xml": "application/rdf+xml",
    "application/atom+xml": "application/atom+xml",
    "application/x-atom+xml": "application/atom+xml",
    "text/atom+xml": "application/atom+xml",
    "application/feed+json": "application/feed+json",
    # Seen in the wild (corpus pages): JSON Feed as application/json, Hugo's bare rss/atom types.
    "application/json": "application/feed+json",
    "application/rss": "application/rss+xml",
    "application/atom": "application/atom+xml",
}
# application/json alternates that are APIs, not feeds (WordPress REST, oEmbed).
_NOT_FEEDS = re.compile(r"/wp-json/|[?&/]oembed|rest_route=", re.I)
COMMON_PATHS = ("/feed", "/rss", "/atom.xml", "/index.xml", "/feed.json")
_ROOT_TYPES = {
    "rss": "application/rss+xml",
    "rdf": "application/rdf+xml",
    "feed": "application/atom+xml",
}
_PROLOG = re.compile(
    rb"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.S | re.I
)
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_SAFE_XML = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "recover": True,
    "huge_tree": False,
}


@dataclass(frozen=True)
class FeedCandidate:
    """A feed offered to the user: absolute ``url``, ``title`` ("" when unknown) and ``type``,
    a media type (``application/rss+xml``, ``application/atom+xml``, ``application/rdf+xml`` or
    ``application/feed+json``)."""

    url: str
    title: str
    type: str


def find_feed_links(html: bytes | str, base_url: str) -> list[FeedCandidate]:
    """Autodiscovery links of an HTML page, in document order, without duplicates (pure).

    ``<link>`` elements whose ``rel`` tokens include ``alternate`` (or ``feed``) and whose
    ``type`` is a feed type; hrefs resolved against ``<base href>`` and ``base_url``; URLs that
    are not http(s) or that name a blocked IP literal are dropped (no DNS lookup here). A link
    without a title takes the page's ``<title>``. Unparseable input gives ``[]``.
    """
    document = _parse_html(html)
    if document is None:
        return []
    base = _document_base(document, base_url)
    page_title = _text(document.findtext(".//title") or "")
    found: list[FeedCandidate] = []
    for link in document.iter("link"):
        rel = set((link.get("rel") or "").lower().split())
        kind = FEED_LINK_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        href = (link.get("href") or "").strip()
        if not kind or not href or not rel & {"alternate", "feed"} or _NOT_FEEDS.search(href):
            continue
        try:
            url = check_url(urljoin(base, href), resolve=False)
        except FetchError:
            continue
        if all(c.url != url for c in found):
            found.append(FeedCandidate(url, _text(link.get("title") or "") or page_title, kind))
    return found


def _parse_html(html: bytes | str) -> lxml.html.HtmlElement | None:
    if isinstance(html, str):
        html = html.encode("utf-8")
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _document_base(document: lxml.html.HtmlElement, base_url: str) -> str:
    base = document.find(".//base[@href]")
    return urljoin(base_url, base.get("href").strip()) if base is not None else base_url


def _text(value: str) -> str:
    return " ".join(value.split())


def sniff_feed(content: bytes) -> tuple[str, str] | None:
    """``(media type, title)`` when ``content`` is a feed document, else None (pure).

    RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom are recognised by their root element after any BOM,
    whitespace, XML declaration, comments and DOCTYPE; JSON Feed by its ``version`` URL.
    Entities are never expanded and nothing is loaded from the network.
    """
    text = _as_utf8(content)
    head = text.lstrip()
    if head.startswith(b"{"):
        return _sniff_json(head)
    match = _ROOT_TAG.match(text, _PROLOG.match(text).end())
    if match is None:
        return None
    kind = _ROOT_TYPES.get(match.group(2).decode("ascii").lower())
    return (kind, _xml_title(text)) if kind else None


def _as_utf8(content: bytes) -> bytes:
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16", errors="replace").encode("utf-8")
    return content.removeprefix(b"\xef\xbb\xbf")


def _sniff_json(content: bytes) -> tuple[str, str] | None:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and "jsonfeed.org" in str(data.get("version", "")):
        title = data.get("title")
        return "application/feed+json", _text(title) if isinstance(title, str) else ""
    return None


def _xml_title(content: bytes) -> str:
    try:
        root = etree.fromstring(content, etree.XMLParser(**_SAFE_XML))
    except (etree.XMLSyntaxError, ValueError):
        return ""
    if root is None:
        return ""
    titles = root.xpath(
        "./*[local-name()='title'] | ./*[local-name()='channel']/*[local-name()='title']"
    )
    return _text("".join(titles[0].itertext())) if titles else ""


@dataclass(frozen=True)
class FoundFeed:
    """A candidate that was fetched and checked: its ``response`` and ``parsed`` document
    (None for a feed document the parser could not read)."""

    candidate: FeedCandidate
    response: FetchResult
    parsed: ParsedFeed | None


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found behind a URL.

    ``candidates``: the feeds offered, best first (``[]`` when there are none). ``found``:
    for each candidate that was fetched and parsed, in the same order, its response and
    parsed document (a page's several links are offered unfetched, so ``found`` is then
    empty). ``first`` is the one fetched feed when exactly one candidate is offered.
    """

    candidates: list[FeedCandidate]
    found: list[FoundFeed] = field(default_factory=list)

    @property
    def first(self) -> FoundFeed | None:
        """The fetched and parsed feed when it is the only candidate, else None."""
        if len(self.candidates) == 1 and len(self.found) == 1:
            return self.found[0]
        return None


def discover(url: str) -> Discovery:
    """The feeds behind ``url``, each checked to parse as a feed before it is offered.

    ``url`` itself when it is a feed; else the page's autodiscovery links: several are
    offered as they are (the user picks one), a single one is fetched and offered if it is
    a feed document (``_checked``); else (no link, or the single link is no feed: a 404, a
    page) the site's common paths, each fetched and offered if it is a feed. A feed reached
    through permanent redirects is offered under its final URL. Raises ``FetchError`` when
    ``url`` itself cannot be fetched (candidates that fail are skipped silently). Trying
    candidates stops once the discovery has taken ``settings.FETCH_TIMEOUT_TOTAL`` seconds.
    """
    started = time.monotonic()
    page = fetch(url)
    itself = _checked(page, None)
    if itself is not None:
        return Discovery([itself.candidate], [itself])
    links = find_feed_links(page.content, page.final_url)
    if len(links) > 1:
        return Discovery(links)
    deadline = started + settings.FETCH_TIMEOUT_TOTAL
    for link in links:
        found = _try(link.url, link, deadline=deadline)
        if found is not None:
            return Discovery([found.candidate], [found])
    found_at_paths = _probe_common_paths(page.final_url, deadline=deadline)
    return Discovery([f.candidate for f in found_at_paths], found_at_paths)


def discover_feeds(url: str) -> list[FeedCandidate]:
    """The feeds behind ``url`` (``discover(url).candidates``); ``[]`` when there are none.

    Raises ``FetchError`` when ``url`` itself cannot be fetched.
    """
    return discover(url).candidates


def _try(url: str, link: FeedCandidate | None, *, deadline: float) -> FoundFeed | None:
    if time.monotonic() >= deadline:
        return None
    try:
        response = fetch(url)
    except FetchError:
        return None
    return _checked(response, link)


def _checked(result: FetchResult, link: FeedCandidate | None) -> FoundFeed | None:
    """``result`` as a found feed when it is a 200 whose body is a feed document, else None.

    A feed document sniffs as one (``sniff_feed``) and is no HTML page to the parser; its
    ``ParsedFeed`` is kept (None when the feed is broken: storing it then records the
    parse error, as any refresh would). ``link``: the autodiscovery link it came from (its
    title wins over the feed's own).
    """
    sniffed = sniff_feed(result.content) if result.status == 200 else None
    if sniffed is None:
        return None
    parsed: ParsedFeed | None
    try:
        parsed = parse_feed(result.content, url=result.final_url, content_type=result.content_type)
    except NotAFeedError:
        return None
    except ParseError:  # a broken feed is still the site's feed: its refresh says what is wrong
        parsed = None
    url = result.permanent_redirect or result.url
    title = (link.title if link is not None else "") or sniffed[1]
    return FoundFeed(FeedCandidate(url, title, sniffed[0]), result, parsed)


def _probe_common_paths(page_url: str, *, deadline: float) -> list[FoundFeed]:
    parts = urlsplit(page_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    found: list[FoundFeed] = []
    for path in COMMON_PATHS:
        if time.monotonic() >= deadline:
            break
        feed = _try(origin + path, None, deadline=deadline)
        if feed is not None and all(f.candidate.url != feed.candidate.url for f in found):
            found.append(feed)
    return found
