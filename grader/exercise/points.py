"""Where an exercise is checked: its public points, its edge points (extreme values where a naive
formula overflows), then random points drawn from a seed.

``grade submit`` seeds from the submission's content (the same file gets the same points on every
run); instructor grading seeds from the course secret, the exercise and the student, so the points
are hidden, a file that hard-codes the public answers loses marks, and a table of answers leaked
from one student's hidden points serves no other student. Without a student id the seed takes the
file's content instead (per file). A random point where the reference is undefined is drawn again
(up to a bound, then it is an authoring error).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass

from grader.engine import EvaluationError, Trace, trace
from grader.errors import ExerciseError
from grader.exercise.ids import student_key
from grader.exercise.spec import Exercise

MAX_REDRAWS = 200
EDGE = "edge-"  # the label of an exercise's declared extreme points: edge-1, edge-2, ...


@dataclass(frozen=True)
class Point:
    label: str  # "public-1", "edge-1", "random-2" or "hidden-2"
    values: dict[str, float]
    public: bool
    trace: Trace


def submission_seed(source: str) -> bytes:
    return hashlib.sha256(b"grade-submit\0" + source.encode("utf-8", "surrogatepass")).digest()


def secret_seed(secret: str, exercise_id: str, student: str | None, source: str | bytes = b"") -> bytes:
    """The seed of one student's hidden points of one exercise; without a student id, of one file.
    Ids that name the same student (``ids.student_key``: NFC, any case) get the same points."""
    if student:
        who = b"student\0" + student_key(student).encode("utf-8", "surrogatepass")
    else:
        raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
        who = b"file\0" + hashlib.sha256(raw).digest()
    message = b"grade-batch\0" + exercise_id.encode() + b"\0" + who
    return hmac.new(secret.encode("utf-8", "surrogatepass"), message, hashlib.sha256).digest()


def hidden_points(exercise: Exercise, secret: str, student: str | None, source: str | bytes = b"") -> list[Point]:
    """The public points, then the hidden points of ``student`` (per file without one)."""
    return draw_points(exercise, secret_seed(secret, exercise.id, student, source), hidden=True)


_PUBLIC: dict[int, tuple[Exercise, list[Point]]] = {}  # id(exercise) -> its public points, traced once


def public_points(exercise: Exercise) -> list[Point]:
    """The exercise's public and edge points, traced once per loaded exercise (a batch draws points
    per file)."""
    found = _PUBLIC.get(id(exercise))
    if found is None or found[0] is not exercise:
        if len(_PUBLIC) > 64:
            _PUBLIC.clear()
        points = [
            Point(f"public-{i + 1}", {k: float(v) for k, v in p.items()}, True, trace(exercise.built, p))
            for i, p in enumerate(exercise.points)
        ]
        for i, partial in enumerate(exercise.edge_points):
            values = {k: float(v) for k, v in {**exercise.points[0], **partial}.items()}
            points.append(Point(f"{EDGE}{i + 1}", values, True, trace(exercise.built, values)))
        found = _PUBLIC[id(exercise)] = (exercise, points)
    return list(found[1])


def draw_points(exercise: Exercise, seed: bytes | None, hidden: bool = False) -> list[Point]:
    """The public points, then ``random.count`` points drawn with ``seed`` (none if seed is None)."""
    graph = exercise.built
    points = public_points(exercise)
    if seed is None or exercise.random.count == 0:
        return points
    rng = random.Random(seed)
    base = {k: float(v) for k, v in exercise.points[0].items()}
    prefix = "hidden" if hidden else "random"
    for i in range(exercise.random.count):
        for _attempt in range(MAX_REDRAWS):
            values = dict(base)
            for name, (lo, hi) in exercise.random.ranges.items():
                values[name] = round(rng.uniform(lo, hi), exercise.random.decimals)
            for name, options in exercise.random.choices.items():
                values[name] = float(rng.choice(options))
            try:
                points.append(Point(f"{prefix}-{i + 1}", values, False, trace(graph, values)))
                break
            except EvaluationError:
                continue
        else:
            raise ExerciseError(
                exercise.path, None, "random", f"the reference is undefined at {MAX_REDRAWS} random points in a row"
            )
    return points
