"""Tiny Tiny RSS API against a model (hypothesis): paging with ``skip``/``limit`` lists every
article once, in the one-call order; ``updateArticle`` sequences (set, clear, toggle) leave the
flags a plain dictionary predicts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as accounts
from reader.api.compat.integer_ids import integer_entry_id
from tests.factories import EntryFactory, FeedFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def reader(client, alice):
    """(call, article ids): Alice signed in, 12 entries in two feeds, some at the same instant."""
    accounts.client_password_set(user=alice, password="p")
    sid = accounts.client_session_start(user=alice)
    now = timezone.now()
    ids = []
    for _ in range(2):
        feed = FeedFactory()
        SubscriptionFactory(user=alice, feed=feed)
        for i in range(6):
            when = now - timedelta(minutes=i // 2)  # pairs share a publication time
            ids.append(integer_entry_id(EntryFactory(feed=feed, published_at=when).pk))

    def call(op: str, **params):
        body = json.dumps({"op": op, "sid": sid, **params})
        data = client.post("/api/", data=body, content_type="application/json").json()
        assert data["status"] == 0, data
        return data["content"]

    return call, ids


@SETTINGS
@given(
    limit=st.integers(min_value=1, max_value=7),
    order_by=st.sampled_from(["", "date_reverse", "feed_dates"]),
    view_mode=st.sampled_from(["all_articles", "unread", "adaptive"]),
)
def test_paging_with_skip_lists_every_article_once_in_order(reader, limit, order_by, view_mode):
    call, ids = reader
    params = {"feed_id": -4, "order_by": order_by, "view_mode": view_mode}
    whole = [row["id"] for row in call("getHeadlines", **params)]
    assert sorted(whole) == sorted(ids)
    paged: list[int] = []
    while True:
        rows = call("getHeadlines", **params, limit=limit, skip=len(paged))
        paged += [row["id"] for row in rows]
        if len(rows) < limit:
            break
    assert paged == whole


marks = st.lists(
    st.tuples(
        st.lists(st.integers(min_value=0, max_value=11), min_size=1, max_size=4),
        st.sampled_from([0, 2]),  # field: starred, unread
        st.sampled_from([0, 1, 2]),  # mode: false, true, toggle
    ),
    max_size=8,
)


@SETTINGS
@given(steps=marks)
def test_update_article_sequences_match_a_model(reader, steps):
    cache.clear()
    call, ids = reader
    model = {i: {"unread": True, "marked": False} for i in ids}
    # Start from the model's state: everything unread, nothing starred.
    call("updateArticle", article_ids=",".join(map(str, ids)), field=2, mode=1)
    call("updateArticle", article_ids=",".join(map(str, ids)), field=0, mode=0)
    for positions, field, mode in steps:
        chosen = list(dict.fromkeys(ids[p] for p in positions))
        answer = call(
            "updateArticle", article_ids=",".join(map(str, chosen)), field=field, mode=mode
        )
        assert answer == {"status": "OK", "updated": len(chosen)}
        flag = "marked" if field == 0 else "unread"
        for article in chosen:
            model[article][flag] = not model[article][flag] if mode == 2 else bool(mode)
    rows = call("getHeadlines", feed_id=-4)
    assert {r["id"]: {"unread": r["unread"], "marked": r["marked"]} for r in rows} == model
    assert call("getUnread") == {"unread": sum(m["unread"] for m in model.values())}
    starred = {r["id"] for r in call("getHeadlines", feed_id=-1)}
    assert starred == {i for i, m in model.items() if m["marked"]}
