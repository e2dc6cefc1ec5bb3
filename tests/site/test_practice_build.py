"""``grade site --practice``: what it adds to the site, what it leaves out, and that nothing secret goes in."""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from .conftest import HERE, SECRET

ROOT = HERE.parents[1]
LIMIT_MB = 15


@pytest.fixture(scope="module")
def practising(book, secret_env, tmp_path_factory):
    from grader.site import data as site_data

    out = tmp_path_factory.mktemp("practice-site")
    site_data.build(book, out, lang="en", exercises_dir=ROOT / "exercises", practice=True)
    return out


def practice_files(site: Path) -> list[Path]:
    folders = [
        site / "static" / "practice",
        site / "static" / "vendor" / "pyodide",
        site / "static" / "vendor" / "codemirror",
    ]
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    return files + [site / "static" / name for name in ("practice.js", "practice-worker.js", "practice.css")]


def test_every_exercise_page_gets_a_panel_and_its_exercise(practising):
    pages = sorted((practising / "exercises").glob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert 'id="practice"' in html and "static/practice.js" in html
        assert "wasm-unsafe-eval" in html  # the page may compile Pyodide, from its own folder only
        config = json.loads(re.search(r'id="practice-config">(.*?)</script>', html, re.S).group(1))
        assert config["exercise"] == page.stem
        assert "def " in config["stub"]["ko"] and "def " in config["stub"]["en"]
        assert (practising / "static" / "practice" / "exercises" / f"{page.stem}.json").is_file()


def test_what_practice_adds_stays_within_the_size_budget(practising):
    total = sum(p.stat().st_size for p in practice_files(practising))
    assert total < LIMIT_MB * 1e6, f"{total / 1e6:.1f} MB"


def test_pages_that_do_not_practise_load_nothing_of_it(practising, built):
    for page in [practising / "index.html", practising / "dashboard.html", *(practising / "r").glob("*.html")]:
        assert "practice" not in page.read_text(encoding="utf-8"), page.name
    site, _ = built  # the same class without --practice
    assert not (site / "static" / "vendor" / "pyodide").exists()
    assert not (site / "static" / "practice").exists()
    assert 'id="practice"' not in (site / "exercises" / "exercise03.html").read_text(encoding="utf-8")


def test_turning_practice_off_removes_its_files(book, secret_env, tmp_path):
    from grader.site import data as site_data

    site_data.build(book, tmp_path, lang="en", exercises_dir=ROOT / "exercises", practice=True)
    assert (tmp_path / "static" / "vendor" / "pyodide" / "pyodide.asm.wasm").is_file()
    site_data.build(book, tmp_path, lang="en", exercises_dir=ROOT / "exercises", practice=False)
    assert not (tmp_path / "static" / "vendor" / "pyodide" / "pyodide.asm.wasm").exists()
    assert not (tmp_path / "static" / "practice" / "grader.zip").exists()


def _bodies(solution: Path) -> list[str]:
    """The body of each task function of a reference solution, as its source lines (comments and blank
    lines dropped). Helpers are left out: a stable sigmoid is the reference engine's own, which every
    student has (the package is theirs) and which the site's engine needs."""
    from grader.exercise.loader import find_exercise

    tasks = {t.function for t in find_exercise(solution.stem, ROOT / "exercises").tasks}
    source = solution.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name in tasks:
            body = [ln.strip() for ln in lines[node.body[0].lineno - 1 : node.end_lineno]]
            body = [ln for ln in body if ln and not ln.startswith("#") and not ln.startswith(('"""', "'''"))]
            if body and body != ["raise NotImplementedError"]:
                out.append("\n".join(body))
    return out


def _texts(site: Path) -> dict[str, str]:
    """Every file of the site as text, the grader's zip opened."""
    texts = {}
    for p in site.rglob("*"):
        if not p.is_file() or p.suffix in (".wasm", ".woff2", ".woff", ".ttf"):
            continue
        if p.suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(p.read_bytes())) as zf:
                for name in zf.namelist():
                    texts[f"{p.name}:{name}"] = zf.read(name).decode("utf-8", errors="replace")
            continue
        texts[str(p.relative_to(site))] = p.read_bytes().decode("utf-8", errors="replace")
    return texts


def test_nothing_secret_reaches_the_site(practising):
    texts = _texts(practising)
    assert not [name for name in texts if "_data" in name or "solutions" in name]
    squashed_texts = {n: re.sub(r"\s+", "", t) for n, t in texts.items()}
    for solution in sorted((ROOT / "solutions").glob("*.py")):
        for body in _bodies(solution):
            squashed = re.sub(r"\s+", "", body)
            found = [n for n, t in squashed_texts.items() if squashed in t]
            assert not found, f"{solution.name}: a body of it is in {found}:\n{body}"
    assert not [n for n, t in texts.items() if SECRET in t]
