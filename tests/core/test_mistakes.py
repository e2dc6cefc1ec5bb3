"""Each mistake code has a fixture that is diagnosed with the right node and the right code."""

from __future__ import annotations

import re

import pytest

from grader.grading import api
from tests.conftest import EXERCISES, FIXTURES

FIXTURE_FILES = sorted((FIXTURES / "mistakes").glob("*.py"))


def header(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return dict(re.findall(r"(\w+): (\S+)", first))


def test_every_mistake_code_of_the_spec_has_a_fixture():
    codes = {header(p)["mistake"] for p in FIXTURE_FILES}
    assert codes >= {
        "sign_error",
        "missing_upstream",
        "swapped_operands",
        "used_output_for_input",
        "used_input_for_output",
        "off_by_factor",
        "not_a_number",
        "nan",
        "overwrote_fanout",
        "ascent",
    }


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_is_diagnosed_with_its_node_and_code(path):
    want = header(path)
    verdict = api.submit(path, want["exercise"], exercises_dir=EXERCISES)
    assert verdict.status == "graded"
    task = next(t for t in verdict.tasks if t.function == want["task"])
    assert not task.passed and task.score < task.max_score
    assert (task.blame.node, task.blame.mistake) == (want["node"], want["mistake"])
    assert task.blame.message  # a sentence, not just a code


def test_messages_name_the_node_and_explain_in_korean_too():
    path = FIXTURES / "mistakes" / "missing_upstream.py"
    en = api.submit(path, "exercise03", exercises_dir=EXERCISES, lang="en")
    ko = api.submit(path, "exercise03", exercises_dir=EXERCISES, lang="ko")
    blame_en = next(t for t in en.tasks if t.function == "exp_backward").blame.message
    blame_ko = next(t for t in ko.tasks if t.function == "exp_backward").blame.message
    assert "node e" in blame_en and "upstream" in blame_en
    assert "노드 e" in blame_ko and "상류" in blame_ko


def test_a_wrong_answer_that_fits_no_rule_is_blamed_without_a_code(grade_text):
    verdict = grade_text("exercise02", "def neg_local_grad(x):\n    return x * 0.1 + 3\n")
    task = next(t for t in verdict.tasks if t.function == "neg_local_grad")
    assert task.blame.node == "n" and task.blame.mistake is None
    assert "wrong at" in task.blame.message
