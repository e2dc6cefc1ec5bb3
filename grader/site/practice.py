"""The practice panel's files, written beside the exercise pages by ``grade site --practice``.

``static/practice/grader.zip`` holds the grader's own modules (the wings a check needs, and the
pure-Python ``markdown`` the diagram's labels use): the browser grades with the same code as
``grade submit``, not a port. ``static/practice/exercises/<id>.json`` holds each exercise in its
validated form. Nothing secret is written: no course secret, no hidden point, no solution
(``grader/_data`` never enters the zip). Pyodide and the editor are vendored in the theme
(``static/vendor/pyodide``, ``static/vendor/codemirror``) and copied only when the site practises.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import zipfile
from pathlib import Path

import grader
from grader.exercise.spec import Exercise
from grader.exercise.stubs import stub
from grader.report.theme import PRACTICE_TEXTS, theme_dir

ASSETS = "static/practice"
# Vendored folders under the theme's static/ that only a practising site needs.
PRACTICE_VENDOR = ("vendor/pyodide", "vendor/codemirror")
# What a check imports in the browser: the wings up to the report, and the browser's entry point.
WINGS = ("engine", "exercise", "isolation", "grading", "report")
ENTRY = ("site/__init__.py", "site/browser.py")
_STAMP = (2020, 1, 1, 0, 0, 0)  # fixed times: the same code gives the same bytes, so rebuilds rewrite nothing


def files(exercises: dict[str, Exercise]) -> dict[str, bytes]:
    """Every practice file of a site, by its path in the site's folder."""
    out = {f"{ASSETS}/grader.zip": code_zip()}
    for ex in exercises.values():
        plain = json.dumps(dataclasses.asdict(ex), ensure_ascii=False)  # key order is listing order: keep it
        out[f"{ASSETS}/exercises/{ex.id}.json"] = plain.encode("utf-8")
    return out


def megabytes(extra: dict[str, bytes]) -> float:
    """What a student's browser fetches for practice: the vendored runtime, the editor and our files."""
    theme = theme_dir() / "static"
    vendored = sum(p.stat().st_size for folder in PRACTICE_VENDOR for p in (theme / folder).rglob("*") if p.is_file())
    ours = sum(len(data) for path, data in extra.items() if path.startswith(ASSETS))
    return (vendored + ours) / 1e6


def texts() -> dict[str, dict[str, str]]:
    return {key: {"ko": ko, "en": en} for key, (ko, en) in PRACTICE_TEXTS.items()}


def config(ex: Exercise) -> dict:
    """What an exercise page tells its practice panel (written into the page as JSON)."""
    return {
        "exercise": ex.id,
        "stub": {"ko": stub(ex, "ko"), "en": stub(ex, "en")},
        "seconds_per_call": ex.limits.seconds_per_call,
        "seconds_to_load": ex.limits.seconds_to_load,
    }


def _sources() -> list[tuple[str, Path]]:
    package = Path(grader.__file__).resolve().parent
    found = [(f"grader/{p.name}", p) for p in sorted(package.glob("*.py"))]
    for wing in WINGS:
        found += [(f"grader/{p.relative_to(package).as_posix()}", p) for p in sorted((package / wing).rglob("*.py"))]
    found += [(f"grader/{rel}", package / rel) for rel in ENTRY]
    lib = Path(importlib.util.find_spec("markdown").origin).parent
    found += [(f"markdown/{p.relative_to(lib).as_posix()}", p) for p in sorted(lib.rglob("*.py"))]
    return found


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in _sources():
            info = zipfile.ZipInfo(name, _STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buffer.getvalue()
