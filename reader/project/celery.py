"""The Celery app: queues, routing, reliability options, and the beat schedule.

This is the only scheduler of Tidings. Queues:

- ``interactive``: ``refresh_feed`` tasks someone is waiting for (the first fetch of a feed a
  person subscribes to, "refresh now"/retry:
  ``feeds.tasks.refresh_feed_enqueue(interactive=True)``);
- ``feeds``: ``refresh_feeds`` tasks (fetch, parse, sanitize, store a batch of feeds) of the
  scheduler and of OPML imports, and ``refresh_feed`` tasks nobody waits for;
- ``default``: everything else (OPML imports, retention, heartbeats).

Every worker is started with ``-Q interactive,feeds,default``. On Redis the transport option
``queue_order_strategy: "priority"`` (reader/project/settings.py) makes each BRPOP list the
queues in that order, so a waiting ``interactive`` task is taken before any ``feeds`` backlog
(the default, round robin, would only interleave them). The filesystem broker of ``make run``
round-robins the queues, which still keeps an interactive refresh from waiting behind the
whole backlog.

Tasks are acknowledged late and re-delivered when a worker dies
(``task_acks_late`` + ``task_reject_on_worker_lost``), so every task must be
idempotent. Scale out by running more workers on the same broker.
"""

from __future__ import annotations

import functools
import logging
import os

from celery import Celery, bootsteps
from celery.schedules import crontab
from celery.signals import beat_init
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reader.project.settings")

#: Tidings' queues, in the order workers consume them (``-Q interactive,feeds,default``).
QUEUES = ("interactive", "feeds", "default")

app = Celery("tidings")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue="default",
    task_routes={
        "feeds.tasks.refresh_feed": {"queue": "feeds"},
        "feeds.tasks.refresh_feeds": {"queue": "feeds"},
    },
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    beat_schedule={
        "refresh-due-feeds": {"task": "feeds.tasks.refresh_due_feeds", "schedule": 60.0},
        "beat-heartbeat": {"task": "reader.tasks.record_beat_heartbeat", "schedule": 30.0},
        "prune-entries": {
            "task": "feeds.tasks.prune_entries",
            "schedule": crontab(hour=3, minute=17),  # nightly, off the hour
        },
        # Renew WebSub leases before they end.
        "websub-renew-leases": {"task": "feeds.websub_renew_leases", "schedule": 3600.0},
    },
)
app.autodiscover_tasks()  # the ``tasks`` module of every installed app
app.autodiscover_tasks(["reader.project"])  # the heartbeat tasks of the project layer

HEARTBEAT_SECONDS = 15.0


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Records a heartbeat row every HEARTBEAT_SECONDS while the worker runs (for /healthz).

    The row names this worker ("hostname:pid") and its start time; on shutdown (warm or
    cold) the worker marks it stopped, so /healthz fails at once instead of trusting the
    last beat for HEARTBEAT_MAX_AGE.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None
        self.started_at = None

    def start(self, worker):
        from django.utils import timezone

        self.started_at = timezone.now()
        beat = functools.partial(_worker_heartbeat, self.started_at)
        beat()
        self.tref = worker.timer.call_repeatedly(HEARTBEAT_SECONDS, beat)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.started_at is not None:
            self.started_at = None
            _worker_stopped()

    def terminate(self, worker):
        self.stop(worker)

    def shutdown(self, worker):
        self.stop(worker)


app.steps["worker"].add(WorkerHeartbeat)

#: Environment variable naming the schedule file of a beat run inside the worker (``make run``).
EMBEDDED_BEAT_ENV = "TIDINGS_EMBEDDED_BEAT"


class ThreadedBeat(bootsteps.StartStopStep):
    """Celery beat in a thread of this worker, when ``TIDINGS_EMBEDDED_BEAT`` names its schedule.

    ``make run`` (``run_all``) runs one worker and wants exactly one beat: a thread costs
    no memory of its own, where ``celery worker -B`` forks a process whose pages stop
    being shared as the worker's memory changes (bench/embedded.py: 52 MB PSS at rest,
    72 MB after an ingest). Never for production, which may run many workers: there beat
    is its own service (docker/compose.yml). The thread wakes at least every second; it
    stops with the worker (warm or cold shutdown).
    """

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.schedule = os.environ.get(EMBEDDED_BEAT_ENV, "")
        self.enabled = bool(self.schedule)
        self.service = None

    def start(self, worker):
        from celery.beat import EmbeddedService

        self.service = EmbeddedService(worker.app, thread=True, schedule_filename=self.schedule)
        self.service.start()

    def stop(self, worker):
        if self.service is not None:
            service, self.service = self.service, None
            service.stop()

    def terminate(self, worker):
        self.stop(worker)

    def shutdown(self, worker):
        self.stop(worker)


app.steps["worker"].add(ThreadedBeat)


def _worker_heartbeat(started_at=None) -> None:
    """Record the worker's heartbeat from its main process; never raises.

    A database outage must not kill the worker at start-up ("Unrecoverable error"), and a
    connection broken by a database restart must be replaced: outside requests and tasks
    nothing else runs Django's connection health check (CONN_HEALTH_CHECKS) in this process.
    """
    # Imported here: this module loads with the settings, before Django's app registry is ready.
    from reader.project.health import heartbeat_record, process_identity

    try:
        close_old_connections()
        heartbeat_record(name="worker", identity=process_identity(), started_at=started_at)
    except Exception as exc:  # the next beat retries
        logging.getLogger("tidings.worker").warning("worker heartbeat not recorded: %s", exc)


def _worker_stopped() -> None:
    """Mark this worker's heartbeat stopped (if it wrote the row last); never raises."""
    from reader.project.health import heartbeat_stopped, process_identity

    try:
        close_old_connections()
        heartbeat_stopped("worker", process_identity())
    except Exception as exc:
        logging.getLogger("tidings.worker").warning("worker stop not recorded: %s", exc)


@beat_init.connect
def _beat_started(sender=None, **kwargs) -> None:
    # Imported here: this module loads with the settings, before Django's app registry is ready.
    from django.utils import timezone

    from reader.project.health import heartbeat_record, process_identity

    heartbeat_record(name="beat", identity=process_identity(), started_at=timezone.now())
