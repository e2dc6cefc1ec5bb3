"""``grade submit``: the student's command, started without typer, rich or pydantic.

A student runs it many times an hour, so it must answer in a fraction of a second; loading the
general CLI's libraries would cost more than grading. ``grader.cli`` hands ``submit`` here before
typer starts (typer's ``submit`` only forwards here, so that ``grade --help`` lists it). Exit
codes (SPEC.md): 0 full marks, 1 graded below full marks, 2 bad usage or bad instructor input.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from grader.errors import GraderError, UsageError
from grader.grading.explain import default_lang

DESCRIPTION = "Grade one file: every node checked on its own, the first wrong one named."


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade submit", description=DESCRIPTION)
    p.add_argument("file", type=Path, help="Your .py or .ipynb file, e.g. exercise03.py")
    p.add_argument("--exercise", help="Exercise id or YAML path (default: the file's name).")
    p.add_argument("--student", help="Your student id, recorded in the result.")
    p.add_argument("--lang", help="ko or en (default: $GRADE_LANG, else from $LANG).")
    p.add_argument("--json", dest="as_json", action="store_true", help="Print the result as JSON.")
    p.add_argument("--html", type=Path, help="Also write a self-contained HTML report here.")
    p.add_argument(
        "--exercises",
        type=Path,
        help="Folder of exercise YAML files (default: $GRADE_EXERCISES, else course.yaml's exercises:, "
        "else ./exercises, else the shipped course).",
    )
    p.add_argument("--watch", action="store_true", help="Grade again on every save (short report) until Ctrl-C.")
    return p


def show(line: str) -> None:
    from grader.report.terminal import printable

    print(printable(line), flush=True)


def tell(message: str) -> None:
    from grader.report.terminal import printable

    print(printable(message), file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    """Parse, grade, print; the exit code. Usage errors exit 2 through argparse."""
    args = parser().parse_args(argv)
    try:
        return _submit(args)
    except GraderError as exc:
        tell(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C while grading: no traceback, nothing was graded
        tell("interrupted")
        return 130
    finally:  # the sandbox's zygote stops at exit; a late Ctrl-C must not interrupt that with a traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _submit(args: argparse.Namespace) -> int:
    from grader.isolation.pool import default_pool

    default_pool().prestart()  # the sandbox boots while the exercise loads
    from grader.exercise.loader import find_exercise
    from grader.notebook.grade import submit_any

    lang = args.lang or default_lang()
    if lang not in ("ko", "en"):
        raise UsageError(f"--lang must be ko or en, not '{lang}'")
    if args.watch:
        from grader.notebook import watch

        def grade_once():
            return submit_any(args.file, args.exercise, student=args.student, lang=lang, exercises_dir=args.exercises)

        return watch.run(args.file, grade_once, show, tell, lang, args.as_json)
    verdict, notes = submit_any(args.file, args.exercise, student=args.student, lang=lang, exercises_dir=args.exercises)
    for note in notes:
        tell(f"{'참고' if lang == 'ko' else 'note'}: {note}")
    _isolation_notice()
    exercise = find_exercise(args.exercise or verdict.exercise, args.exercises)
    if args.as_json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2))
    else:
        from grader.report import terminal

        lines = terminal.report(verdict, exercise.title.get(lang))
        print(terminal.render(lines, terminal.wants_colour()))
    if args.html is not None:
        from grader.report import standalone as report_html

        tell(f"wrote {report_html.write(verdict, exercise, args.html, lang)}")
    return 0 if verdict.full_marks else 1


def _isolation_notice() -> None:
    """On stderr, which protections are missing where student code ran with fewer OS layers."""
    from grader.isolation.sandbox import isolation

    notice = isolation().notice
    if notice:
        tell(notice)
