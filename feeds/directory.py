"""The directory of recommended sources: loading the bundled files, OPML in and out, validation.

The directory files are tab-separated with a header row (see
``feeds/data/directory/README.md``):

- ``categories.tsv``: ``slug, name_en, name_zh_hans, position``;
- ``recommended.tsv``: ``title, feed_url, site_url, category, language, featured``
  (``featured`` is ``yes``/``no``; an optional ``description`` column is read too).

Loading is idempotent and never overwrites what the admin edited: each row
remembers the fields changed in the admin (``edited_fields``), and bundled rows
the admin deleted are remembered in ``DirectoryRemoval``. Sources are matched by
``seed_url`` (the URL in the file), categories by ``slug``.

OPML export and import follow OPML 2.0 (http://opml.org/spec2.opml): one folder
outline per category holding ``type="rss"`` outlines with ``text``, ``title``,
``xmlUrl``, ``htmlUrl``, ``description`` and ``language``; the category slug,
Chinese name, featured and active flags travel as attributes in the
``urn:tidings:directory`` namespace so another Tidings instance can round-trip them.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from django.db import transaction
from django.utils import timezone
from django.utils.http import http_date
from django.utils.text import slugify

from feeds.models import DirectoryRemoval, Feed, Source, SourceCategory
from feeds.pipeline.icons import icon_refresh
from feeds.services import feed_get_or_create, feed_refresh

logger = logging.getLogger("tidings.directory")

#: The directory shipped with Tidings (a copy of ../shared/directory).
BUNDLED_DIRECTORY = Path(__file__).resolve().parent / "data" / "directory"
CATEGORIES_FILE = "categories.tsv"
SOURCES_FILE = "recommended.tsv"
OPML_NS = "urn:tidings:directory"

#: Fields a load may set, per model; an admin edit of one of them sticks.
CATEGORY_FIELDS = ("name_en", "name_zh_hans", "position")
SOURCE_FIELDS = (
    "title",
    "feed_url",
    "site_url",
    "description",
    "language",
    "category",
    "position",
    "featured",
)
#: Fields tracked as admin edits (what loads and imports set, plus the admin's own flags).
TRACKED_SOURCE_FIELDS = (*SOURCE_FIELDS, "active")


class DirectoryFormatError(ValueError):
    """A directory file or OPML document is unreadable; the message names the file and line."""


@dataclass
class Counts:
    """How many rows a load created, updated and left alone (``removed``: deleted by the admin)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (
            f" ({self.removed} deleted by the admin, kept deleted)" if self.removed else ""
        )


@dataclass
class LoadResult:
    """Counts for categories and sources of one ``directory_load`` or ``directory_import_opml``."""

    categories: Counts = field(default_factory=Counts)
    sources: Counts = field(default_factory=Counts)


@dataclass
class Validation:
    """Outcome of ``source_validate``: ``ok``, entries stored for the feed, and a readable error."""

    ok: bool
    entry_count: int = 0
    error: str = ""


# --- Reading the files ------------------------------------------------------


def _read_tsv(path: Path, required: Iterable[str]) -> list[dict[str, str]]:
    """Rows of a TSV file with a header, as dicts of stripped strings.

    Raises DirectoryFormatError if the file is missing or a required column is absent.
    """
    if not path.is_file():
        raise DirectoryFormatError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = set(required) - set(reader.fieldnames or [])
        if missing:
            raise DirectoryFormatError(f"{path}: missing columns {', '.join(sorted(missing))}")
        rows = []
        for row in reader:
            clean = {k: (v or "").strip() for k, v in row.items() if k}
            if any(clean.values()):
                rows.append(clean)
        return rows


def directory_files(path: Path | str | None) -> tuple[Path, Path]:
    """``(categories.tsv, recommended.tsv)`` for ``path``: a folder, or the sources file itself.

    ``None`` means the bundled copy. The categories file sits next to the sources file.
    Raises DirectoryFormatError when ``path`` does not exist.
    """
    base = Path(path) if path else BUNDLED_DIRECTORY
    if not base.exists():
        raise DirectoryFormatError(f"{base}: no such file or folder")
    if base.is_dir():
        return base / CATEGORIES_FILE, base / SOURCES_FILE
    return base.parent / CATEGORIES_FILE, base


def _yes(value: str) -> bool:
    return value.strip().lower() in {"yes", "y", "true", "1"}


# --- Applying rows without overwriting admin edits ---------------------------


def mark_edited(obj: Source | SourceCategory, fields: Iterable[str]) -> None:
    """Add ``fields`` to ``obj.edited_fields`` (in memory; the caller saves).

    Only fields a load could set (plus ``active`` for sources) are tracked.
    """
    tracked = TRACKED_SOURCE_FIELDS if isinstance(obj, Source) else CATEGORY_FIELDS
    names = {name.removesuffix("_id") for name in fields} & set(tracked)
    obj.edited_fields = sorted(set(obj.edited_fields or []) | names)


def _apply(obj, values: dict, *, respect_edits: bool = True) -> list[str]:
    """Set each value that differs and is not admin-edited; returns the changed field names."""
    changed = []
    edited = set(obj.edited_fields or []) if respect_edits else set()
    for name, value in values.items():
        if name in edited:
            continue
        current = getattr(obj, name)
        if current != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _load_categories(rows: list[dict[str, str]], counts: Counts) -> dict[str, SourceCategory]:
    removed = set(DirectoryRemoval.objects.filter(kind="category").values_list("key", flat=True))
    existing = {c.slug: c for c in SourceCategory.objects.all()}
    for index, row in enumerate(rows, start=1):
        slug = row.get("slug", "")
        if not slug:
            continue
        if slug in removed:
            counts.removed += 1
            continue
        values = {
            "name_en": row.get("name_en") or slug,
            "name_zh_hans": row.get("name_zh_hans", ""),
            "position": int(row.get("position") or index),
        }
        category = existing.get(slug)
        if category is None:
            existing[slug] = SourceCategory.objects.create(slug=slug, **values)
            counts.created += 1
        elif changed := _apply(category, values):
            category.save(update_fields=[*changed, "updated_at"])
            counts.updated += 1
        else:
            counts.unchanged += 1
    return existing


def _source_values(row: dict[str, str], position: int, categories: dict) -> dict:
    return {
        "title": row["title"] or row["feed_url"],
        "feed_url": row["feed_url"],
        "site_url": row.get("site_url", ""),
        "description": row.get("description", ""),
        "language": row.get("language", ""),
        "category": categories.get(row.get("category", "")),
        "position": position,
        "featured": _yes(row.get("featured", "")),
    }


def _load_sources(rows: list[dict[str, str]], categories: dict, counts: Counts) -> None:
    seeds = [row["feed_url"] for row in rows if row.get("feed_url")]
    removed = set(
        DirectoryRemoval.objects.filter(kind="source", key__in=seeds).values_list("key", flat=True)
    )
    by_seed = {s.seed_url: s for s in Source.objects.filter(seed_url__in=seeds)}
    by_url = {s.feed_url: s for s in Source.objects.filter(feed_url__in=seeds, seed_url="")}
    positions: dict[str, int] = {}
    for row in rows:
        seed = row.get("feed_url", "")
        if not seed:
            continue
        slug = row.get("category", "")
        positions[slug] = positions.get(slug, 0) + 1
        if seed in removed:
            counts.removed += 1
            continue
        values = _source_values(row, positions[slug], categories)
        source = by_seed.get(seed)
        if source is None and seed in by_url:
            # The admin added this feed by hand before the directory was loaded: adopt it
            # as the bundled row, keeping everything the admin set.
            source = by_url.pop(seed)
            source.seed_url = seed
            mark_edited(source, SOURCE_FIELDS)
            source.save(update_fields=["seed_url", "edited_fields", "updated_at"])
            counts.unchanged += 1
        elif source is None:
            by_seed[seed] = Source.objects.create(seed_url=seed, **values)
            counts.created += 1
        elif changed := _apply(source, values):
            source.save(update_fields=[*changed, "updated_at"])
            counts.updated += 1
        else:
            counts.unchanged += 1


def directory_load(*, path: Path | str | None = None) -> LoadResult:
    """Load the directory files at ``path`` (default: the bundled copy) into the database.

    Idempotent: a second load of the same files creates and updates nothing. A field
    the admin edited is never overwritten, and a bundled row the admin deleted is
    not recreated. Runs in one transaction.

    Raises DirectoryFormatError when a file is missing or lacks a required column.
    """
    categories_file, sources_file = directory_files(path)
    category_rows = _read_tsv(categories_file, ("slug", "name_en"))
    source_rows = _read_tsv(sources_file, ("title", "feed_url", "category"))
    result = LoadResult()
    with transaction.atomic():
        categories = _load_categories(category_rows, result.categories)
        _load_sources(source_rows, categories, result.sources)
    logger.debug(
        "directory loaded from %s: categories %s; sources %s",
        sources_file.parent,
        result.categories,
        result.sources,
    )
    return result


def directory_remember_removal(*, objs: Iterable[Source | SourceCategory]) -> None:
    """Record that the admin deleted these bundled rows, so later loads skip them.

    Call before deleting; rows the admin created themselves (no seed) need nothing.
    """
    removals = []
    for obj in objs:
        if isinstance(obj, Source) and obj.seed_url:
            removals.append(DirectoryRemoval(kind="source", key=obj.seed_url))
        elif isinstance(obj, SourceCategory):
            removals.append(DirectoryRemoval(kind="category", key=obj.slug))
    DirectoryRemoval.objects.bulk_create(removals, ignore_conflicts=True)


# --- OPML ---------------------------------------------------------------------


def directory_export_opml(*, sources: Iterable[Source] | None = None) -> str:
    """The directory (or the given sources) as an OPML 2.0 document, one folder per category.

    Returns the XML text (UTF-8 declaration included). Uncategorized sources come last,
    at the top level.
    """
    if sources is None:
        sources = Source.objects.select_related("category").order_by(
            "category__position", "category__slug", "position", "title"
        )
    ET.register_namespace("tidings", OPML_NS)
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "Tidings directory of recommended sources"
    ET.SubElement(head, "dateCreated").text = http_date(timezone.now().timestamp())
    body = ET.SubElement(root, "body")
    folders: dict[int, ET.Element] = {}
    loose: list[Source] = []
    for source in sources:
        if source.category is None:
            loose.append(source)
            continue
        folder = folders.get(source.category_id)
        if folder is None:
            folder = folders[source.category_id] = _category_outline(body, source.category)
        _source_outline(folder, source)
    for source in loose:
        _source_outline(body, source)
    ET.indent(root)
    xml = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}\n'


def _category_outline(parent: ET.Element, category: SourceCategory) -> ET.Element:
    attrs = {
        "text": category.name_en,
        "title": category.name_en,
        f"{{{OPML_NS}}}slug": category.slug,
    }
    if category.name_zh_hans:
        attrs[f"{{{OPML_NS}}}name-zh-hans"] = category.name_zh_hans
    return ET.SubElement(parent, "outline", attrs)


def _source_outline(parent: ET.Element, source: Source) -> None:
    attrs = {"type": "rss", "text": source.title, "title": source.title, "xmlUrl": source.feed_url}
    for name, value in (
        ("htmlUrl", source.site_url),
        ("description", source.description),
        ("language", source.language),
    ):
        if value:
            attrs[name] = value
    attrs[f"{{{OPML_NS}}}featured"] = "yes" if source.featured else "no"
    attrs[f"{{{OPML_NS}}}active"] = "yes" if source.active else "no"
    ET.SubElement(parent, "outline", attrs)


def _parse_opml(data: bytes | str) -> ET.Element:
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, ValueError) as exc:  # defusedxml raises ValueError subclasses
        raise DirectoryFormatError(f"not a readable OPML document: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise DirectoryFormatError("not an OPML document (no <opml><body>)")
    return body


def _opml_category(outline: ET.Element, categories: dict, counts: Counts) -> SourceCategory:
    text = outline.get("text") or outline.get("title") or "Imported"
    slug = outline.get(f"{{{OPML_NS}}}slug") or slugify(text, allow_unicode=True) or "imported"
    category = categories.get(slug)
    if category is None:
        position = max((c.position for c in categories.values()), default=0) + 1
        category = SourceCategory.objects.create(
            slug=slug[:64],
            name_en=text[:128],
            name_zh_hans=(outline.get(f"{{{OPML_NS}}}name-zh-hans") or "")[:128],
            position=position,
        )
        categories[slug] = category
        counts.created += 1
    else:
        counts.unchanged += 1
    return category


def _opml_source(outline: ET.Element, category, position: int, counts: Counts) -> None:
    url = outline.get("xmlUrl", "").strip()
    values = {"title": (outline.get("title") or outline.get("text") or url)[:512]}
    for attr, name in (("htmlUrl", "site_url"), ("description", "description")):
        if outline.get(attr):
            values[name] = outline.get(attr)
    if outline.get("language"):
        values["language"] = outline.get("language")[:35]
    if category is not None:
        values["category"] = category
    if outline.get(f"{{{OPML_NS}}}featured"):
        values["featured"] = _yes(outline.get(f"{{{OPML_NS}}}featured"))
    if outline.get(f"{{{OPML_NS}}}active"):
        values["active"] = _yes(outline.get(f"{{{OPML_NS}}}active"))
    source = Source.objects.filter(feed_url=url).first()
    if source is None:
        Source.objects.create(feed_url=url, position=position, **values)
        counts.created += 1
    elif changed := _apply(source, values, respect_edits=False):
        # An import is the admin's own act: what it changes counts as an admin edit.
        mark_edited(source, changed)
        source.save(update_fields=[*changed, "edited_fields", "updated_at"])
        counts.updated += 1
    else:
        counts.unchanged += 1


def directory_import_opml(*, data: bytes | str) -> LoadResult:
    """Add or update directory sources from an OPML document (the admin's import).

    Folder outlines become categories (matched by the ``tidings:slug`` attribute,
    else by the slug of their text); feed outlines (with ``xmlUrl``) become sources
    matched by feed URL. Values an import changes count as admin edits, so a later
    ``load_directory`` keeps them. One transaction.

    Raises DirectoryFormatError for a document that is not OPML.
    """
    body = _parse_opml(data)
    result = LoadResult()
    categories = {c.slug: c for c in SourceCategory.objects.all()}
    with transaction.atomic():
        _import_outlines(body, None, categories, result)
    return result


def _import_outlines(parent: ET.Element, category, categories: dict, result: LoadResult) -> None:
    position = 0
    for outline in parent.findall("outline"):
        if outline.get("xmlUrl"):
            position += 1
            if category is None and outline.get("category"):
                slug = outline.get("category").split(",")[0].strip("/ ")
                category_for_row = categories.get(slug)
            else:
                category_for_row = category
            _opml_source(outline, category_for_row, position, result.sources)
        elif len(outline):
            folder = category or _opml_category(outline, categories, result.categories)
            _import_outlines(outline, folder, categories, result)


# --- Validation through the pipeline -------------------------------------------


def source_validate(*, source: Source) -> Validation:
    """Fetch ``source`` now through the pipeline and link it to its shared ``Feed``.

    Calls ``feeds.services.feed_get_or_create`` and ``feed_refresh(force=True)``
    synchronously (the same service the worker runs), then the icon refresh.
    Returns the number of entries stored for the feed, or the readable error the
    pipeline recorded (also when the feed was not fetched: disabled, or a refresh
    already in flight). Never raises for a feed failure.
    """
    try:
        feed, _created = feed_get_or_create(url=source.feed_url)
        result = feed_refresh(feed_id=feed.pk, force=True)
    except Exception as exc:  # an invalid or blocked URL, or a crash: show it, never a 500
        logger.warning("validation of source %s failed", source.pk, exc_info=True)
        return Validation(ok=False, error=readable_error(exc))
    # After a permanent redirect onto a known feed, the result names the surviving feed.
    feed = Feed.objects.filter(pk=result.feed_id).first() or feed
    if source.feed_id != feed.pk:
        source.feed = feed
        source.save(update_fields=["feed", "updated_at"])
    entry_count = feed.entries.count()
    if result.outcome == "skipped":
        reason = feed.disabled_reason if feed.disabled else "a refresh is already running"
        return Validation(ok=False, entry_count=entry_count, error=f"not fetched: {reason}")
    if not result.ok:
        return Validation(ok=False, entry_count=entry_count, error=result.error or result.outcome)
    _refresh_icon(feed)
    return Validation(ok=True, entry_count=entry_count)


def _refresh_icon(feed) -> None:
    try:
        icon_refresh(feed=feed)
    except Exception:  # an icon is decoration: never fail the validation for it
        logger.warning("icon refresh failed for feed %s", feed.pk, exc_info=True)


def readable_error(exc: Exception) -> str:
    """The message of ``exc`` to show an administrator (its ``message``, else its text or type)."""
    message = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    return str(message)
