"""The media proxy's throughput: ``python -m bench media`` (or ``python -m bench.media``).

A loopback "publisher" (``bench.feedhost``, its own process) serves 100 images of about
24 KB and one 32 MiB audio file; Tidings runs under gunicorn (sync workers, DEBUG off) as in
``bench.api``. In the same run, with the same clients, it measures:

- images per second (and MB/s) fetched **directly** from the publisher, the baseline: static
  serving, what a browser would get without the proxy;
- images per second through **the proxy** (``/media/<signature>/<address>``: signature check,
  guarded fetch, streamed answer), and their ratio;
- the time to stream the 32 MiB file directly and through the proxy (MB/s).

Each request is a new connection, as in ``bench.api``. ``--seconds`` (default 8) sizes each
images run, ``--clients`` (default 4) the concurrent clients, ``--workers`` gunicorn's
workers (default: 2 per CPU, at most 8). The proxy needs no database rows.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import threading
import time
from urllib.parse import urlsplit

IMAGES = 100
IMAGE_BYTES = 24 * 1024
BIG_BYTES = 32 * 1024 * 1024


def _write_files(folder) -> None:
    """The publisher's files: ``img-NNN.png`` and ``episode.mp3`` (random bytes, fixed seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    for index in range(IMAGES):
        path = folder / f"img-{index:03d}.png"
        if not path.exists():
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(IMAGE_BYTES - 8))
    big = folder / "episode.mp3"
    if not big.exists() or big.stat().st_size != BIG_BYTES:
        big.write_bytes(b"ID3" + bytes(BIG_BYTES - 3))


def _get(url: str) -> int:
    """GET ``url`` on a new connection; returns the body size (RuntimeError unless 200)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        size = 0
        while chunk := response.read(256 * 1024):
            size += len(chunk)
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")
        return size
    finally:
        conn.close()


def images_per_second(urls: list[str], seconds: float, clients: int) -> dict:
    """``clients`` threads fetching ``urls`` at random for ``seconds``: images/s, MB/s, errors."""
    stop_at = time.monotonic() + seconds
    counts, sizes, errors = [0] * clients, [0] * clients, [0] * clients

    def loop(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            try:
                sizes[index] += _get(rng.choice(urls))
                counts[index] += 1
            except (OSError, RuntimeError):
                errors[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "ips": sum(counts) / elapsed,
        "mbs": sum(sizes) / elapsed / 1e6,
        "count": sum(counts),
        "errors": sum(errors),
    }


def stream_seconds(url: str) -> tuple[float, int]:
    """Seconds to GET ``url`` whole, and its size."""
    started = time.perf_counter()
    size = _get(url)
    return time.perf_counter() - started, size


def main(argv: list[str] | None = None) -> None:
    """Start the publisher and gunicorn, measure direct and proxied fetches, print, stop."""
    parser = argparse.ArgumentParser(prog="bench.media", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each images run")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    default_workers = min(8, 2 * (os.cpu_count() or 1))
    parser.add_argument("--workers", type=int, default=default_workers, help="gunicorn workers")
    args = parser.parse_args(list(argv if argv is not None else []))
    from bench import env

    description = env.setup()
    from django.db import connection

    from bench.api import _free_port, _start_server, _stop
    from bench.feedhost import FeedHost
    from feeds.media_proxy import media_path

    connection.close()
    folder = env.VAR / "media"
    _write_files(folder)
    port = _free_port()
    print(
        f"   database: {description}; gunicorn: {args.workers} sync workers; "
        f"{args.clients} clients; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with FeedHost({"/media-files/": folder}) as host:
        direct = [host.url(f"/media-files/img-{i:03d}.png") for i in range(IMAGES)]
        tidings = f"http://127.0.0.1:{port}"
        proxied = [tidings + media_path(url) for url in direct]
        server = _start_server(port, args.workers)
        try:
            for url in proxied[:8]:  # warm-up: each worker's first request
                _get(url)
            base = images_per_second(direct, args.seconds, args.clients)
            through = images_per_second(proxied, args.seconds, args.clients)
            print(
                f"   images of {IMAGE_BYTES // 1024} KB, direct static serving: "
                f"{base['ips']:.0f} images/s ({base['mbs']:.1f} MB/s, {base['errors']} errors)",
                flush=True,
            )
            print(
                f"   images through the media proxy: {through['ips']:.0f} images/s "
                f"({through['mbs']:.1f} MB/s, {through['errors']} errors), "
                f"{through['ips'] / max(base['ips'], 1e-9):.2f} x direct",
                flush=True,
            )
            big = host.url("/media-files/episode.mp3")
            direct_s, size = stream_seconds(big)
            proxy_s, proxied_size = stream_seconds(tidings + media_path(big))
            assert proxied_size == size, (proxied_size, size)
            print(
                f"   one {size // 1048576} MiB file: direct {size / direct_s / 1e6:.0f} MB/s, "
                f"through the proxy {size / proxy_s / 1e6:.0f} MB/s",
                flush=True,
            )
        finally:
            _stop(server)


if __name__ == "__main__":
    main(sys.argv[1:])
