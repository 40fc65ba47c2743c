"""Structured log lines: ``JsonFormatter`` (``LOG_FORMAT=json``).

This module imports nothing from Django's apps: logging is configured before the
app registry is ready.
"""

from __future__ import annotations

import json
import logging

#: LogRecord attributes that are not "extra" fields.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per log line: time, level, logger, message, extra fields, traceback.

    Selected with ``LOG_FORMAT=json``; the ``extra`` of a call (e.g. the feed id,
    status, duration, bytes, new and updated of ``feeds.fetch_log.record_fetch``)
    become top-level keys; ``exc`` holds the formatted traceback when there is one.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single-line JSON object."""
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)
