"""The SQLite database backend of the embedded default: one writing transaction per process.

Django's SQLite backend with ``transaction_mode: IMMEDIATE`` takes the database's write lock at
``BEGIN``; a second writer waits in SQLite's busy handler, which sleeps in growing steps (up to
100 ms) and so often wakes long after the lock was released. ``make run`` writes from several
threads of one process (the worker's thread pool, the web server's request threads): here they
queue on a process-wide lock instead, and the next one starts as soon as the previous transaction
ends. Other processes (the web server and the worker) still meet at SQLite's lock and its busy
timeout. A thread that waited the whole busy timeout for the process lock goes on to ``BEGIN``
anyway, so a stuck transaction still ends in SQLite's own "database is locked", never a hang.

``ENGINE: "reader.project.sqlite_backend"`` (reader/project/settings.py); everything else is
Django's ``django.db.backends.sqlite3``.
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

#: Held from BEGIN to COMMIT/ROLLBACK by the one connection of this process that writes.
WRITER = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite wrapper whose transactions take ``WRITER`` first (see the module)."""

    holds_writer = False

    def _start_transaction_under_autocommit(self):
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        self.holds_writer = WRITER.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.release_writer()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self.release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self.release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self.release_writer()

    def release_writer(self) -> None:
        """Release ``WRITER`` if this connection holds it (idempotent)."""
        if self.holds_writer:
            self.holds_writer = False
            WRITER.release()
