"""Verdict → rich renderables for the terminal (cli prints them).

Failed tasks come first with the blame sentence, then the failing checks (public points with their
expected values, hidden ones without), then the end-to-end effect at the public points.
"""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader.explain import fmt
from grader.verdict import TaskResult, Verdict

L = {
    "score": ("점수", "score"),
    "error": ("채점 불가", "could not be graded"),
    "effect": (
        "끝까지 연결한 결과 ({point}): 여러분의 게이트로 계산한 값과 정답",
        "End to end at {point}: your gates chained together, beside the reference",
    ),
    "name": ("이름", "name"),
    "reference": ("정답", "reference"),
    "yours": ("제출", "yours"),
    "more": ("… 그 밖에 {n}개 점검 실패", "… {n} more failed checks"),
    "output": ("출력 (print)", "printed output"),
    "also": ("다른 틀린 노드", "also wrong"),
    "full": ("만점입니다.", "Full marks."),
    "withheld": (
        "숨은 점에서 함수가 출력한 내용은 보여주지 않습니다 (파일을 불러올 때의 출력만 표시).",
        "What your functions printed at hidden points is not shown (only what loading printed).",
    ),
    "hidden_note": ("숨은 점에서는 정답 값을 보여주지 않습니다.", "Hidden points show where, not the answer."),
}


def t(key: str, lang: str, **kw) -> str:
    return L[key][0 if lang == "ko" else 1].format(**kw)


def report(verdict: Verdict, title: str = "", max_checks: int = 4):
    lang = verdict.lang
    parts: list = []
    head = Text()
    head.append(f"{verdict.exercise}", style="bold")
    if title:
        head.append(f" — {title}")
    head.append(
        f"   {t('score', lang)} {verdict.score:g} / {verdict.max_score:g}",
        style="bold green" if verdict.full_marks else "bold red",
    )
    parts.append(head)
    if verdict.error:
        cell = verdict.error.why.params.get("cell") if verdict.error.why else None  # notebooks
        line = (
            f" ({f'cell {cell}, ' if cell is not None else ''}line {verdict.error.line})" if verdict.error.line else ""
        )
        parts.append(Text(f"✗ {t('error', lang)} [{verdict.error.kind}]{line}: {verdict.error.message}", style="red"))
    for task in sorted(verdict.tasks, key=lambda x: x.passed):
        parts.extend(_task(task, lang, max_checks))
    for effect in verdict.effect:
        if all(
            r.expected is not None and r.got is not None and abs(r.expected - r.got) <= 1e-6 * max(1, abs(r.expected))
            for r in effect.rows
        ):
            continue
        table = Table(title=t("effect", lang, point=effect.point), title_justify="left", box=None, pad_edge=False)
        for col in (t("name", lang), t("reference", lang), t("yours", lang), ""):
            table.add_column(col)
        for row in effect.rows:
            same = (
                row.got is not None
                and row.expected is not None
                and abs(row.got - row.expected) <= 1e-6 * max(1, abs(row.expected))
            )
            table.add_row(escape(row.name), fmt(row.expected), fmt(row.got), "✓" if same else "✗")
        parts.append(table)
    if verdict.output_withheld:
        parts.append(Text(t("withheld", lang), style="dim"))
    if verdict.output.strip():
        parts.append(Text(f"{t('output', lang)}:", style="dim"))
        parts.append(Text(_clip(verdict.output), style="dim"))
    if verdict.full_marks:
        parts.append(Text(t("full", lang), style="green"))
    return Group(*parts)


def _task(task: TaskResult, lang: str, max_checks: int) -> list:
    mark = "✓" if task.passed else "✗"
    style = "green" if task.passed else "red"
    lines: list = [Text(f"{mark} {task.function} ({task.kind})  {task.score:g} / {task.max_score:g}", style=style)]
    if task.error:
        lines.append(Text(f"    {task.error.message}", style="yellow"))
    if task.blame:
        lines.append(Text(f"    → {task.blame.message}"))
    for other in task.also:
        lines.append(Text(f"    {t('also', lang)}: {other.message}"))
    failed = [c for c in task.checks if not c.ok]
    failed.sort(key=lambda c: not c.public)
    for check in failed[:max_checks]:
        where = f"{check.point}" + (f" · {check.node}" if check.node else "")
        lines.append(Text(f"      {where}: {check.message or ''}", style="dim" if not check.public else ""))
    if len(failed) > max_checks:
        lines.append(Text("      " + t("more", lang, n=len(failed) - max_checks), style="dim"))
    return lines


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def summary_line(verdict: Verdict) -> str:
    return f"{verdict.exercise}: {verdict.score:g}/{verdict.max_score:g} ({verdict.status})"
