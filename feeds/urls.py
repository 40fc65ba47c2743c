"""Public pages of the directory's sources: /sources/<id>/ and /entries/<id>/."""

from django.urls import path

from feeds import views

urlpatterns = [
    path("sources/<int:source_id>/", views.source_page, name="public_source"),
    path("entries/<int:entry_id>/", views.entry_page, name="public_entry"),
]
