"""``grade site``: read the gradebook and the course, decide every page and its input key, then write.

Gather: every attempt row (small), the late penalty and the counted attempt of each student and item
(the course's policy, ``best`` or ``last``), and from each counted result the facts the dashboard
needs. Write: a page is rendered only when its key changed; its verdicts are read from the gradebook
then, one student at a time, so memory stays flat however large the class.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.errors import GraderError, UsageError
from grader.exercise.spec import Exercise
from grader.report import theme as site
from grader.report.diagram import draw
from grader.report.views import AttemptView, exercise_view, item_view, node_labels, pair, quiz_view, text_pair
from grader.site import charts
from grader.site import practice as practice_files


@dataclass
class Counted:
    """One student's item: its history, which attempt counts, and the final score."""

    item: str
    attempts: list[AttemptView]
    result_id: int
    final: float
    max_score: float
    late_days: int
    status: str
    override: object = None  # grader.classroom.overrides.Override: the instructor's score replaces final


@dataclass
class ItemStats:
    fractions: list[float] = field(default_factory=list)
    heat: Counter = field(default_factory=Counter)
    mistakes: Counter = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (student, kind)
    late: list[tuple[str, int, float]] = field(default_factory=list)  # (student, days, penalty)
    graded: int = 0


def _when(iso: str, zone) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M %z")
    except (TypeError, ValueError):
        return str(iso)


def _counted(crs, group: list) -> Counted:
    """One student's item, with the course's policy and late penalties applied (``grader.classroom.export``)."""
    from grader.classroom.export import pick

    chosen = pick(group, crs.policy)
    views = [
        AttemptView(
            s.attempt.attempt,
            _when(s.attempt.submitted_at, crs.zone),
            s.attempt.status,
            s.attempt.score,
            s.final,
            s.attempt.max_score,
            s.late.days,
            s is chosen,
            s.attempt.error_kind,
        )
        for s in group
    ]
    a = chosen.attempt
    return Counted(a.item, views, a.result_id, chosen.final, a.max_score, chosen.late.days, a.status)


def secret_for(book, ctx, crs):
    """The course secret, which must be the one the gradebook was graded with: report links depend on it."""
    from grader.classroom.batch import DEMO_SECRET, secret_id

    stored = book.meta("secret_id")
    if stored == secret_id(DEMO_SECRET):  # the packaged sample class, graded with the public demo secret
        return DEMO_SECRET
    secret = ctx.secret(crs).value
    if stored and stored != secret_id(secret):
        raise UsageError(
            f"{book.path}: this gradebook was graded with another course secret (id {stored}); "
            "report addresses are derived from the secret, so build the site with the course's own"
        )
    return secret


def load_result(book, result_id: int):
    """A stored result as a Verdict (exercise) or a QuizResult (quiz)."""
    data = book.verdict_json(result_id)
    if data.get("kind") == "quiz" or "questions" in data:
        from grader.quiz.result import from_json as quiz_from_json

        return data, quiz_from_json(data)
    from grader.grading.verdict import from_json

    return data, from_json(data)


def class_facts(book, result_ids: list[int]) -> dict[int, dict]:
    """For each result: its status, whole-file error, task errors, blamed/wrong nodes and mistakes.

    Read from the gradebook's ``results``, ``tasks`` and ``checks`` tables (no verdict JSON is parsed),
    in one pass per table over the picked results. (A candidate for a ``Gradebook`` read method.)
    """
    facts = {i: {"status": None, "errors": [], "nodes": set(), "mistakes": Counter()} for i in result_ids}
    book.db.execute("CREATE TEMP TABLE IF NOT EXISTS site_picked (id INTEGER PRIMARY KEY)")
    book.db.execute("DELETE FROM site_picked")
    book.db.executemany("INSERT OR IGNORE INTO site_picked VALUES (?)", ((i,) for i in result_ids))
    for rid, status, error in book.db.execute(
        "SELECT r.id, r.status, r.error_kind FROM results r JOIN site_picked p ON p.id = r.id"
    ):
        facts[rid]["status"] = status
        if error:
            facts[rid]["errors"].append(error)
    for rid, error, node, mistake in book.db.execute(
        "SELECT t.result_id, t.error_kind, t.blame_node, t.blame_mistake FROM tasks t "
        "JOIN site_picked p ON p.id = t.result_id ORDER BY t.result_id, t.position"
    ):
        if error:
            facts[rid]["errors"].append(error)
        if node:
            facts[rid]["nodes"].add(node)
            facts[rid]["mistakes"][(node, mistake or "unclassified")] += 1
    for rid, node, mistake in book.db.execute(
        "SELECT DISTINCT c.result_id, c.node, c.mistake FROM checks c JOIN site_picked p ON p.id = c.result_id "
        "WHERE c.ok = 0 AND c.node IS NOT NULL"
    ):
        facts[rid]["nodes"].add(node)
        if mistake:
            facts[rid]["mistakes"][(node, mistake)] += 1
    return facts


def _facts(stats: ItemStats, student: str, c: Counted, fact: dict) -> None:
    stats.fractions.append(c.final / c.max_score if c.max_score else 0.0)
    if c.late_days:
        stats.late.append((student, c.late_days, 0.0))
    if fact["status"] == "graded":
        stats.graded += 1
    stats.errors.extend((student, kind) for kind in dict.fromkeys(fact["errors"]))  # each kind once a student
    for node in fact["nodes"]:
        stats.heat[node] += 1
    for _node, mistake in fact["mistakes"]:  # once per wrong node and kind
        stats.mistakes[mistake] += 1


def catalog(exercises_dir: Path | None) -> tuple[dict[str, Exercise], dict[str, object]]:
    """The course's exercises and quizzes, each in its ``order`` (then id)."""
    from grader.exercise.loader import exercise_dirs, load_exercise
    from grader.quiz.quizzes import is_quiz_file, load_quiz

    exercises: dict[str, Exercise] = {}
    quizzes: dict[str, object] = {}
    for folder in exercise_dirs(exercises_dir)[:1]:
        for path in sorted(folder.glob("*.y*ml")):
            try:
                if is_quiz_file(path):
                    quiz = load_quiz(path)
                    quizzes[quiz.id] = quiz
                else:
                    ex = load_exercise(path)
                    exercises[ex.id] = ex
            except GraderError:
                continue  # a broken file: `grade check` reports it

    def ordered(found: dict) -> dict:
        return dict(sorted(found.items(), key=lambda kv: (kv[1].order if kv[1].order is not None else 10**6, kv[0])))

    return ordered(exercises), ordered(quizzes)


def build(
    db: Path,
    out: Path,
    *,
    lang: str = "ko",
    students_only: bool = False,
    course_file: Path | None = None,
    secret_file: Path | None = None,
    exercises_dir: Path | None = None,
    practice: bool = False,
) -> site.BuildReport:
    from grader.classroom.context import context
    from grader.classroom.export import scored
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.roster import recorded

    if lang not in ("ko", "en"):
        raise UsageError(f"--lang must be ko or en, not '{lang}'")
    theme = site.theme_digest()
    ctx = context(exercises_dir, course_file, secret_file, db)
    with Gradebook(ctx.db, create=False) as book:
        crs = ctx.course_for(book)
        secret = secret_for(book, ctx, crs)
        exercises, quizzes = catalog(ctx.exercises_dir)
        groups: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for s in scored(book, crs):
            groups[s.attempt.student][s.attempt.item].append(s)
        counted = {s: {i: _counted(crs, g) for i, g in items.items()} for s, items in groups.items()}
        manual = _apply_overrides(book, counted)
        for s in recorded(book):  # on the roster, nothing handed in: a page saying so, a row of blanks
            counted.setdefault(s.id, {})
        known = list(exercises) + list(quizzes)
        items = known + sorted({i for s in counted.values() for i in s} - set(known))
        stats = {i: ItemStats() for i in items}
        if not students_only:
            facts = class_facts(book, [c.result_id for per in counted.values() for c in per.values()])
            for student, per_item in counted.items():
                for c in per_item.values():
                    _facts(stats[c.item], student, c, facts[c.result_id])
        tokens = {s: site.report_token(secret, s) for s in counted}
        named = {**exercises, **quizzes}
        pages = _pages(book, exercises, named, items, counted, stats, tokens, theme, lang, students_only, crs, manual)
        extra = {"r/index.html": _EMPTY}
        if practice:
            extra |= practice_files.files(exercises)
            _practise(pages, exercises, practice_files.megabytes(extra))
        skip = () if practice else practice_files.PRACTICE_VENDOR
        report = site.write_pages(pages, out, site.environment(), extra_files=extra, skip_static=skip)
    report.reports = {s: f"r/{t}.html" for s, t in tokens.items()}
    report.dashboard = None if students_only else "dashboard.html"
    return report


_EMPTY = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    f'<meta http-equiv="Content-Security-Policy" content="{site.csp().replace(chr(39), "&#39;")}">'
    '<meta name="robots" content="noindex, nofollow"><title>-</title></head><body></body></html>\n'
).encode()


def _apply_overrides(book, counted: dict) -> dict[str, dict]:
    """The instructor's scores (overrides.py) in place of the counted ones; returns those with no attempt."""
    from grader.classroom.overrides import in_force

    alone: dict[str, dict] = {}
    for (student, item), o in in_force(book).items():
        c = counted.get(student, {}).get(item)
        if c is None:
            alone.setdefault(student, {})[item] = o
        else:
            c.final, c.override = o.score, o
    return alone


def _practise(pages: list[site.Page], exercises: dict[str, Exercise], megabytes: float) -> None:
    """Give each exercise page its practice panel (``grade site --practice``)."""
    for page in pages:
        if page.template != "exercise.html.j2":
            continue
        ex = exercises[page.path.removeprefix("exercises/").removesuffix(".html")]
        panel = {
            "exercise": ex.id,
            "megabytes": f"{megabytes:.0f}",
            "config": {**practice_files.config(ex), "root": "../", "texts": practice_files.texts()},
        }
        page.key = site.key_of(page.key, "practice", panel)
        page.context = lambda context=page.context, panel=panel: {
            **context(),
            "practice": panel,
            "csp": site.csp(practice=True),
        }


def _titles(exercises: dict, items: list[str]) -> dict[str, dict]:
    return {i: text_pair(exercises[i].title) if i in exercises else pair(i) for i in items}


def _pages(
    book, exercises, named, items, counted, stats, tokens, theme, lang, students_only, crs, manual=None
) -> list[site.Page]:
    manual = manual or {}
    titles = _titles(named, items)
    common = {"lang": lang, "titles": titles, "students_only": students_only, "course_name": crs.name or ""}
    from grader.classroom.export import course_items

    course = course_items(book)  # what every total is out of; a missing item counts 0
    common["course_items"] = {i: course[i] for i in course}
    common["course_total"] = _num(sum(course.values()))
    digests = {i: named[i].digest if i in named else "" for i in items}
    pages = [
        site.Page(
            "index.html",
            "index.html.j2",
            site.key_of("index", theme, common, digests, len(counted)),  # the count shown on it
            lambda: {
                **common,
                "exercises": [(i, titles[i], exercises[i].max_score) for i in exercises],
                "n_students": len(counted),
            },
        )
    ]
    for ex_id, ex in exercises.items():
        pages.append(
            site.Page(
                f"exercises/{ex_id}.html",
                "exercise.html.j2",
                site.key_of("exercise", theme, common, ex.digest),
                lambda ex=ex: {**common, "ex": exercise_view(ex)},
            )
        )
    for student in sorted(counted):
        per_item = counted[student]
        key = site.key_of(
            "report",
            theme,
            common,
            student,
            {i: (digests.get(i), c.result_id, [a.__dict__ for a in c.attempts]) for i, c in per_item.items()},
            {i: c.override.__dict__ for i, c in per_item.items() if c.override},
            {i: o.__dict__ for i, o in manual.get(student, {}).items()},
            sorted(i for i in per_item if crs.keys_released(i)),  # a quiz's answers appear once released
        )
        pages.append(
            site.Page(
                f"r/{tokens[student]}.html",
                "report.html.j2",
                key,
                lambda s=student: _report_context(
                    book, exercises, items, counted[s], s, common, crs, manual.get(s, {})
                ),
            )
        )
    if not students_only:
        facts = {i: (s.fractions, dict(s.heat), dict(s.mistakes), s.errors, s.late, s.graded) for i, s in stats.items()}
        table = {s: {i: (c.final, c.late_days, c.status) for i, c in per.items()} for s, per in counted.items()}
        pages.append(
            site.Page(
                "dashboard.html",
                "dashboard.html.j2",
                site.key_of("dashboard", theme, common, digests, facts, table, tokens),
                lambda: _dashboard_context(exercises, items, counted, stats, tokens, common),
            )
        )
    return pages


def _report_context(
    book, exercises, items, per_item: dict[str, Counted], student: str, common: dict, crs, manual=None
) -> dict:
    from grader.quiz.result import hide_keys

    shown = []
    for item in (i for i in items if i in per_item):
        c = per_item[item]
        data, result = load_result(book, c.result_id)
        ex = exercises.get(item)
        is_quiz = data.get("kind") == "quiz" or "questions" in data
        if is_quiz and not result.practice and not crs.keys_released(item):
            release = crs.key_release(item)
            result = hide_keys(result, release.isoformat(timespec="minutes") if release else None)
        view = (
            quiz_view(result)
            if data.get("kind") == "quiz" or "questions" in data
            else item_view(ex, result, f"d-{item}")
        )
        shown.append(
            {
                "id": item,
                "title": common["titles"][item],
                "has_page": ex is not None,
                "score": _num(c.final),
                "max": _num(c.max_score),
                "raw": _num(result.score),
                "late_days": c.late_days,
                "full": c.final >= c.max_score - 1e-9,
                "status": c.status,
                "history": c.attempts,
                "view": view,
                "override": c.override,
            }
        )
    manual = manual or {}
    total = sum(c.final for c in per_item.values()) + sum(o.score for o in manual.values())
    course = common["course_items"]
    top = sum(course.values()) + sum(c.max_score for i, c in per_item.items() if i not in course)
    return {
        **common,
        "student": student,
        "items": shown,
        "total": _num(total),
        "total_max": _num(top),  # the course's total, not only what was handed in
        "missing": [i for i in course if i not in per_item and i not in manual],  # each counted 0
        "manual": manual,
    }


def _num(x: float) -> str:
    return f"{x:g}"


def _dashboard_context(exercises, items, counted, stats, tokens, common) -> dict:
    items = [i for i in items if stats[i].fractions]  # an item nobody handed in has no card and no column
    cards, all_mistakes, errors, late = [], Counter(), [], []
    for n, item in enumerate(items):
        st = stats[item]
        all_mistakes.update(st.mistakes)
        errors += [(s, tokens[s], item, k) for s, k in st.errors]
        late += [(s, tokens[s], item, d) for s, d, _ in st.late]
        ex = exercises.get(item)
        heat = None
        if ex is not None:
            shares = {node: (st.heat.get(node, 0), st.graded) for node in ex.graph.nodes}
            heat = draw(ex.built, None, heat=shares, uid=f"h{n}", caption_id=f"h{n}-cap", labels=node_labels(ex))
        mean = sum(st.fractions) / len(st.fractions) if st.fractions else None
        cards.append(
            {
                "id": item,
                "n": len(st.fractions),
                "graded": st.graded,
                "mean": f"{100 * mean:.0f}%" if mean is not None else "—",
                "hist": charts.histogram(charts.score_bins(st.fractions), f"s{n}-cap"),
                "hist_id": f"s{n}-cap",
                "heat": heat,
                "heat_id": f"h{n}-cap",
                "errors": Counter(k for _, k in st.errors).most_common(),
                "mistakes": st.mistakes.most_common(),
                "has_page": ex is not None,
            }
        )
    rows = []
    for student in sorted(counted):
        per = counted[student]
        cells = [(per[i].final, per[i].max_score, per[i].late_days, per[i].status) if i in per else None for i in items]
        rows.append(
            {
                "student": student,
                "href": f"r/{tokens[student]}.html",
                "cells": [
                    None
                    if c is None
                    else {"score": _num(c[0]), "full": c[0] >= c[1] - 1e-9, "late": c[2], "status": c[3]}
                    for c in cells
                ],
                "total": _num(sum(c.final for c in per.values())),
                "missing": [i for i in common["course_items"] if i not in per],
            }
        )
    mistakes = all_mistakes.most_common()
    return {
        **common,
        "cards": cards,
        "rows": rows,
        "items": items,
        "errors": sorted(errors),
        "late": sorted(late),
        "mistakes_svg": charts.hbars(mistakes, "m-cap") if mistakes else "",
        "mistakes": mistakes,
        "n_students": len(counted),
    }


def dumps(report: site.BuildReport) -> str:
    return json.dumps(
        {
            "out": str(report.out),
            "pages": report.pages,
            "written": len(report.written),
            "unchanged": report.unchanged,
            "removed": report.removed,
        },
        indent=2,
    )
