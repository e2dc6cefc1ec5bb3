"""Markdown with LaTeX: math is kept away from Markdown, code is left alone, markup is text."""

from __future__ import annotations

import pytest

from grader.report.markdown_math import render, render_inline


@pytest.fixture(autouse=True)
def math_left_for_the_browser(monkeypatch):
    """These tests read the TeX the build protects: the form it keeps where no Node.js renders it."""
    monkeypatch.setenv("GRADE_KATEX", "browser")


def test_prerendered_with_node(monkeypatch):
    from grader.report import katex

    monkeypatch.delenv("GRADE_KATEX")
    if katex.mode() != "node":
        pytest.skip("no Node.js on this machine")
    html = render("Let $\\hat{y}$ be.\n\n$$\\frac{1}{2}$$")
    assert '<span class="math inline rendered"><span class="katex">' in html
    assert '<span class="math display rendered" tabindex="0"><span class="katex-display">' in html
    assert '<annotation encoding="application/x-tex">\\hat{y}</annotation>' in html  # MathML for screen readers
    assert katex.render("\\frac{1}{") is None  # a TeX error: left to the browser, which shows KaTeX's message


def test_inline_and_display_math_become_katex_spans():
    html = render(r"Let $\hat{y} = \sigma(z)$ and $$\frac{\partial L}{\partial w_1} = x_1$$ done.")
    assert r'<span class="math inline">\hat{y} = \sigma(z)</span>' in html
    assert r'<span class="math display">\frac{\partial L}{\partial w_1} = x_1</span>' in html


def test_markdown_does_not_touch_tex():
    html = render(r"$a_1 * b_2 * c$ and $\{x\}$ and $x\_y$")
    assert r"a_1 * b_2 * c" in html and r"\{x\}" in html and r"x\_y" in html
    assert "<em>" not in html


def test_tex_is_escaped():
    assert r"a &lt; b &amp; c" in render(r"$a < b & c$")


def test_code_spans_and_fences_keep_dollars():
    html = render("`cost = $5 and $6` then\n\n```\nx = $y$\n```\n")
    assert 'class="math' not in html
    assert "$5 and $6" in html and "x = $y$" in html


def test_dollar_rules():
    assert 'class="math' not in render("costs $5 and $6 today")  # no closing: a digit follows the $
    assert 'class="math' not in render("a $ b $ c")  # spaces inside the dollars
    assert "&#36;" in render(r"a literal \$ sign")


def test_raw_html_is_text_and_links_are_safe():
    html = render("<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.org) ![i](http://x/y.png)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="#"' in html and 'href="https://example.org"' in html
    assert "<img" not in html  # no remote image: no request leaves the page


def test_korean_after_math_and_tables():
    html = render("$x$는 세 곳으로\n\n| a | b |\n|---|---|\n| `n` | $\\sigma(y)$ |\n")
    assert '<span class="math inline">x</span>는' in html
    assert "<table>" in html and r'<span class="math inline">\sigma(y)</span>' in html


def test_render_inline_drops_the_paragraph():
    assert render_inline("$L$ is the output") == '<span class="math inline">L</span> is the output'
