"""The ``grade`` commands, declared with typer: declare options, call a wing, print.

A command is one function here under ``@app.command()``: its docstring is its help, and every
parameter is ``Annotated[type, typer.Argument/Option(..., help=...)]`` (tests/core/test_cli.py
holds that each option has a help line). Import what the command needs inside its body: ``App``
builds only the command being run, so a command's imports cost the others nothing, and
``grade submit`` starts without rich or pydantic. ``grader.cli.main`` is the entry point.

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

from grader import __version__
from grader.cli.app import App, err, out
from grader.errors import UsageError

app = App(help="Grade backpropagation exercises on computational graphs, node by node.")

ExercisesDir = Annotated[
    Path | None,
    typer.Option(
        "--exercises",
        help="Folder of exercise YAML files (default: $GRADE_EXERCISES, else course.yaml's exercises:, "
        "else ./exercises, else the shipped course).",
    ),
]


Lang = Annotated[
    str | None, typer.Option("--lang", metavar="ko|en", help="ko or en (default: $GRADE_LANG, else from $LANG).")
]


def _lang(value: str | None) -> str:
    from grader.grading.explain import default_lang

    lang = value or default_lang()
    if lang not in ("ko", "en"):
        raise UsageError(f"--lang must be ko or en, not '{lang}'")
    return lang


@app.command()
def submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Your .py or .ipynb file, e.g. exercise03.py")],
    exercise: Annotated[
        str | None,
        typer.Option("--exercise", metavar="ID|YAML", help="Exercise id or YAML path (default: the file's name)."),
    ] = None,
    student: Annotated[
        str | None, typer.Option("--student", metavar="ID", help="Your student id, recorded in the result.")
    ] = None,
    lang: Lang = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")] = None,
    exercises: ExercisesDir = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Grade again on every save (short report) until Ctrl-C.")
    ] = False,
) -> None:
    """Grade one file: every node checked on its own, the first wrong one named."""
    options = {"file": file, "exercise": exercise, "student": student, "lang": lang, "as_json": as_json}
    options |= {"html": html, "exercises": exercises, "watch": watch}
    grade = ctx.obj if callable(ctx.obj) else grade_here  # grader.cli.main keeps the parse on the way
    raise typer.Exit(grade(**options))


def grade_here(**options) -> int:
    """What a parsed ``grade submit`` does: grade, print, and say the exit code."""
    from grader.cli import submit as submit_cli

    return submit_cli.run(**options)


@app.command()
def init(
    exercise: Annotated[str, typer.Argument(metavar="EXERCISE", help="Exercise id, e.g. exercise03")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write (default: ./<id>.py).")] = None,
    lang: Lang = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    exercises: ExercisesDir = None,
    fmt: Annotated[
        str | None, typer.Option("--format", metavar="py|ipynb", help="py or ipynb (default: from --out, else py).")
    ] = None,
) -> None:
    """Write a starting file with every function's signature and a docstring."""
    from grader.grading import api

    fmt = fmt or ("ipynb" if out_file is not None and out_file.suffix.lower() == ".ipynb" else "py")
    if fmt not in ("py", "ipynb"):
        raise UsageError(f"--format must be py or ipynb, not '{fmt}'")
    ex, text = api.init(exercise, _lang(lang), exercises)
    if fmt == "ipynb":
        from grader.notebook.stub import stub_notebook

        text = stub_notebook(ex, _lang(lang))
    target = out_file or Path(f"{ex.id}.{fmt}")
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (use --force to overwrite it)")
    target.write_text(text, encoding="utf-8")
    then = (
        "open it in Jupyter; its last cell checks your work" if fmt == "ipynb" else f"then run `grade submit {target}`"
    )
    err.print(f"wrote {target}: {len(ex.tasks)} function(s) to fill in; {then}")


TRACE_WORDS = {
    "en": {"title": "{exercise} at {point}", "columns": ("node", "gate", "args", "value"), "input": "input"},
    "ko": {"title": "{exercise}, 점 {point}", "columns": ("노드", "게이트", "입력", "값"), "input": "입력값"},
}


@app.command()
def trace(
    exercise: Annotated[str, typer.Argument(metavar="EXERCISE", help="Exercise id or YAML path.")],
    at: Annotated[
        list[str] | None,
        typer.Option("--at", metavar="NAME=VALUE", help="NAME=VALUE, repeatable (default: the first public point)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the trace as JSON (the same in every language).")
    ] = False,
    lang: Lang = None,
    exercises: ExercisesDir = None,
) -> None:
    """The reference engine's value and gradient at every node."""
    from grader.grading import api
    from grader.grading.explain import fmt

    values = {}
    for item in at or []:
        name, sep, value = item.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--at {item}: expected NAME=NUMBER") from None
        if not sep:
            raise UsageError(f"--at {item}: expected NAME=NUMBER")
    words = TRACE_WORDS[_lang(lang)]
    data = api.trace(exercise, values, exercises)
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    point = ", ".join(f"{k}={fmt(v)}" for k, v in data["point"].items())
    table = Table(title=words["title"].format(exercise=data["exercise"], point=point))
    for col in (*words["columns"], f"∂{data['output']}/∂{words['columns'][0]}"):
        table.add_column(col)
    for name, info in data["inputs"].items():
        table.add_row(name, words["input"], "", fmt(info["value"]), fmt(info["grad"]))
    for name, info in data["nodes"].items():
        table.add_row(name, info["op"], ", ".join(map(str, info["args"])), fmt(info["value"]), fmt(info["grad"]))
    out.print(table)


def _is_quiz(path: Path) -> bool:
    from grader.quiz.quizzes import is_quiz_file

    return is_quiz_file(path)


@app.command()
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="PATH", help="Exercise files or folders (default: the course).")
    ] = None,
    exercises: ExercisesDir = None,
) -> None:
    """Validate exercises, run each solution (full marks), and test each task against mutants."""
    from grader.exercise.loader import exercise_dirs, find_exercise, load_exercise
    from grader.grading import audit

    files: list[Path] = []
    for p in paths or exercise_dirs(exercises)[:1]:
        files += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    if not files:
        raise UsageError("no exercise files found")
    failed = 0
    for f in files:
        if _is_quiz(f):
            from grader.quiz.quizzes import audit_quiz

            problems = audit_quiz(f)
            out.print(f"{'[green]✓[/]' if not problems else '[red]✗[/]'} {f.stem}: quiz")
            for problem in problems:
                out.print(f"    [red]problem:[/] {problem}")
            failed += bool(problems)
            continue
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
    out.print(f"{len(files) - failed} of {len(files)} exercise(s) and quiz(zes) sound")
    raise typer.Exit(1 if failed else 0)


@app.command()
def quiz(
    quiz_id: Annotated[str, typer.Argument(metavar="QUIZ", help="Quiz id or YAML path, e.g. quiz01.")],
    student: Annotated[str, typer.Option(metavar="ID", help="Your student id: it picks your variant.")],
    answers: Annotated[Path | None, typer.Option(help="Grade this file {student: ID, answers: {q1: …}}.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: the variant, or the result.")] = False,
    lang: Lang = None,
    save: Annotated[Path | None, typer.Option(help="Interactive: save answers here (default ./QUIZ.yaml).")] = None,
    exercises: ExercisesDir = None,
    course_file: Annotated[
        Path | None,
        typer.Option("--course", help="course.yaml: when the answers may be shown (default ./course.yaml)."),
    ] = None,
) -> None:
    """Show your quiz variant and answer it here (in a terminal), or grade an answers file."""
    from grader.classroom.context import context
    from grader.quiz import quizzes
    from grader.quiz import terminal as quiz_terminal

    language = _lang(lang)
    ctx = context(exercises, course_file)
    qz = quizzes.find_quiz(quiz_id, ctx.exercises_dir)
    found = ctx.secret_or_none()  # the course's secret, as grade batch finds it; else practice variants
    secret = found.value if found else None
    practice = secret is None and quizzes.course_secret()[1]
    if answers is not None:
        result = quizzes.grade_quiz_answers(qz, answers, student, secret=secret, lang=language)
        result = _keys_when_released(result, course_file)
        if as_json:
            print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            for text, style in quiz_terminal.report(result, qz.title.get(language)):
                out.print(text, style=style, markup=False, highlight=False)
        raise typer.Exit(0 if result.full_marks else 1)
    variant = quizzes.draw(qz, student, secret)
    if as_json or not (sys.stdin.isatty() and sys.stdout.isatty()):
        if practice:
            err.print(quiz_terminal.t("practice", language), style="yellow", markup=False)
        print(json.dumps(variant.to_json(language), ensure_ascii=False, indent=2))
        return
    from rich.markup import escape
    from rich.prompt import Prompt

    class Answer(Prompt):
        prompt_suffix = "> "

    def ask(prompt: str) -> str:
        return Answer.ask(escape(prompt), console=out, default="", show_default=False)

    try:
        given = quiz_terminal.answer_interactively(variant, language, out, ask)
    except KeyboardInterrupt:
        err.print("\n" + ("중단했습니다. 채점하지 않았습니다." if language == "ko" else "Stopped; nothing was graded."))
        raise typer.Exit(1) from None
    target = quiz_terminal.save_path(qz.id, save)
    target.write_text(quiz_terminal.dump_answers(qz.id, student, given), encoding="utf-8")
    result = quizzes.grade_quiz_answers(
        qz, {"student": student, "answers": given}, student, secret=secret, lang=language
    )
    result = _keys_when_released(result, course_file)
    out.print()
    for text, style in quiz_terminal.report(result, qz.title.get(language)):
        out.print(text, style=style, markup=False, highlight=False)
    out.print(quiz_terminal.t("saved", language, path=target, quiz=quiz_id, student=student), style="dim", markup=False)
    raise typer.Exit(0 if result.full_marks else 1)


def _keys_when_released(result, course_file: Path | None):
    """A marked quiz's answers only once no later attempt can count (docs/quiz.md); practice shows them."""
    from grader.classroom.course_config import find_course
    from grader.quiz.result import hide_keys

    if result.practice:
        return result
    course = find_course(course_file)
    if course.keys_released(result.quiz):
        return result
    release = course.key_release(result.quiz)
    return hide_keys(result, release.isoformat(timespec="minutes") if release else None)


@app.command()
def batch(
    submissions: Annotated[
        Path,
        typer.Argument(
            metavar="SUBMISSIONS_DIR",
            help="<student>/<exercise>.py and <student>/<quiz>.yaml, "
            "optionally manifest.csv (student,item,submitted_at)",
        ),
    ],
    db: Annotated[Path, typer.Option("--db", help="The gradebook (SQLite).")] = Path("grades.db"),
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores).")
    ] = None,
    regrade: Annotated[bool, typer.Option("--regrade", help="Grade again even what is up to date.")] = False,
    course_file: Annotated[
        Path | None, typer.Option("--course", help="course.yaml (default: ./course.yaml if any).")
    ] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file",
            help="File holding the course secret (default: $GRADE_SECRET, then course.yaml's secret_file).",
        ),
    ] = None,
    new_secret: Annotated[
        bool,
        typer.Option(
            "--new-secret",
            help="Accept a secret other than the one this gradebook was graded with (regrades everything).",
        ),
    ] = False,
    lang: Lang = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    exercises: ExercisesDir = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor", metavar="local|dask", help="local (worker processes here) or dask (a Dask cluster)."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="The Dask scheduler, tcp://HOST:PORT (--executor dask).")
    ] = None,
    roster: Annotated[
        Path | None, typer.Option("--roster", help="The class list (default: course.yaml's roster, ./roster.csv).")
    ] = None,
    only_student: Annotated[
        list[str] | None, typer.Option("--student", help="Only this student's files (repeatable; with --regrade).")
    ] = None,
    only_item: Annotated[
        list[str] | None, typer.Option("--item", help="Only this item's files (repeatable; with --regrade).")
    ] = None,
) -> None:
    """Grade a class into the gradebook: parallel, resumable, only what is new or changed."""
    from grader.classroom import batch as batch_mod
    from grader.classroom.context import context

    ctx = context(exercises, course_file, secret_file, db, roster=roster)
    options = batch_mod.Options(
        submissions, ctx.secret(), ctx.course, ctx.db, jobs, regrade, new_secret, exercises, _lang(lang)
    )
    options.executor, options.scheduler = executor, scheduler
    from grader.cli import semester

    semester.narrow(options, ctx, only_student, only_item)
    for warning in options.secret.warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    report, live = _batch_progress(quiet)
    try:
        with live:
            summary = batch_mod.run(options, report)
    except KeyboardInterrupt:  # before grading began, or a second Ctrl-C while summing up
        err.print("interrupted: every result graded so far is saved; run the same command again to finish")
        raise typer.Exit(130) from None
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
        semester.print_roster(summary)
    if (summary.get("isolation") or {}).get("notice"):
        err.print(summary["isolation"]["notice"], style="yellow", markup=False, highlight=False)
    if summary["interrupted"]:
        err.print(f"interrupted: {summary['graded']} graded and saved; run the same command again to finish")
        raise typer.Exit(130)
    raise typer.Exit(1 if summary["faults"] else 0)


def _batch_progress(quiet: bool):
    """A rich progress bar on a terminal; a plain line every 10 s otherwise (logs, CI); nothing with --quiet."""
    import contextlib
    import time

    if quiet:
        return None, contextlib.nullcontext()
    if err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"),
            console=err,
        )
        task = bar.add_task("grading", total=None, rate="", note="")

        @contextlib.contextmanager
        def stop_at_end():
            try:
                yield
            finally:
                if bar.live.is_started:
                    bar.stop()

        def report(p) -> None:
            if not bar.live.is_started:  # only now: the batch forks its workers before its first report
                bar.start()
            elapsed = time.monotonic() - p.started
            rate = f"{p.done / elapsed:.0f}/s" if elapsed > 0.5 else ""
            note = ", ".join(f"{n} {w}" for n, w in ((p.errors, "student errors"), (p.faults, "grader faults")) if n)
            bar.update(task, total=p.total, completed=p.done, rate=rate, note=note)

        return report, stop_at_end()
    last = [0.0]

    def plain(p) -> None:
        now = time.monotonic()
        if now - last[0] >= 10 or p.done == p.total:
            last[0] = now
            elapsed = now - p.started
            rate = p.done / elapsed if elapsed > 0 else 0
            eta = f", ETA {(p.total - p.done) / rate:.0f} s" if rate and p.done < p.total else ""
            err.print(
                f"graded {p.done}/{p.total} ({rate:.0f}/s{eta}), {p.errors} student errors, {p.faults} grader faults",
                highlight=False,
            )

    return plain, contextlib.nullcontext()


def _print_summary(s: dict) -> None:
    from rich.table import Table

    out.print(
        f"[bold]{s['graded']}[/] graded of {s['to_grade']} new or changed ({s['up_to_date']} up to date, "
        f"{s['found']} files from {s['students']} students) in {s['seconds']:g} s"
        + (f", {s['rate']:g}/s with {s['jobs']} workers" if s.get("rate") else "")
    )
    out.print(f"secret: {s['secret']['source']} (id {s['secret']['id']}); policy: {s['policy']}")
    if s.get("exercises"):
        out.print(f"exercises: {s['exercises']['folder']} (from {s['exercises']['from']})", markup=False)
    ft = s.get("file_times") or {}
    if ft.get("files"):
        made = (
            f"that made {ft['late_files']} file(s) of {ft['late_students']} student(s) late"
            if ft["counted"]
            else f"not counted as late (late.from_file_times: false; {ft['would_be_late']} would have been)"
        )
        out.print(
            f"[yellow]file times:[/] {ft['files']} file(s) had no manifest.csv row and are dated by their "
            f"modification time; {made}. A copied file carries the copy's time: give a manifest.csv, or set "
            "late.from_file_times: false in course.yaml."
        )
    if s["statuses"]:
        kinds = ", ".join(f"{k} {n}" for k, n in s["errors_by_kind"].items())
        out.print(
            "status: " + ", ".join(f"{k} {n}" for k, n in s["statuses"].items()) + (f" ({kinds})" if kinds else "")
        )
    if s["faults"]:
        out.print(f"[red]{s['faults']} not graded by a fault of the grader[/] (rerun to retry):")
        for fault in s["fault_examples"][:5]:
            out.print(f"    {fault['student']}/{fault['item']}: {fault['fault']}", markup=False)
    for kind, info in s["problems"].items():
        if kind == "ignored":
            out.print(f"[dim]ignored: {info['count']} hidden or system file(s)[/]")
            continue
        out.print(f"[yellow]{kind}[/]: {info['count']}")
        for example in info["examples"][:3]:
            out.print(f"    {example}", markup=False)
        if info["count"] > 3:
            out.print(f"    … {info['count'] - 3} more")
    if s["items"]:
        table = Table(title=f"the class now ({s['policy']} attempt, late penalties applied)")
        for col in ("item", "students", "missing", "mean", "median", "full marks", "zero", "0 → full"):
            table.add_column(col, justify="left" if col in ("item", "0 → full") else "right")
        for item, d in s["items"].items():
            peak = max(d["histogram"]) or 1
            spark = "".join("·▁▂▃▄▅▆▇█"[max(1, round(8 * n / peak)) if n else 0] for n in d["histogram"])
            table.add_row(
                item,
                str(d["students"]),
                str(d.get("missing", 0)),
                f"{d['mean']:g}/{d['max_score']:g}" if d["mean"] is not None else f"—/{d['max_score']:g}",
                f"{d['median']:g}" if d["median"] is not None else "—",
                str(d["full"]),
                str(d["zero"]),
                spark,
            )
        out.print(table)
        t = s.get("totals") or {}
        if t.get("students"):
            out.print(
                f"totals: mean {t['mean']:g}, median {t['median']:g} out of {t['out_of']:g} "
                "(the whole course; a missing item counts 0)"
            )
    hard = [t for t in s["hardest_tasks"] if t["failed"]]
    if hard:
        out.print("tasks most students failed:")
        for t in hard[:5]:
            why = f" (most often: {t['common_mistake']})" if t["common_mistake"] else ""
            out.print(f"    {t['item']}.{t['function']}: {t['failed']} of {t['of']}{why}")
    out.print(f"gradebook: {s['db']}; next: grade export --db {s['db']} --format csv --out grades.csv")


@app.command()
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format", metavar="csv|jsonl|gradescope|canvas|moodle", help="csv, jsonl, gradescope, canvas or moodle."
        ),
    ],
    db: Annotated[Path, typer.Option("--db", help="The gradebook (SQLite).")] = Path("grades.db"),
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File (csv, jsonl; default stdout) or folder "
            "(gradescope; default ./gradescope; a .json path for one student).",
        ),
    ] = None,
    course_file: Annotated[
        Path | None,
        typer.Option("--course", help="course.yaml (default: ./course.yaml, else the one of the last batch)."),
    ] = None,
    policy: Annotated[
        str | None, typer.Option(metavar="best|last", help="best or last (default: the course's).")
    ] = None,
    csv_style: Annotated[
        str, typer.Option("--csv-style", metavar="generic|canvas", help="generic (Moodle, Sakai) or canvas.")
    ] = "generic",
    student: Annotated[str | None, typer.Option(metavar="ID", help="Only this student (gradescope).")] = None,
    item: Annotated[str | None, typer.Option(metavar="ITEM", help="Only this item (gradescope).")] = None,
    roster: Annotated[
        Path | None, typer.Option("--roster", help="canvas, moodle: the class list (default: the last batch's).")
    ] = None,
) -> None:
    """Export grades: csv (one row per student), jsonl (every attempt), gradescope (results.json)."""
    import contextlib

    from grader.classroom import export as ex
    from grader.classroom.context import context
    from grader.classroom.gradebook import Gradebook

    if fmt not in ex.FORMATS:
        raise UsageError(f"--format must be one of {', '.join(ex.FORMATS)}, not '{fmt}'")
    if policy not in (None, "best", "last"):
        raise UsageError(f"--policy must be best or last, not '{policy}'")
    ctx = context(course=course_file, db=db, roster=roster)
    with Gradebook(ctx.db, create=False) as gb:
        course = ctx.course_for(gb)
        for changed in ex.changed_since_batch(gb):
            err.print(
                f"[yellow]warning:[/] {changed} changed since the last batch: its grades are for the exercise as it "
                "was; run grade batch to grade it as it is"
            )
        if fmt in ("canvas", "moodle"):
            from grader.cli import semester

            semester.export_lms(gb, course, fmt, out_path, ctx.roster if roster else None, policy)
            return
        if fmt == "gradescope":
            written = ex.write_gradescope(gb, course, out_path or Path("gradescope"), student, item, policy)
            err.print(f"wrote {len(written)} results.json file(s) under {out_path or Path('gradescope')}")
            return
        with contextlib.ExitStack() as stack:
            target = (
                sys.stdout
                if out_path is None
                else stack.enter_context(ex.atomic_open(out_path))  # all of it or none: never half a file
            )
            if fmt == "csv":
                n = ex.write_csv(gb, course, target, csv_style, policy)
                what = f"{n} student row(s)"
            else:
                n = ex.write_jsonl(gb, course, target, policy)
                what = f"{n} attempt line(s)"
        if out_path is not None:
            err.print(f"wrote {what} to {out_path}")


@app.command()
def collect(
    archive: Annotated[Path, typer.Argument(help="The LMS's download-all zip (Canvas, Moodle), or its folder.")],
    roster: Annotated[
        Path | None, typer.Option("--roster", help="The class list (default: course.yaml's roster, ./roster.csv).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="The submissions folder to write.")] = Path("submissions"),
    times: Annotated[
        Path | None, typer.Option("--times", help="Submission times: Canvas Submissions API JSON, or a CSV.")
    ] = None,
    course_file: Annotated[Path | None, typer.Option("--course", help="course.yaml (default: ./course.yaml).")] = None,
    exercises: ExercisesDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """An LMS's "download all submissions" archive into SUBMISSIONS_DIR/<student>/<item> and manifest.csv."""
    from grader.cli import semester

    raise typer.Exit(semester.collect(archive, roster, out_dir, times, course_file, exercises, as_json))


@app.command()
def override(
    student: Annotated[str | None, typer.Argument(help="Student id (alone: their history).")] = None,
    item: Annotated[str | None, typer.Argument(help="Exercise or quiz id.")] = None,
    score: Annotated[float | None, typer.Argument(help="The score that counts, in the item's points.")] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why: shown to the student, kept in the history.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="End the override in force (with --reason).")] = False,
    db: Annotated[Path, typer.Option("--db", help="The gradebook (SQLite).")] = Path("grades.db"),
    course_file: Annotated[Path | None, typer.Option("--course", help="course.yaml (default: ./course.yaml).")] = None,
    roster: Annotated[Path | None, typer.Option("--roster", help="The class list (default: course.yaml's).")] = None,
    exercises: ExercisesDir = None,
) -> None:
    """Set a student's score for an item by hand, with a reason (kept in the history, exported, shown,
    surviving regrades); --clear ends it; without a SCORE, list the overrides."""
    from grader.cli import semester

    raise typer.Exit(semester.override(student, item, score, reason, clear, db, course_file, roster, exercises))


@app.command()
def site(
    db: Annotated[Path, typer.Option("--db", help="The gradebook.")] = Path("grades.db"),
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the site into.")] = Path("_site"),
    lang: Lang = None,
    students_only: Annotated[
        bool,
        typer.Option("--students-only", help="Leave out the dashboard and the index of names (a copy to publish)."),
    ] = False,
    links: Annotated[
        Path | None,
        typer.Option("--links", help="Write a CSV of student,report link here, to send each student their own."),
    ] = None,
    base_url: Annotated[
        str, typer.Option("--base-url", help="Prefix for --links, e.g. https://course.example/fb/")
    ] = "",
    course_file: Annotated[
        Path | None, typer.Option("--course", help="course.yaml (default: the one the last batch used).")
    ] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file", help="The course secret (default: $GRADE_SECRET, then course.yaml's secret_file)."
        ),
    ] = None,
    exercises: ExercisesDir = None,
    practice: Annotated[
        bool,
        typer.Option(
            "--practice/--no-practice",
            help="Exercise pages get an editor that grades in the browser with the same code (Pyodide, ~14 MB).",
        ),
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the site on http://127.0.0.1 (Ctrl-C stops).")
    ] = False,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port for --serve.")] = 8000,
) -> None:
    """Build the static feedback site: exercise pages, a report per student, the instructor's dashboard."""
    import csv

    from grader.site import data as site_data

    report = site_data.build(
        db,
        out_dir,
        lang=_lang(lang),
        students_only=students_only,
        course_file=course_file,
        secret_file=secret_file,
        exercises_dir=exercises,
        practice=practice,
    )
    err.print(report.summary())
    if links is not None:
        with open(links, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["student", "report"])
            writer.writerows(sorted((s, base_url + p) for s, p in report.reports.items()))
        err.print(f"wrote {links}: {len(report.reports)} student link(s); keep it private")
    page = report.dashboard or "index.html"
    if serve:
        _serve(out_dir, page, port)
    else:
        out.print((out_dir / page).resolve().as_uri())


def _serve(folder: Path, page: str, port: int) -> None:
    """Serve a built site on 127.0.0.1 until Ctrl-C; print the page's address."""
    from grader.site.serve import server

    try:
        httpd = server(folder, port)
    except OSError as exc:
        raise UsageError(f"--serve: cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port 0") from None
    out.print(f"http://127.0.0.1:{httpd.server_address[1]}/{page}")
    err.print("serving the site on 127.0.0.1 only; Ctrl-C stops")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        err.print("stopped")
    finally:
        httpd.server_close()


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--dir", help="Where to put grades.db and the site.")] = Path("grade-demo"),
    lang: Lang = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    practice: Annotated[
        bool,
        typer.Option("--practice/--no-practice", help="Exercise pages with the in-browser editor (on by default)."),
    ] = True,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the site on http://127.0.0.1 (Ctrl-C stops).")
    ] = False,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port for --serve.")] = 8000,
) -> None:
    """Grade the sample class shipped with the grader into SQLite and build its feedback site.

    Uses a demo secret that is public: try the grader with it, never grade a real course with it.
    """
    from grader.classroom import batch as batch_mod
    from grader.site import data as site_data

    report, live = _batch_progress(quiet)
    with live:
        summary = batch_mod.run_sample(workdir, report=report)
    _print_summary(summary)
    built = site_data.build(workdir / "grades.db", workdir / "site", lang=_lang(lang), practice=practice)
    err.print(built.summary())
    err.print(f"gradebook: {(workdir / 'grades.db').resolve()}")
    page = built.dashboard or "index.html"
    if serve:
        _serve(workdir / "site", page, port)
    else:
        if practice:
            err.print(f"to practise in the browser, serve it: grade demo --dir {workdir} --serve")
        err.print("open the site:")
        out.print((workdir / "site" / page).resolve().as_uri())
    raise typer.Exit(1 if summary["faults"] else 0)


@app.command()
def worker(
    scheduler: Annotated[str, typer.Option("--scheduler", help="The Dask scheduler, tcp://HOST:PORT.")],
    nworkers: Annotated[int | None, typer.Option("--nworkers", min=1, help="Processes (default: all cores).")] = None,
) -> None:
    """A Dask worker for `grade batch --executor dask`: one thread per process, the sandbox warmed at start."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise UsageError("`grade worker` needs Dask's `distributed`: pip install 'backprop-grader[dask]'")
    from grader.classroom.executor import default_jobs

    args = [sys.executable, "-m", "distributed.cli.dask_worker", scheduler, "--nthreads", "1"]
    args += ["--nworkers", str(nworkers or default_jobs()), "--preload", "grader.classroom.dask_executor"]
    err.print(" ".join(args[1:]), style="dim", markup=False, highlight=False)
    sys.stderr.flush()
    os.execv(sys.executable, args)


def version_callback(value: bool) -> None:
    if value:
        print(f"grade {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
):
    """Grade backpropagation exercises on computational graphs, node by node."""


def main(argv: list[str] | None = None, obj: object = None) -> None:
    """Run a ``grade`` command line (default: this process's); exits with the command's code.

    ``obj`` is typer's context object: ``grade submit`` calls it with the parsed options, if callable.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # no entry-point scan at start-up
    app.run(sys.argv[1:] if argv is None else argv, obj=obj)


if __name__ == "__main__":
    main()
