"""How long `grade submit` takes on a solution, next to a bare interpreter, measured in one run.

    python benchmarks/submit.py [--runs 15] [--exercise exercise03] [--parts] [--own] [--against DIR]

Prints the median wall time of each and their ratio; the goal (issue 14) is at most 10x the bare
`python -c pass` of the same venv. Runs are interleaved so that machine noise hits all alike.
Bytecode is written and used as in an installed grader (PYTHONDONTWRITEBYTECODE is dropped), and
the CPU time of each (the process and its children: the zygote, the child) is shown beside the
wall time: on a loaded machine the wall time is mostly waiting for a core.
A student submits the same exercise again and again, so the goal is measured with the validated
exercise in the cache (grader.exercise.cache, in a fresh folder warmed by one run); the first
submission after the exercise file changes validates it again, shown on the third line (with the
cache off, so typer parses the line there too, as on a line typed for the first time).

``--against DIR`` also times, interleaved with the rest, the cached submit of another checkout
(for instance ``git worktree add /tmp/before <commit>``): its ``grader`` on ``PYTHONPATH``, its
exercises, the same solution file. ``--own`` also gives the CPU time of the grading process
alone (without the zygote and the child, which run beside it): on a machine with a free second
core, the least wall time a cached submit can take. ``--parts`` then measures what the command line costs on top
of the grading modules: replaying typer's parse of the same line (what a cached submit does), or
importing typer to build and parse ``grade submit`` (what a new line costs); CPU medians,
interleaved, in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the command and every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def median(pairs: list[tuple[float, float]], i: int) -> float:
    return statistics.median(p[i] for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--exercise", default="exercise03")
    parser.add_argument("--parts", action="store_true", help="Also measure what typer adds (CPU).")
    parser.add_argument("--against", type=Path, help="Another checkout to time beside this one.")
    parser.add_argument("--own", action="store_true", help="Also the grading process's own CPU time.")
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="submit-bench-cache-")
    env = {**os.environ, "NO_COLOR": "1", "GRADE_CACHE_DIR": cache}
    env.pop("GRADE_NO_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed grader has its bytecode compiled
    cold_env = {**env, "GRADE_NO_CACHE": "1"}
    grade = [sys.executable, "-m", "grader.cli", "submit", str(ROOT / "solutions" / f"{args.exercise}.py")]
    bare = [sys.executable, "-c", "pass"]
    timed(grade, env)  # warm the file cache and the exercise cache
    other_env = None
    if args.against is not None:
        other = args.against.resolve()
        other_cache = tempfile.mkdtemp(prefix="submit-bench-other-")
        other_env = {**env, "PYTHONPATH": str(other), "GRADE_CACHE_DIR": other_cache}
        other_env["GRADE_EXERCISES"] = str(other / "exercises")
        timed(grade, other_env, other)
    ours, base, cold, theirs = [], [], [], []
    for _ in range(args.runs):
        base.append(timed(bare, env))
        ours.append(timed(grade, env))
        cold.append(timed(grade, cold_env))
        if other_env is not None:
            theirs.append(timed(grade, other_env, other))
    b, g, c = (median(x, 0) for x in (base, ours, cold))
    bc, gc, cc = (median(x, 1) for x in (base, ours, cold))
    print(f"bare `python -c pass`:      median {b * 1000:7.1f} ms over {args.runs} runs (CPU {bc * 1000:.1f} ms)")
    print(
        f"`grade submit {args.exercise}.py`: median {g * 1000:7.1f} ms over {args.runs} runs (exercise cached; "
        f"CPU {gc * 1000:.1f} ms, {gc / bc:.1f}x)"
    )
    print(
        f"  same, exercise validated: median {c * 1000:7.1f} ms ({c / b:.1f}x; first run after a change, typer parses; "
        f"CPU {cc * 1000:.1f} ms)"
    )
    print(f"ratio: {g / b:.1f}x the bare interpreter (goal: at most 10x)")
    if theirs:
        t, tc = median(theirs, 0), median(theirs, 1)
        print(
            f"{args.against} (cached): median {t * 1000:7.1f} ms ({t / b:.1f}x; CPU {tc * 1000:.1f} ms, {tc / bc:.1f}x)"
        )
    if args.own:
        solution = str(ROOT / "solutions" / f"{args.exercise}.py")
        trees = [("this tree", env, ROOT)] + ([(str(args.against), other_env, other)] if other_env else [])
        own = {name: [] for name, _, _ in trees}
        for _ in range(args.runs):
            for name, tree_env, cwd in trees:
                own[name].append(own_cpu(solution, tree_env, cwd))
        for name, values in own.items():
            cpu = statistics.median(values)
            print(f"{name}: the grading process alone, CPU median {cpu * 1000:.1f} ms ({cpu / bc:.1f}x bare's CPU)")
    if args.parts:
        parts(args.runs, env, grade[-1])


OWN = """import atexit, resource, sys
def own():
    r = resource.getrusage(resource.RUSAGE_SELF)
    sys.__stderr__.write(f"OWN {r.ru_utime + r.ru_stime}\\n")
atexit.register(own)  # registered first, so it runs last: after the sandbox has closed
sys.argv = ["grade", "submit", sys.argv[1]]
try:
    from grader.cli.main import entry
except ImportError:  # a tree from before the entry point ended without teardown
    from grader.cli.main import main as entry
entry()
"""


def own_cpu(solution: str, env: dict, cwd: Path) -> float:
    """CPU seconds of the `grade submit` process itself, as it reports them at its exit."""
    run = subprocess.run(
        [sys.executable, "-c", OWN, solution], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )
    return float(next(line for line in reversed(run.stderr.splitlines()) if line.startswith("OWN "))[4:])


GRADING = "import grader.isolation.pool; from grader.cli.main import GRADING; [__import__(m) for m in GRADING]"


def part_commands(solution: str) -> dict[str, str]:
    """What each layer of a cached submit's start-up costs: interpreters that stop after it."""
    argv = ["submit", solution]
    return {
        "bare interpreter": "pass",
        "+ the grading modules": GRADING,
        "+ typer's parse replayed (a cached submit)": GRADING
        + f"; from grader.cli import remembered, submit; assert remembered.replay({argv!r}, submit.OPTIONS)",
        "+ typer imported, submit built and parsed (a new line)": GRADING
        + "; from grader.cli import commands, app; import copy, typer; a = copy.copy(commands.app); "
        "a.registered_commands = [c for c in a.registered_commands if app.command_name(c) == 'submit']; "
        f"typer.main.get_command(a).make_context('grade', {argv!r})",
    }


def parts(runs: int, env: dict, solution: str) -> None:
    commands = {name: [sys.executable, "-c", code] for name, code in part_commands(solution).items()}
    for cmd in commands.values():
        timed(cmd, env)
    got: dict[str, list] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            got[name].append(timed(cmd, env))
    previous = None
    for name, pairs in got.items():
        cpu = median(pairs, 1)
        more = f" (+{(cpu - previous) * 1000:.1f} ms)" if previous is not None else ""
        print(f"{name:56s} CPU median {cpu * 1000:6.1f} ms{more}")
        if not name.startswith("+ typer's parse"):
            previous = cpu


if __name__ == "__main__":
    main()
