from __future__ import annotations

import pytest

from reader.api.compat.item_ids import (
    InvalidItemId,
    Stream,
    item_id_long,
    parse_item_id,
    parse_item_ids,
    parse_stream_id,
)


def test_it_emits_the_zero_padded_long_form():
    assert item_id_long(26) == "tag:google.com,2005:reader/item/000000000000001a"


@pytest.mark.parametrize(
    "spelling",
    ["26", "tag:google.com,2005:reader/item/000000000000001a", "000000000000001a", "1a"],
)
def test_it_reads_every_spelling_clients_send_as_the_same_id(spelling):
    assert parse_item_id(spelling) == 26


def test_it_reads_sixteen_digit_hex_made_only_of_digits_as_hex():
    assert parse_item_id("0000000000000026") == 0x26


def test_it_rejects_ids_outside_the_positive_63_bit_range():
    for bad in (str(-(2**64) + 2**62), str(2**63), f"{2**63:016x}"):
        with pytest.raises(InvalidItemId):
            parse_item_id(bad)


@pytest.mark.parametrize(
    "bad", ["", "0", "xyz", "tag:google.com,2005:reader/item/zz", "-", "1" * 30]
)
def test_it_rejects_malformed_ids(bad):
    with pytest.raises(InvalidItemId):
        parse_item_id(bad)


def test_batches_drop_malformed_ids_and_repeats():
    assert parse_item_ids(["26", "1a", "nope", "27"]) == [26, 27]


def test_it_parses_stream_ids():
    assert parse_stream_id("user/-/state/com.google/reading-list") == Stream("reading-list")
    assert parse_stream_id("user/1005/state/com.google/starred") == Stream("starred")
    assert parse_stream_id("user/-/label/Tech / News") == Stream("label", "Tech / News")
    assert parse_stream_id("feed/https://x.example/feed") == Stream(
        "feed", "https://x.example/feed"
    )
    assert parse_stream_id("feed/12") == Stream("feed", "12")
    assert parse_stream_id(None) == Stream("reading-list")
    assert parse_stream_id("user/-/state/com.google/broadcast") == Stream("ignored", "broadcast")
    with pytest.raises(ValueError):
        parse_stream_id("bogus")
