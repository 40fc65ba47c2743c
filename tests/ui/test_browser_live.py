"""The reader updates itself (real Chromium, real Celery worker, loopback feed server): a new
subscription shows that its fetch runs and then its entries without a reload; counts and the
tab title follow new entries; "Retry now" shows the new status. Plus the small layout fixes:
"Edit" never wraps, broken thumbnails are hidden, time zones grouped with the browser's zone."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from feeds.models import Feed
from reader.models import Subscription
from tests.conftest import requires_postgres, requires_redis
from tests.factories import CategoryFactory, EntryFactory
from tests.ui.conftest import PASSWORD, Page, make_reader, rss, seed_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def _slow_after_first(body: str, seconds: float):
    """A feed-server handler: the first request (discovery in the web process) answers at once,
    later ones (the worker's fetch) after ``seconds``, so the page sees the fetch running."""
    calls = {"n": 0}

    def handler(_request):
        calls["n"] += 1
        if calls["n"] > 1:
            time.sleep(seconds)
        return {"status": 200, "headers": dict(RSS), "body": body}

    return handler


@pytest.mark.slow
@requires_postgres
@requires_redis
def test_a_new_subscription_shows_its_entries_without_reload(
    open_page, fetch_loopback, celery_worker
):
    server = fetch_loopback
    server.add_route(
        "/live/news.xml", handler=_slow_after_first(rss("Live News", items=4), seconds=3.0)
    )
    make_reader("liv")
    page = open_page()
    page.login("liv")
    page.go("/subscriptions/")
    page.page.fill("#add-url", server.url("/live/news.xml", host="127.0.0.1"))
    page.page.click("form[data-js=add-subscription] button[type=submit]")
    page.page.wait_for_url("**/reader/?show=all&sub=*")
    page.page.evaluate("window.__sameDocument = true")
    # The discovery response is the first refresh, so the entries are there at once, or
    # arrive through the live update while the worker's fetch runs: never by a reload.
    page.shot("live-01-subscribed")
    expect(page.page.locator(".entry-item")).to_have_count(4, timeout=45_000)
    sub = Subscription.objects.get(user__username="liv")
    expect(page.page.locator(f'[data-count-for="sub-{sub.pk}"]')).to_have_text("4")
    expect(page.page.locator("[data-fetch-pending]")).to_have_count(0)
    assert page.page.title().startswith("(4) ")
    assert page.page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    page.shot("live-02-entries-arrived")


def test_unread_counts_and_the_title_refresh_on_their_own(open_page, settings):
    settings.LIVE_POLL_SECONDS = 1
    user = make_reader("counts")
    sub = seed_subscription(user, "Counted", entries=2)
    page = open_page()
    page.login("counts")
    page.go("/reader/?show=unread")
    count = page.page.locator(f'[data-count-for="sub-{sub.pk}"]')
    expect(count).to_have_text("2")
    EntryFactory(feed=sub.feed, title="Arrived later")
    expect(count).to_have_text("3", timeout=10_000)
    expect(page.page.locator('[data-count-for="unread"]')).to_have_text("3")
    assert page.page.title().startswith("(3) ")


def test_the_poll_is_conditional_and_stops_while_the_tab_is_hidden(open_page, settings):
    settings.LIVE_POLL_SECONDS = 1
    user = make_reader("quiet")
    seed_subscription(user, "Quiet", entries=1)
    page = open_page()
    page.login("quiet")
    statuses: list[int] = []
    page.page.on(
        "response",
        lambda r: statuses.append(r.status) if "/api/v1/unread-counts/" in r.url else None,
    )
    page.go("/reader/")
    page.page.wait_for_timeout(3500)
    assert statuses and set(statuses) <= {200, 304} and 304 in statuses, statuses
    page.page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    seen = len(statuses)
    page.page.wait_for_timeout(3000)
    assert len(statuses) <= seen + 1  # at most the one already in flight


@pytest.mark.slow
@requires_postgres
@requires_redis
def test_retry_now_shows_that_the_fetch_runs_then_the_new_status(
    open_page, fetch_loopback, celery_worker
):
    server = fetch_loopback
    server.add_route("/live/back.xml", body=rss("Back Again", items=2), headers=RSS)
    user = make_reader("retry")
    sub = seed_subscription(user, "Failing feed", entries=1)
    Feed.objects.filter(pk=sub.feed_id).update(
        url=server.url("/live/back.xml", host="127.0.0.1"),
        error_count=3,
        last_error="The server answered 503.",
    )
    page = open_page(locale="zh-CN")
    page.login("retry")
    page.go("/subscriptions/")
    row = page.page.locator(f"#sub-{sub.pk}")
    expect(row.locator(".status-error")).to_be_visible()
    row.locator("button[data-retry-for]").click()
    expect(row.locator(".fetching-note")).to_have_text("正在获取订阅源…")
    expect(row.locator(".status-error")).to_have_count(0, timeout=45_000)
    expect(row.locator("button[data-retry-for]")).to_have_count(0)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("width", [1280, 375])
def test_the_edit_disclosure_never_wraps(open_page, locale, width):
    user = make_reader(f"edit{width}{locale[:2]}")
    category = CategoryFactory(user=user, title="一个很长很长的分类名称 and a long name " * 2)
    long = seed_subscription(user, "A feed with a rather long title " * 3, entries=1)
    seed_subscription(user, "短", entries=1, category=category)
    Feed.objects.filter(pk=long.feed_id).update(
        error_count=2, last_error="服务器没有回答。The server did not answer in time. " * 4
    )
    page = open_page(width=width, locale=locale)
    page.login(user.username)
    page.go("/subscriptions/")
    summaries = page.page.locator(".sub-table details > summary")
    expect(summaries.first).to_be_visible()
    # One line: the text is one box, and the summary (disclosure triangle included) is no
    # taller than it (the triangle alone on a first line made it twice as tall).
    lines = summaries.evaluate_all(
        "els => els.map(el => { const r = document.createRange(); r.selectNodeContents(el);"
        " const rects = Array.from(r.getClientRects());"
        " const tops = new Set(rects.map(x => Math.round(x.top))).size;"
        " const box = el.getBoundingClientRect();"
        " return tops === 1 && box.height < rects[0].height * 1.6 ? 1 : 2; })"
    )
    assert lines and all(n == 1 for n in lines), lines
    page.shot(f"live-edit-{width}-{locale}")


def test_a_thumbnail_that_fails_to_load_is_hidden(open_page, live_server):
    user = make_reader("thumbs")
    sub = seed_subscription(user, "Pictures", entries=1)
    entry = sub.feed.entries.get()
    entry.thumbnail_url = live_server.url + "/static/img/no-such-picture.png"
    entry.save(update_fields=["thumbnail_url"])
    page = open_page()
    page.login("thumbs")
    page.go("/reader/?show=all")
    expect(page.page.locator(".entry-item .e-thumb")).to_be_hidden()
    page.errors.clear()  # the 404 of the picture itself is logged by Chromium


def test_time_zones_are_grouped_and_the_browsers_zone_is_preselected(browser, live_server):
    make_reader("zones")
    context = browser.new_context(timezone_id="Asia/Shanghai", locale="en-US")
    try:
        page = Page(context.new_page(), live_server.url)
        page.login("zones")
        page.go("/settings/")
        select = page.page.locator("select[name=timezone]")
        assert select.locator("optgroup").count() >= 8
        assert select.locator('optgroup[label="Asia"] option[value="Asia/Shanghai"]').count() == 1
        expect(select).to_have_value("Asia/Shanghai")
        assert not page.errors
    finally:
        context.close()
    zoned = make_reader("zoned", timezone="Europe/Paris")
    context = browser.new_context(timezone_id="Asia/Shanghai")
    try:
        page = Page(context.new_page(), live_server.url)
        page.login(zoned.username, PASSWORD)
        page.go("/settings/")
        expect(page.page.locator("select[name=timezone]")).to_have_value("Europe/Paris")
    finally:
        context.close()


def test_refresh_in_a_subscription_fetches_it_and_shows_the_new_entries(open_page, fetch_loopback):
    """The list head's Refresh fetches the feed now (REST "refresh now") and swaps in the list."""
    server = fetch_loopback
    server.add_route("/live/refresh.xml", body=rss("Refreshed", items=3), headers=RSS)
    user = make_reader("refresher")
    sub = seed_subscription(user, "To refresh", entries=1)
    Feed.objects.filter(pk=sub.feed_id).update(
        url=server.url("/live/refresh.xml", host="127.0.0.1")
    )
    page = open_page()
    page.login("refresher")
    page.go(f"/reader/?show=all&sub={sub.pk}")
    page.page.evaluate("window.__sameDocument = true")
    expect(page.page.locator(".entry-item")).to_have_count(1)
    page.page.click(".list-head [data-action=refresh]")
    expect(page.page.locator(".entry-item")).to_have_count(4)
    expect(page.page.locator(f'[data-count-for="sub-{sub.pk}"]')).to_have_text("4")
    assert page.page.evaluate("window.__sameDocument === true"), "the page was reloaded"
