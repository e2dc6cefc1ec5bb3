"""``grade site --serve``: the built site on http://127.0.0.1, for browsers that will not run the
practice panel's WebAssembly in a page opened from ``file://``. Loopback only; static files only."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass  # a student's browser fetching pages is not news


def server(folder: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for ``folder`` on 127.0.0.1 (port 0: any free port); call ``serve_forever`` on it."""
    handler = functools.partial(_Handler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
