"""The Simplified Chinese catalogue is complete, and every template string is in it."""

from __future__ import annotations

import re
import socket

import polib
import pytest
from django.test import Client
from django.utils import translation

from tests.conftest import ROOT

PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# {% translate "..." %} / {% trans "..." %} with a literal, single- or double-quoted.
TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")


def test_every_catalogue_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_every_translate_tag_in_the_templates_has_a_catalogue_entry():
    known = {e.msgid for e in polib.pofile(str(PO))}
    absent, tags = set(), 0
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        for _, text in TAG.findall(template.read_text(encoding="utf-8")):
            tags += 1
            if text not in known:
                absent.add(f"{template.relative_to(ROOT)}: {text}")
    assert tags > 100, "the templates were not found"
    assert not absent, "run makemessages and translate: " + "; ".join(sorted(absent)[:10])


# --- Messages raised in Python ---------------------------------------------------------------
# Every error a subscribe, an OPML import and an API call can produce is shown in Chinese under
# zh-Hans: through the services (translation active), the pages (the Django test client with the
# language set) and the REST API (Accept-Language, and the user's saved preference).

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Three English words in a row: a sentence left untranslated (URLs and host names have no spaces).
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}[,;:]? [A-Za-z]{2,}[,;:]? [A-Za-z]{3,}\b")


# A library's own diagnostic (libxml2, the OS), quoted verbatim inside a translated sentence.
QUOTED = re.compile(r"“[^”]*”")


def assert_chinese(text: str) -> None:
    """``text`` is a Chinese sentence (CJK characters, no run of English words outside the
    quoted diagnostic of a library)."""
    assert CHINESE.search(text), text
    assert not ENGLISH_RUN.search(QUOTED.sub("", text)), text


def _refused_lookup():
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def error_sites(feed_server, settings):
    """Addresses that fail each way a subscribe can fail, by name (``feed_server`` routes)."""
    feed_server.configure(settings, extra_hosts=("nowhere.example.org",))
    settings.FETCH_TEST_HOST_MAP = {
        **settings.FETCH_TEST_HOST_MAP,
        "nowhere.example.org": _refused_lookup,
    }
    rss = '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title></channel></rss>'
    link = '<link rel="alternate" type="application/rss+xml" href="{}">'
    feed_server.add_route("/feed.xml", body=rss, headers={"Content-Type": "application/rss+xml"})
    feed_server.add_route("/b.xml", body=rss, headers={"Content-Type": "application/rss+xml"})
    feed_server.add_route(
        "/two.html",
        body=f"<html><head>{link.format('/feed.xml')}{link.format('/b.xml')}</head></html>",
        headers={"Content-Type": "text/html"},
    )
    feed_server.add_route(
        "/page.html",
        body="<html><head></head><body>no feed</body></html>",
        headers={"Content-Type": "text/html"},
    )
    feed_server.add_route("/missing.xml", status=404)
    feed_server.add_route("/busy.xml", status=429, headers={"Retry-After": "3600"})
    feed_server.add_route("/down.xml", status=503)
    feed_server.add_route("/forbidden.xml", status=403)
    feed_server.add_route("/removed.xml", status=410)
    return {
        "bad_url": "ftp://feeds.example.org/feed.xml",
        "no_host": "http://",
        "private_address": "http://127.0.0.1/feed.xml",
        "private_network": "http://10.1.2.3/feed.xml",
        "unreachable_host": "http://nowhere.example.org/feed.xml",
        "connection_refused": "http://feeds.example.org:1/feed.xml",
        "no_feed_found": feed_server.url("/page.html"),
        "several_feeds": feed_server.url("/two.html"),
        "http_error": feed_server.url("/missing.xml"),
        "forbidden": feed_server.url("/forbidden.xml"),
        "gone": feed_server.url("/removed.xml"),
        "retry_after_wait": feed_server.url("/busy.xml"),
        "service_unavailable": feed_server.url("/down.xml"),
    }


SUBSCRIBE_FAILURES = [
    "bad_url",
    "no_host",
    "private_address",
    "private_network",
    "unreachable_host",
    "connection_refused",
    "no_feed_found",
    "several_feeds",
    "http_error",
    "forbidden",
    "gone",
]
# A 429/503 with Retry-After is no longer a subscribe error: the subscription is saved and
# waits for the host (tests/feeds/test_first_fetch.py); its wait message is translated too.


@pytest.mark.django_db
@pytest.mark.parametrize("failure", SUBSCRIBE_FAILURES)
def test_every_subscribe_error_is_chinese_in_the_service_the_page_and_the_api(
    failure, error_sites, alice
):
    """Subscribe errors (front door, fetch guard, discovery, fetch failures) under zh-Hans."""
    from reader import services
    from reader.errors import ReaderError
    from reader.models import Subscription
    from tests.api.conftest import ApiClient

    url = error_sites[failure]
    with translation.override("zh-hans"), pytest.raises(ReaderError) as caught:
        services.subscription_create(user=alice, url=url)
    assert_chinese(caught.value.message)

    # The page, language from the browser.
    page = Client(headers={"Accept-Language": "zh-Hans"})
    page.force_login(alice)
    html = page.post("/subscriptions/", {"url": url}).content.decode()
    shown = re.findall(r'<p class="message message-error"[^>]*>([^<]+)</p>', html)
    if failure == "several_feeds":  # the page lists the feeds to choose from instead
        assert "/feed.xml" in html and "/b.xml" in html
    else:
        assert shown, html[:2000]
        for message in shown:
            assert_chinese(message)

    # The API: Accept-Language, then the user's saved preference without it.
    api = ApiClient(alice, "token")
    by_header = api.post(
        "/api/v1/subscriptions/", {"url": url}, headers={"Accept-Language": "zh-Hans"}
    )
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    by_preference = api.post("/api/v1/subscriptions/", {"url": url})
    for response in (by_header, by_preference):
        body = response.json()
        assert response.status_code == 400, body
        assert body["code"] in {
            "invalid_url",
            "feed_not_found",
            "feed_unreachable",
            "discovery_choice",
        }
        assert_chinese(body["detail"])
        for messages in body["errors"].values():
            for message in messages:
                assert_chinese(message)
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_subscribe_errors_keep_their_english_wording_and_code_without_a_language(
    error_sites, alice
):
    """No preference and no Accept-Language: the same codes, in English."""
    from tests.api.conftest import ApiClient

    body = (
        ApiClient(alice, "token")
        .post("/api/v1/subscriptions/", {"url": error_sites["private_address"]})
        .json()
    )
    assert body["code"] == "invalid_url"
    assert body["detail"] == (
        "The address 127.0.0.1 is not allowed: it points to a private, local or reserved network."
    )


@pytest.mark.django_db
def test_the_directory_subscribe_error_is_chinese(error_sites, alice):
    """A directory source whose feed is refused: page and API say so in Chinese."""
    from feeds.models import Source
    from tests.api.conftest import ApiClient

    source = Source.objects.create(title="Bad", feed_url="http://10.1.2.3/feed.xml")
    page = Client(headers={"Accept-Language": "zh-Hans"})
    page.force_login(alice)
    response = page.post("/directory/subscribe/", {"source_id": source.pk}, follow=True)
    shown = re.findall(
        r'<p class="message message-error"[^>]*>([^<]+)</p>', response.content.decode()
    )
    assert shown
    assert_chinese(shown[0])
    api = ApiClient(alice, "token")
    body = api.post(
        f"/api/v1/directory/{source.pk}/subscribe/", {}, headers={"Accept-Language": "zh-Hans"}
    ).json()
    assert body["code"] == "invalid_url"
    assert_chinese(body["detail"])


OPML_FEED = '<outline type="rss" text="{0}" xmlUrl="{0}"/>'


def _opml(*outlines: str, broken: bool = False) -> bytes:
    body = "".join(outlines)
    tail = "<outline text='unclosed'>" if broken else ""
    return f'<?xml version="1.0"?><opml version="2.0"><body>{body}{tail}</body></opml>'.encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,where",
    [
        (b"", "error"),
        (b"this is not xml at all", "error"),
        (b"<html><body>a web page</body></html>", "error"),
        (b" " * (5 * 1024 * 1024 + 1), "error"),
        (_opml(), "warning"),
        (_opml(OPML_FEED.format("https://feeds.example.org/a.xml"), broken=True), "warning"),
        (_opml(OPML_FEED.format("/relative/feed.xml")), "failure"),
        (_opml(OPML_FEED.format("ftp://feeds.example.org/a.xml")), "failure"),
        (_opml(OPML_FEED.format("http://192.168.1.1/feed.xml")), "failure"),
    ],
    ids=[
        "empty_file",
        "not_xml",
        "not_opml",
        "too_large",
        "no_feeds",
        "not_well_formed",
        "relative_url",
        "not_http",
        "private_address",
    ],
)
def test_every_opml_import_error_is_chinese(data, where, alice, settings):
    """OPML errors: refused files (page and API), warnings and per-feed failure reasons (API;
    the failures are written by the worker in the user's language)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reader.models import ImportJob
    from reader.opml import opml_import_run
    from tests.api.conftest import ApiClient

    settings.CELERY_TASK_ALWAYS_EAGER = False
    api = ApiClient(alice, "token")
    upload = SimpleUploadedFile("feeds.opml", data, content_type="text/x-opml")
    response = api.client.post(
        "/api/v1/opml/import/",
        {"file": upload},
        headers={**api.headers, "Accept-Language": "zh-Hans"},
    )
    body = response.json()
    if where == "error":
        assert response.status_code in (400, 413), body
        assert body["code"] in {"opml_invalid", "opml_too_large", "payload_too_large"}
        assert_chinese(body["detail"])
        page = Client(headers={"Accept-Language": "zh-Hans"})
        page.force_login(alice)
        upload = SimpleUploadedFile("feeds.opml", data, content_type="text/x-opml")
        shown = page.post("/settings/import/", {"file": upload}, follow=True).content.decode()
        messages = re.findall(r'<p class="message message-error"[^>]*>([^<]+)</p>', shown)
        assert messages
        assert_chinese(messages[0])
        return
    assert response.status_code == 202, body
    if where == "warning":
        assert_chinese(body["warning"])
        return
    alice.language = "zh-hans"  # the worker has no request: the user's preference decides
    alice.save(update_fields=["language"])
    job = opml_import_run(job_id=ImportJob.objects.get(user=alice).pk)
    assert job.failures
    for failure in job.failures:
        assert_chinese(failure["reason"])
    shown = api.get(f"/api/v1/opml/import/{job.pk}/").json()
    assert_chinese(shown["failures"][0]["reason"])


API_ERRORS = [
    "validation",
    "not_found",
    "unknown_path",
    "bad_json",
    "throttled",
    "no_credentials",
    "bad_token",
    "service_validation",
]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["accept_language", "preference"])
@pytest.mark.parametrize("error", API_ERRORS)
def test_every_api_error_has_a_stable_code_and_a_chinese_detail(error, how, alice, settings):
    """REST errors: the machine ``code`` is the same in every language; ``detail`` and field
    messages follow Accept-Language or, for a signed-in user, the saved preference."""
    from django.core.cache import cache

    from tests.api.conftest import ApiClient

    cache.clear()
    if how == "preference":
        alice.language = "zh-hans"
        alice.save(update_fields=["language"])
        headers = {"Accept-Language": "en"}
    else:
        headers = {"Accept-Language": "zh-Hans"}
    api = ApiClient(alice, "token")
    anonymous = Client()
    expected = {
        "validation": (400, "invalid"),
        "service_validation": (400, "invalid"),
        "not_found": (404, "not_found"),
        "unknown_path": (404, "not_found"),
        "bad_json": (400, "parse_error"),
        "throttled": (429, "throttled"),
        "no_credentials": (401, "not_authenticated"),
        "bad_token": (401, "authentication_failed"),
    }[error]
    if error in ("no_credentials", "bad_token") and how == "preference":
        pytest.skip("no user is known without valid credentials: Accept-Language decides")
    if error == "validation":
        response = api.post("/api/v1/subscriptions/", {}, headers=headers)
    elif error == "service_validation":
        response = api.post("/api/v1/categories/", {"title": "   "}, headers=headers)
    elif error == "not_found":
        response = api.get("/api/v1/subscriptions/999999/", headers=headers)
    elif error == "unknown_path":
        response = api.get("/api/v1/no-such-thing/", headers=headers)
    elif error == "bad_json":
        response = api.client.post(
            "/api/v1/categories/",
            "{not json",
            content_type="application/json",
            headers={**api.headers, **headers},
        )
    elif error == "throttled":
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "api_write": "1/hour",
            },
        }
        api.post("/api/v1/categories/", {"title": "One"}, headers=headers)
        response = api.post("/api/v1/categories/", {"title": "Two"}, headers=headers)
    elif error == "no_credentials":
        response = anonymous.get("/api/v1/subscriptions/", headers=headers)
    else:
        response = anonymous.get(
            "/api/v1/subscriptions/", headers={**headers, "Authorization": "Bearer nope"}
        )
    body = response.json()
    assert (response.status_code, body["code"]) == expected, body
    if error == "unknown_path" and how == "preference":
        return  # no view authenticates an unknown path: only Accept-Language applies
    assert_chinese(body["detail"])
    for messages in body["errors"].values():
        for message in messages:
            assert_chinese(message)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind,status,disabled",
    [
        ("dns", None, False),
        ("blocked", None, False),
        ("http", 500, False),
        ("rate_limited", 429, False),
        ("parse", 200, False),
        ("error", None, False),
        ("gone", 410, True),
        ("timeout", None, True),
    ],
)
def test_a_feeds_recorded_failure_is_shown_in_chinese_on_the_pages(kind, status, disabled, alice):
    """Feed errors are recorded once for all subscribers (English record plus a stable kind) and
    worded at display time: the subscriptions page and the reader's sidebar show Chinese."""
    from feeds.models import Feed
    from tests.factories import FeedFactory, SubscriptionFactory

    feed = FeedFactory(url="https://feeds.example.org/failing.xml", title="Failing")
    Feed.objects.filter(pk=feed.pk).update(
        last_error="The host name feeds.example.org could not be resolved.",
        last_error_kind=kind,
        last_status=status,
        error_count=3,
        disabled=disabled,
        auto_disabled=disabled,
        disabled_reason="Every fetch failed for 30 days; Tidings stopped fetching it."
        if disabled
        else "",
    )
    SubscriptionFactory(user=alice, feed=feed)
    page = Client(headers={"Accept-Language": "zh-Hans"})
    page.force_login(alice)
    html = page.get("/subscriptions/").content.decode()
    shown = re.findall(r'<div class="status-error"[^>]*>([^<]+)</div>', html)
    assert shown, html[:3000]
    for text in shown:
        assert_chinese(text.replace("⚠", ""))
    sidebar = page.get("/reader/?show=all").content.decode()
    titles = re.findall(r'class="side-sub[^"]*has-error[^"]*"><a [^>]*title="([^"]+)"', sidebar)
    assert titles, sidebar[:3000]
    assert_chinese(titles[0])
    if disabled:
        stopped = re.findall(r'<span class="small status-error" title="([^"]+)"', sidebar)
        assert stopped
        assert_chinese(stopped[0])


def test_relative_times_in_chinese_count_months_as_spans():
    from datetime import timedelta

    from django.contrib.humanize.templatetags.humanize import naturaltime
    from django.utils import timezone

    with translation.override("zh-hans"):
        shown = naturaltime(timezone.now() - timedelta(days=460))
    assert "个月" in shown and shown.endswith("前"), shown
