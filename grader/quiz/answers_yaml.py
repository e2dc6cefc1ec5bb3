"""A student's answers file read as plain data, and nothing more.

The file is the student's, so the YAML is read event by event, never composed into a graph: anchors
and aliases are refused where they stand (a 600-byte alias bomb expands to gigabytes), nesting is
bounded (a 20,000-deep list exhausts the recursion of anything that walks it), as are the length of
a text and the digits of a number (``int("9" * 401)`` is fine, ``float`` of it is not), and a text
holding a lone surrogate (``"\\uD800"``, not a character) is refused before any report has to print
it. Only the plain scalar types come out: null, bool, int, float and str (a date stays its text).
Every refusal is an ``ExerciseError`` naming the file, the line and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MAX_DEPTH = 16
MAX_TEXT = 10_000  # characters of one scalar
MAX_DIGITS = 100  # digits of one number
PLAIN = {"null", "bool", "int", "float", "str"}
TAG = "tag:yaml.org,2002:"


def parse_answers(text: str, path: Path | None = None) -> tuple[Any, dict[tuple, int]]:
    """The data of an answers file and the line of each key (by key path), or an ``ExerciseError``
    saying what is wrong and where."""
    import yaml

    try:
        return _Reader(yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), text, path).read()
    except yaml.YAMLError:
        pass  # the pure-Python parser words its errors better: read again with it, for the message
    try:
        return _Reader(yaml, yaml.SafeLoader, text, path).read()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise _error(path, mark.line + 1 if mark else None, (), f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise _error(path, None, (), f"invalid YAML: {exc}") from None


def check_answers(data: Any) -> None:
    """The same bounds for answers given as data (a mapping typed in, or from another program)."""
    stack = [(data, (), 0)]
    while stack:
        value, at, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise _error(None, None, at, f"nested more than {MAX_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(value, dict):
                    stack.append((key, at, depth + 1))
                stack.append((item, (*at, key if isinstance(key, (str, int)) else "?"), depth + 1))
        elif isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise _error(None, None, at, f"a value longer than {MAX_TEXT} characters")
            if any("\ud800" <= ch <= "\udfff" for ch in value):
                raise _error(None, None, at, "the text holds a lone surrogate (such as \\ud800), not a character")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
            raise _error(None, None, at, f"a number with more than {MAX_DIGITS} digits")
        elif not isinstance(value, (int, float, type(None))):
            raise _error(None, None, at, f"a {type(value).__name__} is not an answer (numbers, text, lists)")


def _error(path, line, at, message):
    from grader.errors import ExerciseError

    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in at).lstrip(".")
    return ExerciseError(path or "answers", line, where, message)


class _Reader:
    def __init__(self, yaml, loader_class, text: str, path: Path | None):
        self.yaml, self.loader, self.path = yaml, loader_class(text), path
        self.lines: dict[tuple, int] = {}

    def read(self) -> tuple[Any, dict[tuple, int]]:
        yaml = self.yaml
        stack: list[list] = []  # [container, its key path, pending key or _KEY, keys seen]
        root: Any = None
        documents = 0
        try:
            while self.loader.check_event():
                event = self.loader.get_event()
                line = event.start_mark.line + 1 if event.start_mark else None
                at = _where(stack)
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        raise _error(self.path, line, (), "more than one YAML document: write one mapping")
                    continue
                if isinstance(event, yaml.AliasEvent):
                    raise _error(self.path, line, at, f"an alias (*{event.anchor}) is not allowed: write the value")
                if getattr(event, "anchor", None):
                    raise _error(self.path, line, at, f"an anchor (&{event.anchor}) is not allowed: write the value")
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    if len(stack) >= MAX_DEPTH:
                        raise _error(self.path, line, at, f"nested more than {MAX_DEPTH} levels deep")
                    self._tag(event, {"map" if isinstance(event, yaml.MappingStartEvent) else "seq"}, line, at)
                    value: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
                    stack.append([value, at, _KEY, set()])
                    continue
                if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    value = stack.pop()[0]
                elif isinstance(event, yaml.ScalarEvent):
                    value = self._scalar(event, line, at)
                else:
                    continue  # stream and document ends
                if not stack:
                    root = value
                    continue
                frame = stack[-1]
                if isinstance(frame[0], list):
                    frame[0].append(value)
                elif frame[2] is _KEY:
                    if isinstance(value, (list, dict)):
                        raise _error(self.path, line, at, "a key must be a plain value")
                    if value in frame[3]:
                        raise _error(self.path, line, (*at, value), "this key appears twice")
                    frame[3].add(value)
                    frame[2] = value
                    self.lines[(*frame[1], value)] = line
                else:
                    frame[0][frame[2]] = value
                    frame[2] = _KEY
        finally:
            self.loader.dispose()
        return root, self.lines

    def _tag(self, event, allowed: set[str], line, at) -> None:
        tag = event.tag
        if tag in (None, "!") or (tag.startswith(TAG) and tag[len(TAG) :] in allowed):
            return
        raise _error(self.path, line, at, f"the tag {tag} is not allowed in an answers file")

    def _scalar(self, event, line, at) -> Any:
        yaml, text = self.yaml, event.value
        if len(text) > MAX_TEXT:
            raise _error(self.path, line, at, f"a value longer than {MAX_TEXT} characters")
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            raise _error(self.path, line, at, "the text holds a lone surrogate (such as \\ud800), not a character")
        self._tag(event, PLAIN, line, at)
        tag = event.tag if event.tag not in (None, "!") else self.loader.resolve(yaml.ScalarNode, text, event.implicit)
        kind = tag[len(TAG) :] if tag.startswith(TAG) else "str"
        if kind not in PLAIN or kind == "str":
            return text
        if kind in ("int", "float") and sum(ch.isdigit() for ch in text) > MAX_DIGITS:
            raise _error(self.path, line, at, f"a number with more than {MAX_DIGITS} digits")
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        return self.loader.construct_object(node)


_KEY = object()  # a mapping frame waiting for its next key


def _where(stack: list[list]) -> tuple:
    """The key path of the value about to be read."""
    if not stack:
        return ()
    container, at, key, _ = stack[-1]
    if isinstance(container, list):
        return (*at, len(container))
    return at if key is _KEY else (*at, key)
