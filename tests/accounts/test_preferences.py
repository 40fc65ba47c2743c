"""The preferences page: every preference saved, language and time zone applied."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts import services

pytestmark = pytest.mark.django_db

PREFS = {
    "language": "zh-hans",
    "timezone": "Asia/Shanghai",
    "theme": "dark",
    "entries_per_page": "25",
    "sort_order": "oldest",
    "mark_read_on_open": "",  # unchecked
    "show_unread_only": "on",
    "remote_images": "click",
    "mark_read_when_played": "",  # unchecked
}


def test_the_page_shows_the_current_preferences(alice_client):
    page = alice_client.get("/settings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="UTC" selected>' in html
    assert 'value="system"' in html and 'value="newest"' in html
    assert 'name="entries_per_page" value="50"' in html
    for label in ("Interface language", "Time zone", "Entries per page"):
        assert label in html


def test_it_saves_every_preference(alice, alice_client):
    response = alice_client.post("/settings/", PREFS)
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    alice.refresh_from_db()
    assert alice.language == "zh-hans"
    assert alice.timezone == "Asia/Shanghai"
    assert alice.theme == "dark"
    assert alice.entries_per_page == 25
    assert alice.sort_order == "oldest"
    assert alice.mark_read_on_open is False
    assert alice.show_unread_only is True
    assert alice.remote_images == "click"
    assert alice.mark_read_when_played is False


@pytest.mark.parametrize(
    "field, value",
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("language", "fr"),
        ("theme", "neon"),
        ("entries_per_page", "0"),
        ("entries_per_page", "5000"),
        ("sort_order", "random"),
    ],
)
def test_it_refuses_invalid_values(alice, alice_client, field, value):
    response = alice_client.post("/settings/", {**PREFS, field: value})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.timezone == "UTC" and alice.theme == "system"


def test_the_chosen_language_is_used_and_remembered_in_the_cookie(alice_client):
    response = alice_client.post("/settings/", PREFS)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = alice_client.get("/settings/")
    assert '<html lang="zh-hans"' in page.content.decode()


def test_the_confirmation_is_in_the_language_just_chosen(alice_client):
    page = alice_client.post("/settings/", PREFS, follow=True).content.decode()
    assert "偏好设置已保存。" in page and "Preferences saved." not in page
    page = alice_client.post("/settings/", {**PREFS, "language": "en"}, follow=True)
    assert "Preferences saved." in page.content.decode()


def test_following_the_browser_clears_the_cookie_and_uses_accept_language(alice_client):
    alice_client.post("/settings/", PREFS)
    response = alice_client.post("/settings/", {**PREFS, "language": ""})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    page = alice_client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="en"' in page.content.decode()


def test_an_anonymous_visitor_gets_the_language_of_the_browser(db):
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert '<html lang="zh-hans"' in page.content.decode()
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB")
    assert '<html lang="en"' in page.content.decode()


def test_dates_are_shown_in_the_users_time_zone(alice, alice_client):
    services.token_create(user=alice, name="script")
    alice_client.post("/settings/", {**PREFS, "language": "en"})
    page = alice_client.get("/settings/api/").content.decode()
    assert "+08:00" in page  # the token's creation time, in Asia/Shanghai
