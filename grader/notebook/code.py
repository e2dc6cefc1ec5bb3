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
    "scratch_import": (
        "과제에서 허용하지 않는 import ({modules})는 그림·위젯 같은 연습에만 쓰여 채점할 때 "
        "실행하지 않습니다: {places}",
        "Not run when grading: imports the exercise does not allow ({modules}), used only by scratch work "
        "such as plots and widgets, and what depends on them: {places}",
    ),
    "converted": (
        "nbformat {version} 노트북을 4로 변환해 읽었습니다.",
        "read an nbformat {version} notebook, converted to 4.",
    ),
    "outputs": ("노트북 출력 {mb} MB는 무시했습니다.", "ignored the notebook's outputs ({mb} MB)."),
    "not_run": (
        "{cell}번 셀은 문법 오류가 있어 채점하지 않습니다 ({line}번째 줄): 그 셀의 함수는 작성하지 않은 것으로 "
        "봅니다. 고친 뒤 다시 실행하세요.",
        "cell {cell} is not graded: syntax error at line {line}; the functions it defines count as not "
        "written. Fix it and run it again.",
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
    if note.code in ("scratch", "scratch_import"):
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
    broken: tuple[tuple[str, Cell, int, str], ...] = ()  # (function, cell, line, message): defined only in
    # a cell that does not parse, so not written: its task gets the syntax error instead of "missing";
    # function "" is the first such cell, the likely reason when no task function is found at all

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
        return self._blame_broken(replace(verdict, error=failure(verdict.error), tasks=tasks))

    def _blame_broken(self, verdict: Verdict) -> Verdict:
        """A function missing because its cell does not parse is told as that cell's syntax error."""
        where = {name: (cell, line, message) for name, cell, line, message in self.broken}
        if not where:
            return verdict

        def syntax(name: str) -> Failure:
            cell, line, message = where[name]
            why = Why("syntax_error", {"message": message, "line": line, "cell": cell})
            return Failure("syntax_error", why, line=line)

        tasks = tuple(
            replace(t, error=syntax(t.function))
            if t.error is not None and t.error.kind == "missing_function" and t.function in where
            else t
            for t in verdict.tasks
        )
        error = verdict.error
        if error is not None and error.kind == "missing_function":  # no task function at all
            missing = str(error.why.params.get("functions", "")).replace(",", " ").split()
            named = [n for n in missing if n in where] or [n for n in where if n == ""]  # "": the first broken cell
            error = syntax(named[0]) if named else error
        return replace(verdict, error=error, tasks=tasks)


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


DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


def broken_defs(cell: Parsed, anyway: bool = False) -> tuple[tuple[str, Cell, int, str], ...]:
    """The top-level functions a cell that does not parse would define, with its syntax error (with
    ``anyway``, one entry named "" even when it defines none)."""
    exc = cell.error
    message = (exc.msg + (f": {exc.text.strip()}" if exc.text else ""))[:300] if exc else ""
    line = exc.lineno if exc is not None and isinstance(exc.lineno, int) else 1
    names = list(dict.fromkeys(DEF.findall(cell.text))) + ([""] if anyway else [])
    return tuple((name, cell.label, line, message) for name in names)


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


# --------------------------------------------------------------------------- scratch imports


def _top(name: str) -> str:
    return name.split(".")[0]


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _at_load(stmt: ast.stmt) -> list[ast.AST]:
    """What runs when the statement itself runs: for a def, its decorators, defaults and annotations;
    for a class, everything but its methods' bodies; otherwise the statement."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        a = stmt.args
        parts = [*stmt.decorator_list, *a.defaults, *(d for d in a.kw_defaults if d is not None)]
        args = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x is not None)]
        notes = [x.annotation for x in args if x.annotation is not None]
        return parts + notes + ([stmt.returns] if stmt.returns else [])
    if isinstance(stmt, ast.ClassDef):
        inner = [b for b in stmt.body if not isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))]
        methods = [b for b in stmt.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))]
        at_load = [p for m in methods for p in _at_load(m)]
        return [*stmt.decorator_list, *stmt.bases, *stmt.keywords, *inner, *at_load]
    return [stmt]


def _used_by(tasks: set[str], body: list[ast.stmt]) -> set[str]:
    """Every name the task functions use, following the calls into the notebook's own functions."""
    defs = {s.name: s for s in body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    used: set[str] = set()
    seen: set[str] = set()
    todo = [n for n in tasks if n in defs]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        names = _loads(defs[name])
        used |= names
        todo += [n for n in names if n in defs]
    return used | seen


def drop_scratch_imports(source: str, line_map: LineMap, allowed: set[str], tasks: set[str]) -> tuple[str, LineMap]:
    """Leave out imports the exercise does not allow when no task function needs them (``import
    matplotlib.pyplot as plt`` for a plot, ``import ipywidgets``, a scratch ``import numpy``), and
    every top-level statement that would then fail for want of them. An import a task function uses
    stays, so that the child refuses it by name, as it would in a .py file."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return source, line_map
    needed = _used_by(tasks, body)
    gone: set[str] = set()
    drop: list[ast.stmt] = []
    modules: list[str] = []
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            named = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else [stmt.module or "."]
            banned = [m for m in named if stmt_level(stmt) or _top(m) not in allowed]
            bound = bound_names(stmt)
            if banned and not bound & needed:
                drop.append(stmt)
                gone |= bound
                modules += [_top(m) for m in banned]
    changed = bool(gone)
    while changed:  # what the dropped imports would have made fail at load, and what that defined
        changed = False
        for stmt in body:
            if stmt in drop or isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue
            if any(_loads(part) & gone for part in _at_load(stmt)):
                drop.append(stmt)
                gone |= bound_names(stmt) or set()
                changed = True
    if not drop:
        return source, line_map
    lines = source.split("\n")
    cut: set[int] = set()
    for stmt in drop:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        cut |= set(range(first, (stmt.end_lineno or stmt.lineno) + 1))
    kept = [line for n, line in enumerate(lines, 1) if n not in cut]
    places = tuple(p for n, p in enumerate(line_map.places, 1) if n not in cut)
    shown = [list(line_map.places[s.lineno - 1]) for s in drop if s.lineno <= len(line_map.places)]
    note = Why(
        "scratch_import",
        {"modules": ", ".join(dict.fromkeys(modules)), "places": shown[:8], "more": max(0, len(shown) - 8)},
    )
    return "\n".join(kept), replace(line_map, places=places, notes=(*line_map.notes, note))


def stmt_level(stmt: ast.stmt) -> int:
    return getattr(stmt, "level", 0) or 0
