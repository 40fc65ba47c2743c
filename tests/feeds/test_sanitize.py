"""Sanitizer: policies 4-6 of ../shared/cases/README.md, cases P14, P15, P30, P32."""

from __future__ import annotations

import re

import html5lib
import pytest
from django.test import override_settings

from feeds.pipeline.parse import parse_feed
from feeds.pipeline.sanitize import (
    clean_url,
    embed_src,
    first_image_url,
    html_to_text,
    sanitize_html,
    text_to_html,
)
from tests.conftest import shared_path

FORBIDDEN_ELEMENTS = {
    "script",
    "style",
    "svg",
    "math",
    "object",
    "embed",
    "base",
    "meta",
    "link",
    "form",
    "input",
    "button",
    "noscript",
    "xmp",
    "noembed",
    "template",
    "mglyph",
}
NOCOOKIE_RE = re.compile(
    r"^https://www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]{11}(\?start=\d+)?$"
)
VIMEO_RE = re.compile(r"^https://player\.vimeo\.com/video/\d+$")


def case_entries(case: str, url: str):
    path = shared_path("cases", case, "feed.xml")
    return parse_feed(path.read_bytes(), url=url, content_type="application/rss+xml").entries


def sanitized(entry) -> str:
    return sanitize_html(entry.content_html, base_url=entry.base_url)


def html5_elements(fragment: str):
    """Parse like a browser's innerHTML (html5lib, the WHATWG algorithm)."""
    root = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    return list(root.iter())


def assert_inert(fragment: str) -> None:
    """The P30/P32 machine check, on one parse pass."""
    for element in html5_elements(fragment):
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        assert tag not in FORBIDDEN_ELEMENTS, fragment
        if tag == "iframe":
            assert len(list(element)) == 0 and not (element.text or "").strip(), fragment
            assert NOCOOKIE_RE.match(element.get("src", "")) or VIMEO_RE.match(
                element.get("src", "")
            )
        for name, value in element.attrib.items():
            name = name.rsplit("}", 1)[-1].lower()
            assert not name.startswith("on"), fragment
            assert name not in ("style", "formaction", "action", "srcdoc"), fragment
            if name in ("href", "src"):
                assert value.startswith(("https://", "http://", "mailto:")), fragment


def round_trip(fragment: str) -> str:
    root = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    walker = html5lib.getTreeWalker("etree")
    serializer = html5lib.serializer.HTMLSerializer(omit_optional_tags=False)
    return serializer.render(walker(root))


# --- P30 ---------------------------------------------------------------------
def test_hostile_content_is_reduced_to_inert_html():
    """Case P30: XSS content basic."""
    (entry,) = case_entries("P30-xss-content-basic", "https://torture.example.org/feed")
    out = sanitized(entry)
    assert_inert(out)
    assert "<b>bold</b>" in out and "<i>italic</i>" in out
    assert (
        '<a href="https://safe.example.org/ok" title="ok" target="_blank" '
        'rel="noopener noreferrer nofollow">safe link</a>'
    ) in out
    assert '<img src="https://img.example.org/a.png" alt="a">' in out
    assert 'href="mailto:editor@example.com"' in out
    assert '<img src="https://img.example.org/b.svg"' in out
    assert '<td colspan="2">cell</td>' in out
    for text in ("js link", "mixed case", "entity-encoded", "data link", "vb", "styled"):
        assert text in out
    assert "hover me" in out and "End." in out
    assert "document.title" not in out and "display: none" not in out
    assert out.count("href=") == 2  # the safe link and mailto; the five hostile ones are gone
    assert "evil.example.net" not in out


# --- P32 ---------------------------------------------------------------------
def test_mutation_xss_patterns_stay_inert_after_two_reparses():
    """Case P32: mXSS known patterns."""
    entries = case_entries("P32-mxss-known-patterns", "https://mxss.example.org/feed")
    assert len(entries) == 9
    for entry in entries:
        out = sanitized(entry)
        assert "<p>before</p>" in out and "<p>after</p>" in out, entry.title
        once = round_trip(out)
        twice = round_trip(once)
        for fragment in (out, once, twice):
            assert_inert(fragment)
        # No element can request evil.example.net (the payloads' only target).
        for element in html5_elements(twice):
            for value in element.attrib.values():
                assert "evil.example.net" not in value, entry.title


# --- P14 ---------------------------------------------------------------------
def test_lazy_images_are_promoted_and_srcset_candidates_resolved():
    """Case P14: lazy images and srcset."""
    (entry,) = case_entries("P14-lazy-images-and-srcset", "https://photos.example.com/feed/")
    out = sanitized(entry)
    images = [e for e in html5_elements(out) if e.tag == "img"]
    assert len(images) == 3
    assert images[0].get("src") == "https://photos.example.com/media/harbour-1600.jpg"
    assert images[0].get("srcset") == (
        "https://photos.example.com/media/harbour-800.jpg 800w, "
        "https://photos.example.com/media/harbour-1600.jpg 1600w"
    )
    assert images[1].get("src") == "https://photos.example.com/media/boats-1024.jpg"
    assert images[1].get("srcset") == (
        "https://photos.example.com/2026/harbour/boats-640.jpg 640w, "
        "https://photos.example.com/media/boats-1024.jpg 1024w, "
        "https://cdn.example.com/boats-2048.jpg 2048w"
    )
    assert images[2].get("src") == "https://cdn.example.com/gulls.jpg"
    assert "data:" not in out and "data-" not in out
    assert entry.thumbnail_url == "https://photos.example.com/media/harbour-1600.jpg"


# --- P15 ---------------------------------------------------------------------
def test_only_youtube_and_vimeo_iframes_are_kept_and_rewritten():
    """Case P15: video iframe policy."""
    (entry,) = case_entries("P15-video-iframe-policy", "https://workshop.example.org/feed")
    out = sanitized(entry)
    frames = [e for e in html5_elements(out) if e.tag == "iframe"]
    assert [f.get("src") for f in frames] == [
        "https://www.youtube-nocookie.com/embed/abcDEF12345?start=42",
        "https://player.vimeo.com/video/123456789",
        "https://www.youtube-nocookie.com/embed/zyxWVU98765",
    ]
    for frame in frames:
        assert frame.get("sandbox") == "allow-scripts allow-same-origin allow-presentation"
        assert frame.get("allowfullscreen") is not None
        assert frame.get("loading") == "lazy"
        assert frame.get("referrerpolicy") == "strict-origin-when-cross-origin"
        assert set(frame.attrib) <= {
            "src",
            "width",
            "height",
            "sandbox",
            "allowfullscreen",
            "loading",
            "referrerpolicy",
        }
        assert not any(name.startswith("on") for name in frame.attrib)
    assert (frames[0].get("width"), frames[0].get("height")) == ("560", "315")
    assert "ads.example.net" not in out and "fallback text inside frame" not in out
    assert "autoplay" not in out and "enablejsapi" not in out


@override_settings(EMBED_EXTRA_HOSTS=["embed.example.net"])
def test_extra_embed_hosts_come_from_settings():
    assert embed_src("//embed.example.net/v/1") == "https://embed.example.net/v/1"
    assert embed_src("https://other.example.net/v/1") == ""


def test_embed_urls_outside_the_allowed_shapes_are_refused():
    assert embed_src("https://www.youtube.com/watch?v=abcDEF12345") == ""
    assert embed_src("https://www.youtube.com/embed/short") == ""
    assert embed_src("https://player.vimeo.com/video/12ab") == ""
    assert embed_src("javascript:alert(1)") == ""


# --- URL rules -----------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " \tjavascript:alert(1)",
        "java\tscript:alert(1)",
        "java\x00script:alert(1)",
        "java\u200bscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "DATA:image/png;base64,AAAA",
        "file:///etc/passwd",
        "http:relative",
    ],
)
def test_unsafe_url_schemes_are_refused(value):
    assert clean_url(value, base_url="https://example.org/a/", allow_mailto=True) == ""


def test_relative_urls_resolve_against_the_base():
    base = "https://example.org/blog/post/"
    assert clean_url("img.png", base_url=base) == "https://example.org/blog/post/img.png"
    assert clean_url("../x", base_url=base) == "https://example.org/blog/x"
    assert clean_url("/about", base_url=base) == "https://example.org/about"
    assert clean_url("//cdn.example.net/a.png", base_url=base) == "https://cdn.example.net/a.png"
    assert clean_url("#fn1", base_url=base) == "https://example.org/blog/post/#fn1"
    assert clean_url("img.png", base_url="") == ""
    assert clean_url("mailto:a@example.org", base_url=base) == ""
    assert clean_url("mailto:a@example.org", base_url=base, allow_mailto=True)


def test_anchors_get_rel_and_target_and_hostile_attributes_go():
    out = sanitize_html(
        '<a href="/x" onclick="x()" style="color:red" class="c" id="i" data-x="1" lang="en">x</a>',
        base_url="https://example.org/",
    )
    assert out == (
        '<a href="https://example.org/x" lang="en" target="_blank" '
        'rel="noopener noreferrer nofollow">x</a>'
    )


def test_elements_outside_the_allowlist_lose_their_tags_or_their_content():
    out = sanitize_html(
        "<article><h2>T</h2><script>bad()</script><textarea>t</textarea><custom>kept</custom>"
        "<style>s</style><template><p>t</p></template><math><mi>x</mi></math></article>",
        base_url="https://example.org/",
    )
    assert out == "<h2>T</h2>kept"


def test_sanitizing_is_idempotent_on_every_case_input():
    cases = [
        ("P12-xml-base-resolution", "https://journal.example.org/ongoing/ongoing.atom"),
        ("P13-relative-urls-rss-content", "https://care.example.net/feeds/index.xml"),
        ("P14-lazy-images-and-srcset", "https://photos.example.com/feed/"),
        ("P15-video-iframe-policy", "https://workshop.example.org/feed"),
        ("P30-xss-content-basic", "https://torture.example.org/feed"),
        ("P32-mxss-known-patterns", "https://mxss.example.org/feed"),
    ]
    for case, url in cases:
        for entry in case_entries(case, url):
            once = sanitized(entry)
            assert sanitize_html(once, base_url=entry.base_url) == once, (case, entry.title)


def test_text_to_html_escapes_and_linkifies_plain_text():
    out = text_to_html("One <b>two</b>\nhttps://example.org/x\n\nPara", base_url="https://e.org/")
    assert out == (
        "<p>One &lt;b&gt;two&lt;/b&gt;<br>"
        '<a href="https://example.org/x" target="_blank" rel="noopener noreferrer nofollow">'
        "https://example.org/x</a></p><p>Para</p>"
    )
    assert text_to_html("javascript:alert(1)", base_url="") == "<p>javascript:alert(1)</p>"


def test_html_to_text_decodes_once_and_drops_markup():
    assert html_to_text("<em>Blue</em>  &amp;amp; <script>x()</script>green") == "Blue &amp; green"
    assert html_to_text("<3 small tools") == "<3 small tools"
    assert html_to_text("AT&T") == "AT&T"


def test_first_image_url_skips_tracking_pixels():
    fragment = '<img src="/stat.gif" width="1" height="1"><img data-src="/real.jpg" src="data:x">'
    assert first_image_url(fragment, base_url="https://e.org/") == "https://e.org/real.jpg"
