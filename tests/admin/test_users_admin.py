"""Users in the admin: subscription counts, last activity, deactivation (on accounts' admin)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages

from tests.admin.conftest import make_entries, make_feed, subscribe
from tests.factories import EntryStateFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def test_the_user_list_shows_subscriptions_and_last_activity(admin_client, alice, bob, now):
    feeds = [make_feed(f"http://u.example.org/{i}") for i in range(3)]
    for feed in feeds[:2]:
        subscribe(alice, feed)
    (entry,) = make_entries(feeds[0], [now])
    type(alice).objects.filter(pk=alice.pk).update(last_login=now - timedelta(days=3))
    type(bob).objects.filter(pk=bob.pk).update(last_login=now - timedelta(days=1))
    EntryStateFactory(user=alice, entry=entry, read=True)  # alice read today

    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    users = {u.username: u for u in response.context["cl"].result_list}
    assert users["alice"].subscription_count == 2
    assert users["bob"].subscription_count == 0
    assert users["alice"].last_activity >= now
    assert users["bob"].last_activity == now - timedelta(days=1)
    html = response.content.decode().lower()
    assert "subscriptions" in html
    assert "last activity" in html


def test_deactivate_blocks_sign_in_and_spares_the_acting_admin(admin_client, admin_user, bob):
    data = {"action": "deactivate_users", "_selected_action": [bob.pk, admin_user.pk]}
    response = admin_client.post(CHANGELIST, data, follow=True)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["1 users deactivated.", "You cannot deactivate yourself."]
    bob.refresh_from_db()
    admin_user.refresh_from_db()
    assert bob.is_active is False
    assert admin_user.is_active is True

    data = {"action": "activate_users", "_selected_action": [bob.pk]}
    admin_client.post(CHANGELIST, data)
    bob.refresh_from_db()
    assert bob.is_active is True
