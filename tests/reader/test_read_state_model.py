"""Read state checked against a plain in-memory model, through every face.

A hypothesis state machine runs random sequences of: entries arriving (some
published long ago), mark read / unread, kept-unread, star / unstar,
mark-all-read per subscription, category, Uncategorized or everything (no
bound, an entry-id bound, a first-seen-time bound, including bounds older than
every entry), and rules hiding entries. Each step goes through the services or
one face: the REST API (/api/v1/), Google Reader (``edit-tag``,
``mark-all-as-read``), Fever (``mark=item|feed|group``) or the page actions. After
every step every entry's read and starred state, the unread / starred / all
lists, the Google Reader and Fever id set of unread entries, and every unread
count equal the model's.

The model's rule (what a user expects, not how it is stored): a new entry is
unread unless its subscription's ``unread_since`` is after its publication; a
mark sets the state of exactly the entries named; mark-all-read makes read
exactly the unread entries in scope at or below the bound (id: ``id <= bound``;
time: first seen at or before it); a hide rule makes matching entries read and
hidden (out of every list but Starred) until they are marked unread.

``test_the_model_holds_on_sqlite`` runs this module again in a child pytest on
SQLite, so both databases are checked in the normal run.
"""

from __future__ import annotations

import functools
import hashlib
import os
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from accounts import services as accounts
from reader import rules as reader_rules
from reader import selectors, services
from reader.api.compat import queries
from tests.procs import pytest_child
from tests.reader.factories import CategoryFactory, EntryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

PASSWORD = "model-app-pass"
GREADER = "/api/greader/reader/api/0/"
STATE = "user/-/state/com.google/"
TAGS = ("alpha", "beta")
FACES = ("service", "rest", "greader", "fever", "page")

#: Steps are kept small: each example builds a user, three feeds and a few entries.
MODEL_SETTINGS = settings(
    max_examples=int(os.environ.get("TIDINGS_MODEL_EXAMPLES", "12")),
    stateful_step_count=12,
    deadline=None,
    # No shrinking: each example costs about a second, and shrinking a failure took
    # minutes. A failure prints its whole (short) sequence of steps instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class ReadStateMachine(RuleBasedStateMachine):
    """Alice with feeds 0 and 1 in category Tech and feed 2 uncategorized (new subscriber)."""

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        cache.clear()  # throttles and login counters start empty in every example
        from django.contrib.auth import get_user_model

        self.user = get_user_model().objects.create_user("alice", "alice@example.com", "pw-123")
        accounts.client_password_set(user=self.user, password=PASSWORD)
        self.base = (timezone.now() - timedelta(days=2)).replace(second=0, microsecond=0)
        self.tech = CategoryFactory(user=self.user, title="Tech")
        self.feeds = [FeedFactory() for _ in range(3)]
        self.subs = [
            SubscriptionFactory(user=self.user, feed=self.feeds[0], category=self.tech),
            SubscriptionFactory(user=self.user, feed=self.feeds[1], category=self.tech),
            # A new subscriber's feed: entries published before unread_since arrive read.
            SubscriptionFactory(
                user=self.user, feed=self.feeds[2], unread_since=self.base - timedelta(days=1)
            ),
        ]
        EntryFactory(feed=FeedFactory())  # an entry of nobody's feed: ids of ours start above 1
        self.entries: dict[int, dict] = {}  # id -> id, feed, created, tag, read, starred, hidden
        self.minutes = 0
        self.rest, self.page, self.client = _clients()
        _token, raw = accounts.token_create(user=self.user, name="model")
        self.rest_headers = {"Authorization": f"Bearer {raw}"}
        self.page.force_login(self.user)
        login = self.client.post(
            "/api/greader/accounts/ClientLogin", {"Email": "alice", "Passwd": PASSWORD}
        )
        assert login.status_code == 200, login.content
        auth = dict(line.split("=", 1) for line in login.content.decode().split())["Auth"]
        self.greader_headers = {"Authorization": f"GoogleLogin auth={auth}"}
        self.fever_key = hashlib.md5(f"alice:{PASSWORD}".encode(), usedforsecurity=False)

    def teardown(self) -> None:
        try:
            for entry_id, want in self.entries.items():  # the Python rule, once per example
                got = selectors.entry_get(user=self.user, entry_id=entry_id)
                assert (entry_id, got.is_read, got.is_starred) == (
                    entry_id,
                    want["read"],
                    want["starred"],
                )
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- Helpers ------------------------------------------------------------------

    def _ids(self, picks: list[int]) -> list[int]:
        ordered = sorted(self.entries)
        return sorted({ordered[p % len(ordered)] for p in picks}) if ordered else []

    def _rest(self, method: str, path: str, body: dict) -> None:
        import json

        call = getattr(self.rest, method)
        response = call(
            f"/api/v1/{path}", json.dumps(body), "application/json", headers=self.rest_headers
        )
        assert response.status_code == 200, response.content

    def _greader(self, path: str, data: dict) -> None:
        response = self.client.post(GREADER + path, data, headers=self.greader_headers)
        assert response.status_code == 200, response.content

    def _fever(self, **data: object) -> None:
        data["api_key"] = self.fever_key.hexdigest()
        response = self.client.post("/api/fever/?api", data)
        assert response.status_code == 200 and response.json()["auth"] == 1, response.content

    def _page(self, path: str, data: dict) -> None:
        response = self.page.post(path, data)
        assert response.status_code == 302, response.content

    # --- Steps ----------------------------------------------------------------------

    @initialize(
        feeds=st.lists(st.integers(0, 2), min_size=1, max_size=5),
        read_up_to=st.integers(-1, 4),
    )
    def first_entries(self, feeds: list[int], read_up_to: int) -> None:
        """Some entries, the oldest of them already read (the user has read before)."""
        for feed in feeds:
            self.arrive(feed=feed, old=False, tag=0)
        if read_up_to >= 0:
            self.mark_all_read("all", 0, "id", read_up_to, False, "service")

    @rule(feed=st.integers(0, 2), old=st.booleans(), tag=st.integers(0, 1))
    def arrive(self, feed: int, old: bool, tag: int) -> None:
        """A new entry is fetched (first seen a minute after the previous one)."""
        if len(self.entries) >= 14:
            return
        self.minutes += 1
        created = self.base + timedelta(minutes=self.minutes)
        published = created - timedelta(days=10) if old else created
        entry = EntryFactory(
            feed=self.feeds[feed],
            title=f"Story {self.minutes} {TAGS[tag]}",
            published_at=published,
            created_at=created,
        )
        unread_since = self.subs[feed].unread_since
        self.entries[entry.pk] = {
            "id": entry.pk,
            "feed": feed,
            "created": created,
            "tag": tag,
            "read": unread_since is not None and published < unread_since,
            "starred": False,
            "hidden": False,
        }

    @rule(picks=st.lists(st.integers(0, 20), min_size=1, max_size=3), read=st.booleans(),
          face=st.sampled_from(FACES))  # fmt: skip
    def mark(self, picks: list[int], read: bool, face: str) -> None:
        """Mark some entries read or unread (unread also unhides)."""
        ids = self._ids(picks)
        if not ids:
            return
        if face == "service":
            services.entries_set_read(user=self.user, entry_ids=ids, read=read)
        elif face == "rest":
            self._rest("post", "entries/batch/", {"ids": ids, "read": read})
        elif face == "greader":
            self._greader("edit-tag", {"i": ids, "a" if read else "r": STATE + "read"})
        else:
            for entry_id in ids:
                if face == "fever":
                    self._fever(mark="item", id=entry_id, **{"as": "read" if read else "unread"})
                else:
                    action = "read" if read else "unread"
                    self._page(f"/reader/entries/{entry_id}/action/", {"action": action})
        for entry_id in ids:
            self.entries[entry_id]["read"] = read
            if not read:
                self.entries[entry_id]["hidden"] = False

    @rule(picks=st.lists(st.integers(0, 20), min_size=1, max_size=3), keep=st.booleans(),
          face=st.sampled_from(("service", "greader", "rest")))  # fmt: skip
    def kept_unread(self, picks: list[int], keep: bool, face: str) -> None:
        """Keep entries unread (Google Reader's kept-unread tag), or drop that tag."""
        ids = self._ids(picks)
        if not ids:
            return
        if face == "greader":
            self._greader("edit-tag", {"i": ids, "a" if keep else "r": STATE + "kept-unread"})
        elif face == "rest":
            for entry_id in ids:
                self._rest("patch", f"entries/{entry_id}/", {"read": not keep})
        else:
            services.entries_set_read(user=self.user, entry_ids=ids, read=not keep)
        for entry_id in ids:
            self.entries[entry_id]["read"] = not keep
            if keep:
                self.entries[entry_id]["hidden"] = False

    @rule(picks=st.lists(st.integers(0, 20), min_size=1, max_size=3), starred=st.booleans(),
          face=st.sampled_from(FACES))  # fmt: skip
    def star(self, picks: list[int], starred: bool, face: str) -> None:
        """Star or unstar some entries."""
        ids = self._ids(picks)
        if not ids:
            return
        if face == "service":
            services.entries_set_starred(user=self.user, entry_ids=ids, starred=starred)
        elif face == "rest":
            self._rest("post", "entries/batch/", {"ids": ids, "starred": starred})
        elif face == "greader":
            self._greader("edit-tag", {"i": ids, "a" if starred else "r": STATE + "starred"})
        else:
            for entry_id in ids:
                if face == "fever":
                    self._fever(
                        mark="item", id=entry_id, **{"as": "saved" if starred else "unsaved"}
                    )
                else:
                    action = "star" if starred else "unstar"
                    self._page(f"/reader/entries/{entry_id}/action/", {"action": action})
        for entry_id in ids:
            self.entries[entry_id]["starred"] = starred

    @rule(
        scope=st.sampled_from(("all", "feed", "category", "uncategorized")),
        feed=st.integers(0, 2),
        bound=st.sampled_from(("id", "time")),
        at=st.one_of(st.just(-1), st.integers(0, 20)),  # -1: older than every entry
        half_minute=st.booleans(),
        face=st.sampled_from(FACES),
    )
    def mark_all_read(
        self, scope: str, feed: int, bound: str, at: int, half_minute: bool, face: str
    ) -> None:
        """Mark all read in a scope, with no bound, an id bound or a first-seen-time bound.

        ``at`` picks the bound among the entries (-1: older than every entry).
        """
        ordered = sorted(self.entries)
        if face in ("greader", "fever") and scope == "uncategorized":
            scope = "all"  # neither protocol names Uncategorized
        if bound == "id" and face != "service" and face != "rest":
            bound = "time"  # only the REST API and the services take an id bound
        max_id = before = None
        if bound == "id":
            max_id = ordered[at % len(ordered)] if ordered and at >= 0 else min(ordered or [2]) - 1
        elif bound == "time":
            if at < 0 or not ordered:
                before = self.base - timedelta(hours=1)
            else:
                before = self.entries[ordered[at % len(ordered)]]["created"]
            before += timedelta(seconds=30 if half_minute else 0)
        sub = self.subs[feed]
        self._mark_all_read_through(face, scope, sub, before, max_id)
        for entry in self.entries.values():
            in_scope = {
                "all": True,
                "feed": entry["feed"] == feed,
                "category": entry["feed"] in (0, 1),
                "uncategorized": entry["feed"] == 2,
            }[scope]
            at_or_below = (
                (max_id is None or entry["id"] <= max_id)
                and (before is None or entry["created"] <= before)
            )  # fmt: skip
            if in_scope and at_or_below:
                entry["read"] = True

    @rule(
        scope=st.sampled_from(("all", "feed", "category", "uncategorized")),
        feed=st.integers(0, 2),
        face=st.sampled_from(FACES),
    )
    def mark_all_read_unbounded(self, scope: str, feed: int, face: str) -> None:
        """Mark all read in a scope up to now (a rule of its own: it often comes first)."""
        self.mark_all_read(scope, feed, "none", 0, False, face)

    def _mark_all_read_through(self, face, scope, sub, before, max_id) -> None:
        category_id = {"category": self.tech.pk, "uncategorized": 0}.get(scope)
        subscription_id = sub.pk if scope == "feed" else None
        if face == "service":
            services.mark_all_read(
                user=self.user,
                subscription_id=subscription_id,
                category_id=category_id,
                before=before,
                max_entry_id=max_id,
            )
        elif face == "rest":
            body = {"subscription_id": subscription_id, "category_id": category_id}
            if before is not None:
                body["before"] = before.isoformat()
            if max_id is not None:
                body["max_entry_id"] = max_id
            self._rest("post", "mark-all-read/", body)
        elif face == "greader":
            stream = {
                "all": STATE + "reading-list",
                "feed": f"feed/{sub.feed_id}",
                "category": "user/-/label/Tech",
            }[scope]
            data = {"s": stream}
            if before is not None:
                data["ts"] = str(int(before.timestamp() * 1_000_000))
            self._greader("mark-all-as-read", data)
        elif face == "fever":
            data = {"as": "read"}
            if before is not None:
                data["before"] = int(before.timestamp())
            if scope == "feed":
                self._fever(mark="feed", id=sub.feed_id, **data)
            else:
                self._fever(mark="group", id=self.tech.pk if scope == "category" else 0, **data)
        else:
            data = {}
            if subscription_id is not None:
                data["subscription_id"] = subscription_id
            if category_id is not None:
                data["category_id"] = category_id
            if before is not None:
                data["before"] = before.isoformat()
            self._page("/reader/mark-all-read/", data)

    @rule(tag=st.integers(0, 1), face=st.sampled_from(("service", "rest")))
    def hide_by_rule(self, tag: int, face: str) -> None:
        """A rule hides the entries whose title has a word; applied to existing entries."""
        values = {"field": "title", "match": "any_words", "pattern": TAGS[tag], "action": "hide"}
        if face == "service":
            made = reader_rules.rule_create(user=self.user, **values)
            reader_rules.rule_apply(user=self.user, rule_id=made.pk)
        else:
            import json

            response = self.rest.post(
                "/api/v1/rules/", json.dumps(values), "application/json", headers=self.rest_headers
            )
            assert response.status_code == 201, response.content
            self._rest("post", f"rules/{response.json()['id']}/apply/", {})
        for entry in self.entries.values():
            if entry["tag"] == tag:
                entry["read"] = entry["hidden"] = True

    # --- What must hold after every step ---------------------------------------------

    @invariant()
    def every_entry_matches_the_model(self) -> None:
        got = queries.entries_by_id(user=self.user, ids=list(self.entries))
        assert {e.pk: (e.is_read, e.is_starred) for e in got} == {
            i: (e["read"], e["starred"]) for i, e in self.entries.items()
        }

    @invariant()
    def lists_match_the_model(self) -> None:
        def listed(status: str) -> set[int]:
            rows, _ = selectors.entry_id_page(user=self.user, filters={"status": status})
            return {row[0] for row in rows}

        unread = {i for i, e in self.entries.items() if not e["read"]}
        page = selectors.entry_list(user=self.user, filters={"status": "unread"}, limit=500)
        assert {e.pk for e in page.entries} == unread
        assert listed("unread") == unread
        assert listed("read") == {
            i for i, e in self.entries.items() if e["read"] and not e["hidden"]
        }
        assert listed("all") == {i for i, e in self.entries.items() if not e["hidden"]}
        assert listed("starred") == {i for i, e in self.entries.items() if e["starred"]}

    @invariant()
    def counts_match_the_model(self) -> None:
        per_feed = [0, 0, 0]
        for entry in self.entries.values():
            per_feed[entry["feed"]] += not entry["read"]
        counts = selectors.unread_counts(user=self.user)
        assert counts["subscriptions"] == {
            s.pk: n for s, n in zip(self.subs, per_feed, strict=True)
        }
        assert counts["categories"] == {self.tech.pk: per_feed[0] + per_feed[1], None: per_feed[2]}
        assert counts["total"] == sum(per_feed)
        assert counts["starred"] == sum(e["starred"] for e in self.entries.values())


@functools.cache
def _clients() -> tuple[Client, Client, Client]:
    """REST, page and protocol clients, made once (each loads the middleware stack)."""
    return Client(), Client(), Client()


def test_read_state_follows_the_model_through_every_face():
    """Services, REST, Google Reader, Fever and pages keep read state as the model says."""
    run_state_machine_as_test(ReadStateMachine, settings=MODEL_SETTINGS)


def test_bounded_mark_all_read_older_than_every_entry_keeps_kept_unread_entries(alice):
    """The reported case: a bound before every entry marks nothing, not even kept-unread ones."""
    sub = SubscriptionFactory(user=alice)
    base = timezone.now() - timedelta(hours=1)
    made = [
        EntryFactory(feed=sub.feed, created_at=base + timedelta(minutes=i), published_at=base)
        for i in range(3)
    ]
    services.mark_all_read(user=alice)
    services.entries_set_read(user=alice, entry_ids=[made[1].pk], read=False)
    assert services.mark_all_read(user=alice, before=base - timedelta(days=1)) == 0
    assert services.mark_all_read(user=alice, max_entry_id=made[0].pk - 1) == 0
    assert selectors.unread_counts(user=alice)["total"] == 1
    assert selectors.entry_get(user=alice, entry_id=made[1].pk).is_read is False
    # A bound at or above it still marks it read.
    services.mark_all_read(user=alice, max_entry_id=made[1].pk)
    assert selectors.entry_get(user=alice, entry_id=made[1].pk).is_read is True


@pytest.mark.skipif(
    os.environ.get("TIDINGS_MODEL_CHILD") == "1", reason="already the SQLite child run"
)
def test_the_model_holds_on_sqlite(tmp_path):
    """This module again in a child pytest on SQLite (the embedded default)."""
    if connection.vendor == "sqlite":
        pytest.skip("this run is on SQLite already")
    child = pytest_child(
        __file__,
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'model.sqlite3'}",
            "TIDINGS_MODEL_CHILD": "1",
            "DJANGO_SETTINGS_MODULE": django_settings.SETTINGS_MODULE,
        },
        deselect="sqlite",
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert "database=sqlite" in child.stdout
