"""`grade site` and `grade submit --html` as a user runs them."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from .conftest import HERE, SECRET

ROOT = HERE.parents[1]
GRADE = Path(sys.executable).with_name("grade")


def grade(*args, cwd: Path, secret: str | None = SECRET) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GRADE_SECRET"}
    if secret:
        env["GRADE_SECRET"] = secret
    env["GRADE_EXERCISES"] = str(ROOT / "exercises")
    return subprocess.run([str(GRADE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_grade_site(book, tmp_path):
    run = grade(
        "site",
        "--db",
        str(book),
        "--out",
        "public",
        "--students-only",
        "--lang",
        "ko",
        "--links",
        "links.csv",
        "--base-url",
        "https://example.org/fb/",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == (tmp_path / "public" / "index.html").resolve().as_uri()
    assert "pages:" in run.stderr and "wrote links.csv" in run.stderr
    rows = list(csv.DictReader((tmp_path / "links.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 14 and all(r["report"].startswith("https://example.org/fb/r/") for r in rows)
    assert not (tmp_path / "public" / "dashboard.html").exists()


def test_grade_site_needs_the_secret_and_a_gradebook(book, tmp_path):
    run = grade("site", "--db", str(book), cwd=tmp_path, secret=None)
    assert run.returncode == 2 and "secret" in run.stderr
    run = grade("site", "--db", "missing.db", cwd=tmp_path)
    assert run.returncode == 2 and "no gradebook" in run.stderr


def test_submit_html(tmp_path):
    source = (ROOT / "examples" / "class" / "s2026005" / "exercise03.py").read_text(encoding="utf-8")
    (tmp_path / "exercise03.py").write_text(source, encoding="utf-8")
    run = grade("submit", "exercise03.py", "--html", "out/report.html", "--lang", "ko", cwd=tmp_path, secret=None)
    assert run.returncode == 1  # below full marks
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "wrote out/report.html" in run.stderr
    assert text.startswith("<!DOCTYPE html>") and 'data-lang="ko"' in text and "상류 기울기를 곱하지 않음" in text
    assert "katex.min.js" not in text or 'class="math inline"' in text  # KaTeX's script only for math left to it
