"""Private RSS 2.0 and Atom feeds of saved views (Django's syndication framework).

``/views/<token>/atom/`` and ``/views/<token>/rss/`` serve the newest
``FEED_ITEMS`` entries of a saved view (all statuses, newest first) to whoever
holds the token: no session or API token is needed, so that other tools can
follow the view. An unknown or revoked token is a 404. Entry HTML is the
stored, sanitized content (feeds.pipeline.sanitize).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from reader import saved_views, selectors
from reader.models import SavedView

#: Entries in one private feed document.
FEED_ITEMS = 50


class SavedViewRssFeed(Feed):
    """RSS 2.0 document of one saved view (looked up by its secret token)."""

    feed_type = Rss201rev2Feed

    def get_object(self, request: HttpRequest, token: str) -> SavedView:
        """The saved view of ``token``; Http404 (NotFound) otherwise."""
        return saved_views.saved_view_by_token(token=token)

    def title(self, obj: SavedView) -> str:
        """The view's name, as the feed title."""
        return f"{obj.name} · Tidings"

    def link(self, obj: SavedView) -> str:
        """The view in the reader (needs signing in)."""
        return f"{settings.SITE_URL}{reverse('reader')}?view={obj.pk}&show=all"

    def description(self, obj: SavedView) -> str:
        """The saved search, in words."""
        return f"Saved view {obj.name!r}" + (f": {obj.q}" if obj.q else "")

    def items(self, obj: SavedView) -> list[Any]:
        """The view's newest entries, whatever their read state."""
        filters = {**saved_views.view_filters(obj), "status": "all"}
        return selectors.entry_list(user=obj.user, filters=filters, limit=FEED_ITEMS).entries

    def item_title(self, item: Any) -> str:
        """The entry title (plain text)."""
        return item.title or item.url or "(untitled)"

    def item_description(self, item: Any) -> str:
        """The sanitized content, else the summary."""
        return item.content or item.summary

    def item_link(self, item: Any) -> str:
        """The article's own link, else the entry in Tidings."""
        return item.url or f"{settings.SITE_URL}{reverse('reader_entry', args=[item.pk])}"

    def item_guid(self, item: Any) -> str:
        """A stable id: the entry id in this Tidings."""
        return f"{settings.SITE_URL}/reader/entries/{item.pk}/"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Any):
        """Publication time (UTC)."""
        return item.published_at

    def item_author_name(self, item: Any) -> str:
        """The entry's author, else its feed."""
        return item.author or item.subscription_title

    def item_categories(self, item: Any) -> list[str]:
        """The entry's categories."""
        return [str(c) for c in item.categories or []]


class SavedViewAtomFeed(SavedViewRssFeed):
    """Atom 1.0 document of one saved view."""

    feed_type = Atom1Feed
    subtitle = SavedViewRssFeed.description
