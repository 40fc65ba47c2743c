"""ImportJob.report: one entry per outline of the imported file (see the model)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reader", "0008_heartbeat_identity"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="report",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
