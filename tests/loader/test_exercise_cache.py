"""Validated exercises come back from the cache exactly as validated, and only while nothing changed."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from grader.errors import ExerciseError
from grader.exercise import cache as exercise_cache
from grader.exercise.loader import load_exercise
from grader.exercise.spec import Exercise
from tests.conftest import EXERCISES, ROOT, SOLUTIONS

COURSE = sorted(EXERCISES.glob("exercise*.yaml"))


def copy(tmp_path, source=EXERCISES / "exercise03.yaml"):
    target = tmp_path / source.name
    target.write_bytes(source.read_bytes())
    return target


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_every_course_exercise_comes_back_equal(path):
    ex = load_exercise(path)
    back = Exercise.from_plain(dataclasses.asdict(ex))
    assert back == ex
    assert [n.name for n in back.built.nodes] == [n.name for n in ex.built.nodes]


def test_a_second_load_reads_the_cache_and_keeps_path_and_digest(grade_cache, tmp_path):
    path = copy(tmp_path)
    first = load_exercise(path)
    assert len(list(grade_cache.glob("*.json"))) == 1
    again = load_exercise(path)
    assert again == first and again is not first
    assert (again.path, again.digest) == (path, first.digest) and len(first.digest) == 64


def test_a_changed_file_is_validated_again(grade_cache, tmp_path):
    path = copy(tmp_path)
    load_exercise(path)
    path.write_text(path.read_text(encoding="utf-8").replace("op: exp", "op: expo", 1), encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"unknown gate 'expo'"):
        load_exercise(path)


def test_the_same_bytes_under_another_name_are_validated_again(grade_cache, tmp_path):
    load_exercise(copy(tmp_path))
    other = tmp_path / "elsewhere" / "exercise09.yaml"
    other.parent.mkdir()
    other.write_bytes((EXERCISES / "exercise03.yaml").read_bytes())
    with pytest.raises(ExerciseError, match=r"'exercise03' must equal the file's name 'exercise09'"):
        load_exercise(other)


def test_a_damaged_entry_is_validated_again_and_replaced(grade_cache, tmp_path):
    path = copy(tmp_path)
    expected = load_exercise(path)
    (entry,) = grade_cache.glob("*.json")
    for damage in (b"{not json", b'{"id": "exercise03"}', b"[]"):
        entry.write_bytes(damage)
        assert load_exercise(path) == expected
        assert entry.read_bytes() != damage


def test_no_cache_when_turned_off_or_unwritable(grade_cache, tmp_path, monkeypatch):
    path = copy(tmp_path)
    monkeypatch.setenv("GRADE_NO_CACHE", "1")
    load_exercise(path)
    assert not grade_cache.exists()
    monkeypatch.delenv("GRADE_NO_CACHE")
    grade_cache.write_text("a file where the folder should be")
    assert load_exercise(path).id == "exercise03"  # no error, just no cache


def test_entries_are_keyed_by_the_validating_code(grade_cache, tmp_path, monkeypatch):
    path = copy(tmp_path)
    raw = path.read_bytes()
    before = exercise_cache.entry(path, raw)
    monkeypatch.setattr(exercise_cache, "_code_fingerprint", lambda: b"another version of the checks")
    assert exercise_cache.entry(path, raw) != before


def test_grading_a_cached_exercise_loads_no_heavy_library(grade_cache):
    """`grade submit` starts fast: parsed by typer (without its pydantic coercion) the first time and
    replayed after, never with rich, pydantic, sympy or YAML for a cached exercise, nor the wings a .py
    file does not need (benchmarks/submit.py)."""
    code = (
        "import sys\n"
        "from grader.cli import main as cli\n"
        f"sys.argv = ['grade', 'submit', {str(SOLUTIONS / 'exercise03.py')!r}, '--json']\n"
        "try:\n    cli.main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = ('pydantic', 'pydantic_core', 'rich', 'sympy', 'yaml', 'jinja2', 'markdown', 'nbformat', 'IPython',\n"
        "         'typer._adapters', 'typer.rich_utils', 'typer.testing', 'grader.notebook.grade', 'grader.quiz',\n"
        "         'grader.classroom', 'grader.site', 'sqlite3')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print('RESULT', code, heavy, 'typer' in sys.modules, file=sys.stderr)\n"
    )
    env = {"GRADE_EXERCISES": str(EXERCISES), "GRADE_CACHE_DIR": str(grade_cache), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
        for _ in range(2)
    ]
    first, second = (run.stderr.strip().splitlines()[-1] for run in runs)
    assert first.startswith("RESULT 0 [") and "pydantic" in first and first.endswith("True")  # validated, typer
    assert second == "RESULT 0 [] False"  # typer's parse replayed, and nothing heavy
