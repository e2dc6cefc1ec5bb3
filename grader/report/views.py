"""Verdicts and exercises → plain view data for the site's templates, in Korean and English at once.

Every text a page shows comes in a pair ``{"ko": ..., "en": ...}`` (the page switches language
without a reload); numbers are formatted here; diagrams are drawn here. Nothing here is HTML except
the Markdown/KaTeX of exercise texts and the SVG of diagrams, both built by modules that escape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grader.engine import GATES, EvaluationError, Trace, trace
from grader.exercise.given import asked
from grader.exercise.spec import Exercise
from grader.grading import explain
from grader.grading.verdict import Verdict
from grader.report import words
from grader.report.diagram import Marks, draw
from grader.report.markdown_math import math_span, render, render_inline

LANGS = ("ko", "en")
OUTPUT_LIMIT = 4000


def pair(ko: str, en: str | None = None) -> dict[str, str]:
    return {"ko": ko, "en": ko if en is None else en}


def text_pair(text) -> dict[str, str]:
    """A spec ``Text`` (or None) as a pair."""
    return pair(text.ko, text.en) if text is not None else pair("")


def fmt(x) -> str:
    return explain.fmt(x)


def score_text(x: float) -> str:
    """A score as people read it: at most two decimals (7.4286 → 7.43; 39 → 39); the stored number is exact."""
    text = f"{round(float(x), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class AttemptView:
    """One attempt as the report's history shows it."""

    number: int
    submitted_at: str  # already formatted for people
    status: str
    raw: float
    score: float  # after the late penalty
    max_score: float
    late_days: int
    counted: bool
    error_kind: str | None = None


# --------------------------------------------------------------------------- diagrams


_TRACES: dict[tuple, Trace | None] = {}


def reference(ex: Exercise, point: dict[str, float]) -> Trace | None:
    """The reference's values and gradients at a point (remembered: a class shares its public points)."""
    key = (ex.id, ex.digest, tuple(sorted((k, float(v)) for k, v in point.items())))
    if key not in _TRACES:
        if len(_TRACES) > 4096:
            _TRACES.clear()
        try:
            _TRACES[key] = trace(ex.built, dict(key[2]))
        except (EvaluationError, KeyError):
            _TRACES[key] = None
    return _TRACES[key]


def node_labels(ex: Exercise) -> dict[str, str]:
    return {
        name: (f"{spec.label.en} ({name})" if spec.label and spec.label.en != name else name)
        for name, spec in ex.graph.nodes.items()
    }


def _numbers(got) -> list | None:
    values = got if isinstance(got, list) else [got]
    return values if all(isinstance(v, (int, float)) and math.isfinite(v) for v in values) else None


def marks_for(ex: Exercise, verdict: Verdict, point: str, tr: Trace) -> Marks:
    """The student's numbers at one public point, placed where the lecture's diagram writes them."""
    marks = Marks(close=ex.tolerance.close)
    for task in verdict.tasks:
        if task.blame:
            marks.blamed.add(task.blame.node)
        marks.also.update(b.node for b in task.also)
        for c in task.checks:
            if c.point != point or c.node is None:
                continue
            marks.covered.add(c.node)  # answered here: ✓ unless a check is wrong
            if not c.ok:
                marks.wrong.add(c.node)
            values = _numbers(c.got)
            if task.kind == "forward":
                marks.values[c.node] = values[0] if values else "?"
            elif task.kind in ("local_grad", "backward") and c.node in tr.grads:
                scale = tr.grads[c.node] if task.kind == "local_grad" else 1.0
                n = len(values) if values else len(ex.built.by_name[c.node].args)
                for i in range(n):
                    marks.edge_grads[(c.node, i)] = scale * values[i] if values else "?"
            elif task.kind == "gradients":
                marks.totals[c.node] = values[0] if values else "?"
    marks.also -= marks.blamed
    return marks


def diagram_point(verdict: Verdict) -> str | None:
    """The public point to draw: the first where something is wrong, else the first."""
    points = list(verdict.points)
    for label in points:
        if any(not c.ok and c.point == label for t in verdict.tasks for c in t.checks):
            return label
    return points[0] if points else None


def report_diagram(ex: Exercise, verdict: Verdict, uid: str) -> dict | None:
    label = diagram_point(verdict)
    if label is None:
        return None
    tr = reference(ex, verdict.points[label])
    if tr is None:
        return None
    point = tuple(sorted(verdict.points[label].items()))
    shown = _shown(marks_for(ex, verdict, label, tr), tr)
    key = (ex.id, ex.digest, label, point, shown, uid)
    return {
        "svg": _drawn(ex, key),
        "point": label,
        "inputs": _point_text(verdict.points[label]),
        "id": uid,
        "marked": bool(shown[4]),  # the student answered for some node here
        "table": _trace_rows(ex, tr, _marks_of(ex, shown)),
        "key": key,  # equal keys draw equal figures: the site renders each once
    }


def _shown(marks: Marks, tr: Trace) -> tuple:
    """What of the marks the drawing shows: numbers equal to the reference's are not drawn."""

    def keep(items, ref):
        return tuple(sorted((k, v) for k, v in items.items() if not _drawn_same(marks, v, ref(k))))

    return (
        keep(marks.values, lambda k: tr.values.get(k)),
        keep(marks.edge_grads, lambda k: _edge_ref(tr, k)),
        keep(marks.totals, lambda k: tr.grads.get(k)),
        tuple(sorted(marks.wrong)),
        tuple(sorted(marks.covered)),
        tuple(sorted(marks.blamed)),
        tuple(sorted(marks.also)),
    )


def _edge_ref(tr: Trace, key: tuple[str, int]):
    node, arg = key
    local = tr.locals.get(node)
    return tr.grads[node] * local[arg] if local and arg < len(local) else None


def _drawn_same(marks: Marks, got, expected) -> bool:
    return isinstance(got, (int, float)) and isinstance(expected, (int, float)) and bool(marks.close(got, expected))


_SVGS: dict[tuple, str] = {}


def _drawn(ex: Exercise, key: tuple) -> str:
    """The report's SVG, shared by every student whose drawing would be the same (most of a class)."""
    if key not in _SVGS:
        if len(_SVGS) > 4096:
            _SVGS.clear()
        _, _, _, point, shown, uid = key
        tr = reference(ex, dict(point))
        _SVGS[key] = draw(ex.built, tr, _marks_of(ex, shown), uid=uid, caption_id=f"{uid}-cap", labels=node_labels(ex))
    return _SVGS[key]


def _marks_of(ex: Exercise, shown: tuple) -> Marks:
    values, edges, totals, wrong, covered, blamed, also = shown
    return Marks(
        dict(values),
        dict(edges),
        dict(totals),
        set(wrong),
        set(covered),
        set(blamed),
        set(also),
        close=ex.tolerance.close,
    )


def exercise_diagram(ex: Exercise, uid: str) -> dict | None:
    tr = reference(ex, ex.points[0])
    if tr is None:
        return None
    svg = draw(ex.built, tr, uid=uid, caption_id=f"{uid}-cap", labels=node_labels(ex))
    return {
        "svg": svg,
        "point": "public-1",
        "inputs": _point_text(ex.points[0]),
        "id": uid,
        "marked": False,
        "table": _trace_rows(ex, tr, None),
    }


def _point_text(point: dict) -> str:
    return ", ".join(f"{k} = {fmt(float(v))}" for k, v in point.items())


def _trace_rows(ex: Exercise, tr: Trace, marks: Marks | None) -> list[dict]:
    """The diagram as a table: for readers of a screen reader, a phone, or a printout."""
    rows = []
    for name in ex.built.inputs:
        mine = marks.totals.get(name) if marks else None
        rows.append(
            {
                "name": name,
                "gate": pair("입력", "input"),
                "value": fmt(tr.values[name]),
                "grad": fmt(tr.grads[name]),
                "mine": fmt(mine) if mine is not None else "",
                "wrong": mine is not None,  # marks hold only the numbers that differ
            }
        )
    for node in ex.built.nodes:
        mine = marks.values.get(node.name) if marks else None
        title = GATES[node.op].title
        rows.append(
            {
                "name": node.name,
                "gate": pair(title["ko"], title["en"]),
                "value": fmt(tr.values[node.name]),
                "grad": fmt(tr.grads[node.name]),
                "mine": fmt(mine) if mine is not None else "",
                "wrong": bool(marks) and (mine is not None or node.name in marks.wrong or node.name in marks.blamed),
            }
        )
    return rows


# --------------------------------------------------------------------------- one item of a report


def item_view(ex: Exercise | None, verdict: Verdict, uid: str) -> dict:
    """A graded exercise: score, error, tasks with checks and blame, diagram, effect, output."""
    error = None
    if verdict.error:
        message = _words(verdict.error.why)
        line = verdict.error.line
        if line is not None and all(str(line) in text for text in message.values()):
            line = None  # the sentence says it already: a line number is said once
        error = {"kind": words.error(verdict.error.kind), "line": line, "message": message}
    tasks = [_task_view(ex, task) for task in verdict.tasks]
    tasks.sort(key=lambda t: t["passed"])
    return {
        "kind": "exercise",
        "error": error,
        "tasks": tasks,
        "diagram": report_diagram(ex, verdict, uid) if ex is not None and verdict.status == "graded" else None,
        "effects": [_effect_view(e) for e in verdict.effect if e.rows],
        "output": _clip(verdict.output),
        "output_clipped": len(verdict.output) > OUTPUT_LIMIT,
        "output_withheld": verdict.output_withheld,
    }


def _words(why, check=None) -> dict[str, str]:
    """A stored reason (``Why``) worded in both languages by ``explain``."""
    return pair(explain.render(why, "ko", check), explain.render(why, "en", check))


HIDDEN_SHOWN = 6
PUBLIC_SHOWN = 8


def _summarised(rows: list[dict], shown: int) -> list[dict]:
    """Lines that say the same thing once, with how many more there are ("…19 more"), at most ``shown``."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        message = row["message"]
        key = (row["node"], tuple(sorted(message.items())) if message else None)
        if key in groups:
            groups[key]["more"] += 1
        else:
            groups[key] = {**row, "more": 0}
    out = list(groups.values())
    extra = sum(1 + g["more"] for g in out[shown:])
    out = out[:shown]
    if extra and out:
        out[-1] = {**out[-1], "rest": extra}
    return out


def _task_view(ex: Exercise | None, task) -> dict:
    spec = next((t for t in ex.tasks if t.function == task.function), None) if ex else None
    public, hidden, hidden_wrong = [], [], 0
    for c in task.checks:
        if not c.public:
            hidden_wrong += not c.ok
            if c.ok:
                continue
        plain = c.why is None or c.why.code == "wrong"  # the columns already say it
        row = {
            "point": c.point,
            "node": c.node or "",
            "expected": fmt(c.expected) if c.public else "",
            "got": fmt(c.got),
            "ok": c.ok,
            "mistake": c.mistake,
            "plain": plain,
            "message": None if c.ok or (plain and c.public) else _words(c.why, c),
        }
        (public if c.public else hidden).append(row)
    blame = None
    if task.blame:
        blame = {
            "node": task.blame.node,
            "mistake": words.mistake(task.blame.mistake) if task.blame.mistake else None,
            "message": _words(task.blame.why),
            "gate": _gate_view(ex, task.blame.node),
        }
    failed = [c for c in public if not c["ok"]]
    said = {tuple(sorted(c["message"].items())) if c["message"] else None for c in failed}
    common = failed[0]["message"] if len(failed) > 1 and len(said) == 1 and None not in said else None
    if common is not None:  # one sentence for every row: said once, above the table
        failed = [{**c, "message": None, "plain": True} for c in failed]
    return {
        "function": task.function,
        "kind": words.task_kind(task.kind),
        "score": score_text(task.score),
        "max": score_text(task.max_score),
        "passed": task.passed,
        "target": (spec.op or spec.node or "") if spec else "",
        "error": _words(task.error.why) if task.error else None,
        "blame": blame,
        "also": [_words(b.why) for b in task.also],
        "hint": pair(render_inline(spec.hint.ko), render_inline(spec.hint.en))
        if spec and spec.hint and not task.passed and not task.stopped_only
        else None,
        "failed": failed[:PUBLIC_SHOWN],
        "failed_message": common,
        "quiet": task.passed and not (blame or task.also or task.error or failed or hidden_wrong),  # one line is enough
        "failed_more": max(0, len(failed) - PUBLIC_SHOWN),
        "passed_n": sum(1 for c in public if c["ok"]),
        "hidden_wrong": hidden_wrong,
        "hidden_total": sum(1 for c in task.checks if not c.public),
        "hidden": _summarised(hidden, HIDDEN_SHOWN),
    }


def _gate_view(ex: Exercise | None, node: str) -> dict | None:
    if ex is None or node not in ex.built.by_name:
        return None
    return gate_view(ex, ex.built.by_name[node].op)


ASKED = pair("이 과제에서 구할 식입니다", "what this exercise asks you to write")


def gate_view(ex: Exercise, op: str) -> dict:
    """A gate's name and formulas, without the ones a task of the exercise asks for (``given.asked``)."""
    gate, ask = GATES[op], asked(ex)
    return {
        "title": pair(gate.title["ko"], gate.title["en"]),
        "op": gate.name,
        "formula": math_span(gate.formula) if ask.shows_forward(op) else None,
        "grad": math_span(gate.grad_formula) if ask.shows_local(op) else None,
        "asked": ASKED if not (ask.shows_forward(op) and ask.shows_local(op)) else None,
    }


def _effect_view(effect) -> dict:
    rows = []
    for r in effect.rows:
        same = (
            r.expected is not None and r.got is not None and abs(r.got - r.expected) <= 1e-6 * max(1.0, abs(r.expected))
        )
        rows.append({"name": r.name, "expected": fmt(r.expected), "got": fmt(r.got), "ok": same})
    what = {
        "gradients": pair("입력에 대한 기울기", "gradients of the inputs"),
        "values": pair("노드 값 (순전파)", "node values (forward)"),
        "loss": pair("한 걸음 전후의 손실", "the loss before and after the step"),
    }.get(effect.what, pair(effect.what))
    return {"point": effect.point, "what": what, "rows": rows, "all_ok": all(r["ok"] for r in rows)}


def _clip(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n…"


def quiz_view(result, variant=None) -> dict:
    """A graded quiz (``grader.quiz.result.QuizResult``): for each question, the question as the student
    saw it (their numbers and choices, from ``variant``, their ``grader.quiz.variant.Variant``), their
    answer, the verdict's words, and the key only where the result carries it (``grader.quiz`` decides
    when a key may be shown: once no later attempt can count)."""
    from grader.quiz import result as quiz_result

    ko, en = quiz_result.localize(result, "ko"), quiz_result.localize(result, "en")
    error = None
    if result.error:
        error = {
            "kind": words.error(result.error.kind),
            "line": result.error.line,
            "message": pair(ko.error.message, en.error.message),
        }
    shown = {qv.question.id: qv for qv in variant.questions} if variant is not None else {}
    keys = getattr(result, "keys_shown", True)  # grader.quiz withholds them while a later attempt can count
    questions = []
    for a, b in zip(ko.questions, en.questions):
        qv = shown.get(a.id)
        choices = {"ko": qv.choice_texts("ko"), "en": qv.choice_texts("en")} if qv and a.kind == "choice" else None
        questions.append(
            {
                "id": a.id,
                "kind": words.task_kind(a.kind),
                "text": pair(qv.text("ko"), qv.text("en")) if qv else None,
                "choices": [pair(k, e) for k, e in zip(choices["ko"], choices["en"])] if choices else [],
                "score": score_text(a.score),
                "max": score_text(a.max_score),
                "passed": a.passed,
                "answer": _quiz_answer(a.got, choices),
                "understood": a.understood,
                "key": _quiz_answer(a.expected, choices) if keys and a.expected is not None and not a.passed else None,
                "message": pair(a.message, b.message),
                "explanation": pair(a.explanation.get("ko", ""), a.explanation.get("en", ""))
                if a.explanation and not a.passed
                else None,
            }
        )
    notes = [pair(quiz_result.render(w, "ko"), quiz_result.render(w, "en")) for w in result.warnings]
    return {
        "kind": "quiz",
        "error": error,
        "notes": notes,  # e.g. when the answers will be shown
        "questions": questions,
        "tasks": [],
        "diagram": None,
        "effects": [],
        "output": "",
        "output_clipped": False,
        "output_withheld": False,
    }


def _quiz_answer(got, choices: dict[str, list[str]] | None) -> dict[str, str]:
    """An answer in words: a choice's text after its number, a number as written, nothing as a dash."""
    if got is None or got == "":
        return pair("—")
    picks = got if isinstance(got, (list, tuple)) else [got]
    if choices and all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(choices["en"]) for p in picks):
        return {lang: "; ".join(f"{p}: {choices[lang][p]}" for p in picks) for lang in LANGS}
    text = ", ".join(fmt(p) if isinstance(p, float) else str(p) for p in picks)
    return pair(text)


# --------------------------------------------------------------------------- exercise pages


def exercise_view(ex: Exercise) -> dict:
    tasks = []
    for t in ex.tasks:
        covers = ", ".join(ex.task_nodes(t)) if t.kind in ("forward", "local_grad", "backward") else ""
        if t.kind == "gradients":
            covers = ", ".join(t.wrt or [])
        if t.kind == "step":
            covers = ", ".join(t.params or [])
        tasks.append(
            {
                "function": t.function,
                "kind": words.task_kind(t.kind),
                "covers": covers,
                "score": score_text(t.score),
            }  # no hint: a hint may give the answer away, so reports show it only after the task failed
        )
    points = []
    for i, p in enumerate(ex.points):
        tr = reference(ex, p)
        rows = _trace_rows(ex, tr, None) if tr else []
        points.append({"label": f"public-{i + 1}", "inputs": _point_text(p), "rows": rows})
    gates = [gate_view(ex, op) for op in dict.fromkeys(n.op for n in ex.built.nodes)]
    return {
        "id": ex.id,
        "title": text_pair(ex.title),
        "description": pair(render(ex.description.ko), render(ex.description.en)),
        "diagram": exercise_diagram(ex, f"x-{ex.id}"),
        "tasks": tasks,
        "points": points,
        "gates": gates,
        "max": score_text(ex.max_score),
    }


def quiz_page_view(quiz) -> dict:
    """A quiz's page: its description and questions as written, each student's numbers left as names."""
    questions = []
    for q in quiz.questions:
        text = {lang: _placeholders(q.text.get(lang)) for lang in LANGS}
        choices = [{lang: _placeholders(c.get(lang)) for lang in LANGS} for c in (q.choices or [])]
        questions.append(
            {
                "id": q.id,
                "kind": words.task_kind(q.kind),
                "text": text,
                "choices": choices,
                "score": score_text(q.score),
            }
        )
    description = quiz.description if (quiz.description.ko or quiz.description.en) else None
    return {
        "id": quiz.id,
        "title": text_pair(quiz.title),
        "description": pair(render(description.ko), render(description.en)) if description else None,
        "questions": questions,
        "max": score_text(quiz.max_score),
    }


def _placeholders(text: str) -> str:
    """``{w0}`` → ``⟨w0⟩``: each student's own number goes there."""
    import re

    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", "⟨\\1⟩", text)
