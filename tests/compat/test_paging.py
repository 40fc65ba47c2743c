"""Paging every entry list to the end lists each entry once, and Google Reader's times are one.

A hypothesis property test pages each face to its end against a plain model of
a user's entries: the REST list (``/api/v1/entries/``), Google Reader's
``stream/items/ids``, ``stream/contents`` and Atom output, Fever's
``unread_item_ids`` / ``saved_item_ids`` (read internally in pages of a few
ids) and Fever's ``items`` by ``since_id`` and by ``max_id``. Entries are
published at a handful of instants (many ties on the sort key, some a
microsecond apart), pages are small, both orders are tried (``r=o``), and
between pages entries are marked read or unread, starred, or arrive. The
model's rule: without changes a face lists exactly the model's list, in order;
with changes it lists no entry twice, keeps its order, lists every entry that
stayed in the list throughout, and nothing that never was in it.

Time semantics (docs/apps.md, "Time and paging"): ``timestampUsec`` and
``crawlTimeMsec`` are the first-seen time on every Google Reader face, and
``ot`` filters on it, so an old item first seen after an app's last sync reaches it.

``test_paging_holds_on_sqlite`` runs this module again in a child pytest on
SQLite, so both databases are checked in the normal run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from defusedxml import ElementTree
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts import services as accounts
from reader import services
from reader.api.compat import fever, queries
from reader.errors import InvalidInput
from reader.selectors.cursors import cursor_decode, cursor_encode, utc_datetime
from tests.factories import CategoryFactory, EntryFactory, SubscriptionFactory, UserFactory
from tests.procs import pytest_child

pytestmark = pytest.mark.django_db

PASSWORD = "paging-app-pass"
GREADER = "/api/greader/reader/api/0/"
ATOM = "/api/greader/reader/atom/"
STATE = "user/-/state/com.google/"
READING_LIST, READ, STARRED = STATE + "reading-list", STATE + "read", STATE + "starred"
ITEM_PREFIX = "tag:google.com,2005:reader/item/"
NS = {"a": "http://www.w3.org/2005/Atom", "gr": "http://www.google.com/schemas/reader/atom/"}
#: Google Reader stream parameters of each list status.
STREAMS = {
    "all": {"s": READING_LIST},
    "unread": {"s": READING_LIST, "xt": READ},
    "read": {"s": READ},
    "starred": {"s": STARRED},
}
#: Publication times, in µs after BASE: ties, a microsecond apart, a second apart.
OFFSETS = (0, 0, 1, 1_000_000, 1_000_001, 3_600_000_000)
BASE = timezone.now().replace(microsecond=0) - timedelta(days=1)

PAGING_SETTINGS = settings(
    max_examples=int(os.environ.get("TIDINGS_PAGING_EXAMPLES", "10")),
    deadline=None,
    # No shrinking: each example costs a fraction of a second, shrinking a failure minutes.
    # A failure prints its whole (small) example instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


# --- The world and its model ---------------------------------------------------------------


@dataclass
class Reader:
    """One user, two feeds (one in a folder), and the model: entry id -> its facts."""

    user: object
    feeds: list
    client: Client
    token: str
    model: dict[int, dict] = field(default_factory=dict)

    def add(self, offset: int, read: bool, starred: bool, feed: int) -> None:
        entry = EntryFactory(
            feed=self.feeds[feed % 2],
            published_at=BASE + timedelta(microseconds=offset),
            created_at=timezone.now(),
        )
        self.model[entry.pk] = {"published": entry.published_at, "read": False, "starred": False}
        self.mark(entry.pk, read=read, starred=starred)

    def mark(self, entry_id: int, *, read: bool | None = None, starred: bool | None = None) -> None:
        if read is not None:
            services.entries_set_read(user=self.user, entry_ids=[entry_id], read=read)
            self.model[entry_id]["read"] = read
        if starred is not None:
            services.entries_set_starred(user=self.user, entry_ids=[entry_id], starred=starred)
            self.model[entry_id]["starred"] = starred

    def members(self, status: str) -> set[int]:
        """The ids the model lists under ``status``."""
        keep = {
            "all": lambda e: True,
            "unread": lambda e: not e["read"],
            "read": lambda e: e["read"],
            "starred": lambda e: e["starred"],
        }[status]
        return {i for i, e in self.model.items() if keep(e)}


def make_reader(rows: list[tuple[int, bool, bool, int]]) -> Reader:
    """A fresh user with entries ``(published offset µs, read, starred, feed 0/1)``."""
    user = UserFactory()
    accounts.client_password_set(user=user, password=PASSWORD)
    subs = [
        SubscriptionFactory(user=user, category=CategoryFactory(user=user, title="Tech")),
        SubscriptionFactory(user=user),
    ]
    client = Client()
    client.force_login(user)
    reader = Reader(user, [s.feed for s in subs], client, accounts.greader_auth_token(user=user))
    for row in rows:
        reader.add(*row)
    return reader


# --- Each face, paged to its end -----------------------------------------------------------


def _greader_get(reader: Reader, path: str, params: dict):
    response = reader.client.get(
        path, params, HTTP_AUTHORIZATION=f"GoogleLogin auth={reader.token}"
    )
    assert response.status_code == 200, response.content[:500]
    return response


def _long_id(value: str) -> int:
    assert value.startswith(ITEM_PREFIX), value
    return int(value[len(ITEM_PREFIX) :], 16)


def rest_pages(reader: Reader, status: str, oldest: bool, n: int) -> Iterator[list[int]]:
    cursor = None
    while True:
        params = {"status": status, "sort": "oldest" if oldest else "newest", "limit": n}
        response = reader.client.get(
            "/api/v1/entries/", {**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        yield [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return


def _greader_params(status: str, oldest: bool, n: int, continuation: str | None) -> dict:
    params = {**STREAMS[status], "n": n, "output": "json"}
    if oldest:
        params["r"] = "o"
    if continuation:
        params["c"] = continuation
    return params


def ids_pages(reader: Reader, status: str, oldest: bool, n: int) -> Iterator[list[int]]:
    continuation = None
    while True:
        params = _greader_params(status, oldest, n, continuation)
        body = _greader_get(reader, GREADER + "stream/items/ids", params).json()
        yield [int(ref["id"]) for ref in body["itemRefs"]]
        continuation = body.get("continuation")
        if not continuation:
            return


def contents_pages(reader: Reader, status: str, oldest: bool, n: int) -> Iterator[list[int]]:
    continuation = None
    while True:
        params = _greader_params(status, oldest, n, continuation)
        body = _greader_get(reader, GREADER + "stream/contents", params).json()
        yield [_long_id(item["id"]) for item in body["items"]]
        continuation = body.get("continuation")
        if not continuation:
            return


def atom_pages(reader: Reader, status: str, oldest: bool, n: int) -> Iterator[list[int]]:
    continuation = None
    while True:
        params = _greader_params(status, oldest, n, continuation)
        stream = params.pop("s")
        response = _greader_get(reader, ATOM + quote(stream, safe=""), params)
        feed = ElementTree.fromstring(response.content)
        yield [_long_id(e.find("a:id", NS).text) for e in feed.findall("a:entry", NS)]
        node = feed.find("gr:continuation", NS)
        if node is None:
            return
        continuation = node.text


def _fever(reader: Reader, query: str) -> dict:
    key = hashlib.md5(f"{reader.user.username}:{PASSWORD}".encode(), usedforsecurity=False)
    response = reader.client.post(f"/api/fever/?api&{query}", {"api_key": key.hexdigest()})
    assert response.status_code == 200 and response.json()["auth"] == 1, response.content[:500]
    return response.json()


def fever_id_list_pages(name: str) -> Callable[..., Iterator[list[int]]]:
    def pages(reader: Reader, status: str, oldest: bool, n: int) -> Iterator[list[int]]:
        with mock.patch.object(queries, "MAX_ID_PAGE", n):  # the internal pages: n ids each
            ids = _fever(reader, name)[name]
        yield [int(i) for i in ids.split(",") if i]

    return pages


def fever_items_pages(direction: str) -> Callable[..., Iterator[list[int]]]:
    def pages(reader: Reader, status: str, oldest: bool, n: int) -> Iterator[list[int]]:
        position = 0
        while True:
            with mock.patch.object(fever, "ITEMS_PER_CALL", n):
                items = _fever(reader, f"items&{direction}={position}")["items"]
            yield [item["id"] for item in items]
            if len(items) < n:
                return
            position = items[-1]["id"]

    return pages


@dataclass(frozen=True)
class Face:
    """A paged face: its pager, and (for Fever) the status and id order it always lists."""

    pages: Callable[..., Iterator[list[int]]]
    status: str | None = None  # None: the status asked for
    by_id: str | None = None  # "asc" / "desc": ordered by id alone, whatever ``oldest``
    whole: bool = False  # one answer with every id (paged inside the server)


FACES = {
    "rest": Face(rest_pages),
    "greader-ids": Face(ids_pages),
    "greader-contents": Face(contents_pages),
    "greader-atom": Face(atom_pages),
    "fever-unread-ids": Face(fever_id_list_pages("unread_item_ids"), "unread", "asc", whole=True),
    "fever-saved-ids": Face(fever_id_list_pages("saved_item_ids"), "starred", "asc", whole=True),
    "fever-items-since": Face(fever_items_pages("since_id"), "all", "asc"),
    "fever-items-max": Face(fever_items_pages("max_id"), "all", "desc"),
}


def _sort_key(reader: Reader, face: Face, oldest: bool) -> Callable[[int], tuple]:
    """The face's order as an ascending key: later in the list means a larger key."""
    if face.by_id:
        return (lambda i: (i,)) if face.by_id == "asc" else (lambda i: (-i,))
    sign = 1 if oldest else -1

    def key(entry_id: int) -> tuple:
        published = reader.model[entry_id]["published"]
        return (sign * (published - BASE) // timedelta(microseconds=1), sign * entry_id)

    return key


# --- The property --------------------------------------------------------------------------

entry_rows = st.lists(
    st.tuples(st.sampled_from(OFFSETS), st.booleans(), st.booleans(), st.integers(0, 1)),
    max_size=12,
)
changes = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(0, 99), st.booleans()),
        st.tuples(st.just("star"), st.integers(0, 99), st.booleans()),
        st.tuples(st.just("arrive"), st.sampled_from(OFFSETS), st.booleans()),
    ),
    max_size=4,
)


def _apply(reader: Reader, change: tuple) -> None:
    kind, value, flag = change
    if kind == "arrive":
        reader.add(value, flag, False, value % 2)
        return
    ids = sorted(reader.model)
    if not ids:
        return
    entry_id = ids[value % len(ids)]
    if kind == "read":
        reader.mark(entry_id, read=flag)
    else:
        reader.mark(entry_id, starred=flag)


@pytest.mark.parametrize("face_name", list(FACES))
@PAGING_SETTINGS
@given(
    rows=entry_rows,
    status=st.sampled_from(["all", "unread", "read", "starred"]),
    oldest=st.booleans(),
    n=st.integers(1, 4),
    between=changes,
)
def test_paging_to_the_end_lists_each_entry_once(face_name, rows, status, oldest, n, between):
    """Every face, paged to its end, lists what the model lists, each entry once and in order."""
    face = FACES[face_name]
    reader = make_reader(rows)
    status = face.status or status
    expected = sorted(reader.members(status), key=_sort_key(reader, face, oldest))
    snapshots = [reader.members(status)]  # what the list held before each page
    seen: list[int] = []
    after_change = None
    for number, page in enumerate(face.pages(reader, status, oldest, n)):
        if after_change is not None:
            snapshots.append(after_change)
        assert len(page) <= n or face.whole
        seen += page
        assert number < 100, "the pages never end"
        after_change = None
        if number < len(between):
            _apply(reader, between[number])
            after_change = reader.members(status)
    changed = len(snapshots) > 1
    if not changed:
        assert seen == expected
    key = _sort_key(reader, face, oldest)
    assert len(seen) == len(set(seen)), "an entry was listed twice"
    assert [key(i) for i in seen] == sorted(key(i) for i in seen), "the order broke between pages"
    assert set.intersection(*snapshots) <= set(seen), "an entry that stayed in the list was skipped"
    assert set(seen) <= set.union(*snapshots), "an entry outside the list was listed"


def test_each_id_endpoint_pages_ties_once_in_both_orders(alice):
    """Ten entries published at one instant, one id per page, r=o or not: each id once."""
    accounts.client_password_set(user=alice, password=PASSWORD)
    sub = SubscriptionFactory(user=alice)
    made = [EntryFactory(feed=sub.feed, published_at=BASE).pk for _ in range(10)]
    client = Client()
    client.force_login(alice)
    reader = Reader(alice, [sub.feed, sub.feed], client, accounts.greader_auth_token(user=alice))
    reader.model = {pk: {"published": BASE, "read": False, "starred": False} for pk in made}
    for pages in (rest_pages, ids_pages, contents_pages, atom_pages):
        for oldest in (False, True):
            seen = [i for page in pages(reader, "unread", oldest, 1) for i in page]
            assert seen == (made if oldest else made[::-1]), pages.__name__
    unread = list(fever_id_list_pages("unread_item_ids")(reader, "unread", False, 3))
    assert unread == [made]


# --- One definition of time ----------------------------------------------------------------


def _usec(value: datetime) -> str:
    return str((value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))


def test_a_late_arriving_old_item_is_returned_by_ot_on_every_face(alice):
    """First seen after the app's last sync, published a day before it: it still syncs."""
    accounts.client_password_set(user=alice, password=PASSWORD)
    sub = SubscriptionFactory(user=alice)
    now = timezone.now()
    EntryFactory(
        feed=sub.feed, published_at=now - timedelta(hours=3), created_at=now - timedelta(hours=3)
    )
    last_sync = now - timedelta(hours=1)
    late = EntryFactory(feed=sub.feed, published_at=now - timedelta(days=1), created_at=now)
    client = Client()
    client.force_login(alice)
    reader = Reader(alice, [sub.feed], client, accounts.greader_auth_token(user=alice))
    for ot in (int(last_sync.timestamp()), int(last_sync.timestamp() * 1000), _usec(last_sync)):
        params = {**STREAMS["unread"], "ot": ot, "output": "json", "n": 100}
        ids = _greader_get(reader, GREADER + "stream/items/ids", params).json()["itemRefs"]
        assert [int(ref["id"]) for ref in ids] == [late.pk]
        items = _greader_get(reader, GREADER + "stream/contents", params).json()["items"]
        assert [_long_id(item["id"]) for item in items] == [late.pk]
        feed = ElementTree.fromstring(
            _greader_get(reader, ATOM + quote(READING_LIST, safe=""), {"ot": ot}).content
        )
        assert [_long_id(e.find("a:id", NS).text) for e in feed.findall("a:entry", NS)] == [late.pk]
    # nt is the other side of the same first-seen bound.
    params = {**STREAMS["all"], "nt": int(last_sync.timestamp()), "output": "json"}
    ids = _greader_get(reader, GREADER + "stream/items/ids", params).json()["itemRefs"]
    assert late.pk not in {int(ref["id"]) for ref in ids} and len(ids) == 1


def test_ids_contents_and_atom_report_the_same_first_seen_time(alice):
    """timestampUsec / crawlTimeMsec are the first-seen time everywhere; published is the
    publisher's; a timestampUsec sent back as ot includes that very item."""
    accounts.client_password_set(user=alice, password=PASSWORD)
    sub = SubscriptionFactory(user=alice)
    seen_at = timezone.now().replace(microsecond=123_457)
    published = seen_at - timedelta(days=2, microseconds=5)
    entry = EntryFactory(feed=sub.feed, published_at=published, created_at=seen_at)
    client = Client()
    client.force_login(alice)
    reader = Reader(alice, [sub.feed], client, accounts.greader_auth_token(user=alice))
    params = {"s": f"feed/{sub.feed_id}", "output": "json"}
    ref = _greader_get(reader, GREADER + "stream/items/ids", params).json()["itemRefs"][0]
    item = _greader_get(reader, GREADER + "stream/contents", params).json()["items"][0]
    posted = reader.client.post(
        GREADER + "stream/items/contents",
        {"i": str(entry.pk), "output": "json"},
        HTTP_AUTHORIZATION=f"GoogleLogin auth={reader.token}",
    ).json()["items"][0]
    atom = ElementTree.fromstring(
        _greader_get(reader, ATOM + f"feed%2F{sub.feed_id}", {}).content
    ).find("a:entry", NS)
    assert (
        ref["timestampUsec"] == item["timestampUsec"] == posted["timestampUsec"] == _usec(seen_at)
    )
    assert item["crawlTimeMsec"] == posted["crawlTimeMsec"] == _usec(seen_at)[:-3]
    assert atom.get(f"{{{NS['gr']}}}crawl-timestamp-msec") == item["crawlTimeMsec"]
    assert item["published"] == int(published.timestamp())
    assert atom.find("a:published", NS).text == published.strftime("%Y-%m-%dT%H:%M:%SZ")
    for bound in (ref["timestampUsec"], item["crawlTimeMsec"]):
        again = {**params, "ot": bound}
        assert _greader_get(reader, GREADER + "stream/items/ids", again).json()["itemRefs"]
    later = {**params, "ot": str(int(ref["timestampUsec"]) + 1)}
    assert _greader_get(reader, GREADER + "stream/items/ids", later).json()["itemRefs"] == []


# --- The codec -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=UTC),
        datetime(2026, 3, 1, 13, 0, 0, 7, tzinfo=timezone.get_fixed_timezone(60)),
        datetime(2026, 3, 1, 12, 0, 0, 7),  # naive UTC, as SQLite's rows are
        "2026-03-01 12:00:00.000007",  # SQLite's raw text
    ],
)
def test_a_cursor_decodes_to_the_position_it_was_written_from(written):
    cursor = cursor_encode(published_at=written, entry_id=42)
    assert cursor_decode(cursor) == (datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=UTC), 42)
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor


def test_a_cursor_written_without_an_offset_reads_as_utc():
    """The shape SQLite runs used to write (and then refuse)."""
    import base64

    old = base64.urlsafe_b64encode(b"2026-03-01T12:00:00.000007|42").decode().rstrip("=")
    assert cursor_decode(old) == (datetime(2026, 3, 1, 12, 0, 0, 7, tzinfo=UTC), 42)


@pytest.mark.parametrize(
    "bad", ["", "!!!", "bm90IGEgY3Vyc29y", "MjAyNnwx", "MjAyNi0wMy0wMXwxOTk5OTk5OTk5OTk5OTk5OTk5OQ"]
)
def test_a_malformed_cursor_is_invalid_input(bad):
    with pytest.raises(InvalidInput):
        cursor_decode(bad)


def test_utc_datetime_refuses_what_is_no_time():
    with pytest.raises(ValueError):
        utc_datetime("yesterday")
    with pytest.raises(TypeError):
        utc_datetime(3)


def test_a_malformed_continuation_is_a_400_on_every_face(alice):
    accounts.client_password_set(user=alice, password=PASSWORD)
    SubscriptionFactory(user=alice)
    client = Client()
    client.force_login(alice)
    auth = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={accounts.greader_auth_token(user=alice)}"}
    assert client.get("/api/v1/entries/", {"cursor": "!!!"}).status_code == 400
    for path in ("stream/items/ids", "stream/contents"):
        assert client.get(GREADER + path, {"c": "!!!"}, **auth).status_code == 400
    assert client.get(ATOM, {"c": "!!!"}, **auth).status_code == 400


# --- Both databases ------------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("TIDINGS_PAGING_CHILD") == "1", reason="already the SQLite child run"
)
def test_paging_holds_on_sqlite(tmp_path):
    """This module again in a child pytest on SQLite (the embedded default)."""
    if connection.vendor == "sqlite":
        pytest.skip("this run is on SQLite already")
    child = pytest_child(
        __file__,
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'paging.sqlite3'}",
            "TIDINGS_PAGING_CHILD": "1",
            "DJANGO_SETTINGS_MODULE": "reader.project.settings_test",
        },
        deselect="sqlite",
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert "database=sqlite" in child.stdout
