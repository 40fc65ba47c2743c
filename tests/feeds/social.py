"""Small social and video feeds shaped like the real ones, and a helper that stores them.

``MASTODON``: a Mastodon account's RSS (``/@user.rss``): items without a title, the
post as HTML ``description``, each attachment a ``media:content`` whose
``media:description`` is its alt text. ``MICROBLOG``: a micro.blog RSS: short posts
without a title, a long post with one. ``YOUTUBE``: a YouTube channel's Atom feed
(``/feeds/videos.xml``): no content, a ``media:group`` with title, player URL,
thumbnail and a plain-text description with paragraphs, line breaks and URLs.

``store_feed`` serves one of them on the loopback feed server and runs the worker's
refresh (``feed_refresh``: fetch over HTTP, parse, sanitize, store).
"""

from __future__ import annotations

from feeds.models import Entry, Feed
from feeds.services import feed_get_or_create, feed_refresh

MASTODON_POST = "My tomatoes are finally ripe! Photos from the allotment this morning."
MASTODON_ALT = "Three red tomatoes on a vine, dew on the leaves"
MASTODON = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:webfeeds="http://webfeeds.org/rss/1.0"
     xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title>Ada Gardener</title>
<description>Public posts from @ada@social.example</description>
<link>https://social.example/@ada</link>
<image><url>https://files.social.example/avatar.png</url><title>Ada Gardener</title>
<link>https://social.example/@ada</link></image>
<lastBuildDate>Mon, 02 Mar 2026 10:00:00 +0000</lastBuildDate>
<webfeeds:icon>https://files.social.example/avatar.png</webfeeds:icon>
<generator>Mastodon v4.3.0</generator>
<item>
<guid isPermaLink="true">https://social.example/@ada/113</guid>
<link>https://social.example/@ada/113</link>
<pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate>
<description>&lt;p&gt;{MASTODON_POST}&lt;/p&gt;&lt;p&gt;&lt;a
 href="https://social.example/tags/garden" class="mention hashtag"
 rel="tag"&gt;#&lt;span&gt;garden&lt;/span&gt;&lt;/a&gt;&lt;/p&gt;</description>
<media:content url="https://files.social.example/media/tomatoes.jpg" type="image/jpeg"
 fileSize="48213" medium="image">
<media:rating scheme="urn:simple">nonadult</media:rating>
<media:description type="plain">{MASTODON_ALT}</media:description>
</media:content>
<category>garden</category>
</item>
<item>
<guid isPermaLink="true">https://social.example/@ada/112</guid>
<link>https://social.example/@ada/112</link>
<pubDate>Sun, 01 Mar 2026 09:00:00 +0000</pubDate>
<media:content url="https://files.social.example/media/shed.jpg" type="image/jpeg"
 fileSize="1000" medium="image">
<media:description type="plain">A green shed</media:description>
</media:content>
</item>
</channel>
</rss>
""".encode()

MICROBLOG_SHORT = "Coffee on the porch, watching the rain."
MICROBLOG_LONG_TEXT = (
    "Finished reading the new biography of Ada Lovelace tonight and I keep thinking about how "
    "much of her notes on the Analytical Engine still reads as modern."
)
MICROBLOG = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Manton's notes</title>
<link>https://notes.example.org/</link>
<description>Short posts</description>
<item>
<link>https://notes.example.org/2026/03/02/coffee.html</link>
<guid isPermaLink="true">https://notes.example.org/2026/03/02/coffee.html</guid>
<pubDate>Mon, 02 Mar 2026 08:00:00 +0000</pubDate>
<description>&lt;p&gt;{MICROBLOG_SHORT}&lt;/p&gt;</description>
</item>
<item>
<link>https://notes.example.org/2026/03/01/reading.html</link>
<guid isPermaLink="true">https://notes.example.org/2026/03/01/reading.html</guid>
<pubDate>Sun, 01 Mar 2026 21:00:00 +0000</pubDate>
<description>&lt;p&gt;{MICROBLOG_LONG_TEXT}&lt;/p&gt;</description>
</item>
<item>
<title>On blogging again</title>
<link>https://notes.example.org/2026/02/28/blogging.html</link>
<guid isPermaLink="true">https://notes.example.org/2026/02/28/blogging.html</guid>
<pubDate>Sat, 28 Feb 2026 12:00:00 +0000</pubDate>
<description>&lt;p&gt;A longer post with a title.&lt;/p&gt;</description>
</item>
</channel>
</rss>
""".encode()

YOUTUBE_ID = "dQw4w9WgXcQ"
YOUTUBE_DESCRIPTION = (
    "In this episode we build a raised bed.\n"
    "Timber from https://timber.example.com/beds\n"
    "\n"
    "Chapters:\n"
    "0:00 Intro\n"
    "2:10 Cutting"
)
YOUTUBE = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
      xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UCgarden"/>
 <id>yt:channel:UCgarden</id>
 <yt:channelId>UCgarden</yt:channelId>
 <title>Garden Channel</title>
 <link rel="alternate" href="https://www.youtube.com/channel/UCgarden"/>
 <author><name>Garden Channel</name><uri>https://www.youtube.com/channel/UCgarden</uri></author>
 <published>2020-01-01T00:00:00+00:00</published>
 <entry>
  <id>yt:video:{YOUTUBE_ID}</id>
  <yt:videoId>{YOUTUBE_ID}</yt:videoId>
  <yt:channelId>UCgarden</yt:channelId>
  <title>Building a raised bed</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={YOUTUBE_ID}"/>
  <author><name>Garden Channel</name><uri>https://www.youtube.com/channel/UCgarden</uri></author>
  <published>2026-03-01T12:00:00+00:00</published>
  <updated>2026-03-02T08:00:00+00:00</updated>
  <media:group>
   <media:title>Building a raised bed</media:title>
   <media:content url="https://www.youtube.com/v/{YOUTUBE_ID}?version=3"
    type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i4.ytimg.com/vi/{YOUTUBE_ID}/hqdefault.jpg"
    width="480" height="360"/>
   <media:description>{YOUTUBE_DESCRIPTION}</media:description>
   <media:community>
    <media:starRating count="12" average="5.00" min="1" max="5"/>
    <media:statistics views="345"/>
   </media:community>
  </media:group>
 </entry>
</feed>
""".encode()

FEEDS = {
    "mastodon": ("/@ada.rss", MASTODON, "application/rss+xml; charset=utf-8"),
    "microblog": ("/notes/feed.xml", MICROBLOG, "application/rss+xml; charset=utf-8"),
    "youtube": ("/feeds/videos.xml", YOUTUBE, "application/atom+xml; charset=utf-8"),
}


def store_feed(feed_server, name: str) -> Feed:
    """Serve the feed ``name`` (a key of ``FEEDS``) and refresh it once; returns the Feed."""
    path, body, content_type = FEEDS[name]
    feed_server.add_route(path, body=body, headers={"Content-Type": content_type})
    feed, _ = feed_get_or_create(url=feed_server.url(path))
    result = feed_refresh(feed_id=feed.pk, force=True)
    assert result.ok, result
    return feed


def entry_by_link(feed: Feed, suffix: str) -> Entry:
    """The stored entry of ``feed`` whose link ends with ``suffix``."""
    return Entry.objects.get(feed=feed, url__endswith=suffix)
