"""An OPML import in a real Chromium with a real Celery worker: a file that is not
well-formed XML imports its feeds unaltered, and the page lists the skipped outlines
and the feed whose first fetch failed, with their reasons."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reader.models import Subscription
from tests.conftest import requires_postgres, requires_redis
from tests.ui.conftest import make_reader, rss

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    requires_postgres,
    requires_redis,
    pytest.mark.django_db(transaction=True),
]

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def test_the_import_page_shows_reasons_and_first_fetches_that_failed(
    open_page, fetch_loopback, celery_worker
):
    server = fetch_loopback
    server.add_route("/good.xml", body=rss("Good", items=2), headers=RSS)
    server.add_route("/query.xml", body=rss("Query", items=2), headers=RSS)
    good = server.url("/good.xml", host="127.0.0.1")
    query = server.url("/query.xml", host="127.0.0.1") + "?a=1&b=2"
    missing = server.url("/missing.xml", host="127.0.0.1")  # answers 404
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Food & Drink">'
        f'<outline type="rss" text="Good" xmlUrl="{good}"'
        ' description="See <a href="https://x.example.org/">this</a>"/>'
        f'<outline type="rss" text="Query" xmlUrl="{query}"/>'
        f'<outline type="rss" text="Missing" xmlUrl="{missing}"/>'
        '<outline type="link" text="Just a page" url="https://page.example.org/"/>'
        "</outline></body></opml>"
    )
    make_reader("dana")
    page = open_page()
    page.login("dana")
    page.go("/settings/import/")
    page.page.set_input_files(
        "#opml-file",
        files=[{"name": "messy.opml", "mimeType": "text/x-opml", "buffer": opml.encode()}],
    )
    page.page.click("form[data-js=opml-import] button[type=submit]")
    progress = page.page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=45_000)
    expect(progress.locator(".import-warning")).to_contain_text("line 1")
    failed = progress.locator('.import-results li[data-status="fetch_failed"]')
    expect(failed).to_have_count(1, timeout=60_000)  # once the worker's first fetch ends
    expect(failed).to_contain_text("Missing")
    skipped = progress.locator('.import-results li[data-status="skipped"]')
    expect(skipped).to_contain_text("Not a feed: the outline has no feed address (xmlUrl).")
    expect(progress.locator(".import-status")).to_contain_text("2 added", timeout=30_000)
    expect(progress.locator(".import-status")).to_contain_text("1 failed")
    urls = set(Subscription.objects.values_list("feed__url", flat=True))
    assert urls == {good, query, missing}
    page.go("/settings/import/")
    job = page.page.locator(".import-job").first
    expect(job.locator('.import-results li[data-status="fetch_failed"]')).to_contain_text("404")
    page.shot("16b-opml-import-report")
