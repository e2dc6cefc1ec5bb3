"""The world hostile submissions attack: a secret, answers on disk and in a root process's memory,
a canary file, a listener, another student's file; and ways to run a submission and check that
world afterwards.

Each exploit in ``hostile/`` returns the right answers only if its forbidden action succeeded,
so any mark it earns is a hole. Placeholders (``__REFERENCE__``, ``__PORT__``, …) are filled in
with this world's paths before the file is graded.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.isolation.sandbox import Bad, Call, Limits, Pool, Session

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
EXERCISES = HERE / "exercises"
GRADER_DIR = Path(__file__).resolve().parents[2] / "grader"
POINTS = (0.5, -1.25, 2.0)
OPEN_IMPORTS = ["math", "os", "sys", "gc", "json", "signal", "socket", "ctypes", "time", "builtins", "mmap", "select"]
LIMITS = Limits(seconds_per_call=1.0, seconds_to_load=3.0)


def expected(x: float) -> float:
    return 1 - math.tanh(x) ** 2


ANSWERS = "ANSWERS " + " ".join(f"{x!r}={expected(x)!r}" for x in POINTS)
HONEST = "import math\n\ndef tanh_local_grad(x):\n    return 1 - math.tanh(x) ** 2\n"


@dataclass
class World:
    root: Path
    token: str
    secret: str
    reference: Path
    canary: Path
    other: Path
    listener: socket.socket
    udp: socket.socket
    bystander: subprocess.Popen
    pool: Pool
    inherited_fd: int

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def source(self, name: str) -> str:
        text = (HOSTILE / name).read_text()
        for key, value in {
            "__REFERENCE__": str(self.reference),
            "__CANARY__": str(self.canary),
            "__OTHER__": str(self.other),
            "__PORT__": str(self.port),
            "__BYSTANDER__": str(self.bystander.pid),
            "__UNIQUE__": self.token,
            "__GRADER_DIR__": str(GRADER_DIR),
            "__GRADER_PARENT__": str(GRADER_DIR.parent),
        }.items():
            text = text.replace(key, value)
        return text

    def traces(self) -> list[str]:
        """Everything an exploit may have left behind; empty when the world is untouched."""
        found = []
        if self.canary.read_text() != "canary":
            found.append(f"canary changed: {self.canary.read_text()[:40]!r}")
        for folder in ("/tmp", "/dev/shm", "/var/tmp", "/", str(Path.home()), str(self.root)):
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            found += [f"{folder}/{n}" for n in names if self.token in n]
        import sysconfig

        for folder in (GRADER_DIR, Path(sysconfig.get_paths()["stdlib"])):
            if (folder / "sitecustomize.py").exists():
                found.append(f"{folder}/sitecustomize.py planted")
        try:
            conn, _ = self.listener.accept()
            conn.close()
            found.append("a TCP connection reached the listener")
        except BlockingIOError:
            pass
        try:
            self.udp.recvfrom(4096)
            found.append("a UDP datagram reached the listener")
        except BlockingIOError:
            pass
        if self.bystander.poll() is not None:
            found.append(f"the bystander process died ({self.bystander.returncode})")
        return found


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """Built before its pool, so the pool's zygote starts with the secret set and a descriptor open."""
    root = tmp_path_factory.mktemp("world")
    os.chmod(root, 0o755)
    token = "sbx" + secrets.token_hex(6)
    secret = "course-secret-" + secrets.token_hex(16)
    old_secret = os.environ.get("GRADE_SECRET")
    os.environ["GRADE_SECRET"] = secret
    reference = root / "reference_answers.txt"
    reference.write_text(ANSWERS)
    canary = root / "gradebook.canary"
    canary.write_text("canary")
    other = root / "other_student.py"
    other.write_text(HONEST)
    for path, mode in ((reference, 0o644), (canary, 0o666), (other, 0o644)):
        os.chmod(path, mode)
    inherited = os.open(reference, os.O_RDONLY)
    os.set_inheritable(inherited, True)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", listener.getsockname()[1]))
    udp.setblocking(False)
    holder = f"import time\nanswers = {ANSWERS!r}.encode()\ntime.sleep(600)\n"
    bystander = subprocess.Popen([sys.executable, "-c", holder], env={**os.environ, "GRADE_SECRET": secret})
    pool = Pool(2)
    try:
        missing = {name: why for name, why in pool.layers().items() if not why.startswith("on")}
        if {"landlock", "seccomp"} & set(missing):  # documented as weaker (docs/sandbox.md), not a hole
            pytest.skip(f"the hostile suite needs Landlock and seccomp; here: {missing}")
        yield World(root, token, secret, reference, canary, other, listener, udp, bystander, pool, inherited)
    finally:
        pool.close()
        bystander.kill()
        bystander.wait()
        listener.close()
        udp.close()
        os.close(inherited)
        if old_secret is None:
            os.environ.pop("GRADE_SECRET", None)
        else:
            os.environ["GRADE_SECRET"] = old_secret


@dataclass
class Outcome:
    """What one submission earned through the Session API: marks out of len(POINTS), and how it ended."""

    score: int
    kind: str  # value, list, bad:<what>, exception, forbidden, timeout, memory, output, crash; load:<kind>
    message: str
    output: str

    def text(self) -> str:
        return json.dumps([self.kind, self.message, self.output])


def classify(result) -> tuple[str, str]:
    if not result.ok:
        return result.kind, result.message
    value = result.value
    if isinstance(value, Bad):
        return f"bad:{value.what}", value.text
    return ("value" if isinstance(value, float) else type(value).__name__), repr(value)[:80]


def run_session(source: str, pool: Pool, imports=None, limits: Limits = LIMITS) -> Outcome:
    imports = OPEN_IMPORTS if imports is None else imports
    with Session(source, "student.py", "student", ["tanh_local_grad"], imports, limits, pool=pool) as session:
        report = session.load()
        if not report.ok:
            return Outcome(0, f"load:{report.kind}", report.message, session.output)
        results = session.run([Call(i, "tanh_local_grad", (x,)) for i, x in enumerate(POINTS)])
    score = sum(
        1
        for i, x in enumerate(POINTS)
        if results[i].ok and type(results[i].value) is float and math.isclose(results[i].value, expected(x))
    )
    kind, message = classify(results[0])
    return Outcome(score, kind, message, session.output)
