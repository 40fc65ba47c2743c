"""`make run`: a second start skips unchanged translations and static files; local settings
in ``var/tidings.env`` persist, and the environment wins over them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from dotenv import dotenv_values

from reader.management.commands.prepare_run import (
    LOCAL_ENV_TEMPLATE,
    Command,
    files_digest,
    static_sources,
    translation_sources,
)
from tests.conftest import ROOT


def _command(stamps) -> tuple[Command, io.StringIO]:
    out = io.StringIO()
    command = Command(stdout=out)
    command.stamps, command.force = stamps, False
    return command, out


def test_a_step_runs_again_only_when_its_inputs_change_or_its_output_is_gone(tmp_path):
    source = tmp_path / "django.po"
    source.write_text('msgid "a"\n')
    (command, out), runs = _command(tmp_path), []

    def step(outputs_present: bool = True) -> None:
        command.when_changed(
            "compile",
            lambda: files_digest([("django.po", source)]),
            outputs_present=outputs_present,
            run=lambda: runs.append(1),
        )

    step()
    step()
    assert len(runs) == 1  # unchanged: skipped
    source.write_text('msgid "b"\n')
    step()
    assert len(runs) == 2
    step(outputs_present=False)
    assert len(runs) == 3
    command.force = True
    step()
    assert len(runs) == 4
    assert "inputs unchanged, skipped" in out.getvalue()


def test_the_digest_covers_names_and_contents(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_text("x")
    two.write_text("x")
    assert files_digest([("a", one)]) == files_digest([("a", two)])
    assert files_digest([("a", one)]) != files_digest([("b", one)])
    assert files_digest([("a", one)], "backend-1") != files_digest([("a", one)], "backend-2")
    assert files_digest([("a", one), ("b", two)]) == files_digest([("b", two), ("a", one)])


def test_the_inputs_are_the_checkout_translations_and_every_static_file():
    po_files = translation_sources(ROOT)
    assert ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po" in po_files
    assert not any(".venv" in p.parts for p in po_files)
    names = dict(static_sources())
    assert "css/tidings.css" in names
    assert any(name.startswith("admin/") for name in names)  # apps' static files too


def test_the_created_local_settings_file_is_only_comments():
    assert dotenv_values(stream=io.StringIO(LOCAL_ENV_TEMPLATE)) == {}


def test_local_settings_persist_and_the_environment_wins(tmp_path):
    (tmp_path / "tidings.env").write_text(
        "# kept across runs\nFETCH_ALLOWED_NETWORKS=127.0.0.0/8\nFEED_MIN_INTERVAL=60\n"
        'EMBED_EXTRA_HOSTS="a.example.org, b.example.org"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FETCH_ALLOWED_NETWORKS",)}
    env.update(
        DJANGO_SETTINGS_MODULE="reader.project.settings",
        TIDINGS_DEV="1",
        TIDINGS_VAR_DIR=str(tmp_path),
        FEED_MIN_INTERVAL="120",
        EMBED_EXTRA_HOSTS="c.example.org",
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.FETCH_ALLOWED_NETWORKS, s.FEED_MIN_INTERVAL, s.EMBED_EXTRA_HOSTS]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        ["127.0.0.0/8"],
        120,
        ["c.example.org"],
    ]
