"""docs/apps.md's table of apps is true: every URL it tells users to type signs in on a live server.

For each row, the "first request the app sends" is made the way the app makes
it (Google Reader ``ClientLogin`` with the client password, Fever's ``api_key``,
the Miniflux API with an API token or the client password, a Nextcloud News call
with HTTP Basic, or Tiny Tiny RSS ``login``), with ``https://your.host`` replaced by
the live server; then the API the app goes on to use must answer for that account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.compat.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[2] / "docs" / "apps.md"
HOST = "https://your.host"
HEADER = "| app | version tried | account type | server URL to type | first request the app sends |"
CLIENT_LOGIN = "/accounts/ClientLogin"


@dataclass(frozen=True)
class Row:
    app: str
    version: str
    account_type: str
    typed_url: str
    first_request: str


def _code(cell: str) -> str:
    match = re.fullmatch(r"`([^`]+)`", cell.strip())
    assert match, f"expected one `URL` in {cell!r}"
    return match.group(1)


def app_rows(text: str) -> list[Row]:
    """The rows of the apps table (the one under HEADER), in order."""
    lines = text.splitlines()
    start = lines.index(HEADER) + 2  # skip the |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        app, version, account_type, typed, first = cells
        rows.append(Row(app, version, account_type, _code(typed), _code(first)))
    return rows


ROWS = app_rows(DOC.read_text(encoding="utf-8"))


def test_the_table_lists_the_apps_that_were_tried():
    tried = {(r.app.split(" (")[0], r.version) for r in ROWS}
    assert ("RSS Guard", "4.0.4") in tried
    assert ("newsboat ≥ 2.24", "2.36") in tried
    assert ("newsboat 2.21", "2.21.0") in tried
    assert ("Liferea", "1.14.4") in tried
    assert ("newsboat 2.21", "2.21.0") in tried and any("/v1/" in r.first_request for r in ROWS)
    assert any("ocnews" in r.account_type for r in ROWS)
    assert any(r.first_request.endswith("/tt-rss/api/") for r in ROWS)
    assert any("ttrss" in r.account_type and r.version == "2.21.0" for r in ROWS)
    assert any("fever.php" in r.typed_url for r in ROWS)
    for row in ROWS:
        assert row.typed_url.startswith(HOST) and row.first_request.startswith(row.typed_url), row


def _greader_signs_in(world, row: Row) -> None:
    url = row.first_request.replace(HOST, world.base)
    assert url.endswith(CLIENT_LOGIN), row
    login = requests.post(url, data={"Email": "alice", "Passwd": PASSWORD["alice"]}, timeout=10)
    assert login.status_code == 200, (row, login.status_code, login.text)
    token = dict(line.split("=", 1) for line in login.text.split())["Auth"]
    api = url[: -len(CLIENT_LOGIN)]
    headers = {"Authorization": f"GoogleLogin auth={token}"}
    info = requests.get(f"{api}/reader/api/0/user-info", headers=headers, timeout=10)
    assert info.status_code == 200 and info.json()["userName"] == "alice", row
    if "feedhq" in row.account_type:
        atom = requests.get(
            f"{api}/reader/atom/feed%2F{world.shared_feed.pk}?n=20", headers=headers, timeout=10
        )
        assert atom.status_code == 200 and b"<entry" in atom.content, row


def _fever_signs_in(world, row: Row) -> None:
    url = row.first_request.replace(HOST, world.base)
    answer = requests.post(url, data={"api_key": world.fever_key("alice")}, timeout=10)
    assert answer.status_code == 200, (row, answer.status_code)
    assert answer.json()["auth"] == 1, row
    feeds = requests.post(f"{url}&feeds", data={"api_key": world.fever_key("alice")}, timeout=10)
    assert len(feeds.json()["feeds"]) == 2, row


def _ttrss_signs_in(world, row: Row) -> None:
    url = row.first_request.replace(HOST, world.base)
    login = {"op": "login", "user": "alice", "password": PASSWORD["alice"]}
    answer = requests.post(url, json=login, timeout=10).json()
    assert answer["status"] == 0, (row, answer)
    call = {"op": "getFeeds", "cat_id": -3, "sid": answer["content"]["session_id"]}
    feeds = requests.post(url, json=call, timeout=10).json()
    assert len(feeds["content"]) == 2, (row, feeds)


def _miniflux_signs_in(world, row: Row) -> None:
    """A Miniflux row: the first request answers for an API token (``X-Auth-Token``) or, when
    the row names the client password, for HTTP Basic with it; then ``/v1/feeds`` lists
    Alice's two feeds."""
    from accounts import services as accounts

    url = row.first_request.replace(HOST, world.base)
    if "client password" in row.account_type:
        kwargs = {"auth": ("alice", PASSWORD["alice"])}
    else:
        raw = accounts.token_create(user=world.alice, name=row.app[:40])[1]
        kwargs = {"headers": {"X-Auth-Token": raw}}
    first = requests.get(url, timeout=10, **kwargs)
    assert first.status_code == 200, (row, first.status_code, first.text)
    feeds = requests.get(f"{world.base}/v1/feeds", timeout=10, **kwargs)
    assert feeds.status_code == 200 and len(feeds.json()) == 2, row


def _nextcloud_signs_in(world, row: Row) -> None:
    url = row.first_request.replace(HOST, world.base)
    auth = ("alice", PASSWORD["alice"])
    first = requests.get(url, auth=auth, timeout=10)
    assert first.status_code == 200, (row, first.status_code, first.text)
    api = url[: url.rindex("/")]
    feeds = requests.get(f"{api}/feeds", auth=auth, timeout=10)
    assert len(feeds.json()["feeds"]) == 2, row


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.app} {r.account_type}"[:60] for r in ROWS])
def test_each_documented_url_signs_in_on_a_live_server(world, row):
    if "fever" in row.first_request:
        _fever_signs_in(world, row)
    elif "/v1/" in row.first_request:
        _miniflux_signs_in(world, row)
    elif "/apps/news/api/" in row.first_request:
        _nextcloud_signs_in(world, row)
    elif row.first_request.endswith("/api/"):
        _ttrss_signs_in(world, row)
    else:
        _greader_signs_in(world, row)
