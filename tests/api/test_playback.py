"""Playback positions: GET/PUT /api/v1/entries/<id>/playback/ and the service behind them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import selectors, services
from reader.errors import InvalidInput, NotFound
from reader.models import PlaybackPosition
from tests.api.conftest import assert_error
from tests.api.seed import seed_reader_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(alice):
    return seed_reader_data(alice)


def test_an_entry_never_played_starts_at_zero(api, data):
    entry = data["entries1"][0]
    body = api.get(f"/api/v1/entries/{entry.pk}/playback/").json()
    assert body == {"entry_id": entry.pk, "position": 0.0, "duration": None, "updated_at": None}


def test_a_saved_position_is_read_back_and_replaced_by_the_next(api, data):
    entry = data["entries1"][1]
    path = f"/api/v1/entries/{entry.pk}/playback/"
    first = api.request("put", path, {"position": 754.2, "duration": 1830})
    assert first.status_code == 200, first.content
    assert first.json()["position"] == 754.2
    assert first.json()["updated_at"].endswith("Z")
    api.request("put", path, {"position": 800})
    body = api.get(path).json()
    assert (body["position"], body["duration"]) == (800.0, None)
    assert PlaybackPosition.objects.filter(entry=entry).count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "position"),
        ({"position": -1}, "position"),
        ({"position": "soon"}, "position"),
        ({"position": "NaN"}, "position"),
        ({"position": 1e12}, "position"),
        ({"position": 10, "duration": -5}, "duration"),
    ],
)
def test_a_position_that_is_not_seconds_is_a_400(api, data, body, field):
    entry = data["entries1"][0]
    response = api.request("put", f"/api/v1/entries/{entry.pk}/playback/", body)
    assert_error(response, 400, field)


def test_an_unknown_entry_is_a_404(api, data):
    assert api.get("/api/v1/entries/999999999/playback/").status_code == 404
    response = api.request("put", "/api/v1/entries/999999999/playback/", {"position": 1})
    assert response.status_code == 404


def test_another_readers_position_is_their_own(alice, bob, data):
    from tests.factories import SubscriptionFactory

    entry = data["entries1"][0]
    SubscriptionFactory(user=bob, feed=entry.feed)
    services.playback_save(user=alice, entry_id=entry.pk, position=30, duration=60)
    assert selectors.playback_get(user=bob, entry_id=entry.pk).position == 0.0
    services.playback_save(user=bob, entry_id=entry.pk, position=5)
    assert selectors.playback_get(user=alice, entry_id=entry.pk).position == 30.0


def test_the_service_refuses_what_the_api_cannot_send(alice, charlie, data):
    entry = data["entries1"][0]
    with pytest.raises(InvalidInput):
        services.playback_save(user=alice, entry_id=entry.pk, position=float("inf"))
    with pytest.raises(NotFound):
        services.playback_save(user=charlie, entry_id=entry.pk, position=1)


SAVES = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=50_000, allow_nan=False),
        st.one_of(st.none(), st.floats(min_value=0, max_value=50_000, allow_nan=False)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(saves=SAVES)
def test_the_position_read_back_is_the_last_one_saved_within_its_duration(alice, data, saves):
    entry = data["entries2"][0]
    for position, duration in saves:
        services.playback_save(user=alice, entry_id=entry.pk, position=position, duration=duration)
    position, duration = saves[-1]
    expected = position if duration is None else min(position, duration)
    got = selectors.playback_get(user=alice, entry_id=entry.pk)
    assert got.position == pytest.approx(expected)
    assert got.duration == (None if duration is None else pytest.approx(duration))
