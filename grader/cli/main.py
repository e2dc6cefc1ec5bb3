"""The ``grade`` command's entry point.

``grade submit`` goes straight to ``grader.cli.submit`` (argparse, no typer, rich or pydantic): a
student runs it many times an hour, and loading the general CLI's libraries would cost more than
the grading (benchmarks/submit.py). Every other command is declared with typer in
``grader.cli.commands``.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["submit"]:
        from grader.cli import submit as submit_cli

        sys.exit(submit_cli.main(sys.argv[2:]))
    from grader.cli import commands

    commands.main()


if __name__ == "__main__":
    main()
