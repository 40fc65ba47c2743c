"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

Used by `make run` for the embedded default. Production runs each process in
its own container (docker/compose.yml). When ``TIDINGS_RUN_STARTED`` holds the Unix time at
which ``make run`` began, the command prints "serving after N s" once the web server answers
its first HTTP request.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from reader.models import Heartbeat


def web_answers(host: str, port: int) -> bool:
    """True when the web server at ``host``:``port`` accepts TCP connections (it is serving).

    A plain socket, not an HTTP client: outbound HTTP belongs to feeds.pipeline.fetch only.
    """
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=1):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run web (127.0.0.1:8000), a Celery worker and Celery beat until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        python = sys.executable
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload", "--skip-checks"],
            "worker": [  # niced: pages stay quick while feeds are ingested
                "nice", "-n", "10", python, "-m", "celery", "-A", "reader.project", "worker",
                "-Q", "interactive,feeds,default",
                "--concurrency", str(settings.CELERY_WORKER_CONCURRENCY), "--loglevel", "INFO",
            ],
            "beat": [
                python, "-m", "celery", "-A", "reader.project", "beat", "--loglevel", "INFO",
                "--schedule", str(var / "celerybeat-schedule"),
            ],
        }  # fmt: skip
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
        procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(
            f"Tidings is running on http://{addr}/ (web, worker, beat). Ctrl-C stops."
        )
        stopping = False
        started = os.environ.get("TIDINGS_RUN_STARTED", "")
        host, _, port = addr.rpartition(":")
        announce = bool(started)

        def _stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping.")
                        stopping = True
                if announce and web_answers(host or "127.0.0.1", int(port)):
                    announce = False
                    self.stdout.write(f"==> serving after {time.time() - float(started):.1f} s")
                time.sleep(0.1 if announce else 0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("Stopped.")
