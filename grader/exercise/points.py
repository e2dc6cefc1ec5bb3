"""Where an exercise is checked: its public points, its edge points (extreme values where a naive
formula overflows), then random points drawn from a seed.

``grade submit`` seeds from the submission's content (the same file gets the same points on every
run); instructor grading seeds from the course secret, so the points are hidden and a file that
hard-codes the public answers loses marks. A random point where the reference is undefined is
drawn again (up to a bound, then it is an authoring error).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass

from grader.engine import EvaluationError, Trace, trace
from grader.errors import ExerciseError
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


def secret_seed(secret: str, exercise_id: str) -> bytes:
    return hmac.new(secret.encode(), b"grade-batch\0" + exercise_id.encode(), hashlib.sha256).digest()


def draw_points(exercise: Exercise, seed: bytes | None, hidden: bool = False) -> list[Point]:
    """The public points, then ``random.count`` points drawn with ``seed`` (none if seed is None)."""
    graph = exercise.built
    points = [
        Point(f"public-{i + 1}", {k: float(v) for k, v in p.items()}, True, trace(graph, p))
        for i, p in enumerate(exercise.points)
    ]
    for i, partial in enumerate(exercise.edge_points):
        values = {k: float(v) for k, v in {**exercise.points[0], **partial}.items()}
        points.append(Point(f"{EDGE}{i + 1}", values, True, trace(graph, values)))
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
