"""What an isolated run costs, next to a bare fork and a fresh interpreter, measured in the same run.

    .venv/bin/python benchmarks/sandbox.py [--runs 200] [--rounds 5] [--calls 100] [--numpy]

An isolated run is one submission through ``Session`` from a warm pool: fork from the zygote,
lock-down (every layer this machine allows), load the source, one call, result decoded, child
killed. Baselines: ``os.fork()`` + ``_exit`` + ``waitpid`` from this process, and
``subprocess.run([python, "-I", "-S", "-c", "pass"])``. Rounds interleave the methods so that a
noisy neighbour slows them alike; medians and minima of the per-round means are printed, in
wall-clock time and in CPU time (this process, plus the zygote and every child it reaped, or
the subprocesses), which a busy machine inflates far less.

``--calls N`` adds a run that makes N calls in one child (one call per frame, each sent once the
last is answered: the information-flow rule of docs/sandbox.md); ``--numpy`` adds a run of a file
that does ``import numpy as np`` in an exercise that allows it (a zygote of its own, numpy
preloaded, a ruleset that reads numpy's folders).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.isolation.sandbox import Call, Limits, Pool, Session, isolation  # noqa: E402

SOURCE = """import math

def tanh_local_grad(x):
    t = math.tanh(x)
    return 1 - t * t
"""
NUMPY_SOURCE = """import numpy as np

def tanh_local_grad(x):
    return float(1 - np.tanh(x) ** 2)
"""
ALL = ("rlimits", "uid", "netns", "landlock", "seccomp", "cgroup")


def cpu_seconds(zygote_pid: int = 0) -> float:
    """CPU time of this process and its waited children, plus a zygote's and its reaped children's."""
    total = sum(
        resource.getrusage(who)[0] + resource.getrusage(who)[1]
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    if zygote_pid:
        with open(f"/proc/{zygote_pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return total


def measured(body, n: int, zygote_pid: int = 0) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds(zygote_pid)
    body(n)
    return (time.perf_counter() - wall) / n, (cpu_seconds(zygote_pid) - cpu) / n


def isolated(pool: Pool, n: int, source: str = SOURCE, imports=("math",), calls: int = 1) -> None:
    for i in range(n):
        with Session(source, "student.py", "student", ["tanh_local_grad"], list(imports), Limits(), pool=pool) as s:
            assert s.load().ok
            results = s.run([Call(k, "tanh_local_grad", (0.1 * i + 0.001 * k,)) for k in range(calls)])
            assert all(r.ok and isinstance(r.value, float) for r in results.values()), results


def bare_fork(n: int) -> None:
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)


def fresh_python(n: int) -> None:
    for _ in range(n):
        subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)


def zygote_of(pool: Pool) -> int:
    zygote = pool.acquire()
    pool.release(zygote)
    return zygote.pid if sys.platform.startswith("linux") else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per method and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=0, help="also: N calls in one child")
    parser.add_argument("--numpy", action="store_true", help="also: a file that imports numpy, where allowed")
    args = parser.parse_args()
    layers = isolation().layers
    print("layers:", ", ".join(f"{k} {'on' if v.startswith('on') else 'OFF'}" for k, v in layers.items()))
    with Pool(1) as full, Pool(1, off=ALL) as bare, Pool(1) as with_numpy:
        isolated(full, 5), isolated(bare, 5)  # warm both zygotes
        full_pid, bare_pid = zygote_of(full), zygote_of(bare)
        methods = {
            "isolated run, all layers": lambda n: measured(lambda k: isolated(full, k), n, full_pid),
            "isolated run, no OS layers": lambda n: measured(lambda k: isolated(bare, k), n, bare_pid),
            "bare os.fork() + exit": lambda n: measured(bare_fork, n),
            "fresh python -I -S -c pass": lambda n: measured(fresh_python, max(10, n // 4)),
        }
        if args.calls:
            many = max(5, args.runs // 10)
            methods[f"isolated run, {args.calls} calls"] = lambda n: measured(
                lambda k: isolated(full, k, calls=args.calls), many, full_pid
            )
        if args.numpy:
            isolated(with_numpy, 5, NUMPY_SOURCE, ("math", "numpy"))
            numpy_pid = zygote_of(with_numpy)
            methods["isolated run, numpy allowed"] = lambda n: measured(
                lambda k: isolated(with_numpy, k, NUMPY_SOURCE, ("math", "numpy")), n, numpy_pid
            )
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        for _ in range(args.rounds):
            for name, method in methods.items():
                times[name].append(method(args.runs))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.rounds} rounds")
    print(f"{'ms per run':30s} {'wall median':>11s} {'wall min':>9s} {'CPU median':>11s} {'CPU min':>8s}")
    med = {}
    for name, values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        med[name] = statistics.median(walls), statistics.median(cpus)
        print(
            f"{name:30s} {med[name][0] * 1000:11.2f} {min(walls) * 1000:9.2f} "
            f"{med[name][1] * 1000:11.2f} {min(cpus) * 1000:8.2f}"
        )
    run, bare_run = med["isolated run, all layers"], med["isolated run, no OS layers"]
    fork, fresh = med["bare os.fork() + exit"], med["fresh python -I -S -c pass"]
    for i, what in enumerate(("wall", "CPU")):
        print(
            f"{what:4s}: isolated run / bare fork = {run[i] / fork[i]:4.1f}x, "
            f"/ fresh interpreter = {run[i] / fresh[i]:4.2f}x, OS layers cost {(run[i] - bare_run[i]) * 1000:5.2f} ms"
        )
    if args.calls:
        calls = med[f"isolated run, {args.calls} calls"]
        for i, what in enumerate(("wall", "CPU")):
            print(f"{what:4s}: each call after the first costs {(calls[i] - run[i]) / (args.calls - 1) * 1e6:6.1f} µs")
    if args.numpy:
        numpy_run = med["isolated run, numpy allowed"]
        for i, what in enumerate(("wall", "CPU")):
            print(f"{what:4s}: a file with numpy allowed costs {(numpy_run[i] - run[i]) * 1000:+5.2f} ms more per run")
    print(
        f"goal (< 5 ms per run and under a fresh interpreter): "
        f"wall {'met' if run[0] < 0.005 and run[0] < fresh[0] else 'NOT met'}, "
        f"CPU {'met' if run[1] < 0.005 and run[1] < fresh[1] else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
