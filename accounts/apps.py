from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, preferences and API credentials."""

    name = "accounts"
    verbose_name = "Accounts"
