"""The HTML sanitizer: the only place where nh3 and bleach are used.

Feed HTML is hostile. Everything a feed publishes passes through
``sanitize_html`` (nh3, the Python binding of the Rust ammonia engine) right
before it is stored. The rules are policies 4-6 of ``../shared/cases/README.md``:

- an allowlist of elements and attributes (``ALLOWED_TAGS``/``ALLOWED_ATTRIBUTES``);
  script, style, svg, math, template, noscript, object, embed and other
  raw-text or foreign-content elements are removed together with their content;
- URL attributes (href, src, srcset candidates, poster) are resolved against
  the entry's base URL and kept only when the result is absolute http(s)
  (``mailto:`` on ``a[href]``); character references, control and invisible
  characters are removed before the scheme check, ``data:`` is never kept;
- lazy-loaded images (``data-src``, ``data-original``, ``data-lazy-src`` and
  the matching ``*-srcset``) are promoted to ``src``/``srcset`` before nh3 runs;
- iframes survive only as YouTube (rewritten to youtube-nocookie.com, only
  ``start`` kept), Vimeo or ``settings.EMBED_EXTRA_HOSTS`` embeds, rebuilt with a
  fixed ``sandbox``/``loading``/``referrerpolicy`` and no children;
- every link gets ``rel="noopener noreferrer nofollow"`` and ``target="_blank"``;
- trackers are removed (``feeds.pipeline.trackers``): tracking pixels (1x1), hidden images
  and images on listed tracker hosts before nh3 runs (``style`` and ``hidden`` are still there
  to be read), tracking parameters (``utm_*``...) from link addresses while nh3 runs; the
  number removed is what ``sanitize_html_counted`` returns with the HTML
  (``Entry.trackers_removed``, shown as "3 trackers removed").

Why nh3 and not bleach for the security boundary: bleach 6.4.0 is that
project's final, end-of-life release, and measured on this machine it cleans
about 200 entries/s against nh3's ~7,800. bleach is kept for the one thing nh3
does not do, ``bleach.linkify`` of plain-text content (``text_to_html``); its
output is then sanitized by nh3 like any other HTML.

Sanitizing is idempotent: ``sanitize_html(sanitize_html(x, ...), ...) ==
sanitize_html(x, ...)``, and the second pass removes no tracker.
"""

from __future__ import annotations

import contextvars
import html
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import bleach
import nh3
from django.conf import settings

from feeds.pipeline.trackers import is_tracking_image, strip_tracking_params

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "SanitizedHtml",
    "clean_url",
    "first_image_url",
    "html_to_text",
    "sanitize_html",
    "sanitize_html_counted",
    "text_to_html",
    "text_to_linked_html",
]

# Policy 5 of ../shared/cases/README.md, exactly.
ALLOWED_TAGS: frozenset[str] = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "picture",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "source",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "var",
        "video",
        "audio",
        "iframe",
    ]
)
# Removed together with their content. The raw-text and foreign-content
# elements (xmp, noembed, noframes, plaintext, svg, math...) are the usual
# mutation-XSS vectors, so their text never survives either.
CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "object",
        "embed",
        "head",
        "title",
        "textarea",
        "select",
        "xmp",
        "noembed",
        "noframes",
        "plaintext",
        "frameset",
        "frame",
        "applet",
    ]
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"lang", "dir"}),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "srcset", "sizes", "alt", "title", "width", "height"}),
    "source": frozenset({"src", "srcset", "type", "media", "sizes"}),
    "video": frozenset({"src", "poster", "controls", "width", "height"}),
    "audio": frozenset({"src", "controls"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "abbr": frozenset({"title"}),
    "time": frozenset({"datetime"}),
    "ol": frozenset({"start"}),
    "iframe": frozenset({"src", "width", "height"}),
}
LINK_REL = "noopener noreferrer nofollow"
IFRAME_FIXED_ATTRIBUTES = (
    'sandbox="allow-scripts allow-same-origin allow-presentation" allowfullscreen=""'
    ' loading="lazy" referrerpolicy="strict-origin-when-cross-origin"'
)

# C0/C1 controls and invisible format characters (zero-width, bidi marks and
# isolates, soft hyphen, word joiner, BOM): removed from URLs everywhere.
_INVISIBLE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufff8]"
)
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DIMENSION_RE = re.compile(r"^\d{1,5}%?$")
_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "www.youtube-nocookie.com", "youtube-nocookie.com"}
)
_YOUTUBE_PATH_RE = re.compile(r"^/embed/([A-Za-z0-9_-]{11})/?$")
_VIMEO_PATH_RE = re.compile(r"^/video/(\d{1,20})/?$")
_START_RE = re.compile(r"(?:^|&)start=(\d{1,7})(?:&|$)")

_base_url: contextvars.ContextVar[str] = contextvars.ContextVar("sanitize_base_url", default="")
# Tracking parameters removed from links during one nh3 call (a one-item list per call).
_links_cleaned: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "sanitize_links_cleaned", default=None
)


def clean_url(value: str, *, base_url: str = "", allow_mailto: bool = False) -> str:
    """Return ``value`` as an absolute http(s) URL resolved against ``base_url``, or "".

    Character references are decoded and control/invisible characters removed
    before the scheme check, so ``&#106;avascript:``, ``JaVaScRiPt:`` and
    ``java\\tscript:`` are all refused; ``data:`` and ``vbscript:`` too. A
    protocol-relative ``//host/path`` takes the base's scheme (https without one).
    ``mailto:`` is kept only with ``allow_mailto``. Never raises.
    """
    if not value:
        return ""
    url = _INVISIBLE_RE.sub("", value).strip().replace(" ", "%20")
    if not url:
        return ""
    # The scheme check also sees through one more level of character references.
    check = _INVISIBLE_RE.sub("", html.unescape(url)).strip()
    for candidate in (check, url):
        match = _SCHEME_RE.match(candidate)
        if match and match.group(1).lower() not in ("http", "https", "mailto"):
            return ""
    match = _SCHEME_RE.match(url)
    if match:
        scheme = match.group(1).lower()
        if scheme in ("http", "https"):
            if url[len(scheme) + 1 : len(scheme) + 3] != "//":
                return ""  # "http:foo" is relative in name only
            return url
        return url if allow_mailto else ""
    if url.startswith("//"):
        scheme = "https"
        if base_url.startswith("http://"):
            scheme = "http"
        return f"{scheme}:{url}"
    if not base_url:
        return ""
    try:
        resolved = urljoin(base_url, url)
    except ValueError:
        return ""
    if resolved.startswith(("https://", "http://")):
        return resolved
    return ""


def _clean_srcset(value: str, base_url: str) -> str:
    """Resolve every candidate of a ``srcset`` ("url descriptor, ..."); drop unsafe ones."""
    candidates = []
    for part in value.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        url = clean_url(bits[0], base_url=base_url)
        if url:
            candidates.append(" ".join([url, *bits[1:2]]))
    return ", ".join(candidates)


def embed_src(value: str) -> str:
    """The canonical embed URL for an allowed iframe ``src``, else "".

    YouTube ``/embed/<11-char id>`` on youtube.com, www.youtube.com or
    www.youtube-nocookie.com becomes ``https://www.youtube-nocookie.com/embed/<id>``
    (only ``start`` kept); Vimeo ``player.vimeo.com/video/<digits>`` becomes
    ``https://player.vimeo.com/video/<id>``; a URL on a host of
    ``settings.EMBED_EXTRA_HOSTS`` is kept, forced to https. Policy 6.
    """
    url = clean_url(value, base_url="https://")
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return ""
    if host in _YOUTUBE_HOSTS:
        match = _YOUTUBE_PATH_RE.match(parts.path)
        if not match:
            return ""
        start = _START_RE.search(parts.query)
        suffix = f"?start={int(start.group(1))}" if start else ""
        return f"https://www.youtube-nocookie.com/embed/{match.group(1)}{suffix}"
    if host == "player.vimeo.com":
        match = _VIMEO_PATH_RE.match(parts.path)
        return f"https://player.vimeo.com/video/{match.group(1)}" if match else ""
    extra = {h.strip().lower() for h in getattr(settings, "EMBED_EXTRA_HOSTS", []) if h.strip()}
    if host in extra and not parts.username and not parts.password:
        return "https://" + url.split("://", 1)[1]
    return ""


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """nh3 callback: resolve and check URL attributes, embeds and dimensions."""
    if attr in ("href", "src", "poster"):
        if tag == "iframe":
            return embed_src(value) or None
        url = clean_url(value, base_url=_base_url.get(), allow_mailto=tag == "a")
        if tag == "a" and url:
            stripped = strip_tracking_params(url)
            counter = _links_cleaned.get()
            if stripped != url and counter is not None:
                counter[0] += 1
            url = stripped
        return url or None
    if attr == "srcset":
        return _clean_srcset(value, _base_url.get()) or None
    if attr in ("width", "height"):
        value = value.strip()
        return value if _DIMENSION_RE.match(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(CLEAN_CONTENT_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes={"http", "https", "mailto"},
)
_TEXT_CLEANER = nh3.Cleaner(
    tags=set(), clean_content_tags=set(CLEAN_CONTENT_TAGS) | {"iframe"}, attributes={}
)

# --- lazy images (before nh3) ---------------------------------------------
_LAZY_HINT_RE = re.compile(r"data-(?:src|original|lazy)", re.IGNORECASE)
_MEDIA_TAG_RE = re.compile(
    r"<(img|source)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.IGNORECASE | re.DOTALL
)
_ATTR_RE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""", re.DOTALL)
_PLACEHOLDER_RE = re.compile(
    r"(?:placeholder|blank|spacer|pixel|transparent|lazy|loading|loader|grey|gray|empty|dummy)"
    r"[^/]*$|\.gif(?:[?#].*)?$",
    re.IGNORECASE,
)
_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-lazy", "data-orig-file")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset", "data-original-srcset")


def _parse_attributes(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for name, raw in _ATTR_RE.findall(text):
        name = name.lower()
        if name in attrs:
            continue
        if raw[:1] in ('"', "'"):
            raw = raw[1:-1]
        attrs[name] = html.unescape(raw)
    return attrs


def _is_placeholder(src: str) -> bool:
    src = src.strip()
    return not src or src.lower().startswith("data:") or bool(_PLACEHOLDER_RE.search(src))


def _promoted(attrs: dict[str, str]) -> dict[str, str]:
    """Apply the lazy-image rule to one tag's attributes (policy 5, P14)."""
    lazy_src = next((attrs[n] for n in _LAZY_SRC if attrs.get(n, "").strip()), "")
    usable = lazy_src and not lazy_src.strip().lower().startswith("data:")
    if usable and _is_placeholder(attrs.get("src", "")):
        attrs["src"] = lazy_src
    lazy_srcset = next((attrs[n] for n in _LAZY_SRCSET if attrs.get(n, "").strip()), "")
    if lazy_srcset and (
        not attrs.get("srcset", "").strip() or "data:" in attrs.get("srcset", "").lower()
    ):
        attrs["srcset"] = lazy_srcset
    if attrs.get("src", "").strip().lower().startswith("data:"):
        del attrs["src"]
    return attrs


def _rebuild_media_tag(match: re.Match[str], lazy: bool, base_url: str, removed: list[int]) -> str:
    """One ``img``/``source`` tag of the raw input: removed when it is a tracker, lazy
    attributes promoted when the fragment has any, else left exactly as it was."""
    attrs = _parse_attributes(match.group(2))
    if lazy:
        attrs = _promoted(attrs)
    if match.group(1).lower() == "img":
        url = clean_url(attrs.get("src", ""), base_url=base_url)
        if is_tracking_image(attrs, url):
            removed[0] += 1
            return ""
    if not lazy:
        return match.group(0)
    rendered = "".join(
        f' {name}="{html.escape(value, quote=True)}"'
        for name, value in attrs.items()
        if not name.startswith("data-")
    )
    return f"<{match.group(1)}{rendered}>"


def _prepare_images(fragment: str, base_url: str) -> tuple[str, int]:
    """Remove tracking images and promote lazy ones, before nh3 (which still cleans the
    result): returns the fragment and the number of images removed."""
    lazy = bool(_LAZY_HINT_RE.search(fragment))
    if not lazy and "<img" not in fragment.lower():
        return fragment, 0
    removed = [0]
    prepared = _MEDIA_TAG_RE.sub(
        lambda match: _rebuild_media_tag(match, lazy, base_url, removed), fragment
    )
    return prepared, removed[0]


# --- iframes (after nh3) ----------------------------------------------------
# nh3's output is well formed: an iframe's raw text cannot contain "</iframe",
# and every attribute value is double-quoted with '"' escaped.
_IFRAME_RE = re.compile(r"<iframe\b([^>]*)>(.*?)</iframe>", re.IGNORECASE | re.DOTALL)
_SERIALIZED_ATTR_RE = re.compile(r'([a-z-]+)="([^"]*)"')


def _rebuild_iframe(match: re.Match[str]) -> str:
    attrs = dict(_SERIALIZED_ATTR_RE.findall(match.group(1)))
    src = attrs.get("src", "")
    if not src:
        return ""
    size = "".join(f' {n}="{attrs[n]}"' for n in ("width", "height") if n in attrs)
    return f'<iframe src="{src}"{size} {IFRAME_FIXED_ATTRIBUTES}></iframe>'


@dataclass(frozen=True, slots=True)
class SanitizedHtml:
    """What ``sanitize_html_counted`` returns: safe ``html`` and ``trackers_removed``, the
    number of tracking images and of links with tracking parameters it cleaned."""

    html: str
    trackers_removed: int = 0


def sanitize_html_counted(fragment: str, *, base_url: str) -> SanitizedHtml:
    """Sanitize an HTML fragment from a feed, counting the trackers removed.

    ``fragment``: HTML text (str) as the feed published it, unsanitized.
    ``base_url``: absolute URL that relative URLs resolve against (innermost
    xml:base, else the item link for RSS/JSON Feed, else the feed URL; see
    ``feeds.pipeline.parse``). Returns ``SanitizedHtml`` (html possibly ""). Pure
    and thread-safe; never raises on hostile input. Policies 4-6 of
    ``../shared/cases/README.md``; idempotent (a second pass removes nothing).
    """
    if not fragment:
        return SanitizedHtml("")
    base_url = base_url or ""
    prepared, images_removed = _prepare_images(fragment, base_url)
    links_cleaned = [0]
    token = _base_url.set(base_url)
    links_token = _links_cleaned.set(links_cleaned)
    try:
        cleaned = _CLEANER.clean(prepared)
    finally:
        _links_cleaned.reset(links_token)
        _base_url.reset(token)
    if "<iframe" in cleaned:
        cleaned = _IFRAME_RE.sub(_rebuild_iframe, cleaned)
    return SanitizedHtml(cleaned.strip(), images_removed + links_cleaned[0])


def sanitize_html(fragment: str, *, base_url: str) -> str:
    """Sanitize an HTML fragment from a feed for storage and display: the HTML of
    ``sanitize_html_counted`` (same arguments, same guarantees)."""
    return sanitize_html_counted(fragment, base_url=base_url).html


def text_to_linked_html(text: str) -> str:
    """Plain text as HTML, not yet sanitized: characters escaped (so ``<b>`` stays visible
    characters), blank lines as paragraphs, single newlines as ``<br>``, bare URLs as links
    (``bleach.linkify``). Returns str (possibly ""); the store sanitizes it like any body."""
    text = (text or "").strip()
    if not text:
        return ""
    escaped = html.escape(text, quote=False)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", escaped) if p.strip()]
    body = "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)
    return bleach.linkify(body, parse_email=False)


def text_to_html(text: str, *, base_url: str) -> str:
    """Turn plain text (JSON Feed ``content_text``, Atom ``type="text"``) into safe HTML.

    ``text_to_linked_html`` (paragraphs, line breaks, links), then ``sanitize_html``.
    Returns str (possibly "").
    """
    linked = text_to_linked_html(text)
    return sanitize_html(linked, base_url=base_url) if linked else ""


_WHITESPACE_RE = re.compile(r"\s+")


def html_to_text(fragment: str) -> str:
    """The visible text of an HTML fragment: tags removed (script/style with their
    content), character references decoded exactly once, whitespace collapsed.

    Used for titles of type html/xhtml, authors and categories (policy 3).
    Returns plain text (str), never markup to be trusted: templates escape it.
    """
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _WHITESPACE_RE.sub(" ", fragment).strip()
    text = html.unescape(_TEXT_CLEANER.clean(fragment))
    return _WHITESPACE_RE.sub(" ", text).strip()


def collapse_whitespace(text: str) -> str:
    """``text`` with runs of whitespace replaced by one space and the ends stripped."""
    return _WHITESPACE_RE.sub(" ", text or "").strip()


_IMG_RE = re.compile(r"<img\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.IGNORECASE | re.DOTALL)


def first_image_url(fragment: str, *, base_url: str) -> str:
    """URL of the first meaningful image of an HTML fragment, absolute http(s), or "".

    Applies the lazy-image promotion, resolves against ``base_url`` and skips
    tracking images (1x1 pixels, hidden images, tracker hosts:
    ``feeds.pipeline.trackers``). One URL, never a srcset string (P14).
    """
    if not fragment or "<img" not in fragment.lower():
        return ""
    for match in _IMG_RE.finditer(fragment):
        attrs = _promoted(_parse_attributes(match.group(1)))
        url = clean_url(attrs.get("src", ""), base_url=base_url)
        if url and not is_tracking_image(attrs, url):
            return url
    return ""
