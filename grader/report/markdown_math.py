"""Markdown with LaTeX: the math is lifted out before Markdown sees it, and put back as KaTeX spans.

Markdown would eat TeX (``\\{``, ``_`` and ``*`` mean something to it), so ``$...$`` and ``$$...$$``
are first replaced by inert alphanumeric tokens, outside code spans and fenced code; Markdown runs;
then every token becomes ``<span class="math inline|display rendered">KaTeX's HTML</span>``, rendered at
build time (``katex``), or, where Node.js is missing, ``<span class="math inline|display">TeX, escaped</span>``
for the page's vendored KaTeX to render (``site/static/site.js``). A Markdown table is put in a
keyboard-reachable scroll container, so that a wide one never makes a phone's page scroll sideways.

Rules, as in pandoc: an opening ``$`` is not followed by a space, a closing ``$`` is not preceded by
one nor followed by a digit, inline math stays on one line; ``\\$`` is a literal dollar sign.
Raw HTML in the Markdown is shown as text (the description is text, not markup), and links may
only use http(s), mailto or relative addresses.
"""

from __future__ import annotations

import html
import re
import secrets
from functools import lru_cache

import markdown
from markdown.treeprocessors import Treeprocessor

from grader.report import katex

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})")
_SAFE_URL = re.compile(r"^(https?:|mailto:|#|\.{0,2}/|[A-Za-z0-9_.-]+(/|\.html?|$))", re.I)


class _SafeLinks(Treeprocessor):
    def run(self, root):
        for el in root.iter("a"):
            if not _SAFE_URL.match(el.get("href", "")):
                el.set("href", "#")
        for el in root.iter("img"):
            src = el.get("src", "")
            if not _SAFE_URL.match(src) or src.lower().startswith(("http:", "https:")):
                el.tag, el.text = "span", el.get("alt", "")
                for key in list(el.attrib):
                    del el.attrib[key]


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
    return md


def protect(text: str, token: str) -> tuple[str, list[tuple[str, bool]]]:
    """Replace math by ``{token}{n}Z`` outside code; return the text and [(tex, display)]."""
    found: list[tuple[str, bool]] = []
    return _scan(text, token, found), found


def _fenced_spans(text: str) -> list[tuple[int, int]]:
    spans, pos, fence, start = [], 0, None, 0
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is None and m:
            fence, start = m.group("fence"), pos
        elif fence is not None and m and m.group("fence")[0] == fence[0] and len(m.group("fence")) >= len(fence):
            spans.append((start, pos + len(line)))
            fence = None
        pos += len(line)
    if fence is not None:
        spans.append((start, len(text)))
    return spans


def _scan(text: str, token: str, found: list[tuple[str, bool]]) -> str:
    fenced = _fenced_spans(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        block = next((b for b in fenced if b[0] == i), None)
        if block:
            out.append(text[block[0] : block[1]])
            i = block[1]
            continue
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == "$":
            out.append(f"{token}D")  # a literal dollar sign
            i += 2
            continue
        if c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            while close != -1 and text[close + run : close + run + 1] == "`":
                close = text.find("`" * run, close + run + 1)
            if close == -1:
                out.append(text[i : i + run])
                i += run
                continue
            out.append(text[i : close + run])
            i = close + run
            continue
        if c == "$":
            end, display = _math_end(text, i)
            if end is not None:
                width = 2 if display else 1
                found.append((text[i + width : end].strip(), display))
                out.append(f"{token}{len(found) - 1}Z")
                i = end + width
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _math_end(text: str, i: int) -> tuple[int | None, bool]:
    """Where the math opened at ``text[i] == '$'`` closes (index of its closing ``$``), and whether it is display."""
    if text.startswith("$$", i):
        close = text.find("$$", i + 2)
        return (close if close != -1 and text[i + 2 : close].strip() else None), True
    if i + 1 >= len(text) or text[i + 1].isspace():
        return None, False
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\n":
            return None, False
        if ch == "\\":
            j += 2
            continue
        if ch == "$":
            if text[j - 1].isspace() or (j + 1 < len(text) and text[j + 1].isdigit()):
                return None, False
            return j, False
        j += 1
    return None, False


def math_span(tex: str, display: bool = False) -> str:
    """One formula as a span for KaTeX; the TeX is escaped, so it reads as source without JavaScript."""
    kind = "display" if display else "inline"
    rendered = katex.render(tex, display)
    if rendered is not None:
        if display:  # a wide formula scrolls in its own box, which the keyboard can reach
            return f'<span class="math display rendered" tabindex="0">{rendered}</span>'
        return f'<span class="math inline rendered">{rendered}</span>'
    return f'<span class="math {kind}">{html.escape(tex, quote=False)}</span>'


SCROLL_TABLE = '<div class="scroll" tabindex="0" role="region" aria-label="{label}">'


_HANGUL = re.compile("[\uac00-\ud7a3]")


def _scroll_tables(body: str, korean: bool) -> str:
    """Each table in a scroll container that the keyboard can reach (a table is the usual cause of a sideways page)."""
    if "<table>" not in body:
        return body
    parts = body.split("<table>")
    out = [parts[0]]
    for n, rest in enumerate(parts[1:], 1):
        label = f"표 {n} (옆으로 스크롤)" if korean else f"Table {n} (scrolls sideways)"
        out.append(SCROLL_TABLE.format(label=label) + "<table>" + rest.replace("</table>", "</table></div>", 1))
    return "".join(out)


def render(text: str) -> str:
    """Markdown with ``$...$`` math → HTML (block level: paragraphs, lists, tables)."""
    return _render(text, katex.mode())


@lru_cache(maxsize=4096)
def _render(text: str, mode: str) -> str:
    token = "MQ" + secrets.token_hex(6) + "X"
    while token in text:  # pragma: no cover - 48 random bits
        token = "MQ" + secrets.token_hex(6) + "X"
    protected, formulas = protect(text, token)
    body = _markdown().convert(protected)
    body = body.replace(f"{token}D", "&#36;")

    def put_back(m: re.Match) -> str:
        tex, display = formulas[int(m.group(1))]
        return math_span(tex, display)

    return _scroll_tables(re.sub(re.escape(token) + r"(\d+)Z", put_back, body), bool(_HANGUL.search(text)))


def render_inline(text: str) -> str:
    """Like ``render`` for a one-paragraph text (a hint): without the surrounding ``<p>``."""
    return _render_inline(text, katex.mode())


@lru_cache(maxsize=4096)
def _render_inline(text: str, mode: str) -> str:
    body = _render(text, mode).strip()
    if body.startswith("<p>") and body.endswith("</p>") and body.count("<p>") == 1:
        body = body[3:-4]
    return body
