"""OPML import (P23, P35, corpus files, malformed input, limits), export and round trip."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from lxml import etree

from feeds.models import Feed
from feeds.pipeline.fetch import FetchError, check_url
from reader import selectors, services
from reader.errors import OpmlInvalid, OpmlTooLarge
from reader.models import Category, ImportJob, Subscription
from reader.opml import MAX_BYTES
from reader.tasks import import_opml
from tests.conftest import SHARED, shared_path
from tests.reader.factories import CategoryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def run_import(user, data: bytes) -> ImportJob:
    job = services.opml_import_start(user=user, data=data, filename="test.opml", enqueue=False)
    return services.opml_import_run(job_id=job.pk)


def folders(user) -> dict[str, str]:
    """{feed url: folder title or ""} of the user's subscriptions."""
    subs = Subscription.objects.filter(user=user).select_related("feed", "category")
    return {s.feed.url: s.category.title if s.category else "" for s in subs}


def opml(*outlines: str) -> bytes:
    body = "\n".join(outlines)
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'.encode()


def test_an_opml_with_nested_folders_duplicates_and_existing_subscriptions(alice):
    """Case P23: OPML nested and duplicates."""
    SubscriptionFactory(user=alice, feed=FeedFactory(url="https://feeds.example.org/new.xml"))
    data = shared_path("cases", "P23-opml-nested-and-duplicates", "subscriptions.opml").read_bytes()
    job = run_import(alice, data)
    assert (job.status, job.created_count, job.skipped_count, job.failures) == ("done", 5, 2, [])
    assert (job.processed, job.total) == (7, 7)
    expected = {
        "https://zines.example.org/rss": "Art / Zines",
        "https://gallery.example.com/feed.xml": "Art",
        "https://news.example.org/gazette.xml": "News",
        "https://chips.example.net/atom": "Tech / News",
        "https://solo.example.com/index.xml": "Personal",
        "https://feeds.example.org/new.xml": "",
    }
    assert folders(alice) == expected
    titles = sorted(Category.objects.filter(user=alice).values_list("title", flat=True))
    assert titles == ["Art", "Art / Zines", "News", "Personal", "Tech / News"]
    assert job.categories == titles
    zines = Subscription.objects.get(user=alice, feed__url="https://zines.example.org/rss")
    assert zines.title == "Paper Cuts"

    again = run_import(alice, data)
    assert (again.created_count, again.skipped_count) == (0, 7)
    assert folders(alice) == expected
    assert Category.objects.filter(user=alice).count() == 5


def test_opml_entities_never_expand_and_one_subscription_is_created(alice):
    """Case P35: OPML XXE upload."""
    data = shared_path("cases", "P35-opml-xxe-upload", "xxe.opml").read_bytes()
    job = run_import(alice, data)
    assert job.created_count == 1
    assert list(Subscription.objects.filter(user=alice).values_list("feed__url", flat=True)) == [
        "https://feeds.example.org/new.xml"
    ]
    shown = [job.warning, job.error, json.dumps(job.failures), *job.categories]
    shown += [s.title for s in Subscription.objects.filter(user=alice)]
    shown += list(Category.objects.filter(user=alice).values_list("title", flat=True))
    assert not any("root:" in text for text in shown)


def test_a_billion_laughs_file_does_not_expand(alice):
    levels = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    ]
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [{"".join(levels)}]><opml version="2.0"><body>'
        '<outline text="&l9;" title="&l9;" xmlUrl="https://a.example.org/feed"/></body></opml>'
    ).encode()
    job = run_import(alice, data)
    sub = Subscription.objects.get(user=alice)
    assert (job.created_count, sub.title) == (1, "")


def test_files_over_5_mib_are_refused_before_parsing(alice):
    with pytest.raises(OpmlTooLarge):
        services.opml_import_start(user=alice, data=b"<" * (20 * 1024 * 1024))
    with pytest.raises(OpmlTooLarge):
        services.opml_import_start(user=alice, data=b" " * (MAX_BYTES + 1))
    assert not ImportJob.objects.exists()


def test_fifty_thousand_outlines_are_refused_with_a_clear_limit(alice):
    outline = '<outline xmlUrl="https://f.example.org/{}"/>'
    data = opml(*(outline.format(i) for i in range(50_000)))
    assert len(data) < MAX_BYTES
    with pytest.raises(OpmlTooLarge, match="more than 10,000 feeds"):
        services.opml_import_start(user=alice, data=data)


def test_a_broken_file_is_recovered_and_the_line_is_reported(alice):
    data = (
        b'<?xml version="1.0"?>\n<opml version="2.0"><body>\n'
        b'<outline text="A" xmlUrl="https://a.example.org/feed"/>\n'
        b'<outline text="B & C" xmlUrl="https://b.example.org/feed"/>\n'
        b'<outline text="D" xmlUrl="https://d.example.org/feed">\n'
    )
    job = run_import(alice, data)
    assert job.created_count == 3
    assert "line 4" in job.warning


def test_an_unreadable_file_is_refused_with_its_line(alice):
    with pytest.raises(OpmlInvalid) as caught:
        services.opml_import_start(user=alice, data=b"\n\nthis is not xml at all")
    assert caught.value.line == 3
    with pytest.raises(OpmlInvalid):
        services.opml_import_start(user=alice, data=b"<html><body>hi</body></html>")


def test_bad_and_blocked_urls_are_listed_as_failures_with_reasons(alice):
    data = opml(
        '<outline text="ok" xmlUrl="https://ok.example.org/feed"/>',
        '<outline text="js" xmlUrl="javascript:alert(1)"/>',
        '<outline text="ftp" xmlUrl="ftp://files.example.org/feed"/>',
        '<outline text="local" xmlUrl="http://127.0.0.1:8000/admin/"/>',
    )
    job = run_import(alice, data)
    assert job.created_count == 1
    assert [f["url"] for f in job.failures] == [
        "javascript:alert(1)",
        "ftp://files.example.org/feed",
        "http://127.0.0.1:8000/admin/",
    ]
    assert all(f["reason"] for f in job.failures)


def test_export_is_opml_2_with_folders_and_titles_and_round_trips(alice, bob):
    tech = CategoryFactory(user=alice, title="Tech / News")
    SubscriptionFactory(user=alice, category=tech, title="My & title <3>")
    SubscriptionFactory(user=alice, feed=FeedFactory(title="Feed's own"))
    SubscriptionFactory(user=alice, category=CategoryFactory(user=alice, title="Art"))
    text = services.opml_export(user=alice)
    root = etree.fromstring(text.encode())
    assert root.get("version") == "2.0"
    assert root.find("head/title") is not None and root.find("body") is not None
    job = run_import(bob, text.encode())
    assert (job.created_count, job.failures) == (3, [])

    def state(user):
        return sorted(
            (s.feed.url, s.category.title if s.category else "", s.title or s.feed.title)
            for s in selectors.subscription_list(user=user)
        )

    assert state(bob) == state(alice)
    again = run_import(bob, services.opml_export(user=bob).encode())
    assert again.created_count == 0 and state(bob) == state(alice)


def _cleaned(url: str) -> str:
    """The URL as the fetcher cleans it (``http://a.org`` and ``http://a.org/`` are one feed)."""
    try:
        return check_url(url.strip(), resolve=False)
    except FetchError:
        return url.strip()


def _corpus_files():
    folder = SHARED / "corpus" / "opml"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else ["(absent)"]


@pytest.mark.parametrize("name", _corpus_files())
def test_every_corpus_opml_file_imports(alice, name):
    path = shared_path("corpus", "opml", name)
    data = path.read_bytes()
    urls = re.findall(rb"""xmlUrl\s*=\s*["']([^"']+)["']""", data, flags=re.IGNORECASE)
    unique = {_cleaned(u.decode("latin-1")) for u in urls}
    job = run_import(alice, data)
    assert job.status == "done", job.error
    assert job.total == len(urls)
    assert job.created_count + len(job.failures) == len(unique)
    assert job.skipped_count == len(urls) - len(unique)
    assert Subscription.objects.filter(user=alice).count() == job.created_count
    assert len(job.failures) <= len(unique) // 20, job.failures  # a few dead/odd URLs at most
    if "nested" in name:
        assert Category.objects.filter(user=alice).count() > 1
    if "no-feeds" in name or "rome" in name:
        assert job.created_count == 0


def test_the_import_task_runs_a_queued_job(alice):
    data = opml('<outline text="A" xmlUrl="https://a.example.org/feed"/>')
    job = services.opml_import_start(user=alice, data=data, enqueue=False)
    assert job.status == "pending"
    import_opml.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.processed, job.total, job.created_count) == ("done", 1, 1, 1)
    assert selectors.import_job_get(user=alice, job_id=job.pk).pk == job.pk


def test_the_import_opml_command_prints_a_json_summary(alice, tmp_path):
    SubscriptionFactory(user=alice, feed=FeedFactory(url="https://feeds.example.org/new.xml"))
    path = shared_path("cases", "P23-opml-nested-and-duplicates", "subscriptions.opml")
    out = io.StringIO()
    call_command("import_opml", str(path), "--user", "alice", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["created"] == 5 and summary["skipped"] == 2 and summary["failed"] == []
    assert summary["categories"] == ["Art", "Art / Zines", "News", "Personal", "Tech / News"]
    out = io.StringIO()
    call_command("import_opml", str(path), "--user", "alice", stdout=out)
    assert "0 created, 7 skipped" in out.getvalue()


def test_a_file_without_feeds_imports_nothing_and_says_so(alice):
    job = services.opml_import_start(
        user=alice, data=opml('<outline text="Just a folder"/>'), enqueue=False
    )
    assert (job.total, job.warning) == (0, "This file lists no feeds.")


def test_a_relative_xml_url_fails_with_a_reason_instead_of_becoming_a_host(alice):
    data = opml('<outline text="Rel" xmlUrl="/relative/feed.xml"/>')
    job = run_import(alice, data)
    assert job.created_count == 0
    assert [f["url"] for f in job.failures] == ["/relative/feed.xml"]
    assert "not a full web address" in job.failures[0]["reason"]
    assert not Feed.objects.filter(url__contains="relative").exists()
