"""``grade submit``: the student's command, what it does once typer has parsed it.

A student runs it many times an hour, so it must answer in a fraction of a second: the sandbox's
zygote is already booting (``grader.cli.main`` starts it before anything else), and this module
imports nothing that a cached exercise does not need (no rich, pydantic, sympy or YAML:
tests/loader/test_exercise_cache.py). Exit codes (SPEC.md): 0 full marks, 1 graded below full
marks, 2 bad usage or bad instructor input.

What a new student meets is handled here: a file that is not there is named as such; a browser's
second download ``exercise03 (1).py`` is graded as exercise03; a name that is no exercise gets the
closest one as a hint; the long note on missing isolation layers is shown once, then in one line.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import sys
from pathlib import Path

from grader.errors import GraderError, UsageError

# "exercise03 (1)": a browser's second download of the same name; "exercise03-2": a copy
COPY_SUFFIX = re.compile(r"(?: \(\d+\)|-\d+)$")


def show(line: str) -> None:
    from grader.report.terminal import printable

    print(printable(line), flush=True)


def tell(message: str) -> None:
    from grader.report.terminal import printable

    print(printable(message), file=sys.stderr, flush=True)


def run(
    file: Path,
    exercise: str | None = None,
    student: str | None = None,
    lang: str | None = None,
    as_json: bool = False,
    html: Path | None = None,
    exercises: Path | None = None,
    watch: bool = False,
) -> int:
    """Grade, print; the exit code."""
    try:
        return _submit(file, exercise, student, lang, as_json, html, exercises, watch)
    except GraderError as exc:
        tell(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C while grading: no traceback, nothing was graded
        tell("interrupted")
        return 130
    finally:  # the sandbox's zygote stops at exit; a late Ctrl-C must not interrupt that with a traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)


OPTIONS = run.__code__.co_varnames[: run.__code__.co_argcount]  # what typer parses from the command line


def _submit(file, exercise, student, lang, as_json, html, exercises, watch) -> int:
    from grader.isolation.pool import default_pool

    default_pool().prestart()  # started already by grader.cli.main; here for callers that did not
    from grader.exercise.loader import find_exercise
    from grader.grading.explain import default_lang

    lang = lang or default_lang()
    if lang not in ("ko", "en"):
        raise UsageError(f"--lang must be ko or en, not '{lang}'")
    if not watch:
        _must_exist(file)
    exercise = exercise or exercise_named_by(file, exercises)

    def grade_once():
        try:
            return _grade(file, exercise, student, lang, exercises)
        except UsageError as exc:
            raise _with_hint(exc, file, exercise, exercises) from None

    if watch:
        from grader.notebook import watch as watching

        return watching.run(file, grade_once, show, tell, lang, as_json)
    verdict, notes = grade_once()
    for note in notes:
        tell(f"{'참고' if lang == 'ko' else 'note'}: {note}")
    _isolation_notice()
    found = find_exercise(exercise or verdict.exercise, exercises)
    if as_json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2))
    else:
        from grader.report import terminal

        lines = terminal.report(verdict, found.title.get(lang))
        print(terminal.render(lines, terminal.wants_colour()))
    if html is not None:
        from grader.report import standalone as report_html

        tell(f"wrote {report_html.write(verdict, found, html, lang)}")
    return 0 if verdict.full_marks else 1


def _grade(file: Path, exercise: str | None, student: str | None, lang: str, exercises: Path | None):
    """(verdict, notes): a notebook through ``grader.notebook``, a .py file straight through ``api``
    (the notebook modules are not imported for it)."""
    if file.suffix.lower() == ".ipynb":
        from grader.notebook.grade import submit_any

        return submit_any(file, exercise, student=student, lang=lang, exercises_dir=exercises)
    from grader.grading import api

    return api.submit(file, exercise, student, lang, exercises), []


def _must_exist(file: Path) -> None:
    """A missing file is named as missing (not as an unknown exercise), with a near name beside it if any."""
    if file.is_dir():
        raise UsageError(f"{file}: is a folder, not a .py or .ipynb file")
    if file.exists():
        return
    folder = file.parent if str(file.parent) else Path(".")
    try:
        near = sorted(p.name for p in folder.iterdir() if p.suffix in (".py", ".ipynb"))
    except OSError:
        near = []
    import difflib

    close = difflib.get_close_matches(file.name, near, n=1)
    where = f" in {folder.resolve()}" if not file.is_absolute() else ""
    hint = f"; did you mean {folder / close[0] if str(file.parent) != '.' else close[0]}?" if close else ""
    raise UsageError(f"{file}: no such file{where}{hint}")


def _known(name: str, exercises: Path | None) -> bool:
    from grader.exercise.loader import resolve

    try:
        resolve(name, exercises)
    except UsageError:
        return False
    return True


def exercise_named_by(file: Path, exercises: Path | None) -> str | None:
    """The exercise a file's name means when its stem is none: ``exercise03 (1).py`` → exercise03.

    None when the stem itself names an exercise (or nothing does: the usual error then says so).
    """
    stem = file.stem
    base = COPY_SUFFIX.sub("", stem)
    if base == stem or _known(stem, exercises) or not _known(base, exercises):
        return None
    tell(f"note: graded as {base} (the file's name without '{stem[len(base) :]}')")
    return base


def _with_hint(exc: UsageError, file: Path, exercise: str | None, exercises: Path | None) -> UsageError:
    """An unknown exercise, with the closest known one named and how to pick it."""
    if not str(exc).startswith("unknown exercise"):
        return exc
    from grader.exercise.loader import exercise_dirs

    name = exercise or file.stem
    known = sorted({p.stem for d in exercise_dirs(exercises) if d.is_dir() for p in d.glob("*.y*ml")})
    import difflib

    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    if not close:
        return exc
    best = lowered[close[0]]
    how = f"--exercise {best}" if exercise else f"rename the file {best}{file.suffix} or add --exercise {best}"
    return UsageError(f"{exc}\nhint: did you mean {best}? ({how})")


def _isolation_notice() -> None:
    """Which protections are missing where student code ran with fewer OS layers: in full the
    first time on this machine (remembered in the cache folder), then in one line."""
    from grader.isolation.sandbox import isolation

    text = notice_once(isolation())
    if text:
        tell(text)


def notice_once(iso, folder: Path | None | bool = False) -> str | None:
    """The isolation notice to print now: the full one, or one line if this very one was shown before."""
    notice = iso.notice
    if not notice:
        return None
    if folder is False:
        from grader.exercise.cache import folder as cache_folder

        folder = cache_folder()
    if folder is None:  # no cache folder (GRADE_NO_CACHE): nowhere to remember it
        return notice
    seen = folder / f"isolation-notice-{hashlib.sha256(notice.encode()).hexdigest()[:16]}"
    if seen.exists():
        return f"note: weaker isolation here ({', '.join(iso.missing)} unavailable), as explained on the first submit"
    from grader.exercise.cache import write_entry

    write_entry(seen, notice + "\n")
    return notice
