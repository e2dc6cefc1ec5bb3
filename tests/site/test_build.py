"""`grade site`: the pages, their privacy, valid HTML, escaping, and incremental rebuilds."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path

import html5lib
import pytest

from grader import __version__
from grader.report.theme import report_token
from grader.site import data as site_data

from .conftest import HERE, SECRET, make_book

EXERCISES = HERE.parents[1] / "exercises"


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "static" not in p.parts)


def test_pages_exist(built):
    out, report = built
    assert (out / "index.html").is_file() and (out / "dashboard.html").is_file()
    assert {p.name for p in (out / "exercises").iterdir()} == {
        f"{p.stem}.html" for p in EXERCISES.glob("exercise*.yaml")
    }
    assert len(report.reports) == 14 and all((out / p).is_file() for p in report.reports.values())
    assert (out / "static" / "vendor" / "katex" / "LICENSE").is_file()
    assert (out / "r" / "index.html").is_file()  # a web server's folder listing shows no report


def test_report_paths_are_unguessable(built):
    out, report = built
    for student, path in report.reports.items():
        token = hmac.new(SECRET.encode(), b"grade-site-report\0" + student.encode(), hashlib.sha256).hexdigest()[:32]
        assert path == f"r/{token}.html" == f"r/{report_token(SECRET, student)}.html"
        assert student not in path
    index = (out / "index.html").read_text()
    assert "s2026001" not in index and "/r/" not in index  # the index names nobody


def test_every_page_parses_strictly_and_has_unique_ids(built):
    out, _ = built
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in pages(out):
        text = page.read_text(encoding="utf-8")
        try:
            parser.parse(text)  # raises on any parse error
        except Exception as exc:
            raise AssertionError(f"{page}: {exc}: {parser.errors[:3]}") from None
        ids = re.findall(r'\sid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), page
        assert text.startswith("<!DOCTYPE html>")


def test_nothing_is_fetched_from_outside(built):
    out, _ = built
    for page in pages(out):
        text = page.read_text(encoding="utf-8")
        for url in re.findall(r'(?:src|href)="([^"]*)"', text):
            assert not re.match(r"^[a-z]+:", url) or url.startswith("#"), (page, url)
        assert "default-src &#39;none&#39;" in text  # the Content-Security-Policy


def test_hostile_output_and_messages_are_text(built):
    out, report = built
    text = (out / report.reports["s2026666"]).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(&#39;out&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert text.count("<script") == 2  # lang.js and site.js: nothing else (the math is rendered at build time)


def test_late_work_and_policy(built):
    out, report = built
    late = (out / report.reports["s2026666"]).read_text(encoding="utf-8")
    assert "◷" in late
    five = (out / report.reports["s2026005"]).read_text(encoding="utf-8")
    assert "History of attempts</span> (2)" in five and "★" in five
    dash = (out / "dashboard.html").read_text(encoding="utf-8")
    for words in (
        "syntax error",
        "forbidden feature used",
        "time limit exceeded",
        "upstream gradient not multiplied in",
        "fan-out gradients overwritten, not added",
    ):
        assert words in dash


def test_students_only_has_no_dashboard_nor_names(book, secret_env, tmp_path):
    out = tmp_path / "public"
    report = site_data.build(book, out, lang="ko", students_only=True, exercises_dir=EXERCISES)
    assert report.dashboard is None and not (out / "dashboard.html").exists()
    for page in pages(out):
        if page.parent.name != "r":
            text = page.read_text(encoding="utf-8")
            assert not re.search(r"s20260\d\d", text) and "dashboard" not in text


def test_rebuild_writes_only_what_changed(book, secret_env, tmp_path):
    db = tmp_path / "grades.db"
    shutil.copy(book, db)
    out = tmp_path / "site"
    first = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert len(first.written) == first.pages + 1  # every page and r/index.html
    again = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert again.written == [] and again.rendered == 0 and again.static_written == 0
    _add_attempt(db, "s2026004", "exercise02")
    third = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    assert sorted(third.written) == sorted(["dashboard.html", first.reports["s2026004"]])
    manifest = json.loads((out / ".grade-site.json").read_text())
    assert first.reports["s2026004"] in manifest


def _add_attempt(db: Path, student: str, item: str, when: str = "2026-03-12T09:00:00+09:00") -> None:
    """A new, full-marks attempt: the solution's verdict from the fixture, re-keyed."""
    from grader.classroom.batch import secret_id
    from grader.classroom.gradebook import Gradebook, Key, rows_of
    from grader.exercise.loader import find_exercise

    rows = [json.loads(line) for line in (HERE / "fixtures" / "verdicts.jsonl").read_text().splitlines()]
    verdict = next(
        r["verdict"] for r in rows if r["item"] == item and r["verdict"]["score"] == r["verdict"]["max_score"]
    )
    verdict = {**verdict, "student": student}
    text = json.dumps(verdict, sort_keys=True)
    tasks, checks = rows_of(verdict)
    with Gradebook(db) as gb:
        gb.record(
            Key(
                student,
                item,
                "new" + hashlib.sha256(text.encode()).hexdigest()[3:],
                find_exercise(item, EXERCISES).digest,
                __version__,
                secret_id(SECRET),
            ),
            kind="exercise",
            size=1,
            filename=f"{item}.py",
            submitted_at=when,
            time_source="manifest",
            verdict_json=text,
            status="graded",
            score=verdict["score"],
            max_score=verdict["max_score"],
            error_kind=None,
            tasks=tasks,
            checks=checks,
            seconds=0.0,
            batch_id=None,
        )


def test_wrong_secret_is_refused(book, tmp_path, monkeypatch):
    from grader.errors import UsageError

    monkeypatch.setenv("GRADE_SECRET", "another-secret-of-this-course-0000")
    with pytest.raises(UsageError, match="another course secret"):
        site_data.build(book, tmp_path / "x", exercises_dir=EXERCISES)


def test_no_gradebook_is_a_usage_error(tmp_path, secret_env):
    from grader.errors import UsageError

    with pytest.raises(UsageError, match="no gradebook"):
        site_data.build(tmp_path / "none.db", tmp_path / "x", exercises_dir=EXERCISES)


def test_make_book_is_repeatable(tmp_path):
    make_book(tmp_path / "a.db")


def test_quiz_results_are_reported(built):
    out, report = built
    text = (out / report.reports["s2026002"]).read_text(encoding="utf-8")
    assert 'id="item-quiz01"' in text and "Quiz 1" in text
    assert "&#39;&lt;i&gt;two&lt;/i&gt;&#39; is not a choice number" in text
    assert "quiz01" in (out / "dashboard.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- issue 16: phones, words, numbers


def visible_text(html: str) -> str:
    """What a reader sees as words: the text outside <code>, <pre>, <script>, <style> and the SVGs' numbers."""
    doc = html5lib.parse(html, namespaceHTMLElements=False)
    skip = {"code", "pre", "script", "style", "svg", "annotation", "math"}
    parts: list[str] = []

    def walk(el):
        if el.tag in skip:
            if el.tail:
                parts.append(el.tail)
            return
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if el.tail:
            parts.append(el.tail)

    walk(doc.find("body"))
    return " ".join(parts)


def test_math_is_rendered_at_build_time_and_pages_without_math_load_no_math(built):
    from grader.report import katex

    if katex.mode() != "node":
        pytest.skip("no Node.js: the math is left for the browser (tested below)")
    out, report = built
    for page in pages(out):
        text = page.read_text(encoding="utf-8")
        assert "katex.min.js" not in text, page  # nothing left to render in the browser
        has_math = 'class="katex"' in text
        assert ("katex.min.css" in text) == has_math, page
        assert not re.search(r'class="math (inline|display)"', text), page  # every formula rendered
    exercise = (out / "exercises" / "exercise03.html").read_text(encoding="utf-8")
    assert exercise.count('class="katex"') >= 20 and "katex-display" in exercise
    assert '<annotation encoding="application/x-tex">' in exercise  # MathML kept for screen readers
    for name in ("index.html", "dashboard.html"):
        assert "katex" not in (out / name).read_text(encoding="utf-8"), name


def test_without_node_the_math_is_left_for_the_browser(book, secret_env, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_KATEX", "browser")
    out = tmp_path / "site"
    site_data.build(book, out, lang="en", exercises_dir=EXERCISES)
    exercise = (out / "exercises" / "exercise03.html").read_text(encoding="utf-8")
    assert 'class="katex"' not in exercise and '<span class="math inline">' in exercise
    assert "katex.min.js" in exercise and "katex.min.css" in exercise
    for name in ("index.html", "dashboard.html"):
        assert "katex" not in (out / name).read_text(encoding="utf-8"), name


def test_every_scroller_is_reachable_by_keyboard_and_named(built):
    out, _ = built
    for page in pages(out):
        text = page.read_text(encoding="utf-8")
        ids = set(re.findall(r'\sid="([^"]+)"', text))
        for tag in re.findall(r'<div class="scroll[^"]*"[^>]*>', text):
            assert 'tabindex="0"' in tag and 'role="region"' in tag, (page, tag)
            named = re.search(r'aria-labelledby="([^"]+)"', tag)
            assert named and named[1] in ids or 'aria-label="' in tag, (page, tag)
        assert "<table" not in re.sub(r'<div class="scroll[^>]*>\s*<table.*?</table>', "", text, flags=re.S), page


def test_every_description_table_scrolls_in_its_box(built):
    """A wide table in an exercise's description (exercise06's once pushed the page sideways on a phone)
    scrolls in a named box of its own."""
    out, _ = built
    wrapped = 0
    for page in sorted((out / "exercises").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        description = re.search(r'<section class="description card">(.*?)</section>', text, re.S).group(1)
        tables = description.count("<table>")
        english = re.findall(
            r'<div class="scroll" [^>]*aria-label="Table \d+ \(scrolls sideways\)"><table>', description
        )
        korean = re.findall(r'<div class="scroll" [^>]*aria-label="표 \d+ \(옆으로 스크롤\)"><table>', description)
        assert len(english) + len(korean) == tables and len(english) == len(korean), page.name  # each language
        wrapped += tables
    assert wrapped >= 6  # exercises 01, 02, 07 and 09 describe their graphs in tables, in both languages


def test_scores_have_at_most_two_decimals(built):
    out, _ = built
    for page in pages(out):
        words = visible_text(page.read_text(encoding="utf-8"))
        assert not re.search(r"\d\.\d{3,}\s*/\s*\d", words), page  # "7.4286 / 11"
        for cell in re.findall(r'<td class="num (?:full|partial)" data-value="[^"]*">([^<]*)<', page.read_text()):
            assert not re.search(r"\.\d{3,}", cell), (page, cell)


def test_no_raw_codes_where_words_belong(built):
    out, report = built
    codes = (
        "sign_error",
        "local_grad",
        "missing_upstream",
        "swapped_operands",
        "overwrote_fanout",
        "unclassified",
        "syntax_error",
        "check(s)",
    )
    for page in pages(out):
        if page.parent.name == "r" and page.name == "index.html":
            continue
        words = visible_text(page.read_text(encoding="utf-8"))
        words = re.sub(r"`[^`]*`", "", words)  # a function's name, quoted
        words = re.sub(
            r"\((?:or|다른 가능성): (?:[^()]|\([^()]*\))*\)", "", words
        )  # blame alternatives: explain.py's (issue 15)
        for code in codes:
            assert code not in words, (page, code)
        assert not re.search(r"<td>\s*(graded|error)\b", page.read_text(encoding="utf-8")), page  # a status in words


def test_korean_breaks_between_words_only():
    css = (HERE.parents[1] / "site" / "static" / "site.css").read_text(encoding="utf-8")
    assert re.search(r":lang\(ko\)\s*\{[^}]*word-break:\s*keep-all", css)


def test_full_marks_folded_lines_summarised_and_said_once(built):
    out, report = built
    five = (out / report.reports["s2026005"]).read_text(encoding="utf-8")
    assert re.search(r'<section class="item card full" id="item-exercise01">.*?<details class="full-item">', five, re.S)
    assert "…4 more" in five  # 10 hidden points wrong: 6 said, the rest counted
    assert "check(s)" not in five and "Tasks passed (every public and hidden check right)" in five  # one list
    for page in pages(out):
        text = visible_text(page.read_text(encoding="utf-8"))
        for line in re.findall(r"\(line (\d+)\)", text):
            assert text.count(f"line {line}") == 1, (page, line)


def test_quiz_results_show_the_question_the_answer_and_the_verdict(built):
    out, report = built
    text = (out / report.reports["s2026002"]).read_text(encoding="utf-8")
    item = text[text.index('id="item-quiz01"') :]
    assert "Your answer" in item and "Quiz 1" in item
    assert "In a computational graph, what does one node (gate) stand for?" in item  # the question's text
    assert re.search(r"With w0 = -?[\d.]+, w1 = -?[\d.]+", item)  # with this student's numbers
    assert "One elementary operation and the value it outputs" in item  # their choice, in words
    assert "forward_z" not in visible_text(item)  # no internal ids
    # the course's late rule (cap 0.5) lets a later attempt count: grader.quiz withholds the keys, and says so
    assert "Answer key" not in item and "The answers and explanations are shown once no later attempt" in item
    index = (out / "index.html").read_text(encoding="utf-8")
    for n in range(1, 5):
        assert f'href="quizzes/quiz0{n}.html"' in index and (out / "quizzes" / f"quiz0{n}.html").is_file()
    page = (out / "quizzes" / "quiz01.html").read_text(encoding="utf-8")
    assert "⟨w0⟩" in page and "student" in page


def test_late_full_marks_show_the_penalty_not_a_cross(book, secret_env, tmp_path):
    db = tmp_path / "grades.db"
    shutil.copy(book, db)
    _add_attempt(db, "s2026005", "exercise04", when="2026-03-15T09:00:00+09:00")  # two days after the deadline
    out = tmp_path / "site"
    built = site_data.build(db, out, lang="en", exercises_dir=EXERCISES)
    text = (out / built.reports["s2026005"]).read_text(encoding="utf-8")
    item = re.search(r'<section class="item card (\w+)" id="item-exercise04">(.*?)</section>', text, re.S)
    assert item[1] == "late"
    head = item[2][: item[2].index("</p>")]
    assert "✗" not in head and "◷" in head and "2 days late" in head and "penalty</span> −" in head


def test_dashboard_fits_a_few_screens_with_statistics(built):
    out, _ = built
    text = (out / "dashboard.html").read_text(encoding="utf-8")
    for section in ("items", "hardest", "costly", "errors", "late", "students"):
        assert f'id="{section}"' in text
    costly = text[text.index('id="costly"') : text.index("</section>", text.index('id="costly"'))]
    assert "wrong in another way" not in costly and "unclassified" not in costly
    assert re.search(r"sign flipped|upstream gradient|swapped|overwritten|constant factor", costly)
    errors = text[text.index('id="errors"') :]
    assert errors.index("<details>") < errors.index("<table")  # folded
    assert "data-sortable" in text and "static/table.js" in text and 'id="student-search"' in text
    assert text.count("<details") >= 8  # every item's charts folded
    for name in ("index.html", "exercises/exercise03.html"):
        assert "table.js" not in (out / name).read_text(encoding="utf-8")


def test_a_released_quiz_result_shows_the_key_under_a_wrong_answer():
    from grader.quiz.quizzes import find_quiz, prepared_of
    from grader.quiz.result import from_json
    from grader.quiz.variant import draw_variant
    from grader.report.views import quiz_view

    rows = [json.loads(line) for line in (HERE / "fixtures" / "verdicts.jsonl").read_text().splitlines()]
    row = next(r for r in rows if r["item"] == "quiz01" and r["student"] == "s2026002")
    result = from_json(row["verdict"])
    quiz = find_quiz("quiz01", EXERCISES)
    view = quiz_view(result, draw_variant(quiz, prepared_of(quiz), SECRET, "s2026002", False))
    wrong = [q for q in view["questions"] if not q["passed"]]
    assert wrong and all(q["key"] is not None for q in wrong if q["answer"]["en"] != "—")
    assert all(q["key"] is None for q in view["questions"] if q["passed"])  # a right answer is its own key
    count = next(q for q in view["questions"] if "multiplication (mul) gates" in q["text"]["en"])
    assert count["key"]["en"].endswith(": 2") and count["choices"][1]["en"] == "2"
