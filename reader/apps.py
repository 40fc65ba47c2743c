from django.apps import AppConfig


class ReaderConfig(AppConfig):
    """Subscriptions, categories and per-user read state."""

    name = "reader"
    verbose_name = "Reading"
