"""Per-feed fetch options the admin sets (issue 11): User-Agent override, extra headers, ignore
cache headers — used by feed_refresh against the loopback server, validated in the admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from feeds.fetch_options import fetch_kwargs, validate_extra_headers
from feeds.models import Feed
from feeds.services import feed_get_or_create, feed_refresh
from tests.conftest import shared_path

pytestmark = pytest.mark.django_db

RSS = {"Content-Type": "application/rss+xml"}
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Picky</title>'
    b"<link>https://feeds.example.org/</link><description>d</description>"
    b"<item><title>One</title><guid>1</guid><link>https://feeds.example.org/1</link></item>"
    b"<item><title>Two</title><guid>2</guid><link>https://feeds.example.org/2</link></item>"
    b"</channel></rss>"
)


def _feed(feed_server, path: str, **options) -> Feed:
    feed, _ = feed_get_or_create(url=feed_server.url(path))
    if options:
        Feed.objects.filter(pk=feed.pk).update(**options)
    return feed


def test_a_server_that_refuses_unknown_user_agents_accepts_the_override(feed_server):
    # Only a browser-like agent gets the feed; everything else is 403 (case P18's kind of server).
    feed_server.add_route(
        "/browsers-only.xml",
        rules=[
            {"when_user_agent_matches": r"^Mozilla/5\.0 ", "status": 200, "headers": RSS,
             "body": FEED.decode()},
            {"otherwise": True, "status": 403, "body": "Forbidden"},
        ],
    )  # fmt: skip
    feed = _feed(feed_server, "/browsers-only.xml")
    refused = feed_refresh(feed_id=feed.pk, force=True)
    assert refused.outcome == "http" and refused.status == 403
    assert "403" in refused.error
    Feed.objects.filter(pk=feed.pk).update(user_agent="Mozilla/5.0 (X11; Linux) Tidings")
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.outcome == "ok" and result.new == 2
    assert (
        feed_server.requests_for("/browsers-only.xml")[-1]
        .headers["User-Agent"]
        .startswith("Mozilla/5.0 ")
    )


def test_a_picky_server_gets_the_product_user_agent_by_default(feed_server):
    """Case P18: blocked fetch UA and challenge."""
    if not shared_path("cases").is_dir():
        pytest.skip("../shared/cases is absent")
    feed_server.load_case("P18-blocked-fetch-ua-and-challenge")
    feed = _feed(feed_server, "/picky.xml")
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.outcome == "ok" and result.new == 2
    agent = feed_server.requests_for("/picky.xml")[-1].headers["User-Agent"]
    assert agent.startswith("Tidings/") and "+http" in agent


def test_a_picky_server_refuses_a_library_like_override(feed_server):
    """Case P18: blocked fetch UA and challenge."""
    if not shared_path("cases").is_dir():
        pytest.skip("../shared/cases is absent")
    feed_server.load_case("P18-blocked-fetch-ua-and-challenge")
    feed = _feed(feed_server, "/picky.xml", user_agent="python-requests/2.32")
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.outcome == "http" and result.status == 403
    assert not Feed.objects.get(pk=feed.pk).entries.exists()


def test_extra_headers_such_as_a_cookie_are_sent(feed_server):
    feed_server.add_route(
        "/members.xml",
        rules=[
            {"when_request_header": {"Cookie": "session=abc123"}, "status": 200, "headers": RSS,
             "body": FEED.decode()},
            {"otherwise": True, "status": 403, "body": "log in first"},
        ],
    )  # fmt: skip
    feed = _feed(feed_server, "/members.xml")
    assert feed_refresh(feed_id=feed.pk, force=True).status == 403
    Feed.objects.filter(pk=feed.pk).update(
        extra_headers={"Cookie": "session=abc123", "X-Api-Key": "k"}
    )
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.outcome == "ok" and result.new == 2
    sent = feed_server.requests_for("/members.xml")[-1].headers
    assert sent["Cookie"] == "session=abc123" and sent["X-Api-Key"] == "k"


def test_the_cookie_does_not_follow_a_redirect_to_another_host(feed_server):
    feed_server.add_route(
        "/moved.xml", status=302, headers={"Location": feed_server.url("/x.xml", "example.net")}
    )
    feed_server.add_route("/x.xml", headers=RSS, body=FEED)
    feed = _feed(feed_server, "/moved.xml", extra_headers={"Cookie": "session=abc123"})
    assert feed_refresh(feed_id=feed.pk, force=True).outcome == "ok"
    assert "Cookie" not in feed_server.requests_for("/x.xml", host="example.net")[-1].headers


def test_by_default_validators_are_sent_and_a_304_is_a_success(feed_server):
    feed_server.add_route("/cached.xml", headers=RSS, body=FEED, etag='"v1"')
    feed = _feed(feed_server, "/cached.xml")
    feed_refresh(feed_id=feed.pk, force=True)
    assert feed_refresh(feed_id=feed.pk, force=True).outcome == "not_modified"
    assert feed_server.requests_for("/cached.xml")[-1].headers["If-None-Match"] == '"v1"'


def test_ignore_cache_headers_sends_no_validators_and_ignores_max_age(feed_server):
    # A server whose validators are wrong (it answers 304 although the feed changed).
    feed_server.add_route(
        "/stale-304.xml",
        headers={**RSS, "Cache-Control": "max-age=86400"},
        body=FEED,
        etag='"forever"',
    )
    feed = _feed(feed_server, "/stale-304.xml", ignore_cache_headers=True)
    first = feed_refresh(feed_id=feed.pk, force=True)
    second = feed_refresh(feed_id=feed.pk, force=True)
    assert (first.outcome, second.outcome) == ("ok", "ok")
    assert "If-None-Match" not in feed_server.requests_for("/stale-304.xml")[-1].headers
    # Without the option, max-age=86400 would have pushed the next fetch a day away.
    feed.refresh_from_db()
    assert (second.next_fetch_at - feed.last_fetched_at).total_seconds() < 86400 * 0.9


def test_fetch_kwargs_drop_headers_that_fail_validation():
    feed = Feed(url="https://feeds.example.org/x.xml", extra_headers={"Host": "evil"})
    assert fetch_kwargs(feed)["extra_headers"] is None
    assert fetch_kwargs(Feed(url="https://x.example.org/", user_agent="  "))["user_agent"] is None


@pytest.mark.parametrize(
    "value",
    [
        ["Cookie", "x"],
        {"Bad Name": "x"},
        {"Host": "internal"},
        {"Accept-Encoding": "zstd"},
        {"User-Agent": "x"},
        {"X-Injected": "a\r\nHost: evil"},
        {"X-Number": 1},
    ],
)
def test_invalid_extra_headers_are_refused(value):
    with pytest.raises(ValidationError):
        validate_extra_headers(value)


def test_the_feed_admin_edits_the_fetch_options(admin_client, feed_server):
    feed = _feed(feed_server, "/admin.xml")
    url = f"/admin/feeds/feed/{feed.pk}/change/"
    page = admin_client.get(url).content.decode()
    for name in ("user_agent", "extra_headers", "ignore_cache_headers", "identity_policy"):
        assert f'name="{name}"' in page
    form = {
        "disabled_reason": "",
        "fetch_interval": 3600,
        "user_agent": "Mozilla/5.0 Custom",
        "extra_headers": '{"Cookie": "a=b"}',
        "ignore_cache_headers": "on",
        "identity_policy": "title_link",
        "next_fetch_at_0": "2026-01-01",
        "next_fetch_at_1": "00:00:00",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    feed.refresh_from_db()
    assert feed.user_agent == "Mozilla/5.0 Custom" and feed.extra_headers == {"Cookie": "a=b"}
    assert feed.ignore_cache_headers and feed.identity_policy == "title_link"
    bad = admin_client.post(url, {**form, "extra_headers": '{"Host": "x"}'})
    assert bad.status_code == 200 and "cannot be set here" in bad.content.decode()
