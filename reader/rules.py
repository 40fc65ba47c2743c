"""Rules: per-user filters that mark read, star or hide entries whose fields match.

A ``reader.models.Rule`` belongs to one user and applies globally, to one
subscription, or to every subscription of one category. It matches when the
chosen field of an entry (title, content as plain text, author, link,
categories, or any of them) contains:

* ``any_words``: any of the whitespace-separated words;
* ``all_words``: every one of them;
* ``phrase``: the words in order, separated by any whitespace;
* ``regex``: a regular expression (``regex`` package syntax), evaluated with a
  time limit of ``settings.RULE_REGEX_TIMEOUT`` seconds per text (a timeout
  counts as no match and is logged; the ``regex`` package overshoots the limit
  up to about 5 times, and after ``MAX_TIMEOUTS`` timeouts a rule stops being
  evaluated for the rest of that run).

Matching ignores case. A word of letters and digits matches whole words only
("art" does not match "party"); words with CJK characters, which are written
without spaces, match anywhere. Actions: ``read`` marks read, ``star`` stars,
``hide`` marks read and records a ``HiddenEntry`` that keeps the entry out of
every list (except Starred) and count; marking it unread again unhides it.

Rules run on new entries for each subscriber: ``feeds.services`` sends
``feeds.signals.entries_stored`` after a refresh stores new entries; the
receiver here enqueues ``reader.tasks.apply_rules`` on commit when a
subscriber of that feed has an enabled rule; the task calls
``rules_apply_new_entries``. A rule can be previewed against existing entries
before saving (``rule_preview``) and applied to them on request
(``rule_apply``), both over the newest ``RETRO_SCAN_LIMIT`` entries in scope.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import regex
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.dispatch import receiver
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from feeds.models import Entry
from feeds.signals import entries_stored
from reader import search, services
from reader.errors import InvalidInput, NotFound
from reader.models import Category, HiddenEntry, Rule, Subscription
from reader.tasks import apply_rules

logger = logging.getLogger(__name__)

#: Entries (newest first) that a preview or a retroactive application looks at, at most.
RETRO_SCAN_LIMIT = 5000
#: Entries a preview lists, at most (it counts them all).
PREVIEW_LIST_LIMIT = 50
#: Characters of a field's text that are matched (longer texts are cut): bounds the work.
MAX_TEXT = 20_000
#: Most rules per user.
MAX_RULES = 200
#: Timeouts after which a compiled regular expression stops being evaluated (per compilation).
MAX_TIMEOUTS = 3

FIELDS = tuple(Rule.Field.values)
MATCHES = tuple(Rule.Match.values)
ACTIONS = tuple(Rule.Action.values)
_UNSET: Any = object()


class InvalidPattern(InvalidInput):
    """The pattern is empty, too long, or not a valid regular expression (API field ``pattern``)."""

    code = "invalid_pattern"


# --- Matching ----------------------------------------------------------------------


def _regex_timeout() -> float:
    return float(getattr(settings, "RULE_REGEX_TIMEOUT", 0.02))


def _word_pattern(word: str) -> str:
    """A stdlib-``re`` pattern for one word or phrase (escaped): whole words unless CJK."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    if search.CJK.search(word):
        return body
    return rf"(?<!\w){body}(?!\w)"


def compile_matcher(*, match: str, pattern: str) -> Callable[[str], bool]:
    """A function ``text -> bool`` for one rule's ``match`` kind and ``pattern``.

    Raises ``InvalidPattern`` (an ``InvalidInput``) for an empty pattern or a regular
    expression that does not compile, ``InvalidInput`` for an unknown kind.
    Regular expressions run with the ``RULE_REGEX_TIMEOUT`` time limit
    (seconds): a timeout is "no match".
    """
    pattern = (pattern or "").strip()
    if not pattern:
        raise InvalidPattern(_("The rule needs words, a phrase or a regular expression."))
    if match == "regex":
        try:
            compiled = regex.compile(pattern, regex.IGNORECASE | regex.V1)
        except (regex.error, ValueError, OverflowError) as exc:
            message = _("The regular expression is not valid: %(reason)s") % {"reason": exc}
            raise InvalidPattern(message) from exc
        budget = {"timeouts": 0}
        return lambda text: _regex_search(compiled, text, budget)
    if match == "phrase":
        words = [pattern]
    elif match in ("any_words", "all_words"):
        words = pattern.split()
    else:
        raise InvalidInput(_("Unknown match %(value)s.") % {"value": repr(match)})
    patterns = [re.compile(_word_pattern(w), re.IGNORECASE) for w in words]
    if match == "all_words":
        return lambda text: all(p.search(text) for p in patterns)
    return lambda text: any(p.search(text) for p in patterns)


def _regex_search(compiled: Any, text: str, budget: dict[str, int]) -> bool:
    """Search with the time limit; after ``MAX_TIMEOUTS`` timeouts the matcher gives up
    (always False), so one slow pattern costs at most a few time limits per run."""
    if budget["timeouts"] >= MAX_TIMEOUTS:
        return False
    try:
        return compiled.search(text, timeout=_regex_timeout()) is not None
    except TimeoutError:
        budget["timeouts"] += 1
        logger.warning("rule regex timed out", extra={"pattern": compiled.pattern[:200]})
        return False


def entry_text(entry: Any, field_name: str) -> str:
    """The text of ``entry`` that a rule on ``field_name`` matches (plain text, cut to MAX_TEXT).

    ``content``: summary and content without tags, entities decoded; ``link``:
    the entry URL; ``category``: the categories, one per line; ``any``: all.
    """
    if field_name == "title":
        text = entry.title or ""
    elif field_name == "content":
        text = html.unescape(strip_tags(f"{entry.summary or ''}\n{entry.content or ''}"))
    elif field_name == "author":
        text = entry.author or ""
    elif field_name == "link":
        text = entry.url or ""
    elif field_name == "category":
        text = "\n".join(str(c) for c in entry.categories or [])
    elif field_name == "any":
        text = "\n".join(entry_text(entry, f) for f in FIELDS if f != "any")
    else:
        raise InvalidInput(_("Unknown field %(value)s.") % {"value": repr(field_name)})
    return text[:MAX_TEXT]


@dataclass
class CompiledRule:
    """A rule ready to test entries: ``test(entry) -> bool``."""

    rule: Rule
    test: Callable[[Any], bool]


def compile_rule(rule: Rule) -> CompiledRule:
    """``CompiledRule`` of a (saved or unsaved) rule; ``InvalidInput`` as ``compile_matcher``."""
    matcher = compile_matcher(match=rule.match, pattern=rule.pattern)
    field_name = rule.field
    return CompiledRule(rule=rule, test=lambda entry: matcher(entry_text(entry, field_name)))


def _in_scope(rule: Rule, sub: Subscription) -> bool:
    if rule.subscription_id is not None:
        return rule.subscription_id == sub.pk
    if rule.category_id is not None:
        return rule.category_id == sub.category_id
    return True


# --- Reads -------------------------------------------------------------------------


def rule_list(*, user: Any) -> QuerySet[Rule]:
    """The user's rules in order (position, id), with subscription and category loaded."""
    return Rule.objects.filter(user=user).select_related("subscription__feed", "category")


def rule_get(*, user: Any, rule_id: int) -> Rule:
    """One of the user's rules; ``NotFound`` for an unknown id or another user's rule."""
    try:
        return rule_list(user=user).get(pk=int(rule_id))
    except (Rule.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("No such rule.") from exc


# --- Writes ------------------------------------------------------------------------


def _scope(user: Any, subscription_id: int | None, category_id: int | None) -> dict:
    """{"subscription": ..., "category": ...} of the user's own objects; NotFound otherwise."""
    if subscription_id is not None and category_id is not None:
        raise InvalidInput(_("A rule applies to one subscription or one category, not both."))
    sub = cat = None
    if subscription_id is not None:
        sub = Subscription.objects.filter(user=user, pk=int(subscription_id)).first()
        if sub is None:
            raise NotFound("No such subscription.")
    if category_id is not None:
        cat = Category.objects.filter(user=user, pk=int(category_id)).first()
        if cat is None:
            raise NotFound("No such category.")
    return {"subscription": sub, "category": cat}


def _check(rule: Rule) -> None:
    if rule.field not in FIELDS:
        raise InvalidInput(_("Unknown field %(value)s.") % {"value": repr(rule.field)})
    if rule.action not in ACTIONS:
        raise InvalidInput(_("Unknown action %(value)s.") % {"value": repr(rule.action)})
    if len(rule.pattern or "") > 500:
        raise InvalidPattern(_("The pattern is too long (at most 500 characters)."))
    compile_rule(rule)


def rule_build(
    *,
    user: Any,
    field: str = "title",
    match: str = "any_words",
    pattern: str,
    action: str = "read",
    name: str = "",
    subscription_id: int | None = None,
    category_id: int | None = None,
    enabled: bool = True,
) -> Rule:
    """An unsaved, validated ``Rule`` (for ``rule_preview`` or ``rule_create``).

    Raises ``InvalidInput`` (unknown field/match/action, empty or invalid
    pattern, both scopes) or ``NotFound`` (a subscription or category that is
    not the user's).
    """
    rule = Rule(
        user=user,
        name=(name or "").strip()[:255],
        field=field,
        match=match,
        pattern=(pattern or "").strip(),
        action=action,
        enabled=bool(enabled),
        **_scope(user, subscription_id, category_id),
    )
    _check(rule)
    return rule


def rule_create(*, user: Any, **values: Any) -> Rule:
    """Save a new rule (arguments of ``rule_build``), last in the user's order.

    It applies to entries stored from now on; ``rule_apply`` applies it to
    existing ones. Raises as ``rule_build``, and ``InvalidInput`` beyond
    ``MAX_RULES`` rules.
    """
    rule = rule_build(user=user, **values)
    existing = Rule.objects.filter(user=user)
    if existing.count() >= MAX_RULES:
        raise InvalidInput(_("At most %(count)s rules.") % {"count": MAX_RULES})

    last = existing.order_by("-position").values_list("position", flat=True).first()
    rule.position = (last or 0) + 1
    rule.save()
    return rule


def rule_update(
    *,
    user: Any,
    rule_id: int,
    name: str = _UNSET,
    field: str = _UNSET,
    match: str = _UNSET,
    pattern: str = _UNSET,
    action: str = _UNSET,
    subscription_id: int | None = _UNSET,
    category_id: int | None = _UNSET,
    enabled: bool = _UNSET,
    position: int = _UNSET,
) -> Rule:
    """Change the given attributes of one of the user's rules (others stay).

    Setting ``subscription_id`` or ``category_id`` replaces the scope (give
    both as None for a global rule). Raises ``NotFound`` or ``InvalidInput``.
    """
    rule = rule_get(user=user, rule_id=rule_id)
    for name_, value in (
        ("name", name),
        ("field", field),
        ("match", match),
        ("pattern", pattern),
        ("action", action),
        ("enabled", enabled),
        ("position", position),
    ):
        if value is not _UNSET:
            setattr(rule, name_, value.strip() if isinstance(value, str) else value)
    if subscription_id is not _UNSET or category_id is not _UNSET:
        sub_id = None if subscription_id is _UNSET else subscription_id
        cat_id = None if category_id is _UNSET else category_id
        scope = _scope(user, sub_id, cat_id)
        rule.subscription, rule.category = scope["subscription"], scope["category"]
    _check(rule)
    rule.save()
    return rule


def rule_delete(*, user: Any, rule_id: int) -> None:
    """Delete one of the user's rules. Entries it hid stay hidden. Raises ``NotFound``."""
    rule_get(user=user, rule_id=rule_id).delete()


# --- Applying ----------------------------------------------------------------------


@dataclass
class RulePreview:
    """What a rule would do to existing entries.

    ``scanned``: entries looked at (the newest ``RETRO_SCAN_LIMIT`` in scope);
    ``matched``: how many match; ``entries``: the first ``PREVIEW_LIST_LIMIT``
    matches, newest first (Entry rows with ``feed`` loaded).
    """

    scanned: int = 0
    matched: int = 0
    entries: list[Entry] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


def _scope_entries(user: Any, rule: Rule) -> QuerySet[Entry]:
    subs = Subscription.objects.filter(user=user)
    if rule.subscription_id is not None:
        subs = subs.filter(pk=rule.subscription_id)
    elif rule.category_id is not None:
        subs = subs.filter(category_id=rule.category_id)
    return Entry.objects.filter(feed_id__in=subs.values("feed_id"))


def rule_preview(*, user: Any, rule: Rule) -> RulePreview:
    """Test ``rule`` (saved or from ``rule_build``) on the user's newest entries in its scope.

    Looks at up to ``RETRO_SCAN_LIMIT`` entries (newest first), changes nothing.
    Two queries plus one per 1,000 entries looked at.
    """
    compiled = compile_rule(rule)
    result = RulePreview()
    qs = _scope_entries(user, rule).order_by("-published_at", "-id")[:RETRO_SCAN_LIMIT]
    for entry in qs.select_related("feed").iterator(chunk_size=1000):
        result.scanned += 1
        if compiled.test(entry):
            result.matched += 1
            result.ids.append(entry.pk)
            if len(result.entries) < PREVIEW_LIST_LIMIT:
                result.entries.append(entry)
    return result


def _act(user: Any, rule: Rule, ids: list[int]) -> int:
    """Apply ``rule.action`` to ``ids`` (entries the user can see) in batches; returns len."""
    for start in range(0, len(ids), services.MAX_BATCH_IDS):
        batch = ids[start : start + services.MAX_BATCH_IDS]
        if rule.action == Rule.Action.STAR:
            services.entries_set_starred(user=user, entry_ids=batch, starred=True)
            continue
        if rule.action == Rule.Action.HIDE:
            HiddenEntry.objects.bulk_create(
                [HiddenEntry(user=user, entry_id=i, rule=rule if rule.pk else None) for i in batch],
                ignore_conflicts=True,
            )
        services.entries_set_read(user=user, entry_ids=batch, read=True)
    if ids and rule.pk:
        Rule.objects.filter(pk=rule.pk).update(hits=F("hits") + len(ids))
    return len(ids)


def rule_apply(*, user: Any, rule_id: int) -> int:
    """Apply one of the user's rules to existing entries (the newest ``RETRO_SCAN_LIMIT``
    in its scope), even when disabled; returns how many entries matched. Raises ``NotFound``.
    """
    rule = rule_get(user=user, rule_id=rule_id)
    ids = rule_preview(user=user, rule=rule).ids
    with transaction.atomic():
        return _act(user, rule, ids)


def rules_apply_new_entries(*, feed_id: int, entry_ids: Iterable[int]) -> dict[int, int]:
    """Run every subscriber's enabled rules on new entries of one feed.

    ``entry_ids``: entries of ``feed_id`` (others are ignored). For each user
    who subscribes to the feed and has an enabled rule in scope (global, that
    subscription, or its category), rules run in order; an entry may be hit by
    several (e.g. starred and marked read). Returns ``{user_id: entries acted
    on}`` (users with no match omitted). Idempotent: running again changes
    nothing but the rules' ``hits`` counters. A rule whose pattern no longer
    compiles is skipped and logged.
    """
    ids = [int(i) for i in entry_ids]
    subs = list(
        Subscription.objects.filter(feed_id=feed_id, user__rules__enabled=True)
        .select_related("user")
        .distinct()
    )
    if not subs or not ids:
        return {}
    entries = list(Entry.objects.filter(feed_id=feed_id, pk__in=ids).order_by("id"))
    rules_by_user: dict[int, list[Rule]] = {}
    for rule in Rule.objects.filter(enabled=True, user_id__in=[s.user_id for s in subs]):
        rules_by_user.setdefault(rule.user_id, []).append(rule)
    done: dict[int, int] = {}
    for sub in subs:
        total = 0
        for rule in rules_by_user.get(sub.user_id, []):
            if not _in_scope(rule, sub):
                continue
            try:
                compiled = compile_rule(rule)
            except InvalidInput:
                logger.warning("rule %s does not compile; skipped", rule.pk)
                continue
            hits = [e.pk for e in entries if compiled.test(e)]
            with transaction.atomic():
                total += _act(sub.user, rule, hits)
        if total:
            done[sub.user_id] = total
    return done


# --- The hook after refreshes --------------------------------------------------------


def rules_enqueue_for_new_entries(*, feed_id: int, entry_ids: list[int]) -> bool:
    """Enqueue ``reader.tasks.apply_rules`` on commit when a subscriber of the feed has an
    enabled rule; returns whether it did (one query)."""
    if not entry_ids:
        return False
    wanted = Rule.objects.filter(enabled=True, user__subscriptions__feed_id=feed_id).exists()
    if not wanted:
        return False
    ids = [int(i) for i in entry_ids]
    transaction.on_commit(lambda: apply_rules.delay(feed_id, ids))
    return True


@receiver(entries_stored, dispatch_uid="reader.rules.entries_stored")
def _on_entries_stored(sender: Any, feed_id: int, entry_ids: list[int], **kwargs: Any) -> None:
    """Receiver of ``feeds.signals.entries_stored``: see ``rules_enqueue_for_new_entries``."""
    rules_enqueue_for_new_entries(feed_id=feed_id, entry_ids=entry_ids)
