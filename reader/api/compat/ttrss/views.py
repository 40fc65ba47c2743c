"""The Tiny Tiny RSS API endpoint: one view for ``/api/``, ``/api/index.php`` and
``/tt-rss/api/`` that signs in, checks the session and runs one call (``op``).

Sessions: ``login`` (``user``, ``password`` = the client password) opens an app session
(``accounts.services.client_session_start``) and answers its id; later calls send it as
``sid``. ``logout`` ends it; replacing or clearing the client password ends them all.
Both doors are part of the shared credential lock (``accounts.ratelimit``): ``login`` counts
failures for the address and the named account (door ``ttrss-login``), an unknown ``sid``
for the address (door ``ttrss-sid``); a locked address or account gets HTTP 429 with
``Retry-After`` and the API's error (LOGIN_ERROR at login, NOT_LOGGED_IN elsewhere).

Calls are case-insensitive, as tt-rss's PHP methods are. Errors are answered in the API's
shape (``protocol``); nothing here answers a 5xx for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts import services as accounts
from accounts.ratelimit import CredentialLock, RateLimited, account_of, client_ip
from reader import selectors
from reader.api.compat.ttrss import articles, feeds
from reader.api.compat.ttrss.feeds import FRESH_HOURS, RECENTLY_READ_HOURS, Call
from reader.api.compat.ttrss.protocol import (
    INCORRECT_USAGE,
    LOGIN_ERROR,
    NOT_FOUND,
    NOT_LOGGED_IN,
    UNKNOWN_METHOD,
    ApiError,
    as_int,
    as_text,
    error_reply,
    reply,
    request_params,
)
from reader.errors import NotFound, ReaderError
from reader.user_language import user_language_override

#: The API level answered by ``getApiLevel`` and ``login``: what Tidings implements of
#: tt-rss's levels (5: subscribe and the feed tree; 6: 200 headlines; 12: include_header;
#: 15: catchupFeed modes).
API_LEVEL = 15
#: What ``getVersion`` answers.
VERSION = "Tidings (Tiny Tiny RSS API level 15)"


def _config(call: Call) -> dict[str, Any]:
    """``getConfig`` (also part of ``login``'s answer since API level 17)."""
    return {
        "icons_dir": "icons",
        "icons_url": "icons",
        "daemon_is_running": True,
        "custom_sort_types": {},
        "num_feeds": selectors.subscription_list(user=call.user).count(),
    }


def _get_pref(call: Call) -> dict[str, Any]:
    """``getPref``: the value of ``pref_name`` among the preferences apps ask for; null for
    others (as tt-rss answers an unknown name)."""
    user = call.user
    prefs = {
        "ENABLE_API_ACCESS": True,
        "ENABLE_FEED_CATS": True,
        "FRESH_ARTICLE_MAX_AGE": FRESH_HOURS,
        "RECENTLY_READ_MAX_AGE": RECENTLY_READ_HOURS,
        "SHOW_CONTENT_PREVIEW": True,
        "HIDE_READ_FEEDS": False,
        "HIDE_READ_SHOWS_SPECIAL": True,
        "REVERSE_HEADLINES": user.sort_order == "oldest",
        "SORT_HEADLINES_BY_FEED_DATE": True,
        "DEFAULT_ARTICLE_LIMIT": 30,
        "USER_TIMEZONE": settings.TIME_ZONE,
        "USER_LANGUAGE": user.language or "",
    }
    return {"value": prefs.get(call.text("pref_name").strip().upper())}


#: The calls, by lower-cased ``op``; each takes a Call and returns the reply's content.
OPS: dict[str, Callable[[Call], Any]] = {
    "getapilevel": lambda call: {"level": API_LEVEL},
    "getversion": lambda call: {"version": VERSION},
    "getconfig": _config,
    "getpref": _get_pref,
    "getlabels": lambda call: [],
    "getunread": feeds.get_unread,
    "getcounters": feeds.get_counters,
    "getcategories": feeds.get_categories,
    "getfeeds": feeds.get_feeds,
    "getfeedtree": feeds.get_feed_tree,
    "catchupfeed": feeds.catchup_feed,
    "subscribetofeed": feeds.subscribe_to_feed,
    "unsubscribefeed": feeds.unsubscribe_feed,
    "getheadlines": articles.get_headlines,
    "getarticle": articles.get_article,
    "updatearticle": articles.update_article,
}


def _too_many(seq: int, code: str, limited: RateLimited) -> HttpResponse:
    response = error_reply(seq, ApiError(code), http_status=429)
    response["Retry-After"] = str(int(limited.retry_after))
    return response


def _login(request: HttpRequest, params: dict[str, Any], seq: int) -> HttpResponse:
    """``login``: ``{"session_id", "api_level", "config"}``, or LOGIN_ERROR."""
    username, password = as_text(params.get("user")).strip(), as_text(params.get("password"))
    try:
        user = CredentialLock("ttrss-login", client_ip(request)).guard(
            account=username,
            attempt=lambda: accounts.client_password_check(username=username, password=password),
        )
    except RateLimited as limited:
        return _too_many(seq, LOGIN_ERROR, limited)
    sid = accounts.client_session_start(user=user) if user is not None else None
    if sid is None:
        return error_reply(seq, ApiError(LOGIN_ERROR))
    call = Call(request=request, user=user, params=params)
    return reply(seq, {"session_id": sid, "api_level": API_LEVEL, "config": _config(call)})


def session_user(request: HttpRequest, sid: str) -> Any | None:
    """The user of session id ``sid``, or None; door ``ttrss-sid`` of the credential lock
    (an unknown id counts for the address; raises RateLimited when it is locked)."""
    lock = CredentialLock("ttrss-sid", client_ip(request))
    lock.ensure_open()
    user = accounts.client_session_user(sid) if sid else None
    if user is None:
        if sid:
            lock.check()
            lock.failed()
        return None
    lock.admit(account_of(user))
    return user


@csrf_exempt
def api(request: HttpRequest) -> HttpResponse:
    """Answer one Tiny Tiny RSS call (POST with a JSON body; GET answers the same way)."""
    params = request_params(request)
    seq = as_int(params.get("seq"))
    op = as_text(params.get("op")).strip()
    method = op.lower()
    if method == "login":
        return _login(request, params, seq)
    sid = as_text(params.get("sid")).strip()
    try:
        user = session_user(request, sid)
    except RateLimited as limited:
        return _too_many(seq, NOT_LOGGED_IN, limited)
    if method == "isloggedin":
        return reply(seq, {"status": user is not None})
    if user is None:
        return error_reply(seq, ApiError(NOT_LOGGED_IN))
    if method == "logout":
        accounts.client_session_end(sid)
        return reply(seq, {"status": "OK"})
    handler = OPS.get(method)
    if handler is None:
        return error_reply(seq, ApiError(UNKNOWN_METHOD, method=op[:100]))
    call = Call(request=request, user=user, params=params)
    try:
        with user_language_override(user):
            return reply(seq, handler(call))
    except ApiError as error:
        return error_reply(seq, error)
    except NotFound:
        return error_reply(seq, ApiError(NOT_FOUND))
    except ReaderError as exc:  # out-of-range input the services refuse (InvalidInput...)
        return error_reply(seq, ApiError(INCORRECT_USAGE, message=exc.message))
