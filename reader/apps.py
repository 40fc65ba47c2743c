from django.apps import AppConfig


class ReaderConfig(AppConfig):
    """Subscriptions, categories and per-user read state."""

    name = "reader"
    verbose_name = "Reading"

    def ready(self) -> None:
        from feeds import interest
        from reader import (
            rules,  # noqa: F401  (connects the entries_stored receiver)
            signals,  # noqa: F401  (connects the feed_merged receiver)
        )
        from reader.interest import SubscriptionInterest
        from reader.search_index_sqlite import connect_receivers

        interest.register(SubscriptionInterest())
        connect_receivers(self)
