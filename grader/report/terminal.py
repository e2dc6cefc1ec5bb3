"""Verdict → the terminal report: lines of styled segments, rendered as plain text or with colours.

Failed tasks come first with the blame sentence, then the failing checks (public points with their
expected values, hidden ones without), then the end-to-end effect at the public points. Plain
ANSI rather than rich, so that ``grade submit`` starts without loading a terminal library.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata

from grader.grading.explain import fmt
from grader.grading.verdict import TaskResult, Verdict
from grader.grading.words import point_text

Segment = tuple[str, str]  # text, style ("bold", "red", "bold green", "dim", "" ...)
Line = list[Segment]

ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}

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
    "unwritten": (
        "아직 작성하지 않았습니다 ({where}에서 `NotImplementedError`를 일으킵니다)",
        "not written yet (it raises NotImplementedError at {where})",
    ),
    "at_line": ("{line}번째 줄", "line {line}"),
    "at_cell": ("셀 {cell}의 {line}번째 줄", "cell {cell}, line {line}"),
    "hint": ("힌트", "hint"),
}


_TEX = {
    r"\partial ": "∂",
    r"\partial": "∂",
    r"\sigma": "σ",
    r"\eta": "η",
    r"\cdot": "·",
    r"\times": "×",
    r"\ldots": "…",
    r"\cdots": "⋯",
    r"\log": "log",
    r"\ln": "ln",
    r"\hat{y}": "ŷ",
    r"\,": " ",
    r"\ ": " ",
}


def t(key: str, lang: str, **kw) -> str:
    return L[key][0 if lang == "ko" else 1].format(**kw)


def report(verdict: Verdict, title: str = "", max_checks: int = 4) -> list[Line]:
    lang = verdict.lang
    score = f"   {t('score', lang)} {verdict.score:g} / {verdict.max_score:g}"
    head: Line = [(verdict.exercise, "bold")]
    if title:
        head.append((f" — {title}", ""))
    head.append((score, "bold green" if verdict.full_marks else "bold red"))
    lines: list[Line] = [head]
    if verdict.error:
        cell = verdict.error.why.params.get("cell") if verdict.error.why else None  # notebooks
        line = _where(cell, verdict.error.line, lang) if verdict.error.line else ""
        kind = verdict.error.kind if lang != "ko" else ERROR_KO.get(verdict.error.kind, verdict.error.kind)
        lines.append([(f"✗ {t('error', lang)} [{kind}]{line}: {verdict.error.message}", "red")])
    for task in sorted(verdict.tasks, key=lambda x: x.passed):
        lines.extend(_task(task, lang, max_checks))
    for effect in verdict.effect:
        if all(_same(r.got, r.expected) for r in effect.rows):
            continue
        lines.append([(t("effect", lang, point=point_text(effect.point, lang)), "")])
        header = [t("name", lang), t("reference", lang), t("yours", lang), ""]
        rows = [[r.name, fmt(r.expected), fmt(r.got), "✓" if _same(r.got, r.expected) else "✗"] for r in effect.rows]
        lines.extend([[(text, "bold" if i == 0 else "")] for i, text in enumerate(table([header, *rows]))])
    if verdict.output_withheld:
        lines.append([(t("withheld", lang), "dim")])
    if verdict.output.strip():
        lines.append([(f"{t('output', lang)}:", "dim")])
        lines.extend([(text, "dim")] for text in _clip(verdict.output).splitlines())
    if verdict.full_marks:
        lines.append([(t("full", lang), "green")])
    return lines


ERROR_KO = {
    "syntax_error": "문법 오류",
    "missing_function": "함수 없음",
    "bad_signature": "매개변수 불일치",
    "timeout": "시간 초과",
    "memory": "메모리 초과",
    "output": "출력 과다",
    "crash": "비정상 종료",
    "forbidden": "허용되지 않은 동작",
    "bad_file": "잘못된 파일",
}


def _where(cell, line, lang: str) -> str:
    if lang == "ko":
        return f" ({f'{cell}번 셀 ' if cell is not None else ''}{line}번째 줄)"
    return f" ({f'cell {cell}, ' if cell is not None else ''}line {line})"


def _same(got: float | None, expected: float | None) -> bool:
    return got is not None and expected is not None and abs(got - expected) <= 1e-6 * max(1, abs(expected))


def unwritten_at(task: TaskResult) -> dict | None:
    """Where the ``raise NotImplementedError`` is (``line``, and ``cell`` in a notebook) when every
    check of the task met it (the stub ``grade init`` wrote, untouched), else None."""
    if task.passed or task.error or not task.checks:
        return None
    raised = [c.why.params for c in task.checks if not c.ok and c.why is not None and c.why.code == "raised"]
    if len(raised) != len(task.checks) or any(p.get("type") != "NotImplementedError" for p in raised):
        return None
    if raised[0].get("line") is None:
        return None
    return raised[0]


def _task(task: TaskResult, lang: str, max_checks: int) -> list[Line]:
    mark = "✓" if task.passed else "✗"
    style = "green" if task.passed else "red"
    head = f"{mark} {task.function} ({task.kind})  {task.score:g} / {task.max_score:g}"
    at = unwritten_at(task)
    if at is not None:  # one line, not a screenful of the same NotImplementedError
        key = "at_cell" if at.get("cell") is not None else "at_line"
        where = t(key, lang, cell=at.get("cell"), line=at.get("line"))
        return [[(head, style), (f"  {t('unwritten', lang, where=where)}", "yellow")]]
    lines: list[Line] = [[(head, style)]]
    if task.error:
        lines.append([(f"    {task.error.message}", "yellow")])
    if task.blame:
        lines.append([(f"    → {task.blame.message}", "")])
    for other in task.also:
        lines.append([(f"    {t('also', lang)}: {other.message}", "")])
    if task.hint_helps:
        lines.append([(f"    {t('hint', lang)}: {plain_math(task.hint.get(lang) or task.hint.get('en', ''))}", "dim")])
    failed = [c for c in task.checks if not c.ok]
    failed.sort(key=lambda c: not c.public)
    for check in failed[:max_checks]:
        where = point_text(check.point, lang) + (f" · {check.node}" if check.node else "")
        lines.append([(f"      {where}: {check.message or ''}", "dim" if not check.public else "")])
    if len(failed) > max_checks:
        lines.append([("      " + t("more", lang, n=len(failed) - max_checks), "dim")])
    return lines


def plain_math(text: str) -> str:
    """A hint's inline LaTeX as terminal text: ``$\\frac{\\partial L}{\\partial z}$`` → ``∂L/∂z``."""
    text = text.replace("$", "")
    for tex, plain in _TEX.items():
        text = text.replace(tex, plain)
    text = text.replace("}\\frac", "} \\frac")
    text = re.sub(r"\^\{([^{}]*)\}", lambda m: "^" + (m.group(1) if len(m.group(1)) == 1 else f"({m.group(1)})"), text)
    fraction = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
    while fraction.search(text):
        text = fraction.sub(lambda m: _group(m.group(1)) + "/" + _group(m.group(2)), text)
    text = re.sub(r"\\(?:text|mathrm)\{([^{}]*)\}", r"\1", text)
    return re.sub(r"\\([A-Za-z]+)", r"\1", text)


def _group(part: str) -> str:
    return f"({part})" if any(op in part for op in "+-−") else part


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Korean (East Asian wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def table(rows: list[list[str]], gap: int = 2) -> list[str]:
    """Rows as left-aligned columns."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        (" " * gap).join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip() for row in rows
    ]


def wants_colour(stream=None) -> bool:
    """Colours on a terminal, unless NO_COLOR is set (https://no-color.org) or TERM is dumb."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(os.environ.get("FORCE_COLOR")) or (hasattr(stream, "isatty") and stream.isatty())


def printable(text: str) -> str:
    """Control characters shown as escapes: a student's output must not steer the terminal."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else f"\\x{ord(c):02x}" for c in text)


def render(lines: list[Line], colour: bool) -> str:
    out = []
    for line in lines:
        text = ""
        for raw, style in line:
            part = printable(raw)
            codes = ";".join(ANSI[s] for s in style.split() if s in ANSI)
            text += f"\x1b[{codes}m{part}\x1b[0m" if colour and codes and part else part
        out.append(text)
    return "\n".join(out)


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def summary_line(verdict: Verdict) -> str:
    return f"{verdict.exercise}: {verdict.score:g}/{verdict.max_score:g} ({verdict.status})"
