"""YAML → validated models. Every error carries the file, the line and the key path.

The YAML is composed into nodes first, so that each key path can be mapped back to the line it
came from; duplicate keys, which PyYAML silently accepts, are refused here.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader.engine import GATES, EvaluationError, trace
from grader.errors import ExerciseError, UsageError
from grader.exercise import cache as exercise_cache
from grader.exercise import where
from grader.exercise.spec import Exercise, is_identifier

Path_ = tuple[str | int, ...]
MAX_FILE_BYTES = 1_000_000


# --------------------------------------------------------------------------- YAML with lines


def read_bytes(path: Path) -> bytes:
    """A file's bytes; a missing or unreadable file is a usage error naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file; return the data and a map from key path to 1-based line."""
    return decode_yaml(read_bytes(path), path)


def decode_yaml(raw: bytes, path: Path) -> tuple[Any, dict[Path_, int]]:
    if len(raw) > MAX_FILE_BYTES:
        raise ExerciseError(path, None, "", f"the file is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExerciseError(path, line, "", f"not UTF-8 text (byte {exc.start})") from None
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path | None = None, loader_class=None) -> tuple[Any, dict[Path_, int]]:
    import yaml  # here, not above: an exercise read back from the cache needs no YAML

    if loader_class is None:
        loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~50x faster
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = _walk(loader, root, (), lines, path) if root is not None else None
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:  # the pure-Python parser words its errors better
            return parse_yaml(text, path, yaml.SafeLoader)
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            problem = " ".join(p for p in (exc.context, exc.problem) if p)
            raise ExerciseError(path, line, "", f"invalid YAML: {problem}") from None
        raise ExerciseError(path, None, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, lines


def _walk(loader, node, at: Path_, lines: dict[Path_, int], path) -> Any:
    lines[at] = node.start_mark.line + 1
    if node.id == "mapping":  # yaml.MappingNode
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise ExerciseError(path, key_node.start_mark.line + 1, dotted(at), "a key must be a plain value")
            if key in out:
                raise ExerciseError(path, key_node.start_mark.line + 1, dotted((*at, key)), "this key appears twice")
            out[key] = _walk(loader, value_node, (*at, key), lines, path)
            lines[(*at, key)] = key_node.start_mark.line + 1
        return out
    if node.id == "sequence":  # yaml.SequenceNode
        return [_walk(loader, item, (*at, i), lines, path) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # a timestamp that is no date (2026-02-30), an out-of-range number
        raise ExerciseError(path, lines[at], dotted(at), f"'{node.value}' is not a valid value ({exc})") from None


def dotted(at: Path_) -> str:
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_of(lines: dict[Path_, int], at: Path_) -> int | None:
    for cut in range(len(at), -1, -1):
        if at[:cut] in lines:
            return lines[at[:cut]]
    return None


# --------------------------------------------------------------------------- pydantic errors


def _fields(tp: Any) -> dict[str, Any] | None:
    """The keys a model (a pydantic model or one of spec's dataclasses) takes, with their types."""
    if not isinstance(tp, type):
        return None
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return {f.name: hints[f.name] for f in dataclasses.fields(tp)}
    model_fields = getattr(tp, "model_fields", None)  # pydantic.BaseModel
    return {name: f.annotation for name, f in model_fields.items()} if isinstance(model_fields, dict) else None


def _model_at(model: Any, at: Path_) -> dict[str, Any] | None:
    """The keys of the model that owns the last key of ``at``, for listing them."""
    current: Any = model
    for part in at:
        current = _unwrap(current)
        fields = _fields(current)
        if fields is not None:
            if str(part) not in fields:
                return None
            current = fields[str(part)]
        elif typing.get_origin(current) in (list, dict, tuple):
            current = typing.get_args(current)[-1]
        else:
            return None
    return _fields(_unwrap(current))


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) in (typing.Union, types.UnionType, typing.Annotated):
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        models = [a for a in args if _fields(a) is not None]
        tp = models[0] if models else args[0]
    return tp


def _explain(error: dict, model: Any) -> tuple[Path_, str]:
    at = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "float"))))
    kind = error["type"]
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        owner = _model_at(model, at[:-1])
        known = ", ".join(owner) if owner else ""
        return at, f"unknown key '{at[-1]}'" + (f" (known: {known})" if known else "")
    if kind in ("missing", "missing_keyword_only_argument", "missing_argument"):
        return at, f"missing key '{at[-1]}'"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = error.get("input")
    if kind in ("float_parsing", "float_type", "finite_number", "int_type", "int_parsing"):
        message = f"{message}, got {value!r}"
    return at, message


@functools.cache
def _adapter(model: Any):
    from pydantic import TypeAdapter

    return TypeAdapter(model)


def validate(model: Any, data: Any, lines: dict[Path_, int], path: Path | None):
    """``data`` as a ``model`` (a pydantic model or one of spec's dataclasses), or an error at its line."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise ExerciseError(path, 1, "", "the file must be a mapping of keys (id, title, graph, ...)")
    try:
        return _adapter(model).validate_python(data)
    except ValidationError as exc:
        # Report the error deepest in the file first; union noise (both branches) is trimmed.
        at, message = _explain(exc.errors()[0], model)
        raise ExerciseError(path, line_of(lines, at), dotted(at), message) from None


# --------------------------------------------------------------------------- exercises


def load_exercise(path: Path) -> Exercise:
    """A validated exercise; a file validated before comes from ``exercise_cache``, without pydantic."""
    raw = read_bytes(path)
    exercise = exercise_cache.load(path, raw)
    if exercise is None:
        exercise = _validate_exercise(path, raw)
        exercise_cache.store(path, raw, exercise)
    exercise.set_source(path, hashlib.sha256(raw).hexdigest())
    return exercise


def _validate_exercise(path: Path, raw: bytes) -> Exercise:
    data, lines = decode_yaml(raw, path)
    if isinstance(data, dict) and "questions" in data:
        raise ExerciseError(path, lines.get(("questions",)), "questions", "this is a quiz, not an exercise")
    exercise = validate(Exercise, data, lines, path)
    for at, message in check_exercise(exercise, path):
        raise ExerciseError(path, line_of(lines, at), dotted(at), message)
    return exercise


def check_exercise(ex: Exercise, path: Path | None) -> Iterator[tuple[Path_, str]]:
    """The checks that need the whole file, each as (key path, message), in file order."""
    if path is not None and ex.id != path.stem:
        yield ("id",), f"'{ex.id}' must equal the file's name '{path.stem}'"
    if not is_identifier(ex.id):
        yield ("id",), f"'{ex.id}' is not an identifier (letters, digits, _)"
    graph_problems = list(_check_graph(ex))
    yield from graph_problems
    if graph_problems:
        return  # nothing below makes sense without a graph
    yield from _check_points(ex)
    yield from _check_tasks(ex)
    for i, name in enumerate(ex.allowed_imports):
        if not all(is_identifier(p) for p in name.split(".")):
            yield ("allowed_imports", i), f"'{name}' is not a module name"


def _check_graph(ex: Exercise) -> Iterator[tuple[Path_, str]]:
    g = ex.graph
    for i, name in enumerate(g.inputs):
        if not is_identifier(name):
            yield ("graph", "inputs", i), f"'{name}' is not an identifier"
        if name in g.inputs[:i]:
            yield ("graph", "inputs", i), f"input '{name}' is listed twice"
    names = set(g.inputs) | set(g.nodes)
    for name, node in g.nodes.items():
        at = ("graph", "nodes", name)
        if not is_identifier(name):
            yield at, f"'{name}' is not an identifier"
        if name in g.inputs:
            yield at, f"'{name}' is both an input and a node"
        gate = GATES[node.op]
        n = len(node.args)
        if n < gate.min_args or (gate.max_args is not None and n > gate.max_args):
            yield (*at, "args"), f"gate '{node.op}' takes {gate.arity_text()} argument(s), got {n}"
        for j, arg in enumerate(node.args):
            if j in gate.constant_args and isinstance(arg, str):
                yield (*at, "args", j), f"gate '{node.op}' needs a number here, not '{arg}'"
            elif isinstance(arg, str) and arg not in names:
                known = ", ".join([*g.inputs, *g.nodes])
                yield (*at, "args", j), f"'{arg}' is not an input or node (known: {known})"
    if g.output not in g.nodes:
        yield ("graph", "output"), f"'{g.output}' is not a node (nodes: {', '.join(g.nodes)})"
        return
    try:
        graph = g.build()
    except ValueError as exc:
        yield ("graph", "nodes"), str(exc)
        return
    reach = graph.depth_from_output()
    for name in g.nodes:
        if name not in reach:
            yield ("graph", "nodes", name), f"node '{name}' does not lead to the output '{g.output}'"


def _check_points(ex: Exercise) -> Iterator[tuple[Path_, str]]:
    inputs = ex.graph.inputs
    for i, point in enumerate(ex.points):
        for name in inputs:
            if name not in point:
                yield ("points", i), f"the point is missing input '{name}'"
        for name in point:
            if name not in inputs:
                yield ("points", i, name), f"'{name}' is not an input (inputs: {', '.join(inputs)})"
        if any(name not in point for name in inputs):
            continue
        try:
            trace(ex.built, point)
        except EvaluationError as exc:
            yield ("points", i), f"the reference is undefined at this public point: {exc}"
    for i, partial in enumerate(ex.edge_points):
        unknown = [name for name in partial if name not in inputs]
        for name in unknown:
            yield ("edge_points", i, name), f"'{name}' is not an input (inputs: {', '.join(inputs)})"
        if unknown or not partial:
            if not partial:
                yield ("edge_points", i), "an edge point sets at least one input (the others: the first point's)"
            continue
        try:
            trace(ex.built, {**ex.points[0], **partial})
        except EvaluationError as exc:
            yield ("edge_points", i), f"the reference is undefined at this edge point: {exc}"
        except KeyError:
            continue  # the first point lacks an input: reported above
    for key in ("ranges", "choices"):
        for name, value in getattr(ex.random, key).items():
            if name not in inputs:
                yield ("random", key, name), f"'{name}' is not an input (inputs: {', '.join(inputs)})"
            if key == "ranges" and value[0] > value[1]:
                yield ("random", key, name), f"the range [{value[0]}, {value[1]}] is empty"
            if key == "choices" and not value:
                yield ("random", key, name), "give at least one choice"
    for name in set(ex.random.ranges) & set(ex.random.choices):
        yield ("random", "choices", name), f"'{name}' is drawn from both ranges and choices"


def _check_tasks(ex: Exercise) -> Iterator[tuple[Path_, str]]:
    inputs, nodes = ex.graph.inputs, ex.graph.nodes
    seen: dict[str, int] = {}
    for i, task in enumerate(ex.tasks):
        at = ("tasks", i)
        if task.function in seen:
            yield (*at, "function"), f"'{task.function}' is already the function of task {seen[task.function]}"
        seen[task.function] = i
        if task.op is not None and not any(n.op == task.op for n in nodes.values()):
            used = ", ".join(sorted({n.op for n in nodes.values()}))
            yield (*at, "op"), f"no node of the graph uses gate '{task.op}' (used: {used})"
        if task.node is not None and task.node not in nodes:
            yield (*at, "node"), f"'{task.node}' is not a node (nodes: {', '.join(nodes)})"
        for key in ("wrt", "params"):
            for j, name in enumerate(getattr(task, key) or []):
                if name not in inputs:
                    yield (*at, key, j), f"'{name}' is not an input (inputs: {', '.join(inputs)})"


# --------------------------------------------------------------------------- lookup


def exercise_dirs(explicit: Path | None = None) -> list[Path]:
    """The course's exercise folder, as a one-element list (the rule is ``grader.exercise.where``)."""
    return [where.exercises(explicit).path]


def resolve(name_or_path: str, explicit: Path | None = None) -> Path:
    """An exercise or quiz id (looked up in the one exercise folder), or a path to its YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        if not candidate.is_file():
            raise UsageError(f"{candidate}: no such file")
        return candidate
    place = where.exercises(explicit)
    for suffix in (".yaml", ".yml"):
        if (place.path / f"{name_or_path}{suffix}").is_file():
            return place.path / f"{name_or_path}{suffix}"
    known = sorted({p.stem for p in place.path.glob("*.y*ml")}) if place.path.is_dir() else []
    raise UsageError(f"unknown exercise '{name_or_path}' (looked in {place}; known: {', '.join(known) or 'none'})")


def find_exercise(name_or_path: str, explicit: Path | None = None) -> Exercise:
    return load_exercise(resolve(name_or_path, explicit))
