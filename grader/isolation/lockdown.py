"""Operating-system layers a child puts on itself before it reads a student's file.

Standard library only, and nothing from ``grader``: the zygote loads this file by path. The work is
split in two so that each child pays only for a few system calls:

``prepare()`` runs once in the zygote: it sets no_new_privs, moves the zygote into an empty network
namespace and its own cgroup (v1 ``pids`` and ``memory``), opens a Landlock ruleset (read-only:
the interpreter's standard library without any ``site-packages`` inside it, plus, in rulesets of
their own, the packages an exercise allows; no writes, no TCP, no signals or abstract sockets
outside the domain) and assembles the seccomp filter of ``seccomp_filter.py``.

``enter()`` runs in each freshly forked child: death signal, resource limits, an unprivileged uid
of its own, then ``landlock_restrict_self`` and the seccomp filter. A layer the machine cannot give
(an ordinary user, an old kernel, macOS) is recorded as off with the reason, never faked.
"""

import contextlib
import ctypes
import fcntl
import os
import resource
import signal
import struct
import sys

try:
    from grader.isolation import seccomp_filter
except ImportError:  # in the zygote, which loads this folder's files by path (``-I`` keeps it off sys.path)
    import seccomp_filter

LINUX = sys.platform.startswith("linux")


# ---------------------------------------------------------------- Landlock
SYS_CREATE, SYS_ADD_RULE, SYS_RESTRICT = 444, 445, 446  # the same number on every architecture
READ_FILE, READ_DIR = 1 << 2, 1 << 3
FS_BITS = {1: 13, 2: 14, 3: 15, 4: 15, 5: 16}  # ABI → how many access-right bits it handles

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
CLONE_NEWNET = 0x40000000
_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
        _libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    return _libc


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _prctl(option: int, arg: int, arg2: int = 0) -> None:
    _check(libc().prctl(option, arg, arg2, 0, 0), f"prctl({option})")


class Prepared:
    """What the zygote built once; children inherit it across fork()."""

    def __init__(self):
        self.layers: dict[str, str] = {}  # name → "on …" or "off: reason"
        self.root = os.geteuid() == 0
        self.ruleset = -1  # the ruleset children restrict themselves with (the standard library only)
        self.abi = 0
        self.readable: list[str] = []
        self.filter = None  # (sock_fprog, instruction buffer): both must stay alive
        self.cgroups: list[str] = []
        self.memory_cgroup = ""
        self.memory_limit = 0
        self.oom_kills = 0

    def on(self, name: str) -> bool:
        return self.layers.get(name, "").startswith("on")


def prepare(options: dict) -> Prepared:
    """Build every layer the machine allows; ``options["off"]`` lists layers not to use."""
    p = Prepared()
    off = set(options.get("off", ()))
    p.layers["process"] = "on: a fresh process per submission, forked from a clean zygote"
    p.layers["rlimits"] = "on" if "rlimits" not in off else "off: disabled"
    steps = (
        ("uid", _prepare_uid),
        ("netns", _prepare_netns),
        ("cgroup", _prepare_cgroup),
        ("landlock", _prepare_landlock),
        ("seccomp", _prepare_seccomp),
    )
    if LINUX and not off >= {"landlock", "seccomp"}:
        try:
            _prctl(PR_SET_NO_NEW_PRIVS, 1)
        except OSError as exc:
            off |= {"landlock", "seccomp"}
            p.layers["landlock"] = p.layers["seccomp"] = f"off: {exc}"
    for name, step in steps:
        if name in p.layers:
            continue
        if name in off:
            p.layers[name] = "off: disabled"
            continue
        try:
            p.layers[name] = step(p, options)
        except (OSError, AttributeError, ValueError) as exc:
            p.layers[name] = f"off: {exc}"
    return p


def _prepare_uid(p: Prepared, options: dict) -> str:
    if not p.root:
        return "off: the grader does not run as root, so children keep its user"
    return f"on: uid {options['uid_base']} + pid, no groups"


def _prepare_netns(p: Prepared, options: dict) -> str:
    if not LINUX:
        return "off: network namespaces need Linux"
    if not p.root:
        return "off: network namespaces need root"
    _check(libc().unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    return "on: empty network namespace (no interface is up)"


def _prepare_cgroup(p: Prepared, options: dict) -> str:
    if not LINUX or not p.root:
        return "off: cgroups need Linux and root"
    roots = {}
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            parts = line.split()
            if len(parts) > 3 and parts[2] == "cgroup":
                for ctl in ("memory", "pids"):
                    if ctl in parts[3].split(","):
                        roots[ctl] = parts[1]
    if set(roots) != {"memory", "pids"}:
        return "off: cgroup v1 memory and pids controllers are not mounted"
    name = f"grade-zygote-{os.getpid()}"
    for _ctl, root in sorted(roots.items()):
        _sweep(root)
        path = os.path.join(root, name)
        os.mkdir(path, 0o700)
        p.cgroups.append(path)
    _write(os.path.join(roots["pids"], name, "pids.max"), "8")
    p.memory_cgroup = os.path.join(roots["memory"], name)
    set_memory(p, options["memory"])
    for path in p.cgroups:
        _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))
    p.oom_kills = oom_kills(p)
    return "on: cgroup v1 (pids.max 8, memory limit per child)"


def _sweep(root: str) -> None:
    """Remove empty cgroups left by zygotes that were killed."""
    for entry in os.listdir(root):
        if entry.startswith("grade-zygote-") and not os.path.exists(f"/proc/{entry.rsplit('-', 1)[1]}"):
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(root, entry))


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def set_memory(p: Prepared, limit: int) -> None:
    """The cgroup's limit: room for a child, one dying before it, and the zygote that shares the group."""
    if p.memory_cgroup and limit != p.memory_limit:
        _write(os.path.join(p.memory_cgroup, "memory.limit_in_bytes"), str(2 * limit + 64 * 1024 * 1024))
        p.memory_limit = limit


def oom_kills(p: Prepared) -> int:
    if not p.memory_cgroup:
        return 0
    try:
        with open(os.path.join(p.memory_cgroup, "memory.oom_control")) as f:
            for line in f:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _prepare_landlock(p: Prepared, options: dict) -> str:
    if not LINUX:
        return "off: Landlock needs Linux"
    abi = libc().syscall(SYS_CREATE, None, 0, 1)
    if abi < 0:
        return f"off: Landlock is not enabled in this kernel ({os.strerror(ctypes.get_errno())})"
    p.abi, p.readable = abi, readable_paths(options["readable"])
    p.ruleset = ruleset(p, ())
    net, scoped = abi >= 4, abi >= 6
    what = ["read-only standard library, no writes"] + ["no TCP"] * net + ["signals scoped"] * scoped
    return f"on: Landlock ABI {abi} ({', '.join(what)})"


PACKAGE_FOLDERS = ("site-packages", "dist-packages")


def readable_paths(roots) -> list[str]:
    """What a child may read: each root (the standard library's folders), except that a root holding
    ``site-packages`` or ``dist-packages`` (a python.org or Docker interpreter, ``pip install`` without
    a venv) is given entry by entry without those: Landlock cannot subtract a folder from a rule.
    """
    found: list[str] = []
    for root in roots:
        try:
            names = sorted(os.listdir(root))
        except OSError:
            continue
        if not any(name in PACKAGE_FOLDERS for name in names):
            found.append(root)
            continue
        found += [os.path.join(root, name) for name in names if name not in PACKAGE_FOLDERS]
    return found


def ruleset(p: Prepared, extra) -> int:
    """A Landlock ruleset (a descriptor) that lets a child read ``p.readable`` and ``extra`` only.

    Built once per set of packages in the zygote; a child restricts itself with one of them.
    """
    abi = p.abi
    fs = (1 << FS_BITS.get(abi, 16)) - 1
    net = 3 if abi >= 4 else 0  # bind and connect TCP: no rule, so both are denied
    scoped = 3 if abi >= 6 else 0  # abstract unix sockets and signals outside the domain
    attr = struct.pack("QQQ", fs, net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    fd = _check(libc().syscall(SYS_CREATE, attr, len(attr), 0), "landlock_create_ruleset")
    for path in [*p.readable, *extra]:
        try:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            folder = os.path.isdir(path)
            rule = struct.pack("=Qi", READ_FILE | (READ_DIR if folder else 0), target)
            _check(libc().syscall(SYS_ADD_RULE, fd, 1, rule, 0), f"landlock_add_rule({path})")
        finally:
            os.close(target)
    return _fcntl_dup_high(fd)


def _fcntl_dup_high(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(fd)
    return high


def _prepare_seccomp(p: Prepared, options: dict) -> str:
    if not LINUX:
        return "off: seccomp needs Linux"
    machine = os.uname().machine
    if machine not in seccomp_filter.ARCHES:
        return f"off: no system-call table for {machine}"
    program = seccomp_filter.build(*seccomp_filter.ARCHES[machine])
    buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *ins) for ins in program))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    p.filter = (Prog(len(program), ctypes.addressof(buf)), buf)
    return f"on: seccomp deny list of {len(seccomp_filter.ARCHES[machine][1]) + 2} system calls"


# ---------------------------------------------------------------- in the child


class LockdownError(Exception):
    """A layer that worked in the zygote's probe failed in a child: never run the student then."""

    def __init__(self, layer: str, error: BaseException):
        self.layer = layer
        super().__init__(f"{layer}: {error}")


def enter(p: Prepared, uid: int, rules: int = -1) -> None:
    """Lock this freshly forked process down, in an order where each step still has what it needs.

    ``rules``: the Landlock ruleset to use (one that also reads an exercise's packages), else the
    standard library's. Resource limits come later, from ``limit()``, once the request is known.
    """
    parent = os.getppid()
    steps = [
        ("cgroup", _let_oom_take_me),
        ("uid", lambda: _drop_uid(uid)),
        ("process", lambda: _die_with(parent)),  # after the uid change, which clears it
        ("landlock", lambda: _landlock(rules if rules >= 0 else p.ruleset)),
        ("seccomp", lambda: _seccomp(p)),
    ]
    for layer, step in steps:
        if p.on(layer):
            try:
                step()
            except BaseException as exc:  # noqa: BLE001
                raise LockdownError(layer, exc) from None


def _die_with(parent: int) -> None:
    """SIGKILL when the zygote dies (checked once more: it may have died before the call)."""
    if LINUX:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _let_oom_take_me() -> None:
    """The zygote shares the cgroup; a child marks itself the first choice of its out-of-memory killer."""
    _write("/proc/self/oom_score_adj", "1000")


def _drop_uid(uid: int) -> None:
    os.setgroups([])
    if hasattr(os, "setresuid"):
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:  # macOS: as root, setgid/setuid set the real, effective and saved ids alike
        os.setgid(uid)
        os.setuid(uid)


def _landlock(rules: int) -> None:
    _check(libc().syscall(SYS_RESTRICT, rules, 0), "landlock_restrict_self")
    os.close(rules)


def _seccomp(p: Prepared) -> None:
    _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(p.filter[0]))


def limit(p: Prepared, limits: dict) -> None:
    """Resource limits, soft = hard (the kernel's SIGKILL, not a signal to ignore); only ever lowered."""
    if not p.on("rlimits"):
        return
    wanted = [
        ("RLIMIT_CPU", int(limits["cpu"])),
        ("RLIMIT_AS", int(limits["memory"])),
        ("RLIMIT_FSIZE", 0),
        ("RLIMIT_NOFILE", 16),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_NPROC", 0),
        ("RLIMIT_MEMLOCK", 0),
        ("RLIMIT_MSGQUEUE", 0),
    ]
    for name, value in wanted:
        which = getattr(resource, name, None)
        if which is None:
            continue
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError) as exc:
            if name in ("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE"):  # AS: not on every system
                raise LockdownError("rlimits", exc) from None
