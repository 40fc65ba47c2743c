"""newsboat (Debian 12's 2.21, ``ocnews`` mode) syncs with a live server through the
Nextcloud News API v1.2, headless.

newsboat checks ``status``, lists ``feeds`` and ``folders``, then reads each feed as
``items?type=0&id=<feed id>`` and its "Starred" feed as ``items?type=2&id=0``, with HTTP
Basic and the client password. Its cache database (SQLite, table ``rss_item``, guid
``<item id>:<feed id>/<guid>``) is then compared with the server's state. ``.ci/run``
installs the package, so CI runs these tests; elsewhere they are skipped without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.core.signals import request_started

from reader import selectors, services
from reader.api.compat.integer_ids import integer_entry_id
from tests.compat.conftest import PASSWORD
from tests.compat.test_newsboat import NEWSBOAT, Newsboat

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        NEWSBOAT is None and not os.environ.get("CI"),
        reason="newsboat is not installed (Debian package `newsboat`; .ci/run installs it)",
    ),
]


@dataclass
class OcNewsboat(Newsboat):
    """newsboat in ``ocnews`` mode (``ocnews-url`` is the server URL, without the API path)."""

    def __post_init__(self) -> None:
        (self.home / "urls").write_text("")
        settings = {
            "urls-source": "ocnews",
            "ocnews-url": self.base,
            "ocnews-login": self.username,
            "ocnews-password": PASSWORD[self.username],
            "ocnews-flag-star": "s",
            "download-timeout": "30",
            "reload-threads": "1",
        }
        lines = [f'{key} "{value}"' for key, value in settings.items()]
        (self.home / "config").write_text("\n".join(lines) + "\n")

    def ocnews_items(self) -> dict[int, tuple[str, bool]]:
        """``{item id: (title, unread)}`` from the cache (guid ``<id>:<feed>/<guid>``)."""
        return {int(guid.split(":", 1)[0]): value for guid, value in self.items().items()}


@pytest.fixture
def ocnewsboat(world, tmp_path):
    """newsboat for Alice in ocnews mode, logging every request as ``METHOD path?query``."""
    assert NEWSBOAT, "CI must have newsboat: .ci/run installs Debian's package"
    client = OcNewsboat(home=tmp_path, base=world.base, username="alice")

    def record(sender, environ, **kwargs):
        query = environ.get("QUERY_STRING", "")
        line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
        client.log.append(line + (f"?{query}" if query else ""))

    request_started.connect(record, weak=False)
    yield client
    request_started.disconnect(record)


def _server_items(user) -> dict[int, tuple[str, bool]]:
    """``{integer item id: (title, unread)}`` of every entry of the user's feeds."""
    return {
        integer_entry_id(e.pk): (e.display_title, not e.is_read)
        for e in selectors.entry_id_list(user=user)
    }


def test_newsboat_ocnews_mode_syncs_titles_and_read_marks(world, ocnewsboat):
    already_read = world.shared_entries[0]
    services.entries_set_read(user=world.alice, entry_ids=[already_read.pk], read=True)

    ocnewsboat.run("reload")
    assert ocnewsboat.ocnews_items() == _server_items(world.alice)
    assert ocnewsboat.unread_count() == selectors.unread_counts(user=world.alice)["total"] == 7

    # What it asked for: the status, feeds and folders, then the items of each feed.
    api = "/index.php/apps/news/api/v1-2/"
    log = ocnewsboat.log
    assert f"GET {api}status" in log
    assert f"GET {api}feeds" in log and f"GET {api}folders" in log
    assert f"GET {api}items?type=0&id={world.shared_feed.pk}" in log
    assert f"GET {api}items?type=0&id={world.private_feed.pk}" in log
    assert f"GET {api}items?type=2&id=0" in log

    # A read mark made on the server shows after the next reload; so does a mark-all-read
    # (which writes no per-entry row) and an unread one.
    marked = world.private_entries[1]
    services.entries_set_read(user=world.alice, entry_ids=[marked.pk], read=True)
    services.entries_set_read(user=world.alice, entry_ids=[already_read.pk], read=False)
    services.mark_all_read(user=world.alice, max_entry_id=world.shared_entries[2].pk)
    ocnewsboat.run("reload")
    items = ocnewsboat.ocnews_items()
    assert items[integer_entry_id(marked.pk)] == (marked.title, False)
    assert items[integer_entry_id(world.shared_entries[1].pk)][1] is False
    assert items == _server_items(world.alice)
    assert ocnewsboat.unread_count() == selectors.unread_counts(user=world.alice)["total"] == 4


def test_newsboat_ocnews_mode_picks_up_entries_that_arrive_between_reloads(world, ocnewsboat):
    from tests.reader.factories import EntryFactory

    ocnewsboat.run("reload")
    assert ocnewsboat.unread_count() == 8
    late = EntryFactory(feed=world.shared_feed, title="Arrived later")
    ocnewsboat.run("reload")
    assert ocnewsboat.ocnews_items()[integer_entry_id(late.pk)] == ("Arrived later", True)
    assert ocnewsboat.unread_count() == 9
