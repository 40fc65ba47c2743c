"""Parse: feed bytes -> one normalized ``ParsedFeed`` with ``ParsedEntry`` items.

One module per concern:

- ``model``: ``ParsedFeed``, ``ParsedEntry``, the errors, the field limits;
- ``encoding``: charset decoding (BOM, HTTP charset, XML declaration; RFC 7303, WHATWG labels);
- ``sniff``: what the bytes are before parsing (JSON, an HTML page, XML);
- ``hardening``: the XML prolog and DOCTYPE rebuilt (no external or nested entities);
- ``xmlfeed``: RSS 0.9x/1.0 (RDF)/2.0 and Atom 0.3/1.0 through feedparser (``saxdriver``);
- ``mediarss``: Media RSS of those items (captions and alt text, YouTube/PeerTube descriptions);
- ``jsonfeed``: JSON Feed 1.0/1.1;
- ``dates``: feed dates as aware UTC datetimes; ``fields``: normalizers the formats share;
- ``characters``: text hygiene, applied to every document read (control characters and
  what XML 1.0 forbids never reach the store).

A feed format is a module with ``sniff(document) -> bool`` and ``read(document) ->
ParsedFeed`` (``document`` a ``RawDocument``), listed in ``FORMATS``: a new format is
a new module plus one line there.

Text fields follow policy 3 of ``../shared/cases/README.md`` (titles are plain
text; html/xhtml constructs are reduced to their text, entities decoded once)
and dates policy 2 (aware UTC ``datetime``; a value that cannot be parsed is
``None``, never a guess, so the store uses the first-seen time).
"""

from __future__ import annotations

from typing import Protocol

from feeds.pipeline.parse import jsonfeed, xmlfeed
from feeds.pipeline.parse.characters import clean_parsed_feed
from feeds.pipeline.parse.dates import parse_date
from feeds.pipeline.parse.encoding import split_content_type
from feeds.pipeline.parse.model import (
    NotAFeedError,
    ParsedEntry,
    ParsedFeed,
    ParseError,
    RawDocument,
)
from feeds.pipeline.parse.sniff import sniff_head

__all__ = [
    "FORMATS",
    "FeedFormat",
    "NotAFeedError",
    "ParseError",
    "ParsedEntry",
    "ParsedFeed",
    "RawDocument",
    "parse_date",
    "parse_feed",
]


class FeedFormat(Protocol):
    """What a feed format module provides (``jsonfeed``, ``xmlfeed``)."""

    def sniff(self, document: RawDocument) -> bool:
        """Whether this format reads ``document`` (cheap: looks at ``head``/``media_type``)."""
        ...

    def read(self, document: RawDocument) -> ParsedFeed:
        """The parsed document; raises ``ParseError`` or ``NotAFeedError``."""
        ...


#: Feed formats, tried in order: the first whose ``sniff`` accepts the document reads it.
#: XML comes last: it accepts everything and refuses HTML pages itself.
FORMATS: tuple[FeedFormat, ...] = (jsonfeed, xmlfeed)


def parse_feed(content: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse feed bytes into a ``ParsedFeed``.

    ``content``: the response body (decompressed bytes). ``url``: the final URL
    after redirects (base of relative references). ``content_type``: the HTTP
    Content-Type header, a hint (the body is sniffed): its charset wins over the
    XML declaration for XML media types (RFC 7303), unless the bytes say otherwise.

    Raises ``NotAFeedError`` for an HTML page, ``ParseError`` (readable message)
    for an empty document, invalid JSON, or a malformed feed that yields no
    entries. A malformed feed that still yields entries is returned with
    ``bozo_message`` set. A well-formed feed with no items returns no entries.
    Every text field is clean of control characters (``characters.clean_parsed_feed``).
    """
    if not content or not content.strip():
        raise ParseError("The address returned an empty document, not a feed")
    media_type, charset = split_content_type(content_type)
    document = RawDocument(
        content=content,
        url=url,
        media_type=media_type,
        charset=charset,
        head=sniff_head(content),
    )
    for feed_format in FORMATS:
        if feed_format.sniff(document):
            return clean_parsed_feed(feed_format.read(document))
    raise ParseError("The address returned a document in no known feed format")
