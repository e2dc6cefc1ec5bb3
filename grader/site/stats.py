"""The class's numbers for the dashboard: per item, per task or quiz question, and the costliest mistakes.

Read from the gradebook's ``tasks`` rows of the results that count (``site_picked``, filled by
``data.class_facts``), never from verdict JSON: 400 students × 12 items stay a few thousand rows.
A mistake's weight is the points lost in the tasks it was blamed for, so the list at the top says
where the class loses its marks, not merely what happens often. A task the grader could not name a
mistake for (``unclassified``) counts in its task's numbers but is never offered as a mistake.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

UNNAMED = {None, "", "unclassified", "wrong"}  # "wrong": a quiz answer; the question's row says it


@dataclass
class TaskStats:
    item: str
    function: str  # a task's function, or a quiz question's id
    kind: str
    max_score: float = 0.0
    n: int = 0
    total: float = 0.0  # sum of scores
    full: int = 0
    mistakes: Counter = field(default_factory=Counter)  # mistake -> students

    @property
    def mean_share(self) -> float:
        return self.total / (self.n * self.max_score) if self.n and self.max_score else 1.0


@dataclass
class MistakeStats:
    item: str
    mistake: str
    node: str | None
    students: int = 0
    lost: float = 0.0  # points lost in the tasks this mistake was blamed for


def task_stats(book) -> tuple[dict[str, list[TaskStats]], list[MistakeStats]]:
    """Per item its tasks in order, and every named mistake with the points it cost, heaviest first."""
    tasks: dict[tuple[str, int], TaskStats] = {}
    mistakes: dict[tuple[str, str, str | None], MistakeStats] = {}
    rows = book.db.execute(
        "SELECT s.item, t.position, t.function, t.kind, t.score, t.max_score, t.passed, t.blame_node, "
        "t.blame_mistake FROM tasks t JOIN site_picked p ON p.id = t.result_id "
        "JOIN results r ON r.id = t.result_id JOIN submissions s ON s.id = r.submission_id"
    )
    for item, position, function, kind, score, max_score, passed, node, mistake in rows:
        st = tasks.get((item, position))
        if st is None or st.function != function:
            st = tasks.setdefault((item, position), TaskStats(item, function, kind))
        st.max_score = max(st.max_score, max_score)
        st.n += 1
        st.total += score
        st.full += bool(passed) or score >= max_score - 1e-9
        if mistake not in UNNAMED and kind not in ("choice", "numeric", "expression"):
            st.mistakes[mistake] += 1
            m = mistakes.setdefault((item, mistake, node), MistakeStats(item, mistake, node))
            m.students += 1
            m.lost += max(0.0, max_score - score)
    per_item: dict[str, list[TaskStats]] = defaultdict(list)
    for (item, _), st in sorted(tasks.items()):
        per_item[item].append(st)
    costly = sorted(mistakes.values(), key=lambda m: (-m.lost, -m.students, m.item, m.mistake))
    return dict(per_item), costly


def hardest(per_item: dict[str, list[TaskStats]], n: int = 8) -> list[TaskStats]:
    """The tasks and questions with the lowest mean share of their points (ties: more students first)."""
    every = [t for ts in per_item.values() for t in ts if t.n and t.max_score]
    return sorted(every, key=lambda t: (t.mean_share, -t.n, t.item, t.function))[:n]


def lost_points(per_item: dict[str, list[TaskStats]]) -> float:
    return sum(t.n * t.max_score - t.total for ts in per_item.values() for t in ts)
