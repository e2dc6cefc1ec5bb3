"""The ``grade`` command's entry point: for ``grade submit``, the slow things first, and no more than needed.

A cached ``grade submit`` is mostly start-up, so:

- the sandbox's zygote, a separate interpreter that takes ~50 ms to boot, is started before
  anything is imported (``grader.isolation.launch``), and boots beside the imports;
- the command line is typer's parse of it, declared in ``grader.cli.commands``; when the very same
  line was parsed before, that parse is replayed without importing typer (``grader.cli.remembered``);
- what grading needs is imported with the garbage collector off;
- the run ends without the interpreter's teardown (``grader.cli.ending``).

Every other command is parsed and run by typer in ``grader.cli.commands``.
"""

from __future__ import annotations

import sys

# What grading a .py file imports; grader.cli.submit imports them only when it gets there.
GRADING = (
    "grader.cli.submit",
    "grader.exercise.loader",
    "grader.grading.api",
    "grader.grading.explain",
    "grader.report.terminal",
)


def _will_grade(argv: list[str]) -> bool:
    """``grade submit FILE ...`` that is not a request for help."""
    return argv[:1] == ["submit"] and not {"-h", "--help"} & set(argv)


def _launch_zygote():
    """The sandbox's zygote, started before anything else is imported; None where it cannot be
    (the pool then starts one, and says why if that fails too)."""
    try:
        from grader.isolation.launch import launch

        return launch()
    except (OSError, AttributeError):  # AttributeError: no posix_spawn on this system
        return None


def main(argv: list[str] | None = None) -> None:
    """Run a ``grade`` command line (default: this process's); exits by ``SystemExit``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not _will_grade(argv):
        from grader.cli import commands

        commands.main(argv)
        return
    launched = _launch_zygote()
    from grader.isolation.pool import default_pool

    default_pool().prestart(launched)
    from grader.cli import remembered

    _import_quietly(GRADING)
    from grader.cli import submit

    options = remembered.replay(argv, submit.OPTIONS)
    if options is None:
        _import_quietly(("grader.cli.commands",))
        from grader.cli import commands

        commands.main(argv, obj=remembered.remembering(argv, commands.grade_here))  # exits
        return
    from grader.cli.ending import quiet_on_closed_pipe

    raise SystemExit(quiet_on_closed_pipe(submit.run, **options))


def _import_quietly(names: tuple[str, ...]) -> None:
    """Import ``names`` with the garbage collector off: importing makes objects by the thousand and
    next to no garbage, so the collections it would trigger are waste (~5 ms of a submit)."""
    import gc

    gc.disable()
    try:
        for name in names:
            __import__(name)
    finally:
        gc.enable()


def entry() -> None:
    """The ``grade`` program: ``main``, and a submit ends at once, without the interpreter's teardown."""
    argv = sys.argv[1:]
    try:
        main(argv)
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if not _will_grade(argv):
        sys.exit(code)
    from grader.cli.ending import end_now

    end_now(code)


if __name__ == "__main__":
    entry()
