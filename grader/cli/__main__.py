"""``python -m grader.cli``: the same as the ``grade`` command."""

from grader.cli.main import entry

entry()
