"""How long `grade submit` takes on a solution, next to a bare interpreter, measured in one run.

    python benchmarks/submit.py [--runs 15] [--exercise exercise03]

Prints the median wall time of each and their ratio; the goal (issue 2) is under 25x the bare
`python -c pass` of the same venv. Runs are interleaved so that machine noise hits all alike.
A student submits the same exercise again and again, so the goal is measured with the validated
exercise in the cache (grader.exercise.cache, in a fresh folder warmed by one run); the first
submission after the exercise file changes validates it again, shown on the third line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--exercise", default="exercise03")
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="submit-bench-cache-")
    env = {**os.environ, "NO_COLOR": "1", "GRADE_CACHE_DIR": cache}
    env.pop("GRADE_NO_CACHE", None)
    cold_env = {**env, "GRADE_NO_CACHE": "1"}
    grade = [sys.executable, "-m", "grader.cli", "submit", str(ROOT / "solutions" / f"{args.exercise}.py")]
    bare = [sys.executable, "-c", "pass"]
    timed(grade, env)  # warm the file cache and the exercise cache
    ours, base, cold = [], [], []
    for _ in range(args.runs):
        base.append(timed(bare, env))
        ours.append(timed(grade, env))
        cold.append(timed(grade, cold_env))
    b, g, c = statistics.median(base), statistics.median(ours), statistics.median(cold)
    print(f"bare `python -c pass`:      median {b * 1000:7.1f} ms over {args.runs} runs")
    print(f"`grade submit {args.exercise}.py`: median {g * 1000:7.1f} ms over {args.runs} runs (exercise cached)")
    print(f"  same, exercise validated: median {c * 1000:7.1f} ms ({c / b:.1f}x; first run after a change)")
    print(f"ratio: {g / b:.1f}x the bare interpreter (goal: under 25x)")


if __name__ == "__main__":
    main()
