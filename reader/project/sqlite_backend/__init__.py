"""The SQLite database backend of the embedded default (``base.DatabaseWrapper``)."""
