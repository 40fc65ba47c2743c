"""/subscriptions/: the list and add form, edit, unsubscribe, bulk actions, retry, full text,
unread the older entries a new subscription started with as read."""

from __future__ import annotations

from django.urls import path

from reader.pages import subscriptions as views

urlpatterns = [
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:subscription_id>/edit/",
        views.subscription_edit,
        name="subscription_edit",
    ),
    path(
        "subscriptions/<int:subscription_id>/delete/",
        views.subscription_delete,
        name="subscription_delete",
    ),
    path("subscriptions/bulk/", views.subscriptions_bulk, name="subscriptions_bulk"),
    path(
        "subscriptions/<int:subscription_id>/retry/",
        views.subscription_retry,
        name="subscription_retry",
    ),
    path(
        "subscriptions/<int:subscription_id>/full-text/",
        views.subscription_full_text,
        name="subscription_full_text",
    ),
    path(
        "subscriptions/<int:subscription_id>/unread-older/",
        views.subscription_unread_older,
        name="subscription_unread_older",
    ),
]
