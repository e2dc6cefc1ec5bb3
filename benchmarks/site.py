"""How long `grade site` takes for a class, next to rendering the same pages' templates alone, same run.

    .venv/bin/python benchmarks/site.py [--students 400] [--keep DIR]

A synthetic gradebook: every student has an attempt at each of the course's exercises, its verdict
taken in turn from the fixed class of tests/site/fixtures/verdicts.jsonl (correct, each classic
mistake, syntax errors, forbidden imports, timeouts, a hostile output), a quarter of the students
with a second attempt, some late. Then, in one process:

1. a cold build into an empty folder (gather + render + write), timed as a whole;
2. the same pages' templates rendered alone from contexts built beforehand (jinja2 only);
3. a rebuild with nothing new: how many pages are rendered and written (goal: none);
4. a rebuild after one new submission: how many pages are written (goal: that student's report
   and the dashboard).

Goal: the cold build under 10 s for 400 students on the 2-core machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import __version__  # noqa: E402
from grader.classroom.batch import secret_id  # noqa: E402
from grader.classroom.gradebook import Gradebook, Key, rows_of  # noqa: E402
from grader.exercise.loader import find_exercise  # noqa: E402
from grader.report import katex  # noqa: E402
from grader.report import theme as site  # noqa: E402
from grader.site import data as site_data  # noqa: E402

SECRET = "benchmark-secret-0123456789abcdefghij"
EXERCISES = ROOT / "exercises"
COURSE = {
    "name": "benchmark",
    "policy": "best",
    "timezone": "Asia/Seoul",
    "deadline": "2026-03-13T23:59:59+09:00",
    "late": {"penalty_per_day": 0.1, "cap": 0.5},
}


def make_class(db: Path, students: int) -> int:
    rows = [json.loads(x) for x in (ROOT / "tests/site/fixtures/verdicts.jsonl").read_text("utf-8").splitlines()]
    by_item: dict[str, list[dict]] = {}
    for r in rows:
        if r["verdict"].get("kind") != "quiz":  # the course's exercises (quizzes have no diagram)
            by_item.setdefault(r["item"], []).append(r)
    digests = {item: find_exercise(item, EXERCISES).digest for item in by_item}
    sid = secret_id(SECRET)
    n = 0
    with Gradebook(db) as gb:
        gb.set_meta("secret_id", sid)
        gb.set_meta("course", json.dumps(COURSE))
        for s in range(students):
            student = f"b{s:05d}"
            for item, pool in sorted(by_item.items()):
                tries = 2 if s % 4 == 0 else 1
                for t in range(tries):
                    src = pool[(s + 3 * t) % len(pool)]
                    day = 10 + (s + t) % 6  # some after the 13th: late
                    n += _record(
                        gb,
                        sid,
                        student,
                        item,
                        src["verdict"],
                        digests[item],
                        f"2026-03-{day:02d}T{10 + t:02d}:00:00+09:00",
                        f"{s}-{t}",
                    )
    return n


def _record(gb, sid, student, item, verdict, digest, when, salt) -> int:
    verdict = {**verdict, "student": student}
    text = json.dumps(verdict, ensure_ascii=False)
    tasks, checks = rows_of(verdict)
    sha = hashlib.sha256((salt + text).encode()).hexdigest()
    gb.record(
        Key(student, item, sha, digest, __version__, sid),
        kind="exercise",
        size=len(text),
        filename=f"{item}.py",
        submitted_at=when,
        time_source="manifest",
        verdict_json=text,
        status=verdict["status"],
        score=verdict["score"],
        max_score=verdict["max_score"],
        error_kind=(verdict.get("error") or {}).get("kind"),
        tasks=tasks,
        checks=checks,
        seconds=0.0,
        batch_id=None,
    )
    return 1


def templates_alone(db: Path, out: Path) -> tuple[float, float, int]:
    """Build every page's context first (not timed here), then time jinja2's rendering of them all."""
    contexts: list = []
    real = site.write_pages
    timing = {}

    def keep(pages, *a, **k):  # called while the gradebook is open
        t0 = time.perf_counter()
        contexts.extend((p, p.context()) for p in pages)  # reads verdicts, draws diagrams: gather work
        timing["gather"] = time.perf_counter() - t0
        return site.BuildReport(out)

    site_data.site.write_pages = keep
    try:
        site_data.build(db, out, lang="ko", exercises_dir=EXERCISES)
        gather = timing["gather"]
    finally:
        site_data.site.write_pages = real
    env = site.environment()
    t0, c0 = time.perf_counter(), time.process_time()
    size = 0
    for page, context in contexts:
        context.setdefault("root", site.root_of(page.path))
        size += len(env.get_template(page.template).render(**context))
    return time.perf_counter() - t0, time.process_time() - c0, gather, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=400)
    ap.add_argument("--keep", type=Path, help="build here and keep it (default: a temporary folder)")
    args = ap.parse_args()
    os.environ["GRADE_SECRET"] = SECRET
    work = Path(tempfile.mkdtemp(prefix="site-bench-"))
    db = work / "grades.db"
    t0 = time.perf_counter()
    attempts = make_class(db, args.students)
    print(
        f"class: {args.students} students x 8 exercises, {attempts} attempts stored in "
        f"{time.perf_counter() - t0:.1f} s (setup, not measured)"
    )
    out = args.keep or work / "site"
    shutil.rmtree(out, ignore_errors=True)

    t0, c0 = time.perf_counter(), time.process_time()
    cold = site_data.build(db, out, lang="ko", exercises_dir=EXERCISES)
    cold_s, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"cold build:        {cold_s:6.2f} s  (CPU {cold_cpu:.2f} s)  {cold.pages} pages, {len(cold.written)} written, "
        f"{size / 1e6:.1f} MB; rendering inside it {cold.render_seconds:.2f} s; peak memory "
        f"{peak / 1e6:.0f} MB (process peak RSS)"
    )
    katex._NODE.stop()  # so that its CPU time is counted below
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"math at build time: {katex.STATS['formulas']} distinct formulas rendered by KaTeX ({katex.mode()}), "
        f"{katex.STATS['seconds']:.2f} s of the build's clock; Node's own CPU "
        f"{children.ru_utime + children.ru_stime:.2f} s"
    )

    render_s, render_cpu, gather_s, chars = templates_alone(db, work / "scratch")
    print(
        f"templates alone:   {render_s:6.2f} s  (CPU {render_cpu:.2f} s)  same {cold.pages} pages, "
        f"{chars / 1e6:.1f} M characters; their contexts took {gather_s:.2f} s to build"
    )
    print(
        f"ratio build / templates alone: {cold_s / render_s:.2f} (CPU: {cold_cpu / render_cpu:.2f}); "
        f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    t0, c0 = time.perf_counter(), time.process_time()
    again = site_data.build(db, out, lang="ko", exercises_dir=EXERCISES)
    print(
        f"rebuild, no change:{time.perf_counter() - t0:6.2f} s  (CPU {time.process_time() - c0:.2f} s)  "
        f"rendered {again.rendered}, written {len(again.written)}"
    )

    rows = [json.loads(x) for x in (ROOT / "tests/site/fixtures/verdicts.jsonl").read_text("utf-8").splitlines()]
    full = next(r for r in rows if r["item"] == "exercise03" and r["verdict"]["score"] == r["verdict"]["max_score"])
    pool = [r for r in rows if r["item"] == "exercise03"]
    who = next(s for s in range(args.students) if s % 4 and pool[s % len(pool)]["verdict"]["score"] < 6)
    with Gradebook(db) as gb:  # a student below full marks hands in a correct file
        _record(
            gb,
            secret_id(SECRET),
            f"b{who:05d}",
            "exercise03",
            full["verdict"],
            find_exercise("exercise03", EXERCISES).digest,
            "2026-03-12T23:00:00+09:00",
            "new",
        )
    t0, c0 = time.perf_counter(), time.process_time()
    one = site_data.build(db, out, lang="ko", exercises_dir=EXERCISES)
    print(
        f"rebuild, one new:  {time.perf_counter() - t0:6.2f} s  (CPU {time.process_time() - c0:.2f} s)  "
        f"rendered {one.rendered}, written "
        f"{len(one.written)}: {', '.join(sorted(one.written))}"
    )
    goal = "met" if cold_s < 10 else f"MISSED on the clock (load average {os.getloadavg()[0]:.1f})"
    print(f"goal (cold build < 10 s for 400 students): {goal}; the build's own CPU time {cold_cpu:.2f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
