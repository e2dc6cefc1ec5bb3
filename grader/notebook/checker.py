"""``check("exercise03")`` inside Jupyter: grade the notebook's functions from its source, in place.

Where the code comes from: the kernel's input history (``history_manager.input_hist_raw``, the
same list as ``In``), i.e. the cells as they were run in this kernel, in the order they were run.
It is there in every front end that runs an IPython kernel (JupyterLab, Notebook, VS Code, Colab,
nbclient, a terminal IPython) and it is never stale. The notebook *file* is not used by default:
Jupyter writes it only on save or autosave (every two minutes), Colab keeps it in Drive, and
nbclient or VS Code do not tell the kernel its path. ``check(..., path="x.ipynb")`` grades a
saved file instead, as ``grade submit`` does.

From the history: each run cell is read like a notebook cell (IPython lines blanked, scratch
work left out, see ``grader.notebook.code``); a cell that did not parse is skipped (it ran
nothing), and when it was the latest run of a function, that function counts as not written,
with the cell's syntax error, as it is in the saved file; and because a cell run twice is in the
history twice, a definition (by the names it binds) is kept from its latest run, at the place of
its first run: the order of the notebook as it was first run top to bottom, with the code as it
is now, as a "Run All" would have it. The
joined source then goes to the same isolated child as ``grade submit``: no function object of
the kernel is ever called or even looked at. Cells are named by their execution count, ``[7]``,
as Jupyter shows them.

Shown under the cell as HTML (``IPython.display``), with a plain-text version for front ends
that show text only; in a terminal IPython (or plain Python with ``path=``) as the terminal report.
This is a self-check: the kernel is the student's own process, so it proves nothing to an
instructor; the grade is the one of ``grade submit`` or batch grading of the submitted file.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.errors import GraderError, UsageError
from grader.exercise.loader import find_exercise
from grader.exercise.spec import Exercise
from grader.grading.explain import default_lang
from grader.grading.verdict import Verdict, Why
from grader.notebook import code as notebook_code
from grader.notebook import grade as notebook
from grader.notebook import html as notebook_html
from grader.notebook import watch
from grader.notebook.code import LineMap, Parsed

NOT_IN_IPYTHON = (
    "check() grades the notebook it runs in: call it in a Jupyter cell. Outside Jupyter use "
    "`grade submit FILE.ipynb`, or check(EXERCISE, path='FILE.ipynb')."
)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def history_source(entries: list[tuple[str, str]], functions: list[str]) -> tuple[str, LineMap]:
    """The source of cells run in a kernel (``[(label, text)]`` in run order), latest definitions winning."""
    parsed: list[Parsed] = []
    broken: list[tuple[int, Parsed]] = []
    notes: list[Why] = []
    for order, (label, text) in enumerate(entries):
        cell, cell_notes = notebook_code.prepare(label, text)
        notes += [n for n in cell_notes if n.code == "cell_magic"]  # line magics: expected, not news
        if cell is None:
            continue
        if cell.error is not None:
            broken.append((order, cell))
        else:
            parsed.append(cell)
    order_of = {label: i for i, (label, _) in enumerate(entries)}
    missing: dict[str, tuple] = {}
    for order, cell in broken:  # its functions' latest run did not parse: not written, as in the saved file
        later = _defined(c for c in parsed if order_of[c.label] > order)
        stale = [b for b in notebook_code.broken_defs(cell) if b[0] not in later]
        if not stale:
            continue
        notes.append(Why("not_run", {"cell": cell.label, "line": cell.error.lineno or 1}))
        gone = {b[0] for b in stale}
        for c in parsed:
            if order_of[c.label] < order and c.tree:
                c.tree.body = [s for s in c.tree.body if not (_is_def(s) and s.name in gone)]
        missing.update({b[0]: b for b in stale})
    source, line_map = notebook_code.join(parsed, latest_wins=True)
    defined = {s.name for c in parsed if c.tree for s in c.tree.body if isinstance(s, ast.FunctionDef)}
    if not defined & set(functions) and not set(functions) & set(missing):
        notes.append(Why("nothing_run", {}))
    return source, LineMap(line_map.places, tuple(notes) + line_map.notes, broken=tuple(missing.values()))


def _is_def(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))


def _defined(cells) -> set[str]:
    return {s.name for c in cells if c.tree for s in c.tree.body if _is_def(s)}


def kernel_entries(shell) -> list[tuple[str, str]]:
    raw = list(getattr(shell.history_manager, "input_hist_raw", []) or [])
    return [(f"[{i}]", text) for i, text in enumerate(raw) if i > 0 and isinstance(text, str) and text.strip()]


def grade_here(
    exercise: str, lang: str = "en", path: str | Path | None = None, exercises_dir=None
) -> tuple[Verdict, list[str], Exercise]:
    """The verdict for this kernel's cells (or the notebook at ``path``), its notes and the exercise."""
    ex = find_exercise(exercise, exercises_dir)
    if path is not None:
        verdict, notes = notebook.submit_any(Path(path), ex, lang=lang)
        return verdict, notes, ex
    shell = _shell()
    if shell is None or getattr(shell, "history_manager", None) is None:
        raise UsageError(NOT_IN_IPYTHON)
    source, line_map = notebook.for_exercise(ex, *history_source(kernel_entries(shell), [t.function for t in ex.tasks]))
    verdict = notebook.grade(ex, source, line_map, f"{ex.id}.ipynb", None, lang)
    return verdict, line_map.texts(lang), ex


def _in_jupyter(shell) -> bool:
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(ex: Exercise, verdict: Verdict, notes: list[str]) -> None:
    shell = _shell()
    title = ex.title.get(verdict.lang)
    if _in_jupyter(shell):
        from IPython.display import display

        text = "\n".join([f"{verdict.exercise} — {title}", *watch.summary(verdict, notes)])
        display({"text/html": notebook_html.fragment(ex, verdict, notes), "text/plain": text}, raw=True)
        return
    from grader.report import terminal

    print(terminal.render(terminal.report(verdict, title), terminal.wants_colour()))
    for note in notes:
        print(f"{'참고' if verdict.lang == 'ko' else 'note'}: {note}")


def _show_error(message: str) -> None:
    shell = _shell()
    if _in_jupyter(shell):
        from IPython.display import display

        html = f'<div class="grade-report" style="color:#c0262d">✗ {notebook_html.e(message)}</div>'
        display({"text/html": html, "text/plain": f"error: {message}"}, raw=True)
    else:
        print(f"error: {message}")


def check(exercise: str, lang: str | None = None, path: str | Path | None = None, exercises_dir=None) -> None:
    """In Jupyter: grade the functions this notebook defines and show the report under the cell.

    The code is the cells you have run in this kernel (``path``: a saved notebook file instead),
    graded in an isolated process exactly as ``grade submit`` would. A problem of use (an unknown
    exercise, not in Jupyter) is shown, never raised.
    """
    lang = lang or default_lang()
    if lang not in ("ko", "en"):
        _show_error(f"lang must be 'ko' or 'en', not {lang!r}")
        return
    try:
        verdict, notes, ex = grade_here(exercise, lang, path, exercises_dir)
    except GraderError as exc:
        _show_error(str(exc))
        return
    show(ex, verdict, notes)
