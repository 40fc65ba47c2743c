"""Feed icons that apps can load: ``/api/icons/<feed id>/<signature>/``.

The page route ``/icons/<feed id>/`` needs a browser session, so apps (which send Google
Reader tokens, not cookies) got 404 for every ``iconUrl``. This route needs no credentials:
the URL carries an HMAC signature of the feed id (``django.core.signing.Signer`` keyed by
SECRET_KEY, salt ``SIGNING_SALT``), so only URLs the server handed out (in Google Reader's
``subscription/list``) load, and icon URLs still do not let anyone probe which feeds exist or
what other users read. A feed's icon is the site's public favicon (or a letter avatar).

URLs are absolute and built from the request's own scheme, host and port
(``request.build_absolute_uri``), not from SITE_URL, so an app that reached the server at
another address loads icons from that address. Responses are cacheable by anyone
(``Cache-Control: public``) with an ETag; Fever keeps its inline ``favicons``.
"""

from __future__ import annotations

import hashlib

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from feeds.models import Feed
from feeds.pipeline.icons import icon_for_feed

#: Salt of the icon URL signatures (a signature made for anything else never matches).
SIGNING_SALT = "tidings.api.app-icon"
#: Seconds apps and caches may keep an icon without asking again.
MAX_AGE = 86400


def _signer() -> signing.Signer:
    return signing.Signer(salt=SIGNING_SALT)


def icon_path(feed_id: int) -> str:
    """``/api/icons/<feed_id>/<signature>/`` for ``feed_id`` (signature: URL-safe base64)."""
    signature = _signer().signature(str(int(feed_id)))
    return reverse("app_icon", kwargs={"feed_id": int(feed_id), "signature": signature})


def icon_url(request: HttpRequest, feed_id: int) -> str:
    """The absolute icon URL of ``feed_id`` on the scheme, host and port ``request`` came to."""
    return request.build_absolute_uri(icon_path(feed_id))


@require_safe
def app_icon(request: HttpRequest, feed_id: int, signature: str) -> HttpResponse:
    """The icon of ``feed_id`` when ``signature`` is the one icon_path made; 404 otherwise.

    Answers the image (``icon_for_feed``: stored favicon or SVG letter avatar) with
    ``Cache-Control: public, max-age=86400``, an ETag (304 when it matches) and headers that
    keep an SVG inert (CSP ``default-src 'none'``, ``nosniff``).
    """
    try:
        _signer().unsign(f"{feed_id}{signing.Signer().sep}{signature}")
    except signing.BadSignature:
        raise Http404("No such icon.") from None
    feed = Feed.objects.select_related("icon").filter(pk=feed_id).first()
    if feed is None:
        raise Http404("No such icon.")
    content_type, data = icon_for_feed(feed)
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(data, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
