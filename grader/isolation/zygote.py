"""The zygote: a small, clean interpreter that forks one locked-down child per submission.

Started by exec (``python -I -S -B -u zygote.py CTRL_FD CONFIG``) with an empty environment, so it
holds no secret of the grader's, and it never runs student code itself. Standard library only; it
loads ``lockdown.py`` and ``harness.py`` by path. It stays small: a fork costs more the bigger the
forking process is, which is why the grader itself never forks.

To keep the fork and the lock-down off the critical path, the zygote keeps one child on standby:
forked and locked down (its own uid, Landlock, seccomp) before any request, waiting for the file
descriptors of a submission. A request hands it those, it sets the request's resource limits and
starts the harness; meanwhile the zygote forks the next standby child. No child serves twice.

Control protocol: newline-delimited JSON on a Unix stream socket, file descriptors by SCM_RIGHTS.

    zygote → {"op": "ready", "pid", "layers": {name: "on …" | "off: why"}, "cgroups": [path]}
    parent → {"op": "spawn", "cpu", "memory", "imports": [name]}  + fds (requests, replies, output)
    zygote → {"op": "spawned", "pid", "ok": true} | {"op": "spawned", "pid", "ok": false, "error"}
    parent → {"op": "kill", "pid"}
    zygote → {"op": "exit", "pid", "code", "cpu", "rss_kb", "oom"}   once per spawned child

The student's source never passes through here: the parent writes it straight into the child's
request pipe, and the child reads it only after it has locked itself down.
"""

import contextlib
import fcntl
import gc
import json
import os
import resource
import signal
import socket
import sys

LOCKED = b"locked"
MAX_FD = max(256, min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1 << 16))  # close_range makes it cheap on Linux
SIDE_EFFECTS = {"antigravity", "this", "idlelib", "turtle", "turtledemo", "tkinter", "webbrowser", "pydoc"}
# Set before any package is imported: numerical libraries size their thread pools from these at load
# time, and a zygote must not hold threads when it forks (nor a child start any: RLIMIT_NPROC is 0).
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")  # fmt: skip


def load(name: str):
    """Import a sibling file by path (``-I`` keeps this folder off ``sys.path``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(__file__), name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Zygote:
    def __init__(self, ctrl: socket.socket, config: dict):
        self.ctrl, self.config = ctrl, config
        load("seccomp_filter")  # before lockdown, which imports it
        self.lockdown, self.harness = load("lockdown"), load("harness")
        self.preload(config.get("preload", ()))
        self.prepared = self.lockdown.prepare(config)
        self.rulesets = {(): self.prepared.ruleset}  # folders of allowed packages → Landlock ruleset
        self.standby_key: tuple = ()
        self.devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        self.children: dict[int, int] = {}  # pid → cgroup out-of-memory kills before it started
        self.standby: tuple[int, socket.socket] | None = None
        self.standby_error = ""
        self.buffer, self.fds = b"", []
        self.wake_r, wake_w = os.pipe()  # (os.pipe2 is not on macOS)
        os.set_blocking(self.wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.probe()
        gc.collect()
        gc.freeze()  # children's garbage collections skip the zygote's objects: fewer copied pages
        self.make_standby()

    def preload(self, names, packages: dict | None = None) -> bool:
        """Import standard modules the exercises allow (a child that dropped its uid may not read them),
        and the packages an exercise allows (``{name: {"path": folder holding it, "dirs": [...]}}``),
        found on that folder only for the import: the zygote's own path is the standard library."""
        fresh = False
        for name in names:
            top = name.split(".")[0]
            if top in sys.stdlib_module_names and top not in SIDE_EFFECTS and name not in sys.modules:
                fresh = True
                with contextlib.suppress(Exception):  # the child will report the import error itself
                    __import__(name)
        for name, where in (packages or {}).items():
            if name in sys.modules or not isinstance(where, dict):
                continue
            fresh = True
            sys.path.insert(0, str(where.get("path", "")))
            try:
                with contextlib.suppress(Exception):  # the child will report the import error itself
                    __import__(name)
            finally:
                sys.path.pop(0)
        if fresh:
            gc.collect()
            gc.freeze()
        return fresh

    def rules_for(self, key: tuple) -> int:
        """The Landlock ruleset that also reads the folders in ``key`` (built once per set)."""
        if key not in self.rulesets:
            if not self.prepared.on("landlock"):
                return -1
            self.rulesets[key] = self.lockdown.ruleset(self.prepared, key)
        return self.rulesets[key]

    def send(self, frame: dict) -> None:
        self.ctrl.sendall((json.dumps(frame) + "\n").encode())

    # ------------------------------------------------------------ children

    def probe(self) -> None:
        """Fork one child through the whole lock-down; a layer that fails there is turned off."""
        layers = self.prepared.layers
        for _ in range(len(layers)):
            status_r, status_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                self.lock(status_w, {"cpu": 5, "memory": self.config["memory"]})
                os._exit(0)
            os.close(status_w)
            status = self.read_status(status_r)
            os.waitpid(pid, 0)
            if status == LOCKED:
                return
            name, _, why = status.decode(errors="replace").partition(": ")
            if name == "process" or not layers.get(name, "").startswith("on"):
                layers["process"] = f"on: lock-down probe failed ({status[:200]!r})"
                return
            layers[name] = f"off: {why.strip()}"

    def lock(self, status_w: int, limits: dict | None = None, rules: int = -1) -> None:
        """In a fresh child: lock down, then tell the zygote (nothing of a student's is here yet)."""
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.lockdown.enter(self.prepared, self.config["uid_base"] + os.getpid(), rules)
            if limits is not None:
                self.lockdown.limit(self.prepared, limits)
            os.write(status_w, LOCKED)
        except BaseException as exc:  # noqa: BLE001 - say which layer failed; never run unprotected
            os.write(status_w, f"{getattr(exc, 'layer', 'process')}: {exc}".encode()[:500])
            os._exit(121)
        os.close(status_w)

    def read_status(self, fd: int) -> bytes:
        """LOCKED, or why not: read until those bytes or the end."""
        data = b""
        while data != LOCKED:
            chunk = os.read(fd, 512)
            if not chunk:
                break
            data += chunk
        os.close(fd)
        return data

    def make_standby(self, key: tuple = ()) -> None:
        """Fork and lock down the next child, with the ruleset of the packages in ``key``."""
        self.standby_key = key
        rules = self.rules_for(key)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                self.wait_in_standby(theirs, status_w, rules)
            finally:
                os._exit(122)
        theirs.close()
        os.close(status_w)
        status = self.read_status(status_r)
        if status == LOCKED:
            self.standby, self.standby_error = (pid, mine), ""
        else:
            mine.close()
            os.waitpid(pid, 0)
            self.standby, self.standby_error = None, status.decode(errors="replace")

    def wait_in_standby(self, sock: socket.socket, status_w: int, rules: int) -> None:
        """The child's life: lock down, wait for a request, take its descriptors and limits, serve it."""
        os.setsid()
        _close_all_but({sock.fileno(), status_w, self.devnull, rules})
        self.lock(status_w, rules=rules)
        data, fds, _flags, _addr = socket.recv_fds(sock, 4096, 4)
        if not data or len(fds) != 3:
            os._exit(0)
        request = json.loads(data)
        # 0 ← /dev/null, 1 and 2 ← output pipe, 3 ← requests, 4 ← replies; nothing else stays open
        high = [_dup_above(fd, 5) for fd in (self.devnull, fds[2], fds[2], fds[0], fds[1])]
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(5, MAX_FD)
        try:
            self.lockdown.limit(self.prepared, request)
        except BaseException:  # noqa: BLE001
            os._exit(121)
        sys.argv = ["submission"]
        self.harness.main(3, 4)
        os._exit(0)

    def spawn(self, request: dict, fds: list[int]) -> None:
        self.one_at_a_time()
        packages = request.get("packages") or {}
        key = tuple(sorted(str(d) for where in packages.values() for d in where.get("dirs", ())))
        if self.preload(request.get("imports", ()), packages) and self.standby:
            self.drop_standby()  # forked before these modules were imported
        if self.standby and self.standby_key != key:
            self.drop_standby()  # locked down with another exercise's packages readable
        self.lockdown.set_memory(self.prepared, int(request["memory"]))
        limits = {"cpu": request["cpu"], "memory": int(request["memory"])}
        pid = 0
        for _attempt in range(2):
            if self.standby is None:
                self.make_standby(key)
            if self.standby is None or len(fds) != 3:
                break
            pid, sock = self.standby
            self.standby = None
            try:
                socket.send_fds(sock, [json.dumps(limits).encode()], fds)
                break
            except OSError:  # it died waiting: reap it and fork another
                self.drop_standby((pid, sock))
                pid = 0
            finally:
                sock.close()
        for fd in fds:
            os.close(fd)
        if pid:
            self.children[pid] = self.lockdown.oom_kills(self.prepared)
            self.send({"op": "spawned", "pid": pid, "ok": True})
            if self.config.get("standby", True):
                self.make_standby(key)
        else:
            self.send({"op": "spawned", "pid": 0, "ok": False, "error": self.standby_error or "no child"})

    def drop_standby(self, standby: tuple | None = None) -> None:
        pid, sock = standby or self.standby
        self.standby = None
        sock.close()
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    def one_at_a_time(self) -> None:
        """Kill every earlier child; wait for all but the last to be gone.

        A new child shares the cgroup with at most one dying one, and the cgroup's memory limit has
        room for two children (each is held to its own limit by RLIMIT_AS): no spurious kills.
        """
        for pid in self.children:
            self.kill(pid)
        self.reap()
        for pid in list(self.children)[:-1]:
            os.waitpid(pid, 0)
            self.children.pop(pid)
            self.send({"op": "exit", "pid": pid, "code": -signal.SIGKILL, "cpu": 0.0, "rss_kb": 0, "oom": False})

    def reap(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid not in self.children:  # a standby child that died waiting
                if self.standby and self.standby[0] == pid:
                    self.standby[1].close()
                    self.standby = None
                continue
            before = self.children.pop(pid)
            self.send(
                {
                    "op": "exit",
                    "pid": pid,
                    "code": os.waitstatus_to_exitcode(status),
                    "cpu": usage.ru_utime + usage.ru_stime,
                    "rss_kb": usage.ru_maxrss,
                    "oom": self.lockdown.oom_kills(self.prepared) > before,
                }
            )

    def kill(self, pid: int) -> None:
        if pid in self.children:  # not reaped yet, so the number still names our child
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # ------------------------------------------------------------ loop

    def serve(self) -> None:
        import selectors

        selector = selectors.DefaultSelector()
        selector.register(self.ctrl, selectors.EVENT_READ, "ctrl")
        selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        while True:
            for key, _ in selector.select():
                try:
                    if key.data == "wake":
                        self.woken()
                    elif not self.receive():
                        return
                except (BrokenPipeError, ConnectionResetError):  # the parent closed its end: the end, as at EOF
                    return

    def woken(self) -> None:
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass
        self.reap()

    def receive(self) -> bool:
        data, fds, _flags, _addr = socket.recv_fds(self.ctrl, 65536, 16)
        if not data:
            return False
        self.buffer += data
        self.fds += fds
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            request = json.loads(line)
            if request["op"] == "spawn":
                fds, self.fds = self.fds[:3], self.fds[3:]
                self.spawn(request, fds)
            elif request["op"] == "kill":
                self.kill(int(request["pid"]))
        self.reap()
        return True

    def shutdown(self) -> None:
        for pid in list(self.children):
            self.kill(pid)
        if self.standby:
            self.drop_standby()


def _dup_above(fd: int, low: int) -> int:
    return fcntl.fcntl(fd, fcntl.F_DUPFD, low)


def _close_all_but(keep: set[int]) -> None:
    low = 3
    for fd in sorted(f for f in keep if f >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, MAX_FD)


def main() -> None:
    _close_all_but({int(sys.argv[1])})  # anything the grader left inheritable is not ours to hold
    with contextlib.suppress(OSError):  # a session of its own, if launch could not give it one
        os.setsid()
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(sys.argv[2])
    config.setdefault("readable", [path for path in sys.path if os.path.isdir(path)])  # the stdlib
    for name in ONE_THREAD:
        os.environ[name] = "1"
    os.chdir("/")
    zygote = Zygote(ctrl, config)
    zygote.send(
        {"op": "ready", "pid": os.getpid(), "layers": zygote.prepared.layers, "cgroups": zygote.prepared.cgroups}
    )
    try:
        zygote.serve()
    finally:
        zygote.shutdown()
    os._exit(0)  # nothing to flush or free: the kernel ends a process faster than the interpreter's teardown


if __name__ == "__main__":
    main()
