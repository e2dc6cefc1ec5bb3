"""Helpers for batch tests: small classes on disk, the batch run in-process or as `grade batch`, and a
gradebook consistency check (every submission once, no half-written result)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
SECRET = "tests-batch-secret-0123456789abcdef"

# Cheap exercises (few tasks, few calls): the batch tests grade dozens of files many times.
CHEAP = ("exercise04", "exercise05", "exercise08")


def solution(item: str) -> str:
    return (SOLUTIONS / f"{item}.py").read_text(encoding="utf-8")


def wrong(item: str) -> str:
    """The solution with every returned number's sign flipped in its first function (a classic mistake)."""
    import ast

    tree = ast.parse(solution(item))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.DictComp):
                value.value = ast.UnaryOp(ast.USub(), value.value)
            else:
                node.value = ast.UnaryOp(ast.USub(), value)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def write_class(folder: Path, files: dict[tuple[str, str], str | bytes], manifest: list[tuple] | None = None) -> Path:
    """``files``: (student, file name) -> text or bytes; ``manifest``: (student, item, iso time) rows."""
    for (student, name), content in files.items():
        path = folder / student / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if manifest is not None:
        lines = ["student,item,submitted_at", *(",".join(row) for row in manifest)]
        (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def mixed_class(folder: Path, students: int, items=CHEAP) -> Path:
    """A class where every third file is wrong and the rest are right; each file distinct."""
    files = {}
    for s in range(students):
        for i, item in enumerate(items):
            body = wrong(item) if (s + i) % 3 == 0 else solution(item)
            files[(f"s{s:03d}", f"{item}.py")] = f"# student s{s:03d}\n{body}"
    return write_class(folder, files)


def batch_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_SECRET", "GRADE_EXERCISES")}
    return {**env, "GRADE_SECRET": SECRET, "NO_COLOR": "1", **extra}


def grade_cmd(folder: Path, db: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "grader.cli",
        "batch",
        str(folder),
        "--db",
        str(db),
        "--exercises",
        str(EXERCISES),
        "--json",
        "--quiet",
        *args,
    ]


def run_grade(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env or batch_env(), capture_output=True, text=True, timeout=timeout)


def summary_of(proc: subprocess.CompletedProcess) -> dict:
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def check_gradebook(db: Path) -> dict[tuple[str, str], int]:
    """Every stored result is whole, and no file was graded twice; returns (student, item) -> results."""
    if not db.exists():
        return {}
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        orphans = con.execute(
            "SELECT COUNT(*) FROM submissions s WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.submission_id = s.id)"
        ).fetchone()[0]
        assert orphans == 0, "a submission row without its result: half a write"
        dupes = con.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM results GROUP BY submission_id, exercise_digest, "
            "grader_version, secret_id HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0
        for result_id, verdict in con.execute("SELECT id, verdict FROM results"):
            data = json.loads(verdict)
            tasks = data.get("tasks") or []
            stored_tasks = con.execute("SELECT COUNT(*) FROM tasks WHERE result_id = ?", (result_id,)).fetchone()[0]
            stored_checks = con.execute("SELECT COUNT(*) FROM checks WHERE result_id = ?", (result_id,)).fetchone()[0]
            assert stored_tasks == len(tasks), f"result {result_id}: tasks cut short"
            assert stored_checks == sum(len(t.get("checks") or []) for t in tasks), (
                f"result {result_id}: checks cut short"
            )
        return {
            (s, i): n
            for s, i, n in con.execute(
                "SELECT s.student, s.item, COUNT(r.id) FROM submissions s JOIN results r ON r.submission_id = s.id "
                "GROUP BY s.student, s.item"
            )
        }
    finally:
        con.close()


def count_results(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0  # not created yet
