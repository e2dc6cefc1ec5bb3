"""Each layer of the operating system, on its own: what it stops, and what is reported when it is missing.

The hostile tests run every layer at once; here each layer runs alone (the others turned off in the
pool) against the attacks it is meant to stop, so that one layer failing never opens a hole by
itself. Also: the seccomp filter, checked instruction by instruction; what ``isolation()`` reports;
and an ordinary user's machine, for real (a zygote running as ``nobody``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from grader.isolation import lockdown, seccomp_filter
from grader.isolation.sandbox import Limits, Pool, isolation
from tests.sandbox.conftest import HONEST, POINTS, run_session

LINUX_ROOT = sys.platform.startswith("linux") and os.geteuid() == 0
OPTIONAL = ("rlimits", "uid", "netns", "landlock", "seccomp", "cgroup")
ALONE = {  # layer → the attacks it must stop by itself, and how each ends
    "landlock": {
        "14_read_reference.py": "forbidden",
        "16_secret_environment.py": "forbidden",
        "21_overwrite_canary.py": "forbidden",
        "22_leave_files.py": "forbidden",
        "25_tcp_connect.py": "forbidden",
        "29_kill_grader.py": "forbidden",
        "15_import_reference_engine.py": "load:forbidden",
    },
    "seccomp": {
        "24_sysv_shared_memory.py": "forbidden",
        "25_tcp_connect.py": "forbidden",
        "26_udp_and_unix_sockets.py": "forbidden",
        "27_fork_bomb.py": "forbidden",
        "28_exec_program.py": "forbidden",
        "29_kill_grader.py": "forbidden",
        "30_ptrace_and_vm_read.py": "forbidden",
    },
    "uid": {
        "16_secret_environment.py": "forbidden",
        "17_grader_memory.py": "forbidden",
        "29_kill_grader.py": "forbidden",
        "30_ptrace_and_vm_read.py": "forbidden",
    },
    "netns": {"25_tcp_connect.py": "forbidden"},
    "rlimits": {"34_cpu_burn.py": "timeout", "35_memory_bomb.py": "memory"},
}


def alone(layer: str) -> Pool:
    return Pool(1, off=tuple(name for name in OPTIONAL if name != layer))


@pytest.mark.skipif(not LINUX_ROOT, reason="needs root on Linux")
@pytest.mark.parametrize("layer", sorted(ALONE))
def test_each_layer_alone_stops_its_attacks(world, layer):
    with alone(layer) as pool:
        layers = isolation(pool).layers
        if not layers[layer].startswith("on"):
            pytest.skip(f"{layer} unavailable here: {layers[layer]}")
        assert [n for n in OPTIONAL if layers[n].startswith("on")] == [layer]
        for name, kind in ALONE[layer].items():
            limits = Limits(30.0, 3.0, cpu_seconds=1) if name == "34_cpu_burn.py" else Limits(1.0, 3.0)
            outcome = run_session(world.source(name), pool, limits=limits)
            assert (outcome.score, outcome.kind) == (0, kind), (layer, name, outcome)
            assert world.traces() == [], (layer, name)
            assert world.secret not in outcome.text()
        assert run_session(HONEST, pool).score == len(POINTS)


@pytest.mark.skipif(not LINUX_ROOT, reason="needs root and cgroup v1 on Linux")
def test_cgroup_alone_kills_a_child_that_fills_its_memory():
    touch = "def tanh_local_grad(x):\n    blob = b'x' * (400 << 20)\n    return float(len(blob))\n"
    with alone("cgroup") as pool:
        layers = isolation(pool).layers
        if not layers["cgroup"].startswith("on"):
            pytest.skip(layers["cgroup"])
        outcome = run_session(touch, pool, limits=Limits(5.0, 3.0, memory_mb=64))
        assert (outcome.score, outcome.kind) == (0, "memory"), outcome
        assert "more than 64 MB" in outcome.message
        assert run_session(HONEST, pool).score == len(POINTS)


@pytest.mark.skipif(not LINUX_ROOT, reason="needs root on Linux")
def test_every_layer_is_active_on_this_machine():
    report = isolation()
    assert set(report.active) | set(report.missing) == {"process", *OPTIONAL}
    assert (report.notice is None) == (report.missing == {})
    if Path("/sys/fs/cgroup/memory/cgroup.procs").exists() and lockdown.libc().syscall(444, None, 0, 1) >= 6:
        assert report.missing == {}, report.layers  # root, Landlock ABI 6+, cgroup v1: everything holds


def test_a_weaker_machine_gets_a_notice_that_says_what_is_lost():
    with Pool(1, off=("uid", "netns", "cgroup")) as pool:
        report = isolation(pool)
        assert set(report.missing) >= {"uid", "netns", "cgroup"}
        notice = report.notice
        assert notice.startswith("note: student code runs with weaker isolation here")
        assert "runs as your user" in notice and "network" in notice
        assert run_session(HONEST, pool).score == len(POINTS)  # grading itself still works


def run_filter(program: list, nr: int, arch: int, arg0: int = 0) -> int:
    """A tiny interpreter for the classic BPF the filter uses (load word, jeq, jge, jset, ret)."""
    data = {0: nr, 4: arch, 16: arg0 & 0xFFFFFFFF}
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            acc, pc = data[k], pc + 1
        elif code == 0x06:
            return k
        else:
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)


def test_seccomp_filter_decides_every_call_as_intended():
    arch, denied, clone, clone3, foreign = seccomp_filter.ARCHES["x86_64"]
    program = seccomp_filter.build(arch, denied, clone, clone3, foreign)
    assert all(jt < 256 and jf < 256 for _, jt, jf, _ in program)
    allow, eperm, enosys, kill = 0x7FFF0000, 0x00050001, 0x00050026, 0x80000000
    assert len(denied) == len(set(denied)) == len(seccomp_filter.DENY) + 8
    for nr in denied:
        assert run_filter(program, nr, arch) == eperm, nr
    for nr in (0, 1, 2, 3, 9, 11, 12, 60, 231):  # read write open close mmap munmap brk exit exit_group
        assert run_filter(program, nr, arch) == allow, nr
    assert run_filter(program, clone, arch, arg0=0x003D0F00) == allow  # pthread_create's flags
    assert run_filter(program, clone, arch, arg0=0x01200011) == eperm  # fork()'s flags
    assert run_filter(program, clone3, arch) == enosys  # so glibc falls back to clone
    assert run_filter(program, 0x40000000 + 41, arch) == eperm  # the x32 ABI
    assert run_filter(program, 0, 0x40000003) == kill  # another architecture (i386)
    aarch64 = seccomp_filter.ARCHES["aarch64"]
    assert len(aarch64[1]) == len(seccomp_filter.DENY)
    assert run_filter(seccomp_filter.build(*aarch64), 198, aarch64[0]) == eperm  # socket


NOBODY_SCRIPT = textwrap.dedent("""
    import json, sys
    from grader.isolation.sandbox import Call, Limits, Session, isolation
    def run(source):
        with Session(source, "s.py", "s", ["tanh_local_grad"], ["math", "os"], Limits(1.0, 3.0)) as s:
            report = s.load()
            if not report.ok:
                return ["load", report.kind]
            r = s.run([Call(0, "tanh_local_grad", (0.5,))])[0]
            return [r.kind, r.value if r.ok else r.message]
    print(json.dumps({"layers": isolation().layers, "honest": run(sys.argv[1]), "read": run(sys.argv[2]),
                      "fork": run(sys.argv[3])}))
""")


@pytest.mark.skipif(
    not (LINUX_ROOT and shutil.which("setpriv") and Path("/usr/bin/python3.11").exists()),
    reason="needs root (to become nobody), setpriv and Debian's python3.11",
)
def test_an_ordinary_user_still_gets_landlock_seccomp_and_limits():
    root = Path(__file__).resolve().parents[2]
    if any(os.stat(p).st_mode & 0o005 != 0o005 for p in (root, root / "grader")):
        pytest.skip("the checkout is not readable by other users")
    folder = Path(tempfile.mkdtemp(prefix="sbx-nobody-"))
    try:
        os.chmod(folder, 0o755)
        secret_file = folder / "answers.txt"
        secret_file.write_text("ANSWERS")
        os.chmod(secret_file, 0o644)
        read = f"def tanh_local_grad(x):\n    return float(len(open({str(secret_file)!r}).read()))\n"
        fork = "import os\ndef tanh_local_grad(x):\n    return float(os.fork())\n"
        done = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/python3.11",
                "-I",
                "-c",
                f"import sys; sys.path.insert(0, {str(root)!r})\n" + NOBODY_SCRIPT,
                HONEST,
                read,
                fork,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=folder,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
    finally:
        shutil.rmtree(folder)
    layers = report["layers"]
    assert {k for k, v in layers.items() if not v.startswith("on")} == {"uid", "netns", "cgroup"}, layers
    assert report["honest"][0] == "" and abs(report["honest"][1] - 0.7864477329659274) < 1e-12
    assert report["read"][0] == "forbidden"  # Landlock, though the file is readable by nobody
    assert report["fork"][0] == "forbidden"  # seccomp


def test_the_zygote_side_imports_only_the_standard_library():
    """zygote, lockdown, seccomp_filter and harness run under ``python -I -S``: nothing but the stdlib."""
    import ast

    package = Path(__file__).resolve().parents[2] / "grader" / "isolation"
    siblings = {"lockdown", "seccomp_filter", "harness"}
    for name in ("zygote", "lockdown", "seccomp_filter", "harness"):
        tree = ast.parse((package / f"{name}.py").read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for imported in names:
                top = imported.split(".")[0]
                if top == "grader":  # lockdown's `from grader.isolation import seccomp_filter`, with a fallback
                    assert name == "lockdown" and imported == "grader.isolation", (name, imported)
                    continue
                assert top in sys.stdlib_module_names or top in siblings, (name, imported)
