"""Subscribing in a real Chromium with a real Celery worker fetching from the loopback feed
server: one click in the directory, a pasted site URL, and an OPML import with progress."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feeds.models import Source, SourceCategory
from reader.models import Subscription
from tests.conftest import requires_postgres, requires_redis
from tests.ui.conftest import make_reader, rss, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    requires_postgres,
    requires_redis,
    pytest.mark.django_db(transaction=True),
]

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _reload_until_entries(page, minimum: int = 1, timeout: float = 45.0) -> int:
    """Reload the reader until the worker's fetch shows at least ``minimum`` entries."""

    def ready() -> bool:
        page.page.reload()
        return page.page.locator(".entry-item").count() >= minimum

    assert wait_until(ready, timeout=timeout, interval=1.0), "the worker never fetched the feed"
    return page.page.locator(".entry-item").count()


def test_subscribing_from_the_directory_and_by_a_site_url_fetches_entries(
    open_page, fetch_loopback, celery_worker
):
    server = fetch_loopback
    server.add_route("/loop/daily.xml", body=rss("Loopback Daily", items=4), headers=RSS)
    server.add_route(
        "/loop/site/",
        body=(
            "<!doctype html><html><head><title>Site</title>"
            '<link rel="alternate" type="application/rss+xml" title="Posts" '
            'href="/loop/site/feed.xml"></head><body>Hello</body></html>'
        ),
        headers=HTML,
    )
    server.add_route(
        "/loop/site/feed.xml",
        body=rss("Site Posts", items=3, site=server.url("/loop/site/", host="127.0.0.1") + "/"),
        headers=RSS,
    )
    category = SourceCategory.objects.create(slug="loop", name_en="Loopback", name_zh_hans="回环")
    source = Source.objects.create(
        title="Loopback Daily",
        feed_url=server.url("/loop/daily.xml", host="127.0.0.1"),
        description="A feed served by the test server.",
        language="en",
        category=category,
    )
    user = make_reader("bob")
    page = open_page()
    page.login("bob")

    page.go("/directory/")
    card = page.page.locator(f"#source-{source.pk}")
    card.locator("form[data-js=subscribe] button").click()
    expect(card.locator("form[data-js=unsubscribe] button")).to_be_visible()
    expect(card.locator(".subscriber-count")).to_have_attribute("data-count", "1")
    assert Subscription.objects.filter(user=user, feed__url=source.feed_url).exists()
    page.shot("13-directory-subscribed")

    page.go("/reader/?show=all")
    assert _reload_until_entries(page, 4) == 4

    page.go("/subscriptions/")
    page.page.fill("#add-url", server.url("/loop/site/", host="127.0.0.1"))
    page.page.click("form[data-js=add-subscription] button[type=submit]")
    page.page.wait_for_url("**/reader/?show=all&sub=*")
    assert _reload_until_entries(page, 3) == 3
    assert "Site Posts" in page.page.locator(".list-head h1").inner_text()
    page.shot("14-subscribed-by-site-url")

    page.go("/subscriptions/")
    assert page.page.locator(".sub-table tbody tr").count() == 2
    page.shot("15-subscriptions")


def test_an_opml_import_shows_progress_until_the_end(open_page, fetch_loopback, celery_worker):
    server = fetch_loopback
    outlines = []
    for n in range(1, 4):
        path = f"/opml/feed{n}.xml"
        server.add_route(path, body=rss(f"Imported {n}", items=2), headers=RSS)
        url = server.url(path, host="127.0.0.1")
        outlines.append(f'<outline type="rss" text="Imported {n}" xmlUrl="{url}"/>')
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        f'<outline text="Tech">{"".join(outlines)}</outline>'
        '<outline type="rss" text="Broken" xmlUrl="not a feed address"/>'
        "</body></opml>"
    )
    make_reader("carol")
    page = open_page()
    page.login("carol")
    page.go("/settings/import/")
    page.page.set_input_files(
        "#opml-file",
        files=[{"name": "mine.opml", "mimeType": "text/x-opml", "buffer": opml.encode()}],
    )
    page.page.click("form[data-js=opml-import] button[type=submit]")
    progress = page.page.locator("#import-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("data-status", "done", timeout=45_000)
    bar = progress.locator("progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    status = progress.locator(".import-status").inner_text()
    assert "3 added" in status, status
    assert progress.locator(".import-results li").count() == 1  # the broken outline
    page.shot("16-opml-import-done")
