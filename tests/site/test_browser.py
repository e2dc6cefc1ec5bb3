"""The site in real headless Chromium (Debian's `chromium`, driven by Playwright with executable_path).

Each page loads from file:// with no console error and no request outside the site's folder; math is
rendered by the vendored KaTeX; the diagram's SVG says the node names and values; the language switch
works; a hostile captured output stays text. Screenshots land in test-artifacts/site/ (desktop, phone,
print) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from .conftest import HERE

CHROMIUM = os.environ.get("GRADE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = HERE.parents[1] / "test-artifacts" / "site"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set GRADE_CHROMIUM)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Visit:
    """A page opened with every console message, page error and request recorded."""

    def __init__(self, browser, url: str, root: Path, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        prefix = root.resolve().as_uri()

        def route(r):
            if r.request.url.startswith(prefix + "/") or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed {r.url}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("document.querySelectorAll('span.math:not(.rendered)').length === 0")

    def shot(self, name: str, **kw) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True, **kw)
        return path

    def close(self):
        self.context.close()

    def clean(self):
        assert self.errors == [] and self.outside == [] and self.dialogs == []


def open_page(browser, out: Path, rel: str, **context) -> Visit:
    return Visit(browser, (out / rel).resolve().as_uri(), out, **context)


@pytest.mark.parametrize(
    "name,rel",
    [
        ("index", "index.html"),
        ("exercise03", "exercises/exercise03.html"),
        ("dashboard", "dashboard.html"),
        ("report", None),
    ],
)
def test_pages_load_clean_offline(browser, built, name, rel):
    out, report = built
    visit = open_page(browser, out, rel or report.reports["s2026005"], viewport={"width": 1280, "height": 900})
    try:
        visit.shot(name)
        visit.clean()
        assert visit.page.title()
    finally:
        visit.close()


def test_math_is_rendered_by_katex(browser, built):
    out, _ = built
    visit = open_page(browser, out, "exercises/exercise03.html")
    try:
        page = visit.page
        assert page.locator(".katex").count() >= 20
        assert page.locator(".katex-display").count() >= 3
        assert page.locator(".math-error, .katex-error").count() == 0
        text = page.locator("main").inner_text()
        assert not re.search(r"\$[^$\s][^$]*\$", text), "raw $...$ left in the page"
        assert "\\frac" not in text
        fonts = page.evaluate("Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family)")
        assert any("KaTeX" in f for f in fonts)
        visit.clean()
    finally:
        visit.close()


def test_report_diagram_shows_names_values_and_blame(browser, built):
    out, report = built
    visit = open_page(browser, out, report.reports["s2026005"])
    try:
        svg = visit.page.locator("#item-exercise03 svg.dg")
        words = svg.locator("text").all_text_contents()
        for name in ("w0", "m1", "m2", "z", "yhat", "L"):
            assert any(name in w for w in words), name
        for value in ("0.3679", "0.7311", "-0.2689", "0.3133"):
            assert value in words
        assert "✗ 0.3679" in words  # exp_backward forgot the upstream gradient
        assert svg.locator("[data-blamed='1']").count() >= 1
        assert svg.locator("path.wrong").count() >= 1
        visit.page.locator("#item-exercise03").screenshot(path=str(ARTIFACTS / "report-exercise03.png"))
        visit.clean()
    finally:
        visit.close()


def test_language_switch(browser, built):
    out, report = built
    visit = open_page(browser, out, report.reports["s2026005"])
    try:
        page = visit.page
        h1 = page.locator("h1")
        assert "Feedback report" in h1.inner_text() and "피드백" not in h1.inner_text()
        page.click("button[data-set-lang=ko]")
        assert page.evaluate("document.documentElement.lang") == "ko"
        assert "피드백 보고서" in h1.inner_text() and "Feedback" not in h1.inner_text()
        assert "국소 기울기만 반환했습니다" in page.locator("#item-exercise03 .blame").first.inner_text()
        visit.shot("report-ko")
        page.goto((out / "index.html").resolve().as_uri())  # the choice is remembered
        assert page.evaluate("document.documentElement.lang") == "ko"
        page.click("button[data-set-lang=en]")
        assert page.locator("h2").first.inner_text() == "Exercises"
        visit.clean()
    finally:
        visit.close()


def test_hostile_output_is_shown_as_text(browser, built):
    out, report = built
    visit = open_page(browser, out, report.reports["s2026666"])
    try:
        page = visit.page
        page.locator("details.output summary").click()
        assert "<script>alert('out')</script><img src=x onerror=alert(1)>" in page.locator("pre.captured").inner_text()
        assert "<b>bold</b><script>alert('msg')</script>" in page.locator("main").inner_text()
        assert page.locator("main script, main img, main b").count() == 0
        visit.shot("report-hostile")
        visit.clean()
    finally:
        visit.close()


def test_phone_width(browser, built):
    out, report = built
    for name, rel in (
        ("phone-report", report.reports["s2026005"]),
        ("phone-exercise", "exercises/exercise07.html"),
        ("phone-dashboard", "dashboard.html"),
    ):
        visit = open_page(
            browser,
            out,
            rel,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        try:
            width = visit.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 392, f"{name}: the page scrolls sideways ({width}px); only diagrams and tables may"
            visit.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            visit.clean()
        finally:
            visit.close()


def test_print(browser, built):
    out, report = built
    visit = open_page(browser, out, report.reports["s2026005"])
    try:
        page = visit.page
        page.emulate_media(media="print")
        assert page.locator("header.top").is_hidden()
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert page.locator("details.history:not([open]), details.output:not([open])").count() == 0
        visit.shot("report-print")
        page.pdf(path=str(ARTIFACTS / "report-print.pdf"), format="A4")
        visit.clean()
    finally:
        visit.close()


def test_self_contained_report(browser, tmp_path):
    import json

    from grader.exercise.loader import find_exercise
    from grader.grading.verdict import from_json
    from grader.report import standalone as report_html

    rows = [json.loads(x) for x in (HERE / "fixtures" / "verdicts.jsonl").read_text(encoding="utf-8").splitlines()]
    row = next(
        r
        for r in rows
        if r["student"] == "s2026005" and r["item"] == "exercise03" and r["submitted_at"].startswith("2026-03-11")
    )
    path = report_html.write(
        from_json(row["verdict"]),
        find_exercise("exercise03", HERE.parents[1] / "exercises"),
        tmp_path / "report.html",
        "ko",
    )
    visit = Visit(browser, path.as_uri(), tmp_path)
    try:
        assert visit.page.locator(".katex").count() >= 1
        assert visit.page.locator("svg.dg [data-blamed='1']").count() == 2  # mul (m2) and exp (e)
        assert visit.page.locator("h1").inner_text() == "피드백 보고서 · s2026005"
        visit.shot("submit-report")
        visit.clean()
    finally:
        visit.close()
