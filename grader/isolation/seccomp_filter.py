"""The seccomp filter: a deny list written as classic BPF by hand, so no library is needed.

Standard library only, nothing from ``grader`` (the zygote loads it by path). Why by hand: PyPI
``pyseccomp`` needs libseccomp at run time and Debian's ``python3-seccomp`` is built for the system
Python only, while a deny list is some eighty instructions that are built once per zygote, loaded
with one ``prctl`` per child, and can be checked instruction by instruction in a test.

Wrong architecture → kill the process; a denied call → EPERM (so Python raises PermissionError,
which the harness reports as "stopped by the sandbox"); ``clone3`` → ENOSYS so that glibc falls
back to ``clone``, which is allowed only with CLONE_THREAD (threads; RLIMIT_NPROC still bounds them).
"""

import errno

CLONE_THREAD = 0x00010000


def _words(text: str) -> list[str]:
    return text.split()


# Each name's number on x86_64 and on aarch64 (the kernel's generic table), in this order.
DENY = tuple(
    _words(
        """socket socketpair connect bind listen accept accept4 execve execveat ptrace process_vm_readv
    process_vm_writev kcmp pidfd_getfd process_madvise kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo
    pidfd_open pidfd_send_signal mount umount2 unshare setns chroot pivot_root open_tree move_mount fsopen
    fsmount fspick mount_setattr bpf perf_event_open userfaultfd io_uring_setup io_uring_enter
    io_uring_register keyctl add_key request_key personality fanotify_init inotify_add_watch
    name_to_handle_at open_by_handle_at kexec_load kexec_file_load init_module finit_module delete_module
    reboot swapon swapoff acct quotactl syslog settimeofday clock_settime clock_adjtime adjtimex
    sethostname setdomainname shmget msgget semget mq_open memfd_secret move_pages migrate_pages"""
    )
)
# then x86_64 only: fork vfork iopl ioperm uselib sysfs nfsservctl lookup_dcookie
X86_64 = tuple(
    int(n)
    for n in _words(
        """41 53 42 49 50 43 288 59 322 101 310 311 312 438 440 62 200 234 129 297 434 424 165 166 272
        308 161 155 428 429 430 432 433 442 321 298 323 425 426 427 250 248 249 135 300 254 303 304 246 320 175
        313 176 169 167 168 163 179 103 164 227 305 159 170 171 29 68 64 240 447 279 256
        57 58 172 173 134 139 180 212"""
    )
)
AARCH64 = tuple(
    int(n)
    for n in _words(
        """198 199 203 200 201 202 242 221 281 117 270 271 272 438 440 129 130 131 138 240 434 424 40 39 97
        268 51 41 428 429 430 432 433 442 280 241 282 425 426 427 219 217 218 92 262 27 264 265 104 294 105 273
        106 142 224 225 89 60 116 170 112 266 171 161 162 194 186 190 180 447 239 238"""
    )
)
# machine: (AUDIT_ARCH, denied numbers, clone, clone3, first number of a foreign ABI on the same arch)
ARCHES = {"x86_64": (0xC000003E, X86_64, 56, 435, 0x40000000), "aarch64": (0xC00000B7, AARCH64, 220, 435, None)}


def build(arch: int, denied: tuple, clone: int, clone3: int, foreign: int | None) -> list:
    """Classic BPF: wrong architecture → kill; denied call → EPERM; clone3 → ENOSYS; else allow.

    ``clone`` is allowed only with CLONE_THREAD (a thread, which RLIMIT_NPROC still bounds).
    """
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill, eperm, enosys = 0x7FFF0000, 0x80000000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    body = [(jge, foreign, "eperm")] if foreign else []
    body += [(jeq, nr, "eperm") for nr in denied] + [(jeq, clone3, "enosys")]
    n = len(body)
    # Layout: 4 head, n body, 3 clone checks, then the returns ALLOW (n+3), EPERM (n+4), ENOSYS (n+5),
    # counted from the first body instruction; a jump's offset counts from the next instruction.
    target = {"allow": n + 3, "eperm": n + 4, "enosys": n + 5}
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, kill), (ld, 0, 0, 0)]  # arch, then the number
    prog += [(op, target[where] - i - 1, 0, k) for i, (op, k, where) in enumerate(body)]
    prog += [(jeq, 0, 2, clone), (ld, 0, 0, 16), (jset, 0, 1, CLONE_THREAD)]  # clone: threads only
    prog += [(ret, 0, 0, allow), (ret, 0, 0, eperm), (ret, 0, 0, enosys)]
    return prog
