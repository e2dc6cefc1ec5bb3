"""The class at a glance, as the gradebook holds it: a score distribution per item and the tasks most
students failed, with the course's policy and late penalties applied. For ``grade batch``'s summary."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from grader.classroom.course_config import Course
from grader.classroom.export import course_items, grades
from grader.classroom.gradebook import Gradebook


def class_overview(gb: Gradebook, course: Course) -> dict[str, Any]:
    """``items``: per item, the counted grades' distribution and how many students are missing it;
    ``totals``: each student's total out of the course's (a missing item counts 0); ``hardest_tasks``;
    ``late_attempts_counted``."""
    per_item: dict[str, list[float]] = defaultdict(list)
    totals: dict[str, float] = defaultdict(float)
    picked: list[int] = []
    late = 0
    for g in grades(gb, course):
        per_item[g.item].append(g.final)
        totals[g.student] += g.final
        if g.attempt is not None:  # None: an instructor's override of an item never handed in
            picked.append(g.attempt.result_id)
        late += g.late.days > 0
    maxima = course_items(gb)
    out_of = sum(maxima.values())
    return {
        "late_attempts_counted": late,
        "items": {
            item: {**_distribution(per_item[item], top), "missing": len(totals) - len(per_item[item])}
            for item, top in maxima.items()
        },
        "totals": {
            "students": len(totals),
            "out_of": out_of,
            "mean": round(statistics.fmean(totals.values()), 3) if totals else None,
            "median": round(statistics.median(totals.values()), 3) if totals else None,
        },
        "hardest_tasks": _hardest_tasks(gb, picked),
    }


def _distribution(scores: list[float], max_score: float) -> dict[str, Any]:
    """Of the grades handed in (the ``missing`` are counted beside them)."""
    bins = [0] * 5  # fifths of the maximum; full marks in the last
    for s in scores:
        frac = s / max_score if max_score else 0.0
        bins[min(4, int(frac * 5))] += 1
    return {
        "students": len(scores),
        "max_score": max_score,
        "mean": round(statistics.fmean(scores), 3) if scores else None,
        "median": round(statistics.median(scores), 3) if scores else None,
        "full": sum(s >= max_score - 1e-9 for s in scores),
        "zero": sum(s <= 1e-9 for s in scores),
        "histogram": bins,
    }


def _hardest_tasks(gb: Gradebook, picked: list[int], top: int = 8) -> list[dict[str, Any]]:
    tried: Counter = Counter()
    failed: Counter = Counter()
    why: dict[tuple, Counter] = defaultdict(Counter)
    for item, position, function, passed, mistake in gb.task_rows(picked):
        key = (item, position, function)
        tried[key] += 1
        if not passed:
            failed[key] += 1
            if mistake:
                why[key][mistake] += 1
    ranked = sorted(failed, key=lambda k: (-failed[k] / tried[k], k))[:top]
    return [
        {
            "item": k[0],
            "function": k[2],
            "failed": failed[k],
            "of": tried[k],
            "common_mistake": why[k].most_common(1)[0][0] if why[k] else None,
        }
        for k in ranked
    ]
