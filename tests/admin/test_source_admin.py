"""The directory's admin pages, driven as a staff user: validate, (de)activate, reorder, OPML."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from feeds.directory import OPML_NS
from feeds.models import FetchLog, Source, SourceCategory
from tests.admin.conftest import RSS_TWO_ITEMS

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/feeds/source/"


@pytest.fixture
def directory():
    """The bundled directory, loaded."""
    call_command("load_directory", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Source.objects.all()


@pytest.fixture
def pipeline():
    """Skips while the pipeline modules of H1-H3 are still landing (not a permanent skip)."""
    pytest.importorskip("feeds.services", reason="the refresh pipeline has not fully landed")
    pytest.importorskip("feeds.pipeline.store", reason="the store stage has not landed")


def action(client, name: str, sources, **extra):
    """POST an admin action on ``sources`` and follow the redirect."""
    data = {"action": name, "_selected_action": [s.pk for s in sources], **extra}
    return client.post(CHANGELIST, data, follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_directory_list_needs_a_staff_user(client, alice):
    assert client.get(CHANGELIST).status_code == 302
    client.force_login(alice)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_list_shows_every_source_with_its_category(admin_client, directory):
    response = admin_client.get(CHANGELIST, {"all": ""})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 49
    assert "Schneier on Security" in response.content.decode()
    assert "Import OPML" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_validate_now_fetches_through_the_pipeline_and_shows_the_entry_count(
    admin_client, feed_server, pipeline
):
    feed_server.add_route(
        "/news.xml", body=RSS_TWO_ITEMS, headers={"Content-Type": "application/rss+xml"}
    )
    source = Source.objects.create(title="Loopback", feed_url=feed_server.url("/news.xml"))
    response = action(admin_client, "validate_now", [source])
    assert response.status_code == 200
    assert texts(response) == ["Loopback: OK, 2 entries"]
    source.refresh_from_db()
    assert source.feed is not None
    assert source.feed.entries.count() == 2
    assert source.feed.last_status == 200
    assert feed_server.hits("/news.xml") >= 1
    # feed_refresh recorded the fetch for the summary page and /metrics.
    log = FetchLog.objects.get(feed_id=source.feed_id)
    assert (log.outcome, log.status, log.new) == ("ok", 200, 2)


@pytest.mark.django_db(transaction=True)
def test_validate_now_shows_the_pipelines_error(admin_client, feed_server, pipeline):
    feed_server.add_route("/missing.xml", status=404, body=b"no")
    source = Source.objects.create(title="Broken", feed_url=feed_server.url("/missing.xml"))
    response = action(admin_client, "validate_now", [source])
    (message,) = texts(response)
    assert message.startswith("Broken: ")
    assert "404" in message
    source.refresh_from_db()
    assert source.feed.error_count == 1
    log = FetchLog.objects.get(feed_id=source.feed_id)
    assert (log.outcome, log.status) == ("http", 404)


def test_validate_now_reports_a_refused_address(admin_client, pipeline):
    source = Source.objects.create(title="Internal", feed_url="http://127.0.0.1:9/feed")
    response = action(admin_client, "validate_now", [source])
    (message,) = texts(response)
    assert message.startswith("Internal: ")
    source.refresh_from_db()
    assert source.feed is None


def test_deactivate_and_activate_are_admin_edits_that_loads_keep(admin_client, directory):
    chosen = list(Source.objects.filter(category__slug="indie"))
    response = action(admin_client, "deactivate", chosen)
    assert texts(response) == [f"{len(chosen)} sources deactivated."]
    assert not Source.objects.filter(category__slug="indie", active=True).exists()
    assert all("active" in s.edited_fields for s in Source.objects.filter(category__slug="indie"))

    call_command("load_directory", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Source.objects.filter(category__slug="indie", active=True).exists()

    response = action(admin_client, "activate", chosen[:1])
    assert texts(response) == ["1 sources activated."]
    assert Source.objects.get(pk=chosen[0].pk).active is True


def test_positions_are_editable_in_the_list(admin_client, directory):
    a, b = Source.objects.filter(category__slug="indie").order_by("position")
    query = "?category__id__exact=" + str(a.category_id)
    page = admin_client.get(CHANGELIST + query)
    forms = page.context["cl"].formset.forms
    assert [f.instance.pk for f in forms] == [a.pk, b.pk]
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": str(a.pk),
        "form-0-position": "2",
        "form-0-active": "on",
        "form-1-id": str(b.pk),
        "form-1-position": "1",
        "form-1-active": "on",
        "_save": "Save",
    }
    response = admin_client.post(CHANGELIST + query, data)
    assert response.status_code == 302, response.context["cl"].formset.errors
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.position, b.position) == (2, 1)
    assert "position" in a.edited_fields
    page = admin_client.get(CHANGELIST + query)
    assert [f.instance.pk for f in page.context["cl"].formset.forms] == [b.pk, a.pk]

    call_command("load_directory", stdout=open("/dev/null", "w"))  # noqa: SIM115
    a.refresh_from_db()
    assert a.position == 2


def test_export_gives_an_opml_document_with_a_folder_per_category(admin_client, directory):
    response = admin_client.get(CHANGELIST + "export-opml/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-opml")
    assert "attachment" in response["Content-Disposition"]
    root = SafeET.fromstring(response.content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    folders = root.find("body").findall("outline")
    assert [f.get("text") for f in folders] == list(
        SourceCategory.objects.values_list("name_en", flat=True)
    )
    security = folders[1]
    assert security.get(f"{{{OPML_NS}}}slug") == "security"
    assert security.get(f"{{{OPML_NS}}}name-zh-hans") == "网络安全"
    feeds = root.findall(".//outline[@xmlUrl]")
    assert len(feeds) == 49
    schneier = next(f for f in feeds if f.get("text") == "Schneier on Security")
    assert schneier.get("xmlUrl") == "https://www.schneier.com/feed/atom/"
    assert schneier.get("htmlUrl") == "https://www.schneier.com"
    assert schneier.get("type") == "rss"
    assert schneier.get("language") == "en"
    assert schneier.get(f"{{{OPML_NS}}}featured") == "yes"


def test_export_of_selected_sources_is_an_action(admin_client, directory):
    chosen = Source.objects.filter(category__slug="ai")
    response = action(admin_client, "export_opml", chosen)
    root = SafeET.fromstring(response.content)
    assert len(root.findall(".//outline[@xmlUrl]")) == chosen.count()


def test_an_exported_directory_imports_back_into_an_empty_one(admin_client, directory):
    exported = admin_client.get(CHANGELIST + "export-opml/").content
    Source.objects.all().delete()
    SourceCategory.objects.all().delete()
    upload = SimpleUploadedFile("directory.opml", exported, content_type="text/x-opml")
    response = admin_client.post(CHANGELIST + "import-opml/", {"file": upload}, follow=True)
    assert texts(response) == [
        "Imported: categories 5 created, 0 updated, 0 unchanged; "
        "sources 49 created, 0 updated, 0 unchanged."
    ]
    assert SourceCategory.objects.get(slug="security").name_zh_hans == "网络安全"
    schneier = Source.objects.get(feed_url="https://www.schneier.com/feed/atom/")
    assert schneier.category.slug == "security"
    assert schneier.featured is True


def test_import_adds_new_sources_and_updates_known_ones_as_admin_edits(admin_client, directory):
    opml = """<?xml version="1.0"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="Podcasts">
    <outline type="rss" text="A podcast" xmlUrl="https://pod.example.org/feed.xml"
             htmlUrl="https://pod.example.org/"/>
  </outline>
  <outline text="Security">
    <outline type="rss" text="Schneier" title="Schneier (renamed)"
             xmlUrl="https://www.schneier.com/feed/atom/"/>
  </outline>
</body></opml>"""
    upload = SimpleUploadedFile("mine.opml", opml.encode(), content_type="text/x-opml")
    response = admin_client.post(CHANGELIST + "import-opml/", {"file": upload}, follow=True)
    assert texts(response) == [
        "Imported: categories 1 created, 0 updated, 1 unchanged; "
        "sources 1 created, 1 updated, 0 unchanged."
    ]
    podcast = Source.objects.get(feed_url="https://pod.example.org/feed.xml")
    assert podcast.category.slug == "podcasts"
    assert podcast.seed_url == ""
    schneier = Source.objects.get(feed_url="https://www.schneier.com/feed/atom/")
    assert schneier.title == "Schneier (renamed)"
    assert "title" in schneier.edited_fields
    call_command("load_directory", stdout=open("/dev/null", "w"))  # noqa: SIM115
    schneier.refresh_from_db()
    assert schneier.title == "Schneier (renamed)"


def test_import_rejects_a_file_that_is_not_opml(admin_client):
    upload = SimpleUploadedFile("x.opml", b"<html><body>hi</body></html>")
    response = admin_client.post(CHANGELIST + "import-opml/", {"file": upload})
    assert response.status_code == 200
    assert "not an OPML document" in response.content.decode()
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>'
    upload = SimpleUploadedFile("bomb.opml", bomb)
    response = admin_client.post(CHANGELIST + "import-opml/", {"file": upload})
    assert "not a readable OPML document" in response.content.decode()


def test_the_source_form_refuses_a_private_address(admin_client):
    response = admin_client.post(
        CHANGELIST + "add/",
        {"title": "x", "feed_url": "http://10.0.0.1/feed", "position": 0, "active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["feed_url"]
    assert not Source.objects.exists()


def test_validate_now_says_why_a_disabled_feed_was_not_fetched(admin_client, feed_server, pipeline):
    from feeds.services import feed_get_or_create

    source = Source.objects.create(title="Gone", feed_url=feed_server.url("/gone.xml"))
    feed, _ = feed_get_or_create(url=source.feed_url)
    feed.disabled = True
    feed.disabled_reason = "The feed is gone (HTTP 410)"
    feed.save()
    response = action(admin_client, "validate_now", [source])
    assert texts(response) == ["Gone: not fetched: The feed is gone (HTTP 410)"]
    source.refresh_from_db()
    assert source.feed == feed
    assert feed_server.hits("/gone.xml") == 0


def test_validate_now_stops_at_the_per_click_limit(admin_client, directory, monkeypatch):
    from feeds.admin import sources

    monkeypatch.setattr(sources, "VALIDATE_MAX", 0)  # a limit, not our code: no fetch at all
    response = action(admin_client, "validate_now", list(directory[:3]))
    assert texts(response) == [
        "3 selected sources were not validated (at most 0 per click, 15 s): select them again."
    ]
