"""OPML that is not well-formed XML loses nothing: values kept as written, every outline
reported, feed: URLs, first-fetch results in the summary, on the REST job and the page."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from django.utils import timezone, translation

from feeds.models import Feed
from reader import services
from reader.errors import OpmlInvalid, OpmlTooLarge
from reader.models import Category, ImportJob, Subscription
from reader.opml import MAX_BYTES, feed_scheme_to_web, import_job_summary, parse_opml
from reader.opml_scanner import decode_references, scan_tags
from tests.api.conftest import ApiClient
from tests.conftest import SHARED, shared_path
from tests.reader.factories import FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

MESSY = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head><title>Exported by a reader that does not escape</title></head>
<body>
<outline text="Food & Drink" title="Food & Drink">
  <outline type="rss" text="Query" xmlUrl="https://q.example.org/feed?a=1&b=2"/>
  <outline type="rss" text="Legacy names" xmlUrl="https://n.example.org/rss?x=1&not=2&copy=3"/>
  <outline text="Local">
    <outline type="rss" text="Described"
      description="Read <a href="https://x.example.org/">this</a> first" xmlUrl="https://d.example.org/rss"/>
    <outline type="rss" text="Bold" description='<b>bold</b> & <i>italic</i>' xmlUrl="https://b.example.org/rss"/>
  </outline>
  <outline type="link" text="A web page" url="https://page.example.org/"/>
</outline>
<outline text="Podcasts">
  <outline type="rss" text="Feed scheme" xmlUrl="feed://p.example.org/podcast.xml"/>
  <outline type="rss" text="Feed https" xmlUrl="feed:https://s.example.org/podcast.xml"/>
  <outline type="rss" text="Again" xmlUrl="https://q.example.org/feed?a=1&b=2"/>
</outline>
<outline text="Nothing here"><outline text="Just a note"/></outline>
<outline text="Caf&eacute; &amp; more" xmlUrl="https://c.example.org/feed?id=7&amp;lang=fr"/>
<outline text="Old ftp" xmlUrl="ftp://files.example.org/feed"/>
</body>
</opml>
"""

EXPECTED_FEEDS = {
    "https://q.example.org/feed?a=1&b=2": "Food & Drink",
    "https://n.example.org/rss?x=1&not=2&copy=3": "Food & Drink",
    "https://d.example.org/rss": "Food & Drink / Local",
    "https://b.example.org/rss": "Food & Drink / Local",
    "http://p.example.org/podcast.xml": "Podcasts",
    "https://s.example.org/podcast.xml": "Podcasts",
    "https://c.example.org/feed?id=7&lang=fr": "",
}


def run_import(user, data: bytes) -> ImportJob:
    job = services.opml_import_start(user=user, data=data, filename="messy.opml", enqueue=False)
    return services.opml_import_run(job_id=job.pk)


def folders(user) -> dict[str, str]:
    subs = Subscription.objects.filter(user=user).select_related("feed", "category")
    return {s.feed.url: s.category.title if s.category else "" for s in subs}


def test_a_messy_opml_imports_every_feed_url_unaltered_and_reports_every_outline(alice):
    """Bare ampersands, a tag inside an attribute, feed: URLs, non-feed outlines, nesting."""
    job = run_import(alice, MESSY)
    assert job.status == "done", job.error
    assert "line 5" in job.warning  # the first bare "&", where XML parsing broke
    assert folders(alice) == EXPECTED_FEEDS
    assert sorted(Category.objects.filter(user=alice).values_list("title", flat=True)) == [
        "Food & Drink",
        "Food & Drink / Local",
        "Podcasts",
    ]
    titles = dict(Subscription.objects.filter(user=alice).values_list("feed__url", "title"))
    assert titles["https://c.example.org/feed?id=7&lang=fr"] == "Café & more"
    assert (job.total, job.processed, job.created_count, job.skipped_count) == (9, 9, 7, 1)
    assert job.failures == [
        {"url": "ftp://files.example.org/feed", "reason": job.failures[0]["reason"]}
    ]

    report = job.report
    assert len(report) == MESSY.count(b"<outline")
    assert [e["line"] for e in report] == sorted(e["line"] for e in report)
    by_title = {e["title"]: e for e in report}
    assert by_title["Food & Drink"]["status"] == "folder"
    assert by_title["Local"]["folder"] == "Food & Drink / Local"
    assert by_title["A web page"]["status"] == "skipped"
    assert by_title["A web page"]["reason_code"] == "no_feed_url"
    assert by_title["A web page"]["url"] == "https://page.example.org/"
    assert by_title["Just a note"]["reason_code"] == "no_feed_url"
    assert by_title["Nothing here"]["reason_code"] == "empty_folder"
    assert (by_title["Again"]["status"], by_title["Again"]["reason_code"]) == (
        "skipped",
        "duplicate",
    )
    assert by_title["Old ftp"]["status"] == "failed" and by_title["Old ftp"]["reason"]
    assert by_title["Feed scheme"]["url"] == "http://p.example.org/podcast.xml"
    assert by_title["Feed scheme"]["written_url"] == "feed://p.example.org/podcast.xml"
    assert by_title["Described"]["line"] == 9
    assert all(e["reason"] for e in report if e["status"] in ("skipped", "failed"))
    added = [e for e in report if e["status"] == "added"]
    assert {e["url"] for e in added} == set(EXPECTED_FEEDS)
    assert all(Feed.objects.filter(pk=e["feed_id"], url=e["url"]).exists() for e in added)


def test_one_unescaped_tag_in_a_description_does_not_end_the_file(alice):
    """50 intact feeds and one description holding a raw <a href="...">: all 50 imported."""
    outlines = [
        f'<outline type="rss" text="F{n}" xmlUrl="https://f{n}.example.org/rss?p=1&amp;q={n}"/>'
        for n in range(50)
    ]
    outlines[20] = outlines[20].replace(
        "/>", ' description="See <a href="https://f.example.org/about">about</a>."/>'
    )
    data = ("<opml version='2.0'><body>\n" + "\n".join(outlines) + "\n</body></opml>").encode()
    job = run_import(alice, data)
    assert "line" in job.warning
    assert job.created_count == 50
    urls = set(Subscription.objects.filter(user=alice).values_list("feed__url", flat=True))
    assert urls == {f"https://f{n}.example.org/rss?p=1&q={n}" for n in range(50)}


def test_a_feed_already_followed_is_reported_as_such(alice):
    SubscriptionFactory(user=alice, feed=FeedFactory(url="https://q.example.org/feed?a=1&b=2"))
    job = run_import(alice, MESSY)
    statuses = {e["title"]: e["status"] for e in job.report}
    assert (statuses["Query"], statuses["Again"]) == ("subscribed", "subscribed")
    summary = import_job_summary(job)
    assert (summary.subscribed, summary.added) == (2, 6)


def test_the_summary_counts_first_fetches_that_failed_once_they_finish(alice):
    job = run_import(alice, MESSY)
    summary = import_job_summary(job)
    # Nothing fetched yet: every added feed waits for its first fetch.
    assert (summary.added, summary.fetch_pending, summary.fetch_failed) == (7, 7, 0)
    assert summary.failed == 1  # the ftp: outline
    assert summary.skipped == 4  # the duplicate, two outlines without xmlUrl, the empty folder
    now = timezone.now()
    Feed.objects.filter(url="https://d.example.org/rss").update(
        last_fetched_at=now, last_error="The server answered 404 Not Found.", error_count=1
    )
    Feed.objects.filter(url="https://b.example.org/rss").update(
        last_fetched_at=now, last_success_at=now
    )
    summary = import_job_summary(job)
    assert (summary.added, summary.fetch_pending, summary.fetch_failed) == (6, 5, 1)
    assert summary.failed == 2
    failed = [o for o in summary.outlines if o["status"] == "fetch_failed"]
    assert [(o["url"], o["reason"]) for o in failed] == [
        ("https://d.example.org/rss", "The server answered 404 Not Found.")
    ]
    fetched = {o["url"]: o.get("fetch") for o in summary.outlines if "feed_id" in o}
    assert fetched["https://b.example.org/rss"] == "ok"
    assert fetched["https://q.example.org/feed?a=1&b=2"] == "pending"
    assert {o["title"] for o in summary.problems} >= {"Described", "Old ftp", "A web page"}


def test_a_failed_first_fetch_is_reported_in_the_users_words_not_the_english_record(alice):
    # The worker records a fetch failure once, in English, with a kind; the report words the
    # kind in the reader's language, as the subscriptions page does.
    job = run_import(alice, MESSY)
    now = timezone.now()
    Feed.objects.filter(url="https://d.example.org/rss").update(
        last_fetched_at=now,
        last_error="Could not connect to d.example.org: connection refused.",
        last_error_kind="connect",
        error_count=1,
    )
    Feed.objects.filter(url="https://b.example.org/rss").update(
        last_fetched_at=now,
        last_error="HTTP 404 Not Found: the server answered with an error.",
        last_error_kind="http",
        last_status=404,
        error_count=1,
    )
    with translation.override("zh-hans"):
        summary = import_job_summary(job)
    reasons = {o["url"]: o["reason"] for o in summary.outlines if o["status"] == "fetch_failed"}
    assert reasons == {
        "https://d.example.org/rss": "Tidings 无法连接到该网站。",
        "https://b.example.org/rss": "网站返回了错误。 (HTTP 404)",
    }
    with translation.override("en"):
        summary = import_job_summary(job)
    reasons = {o["url"]: o["reason"] for o in summary.outlines if o["status"] == "fetch_failed"}
    assert reasons["https://d.example.org/rss"] == "Tidings could not connect to the site."


def test_the_rest_job_carries_the_report_and_the_first_fetch_counts(alice):
    job = run_import(alice, MESSY)
    Feed.objects.filter(url="https://d.example.org/rss").update(
        last_fetched_at=timezone.now(), last_error="Connection refused."
    )
    body = ApiClient(alice, "token").get(f"/api/v1/opml/import/{job.pk}/").json()
    assert (body["created_count"], body["added_count"], body["fetch_failed_count"]) == (7, 6, 1)
    assert (body["fetch_pending_count"], body["failed_count"]) == (6, 2)
    assert (body["subscribed_count"], body["skipped_outline_count"]) == (0, 4)
    assert len(body["outlines"]) == MESSY.count(b"<outline")
    described = next(o for o in body["outlines"] if o.get("title") == "Described")
    assert (described["status"], described["reason"]) == ("fetch_failed", "Connection refused.")
    assert described["status_label"] == "first fetch failed"
    assert "line 5" in body["warning"]


def test_the_import_page_shows_the_warning_reasons_and_failed_first_fetches(alice, client):
    job = run_import(alice, MESSY)
    Feed.objects.filter(url="https://d.example.org/rss").update(
        last_fetched_at=timezone.now(), last_error="The server answered 404 Not Found."
    )
    client.force_login(alice)
    page = client.get("/settings/import/").content.decode()
    assert job.warning.replace("'", "&#x27;").replace('"', "&quot;") in page
    assert "9 of 9 feeds processed: 6 added, 0 already followed, 4 skipped, 2 failed." in page
    assert "6 added feeds are waiting for their first fetch." in page
    assert "The server answered 404 Not Found." in page
    assert "Not a feed: the outline has no feed address (xmlUrl)." in page
    assert "A folder without feeds." in page
    assert "Listed earlier in the file." in page
    assert job.failures[0]["reason"].replace("'", "&#x27;") in page
    assert page.count('<tr data-status="') == MESSY.count(b"<outline")


def test_the_import_page_speaks_the_users_language(alice, client):
    run_import(alice, MESSY)
    alice.language = "zh-hans"
    alice.save()
    client.force_login(alice)
    with translation.override("en"):  # the request activates Chinese; do not leak it
        page = client.get("/settings/import/", headers={"accept-language": "zh-hans"})
    text = page.content.decode()
    assert "Not a feed: the outline has no feed address (xmlUrl)." not in text
    assert "Listed earlier in the file." not in text
    assert "不是订阅源：该大纲没有订阅源地址（xmlUrl）。" in text
    assert "第 13 行" in text


def test_feed_scheme_urls_become_web_addresses():
    assert feed_scheme_to_web("feed://a.example.org/x") == "http://a.example.org/x"
    assert feed_scheme_to_web("FEED://a.example.org/x") == "http://a.example.org/x"
    assert feed_scheme_to_web("feed:https://a.example.org/x") == "https://a.example.org/x"
    assert feed_scheme_to_web("feed:http://a.example.org/x") == "http://a.example.org/x"
    assert feed_scheme_to_web("https://a.example.org/feed:x") == "https://a.example.org/feed:x"
    assert feed_scheme_to_web("feed:mailto:x") == "feed:mailto:x"


def test_references_are_decoded_only_when_complete():
    assert decode_references("a=1&b=2") == "a=1&b=2"
    assert decode_references("x=1&not=2&copy=3") == "x=1&not=2&copy=3"
    assert decode_references("Food & Drink") == "Food & Drink"
    assert decode_references("a&amp;b &#38; &#x26; &lt;&gt;&quot;&apos;") == "a&b & & <>\"'"
    assert decode_references("Caf&eacute;") == "Café"
    assert decode_references("&unknown; &#0; &#xD800;") == "&unknown; &#0; &#xD800;"
    assert decode_references("&xxe;&ok;", frozenset({"xxe"})) == "&ok;"


def test_the_scanner_keeps_nesting_self_closing_tags_and_lines():
    text = (
        '<opml>\n<body>\n<outline text="A">\n<outline text="B"/>\n'
        "<!-- <outline text='hidden'/> -->\n<outline text=C xmlUrl=https://c.example.org/>"
        "</outline></body></opml>"
    )
    tags = [t for t in scan_tags(text) if t.name == "outline"]
    assert [(t.attrs.get("text"), t.end, t.closed, t.line) for t in tags] == [
        ("A", False, False, 3),
        ("B", False, True, 4),
        ("C", False, False, 6),
        (None, True, False, 6),
    ]
    assert tags[2].attrs["xmlUrl"] == "https://c.example.org/"


def test_markup_with_attributes_inside_a_value_keeps_the_outline_together():
    data = (
        b'<opml version="2.0"><body>\n'
        b'<outline text="A" description="<a href="https://x.example.org/" title="t">x</a> '
        b'<br/>more" xmlUrl="https://a.example.org/rss?a&b"/>\n'
        b'<outline text="B"xmlUrl="https://b.example.org/rss"/>\n'
        b'<outline text="C" xmlUrl="https://c.example.org/rss">Some text</outline>\n'
        b"</body></opml>"
    )
    feeds = [f.url for f in parse_opml(data).feeds]
    assert feeds == [
        "https://a.example.org/rss?a&b",
        "https://b.example.org/rss",
        "https://c.example.org/rss",
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in (SHARED / "corpus" / "opml").iterdir()))
def test_the_scanner_reads_every_corpus_file_as_the_xml_parser_does(name):
    """Measured: on well-formed files the tolerant reading equals lxml's, outline by outline."""
    data = shared_path("corpus", "opml", name).read_bytes()
    by_xml = parse_opml(data)
    assert not by_xml.warning
    by_scanner = parse_opml(data.replace(b"</opml>", b"</opml><&"))  # not XML any more
    assert by_scanner.warning
    # lines aside: libxml2 gives the line where a multi-line start tag ends, the scanner
    # the line where it starts
    assert [replace(o, line=None) for o in by_scanner.outlines] == [
        replace(o, line=None) for o in by_xml.outlines
    ]


def test_an_unclosed_quote_does_not_swallow_the_next_outlines():
    data = (
        b'<opml version="2.0"><body>\n<outline text="Broken xmlUrl="https://a.example.org/"/>\n'
        b'<outline text="B & b" xmlUrl="https://b.example.org/rss"/>\n'
        b'<outline text="C" xmlUrl="https://c.example.org/rss"/>\n</body></opml>'
    )
    feeds = {f.url: f.title for f in parse_opml(data).feeds}
    assert feeds["https://b.example.org/rss"] == "B & b"
    assert feeds["https://c.example.org/rss"] == "C"


def test_a_hostile_file_of_quotes_is_refused_without_reading_it_all(alice):
    junk = b'<outline a="x"y"z"' * (MAX_BYTES // 20)
    data = b"<opml><body>" + junk + b"</body></opml>"
    assert len(data) < MAX_BYTES
    started = time.monotonic()
    with pytest.raises(OpmlTooLarge, match="more than 50,000 outlines"):
        services.opml_import_start(user=alice, data=data)
    assert time.monotonic() - started < 60  # linear: a few seconds on an idle machine


def test_a_latin1_file_that_is_not_xml_is_decoded_by_its_declaration():
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><opml><body>'
        '<outline text="Caf\xe9 & Th\xe9" xmlUrl="https://t.example.org/?a&b"/></body></opml>'
    ).encode("latin-1")
    (feed,) = parse_opml(data).feeds
    assert (feed.title, feed.url) == ("Café & Thé", "https://t.example.org/?a&b")


def test_only_well_formed_files_skip_the_scanner():
    well_formed = (
        b'<opml><body><outline text="A &amp; B" xmlUrl="https://a.example.org/"/></body></opml>'
    )
    parsed = parse_opml(well_formed)
    assert (parsed.warning, parsed.feeds[0].title) == ("", "A & B")
    assert re.search(r"line 1\b", parse_opml(well_formed.replace(b"&amp;", b"&")).warning)


def test_an_outline_cut_off_by_the_end_of_a_truncated_file_is_reported_not_subscribed(alice):
    """A file cut in the middle of an address subscribed to the cut address (a 404 at best)."""
    data = (
        b'<?xml version="1.0"?>\n<opml version="2.0"><body>\n'
        b'<outline type="rss" text="Whole" xmlUrl="https://w.example.org/feed.xml"/>\n'
        b'<outline type="rss" text="Cut" xmlUrl="https://c.example.org/fe'
    )
    job = run_import(alice, data)
    assert set(folders(alice)) == {"https://w.example.org/feed.xml"}
    cut = next(e for e in job.report if e.get("title") == "Cut")
    assert (cut["status"], cut["reason_code"], cut["line"]) == ("failed", "cut_off", 4)
    assert cut["url"] == "https://c.example.org/fe"
    summary = import_job_summary(job)
    assert (summary.added, summary.failed) == (1, 1)
    with translation.override("zh-hans"):
        summary = import_job_summary(job)
    reason = next(o["reason"] for o in summary.outlines if o.get("title") == "Cut")
    assert reason.startswith("文件在这个大纲中间结束")


@pytest.mark.parametrize(
    ("name", "step"), [("opml-rssguard-2.opml", 7), ("opml-netnewswire-subs-nested.opml", 101)]
)
def test_no_cut_of_a_corpus_file_yields_an_address_the_file_does_not_hold(name, step):
    """Property over cut points (every ``step``-th byte): each feed outline read from the
    truncated file either has an address of the whole file or is marked cut."""
    data = shared_path("corpus", "opml", name).read_bytes()
    whole = {f.url for f in parse_opml(data).feeds}
    assert whole
    for end in range(0, len(data), step):
        try:
            feeds = parse_opml(data[:end]).feeds
        except OpmlInvalid:  # cut before the opml element: refused as a whole
            continue
        for outline in feeds:
            assert outline.cut or outline.url in whole, (end, outline)
