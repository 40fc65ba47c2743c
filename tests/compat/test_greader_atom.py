"""Google Reader's Atom output (``reader/atom/<stream>``), as newsboat's feedhq mode reads it."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pytest
import requests
from defusedxml import ElementTree

from reader import services
from reader.api.compat.atom import render_atom
from reader.api.compat.item_ids import item_id_long
from tests.reader.factories import EntryFactory

pytestmark = pytest.mark.django_db(transaction=True)

NS = {"a": "http://www.w3.org/2005/Atom", "gr": "http://www.google.com/schemas/reader/atom/"}
GR = "{http://www.google.com/schemas/reader/atom/}"
SCHEME = "http://www.google.com/reader/"


def _atom(world, token, stream: str, prefix: str = "greader", **params) -> requests.Response:
    return requests.get(
        f"{world.base}/api/{prefix}/reader/atom/{stream}",
        params=params,
        headers={"Authorization": f"GoogleLogin auth={token}"},
        timeout=10,
    )


def _feed(response: requests.Response) -> Element:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content)


def _entries(feed: Element) -> dict[str, Element]:
    return {e.find("a:id", NS).text: e for e in feed.findall("a:entry", NS)}


def _labels(entry: Element) -> set[str]:
    return {c.get("label") for c in entry.findall("a:category", NS) if c.get("scheme") == SCHEME}


def test_a_feed_stream_carries_google_readers_attributes(world):
    token = world.greader_login("alice")
    first = world.shared_entries[0]
    services.entries_set_read(user=world.alice, entry_ids=[first.pk], read=True)
    services.entries_set_starred(user=world.alice, entry_ids=[first.pk], starred=True)
    # newsboat asks for the stream id URL-escaped in the path.
    feed = _feed(_atom(world, token, f"feed%2F{world.shared_feed.pk}", n=20))
    assert feed.find("a:title", NS).text == world.shared_feed.title
    assert feed.find("a:id", NS).text.startswith("tag:google.com,2005:reader/feed/")
    entries = _entries(feed)
    assert set(entries) == {item_id_long(e.pk) for e in world.shared_entries}
    read = entries[item_id_long(first.pk)]
    assert _labels(read) == {"reading-list", "Tech", "read", "starred"}
    assert int(read.get(f"{GR}crawl-timestamp-msec")) == int(first.created_at.timestamp() * 1000)
    assert read.find("a:title", NS).text == first.title
    assert read.find("a:link[@rel='alternate']", NS).get("href") == first.url
    assert read.find("a:content", NS).text == first.content
    source = read.find("a:source", NS)
    assert source.get(f"{GR}stream-id") == f"feed/{world.shared_feed.pk}"
    unread = entries[item_id_long(world.shared_entries[1].pk)]
    assert _labels(unread) == {"reading-list", "Tech", "fresh"}
    terms = {c.get("term") for c in unread.findall("a:category", NS)}
    assert "user/-/state/com.google/reading-list" in terms and "user/-/label/Tech" in terms


def test_label_reading_list_and_starred_streams(world):
    token = world.greader_login("alice")
    everything = {item_id_long(e.pk) for e in world.shared_entries + world.private_entries}
    reading = _feed(_atom(world, token, "user/-/state/com.google/reading-list"))
    assert set(_entries(reading)) == everything
    tech = _feed(_atom(world, token, "user/-/label/Tech"))
    assert set(_entries(tech)) == {item_id_long(e.pk) for e in world.shared_entries}
    star = world.private_entries[0]
    services.entries_set_starred(user=world.alice, entry_ids=[star.pk], starred=True)
    starred = _feed(_atom(world, token, "user/-/state/com.google/starred"))
    assert list(_entries(starred)) == [item_id_long(star.pk)]
    assert set(_entries(_feed(_atom(world, token, "")))) == everything
    broadcast = _feed(_atom(world, token, "user/-/state/com.google/broadcast"))
    assert _entries(broadcast) == {}


def test_n_and_continuation_page_through_the_stream_once(world):
    token = world.greader_login("alice")
    seen: list[str] = []
    continuation = None
    pages = 0
    while True:
        params = {"n": 3, **({"c": continuation} if continuation else {})}
        feed = _feed(_atom(world, token, "user/-/state/com.google/reading-list", **params))
        page = [e.find("a:id", NS).text for e in feed.findall("a:entry", NS)]
        assert len(page) <= 3
        seen += page
        pages += 1
        node = feed.find("gr:continuation", NS)
        if node is None:
            break
        continuation = node.text
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8


def test_xt_read_and_ot_narrow_the_stream(world):
    token = world.greader_login("alice")
    first = world.shared_entries[0]
    services.entries_set_read(user=world.alice, entry_ids=[first.pk], read=True)
    stream = f"feed/{world.shared_feed.pk}"
    unread = _entries(_feed(_atom(world, token, stream, xt="user/-/state/com.google/read")))
    assert set(unread) == {item_id_long(e.pk) for e in world.shared_entries[1:]}
    assert _entries(_feed(_atom(world, token, stream, ot="4102444800"))) == {}  # year 2100
    assert len(_entries(_feed(_atom(world, token, stream, ot="0")))) == 5
    oldest_first = _feed(_atom(world, token, stream, r="o"))
    assert next(iter(_entries(oldest_first))) == item_id_long(first.pk)


def test_the_freshrss_prefix_and_conditional_requests(world):
    token = world.greader_login("alice")
    stream = f"feed%2F{world.shared_feed.pk}"
    first = _atom(world, token, stream, prefix="greader.php")
    assert len(_entries(_feed(first))) == 5
    etag = first.headers["ETag"]
    again = requests.get(
        first.url,
        headers={"Authorization": f"GoogleLogin auth={token}", "If-None-Match": etag},
        timeout=10,
    )
    assert again.status_code == 304
    services.entries_set_read(user=world.alice, entry_ids=[world.shared_entries[0].pk], read=True)
    changed = requests.get(
        first.url,
        headers={"Authorization": f"GoogleLogin auth={token}", "If-None-Match": etag},
        timeout=10,
    )
    assert changed.status_code == 200


def test_it_needs_a_token_and_hides_other_users_feeds(world):
    anonymous = requests.get(
        f"{world.base}/api/greader/reader/atom/feed/{world.shared_feed.pk}", timeout=10
    )
    assert anonymous.status_code == 401
    assert anonymous.headers["Google-Bad-Token"] == "true"
    bob = world.greader_login("bob")
    assert _atom(world, bob, f"feed/{world.private_feed.pk}").status_code == 404
    assert _atom(world, bob, "user/-/label/Tech").status_code == 404
    assert _atom(world, bob, "feed/1", c="not-a-cursor").status_code in (400, 404)
    assert _atom(world, bob, "user/-/state/com.google/reading-list", n="x").status_code == 400
    own = _entries(_feed(_atom(world, bob, "user/-/state/com.google/reading-list")))
    assert set(own) == {item_id_long(e.pk) for e in world.shared_entries}


def test_text_that_xml_cannot_carry_still_gives_a_well_formed_document(world):
    token = world.greader_login("alice")
    odd = EntryFactory(
        feed=world.shared_feed, title='bell\x07 & <tag> "q" \ufffe', author="", content="a\x0bb"
    )
    feed = _feed(_atom(world, token, f"feed/{world.shared_feed.pk}"))
    entry = _entries(feed)[item_id_long(odd.pk)]
    assert entry.find("a:title", NS).text == 'bell & <tag> "q" '
    assert entry.find("a:author/a:name", NS).text == "(author unknown)"


def test_render_atom_of_an_empty_page_is_stable():
    kwargs = {"stream_id": "user/-/label/x", "title": "x", "self_url": "http://h/a", "items": []}
    body = render_atom(**kwargs)
    assert body == render_atom(**kwargs)
    feed = ElementTree.fromstring(body)
    assert feed.find("a:updated", NS).text == "1970-01-01T00:00:00Z"
    assert feed.find("a:entry", NS) is None


def test_a_folder_named_like_a_state_never_reads_as_that_state():
    item = {
        "id": item_id_long(10),
        "crawlTimeMsec": "1700000000000",
        "published": 1700000000,
        "updated": 1700000000,
        "title": "t",
        "author": "a",
        "content": {"content": "<p>x</p>"},
        "categories": ["user/-/state/com.google/reading-list", "user/-/label/read"],
        "origin": {"streamId": "feed/3", "title": "f", "htmlUrl": "https://example.org/"},
    }
    body = render_atom(stream_id="feed/3", title="f", self_url="http://h/a", items=[item])
    entry = ElementTree.fromstring(body).find("a:entry", NS)
    assert _labels(entry) == {"reading-list", "read (folder)", "fresh"}
    assert entry.find("a:enclosure", NS) is None
