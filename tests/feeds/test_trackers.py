"""Trackers removed by the sanitizer (feeds.pipeline.trackers), counted per entry and shown."""

from __future__ import annotations

import pytest

from feeds.models import Entry
from feeds.pipeline.sanitize import first_image_url, sanitize_html, sanitize_html_counted
from feeds.pipeline.trackers import is_tracker_address, strip_tracking_params, tracker_entries
from feeds.services.refresh import feed_refresh
from tests.factories import FeedFactory

BASE = "https://blog.example.org/2026/post.html"


@pytest.mark.parametrize(
    "image",
    [
        '<img src="https://blog.example.org/p.gif" width="1" height="1">',
        '<img src="https://blog.example.org/p.gif" width="0" height="0" alt="">',
        "<IMG SRC='https://blog.example.org/p.gif' HEIGHT='1px'>",
        '<img src="https://blog.example.org/p.gif" style="display: none">',
        '<img src="https://blog.example.org/p.gif" style="visibility:hidden;">',
        '<img src="https://blog.example.org/p.gif" style="width:1px;height:1px">',
        '<img src="https://blog.example.org/p.gif" hidden>',
        '<img src="https://pixel.wp.com/g.gif?blog=1&post=2">',
        '<img src="https://stats.wordpress.com/b.gif?host=x">',
        '<img src="http://feeds.feedburner.com/~r/Example/~4/abc">',
        '<img src="https://us1.list-manage.com/track/open.php?u=1">',
        '<img data-src="https://www.google-analytics.com/collect?v=1" src="data:,">',
    ],
)
def test_a_tracking_image_is_removed_and_counted(image):
    result = sanitize_html_counted(f"<p>Before {image} after</p>", base_url=BASE)
    assert "<img" not in result.html
    assert result.html == "<p>Before  after</p>"
    assert result.trackers_removed == 1


@pytest.mark.parametrize(
    "image",
    [
        '<img src="https://blog.example.org/photo.jpg" width="640" height="480" alt="x">',
        '<img src="https://blog.example.org/photo.jpg" width="10">',
        '<img src="https://wordpress.com/photo.jpg">',
        '<img src="https://feeds.feedburner.com/images/logo.png">',
        '<img src="https://notgoogle-analytics.com/a.png">',
    ],
)
def test_an_ordinary_image_stays(image):
    result = sanitize_html_counted(f"<p>{image}</p>", base_url=BASE)
    assert "<img" in result.html
    assert result.trackers_removed == 0


def test_tracking_parameters_leave_links_and_each_cleaned_link_counts():
    source = (
        '<p><a href="https://example.org/a?utm_source=feed&amp;id=7&amp;utm_medium=rss">a</a>'
        ' <a href="https://example.org/b?fbclid=XYZ#xtor=RSS-1">b</a>'
        ' <a href="https://example.org/c?page=2">c</a></p>'
    )
    result = sanitize_html_counted(source, base_url=BASE)
    assert 'href="https://example.org/a?id=7"' in result.html
    assert 'href="https://example.org/b"' in result.html
    assert 'href="https://example.org/c?page=2"' in result.html
    assert "utm_" not in result.html and "fbclid" not in result.html
    assert result.trackers_removed == 2


def test_removing_trackers_is_idempotent_and_a_second_pass_counts_nothing():
    source = (
        '<p><img src="https://pixel.wp.com/g.gif"><a href="https://x.example/?utm_campaign=a">'
        'x</a><img src="https://blog.example.org/photo.jpg" alt="p"></p>'
    )
    once = sanitize_html_counted(source, base_url=BASE)
    twice = sanitize_html_counted(once.html, base_url=BASE)
    assert once.trackers_removed == 2
    assert twice.html == once.html
    assert twice.trackers_removed == 0
    assert sanitize_html(source, base_url=BASE) == once.html


def test_the_list_matches_subdomains_and_path_prefixes_only():
    assert is_tracker_address("https://ssl.google-analytics.com/__utm.gif")
    assert is_tracker_address("https://feeds.feedburner.com/~r/Blog/~4/x")
    assert not is_tracker_address("https://feeds.feedburner.com/Blog")
    assert not is_tracker_address("https://www.facebook.com/someone")
    assert is_tracker_address("https://www.facebook.com/tr?id=1&ev=PageView")
    assert not is_tracker_address("not a url")


def test_the_shipped_list_is_read_and_the_operators_file_adds_to_it(settings, tmp_path):
    assert "pixel.wp.com" in tracker_entries()
    extra = tmp_path / "more-trackers.txt"
    extra.write_text("# ours\npixel.example.net\nbeacon.example.com/open\n", encoding="utf-8")
    settings.TRACKER_HOSTS_FILE = str(extra)
    assert is_tracker_address("https://pixel.example.net/a.gif")
    assert is_tracker_address("https://beacon.example.com/open?id=1")
    assert not is_tracker_address("https://beacon.example.com/logo.png")
    assert is_tracker_address("https://pixel.wp.com/g.gif")


def test_stripping_parameters_keeps_everything_else_byte_for_byte():
    url = "https://example.org/p?a=1&UTM_Source=x&b=%20&gclid=9#part"
    assert strip_tracking_params(url) == "https://example.org/p?a=1&b=%20#part"
    plain = "https://example.org/p?a=1"
    assert strip_tracking_params(plain) is plain


def test_a_thumbnail_is_never_a_tracker():
    content = (
        '<img src="https://pixel.wp.com/g.gif" width="20">'
        '<img src="https://blog.example.org/p.gif" style="display:none">'
        '<img src="https://blog.example.org/real.jpg">'
    )
    assert first_image_url(content, base_url=BASE) == "https://blog.example.org/real.jpg"


@pytest.mark.django_db
def test_a_stored_entry_keeps_its_tracker_count_and_the_reader_shows_it(feed_server, client, alice):
    from tests.factories import SubscriptionFactory

    item = (
        "<item><title>Counted</title><link>https://example.org/counted</link>"
        "<guid>https://example.org/counted</guid><description>&lt;p&gt;Text "
        '&lt;a href="https://example.org/x?utm_source=rss"&gt;x&lt;/a&gt;'
        '&lt;img src="https://pixel.wp.com/g.gif"&gt;'
        '&lt;img src="https://example.org/t.gif" width="1" height="1"&gt;&lt;/p&gt;'
        "</description></item>"
    )
    feed_server.add_route(
        "/trackers.xml",
        body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{item}'
        "</channel></rss>",
        headers={"Content-Type": "application/rss+xml"},
    )
    feed = FeedFactory(url=feed_server.url("/trackers.xml"))
    feed_refresh(feed_id=feed.pk)
    entry = Entry.objects.get(feed=feed)
    assert entry.trackers_removed == 3
    assert "pixel.wp.com" not in entry.content and "utm_source" not in entry.content
    SubscriptionFactory(user=alice, feed=feed)
    client.force_login(alice)
    page = client.get(f"/reader/?show=all&entry={entry.pk}")
    assert "3 trackers removed" in page.content.decode()
    api = client.get(f"/api/v1/entries/{entry.pk}/")
    assert api.json()["trackers_removed"] == 3
