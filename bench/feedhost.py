"""A static feed server for benchmarks, in its own process so its CPU is not counted as ours.

Serves the files of some folders on 127.0.0.1 like a plain web server would (feeds, and the
images and audio of ``bench.media``; nginx defaults: no compression): ``ETag`` and
``Last-Modified`` from the file's size and mtime, ``304 Not Modified`` for a matching
``If-None-Match`` or ``If-Modified-Since``, HTTP/1.1 keep-alive. ``POST /_validators/off`` makes
it ignore conditional headers (every answer a 200 with the same body: a feed
that "changed" without new entries); ``POST /_validators/on`` restores them.

Usage::

    with FeedHost({"/corpus/": corpus_dir, "/synthetic/": out_dir}) as host:
        host.url("/corpus/atom-qemu-project.xml")
"""

from __future__ import annotations

import multiprocessing
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# By file suffix; anything else is served as a feed (application/xml).
CONTENT_TYPES = {".json": "application/json", ".png": "image/png", ".mp3": "audio/mpeg"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    folders: dict[str, Path] = {}
    validators = {"on": True}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        if self.path in ("/_validators/on", "/_validators/off"):
            self.validators["on"] = self.path.endswith("/on")
            self._send(204, {}, b"")
        else:
            self._send(404, {}, b"")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        file = self._file(path)
        if file is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
            return
        stat = file.stat()
        headers = {
            "Content-Type": CONTENT_TYPES.get(file.suffix, "application/xml"),
            "ETag": f'"{stat.st_size:x}-{int(stat.st_mtime):x}"',
            "Last-Modified": formatdate(int(stat.st_mtime), usegmt=True),
        }
        if self.validators["on"] and self._not_modified(headers):
            self._send(304, headers, b"")
            return
        self._send(200, headers, file.read_bytes())

    def _file(self, path: str) -> Path | None:
        for prefix, folder in self.folders.items():
            if path.startswith(prefix):
                candidate = (folder / path[len(prefix) :]).resolve()
                if candidate.parent == folder and candidate.is_file():
                    return candidate
        return None

    def _not_modified(self, headers: dict[str, str]) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return headers["ETag"] in [t.strip() for t in if_none_match.split(",")]
        return self.headers.get("If-Modified-Since") == headers["Last-Modified"]

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response_only(status)
        self.send_header("Date", formatdate(usegmt=True))
        for name, value in headers.items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status not in (204, 304):
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def _serve(folders: dict[str, str], ready) -> None:
    _Handler.folders = {prefix: Path(folder).resolve() for prefix, folder in folders.items()}
    server = _Server(("127.0.0.1", 0), _Handler)
    ready.put(server.server_address[1])
    server.serve_forever(poll_interval=0.1)


class FeedHost:
    """The server process. ``folders`` maps URL prefixes ("/corpus/") to folders."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = {prefix: str(folder) for prefix, folder in folders.items()}
        self.port = 0
        self._process = None

    def __enter__(self) -> FeedHost:
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        self._process = context.Process(target=_serve, args=(self.folders, ready), daemon=True)
        self._process.start()
        self.port = ready.get(timeout=30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(10)

    def url(self, path: str) -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def validators(self, on: bool) -> None:
        """Answer conditional requests with 304 (on) or always with 200 (off)."""
        request = urllib.request.Request(  # noqa: S310 (loopback URL built here)
            self.url(f"/_validators/{'on' if on else 'off'}"), method="POST", data=b""
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass
