"""The WebSub callback (hubs verify subscriptions and push content here) and the media proxy."""

from django.urls import path

from feeds import media_views, websub_views

urlpatterns = [
    path(
        "websub/<int:feed_id>/<str:token>/",
        websub_views.websub_callback,
        name="websub_callback",
    ),
    # feeds.media_proxy.PATH_PREFIX: signed addresses of feed images, audio and video.
    path("media/<str:signature>/<str:address>", media_views.media_proxy, name="media_proxy"),
]
