"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

Used by `make run` for the embedded default. Production runs each process in
its own container (docker/compose.yml).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web (127.0.0.1:8000), a Celery worker and Celery beat until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        python = sys.executable
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
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
        procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(
            f"Tidings is running on http://{addr}/ (web, worker, beat). Ctrl-C stops."
        )
        stopping = False

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
                time.sleep(0.5)
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
