"""Compile locale/*/LC_MESSAGES/*.po into .mo files, with or without GNU gettext.

``make run``, ``make test`` and the Docker build call this so a clean clone has
its translations. With ``msgfmt`` on PATH it runs Django's ``compilemessages``;
without it, it writes the same .mo files with the pure-Python ``polib``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def compile_with_polib(locale_dirs: list[Path]) -> int:
    """Write a .mo beside each .po under ``locale_dirs`` (fuzzy entries skipped); returns count."""
    import polib

    count = 0
    for base in locale_dirs:
        for po_path in sorted(Path(base).glob("*/LC_MESSAGES/*.po")):
            po = polib.pofile(str(po_path))
            for entry in po.fuzzy_entries():
                po.remove(entry)
            po.save_as_mofile(str(po_path.with_suffix(".mo")))
            count += 1
    return count


class Command(BaseCommand):
    help = "Compile the project's .po message files to .mo (msgfmt if present, else polib)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pure-python", action="store_true", help="use polib even if msgfmt exists"
        )

    def handle(self, *args, **options):
        locale_dirs = [Path(p) for p in settings.LOCALE_PATHS]
        if shutil.which("msgfmt") and not options["pure_python"]:
            call_command(
                "compilemessages", verbosity=0, ignore_patterns=[".venv", "var", ".git", "build"]
            )
            self.stdout.write("compiled messages with msgfmt")
            return
        count = compile_with_polib(locale_dirs)
        self.stdout.write(f"compiled {count} message file(s) with polib")
