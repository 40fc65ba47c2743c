"""Social and video feeds through the worker's refresh over loopback HTTP: Media RSS read
right (alt text is not the body, YouTube descriptions readable) and title-less posts."""

from __future__ import annotations

import html5lib
import pytest

from feeds.titles import display_title, text_excerpt
from tests.feeds.social import (
    MASTODON_ALT,
    MASTODON_POST,
    MICROBLOG_LONG_TEXT,
    MICROBLOG_SHORT,
    YOUTUBE_ID,
    entry_by_link,
    store_feed,
)

pytestmark = pytest.mark.django_db


def _text(fragment: str) -> str:
    tree = html5lib.parseFragment(fragment, namespaceHTMLElements=False)
    return " ".join("".join(tree.itertext()).split())


def test_a_mastodon_posts_text_stays_its_body_and_the_image_alt_text_is_the_images(feed_server):
    feed = store_feed(feed_server, "mastodon")
    post = entry_by_link(feed, "/@ada/113")
    assert MASTODON_POST in post.content
    assert MASTODON_ALT not in _text(post.content)  # alt text is not text of the body
    assert (
        f'<img src="https://files.social.example/media/tomatoes.jpg" alt="{MASTODON_ALT}">'
        in post.content
    )
    assert post.summary == ""
    assert post.thumbnail_url == "https://files.social.example/media/tomatoes.jpg"
    assert post.title == ""
    assert post.display_title == MASTODON_POST + " #garden"


def test_a_mastodon_post_with_only_an_image_shows_the_image_and_has_no_display_title(
    feed_server,
):
    feed = store_feed(feed_server, "mastodon")
    post = entry_by_link(feed, "/@ada/112")
    assert post.content == (
        '<figure><img src="https://files.social.example/media/shed.jpg" alt="A green shed">'
        "</figure>"
    )
    assert (post.title, post.display_title) == ("", "")


def test_title_less_microblog_posts_get_the_first_words_of_their_text(feed_server):
    feed = store_feed(feed_server, "microblog")
    short = entry_by_link(feed, "/coffee.html")
    long = entry_by_link(feed, "/reading.html")
    titled = entry_by_link(feed, "/blogging.html")
    assert (short.title, short.display_title) == ("", MICROBLOG_SHORT)
    assert long.title == ""
    assert long.display_title == (
        "Finished reading the new biography of Ada Lovelace tonight and I keep thinking…"
    )
    assert len(long.display_title) <= 80
    assert MICROBLOG_LONG_TEXT.startswith(long.display_title[:-1])
    assert titled.display_title == "On blogging again"


def test_a_youtube_video_becomes_the_nocookie_embed_and_its_description_keeps_lines_and_links(
    feed_server,
):
    feed = store_feed(feed_server, "youtube")
    video = entry_by_link(feed, f"watch?v={YOUTUBE_ID}")
    assert video.title == "Building a raised bed"
    assert f'<iframe src="https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}"' in video.content
    assert 'sandbox="allow-scripts allow-same-origin allow-presentation"' in video.content
    assert "<p>In this episode we build a raised bed.<br>Timber from " in video.content
    assert (
        '<a href="https://timber.example.com/beds" target="_blank" '
        'rel="noopener noreferrer nofollow">https://timber.example.com/beds</a>'
    ) in video.content
    assert "<p>Chapters:<br>0:00 Intro<br>2:10 Cutting</p>" in video.content
    assert video.thumbnail_url == f"https://i4.ytimg.com/vi/{YOUTUBE_ID}/hqdefault.jpg"


def test_the_excerpt_is_cut_on_a_word_boundary_with_an_ellipsis():
    assert text_excerpt("one two three", limit=80) == "one two three"
    assert text_excerpt("alpha beta gamma delta", limit=12) == "alpha beta…"
    assert text_excerpt("alpha, beta gamma", limit=8) == "alpha…"
    assert text_excerpt("supercalifragilistic", limit=6) == "super…"
    assert text_excerpt("今天天气很好我们去公园散步吧", limit=6) == "今天天气很…"
    assert text_excerpt("  \n ", limit=6) == ""


def test_the_display_title_is_the_stored_title_else_the_text_of_the_body():
    assert display_title(title="Hello", html="<p>Body</p>") == "Hello"
    assert display_title(title=" ", html="<p>First</p><p>Second<br>line</p>") == (
        "First Second line"
    )
    assert display_title(title="", html='<p>A &amp; B <img src="x" alt="alt"></p>') == "A & B"
    assert display_title(title="", html="") == ""


def test_alt_text_before_the_post_and_in_a_malformed_feed_is_still_only_alt_text():
    from feeds.pipeline.parse import parse_feed

    item = (
        '<item><link>https://social.example/@ada/9</link><media:content medium="image"'
        ' url="https://files.social.example/m.png"><media:description type="plain">'
        "Alt &amp; more</media:description></media:content>"
        "<description>&lt;p&gt;Post &amp;amp; text&lt;/p&gt;</description></item>"
    )
    for title in ("Ada", "Ada &nbsp;"):  # the second is not well-formed: the loose parser reads it
        feed = parse_feed(
            f'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>{title}</title>{item}</channel></rss>".encode(),
            url="https://social.example/@ada.rss",
        )
        (entry,) = feed.entries
        assert entry.content_html == (
            "<p>Post &amp; text</p><figure>"
            '<img src="https://files.social.example/m.png" alt="Alt &amp; more"></figure>'
        )
        assert entry.summary_html == ""
