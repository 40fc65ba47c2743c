"""Tidings' reading app: subscriptions, entries, read state (wiring: ``reader.project``)."""
