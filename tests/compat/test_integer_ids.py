"""The integer entry ids of the Nextcloud News, Tiny Tiny RSS and Miniflux faces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reader.api.compat.integer_ids import (
    ENTRY_ID_START,
    INTEGER_ID_MAX,
    entry_id_from_integer,
    integer_entry_id,
)


def test_the_first_entry_has_integer_id_one():
    assert integer_entry_id(ENTRY_ID_START) == 1
    assert entry_id_from_integer(1) == ENTRY_ID_START


@given(st.integers(min_value=ENTRY_ID_START, max_value=ENTRY_ID_START + INTEGER_ID_MAX - 1))
def test_integer_ids_round_trip_and_keep_order(entry_id):
    small = integer_entry_id(entry_id)
    assert 1 <= small <= INTEGER_ID_MAX
    assert entry_id_from_integer(small) == entry_id
    assert integer_entry_id(entry_id + 1) > small


@given(
    st.one_of(st.integers(max_value=0), st.integers(min_value=INTEGER_ID_MAX + 1), st.just(True))
)
def test_values_outside_the_range_name_no_entry(value):
    assert entry_id_from_integer(value) is None


def test_an_id_below_the_id_space_is_refused():
    with pytest.raises(ValueError):
        integer_entry_id(ENTRY_ID_START - 1)
