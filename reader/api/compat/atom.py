"""Google Reader's Atom output, ``reader/atom/<stream id>``, as FeedHQ and The Old Reader served it.

Clients of the original service read streams as Atom feeds rather than JSON;
newsboat's ``feedhq`` mode (the only Google Reader mode of newsboat 2.21, the
Debian 12 package) reads every subscription this way:
``GET <base>/reader/atom/feed%2F<id>?n=20`` with ``Authorization: GoogleLogin
auth=<token>``. The stream ids, parameters (``n``, ``c``, ``r``, ``ot``,
``nt``, ``xt``, ``it``) and the selection are those of ``stream/contents``
(``reader.api.compat.greader``), so both outputs always list the same items.

Each entry carries Google Reader's extensions (namespace
``http://www.google.com/schemas/reader/atom/``): ``gr:crawl-timestamp-msec``,
the item id ``tag:google.com,2005:reader/item/<16 hex>``, one ``<category>``
per stream the item is in (scheme ``http://www.google.com/reader/``, the
``label`` attribute being the last part of the stream id: ``reading-list``,
``read``, ``starred``, the folder name) and ``<source gr:stream-id="feed/N">``.
An unread item carries ``fresh``, as The Old Reader did: newsboat takes
``read``/``fresh`` from these labels and overrides its own cache with them, so
a read or unread mark made elsewhere shows after the next reload. A page with
more items ends with ``<gr:continuation>``, the value to pass as ``c``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.csrf import csrf_exempt

from accounts.ratelimit import RateLimited
from feeds.pipeline.parse.characters import remove_control_characters
from reader import selectors
from reader.api.compat import greader
from reader.api.compat.item_ids import LABEL_PREFIX, READ, READING_LIST, Stream, parse_stream_id
from reader.errors import NotFound, ReaderError
from reader.models import Subscription

ATOM_NS = "http://www.w3.org/2005/Atom"
#: Google Reader's Atom extension namespace (the ``gr:`` prefix).
GR_NS = "http://www.google.com/schemas/reader/atom/"
#: The ``scheme`` of every stream category; newsboat reads only these.
READER_SCHEME = "http://www.google.com/reader/"
FRESH = "user/-/state/com.google/fresh"
ITEM_TAG_PREFIX = "tag:google.com,2005:reader/"
#: State names that a folder of the same name must not impersonate in ``label``.
_STATE_LABELS = {"read", "fresh", "kept-unread", "starred", "reading-list"}


def _clean(value: Any) -> str:
    """``value`` as text an XML document can hold (characters XML forbids are dropped)."""
    return remove_control_characters("" if value is None else str(value))


def _iso(unix_seconds: int | float) -> str:
    return datetime.fromtimestamp(unix_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Rendering -----------------------------------------------------------------------------


class _Writer:
    """A SAX XML writer whose text and attribute values are always cleaned first."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.xml = SimplerXMLGenerator(self.buffer, "utf-8", short_empty_elements=True)

    def start(self, name: str, attrs: Mapping[str, Any] | None = None) -> None:
        self.xml.startElement(name, {k: _clean(v) for k, v in (attrs or {}).items()})

    def end(self, name: str) -> None:
        self.xml.endElement(name)

    def leaf(self, name: str, text: Any = None, attrs: Mapping[str, Any] | None = None) -> None:
        self.start(name, attrs)
        if text is not None:
            self.xml.characters(_clean(text))
        self.end(name)


def _category_label(term: str) -> str:
    """The ``label`` attribute of a stream category: the folder name or the state's name."""
    if term.startswith(LABEL_PREFIX):
        name = term[len(LABEL_PREFIX) :]
        # A folder called "read" must not read as the read state to newsboat.
        return f"{name} (folder)" if name in _STATE_LABELS else name
    return term.rsplit("/", 1)[-1]


def _write_entry(out: _Writer, item: Mapping[str, Any]) -> None:
    out.start("entry", {"gr:crawl-timestamp-msec": item["crawlTimeMsec"]})
    out.leaf("id", item["id"])
    categories = list(item["categories"])
    if READ not in categories:
        categories.append(FRESH)
    for term in categories:
        attrs = {"term": term, "scheme": READER_SCHEME, "label": _category_label(term)}
        out.leaf("category", attrs=attrs)
    out.leaf("title", item["title"], {"type": "text"})
    out.leaf("published", _iso(item["published"]))
    out.leaf("updated", _iso(item["updated"]))
    for link in item.get("alternate", []):
        out.leaf("link", attrs={"rel": "alternate", "href": link["href"], "type": "text/html"})
    for enclosure in item.get("enclosure", []):
        attrs = {"rel": "enclosure", "href": enclosure["href"]}
        attrs.update({k: enclosure[k] for k in ("type", "length") if enclosure.get(k)})
        out.leaf("link", attrs=attrs)
    origin = item["origin"]
    out.leaf("content", item["content"]["content"], {"type": "html", "xml:base": origin["htmlUrl"]})
    out.start("author", {} if item["author"] else {"gr:unknown-author": "true"})
    out.leaf("name", item["author"] or "(author unknown)")
    out.end("author")
    out.start("source", {"gr:stream-id": origin["streamId"]})
    out.leaf("id", ITEM_TAG_PREFIX + origin["streamId"])
    out.leaf("title", origin["title"], {"type": "text"})
    out.leaf("link", attrs={"rel": "alternate", "href": origin["htmlUrl"], "type": "text/html"})
    out.end("source")
    out.end("entry")


def render_atom(
    *,
    stream_id: str,
    title: str,
    self_url: str,
    items: Iterable[Mapping[str, Any]],
    continuation: str | None = None,
    alternate_url: str | None = None,
    user_id: int | str = "-",
) -> bytes:
    """One stream page as a UTF-8 Atom 1.0 document with Google Reader's ``gr:`` extensions.

    ``items`` are Google Reader item objects as ``stream/contents`` emits them
    (id, crawlTimeMsec, published/updated in Unix seconds, title, author,
    alternate, enclosure, content, categories, origin). The feed's
    ``<updated>`` is the newest item's crawl time (the epoch for an empty
    page), so the same data renders to the same bytes and a body hash is a
    valid ETag. Text the XML cannot carry is dropped, so the output is always
    well-formed.
    """
    items = list(items)
    out = _Writer()
    out.xml.startDocument()
    out.start(
        "feed",
        {
            "xmlns": ATOM_NS,
            "xmlns:gr": GR_NS,
            "xmlns:idx": "urn:atom-extension:indexing",
            "idx:index": "no",
            "gr:dir": "ltr",
        },
    )
    out.leaf("generator", "Tidings")
    out.leaf("id", ITEM_TAG_PREFIX + stream_id.replace("user/-/", f"user/{user_id}/", 1))
    out.leaf("title", title, {"type": "text"})
    if continuation:
        out.leaf("gr:continuation", continuation)
    out.leaf("link", attrs={"rel": "self", "href": self_url})
    if alternate_url:
        out.leaf("link", attrs={"rel": "alternate", "href": alternate_url, "type": "text/html"})
    newest = max((int(i["crawlTimeMsec"]) for i in items), default=0)
    out.leaf("updated", _iso(newest / 1000))
    for item in items:
        _write_entry(out, item)
    out.end("feed")
    out.xml.endDocument()
    return out.buffer.getvalue().encode("utf-8")


# --- The view ------------------------------------------------------------------------------

_STATE_TITLES = {
    "reading-list": "Reading list",
    "starred": "Starred items",
    "read": "Read items",
    "unread": "Unread items",
    "kept-unread": "Kept unread",
}


def _title_and_link(user: Any, stream: Stream) -> tuple[str, str | None]:
    if stream.kind == "feed":
        sub: Subscription = greader.subscription_for_feed(user, stream.value)
        feed = sub.feed
        return sub.title or feed.title or feed.url, feed.site_url or feed.url
    if stream.kind == "label":
        return stream.value, None
    return _STATE_TITLES.get(stream.kind, stream.value), None


def _atom_response(request: HttpRequest, body: bytes) -> HttpResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    response = HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _stream_page(request: HttpRequest, user: Any, stream_id: str) -> bytes:
    stream = parse_stream_id(stream_id)
    if stream.kind == "ignored":  # broadcast, like...: valid streams, always empty here
        return render_atom(
            stream_id=stream_id, title=stream.value, self_url=request.build_absolute_uri(),
            items=[], user_id=user.pk,
        )  # fmt: skip
    filters = greader.stream_filters(request, user, stream)
    count = greader.count_param(request, greader.CONTENTS_DEFAULT, greader.CONTENTS_MAX)
    page = selectors.entry_list(
        user=user,
        filters=filters,
        cursor=greader.param(request, "c") or None,
        limit=min(count, selectors.MAX_PAGE_SIZE),
    )
    labels = greader.category_labels(user)
    title, alternate = _title_and_link(user, stream)
    return render_atom(
        stream_id=stream_id,
        title=title,
        self_url=request.build_absolute_uri(),
        items=[greader.item_json(entry, labels) for entry in page.entries],
        continuation=page.next_cursor,
        alternate_url=alternate,
        user_id=user.pk,
    )


@csrf_exempt
def atom_stream(request: HttpRequest, stream: str = "") -> HttpResponse:
    """``GET reader/atom/<stream id>``: one page of a stream as Atom (module docstring).

    Streams: ``feed/<id or URL>``, ``user/-/label/<name>``,
    ``user/-/state/com.google/reading-list`` (also the empty stream), ``starred``,
    ``read``; other ``state/com.google/*`` streams answer an empty feed. Answers
    401 with the bad-token headers without a valid ``GoogleLogin`` token, 429 with
    Retry-After while the credential lock is closed for the address or account, 404
    for a feed or label the user does not have, 400 for a malformed parameter,
    405 for methods other than GET/HEAD, 304 for a matching ``If-None-Match``.
    """
    if request.method == "OPTIONS":
        return HttpResponse(status=204)
    try:
        auth = greader.authenticate_request(request)
    except RateLimited as limited:  # the shared credential lock
        return greader.too_many_attempts(limited)
    if auth is None:
        return greader.unauthorized()
    if request.method not in ("GET", "HEAD"):
        return HttpResponse("Method Not Allowed", status=405, content_type="text/plain")
    user, _token = auth
    stream_id = greader.param(request, "s") or greader.without_nul(stream) or READING_LIST
    try:
        body = _stream_page(request, user, stream_id)
    except (greader.BadRequest, ReaderError, ValueError) as exc:
        return greader.text_response(f"Error={greader.error_message(exc)}", status=400)
    except NotFound:
        return greader.text_response("Not Found", status=404)
    return _atom_response(request, body)
