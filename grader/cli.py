"""The ``grade`` command: declare options, call ``api``, print. The only place that prints or exits.

Results go to stdout, diagnostics to stderr. Exit codes (SPEC.md): 0 done (submit: full marks),
1 graded below full marks (or a check that failed), 2 bad usage or bad instructor input.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from grader import __version__
from grader.errors import GraderError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grade backpropagation exercises on computational graphs, node by node.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

ExercisesDir = Annotated[Path | None, typer.Option("--exercises", help="Folder of exercise YAML files.",
                                                     envvar="GRADE_EXERCISES", show_envvar=True)]


def default_lang() -> str:
    explicit = os.environ.get("GRADE_LANG", "")
    if explicit in ("ko", "en"):
        return explicit
    return "ko" if os.environ.get("LANG", "").startswith("ko") else "en"


Lang = Annotated[str | None, typer.Option("--lang", help="ko or en (default: $GRADE_LANG, else from $LANG).")]


def _lang(value: str | None) -> str:
    lang = value or default_lang()
    if lang not in ("ko", "en"):
        raise UsageError(f"--lang must be ko or en, not '{lang}'")
    return lang


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="Your .py file, e.g. exercise03.py")],
    exercise: Annotated[str | None, typer.Option(help="Exercise id or YAML path (default: the file's name).")] = None,
    student: Annotated[str | None, typer.Option(help="Your student id, recorded in the result.")] = None,
    lang: Lang = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    html: Annotated[Path | None, typer.Option(help="Also write a self-contained HTML report here.")] = None,
    exercises: ExercisesDir = None,
) -> None:
    """Grade one file: every node checked on its own, the first wrong one named."""
    from grader import api

    language = _lang(lang)
    verdict = api.submit(file, exercise, student=student, lang=language, exercises_dir=exercises)
    if as_json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2))
    else:
        from grader import terminal
        from grader.loader import find_exercise

        title = find_exercise(exercise or file.stem, exercises).title.get(language)
        out.print(terminal.report(verdict, title))
    if html is not None:
        raise UsageError("--html: the HTML report is not built yet (see the feedback-site issue)")
    raise typer.Exit(0 if verdict.full_marks else 1)


@app.command()
def init(
    exercise: Annotated[str, typer.Argument(help="Exercise id, e.g. exercise03")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write (default: ./<id>.py).")] = None,
    lang: Lang = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    exercises: ExercisesDir = None,
) -> None:
    """Write a starting file with every function's signature and a docstring."""
    from grader import api

    ex, text = api.init(exercise, _lang(lang), exercises)
    target = out_file or Path(f"{ex.id}.py")
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (use --force to overwrite it)")
    target.write_text(text, encoding="utf-8")
    err.print(f"wrote {target}: {len(ex.tasks)} function(s) to fill in; then run `grade submit {target}`")


@app.command()
def trace(
    exercise: Annotated[str, typer.Argument(help="Exercise id or YAML path.")],
    at: Annotated[list[str] | None, typer.Option("--at", help="NAME=VALUE, repeatable (default: the first public point).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    exercises: ExercisesDir = None,
) -> None:
    """The reference engine's value and gradient at every node."""
    from grader import api
    from grader.explain import fmt

    values = {}
    for item in at or []:
        name, sep, value = item.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--at {item}: expected NAME=NUMBER") from None
        if not sep:
            raise UsageError(f"--at {item}: expected NAME=NUMBER")
    data = api.trace(exercise, values, exercises)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{data['exercise']} at " + ", ".join(f"{k}={fmt(v)}" for k, v in data["point"].items()))
    for col in ("node", "gate", "args", "value", f"∂{data['output']}/∂node"):
        table.add_column(col)
    for name, info in data["inputs"].items():
        table.add_row(name, "input", "", fmt(info["value"]), fmt(info["grad"]))
    for name, info in data["nodes"].items():
        table.add_row(name, info["op"], ", ".join(map(str, info["args"])), fmt(info["value"]), fmt(info["grad"]))
    out.print(table)


@app.command()
def check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Exercise files or folders (default: the course).")] = None,
    exercises: ExercisesDir = None,
) -> None:
    """Validate exercises, run each solution (full marks), and test each task against mutants."""
    from grader import audit
    from grader.loader import exercise_dirs, find_exercise, load_exercise

    files: list[Path] = []
    for p in paths or exercise_dirs(exercises)[:1]:
        files += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    if not files:
        raise UsageError("no exercise files found")
    failed = 0
    for f in files:
        ex = load_exercise(f)
        report = audit.audit(ex, lambda i, d=f.parent: find_exercise(i, d))
        mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
        score = f"solution {report.score:g}/{report.max_score:g}" if report.score is not None else "no solution run"
        out.print(f"{mark} {ex.id}: {score}")
        for problem in report.problems:
            out.print(f"    [red]problem:[/] {problem}")
        for weak in report.weak:
            out.print(f"    [yellow]weak:[/] cannot tell this mutant from the truth: {weak}")
        failed += not report.ok
    out.print(f"{len(files) - failed} of {len(files)} exercise(s) sound")
    raise typer.Exit(1 if failed else 0)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"grade {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True)] = False):
    """Grade backpropagation exercises on computational graphs, node by node."""


def main() -> None:
    """Entry point: typer handles usage errors (exit 2) and exit codes; ``GraderError`` is ours."""
    try:
        app()
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
