"""Forty hostile submissions, one per attack of the threat model (issue 3), each with its exact outcome.

Every exploit would return the right answers only if its forbidden action worked, so the score must
be 0; the outcome says how it was stopped; and afterwards the world must be untouched (no canary
changed, no file left, no connection, the bystander alive), the secret must appear nowhere in what
came back, and an honest submission graded next must still earn full marks.
"""

from __future__ import annotations

import json

import pytest

from grader.isolation.sandbox import Limits
from tests.sandbox.conftest import EXERCISES, HONEST, HOSTILE, POINTS, Outcome, run_session

# fixture → (outcome kind through the Session API, a piece of its message)
OUTCOMES = {
    "01_always_equal.py": ("bad:AlwaysEqual", ""),
    "02_float_subclass.py": ("bad:Sly", ""),
    "03_nan.py": ("bad:nan", ""),
    "04_infinity.py": ("bad:inf", ""),
    "05_huge_int.py": ("bad:huge int", ""),
    "06_string.py": ("bad:str", "0.786"),
    "07_complex.py": ("bad:complex", ""),
    "08_fake_stdout.py": ("value", "-1.0"),
    "09_forged_frames.py": ("forbidden", "private result channel"),
    "10_exit_at_import.py": ("load:crash", "SystemExit"),
    "11_os_exit_in_call.py": ("crash", "exit status 0"),
    "12_pickle_reduce.py": ("bad:Evil", ""),
    "13_monkeypatch.py": ("load:crash", "broke the grader's harness"),
    "14_read_reference.py": ("forbidden", "Permission denied"),
    "15_import_reference_engine.py": ("load:forbidden", "Permission denied"),
    "16_secret_environment.py": ("forbidden", "Permission denied"),
    "17_grader_memory.py": ("forbidden", "Permission denied"),
    "18_other_student.py": ("load:forbidden", "Permission denied"),
    "19_inherited_fds.py": ("value", "0.0"),
    "20_frames_and_gc.py": ("value", "0.0"),
    "21_overwrite_canary.py": ("forbidden", "Permission denied"),
    "22_leave_files.py": ("forbidden", "Permission denied"),
    "23_plant_module.py": ("load:forbidden", "Permission denied"),
    "24_sysv_shared_memory.py": ("forbidden", "Operation not permitted"),
    "25_tcp_connect.py": ("forbidden", "Operation not permitted"),
    "26_udp_and_unix_sockets.py": ("forbidden", "Operation not permitted"),
    "27_fork_bomb.py": ("forbidden", "Operation not permitted"),
    "28_exec_program.py": ("forbidden", "Operation not permitted"),
    "29_kill_grader.py": ("forbidden", "Operation not permitted"),
    "30_ptrace_and_vm_read.py": ("forbidden", "Operation not permitted"),
    "31_import_bypass.py": ("forbidden", "Permission denied"),
    "32_loop_ignoring_signals.py": ("timeout", "ran for more than 1 s"),
    "33_sleep_forever.py": ("timeout", "ran for more than 1 s"),
    "34_cpu_burn.py": ("timeout", "1 s of CPU time"),
    "35_memory_bomb.py": ("memory", "more than 512 MB"),
    "36_output_flood.py": ("output", "more than 4 MB"),
    "37_fill_disk.py": ("forbidden", "Permission denied"),
    "38_segfault.py": ("crash", "segmentation fault"),
    "39_close_channel.py": ("crash", "broke the grader's harness"),
    "40_oversized_replies.py": ("list", ""),
    "61_surrogate_parameter_names.py": ("load:forbidden", "parameter name is not a Python identifier"),
    "62_close_results_and_spin.py": ("crash", "closed the channel the harness replies on"),
}
SPECIAL = {  # fixture → (allowed imports, limits) when not the defaults
    "31_import_bypass.py": (["math"], None),
    "34_cpu_burn.py": (None, Limits(seconds_per_call=30.0, seconds_to_load=3.0, cpu_seconds=1)),
}


def test_every_fixture_has_an_outcome():
    assert sorted(p.name for p in HOSTILE.glob("*.py")) == sorted(OUTCOMES)
    assert len(OUTCOMES) >= 25


def check_world(world, outcome: Outcome) -> None:
    assert world.traces() == []
    assert world.secret not in outcome.text()
    honest = run_session(HONEST, world.pool)  # the grader and the pool carry on
    assert (honest.score, honest.kind) == (len(POINTS), "value")


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_hostile_submission_through_session(world, name):
    imports, limits = SPECIAL.get(name, (None, None))
    kwargs = {"limits": limits} if limits else {}
    outcome = run_session(world.source(name), world.pool, imports, **kwargs)
    kind, words = OUTCOMES[name]
    assert outcome.score == 0, outcome
    assert outcome.kind == kind, outcome
    assert words in outcome.message, outcome
    check_world(world, outcome)


def api_kind(verdict) -> str:
    """The outcome as the Verdict tells it: a load failure, a stopped or raising call, or a check's code."""
    if verdict.error is not None:
        return f"load:{verdict.error.kind}"
    why = verdict.tasks[0].checks[0].why
    return why.params["kind"] if why.code in ("stopped", "raised") else why.code


def expected_api_kind(session_kind: str) -> str:
    if session_kind == "value":
        return "wrong"
    if session_kind in ("bad:nan", "bad:inf", "bad:-inf"):
        return "nan"
    if session_kind.startswith("bad:") or session_kind == "list":
        return "not_a_number"
    return session_kind


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_hostile_submission_through_api(world, tmp_path, name):
    from grader.grading import api

    exercise = "sbx_strict" if name == "31_import_bypass.py" else "sbx_open"
    path = tmp_path / f"{exercise}.py"
    path.write_text(world.source(name))
    _, limits = SPECIAL.get(name, (None, None))
    verdict = api.submit(path, exercise, exercises_dir=EXERCISES, limits=limits)
    kind, words = OUTCOMES[name]
    assert verdict.score == 0.0, verdict
    assert verdict.status == ("error" if kind.startswith("load:") else "graded")
    assert api_kind(verdict) == expected_api_kind(kind), verdict
    text = json.dumps(verdict.to_json(), ensure_ascii=False)
    assert words in text
    check_world(world, Outcome(0, kind, text, verdict.output))
