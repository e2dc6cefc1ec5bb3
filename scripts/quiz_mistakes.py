"""How often a classic mistake would get the mark in a quiz variant, per course quiz.

    .venv/bin/python scripts/quiz_mistakes.py [--students 200] [--secret S]

For every numeric question of every course quiz, each student's variant is drawn twice: the
plain way (the first usable draw, as before mistakes were planted) and the way ``grade quiz``
draws it now (a variant where a classic mistake is accepted is drawn again). For each classic
mistake (``grader.quiz.planted``: η ignored, the ×x1 of a mul gate forgotten, ∂L/∂x1 for ∂L/∂w1,
operands swapped, a sign flipped, ...) it counts the variants that would accept the mistake's
answer, and prints, per quiz, the worst share over its questions and mistakes (goal: ≤ 5 %).
Mistakes that equal the key by the question's construction (a forgotten upstream that is always
1) are no mistake there; they are listed apart.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import quizzes  # noqa: E402
from grader.quiz.variant import draw_question, structural, student_rng  # noqa: E402

COURSE_QUIZZES = ("quiz01", "quiz02", "quiz03", "quiz04")


def shares(quiz, students: int, secret: str, plant: bool) -> tuple[float, str, dict[str, Counter]]:
    """The worst share of variants a classic mistake passes, what it is, and every count by question."""
    worst, what, counts = 0.0, "none", {}
    for p in quizzes.prepared_of(quiz):
        if p.question.kind != "numeric":
            continue
        skip = structural(quiz, p)
        passing: Counter = Counter()
        for i in range(students):
            qv = draw_question(quiz, p, student_rng(secret, quiz.id, f"student-{i}", p.question.id), plant=plant)
            passing.update({m for m in qv.passing_mistakes() if m not in skip})
        counts[p.question.id] = passing
        for mistake, n in passing.items():
            if n / students > worst:
                worst, what = n / students, f"{p.question.id}: {mistake}"
    return worst, what, counts


FAMILIES = ("lr_ignored", "missing_factor", "mixed_up", "swapped_operands", "sign_error", "ascent")


def by_family(counts: dict[str, Counter], students: int) -> dict[str, float]:
    """The worst share of each family of mistakes over a quiz's questions and gates."""
    worst = dict.fromkeys(FAMILIES, 0.0)
    for passing in counts.values():
        for mistake, n in passing.items():
            family = mistake.split(" at ")[0]
            if family in worst:
                worst[family] = max(worst[family], n / students)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--secret", default="measure-planted-mistakes")
    parser.add_argument("--exercises", type=Path, default=None, help="the quizzes' folder (default: the course's)")
    args = parser.parse_args()
    print(f"{args.students} students; worst share of variants a classic mistake passes (goal ≤ 5 %)")
    print(f"{'quiz':8} {'plain draw':>10}  {'planted':>8}  worst mistake (plain draw)")
    families = {}
    for qid in COURSE_QUIZZES:
        quiz = quizzes.find_quiz(qid, args.exercises)
        before, what, counts = shares(quiz, args.students, args.secret, plant=False)
        after, what_after, planted = shares(quiz, args.students, args.secret, plant=True)
        families[qid] = (by_family(counts, args.students), by_family(planted, args.students))
        print(f"{qid:8} {before:>10.1%}  {after:>8.1%}  {what}" + (f"  (now: {what_after})" if after else ""))
    print("\nworst share per family of mistakes, plain draw → planted:")
    print(f"{'quiz':8} " + " ".join(f"{f:>18}" for f in FAMILIES))
    for qid, (plain, planted) in families.items():
        print(f"{qid:8} " + " ".join(f"{plain[f]:>8.1%} → {planted[f]:>5.1%}" for f in FAMILIES))
    print("\nequal to the key by construction (not planted):")
    for qid in COURSE_QUIZZES:
        quiz = quizzes.find_quiz(qid, args.exercises)
        for p in quizzes.prepared_of(quiz):
            same = structural(quiz, p)
            if same:
                print(f"  {qid}.{p.question.id}: {', '.join(sorted(same))}")


if __name__ == "__main__":
    main()
