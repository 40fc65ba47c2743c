"""Title-less posts show the first words of their text wherever the web UI shows a title:
entry rows, the reading pane, search results, the public pages and the saved-view feeds."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree
from django.test import Client

from feeds.models import Source
from reader import saved_views
from tests.factories import SubscriptionFactory
from tests.feeds.social import MICROBLOG_SHORT, entry_by_link, store_feed

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
LONG_TITLE = "Finished reading the new biography of Ada Lovelace tonight and I keep thinking…"


@pytest.fixture
def notes(feed_server, alice):
    feed = store_feed(feed_server, "microblog")
    SubscriptionFactory(user=alice, feed=feed)
    return feed


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rows_and_the_reading_pane_show_the_display_title_not_untitled(alice, notes):
    entry = entry_by_link(notes, "/reading.html")
    client = _client_for(alice)
    page = client.get("/reader/?show=all").content.decode()
    assert f'<span class="e-title">{MICROBLOG_SHORT}</span>' in page
    assert f'<span class="e-title">{LONG_TITLE}</span>' in page
    assert "(untitled)" not in page
    pane = client.get(f"/reader/?show=all&entry={entry.pk}").content.decode()
    assert f"{LONG_TITLE}</a></h1>" in pane
    assert "(untitled)" not in pane


def test_search_results_show_the_display_title(alice, notes):
    page = _client_for(alice).get("/search/?q=porch").content.decode()
    assert "Coffee on the <mark>porch</mark>, watching the rain." in page
    assert "(untitled)" not in page


def test_public_pages_show_the_display_title(notes):
    source = Source.objects.create(title="Notes", feed_url=notes.url, feed=notes)
    entry = entry_by_link(notes, "/coffee.html")
    client = Client()
    listing = client.get(f"/sources/{source.pk}/").content.decode()
    assert f">{MICROBLOG_SHORT}</a></h2>" in listing
    page = client.get(f"/entries/{entry.pk}/").content.decode()
    assert f'<h1 class="entry-title" id="entry-title">{MICROBLOG_SHORT}</h1>' in page
    assert f'property="og:title" content="{MICROBLOG_SHORT}"' in page


def test_saved_view_feeds_carry_the_display_title(alice, notes):
    view = saved_views.saved_view_create(user=alice, name="Notes")
    view = saved_views.feed_token_rotate(user=alice, view_id=view.pk)
    atom = Client().get(f"/views/{view.feed_token}/atom/")
    doc = ElementTree.fromstring(atom.content)
    titles = {e.findtext(f"{ATOM}title") for e in doc.findall(f"{ATOM}entry")}
    assert titles == {MICROBLOG_SHORT, LONG_TITLE, "On blogging again"}


def test_the_untitled_placeholder_of_a_post_without_text_still_highlights():
    from django.utils.translation import gettext_lazy

    from reader.templatetags.tidings_ui import highlight

    assert highlight(gettext_lazy("(untitled)"), ["unt"]) == "(<mark>unt</mark>itled)"
