"""The files a practice check must grade as ``grade submit`` does: every course solution, the sample
class's files and the mutant fixtures, each with the exercise it answers."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _exercise_of(path: Path) -> str | None:
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    found = re.search(r"exercise: (\w+)", first[0]) if first else None
    return found.group(1) if found else None


def submissions() -> list[tuple[str, Path]]:
    found = [(p.stem, p) for p in sorted((ROOT / "solutions").glob("*.py"))]
    found += [(p.stem, p) for p in sorted((ROOT / "examples" / "class").glob("*/*.py"))]
    for p in sorted((ROOT / "tests" / "fixtures").rglob("*.py")):
        exercise = _exercise_of(p)
        if exercise and (ROOT / "exercises" / f"{exercise}.yaml").exists():
            found.append((exercise, p))
    return found


def outcome(result: dict) -> dict:
    """The fields a practice check must share with ``grade submit --json``: score, per-task scores,
    blame node, mistake code and every check's outcome (messages may differ where the OS sandbox,
    not the student's code, refused something: the browser has no files to refuse)."""
    return {
        "status": result["status"],
        "score": result["score"],
        "max_score": result["max_score"],
        "error": (result.get("error") or {}).get("kind"),
        "tasks": [
            {
                "function": t["function"],
                "score": t["score"],
                "passed": t["passed"],
                "blame": (t["blame"] or {}).get("node"),
                "mistake": (t["blame"] or {}).get("mistake"),
                "checks": [(c["point"], c["node"], c["ok"]) for c in t["checks"]],
            }
            for t in result["tasks"]
        ],
    }
