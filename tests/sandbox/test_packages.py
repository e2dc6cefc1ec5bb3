"""What a child may read, whatever the install layout, and an exercise that allows numpy.

The child reads the standard library (never a ``site-packages`` or ``dist-packages`` folder inside
it: python.org and Docker interpreters, ``pip install`` without a venv, keep one there) and the
packages its exercise allows, nothing else: not the rest of site-packages, not the grader's source,
not its shipped solutions. numpy, when allowed, is imported by the zygote before any child forks,
with every thread pool held to one thread.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest

from grader.grading import api
from grader.isolation.lockdown import readable_paths
from grader.isolation.sandbox import Call, Limits, Session
from tests.sandbox.conftest import EXERCISES, POINTS

numpy = pytest.importorskip("numpy")
GRADER = Path(api.__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
LIMITS = Limits(seconds_per_call=5.0, seconds_to_load=10.0)
NUMPY_SOLUTION = "import numpy as np\n\n\ndef tanh_local_grad(x):\n    return float(1 - np.tanh(x) ** 2)\n"


def readable(pool, paths: list[str], imports: list[str]) -> dict[str, str]:
    """For each path, what the child got trying to read it: "read", or the error's name."""
    source = (
        "def tanh_local_grad(i):\n"
        f"    path = {paths!r}[int(i)]\n"
        "    try:\n"
        "        with open(path, 'rb') as f:\n"
        "            f.read(64)\n"
        "        return 1.0\n"
        "    except PermissionError:\n"
        "        return 0.0\n"
        "    except OSError:\n"
        "        return -1.0\n"
    )
    with Session(source, "student.py", "student", ["tanh_local_grad"], imports, LIMITS, pool=pool) as session:
        assert session.load().ok
        results = session.run([Call(i, "tanh_local_grad", (float(i),)) for i in range(len(paths))])
    words = {1.0: "read", 0.0: "denied", -1.0: "missing"}
    return {path: words.get(results[i].value, repr(results[i])) for i, path in enumerate(paths)}


def test_readable_paths_leave_out_a_site_packages_inside_the_standard_library(tmp_path):
    lib = tmp_path / "lib" / "python3.11"
    for folder in ("json", "lib-dynload", "site-packages/grader/_data/solutions", "dist-packages/x"):
        (lib / folder).mkdir(parents=True)
    (lib / "os.py").write_text("")
    plain = tmp_path / "plain"
    plain.mkdir()
    got = readable_paths([str(lib), str(plain)])
    assert sorted(got) == sorted([str(lib / "json"), str(lib / "lib-dynload"), str(lib / "os.py"), str(plain)])


def others_may_read(path: Path) -> bool:
    """Whether file permissions alone let any user read ``path`` (a child has a uid of its own)."""
    path = path.resolve()
    folders_ok = all(os.stat(parent).st_mode & 0o001 for parent in path.parents)
    return folders_ok and bool(os.stat(path).st_mode & 0o004)


def test_a_child_reads_nothing_of_the_grader(world):
    paths = [
        str(GRADER / "grading" / "api.py"),  # the grader's source
        str(GRADER / "isolation" / "harness.py"),  # even the harness it runs (loaded by the zygote)
        str(Path(numpy.__file__)),  # a package the exercise does not allow
    ]
    shipped = GRADER / "_data" / "solutions" / "exercise03.py"
    paths += [str(shipped)] if shipped.exists() else []
    got = readable(world.pool, paths, ["math"])
    assert all(got[p] == "denied" for p in paths), got


def test_numpy_when_the_exercise_allows_it(world, tmp_path):
    paths = [str(Path(numpy.__file__)), str(GRADER / "__init__.py")]
    if not others_may_read(Path(numpy.__file__)):
        pytest.skip("numpy's files are not readable by other users here")
    assert list(readable(world.pool, paths, ["numpy"]).values()) == ["read", "denied"]
    path = tmp_path / "sbx_numpy.py"
    path.write_text(NUMPY_SOLUTION)
    verdict = api.submit(path, "sbx_numpy", exercises_dir=EXERCISES)
    assert verdict.score == verdict.max_score, verdict


def test_numpy_runs_on_one_thread(world):
    source = (
        "import numpy as np\n\ndef tanh_local_grad(x):\n"
        "    a = np.full((300, 300), x)\n"
        "    return float((a @ a)[0, 0])\n"
    )
    with Session(source, "student.py", "student", ["tanh_local_grad"], ["numpy"], LIMITS, pool=world.pool) as session:
        assert session.load().ok
        results = session.run([Call(i, "tanh_local_grad", (x,)) for i, x in enumerate(POINTS)])
        threads = Path(f"/proc/{session.child.pid}/status").read_text().split("Threads:")[1].split()[0]
    assert [results[i].value for i in range(len(POINTS))] == pytest.approx([300 * x * x for x in POINTS])
    assert threads == "1"


def test_numpy_where_it_is_not_allowed_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "sbx_strict.py"
    path.write_text(NUMPY_SOLUTION)
    verdict = api.submit(path, "sbx_strict", exercises_dir=EXERCISES)
    assert verdict.status == "error" and verdict.score == 0.0
    text = str(verdict.to_json())
    assert "numpy" in text and "not allowed" in text and "math" in text


LAYOUT_SCRIPT = r"""
import json, sys
from pathlib import Path
from grader.grading import api
from grader.isolation.sandbox import Call, Limits, Session
import grader
site = Path(grader.__file__).resolve().parent
paths = [str(site / "_data" / "solutions" / "exercise03.py"), str(site / "grading" / "api.py"),
         str(site.parent / "other_package" / "__init__.py"), sys.argv[1]]
source = (
    "def probe(i):\n"
    f"    path = {paths!r}[int(i)]\n"
    "    try:\n"
    "        with open(path, 'rb') as f:\n"
    "            f.read(64)\n"
    "        return 1.0\n"
    "    except PermissionError:\n"
    "        return 0.0\n"
)
with Session(source, "s.py", "s", ["probe"], ["math"], Limits(seconds_per_call=5.0, seconds_to_load=10.0)) as s:
    assert s.load().ok
    results = s.run([Call(i, "probe", (float(i),)) for i in range(len(paths))])
hostile = Path(sys.argv[2])
verdict = api.submit(hostile, "exercise03", exercises_dir=site / "_data" / "exercises")
print(json.dumps({"grader": str(site), "read": [results[i].value for i in range(len(paths))],
                  "score": verdict.score, "max": verdict.max_score}))
"""
STEAL = """
try:
    exec(open(__SOLUTION__).read())
except OSError:
    def mul_backward(a, b, upstream):
        return (0.0, 0.0)
"""


def test_a_python_that_keeps_site_packages_inside_its_standard_library(tmp_path):
    """A python.org, Docker or pyenv interpreter with the grader installed without a venv: its
    site-packages, solutions included, sits inside the standard library's folder. Built here in a
    folder every user may traverse, from this interpreter's files (links) and a copy of the grader
    as ``pip install --target`` lays it out; only Landlock stands between a child and the files."""
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    base = Path(sys._base_executable).resolve()
    real = Path(sysconfig.get_paths(vars={"base": sys.base_prefix, "installed_base": sys.base_prefix})["stdlib"])
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if not (real / "os.py").exists():
        pytest.skip("no standard library folder to lay out")
    home = Path(tempfile.mkdtemp(prefix="grader-layout-", dir="/tmp"))
    try:
        os.chmod(home, 0o755)
        lib = home / "lib" / version
        site = lib / "site-packages"
        (home / "bin").mkdir()
        site.mkdir(parents=True)
        for entry in real.iterdir():
            if entry.name not in ("site-packages", "dist-packages"):
                (lib / entry.name).symlink_to(entry)
        shutil.copy2(base, home / "bin" / version)
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(GRADER, site / "grader", ignore=ignore)
        for name in ("exercises", "solutions"):
            shutil.copytree(GRADER.parent / name, site / "grader" / "_data" / name, ignore=ignore)
        (site / "other_package").mkdir()
        (site / "other_package" / "__init__.py").write_text("SECRET = 1\n")
        (lib / "course_probe.py").write_text("# a file of the standard library folder itself\n")
        deps = sorted(
            {str(Path(m.__file__).resolve().parents[1]) for m in (__import__("yaml"), __import__("pydantic"))}
        )
        (site / "deps.pth").write_text("\n".join(deps) + "\n")
        for folder, _, files in os.walk(home):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o755 if name.startswith("python") else 0o644)
        hostile = home / "exercise03.py"
        hostile.write_text(
            STEAL.replace("__SOLUTION__", repr(str(site / "grader" / "_data" / "solutions" / "exercise03.py")))
        )
        run = subprocess.run(
            [str(home / "bin" / version), "-c", LAYOUT_SCRIPT, str(lib / "course_probe.py"), str(hostile)],
            capture_output=True, text=True, timeout=120, cwd=home, env={"PATH": os.environ.get("PATH", "")},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        report = json.loads(run.stdout.strip().splitlines()[-1])
        assert report["grader"] == str(site / "grader")  # graded by the copy inside the standard library
        assert report["read"] == [0.0, 0.0, 0.0, 1.0]  # solutions, source, other package: denied; stdlib: read
        assert report["score"] < report["max"] / 2
    finally:
        shutil.rmtree(home, ignore_errors=True)
