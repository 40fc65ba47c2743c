"""Reading in a real Chromium: open, mark read, star, keyboard, mark all read, narrow layout,
dark theme, and reading with JavaScript off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import CategoryFactory
from tests.ui.conftest import make_reader, seed_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect_count(page, key: str, value: int) -> None:
    """Wait until the sidebar count ``key`` shows ``value``."""
    locator = page.page.locator(f'.pane-sidebar [data-count-for="{key}"]')
    expect(locator).to_have_attribute("data-count", str(value))


def _count(page, key: str) -> int:
    value = page.page.locator(f'.pane-sidebar [data-count-for="{key}"]').get_attribute("data-count")
    return int(value or 0)


@pytest.fixture
def library():
    """A reader with two subscriptions (5 + 3 unread entries), one in the category Tech."""
    user = make_reader("alice")
    tech = CategoryFactory(user=user, title="Tech")
    first = seed_subscription(user, "Morning Paper", entries=5, category=tech)
    second = seed_subscription(user, "Evening Digest", entries=3)
    return user, first, second


def test_reading_an_entry_marks_it_read_and_drops_the_count_and_starring_lists_it(
    open_page, library
):
    _user, first, _second = library
    page = open_page()
    page.login("alice")
    assert _count(page, "unread") == 8
    assert _count(page, f"sub-{first.pk}") == 5
    item = page.page.locator(".entry-item", has_text="Morning Paper entry 1").first
    item.locator("a[data-open]").click()
    page.page.wait_for_selector(".pane-entry h1.entry-title:has-text('Morning Paper entry 1')")
    expect_count(page, "unread", 7)
    assert "is-read" in item.get_attribute("class")
    assert _count(page, f"sub-{first.pk}") == 4
    assert _count(page, f"cat-{first.category_id}") == 4
    assert page.page.locator(".pane-entry a[data-original]").get_attribute("rel") == (
        "noopener noreferrer"
    )
    page.shot("04-reading-entry")

    # The server agrees after a reload.
    page.page.reload()
    assert _count(page, "unread") == 7

    page.page.click(".pane-entry [data-action=toggle-star]")
    expect_count(page, "starred", 1)
    page.page.click("[data-nav=starred]")
    page.page.wait_for_url("**show=starred**")
    starred = page.page.locator(".entry-item")
    assert starred.count() == 1
    assert "Morning Paper entry 1" in starred.first.inner_text()
    page.shot("05-starred")


def test_keyboard_moves_toggles_and_marks_all_read_with_confirmation(open_page, library):
    page = open_page()
    page.login("alice")
    items = page.page.locator(".entry-item")
    page.page.keyboard.press("j")
    page.page.wait_for_selector(".entry-item.is-selected")
    first_id = page.page.locator(".entry-item.is-selected").get_attribute("data-entry-id")
    page.page.keyboard.press("j")
    expect(page.page.locator(".entry-item.is-selected")).not_to_have_attribute(
        "data-entry-id", first_id
    )
    page.page.keyboard.press("k")
    expect(page.page.locator(".entry-item.is-selected")).to_have_attribute(
        "data-entry-id", first_id
    )
    expect(page.page.locator("[data-entry-view]")).to_have_attribute("data-entry-id", first_id)
    expect_count(page, "unread", 6)
    selected = page.page.locator(".entry-item.is-selected")
    assert "is-read" in selected.get_attribute("class")

    page.page.keyboard.press("m")  # back to unread
    expect_count(page, "unread", 7)
    assert "is-unread" in selected.get_attribute("class")
    page.page.keyboard.press("s")  # star
    expect_count(page, "starred", 1)
    page.page.keyboard.press("s")  # unstar
    expect_count(page, "starred", 0)

    page.page.keyboard.press("?")
    assert page.page.locator("#shortcuts-dialog").is_visible()
    page.shot("06-shortcuts-help")
    page.page.keyboard.press("Escape")
    assert not page.page.locator("#shortcuts-dialog").is_visible()

    page.page.once("dialog", lambda dialog: dialog.accept())
    page.page.keyboard.press("Shift+A")
    expect_count(page, "unread", 0)
    assert page.page.locator(".entry-item.is-unread").count() == 0
    assert items.count() > 0
    page.shot("07-all-read")
    page.page.reload()
    assert page.page.locator(".pane-list .empty").is_visible()

    page.page.keyboard.press("g")
    page.page.keyboard.press("a")
    page.page.wait_for_url("**show=all**")
    assert page.page.locator(".entry-item").count() == 8


def test_the_narrow_layout_shows_one_pane_at_a_time_with_a_back_control(open_page, library):
    page = open_page(width=375, height=760)
    page.login("alice")
    list_pane = page.page.locator(".pane-list")
    entry_pane = page.page.locator(".pane-entry")
    sidebar = page.page.locator(".pane-sidebar")
    assert list_pane.is_visible() and not entry_pane.is_visible() and not sidebar.is_visible()
    page.shot("08-narrow-list")
    page.page.locator(".entry-item a[data-open]").first.click()
    page.page.wait_for_selector(".pane-entry h1.entry-title")
    assert entry_pane.is_visible() and not list_pane.is_visible()
    width = page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways ({width}px)"
    page.shot("09-narrow-entry")
    page.page.click(".pane-entry [data-action=back]")
    assert list_pane.is_visible() and not entry_pane.is_visible()
    page.page.click("[data-action=show-sidebar]")
    assert sidebar.is_visible()
    page.shot("10-narrow-sidebar")


def test_the_dark_theme_preference_darkens_the_page(open_page, library):
    page = open_page()
    page.login("alice")
    page.go("/settings/")
    page.page.check("input[name=theme][value=dark]")
    page.page.click("main form button[type=submit]")
    page.go("/reader/")
    assert page.page.locator("html").get_attribute("data-theme") == "dark"
    background = page.page.evaluate("getComputedStyle(document.body).backgroundColor")
    red = int(background.split("(")[1].split(",")[0])
    assert red < 60, background
    page.page.locator(".entry-item a[data-open]").first.click()
    page.page.wait_for_selector(".pane-entry h1.entry-title")
    page.shot("11-dark-theme")


def test_reading_works_with_javascript_off(open_page, library):
    page = open_page(javascript=False)
    page.login("alice")
    assert _count(page, "unread") == 8
    page.page.locator(".entry-item a[data-open]").first.click()
    page.page.wait_for_selector(".pane-entry h1.entry-title")
    assert _count(page, "unread") == 7  # opened with a full page load: marked read
    page.page.click(".pane-entry form[data-js=toggle-read] button")
    page.page.wait_for_selector(".pane-entry h1.entry-title")
    assert _count(page, "unread") == 8
    page.page.click(".pane-entry form[data-js=toggle-star] button")
    assert _count(page, "starred") == 1
    page.page.click(".list-head form[data-js=mark-all-read] button")
    assert _count(page, "unread") == 0
    page.shot("12-no-javascript")
