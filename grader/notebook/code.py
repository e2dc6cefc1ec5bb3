"""A notebook's cells → one Python source for the isolated child, and the map back to cells.

What runs, the same for ``grade submit x.ipynb``, batch grading and ``check()`` in Jupyter: the
notebook's *definitions*, in order: imports, functions, classes and assignments. The rest of the
top level of a cell is scratch work that the grader does not run (a note says where):
``print(my_fn(2))``, plots, loops, asserts, and assignments that call the notebook's own functions
(``g = exp_backward(1, 2)``). So a try-out cell that calls an unfinished function cannot cost the
finished ones their marks, and the check cell's own call never runs in the child. IPython lines
(``%matplotlib``, ``!pip``, ``obj?``) are blanked and ``%%`` cells skipped, with a note; the check
cell (``from grader.notebook import check; check(...)``) is left out silently.

``LineMap`` remembers, for each line of the joined source, the cell and the line in that cell;
``LineMap.relocate`` turns every line number of a verdict back into (cell, line): the ``Why`` of
a message gets ``cell`` and ``line`` params, which ``explain`` renders as "cell 3, line 2".
Cells are numbered from 1 counting every cell from the top, Markdown ones included; in a kernel's
history (``grader.notebook.checker``) a cell is named by its execution count, ``[7]``, as Jupyter
shows it. Only the standard library is used here: cells are parsed with ``ast``, never run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace

from grader.grading.verdict import Failure, Verdict, Why

Cell = int | str  # 3 in a file; "[7]" (an execution count) in a running kernel

NOTES = {
    "magic": (
        "{cell}번 셀 {lines}번째 줄: IPython 명령({what})은 채점하지 않습니다.",
        "cell {cell}, {line_word} {lines}: IPython syntax ({what}) is skipped.",
    ),
    "cell_magic": (
        "{cell}번 셀: {what} 셀은 채점하지 않습니다. 함수를 정의한다면 첫 줄의 {what} 를 지우세요.",
        "cell {cell}: a {what} cell is skipped; if it defines your functions, remove its {what} line.",
    ),
    "scratch": (
        "정의가 아닌 코드는 채점할 때 실행하지 않습니다 (print, 시험 호출, 그림 등): {places}",
        "Not run when grading, as it is not a definition (prints, try-outs, plots): {places}",
    ),
    "converted": (
        "nbformat {version} 노트북을 4로 변환해 읽었습니다.",
        "read an nbformat {version} notebook, converted to 4.",
    ),
    "outputs": ("노트북 출력 {mb} MB는 무시했습니다.", "ignored the notebook's outputs ({mb} MB)."),
    "not_run": (
        "{cell}번 셀은 문법 오류로 실행되지 않았습니다 ({line}번째 줄): 고친 뒤 다시 실행하세요. "
        "이전 정의로 채점합니다.",
        "cell {cell} did not run: syntax error at line {line}; fix it and run it again. "
        "The earlier definitions are graded.",
    ),
    "nothing_run": (
        "이 커널에서 실행한 셀에 과제 함수가 없습니다. 함수가 있는 셀을 먼저 실행하세요 (Run All).",
        "no task function was run in this kernel: run the cells with your functions first (Run All).",
    ),
    "exercise_from_metadata": (
        "파일 이름 대신 노트북 정보에 적힌 과제 {exercise}로 채점합니다.",
        "graded as {exercise}, the exercise named in the notebook's metadata.",
    ),
}


def say(table: dict, code: str, lang: str, **params) -> str:
    return table[code][0 if lang == "ko" else 1].format(**params)


def place_text(cell: Cell, line: int, lang: str) -> str:
    return f"{cell}번 셀 {line}번째 줄" if lang == "ko" else f"cell {cell}, line {line}"


def note_text(note: Why, lang: str) -> str:
    params = dict(note.params)
    if note.code == "magic":
        params["line_word"] = "lines" if "," in str(params.get("lines")) else "line"
    if note.code == "scratch":
        shown = "; ".join(place_text(c, line, lang) for c, line in params["places"])
        params["places"] = shown + (f" (+{params['more']})" if params.get("more") else "")
    return say(NOTES, note.code, lang, **params)


# --------------------------------------------------------------------------- the line map


@dataclass(frozen=True)
class LineMap:
    """Line ``i`` of the joined source is line ``places[i - 1][1]`` of cell ``places[i - 1][0]``."""

    places: tuple[tuple[Cell, int], ...] = ()
    notes: tuple[Why, ...] = ()
    metadata: dict = field(default_factory=dict)  # the notebook's "grader" metadata (exercise, lang)

    def where(self, line: int | None) -> tuple[Cell, int] | None:
        if isinstance(line, int) and 1 <= line <= len(self.places):
            return self.places[line - 1]
        return None

    def texts(self, lang: str) -> list[str]:
        return [note_text(n, lang) for n in self.notes]

    def relocate(self, verdict: Verdict) -> Verdict:
        """Every line number of ``verdict`` turned into (cell, line in that cell)."""

        def why(w: Why | None) -> Why | None:
            place = self.where(w.params.get("line")) if w else None
            return replace(w, params={**w.params, "cell": place[0], "line": place[1]}) if place else w

        def failure(f: Failure | None) -> Failure | None:
            if f is None:
                return None
            place = self.where(f.line)
            return replace(f, why=why(f.why), line=place[1] if place else f.line)

        def blame(b):
            return replace(b, why=why(b.why)) if b else None

        tasks = tuple(
            replace(
                t,
                checks=tuple(replace(c, why=why(c.why)) for c in t.checks),
                blame=blame(t.blame),
                also=tuple(blame(b) for b in t.also),
                error=failure(t.error),
            )
            for t in verdict.tasks
        )
        return replace(verdict, error=failure(verdict.error), tasks=tasks)


# --------------------------------------------------------------------------- IPython syntax


def _is_ipython(line: str) -> bool:
    s = line.strip()
    return (
        s.startswith(("%", "!", "?"))
        or re.fullmatch(r"[\w.]+\?{1,2}", s) is not None  # obj? and obj?? (help)
        or re.match(r"[\w.]+(\s*,\s*[\w.]+)*\s*=\s*[!%]", s) is not None  # files = !ls, t = %timeit -o f()
    )


def _scan(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool]:
    """Bracket depth, open triple-quoted string and backslash continuation after ``line``."""
    i, n, comment = 0, len(line), False
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
            elif line.startswith(quote, i):
                i, quote = i + len(quote), None
            else:
                i += 1
            continue
        if ch == "#":
            comment = True
            break
        if ch in "\"'":
            quote = ch * 3 if line.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        i += 1
    if quote in ("'", '"'):
        quote = None  # an unclosed one-line string: a syntax error that the parser will name
    return max(depth, 0), quote, not comment and line.rstrip().endswith("\\")


def strip_ipython(text: str) -> tuple[str, list[int]]:
    """``text`` with IPython-only lines blanked (``pass`` where indented), and their line numbers.

    Only lines where a statement can start are looked at: not inside brackets, a triple-quoted
    string or after a backslash, so ``% b`` continuing an expression and docstrings stay as they are.
    """
    out, found = [], []
    depth, quote, cont = 0, None, False
    for no, line in enumerate(text.split("\n"), 1):
        if depth == 0 and quote is None and not cont and _is_ipython(line):
            found.append(no)
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}pass" if indent else "")
            continue
        depth, quote, cont = _scan(line, depth, quote)
        out.append(line)
    return "\n".join(out), found


# --------------------------------------------------------------------------- which statements run


def _called(node: ast.AST) -> set[str]:
    """Root names of the calls ``node`` makes when it runs (a lambda's body does not run)."""
    names, stack = set(), [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Lambda):
            continue
        if isinstance(item, ast.Call):
            func = item.func
            while isinstance(func, ast.Attribute):
                func = func.value
            if isinstance(func, ast.Name):
                names.add(func.id)
        stack.extend(ast.iter_child_nodes(item))
    return names


def _grader_import(stmt: ast.stmt) -> set[str] | None:
    """The names bound by an import of ``grader`` (the check cell), or None for any other statement."""
    if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] == "grader" for a in stmt.names):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and (stmt.module or "").split(".")[0] == "grader":
        return {a.asname or a.name for a in stmt.names}
    return None


def bound_names(stmt: ast.stmt) -> set[str]:
    """Names a kept statement binds at the top level (which later run replaces it, in a kernel's history)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.ImportFrom):
        return {a.asname or a.name for a in stmt.names if a.name != "*"}
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    names = set()
    for target in targets:
        for node in ast.walk(target) if target is not None else ():
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, (ast.Attribute, ast.Subscript)):
                return set()  # changes an object: never replaced
    return names


def classify(stmt: ast.stmt, own: set[str], grader_names: set[str]) -> str:
    """``keep`` (a definition), ``scratch`` (not run, noted) or ``quiet`` (not run, not noted)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return "quiet" if _grader_import(stmt) is not None else "keep"
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "keep"
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return "quiet"
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        called = _called(stmt.value) if stmt.value is not None else set()
        if called & grader_names:
            return "quiet"
        return "scratch" if called & own else "keep"
    if isinstance(stmt, ast.Expr) and _called(stmt.value) & grader_names:
        return "quiet"
    return "scratch"


@dataclass
class Parsed:
    label: Cell
    text: str  # IPython lines blanked
    tree: ast.Module | None
    error: SyntaxError | None = None


def parse_cell(label: Cell, text: str) -> Parsed:
    try:
        return Parsed(label, text, ast.parse(text))
    except SyntaxError as exc:
        return Parsed(label, text, None, exc)
    except (ValueError, RecursionError, MemoryError) as exc:
        return Parsed(label, text, None, SyntaxError(str(exc) or type(exc).__name__))


def _segment(lines: list[str], stmt: ast.stmt) -> tuple[int, list[str]]:
    """The statement's first line and its text, starting at column 0 (offsets are UTF-8 bytes)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        first = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list])
        return first, lines[first - 1 : stmt.end_lineno]
    first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
    text = [line.encode("utf-8", "surrogatepass") for line in lines[first - 1 : last]]
    text[-1] = text[-1][: stmt.end_col_offset]
    text[0] = text[0][stmt.col_offset :]
    return first, [t.decode("utf-8", "surrogatepass") for t in text]


def join(cells: list[Parsed], latest_wins: bool = False) -> tuple[str, LineMap]:
    """The kept statements of parsed cells as one source and its line map (notes: the scratch)."""
    own = {
        s.name
        for c in cells
        if c.tree
        for s in c.tree.body
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    grader_names = set().union(*(_grader_import(s) or set() for c in cells if c.tree for s in c.tree.body))
    kept, scratch = [], []
    for cell in cells:
        for stmt in cell.tree.body if cell.tree else ():
            kind = classify(stmt, own, grader_names)
            if kind == "keep":
                kept.append((cell, stmt))
            elif kind == "scratch":
                scratch.append((cell.label, stmt.lineno))
    if latest_wins:  # a kernel's history: each definition from its latest run, where it was first run
        slots: dict[tuple, tuple[Parsed, ast.stmt]] = {}
        for n, (cell, stmt) in enumerate(kept):
            names = bound_names(stmt)
            slots[tuple(sorted(names)) if names else ("", n)] = (cell, stmt)
        kept = list(slots.values())
    lines, places = [], []
    split: dict[int, list[str]] = {}
    for cell, stmt in kept:
        first, text = _segment(split.setdefault(id(cell), cell.text.split("\n")), stmt)
        lines += text
        places += [(cell.label, first + k) for k in range(len(text))]
    notes = ()
    if scratch:
        notes = (Why("scratch", {"places": [list(p) for p in scratch[:8]], "more": max(0, len(scratch) - 8)}),)
    return "\n".join(lines) + ("\n" if lines else ""), LineMap(tuple(places), notes)


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def prepare(label: Cell, text: str) -> tuple[Parsed | None, list[Why]]:
    """One code cell: IPython lines blanked and noted, then parsed; None for a ``%%`` cell."""
    text = _normal(text)
    head = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if head.startswith("%%"):
        return None, [Why("cell_magic", {"cell": label, "what": head.split()[0]})]
    clean, found = strip_ipython(text)
    notes = []
    if found:
        lines = text.split("\n")
        words = (re.search(r"[%!?]+[\w.-]*|\S+", lines[i - 1]) for i in found)
        what = ", ".join(dict.fromkeys(w.group(0)[:20] for w in words if w))
        notes.append(Why("magic", {"cell": label, "lines": ", ".join(map(str, found)), "what": what}))
    return parse_cell(label, clean), notes
