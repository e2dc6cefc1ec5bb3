"""Errors raised by grader code. A student's mistake is never one of these: it is a value in a Verdict.

GraderError                     caught only in cli.py; exit code 2 unless said otherwise
├── UsageError                  bad command-line use: a file that does not exist, a bad option
├── ExerciseError(path, line, where)
│                               bad instructor input: YAML, a schema violation, a graph that
│                               does not make sense, a public point where the reference is
│                               undefined; names the file, the line and the key path
└── SandboxError                our fault, not the student's: the child could not be started
                                or spoke outside the protocol in a way no student code can
"""

from __future__ import annotations

from pathlib import Path


class GraderError(Exception):
    exit_code = 2


class UsageError(GraderError):
    pass


class ExerciseError(GraderError):
    """Bad instructor input, located: ``file:line: key.path: message``."""

    def __init__(self, path: Path | str | None, line: int | None, where: str, message: str):
        self.path, self.line, self.where, self.message = path, line, where, message
        super().__init__(self.render())

    def render(self) -> str:
        place = str(self.path) if self.path else "<exercise>"
        if self.line:
            place += f":{self.line}"
        return f"{place}: {self.where + ': ' if self.where else ''}{self.message}"


class SandboxError(GraderError):
    exit_code = 1
