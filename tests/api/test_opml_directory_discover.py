"""OPML import/export, the directory, discovery and "refresh now" through /api/v1/."""

from __future__ import annotations

import pytest

from feeds.models import Source, SourceCategory
from reader import services
from reader.models import Subscription
from tests.api.conftest import ApiClient, assert_error
from tests.api.seed import make_feed, seed_reader_data

pytestmark = pytest.mark.django_db

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="Tech">
    <outline type="rss" text="One" xmlUrl="https://one.tidings.invalid/feed.xml"/>
    <outline type="rss" text="Bad" xmlUrl="ftp://bad.tidings.invalid/feed"/>
  </outline>
  <outline type="rss" text="Two" xmlUrl="https://two.tidings.invalid/feed.xml"/>
</body></opml>"""


def test_an_opml_upload_starts_a_job_whose_progress_and_failures_can_be_read(api, alice):
    upload = {"file": ("subs.opml", OPML)}
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.client.post(
        "/api/v1/opml/import/",
        {"file": SimpleUploadedFile(*upload["file"], content_type="text/x-opml")},
        headers=api.headers,
    )
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["total"], job["filename"]) == ("pending", 3, "subs.opml")
    services.opml_import_run(job_id=job["id"])  # what the Celery worker does
    done = api.get(f"/api/v1/opml/import/{job['id']}/").json()
    assert (done["status"], done["processed"], done["progress"]) == ("done", 3, 1.0)
    assert done["created_count"] == 2
    assert [f["url"] for f in done["failures"]] == ["ftp://bad.tidings.invalid/feed"]
    assert [j["id"] for j in api.get("/api/v1/opml/import/").json()] == [job["id"]]
    exported = api.get("/api/v1/opml/export/")
    assert exported["Content-Type"].startswith("text/x-opml")
    assert "attachment" in exported["Content-Disposition"]
    assert b'xmlUrl="https://one.tidings.invalid/feed.xml"' in exported.content


def test_an_opml_document_may_be_the_raw_body(api):
    response = api.client.post(
        "/api/v1/opml/import/", OPML, content_type="text/x-opml", headers=api.headers
    )
    assert response.status_code == 202, response.content


def test_opml_over_5_mib_is_413_and_garbage_is_400(api):
    big = b"<opml>" + b" " * (5 * 1024 * 1024) + b"</opml>"
    raw = api.client.post(
        "/api/v1/opml/import/", big, content_type="application/xml", headers=api.headers
    )
    assert_error(raw, 413)
    from django.core.files.uploadedfile import SimpleUploadedFile

    multipart = api.client.post(
        "/api/v1/opml/import/", {"file": SimpleUploadedFile("big.opml", big)}, headers=api.headers
    )
    assert_error(multipart, 413)
    garbage = api.client.post(
        "/api/v1/opml/import/", b"\x00\x01 not xml", content_type="text/xml", headers=api.headers
    )
    assert assert_error(garbage, 400)["code"] == "opml_invalid"
    assert_error(api.post("/api/v1/opml/import/", {"nothing": 1}), 415)


@pytest.fixture
def source():
    category = SourceCategory.objects.create(slug="security", name_en="Security", position=1)
    feed = make_feed("https://sec.tidings.invalid/feed.xml", title="Sec", entries=2)
    return Source.objects.create(
        title="Sec Blog", feed_url=feed.url, category=category, featured=True, feed=feed
    )


def test_the_directory_lists_sources_by_category_and_subscribes_idempotently(api, alice, source):
    Source.objects.create(title="Hidden", feed_url="https://hidden.tidings.invalid/", active=False)
    listing = api.get("/api/v1/directory/").json()["categories"]
    assert [c["slug"] for c in listing] == ["security"]
    assert [s["title"] for s in listing[0]["sources"]] == ["Sec Blog"]
    assert listing[0]["sources"][0]["subscription_id"] is None
    first = api.post(f"/api/v1/directory/{source.pk}/subscribe/")
    assert first.status_code == 201, first.content
    again = api.post(f"/api/v1/directory/{source.pk}/subscribe/")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    listing = api.get("/api/v1/directory/", {"q": "sec"}).json()["categories"]
    assert listing[0]["sources"][0]["subscription_id"] == first.json()["id"]
    assert api.delete(f"/api/v1/directory/{source.pk}/subscribe/").status_code == 204
    assert not Subscription.objects.filter(user=alice).exists()
    assert api.delete(f"/api/v1/directory/{source.pk}/subscribe/").status_code == 404
    hidden = Source.objects.get(title="Hidden")
    assert api.post(f"/api/v1/directory/{hidden.pk}/subscribe/").status_code == 404


HTML_TWO_FEEDS = b"""<html><head>
<link rel="alternate" type="application/rss+xml" title="Posts" href="/posts.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.xml">
</head><body>hi</body></html>"""


def test_discovery_lists_candidates_and_subscribing_to_the_page_asks_to_choose(api, feed_server):
    feed_server.add_route("/", body=HTML_TWO_FEEDS, headers={"Content-Type": "text/html"})
    page = feed_server.url("/")
    found = api.post("/api/v1/discover/", {"url": page})
    assert found.status_code == 200, found.content
    urls = [c["url"] for c in found.json()["candidates"]]
    assert urls == [feed_server.url("/posts.xml"), feed_server.url("/comments.xml")]
    choice = assert_error(api.post("/api/v1/subscriptions/", {"url": page}), 400, "url")
    assert choice["code"] == "discovery_choice"
    assert [c["url"] for c in choice["candidates"]] == urls
    refused = assert_error(api.post("/api/v1/discover/", {"url": "http://127.0.0.1/"}), 400, "url")
    assert refused["code"] == "invalid_url"


def test_refresh_now_is_rate_limited_per_user_with_retry_after(alice, bob, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "api_refresh": "2/minute"},
    }
    sub = seed_reader_data(alice)["sub1"]
    api = ApiClient(alice, "token")
    for _ in range(2):
        response = api.post(f"/api/v1/subscriptions/{sub.pk}/refresh/")
        assert response.status_code == 200, response.content
        assert response.json()["outcome"] == "dns"
    throttled = assert_error(api.post(f"/api/v1/subscriptions/{sub.pk}/refresh/"), 429)
    assert throttled["code"] == "throttled"
    assert int(api.post(f"/api/v1/subscriptions/{sub.pk}/refresh/")["Retry-After"]) > 0
    other = seed_reader_data(bob, prefix="bob")["sub1"]
    assert (
        ApiClient(bob, "token").post(f"/api/v1/subscriptions/{other.pk}/refresh/").status_code
        == 200
    )
