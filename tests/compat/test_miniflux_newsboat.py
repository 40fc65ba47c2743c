"""newsboat (Debian 12's 2.21) in ``miniflux`` mode syncs with a live server, headless.

newsboat 2.21 signs in with HTTP Basic (``miniflux-login`` and the client password; 2.21 has
no token setting), lists ``/v1/categories`` and ``/v1/feeds``, and reads each feed as
``/v1/feeds/<id>/entries?order=published_at&direction=desc`` (no ``limit``: Miniflux's
default, 100, applies); read marks come from each entry's ``status``. Its cache database
(SQLite, table ``rss_item``: the guid is the entry's Miniflux id) is compared with the
server's state.
Every request it makes is logged and checked against the sequence in docs/apps.md. Marks made
in newsboat (``PUT /v1/entries``) cannot be driven headless (``-x`` runs only ``reload`` and
``print-unread``); ``test_miniflux_apps.py`` replays the body it sends.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.signals import request_started

from reader import selectors, services
from reader.api.compat import queries
from reader.api.compat.integer_ids import integer_entry_id
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
    """One headless newsboat in miniflux mode with its own config, urls file and cache."""

    home: Path
    base: str
    username: str
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.home / "password").write_text(PASSWORD[self.username])
        (self.home / "urls").write_text("")
        settings = {
            "urls-source": "miniflux",
            "miniflux-url": self.base,
            "miniflux-login": self.username,
            "miniflux-passwordfile": str(self.home / "password"),
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
def newsboat(world, tmp_path):
    """newsboat for Alice, with every request it makes logged as ``METHOD path?query``."""
    assert NEWSBOAT, "CI must have newsboat: .ci/run installs Debian's package"
    client = Newsboat(home=tmp_path, base=world.base, username="alice")

    def record(sender, environ, **kwargs):
        query = environ.get("QUERY_STRING", "")
        line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
        client.log.append(line + (f"?{unquote(query)}" if query else ""))

    request_started.connect(record, weak=False)
    yield client
    request_started.disconnect(record)


def _server_items(user) -> dict[str, tuple[str, bool]]:
    """``{Miniflux entry id: (title, unread)}`` for every entry of the user's feeds."""
    unread = set(queries.entry_ids(user=user, status="unread"))
    everything = queries.entry_ids(user=user, status="all")
    entries = queries.entries_by_id(user=user, ids=everything)
    return {str(integer_entry_id(e.pk)): (e.title, e.pk in unread) for e in entries}


def test_newsboat_miniflux_mode_syncs_titles_unread_count_and_read_marks(world, newsboat):
    already_read = world.shared_entries[0]
    services.entries_set_read(user=world.alice, entry_ids=[already_read.pk], read=True)

    newsboat.run("reload")
    assert newsboat.items() == _server_items(world.alice)
    assert newsboat.unread_count() == selectors.unread_counts(user=world.alice)["total"] == 7

    # What it asked for: the categories, the feeds, one entry list per feed (docs/apps.md).
    entries = "GET /v1/feeds/{}/entries?order=published_at&direction=desc"
    assert "GET /v1/categories" in newsboat.log
    assert "GET /v1/feeds" in newsboat.log
    assert entries.format(world.shared_feed.pk) in newsboat.log
    assert entries.format(world.private_feed.pk) in newsboat.log

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
