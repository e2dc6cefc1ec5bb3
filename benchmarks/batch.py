"""How fast `grade batch` grades a class, and how much memory it needs, next to a bare interpreter per file.

    python benchmarks/batch.py [--students 400] [--jobs N] [--hostile 0.005] [--keep DIR] [--executor dask]

Makes a synthetic class (every student × every exercise of the course): correct files, each classic
mistake (sign flip, factor off, swapped operands, ascent), broken files (syntax error, missing
function, exception, wrong type) and a few hostile ones (endless loop, memory bomb, output flood,
forbidden import, reading files, exiting). Then, in the same run:

1. `grade batch` on the class, as a user runs it (a subprocess), with the whole process tree's
   resident memory sampled every 50 ms (the batch, its workers, their zygotes and children);
2. the same command again: nothing to do (idempotent rerun);
3. `python -I -S -c pass` once per submission (sequentially, on a sample), the cost of starting one
   bare interpreter per file, which is what a naive batch pays before grading anything;
4. with `--executor dask`: the same class again, into a fresh gradebook, through a
   `distributed.LocalCluster` (as many single-threaded worker processes as the batch's workers,
   started and warmed before the clock starts, as `grade worker` does), next to the local numbers.

Goal (issue 4): over 200 submissions/s on the 2-core machine, under 300 MB peak for 10,000 files
(`--students 1250`). The machine is shared; the load average is printed next to the numbers.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-0123456789abcdef"

HOSTILE = {
    "endless_loop": "def {f}(*a, **k):\n    while True:\n        pass\n",
    "memory_bomb": "blob = bytearray(8 * 1024 ** 3)\n",
    "output_flood": "import sys\nwhile True:\n    print('x' * 4096)\n",
    "forbidden_import": "import os\nos.system('echo hacked')\n",
    "read_files": "SECRET = open('/etc/passwd').read()\n",
    "exit_early": "raise SystemExit(0)\n",
}


# --------------------------------------------------------------------------- a synthetic class


def functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef)]


def _map_return(fn: ast.FunctionDef, change) -> None:
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Tuple):
                value.elts = [change(e) for e in value.elts]
            elif isinstance(value, ast.Dict):
                value.values = [change(v) for v in value.values]
            elif isinstance(value, ast.DictComp):
                value.value = change(value.value)
            else:
                node.value = change(value)


def mutate(source: str, kind: str, rng: random.Random) -> str:
    tree = ast.parse(source)
    fns = functions(tree)
    fn = rng.choice(fns)
    if kind == "sign_error":
        _map_return(fn, lambda e: ast.UnaryOp(ast.USub(), e))
    elif kind == "off_by_factor":
        _map_return(fn, lambda e: ast.BinOp(ast.Constant(2.0), ast.Mult(), e))
    elif kind == "swapped_operands":
        args = fn.args.args
        if len(args) >= 2:
            args[0], args[1] = args[1], args[0]
        else:
            _map_return(fn, lambda e: ast.UnaryOp(ast.USub(), e))
    elif kind == "ascent":
        for node in ast.walk(fn):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
                node.op = ast.Add()
                break
        else:
            _map_return(fn, lambda e: ast.UnaryOp(ast.USub(), e))
    elif kind == "missing_function":
        fn.name += "_v2"
    elif kind == "exception":
        fn.body.insert(0, ast.parse("raise ValueError('not done yet')").body[0])
    elif kind == "wrong_type":
        _map_return(fn, lambda e: ast.Constant("0.5"))
    text = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    if kind == "syntax_error":
        text = text.replace("):", ")", 1)
    return text


def make_class(folder: Path, students: int, hostile: float, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    solutions = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "solutions").glob("exercise*.py"))}
    mistakes = ["sign_error", "off_by_factor", "swapped_operands", "ascent"]
    broken = ["syntax_error", "missing_function", "exception", "wrong_type"]
    made: dict[str, int] = {}
    manifest = ["student,item,submitted_at"]
    for s in range(students):
        student = f"s{2026_0000 + s:08d}"
        (folder / student).mkdir(parents=True)
        for item, source in solutions.items():
            roll = rng.random()
            if roll < hostile:
                kind = rng.choice(sorted(HOSTILE))
                name = functions(ast.parse(source))[0].name
                text = source + "\n" + HOSTILE[kind].format(f=name)
            elif roll < 0.55:
                kind, text = "correct", source
            elif roll < 0.85:
                kind = rng.choice(mistakes)
                text = mutate(source, kind, rng)
            else:
                kind = rng.choice(broken)
                text = mutate(source, kind, rng)
            made[kind] = made.get(kind, 0) + 1
            (folder / student / f"{item}.py").write_text(f"# {student}\n{text}", encoding="utf-8")
            day = 9 + rng.randrange(6)
            manifest.append(
                f"{student},{item},2026-03-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+09:00"
            )
    (folder / "manifest.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return made


# --------------------------------------------------------------------------- measuring


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack += children.get(pid, [])
    return found


def tree_memory_kb(root: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) of ``root`` and every descendant, from /proc (no psutil). RSS counts
    pages shared by forked processes once per process; PSS splits them, so its sum is the real total."""
    rss = pss = 0
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return rss, pss


def run_sampled(cmd: list[str], env: dict, cwd: Path) -> tuple[float, list[int], subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss = tree_memory_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return elapsed, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def bare_interpreter(samples: int) -> float:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--hostile", type=float, default=0.005, help="fraction of hostile files")
    parser.add_argument("--keep", type=Path, default=None, help="make the class here and keep it")
    parser.add_argument("--executor", choices=("local", "dask"), default="local", help="dask: also through Dask")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="grade-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    klass, db = work / "class", work / "grades.db"
    if klass.exists():
        shutil.rmtree(klass)
    for leftover in work.glob("grades.db*"):
        leftover.unlink()
    made = make_class(klass, args.students, args.hostile)
    total = sum(made.values())
    env = {**os.environ, "GRADE_SECRET": SECRET, "NO_COLOR": "1"}
    cmd = [
        sys.executable,
        "-m",
        "grader.cli",
        "batch",
        str(klass),
        "--db",
        str(db),
        "--json",
        "--quiet",
        "--exercises",
        str(ROOT / "exercises"),
    ] + (["--jobs", str(args.jobs)] if args.jobs else [])
    print(
        f"class: {args.students} students x {len(made) and total // args.students} exercises = {total} files: "
        + ", ".join(f"{k} {v}" for k, v in sorted(made.items(), key=lambda kv: -kv[1]))
    )
    print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed, peak_kb, proc = run_sampled(cmd, env, work)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"grade batch failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    summary = json.loads(proc.stdout)
    again, _, proc2 = run_sampled(cmd, env, work)
    rerun = json.loads(proc2.stdout)
    bare = bare_interpreter(min(200, total))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    rate = summary["graded"] / elapsed
    print(
        f"grade batch:  {summary['graded']} graded in {elapsed:.2f} s (command start to exit) = "
        f"{rate:.0f} submissions/s with {summary['jobs']} workers; in-batch rate {summary['rate']}/s"
    )
    print(
        f"   statuses: {summary['statuses']}; errors by kind: {summary['errors_by_kind']}; "
        f"grader faults: {summary['faults']}"
    )
    biggest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"   peak memory of the whole process tree (batch, workers, zygotes, children; sampled every 50 ms): "
        f"{peak_kb[1] / 1024:.0f} MB PSS ({peak_kb[0] / 1024:.0f} MB summing RSS, which counts pages shared "
        f"after fork once per process); largest single process: {biggest / 1024:.0f} MB"
    )
    per = cpu / max(1, summary["graded"])
    print(
        f"   CPU time of all its processes: {cpu:.1f} s = {per * 1000:.1f} ms per submission "
        f"-> at most {cores / per:.0f}/s on {cores} idle cores (less skewed by other load than wall time)"
    )
    print(f"rerun, nothing new: {rerun['up_to_date']} up to date in {again:.2f} s")
    print(
        f"bare `python -I -S -c pass`: median {bare * 1000:.1f} ms each -> {cores / bare:.0f}/s at best "
        f"on {cores} cores doing nothing; grading one file costs {cores / rate / bare:.2f}x "
        f"one bare interpreter start"
    )
    print(
        f"goal: >200/s -> {'met' if rate > 200 else 'NOT met'} ({rate:.0f}/s); "
        f"load average after: {os.getloadavg()[0]:.2f}"
    )
    if args.executor == "dask":
        through_dask(cmd, env, work, summary, elapsed, cpu)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


def through_dask(cmd: list[str], env: dict, work: Path, local: dict, local_elapsed: float, local_cpu: float) -> None:
    """The same class through a LocalCluster of single-threaded worker processes, into a fresh gradebook."""
    from distributed import LocalCluster

    workers = local["jobs"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        preload=["grader.classroom.dask_executor"],
    )
    up = time.perf_counter() - started
    db = work / "grades-dask.db"
    dask_cmd = [*cmd[: cmd.index("--db") + 1], str(db), *cmd[cmd.index("--db") + 2 :]]
    dask_cmd += ["--executor", "dask", "--scheduler", cluster.scheduler_address]
    elapsed, _, proc = run_sampled(dask_cmd, env, work)
    cluster.close()
    cpu = sum(
        getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) - getattr(before, f) for f in ("ru_utime", "ru_stime")
    )
    if proc.returncode not in (0, 1):
        sys.exit(f"grade batch --executor dask failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    summary = json.loads(proc.stdout)
    rate, local_rate = summary["graded"] / elapsed, local["graded"] / local_elapsed
    same = summary["statuses"] == local["statuses"] and summary["graded"] == local["graded"]
    print(
        f"grade batch --executor dask (LocalCluster: {workers} worker processes x 1 thread, up in {up:.1f} s, "
        f"not counted): {summary['graded']} graded in {elapsed:.2f} s = {rate:.0f} submissions/s "
        f"(local: {local_rate:.0f}/s); {summary['executor']['chunks']} chunks; faults {summary['faults']}; "
        f"statuses {'the same as local' if same else 'DIFFERENT: ' + str(summary['statuses'])}"
    )
    print(
        f"   overhead per submission: {(elapsed - local_elapsed) / max(1, summary['graded']) * 1000:+.2f} ms wall, "
        f"{(cpu - local_cpu) / max(1, summary['graded']) * 1000:+.2f} ms CPU (batch, scheduler, workers, "
        f"zygotes; the cluster's start and stop included)"
    )


if __name__ == "__main__":
    main()
