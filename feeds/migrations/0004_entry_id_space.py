"""Start entry ids at 0xA00000000000 (175,921,860,444,160).

Google Reader API clients spell item ids in decimal, 16-digit hex and
unpadded hex (specs/client-apis.md A3, case P24). With ids in
[0xA00000000000, 0xAFFFFFFFFFFF] the three spellings never collide: decimal
always has 15 digits, unpadded hex always starts with the letter "a", and
padded hex has 16 characters. The range holds 2**44 ids and stays below
2**53, so JavaScript reads every id exactly.
"""

from django.db import migrations

ENTRY_ID_START = 0xA00000000000


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('feeds_entry', 'id'), "
                "GREATEST(%s, (SELECT COALESCE(MAX(id), 0) FROM feeds_entry)))",
                [ENTRY_ID_START - 1],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM feeds_entry")
            start = max(ENTRY_ID_START - 1, cursor.fetchone()[0])
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'feeds_entry'")
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('feeds_entry', %s)", [start]
            )


class Migration(migrations.Migration):
    dependencies = [("feeds", "0003_entry_normalized_url_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
