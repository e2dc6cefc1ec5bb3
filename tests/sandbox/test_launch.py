"""A zygote started first thing (grader.isolation.launch) and adopted later by the pool.

The early start must give the same zygote as a late one: clean environment, the same layers, no
descriptor of the grader's, and it must end when the grader lets go of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.isolation.launch import CTRL_FD, config_text, launch
from grader.isolation.pool import Pool, Zygote
from tests.conftest import ROOT


def zygote_fds(pid: int) -> dict[int, str]:
    return {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}


def test_the_configuration_is_the_json_the_zygote_reads():
    text = config_text(memory=1 << 20, off=("uid", "netns"), standby=False)
    assert json.loads(text) == {
        "uid_base": 1_900_000_000,
        "memory": 1 << 20,
        "preload": ["__future__", "math", "unicodedata"],
        "off": ["uid", "netns"],
        "standby": False,
    }
    with pytest.raises(ValueError, match="not a plain name"):
        config_text(off=('uid", "x',))


def test_an_early_zygote_is_adopted_with_the_layers_of_a_late_one():
    late = Zygote()
    try:
        early = Zygote(launched=launch())
        try:
            assert early.layers == late.layers
            assert early.alive()
            assert os.getsid(early.pid) == early.pid  # its own session: a Ctrl-C at the terminal is not its
            assert Path(f"/proc/{early.pid}/environ").read_bytes() == b""  # nothing of the grader's environment
        finally:
            early.close()
        assert early.proc.returncode == 0  # ended at the end of its socket, as asked
    finally:
        late.close()


def test_the_zygote_holds_no_descriptor_of_the_graders(tmp_path):
    secret = tmp_path / "gradebook.sqlite"
    secret.write_text("answers", encoding="utf-8")
    fd = os.open(secret, os.O_RDONLY)
    os.set_inheritable(fd, True)  # left inheritable by a careless library
    try:
        launched = launch()
        zygote = Zygote(launched=launched)
        try:
            held = zygote_fds(zygote.pid)
            assert str(secret) not in held.values()
            assert set(held) >= {0, 1, 2, CTRL_FD}
            assert held[0] == held[1] == "/dev/null"
            assert held[CTRL_FD].startswith("socket:")
        finally:
            zygote.close()
    finally:
        os.close(fd)


def test_a_zygote_nobody_adopts_ends_with_its_socket():
    launched = launch()
    launched.abandon()
    assert launched.wait(10), "the zygote outlived the end of its socket"


def test_a_pool_that_needs_no_zygote_lets_the_early_one_go():
    with Pool(1) as pool:
        pool.release(pool.acquire())  # one idle zygote already
        launched = launch()
        pool.prestart(launched)
        assert launched.wait(10)


def test_a_zygote_is_launched_when_the_standard_descriptors_are_closed():
    """The socket and the pipe may then get descriptors 0–3: they are moved above before the start."""
    code = (
        "import os, sys\n"
        "os.close(0); os.close(1)\n"
        "from grader.isolation.launch import launch\n"
        "from grader.isolation.pool import Zygote\n"
        "z = Zygote(launched=launch())\n"
        "ok = z.alive() and z.layers['process'].startswith('on')\n"
        "z.close()\n"
        "sys.stderr.write('OK' if ok and z.proc.returncode == 0 else 'BAD')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.stderr.endswith("OK"), run.stderr


def test_a_pool_of_other_settings_does_not_adopt_a_default_zygote():
    with Pool(1, off=("netns",)) as pool:
        launched = launch()
        pool.prestart(launched)
        assert launched.wait(10)  # let go of: a zygote with the network namespace would not do
        zygote = pool.acquire()
        assert zygote.layers["netns"] == "off: disabled"
        pool.release(zygote)
