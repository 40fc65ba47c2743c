"""Fixtures of the fault tests: a clean broker database, RSS bodies, a log folder for children."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

RSS = {"Content-Type": "application/rss+xml"}


def rss(title: str, items: int, *, content: str = "") -> bytes:
    """RSS 2.0 with ``items`` items (guids ``<title>-<i>``) and optional HTML content."""
    body = "".join(
        f"<item><title>{title} {i}</title><link>https://w.example.org/{title}/{i}</link>"
        f"<guid>{title}-{i}</guid><pubDate>Mon, 02 Mar 2026 10:{i % 60:02d}:00 +0000</pubDate>"
        + (f"<description><![CDATA[{content}]]></description>" if content else "")
        + "</item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://w.example.org/</link><description>d</description>{body}</channel></rss>"
    ).encode()


@pytest.fixture
def clean_broker():
    """Empty this test run's Redis database (REDIS_URL, never the shared db 0 by default).

    Leftover messages of an earlier, interrupted run would otherwise be delivered to the
    workers of this one.
    """
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def child_logs(tmp_path) -> Path:
    """A folder for the children's output; printed by the test on failure via ``logs_text``."""
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def logs_text(folder: Path, limit: int = 6000) -> str:
    """The tail of every log file in ``folder`` (for assertion messages)."""
    parts = []
    for path in sorted(folder.glob("*.log")):
        parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-limit:]}")
    return "\n".join(parts)
