"""Public pages: landing, the sources directory, public source and entry pages, icons, and the
private Atom/RSS feeds of saved views.

Readable without an account: only active directory sources and their feeds' entries are
public (see ``feeds.public``); an icon is served for a feed the viewer subscribes to or one
in the directory; a saved view's feed to whoever holds its secret token. Anything else is a
404, so URLs do not reveal what other users read. Subscribing from the directory needs an
account (POST fallbacks of the one-click buttons; the script calls the REST API).
"""

from __future__ import annotations

import html
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from feeds.pipeline.icons import icon_for_feed
from feeds.pipeline.parse.characters import remove_control_characters
from feeds.public import category_name, public_entries, public_entry_get, public_source_get
from reader import directory_selectors, saved_views, selectors, services
from reader.errors import ReaderError
from reader.models import SavedView
from reader.pages.error_texts import reader_error_message

#: Entries in one private feed document of a saved view.
FEED_ITEMS = 50


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """/: what Tidings is and the directory's sources; signed-in users go to the reader."""
    if request.user.is_authenticated:
        return redirect("reader")
    sections = directory_selectors.directory_sections(user=None)
    return render(
        request, "reader/landing.html", {"sections": sections, "site_url": settings.SITE_URL}
    )


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    """/directory/: recommended sources by category, searchable, with one-click subscribe."""
    query = request.GET.get("q", "").replace("\x00", "")[:200]  # PostgreSQL refuses NUL
    sections = directory_selectors.directory_sections(user=request.user, query=query)
    context = {"sections": sections, "query": query, "site_url": settings.SITE_URL}
    return render(request, "reader/directory.html", context)


@login_required
@require_POST
def directory_subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to a directory source (no-JavaScript fallback of the one-click button)."""
    source = directory_selectors.directory_source_get(source_id=request.POST.get("source_id", ""))
    try:
        services.subscription_create(user=request.user, url=source.feed_url, discover=False)
        messages.success(request, _("Subscribed to %(title)s.") % {"title": source.title})
    except ReaderError as exc:
        messages.error(request, reader_error_message(exc))
    return redirect(f"{reverse('directory')}#source-{source.pk}")


@login_required
@require_POST
def directory_unsubscribe(request: HttpRequest) -> HttpResponse:
    """Unsubscribe from a directory source (no-JavaScript fallback)."""
    sub_id = request.POST.get("subscription_id", "")
    services.subscription_delete(user=request.user, subscription_id=sub_id)
    messages.success(request, _("Unsubscribed."))
    return redirect(f"{reverse('directory')}#source-{request.POST.get('source_id', '')}")


@require_safe
def source_page(request: HttpRequest, source_id: int) -> HttpResponse:
    """/sources/<id>/: an active directory source, its description and recent entries."""
    source = public_source_get(source_id=source_id)
    entries = public_entries(source=source, limit=30)
    return render(
        request,
        "public/source.html",
        {
            "source": source,
            "entries": entries,
            "category_name": category_name(source.category),
            "canonical_url": settings.SITE_URL + request.path,
            "site_url": settings.SITE_URL,
        },
    )


@require_safe
def entry_page(request: HttpRequest, entry_id: int) -> HttpResponse:
    """/entries/<id>/: one entry of an active directory source, with its source's other entries."""
    entry, source = public_entry_get(entry_id=entry_id)
    text = html.unescape(strip_tags(entry.summary or entry.content or "")).strip()
    return render(
        request,
        "public/entry.html",
        {
            "entry": entry,
            "source": source,
            "others": public_entries(source=source, limit=10, exclude_id=entry.pk),
            "description": Truncator(" ".join(text.split())).chars(200) or source.title,
            "canonical_url": settings.SITE_URL + request.path,
            "site_url": settings.SITE_URL,
        },
    )


@require_safe
def feed_icon(request: HttpRequest, feed_id: int) -> HttpResponse:
    """/icons/<feed_id>/: a feed's icon, for its subscribers or when the feed is in the directory.

    Any other feed is a 404, so icon URLs do not reveal what other users read.
    """
    feed = directory_selectors.feed_icon_feed(user=request.user, feed_id=feed_id)
    content_type, data = icon_for_feed(feed)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _xml_safe(value: Any) -> Any:
    """``value`` with the characters XML 1.0 forbids removed from every string in it."""
    if isinstance(value, str):
        return remove_control_characters(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(item) for item in value)
    return value


class XmlSafeFeedMixin:
    """A Django feed generator whose every text value is cleaned before it is written.

    Entries stored before text hygiene (``feeds.pipeline.parse.characters``) may hold
    control characters; Django's XML writer refuses them ("Control characters are not
    supported in XML 1.0"), so one bad item would break the whole document.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*_xml_safe(args), **{k: _xml_safe(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        """Add an item (Django's arguments), every string in it cleaned."""
        super().add_item(*_xml_safe(args), **{k: _xml_safe(v) for k, v in kwargs.items()})


class XmlSafeRss201rev2Feed(XmlSafeFeedMixin, Rss201rev2Feed):
    """RSS 2.0 generator that writes well-formed XML whatever the stored text holds."""


class XmlSafeAtom1Feed(XmlSafeFeedMixin, Atom1Feed):
    """Atom 1.0 generator that writes well-formed XML whatever the stored text holds."""


class SavedViewRssFeed(Feed):
    """RSS 2.0 document of one saved view (looked up by its secret token).

    ``/views/<token>/rss/`` (and ``atom/``, below) serve the newest ``FEED_ITEMS`` entries
    of a saved view (all statuses, newest first) to whoever holds the token: no session or
    API token is needed, so that other tools can follow the view. An unknown or revoked
    token is a 404. Entry HTML is the stored, sanitized content (feeds.pipeline.sanitize).
    Built on Django's syndication framework.
    """

    feed_type = XmlSafeRss201rev2Feed

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
        """The entry's display title (plain text), else its link."""
        return item.display_title or item.url or "(untitled)"

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

    feed_type = XmlSafeAtom1Feed
    subtitle = SavedViewRssFeed.description
