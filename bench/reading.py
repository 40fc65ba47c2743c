"""Reading at a million entries: ``python -m bench reading`` (or ``python -m bench.reading``).

Seeds the bench database (``bench.env``: ``tidings_bench`` on the local
PostgreSQL) once with bulk COPY: 1,000 feeds, 1,000,000 entries over a year
(feed 0 holds 100,000), 1,000 users x 200 subscriptions with realistic read
watermarks (most read within days, some weeks behind, some never), and about
100 exception rows per user (read above the watermark, kept unread, starred).
Then measures, through ``reader.selectors`` / ``reader.services`` only:

- first page of 50 unread entries for a user (and the query count for 10 and 200),
- unread counts of all 200 subscriptions, and of 1,000 subscriptions with 50,000 unread
  entries (``seed_wide``: the selector, the REST endpoint, the reader page's sidebar),
- mark-all-read of the 100,000-entry feed (and of a 1,000-entry one), rolled back,
- ranked search (a common word, a rare word, a phrase, a Chinese word).

Prints p50/p95 in ms and SQL queries per call. ``--reseed`` drops and reloads
the data set; ``--samples N`` sets the calls per figure (default 60).
Targets: unread page p95 < 50 ms with constant queries; counts p95 <
20 ms (200 subscriptions), < 50 ms (1,000 subscriptions, selector and REST);
mark-all-read < 10 ms; search p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import bisect
import io
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: Its own database: the pipeline bench (bench.pipeline) resets feeds in tidings_bench.
READING_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tidings_bench_reading"
FEEDS = 1_000
ENTRIES = 1_000_000
BIG_FEED_ENTRIES = 100_000
USERS = 1_000
SUBS_PER_USER = 200
URL_PREFIX = "https://reading.bench.example/feed/"
USER_PREFIX = "bench-reader-"
#: Users who follow every one of the 1,000 feeds with 50 unread entries in each (50,000 unread):
#: the unread counts of a wide reader (``seed_wide``).
WIDE_PREFIX = "bench-wide-"
WIDE_USERS = 10
WIDE_UNREAD_PER_FEED = 50
SPAN = timedelta(days=365)
CJK_FEED_EVERY = 25  # every 25th feed writes Chinese
CJK_WORDS = (  # noqa: SIM905 (one readable block of words)
    "市场 经济 投资 银行 股票 价格 政策 发展 公司 技术 数据 网络 城市 教育 文化 历史 "
    "天气 旅游 新闻 体育 电影 音乐 科学 研究 健康 医院 汽车 交通 能源 环境 和平 收藏 "
    "邮票 钱币 原卷 包邮 品相 纪念 泰山 南京 上海 北京 朋友 问题 时间 工作 生活 世界"
).split()


ENTRY_COLUMNS = [
    *("id", "feed_id", "identity_hash", "guid", "url", "title", "content"),
    *("published_at", "created_at"),
]


def _log(message: str) -> None:
    print(f"   {message}", flush=True)


# --- Seeding ----------------------------------------------------------------------


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(6000)}
    return sorted(words)[:5000]


def _word_pool(rng: random.Random, vocab: list[str], size: int) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf-like frequencies
    return rng.choices(vocab, weights=weights, k=size)


def _columns(cur, table: str) -> list[tuple[str, bool, bool, str]]:
    cur.execute(
        "SELECT column_name, is_nullable = 'YES', "
        "column_default IS NOT NULL OR is_identity = 'YES', data_type "
        "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return cur.fetchall()


def _filler(data_type: str, now: str) -> str:
    if "timestamp" in data_type:
        return now
    if data_type in ("boolean",):
        return "f"
    if data_type in ("integer", "smallint", "bigint", "numeric", "double precision", "real"):
        return "0"
    if data_type in ("jsonb", "json"):
        return "[]"
    if data_type == "bytea":
        return "\\\\x"
    return ""


def _copy(cur, table: str, given: list[str], rows, now: str) -> None:
    """COPY rows (tuples of text for ``given`` columns) into ``table``, filling NOT NULL others."""
    extra = [
        (c, t)
        for c, nullable, has_default, t in _columns(cur, table)
        if c not in given and not nullable and not has_default
    ]
    fill = [(c, _filler(t, now)) for c, t in extra]
    names = ", ".join([*given, *(c for c, _ in fill)])
    tail = "".join("\t" + v for _, v in fill)
    with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        buf = io.StringIO()
        for n, row in enumerate(rows, 1):
            buf.write("\t".join(row) + tail + "\n")
            if n % 20_000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


def _without_indexes(cur, table: str, work: Callable[[], None]) -> None:
    """Run ``work`` with the secondary indexes of ``table`` dropped, then rebuild them."""
    cur.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = %s AND c.contype IN ('u', 'f')",
        [table],
    )
    constraints = cur.fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p')",
        [table],
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    work()
    for name, definition in indexes:
        started = time.perf_counter()
        cur.execute(definition)
        _log(f"index {name}: {time.perf_counter() - started:.1f} s")
    for name, definition in constraints:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def seed(*, reseed: bool) -> None:
    """Load the data set unless it is already there (``reseed``: drop and reload it)."""
    from django.db import connection, transaction

    raw = connection.cursor().connection  # psycopg connection (COPY)
    with transaction.atomic(), raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM feeds_feed WHERE url LIKE %s", [URL_PREFIX + "%"])
        have = cur.fetchone()[0]
        if have == FEEDS and not reseed:
            _log("data set present (use --reseed to reload)")
            return
        started = time.perf_counter()
        _log("dropping any previous reading data set")
        _drop_wide(cur)
        cur.execute(
            "DELETE FROM reader_subscription WHERE user_id IN "
            "(SELECT id FROM accounts_user WHERE username LIKE %s)",
            [USER_PREFIX + "%"],
        )
        cur.execute(
            "DELETE FROM reader_entrystate WHERE user_id IN "
            "(SELECT id FROM accounts_user WHERE username LIKE %s)",
            [USER_PREFIX + "%"],
        )
        cur.execute("DELETE FROM accounts_user WHERE username LIKE %s", [USER_PREFIX + "%"])
        cur.execute(
            "DELETE FROM feeds_entry WHERE feed_id IN "
            "(SELECT id FROM feeds_feed WHERE url LIKE %s)",
            [URL_PREFIX + "%"],
        )
        cur.execute("DELETE FROM feeds_feed WHERE url LIKE %s", [URL_PREFIX + "%"])
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cur.execute("SET LOCAL synchronous_commit = off")

        rng = random.Random(20261129)
        now = datetime.now(UTC).replace(microsecond=0)
        start = now - SPAN
        stamp = now.isoformat()

        cur.execute("SELECT COALESCE(MAX(id), 0) FROM feeds_feed")
        feed_base = cur.fetchone()[0] + 1
        feed_ids = [feed_base + i for i in range(FEEDS)]
        _copy(
            cur,
            "feeds_feed",
            ["id", "url", "title", "site_url", "fetch_interval", "next_fetch_at", "created_at"],
            (
                (
                    str(fid),
                    f"{URL_PREFIX}{i}",
                    f"Bench feed {i}",
                    f"https://s{i}.bench.example/",
                    "3600",
                    (now + timedelta(days=3650)).isoformat(),  # never due: no fetching here
                    stamp,
                )
                for i, fid in enumerate(feed_ids)
            ),
            stamp,
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('feeds_feed', 'id'), %s)", [feed_ids[-1]])

        _log("generating 1,000,000 entries")
        vocab = _vocabulary(rng)
        pool = _word_pool(rng, vocab, 400_000)
        cjk_pool = rng.choices(CJK_WORDS, k=50_000)
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM feeds_entry")
        entry_base = cur.fetchone()[0] + 1
        feed_of = [0] * ENTRIES
        step = SPAN / ENTRIES
        for i in range(ENTRIES):
            feed_of[i] = 0 if i % (ENTRIES // BIG_FEED_ENTRIES) == 0 else rng.randrange(1, FEEDS)

        def entry_rows():
            for i in range(ENTRIES):
                f = feed_of[i]
                created = start + step * i
                published = created - timedelta(seconds=(i * 7919) % 3600)
                if f % CJK_FEED_EVERY == 1:
                    o = (i * 31) % (len(cjk_pool) - 60)
                    title = "".join(cjk_pool[o : o + 5])
                    body = "".join(cjk_pool[o + 5 : o + 60])
                else:
                    o = (i * 7) % (len(pool) - 60)
                    title = " ".join(pool[o : o + 6]).capitalize()
                    body = " ".join(pool[o + 6 : o + 50])
                yield (
                    str(entry_base + i),
                    str(feed_ids[f]),
                    f"{i:064x}",
                    f"bench-{i}",
                    f"https://s{f}.bench.example/p/{i}",
                    title,
                    f"<p>{body}.</p>",
                    published.isoformat(),
                    created.isoformat(),
                )

        def load_entries():
            t = time.perf_counter()
            _copy(
                cur,
                "feeds_entry",
                ENTRY_COLUMNS,
                entry_rows(),
                stamp,
            )
            _log(f"COPY entries: {time.perf_counter() - t:.1f} s")

        _without_indexes(cur, "feeds_entry", load_entries)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('feeds_entry', 'id'), %s)",
            [entry_base + ENTRIES - 1],
        )

        _log("users, subscriptions, exception rows")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_user")
        user_base = cur.fetchone()[0] + 1
        user_ids = [user_base + u for u in range(USERS)]
        _copy(
            cur,
            "accounts_user",
            ["id", "username", "password", "is_active", "date_joined", "timezone"],
            (
                (str(uid), f"{USER_PREFIX}{u:04d}", "!", "t", stamp, "UTC")
                for u, uid in enumerate(user_ids)
            ),
            stamp,
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [user_ids[-1]]
        )

        def id_at(moment: datetime) -> int:
            """Highest entry id first seen at or before ``moment`` (ids follow time)."""
            index = int((moment - start) / step)
            return entry_base + max(-1, min(ENTRIES - 1, index))

        by_feed: list[list[int]] = [[] for _ in range(FEEDS)]
        for i, f in enumerate(feed_of):
            by_feed[f].append(entry_base + i)
        subs, states = [], []
        for u, uid in enumerate(user_ids):
            # One user in five follows the 100,000-entry feed.
            chosen = rng.sample(range(1, FEEDS), SUBS_PER_USER)
            if u % 5 == 0:
                chosen[-1] = 0
            marks = []
            for f in chosen:
                since = start + timedelta(days=rng.uniform(0, 330))
                unread_since = since - timedelta(days=30)
                roll = rng.random()
                if roll < 0.7:
                    mark = id_at(now - timedelta(days=rng.uniform(0, 3)))
                elif roll < 0.9:
                    mark = id_at(now - timedelta(days=rng.uniform(3, 30)))
                else:
                    mark = id_at(unread_since)
                subs.append((uid, feed_ids[f], mark, unread_since, since))
                marks.append((f, mark))
            chosen_states: dict[int, tuple[str, str, str]] = {}
            for f, mark in rng.sample(marks, 60):
                ids = by_feed[f]
                pos = bisect.bisect_right(ids, mark)
                if pos < len(ids):  # read above the watermark
                    chosen_states[rng.choice(ids[pos:])] = ("t", "f", "\\N")
            for f, mark in rng.sample(marks, 10):
                ids = by_feed[f]
                pos = bisect.bisect_right(ids, mark)
                if pos:  # kept unread below it
                    chosen_states[ids[pos - 1]] = ("f", "f", "\\N")
            for f, _ in rng.sample(marks, 30):
                chosen_states[rng.choice(by_feed[f])] = ("\\N", "t", stamp)
            states += [(uid, e, *v) for e, v in chosen_states.items()]
        _copy(
            cur,
            "reader_subscription",
            [
                "user_id",
                "feed_id",
                "title",
                "position",
                "read_max_id",
                "unread_since",
                "created_at",
            ],
            (
                (str(uid), str(fid), "", "0", str(mark), us.isoformat(), since.isoformat())
                for uid, fid, mark, us, since in subs
            ),
            stamp,
        )
        _copy(
            cur,
            "reader_entrystate",
            ["user_id", "entry_id", "read", "starred", "starred_at", "updated_at"],
            ((str(uid), str(e), r, s, at, stamp) for uid, e, r, s, at in states),
            stamp,
        )
        _log(f"{len(subs):,} subscriptions, {len(states):,} exception rows")
    vacuum()
    _log(f"seeded in {time.perf_counter() - started:.0f} s")


def _drop_wide(cur) -> None:
    for table in ("reader_subscription", "reader_entrystate", "accounts_apitoken"):
        cur.execute(
            f"DELETE FROM {table} WHERE user_id IN "  # noqa: S608 (table names of this module)
            "(SELECT id FROM accounts_user WHERE username LIKE %s)",
            [WIDE_PREFIX + "%"],
        )
    cur.execute("DELETE FROM accounts_user WHERE username LIKE %s", [WIDE_PREFIX + "%"])


def seed_wide(*, reseed: bool) -> None:
    """Add the wide readers unless present: WIDE_USERS users, each subscribed to all 1,000
    feeds with WIDE_UNREAD_PER_FEED unread entries in each (watermark below the feed's 50
    newest). Idempotent; ``reseed`` (or a partial set) drops and makes them again. The rest
    of the data set is left as it is."""
    from django.db import connection, transaction

    raw = connection.cursor().connection
    with transaction.atomic(), raw.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM reader_subscription s JOIN accounts_user u ON u.id = s.user_id "
            "WHERE u.username LIKE %s",
            [WIDE_PREFIX + "%"],
        )
        if cur.fetchone()[0] == WIDE_USERS * FEEDS and not reseed:
            return
        started = time.perf_counter()
        _drop_wide(cur)
        cur.execute(
            "SELECT feed_id, MIN(id) FROM (SELECT e.feed_id, e.id, row_number() OVER "
            "(PARTITION BY e.feed_id ORDER BY e.id DESC) AS rn FROM feeds_entry e "
            "JOIN feeds_feed f ON f.id = e.feed_id WHERE f.url LIKE %s) t "
            "WHERE rn <= %s GROUP BY feed_id",
            [URL_PREFIX + "%", WIDE_UNREAD_PER_FEED],
        )
        lowest_unread = dict(cur.fetchall())
        stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_user")
        base = cur.fetchone()[0] + 1
        ids = [base + n for n in range(WIDE_USERS)]
        _copy(
            cur,
            "accounts_user",
            ["id", "username", "password", "is_active", "date_joined", "timezone"],
            (
                (str(uid), f"{WIDE_PREFIX}{n:02d}", "!", "t", stamp, "UTC")
                for n, uid in enumerate(ids)
            ),
            stamp,
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [ids[-1]])
        _copy(
            cur,
            "reader_subscription",
            ["user_id", "feed_id", "title", "position", "read_max_id", "created_at"],
            (
                (str(uid), str(feed_id), "", "0", str(lowest - 1), stamp)
                for uid in ids
                for feed_id, lowest in sorted(lowest_unread.items())
            ),
            stamp,
        )
        cur.execute("ANALYZE reader_subscription")
    _log(
        f"{WIDE_USERS} wide readers ({len(lowest_unread):,} subscriptions, "
        f"{len(lowest_unread) * WIDE_UNREAD_PER_FEED:,} unread each): "
        f"{time.perf_counter() - started:.1f} s"
    )


def measure_wide(samples: int) -> list[dict]:
    """Unread counts of the wide readers: the selector, ``GET /api/v1/unread-counts/``
    (bearer token, in-process client: no network) and the reader page's sidebar
    (``reader_page``: counts, subscription list and the first 50 unread). Target: p95
    under 50 ms for the selector and the REST endpoint."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.models import ApiToken
    from accounts.services import token_create
    from reader import selectors
    from reader.reader_page_selectors import reader_page

    users = list(get_user_model().objects.filter(username__startswith=WIDE_PREFIX).order_by("id"))
    if not users:
        return []
    counts = selectors.unread_counts(user=users[0])
    print(
        f"   wide readers: {len(counts['subscriptions']):,} subscriptions, "
        f"{counts['total']:,} unread",
        flush=True,
    )
    ApiToken.objects.filter(user__in=users, name="bench-wide").delete()
    clients = []
    for user in users:
        _, raw = token_create(user=user, name="bench-wide")
        clients.append(Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    picked = [n % len(users) for n in range(samples)]
    narrow = list(
        get_user_model().objects.filter(username__startswith=USER_PREFIX).order_by("id")[:samples]
    )

    def rest(n: int) -> None:
        response = clients[n].get("/api/v1/unread-counts/")
        assert response.status_code == 200, response.status_code
        assert len(response.json()["subscriptions"]) == FEEDS

    rows = [
        _measure(  # the same figure as in measure(), again beside the wide one (same load)
            "unread counts, 200 subscriptions (this run)",
            [lambda u=u: selectors.unread_counts(user=u) for u in narrow],
        ),
        _measure(
            "unread counts, 1,000 subscriptions (50,000 unread)",
            [lambda n=n: selectors.unread_counts(user=users[n]) for n in picked],
        ),
        _measure(
            "REST /api/v1/unread-counts/, 1,000 subscriptions",
            [lambda n=n: rest(n) for n in picked],
        ),
        _measure(
            "reader page: sidebar of 1,000 + 50 unread",
            [lambda n=n: reader_page(user=users[n], show="unread") for n in picked],
        ),
    ]
    ApiToken.objects.filter(user__in=users, name="bench-wide").delete()
    return rows


def vacuum() -> None:
    """VACUUM ANALYZE the reading tables, as autovacuum would on a live server.

    Also before measuring: a migration that rewrites ``feeds_entry`` or a load
    run leaves the visibility map empty, and index-only scans then visit the heap
    (unread counts measured 50 ms instead of 7 ms).
    """
    from django.db import connection

    raw = connection.cursor().connection
    with raw.cursor() as cur:
        t = time.perf_counter()
        for table in (
            "feeds_feed", "feeds_entry", "accounts_user", "reader_subscription",
            "reader_entrystate",
        ):  # fmt: skip
            cur.execute(f"VACUUM ANALYZE {table}")
        _log(f"VACUUM ANALYZE: {time.perf_counter() - t:.1f} s")


# --- Measuring ------------------------------------------------------------------


def _measure(label: str, calls: list[Callable[[], object]]) -> dict:
    """Run each call once to warm up, then time them all; print p50/p95 ms and queries/call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for call in calls[: max(1, len(calls) // 10)]:
        call()
    times, queries = [], []
    for call in calls:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    q = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}-{max(queries)}"
    print(f"   {label:<52} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   queries {q}", flush=True)
    return {"label": label, "p50": p50, "p95": p95, "queries": q}


class _Rollback(Exception):
    pass


def _rolled_back(work: Callable[[], object]) -> Callable[[], object]:
    from django.db import transaction

    def call():
        try:
            with transaction.atomic():
                work()
                raise _Rollback
        except _Rollback:
            pass

    return call


def measure(samples: int) -> list[dict]:
    """Time the reading services on the seeded data; returns the rows printed."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reader import selectors, services
    from reader.models import Subscription

    rng = random.Random(7)
    users = list(
        get_user_model().objects.filter(username__startswith=USER_PREFIX).order_by("id")[:USERS]
    )
    picked = [rng.choice(users) for _ in range(samples)]
    unread = selectors.unread_counts(user=picked[0])["total"]
    per_user = [selectors.unread_counts(user=u)["total"] for u in picked[:20]]
    print(
        f"   users have {min(per_user):,}-{max(per_user):,} unread entries "
        f"(median {int(statistics.median(per_user)):,}); first sample {unread:,}",
        flush=True,
    )
    rows = []
    unread_page = {"status": "unread"}
    rows.append(
        _measure(
            "first page of 50 unread (newest first)",
            [
                lambda u=u: selectors.entry_list(user=u, filters=unread_page, limit=50)
                for u in picked
            ],
        )
    )
    for limit in (10, 200):
        with CaptureQueriesContext(connection) as captured:
            selectors.entry_list(user=picked[0], filters=unread_page, limit=limit)
        print(f"   unread page of {limit}: {len(captured)} queries", flush=True)

    def second_page(u):
        page = selectors.entry_list(user=u, filters=unread_page, limit=50)
        return selectors.entry_list(user=u, filters=unread_page, cursor=page.next_cursor, limit=50)

    rows.append(
        _measure(
            "first + next page of 50 unread (cursor)", [lambda u=u: second_page(u) for u in picked]
        )
    )
    rows.append(
        _measure(
            "first page of 50, all entries",
            [lambda u=u: selectors.entry_list(user=u, filters={"status": "all"}) for u in picked],
        )
    )
    rows.append(
        _measure(
            "first page of 50 starred",
            [
                lambda u=u: selectors.entry_list(user=u, filters={"status": "starred"})
                for u in picked
            ],
        )
    )
    rows.append(
        _measure(
            "unread counts, 200 subscriptions",
            [lambda u=u: selectors.unread_counts(user=u) for u in picked],
        )
    )
    big_url = URL_PREFIX + "0"
    big_subs = list(
        Subscription.objects.filter(feed__url=big_url, user__username__startswith=USER_PREFIX)[:20]
    )

    def mark_big(sub):
        # Everything of the 100,000-entry feed unread first, then mark all read.
        Subscription.objects.filter(pk=sub.pk).update(read_max_id=0, unread_since=None)
        before = selectors.unread_counts(user=sub.user)["subscriptions"][sub.pk]
        started = time.perf_counter()
        services.mark_all_read(user=sub.user, subscription_id=sub.pk)
        mark_big.times.append((time.perf_counter() - started) * 1000)
        assert before >= BIG_FEED_ENTRIES * 0.99, before
        assert selectors.unread_counts(user=sub.user)["subscriptions"][sub.pk] == 0

    mark_big.times = []
    for sub in big_subs:
        _rolled_back(lambda sub=sub: mark_big(sub))()
    times = sorted(mark_big.times)
    with CaptureQueriesContext(connection) as captured:
        _rolled_back(
            lambda: services.mark_all_read(user=big_subs[0].user, subscription_id=big_subs[0].pk)
        )()
    mark_queries = len(captured) - 2  # minus SAVEPOINT/ROLLBACK of the harness
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    label = "mark all read, 100,000-entry feed (all unread)"
    print(
        f"   {label:<52} p50 {statistics.median(times):7.1f} ms"
        f"   p95 {p95:7.1f} ms   queries {mark_queries}",
        flush=True,
    )
    rows.append(
        {"label": "mark all read, 100,000 entries", "p50": statistics.median(times), "p95": p95}
    )
    small = [
        s
        for s in Subscription.objects.filter(user__in=picked[:20]).select_related("user")[:400]
        if s.feed.url != big_url
    ][:20]
    rows.append(
        _measure(
            "mark all read, ~1,000-entry feed",
            [
                _rolled_back(lambda s=s: services.mark_all_read(user=s.user, subscription_id=s.pk))
                for s in small
            ],
        )
    )
    rows.append(
        _measure(
            "mark all read, everything (200 subscriptions)",
            [_rolled_back(lambda u=u: services.mark_all_read(user=u)) for u in picked[:20]],
        )
    )
    rows.append(
        _measure(
            "mark 50 entries read (batch)",
            [
                _rolled_back(
                    lambda u=u: services.entries_set_read(
                        user=u,
                        entry_ids=[
                            e.pk for e in selectors.entry_list(user=u, filters=unread_page).entries
                        ],
                        read=True,
                    )
                )
                for u in picked[:20]
            ],
        )
    )
    words = _search_words()
    for label, q in words:
        rows.append(
            _measure(
                f"search {label}",
                [lambda u=u, q=q: selectors.entry_search(user=u, q=q, limit=50) for u in picked],
            )
        )
    return rows


def _search_words() -> list[tuple[str, str]]:
    rng = random.Random(20261129)
    vocab = _vocabulary(rng)
    return [
        (f"common word ({vocab[40]!r})", vocab[40]),
        (f"rare word ({vocab[3000]!r})", vocab[3000]),
        (f"two words ({vocab[10]} {vocab[300]})", f"{vocab[10]} {vocab[300]}"),
        (
            f'phrase + exclusion ("{vocab[1]} {vocab[2]}" -{vocab[3]})',
            f'"{vocab[1]} {vocab[2]}" -{vocab[3]}',
        ),
        ("Chinese word (包邮)", "包邮"),
    ]


def use_reading_database(module: str, argv: list[str], *, seed_first: bool = True) -> bool:
    """Point this process at the reading data set; False when the work ran in a child instead.

    When ``python -m bench`` already set Django up on another database (the
    pipeline bench's), ``module`` is run again in a child process with
    ``argv``; the child must not inherit that configuration
    (``TIDINGS_BENCH_DATABASE``), or it would measure, and seed, the wrong
    database. Otherwise ``BENCH_DATABASE_URL`` names the reading database
    (``BENCH_READING_DATABASE_URL``, default ``tidings_bench_reading``) and,
    with ``seed_first``, ``bench.reading --seed-only`` loads it once (a no-op
    when present). Raises ``CalledProcessError`` when a child fails.
    """
    from django.apps import apps

    url = os.environ.get("BENCH_READING_DATABASE_URL", READING_DATABASE_URL)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if apps.ready:
        child = {**os.environ, "BENCH_DATABASE_URL": url}
        child.pop("TIDINGS_BENCH_DATABASE", None)
        # This process pointed DATABASE_URL at its own bench database; the child
        # chooses its own, so it gets the caller's DATABASE_URL back.
        child["DATABASE_URL"] = os.environ.get("TIDINGS_BENCH_OUTER_DATABASE_URL", "")
        subprocess.run([sys.executable, "-m", module, *argv], env=child, cwd=root, check=True)
        return False
    os.environ["BENCH_DATABASE_URL"] = url
    if seed_first:
        subprocess.run(
            [sys.executable, "-m", "bench.reading", "--seed-only"],
            env={**os.environ, "BENCH_READING_DATABASE_URL": url},
            cwd=root,
            check=True,
        )
    return True


def main(argv: list[str] | None = None) -> None:
    """Seed (once) and measure; prints the figures."""
    parser = argparse.ArgumentParser(prog="bench.reading", description=__doc__.split("\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop and reload the data set")
    parser.add_argument("--samples", type=int, default=60, help="calls per figure")
    parser.add_argument("--seed-only", action="store_true", help="load the data set and stop")
    argv = list(argv if argv is not None else [])
    args = parser.parse_args(argv)
    if not use_reading_database("bench.reading", argv, seed_first=False):
        return
    from bench import env

    description = env.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"   reading bench needs PostgreSQL; database is {description}: skipped")
        return
    print(f"   database: {description}", flush=True)
    seed(reseed=args.reseed)
    seed_wide(reseed=args.reseed)
    vacuum()  # also for --seed-only: the benches that measure on this data set call it first
    if not args.seed_only:
        measure(args.samples)
        measure_wide(args.samples)


if __name__ == "__main__":
    main(sys.argv[1:])
