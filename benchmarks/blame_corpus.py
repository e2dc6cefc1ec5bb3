"""How often the grader blames the right node and names the right mistake, on a fixed corpus.

    python benchmarks/blame_corpus.py [--verbose] [--seeds N]

The corpus is tests/fixtures/wrong/<exercise>/<name>.py (one planted mistake each; the first line
says the task, node and mistake expected, written before any grading) and
tests/fixtures/right/<exercise>/<name>.py (correct alternatives that must get full marks). Each
file holds only the functions it changes: it is graded appended to the exercise's solution, so
the other tasks stay right. Prints the right-node and right-mistake rates per task kind, the
false full marks (a wrong file at full marks) and the false failures (a right file below).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "fixtures"
HEADER = re.compile(r"#\s*task:\s*(\S+)\s+node:\s*(\S+)\s+mistake:\s*(\S+)")


def cases(kind: str) -> list[tuple[str, Path]]:
    return sorted((p.parent.name, p) for p in (CORPUS / kind).glob("*/*.py"))


def expectation(path: Path) -> dict:
    found = HEADER.match(path.read_text(encoding="utf-8").splitlines()[0])
    if not found:
        raise ValueError(f"{path}: the first line must say '# task: T  node: N  mistake: M'")
    task, node, mistake = found.groups()
    return {"task": task, "node": node, "mistake": None if mistake == "-" else mistake}


def source(exercise: str, path: Path, seed: int = 0) -> str:
    """The file as graded. ``grade submit`` draws its random points from the file's content, so a
    ``seed`` other than 0 appends a comment: the same mistake, other random points."""
    solution = (ROOT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
    extra = f"\n# seed {seed}\n" if seed else ""
    return solution + "\n\n# ---- the planted change\n" + path.read_text(encoding="utf-8") + extra


def grade(exercise: str, path: Path, lang: str = "en", seed: int = 0):
    from grader.grading import api

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / f"{exercise}.py"
        file.write_text(source(exercise, path, seed), encoding="utf-8")
        return api.submit(file, exercise, exercises_dir=ROOT / "exercises", lang=lang)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every miss with its message")
    parser.add_argument("--seeds", type=int, default=1, help="grade each file with this many sets of random points")
    args = parser.parse_args()
    from grader.exercise.loader import find_exercise

    kinds: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    specific = 0  # blames that name a mistake, not only a node
    false_full, misses = [], []
    runs = [(exercise, path, seed) for exercise, path in cases("wrong") for seed in range(args.seeds)]
    for exercise, path, seed in runs:
        want = expectation(path)
        kind = next(t.kind for t in find_exercise(exercise, ROOT / "exercises").tasks if t.function == want["task"])
        verdict = grade(exercise, path, seed=seed)
        task = next(t for t in verdict.tasks if t.function == want["task"])
        if verdict.full_marks:
            false_full.append(f"{exercise}/{path.stem} (seed {seed})")
        blame = task.blame
        specific += bool(blame and blame.mistake)
        node_ok = blame is not None and blame.node == want["node"]
        mistake_ok = node_ok and blame.mistake == want["mistake"]
        kinds[kind].append((node_ok, mistake_ok))
        if not mistake_ok:
            got = (blame.node, blame.mistake) if blame else None
            label = f"{exercise}/{path.stem}" + (f" (seed {seed})" if seed else "")
            misses.append(f"{label}: want {want['node']}/{want['mistake']}, got {got}")
            if args.verbose and blame:
                misses.append(f"    {blame.message}")
    false_fail = []
    rights = [(exercise, path, seed) for exercise, path in cases("right") for seed in range(args.seeds)]
    for exercise, path, seed in rights:
        if not grade(exercise, path, seed=seed).full_marks:
            false_fail.append(f"{exercise}/{path.stem}")
    total = [x for rows in kinds.values() for x in rows]
    print(f"{'kind':<12}{'files':>6}{'right node':>12}{'right mistake':>15}")
    for kind in ("forward", "local_grad", "backward", "gradients", "step"):
        rows = kinds.get(kind, [])
        if rows:
            n = len(rows)
            print(f"{kind:<12}{n:>6}{sum(a for a, _ in rows) / n:>12.1%}{sum(b for _, b in rows) / n:>15.1%}")
    n = len(total)
    print(f"{'all':<12}{n:>6}{sum(a for a, _ in total) / n:>12.1%}{sum(b for _, b in total) / n:>15.1%}")
    print(f"a named mistake:  {specific / n:.1%} of wrong files")
    print(f"false full marks: {len(false_full)} of {n} gradings of wrong files {false_full or ''}")
    print(f"false failures:   {len(false_fail)} of {len(rights)} gradings of correct files {false_fail or ''}")
    for line in misses:
        print("  miss:", line)
    planted_sweep()
    search_cost()
    return 0 if not false_full and not false_fail else 1


def planted_sweep() -> None:
    """Beyond the hand-written corpus: every catalogued mistake at every gate of every whole-graph
    exercise, planted by the engine itself. How often is its gate blamed first, and how often is it
    at least among the gates the message names? (A plant that leaves every leaf gradient right, or
    that another gate's mistake imitates exactly, cannot always come first.)"""
    from grader.exercise.loader import find_exercise
    from grader.exercise.points import draw_points
    from grader.grading import mistakes

    for name in ("exercise06", "exercise07"):
        ex = find_exercise(name, ROOT / "exercises")
        points = draw_points(ex, b"sweep" * 7)
        wrt = list(next(t for t in ex.tasks if t.kind == "gradients").wrt or [])
        first = listed = total = 0
        for node in ex.built.nodes:
            for change in mistakes._local_changes(ex.built, node):
                try:
                    answers = [{k: mistakes._grads(ex.built, p, [change])[k] for k in wrt} for p in points]
                except (ArithmeticError, ValueError):
                    continue
                if all(mistakes.close(a[k], p.trace.grads[k]) for a, p in zip(answers, points) for k in wrt):
                    continue  # invisible in the leaf gradients: nothing to find
                found = mistakes.diagnose_graph(ex.built, points, answers, wrt)
                total += 1
                first += bool(found) and found[0][0][0] == change.node
                listed += any(g[0] == change.node for e in found[:7] for g in e)  # a message names 1 + 6
        print(
            f"{name}: {total} plants, the planted gate blamed first {first / total:.1%}, "
            f"named among the candidates {listed / total:.1%}"
        )


def search_cost(repeats: int = 5) -> None:
    """The whole-graph search at its worst (no single gate fits, so every pair is tried), next to
    the grader's own cost of grading those points: one reference trace (forward and backward) each."""
    import random
    import time

    from grader.engine import trace
    from grader.exercise.loader import find_exercise
    from grader.exercise.points import draw_points
    from grader.grading import mistakes

    for name in ("exercise06", "exercise07"):
        ex = find_exercise(name, ROOT / "exercises")
        points = draw_points(ex, b"benchmark" * 4)
        wrt = list(next(t for t in ex.tasks if t.kind == "gradients").wrt or [])
        rnd = random.Random(1)
        answers = [{k: p.trace.grads[k] * (1 + rnd.uniform(0.1, 0.5)) for k in wrt} for p in points]
        start = time.perf_counter()
        for _ in range(repeats):
            assert not mistakes.diagnose_graph(ex.built, points, answers, wrt)
        search = (time.perf_counter() - start) / repeats
        start = time.perf_counter()
        for _ in range(repeats * 20):
            for p in points:
                trace(ex.built, p.values)
        baseline = (time.perf_counter() - start) / (repeats * 20)
        print(
            f"{name}: search with nothing fitting {search * 1000:.1f} ms for {len(points)} points "
            f"= {search / baseline:.0f}x the reference traces of those points ({baseline * 1000:.2f} ms)"
        )


if __name__ == "__main__":
    raise SystemExit(main())
