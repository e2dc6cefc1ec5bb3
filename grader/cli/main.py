"""The ``grade`` command's entry point: start the slow thing first, then let typer parse.

``grade submit`` needs the sandbox's zygote, a separate interpreter that takes ~45 ms to boot.
It is started here, before typer and the grader are imported, so that it boots (on another core,
where there is one) while they load, instead of after. Every command, ``submit`` included, is
then declared and parsed by typer in ``grader.cli.commands``.
"""

from __future__ import annotations

import sys


def _will_grade(argv: list[str]) -> bool:
    """``grade submit FILE ...`` that is not a request for help."""
    return argv[:1] == ["submit"] and not {"-h", "--help"} & set(argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if _will_grade(argv):
        from grader.isolation.pool import default_pool

        default_pool().prestart()
    from grader.cli import commands

    commands.main(argv)


if __name__ == "__main__":
    main()
