"""Start entry ids at 0xA00000000000 again on SQLite (see 0004).

0005 adds columns to feeds_entry; on SQLite Django rebuilds the table for that
(create a copy, copy the rows, drop, rename), and the copy's AUTOINCREMENT
counter starts from the largest copied id, so a fresh ``make run`` database
numbered entries from 1 and the Google Reader id spellings could collide
("110" decimal or unpadded hex). This re-applies 0004 (idempotent: it never
lowers the counter, and PostgreSQL's sequence was not affected).
"""

from importlib import import_module

from django.db import migrations

_id_space = import_module("feeds.migrations.0004_entry_id_space")


class Migration(migrations.Migration):
    dependencies = [("feeds", "0005_fetch_options_identity_websub_fulltext")]

    operations = [migrations.RunPython(_id_space.forwards, migrations.RunPython.noop)]
