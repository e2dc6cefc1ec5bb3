"""Students' expression answers: a tokenizer and a precedence parser of our own, an allow-list.

Nothing a student types is ever given to ``eval`` or ``sympify``. The text is cut into tokens
(numbers, names, ``+ - * / ^ ** ( ) ,``); a name must be a variable of the question, a constant
(``e``, ``pi``/``π``) or an allowed function (``exp``, ``log``/``ln``, ``sqrt``,
``sigma``/``σ``/``sigmoid``, ``tanh``); anything else is refused with a message naming it and its
position. The tree is a nest of plain tuples; sympy expressions are built from it node by node
(``to_sympy``, in the symbolic worker), and it is evaluated with floats here (``evaluate``).

Bounds: the text's length, the number of tokens, the nesting depth (parentheses, signs, powers),
the size of number literals, and constant exponents; a constant subexpression that overflows a
float is refused. ``x^-1``, ``2x``, ``x(x+1)``, ``(a)(b)``, ``e^x``, ``x²`` and the Unicode signs
``− × · ÷`` are understood. Implicit multiplication binds like ``*`` (left to right): ``1/2x``
is ``(1/2)·x``, and the feedback shows it so.

In answer-key mode (``refs``) the functions ``value(NODE)``, ``grad(NODE)`` and
``local(NODE[, k])`` refer to the reference engine's trace; only instructors write those.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from grader.quiz.expression_tree import (  # re-exported: the tree's operations
    Ast,
    Undefined,
    evaluate,
    is_constant,
    names_in,
    number_text,
    refs_in,
    substitute,
    to_sympy,
    to_text,
    walk,
)

__all__ = [
    "Ast",
    "ExpressionError",
    "Grammar",
    "Undefined",
    "evaluate",
    "is_constant",
    "names_in",
    "number_text",
    "parse",
    "refs_in",
    "substitute",
    "to_sympy",
    "to_text",
    "walk",
]

MAX_LENGTH = 300
MAX_TOKENS = 150
MAX_DEPTH = 30
MAX_NUMBER_CHARS = 20
MAX_EXPONENT = 100.0
MAX_CONSTANT = 1e100

FUNCTIONS = {
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "sqrt": "sqrt",
    "sigma": "sigmoid",
    "σ": "sigmoid",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
}
CONSTANTS = {"e": "e", "pi": "pi", "π": "pi"}
REF_FUNCTIONS = ("value", "grad", "local")

SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-", strict=True))
SIGNS = {"−": "-", "–": "-", "×": "*", "·": "*", "⋅": "*", "∙": "*", "÷": "/", "（": "(", "）": ")"}


class ExpressionError(ValueError):
    """A refused expression: a code and its parameters, worded in Korean or English by ``message``."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        ko, en = MESSAGES[self.code]
        return (ko if lang == "ko" else en).format(**self.params)


MESSAGES = {
    "empty": ("식이 비어 있습니다.", "the expression is empty."),
    "too_long": (
        "식이 너무 깁니다 ({length}자, 최대 {limit}자).",
        "the expression is too long ({length} characters, at most {limit}).",
    ),
    "too_many_tokens": ("식이 너무 깁니다 (기호 {limit}개 초과).", "the expression has more than {limit} symbols."),
    "too_deep": (
        "괄호·부호·거듭제곱이 너무 깊게 겹쳐 있습니다 (최대 {limit}단계).",
        "parentheses, signs or powers are nested too deeply (at most {limit} levels).",
    ),
    "bad_char": (
        "{pos}번째 글자 '{char}'은(는) 식에 쓸 수 없습니다.",
        "the character '{char}' at position {pos} is not allowed in an expression.",
    ),
    "unknown_name": (
        "'{name}'을(를) 모릅니다. 쓸 수 있는 것: {known}.",
        "unknown name '{name}'. You can use: {known}.",
    ),
    "long_number": ("숫자 '{text}'이(가) 너무 깁니다.", "the number '{text}' is too long."),
    "bad_number": ("'{text}'은(는) 올바른 숫자가 아닙니다.", "'{text}' is not a number."),
    "big_exponent": (
        "지수 {value}이(가) 너무 큽니다 (절댓값 {limit} 이하).",
        "the exponent {value} is too large (at most {limit} in size).",
    ),
    "big_constant": ("상수 부분의 값이 너무 큽니다.", "a constant part of the expression is too large."),
    "expected": (
        "{pos}번째 글자 근처에 {what}이(가) 와야 합니다 ({got}).",
        "expected {what} near position {pos} (found {got}).",
    ),
    "unclosed": ("괄호가 닫히지 않았습니다.", "a parenthesis is not closed."),
    "ends_early": ("식이 중간에 끝났습니다.", "the expression ends too early."),
    "unopened": ("{pos}번째 글자의 ')'에 맞는 '('가 없습니다.", "the ')' at position {pos} has no matching '('."),
    "call_paren": (
        "함수 {name} 뒤에는 괄호가 와야 합니다: {name}(x).",
        "write the function with parentheses: {name}(x).",
    ),
    "number_after": (
        "{pos}번째 글자 근처: 숫자 앞에 곱셈 기호 *를 쓰세요 (예: x*2).",
        "near position {pos}: write * before a number (e.g. x*2).",
    ),
    "ref_arg": ("{name}(...) 안에는 노드 이름이 와야 합니다.", "{name}(...) takes a node name."),
    "unknown_node": (
        "'{name}'은(는) 그래프의 노드나 입력이 아닙니다 (있는 것: {known}).",
        "'{name}' is not a node or input of the graph (known: {known}).",
    ),
    "variable_fn": (
        "변수 '{name}'은(는) 함수가 아닙니다: 곱하려면 {name}*(...)라고 쓰세요.",
        "'{name}' is a variable, not a function: write {name}*(...) to multiply.",
    ),
}


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, end
    text: str
    pos: int  # 1-based character position, for messages


def normalize(text: str) -> str:
    """Full-width ASCII, Unicode signs and superscripts (x² → x^(2)) into plain ASCII operators."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in SUPERSCRIPTS:
            run = ""
            while i < len(text) and text[i] in SUPERSCRIPTS:
                run += SUPERSCRIPTS[text[i]]
                i += 1
            out.append(f"^({run})")
            continue
        if "\uff01" <= ch <= "\uff5e":
            ch = chr(ord(ch) - 0xFEE0)
        out.append(SIGNS.get(ch, ch))
        i += 1
    return "".join(out)


def tokenize(text: str, names: Iterable[str]) -> list[Token]:
    """Tokens of ``text``; a run of letters that is no known name is split into known names if it can be."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError("too_long", length=len(text), limit=MAX_LENGTH)
    text = normalize(text)
    known = set(names) | set(FUNCTIONS) | set(CONSTANTS)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            number = text[i:j]
            if len(number) > MAX_NUMBER_CHARS:
                raise ExpressionError("long_number", text=number[:24] + "…")
            if number.count(".") > 1:
                raise ExpressionError("bad_number", text=number)
            tokens.append(Token("num", number, i + 1))
            i = j
        elif ch.isascii() and (ch.isalpha() or ch == "_") or ch in "σπ":
            j = i + 1
            while j < len(text) and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens += [Token("name", part, i + 1) for part in _split_name(text[i:j], known, i + 1)]
            i = j
        elif text.startswith("**", i):
            tokens.append(Token("op", "^", i + 1))
            i += 2
        elif ch in "+-*/^(),":
            tokens.append(Token("op", ch, i + 1))
            i += 1
        else:
            raise ExpressionError("bad_char", char=ch, pos=i + 1)
        if len(tokens) > MAX_TOKENS:
            raise ExpressionError("too_many_tokens", limit=MAX_TOKENS)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _split_name(word: str, known: set[str], pos: int) -> list[str]:
    """``word`` itself if known, else the split into known names with the fewest parts (xy → x, y)."""
    if word in known:
        return [word]
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(end):
            part = word[start:end]
            if best[start] is not None and part in known and not part[0].isdigit():
                candidate = [*best[start], part]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    if best[len(word)] is None:
        return [word]  # unknown: the parser says so, with what is known
    return best[len(word)]


@dataclass
class Grammar:
    """What an expression may name: the question's variables, and (answer keys only) graph refs."""

    variables: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()  # node and input names usable in value()/grad()/local()

    def known_text(self) -> str:
        return ", ".join([*self.variables, "exp", "log/ln", "sqrt", "σ/sigmoid", "tanh", "e", "pi", "+ - * / ^"])


def parse(text: str, grammar: Grammar | Iterable[str] = ()) -> Ast:
    """The tree of ``text``; raises ``ExpressionError`` with a message a student can act on."""
    if not isinstance(grammar, Grammar):
        grammar = Grammar(tuple(grammar))
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty")
    names = [*grammar.variables, *(REF_FUNCTIONS if grammar.refs else ()), *grammar.refs]
    try:
        tokens = tokenize(text, names)
    except ExpressionError as exc:
        if exc.code == "unknown_name":
            exc.params["known"] = grammar.known_text()
            raise ExpressionError("unknown_name", **exc.params) from None
        raise
    return _Parser(tokens, grammar).parse()


class _Parser:
    def __init__(self, tokens: list[Token], grammar: Grammar):
        self.tokens, self.i, self.depth, self.g = tokens, 0, 0, grammar
        self.open = 0  # parentheses opened and not yet closed

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def expect(self, op: str, what: str) -> None:
        if not self.is_op(op):
            if op == ")" and self.tok.kind == "end":
                raise ExpressionError("unclosed")
            raise ExpressionError("expected", what=what, pos=self.tok.pos, got=self.tok.text or "end")
        self.take()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("too_deep", limit=MAX_DEPTH)

    def parse(self) -> Ast:
        tree = self.expr()
        if self.tok.kind != "end":
            if self.is_op(")"):
                raise ExpressionError("unopened", pos=self.tok.pos)
            raise ExpressionError("expected", what="+ - * /", pos=self.tok.pos, got=self.tok.text)
        return tree

    def expr(self) -> Ast:
        self.enter()
        left = self.term()
        while self.is_op("+", "-"):
            op = "add" if self.take().text == "+" else "sub"
            left = (op, left, self.term())
        self.depth -= 1
        return left

    def starts_atom(self) -> bool:
        return self.tok.kind in ("num", "name") or self.is_op("(")

    def term(self) -> Ast:
        left = self.unary()
        while self.is_op("*", "/") or self.starts_atom():
            if self.tok.kind == "num":
                raise ExpressionError("number_after", pos=self.tok.pos)
            op = "div" if self.is_op("/") else "mul"
            if self.tok.kind == "op" and self.tok.text in "*/":
                self.take()
            left = (op, left, self.unary())
        return left

    def unary(self) -> Ast:
        if self.is_op("-", "+"):
            sign = self.take().text
            self.enter()
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if sign == "-" else inner
        return self.power()

    def power(self) -> Ast:
        base = self.atom()
        if not self.is_op("^"):
            return base
        self.take()
        self.enter()
        exponent = self.unary()
        self.depth -= 1
        return _checked_power(base, exponent)

    def atom(self) -> Ast:
        tok = self.take()
        if tok.kind == "num":
            try:
                float(tok.text)
            except ValueError:
                raise ExpressionError("bad_number", text=tok.text) from None
            return ("num", tok.text)
        if tok.kind == "name":
            return self.name(tok)
        if tok.kind == "op" and tok.text == "(":
            self.open += 1
            inner = self.expr()
            self.expect(")", "')'")
            self.open -= 1
            return inner
        if tok.kind == "end":
            raise ExpressionError("unclosed" if self.open else "ends_early")
        raise ExpressionError("expected", what="a number, a name or '('", pos=tok.pos, got=tok.text)

    def name(self, tok: Token) -> Ast:
        word = tok.text
        if word in self.g.variables:
            if self.is_op("(") and self.tokens[self.i + 1].kind == "op" and self.tokens[self.i + 1].text == ")":
                raise ExpressionError("variable_fn", name=word)
            return ("var", word)
        if word in REF_FUNCTIONS and self.g.refs:
            return self.ref(word)
        if word in FUNCTIONS:
            if not self.is_op("("):
                raise ExpressionError("call_paren", name=word)
            self.take()
            self.open += 1
            arg = self.expr()
            self.expect(")", "')'")
            self.open -= 1
            return ("fn", FUNCTIONS[word], arg)
        if word in CONSTANTS:
            return ("const", CONSTANTS[word])
        raise ExpressionError("unknown_name", name=word[:40], known=self.g.known_text())

    def ref(self, fn: str) -> Ast:
        self.expect("(", "'('")
        node = self.take()
        if node.kind != "name":
            raise ExpressionError("ref_arg", name=fn)
        if node.text not in self.g.refs:
            raise ExpressionError("unknown_node", name=node.text, known=", ".join(self.g.refs))
        index = 0
        if fn == "local" and self.is_op(","):
            self.take()
            number = self.take()
            if number.kind != "num" or not number.text.isdigit():
                raise ExpressionError(
                    "expected", what="an argument index 0, 1, …", pos=number.pos, got=number.text or "end"
                )
            index = int(number.text)
        self.expect(")", "')'")
        return ("ref", fn, node.text, index)


def _checked_power(base: Ast, exponent: Ast) -> Ast:
    if is_constant(exponent):
        value = _constant(exponent)
        if abs(value) > MAX_EXPONENT:
            raise ExpressionError("big_exponent", value=f"{value:.4g}", limit=f"{MAX_EXPONENT:g}")
        if is_constant(base):
            size = abs(_constant(base))
            if size > 1 and abs(value) * math.log10(size) > math.log10(MAX_CONSTANT):
                raise ExpressionError("big_constant")
    return ("pow", base, exponent)


def _constant(tree: Ast) -> float:
    try:
        return evaluate(tree, {})
    except ArithmeticError:
        raise ExpressionError("big_constant") from None
