"""Prepare ``make run`` in one process: local settings file, translations, static files, database.

Steps, in order:

1. ``var/tidings.env`` (``settings.LOCAL_ENV_FILE``) is created with comments when absent;
   settings read it on every start (python-dotenv; the environment wins).
2. ``compile_translations`` runs only when the SHA-256 of its inputs (every ``.po`` file of
   the checkout, paths and contents) differs from the one stored under ``var/run-stamps/``
   or a ``.mo`` file is missing.
3. ``collectstatic`` runs only when the SHA-256 of its inputs (every file the static finders
   list, paths and contents, plus the storage backend and ``STATIC_ROOT``) differs from the
   stored one or its output is gone. The compressed manifest storage post-processes (gzip,
   Brotli) hundreds of files: ~35 s, which a second start no longer pays.
4. ``migrate``, ``load_directory`` and ``ensure_admin`` (each cheap when nothing is to do).

Running the steps in one process saves a Django start-up per step. ``--force`` runs every
step whatever the stamps say.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand

#: Folders of the checkout that hold no translation source of Tidings.
SKIPPED_DIRS = {".venv", "var", ".git", "build", "node_modules"}

LOCAL_ENV_TEMPLATE = """\
# Local settings of this Tidings installation, read at every start (`make run`, manage.py).
# One VARIABLE=value a line (dotenv format, parsed by python-dotenv); `#` starts a comment.
# A variable set in the environment wins over this file. The variables are listed in the
# README's "Configuration" table. TIDINGS_VAR_DIR cannot be set here (this file lives in it).
#
# Let Tidings fetch feeds served on this machine or the local network:
# FETCH_ALLOWED_NETWORKS=127.0.0.0/8,192.168.0.0/16
#
# Use PostgreSQL and Redis instead of SQLite and the filesystem broker:
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/tidings
# REDIS_URL=redis://127.0.0.1:6379/0
#
# Fewer or more worker processes:
# CELERY_WORKER_CONCURRENCY=2
"""


def files_digest(files: Iterable[tuple[str, Path]], *extra: str) -> str:
    """SHA-256 hex digest of ``(name, path)`` pairs (names and file contents) and ``extra`` strings.

    Order-independent in ``files`` (sorted by name). Raises OSError if a file cannot be read.
    """
    digest = hashlib.sha256()
    for text in extra:
        digest.update(text.encode() + b"\0")
    for name, path in sorted(files, key=lambda item: item[0]):
        digest.update(name.encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def translation_sources(base: Path) -> list[Path]:
    """Every ``*.po`` file under ``base``, outside ``SKIPPED_DIRS``."""
    return sorted(
        path
        for path in base.rglob("*.po")
        if not SKIPPED_DIRS.intersection(path.relative_to(base).parts)
    )


def static_sources() -> list[tuple[str, Path]]:
    """``(name under STATIC_URL, source path)`` of every file the static finders list.

    The first finder to list a name wins, as collectstatic decides.
    """
    found: dict[str, Path] = {}
    for finder in finders.get_finders():
        for name, storage in finder.list(["CVS", ".*", "*~"]):
            prefix = getattr(storage, "prefix", None) or ""
            key = f"{prefix}/{name}" if prefix else name
            found.setdefault(key, Path(storage.path(name)))
    return list(found.items())


class Command(BaseCommand):
    help = (
        "Prepare `make run`: local settings file, translations and static files when their "
        "inputs changed, migrations, the directory of sources, the admin account."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run every step")

    def handle(self, *args, force: bool = False, **options):
        self.stamps = Path(settings.VAR_DIR) / "run-stamps"
        self.stamps.mkdir(parents=True, exist_ok=True)
        self.force = force
        self.local_env_file()

        base = Path(settings.BASE_DIR)
        po_files = translation_sources(base)
        self.when_changed(
            "compile_translations",
            lambda: files_digest((str(p.relative_to(base)), p) for p in po_files),
            outputs_present=all(p.with_suffix(".mo").exists() for p in po_files),
            run=lambda: call_command("compile_translations"),
        )
        static_root = Path(settings.STATIC_ROOT)
        backend = settings.STORAGES["staticfiles"]["BACKEND"]
        self.when_changed(
            "collectstatic",
            lambda: files_digest(static_sources(), backend, str(static_root)),
            outputs_present=static_root.is_dir() and any(static_root.iterdir()),
            run=lambda: call_command("collectstatic", interactive=False, verbosity=0),
        )
        self.step(
            "Migrating the database",
            lambda: call_command("migrate", interactive=False, verbosity=0),
        )
        self.step(
            "Loading the directory of recommended sources", lambda: call_command("load_directory")
        )
        self.step("Checking the admin account", lambda: call_command("ensure_admin"))

    def local_env_file(self) -> None:
        path = Path(settings.LOCAL_ENV_FILE)
        if path.exists():
            self.stdout.write(f"==> Local settings: {path}")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOCAL_ENV_TEMPLATE, encoding="utf-8")
        self.stdout.write(f"==> Created {path} for local settings (see its comments)")

    def step(self, title: str, run) -> None:
        started = time.monotonic()
        self.stdout.write(f"==> {title}")
        run()
        self.stdout.write(f"    ({time.monotonic() - started:.1f} s)")

    def when_changed(self, name: str, digest, *, outputs_present: bool, run) -> None:
        """Run ``run`` unless the stored digest of ``name`` is ``digest()`` and outputs exist."""
        stamp = self.stamps / f"{name}.sha256"
        current = digest()
        previous = stamp.read_text().strip() if stamp.exists() else ""
        if not self.force and outputs_present and previous == current:
            self.stdout.write(f"==> {name}: inputs unchanged, skipped")
            return
        stamp.unlink(missing_ok=True)  # an interrupted run must not leave a stale stamp
        self.step(name, run)
        stamp.write_text(current + "\n")
