"""Jupyter notebooks as submissions: a ``.ipynb`` graded like a ``.py`` file, with "cell N, line M".

Reading: the file's JSON is loaded here (bounded: ``MAX_NOTEBOOK_BYTES``), every output dropped at
once (outputs are never graded, and a 50 MB notebook of plots then costs little), and the rest
handed to nbformat, which upgrades nbformat 1–3 and refuses 5+. Every problem of the file is a
``bad_file`` result with a message saying what to do, never an exception; only a path that is
missing or a folder is a ``UsageError``. Then ``grader.notebook.code`` turns the code cells into
one source (definitions only, IPython lines skipped) with its ``LineMap``, and the source is
graded by ``api.grade_source`` in the isolated child, exactly as a ``.py`` file; its line numbers
come back as (cell, line). A cell with a syntax error is not run, as in Jupyter: the other cells are
graded, and a task whose function only that cell defines gets its syntax error (cell, line).

nbformat is imported here only, and only when a notebook is read. ``check()`` (for Jupyter) lives
in ``grader.notebook.checker``, which imports this module (never the other way round); the package
hands it out as ``from grader.notebook import check``.
"""

from __future__ import annotations

import ast
import json
import warnings
from dataclasses import replace
from pathlib import Path

from grader.errors import UsageError
from grader.exercise.loader import find_exercise
from grader.exercise.spec import Exercise
from grader.grading import api, explain
from grader.grading.verdict import Failure, Verdict
from grader.isolation.sandbox import Limits
from grader.notebook.code import LineMap, Why, broken_defs, drop_scratch_imports, join, prepare, say

__all__ = ["LineMap", "notebook_source", "submit", "submit_any", "submit_with_notes"]

MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # outputs included; they are dropped before anything else
MAX_CODE_BYTES = api.MAX_SOURCE_BYTES  # the code of the cells, as for a .py file
BAD = {
    "json": (
        "노트북이 아닙니다: JSON 형식이 아닙니다 ({where}). .py 파일이라면 이름을 .py로 바꾸세요.",
        "not a notebook: the file is not JSON ({where}). If it is Python code, name it .py.",
    ),
    "not_notebook": ("Jupyter 노트북이 아닙니다: {why}.", "not a Jupyter notebook: {why}."),
    "too_new": (
        "nbformat {version} 노트북은 이 채점기가 읽을 수 없습니다. Jupyter에서 nbformat 4 형식으로 저장하세요.",
        "this grader cannot read nbformat {version} notebooks; save it as nbformat 4 in Jupyter.",
    ),
    "unreadable": (
        "nbformat {version} 노트북을 읽을 수 없습니다 ({why}). Jupyter에서 열어 다시 저장하세요.",
        "cannot read this nbformat {version} notebook ({why}); open it in Jupyter and save it again.",
    ),
    "too_big": (
        "노트북이 {mb} MB로 너무 큽니다 (최대 {max} MB). 모든 출력 지우기(Clear All Outputs) 후 저장하세요.",
        "the notebook is {mb} MB, over the {max} MB limit: clear all outputs (Edit → Clear All Outputs) and save.",
    ),
    "code_too_big": (
        "노트북의 코드가 {kb} KB로 너무 깁니다 (최대 {max} KB).",
        "the notebook's code is {kb} KB, over the {max} KB limit.",
    ),
    "field": (
        "Jupyter 노트북이 아닙니다: {field}의 형식이 {what}입니다 (필요한 형식: {expected}). "
        "Jupyter에서 열어 다시 저장하세요.",
        "not a Jupyter notebook: {field} is {what_en}, expected {expected_en}; open it in Jupyter and save it again.",
    ),
    "binary": ("노트북이 UTF-8 텍스트가 아닙니다 (바이트 {at}).", "the notebook is not UTF-8 text (byte {at})."),
    "no_code": (
        "노트북에 코드 셀이 없습니다. 함수는 코드 셀에 작성하세요.",
        "the notebook has no code cell: write your functions in code cells.",
    ),
    "language": (
        "이 노트북의 언어는 Python이 아니라 {language}입니다.",
        "this notebook's language is {language}, not Python.",
    ),
}


# --------------------------------------------------------------------------- reading a file


def _bad(code: str, lang: str, **params) -> Failure:
    return Failure("bad_file", Why("bad_file", {"message": say(BAD, code, lang, **params)}))


def _read(path: Path, lang: str) -> tuple[bytes | None, Failure | None]:
    try:
        if path.is_dir():
            raise IsADirectoryError
        info = path.stat()
        size = info.st_size
        if info.st_nlink > 1:
            return None, api.hard_link_failure(info.st_nlink)
        if size > MAX_NOTEBOOK_BYTES:
            return None, _bad("too_big", lang, mb=-(-size // 2**20), max=MAX_NOTEBOOK_BYTES // 2**20)
        return path.read_bytes(), None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a .ipynb file") from None


def _load_json(raw: bytes, lang: str) -> tuple[dict | None, Failure | None]:
    if len(raw) > MAX_NOTEBOOK_BYTES:
        return None, _bad("too_big", lang, mb=-(-len(raw) // 2**20), max=MAX_NOTEBOOK_BYTES // 2**20)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, _bad("binary", lang, at=exc.start)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, _bad("json", lang, where=f"line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        return None, _bad("json", lang, where="nested too deeply")
    if not isinstance(data, dict) or "nbformat" not in data:
        why = "no 'nbformat' key" if isinstance(data, dict) else f"the JSON is a {type(data).__name__}"
        return None, _bad("not_notebook", lang, why=why)
    return data, None


JSON_KO = {
    "object": "객체",
    "array": "배열",
    "string": "문자열",
    "number": "숫자",
    "boolean": "참/거짓",
    "null": "null",
}
TEXT = ("string", "array of strings")


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "null")


def _fits(value, expected: tuple[str, ...]) -> bool:
    kind = _json_type(value)
    if kind in expected:
        return True
    return "array of strings" in expected and kind == "array" and all(isinstance(v, str) for v in value)


def field_problem(data: dict) -> tuple[str, object, tuple[str, ...]] | None:
    """The first field of a notebook's JSON whose type is wrong: (its path, its value, what it must be).

    Checked field by field before anything reads the notebook (nbformat included): every field the
    grader or nbformat's upgrade reads, for nbformat 4 and for the worksheets of nbformat 1-3."""
    wanted: list[tuple[str, object, tuple[str, ...]]] = [("metadata", data.get("metadata", {}), ("object",))]
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    for key in ("kernelspec", "language_info", "grader"):
        if key in meta:
            wanted.append((f"metadata.{key}", meta[key], ("object",)))
            inner = meta[key] if isinstance(meta[key], dict) else {}
            for name in ("name", "language", "display_name", "exercise", "lang"):
                if name in inner:
                    wanted.append((f"metadata.{key}.{name}", inner[name], ("string",)))
    sheets = [("", data)]
    if "worksheets" in data:  # nbformat 2 and 3
        wanted.append(("worksheets", data.get("worksheets", []), ("array",)))
        listed = data.get("worksheets") if isinstance(data.get("worksheets"), list) else []
        sheets = [(f"worksheets[{i}].", sheet) for i, sheet in enumerate(listed)]
        wanted += [(f"worksheets[{i}]", sheet, ("object",)) for i, sheet in enumerate(listed)]
    for prefix, sheet in sheets:
        if not isinstance(sheet, dict):
            continue
        wanted.append((f"{prefix}cells", sheet.get("cells", []), ("array",)))
        cells = sheet.get("cells") if isinstance(sheet.get("cells"), list) else []
        for i, cell in enumerate(cells):
            at = f"{prefix}cells[{i}]"
            wanted.append((at, cell, ("object",)))
            if not isinstance(cell, dict):
                continue
            wanted.append((f"{at}.cell_type", cell.get("cell_type"), ("string",)))
            for key in ("source", "input"):
                if key in cell:
                    wanted.append((f"{at}.{key}", cell[key], TEXT))
            for key, kind in (("metadata", "object"), ("outputs", "array"), ("attachments", "object")):
                if key in cell:
                    wanted.append((f"{at}.{key}", cell[key], (kind,)))
    for field, value, expected in wanted:
        if not _fits(value, expected):
            return field, value, expected
    return None


def _field_failure(problem: tuple[str, object, tuple[str, ...]], lang: str) -> Failure:
    field, value, expected = problem
    what = _json_type(value)
    expected_en = " or ".join(f"an {e}" if e[0] in "aeiou" else f"a {e}" for e in expected)
    expected_ko = " 또는 ".join(JSON_KO.get(e, "문자열 배열") for e in expected)
    return _bad(
        "field",
        lang,
        field=field,
        what=JSON_KO[what],
        expected=expected_ko,
        what_en=f"an {what}" if what[0] in "aeiou" else f"a {what}",
        expected_en=expected_en,
    )


def _drop_outputs(data: dict) -> None:
    """Outputs are never graded: drop them before nbformat sees (and validates) the notebook."""
    sheets = data.get("worksheets") if isinstance(data.get("worksheets"), list) else [data]
    for sheet in sheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            if not isinstance(cell, dict):
                continue
            cell.setdefault("metadata", {})
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                if "worksheets" not in data:
                    cell.setdefault("execution_count", None)
    data.setdefault("metadata", {})


def read_cells(raw: bytes, lang: str = "en") -> tuple[list[tuple[str, str]], dict, tuple[Why, ...]] | Failure:
    """The notebook's cells as (cell_type, source), its metadata and notes; or a ``bad_file`` failure."""
    data, failure = _load_json(raw, lang)
    if failure:
        return failure
    size = len(raw)
    version = data.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return _bad("not_notebook", lang, why=f"nbformat is {json.dumps(version)}")
    if version > 4:
        return _bad("too_new", lang, version=version)
    problem = field_problem(data)
    if problem is not None:
        return _field_failure(problem, lang)
    _drop_outputs(data)
    try:
        import nbformat
    except ImportError:
        raise UsageError("reading a notebook needs the nbformat package: pip install nbformat") from None

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any nbformat failure is the file's, told in one line
        why = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return _bad("unreadable", lang, version=version, why=why)
    notes = []
    if version < 4:
        notes.append(Why("converted", {"version": version}))
    if size > 4 * 2**20:
        notes.append(Why("outputs", {"mb": -(-size // 2**20)}))
    meta = nb.get("metadata") or {}
    language = (meta.get("kernelspec") or {}).get("language") or (meta.get("language_info") or {}).get("name")
    if isinstance(language, str) and language.lower() not in ("python", "python3", ""):
        return _bad("language", lang, language=language)
    cells = [(c.get("cell_type", ""), c.get("source", "")) for c in nb.cells]
    cells = [(kind, "".join(src) if isinstance(src, list) else str(src)) for kind, src in cells]
    if not any(kind == "code" for kind, _ in cells):
        return _bad("no_code", lang)
    grader_meta = meta.get("grader") if isinstance(meta.get("grader"), dict) else {}
    return cells, dict(grader_meta), tuple(notes)


def notebook_source(notebook: Path | bytes, lang: str = "en") -> tuple[str, LineMap] | Failure:
    """The graded source of a notebook (a path, or its bytes) and its line map, or a ``Failure``.

    For batch grading, with the bytes already read: ``api.grade_source(ex, source, name, points,
    student)``, then ``line_map.relocate(verdict)``, then ``explain.localize``; or simply
    ``notebook.submit``. Raises ``UsageError`` only when a path is missing or a folder.
    """
    if isinstance(notebook, (bytes, bytearray)):
        raw = bytes(notebook)
    else:
        raw, failure = _read(Path(notebook), lang)
        if failure:
            return failure
    got = read_cells(raw, lang)
    if isinstance(got, Failure):
        return got
    cells, meta, notes = got
    code = sum(len(text.encode("utf-8", "surrogatepass")) for kind, text in cells if kind == "code")
    if code > MAX_CODE_BYTES:
        return _bad("code_too_big", lang, kb=code // 1024, max=MAX_CODE_BYTES // 1024)
    parsed, extra, broken = [], [], []
    for index, (kind, text) in enumerate(cells, 1):
        if kind != "code":
            continue
        cell, cell_notes = prepare(index, text)
        extra += cell_notes
        if cell is None:
            continue
        if cell.error is not None:  # not run, as in Jupyter: the other cells are graded (check() agrees)
            broken.append(cell)
            extra.append(Why("not_run", {"cell": cell.label, "line": cell.error.lineno or 1}))
            continue
        parsed.append(cell)
    source, line_map = join(parsed)
    if len(source.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
        kb = len(source.encode("utf-8", "surrogatepass")) // 1024
        return _bad("code_too_big", lang, kb=kb, max=MAX_CODE_BYTES // 1024)
    defined = {s.name for c in parsed for s in c.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    missing = tuple(b for c in broken for b in broken_defs(c) if b[0] not in defined)
    missing += broken_defs(broken[0], anyway=True)[-1:] if broken else ()  # the "" entry: see LineMap.broken
    return source, replace(line_map, notes=notes + tuple(extra) + line_map.notes, metadata=meta, broken=missing)


# --------------------------------------------------------------------------- grading


def for_exercise(ex: Exercise, source: str, line_map: LineMap) -> tuple[str, LineMap]:
    """The notebook's source as graded for this exercise: imports it does not allow that only scratch
    work uses (a plot, a widget) left out, with a note (``notebook.code.drop_scratch_imports``)."""
    return drop_scratch_imports(source, line_map, set(ex.allowed_imports), {t.function for t in ex.tasks})


def grade(
    ex: Exercise,
    source: str,
    line_map: LineMap,
    filename: str,
    student: str | None = None,
    lang: str = "en",
    secret: str | None = None,
    limits: Limits | None = None,
) -> Verdict:
    """Grade a notebook's joined source in the isolated child; lines come back as (cell, line)."""
    verdict = api.verdict_of(ex, source, filename, student, secret, limits)
    return explain.localize(line_map.relocate(verdict), lang)


def failed(ex: Exercise, student: str | None, failure: Failure, lang: str) -> Verdict:
    return explain.localize(api.failed_verdict(ex, student, failure), lang)


def _exercise(path: Path, exercise: str | Exercise | None, meta: dict, exercises_dir: Path | None):
    if isinstance(exercise, Exercise):
        return exercise, ()
    if exercise:
        return find_exercise(exercise, exercises_dir), ()
    try:
        return find_exercise(path.stem, exercises_dir), ()
    except UsageError:
        named = meta.get("exercise")
        if not isinstance(named, str) or not named:
            raise
        return find_exercise(named, exercises_dir), (Why("exercise_from_metadata", {"exercise": named}),)


def submit_with_notes(
    path: Path,
    exercise: str | Exercise | None = None,
    student: str | None = None,
    lang: str = "en",
    exercises_dir: Path | None = None,
    secret: str | None = None,
    limits: Limits | None = None,
) -> tuple[Verdict, list[str]]:
    """``api.submit`` for a notebook, with the notes (skipped lines and cells) in ``lang``.

    The exercise comes from ``exercise``, else the file's stem, else the notebook's metadata
    (``grade init --format ipynb`` writes it there), so "Copy of exercise03.ipynb" still grades.
    """
    path = Path(path)
    got = notebook_source(path, lang)
    meta = {} if isinstance(got, Failure) else got[1].metadata
    ex, found_notes = _exercise(path, exercise, meta, exercises_dir)
    if isinstance(got, Failure):
        return failed(ex, student, got, lang), []
    source, line_map = for_exercise(ex, *got)
    line_map = replace(line_map, notes=found_notes + line_map.notes)
    verdict = grade(ex, source, line_map, path.name, student, lang, secret, limits)
    return verdict, line_map.texts(lang)


def submit(
    path: Path,
    exercise: str | Exercise | None = None,
    student: str | None = None,
    lang: str = "en",
    exercises_dir: Path | None = None,
    secret: str | None = None,
    limits: Limits | None = None,
) -> Verdict:
    """Grade one notebook: the same signature and result as ``api.submit`` (for batch grading)."""
    return submit_with_notes(path, exercise, student, lang, exercises_dir, secret, limits)[0]


def submit_any(
    path: Path,
    exercise: str | Exercise | None = None,
    student: str | None = None,
    lang: str = "en",
    exercises_dir: Path | None = None,
    secret: str | None = None,
    limits: Limits | None = None,
) -> tuple[Verdict, list[str]]:
    """A ``.ipynb`` through ``submit_with_notes``, anything else through ``api.submit`` (no notes)."""
    if Path(path).suffix.lower() == ".ipynb":
        return submit_with_notes(path, exercise, student, lang, exercises_dir, secret, limits)
    return api.submit(Path(path), exercise, student, lang, exercises_dir, secret, limits), []
