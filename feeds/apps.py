from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """What the internet published, shared by all users: feeds, entries, the directory."""

    name = "feeds"
    verbose_name = "Feeds"
