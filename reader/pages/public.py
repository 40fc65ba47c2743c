"""Public pages of the directory: a source and its entries, readable without an account.

Only active directory sources and their feeds' entries are public (see
``feeds.public``); anything else is a 404 here.
"""

from __future__ import annotations

import html

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from feeds.public import category_name, public_entries, public_entry_get, public_source_get


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
