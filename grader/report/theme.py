"""The feedback site: gather everything from the gradebook, then write pages with jinja2 (autoescape on).

    out/index.html                 the course: exercises (and, for instructors, the dashboard link)
    out/exercises/<id>.html        description, diagram, tasks, public points
    out/r/<token>.html             one student's report; token = HMAC(course secret, student id)
    out/r/index.html               empty, so that a web server's folder listing shows no report
    out/dashboard.html             the class at a glance (not with --students-only)
    out/static/…                   the theme's CSS/JS and the vendored KaTeX (no request leaves the page)
    out/.grade-site.json           what was written, by input key and content hash (incremental rebuilds)

Incremental: each page has an input key (the theme, the grader, the options, the exercise digests and
the ids of the results it shows); a page whose key and file are unchanged is neither rendered nor
written, and any page whose bytes did not change is not rewritten either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from grader import __version__
from grader.exercise import shipped as course
from grader.report import katex, words
from grader.report.views import score_text

MANIFEST = ".grade-site.json"
UI: dict[str, tuple[str, str]] = {
    "course": ("강의", "Course"),
    "exercises": ("연습 문제", "Exercises"),
    "dashboard": ("대시보드", "Dashboard"),
    "report": ("피드백 보고서", "Feedback report"),
    "score": ("점수", "Score"),
    "student": ("학생", "Student"),
    "tasks": ("과제", "Tasks"),
    "points": ("공개 점검 점", "Public check points"),
    "total": ("합계", "Total"),
    "history": ("제출 기록", "History of attempts"),
    "attempt": ("제출", "Attempt"),
    "submitted": ("제출 시각", "Submitted"),
    "status": ("상태", "Status"),
    "late": ("지각", "Late"),
    "counted": ("반영", "Counted"),
    "output": ("출력 (print)", "Printed output"),
    "node": ("노드", "Node"),
    "point": ("점", "Point"),
    "expected": ("정답", "Expected"),
    "got": ("제출값", "Yours"),
    "value": ("값", "Value"),
    "grad": ("기울기", "Gradient"),
    "gate": ("게이트", "Gate"),
    "hint": ("힌트", "Hint"),
    "also": ("다른 틀린 노드", "Also wrong"),
    "not_submitted": ("미제출", "not submitted"),
    "override": ("교수자가 정한 점수", "set by the instructor"),
    "function": ("함수", "Function"),
    "kind": ("종류", "Kind"),
    "covers": ("대상 노드", "Nodes"),
    "diagram": ("계산 그래프", "Computational graph"),
    "as_table": ("표로 보기", "As a table"),
    "effect": (
        "끝까지 연결한 결과: 여러분의 게이트로 계산한 값과 정답",
        "End to end: your gates chained together, beside the reference",
    ),
    "hidden": ("숨은 점", "Hidden points"),
    "full": ("만점", "Full marks"),
    "error": ("채점 불가", "Not graded"),
    "wrong_at_hidden": (
        "숨은 점 {total}개 중 {wrong}개에서 틀렸습니다 (정답 값은 보여주지 않습니다).",
        "Wrong at {wrong} of {total} hidden points (their answers are not shown).",
    ),
    "distribution": ("점수 분포", "Score distribution"),
    "heat": ("자주 틀리는 노드", "Where students go wrong"),
    "mistakes": ("실수 유형", "Mistakes by kind"),
    "errors": ("오류 (시간 초과, 충돌 등)", "Errors (timeouts, crashes…)"),
    "late_work": ("지각 제출", "Late work"),
    "students": ("학생별 보고서", "Reports by student"),
    "submitted_n": ("제출", "submitted"),
    "mean": ("평균", "mean"),
    "days": ("일", "days"),
    "penalty": ("감점", "penalty"),
    "none": ("없음", "none"),
    "gate_formula": ("게이트 식", "The gate"),
    "legend_ref": ("위: 순전파 값, 아래: 기울기 (정답)", "above: forward value, below: gradient (reference)"),
    "legend_mine": (
        "✗ 빨간 숫자: 여러분의 값 (다른 곳만); 점선: 값이 다른 연결선",
        "✗ red number: your value, where it differs; dashed: an edge where it differs",
    ),
    "legend_blame": (
        "빗금과 ✗: 처음 틀린 노드 (역전파가 오류를 처음 만나는 곳); ✓: 맞힌 노드",
        "hatched with ✗: the node to fix first (where backpropagation first meets the error); ✓: a node you got right",
    ),
    "legend_heat": (
        "노드 아래: 그 노드에서 틀린 학생 수 / 채점된 학생 수",
        "under each gate: students wrong there / students graded",
    ),
    "at_point": ("점", "at"),
    "yours_column": ("여러분의 값", "Your value"),
    "raw": ("원점수", "raw"),
    "back": ("목록으로", "Back to the course"),
    "lang": ("언어", "Language"),
    "generated": ("생성", "Built"),
    "private": ("이 보고서의 주소는 본인에게만 전달됩니다.", "This report's address was given to you alone."),
    "formulas": ("게이트와 국소 기울기", "Gates and their local gradients"),
    "max": ("배점", "Max"),
    "question": ("문항", "Question"),
    "no_attempts": ("아직 채점된 제출이 없습니다.", "No graded submission yet."),
    "clipped": ("(잘림)", "(clipped)"),
    "withheld": (
        "숨은 점에서 함수가 출력한 내용은 보여주지 않습니다 (파일을 불러올 때의 출력만 표시).",
        "What your functions printed at hidden points is not shown (only what loading printed).",
    ),
    "students_n": ("학생 {n}명", "{n} students"),
    "checks_passed": ("공개 점검 {n}개 모두 통과", "all {n} public checks passed"),
    "tasks_passed": (
        "통과한 과제 (공개 점검과 숨은 점 모두 맞음)",
        "Tasks passed (every public and hidden check right)",
    ),
    "checks_passed_one": ("공개 점검 1개 통과", "the public check passed"),
    "checks_passed_some": ("공개 점검 {n}개 통과", "{n} public checks passed"),
    "check_passed_some": ("공개 점검 1개 통과", "1 public check passed"),
    "scrolls": (
        "그림이 화면보다 넓어 옆으로 스크롤됩니다",
        "the drawing is wider than the screen: it scrolls sideways",
    ),
    "n_more": ("…{n}개 더", "…{n} more"),
    "like_it": ("(같은 내용 {n}개 더)", "(and {n} more like it)"),
    "your_answer": ("제출한 답", "Your answer"),
    "key": ("정답", "Answer key"),
    "line": ("{n}번째 줄", "line {n}"),
    "days_n": ("{n}일", "{n} d"),
    "late_by": ("{n}일 늦음", "{n} days late"),
    "late_by_one": ("1일 늦음", "one day late"),
    "full_details": ("만점: 자세히 보기", "Full marks: show the details"),
    "quizzes": ("퀴즈", "Quizzes"),
    "quiz_numbers": (
        "⟨ ⟩ 안의 숫자는 학생마다 다릅니다. 자기 문제는 `grade quiz`로 받습니다.",
        "The numbers in ⟨ ⟩ differ from student to student; each gets their own with `grade quiz`.",
    ),
    "choices": ("선택지", "Choices"),
    "items": ("항목별 요약", "Items at a glance"),
    "median": ("중앙값", "median"),
    "full_share": ("만점 비율", "full marks"),
    "hardest": ("가장 어려운 과제와 문항", "The hardest tasks and questions"),
    "costly": ("점수를 가장 많이 잃게 한 실수", "The mistakes that cost the most points"),
    "lost": ("잃은 점수", "lost"),
    "share_lost": ("비중", "share"),
    "costly_note": (
        "각 실수가 지목된 과제에서 잃은 점수와, 반 전체가 잃은 점수 중 그 비중",
        "points lost in the tasks each mistake was blamed for, and their share of all the points the class lost",
    ),
    "task": ("과제", "Task"),
    "mistake": ("실수", "Mistake"),
    "students_col": ("학생 수", "Students"),
    "details": ("자세히", "Details"),
    "search": ("학생 찾기", "Find a student"),
    "sort_hint": ("열 제목을 누르면 정렬됩니다.", "Click a column's heading to sort by it."),
    "late_n": ("지각", "late"),
    "errors_n": ("오류", "errors"),
    "description": ("설명", "Description"),
    "item": ("항목", "Item"),
    # the practice panel (grade site --practice)
    "practice": ("여기서 연습하기", "Practise here"),
    "practice_intro": (
        "브라우저 안에서 grade submit 과 같은 채점기로 바로 점검합니다. 아무것도 설치하거나 보내지 않습니다.",
        "Check your functions right here, with the same grader as grade submit: nothing to install, nothing sent.",
    ),
    "practice_open": ("편집기 열기", "Open the editor"),
    "practice_size": ("처음 한 번 약 {mb} MB를 내려받습니다", "downloads about {mb} MB the first time"),
    "practice_check": ("점검", "Check"),
    "practice_download": ("{file} 내려받기", "Download {file}"),
    "practice_reset": ("처음 상태로", "Reset to the stub"),
    "practice_keys": (
        "편집기 안에서 Tab은 들여쓰기입니다. 편집기를 벗어나려면 Esc를 누른 뒤 Tab을 누르세요.",
        "In the editor, Tab indents; press Esc, then Tab, to move on.",
    ),
    "practice_file": (
        "이 브라우저는 파일로 연 페이지(file://)에서 WebAssembly를 실행하지 않습니다. 사이트 폴더를 서버로 여세요:",
        "This browser does not run WebAssembly in a page opened as a file (file://). Serve the site's folder:",
    ),
    # a quiz's practice page (grade site --practice)
    "quiz_practice_intro": (
        "연습용 변형(누구나 뽑을 수 있으므로 성적에는 쓰지 않습니다)을 grade quiz 와 같은 채점기로 바로 채점합니다. "
        "정답도 함께 보여 줍니다.",
        "A practice variant (anyone can draw it, so it never counts for marks), graded right here by the same "
        "grader as grade quiz, with the answers shown.",
    ),
    "quiz_practice_open": ("연습 시작", "Start practising"),
    "quiz_practice_check": ("채점", "Check"),
    "quiz_practice_new": ("새 변형", "New variant"),
    "quiz_practice_terminal": ("터미널에서 같은 변형:", "the same variant in a terminal:"),
    "quiz_practice_expression": (
        "식으로 답하는 문항은 위 명령으로 터미널에서 답합니다 (식을 채점하는 sympy는 사이트의 연습용 크기 "
        "제한에 들어가지 않습니다).",
        "Questions answered with a formula are answered in a terminal with the command above (sympy, which "
        "judges formulas, does not fit in the site's practice budget).",
    ),
}

# The practice panel's status line, written by practice.js (and quiz-practice.js) in the page's language.
PRACTICE_TEXTS = {
    "variant": ("변형", "Variant"),
    "score": ("점수", "Score"),
    "status_correct": ("정답", "correct"),
    "status_wrong": ("오답", "wrong"),
    "status_missing": ("답 없음", "no answer"),
    "status_invalid": ("읽을 수 없음", "unreadable"),
    "points": ("점", "pt"),
    "expression_note": (
        "식으로 답하는 문항: 위의 grade quiz 명령으로 터미널에서 답하세요.",
        "A formula: answer it in a terminal with the grade quiz command above.",
    ),
    "loading": ("채점기를 불러오는 중…", "Loading the grader…"),
    "ready": ("준비됨", "Ready"),
    "checking": ("점검 중…", "Checking…"),
    "restarting": (
        "시간 제한을 넘긴 코드를 멈추고 다시 점검하는 중…",
        "Stopped code that ran past its time limit; checking again…",
    ),
    "failed": ("점검하지 못했습니다", "Could not check"),
    "editor": ("코드 편집기", "Code editor"),
    "file": (
        "file:// 로 연 페이지에서는 연습 기능이 동작하지 않습니다. grade site --serve 로 여세요.",
        "Practice does not run in a page opened from file://: serve the folder with grade site --serve.",
    ),
}


def ui(key: str, **kw) -> dict[str, str]:
    ko, en = UI[key]
    return {"ko": ko.format(**kw), "en": en.format(**kw)}


_PAIR = Markup('<span class="i18n" lang="ko">%s</span><span class="i18n" lang="en">%s</span>')
_BLOCK = Markup('<div class="i18n" lang="ko">%s</div><div class="i18n" lang="en">%s</div>')
_OK, _BAD = Markup('<span class="ok">✓</span>'), Markup('<span class="bad">✗</span>')


def t(pair: dict[str, str]) -> Markup:
    """A text in both languages, escaped; the page shows one (html[data-lang]) and switches in place."""
    return _PAIR % (pair["ko"], pair["en"])  # Markup's % escapes both


def th(pair: dict[str, str]) -> Markup:
    """Like ``t`` for HTML built by ``markdown_math`` (which escapes what it is given)."""
    return _PAIR % (Markup(pair["ko"]), Markup(pair["en"]))


def tblock(pair: dict[str, str]) -> Markup:
    return _BLOCK % (Markup(pair["ko"]), Markup(pair["en"]))


def mark(ok: bool) -> Markup:
    """✓ or ✗: a mark that does not rely on colour."""
    return _OK if ok else _BAD


_LABELS: dict[str, Markup] = {}


def label(key: str, **kw) -> Markup:
    """A fixed piece of the interface in both languages (``UI``), cached."""
    if kw:
        return t(ui(key, **kw))
    if key not in _LABELS:
        _LABELS[key] = t(ui(key))
    return _LABELS[key]


def theme_dir() -> Path:
    return course.site_dir()


def _figure(env: jinja2.Environment):
    """The diagram macro, remembered per figure key: a class's correct answers draw the same figure."""
    _FIGURES: dict[tuple, Markup] = {}

    def figure(d: dict) -> Markup:
        key = d.get("key")
        if key is None:
            return env.get_template("_macros.html.j2").module.diagram(d)
        if key not in _FIGURES:
            if len(_FIGURES) > 4096:
                _FIGURES.clear()
            _FIGURES[key] = Markup(env.get_template("_macros.html.j2").module.diagram(d))
        return _FIGURES[key]

    return figure


def environment(theme: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str((theme or theme_dir()) / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        cache_size=64,
    )
    env.globals.update(
        ui=ui,
        t=t,
        th=th,
        tblock=tblock,
        mark=mark,
        label=label,
        version=__version__,
        csp=csp(),
        practice=None,
        inline=None,
        noindex=False,
        root="",
        student=None,
        course_name="",
    )
    env.globals["figure"] = _figure(env)
    env.globals.update(status_words=words.status, error_words=words.error)
    env.filters["score"] = score_text
    env.filters["safe_svg"] = lambda s: Markup(s) if s else ""  # built by diagram/charts, which escape
    env.filters["safe_html"] = lambda s: Markup(s) if s else ""  # built by markdown_math, which escapes
    return env


def report_token(secret: str, student: str) -> str:
    """The unguessable part of a student's report address (128 bits, from the course secret)."""
    return hmac.new(secret.encode(), b"grade-site-report\0" + student.encode(), hashlib.sha256).hexdigest()[:32]


# What decides how a page looks, beside the theme: every module of the report and site wings, and the
# grading modules that word a verdict. Derived from the folders, so a new rendering module is counted.
RENDERING_WINGS = ("report", "site")
WORDING_MODULES = ("grading/explain.py", "grading/words.py", "grading/sentences.py")


def rendering_sources(package: Path) -> list[Path]:
    found = [p for wing in RENDERING_WINGS for p in sorted((package / wing).glob("*.py"))]
    return found + [package / m for m in WORDING_MODULES if (package / m).is_file()]


def theme_digest(theme: Path | None = None) -> str:
    h = hashlib.sha256(__version__.encode())
    root = theme or theme_dir()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for source in rendering_sources(Path(__file__).resolve().parents[1]):
        h.update(source.read_bytes())
    h.update(katex.mode().encode())  # math rendered at build time or in the browser: other pages
    return h.hexdigest()


# --------------------------------------------------------------------------- pages and writing


@dataclass
class Page:
    path: str  # relative to the output folder, with forward slashes
    template: str
    key: str  # a digest of everything the page shows
    context: Callable[[], dict]  # built only when the page must be rendered


@dataclass
class BuildReport:
    out: Path
    pages: int = 0
    rendered: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    static_written: int = 0
    seconds: float = 0.0
    render_seconds: float = 0.0
    dashboard: str | None = None
    reports: dict[str, str] = field(default_factory=dict)  # student -> relative path

    def summary(self) -> str:
        return (
            f"{self.pages} pages: {len(self.written)} written, {self.unchanged} unchanged, "
            f"{len(self.removed)} removed; {self.static_written} theme files copied; "
            f"{self.seconds:.2f} s"
        )


def key_of(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def root_of(path: str) -> str:
    """The relative way from a page back to the site's root folder."""
    return "../" * path.count("/")


def write_pages(
    pages: Iterable[Page],
    out: Path,
    env: jinja2.Environment,
    theme: Path | None = None,
    extra_files: dict[str, bytes] | None = None,
    skip_static: tuple[str, ...] = (),
) -> BuildReport:
    """Write what changed; ``skip_static``: folders of the theme's static/ this site does not need."""
    import time

    started = time.perf_counter()
    report = BuildReport(out)
    out.mkdir(parents=True, exist_ok=True)
    old = _read_manifest(out)
    new: dict[str, dict] = {}
    report.static_written = _copy_theme(theme or theme_dir(), out, old, new, skip_static)
    for path, data in (extra_files or {}).items():
        digest = hashlib.sha256(data).hexdigest()
        new[path] = {"sha256": digest}
        if _write_if_changed(out / path, data, old.get(path, {}).get("sha256"), digest):
            report.written.append(path)
    for page in pages:
        report.pages += 1
        target = out / page.path
        before = old.get(page.path, {})
        if before.get("key") == page.key and target.is_file():
            new[page.path] = before
            report.unchanged += 1
            continue
        t0 = time.perf_counter()
        context = page.context()
        context.setdefault("root", root_of(page.path))
        data = math_assets(env.get_template(page.template).render(**context), context["root"]).encode("utf-8")
        report.render_seconds += time.perf_counter() - t0
        report.rendered += 1
        digest = hashlib.sha256(data).hexdigest()
        new[page.path] = {"key": page.key, "sha256": digest}
        if _write_if_changed(target, data, before.get("sha256"), digest):
            report.written.append(page.path)
        else:
            report.unchanged += 1
    for path in sorted(set(old) - set(new)):  # pages of a previous build that no longer exist
        stale = out / path
        if stale.is_file() and _inside(out, stale):
            stale.unlink()
            report.removed.append(path)
    _write_if_changed(out / MANIFEST, json.dumps(new, indent=0, sort_keys=True).encode(), None, "")
    report.seconds = time.perf_counter() - started
    return report


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _read_manifest(out: Path) -> dict[str, dict]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_if_changed(target: Path, data: bytes, old_digest: str | None, digest: str) -> bool:
    if old_digest == digest and target.is_file() and target.stat().st_size == len(data):
        return False
    if old_digest is None and target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)  # a reader never sees half a page
    return True


def _copy_theme(theme: Path, out: Path, old: dict, new: dict, skip: tuple[str, ...] = ()) -> int:
    copied = 0
    static = theme / "static"
    for source in sorted(p for p in static.rglob("*") if p.is_file()):
        rel = "static/" + source.relative_to(static).as_posix()
        if any(rel.startswith(f"static/{folder}/") for folder in skip):
            continue
        stat = source.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        before = old.get(rel, {})
        if before.get("stamp") == stamp and (out / rel).is_file():
            new[rel] = before
            continue
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        new[rel] = {"sha256": digest, "stamp": stamp}
        copied += _write_if_changed(out / rel, data, before.get("sha256"), digest)
    return copied


MATH_HEAD, MATH_SCRIPT = "<!--grade:math-head-->", "<!--grade:math-script-->"


def math_assets(page: str, root: str) -> str:
    """KaTeX's stylesheet only where the page has math, and its script only where math is left for the browser.

    The pages' math is rendered at build time (``katex``); where it could not be (no Node.js), the
    span keeps its TeX and the page loads ``katex.min.js``, which ``site.js`` applies to it.
    """
    has_math = 'class="math ' in page
    unrendered = has_math and re.search(r'class="math (inline|display)"', page) is not None
    head = f'<link rel="stylesheet" href="{root}static/vendor/katex/katex.min.css">' if has_math else ""
    script = f'<script src="{root}static/vendor/katex/katex.min.js" defer></script>' if unrendered else ""
    return page.replace(MATH_HEAD, head, 1).replace(MATH_SCRIPT, script, 1)


def csp(inline_hashes: list[str] | None = None, practice: bool = False) -> str:
    """No request may leave the page: scripts, styles and fonts come from the site's folder (or are inline).

    A practising page may also compile WebAssembly (Pyodide) and start its worker, from the folder.
    """
    if practice:
        return (
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
            "style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self' data: blob:; base-uri 'none'; "
            "form-action 'none'"
        )
    if inline_hashes is not None:
        scripts = " ".join(f"'sha256-{h}'" for h in inline_hashes)
        return (
            f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; font-src data:; "
            "img-src data:; base-uri 'none'; form-action 'none'"
        )
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; font-src 'self'; "
        "img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'"
    )
