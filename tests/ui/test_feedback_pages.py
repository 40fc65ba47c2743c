"""Server-side checks of the newcomer fixes: the compact header menu, lasting error messages,
the Copy buttons of Settings → API, the styled error pages and the entry toolbar."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants, get_messages
from django.template import loader
from django.test import Client
from django.utils import translation

from tests.ui.conftest import make_reader, seed_subscription

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_header_has_a_menu_without_javascript_with_every_link_the_search_and_sign_out(alice):
    client = _client_for(alice)
    html = client.get("/subscriptions/").content.decode()
    menu = re.search(r'<details class="topmenu">(.*?)</details>', html, re.S)
    assert menu, "no <details> menu in the header"
    body = menu.group(1)
    assert "<summary" in body
    for href in ("/reader/", "/directory/", "/subscriptions/", "/settings/"):
        assert f'href="{href}"' in body
    assert 'action="/search/"' in body and 'name="q"' in body
    assert "Sign out" in body
    assert 'href="/subscriptions/" aria-current="page"' in body


def test_a_visitor_gets_no_menu_but_the_sign_in_links():
    html = Client().get("/directory/").content.decode()
    assert 'class="topmenu"' not in html
    assert "/accounts/login/" in html


def test_flash_errors_are_alerts_and_other_messages_are_status(rf, bob):
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = rf.get("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    request.user = bob
    request._messages.add(constants.ERROR, "It broke")
    request._messages.add(constants.SUCCESS, "It worked")
    html = loader.render_to_string("base.html", {"messages": get_messages(request)}, request)
    assert re.search(r'class="message message-error"\s+role="alert">It broke', html)
    assert re.search(r'class="message message-success"\s+role="status">It worked', html)
    assert re.search(r'class="toast toast-error" role="alert" hidden', html)


def test_a_new_token_and_the_api_urls_have_copy_buttons_hidden_until_javascript_runs(alice):
    client = _client_for(alice)
    response = client.post("/settings/api/tokens/", {"name": "script"})
    html = response.content.decode()
    token = re.search(r'id="new-token"[^>]*value="(tid_[A-Za-z0-9_-]+)"', html).group(1)
    assert token  # still plain, selectable text in a read-only input
    for target in ("#new-token", "#greader-url", "#fever-url"):
        assert re.search(rf'<button type="button" [^>]*data-copy-from="{target}" hidden>', html)
    assert 'id="greader-url"' in html and 'id="fever-url"' in html
    assert "<script>" not in html and "onclick" not in html


def test_the_entry_toolbars_read_original_has_a_label_to_hide_on_narrow_screens(alice):
    sub = seed_subscription(alice, "Paper", entries=1)
    entry = sub.feed.entries.first()
    html = _client_for(alice).get(f"/reader/?show=all&entry={entry.pk}").content.decode()
    toolbar = re.search(
        r'<a class="button button-small toolbar-original"[^>]*>(.*?)</a>', html, re.S
    )
    assert toolbar and '<span class="label">Read original</span>' in toolbar.group(1)
    assert 'aria-label="Read original"' in toolbar.group(0)


def test_a_missing_page_is_a_styled_404_with_a_link_home():
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'href="/"' in html
    assert 'class="topbar' in html and "tidings.css" in html
    assert "style=" not in html


def test_a_missing_page_is_translated_for_a_chinese_reader():
    client = _client_for(make_reader("li", language="zh-hans"))
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_the_500_page_renders_without_a_request_context_as_django_does():
    # django.views.defaults.server_error: template.render() with no context and no request.
    with translation.override("en"):
        html = loader.get_template("500.html").render()
    assert "Something went wrong" in html and 'href="/"' in html
    assert "style=" not in html
    with translation.override("zh-hans"):
        assert "出错了" in loader.get_template("500.html").render()


def test_a_csrf_failure_is_the_styled_403_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form has expired" in html and 'href="/"' in html
    assert "tidings.css" in html and "style=" not in html
