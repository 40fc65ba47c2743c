"""Store: identity across fetches, dates policy, updates in place, constant queries.

Cases P01-P05, P07, P12-P15, P31 of ../shared/cases through parse_feed +
store_parsed (two fetches where the case has two files). The HTTP end-to-end
versions (loopback server, refresh service) live in H3's tests.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feeds.models import Entry, EntryTombstone, Feed
from feeds.pipeline.parse import ParsedEntry, ParsedFeed, parse_feed
from feeds.pipeline.store import raw_hash, store_parsed
from reader.models import EntryState
from tests.conftest import requires_postgres, shared_path
from tests.factories import EntryStateFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def case_bytes(case: str, name: str) -> bytes:
    return shared_path("cases", case, name).read_bytes()


def fetch(feed: Feed, case: str, name: str, *, now=NOW, url: str | None = None, ctype=""):
    parsed = parse_feed(case_bytes(case, name), url=url or feed.url, content_type=ctype)
    return store_parsed(feed=feed, parsed=parsed, now=now)


def make_feed(url="https://feeds.example.org/feed.xml") -> Feed:
    return Feed.objects.create(url=url)


def entries(feed: Feed) -> list[Entry]:
    return list(Entry.objects.filter(feed=feed).order_by("-published_at", "-id"))


# --- P01 ---------------------------------------------------------------------
def test_items_without_guid_do_not_duplicate_on_refresh(alice):
    """Case P01: no GUID link identity."""
    feed = make_feed("https://feeds.example.org/garden/rss.xml")
    first = fetch(feed, "P01-no-guid-link-identity", "fetch1.xml")
    assert (first.new, first.updated, first.unchanged) == (3, 0, 0)
    compost = Entry.objects.get(feed=feed, title="Compost temperature log")
    assert compost.url == "https://garden.example.org/notes/compost-log"
    EntryStateFactory(user=alice, entry=compost, read=True)
    ids_before = {e.title: e.pk for e in entries(feed)}

    second = fetch(feed, "P01-no-guid-link-identity", "fetch2.xml")

    assert (second.new, second.updated, second.unchanged) == (0, 0, 3)
    assert Entry.objects.filter(feed=feed).count() == 3
    assert {e.title: e.pk for e in entries(feed)} == ids_before
    assert EntryState.objects.get(user=alice).entry_id == compost.pk  # still read
    assert Entry.objects.filter(feed=feed).exclude(states__user=alice).count() == 2


# --- P02 ---------------------------------------------------------------------
def test_a_guid_repeated_in_one_document_falls_back_to_the_link():
    """Case P02: duplicate GUID in document."""
    feed = make_feed("https://shop.example.com/feed")
    assert fetch(feed, "P02-duplicate-guid-in-document", "feed.xml").new == 4
    again = fetch(feed, "P02-duplicate-guid-in-document", "feed.xml")
    assert (again.new, again.unchanged) == (0, 4)
    stored = {(e.title, e.url) for e in entries(feed)}
    assert stored == {
        ("Mug: Orbit", "https://shop.example.com/p/orbit-mug"),
        ("Tee: Lighthouse", "https://shop.example.com/p/lighthouse-tee"),
        ("Poster: Tide Chart", "https://shop.example.com/p/tide-poster"),
        ("Sticker: Kettle", "https://shop.example.com/p/kettle-sticker"),
    }


# --- P03 ---------------------------------------------------------------------
def test_a_new_guid_with_a_known_unique_link_updates_the_entry(alice):
    """Case P03: GUID changes link stable."""
    feed = make_feed("https://news.example.org/gazette.xml")
    fetch(feed, "P03-guid-changes-link-stable", "fetch1.xml")
    ferry = Entry.objects.get(feed=feed, url="https://news.example.org/a/40417")
    EntryStateFactory(user=alice, entry=ferry, read=True)

    result = fetch(feed, "P03-guid-changes-link-stable", "fetch2.xml")

    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    assert Entry.objects.filter(feed=feed).count() == 2
    ferry.refresh_from_db()
    assert ferry.title == "Council approves new ferry timetable"
    assert ferry.guid == "urn:gazette:council-approves-new-ferry-timetable"
    assert EntryState.objects.get(user=alice).entry_id == ferry.pk  # still read
    # A third fetch of the same document is a no-op: the identity moved with the guid.
    third = fetch(feed, "P03-guid-changes-link-stable", "fetch2.xml")
    assert (third.new, third.updated, third.unchanged) == (0, 0, 2)


# --- P04 ---------------------------------------------------------------------
def test_links_that_differ_only_by_tracking_parameters_are_one_entry():
    """Case P04: tracking params."""
    feed = make_feed("https://blog.example.org/feed")
    fetch(feed, "P04-tracking-params", "fetch1.xml")
    result = fetch(feed, "P04-tracking-params", "fetch2.xml")
    assert result.new == 0
    assert sorted(e.url for e in entries(feed)) == [
        "https://blog.example.org/archive?page=2",
        "https://blog.example.org/archive?page=3",
        "https://blog.example.org/post/7",
    ]


# --- P05 ---------------------------------------------------------------------
def test_entries_without_dates_keep_their_first_seen_time(alice):
    """Case P05: missing and future dates."""
    feed = make_feed("https://comics.example.net/feed")
    noon = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    fetch(feed, "P05-missing-and-future-dates", "no-dates.xml", now=noon)
    first_ids = sorted(e.pk for e in entries(feed))
    second = fetch(
        feed, "P05-missing-and-future-dates", "no-dates.xml", now=noon + dt.timedelta(hours=1)
    )
    assert second.new == 0
    stored = entries(feed)
    assert len(stored) == 2
    assert sorted(e.pk for e in stored) == first_ids
    assert {e.published_at for e in stored} == {noon}
    assert all(e.published_at == e.created_at for e in stored)


def test_a_future_date_is_clamped_to_the_fetch_time():
    """Case P05: missing and future dates."""
    feed = make_feed("https://events.example.com/feed")
    noon = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    fetch(feed, "P05-missing-and-future-dates", "future-date.xml", now=noon)
    stored = entries(feed)
    assert [(e.title, e.published_at) for e in stored] == [
        ("Harvest fair announced", noon),
        ("Choir practice moved", dt.datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
    ]


def test_a_date_up_to_ten_minutes_ahead_is_kept():
    feed = make_feed()
    ahead = NOW + dt.timedelta(minutes=9)
    parsed = ParsedFeed(entries=[ParsedEntry(guid="a", title="soon", published=ahead)])
    store_parsed(feed=feed, parsed=parsed, now=NOW)
    assert Entry.objects.get(feed=feed).published_at == ahead


# --- P06 (stored) ------------------------------------------------------------
def test_unparseable_dates_are_stored_as_first_seen():
    """Case P06: date formats and zones."""
    feed = make_feed("https://dates.example.org/feed")
    fetch(feed, "P06-date-formats-and-zones", "feed.xml")
    published = {e.guid: e.published_at for e in Entry.objects.filter(feed=feed)}
    assert published["garbage"] == NOW
    assert published["slash-format"] == dt.datetime(2016, 6, 29, 15, 7, 41, tzinfo=UTC)
    assert published["tz-est"] == dt.datetime(2013, 10, 8, 23, 30, tzinfo=UTC)


# --- P07 ---------------------------------------------------------------------
def test_an_updated_bump_does_not_resurface_a_read_entry(alice):
    """Case P07: published vs updated."""
    feed = make_feed("https://research.example.com/notes/feed.atom")
    fetch(feed, "P07-published-vs-updated", "fetch1.xml")
    for entry in entries(feed):
        EntryStateFactory(user=alice, entry=entry, read=True)
    order_before = [e.title for e in entries(feed)]
    ids_before = sorted(e.pk for e in entries(feed))

    result = fetch(feed, "P07-published-vs-updated", "fetch2.xml")

    assert result.new == 0
    stored = entries(feed)
    assert order_before == ["Fresh write-up", "Old analysis, lightly re-tagged"]
    assert [e.title for e in stored] == order_before
    assert sorted(e.pk for e in stored) == ids_before
    old = Entry.objects.get(feed=feed, title="Old analysis, lightly re-tagged")
    assert old.published_at == dt.datetime(2015, 8, 8, 18, 45, tzinfo=UTC)
    assert old.updated_at == dt.datetime(2026, 3, 4, 16, 20, tzinfo=UTC)
    assert EntryState.objects.filter(user=alice, read=True).count() == 2


# --- P12-P15 (stored content) -------------------------------------------------
def test_entry_level_xml_base_resolves_links_and_content():
    """Case P12: XML base resolution."""
    feed = make_feed("https://journal.example.org/ongoing/ongoing.atom")
    fetch(feed, "P12-xml-base-resolution", "feed.xml")
    entry = Entry.objects.get(feed=feed)
    assert entry.url == "https://journal.example.org/ongoing/When/2026/03/02/Single-Point"
    assert 'src="https://journal.example.org/ongoing/When/2026/03/02/diagram.png"' in entry.content
    hrefs = _attr_values(entry.content, "href")
    assert hrefs == [
        "https://journal.example.org/ongoing/When/2026/03/01/Earlier",
        "https://journal.example.org/ongoing/About",
    ]


def test_rss_content_resolves_against_the_item_link():
    """Case P13: relative URLs RSS content."""
    feed = make_feed("https://care.example.net/feeds/index.xml")
    fetch(feed, "P13-relative-urls-rss-content", "feed.xml")
    entry = Entry.objects.get(feed=feed)
    assert _attr_values(entry.content, "src") == [
        "https://care.example.net/blog/choosing-a-project/wheels.png"
    ]
    assert _attr_values(entry.content, "href") == [
        "https://care.example.net/blog/keeping-it-alive/",
        "https://care.example.net/about",
        "https://care.example.net/blog/choosing-a-project/#fn1",
    ]


def test_lazy_images_are_promoted_and_the_thumbnail_is_one_url():
    """Case P14: lazy images and srcset."""
    feed = make_feed("https://photos.example.com/feed/")
    fetch(feed, "P14-lazy-images-and-srcset", "feed.xml")
    entry = Entry.objects.get(feed=feed)
    assert entry.thumbnail_url == "https://photos.example.com/media/harbour-1600.jpg"
    assert _attr_values(entry.content, "src") == [
        "https://photos.example.com/media/harbour-1600.jpg",
        "https://photos.example.com/media/boats-1024.jpg",
        "https://cdn.example.com/gulls.jpg",
    ]
    assert "data:" not in entry.content and "data-" not in entry.content


def test_only_video_embeds_survive_in_stored_content():
    """Case P15: video iframe policy."""
    feed = make_feed("https://workshop.example.org/feed")
    fetch(feed, "P15-video-iframe-policy", "feed.xml")
    content = Entry.objects.get(feed=feed).content
    assert content.count("<iframe") == 3
    assert "ads.example.net" not in content and "fallback text" not in content


# --- P31 (stored) ------------------------------------------------------------
def test_hostile_text_and_link_fields_are_stored_as_text_or_dropped():
    """Case P31: XSS text fields and links."""
    feed = make_feed("https://feeds.example.org/p31.xml")
    fetch(feed, "P31-xss-text-fields-and-links", "feed.xml")
    feed.refresh_from_db()
    assert feed.title == "\"><img src=x onerror=alert('feed-title')>"
    assert feed.site_url == ""
    assert "script" not in feed.description
    hostile = Entry.objects.get(feed=feed, guid="t-1")
    assert hostile.title == "Share me <img src=x onerror=alert('entry-title')> & co"
    assert "Eve" in hostile.author and "<" not in hostile.author
    assert hostile.categories == ["news"]
    assert hostile.url == ""
    assert hostile.enclosures == []
    assert hostile.thumbnail_url == ""
    assert Entry.objects.get(feed=feed, guid="t-2").url == "https://feeds.example.org/p/2"


# --- behaviour of the store itself ----------------------------------------------
def _attr_values(fragment: str, name: str) -> list[str]:
    import re

    return re.findall(rf'\b{name}="([^"]*)"', fragment)


def _synthetic(count: int, *, body: str = "body") -> ParsedFeed:
    return ParsedFeed(
        title="Synthetic",
        entries=[
            ParsedEntry(
                guid=f"g{i}",
                url=f"https://example.org/{i}",
                title=f"Entry {i}",
                content_html=f"<p>{body} {i} <a href='/x'>x</a></p>",
                base_url="https://example.org/",
                published=NOW - dt.timedelta(hours=i),
            )
            for i in range(count)
        ],
    )


@requires_postgres  # SQLite splits bulk inserts by its bound-parameter limit
@pytest.mark.parametrize("count", [5, 100])
def test_a_refresh_costs_a_constant_number_of_queries(count, django_assert_max_num_queries):
    feed = make_feed()
    with django_assert_max_num_queries(6):
        first = store_parsed(feed=feed, parsed=_synthetic(count), now=NOW)
    assert first.new == count
    with django_assert_max_num_queries(4):
        changed = store_parsed(feed=feed, parsed=_synthetic(count, body="edited"), now=NOW)
    assert changed.updated == count
    with django_assert_max_num_queries(3):
        unchanged = store_parsed(feed=feed, parsed=_synthetic(count, body="edited"), now=NOW)
    assert unchanged.unchanged == count


def test_an_unchanged_refresh_writes_nothing():
    feed = make_feed()
    store_parsed(feed=feed, parsed=_synthetic(10), now=NOW)
    with CaptureQueriesContext(connection) as queries:
        result = store_parsed(feed=feed, parsed=_synthetic(10), now=NOW)
    assert result.unchanged == 10
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_a_changed_entry_is_updated_in_place_and_keeps_its_dates():
    feed = make_feed()
    store_parsed(feed=feed, parsed=_synthetic(2), now=NOW)
    before = Entry.objects.get(feed=feed, guid="g0")
    later = NOW + dt.timedelta(hours=2)
    store_parsed(feed=feed, parsed=_synthetic(2, body="<b>changed</b>"), now=later)
    after = Entry.objects.get(feed=feed, guid="g0")
    assert after.pk == before.pk
    assert "<b>changed</b>" in after.content
    assert (after.published_at, after.created_at) == (before.published_at, before.created_at)


def test_tombstoned_identities_do_not_come_back():
    feed = make_feed()
    store_parsed(feed=feed, parsed=_synthetic(3), now=NOW)
    pruned = Entry.objects.get(feed=feed, guid="g2")
    EntryTombstone.objects.create(feed=feed, identity_hash=pruned.identity_hash)
    pruned.delete()
    result = store_parsed(feed=feed, parsed=_synthetic(3), now=NOW)
    assert (result.new, result.unchanged, result.skipped) == (0, 2, 1)
    assert not Entry.objects.filter(feed=feed, guid="g2").exists()


def test_a_concurrent_insert_of_the_same_identity_is_ignored():
    feed = make_feed()
    parsed = _synthetic(2)
    store_parsed(feed=feed, parsed=_synthetic(1), now=NOW)
    # Another worker stored g1 between our lookup and our insert: simulate by
    # storing it first under the same identity, then replaying a stale plan.
    from feeds.pipeline import store as store_module

    plan = store_module._plan(feed, parsed.entries, NOW)
    store_parsed(feed=feed, parsed=parsed, now=NOW)
    Entry.objects.bulk_create(plan.inserts, ignore_conflicts=True)
    assert Entry.objects.filter(feed=feed).count() == 2


def test_duplicate_items_of_one_document_are_stored_once():
    feed = make_feed()
    twin = ParsedEntry(title="Same", content_html="<p>same</p>", published=NOW)
    result = store_parsed(feed=feed, parsed=ParsedFeed(entries=[twin, twin]), now=NOW)
    assert (result.new, result.skipped) == (1, 1)


def test_feed_metadata_is_updated_when_it_changes():
    feed = make_feed()
    parsed = ParsedFeed(
        title="New name", site_url="https://example.org/", description="About", language="en"
    )
    store_parsed(feed=feed, parsed=parsed, now=NOW)
    feed.refresh_from_db()
    assert (feed.title, feed.site_url, feed.description, feed.language) == (
        "New name",
        "https://example.org/",
        "About",
        "en",
    )
    with CaptureQueriesContext(connection) as queries:
        store_parsed(feed=feed, parsed=parsed, now=NOW)
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_plain_text_content_is_linkified_and_escaped():
    feed = make_feed()
    entry = ParsedEntry(
        guid="t",
        content_html="See https://example.org/x <b>not bold</b>",
        content_is_text=True,
        base_url="https://example.org/",
    )
    store_parsed(feed=feed, parsed=ParsedFeed(entries=[entry]), now=NOW)
    content = Entry.objects.get(feed=feed).content
    assert '<a href="https://example.org/x"' in content
    assert "&lt;b&gt;not bold&lt;/b&gt;" in content


def test_the_raw_hash_ignores_nothing_that_is_stored():
    base = ParsedEntry(guid="g", title="t", content_html="c")
    variants = [
        ParsedEntry(guid="g", title="t2", content_html="c"),
        ParsedEntry(guid="g", title="t", content_html="c2"),
        ParsedEntry(guid="g", title="t", content_html="c", categories=["x"]),
        ParsedEntry(guid="g", title="t", content_html="c", updated=NOW),
    ]
    assert len({raw_hash(base), *(raw_hash(v) for v in variants)}) == 5


# --- P22 / P28 (stored) --------------------------------------------------------
def test_a_json_feed_refetch_creates_nothing_and_text_stays_text():
    """Case P22: JSON feed edge cases."""
    feed = make_feed("https://links.example.com/feed.json")
    kwargs = {"ctype": "application/feed+json"}
    assert fetch(feed, "P22-json-feed-edge-cases", "feed.json", **kwargs).new == 3
    again = fetch(feed, "P22-json-feed-edge-cases", "feed.json", **kwargs)
    assert (again.new, again.unchanged) == (0, 3)
    tide = Entry.objects.get(feed=feed, guid="43")
    assert tide.title == ""
    assert "&lt;b&gt;not bold&lt;/b&gt;" in tide.content and "<b>" not in tide.content
    assert tide.url == "https://links.example.com/2026/03/tide/"
    kites = Entry.objects.get(feed=feed, guid="42")
    assert kites.author == "R. Quill"
    assert 'src="https://links.example.com/2026/03/kites/kite.jpg"' in kites.content


def test_no_stored_field_carries_file_contents_from_an_entity():
    """Case P28: XML entity attacks."""
    feed = make_feed("https://recipes.example.com/feed")
    fetch(feed, "P28-xml-entity-attacks", "xxe-local-file.xml")
    feed.refresh_from_db()
    values = [feed.title, feed.description]
    for entry in Entry.objects.filter(feed=feed):
        values += [entry.title, entry.content, entry.summary, entry.author]
    assert not any("root:" in v for v in values)


def test_values_with_quotes_backslashes_placeholders_and_json_are_stored_as_given():
    """The entry INSERT sends its values apart from the statement (server-side binding on
    PostgreSQL): nothing in a value may be read as SQL, a placeholder or an escape."""
    feed = make_feed()
    tricky = 'it\'s a "quote" \\ back\\slash %s %(name)s $1 ?; -- DROP TABLE x; 100% {braces} é 猫'
    entry = ParsedEntry(
        guid=tricky,
        url="https://w.example.org/a?q=%27x%27&n=1",
        title=tricky,
        author=tricky,
        content_html=f"<p>{tricky}</p>",
        published=NOW - dt.timedelta(hours=1),
        enclosures=[{"url": "https://w.example.org/a.mp3", "type": tricky, "length": 3}],
        categories=[tricky, "plain"],
    )
    result = store_parsed(feed=feed, parsed=ParsedFeed(entries=[entry]), now=NOW)

    (stored,) = entries(feed)
    assert result.new_ids == (stored.pk,)
    assert (stored.guid, stored.title, stored.author) == (tricky, tricky, tricky)
    assert stored.categories == [tricky, "plain"]
    assert stored.enclosures[0]["type"] == tricky
    assert stored.published_at == NOW - dt.timedelta(hours=1)
    assert "DROP TABLE" in stored.content and "猫" in stored.content
