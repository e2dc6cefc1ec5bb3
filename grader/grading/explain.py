"""Verdict → words, in Korean or English.

Every message is a template keyed by a ``Why`` code. Numbers are shown to 6 significant digits;
hidden and random points say where and how something went wrong, never the expected value.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

from grader.grading import borderline, routines
from grader.grading.sentences import blame_text
from grader.grading.verdict import Blame, Check, Failure, TaskResult, Verdict, Why
from grader.grading.words import fmt, node_text, point_text

__all__ = ["T", "default_lang", "fmt", "localize", "node_text", "render"]

T = {
    # ------------------------------------------------------------------ checks
    "wrong": ("기댓값 {expected}, 제출값 {got}", "expected {expected}, got {got}"),
    "wrong_hidden": (
        "값이 틀렸습니다 (제출값 {got}; 이 점의 정답은 공개하지 않습니다)",
        "wrong (got {got}; the answer at this point is not shown)",
    ),
    "wrong_secret": (
        "틀렸습니다 (숨은 점에서 함수가 돌려준 것은 보여주지 않습니다)",
        "wrong (what your function did at a hidden point is not shown)",
    ),
    "raised": ("{line_ko}{type} 예외가 발생했습니다: {python_ko}", "raised {type}{line_en}: {message}"),
    "stopped": ("{message_ko}", "{message}"),
    "not_run": ("실행되지 않았습니다", "not run"),
    "nan": ("숫자가 아닌 {what} 값을 반환했습니다", "returned {what}, not a finite number"),
    "not_a_number": ("숫자 대신 {what_ko_obj} 반환했습니다{text}", "returned {what_en} instead of a number{text}"),
    "shape": (
        "숫자 {count}개(입력마다 하나)를 반환해야 하는데 {returned_ko_obj} 반환했습니다",
        "should return {count} numbers (one per input), returned {returned_en}",
    ),
    "not_a_dict": (
        "{{이름: 값}} 사전(dict)을 반환해야 하는데 {returned_ko_obj} 반환했습니다",
        "should return a dict {{name: value}}, returned {returned_en}",
    ),
    "missing_keys": ("반환한 사전에 {keys} 키가 없습니다", "the returned dict lacks {keys}"),
    # ------------------------------------------------------------------ blame
    # (the diagnosis sentences are built by ``blame_text`` from grading/words.py; these are the rest)
    "blame.raised": (
        "{node_ko}: 함수가 값을 돌려주지 못했습니다 — {raised_ko}",
        "{node_en}: your function did not return a value — {raised_en}",
    ),
    "blame.nan": (
        "{node_ko}: {what} 값을 반환했습니다. 0으로 나누거나 log(0)을 계산하지 않았는지 확인하세요.",
        "{node_en}: returned {what}. Look for a division by zero or log(0).",
    ),
    "blame.shape": (
        "{node_ko}: 숫자 {count}개(입력마다 하나)를 반환해야 하는데 {returned_ko_obj} 반환했습니다. {shape_ko}",
        "{node_en}: should return {count} numbers (one per input), returned {returned_en}. {shape_en}",
    ),
    "blame.not_a_number": (
        "{node_ko}: 숫자 대신 {what_ko_obj} 반환했습니다.{no_return_ko}",
        "{node_en}: returned {what_en} instead of a number.{no_return_en}",
    ),
    # ------------------------------------------------------------------ failures
    "stopped_at": (
        "함수 `{function}`이(가) {point_ko}{node_ko_at}에서 {message_ko}",
        "your function `{function}` {message} at {point}{node_en_at}",
    ),
    "syntax_error": ("{line_ko}문법 오류: {message}", "syntax error{line_en}: {message}"),
    "crash": ("파일을 불러오는 중 오류{line_paren_ko}: {detail_ko}", "loading the file failed{line_en}: {message}"),
    "forbidden": ("{line_ko}{detail_ko}", "{message}{line_en}"),
    "load_timeout": ("파일을 불러오는 데 너무 오래 걸렸습니다: {detail_ko}", "{message}"),
    "memory": ("메모리를 너무 많이 사용했습니다{line_paren_ko}", "used too much memory{line_en}"),
    "output": ("{detail_ko}", "{message}"),
    "missing_function": (
        "함수 `{function}`이(가) 없습니다. `def {function}(...)`을 정의하세요.",
        "there is no function `{function}`: define `def {function}(...)`.",
    ),
    "no_function": (
        "과제 함수가 하나도 없습니다 ({functions}). 올바른 파일을 제출했는지 확인하세요.",
        "none of the task functions is defined ({functions}). Is this the right file?",
    ),
    "bad_signature": (
        "함수 `{function}`{line_paren_ko}의 매개변수가 맞지 않습니다: {problem_ko}. "
        "채점기는 `{call}` 형태로 호출합니다.",
        "function `{function}`{line_en} {problem}; the grader calls it as `{call}`.",
    ),
    "not_function": ("`{function}`은(는) 함수가 아니라 {what_ko}입니다.", "`{function}` is a {what}, not a function."),
    "bad_file": ("{detail_ko}", "{message}"),
}

STOP_KO = {
    "timeout": "시간 제한을 넘겼습니다",
    "memory": "메모리를 너무 많이 썼습니다",
    "crash": "프로세스가 비정상 종료되었습니다",
    "output": "출력이 너무 많습니다",
    "forbidden": "허용되지 않은 동작을 했습니다",
    "skipped": "앞선 호출이 중단되어 실행하지 않았습니다",
}
WHAT_KO = {
    "str": "문자열",
    "NoneType": "None",
    "bool": "참/거짓(bool)",
    "a sequence": "여러 값(시퀀스)",
    "a mapping": "사전(dict)",
    "huge int": "너무 큰 정수",
    "complex": "복소수",
    "a single number": "숫자 하나",
    "list": "리스트",
    "tuple": "튜플",
    "float": "숫자 하나",
    "int": "정수",
    "dict": "사전(dict)",
    "set": "집합(set)",
}


WHAT_EN = {
    "str": "a string",
    "NoneType": "None",
    "bool": "a bool",
    "list": "a list",
    "tuple": "a tuple",
    "dict": "a dict",
    "set": "a set",
    "int": "an int",
    "huge int": "a huge int",
    "complex": "a complex number",
}
T.update(
    borderline.TEXTS | routines.TEXTS
)  # overflow, unstable, modified_input, finite_difference: kept beside their diagnosis


def default_lang() -> str:
    """The language of messages when none is asked for: $GRADE_LANG, else Korean where $LANG is."""
    explicit = os.environ.get("GRADE_LANG", "")
    if explicit in ("ko", "en"):
        return explicit
    return "ko" if os.environ.get("LANG", "").startswith("ko") else "en"


def render(why: Why | None, lang: str, check: Check | None = None) -> str:
    if why is None:
        return ""
    code = why.code
    if code == "wrong" and check is not None and not check.public:
        code = "wrong_hidden" if check.got is not None else "wrong_secret"
    if code.startswith("blame.") and code not in T:
        return blame_text(code, why.params, lang)
    template = T.get(code, (code, code))[0 if lang == "ko" else 1]
    p = dict(why.params)
    if p.get("kind") == "exception" and p.get("type") and isinstance(p.get("message"), str):
        # the harness writes "ValueError: bad input": the type is said once, by the sentence
        p["message"] = "" if p["message"] == p["type"] else p["message"].removeprefix(f"{p['type']}: ")
    if code == "raised" and not p.get("message"):  # withheld at a hidden point: no dangling colon
        template = template.replace(": {message}", "").replace(": {python_ko}", "")
    line = p.get("line")
    cell = p.get("cell")  # set for notebooks: the line is then counted within that cell
    at_en = f"cell {cell}, line {line}" if cell is not None else f"line {line}"
    at_ko = f"{cell}번 셀 {line}번째 줄" if cell is not None else f"{line}번째 줄"
    p.setdefault("message", "")
    kind = p.get("kind", "")
    what = p.get("what", "")
    none = "NoneType" in (what, p.get("returned"))  # a function that ends without `return`
    values = {
        **{k: fmt(v) for k, v in p.items()},
        "expected": fmt(check.expected) if check else "",
        "got": fmt(check.got) if check and check.got is not None else fmt(p.get("got")),
        "line_ko": f"{at_ko}에서 " if line else "",
        "line_en": f" at {at_en}" if line else "",
        "line_paren_ko": f" ({at_ko})" if line else "",
        "node_ko": node_text(p.get("node"), p.get("op"), "ko"),
        "node_en": node_text(p.get("node"), p.get("op"), "en"),
        "node_ko_at": f" 노드 {p['node']}" if p.get("node") else "",
        "node_en_at": f", node {p['node']}" if p.get("node") else "",
        "message_ko": STOP_KO.get(kind, "")
        + (f" ({detail_ko(p['message'])})" if p["message"] and kind == "crash" else "")
        if kind in STOP_KO
        else detail_ko(p["message"]),
        "detail_ko": detail_ko(p["message"]),
        "python_ko": python_ko(p["message"]) if kind == "exception" else p["message"],
        "what_ko": WHAT_KO.get(what, what),
        "what_en": WHAT_EN.get(what, what),
        "text": f" ('{p['text']}')" if p.get("text") else "",
        "inputs": ", ".join(p.get("wrong_inputs", [])),
        "nodes": ", ".join(p["nodes"]) if isinstance(p.get("nodes"), list) else "",
        "raised_ko": (
            f"{at_ko}에서 {p.get('type')} 예외" + (f": {python_ko(p['message'])}" if p["message"] else "")
            if kind == "exception"
            else STOP_KO.get(kind, p["message"])
        ),
        "raised_en": (
            f"raised {p.get('type')}" + (f" at {at_en}" if line else "") + (f": {p['message']}" if p["message"] else "")
            if kind == "exception"
            else p["message"]
        ),
        "keys": ", ".join(p.get("keys", [])),
        "returned_ko": _returned_ko(str(p.get("returned", ""))),
        "returned_ko_obj": _object(_returned_ko(str(p.get("returned", "")))),
        "what_ko_obj": _object(WHAT_KO.get(what, what)),
        "problem_ko": _problem_ko(str(p.get("problem", ""))),
        "point_ko": point_text(str(p.get("point", "")), "ko"),
        "no_return_ko": " `return`을 빠뜨리지 않았는지 확인하세요." if none else "",
        "no_return_en": " Is a `return` missing?" if none else "",
        "shape_ko": "`return`을 빠뜨리지 않았는지 확인하세요."
        if none
        else "입력마다 기울기를 하나씩 튜플로 반환하세요.",
        "shape_en": "Is a `return` missing?" if none else "Return a tuple with one gradient per input.",
        "returned_en": WHAT_EN.get(str(p.get("returned", "")), str(p.get("returned", ""))),
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _object(word: str) -> str:
    """The word with its object particle: 을 after a final consonant, 를 after a vowel, 을(를) when
    the word does not end in Hangul (a type name, a formula)."""
    bare = re.sub(r"\s*\([^()]*\)$", "", word.strip())  # 사전(dict): the particle follows 사전
    last = bare[-1:]
    if not ("가" <= last <= "힣"):
        return f"{word}을(를)"
    return word + ("을" if (ord(last) - 0xAC00) % 28 else "를")


def _returned_ko(returned: str) -> str:
    """What came back instead, in Korean: ``a single number``, ``3 values``, a type's name."""
    count = re.fullmatch(r"(\d+) values", returned)
    return f"값 {count.group(1)}개" if count else WHAT_KO.get(returned, returned)


_PROBLEMS_KO = (
    (r"takes (\d+) positional argument\(s\) but is called with (\d+)", "위치 인자를 {0}개 받는데 {1}개로 호출됩니다"),
    (r"needs (.+), which the grader does not pass", "채점기가 넘기지 않는 {0}이(가) 필요합니다"),
    (r"has no parameter '(.+)'", "'{0}' 매개변수가 없습니다"),
)


# What the sandbox and the loader say of a file or a call that did not finish (grader.isolation.child,
# sandbox and harness; grader.grading.api), in Korean. Matched at render time, so a verdict stored
# in English by an earlier run is shown in Korean too; a message matching none is shown as it is.
_DETAILS_KO = (
    (r"ran out of time", "시간이 다 됐습니다"),
    (r"ran for more than ([\d.]+) s", "{0}초 넘게 실행되었습니다"),
    (r"used more than ([\d.]+) s of CPU time", "CPU 시간을 {0}초 넘게 썼습니다"),
    (r"ran out of memory \(more than (\d+) MB\)", "메모리를 다 썼습니다 ({0} MB 초과)"),
    (r"ran out of memory while loading", "파일을 불러오는 중 메모리를 다 썼습니다"),
    (r"ran out of memory", "메모리를 다 썼습니다"),
    (r"maximum recursion depth exceeded", "재귀 호출이 너무 깊어졌습니다 (최대 재귀 깊이 초과)"),
    (r"printed more than (\d+) MB", "{0} MB 넘게 출력했습니다"),
    (r"made a system call the sandbox forbids", "샌드박스가 금지한 시스템 호출을 했습니다"),
    (r"crashed the interpreter \(segmentation fault\)", "인터프리터가 죽었습니다 (세그멘테이션 오류)"),
    (r"was stopped by signal (\w+)", "시그널 {0}(으)로 중단되었습니다"),
    (
        r"broke the grader's harness: it closed the channel the harness replies on",
        "채점 하네스를 망가뜨렸습니다: 하네스가 답하는 통로를 닫았습니다",
    ),
    (
        r"broke the grader's harness in its own process \(by replacing a built-in or a module it uses\)",
        "같은 프로세스의 채점 하네스를 망가뜨렸습니다 (하네스가 쓰는 내장 함수나 모듈을 바꿨습니다)",
    ),
    (r"the file ended the whole process \(exit status (-?\d+)\)", "파일이 프로세스 전체를 끝냈습니다 (종료 상태 {0})"),
    (
        r"ended the whole process \(exit status (-?\d+)\) instead of returning a value",
        "값을 돌려주지 않고 프로세스 전체를 끝냈습니다 (종료 상태 {0})",
    ),
    (
        r"import of '(.+)' is not allowed in this exercise \(allowed: nothing\); "
        r"the whole file is refused, so remove the import even if nothing uses it",
        "`{0}`은(는) 이 과제에서 import할 수 없습니다 (허용: 없음). "
        "파일 전체가 거부되니, 쓰지 않더라도 그 import를 지우세요",
    ),
    (
        r"import of '(.+)' is not allowed in this exercise \(allowed: (.*)\); "
        r"the whole file is refused, so remove the import even if nothing uses it",
        "`{0}`은(는) 이 과제에서 import할 수 없습니다 (허용: {1}). "
        "파일 전체가 거부되니, 쓰지 않더라도 그 import를 지우세요",
    ),
    (
        r"loading the file was stopped by the sandbox, which allows no files, network, programs or signals \((.*)\)",
        "파일을 불러오는 중 샌드박스가 막았습니다. 파일, 네트워크, 다른 프로그램, 시그널은 쓸 수 없습니다 ({0})",
    ),
    (
        r"was stopped by the sandbox, which allows no files, network, programs or signals \((.*)\)",
        "샌드박스가 막았습니다. 파일, 네트워크, 다른 프로그램, 시그널은 쓸 수 없습니다 ({0})",
    ),
    (r"(?:the file )?wrote to the grader's private (?:result )?channel \((.*)\)", "채점기 전용 통로에 썼습니다 ({0})"),
    (r"loading the file took more than ([\d.]+) s", "{0}초가 넘었습니다"),
    (r"the file is larger than (\d+) KB", "파일이 {0} KB보다 큽니다"),
    (r"the file is binary, not Python source", "파이썬 소스가 아닌 바이너리 파일입니다"),
    (r"the file is not UTF-8 text \(byte (\d+)\)", "UTF-8 텍스트 파일이 아닙니다 ({0}번째 바이트)"),
    (
        r"the file is a hard link \((\d+) names for one file\) and is not graded: submit a copy of it",
        "하드 링크(한 파일에 이름이 {0}개)라서 채점하지 않습니다. 복사본을 제출하세요",
    ),
    (r"the file holds the course secret and is not graded", "과목의 비밀값이 들어 있어 채점하지 않습니다"),
)
# Python's own words for the exceptions a gate's formula meets most, in Korean; the original follows
# in parentheses, as the words to search for.
_PYTHON_KO = (
    (r"(?:float )?division by zero", "0으로 나누었습니다"),
    (r"math domain error", "수학 함수에 정의되지 않는 값을 넣었습니다 (예: `log`에 0 이하, `sqrt`에 음수)"),
    (r"math range error|\(34, 'Numerical result out of range'\)", "결과가 너무 커서 `float`로 나타낼 수 없습니다"),
    (r"name '(\w+)' is not defined", "`{0}`이(가) 정의되지 않았습니다"),
    (r"(list|tuple) index out of range", "인덱스가 범위를 벗어났습니다"),
    (r"unsupported operand type\(s\) for (.+): '(\w+)' and '(\w+)'", "`{1}`와(과) `{2}`에는 {0} 연산을 할 수 없습니다"),
    (r"can't multiply sequence by non-int of type '(\w+)'", "시퀀스(튜플, 리스트)에 `{0}`을(를) 곱할 수 없습니다"),
    (r"cannot unpack non-iterable (\w+) object", "`{0}` 값을 여러 변수로 풀 수 없습니다"),
    (r"not enough values to unpack \(expected (\d+), got (\d+)\)", "풀 값이 모자랍니다 ({0}개가 필요한데 {1}개)"),
    (r"too many values to unpack \(expected (\d+)\)", "풀 값이 너무 많습니다 ({0}개가 필요합니다)"),
)


def python_ko(message: str) -> str:
    """A Python exception's message in Korean, the original in parentheses; any other as it is."""
    korean = _korean(_PYTHON_KO, message)
    return f"{korean} ({message})" if korean is not None else message


def detail_ko(message: str) -> str:
    """One of the sandbox's or the loader's messages in Korean; any other message as it is."""
    return _korean(_DETAILS_KO, message) or message


def _problem_ko(problem: str) -> str:
    return _korean(_PROBLEMS_KO, problem) or problem


def _korean(table, text: str) -> str | None:
    """The Korean words of the first pattern of ``table`` that ``text`` matches whole, with its
    parts put in; None when none matches."""
    for pattern, words in table:
        found = re.fullmatch(pattern, text)
        if found:
            return words.format(*found.groups())
    return None


def localize(verdict: Verdict, lang: str) -> Verdict:
    """The verdict with every message written in ``lang``."""

    def blame(b: Blame | None) -> Blame | None:
        return replace(b, message=render(b.why, lang)) if b else None

    def failure(f: Failure | None) -> Failure | None:
        return replace(f, message=render(f.why, lang)) if f else None

    def task(t: TaskResult) -> TaskResult:
        checks = tuple(replace(c, message=render(c.why, lang, c) if c.why else None) for c in t.checks)
        return replace(
            t, checks=checks, blame=blame(t.blame), also=tuple(blame(b) for b in t.also), error=failure(t.error)
        )

    return replace(verdict, lang=lang, error=failure(verdict.error), tasks=tuple(task(t) for t in verdict.tasks))
