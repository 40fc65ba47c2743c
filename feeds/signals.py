"""Signals sent by the feeds app, so that per-user apps react without feeds importing them.

``feeds`` knows nothing of users (DESIGN.md); when its shared data changes in a
way that per-user rows must follow, it sends a signal and ``reader`` receives it.
"""

from __future__ import annotations

from django.dispatch import Signal

feed_merged = Signal()
"""Sent by ``feeds.services.feed_merge`` inside its transaction, BEFORE the source feed is deleted.

Keyword arguments: ``sender`` (the ``Feed`` class), ``source_id`` (int, the feed
about to be deleted), ``target_id`` (int, the feed that keeps going).

When the signal is sent, every entry of the source whose identity the target
did not already have has been moved to the target (same row, same id, so its
per-user state follows it). The source still holds exactly the entries that
duplicate a target entry: same ``identity_hash``, different id. Receivers move
subscriptions (without creating a duplicate subscription for a user who has
both) and re-point per-user state of those duplicate entries to the target
entry with the same ``identity_hash``. Whatever stays attached to the source is
deleted with it (cascade) when the receivers return. Receivers run in the
merge's transaction: an exception rolls the whole merge back.
"""

entries_stored = Signal()
"""Sent by ``feeds.services`` after a refresh stored new entries (rules).

Keyword arguments: ``sender`` (the ``Feed`` class), ``feed_id`` (int),
``entry_ids`` (list of int: the entries inserted by this refresh, first seen at
that time). Sent inside the refresh's transaction: a receiver that enqueues a
task must do so with ``transaction.on_commit`` (as ``reader.rules`` does, to
apply its users' rules), so the task sees the entries. Receivers must be quick
(enqueue, do not compute): they run in the refresh. Not sent for a feed that
has no subscriber (per-user reactions need one; the refresh's lease reads that
in the same statement, so such a feed pays no query).
"""
