"""load_directory: the bundled directory loads once, idempotently, and never undoes the admin."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from feeds.directory import BUNDLED_DIRECTORY
from feeds.models import DirectoryRemoval, Source, SourceCategory
from tests.conftest import shared_path

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_directory", *args, stdout=out)
    return out.getvalue()


def test_it_loads_the_bundled_directory_and_prints_the_counts():
    output = load()
    assert "categories: 5 created, 0 updated, 0 unchanged" in output
    assert "sources: 49 created, 0 updated, 0 unchanged" in output
    assert list(SourceCategory.objects.values_list("slug", flat=True)) == [
        "ai",
        "security",
        "engineering",
        "tech-news",
        "indie",
    ]
    security = SourceCategory.objects.get(slug="security")
    assert security.name_zh_hans == "网络安全"
    schneier = Source.objects.get(title="Schneier on Security")
    assert schneier.feed_url == "https://www.schneier.com/feed/atom/"
    assert schneier.category == security
    assert schneier.featured is True
    assert schneier.active is True
    assert schneier.language == "en"
    assert schneier.feed is None
    quoted = Source.objects.get(feed_url="https://hnrss.org/newest?q=LLM")
    assert quoted.title == 'Hacker News - Newest: "LLM"'


def test_a_second_load_changes_nothing():
    load()
    before = list(Source.objects.order_by("pk").values())
    output = load()
    assert "categories: 0 created, 0 updated, 5 unchanged" in output
    assert "sources: 0 created, 0 updated, 49 unchanged" in output
    assert list(Source.objects.order_by("pk").values()) == before


def test_the_bundled_copy_matches_the_shared_directory():
    for name in ("categories.tsv", "recommended.tsv"):
        shared = shared_path("directory", name)
        assert (BUNDLED_DIRECTORY / name).read_bytes() == shared.read_bytes(), name


def test_it_loads_a_path_given_as_a_folder_or_as_the_sources_file():
    output = load(str(shared_path("directory")))
    assert "sources: 49 created" in output
    output = load(str(shared_path("directory", "recommended.tsv")))
    assert "sources: 0 created, 0 updated, 49 unchanged" in output


def test_it_keeps_the_admins_edits_and_updates_the_rest(admin_client, tmp_path):
    load()
    source = Source.objects.get(title="Schneier on Security")
    form = {
        "title": "Bruce Schneier",
        "feed_url": source.feed_url,
        "site_url": source.site_url,
        "description": "Security and society",
        "language": source.language,
        "category": source.category_id,
        "position": 99,
        "featured": "on",
        "active": "on",
    }
    response = admin_client.post(f"/admin/feeds/source/{source.pk}/change/", form)
    assert response.status_code == 302, response.content
    source.refresh_from_db()
    assert set(source.edited_fields) == {"title", "description", "position"}

    # The publisher's site moved in a new release of the directory file; the title too.
    folder = tmp_path / "directory"
    shutil.copytree(BUNDLED_DIRECTORY, folder)
    tsv = folder / "recommended.tsv"
    text = tsv.read_text(encoding="utf-8")
    text = text.replace(
        "Schneier on Security\thttps://www.schneier.com/feed/atom/\thttps://www.schneier.com\t",
        "Schneier on Security (new)\thttps://www.schneier.com/feed/atom/\thttps://schneier.example\t",
    )
    tsv.write_text(text, encoding="utf-8")

    output = load(str(folder))
    assert "sources: 0 created, 1 updated, 48 unchanged" in output
    source.refresh_from_db()
    assert source.title == "Bruce Schneier"
    assert source.description == "Security and society"
    assert source.position == 99
    assert source.site_url == "https://schneier.example"

    output = load(str(folder))
    assert "sources: 0 created, 0 updated, 49 unchanged" in output


def test_a_corrected_feed_url_does_not_bring_the_old_one_back(admin_client):
    load()
    source = Source.objects.get(title="Jina AI")
    source.feed_url = "https://jina.ai/news/rss.xml"
    source.edited_fields = ["feed_url"]
    source.save()
    load()
    assert Source.objects.filter(title="Jina AI").count() == 1
    assert Source.objects.get(title="Jina AI").feed_url == "https://jina.ai/news/rss.xml"


def test_it_does_not_restore_a_source_or_category_the_admin_deleted(admin_client):
    load()
    source = Source.objects.get(title="Jina AI")
    response = admin_client.post(f"/admin/feeds/source/{source.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    indie = SourceCategory.objects.get(slug="indie")
    response = admin_client.post(f"/admin/feeds/sourcecategory/{indie.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert DirectoryRemoval.objects.count() == 2

    output = load()
    assert "categories: 0 created, 0 updated, 4 unchanged (1 deleted by the admin" in output
    assert "sources: 0 created, 0 updated, 48 unchanged (1 deleted by the admin" in output
    assert not Source.objects.filter(title="Jina AI").exists()
    assert not SourceCategory.objects.filter(slug="indie").exists()


def test_it_adopts_a_source_the_admin_added_before_the_first_load():
    mine = Source.objects.create(
        title="My Schneier", feed_url="https://www.schneier.com/feed/atom/"
    )
    output = load()
    assert "sources: 48 created, 0 updated, 1 unchanged" in output
    mine.refresh_from_db()
    assert mine.title == "My Schneier"
    assert mine.seed_url == "https://www.schneier.com/feed/atom/"
    assert "sources: 0 created, 0 updated, 49 unchanged" in load()


def test_it_fails_clearly_on_a_missing_path(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        load(str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="no such file"):
        load(str(tmp_path))
