"""Pipeline benchmark: the corpus and the 1,000 x 50 synthetic feeds through ``feed_refresh``.

Figures printed:

- corpus (every feed file of ../shared/corpus, HTML pages excluded), served
  from loopback by ``bench.feedhost`` (another process) and refreshed in this
  process: cold (all new), warm (all 304) and "changed, nothing new" (all
  200 with known entries); feeds/s, entries/s; CPU time of the whole pipeline
  (fetch client, parse, identity, sanitize, store, SQL client side; not the
  database server) against feedparser parsing alone (its sanitizer and
  relative-URI resolution off) and nh3 alone on the same bytes; SQL
  statements per refresh; how many feeds store EXPECTED.tsv's entry count;
- synthetic: ../shared/bench/synthetic_feeds.py output (generated once into
  var/bench/synthetic), ingested cold by 2 worker processes calling
  ``feed_refresh``, then re-polled warm (all 304), in seconds, next to
  FreshRSS's 122.7 s cold / 9.0 s warm on the same files and machine class.

Runs on the bench database only (``bench.env``).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import env

SHARED = env.ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SYNTHETIC_SCRIPT = SHARED / "bench" / "synthetic_feeds.py"
SYNTHETIC_DIR = env.VAR / "synthetic"
SYNTHETIC_FEEDS, SYNTHETIC_ENTRIES = 1000, 50
WORKERS = 2
FRESHRSS_COLD, FRESHRSS_WARM = 122.7, 9.0


# --- measuring ---------------------------------------------------------------------------------


class StatementCounter:
    """Counts SQL statements sent through Django's connection (savepoints included)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting() -> Iterator[StatementCounter]:
    from django.db import connection

    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        yield counter


def refresh_counted(feed_id: int) -> tuple[str, int, int]:
    """``feed_refresh(force=True)``; returns (outcome, new entries, SQL statements)."""
    from feeds.services import feed_refresh

    with counting() as counter:
        result = feed_refresh(feed_id=feed_id, force=True)
    return result.outcome, result.new, counter.count


def timed(work: Callable[[], list]) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds of this process, result) of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def reset_database() -> None:
    """Delete every feed and what hangs off it (bench database only)."""
    from django.db import connection

    from feeds.models import Feed, FetchLog

    if connection.vendor == "postgresql":
        tables = [Feed._meta.db_table, FetchLog._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        FetchLog.objects.all().delete()
        Feed.objects.all().delete()


def _statements(counts: list[int]) -> str:
    if not counts:
        return "-"
    return f"{min(counts)}..{max(counts)} (median {statistics.median(counts):g})"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}" if seconds > 0 else "-"


# --- parse alone and nh3 alone -------------------------------------------------------------------


def _parse_alone(data: bytes, name: str) -> object:
    import feedparser

    if name.endswith(".json"):
        try:
            return json.loads(data)
        except ValueError:
            return {}
    return feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)


def _html_fragments(parsed: object) -> list[str]:
    """Every summary/content HTML of a parse-alone result (what the pipeline sanitizes)."""
    if isinstance(parsed, dict):  # JSON Feed
        items = parsed.get("items") or []
        return [
            str(item.get(key))
            for item in items
            if isinstance(item, dict)
            for key in ("content_html", "summary")
            if item.get(key)
        ]
    fragments: list[str] = []
    for entry in parsed.entries:
        if entry.get("summary"):
            fragments.append(entry["summary"])
        fragments.extend(c.get("value", "") for c in entry.get("content", []) if c.get("value"))
    return fragments


def baseline_cpu(files: list[Path]) -> tuple[float, float]:
    """CPU seconds of feedparser (sanitizer off) alone and of nh3.clean alone on ``files``."""
    import nh3

    blobs = [(f.read_bytes(), f.name) for f in files]
    start = time.process_time()
    parsed = [_parse_alone(data, name) for data, name in blobs]
    parse_cpu = time.process_time() - start
    fragments = [html for result in parsed for html in _html_fragments(result)]
    start = time.process_time()
    for html in fragments:
        nh3.clean(html)
    return parse_cpu, time.process_time() - start


# --- corpus ------------------------------------------------------------------------------------


def corpus_rows() -> list[dict[str, str]]:
    """EXPECTED.tsv rows of feed files (HTML pages, which hold no feed, left out)."""
    with (CORPUS / "EXPECTED.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if not Path(r["file"]).name.startswith("html-")]


def corpus_bench(host) -> None:
    from feeds.models import Feed

    rows = corpus_rows()
    files = [CORPUS / r["file"] for r in rows]
    reset_database()
    feeds = [Feed.objects.create(url=host.url(f"/corpus/{f.name}")) for f in files]
    ids = [f.pk for f in feeds]

    cold_wall, cold_cpu, cold = timed(lambda: [refresh_counted(i) for i in ids])
    warm_wall, _, warm = timed(lambda: [refresh_counted(i) for i in ids])
    host.validators(False)
    try:
        same_wall, same_cpu, same = timed(lambda: [refresh_counted(i) for i in ids])
    finally:
        host.validators(True)
    parse_cpu, nh3_cpu = baseline_cpu(files)

    new = sum(r[1] for r in cold)
    outcomes = Counter(r[0] for r in cold)
    stored = _entry_counts(ids)
    exact = sum(
        1 for f, r in zip(feeds, rows, strict=True) if stored.get(f.pk) == int(r["entries"])
    )
    print(
        f"corpus: {len(ids)} feeds, {new:,} entries, {sum(f.stat().st_size for f in files):,} bytes"
    )
    print(f"  outcomes cold: {dict(outcomes)}; warm: {dict(Counter(r[0] for r in warm))}")
    print(
        f"  cold:  {cold_wall:.2f} s wall, {cold_cpu:.2f} s CPU: "
        f"{_rate(len(ids), cold_wall)} feeds/s, {_rate(new, cold_wall)} entries/s"
    )
    print(f"  warm (all 304): {warm_wall:.2f} s wall: {_rate(len(ids), warm_wall)} feeds/s")
    print(f"  changed, nothing new (all 200): {same_wall:.2f} s wall, {same_cpu:.2f} s CPU")
    print(
        f"  feedparser alone (sanitizer off): {parse_cpu:.2f} s CPU; nh3 alone: {nh3_cpu:.2f} s CPU"
    )
    print(
        f"  pipeline CPU / parse alone: {cold_cpu / parse_cpu:.2f}x; / nh3 alone: "
        f"{cold_cpu / nh3_cpu:.2f}x; / (parse + nh3): {cold_cpu / (parse_cpu + nh3_cpu):.2f}x "
        "(target <= 1.5x)"
    )
    print(f"  changed-nothing-new CPU / parse alone: {same_cpu / parse_cpu:.2f}x (target <= 1.2x)")
    print(
        f"  SQL statements per refresh: new {_statements([r[2] for r in cold])}, "
        f"unchanged 200 {_statements([r[2] for r in same])}, "
        f"304 {_statements([r[2] for r in warm])}"
    )
    print(f"  entry count as in EXPECTED.tsv: {exact} of {len(ids)} feeds")


def _entry_counts(ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    from feeds.models import Feed

    return dict(Feed.objects.filter(pk__in=ids).annotate(n=Count("entries")).values_list("pk", "n"))


# --- synthetic ---------------------------------------------------------------------------------


def synthetic_files() -> list[Path]:
    """The 1,000 synthetic feeds, generated once into var/bench/synthetic (deterministic)."""
    last = SYNTHETIC_DIR / f"feed{SYNTHETIC_FEEDS - 1:04d}.xml"
    if not last.exists():
        print(f"generating {SYNTHETIC_FEEDS} x {SYNTHETIC_ENTRIES} synthetic feeds...", flush=True)
        subprocess.run(
            [sys.executable, str(SYNTHETIC_SCRIPT), str(SYNTHETIC_DIR),
             "--feeds", str(SYNTHETIC_FEEDS), "--entries", str(SYNTHETIC_ENTRIES)],
            check=True,
        )  # fmt: skip
    return sorted(SYNTHETIC_DIR.glob("feed*.xml"))[:SYNTHETIC_FEEDS]


def _worker_init() -> None:
    from django.db import connections

    connections.close_all()  # nothing inherited is open (the parent closed first)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_workers(ids: list[int]) -> tuple[float, float, list[tuple[str, int, int]]]:
    """Refresh ``ids`` with WORKERS forked processes.

    Returns (wall seconds, CPU seconds of the worker processes, per-feed results).
    """
    from django.db import connections

    connections.close_all()  # never share a database socket with a child
    context = multiprocessing.get_context("fork")
    start, cpu = time.perf_counter(), _children_cpu()
    pool = context.Pool(WORKERS, initializer=_worker_init)
    try:
        results = list(pool.imap_unordered(refresh_counted, ids, chunksize=4))
    finally:
        pool.close()
        pool.join()  # reaped children count in RUSAGE_CHILDREN
    return time.perf_counter() - start, _children_cpu() - cpu, results


def synthetic_bench(host) -> None:
    from feeds.models import Feed

    files = synthetic_files()
    reset_database()
    feeds = Feed.objects.bulk_create(
        [Feed(url=host.url(f"/synthetic/{f.name}")) for f in files], batch_size=500
    )
    ids = [f.pk for f in feeds]
    cold_wall, cold_cpu, cold = in_workers(ids)
    warm_wall, warm_cpu, warm = in_workers(ids)
    new = sum(r[1] for r in cold)
    size = sum(f.stat().st_size for f in files)
    print(
        f"synthetic: {len(ids)} feeds x {SYNTHETIC_ENTRIES} entries, {size / 1e6:.0f} MB, "
        f"{WORKERS} worker processes"
    )
    print(
        f"  outcomes cold: {dict(Counter(r[0] for r in cold))}; "
        f"warm: {dict(Counter(r[0] for r in warm))}"
    )
    print(
        f"  cold:  {cold_wall:.1f} s ({_rate(len(ids), cold_wall)} feeds/s, "
        f"{_rate(new, cold_wall)} entries/s); "
        f"FreshRSS {FRESHRSS_COLD} s: {FRESHRSS_COLD / cold_wall:.1f}x faster (target < 60 s); "
        f"workers' CPU {cold_cpu:.1f} s"
    )
    print(
        f"  warm (all 304): {warm_wall:.2f} s ({_rate(len(ids), warm_wall)} feeds/s); "
        f"FreshRSS {FRESHRSS_WARM} s: {FRESHRSS_WARM / warm_wall:.1f}x faster (target < 4.5 s); "
        f"workers' CPU {warm_cpu:.1f} s"
    )
    print(
        f"  SQL statements per refresh: new {_statements([r[2] for r in cold])}, "
        f"304 {_statements([r[2] for r in warm])}"
    )


def main() -> None:
    """Print the pipeline figures (corpus, then synthetic)."""
    description = env.setup(fresh=True)
    from django.db import connection

    from bench.feedhost import FeedHost

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"database: {connection.vendor} ({description}); {multiprocessing.cpu_count()} CPUs, "
        f"load average {load} (wall-clock figures are only as good as an idle machine)"
    )
    folders = {"/corpus/": CORPUS / "feeds", "/synthetic/": SYNTHETIC_DIR}
    SYNTHETIC_DIR.mkdir(parents=True, exist_ok=True)
    with FeedHost(folders) as host:
        if CORPUS.is_dir():
            corpus_bench(host)
        else:
            print(f"corpus: {CORPUS} absent, skipped")
        if SYNTHETIC_SCRIPT.exists():
            synthetic_bench(host)
        else:
            print(f"synthetic: {SYNTHETIC_SCRIPT} absent, skipped")


if __name__ == "__main__":
    main()
