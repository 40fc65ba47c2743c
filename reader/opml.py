"""OPML 2.0 import (as a background job) and export of a user's subscriptions.

Import policy (cases P23, P35 and ../shared/cases/README.md):

- a feed is an ``outline`` with an ``xmlUrl``; any other outline with children
  is a folder. A feed goes to its nearest enclosing folder, named by its full
  path joined with " / " (``Tech / News``), so equal names at different depths
  stay apart. A top-level feed may name its folder with the ``category``
  attribute (first category, slashes turned into " / "). ``feed://host/path``
  means ``http://host/path`` and ``feed:https://…`` the address after ``feed:``
  (the feed URI scheme of browsers and podcast apps).
- duplicates in the file and feeds the user already follows are skipped and
  counted; subscriptions are created even when the feed cannot be fetched now
  (its error then shows on the feed); bad URLs are listed with the reason.
- every outline of the file is in the job's ``report``: a feed added, already
  followed, skipped (listed earlier in the file) or failed, each with its reason; a
  folder; an outline without a feed address or a folder without feeds, skipped with
  that reason. ``import_job_summary`` adds how each added feed's first fetch ended.
- the file is read as XML first, by lxml without entity resolution, DTD loading,
  network access or huge trees: XML entity tricks (XXE, billion laughs) never
  expand (a DOCTYPE is removed before parsing and references to the entities it
  declared are dropped). A file that is not well-formed XML (a bare ``&``, a ``<``
  inside an attribute) is read again by ``reader.opml_scanner``, which keeps every
  attribute value as written, and the job's ``warning`` names the line where XML
  parsing broke. When no ``opml`` element can be found, ``OpmlInvalid`` carries that
  line. Files over 5 MiB are refused before parsing.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from lxml import etree

from feeds.models import Feed
from feeds.pipeline.parse.characters import remove_control_characters
from feeds.tasks import refresh_feeds_enqueue
from reader.errors import OpmlInvalid, OpmlTooLarge, ReaderError, SubscriptionExists
from reader.feed_errors import feed_error_text
from reader.models import Category, ImportJob, Subscription
from reader.opml_scanner import scan_tags
from reader.user_language import user_language_override

logger = logging.getLogger(__name__)

#: Largest OPML file accepted, in bytes (checked before parsing).
MAX_BYTES = 5 * 1024 * 1024
#: Most feed outlines one import may hold.
MAX_FEEDS = 10_000
#: Most outlines (feeds, folders and others) one import may hold.
MAX_OUTLINES = 50_000
#: Deepest folder nesting read from a file that is not XML (deeper outlines stay at it;
#: lxml stops well-formed files at 256 levels).
MAX_DEPTH = 100
#: Progress is saved every this many feeds.
PROGRESS_EVERY = 20
#: The first fetches of the feeds added so far are sent (as ``refresh_feeds`` batches) once
#: this many are waiting or this many seconds passed since the last send, and at the end.
FIRST_FETCH_EVERY = 100
FIRST_FETCH_SECONDS = 2.0

# A DOCTYPE with its internal subset. libxml2 expands internal entities in
# attribute values even with resolve_entities=False, so declarations are removed
# before parsing: every entity reference is then undefined and dropped.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+(?:%\s+)?([A-Za-z_:][-A-Za-z0-9_:.]*)")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True)
class OpmlOutline:
    """One ``outline`` of an OPML file, in document order.

    ``kind``: ``feed`` (has an ``xmlUrl``), ``folder`` (holds feeds),
    ``empty_folder`` (has child outlines but no feed among them) or ``other`` (no
    feed address, no children: a note, a link). ``url``: the feed address (a
    ``feed:`` URL turned into http(s)), ``written_url`` the ``xmlUrl`` as the file
    has it (for others their ``url`` or ``htmlUrl``). ``category``: for a feed the
    folder it goes to, for a folder its own path, for others the enclosing path.
    ``line``: 1-based line of the outline in the file (None when unknown). ``cut``: the
    file ends inside this outline's tag (truncated), so its address may be cut short.
    """

    kind: str
    title: str = ""
    url: str = ""
    category: str = ""
    html_url: str = ""
    line: int | None = None
    written_url: str = ""
    cut: bool = False


@dataclass
class ParsedOpml:
    """Every outline of an OPML file in document order, and ``warning`` when it was not XML."""

    outlines: list[OpmlOutline] = field(default_factory=list)
    warning: str = ""

    @property
    def feeds(self) -> list[OpmlOutline]:
        """The feed outlines, in document order."""
        return [o for o in self.outlines if o.kind == "feed"]


@dataclass
class _Node:
    """An outline read from the file: its attributes, line and child outlines."""

    attrs: dict[str, str]
    line: int | None
    children: list[_Node] = field(default_factory=list)
    cut: bool = False


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        recover=False,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _text(value: str | None, limit: int = 512) -> str:
    return " ".join(remove_control_characters(value or "").split())[:limit]


def _attr(node: _Node, name: str) -> str:
    """Attribute ``name`` compared without case (xmlUrl, xmlurl, XMLURL all seen in the wild)."""
    value = node.attrs.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in node.attrs.items() if k.lower() == lowered), None)
    return _text(value, 2048)


def _category_attribute(value: str) -> str:
    first = (value or "").split(",")[0]
    return " / ".join(part.strip() for part in first.split("/") if part.strip())


def feed_scheme_to_web(url: str) -> str:
    """``url`` with the ``feed:`` URI scheme turned into the web address it stands for.

    ``feed://host/path`` -> ``http://host/path``; ``feed:https://host/path`` ->
    ``https://host/path`` (likewise ``feed:http:``); any other URL is returned as is.
    Follows the feed URI scheme draft (draft-obasanjo-feed-URI-scheme-02) as browsers
    and podcast apps read it.
    """
    if url[:5].lower() != "feed:":
        return url
    rest = url[5:]
    if rest.startswith("//"):
        return "http:" + rest
    if rest[:7].lower() == "http://" or rest[:8].lower() == "https://":
        return rest
    return url


def parse_opml(data: bytes) -> ParsedOpml:
    """Every outline of OPML ``data`` (bytes, any declared encoding).

    Well-formed XML is read by lxml; anything else by the tolerant
    ``reader.opml_scanner`` (values kept as written; ``warning`` names the line
    where XML parsing broke). Raises ``OpmlTooLarge`` over ``MAX_BYTES``;
    ``OpmlInvalid`` (with ``line``) when the file holds no ``opml`` element at all.
    """
    if len(data) > MAX_BYTES:
        message = _("The file is larger than %(size)s MiB.")
        raise OpmlTooLarge(message % {"size": MAX_BYTES // (1024 * 1024)})
    declared: set[str] = set()

    def blank_doctype(match: re.Match[bytes]) -> bytes:
        declared.update(n.decode("ascii") for n in _ENTITY_DECLARATION.findall(match.group(0)))
        return b"\n" * match.group(0).count(b"\n")

    data = _DOCTYPE.sub(blank_doctype, data, count=1)
    parsed = ParsedOpml()
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        nodes = _scanned_outlines(_decoded(data), frozenset(declared))
        if nodes is None:
            message = _("The file is not readable OPML (line %(line)s).") % {"line": line}
            raise OpmlInvalid(message, line=line) from None
        message = _text(re.sub(r",? line \d+, column \d+$", "", exc.msg or ""), 200)
        parsed.warning = _(
            "The file is not well-formed XML (line %(line)s: “%(message)s”); "
            "its outlines were read as written."
        ) % {"line": line, "message": message}
    else:
        if root is None or not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
            line = 1 if root is None else root.sourceline or 1
            message = _("The file is not readable OPML (line %(line)s).") % {"line": line}
            raise OpmlInvalid(message, line=line)
        body = next((c for c in root if isinstance(c.tag, str) and c.tag == "body"), root)
        nodes = _element_outlines(body)
    _walk(nodes, [], parsed.outlines)
    return parsed


def _element_outlines(element: etree._Element) -> list[_Node]:
    """The outline children of an lxml element, as ``_Node`` trees."""
    return [
        _Node(dict(child.attrib), child.sourceline, _element_outlines(child))
        for child in element
        if isinstance(child.tag, str) and etree.QName(child).localname == "outline"
    ]


def _decoded(data: bytes) -> str:
    """``data`` as text: its BOM, else its XML declaration's encoding, else UTF-8."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace")
    encoding = "utf-8"
    declared = _ENCODING.match(data)
    if declared:
        with contextlib.suppress(LookupError):
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
    return data.decode(encoding, errors="replace")


def _scanned_outlines(text: str, declared: frozenset[str]) -> list[_Node] | None:
    """The outline trees after the ``opml`` start tag of ``text``; None when there is none.

    An ``outline`` end tag closes the innermost open outline; ``</body>`` and
    ``</opml>`` close them all. Outlines never closed end with the file; outlines
    nested deeper than ``MAX_DEPTH`` become siblings at that depth; reading stops after
    ``MAX_OUTLINES`` + 1 outlines (such a file is refused).
    """
    root = _Node({}, None)
    stack = [root]
    seen_opml = False
    count = 0
    for tag in scan_tags(text, declared):
        local = tag.name.rsplit(":", 1)[-1].lower()
        if not seen_opml:
            seen_opml = local == "opml" and not tag.end
            continue
        if local != "outline":
            if tag.end and local in ("body", "opml"):
                del stack[1:]
            continue
        if tag.end:
            if len(stack) > 1:
                stack.pop()
            continue
        node = _Node(tag.attrs, tag.line, cut=tag.cut)
        stack[-1].children.append(node)
        count += 1
        if count > MAX_OUTLINES:  # refused anyway (opml_import_start): stop reading
            break
        if not tag.closed and len(stack) <= MAX_DEPTH:
            stack.append(node)
    return root.children if seen_opml else None


def _walk(nodes: list[_Node], path: list[str], out: list[OpmlOutline]) -> int:
    """Append the outlines of ``nodes`` (and below) to ``out``; how many were feeds."""
    feeds = 0
    for node in nodes:
        title = _attr(node, "title") or _attr(node, "text")
        written = _attr(node, "xmlUrl")
        if written:
            category = " / ".join(path) if path else _category_attribute(_attr(node, "category"))
            url = feed_scheme_to_web(written)
            html_url = _attr(node, "htmlUrl")
            out.append(
                OpmlOutline("feed", title, url, category, html_url, node.line, written, node.cut)
            )
            feeds += 1 + _walk(node.children, path, out)
        elif node.children:
            inner = [*path, title] if title else path
            index = len(out)
            out.append(OpmlOutline("folder"))
            inside = _walk(node.children, inner, out)
            kind = "folder" if inside else "empty_folder"
            out[index] = OpmlOutline(kind, title, category=" / ".join(inner), line=node.line)
            feeds += inside
        else:
            other = _attr(node, "url") or _attr(node, "htmlUrl")
            folder = " / ".join(path)
            out.append(OpmlOutline("other", title, "", folder, line=node.line, written_url=other))
    return feeds


# --- Import ------------------------------------------------------------------------


def opml_import_start(
    *, user: Any, data: bytes, filename: str = "", enqueue: bool = True
) -> ImportJob:
    """Check and queue an OPML import for ``user``; returns the ImportJob (status pending).

    The file is parsed now so that a refused file is an immediate error; the
    subscriptions are created by the Celery task ``reader.tasks.import_opml``,
    enqueued on commit (``enqueue=False``: the caller runs ``opml_import_run``).
    Raises ``OpmlTooLarge`` (over 5 MiB, 10,000 feeds or 50,000 outlines: API 413)
    or ``OpmlInvalid`` (no ``opml`` element, ``line`` set: API 400).
    """
    parsed = parse_opml(bytes(data))
    if len(parsed.feeds) > MAX_FEEDS:
        raise OpmlTooLarge(
            _("The file lists more than %(count)s feeds.") % {"count": f"{MAX_FEEDS:,}"}
        )
    if len(parsed.outlines) > MAX_OUTLINES:
        raise OpmlTooLarge(
            _("The file holds more than %(count)s outlines.") % {"count": f"{MAX_OUTLINES:,}"}
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
    subscribed. Progress (``processed`` of ``total`` feeds) is saved as it goes;
    ``failures`` lists ``{"url", "reason"}``, reasons in the user's language (the
    job runs in the worker, where no request chose one); ``report`` has one entry per
    outline (see ``ImportJob.report``). A crash marks the job failed.
    """
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    with user_language_override(job.user):
        return _run(job)


def _run(job: ImportJob) -> ImportJob:

    job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
    job.processed = job.created_count = job.skipped_count = 0
    job.failures, job.categories, job.report = [], [], []
    job.save()
    try:
        _import(job, parse_opml(bytes(job.data)).outlines)
        job.status = ImportJob.Status.DONE
    except Exception as exc:  # a crash must end the job, not loop the task
        logger.exception("opml import %s failed", job.pk)
        job.status, job.error = ImportJob.Status.FAILED, _text(str(exc), 500)
    job.finished_at = timezone.now()
    job.save()
    return job


#: Why an outline was skipped, by ``reason_code`` of a report entry.
SKIP_REASONS = {
    "duplicate": gettext_lazy("Listed earlier in the file."),
    "already_subscribed": gettext_lazy("You already follow this feed."),
    "no_feed_url": gettext_lazy("Not a feed: the outline has no feed address (xmlUrl)."),
    "empty_folder": gettext_lazy("A folder without feeds."),
    "cut_off": gettext_lazy(
        "The file ends inside this outline (it was cut off), so its address may be "
        "incomplete: not imported."
    ),
}


def _entry(outline: OpmlOutline, status: str, code: str = "", reason: str = "") -> dict:
    """A report entry (see ``ImportJob.report``), empty values left out."""
    values = {
        "line": outline.line,
        "kind": outline.kind,
        "title": outline.title,
        "url": outline.url or outline.written_url,
        "written_url": outline.written_url if outline.written_url != outline.url else "",
        "folder": outline.category,
        "status": status,
        "reason_code": code,
        "reason": reason or (str(SKIP_REASONS[code]) if code in SKIP_REASONS else ""),
    }
    return {k: v for k, v in values.items() if v not in ("", None)}


class _FirstFetches:
    """The first fetches of an import's new feeds, sent in groups (``refresh_feeds_enqueue``).

    One message per batch of feeds instead of one per feed: on the filesystem broker of
    ``make run`` a message costs a worker up to a polling interval. The feeds are due
    already, so a group that is never sent (a crash) is picked up by the scheduler.
    """

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.sent_at = time.monotonic()

    def add(self, feed_id: int) -> None:
        self.pending.append(feed_id)
        waited = time.monotonic() - self.sent_at
        if len(self.pending) >= FIRST_FETCH_EVERY or waited >= FIRST_FETCH_SECONDS:
            self.send()

    def send(self) -> None:
        if self.pending:
            ids = self.pending  # outside a transaction (the import task) sent at once
            transaction.on_commit(lambda: refresh_feeds_enqueue(feed_ids=ids))
        self.pending, self.sent_at = [], time.monotonic()


def _import(job: ImportJob, outlines: list[OpmlOutline]) -> None:
    first_fetches = _FirstFetches()
    try:
        _subscribe_all(job, outlines, first_fetches)
    finally:
        first_fetches.send()


def _subscribe_all(job: ImportJob, outlines: list[OpmlOutline], first_fetches) -> None:
    from reader.services import category_get_or_create, subscription_create

    user = job.user
    followed = set(Subscription.objects.filter(user=user).values_list("feed__url", flat=True))
    categories: dict[str, Category] = {}
    seen: set[str] = set()
    number = 0
    for item in outlines:
        if item.kind != "feed":
            status = "folder" if item.kind == "folder" else "skipped"
            code = {"empty_folder": "empty_folder", "other": "no_feed_url"}.get(item.kind, "")
            job.report.append(_entry(item, status, code))
            continue
        number += 1
        key = item.url.strip()
        if item.cut:  # a truncated file: never subscribe to an address that may be cut short
            reason = str(SKIP_REASONS["cut_off"])
            job.failures.append({"url": item.url, "reason": reason})
            job.report.append(_entry(item, "failed", "cut_off"))
        elif key in seen or key in followed:
            job.skipped_count += 1
            code = "duplicate" if key in seen else "already_subscribed"
            job.report.append(_entry(item, "skipped" if key in seen else "subscribed", code))
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
                sub = subscription_create(
                    user=user,
                    url=item.url,
                    category=category,
                    title=item.title,
                    discover=False,
                    interactive=False,  # bulk: queue feeds, not ahead of people waiting
                    enqueue=False,  # first fetches go in batches (first_fetches)
                )
                first_fetches.add(sub.feed_id)
                job.created_count += 1
                job.report.append({**_entry(item, "added"), "feed_id": sub.feed_id})
            except SubscriptionExists:
                job.skipped_count += 1
                job.report.append(_entry(item, "subscribed", "already_subscribed"))
            except ReaderError as exc:
                job.failures.append({"url": item.url, "reason": exc.message})
                job.report.append(_entry(item, "failed", exc.code, exc.message))
        job.processed = number
        if number % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(
                processed=job.processed,
                created_count=job.created_count,
                skipped_count=job.skipped_count,
            )
    job.categories = sorted({c.title for c in categories.values()})


@dataclass
class ImportSummary:
    """What an import did, with how the first fetches of the feeds it added ended.

    Counts: ``added`` (subscribed, first fetch not failed), ``fetch_failed`` (subscribed
    but the feed's fetch failed: ``Feed.last_error``), ``fetch_pending`` (subscribed,
    first fetch not finished yet; also counted in ``added``), ``subscribed`` (followed
    already), ``skipped`` (duplicates, non-feed outlines, folders without feeds),
    ``failed`` (could not subscribe, plus ``fetch_failed``). ``outlines``: the job's
    report entries, each with ``fetch`` (``ok``, ``pending`` or ``failed``) on added
    feeds, a ``failed`` first fetch turning its ``status`` into ``fetch_failed`` with
    the fetch error as ``reason``; reasons translated into the active language (a fetch
    error in the plain words of ``reader.feed_errors.feed_error_text``, never the English
    record ``Feed.last_error`` unless the failure has no known kind).
    """

    added: int = 0
    fetch_failed: int = 0
    fetch_pending: int = 0
    subscribed: int = 0
    skipped: int = 0
    failed: int = 0
    outlines: list[dict] = field(default_factory=list)

    @property
    def problems(self) -> list[dict]:
        """Outlines not imported or whose feed fails (failed, skipped, fetch_failed)."""
        return [o for o in self.outlines if o["status"] in ("failed", "fetch_failed", "skipped")]


#: Words for a report entry's ``status``.
STATUS_LABELS = {
    "added": pgettext_lazy("OPML import result", "added"),
    "subscribed": pgettext_lazy("OPML import result", "already followed"),
    "skipped": pgettext_lazy("OPML import result", "skipped"),
    "failed": pgettext_lazy("OPML import result", "failed"),
    "fetch_failed": pgettext_lazy("OPML import result", "first fetch failed"),
    "folder": pgettext_lazy("OPML import result", "folder"),
}


def import_job_summary(job: ImportJob) -> ImportSummary:
    """The summary of ``job`` (see ``ImportSummary``); one query for the added feeds' state.

    Jobs run before per-outline reports existed summarize their counts and ``failures``.
    """
    entries = [dict(e) for e in job.report or [] if isinstance(e, dict)]
    feed_ids = {e["feed_id"] for e in entries if e.get("status") == "added" and "feed_id" in e}
    state = {
        feed.pk: (feed_error_text(feed), feed.last_fetched_at)
        for feed in Feed.objects.filter(pk__in=feed_ids).only(
            "pk", "last_error", "last_error_kind", "last_status", "last_fetched_at"
        )
    }
    summary = ImportSummary()
    for entry in entries:
        status = entry.get("status", "")
        if status == "added":
            error, fetched = state.get(entry.get("feed_id"), ("", None))
            if error:
                entry.update(status="fetch_failed", fetch="failed", reason=error)
                summary.fetch_failed += 1
            else:
                entry["fetch"] = "ok" if fetched else "pending"
                summary.added += 1
                summary.fetch_pending += fetched is None
        elif status == "subscribed":
            summary.subscribed += 1
        elif status == "skipped":
            summary.skipped += 1
        elif status == "failed":
            summary.failed += 1
        code = entry.get("reason_code", "")
        if code in SKIP_REASONS:
            entry["reason"] = str(SKIP_REASONS[code])
        entry["status_label"] = str(STATUS_LABELS.get(entry["status"], entry["status"]))
        summary.outlines.append(entry)
    if not entries:  # a job from before reports, or one not run yet
        summary.added = job.created_count
        summary.skipped = job.skipped_count
        summary.failed = len(job.failures or [])
    summary.failed += summary.fetch_failed
    return summary


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
