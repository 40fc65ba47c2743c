"""The reader's rows rendered in Python (reader/templatetags/tidings_rows.py) give the same
HTML as the templates they stand in for (reader/_sidebar_sub.html, _feed_icon.html)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from feeds.models import Feed
from reader import reader_page_selectors, subscription_page_selectors
from tests.factories import CategoryFactory
from tests.ui.conftest import make_reader, seed_subscription

pytestmark = pytest.mark.django_db

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _render(source: str, context: dict, request) -> str:
    html = engines["django"].from_string(source).render(context, request)
    return _CSRF.sub('name="csrfmiddlewaretoken" value="-"', html)


def _reader_with_awkward_subscriptions():
    user = make_reader("rows")
    folder = CategoryFactory(user=user, title="Folder <&>")
    plain = seed_subscription(user, 'Tom & Jerry "quoted" <b>', entries=3, category=folder)
    seed_subscription(user, "Quiet feed", entries=0)
    failing = seed_subscription(user, "Failing feed", entries=2)
    Feed.objects.filter(pk=failing.feed_id).update(last_error='Timeout "after" 30 s <x>')
    stopped = seed_subscription(user, "Stopped feed", entries=1, category=folder)
    Feed.objects.filter(pk=stopped.feed_id).update(
        disabled=True, auto_disabled=True, disabled_reason="410 Gone", last_error="gone"
    )
    seed_subscription(user, "", entries=1)  # untitled: the feed's URL is shown
    return user, plain


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("show", ["unread", "all", "starred"])
def test_sidebar_rows_built_in_python_match_the_sidebar_row_template(
    language, show, django_assert_num_queries
):
    user, plain = _reader_with_awkward_subscriptions()
    page = reader_page_selectors.reader_page(user=user, show=show, subscription_id=plain.pk)
    request = RequestFactory().get("/reader/?show=all&sub=1&x=<y>")
    request.user = user
    groups = [c.subscriptions for c in page.categories] + [page.uncategorized]
    assert sum(len(g) for g in groups) == 5
    rendered = []
    # No query while rendering: the sidebar loads only the columns it shows (no deferred loads).
    with translation.override(language), django_assert_num_queries(0):
        for subs in groups:
            context = {"subs": subs, "show": show}
            reference = _render(
                '{% for sub in subs %}{% include "reader/_sidebar_sub.html" %}{% endfor %}',
                context,
                request,
            )
            fast = _render("{% load tidings_rows %}{% sidebar_subs subs %}", context, request)
            assert fast == reference
            rendered.append(fast)
    assert "".join(rendered).count('aria-current="page"') == 1  # the open subscription


@pytest.mark.parametrize("size", ["", "md", "lg"])
@pytest.mark.parametrize("feed_id,name", [(7, "Feed"), (None, "éclair"), (0, ""), (None, "<b>")])
def test_the_feed_icon_tag_matches_the_feed_icon_template(size, feed_id, name):
    request = RequestFactory().get("/")
    context = {"feed_id": feed_id, "name": name, "size": size}
    reference = _render(
        '{% include "_feed_icon.html" with feed_id=feed_id name=name size=size %}', context, request
    )
    fast = _render("{% load tidings_rows %}{% feed_icon feed_id name size %}", context, request)
    assert fast == reference


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize(
    "age", [None, timedelta(seconds=20), timedelta(hours=5), timedelta(days=400)]
)
def test_the_time_tag_matches_the_time_template(language, full, age, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    request = RequestFactory().get("/")
    context = {"value": None if age is None else timezone.now() - age, "full": full}
    with translation.override(language):
        reference = _render(
            '{% include "_time.html" with value=value full=full %}', context, request
        )
        fast = _render("{% load tidings_rows %}{% time_html value full %}", context, request)
    assert fast == reference


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_subscription_rows_built_in_python_match_the_subscription_row_template(language):
    from reader.models import Subscription
    from reader.selectors import category_list

    user, plain = _reader_with_awkward_subscriptions()
    CategoryFactory(user=user, title="Second & last")
    Subscription.objects.filter(pk=plain.pk).update(title="My <own> title", fetch_full_text=True)
    never = seed_subscription(user, "Never fetched", entries=0)
    Feed.objects.filter(pk=never.feed_id).update(last_fetched_at=None)
    counted = seed_subscription(user, "Two errors", entries=1)
    Feed.objects.filter(pk=counted.feed_id).update(error_count=2)
    subs = subscription_page_selectors.subscription_rows(user=user)
    categories = category_list(user=user)
    request = RequestFactory().get("/subscriptions/")
    request.user = user
    context = {"subscriptions": subs, "categories": categories}
    with translation.override(language):
        reference = _render(
            "{% for sub in subscriptions %}"
            '{% include "reader/_subscription_row.html" %}{% endfor %}',
            context,
            request,
        )
        fast = _render(
            "{% load tidings_rows %}{% subscription_rows subscriptions categories %}",
            context,
            request,
        )
    assert fast == reference
    assert fast.count("<tr ") == 7
    assert fast.count(" selected>") == 2  # the two subscriptions in "Folder <&>"
