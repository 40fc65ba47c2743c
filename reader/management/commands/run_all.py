"""Serve the web and run a Celery worker with beat inside it; Ctrl-C stops both.

Used by `make run` for the embedded default: two processes. This one serves the web
(``runserver``, threaded, no autoreload) and supervises the worker (``worker_command``: one
process, a thread pool, beat in one of its threads); when the worker exits, the web stops too.
Production runs web, worker and beat each in its own container (docker/compose.yml).
When ``TIDINGS_RUN_STARTED`` holds the Unix time at which ``make run`` began, the command
prints "serving after N s" once the web server answers its first HTTP request.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from reader.models import Heartbeat


def web_answers(host: str, port: int) -> bool:
    """True when the web server at ``host``:``port`` answers ``GET /`` with an HTTP status line.

    What a person opening the site waits for: the first page is answered only once the
    URLconf, views and templates are loaded, a few seconds after the port accepts
    connections. A plain socket speaking one HTTP/1.0 request to this very process, not an
    HTTP client: outbound HTTP belongs to feeds.pipeline.fetch only. Waits up to 30 s
    for the answer once connected.
    """
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=1) as sock:
            sock.settimeout(30)
            sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


#: Names the schedule file of the beat thread in the worker (reader.project.celery.ThreadedBeat
#: reads it; reader.project is imported by nobody, so the name is spelled here too).
EMBEDDED_BEAT_ENV = "TIDINGS_EMBEDDED_BEAT"


def worker_command() -> list[str]:
    """The worker of ``make run``: one process, ``CELERY_WORKER_CONCURRENCY`` threads.

    One process instead of a prefork pool and a separate beat (each a whole interpreter
    with Django loaded): SQLite takes one writer at a time anyway, and the threads overlap
    the fetches' waits. Beat runs in a thread of it (``reader.project.celery.ThreadedBeat``,
    enabled by ``TIDINGS_EMBEDDED_BEAT`` in its environment): there is exactly one worker
    here, so exactly one beat. Niced, so pages stay quick while feeds are ingested.
    Production runs beat and the workers separately (docker/compose.yml).
    """
    return [
        "nice", "-n", "10", sys.executable, "-m", "celery", "-A", "reader.project", "worker",
        "-Q", "interactive,feeds,default", "--pool", "threads",
        "--concurrency", str(settings.CELERY_WORKER_CONCURRENCY), "--loglevel", "INFO",
    ]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Serve the web (127.0.0.1:8000) in this process and run a Celery worker with an "
        "embedded beat beside it, until Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        # /healthz trusts only worker and beat heartbeats started after this moment.
        now = timezone.now()
        Heartbeat.objects.update_or_create(
            name=Heartbeat.RUN,
            defaults={
                "seen_at": now,
                "started_at": now,
                "stopped_at": None,
                "identity": f"{socket.gethostname()}:{os.getpid()}",
            },
        )
        connection.close()  # the web server opens its own connections per request thread
        schedule = str(var / "celerybeat-schedule")
        worker = subprocess.Popen(worker_command(), env={**os.environ, EMBEDDED_BEAT_ENV: schedule})
        self.stdout.write(
            f"Tidings is running on http://{addr}/ (web, worker, beat). Ctrl-C stops."
        )
        host, _, port = addr.rpartition(":")
        started = os.environ.get("TIDINGS_RUN_STARTED", "")
        watcher = threading.Thread(
            target=self.watch,
            args=(worker, host or "127.0.0.1", int(port), started),
            daemon=True,
        )
        # SIGTERM stops like Ctrl-C: runserver returns, and the worker is stopped below. SIGINT
        # is set too: a process started in the background of a script inherits it ignored,
        # and then neither Ctrl-C nor the watcher's stop (a dead worker) would end the server.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        watcher.start()
        try:
            call_command("runserver", addr, use_reloader=False, skip_checks=True)
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            if worker.poll() is None:
                worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
            self.stdout.write("Stopped.")

    def watch(self, worker: subprocess.Popen, host: str, port: int, started: str) -> None:
        """Announce "serving after N s" once the web answers; stop everything if the worker dies."""
        announce = bool(started)
        while True:
            if worker.poll() is not None:
                self.stderr.write(f"worker exited with code {worker.returncode}; stopping.")
                os.kill(os.getpid(), signal.SIGINT)
                return
            if announce and web_answers(host, port):
                announce = False
                self.stdout.write(f"==> serving after {time.time() - float(started):.1f} s")
            time.sleep(0.1 if announce else 0.5)
