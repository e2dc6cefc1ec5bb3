"""The ``grade`` command as students and instructors use it: exit codes, JSON, stubs, trace, check."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXERCISES, FIXTURES, ROOT, SOLUTIONS

GRADE = [sys.executable, "-m", "grader.cli"]
COURSE = sorted(p.stem for p in EXERCISES.glob("exercise*.yaml"))


def grade(*args, cwd=None, env=None):
    full_env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [*GRADE, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=120
    )


@pytest.mark.parametrize("exercise", COURSE)
def test_every_solution_scores_full_marks_through_the_cli(exercise):
    run = grade("submit", SOLUTIONS / f"{exercise}.py", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["status"] == "graded" and result["score"] == result["max_score"] > 0


def test_json_follows_the_spec_schema():
    run = grade(
        "submit", FIXTURES / "mistakes" / "missing_upstream.py", "--exercise", "exercise03", "--json", "--student", "s1"
    )
    assert run.returncode == 1
    result = json.loads(run.stdout)
    assert result["schema"] == "grade.result/1"
    assert {"exercise", "student", "status", "score", "max_score", "error", "tasks"} <= set(result)
    assert result["student"] == "s1"
    task = next(t for t in result["tasks"] if t["function"] == "exp_backward")
    assert {"function", "kind", "score", "max_score", "passed", "checks", "blame"} <= set(task)
    assert set(task["blame"]) >= {"node", "mistake", "message"}
    check = task["checks"][0]
    assert {"point", "node", "expected", "got", "ok"} <= set(check)


def test_verdict_json_round_trips():
    from grader.grading import api
    from grader.grading.verdict import from_json

    verdict = api.submit(FIXTURES / "mistakes" / "overwrote_fanout.py", "exercise07", exercises_dir=EXERCISES)
    again = from_json(json.loads(json.dumps(verdict.to_json())))
    assert again == verdict


def test_a_wrong_answer_exits_1_and_explains_in_korean():
    run = grade("submit", FIXTURES / "mistakes" / "sign_error.py", "--exercise", "exercise02", "--lang", "ko")
    assert run.returncode == 1
    assert "노드 n" in run.stdout and "부호가 반대" in run.stdout


def test_unknown_exercise_is_a_usage_error_listing_the_known_ones(tmp_path):
    (tmp_path / "nothing.py").write_text("x = 1\n")
    run = grade("submit", tmp_path / "nothing.py")
    assert run.returncode == 2
    assert "unknown exercise 'nothing'" in run.stderr and "exercise03" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_bad_exercise_yaml_exits_2_with_file_line_and_key(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "id: broken\ntitle: x\ngraph:\n  inputs: [a]\n  nodes:\n    h: {op: mul, args: [a, q]}\n"
        "  output: h\npoints: [{a: 1}]\ntasks: [{function: f, kind: forward, op: mul}]\n"
    )
    (tmp_path / "broken.py").write_text("def f(a, b):\n    return a * b\n")
    run = grade("submit", tmp_path / "broken.py", "--exercise", bad)
    assert run.returncode == 2
    assert f"{bad}:6: graph.nodes.h.args[1]: 'q' is not an input or node (known: a, h)" in run.stderr


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("exercise", COURSE)
def test_init_writes_a_stub_that_is_graded_not_crashed(tmp_path, exercise, lang):
    run = grade("init", exercise, "--lang", lang, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    stub = tmp_path / f"{exercise}.py"
    source = stub.read_text(encoding="utf-8")
    compile(source, str(stub), "exec")
    assert ("게이트" in source or "기울기" in source) and "gate" in source.lower() or "gradient" in source
    result = json.loads(grade("submit", stub, "--json").stdout)
    assert result["status"] == "graded" and result["score"] == 0


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "exercise02.py").write_text("# my work\n")
    run = grade("init", "exercise02", cwd=tmp_path)
    assert run.returncode == 2 and "already exists" in run.stderr
    assert (tmp_path / "exercise02.py").read_text() == "# my work\n"


def test_trace_gives_the_lecture_numbers():
    data = json.loads(grade("trace", "exercise03", "--json").stdout)
    assert round(data["nodes"]["yhat"]["value"], 6) == 0.731059
    assert round(data["nodes"]["yhat"]["grad"], 6) == -1.367879
    assert round(data["nodes"]["z"]["grad"], 6) == -0.268941
    assert round(data["value"], 6) == 0.313262
    assert set(data["inputs"]["w0"]) == {"value", "grad"}


def test_trace_at_another_point_and_a_bad_name():
    data = json.loads(grade("trace", "exercise03", "--at", "y=0", "--json").stdout)
    assert data["point"]["y"] == 0.0
    run = grade("trace", "exercise03", "--at", "q=1")
    assert run.returncode == 2 and "'q' is not an input of exercise03" in run.stderr


def test_check_passes_over_the_course():
    run = grade("check")
    assert run.returncode == 0, run.stdout
    n = len(list(EXERCISES.glob("*.yaml")))
    assert f"{n} of {n} exercise(s) and quiz(zes) sound" in run.stdout


def test_check_reports_a_weak_exercise(tmp_path):
    # At this only point the upstream gradient of n is 1 and... a neg gate's sign cannot be seen if
    # its value never matters: here z is always 0 so every local gradient check of mul is 0.
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises" / "weak.yaml").write_text(
        "id: weak\ntitle: weak\ngraph:\n  inputs: [a, b]\n  nodes:\n    m: {op: mul, args: [a, b]}\n"
        "  output: m\npoints: [{a: 1, b: 1}]\ntasks: [{function: mul_local_grad, kind: local_grad, op: mul}]\n"
    )
    (tmp_path / "solutions" / "weak.py").write_text("def mul_local_grad(a, b):\n    return (b, a)\n")
    run = grade("check", tmp_path / "exercises" / "weak.yaml")
    assert run.returncode == 1
    assert "weak: cannot tell this mutant from the truth: mul_local_grad: swapped_operands" in run.stdout


# --------------------------------------------------------------------------- one command line: help


def help_of(args, capsys, monkeypatch) -> str:
    """``grade ARGS`` run in this process (typer parses it exactly as the command does); its stdout."""
    from grader.cli import commands

    monkeypatch.setenv("COLUMNS", "250")  # one line per option, as wide as it likes
    with pytest.raises(SystemExit) as done:
        commands.main(list(args))
    assert done.value.code == 0
    return capsys.readouterr().out


def command_names() -> list[str]:
    from grader.cli.app import command_name
    from grader.cli.commands import app

    return [command_name(info) for info in app.registered_commands]


def test_every_command_is_declared_with_typer_submit_included():
    assert {"submit", "init", "trace", "check", "quiz", "batch", "export", "site", "demo", "worker"} <= set(
        command_names()
    )


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("command", [None, *command_names()])
def test_every_option_of_every_command_has_a_help_line(command, flag, capsys, monkeypatch):
    import typer

    from grader.cli.commands import app

    args = [flag] if command is None else [command, flag]
    text = help_of(args, capsys, monkeypatch)
    group = typer.main.get_command(app)
    cmd = group if command is None else group.commands[command]
    ctx = typer.Context(cmd, info_name="grade", help_option_names=["-h", "--help"])
    options = [p for p in cmd.params if p.param_type_name == "option"] + [cmd.get_help_option(ctx)]
    assert options[-1] is not None and {"-h", "--help"} <= set(options[-1].opts)
    for option in options:
        assert option.help and option.help.strip(), f"grade {command or ''} {option.opts[0]}: no help line"
        line = next((ln for ln in text.splitlines() if set(ln.strip(" │*").split()[:1]) & set(option.opts)), "")
        assert option.help.split()[0] in line, f"grade {command or ''} {option.opts[0]}: help not shown:\n{text}"
    for bare in ("<bool>", "<str>", "<list[", "<int range>", "<integer>", "<int>"):  # a type, not what to give
        assert bare not in text, text


def test_version(capsys, monkeypatch):
    from grader import __version__

    assert help_of(["--version"], capsys, monkeypatch).strip() == f"grade {__version__}"
    run = grade("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"grade {__version__}"


def test_trace_takes_lang_like_the_others():
    ko = grade("trace", "exercise03", "--lang", "ko", env={"COLUMNS": "200"})
    en = grade("trace", "exercise03", "--lang", "en", env={"COLUMNS": "200"})
    assert ko.returncode == en.returncode == 0
    assert "노드" in ko.stdout and "게이트" in ko.stdout and "node" not in ko.stdout.split()
    assert "node" in en.stdout and "노드" not in en.stdout
    assert json.loads(grade("trace", "exercise03", "--json", "--lang", "ko").stdout) == json.loads(
        grade("trace", "exercise03", "--json").stdout
    )
    bad = grade("trace", "exercise03", "--lang", "fr")
    assert bad.returncode == 2 and "--lang must be ko or en" in bad.stderr


# --------------------------------------------------------------------------- a new student's first runs


def test_a_closed_pipe_ends_submit_quietly_as_sigpipe(tmp_path):
    """`grade submit x.py | head -1`: the reader may be gone before we write; no traceback then, whether
    typer parses the line or its parse is replayed (the second time)."""
    import signal

    read, write = os.pipe()
    os.close(read)  # the reader has gone before anything is written: every write fails
    env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "NO_COLOR": "1", "GRADE_CACHE_DIR": str(tmp_path)}
    env.pop("PYTHONUNBUFFERED", None)  # a pipe is block-buffered, as a student has it: met at the last flush
    submit = ["submit", SOLUTIONS / "exercise03.py"]
    twice = [submit, submit, [*submit, "--json"], [*submit, "--json"]]
    for args in (*twice, ["trace", "exercise03"], ["trace", "exercise03", "--json"]):
        run = subprocess.run(
            [*GRADE, *map(str, args)], stdout=write, stderr=subprocess.PIPE, text=True, env=env, timeout=120, cwd=ROOT
        )
        assert run.returncode == -signal.SIGPIPE, run.stderr
        assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr, run.stderr
    os.close(write)


def test_a_browser_download_name_is_graded_as_its_exercise(tmp_path):
    source = (SOLUTIONS / "exercise03.py").read_text(encoding="utf-8")
    for name in ("exercise03 (1).py", "exercise03-2.py"):
        (tmp_path / name).write_text(source, encoding="utf-8")
        run = grade("submit", tmp_path / name, "--json")
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["exercise"] == "exercise03"
        assert f"note: graded as exercise03 (the file's name without '{name[10:-3]}')" in run.stderr


def test_an_unknown_name_gets_the_closest_exercise_as_a_hint(tmp_path):
    (tmp_path / "exercise3.py").write_text("x = 1\n")
    run = grade("submit", tmp_path / "exercise3.py")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "unknown exercise 'exercise3'" in run.stderr
    assert "hint: did you mean exercise03? (rename the file exercise03.py or add --exercise exercise03)" in run.stderr
    flag = grade("submit", tmp_path / "exercise3.py", "--exercise", "Exercise03x")
    assert flag.returncode == 2 and "hint: did you mean exercise03? (--exercise exercise03)" in flag.stderr


def test_a_file_that_does_not_exist_is_named_as_missing(tmp_path):
    (tmp_path / "exercise03.py").write_text("x = 1\n")
    run = grade("submit", "exercise3.py", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"error: exercise3.py: no such file in {tmp_path.resolve()}; did you mean exercise03.py?" in run.stderr
    assert "unknown exercise" not in run.stderr
    folder = grade("submit", tmp_path)
    assert folder.returncode == 2 and "is a folder" in folder.stderr


def test_an_untouched_stub_is_one_line_per_function(tmp_path):
    assert grade("init", "exercise03", cwd=tmp_path).returncode == 0
    run = grade("submit", "exercise03.py", cwd=tmp_path)
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 1 and "NotImplementedError:" not in run.stdout
    assert len(lines) == 1 + 6, run.stdout  # the score line, then one per function
    assert all("not written yet (it raises NotImplementedError at line " in line for line in lines[1:])
    ko = grade("submit", "exercise03.py", "--lang", "ko", cwd=tmp_path)
    assert ko.stdout.count("아직 작성하지 않았습니다") == 6


def test_a_half_written_stub_still_shows_the_checks(tmp_path):
    assert grade("init", "exercise03", cwd=tmp_path).returncode == 0
    stub = tmp_path / "exercise03.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "\n\ndef neg_backward(x, upstream):\n    return upstream\n")
    run = grade("submit", stub)
    assert run.stdout.count("not written yet") == 5
    assert "→ node n" in run.stdout  # a written but wrong function is explained as before


# --------------------------------------------------------------------------- the isolation notice, once


def test_the_isolation_notice_is_shown_in_full_once_then_in_one_line(tmp_path):
    from grader.cli.submit import notice_once
    from grader.isolation.pool import Isolation

    weak = Isolation({"process": "on", "uid": "off: not root", "netns": "off: not root"})
    first = notice_once(weak, tmp_path)
    assert first == weak.notice and len(first.splitlines()) == 4
    again = notice_once(weak, tmp_path)
    assert again == "note: weaker isolation here (uid, netns unavailable), as explained on the first submit"
    other = Isolation({"process": "on", "uid": "off: not root"})
    assert notice_once(other, tmp_path) == other.notice  # another set of missing layers is told in full
    assert notice_once(weak, None) == weak.notice  # no cache folder: nowhere to remember it
    assert notice_once(Isolation({"process": "on"}), tmp_path) is None


def test_the_isolation_notice_through_the_command(tmp_path):
    code = (
        "import sys\n"
        "from grader.isolation import sandbox\n"
        "from grader.isolation.pool import Isolation\n"
        "sandbox.isolation = lambda: Isolation({'process': 'on', 'uid': 'off: not root', 'landlock': 'off: old'})\n"
        "from grader.cli.main import main\n"
        f"main(['submit', {str(SOLUTIONS / 'exercise03.py')!r}])\n"
    )
    env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "GRADE_CACHE_DIR": str(tmp_path), "NO_COLOR": "1"}
    cmd = [sys.executable, "-c", code]
    runs = [subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120) for _ in "12"]
    assert [r.returncode for r in runs] == [0, 0]
    assert "student code runs with weaker isolation here (uid, landlock unavailable)" in runs[0].stderr
    assert len(runs[0].stderr.strip().splitlines()) == 4  # the heading, one line per missing layer, the advice
    assert runs[1].stderr.strip() == (
        "note: weaker isolation here (uid, landlock unavailable), as explained on the first submit"
    )


# --------------------------------------------------------------------------- the end of a submit


def test_the_zygote_ends_cleanly_when_its_last_frames_are_unread():
    """Closing while the zygote's reports of its children's exits are unread once made it die of
    ECONNRESET, with a traceback on its stderr and exit status 1; it is an end like any other."""
    from grader.isolation.pool import Pool
    from grader.isolation.sandbox import Call, Limits, Session

    source = "def f(x):\n    return 2 * x\n"
    with Pool(1) as pool:
        for _ in range(2):  # the second session's child is forked after the first one's exit was reported
            with Session(source, "f.py", "f", ["f"], [], Limits(), pool=pool) as session:
                assert session.load().ok
                assert session.run([Call(0, "f", (1.5,))])[0].value == 3.0
        zygote = pool.acquire()
        pool.release(zygote)
    assert zygote.proc.returncode == 0


END_OF_A_SUBMIT = """
import atexit, os, sys
seen = []
def last():  # registered first, so it runs last, after the pool has closed its zygote
    gone = all(not os.path.exists(f"/proc/{pid}") for pid, _ in seen)
    cgroups = [path for _, paths in seen for path in paths if os.path.exists(path)]
    sys.stderr.write(f"ENDED zygotes={len(seen)} gone={gone} cgroups_left={cgroups}\\n")
atexit.register(last)
from grader.isolation import pool
close = pool.Zygote.close
def closing(self):
    seen.append((self.pid, list(self.cgroups)))
    close(self)
pool.Zygote.close = closing
sys.argv = ["grade", *sys.argv[1:]]
from grader.cli.main import entry
entry()
"""


def test_a_submit_ends_without_teardown_but_with_its_zygote_stopped(tmp_path):
    """The program ends by os._exit after the atexit functions: the zygote is gone, its cgroups too,
    and the exit code is the command's."""
    env = {**os.environ, "GRADE_EXERCISES": str(EXERCISES), "GRADE_CACHE_DIR": str(tmp_path), "NO_COLOR": "1"}
    wrong = tmp_path / "exercise03.py"
    wrong.write_text((SOLUTIONS / "exercise03.py").read_text(encoding="utf-8").replace("return", "return 0 *", 1))
    for args, code in (([SOLUTIONS / "exercise03.py"], 0), ([wrong], 1), ([tmp_path / "exercise99.py"], 2)):
        for _ in "parsed, then replayed":
            run = subprocess.run(
                [sys.executable, "-c", END_OF_A_SUBMIT, "submit", *map(str, args)],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=120,
            )
            assert run.returncode == code, run.stderr
            ended = run.stderr.strip().splitlines()[-1]
            assert ended.startswith("ENDED zygotes=1 gone=True cgroups_left=[]"), run.stderr


def test_the_lazy_console_draws_rich_progress_on_a_terminal():
    """`grade batch` hands `err` to rich's Progress, whose Live writes `with console:` on a terminal."""
    from rich.progress import BarColumn, Progress

    from grader.cli.app import LazyConsole

    console = LazyConsole(stderr=True, force_terminal=True, width=60)
    with Progress(BarColumn(), console=console) as bar:
        task = bar.add_task("grading", total=2)
        bar.update(task, advance=2)
    assert console.real.is_terminal
