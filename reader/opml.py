"""OPML 2.0 import (as a background job) and export of a user's subscriptions.

Import policy (cases P23, P35 and ../shared/cases/README.md):

- a feed is an ``outline`` with an ``xmlUrl``; any other outline with children
  is a folder. A feed goes to its nearest enclosing folder, named by its full
  path joined with " / " (``Tech / News``), so equal names at different depths
  stay apart. A top-level feed may name its folder with the ``category``
  attribute (first category, slashes turned into " / ").
- duplicates in the file and feeds the user already follows are skipped and
  counted; subscriptions are created even when the feed cannot be fetched now
  (its error then shows on the feed); bad URLs are listed with the reason.
- the parser is lxml in recover mode without entity resolution, DTD loading,
  network access or huge trees: XML entity tricks (XXE, billion laughs) never
  expand. A malformed file is recovered as far as possible and the job's
  ``warning`` names the line where it broke; when nothing is recoverable,
  ``OpmlInvalid`` carries that line. Files over 5 MiB are refused before parsing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from reader.errors import OpmlInvalid, OpmlTooLarge, ReaderError, SubscriptionExists
from reader.models import Category, ImportJob, Subscription
from reader.user_language import user_language_override

logger = logging.getLogger(__name__)

#: Largest OPML file accepted, in bytes (checked before parsing).
MAX_BYTES = 5 * 1024 * 1024
#: Most feed outlines one import may hold.
MAX_FEEDS = 10_000
#: Progress is saved every this many feeds.
PROGRESS_EVERY = 20

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A DOCTYPE with its internal subset. libxml2 expands internal entities in
# attribute values even with resolve_entities=False, so declarations are removed
# before parsing: every entity reference is then undefined and dropped.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class OpmlFeed:
    """A feed outline: ``url`` (xmlUrl), ``title``, ``category`` (folder path), ``html_url``."""

    url: str
    title: str = ""
    category: str = ""
    html_url: str = ""


@dataclass
class ParsedOpml:
    """Feeds of an OPML file in document order, and ``warning`` when it had to be recovered."""

    feeds: list[OpmlFeed] = field(default_factory=list)
    warning: str = ""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _text(value: str | None, limit: int = 512) -> str:
    return " ".join(_CONTROL.sub("", value or "").split())[:limit]


def _attr(element: etree._Element, name: str) -> str:
    """Attribute ``name`` compared without case (xmlUrl, xmlurl, XMLURL all seen in the wild)."""
    value = element.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in element.attrib.items() if k.lower() == lowered), None)
    return _text(value, 2048)


def _category_attribute(value: str) -> str:
    first = (value or "").split(",")[0]
    return " / ".join(part.strip() for part in first.split("/") if part.strip())


def parse_opml(data: bytes) -> ParsedOpml:
    """The feed outlines of OPML ``data`` (bytes, any declared encoding).

    Raises ``OpmlTooLarge`` over ``MAX_BYTES``; ``OpmlInvalid`` (with ``line``)
    when no OPML can be recovered at all.
    """
    if len(data) > MAX_BYTES:
        message = _("The file is larger than %(size)s MiB.")
        raise OpmlTooLarge(message % {"size": MAX_BYTES // (1024 * 1024)})
    parser = _parser()
    data = _DOCTYPE.sub(lambda m: b"\n" * m.group(0).count(b"\n"), data, count=1)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        message = _("The file is not readable OPML (line %(line)s).") % {"line": exc.lineno}
        raise OpmlInvalid(message, line=exc.lineno) from None
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    first = errors[0] if errors else None
    if root is None or not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
        line = first.line if first else 1
        message = _("The file is not readable OPML (line %(line)s).") % {"line": line}
        raise OpmlInvalid(message, line=line)
    parsed = ParsedOpml()
    if first is not None:
        parsed.warning = _(
            "The file is not well-formed XML (line %(line)s: %(reason)s); "
            "what could be read was imported."
        ) % {"line": first.line, "reason": _text(first.message, 200)}
    body = next((c for c in root if isinstance(c.tag, str) and c.tag == "body"), root)
    _walk(body, [], parsed.feeds)
    return parsed


def _walk(element: etree._Element, path: list[str], out: list[OpmlFeed]) -> None:
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).localname != "outline":
            continue
        title = _attr(child, "title") or _attr(child, "text")
        url = _attr(child, "xmlUrl")
        if url:
            category = " / ".join(path) if path else _category_attribute(_attr(child, "category"))
            out.append(OpmlFeed(url, title, category, _attr(child, "htmlUrl")))
            _walk(child, path, out)
        else:
            _walk(child, [*path, title] if title else path, out)


# --- Import ------------------------------------------------------------------------


def opml_import_start(
    *, user: Any, data: bytes, filename: str = "", enqueue: bool = True
) -> ImportJob:
    """Check and queue an OPML import for ``user``; returns the ImportJob (status pending).

    The file is parsed now so that a refused file is an immediate error; the
    subscriptions are created by the Celery task ``reader.tasks.import_opml``,
    enqueued on commit (``enqueue=False``: the caller runs ``opml_import_run``).
    Raises ``OpmlTooLarge`` (over 5 MiB or 10,000 feeds: API 413) or
    ``OpmlInvalid`` (nothing recoverable, ``line`` set: API 400).
    """
    parsed = parse_opml(bytes(data))
    if len(parsed.feeds) > MAX_FEEDS:
        raise OpmlTooLarge(
            _("The file lists more than %(count)s feeds.") % {"count": f"{MAX_FEEDS:,}"}
        )
    job = ImportJob.objects.create(
        user=user,
        data=bytes(data),
        filename=_text(filename, 255),
        total=len(parsed.feeds),
        warning=parsed.warning or ("" if parsed.feeds else _("This file lists no feeds.")),
    )
    if enqueue:
        transaction.on_commit(lambda: _send_import(job))
    return job


QUEUE_DOWN = gettext_lazy(
    "The import could not be queued (the task queue is down). Upload the file again."
)


def _send_import(job: ImportJob) -> None:
    """Enqueue ``import_opml``; with the broker down, end the job failed with a reason."""
    from kombu.exceptions import OperationalError

    from reader.tasks import import_opml

    try:
        import_opml.delay(job.pk)
    except OperationalError as exc:  # a pending job nobody will run is worse than a clear failure
        logger.warning("broker unavailable, OPML import %s not queued: %s", job.pk, exc)
        job.status, job.finished_at = ImportJob.Status.FAILED, timezone.now()
        job.error = str(QUEUE_DOWN)
        job.save(update_fields=["status", "error", "finished_at"])


def opml_import_run(*, job_id: int) -> ImportJob:
    """Run (or finish) import job ``job_id``: subscribe its user to every feed of the file.

    Idempotent: a finished job is returned as is; a re-run skips what is already
    subscribed. Progress (``processed`` of ``total``) is saved as it goes;
    ``failures`` lists ``{"url", "reason"}``, reasons in the user's language (the
    job runs in the worker, where no request chose one). A crash marks the job failed.
    """
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    with user_language_override(job.user):
        return _run(job)


def _run(job: ImportJob) -> ImportJob:

    job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
    job.processed = job.created_count = job.skipped_count = 0
    job.failures, job.categories = [], []
    job.save()
    try:
        _import(job, parse_opml(bytes(job.data)).feeds)
        job.status = ImportJob.Status.DONE
    except Exception as exc:  # a crash must end the job, not loop the task
        logger.exception("opml import %s failed", job.pk)
        job.status, job.error = ImportJob.Status.FAILED, _text(str(exc), 500)
    job.finished_at = timezone.now()
    job.save()
    return job


def _import(job: ImportJob, feeds: list[OpmlFeed]) -> None:
    from reader.services import category_get_or_create, subscription_create

    user = job.user
    followed = set(Subscription.objects.filter(user=user).values_list("feed__url", flat=True))
    categories: dict[str, Category] = {}
    seen: set[str] = set()
    for number, item in enumerate(feeds, start=1):
        key = item.url.strip()
        if key in seen or key in followed:
            job.skipped_count += 1
        else:
            seen.add(key)
            category = None
            if item.category:
                if item.category not in categories:
                    categories[item.category] = category_get_or_create(
                        user=user, title=item.category
                    )[0]
                category = categories[item.category]
            try:
                subscription_create(
                    user=user,
                    url=item.url,
                    category=category,
                    title=item.title,
                    discover=False,
                    interactive=False,  # bulk: queue feeds, not ahead of people waiting
                )
                job.created_count += 1
            except SubscriptionExists:
                job.skipped_count += 1
            except ReaderError as exc:
                job.failures.append({"url": item.url, "reason": exc.message})
        job.processed = number
        if number % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(
                processed=job.processed,
                created_count=job.created_count,
                skipped_count=job.skipped_count,
            )
    job.categories = sorted({c.title for c in categories.values()})


# --- Export ------------------------------------------------------------------------


def opml_export(*, user: Any) -> str:
    """The user's subscriptions as an OPML 2.0 document (str, UTF-8 XML declaration).

    Folders are the user's categories (one level, in their order; empty ones
    included), feeds carry the user's title (else the feed's) as ``text`` and
    ``title``, ``xmlUrl`` and ``htmlUrl``. Importing it into an empty account
    gives the same subscriptions, folders and titles.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"Tidings subscriptions of {_text(user.get_username())}"
    etree.SubElement(head, "dateCreated").text = http_date(timezone.now().timestamp())
    body = etree.SubElement(root, "body")
    subs = Subscription.objects.filter(user=user).select_related("feed").order_by("position", "id")
    by_category: dict[int | None, list[Subscription]] = {}
    for sub in subs:
        by_category.setdefault(sub.category_id, []).append(sub)
    for sub in by_category.get(None, []):
        _feed_outline(body, sub)
    for category in Category.objects.filter(user=user).order_by("position", "title"):
        folder = etree.SubElement(
            body, "outline", text=_text(category.title), title=_text(category.title)
        )
        for sub in by_category.get(category.pk, []):
            _feed_outline(folder, sub)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


def _feed_outline(parent: etree._Element, sub: Subscription) -> None:
    title = _text(sub.title or sub.feed.title or sub.feed.url)
    attrs = {"type": "rss", "text": title, "title": title, "xmlUrl": _text(sub.feed.url, 2048)}
    if sub.feed.site_url:
        attrs["htmlUrl"] = _text(sub.feed.site_url, 2048)
    etree.SubElement(parent, "outline", attrs)
