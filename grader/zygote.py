"""The zygote: a small, clean interpreter that forks one locked-down child per submission.

Started by exec (``python -I -S -B -u zygote.py CTRL_FD CONFIG``) with an empty environment, so it
holds no secret of the grader's, and it never runs student code itself. Standard library only; it
loads ``lockdown.py`` and ``harness.py`` by path. It stays small: a fork costs more the bigger the
forking process is, which is why the grader itself never forks.

Control protocol: newline-delimited JSON on a Unix stream socket, file descriptors by SCM_RIGHTS.

    zygote → {"op": "ready", "pid", "layers": {name: "on …" | "off: why"}, "cgroups": [path]}
    parent → {"op": "spawn", "cpu", "memory", "imports": [name]}  + fds (requests, replies, output)
    zygote → {"op": "spawned", "pid", "ok": true} | {"op": "spawned", "pid", "ok": false, "error"}
    parent → {"op": "kill", "pid"}
    zygote → {"op": "exit", "pid", "code", "cpu", "rss_kb", "oom"}   once per spawned child

The student's source never passes through here: the parent writes it straight into the child's
request pipe, and the child reads it only after it has locked itself down.
"""

import json
import os
import signal
import socket
import sys

LOCKED = b"locked"
SIDE_EFFECTS = {"antigravity", "this", "idlelib", "turtle", "turtledemo", "tkinter", "webbrowser", "pydoc"}


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
        self.lockdown, self.harness = load("lockdown"), load("harness")
        self.preload(config.get("preload", ()))
        self.prepared = self.lockdown.prepare(config)
        self.devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        self.children: dict[int, dict] = {}
        self.buffer, self.fds = b"", []
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.probe()

    def preload(self, names) -> None:
        """Import standard modules the exercises allow: a child that dropped its uid may not read them."""
        for name in names:
            top = name.split(".")[0]
            if top in sys.stdlib_module_names and top not in SIDE_EFFECTS and name not in sys.modules:
                try:
                    __import__(name)
                except Exception:  # noqa: BLE001 - the child will report the import error itself
                    pass

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
                self.child_lockdown(status_w, {"cpu": 5, "memory": self.config["memory"]})
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

    def child_lockdown(self, status_w: int, limits: dict) -> None:
        """In a fresh child: lock down, then tell the zygote (student code runs only after this)."""
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.lockdown.enter(self.prepared, self.config["uid_base"] + os.getpid(), limits)
            os.write(status_w, LOCKED)
        except BaseException as exc:  # noqa: BLE001 - say which layer failed; never run unprotected
            layer = getattr(exc, "layer", "process")
            os.write(status_w, f"{layer}: {exc}".encode()[:500])
            os._exit(121)
        os.close(status_w)

    def read_status(self, fd: int) -> bytes:
        data = b""
        while True:
            chunk = os.read(fd, 512)
            if not chunk:
                break
            data += chunk
        os.close(fd)
        return data

    def spawn(self, request: dict, fds: list[int]) -> None:
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            self.send({"op": "spawned", "pid": 0, "ok": False, "error": "expected three file descriptors"})
            return
        self.preload(request.get("imports", ()))
        self.lockdown.set_memory(self.prepared, int(request["memory"]))
        status_r, status_w = os.pipe()
        limits = {"cpu": request["cpu"], "memory": int(request["memory"])}
        pid = os.fork()
        if pid == 0:
            try:
                self.run_child(fds, status_w, limits)
            finally:
                os._exit(122)
        for fd in (*fds, status_w):
            os.close(fd)
        status = self.read_status(status_r)
        if status == LOCKED:
            self.children[pid] = {"oom": self.lockdown.oom_kills(self.prepared)}
            self.send({"op": "spawned", "pid": pid, "ok": True})
        else:  # it exits by itself (121); never report it as a run
            os.waitpid(pid, 0)
            self.send({"op": "spawned", "pid": pid, "ok": False, "error": status.decode(errors="replace")})

    def run_child(self, fds: list[int], status_w: int, limits: dict) -> None:
        os.setsid()
        # 0 ← /dev/null, 1 and 2 ← output pipe, 3 ← requests, 4 ← replies, 5 ← lock-down status
        wanted = [self.devnull, fds[2], fds[2], fds[0], fds[1], status_w]
        high = [_dup_above(fd, 6) for fd in wanted]  # first out of the way, then into place
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        keep = self.prepared.ruleset
        if keep >= 6:
            os.closerange(6, keep)
            os.closerange(keep + 1, 1 << 20)
        else:
            os.closerange(6, 1 << 20)
        sys.argv = ["submission"]
        self.child_lockdown(5, limits)
        self.harness.main(3, 4)
        os._exit(0)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            info = self.children.pop(pid, {"oom": 0})
            self.send({"op": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status),
                       "cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss,
                       "oom": self.lockdown.oom_kills(self.prepared) > info["oom"]})

    def kill(self, pid: int) -> None:
        if pid in self.children:  # not reaped yet, so the number still names our child
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # ------------------------------------------------------------ loop

    def serve(self) -> None:
        import selectors

        selector = selectors.DefaultSelector()
        selector.register(self.ctrl, selectors.EVENT_READ, "ctrl")
        selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        while True:
            for key, _ in selector.select():
                if key.data == "wake":
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                    self.reap()
                elif not self.receive():
                    return

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


def _dup_above(fd: int, low: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD, low)


def main() -> None:
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(sys.argv[2])
    config.setdefault("readable", [path for path in sys.path if os.path.isdir(path)])  # the stdlib
    os.chdir("/")
    zygote = Zygote(ctrl, config)
    zygote.send({"op": "ready", "pid": os.getpid(), "layers": zygote.prepared.layers,
                 "cgroups": zygote.prepared.cgroups})
    try:
        zygote.serve()
    finally:
        zygote.shutdown()


if __name__ == "__main__":
    main()
