"""Directory cards and source pages name a feed's language in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from reader.templatetags.tidings_ui import language_label


@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        ("en", "English", "英语"),
        ("zh-hans", "Simplified Chinese", "简体中文"),
        ("pt-BR", "Brazilian Portuguese", "巴西葡萄牙语"),
        ("en-US", "English", "英语"),
    ],
)
def test_a_language_code_is_shown_by_its_name(code, english, chinese):
    with translation.override("en"):
        assert language_label(code) == english
    with translation.override("zh-hans"):
        assert chinese in language_label(code)


def test_an_unknown_code_is_shown_as_it_is():
    assert language_label("x-klingon") == "x-klingon"
    assert language_label("") == ""
    assert language_label(None) == ""
