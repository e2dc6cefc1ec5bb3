"""`grade submit`'s command line: typer parses it, and the very same line again is typer's parse replayed.

The replay must give exactly what typer gives, and must not be used when anything typer's answer
depends on has changed: the words, the declaration, typer itself, what the named paths look like.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.cli import commands, remembered
from grader.cli import submit as submit_cli
from tests.conftest import EXERCISES, ROOT, SOLUTIONS

GRADE = [sys.executable, "-m", "grader.cli"]


class Parsed(Exception):
    """Raised by the capture hook: typer has parsed, nothing is graded."""


def typer_parse(argv: list[str]) -> dict:
    """What typer's ``grade submit`` declaration makes of ``argv``."""

    def capture(**options):
        raise Parsed(options)

    with pytest.raises(Parsed) as parsed:
        commands.main(argv, obj=capture)
    return parsed.value.args[0]


def test_a_kept_parse_comes_back_as_typer_gave_it(grade_cache, tmp_path):
    solution = tmp_path / "exercise03.py"
    solution.write_text("x = 1\n", encoding="utf-8")
    argv = ["submit", str(solution), "--lang", "ko", "--html", str(tmp_path / "r.html"), "--json"]
    options = typer_parse(argv)
    assert remembered.replay(argv, submit_cli.OPTIONS) is None  # nothing kept yet
    remembered.keep(argv, options)
    again = remembered.replay(argv, submit_cli.OPTIONS)
    assert again == options
    assert isinstance(again["file"], Path) and isinstance(again["html"], Path) and again["as_json"] is True
    assert remembered.replay([*argv[:-1]], submit_cli.OPTIONS) is None  # other words: typer parses them


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flags=st.lists(
        st.sampled_from(
            [
                ["--json"],
                ["--watch"],
                ["--lang", "ko"],
                ["--lang", "en"],
                ["--student", "s001"],
                ["--student", "학생 1"],
                ["--exercise", "exercise03"],
                ["--exercises", "exercises"],
                ["--html", "out/report.html"],
            ]
        ),
        max_size=4,
    ),
    name=st.sampled_from(["exercise03.py", "exercise03 (1).py", "missing.py", "solutions/exercise03.py", "-"]),
)
def test_every_replay_equals_typers_parse(grade_cache, flags, name):
    argv = ["submit", *[word for flag in flags for word in flag], name]
    options = typer_parse(argv)
    remembered.keep(argv, options)
    assert remembered.replay(argv, submit_cli.OPTIONS) == options


def test_a_path_that_changed_is_parsed_again(grade_cache, tmp_path):
    solution = tmp_path / "exercise03.py"
    argv = ["submit", str(solution)]
    remembered.keep(argv, typer_parse(argv))  # the file is not there yet
    assert remembered.replay(argv, submit_cli.OPTIONS) is not None
    solution.write_text("x = 1\n", encoding="utf-8")  # now it is: typer would check it
    assert remembered.replay(argv, submit_cli.OPTIONS) is None
    remembered.keep(argv, typer_parse(argv))
    assert remembered.replay(argv, submit_cli.OPTIONS) is not None
    solution.unlink()
    solution.mkdir()  # a folder where the file was
    assert remembered.replay(argv, submit_cli.OPTIONS) is None


def test_a_changed_declaration_is_parsed_again(grade_cache, tmp_path, monkeypatch):
    declaration = tmp_path / "commands.py"
    declaration.write_text("# the options\n", encoding="utf-8")
    monkeypatch.setattr(remembered, "DECLARATION", (declaration,))
    argv = ["submit", "exercise03.py"]
    remembered.keep(argv, typer_parse(argv))
    assert remembered.replay(argv, submit_cli.OPTIONS) is not None
    declaration.write_text("# the options, and one more\n", encoding="utf-8")
    assert remembered.replay(argv, submit_cli.OPTIONS) is None


def test_a_damaged_or_foreign_entry_is_ignored(grade_cache):
    argv = ["submit", "exercise03.py"]
    remembered.keep(argv, typer_parse(argv))
    (entry,) = grade_cache.glob("command-*.json")
    kept = json.loads(entry.read_text(encoding="utf-8"))
    for damaged in (
        "{not json",
        json.dumps({**kept, "options": {**kept["options"], "extra": True}}),  # another shape
        json.dumps({**kept, "options": {**kept["options"], "student": 7}}),  # not an option's value
        json.dumps({**kept, "options": {**kept["options"], "file": "exercise03.py"}}),  # a path as plain text
        json.dumps({**kept, "seen": {}}),  # says nothing of the path it names
        json.dumps([]),
    ):
        entry.write_text(damaged, encoding="utf-8")
        assert remembered.replay(argv, submit_cli.OPTIONS) is None, damaged


def test_nothing_is_kept_with_the_cache_off(grade_cache, monkeypatch):
    monkeypatch.setenv("GRADE_NO_CACHE", "1")
    argv = ["submit", "exercise03.py"]
    remembered.keep(argv, typer_parse(argv))
    assert not grade_cache.exists()
    assert remembered.replay(argv, submit_cli.OPTIONS) is None


def run(*args, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "GRADE_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.pop("GRADE_NO_CACHE", None)
    return subprocess.run([*GRADE, *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_the_same_command_gives_the_same_answer_parsed_or_replayed(tmp_path):
    cache = tmp_path / "cache"
    for args in (
        ["submit", SOLUTIONS / "exercise03.py", "--lang", "en"],
        ["submit", SOLUTIONS / "exercise02.py", "--lang", "ko", "--json"],
        ["submit", ROOT / "exercises" / "stubs" / "nothing.py", "--lang", "en"],  # no such file: our error
    ):
        parsed, replayed = run(*args, cache=cache), run(*args, cache=cache)
        said = [(r.returncode, r.stdout, r.stderr) for r in (parsed, replayed)]
        assert said[0] == said[1]
        assert "Traceback" not in parsed.stderr
    assert len(list(cache.glob("command-*.json"))) == 3


def test_help_and_usage_errors_are_typers_every_time(tmp_path):
    cache = tmp_path / "cache"
    for args in (["submit", "--bogus", "x.py"], ["submit"], ["submit", "x.py", "--lang"]):
        first, second = run(*args, cache=cache), run(*args, cache=cache)
        assert first.returncode == second.returncode == 2
        assert first.stderr == second.stderr and "Error" in first.stderr  # typer's box, word for word
    assert not list(cache.glob("command-*.json"))
