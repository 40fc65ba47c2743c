"""Browser tests: Debian's Chromium driven by Playwright against a live server, a real Celery
worker on the test database, and the loopback feed server.

No browser is downloaded: Playwright launches /usr/bin/chromium (``.ci/run`` installs it).
Every page records console errors and uncaught exceptions; a test fails if any appeared.
Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import ROOT, child_database_url
from tests.factories import EntryFactory, FeedFactory, SubscriptionFactory, UserFactory
from tests.procs import start_worker, stop

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still synchronous, so Django's async-safety guard is told so.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "a-long-test-password-42"

pytestmark = pytest.mark.browser


def _wait_for_chromium(timeout: float = 120.0) -> bool:
    """Chromium may still be installing (apt) when the suite starts: wait a little."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
            return True
        time.sleep(2)
    return False


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (the system build, never a download)."""
    from playwright.sync_api import sync_playwright

    if not _wait_for_chromium(120 if os.environ.get("CI") else 5):
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


class Page:
    """A Playwright page with the live server's base URL and a console-error log."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.set_default_timeout(15_000)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location.get('url', '')}")

    def go(self, path: str):
        """Open ``path`` on the live server and wait for the page to load."""
        return self.page.goto(self.base_url + path)

    def shot(self, name: str) -> Path:
        """Save a screenshot as test-artifacts/<name>.png."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def login(self, username: str, password: str = PASSWORD) -> None:
        """Sign in through the login form."""
        self.go("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url("**/reader/**")


@pytest.fixture
def open_page(browser, live_server) -> Iterator:
    """Factory of pages in fresh browser contexts; asserts no console errors at the end.

    ``open_page(width=..., height=..., color_scheme=..., locale=..., javascript=...)``.
    """
    contexts, pages = [], []

    def factory(
        *,
        width: int = 1280,
        height: int = 860,
        color_scheme: str = "light",
        locale: str = "en-US",
        javascript: bool = True,
    ) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=color_scheme,
            locale=locale,
            java_script_enabled=javascript,
        )
        contexts.append(context)
        page = Page(context.new_page(), live_server.url)
        pages.append(page)
        return page

    yield factory
    errors = [error for page in pages for error in page.errors]
    for context in contexts:
        context.close()
    assert not errors, "JavaScript console errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def ui_feed_server():
    """The loopback feed server for the whole browser session, reached by IP (127.0.0.1)."""
    from tests.feedserver import FeedServer

    with FeedServer() as server:
        yield server


@pytest.fixture
def fetch_loopback(settings, ui_feed_server):
    """Let the web process (live server thread) fetch from the loopback feed server."""
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return ui_feed_server


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen | None]:
    """A real Celery worker process on the test database and the configured broker."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL unset and none on 127.0.0.1:6379)")
    with django_db_blocker.unblock():
        database_url = child_database_url()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="reader.project.settings_test",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        REDIS_URL=settings.REDIS_URL,
        FETCH_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    worker = start_worker(env, concurrency=2)
    yield worker
    stop(worker)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Make sure the .mo files exist (a plain `pytest` run without `make test`)."""
    from django.core.management import call_command

    locale = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
    if (locale / "django.po").exists() and not (locale / "django.mo").exists():
        call_command("compile_translations", pure_python=shutil.which("msgfmt") is None)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.25) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


# --- Data helpers -------------------------------------------------------------------------


def rss(
    title: str, *, items: int, site: str = "https://blog.example.org/", lang: str = "en"
) -> str:
    """An RSS 2.0 document with ``items`` entries, newest first, one hour apart."""
    from email.utils import format_datetime

    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    parts = []
    for i in range(items):
        when = format_datetime(now - timedelta(hours=i + 1))
        parts.append(
            f"<item><title>{title} post {i + 1}</title><link>{site}posts/{i + 1}</link>"
            f"<guid>{site}posts/{i + 1}</guid><pubDate>{when}</pubDate>"
            f"<description>&lt;p&gt;Paragraph {i + 1} of {title}.&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{site}</link><description>{title} feed</description>"
        f"<language>{lang}</language>{''.join(parts)}</channel></rss>"
    )


def make_reader(username: str = "reader", **preferences):
    """A user with the test password (``PASSWORD``) and the given preferences (User fields)."""
    return UserFactory(username=username, password=PASSWORD, **preferences)


def seed_subscription(user, title: str, *, entries: int = 5, category=None, content: str = ""):
    """A feed with ``entries`` entries (newest first, an hour apart) and the user's subscription.

    Written directly (no fetch) for tests that only read; every entry is unread.
    """
    from django.utils import timezone

    from feeds.models import Entry

    now = timezone.now()
    slug = uuid.uuid4().hex[:10]
    feed = FeedFactory(
        url=f"https://feeds.example.org/{slug}.xml",
        title=title,
        site_url="https://example.org/",
        last_fetched_at=now,
        last_success_at=now,
    )
    Entry.objects.bulk_create(
        EntryFactory.build(
            feed=feed,
            guid="",
            identity_hash=f"{slug}{i:054d}",
            title=f"{title} entry {i + 1}",
            url=f"https://example.org/{slug}/{i + 1}",
            author="Ada",
            summary=f"<p>Summary {i + 1} of {title}.</p>",
            content=content or f"<p>Content {i + 1} of {title}, worth reading.</p>",
            published_at=now - timedelta(hours=i + 1),
        )
        for i in range(entries)
    )
    return SubscriptionFactory(
        user=user,
        feed=feed,
        category=category,
        unread_since=now - timedelta(days=30),
    )
