"""The WebSub callback: hubs verify subscriptions and push content here."""

from django.urls import path

from feeds import websub_views

urlpatterns = [
    path(
        "websub/<int:feed_id>/<str:token>/",
        websub_views.websub_callback,
        name="websub_callback",
    ),
]
