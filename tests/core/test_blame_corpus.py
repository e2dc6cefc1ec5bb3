"""The corpus of planted mistakes (tests/fixtures/wrong, expectations written before grading) gets
the expected node and mistake, every correct alternative (tests/fixtures/right) gets full marks,
and no message carries a raw mistake code. ``benchmarks/blame_corpus.py`` prints the rates."""

from __future__ import annotations

import re

import pytest

from grader.grading import api
from grader.grading.words import NAMES
from tests.conftest import EXERCISES, FIXTURES, SOLUTIONS

HEADER = re.compile(r"#\s*task:\s*(\S+)\s+node:\s*(\S+)\s+mistake:\s*(\S+)")
WRONG = sorted((FIXTURES / "wrong").glob("*/*.py"))
RIGHT = sorted((FIXTURES / "right").glob("*/*.py"))

# Leaf gradients identical to a forgotten −1 at the neg gate n: a sign flip anywhere on the chain
# L → yhat → d → e → n → z gives the same numbers, so the blame goes to the likeliest gate (n) and
# these files' own gate must be among the alternatives the message lists.
TIES = {"exercise06/recip_no_minus", "exercise06/bce_flipped"}


def expectation(path):
    task, node, mistake = HEADER.match(path.read_text(encoding="utf-8").splitlines()[0]).groups()
    return task, node, None if mistake == "-" else mistake


def grade(tmp_path, path, lang="en"):
    exercise = path.parent.name
    solution = (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8")
    source = solution + "\n\n# ---- the planted change\n" + path.read_text(encoding="utf-8")  # as the benchmark
    file = tmp_path / f"{exercise}.py"
    file.write_text(source, encoding="utf-8")
    return api.submit(file, exercise, exercises_dir=EXERCISES, lang=lang)


def test_the_corpus_is_large_and_covers_every_task_kind():
    from grader.exercise.loader import find_exercise

    kinds = set()
    for path in WRONG:
        task = expectation(path)[0]
        kinds.add(next(t.kind for t in find_exercise(path.parent.name, EXERCISES).tasks if t.function == task))
    assert len(WRONG) >= 60
    assert kinds == {"forward", "local_grad", "backward", "gradients", "step"}


@pytest.mark.parametrize("path", WRONG, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_planted_mistake_is_blamed_on_its_node_with_its_code(tmp_path, path):
    task_name, node, mistake = expectation(path)
    verdict = grade(tmp_path, path)
    task = next(t for t in verdict.tasks if t.function == task_name)
    assert not verdict.full_marks and not task.passed
    key = f"{path.parent.name}/{path.stem}"
    if key in TIES:
        alternatives = [g for e in task.blame.why.params["alternatives"] for g in e]
        assert (node, mistake) in [(g["node"], g["mistake"]) for g in alternatives]
        assert f"node {node} " in task.blame.message
        return
    assert (task.blame.node, task.blame.mistake) == (node, mistake)


@pytest.mark.parametrize("path", RIGHT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_correct_alternative_gets_full_marks(tmp_path, path):
    verdict = grade(tmp_path, path)
    assert verdict.full_marks, [t.blame.message for t in verdict.tasks if t.blame]


CODES = re.compile(r"\b(" + "|".join(sorted(NAMES, key=len, reverse=True)) + r"|wrong_rule|wrong_inputs)\b")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_message_names_a_raw_mistake_code(tmp_path, lang):
    for path in WRONG[::3]:
        verdict = grade(tmp_path, path, lang)
        for task in verdict.tasks:
            for blame in (task.blame, *task.also):
                if blame:
                    assert not CODES.search(blame.message), (path.stem, blame.message)


def test_a_forgotten_minus_at_the_neg_gate_names_n_and_the_other_gates_in_words(tmp_path):
    verdict = grade(tmp_path, FIXTURES / "wrong" / "exercise06" / "neg_forgotten.py")
    blame = verdict.tasks[0].blame
    assert blame.node == "n" and blame.message.startswith("node n (negation")
    assert "cannot tell these apart" in blame.message and "a sign error at node yhat" in blame.message


def test_a_missing_factor_two_at_a_square_gate_is_not_told_about_add_gates(tmp_path):
    blame = grade(tmp_path, FIXTURES / "wrong" / "exercise07" / "square_no_two.py").tasks[0].blame
    first_sentences = blame.message.split(" The same numbers")[0]
    assert blame.node == "xpysqr" and "2x" in first_sentences and "add gate" not in first_sentences


def test_minus_x_squared_is_told_what_it_fits_not_to_evaluate_at_the_input(tmp_path):
    blame = grade(tmp_path, FIXTURES / "wrong" / "exercise03" / "recip_minus_x_squared.py").tasks[4].blame
    assert blame.node == "yhat" and "−x²" in blame.message and "−out²" in blame.message
    assert "Evaluate the derivative at the input" not in blame.message


def test_log10_in_a_forward_loss_gets_log_words(tmp_path):
    verdict = grade(tmp_path, FIXTURES / "wrong" / "exercise01" / "bce_log10.py")
    blame = next(t for t in verdict.tasks if t.function == "bce_forward").blame
    assert blame.mistake == "log_base" and "log10" in blame.message and "add gate" not in blame.message


def test_returning_only_the_right_x_earns_its_share_and_names_the_missing_y(tmp_path):
    for lang, words in (("en", ("lacks y", "Right: x")), ("ko", ("y 키가 없습니다", "맞은 값: x"))):
        verdict = grade(tmp_path, FIXTURES / "wrong" / "exercise07" / "only_x.py", lang)
        task = next(t for t in verdict.tasks if t.function == "gradients")
        assert task.score == task.max_score / 2
        assert all(c.ok for c in task.checks if c.node == "x")
        assert not any(c.ok for c in task.checks if c.node == "y")
        assert all(w in task.blame.message for w in words)


def test_a_step_ten_times_too_big_says_so_and_names_the_learning_rate(tmp_path):
    ko = grade(tmp_path, FIXTURES / "wrong" / "exercise08" / "no_lr.py", "ko").tasks[0].blame.message
    en = grade(tmp_path, FIXTURES / "wrong" / "exercise08" / "no_lr.py", "en").tasks[0].blame.message
    assert "10배" in ko and "학습률" in ko and "학습률이 10배로" not in ko
    assert "10 times the right one" in en and "learning rate" in en


def test_a_bad_value_under_one_name_blames_that_name_and_a_list_is_told_to_be_a_dict(grade_text):
    solution = (SOLUTIONS / "exercise07.py").read_text(encoding="utf-8").replace("def gradients(", "def _g(")
    none_y = grade_text(
        "exercise07", solution + '\n\ndef gradients(x, y):\n    return {"x": _g(x, y)["x"], "y": None}\n'
    )
    task = none_y.tasks[0]
    assert task.score == task.max_score / 2
    assert (task.blame.node, task.blame.mistake) == ("y", "not_a_number") and "None instead" in task.blame.message
    as_list = grade_text("exercise07", solution + "\n\ndef gradients(x, y):\n    return [1.0, 2.0]\n", lang="ko")
    assert as_list.tasks[0].blame.message == "{이름: 값} 사전(dict)을 반환해야 하는데 리스트를 반환했습니다"
