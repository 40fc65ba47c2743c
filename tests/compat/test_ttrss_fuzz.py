"""Tiny Tiny RSS API under arbitrary input: any call with any parameters (JSON of any type,
strings for numbers, huge numbers, NUL characters) answers in the API's shape, never a 5xx."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as accounts
from accounts.ratelimit import reopen_doors
from tests.factories import CategoryFactory, FeedFactory, SubscriptionFactory, entries

pytestmark = pytest.mark.django_db

OPS = [
    "login", "logout", "isLoggedIn", "getApiLevel", "getVersion", "getConfig", "getUnread",
    "getCounters", "getCategories", "getFeeds", "getFeedTree", "getHeadlines", "getArticle",
    "updateArticle", "catchupFeed", "subscribeToFeed", "unsubscribeFeed", "getLabels",
    "getPref", "setArticleLabel", "",
]  # fmt: skip
PARAMS = [
    "feed_id", "is_cat", "limit", "skip", "view_mode", "since_id", "order_by", "show_content",
    "show_excerpt", "excerpt_length", "include_attachments", "include_nested", "include_header",
    "check_first_id", "search", "article_id", "article_ids", "field", "mode", "data", "cat_id",
    "unread_only", "offset", "include_empty", "enable_nested", "output_mode", "pref_name",
    "category_id", "user", "password", "seq",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["0", "1", "-4", "-3", "-1", "true", "false", "f", "1,2,x", "\x00", "adaptive",
                     "unread", "marked", "date_reverse", "2week", " 12 ", "9" * 30]),
)  # fmt: skip
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)
#: Addresses that fail before any network access (a fuzz must not wait on DNS).
FEED_URLS = st.sampled_from(
    ["", "not a url", "ftp://x", "javascript:alert(1)", "http://", 12, None]
)


@pytest.fixture
def session(alice, bob):
    for user, password in ((alice, "alice-app-pass"), (bob, "bob-app-pass")):
        accounts.client_password_set(user=user, password=password)
    feed = FeedFactory()
    SubscriptionFactory(user=alice, feed=feed, category=CategoryFactory(user=alice))
    entries(feed, 4)
    return accounts.client_session_start(user=alice)


def _answer_shape_ok(response) -> dict:
    assert response.status_code < 500, response.content[:500]
    data = response.json()
    assert set(data) == {"seq", "status", "content"} and data["status"] in (0, 1), data
    assert isinstance(data["seq"], int)
    if data["status"] == 1:
        assert isinstance(data["content"]["error"], str), data
    return data


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    op=st.sampled_from(OPS) | st.text(max_size=12),
    params=st.dictionaries(st.sampled_from(PARAMS), values, max_size=6),
    feed_url=FEED_URLS,
    with_session=st.booleans(),
)
def test_any_call_with_any_parameters_answers_in_the_api_shape(
    client, session, op, params, feed_url, with_session
):
    cache.clear()  # failed sign-ins must not lock the test client's address
    reopen_doors()
    body = {**params, "op": op, "feed_url": feed_url}
    if with_session:
        body["sid"] = session
    response = client.post("/api/", data=json.dumps(body), content_type="application/json")
    data = _answer_shape_ok(response)
    if not with_session and op.lower() not in ("login", "isloggedin"):
        assert data["content"] == {"error": "NOT_LOGGED_IN"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_any_body_answers_in_the_api_shape(client, session, body):
    response = client.post("/api/", data=body, content_type="application/json")
    _answer_shape_ok(response)
    response = client.generic("GET", "/api/index.php")
    assert _answer_shape_ok(response)["content"] == {"error": "NOT_LOGGED_IN"}
