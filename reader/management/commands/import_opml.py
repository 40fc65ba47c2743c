"""``manage.py import_opml FILE --user USERNAME [--json]``: import an OPML file for a user now."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reader.errors import ReaderError
from reader.opml import MAX_BYTES, opml_import_run, opml_import_start


class Command(BaseCommand):
    help = "Import an OPML file of subscriptions for a user (for admins migrating users)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the OPML file")
        parser.add_argument("--user", required=True, help="username to subscribe")
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"created": n, "skipped": n, "failed": [{"url", "reason"}], '
            '"categories": [...], "warning": str, "outlines": [one entry per outline]}',
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {options['user']!r}.") from exc
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MiB.")
        try:
            job = opml_import_start(
                user=user, data=path.read_bytes(), filename=path.name, enqueue=False
            )
        except ReaderError as exc:
            raise CommandError(exc.message) from exc
        job = opml_import_run(job_id=job.pk)
        if job.status != job.Status.DONE:
            raise CommandError(f"The import failed: {job.error}")
        summary = {
            "created": job.created_count,
            "skipped": job.skipped_count,
            "failed": job.failures,
            "categories": job.categories,
            "warning": job.warning,
            "outlines": job.report,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            f"{path.name} for {user.get_username()}: {job.created_count} created, "
            f"{job.skipped_count} skipped (duplicates or already followed), "
            f"{len(job.failures)} failed; categories: {', '.join(job.categories) or '-'}"
        )
        if job.warning:
            self.stdout.write(f"warning: {job.warning}")
        for failure in job.failures:
            self.stdout.write(f"failed: {failure['url']}: {failure['reason']}")
        for outline in job.report:
            if outline.get("status") == "skipped":
                what = outline.get("title") or outline.get("url") or f"line {outline.get('line')}"
                self.stdout.write(f"skipped: {what}: {outline.get('reason', '')}")
