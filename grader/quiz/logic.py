"""What a quiz's models do beyond holding values, shared by the pydantic models (``grader.quiz.spec``)
and their plain twins (``grader.quiz.plain``), so that drawing and grading run the same code on both.
"""

from __future__ import annotations

# The domains a gate's inputs have when a question with ``gate:`` declares none (by position).
GATE_DOMAINS_PLAIN: dict[str, tuple[dict | None, ...]] = {
    "bce": ({"range": (0.0, 1.0)}, {"choices": [0.0, 1.0]}),
    "sigmoid_bce": (None, {"choices": [0.0, 1.0]}),
    "log": ({"range": (0.0, 5.0)},),
    "sqrt": ({"range": (0.0, 5.0)},),
}


class ParamLogic:
    """Shared by ``spec.ParamSpec`` and ``PlainParam`` (no annotations here: pydantic would read them)."""

    def grid(self) -> list[float]:
        if self.choices is not None:  # type: ignore[attr-defined]
            return [float(c) for c in self.choices]  # type: ignore[attr-defined]
        lo, hi = self.range or (0.0, 0.0)  # type: ignore[attr-defined]
        step = self.step  # type: ignore[attr-defined]
        count = int((hi - lo) / step + 1e-9) + 1
        digits = max(0, -int(f"{step:e}".split("e")[1])) + 6
        return [round(lo + k * step, digits) for k in range(count)]


class QuestionLogic:
    """``gate_domains`` is the class's table of default domains (pydantic ``Domain`` or ``PlainDomain``)."""

    def domains(self) -> dict:
        """Each variable's domain: declared, else its gate's (a BCE's p in (0, 1), y in {0, 1}), else none."""
        found = {}
        defaults = self.gate_domains.get(self.gate or "", ())  # type: ignore[attr-defined]
        for i, name in enumerate(self.variables):  # type: ignore[attr-defined]
            domain = self.domain.get(name) or (defaults[i] if i < len(defaults) else None)  # type: ignore[attr-defined]
            if domain is not None:
                found[name] = domain
        return found

    @property
    def multiple(self) -> bool:
        return isinstance(self.answer, list)  # type: ignore[attr-defined]

    @property
    def rounding(self) -> int:
        """Decimals a numeric answer is asked to (default 2, as in the lecture)."""
        return 2 if self.decimals is None else self.decimals  # type: ignore[attr-defined]


class QuizLogic:
    @property
    def max_score(self) -> float:
        return sum(q.score for q in self.questions)  # type: ignore[attr-defined]

    def question(self, qid: str):
        return next((q for q in self.questions if q.id == qid), None)  # type: ignore[attr-defined]
