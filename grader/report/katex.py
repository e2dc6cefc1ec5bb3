"""TeX to KaTeX HTML at build time, so that math reads right with JavaScript off.

The vendored ``katex.min.js`` (the same file the pages would load) runs in one Node.js process for the
whole build, started on the first formula and fed one JSON line per formula; each answer is cached.
Measured on the 2-core machine: Node starts and loads KaTeX in about 0.15 s, then a formula costs
about half a millisecond, and the HTML is byte-identical to what the browser's KaTeX makes.

Why Node and not a JS engine inside Python: ``quickjs`` (no release since 2023) or ``mini-racer``
(82 MB) would be a new dependency for every install, while Node is already on the course's machines
for the browser tests, and a site built where it is missing stays correct: ``render`` returns None,
the formula stays a ``<span class="math">`` with its TeX, and only those pages load KaTeX's script to
render it in the browser (``theme.math_assets``). ``GRADE_KATEX=browser`` forces that fallback.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import threading
import time

from grader.exercise import shipped

_SCRIPT = r"""
globalThis.self = globalThis;
const katex = require(process.argv[1]);
const lines = require("readline").createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let out;
  try {
    const q = JSON.parse(line);
    const options = { displayMode: !!q.display, throwOnError: true, output: "htmlAndMathml" };
    out = { html: katex.renderToString(q.tex, options) };
  } catch (e) {
    out = { error: String((e && e.message) || e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
"""


class _Node:
    """One Node.js process rendering formulas on request; None once it cannot (then the browser renders)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.failed = False
        self.lock = threading.Lock()

    def start(self) -> bool:
        if self.proc is not None:
            return True
        node = _node_path()
        script = shipped.site_dir() / "static" / "vendor" / "katex" / "katex.min.js"
        if self.failed or node is None or not script.is_file():
            self.failed = True
            return False
        try:
            self.proc = subprocess.Popen(
                [node, "-e", _SCRIPT, str(script)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError:
            self.failed = True
            return False
        atexit.register(self.stop)
        return True

    def ask(self, tex: str, display: bool) -> str | None:
        with self.lock:
            if not self.start():
                return None
            try:
                self.proc.stdin.write(json.dumps({"tex": tex, "display": display}) + "\n")
                self.proc.stdin.flush()
                answer = json.loads(self.proc.stdout.readline())
            except (OSError, ValueError):
                self.stop()
                self.failed = True
                return None
            return answer.get("html")  # a TeX error: None, and the browser shows KaTeX's own message

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
            self.proc = None


_NODE = _Node()
_CACHE: dict[tuple[str, bool], str | None] = {}
STATS = {"formulas": 0, "seconds": 0.0}  # distinct formulas sent to Node, and the time spent on them (benchmarks)


def render(tex: str, display: bool = False) -> str | None:
    """KaTeX's HTML (with hidden MathML for screen readers) for one formula, or None where Node is missing."""
    if os.environ.get("GRADE_KATEX") == "browser":
        return None
    key = (tex, display)
    if key not in _CACHE:
        if len(_CACHE) > 8192:
            _CACHE.clear()
        started = time.perf_counter()
        _CACHE[key] = _NODE.ask(tex, display)
        STATS["formulas"] += 1
        STATS["seconds"] += time.perf_counter() - started
    return _CACHE[key]


def mode() -> str:
    """``node`` when formulas will be rendered at build time, else ``browser`` (without starting Node)."""
    if _NODE.failed or os.environ.get("GRADE_KATEX") == "browser" or _node_path() is None:
        return "browser"
    return "node"


@functools.cache
def _node_path() -> str | None:
    return shutil.which("node")
