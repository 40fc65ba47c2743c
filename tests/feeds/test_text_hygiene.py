"""Text hygiene: control characters never stored, every document Tidings writes well-formed.

A feed may carry C0/C1 control characters (backspace, ESC sequences, vertical tab),
references to them (``&#27;``), lone surrogates (JSON ``"\\ud800"``), U+FFFE/U+FFFF.
Parsing removes them from every stored text field; the XML writers (saved-view
feeds, OPML export, Google Reader Atom) clean what they write, so rows stored before
still give well-formed documents; the feed commands escape what they print.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings, strategies
from lxml import etree

from accounts import services as accounts
from feeds.models import Entry, Feed
from feeds.pipeline.parse import ParseError, parse_feed
from feeds.pipeline.parse.characters import (
    CONTROL_CHARACTERS_RE,
    clean_xml_document,
    remove_control_characters,
)
from feeds.pipeline.store import store_parsed
from feeds.services import feed_get_or_create
from feeds.tasks import refresh_feed
from reader import saved_views
from reader.opml import opml_export
from tests.factories import EntryFactory, FeedFactory, SavedViewFactory, SubscriptionFactory

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
# Every kind of character the rule removes, as a feed would carry them.
DIRTY = "\x00\x01\x08\x0b\x0c\x1b[2J\x1f\x7f\x85\x9b\ufffe\uffff"
# What PostgreSQL can hold of it (no NUL): rows stored before the rule may have these.
STORABLE_DIRTY = DIRTY.replace("\x00", "")


def _strict(document: bytes) -> etree._Element:
    """The document parsed by lxml without recovery: raises on anything not well-formed."""
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    return etree.fromstring(document, parser)


def _clean(text: str) -> bool:
    return not CONTROL_CHARACTERS_RE.search(text)


def _dirty_rss() -> bytes:
    bell = "\x07"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Feed\x1b[31m title{bell}</title><link>https://w.example.org/</link>"
        f"<description>About\x0b us\x08</description>"
        "<item><title>Back\x08space and \x1b]0;owned\x07 title</title>"
        "<link>https://w.example.org/1</link><guid>ctl-1</guid>"
        "<dc:creator>An\x0cauthor</dc:creator><category>Ne\x1bws</category>"
        "<category>\x01</category>"
        "<description><![CDATA[<p>Body\x1b[2J text &#27;gone&#x7f; &#150; kept\x0b</p>]]>"
        "</description>"
        '<enclosure url="https://w.example.org/a.mp3" type="audio/mpeg\x01" length="12"/>'
        "<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate></item>"
        "</channel></rss>"
    ).encode()


# --- Parsing ---------------------------------------------------------------------------------


def test_control_characters_leave_every_parsed_text_field():
    """A stray control character no longer makes the feed malformed, and none survives."""
    feed = parse_feed(_dirty_rss(), url="https://w.example.org/feed.xml")
    assert feed.bozo_message == ""
    assert feed.title == "Feed[31m title"
    assert feed.description == "About us"
    entry = feed.entries[0]
    assert entry.title == "Backspace and ]0;owned title"
    assert entry.author == "Anauthor"
    assert entry.categories == ["News"]
    assert entry.enclosures[0]["type"] == "audio/mpeg"
    assert "&#27;" not in entry.content_html and "&#x7f;" not in entry.content_html
    assert "&#150;" in entry.content_html  # windows-1252 en dash in HTML: a real character
    for text in (entry.title, entry.author, entry.content_html, feed.title, feed.description):
        assert _clean(text), repr(text)


def test_json_feed_escapes_of_controls_and_lone_surrogates_are_removed():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J\u001bSON\ud800",
        "items": [
            {
                "id": "a\u0000b",
                "title": "Ti\u0008tle\udfff",
                "content_text": "Line one\r\nline\u000b two\ufffe",
                "authors": [{"name": "Au\u009bthor"}],
                "tags": ["t\u0007ag"],
            }
        ],
    }
    body = json.dumps(document).encode()
    feed = parse_feed(body, url="https://w.example.org/feed.json")
    entry = feed.entries[0]
    assert feed.title == "JSON"
    assert (entry.title, entry.author, entry.categories) == ("Title", "Author", ["tag"])
    assert entry.content_html == "Line one\nline two"
    assert entry.guid == "ab"  # NUL can never be stored


def test_the_rule_keeps_tab_and_newline_and_real_text():
    text = "tab\there\nnew line, é, 中文, 🙂, \u200b, \ue000, \U0010fffd"
    assert remove_control_characters(text) == text
    assert remove_control_characters("a\r\nb\rc") == "a\nb\nc"
    assert remove_control_characters(DIRTY) == "[2J"
    assert clean_xml_document("<a>&#27;&#x1B;&#9;&#10;&#xfffe;&amp;#27;</a>") == (
        "<a>&#9;&#10;&amp;#27;</a>"
    )


# --- Through the worker's refresh path, into every output ------------------------------------


class _Readers:
    """Clients of every output of one user: saved-view feeds, Google Reader, REST, Fever, OPML."""

    def __init__(self, user) -> None:
        self.user = user
        view = SavedViewFactory(user=user)
        self.view_token = saved_views.feed_token_rotate(user=user, view_id=view.pk).feed_token
        self.anonymous = Client()
        accounts.client_password_set(user=user, password="app-pass-123")
        token = accounts.greader_auth_token(user=user)
        self.greader = Client(HTTP_AUTHORIZATION=f"GoogleLogin auth={token}")
        self.session = Client()
        self.session.force_login(user)
        self.fever_key = accounts.fever_api_key(username=user.username, password="app-pass-123")

    def outputs(self, feed: Feed) -> dict[str, bytes]:
        """Every document Tidings writes that includes ``feed``'s entries (all must be 200)."""
        responses = {
            "view_atom": self.anonymous.get(f"/views/{self.view_token}/atom/"),
            "view_rss": self.anonymous.get(f"/views/{self.view_token}/rss/"),
            "greader_atom": self.greader.get(f"/api/greader/reader/atom/feed/{feed.pk}"),
            "greader_json": self.greader.get(
                f"/api/greader/reader/api/0/stream/contents/feed/{feed.pk}", {"output": "json"}
            ),
            "rest_json": self.session.get("/api/v1/entries/", {"status": "all"}),
            "fever_json": self.anonymous.post("/api/fever/?api&items", {"api_key": self.fever_key}),
        }
        for name, response in responses.items():
            assert response.status_code == 200, (name, response.status_code, response.content[:500])
        documents = {name: response.content for name, response in responses.items()}
        documents["opml"] = opml_export(user=self.user).encode()
        return documents


def _outputs(user, feed: Feed) -> dict[str, bytes]:
    return _Readers(user).outputs(feed)


@pytest.fixture
def readers(alice) -> _Readers:
    """Alice's clients of every output (for the property test: built once, not per example)."""
    return _Readers(alice)


def _check_well_formed(documents: dict[str, bytes]) -> None:
    for name, document in documents.items():
        if name.endswith("_json"):
            json.loads(document)
        else:
            _strict(document)


@pytest.mark.django_db
def test_a_feed_full_of_control_characters_is_stored_clean_and_every_output_parses(
    feed_server, alice
):
    feed_server.add_route("/dirty.xml", body=_dirty_rss(), headers=RSS)
    feed, _ = feed_get_or_create(url=feed_server.url("/dirty.xml"))
    SubscriptionFactory(user=alice, feed=feed, title="")
    # The worker's task, run in this process: fetch, parse, identity, sanitize, store.
    assert refresh_feed.apply(args=[feed.pk], kwargs={"force": True}).get() == "ok"
    feed.refresh_from_db()
    entry = feed.entries.get()
    stored = [feed.title, feed.description, entry.title, entry.author, entry.content]
    stored += [*entry.categories, *(e["type"] for e in entry.enclosures)]
    assert all(_clean(text) for text in stored), stored
    assert "Body[2J text gone" in entry.content
    documents = _outputs(alice, feed)
    _check_well_formed(documents)
    atom = _strict(documents["view_atom"])
    titles = atom.findall(
        ".//{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title"
    )
    assert [t.text for t in titles] == ["Backspace and ]0;owned title"]


@pytest.mark.django_db
def test_rows_stored_before_the_rule_still_give_well_formed_documents(alice):
    """Saved-view feeds, OPML, Google Reader Atom never 500 on old dirty rows."""
    feed = FeedFactory(title=f"Old{STORABLE_DIRTY}feed", url="https://w.example.org/old.xml")
    EntryFactory(
        feed=feed,
        title=f"Old{STORABLE_DIRTY}title",
        author=f"Au{STORABLE_DIRTY}",
        content=f"<p>Bo{STORABLE_DIRTY}dy</p>",
        categories=[f"ca{STORABLE_DIRTY}t"],
        enclosures=[
            {"url": "https://w.example.org/a.mp3", "type": f"audio{STORABLE_DIRTY}", "length": 1}
        ],
    )
    SubscriptionFactory(user=alice, feed=feed, title=f"My{STORABLE_DIRTY}title")
    documents = _outputs(alice, feed)
    _check_well_formed(documents)
    rss = _strict(documents["view_rss"])
    assert rss.findtext("channel/item/title") == "Old[2Jtitle"
    assert rss.findtext("channel/item/category") == "ca[2Jt"


# --- Property: any Unicode, any output -------------------------------------------------------

# Any code point Python can hold in a str (surrogates included), biased to the hard ones.
_ANY_TEXT = strategies.lists(
    strategies.one_of(
        strategies.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF),
        strategies.sampled_from([*DIRTY, "\ud800", "\udfff", "&", "<", "]]>", "&#27;", "\r\n"]),
    ),
    max_size=40,
).map("".join)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _feed_document(title: str, content: str, author: str, category: str) -> bytes:
    """An RSS document carrying the texts as they are (raw control characters included)."""
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{_xml_escape(title)}</title><link>https://w.example.org/</link>"
        f"<item><title>{_xml_escape(title)}</title><guid>prop-1</guid>"
        f"<link>https://w.example.org/p</link><author>{_xml_escape(author)}</author>"
        f"<category>{_xml_escape(category)}</category>"
        f"<description>{_xml_escape(content)}</description></item></channel></rss>"
    )
    return document.encode("utf-8", "surrogatepass")


@pytest.mark.django_db
@settings(
    max_examples=25,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=_ANY_TEXT, content=_ANY_TEXT, author=_ANY_TEXT, category=_ANY_TEXT)
def test_any_unicode_through_parse_and_store_gives_well_formed_outputs(
    alice, readers, title, content, author, category
):
    Feed.objects.filter(url="https://w.example.org/prop.xml").delete()
    feed = FeedFactory(url="https://w.example.org/prop.xml")
    SubscriptionFactory(user=alice, feed=feed, title="")
    try:
        parsed = parse_feed(
            _feed_document(title, content, author, category), url="https://w.example.org/prop.xml"
        )
    except ParseError:  # a document refused with a readable error is fine; a crash is not
        return
    store_parsed(feed=feed, parsed=parsed, now=timezone.now())
    feed.refresh_from_db()
    for entry in Entry.objects.filter(feed=feed):
        texts = [entry.title, entry.author, entry.content, entry.summary, *entry.categories]
        assert all(_clean(text) for text in [*texts, feed.title]), texts
    _check_well_formed(readers.outputs(feed))


# --- Commands print escaped text -------------------------------------------------------------


@pytest.mark.django_db
def test_feed_status_escapes_control_characters_in_what_it_prints():
    feed = FeedFactory(
        title="Evil\x1b]0;pwned\x07\x1b[2J\x9b31m", url="https://w.example.org/e.xml"
    )
    EntryFactory(feed=feed, title="Entry\x1b[1m\u202eexe.txt")
    text = StringIO()
    call_command("feed_status", str(feed.pk), stdout=text)
    assert "\x1b" not in text.getvalue() and "\x07" not in text.getvalue()
    assert "title: Evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m" in text.getvalue()
    as_json = StringIO()
    call_command("feed_status", str(feed.pk), "--json", stdout=as_json)
    output = as_json.getvalue()
    assert not any(char in output for char in "\x1b\x07\x9b\u202e")
    status = json.loads(output)
    assert status["title"] == feed.title  # the JSON still means the same text
    assert status["entries"][0]["title"] == "Entry\x1b[1m\u202eexe.txt"
