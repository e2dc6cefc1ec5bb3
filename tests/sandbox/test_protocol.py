"""The results channel: whatever bytes a child writes on it, the grader takes only plain finite numbers.

A student's code runs in the same process as the harness, so it can write anything on the
harness's descriptor. Each payload here is written there in the middle of a call; the grader
must turn it into a failed check (or a non-number), never a crash, a hang or a mark.
"""

from __future__ import annotations

import pytest

from grader.isolation.sandbox import Bad, Call, Session, decode_value
from tests.sandbox.conftest import HONEST, LIMITS, POINTS, run_session

PAYLOADS = {
    "nan-token": (b'{"id": 0, "ok": true, "value": NaN}\n', "forbidden"),
    "infinity-token": (b'{"id": 0, "ok": true, "value": -Infinity}\n', "forbidden"),
    "overflowing-number": (b'{"id": 0, "ok": true, "value": 1e999}\n', "bad:inf"),
    "deep-nesting": (b'{"id": 0, "ok": true, "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "forbidden"),
    "endless-line": (b"7" * 400_000, "forbidden"),
    "not-an-object": (b"[1, 2]\n", "forbidden"),
    "wrong-id": (b'{"id": 7, "ok": true, "value": 0.5}\n', "forbidden"),
    "ok-not-a-bool": (b'{"id": 0, "ok": "yes", "value": 0.5}\n', "forbidden"),
    "bool-value": (b'{"id": 0, "ok": true, "value": true}\n', "bad:malformed"),
    "nested-sequence": (b'{"id": 0, "ok": true, "value": {"seq": [{"seq": [1], "len": 1}], "len": 1}}\n', "list"),
    "huge-integer-text": (b'{"id": 0, "ok": true, "value": ' + b"9" * 5000 + b"}\n", "forbidden"),
    "claimed-timeout": (b'{"id": 0, "ok": false, "kind": "timeout", "message": "\\u001b[31mred"}\n', "exception"),
    "not-json": (b"\xff\xfe garbage\n", "forbidden"),
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_forged_bytes_on_the_results_channel(world, name):
    payload, kind = PAYLOADS[name]
    source = (
        f"import os\n\nPAYLOAD = {payload!r}\n\ndef tanh_local_grad(x):\n    os.write(4, PAYLOAD)\n    os._exit(3)\n"
    )
    outcome = run_session(source, world.pool)
    assert (outcome.score, outcome.kind) == (0, kind), outcome
    assert "\x1b" not in outcome.message
    assert run_session(HONEST, world.pool).score == len(POINTS)


def test_decode_value_accepts_only_plain_finite_numbers():
    assert decode_value(0.5, 0) == 0.5 and decode_value(3, 0) == 3.0 and type(decode_value(3, 0)) is float
    assert decode_value(float("inf"), 0) == Bad("inf")
    assert decode_value(10**400, 0) == Bad("huge int")
    assert decode_value(True, 0) == Bad("malformed")
    assert decode_value("0.5", 0) == Bad("malformed")
    assert decode_value(None, 0) == Bad("malformed")
    assert decode_value({"special": "nan"}, 0) == Bad("nan")
    assert decode_value({"seq": [1, 2.5, "x"], "len": 3}, 0) == [1.0, 2.5, Bad("malformed")]
    assert decode_value({"seq": [1.0] * 100, "len": 100}, 0) == [1.0] * 64 + [Bad("too long")]
    assert decode_value({"map": {"a": 1, "b": {"map": {}}}}, 0) == {"a": 1.0, "b": Bad("nested")}
    assert decode_value({"bad": "Sly", "text": "\x1b[2J"}, 0) == Bad("Sly", "?[2J")
    assert decode_value({"whatever": 1}, 0) == Bad("malformed")


def test_a_function_that_hung_is_not_called_again_in_a_later_round(world):
    """Hidden points run in a round of their own: a function that already hung is not given a second
    child to hang in, and the other functions still answer."""
    source = "import time\ndef slow(x):\n    while True:\n        pass\ndef fast(x):\n    return x + 1\n"
    with Session(source, "student.py", "student", ["slow", "fast"], ["time"], LIMITS, pool=world.pool) as session:
        assert session.load().ok
        first = session.run([Call(0, "slow", (1.0,)), Call(1, "slow", (2.0,)), Call(2, "fast", (1.0,))])
        later = session.run([Call(3, "slow", (3.0,)), Call(4, "fast", (2.0,))])
    assert first[0].kind == "timeout" and first[1].kind == "skipped" and first[2].value == 2.0
    assert later[3].kind == "skipped" and "not run: an earlier call" in later[3].message
    assert later[4].ok and later[4].value == 3.0
    assert session.restarts == 1  # one fresh child after the timeout, none for the later round
