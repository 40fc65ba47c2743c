"""Routes of the Nextcloud News API, included under ``(index.php/)apps/news/api``.

The include consumes the slashes after ``api``. ``v1-2`` and ``v1-3`` share every route
(``views`` module docstring). Slashes are tolerated as the News app's router does (a
trailing one, doubled ones). Ids in paths are 1 to 18 digits; any other path under the
prefix answers 404 ``{"message"}``.
"""

from __future__ import annotations

from django.urls import re_path

from reader.api.compat.nextcloud import views

_V = r"^(?P<version>v1-[23])/+"
_ID = r"[0-9]{1,18}"
_END = r"/*$"

urlpatterns = [
    re_path(r"^$", views.api_levels),
    re_path(rf"{_V}version{_END}", views.Version.as_view()),
    re_path(rf"{_V}status{_END}", views.Status.as_view()),
    re_path(rf"{_V}user{_END}", views.UserInfo.as_view()),
    re_path(rf"{_V}folders{_END}", views.Folders.as_view()),
    re_path(rf"{_V}folders/+(?P<folder_id>{_ID}){_END}", views.Folder.as_view()),
    re_path(rf"{_V}folders/+(?P<folder_id>{_ID})/+read{_END}", views.FolderRead.as_view()),
    re_path(rf"{_V}feeds{_END}", views.Feeds.as_view()),
    re_path(rf"{_V}feeds/+(?P<feed_id>{_ID}){_END}", views.Feed.as_view()),
    re_path(rf"{_V}feeds/+(?P<feed_id>{_ID})/+move{_END}", views.FeedMove.as_view()),
    re_path(rf"{_V}feeds/+(?P<feed_id>{_ID})/+rename{_END}", views.FeedRename.as_view()),
    re_path(rf"{_V}feeds/+(?P<feed_id>{_ID})/+read{_END}", views.FeedRead.as_view()),
    re_path(rf"{_V}items{_END}", views.Items.as_view()),
    re_path(rf"{_V}items/+updated{_END}", views.ItemsUpdated.as_view()),
    re_path(rf"{_V}items/+read{_END}", views.ItemsReadAll.as_view()),
    re_path(
        rf"{_V}items/+(?P<action>read|unread|star|unstar)/+multiple{_END}",
        views.ItemsMultiple.as_view(),
    ),
    re_path(
        rf"{_V}items/+(?P<item_id>{_ID})/+(?P<action>read|unread|star|unstar){_END}",
        views.ItemMark.as_view(),
    ),
    re_path(
        rf"{_V}items/+(?P<feed_id>{_ID})/+(?P<guid_hash>[^/]{{1,64}})/+(?P<action>star|unstar){_END}",
        views.ItemMarkByGuid.as_view(),
    ),
    re_path(r"^.*$", views.Unknown.as_view()),
]
