"""Public pages of the directory's sources: /sources/<id>/ and /entries/<id>/."""

from django.urls import path

from feeds import views, websub_views

urlpatterns = [
    path("sources/<int:source_id>/", views.source_page, name="public_source"),
    path("entries/<int:entry_id>/", views.entry_page, name="public_entry"),
    # WebSub callback (issue 11, H10): hubs verify subscriptions and push content here.
    path(
        "websub/<int:feed_id>/<str:token>/",
        websub_views.websub_callback,
        name="websub_callback",
    ),
]
