"""Server-rendered pages: landing, reader, directory, subscriptions, search, icons."""

from django.urls import path

from reader import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("directory/", views.directory, name="directory"),
    path("icons/<int:feed_id>/", views.feed_icon, name="feed_icon"),
]
