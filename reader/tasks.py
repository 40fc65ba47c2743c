"""Thin Celery tasks of the reading app: they take ids and call one service.

Each task imports its service when it runs: the services enqueue these tasks, so a
module-level import here would be an import cycle.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reader.tasks.import_opml", acks_late=True, ignore_result=True)
def import_opml(job_id: int) -> str:
    """Run OPML import job ``job_id`` (queue ``default``); idempotent; returns its final status."""
    from reader.opml import opml_import_run

    return opml_import_run(job_id=job_id).status


@shared_task(name="reader.tasks.apply_rules", acks_late=True, ignore_result=True)
def apply_rules(feed_id: int, entry_ids: list[int]) -> int:
    """Run subscribers' rules on new entries of feed ``feed_id`` (queue ``default``).

    Enqueued on commit by ``reader.rules`` when ``feeds.signals.entries_stored``
    fires; idempotent. Returns how many (user, entry) actions were taken.
    """
    from reader.rules import rules_apply_new_entries

    return sum(rules_apply_new_entries(feed_id=feed_id, entry_ids=entry_ids).values())
