"""``make run`` announces "serving after N s" when a page is answered, not when the port opens."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reader.management.commands.run_all import web_answers


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_server_answering_http_counts_as_serving():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert web_answers("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_that_accepts_but_does_not_speak_http_is_not_serving_yet():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def accept_and_close():
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.close()  # connection accepted, no HTTP answer (a server still loading closes)

    threading.Thread(target=accept_and_close, daemon=True).start()
    try:
        assert not web_answers("127.0.0.1", listener.getsockname()[1])
    finally:
        listener.close()


def test_a_closed_port_is_not_serving():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    assert not web_answers("127.0.0.1", port)
