"""The bodies of the semester's commands (``grade collect``, ``grade override``): call the classroom
wing, print. ``commands.py`` only declares their options."""

from __future__ import annotations

import json
from pathlib import Path

from grader.errors import UsageError


def _consoles():
    from grader.cli.app import err, out  # beside the app, so that commands.py need not be imported back

    return out, err


def print_problems(problems: dict, err, shown: int = 3) -> None:
    for kind, info in problems.items():
        err.print(f"[yellow]{kind}[/]: {info['count']}")
        for example in info["examples"][:shown]:
            err.print(f"    {example}", markup=False, highlight=False)
        if info["count"] > shown:
            err.print(f"    … {info['count'] - shown} more (--json lists up to 50)")


def collect(
    archive: Path,
    roster_file: Path | None,
    out_dir: Path,
    times: Path | None,
    course_file: Path | None,
    exercises: Path | None,
    as_json: bool,
) -> int:
    """Exit code: 0 every file collected, 1 some left out (listed)."""
    from grader.classroom import semester as context
    from grader.classroom.collect import collect as run

    out, err = _consoles()
    ctx = context.semester(course_file, exercises, roster_file)
    if ctx.roster is None:
        raise UsageError(
            "grade collect needs the class list: pass --roster roster.csv (student,name,email,lms_id), "
            "or name it in course.yaml (roster: roster.csv)"
        )
    report = run(archive, ctx.roster, out_dir, ctx.catalog, ctx.zone, ctx.normalize, times)
    summary = report.as_dict(ctx.roster)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        out.print(
            f"[bold]{summary['files']}[/] file(s) from {summary['students']} of {summary['roster']} students "
            f"({summary['format']} archive, {summary['entries']} entries) into {out_dir}/: "
            f"{summary['written']} written, {summary['unchanged']} unchanged"
        )
        if summary["marked_late_by_lms"]:
            out.print(f"marked late by the LMS: {summary['marked_late_by_lms']}")
        if summary["matched_by_name"]:
            out.print(f"matched by name (the roster has no lms_id): {summary['matched_by_name']}")
        nothing = summary["nothing_from"]
        if nothing["count"]:
            out.print(f"nothing from {nothing['count']} enrolled student(s): " + ", ".join(nothing["examples"][:10]))
        print_problems(summary["problems"], err)
        out.print(f"next: grade batch {out_dir}")
    left_out = {"unknown_student", "ambiguous_student", "anonymous", "unknown_item", "wrong_type", "refused"}
    left_out |= {"nested_archive", "not_a_submission"}
    return 1 if left_out & set(summary["problems"]) else 0


def override(
    student: str | None,
    item: str | None,
    score: float | None,
    reason: str | None,
    clear: bool,
    db: Path,
    course_file: Path | None,
    roster_file: Path | None,
    exercises: Path | None,
) -> int:
    """Set, clear or list manual scores (overrides.py); exit 2 for an unknown student, item or score."""
    from grader.classroom import overrides
    from grader.classroom import semester as context
    from grader.classroom.gradebook import Gradebook

    out, err = _consoles()
    with Gradebook(db, create=False) as gb:
        if score is None and not clear:
            rows = overrides.history(gb, student, item)
            for o in rows:
                what = "cleared" if o.score is None else f"{o.score:g}"
                out.print(f"{o.set_at}  {o.student}  {o.item}  {what}  {o.reason}  ({o.set_by or '?'})", markup=False)
            err.print(f"{len(rows)} override(s) in the history; {len(overrides.in_force(gb))} in force")
            return 0
        if student is None or item is None:
            raise UsageError("grade override STUDENT ITEM SCORE --reason TEXT (or STUDENT ITEM --clear --reason TEXT)")
        if clear and score is not None:
            raise UsageError("give a SCORE or --clear, not both")
        ctx = context.semester(course_file, exercises, roster_file)
        student = _known_student(gb, ctx, student)
        maximum = _item_maximum(gb, ctx, item)
        if score is not None and score > maximum + 1e-9:
            raise UsageError(f"{item} is worth {maximum:g}: a score of {score:g} is more than that")
        row = overrides.set_score(gb, student, item, score, reason or "")
    if row.score is None:
        err.print(f"{student} {item}: override cleared ({row.reason}); the graded attempts count again")
    else:
        err.print(f"{student} {item}: {row.score:g} / {maximum:g}, set by {row.set_by or 'you'}: {row.reason}")
    return 0


def _known_student(gb, ctx, student: str) -> str:
    try:
        student = ctx.normalize(student)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    known = (
        set(ctx.roster.ids())
        if ctx.roster is not None
        else {s for (s,) in gb.db.execute("SELECT DISTINCT student FROM submissions")}
    )
    if student not in known:
        where = f"the roster ({ctx.roster.path})" if ctx.roster is not None else "the gradebook"
        raise UsageError(f"'{student}' is not in {where}")
    return student


def _item_maximum(gb, ctx, item: str) -> float:
    maxima = gb.item_max_scores()
    if item in maxima:
        return maxima[item]
    if ctx.catalog.kind(item) is None:
        close = ctx.catalog.suggest(item)
        raise UsageError(
            f"'{item}' is not an exercise or quiz of the course" + (f" (did you mean {close}?)" if close else "")
        )
    return float(ctx.catalog.exercise(item, "").max_score)


def narrow(options, ctx, students: list[str] | None, items: list[str] | None) -> None:
    """``grade batch``'s semester options: the course context's roster, and --student/--item to grade
    (or regrade) a few."""
    from grader.classroom.roster import student_id

    options.roster = ctx.roster
    if students:
        try:
            options.only_students = {student_id(s) for s in students}
        except ValueError as exc:
            raise UsageError(f"--student: {exc}") from None
    if items:
        options.only_items = set(items)


def print_roster(summary: dict) -> None:
    roster = summary.get("roster")
    if not roster:
        return
    _, err = _consoles()
    nothing, strangers = roster["nothing_from"], roster["not_on_roster"]
    err.print(f"roster: {roster['enrolled']} enrolled, {nothing['count']} handed in nothing (they count 0)")
    if nothing["count"]:
        err.print("    " + ", ".join(nothing["examples"][:10]) + (" …" if nothing["count"] > 10 else ""), markup=False)
    if strangers["count"]:
        err.print(f"[yellow]not on the roster[/]: {strangers['count']}: " + ", ".join(strangers["examples"][:10]))


def export_lms(gb, course, style: str, out_path: Path | None, roster, policy: str | None) -> None:
    """``grade export --format canvas|moodle``: written whole or not at all; ``roster`` None: the
    class list the last batch recorded."""
    import io
    import sys

    from grader.classroom.export import atomic_write
    from grader.classroom.lms_export import write_lms

    _, err = _consoles()
    buffer = io.StringIO()
    done = write_lms(gb, course, buffer, style, roster, policy)
    if out_path is None:
        sys.stdout.write(buffer.getvalue())
    else:
        atomic_write(out_path, buffer.getvalue())
    err.print(
        f"{style}: {done.rows} student row(s){f' to {out_path}' if out_path else ''}; {done.missing} cell(s) 0 "
        f"(nothing handed in, deadline passed), {done.not_due} left empty (nothing yet, not due)"
    )
    if done.not_on_roster:
        err.print(
            f"[yellow]left out, not on the roster[/]: {len(done.not_on_roster)}: " + ", ".join(done.not_on_roster[:10])
        )
