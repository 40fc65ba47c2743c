"""A podcast episode's duration: itunes:duration (RSS) and duration_in_seconds (JSON Feed)."""

from __future__ import annotations

import json

import pytest

from feeds.pipeline.parse import parse_feed
from feeds.pipeline.parse.fields import duration_seconds


def _rss(duration: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Cast</title>'
        "<item><title>Ep</title><guid>ep</guid>"
        '<enclosure url="https://cast.example.org/ep.mp3" type="audio/mpeg" length="4096"/>'
        f"<itunes:duration>{duration}</itunes:duration></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "text, seconds",
    [("1830", 1830), ("30:30", 1830), ("0:30:30", 1830), ("1:02:03", 3723), ("90.5", 90)],
)
def test_an_rss_episode_duration_is_read_in_seconds(text, seconds):
    (entry,) = parse_feed(_rss(text), url="https://cast.example.org/feed.xml").entries
    assert entry.enclosures == [
        {
            "url": "https://cast.example.org/ep.mp3",
            "type": "audio/mpeg",
            "length": 4096,
            "duration": seconds,
        }
    ]


@pytest.mark.parametrize("text", ["", "soon", "1:75", "-5", "1:2:3:4", "99999999"])
def test_a_malformed_duration_is_left_out(text):
    (entry,) = parse_feed(_rss(text), url="https://cast.example.org/feed.xml").entries
    assert "duration" not in entry.enclosures[0]


def test_a_json_feed_attachment_keeps_its_duration_in_seconds():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Cast",
        "items": [
            {
                "id": "1",
                "content_text": "Episode",
                "attachments": [
                    {
                        "url": "https://cast.example.org/ep.m4a",
                        "mime_type": "audio/mp4",
                        "size_in_bytes": 100,
                        "duration_in_seconds": 61.9,
                    }
                ],
            }
        ],
    }
    feed = parse_feed(json.dumps(document).encode(), url="https://cast.example.org/feed.json")
    assert feed.entries[0].enclosures[0]["duration"] == 61


def test_durations_are_whole_seconds_within_a_week():
    assert duration_seconds(True) is None
    assert duration_seconds(float("nan")) is None
    assert duration_seconds(7 * 24 * 3600) == 7 * 24 * 3600
    assert duration_seconds(7 * 24 * 3600 + 1) is None
