"""The bodies of the semester's commands (``grade collect``, ``grade override``): call the classroom
wing, print. ``commands.py`` only declares their options."""

from __future__ import annotations

import json
from pathlib import Path

from grader.errors import UsageError


def _consoles():
    from grader.cli.commands import err, out

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
    return 1 if left_out & set(summary["problems"]) else 0
