"""How fast the practice panel answers in a real browser, next to `grade submit` on the same file.

    python benchmarks/practice.py [--runs 20] [--exercise EXERCISE]

Builds a practising site (``grade site --practice`` on the sample class), serves it on 127.0.0.1
and opens the page of the course's largest exercise (most nodes) in Debian's headless Chromium
through Playwright, with an empty browser cache. It prints:

- the first check after opening the page, Pyodide's download and start included (goal: 5 s);
- the same after a reload, with the browser's cache warm;
- the median of later checks on that page (goal: 200 ms);
- in the same run, the median `grade submit` of the same file (a fresh isolated process each
  time), and the ratio of a later check to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("GRADE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def largest_exercise() -> str:
    from grader.exercise.loader import find_exercise

    ids = [p.stem for p in sorted((ROOT / "solutions").glob("*.py"))]
    return max(ids, key=lambda i: (len(find_exercise(i, ROOT / "exercises").built.nodes), i))


def site(workdir: Path) -> Path:
    from grader.classroom import batch
    from grader.site import data

    batch.run_sample(workdir)
    data.build(workdir / "grades.db", workdir / "site", lang="en", practice=True)
    return workdir / "site"


def grade_submit_ms(path: Path, runs: int) -> float:
    cmd = [sys.executable, "-m", "grader.cli", "submit", str(path)]
    env = {**os.environ, "NO_COLOR": "1"}
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--exercise", default=None, help="default: the course's largest exercise")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from grader.site.serve import server

    exercise = args.exercise or largest_exercise()
    solution = ROOT / "solutions" / f"{exercise}.py"
    source = solution.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        folder = site(Path(tmp))
        httpd = server(folder, port=0)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/exercises/{exercise}.html"
        timed_check = (
            "async (s) => { const t = performance.now(); await gradePractice.check(s); return performance.now() - t; }"
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.evaluate("(s) => gradePractice.check(s)", source)
            first = (time.perf_counter() - start) * 1000
            later = [page.evaluate(timed_check, source) for _ in range(args.runs)]
            start = time.perf_counter()
            page.reload()
            page.evaluate("(s) => gradePractice.check(s)", source)
            cached = (time.perf_counter() - start) * 1000
            browser.close()
        httpd.shutdown()
    cli = grade_submit_ms(solution, max(5, args.runs // 2))
    median = statistics.median(later)
    print(f"exercise: {exercise} (the course's largest)" if args.exercise is None else f"exercise: {exercise}")
    print(f"first check after opening the page (empty cache): {first:8.0f} ms   (goal: 5000 ms)")
    print(f"first check after a reload (browser cache warm):  {cached:8.0f} ms")
    print(f"later checks: median {median:6.1f} ms, max {max(later):6.1f} ms over {args.runs}   (goal: 200 ms)")
    print(f"`grade submit` of the same file, same run: median {cli:6.1f} ms")
    print(f"ratio: a later check takes {median / cli:.2f}x a `grade submit`")


if __name__ == "__main__":
    main()
