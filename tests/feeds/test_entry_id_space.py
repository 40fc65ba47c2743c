"""Entry ids live in [0xA00000000000, 0xAFFFFFFFFFFF] on every backend (feeds 0004/0006), so
the Google Reader API's decimal, padded-hex and unpadded-hex spellings never collide."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.utils import timezone

from feeds.models import Entry, Feed

pytestmark = pytest.mark.django_db

ENTRY_ID_START = import_module("feeds.migrations.0004_entry_id_space").ENTRY_ID_START


def test_a_new_entry_gets_an_id_in_the_reserved_space():
    """On SQLite, 0005 rebuilt feeds_entry and its AUTOINCREMENT counter restarted at 1."""
    feed = Feed.objects.create(url="https://ids.example.org/feed.xml")
    entry = Entry.objects.create(
        feed=feed, identity_hash="a" * 64, title="First", published_at=timezone.now()
    )
    assert ENTRY_ID_START <= entry.pk <= 0xAFFFFFFFFFFF
    assert format(entry.pk, "x").startswith("a") and len(str(entry.pk)) == 15
