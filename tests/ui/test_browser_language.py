"""The interface in Simplified Chinese: by the user's preference, and by Accept-Language."""

from __future__ import annotations

import pytest

from tests.ui.conftest import make_reader, seed_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_chinese_translates_the_interface_and_relative_times(open_page):
    user = make_reader("dora")
    seed_subscription(user, "Morning Paper", entries=3)
    page = open_page()
    page.login("dora")
    assert page.page.locator(".topnav").inner_text().split() == [
        "Reader", "Directory", "Subscriptions", "Settings",
    ]  # fmt: skip
    page.go("/settings/")
    page.page.select_option("select[name=language]", "zh-hans")
    page.page.click("main form button[type=submit]")
    page.go("/reader/")
    assert page.page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.page.locator(".topnav").inner_text().split() == ["阅读", "发现", "订阅", "设置"]
    assert page.page.locator("[data-nav=unread] .label").inner_text() == "未读"
    assert "小时" in page.page.locator(".entry-item time").first.inner_text()
    page.page.locator(".entry-item a[data-open]").first.click()
    page.page.wait_for_selector(".pane-entry h1.entry-title")
    assert page.page.locator(".pane-entry a[data-original]").inner_text().strip() == "阅读原文"
    page.shot("17-chinese-reader")
    page.go("/subscriptions/")
    assert page.page.locator("h1").first.inner_text() == "订阅"


def test_a_visitor_whose_browser_prefers_chinese_gets_the_landing_page_in_chinese(open_page):
    page = open_page(locale="zh-CN")
    page.go("/")
    assert page.page.locator("h1").first.inner_text() == "你关注的每个网站，都在一个安静的地方。"
    page.shot("18-chinese-landing")
