"""A visitor sees the landing page and the directory, then signs up (real Chromium)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_sees_the_landing_page_and_the_directory(open_page):
    call_command("load_directory", verbosity=0)
    page = open_page()
    page.go("/")
    assert page.page.locator("h1").first.inner_text().startswith("Every site you follow")
    assert page.page.locator(".category-block").count() >= 3
    assert page.page.locator(".source-card .avatar, .source-card img.feed-icon").count() > 10
    page.shot("01-landing")

    page.page.click("text=Browse the directory")
    page.page.wait_for_url("**/directory/")
    total = page.page.locator(".source-card").count()
    assert total > 10
    page.page.fill("#dir-q", "security")
    page.page.press("#dir-q", "Enter")
    page.page.wait_for_url("**/directory/?q=security")
    cards = page.page.locator(".source-card")
    assert 0 < cards.count() < total
    page.shot("02-directory-search")


def test_a_visitor_signs_up_and_lands_in_the_empty_reader(open_page):
    page = open_page()
    page.go("/")
    page.page.click(".topuser >> text=Sign up")
    page.page.fill("input[name=username]", "newcomer")
    page.page.fill("input[name=email]", "newcomer@example.com")
    page.page.fill("input[name=password1]", "a-long-test-password-42")
    page.page.fill("input[name=password2]", "a-long-test-password-42")
    page.page.click("main button[type=submit]")
    page.page.wait_for_url("**/reader/**")
    assert page.page.locator(".pane-list .empty").is_visible()
    page.shot("03-signed-up-empty-reader")
    # A signed-in user who opens / lands in the reader.
    page.go("/")
    assert "/reader/" in page.page.url
