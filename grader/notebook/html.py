"""A verdict as a compact, self-contained HTML fragment for a notebook cell's output.

The graph as the feedback site draws it (``site_views.report_diagram``: the first public point
where something is wrong, the reference's values above each edge and gradients below, the
student's numbers beside them where they differ, ``✗ 0.52``, the blamed node hatched and
badged); then one row per task with the blame sentence and the failing checks; the end-to-end
effect where it differs; the notes (skipped lines and cells); what the code printed. Every text
is escaped; no script; styles are scoped to ``.grade-report``. Expected values appear at public
points only, as everywhere else.

Not the site's ``report_html`` page itself: that is a whole document (≈ 0.7 MB with KaTeX's
fonts, scripts and page-wide CSS) that would have to sit in an iframe of fixed height and would be
saved into the notebook on every check; this fragment is ≈ 20 KB and reads as part of the notebook.
"""

from __future__ import annotations

import html

from grader.exercise.spec import Exercise
from grader.grading.explain import fmt
from grader.grading.verdict import TaskResult, Verdict
from grader.grading.words import point_text
from grader.report import views as site_views
from grader.report.terminal import plain_math, t

WORDS = {
    "legend": (
        "{point}에서: 간선 위는 값, 아래는 기울기 ∂{out}/∂·(정답). ✗ 표시는 여러분의 값입니다.",
        "At {point}: above each edge the value, below it the gradient ∂{out}/∂· (reference); ✗ marks yours.",
    ),
    "notes": ("참고", "Notes"),
}
STYLE = """<style>
.grade-report{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;line-height:1.45;
max-width:100%;overflow-x:auto}
.grade-report .gr-head{font-size:15px;margin:4px 0 8px}
.grade-report .gr-ok{color:#1d6b3a}.grade-report .gr-bad{color:#c0262d}.grade-report .gr-dim{color:#6e7781}
.grade-report figure{margin:6px 0;padding:6px;background:#fff;border:1px solid #d0d7de;border-radius:6px;
display:inline-block;max-width:100%;overflow-x:auto}
.grade-report figure svg{max-width:100%;height:auto}
.grade-report figcaption{color:#57606a;font-size:12px}
.grade-report table{border-collapse:collapse;margin:6px 0}
.grade-report th,.grade-report td{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
.grade-report ul{margin:2px 0;padding-left:18px}
.grade-report pre{background:rgba(127,127,127,.1);padding:6px;max-height:12em;overflow:auto}
</style>"""


def _w(key: str, lang: str, **kw) -> str:
    return WORDS[key][0 if lang == "ko" else 1].format(**kw)


def e(text) -> str:
    return html.escape(str(text), quote=True)


def graph_figure(ex: Exercise, verdict: Verdict) -> str:
    """The site's report diagram (``site_views.report_diagram``): the same drawing, marks and point."""
    view = site_views.report_diagram(ex, verdict, uid=f"nb-{ex.id}")
    if view is None:
        return ""
    caption = _w("legend", verdict.lang, point=f"{view['point']} ({view['inputs']})", out=ex.graph.output)
    return f'<figure>{view["svg"]}<figcaption id="{e(view["id"])}-cap">{e(caption)}</figcaption></figure>'


def _task_row(task: TaskResult, lang: str, max_checks: int = 3) -> str:
    cls = "gr-ok" if task.passed else "gr-bad"
    mark = "✓" if task.passed else "✗"
    lines = []
    if task.error:
        lines.append(e(task.error.message))
    if task.blame:
        lines.append("→ " + e(task.blame.message))
    lines += [f"{e(t('also', lang))}: {e(b.message)}" for b in task.also]
    if task.hint_helps:
        hint = plain_math(task.hint.get(lang) or task.hint.get("en", ""))
        lines.append(f'<span class="gr-dim">{e(t("hint", lang))}: {e(hint)}</span>')
    failed = sorted((c for c in task.checks if not c.ok), key=lambda c: not c.public)
    for check in failed[:max_checks]:
        where = point_text(check.point, lang) + (f" · {check.node}" if check.node else "")
        cls_check = "" if check.public else ' class="gr-dim"'
        lines.append(f"<span{cls_check}>{e(where)}: {e(check.message or '')}</span>")
    if len(failed) > max_checks:
        lines.append(f'<span class="gr-dim">{e(t("more", lang, n=len(failed) - max_checks))}</span>')
    detail = "<br>".join(lines)
    return (
        f'<tr><td class="{cls}">{mark}</td><td><code>{e(task.function)}</code> '
        f'<span class="gr-dim">({e(task.kind)})</span></td>'
        f'<td class="{cls}">{task.score:g}&nbsp;/&nbsp;{task.max_score:g}</td><td>{detail}</td></tr>'
    )


def _effects(verdict: Verdict) -> list[str]:
    lang, out = verdict.lang, []
    for effect in verdict.effect:
        rows = []
        differs = False
        for row in effect.rows:
            same = (
                row.got is not None
                and row.expected is not None
                and abs(row.got - row.expected) <= 1e-6 * max(1, abs(row.expected))
            )
            differs |= not same
            mark = '<span class="gr-ok">✓</span>' if same else '<span class="gr-bad">✗</span>'
            rows.append(
                f"<tr><td>{e(row.name)}</td><td>{e(fmt(row.expected))}</td><td>{e(fmt(row.got))}</td>"
                f"<td>{mark}</td></tr>"
            )
        if differs:
            head = "".join(f"<th>{e(t(k, lang))}</th>" for k in ("name", "reference", "yours")) + "<th></th>"
            opened = " open" if not out else ""  # the first one open, the others one click away
            out.append(
                f"<details{opened}><summary>{e(t('effect', lang, point=effect.point))}</summary>"
                f"<table><tr>{head}</tr>{''.join(rows)}</table></details>"
            )
    return out


def fragment(ex: Exercise, verdict: Verdict, notes: list[str] | tuple[str, ...] = ()) -> str:
    """The report as one HTML fragment (a ``<div>`` with its own ``<style>``)."""
    lang = verdict.lang
    cls = "gr-ok" if verdict.full_marks else "gr-bad"
    parts = [
        STYLE,
        f'<div class="gr-head"><b>{e(verdict.exercise)}</b> — {e(ex.title.get(lang))} '
        f'<b class="{cls}">{e(t("score", lang))} {verdict.score:g} / {verdict.max_score:g}</b></div>',
    ]
    if verdict.error:
        parts.append(
            f'<p class="gr-bad">✗ {e(t("error", lang))} [{e(verdict.error.kind)}]: {e(verdict.error.message)}</p>'
        )
    else:
        parts.append(graph_figure(ex, verdict))
    if verdict.tasks:
        rows = "".join(_task_row(task, lang) for task in sorted(verdict.tasks, key=lambda x: x.passed))
        parts.append(f"<table>{rows}</table>")
    parts += _effects(verdict)
    if verdict.full_marks:
        parts.append(f'<p class="gr-ok">{e(t("full", lang))}</p>')
    if notes:
        items = "".join(f"<li>{e(n)}</li>" for n in notes)
        parts.append(f'<div class="gr-dim">{e(_w("notes", lang))}:<ul>{items}</ul></div>')
    if verdict.output.strip():
        text = verdict.output if len(verdict.output) <= 2000 else verdict.output[:2000] + " …"
        parts.append(f'<div class="gr-dim">{e(t("output", lang))}:</div><pre>{e(text)}</pre>')
    return f'<div class="grade-report" lang="{e(lang)}">' + "".join(parts) + "</div>"
