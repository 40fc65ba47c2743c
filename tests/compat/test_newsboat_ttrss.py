"""newsboat (Debian 12's 2.21, ``ttrss`` mode) syncs with a live server through the Tiny Tiny
RSS API, headless.

newsboat signs in with ``login``, lists ``getCategories`` and ``getFeeds`` (``cat_id`` -3),
then reads each feed with ``getHeadlines`` (``show_content``, ``include_attachments``; no
limit, so 200) and marks items read or unread from their ``unread`` flag. Its cache database
(SQLite, table ``rss_item``, guids are the article ids) is then compared with the server's
state. Skipped where newsboat is not installed (CI installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reader import selectors, services
from reader.api.compat import queries
from reader.api.compat.integer_ids import integer_entry_id
from reader.api.compat.ttrss import views
from tests.compat.conftest import PASSWORD

NEWSBOAT = shutil.which("newsboat")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        NEWSBOAT is None and not os.environ.get("CI"),
        reason="newsboat is not installed (Debian package `newsboat`; .ci/run installs it)",
    ),
]


@dataclass
class Newsboat:
    """One headless newsboat in ``ttrss`` mode with its own config, urls file and cache."""

    home: Path
    base: str
    username: str
    log: list[str] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        (self.home / "urls").write_text("")
        settings = {
            "urls-source": "ttrss",
            "ttrss-url": self.base,
            "ttrss-login": self.username,
            "ttrss-password": PASSWORD[self.username],
            "ttrss-mode": "multi",
            "download-timeout": "30",
            "reload-threads": "1",
        }
        lines = [f'{key} "{value}"' for key, value in settings.items()]
        (self.home / "config").write_text("\n".join(lines) + "\n")

    def run(self, *commands: str) -> str:
        """Run ``newsboat -x <commands>``; returns stdout, fails the test on an error exit."""
        env = {
            "HOME": str(self.home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_PROXY": "*",
            "no_proxy": "*",
        }
        args = ["-C", "config", "-c", "cache.db", "-u", "urls", "-x", *commands]
        done = subprocess.run(
            [NEWSBOAT, *args],
            cwd=self.home,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
        assert "Error" not in done.stderr, done.stderr
        return done.stdout

    def unread_count(self) -> int:
        output = self.run("print-unread")
        match = re.search(r"(\d+) unread articles", output)
        assert match, output
        return int(match.group(1))

    def items(self) -> dict[str, tuple[str, bool]]:
        """``{guid: (title, unread)}`` from newsboat's cache database."""
        with sqlite3.connect(self.home / "cache.db") as db:
            rows = db.execute("SELECT guid, title, unread FROM rss_item").fetchall()
        return {guid: (title, bool(unread)) for guid, title, unread in rows}


@pytest.fixture
def newsboat(world, tmp_path, monkeypatch):
    """newsboat for Alice, with every call it makes logged as ``METHOD path {parameters}``
    (without ``sid`` and ``password``)."""
    assert NEWSBOAT, "CI must have newsboat: .ci/run installs Debian's package"
    client = Newsboat(home=tmp_path, base=world.base, username="alice")
    parse = views.request_params

    def logged(request):
        params = parse(request)
        shown = {k: v for k, v in params.items() if k not in ("sid", "password")}
        client.log.append(f"{request.method} {request.path} {json.dumps(shown, sort_keys=True)}")
        client.agents.add(request.headers.get("User-Agent", ""))
        return params

    monkeypatch.setattr(views, "request_params", logged)
    return client


def _server_items(user) -> dict[str, tuple[str, bool]]:
    """``{article id: (title, unread)}`` for every entry of the user's subscriptions."""
    unread = set(queries.entry_ids(user=user, status="unread"))
    everything = queries.entry_ids(user=user, status="all")
    entries = queries.entries_by_id(user=user, ids=everything)
    return {str(integer_entry_id(e.pk)): (e.title, e.pk in unread) for e in entries}


def test_newsboat_ttrss_mode_syncs_titles_and_read_marks(world, newsboat):
    already_read = world.shared_entries[0]
    services.entries_set_read(user=world.alice, entry_ids=[already_read.pk], read=True)

    newsboat.run("reload")
    assert newsboat.items() == _server_items(world.alice)
    assert newsboat.unread_count() == selectors.unread_counts(user=world.alice)["total"] == 7

    # A read mark made on the server shows after the next reload; so does an unread one.
    marked = world.private_entries[1]
    services.entries_set_read(user=world.alice, entry_ids=[marked.pk], read=True)
    services.entries_set_read(user=world.alice, entry_ids=[already_read.pk], read=False)
    newsboat.run("reload")
    items = newsboat.items()
    assert items[str(integer_entry_id(marked.pk))] == (marked.title, False)
    assert items[str(integer_entry_id(already_read.pk))] == (already_read.title, True)
    assert items == _server_items(world.alice)
    assert newsboat.unread_count() == selectors.unread_counts(user=world.alice)["total"] == 7

    # What it asked for: sign-in, categories, every feed, then each feed's headlines.
    shared, private = (
        world.alice.subscriptions.get(feed=feed).pk
        for feed in (world.shared_feed, world.private_feed)
    )
    calls = set(newsboat.log)
    assert 'POST /api/ {"op": "login", "user": "alice"}' in calls
    assert 'POST /api/ {"op": "getCategories"}' in calls
    assert 'POST /api/ {"cat_id": "-3", "op": "getFeeds"}' in calls
    for sub in (shared, private):
        headlines = (
            f'POST /api/ {{"feed_id": "{sub}", "include_attachments": "1", '
            '"op": "getHeadlines", "show_content": "1"}'
        )
        assert headlines in calls, calls
    assert any(agent.startswith("newsboat/2.21") for agent in newsboat.agents)


def test_newsboat_ttrss_mode_picks_up_entries_that_arrive_between_reloads(world, newsboat):
    from tests.factories import EntryFactory

    newsboat.run("reload")
    assert newsboat.unread_count() == 8
    late = EntryFactory(feed=world.shared_feed, title="Arrived later")
    newsboat.run("reload")
    assert newsboat.items()[str(integer_entry_id(late.pk))] == ("Arrived later", True)
    assert newsboat.unread_count() == 9
