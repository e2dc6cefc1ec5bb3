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
        assert (
            "국소 기울기만 쓰고 위에서 내려온 상류 기울기를 곱하지 않았습니다"
            in page.locator("#item-exercise03 .blame").first.inner_text()
        )
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


# --------------------------------------------------------------------------- issue 16: phones, keyboard, axe

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"


def in_lang(visit: Visit, lang: str) -> None:
    visit.page.evaluate(f"localStorage.setItem('grade-lang', '{lang}')")
    visit.page.reload()
    visit.page.wait_for_load_state("load")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The site `grade demo` builds: the packaged sample class, graded for real."""
    from grader.classroom import batch
    from grader.site import data as site_data

    work = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GRADE_SECRET", raising=False)  # the demo's own, public secret
        batch.run_sample(work)
        report = site_data.build(work / "grades.db", work / "site", lang="ko")
    return work / "site", report


def demo_pages(out: Path, report) -> list[str]:
    reports = sorted(report.reports.values())
    return [
        "index.html",
        "dashboard.html",
        "exercises/exercise06.html",
        "quizzes/quiz01.html",
        reports[0],
        max(reports, key=lambda p: (out / p).stat().st_size),  # the longest report
    ]


def audited(built, demo_site) -> list[tuple[Path, str]]:
    """The demo site's kinds of page, and from the fixed class a quiz result and a hostile, late report."""
    (out, report), (demo, demo_report) = built, demo_site
    return [(demo, rel) for rel in demo_pages(demo, demo_report)] + [
        (out, report.reports["s2026002"]),
        (out, report.reports["s2026666"]),
    ]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_axe_finds_no_serious_violation(browser, built, demo_site, width, lang):
    """axe-core (vendored for the tests only) on the demo site: nothing serious or critical, at a phone's
    width and a desktop's, in both languages. The WCAG 2.x A and AA rules (axe's best-practice extras,
    all minor or moderate on these pages, would triple the time)."""
    axe = AXE.read_text(encoding="utf-8") + "\nvar WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];"
    context = browser.new_context(bypass_csp=True, **(PHONE if width == 390 else DESKTOP))  # the CSP forbids axe
    context.add_init_script(f"localStorage.setItem('grade-lang', '{lang}')")
    page = context.new_page()
    found = []
    try:
        for out, rel in audited(built, demo_site):
            page.goto((out / rel).resolve().as_uri())
            assert page.evaluate("document.documentElement.lang") == lang
            page.add_script_tag(content=axe)
            result = page.evaluate(
                "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: WCAG}})"
                ".then(r => r.violations.map(v => "
                "({id: v.id, impact: v.impact, nodes: v.nodes.length, what: v.nodes[0].html.slice(0, 160)})))"
            )
            found += [(rel, v) for v in result if v["impact"] in ("serious", "critical")]
    finally:
        context.close()
    assert found == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_no_page_scrolls_sideways_on_a_phone(browser, built, demo_site, lang):
    """Every page of the fixed class (each kind of report, exercise06's wide table, quiz results) and the demo's
    largest pages, in one phone-sized tab per language."""
    (out, _), (demo, demo_report) = built, demo_site
    targets = [p.relative_to(out).as_posix() for p in sorted(out.rglob("*.html")) if "static" not in p.parts]
    targets = [(out, rel) for rel in targets if rel != "r/index.html"]
    targets += [(demo, rel) for rel in demo_pages(demo, demo_report)]
    context = browser.new_context(**PHONE)
    context.add_init_script(f"localStorage.setItem('grade-lang', '{lang}')")
    page = context.new_page()
    try:
        for root, rel in targets:
            page.goto((root / rel).resolve().as_uri())
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{rel} ({lang}): the page scrolls sideways ({width}px)"
            narrow = page.evaluate(
                "Array.from(document.querySelectorAll('.q-verdict, .blame, .q-text'))"
                ".filter(e => e.offsetParent && e.getBoundingClientRect().width < 200).length"
            )
            assert narrow == 0, f"{rel}: feedback squeezed into a narrow column"
    finally:
        context.close()


def test_report_diagram_opens_on_the_node_to_fix_and_scrolls_by_keyboard(browser, built):
    out, report = built
    visit = open_page(browser, out, report.reports["s2026005"], **PHONE)
    try:
        page = visit.page
        scroller = page.locator("#d-exercise03 .dg-scroll")
        box = scroller.bounding_box()
        blamed = page.locator("#d-exercise03 svg [data-blamed='1']").first.bounding_box()
        assert page.evaluate("s => s.scrollWidth > s.clientWidth", scroller.element_handle())
        assert box["x"] <= blamed["x"] and blamed["x"] + blamed["width"] <= box["x"] + box["width"]  # in view
        centre = blamed["x"] + blamed["width"] / 2 - (box["x"] + box["width"] / 2)
        assert abs(centre) < 40 or page.evaluate("s => s.scrollLeft", scroller.element_handle()) > 0
        assert page.locator("#d-exercise03 .scroll-hint").is_visible()  # it says that it scrolls
        assert scroller.get_attribute("tabindex") == "0" and scroller.get_attribute("role") == "region"
        name = page.evaluate(
            "s => document.getElementById(s.getAttribute('aria-labelledby')).innerText", scroller.element_handle()
        )
        assert "Computational graph" in name and "scrolls sideways" in name
        scroller.focus()
        before = page.evaluate("s => s.scrollLeft", scroller.element_handle())
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        assert page.evaluate("s => s.scrollLeft", scroller.element_handle()) > before
        visit.page.screenshot(path=str(ARTIFACTS / "phone-report-diagram.png"))
        visit.clean()
    finally:
        visit.close()


def test_label_texts_do_not_overlap_in_the_browser(browser, built):
    """The same check as test_diagram's, with the boxes Chromium measures for the real font."""
    out, report = built
    for student in ("s2026005", "s2026007"):
        visit = open_page(browser, out, report.reports[student], **DESKTOP)
        try:
            clashes = visit.page.evaluate(
                """() => Array.from(document.querySelectorAll('svg.dg')).flatMap(svg => {
                  const kinds = ['dg-val', 'dg-grad', 'dg-mine', 'dg-name', 'dg-heat'].map(k => 'g.' + k + ' text');
                  const texts = Array.from(svg.querySelectorAll(kinds.join(', ')));
                  const boxes = texts.map(t => [t.textContent, t.getBBox()]);
                  const out = [];
                  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                    const [ta, a] = boxes[i], [tb, b] = boxes[j];
                    const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
                    const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
                    if (w > 0.5 && h > 0.5) out.push(ta + ' / ' + tb);
                  }
                  return out;
                })"""
            )
            assert clashes == []
            size = visit.page.evaluate(
                "Math.min(...Array.from(document.querySelectorAll('svg.dg g.dg-val text'))"
                ".map(t => t.getBoundingClientRect().height))"
            )
            assert size >= 13  # as drawn: the desktop page does not shrink the drawing
        finally:
            visit.close()


def test_korean_is_not_broken_inside_words(browser, built):
    out, report = built
    visit = open_page(browser, out, report.reports["s2026005"], **PHONE)
    try:
        in_lang(visit, "ko")
        styles = visit.page.evaluate(
            "Array.from(document.querySelectorAll('.blame .i18n[lang=ko], h2 .title')).filter(e => e.offsetParent)"
            ".map(e => getComputedStyle(e).wordBreak)"
        )
        assert styles and set(styles) == {"keep-all"}
        visit.shot("phone-report-ko")
    finally:
        visit.close()


def test_math_reads_right_with_javascript_off(browser, built):
    out, _ = built
    visit = open_page(browser, out, "exercises/exercise03.html", java_script_enabled=False)
    try:
        page = visit.page
        assert page.locator(".katex").count() >= 20 and page.locator(".i18n[lang=en] .katex-html").first.is_visible()
        text = page.locator("main").inner_text()
        assert "\\frac" not in text and "\\partial" not in text
        visit.shot("exercise03-no-js")
        visit.clean()
    finally:
        visit.close()


def test_dashboard_table_sorts_searches_and_keeps_its_header(browser, built):
    out, _ = built
    visit = open_page(browser, out, "dashboard.html", **DESKTOP)
    try:
        page = visit.page
        rows = page.locator("#grid tbody tr")
        total = rows.count()
        page.fill("#student-search", "s202600")
        visible = page.locator("#grid tbody tr:not([hidden])").count()
        assert 0 < visible < total and page.locator("#grid-count").inner_text() == f"{visible} / {total}"
        page.fill("#student-search", "")
        last = page.locator("#grid thead th").last
        last.locator("button").click()
        assert last.get_attribute("aria-sort") == "ascending"
        totals = page.evaluate(
            "Array.from(document.querySelectorAll('#grid tbody tr'))"
            ".map(r => parseFloat(r.lastElementChild.dataset.value))"
        )
        assert totals == sorted(totals)
        last.locator("button").press("Enter")
        assert last.get_attribute("aria-sort") == "descending"
        scroller = page.locator("#students .scroll.tall")
        scroller.evaluate("s => s.scrollTop = 200")
        head, frame = page.locator("#grid thead th").first.bounding_box(), scroller.bounding_box()
        assert 0 <= head["y"] - frame["y"] < 10  # the header stays at the top of its box (below the table's margin)
        visit.shot("dashboard-desktop")
        visit.clean()
    finally:
        visit.close()
    visit = open_page(browser, out, "dashboard.html", java_script_enabled=False, **DESKTOP)
    try:  # without the script: the plain, complete table
        assert visit.page.locator("#grid tbody tr").count() == total
    finally:
        visit.close()
