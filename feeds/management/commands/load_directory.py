"""``manage.py load_directory [PATH]``: load the directory of recommended sources.

PATH is a folder holding ``categories.tsv`` and ``recommended.tsv``, or the
``recommended.tsv`` file itself; the default is the copy bundled in
``feeds/data/directory/``. Idempotent; never overwrites the admin's edits.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from feeds.directory import DirectoryFormatError, directory_load


class Command(BaseCommand):
    """Load the directory files and print created/updated/unchanged counts."""

    help = "Load the directory of recommended sources (default: the bundled copy)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=None,
            help="folder with categories.tsv and recommended.tsv, or a recommended.tsv file",
        )

    def handle(self, *args, path=None, **options):
        try:
            result = directory_load(path=path)
        except DirectoryFormatError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"categories: {result.categories}")
        self.stdout.write(f"sources: {result.sources}")
