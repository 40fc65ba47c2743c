"""`make run` (``manage.py run_all``) on the embedded default: SQLite and the filesystem broker.

Two processes: ``run_all`` serves the web itself and supervises one worker (a thread pool) with
beat in one of its threads. A newcomer's OPML import is
fetched once per feed, as ``refresh_feeds`` batches, with no "database is locked"; SIGTERM
stops everything.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.feeds.test_worker import RSS, _rss
from tests.procs import free_port, kill_tree, wait_for

FEEDS = 30


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_BENCH")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL="",
        REDIS_URL="",
        TIDINGS_DEV="1",
        TIDINGS_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="reader.project.settings",
        FETCH_ALLOWED_NETWORKS="127.0.0.0/8",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())


def _stored(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(
            "SELECT count(*) FROM feeds_feed WHERE last_success_at IS NOT NULL"
        ).fetchone()[0]


@pytest.mark.slow
def test_make_run_is_two_processes_and_fetches_an_opml_import_once_per_feed(tmp_path, feed_server):
    env = _env(tmp_path)
    _manage(env, "migrate", "-v", "0")
    token = _manage(
        env,
        "shell",
        "-c",
        "from accounts.models import User; from accounts.services import token_create; "
        "u = User.objects.create(username='newcomer'); print(token_create(user=u, name='t')[1])",
    ).split()[-1]
    urls = []
    for n in range(FEEDS):
        path = f"/run{n}.xml"
        feed_server.add_route(path, body=_rss(f"run{n}", 3), headers=RSS, etag=f'"run{n}"')
        urls.append(feed_server.url(path, host="127.0.0.1"))
    outlines = "".join(f'<outline type="rss" text="f" xmlUrl="{url}"/>' for url in urls)
    opml = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()

    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_all", "--addr", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for(
            lambda: all(c["ok"] for c in _health(port)["checks"].values()), timeout=120
        ), log.read_text()
        # run_all (serving the web) and the worker (beat inside): nothing else.
        assert len(_group(proc.pid)) == 2, log.read_text()[-3000:]

        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/opml/import/",
            data=opml,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/x-opml"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 201, 202)
        assert wait_for(lambda: _stored(tmp_path / "tidings.sqlite3") == FEEDS, timeout=180), (
            log.read_text()[-3000:]
        )
        time.sleep(2)  # a duplicate would be fetched right behind the first
        assert [feed_server.hits(f"/run{n}.xml") for n in range(FEEDS)] == [1] * FEEDS
    finally:
        kill_tree(proc, signal.SIGTERM)
        stopped = wait_for(lambda: proc.poll() is not None and not _group(proc.pid), timeout=30)
        kill_tree(proc, signal.SIGKILL)
    text = log.read_text(errors="replace")
    assert stopped, text[-3000:]
    batches = [line for line in text.splitlines() if "refresh batch feeds=" in line]
    assert batches and sum(int(b.split("feeds=")[1].split()[0]) for b in batches) == FEEDS
    assert "feeds.tasks.refresh_feed[" not in text  # no single-feed tasks for an import
    assert "database is locked" not in text


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for a job in a script's background


@pytest.mark.slow
def test_make_run_stops_when_its_worker_dies_even_started_with_sigint_ignored(tmp_path):
    env = _env(tmp_path)
    _manage(env, "migrate", "-v", "0")
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_all", "--addr", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_ignore_sigint,
        )
    try:
        assert wait_for(lambda: len(_group(proc.pid)) == 2, timeout=120), log.read_text()
        assert wait_for(lambda: "serving after" in log.read_text() or _health(port), timeout=120)
        worker = next(pid for pid in _group(proc.pid) if pid != proc.pid)
        os.kill(worker, signal.SIGKILL)
        stopped = wait_for(lambda: proc.poll() is not None, timeout=30)
    finally:
        kill_tree(proc, signal.SIGKILL)
    assert stopped, "the web server kept running without its worker:\n" + log.read_text()[-2000:]
    assert "worker exited" in log.read_text()
