"""``grade submit --html report.html``: the site's report for one local run, as one self-contained file.

Everything is inside the file: the theme's CSS, KaTeX's CSS with its woff2 fonts as data: URIs,
KaTeX's script and the site's script, the diagram as inline SVG. Its Content-Security-Policy
allows only those inline scripts (by hash) and no request at all, so the file can be mailed,
opened from anywhere, and a captured output or a message in it can never run or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from grader.exercise.spec import Exercise
from grader.grading.verdict import Verdict
from grader.report import theme as site
from grader.report.views import item_view, score_text, text_pair

_FONT_SRC = re.compile(r'src:url\(fonts/([\w.-]+\.woff2)\) format\("woff2"\)(?:,url\([^)]*\) format\("[\w-]+"\))*')


@lru_cache(maxsize=2)
def _assets(theme: Path) -> dict[str, str]:
    static = theme / "static"
    katex = static / "vendor" / "katex"

    def woff2(m: re.Match) -> str:
        data = base64.b64encode((katex / "fonts" / m.group(1)).read_bytes()).decode()
        return f'src:url(data:font/woff2;base64,{data}) format("woff2")'

    css = _FONT_SRC.sub(woff2, (katex / "katex.min.css").read_text(encoding="utf-8"))
    css += "\n" + (static / "site.css").read_text(encoding="utf-8")
    scripts = {
        "lang_js": (static / "lang.js").read_text(encoding="utf-8"),
        "katex_js": (katex / "katex.min.js").read_text(encoding="utf-8"),
        "site_js": (static / "site.js").read_text(encoding="utf-8"),
    }
    for name, text in {"css": css, **scripts}.items():
        closing = "</style" if name == "css" else "</script"
        if closing in text.lower():  # pragma: no cover - a theme file that would end its own element
            raise ValueError(f"the theme's {name} contains {closing}")
    return {"css": css, **scripts}


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def render(verdict: Verdict, exercise: Exercise | None, lang: str = "en", theme: Path | None = None) -> str:
    """The HTML text of the report."""
    theme = theme or site.theme_dir()
    assets = _assets(theme)
    view = item_view(exercise, verdict, "d0")
    # KaTeX's script only when a formula is left for the browser (no Node.js at build time)
    browser_math = re.search(r'class="math (inline|display)"', repr(view)) is not None
    names = ("lang_js", "katex_js", "site_js") if browser_math else ("lang_js", "site_js")
    inline = {k: Markup(v) for k, v in assets.items() if k in names or k == "css"}
    inline.setdefault("katex_js", "")
    hashes = [_sha256(assets[k]) for k in names]
    title = text_pair(exercise.title) if exercise else {"ko": verdict.exercise, "en": verdict.exercise}
    full = verdict.full_marks
    item = {
        "id": verdict.exercise,
        "title": title,
        "page": None,
        "penalty": "",
        "state": "full" if full else "partial",
        "score": score_text(verdict.score),
        "max": score_text(verdict.max_score),
        "raw": score_text(verdict.score),
        "late_days": 0,
        "full": full,
        "status": verdict.status,
        "history": [],
        "view": view,
    }
    context = {
        "lang": lang,
        "student": verdict.student,
        "items": [item],
        "total": item["score"],
        "total_max": item["max"],
        "missing": [],
        "inline": inline,
        "csp": site.csp(hashes),
        "noindex": True,
        "root": "",
        "titles": {},
        "students_only": True,
        "course_name": "",
    }
    return site.environment(theme).get_template("report.html.j2").render(**context)


def write(verdict: Verdict, exercise: Exercise | None, path: Path, lang: str = "en") -> Path:
    text = render(verdict, exercise, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
