"""The header links staff users to the Django admin (/admin/); nobody else sees the link."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ADMIN_LINK = re.compile(r'<a href="/admin/">([^<]+)</a>')


@pytest.mark.parametrize("language,label", [("en", "Admin"), ("zh-Hans", "管理")])
def test_a_staff_user_sees_an_admin_link_in_the_header_and_its_menu(alice, language, label):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client = Client(headers={"Accept-Language": language})
    client.force_login(alice)
    html = client.get("/reader/").content.decode()
    assert ADMIN_LINK.findall(html) == [label, label]  # the header, and the narrow-screen menu
    assert client.get("/admin/").status_code == 200


def test_other_users_and_visitors_see_no_admin_link(bob):
    client = Client()
    assert not ADMIN_LINK.search(client.get("/directory/").content.decode())
    client.force_login(bob)
    assert not ADMIN_LINK.search(client.get("/reader/").content.decode())
