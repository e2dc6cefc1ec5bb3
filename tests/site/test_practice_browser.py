"""The practice panel in real headless Chromium: the page grades with the grader's own modules in a
Web Worker (Pyodide), and gives the verdict ``grade submit --json`` gives for the same file.

The site is served on 127.0.0.1 (``grade site --serve``'s server): Chromium will not run WebAssembly
from file://, and there the panel says how to serve the folder instead. Screenshots land in
test-artifacts/site/ (practice-*.png).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from tests.practice.submissions import outcome, submissions

from .conftest import HERE
from .test_browser import ARGS, ARTIFACTS, CHROMIUM, sync_api  # noqa: F401 - skips without Chromium

ROOT = HERE.parents[1]
PHONE = {"viewport": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def practising(book, secret_env, tmp_path_factory):
    from grader.site import data as site_data

    out = tmp_path_factory.mktemp("practice-served")
    site_data.build(book, out, lang="en", exercises_dir=ROOT / "exercises", practice=True)
    return out


@pytest.fixture(scope="module")
def served(practising):
    from grader.site.serve import server

    httpd = server(practising, port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Practice:
    """An exercise page with every console error and every request outside the site recorded."""

    def __init__(self, browser, base: str, exercise: str, **context):
        self.context = browser.new_context(accept_downloads=True, **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []

        def route(r):
            if r.request.url.startswith(base):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(f"{base}exercises/{exercise}.html")
        self.page.wait_for_load_state("load")

    def check(self, sources: list[str]) -> list[dict]:
        return self.page.evaluate(
            "async (sources) => { const out = []; for (const s of sources) out.push(await gradePractice.check(s)); "
            "return out; }",
            sources,
        )

    def close(self):
        self.context.close()


def _grade_submit(path, exercise: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-m", "grader.cli", "submit", str(path), "--exercise", exercise, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "GRADE_EXERCISES": str(ROOT / "exercises")},
        timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


BY_EXERCISE: dict[str, list] = defaultdict(list)
for _exercise, _path in submissions():
    BY_EXERCISE[_exercise].append(_path)


@pytest.mark.parametrize("exercise", sorted(BY_EXERCISE))
def test_each_page_gives_the_verdict_of_grade_submit(chromium, served, exercise):
    paths = BY_EXERCISE[exercise]
    visit = Practice(chromium, served, exercise)
    try:
        got = visit.check([p.read_text(encoding="utf-8-sig") for p in paths])
        for path, result in zip(paths, got, strict=True):
            assert outcome(result) == outcome(_grade_submit(path, exercise)), path
        assert visit.errors == [] and visit.outside == []
    finally:
        visit.close()


def test_a_student_types_checks_reads_and_downloads_on_a_phone(chromium, served):
    visit = Practice(chromium, served, "exercise02", **PHONE)
    page = visit.page
    try:
        page.get_by_role("button", name="Open the editor").click()
        editor = page.locator(".cm-content")
        editor.wait_for()
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.type("def neg_local_grad(x):\n    return 1.0\n")  # the sign flipped
        page.get_by_role("button", name="Check").click()
        report = page.locator(".practice-report")
        report.locator(".i18n[lang=en]").wait_for()
        text = report.inner_text()
        assert "exercise02" in text and "neg_local_grad" in text and "sign" in text
        assert page.locator("figure.diagram svg [data-blamed='1']").count() >= 1  # the graph lit up in place
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "practice-phone-en.png"), full_page=True)
        page.locator("[data-set-lang=ko]").click()
        assert "점수" in report.inner_text() or "score" not in report.inner_text()
        page.screenshot(path=str(ARTIFACTS / "practice-phone-ko.png"), full_page=True)
        with page.expect_download() as caught:
            page.locator(".practice-download").click()
        download = caught.value
        assert download.suggested_filename == "exercise02.py"
        assert "return 1.0" in Path(download.path()).read_text(encoding="utf-8")
        page.reload()
        page.locator(".practice-open").click()
        page.locator(".cm-content").wait_for()
        assert "return 1.0" in page.locator(".cm-content").inner_text()  # the draft survived the reload
        assert visit.errors == [] and visit.outside == []
    finally:
        visit.close()


def test_an_endless_loop_is_stopped_and_the_page_stays_alive(chromium, served, tmp_path):
    source = "def mul_forward(a, b):\n    while True:\n        pass\n"
    path = tmp_path / "exercise01.py"
    path.write_text(source, encoding="utf-8")
    visit = Practice(chromium, served, "exercise01")
    try:
        result = visit.check([source])[0]
        mul = next(t for t in result["tasks"] if t["function"] == "mul_forward")
        assert mul["checks"][0]["message"] == "ran for more than 2 s"
        assert outcome(result) == outcome(_grade_submit(path, "exercise01"))
        assert visit.page.evaluate("1 + 1") == 2
    finally:
        visit.close()


def test_from_a_file_the_panel_says_how_to_serve_the_folder(chromium, practising):
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto((practising / "exercises" / "exercise01.html").resolve().as_uri())
        page.locator(".practice-open").click()
        assert page.locator(".practice-file").is_visible()
        assert "grade site --serve" in page.locator(".practice-file").inner_text()
        error = page.evaluate("gradePractice.check('x = 1').then(() => 'no error', e => e.message)")
        assert "grade site --serve" in error
    finally:
        context.close()


def test_the_panel_works_with_the_keyboard_alone(chromium, served):
    visit = Practice(chromium, served, "exercise02")
    page = visit.page
    try:
        page.focus(".practice-open")
        page.keyboard.press("Enter")  # the button opens the editor and puts the cursor in it
        page.locator(".cm-content").wait_for()
        page.wait_for_function("document.activeElement && document.activeElement.closest('.cm-editor') !== null")
        page.keyboard.press("Control+A")
        page.keyboard.type("def neg_local_grad(x):\n    return -1.0\n")
        page.keyboard.press("Escape")  # CodeMirror: Escape, then Tab leaves the editor instead of indenting
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "practice-check"
        page.keyboard.press("Enter")
        report = page.locator(".practice-report")
        report.locator(".i18n[lang=en]").wait_for()
        assert "neg_local_grad" in report.inner_text()
        assert page.evaluate("document.activeElement.className") == "practice-report"  # focus moves to the report
        assert visit.errors == [] and visit.outside == []
    finally:
        visit.close()
