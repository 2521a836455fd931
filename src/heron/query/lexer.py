"""Tokens of the filter language.

Field names are lexed as one WORD so that metric keys may hold ``/ . - : [ ] @ +``:
a word runs to the next space, quote, parenthesis, comma or comparison operator.
Backquoted parts (``config.`a b```) join the word and may hold anything.
"""

from __future__ import annotations

import re
from typing import Literal, NoReturn

from heron.errors import FilterSyntaxError

TokenKind = Literal["(", ")", ",", "op", "string", "number", "word", "end"]

# Characters that end a bare word (besides whitespace).
_STOP = frozenset("()<>=!,\"'`")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OPERATORS = ("<=", ">=", "!=", "==", "<", ">", "=")
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "`": "`", "n": "\n", "t": "\t", "r": "\r"}


class Token:
    """One token. A plain class with slots, not a dataclass: dataclasses make their
    methods with ``exec``, which a fresh process's first search would pay for."""

    __slots__ = ("bare", "float_value", "kind", "pos", "text", "value")

    def __init__(
        self,
        kind: TokenKind,
        text: str,
        pos: int,
        value: str = "",
        float_value: float = 0.0,
        bare: bool = True,
    ) -> None:
        self.kind = kind
        self.text = text  # as written (for messages)
        self.pos = pos  # offset of the first character
        self.value = value  # strings and words: the unescaped value
        self.float_value = float_value  # numbers
        self.bare = bare  # words: no backquoted part

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.pos})"


def fail(message: str, text: str, pos: int, detail: str = "") -> NoReturn:
    """Raise a FilterSyntaxError: ``<message> at column <1-based column><detail>``."""
    raise FilterSyntaxError(f"{message} at column {pos + 1}{detail}", text, pos)


def describe(token: Token) -> str:
    """How a token is named in messages: 'found ...'."""
    if token.kind == "end":
        return "the end of the filter"
    shown = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return repr(shown)


def _is_bare(ch: str) -> bool:
    return not ch.isspace() and ch not in _STOP


def _escape(text: str, i: int) -> tuple[str, int]:
    """The character escaped by the backslash at ``i`` (not the last one) and the index after it."""
    ch = text[i + 1]
    if ch in _ESCAPES:
        return _ESCAPES[ch], i + 2
    if ch == "u":
        digits = text[i + 2 : i + 6]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            fail("expected 4 hex digits after '\\u'", text, i)
        code = int(digits, 16)
        if code == 0 or 0xD800 <= code <= 0xDFFF:  # no database stores these in text
            fail(f"'\\u{digits}' is not allowed in a string", text, i)
        return chr(code), i + 6
    fail(f"unknown escape '\\{ch}'", text, i, " (use \\\\ \\\" \\' \\n \\t \\r or \\uXXXX)")


def _quoted(text: str, start: int, what: str) -> tuple[str, int]:
    """Read the quoted run opening at ``start``; return its value and the index after it."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < len(text):
            esc, i = _escape(text, i)
            out.append(esc)
            continue
        out.append(ch)
        i += 1
    fail(f"unterminated {what} starting", text, start, f": add the closing {quote}")


def _word(text: str, start: int) -> tuple[Token, int]:
    parts: list[str] = []
    bare = True
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "`":
            value, i = _quoted(text, i, "backquoted name")
            bare = False
        elif _is_bare(ch):
            j = i
            while j < len(text) and _is_bare(text[j]):
                j += 1
            value = text[i:j]
            i = j
        else:
            break
        parts.append(value)
    token = Token("word", text[start:i], start, "".join(parts), bare=bare)
    return token, i


def _number(text: str, start: int) -> tuple[Token, int] | None:
    match = _NUMBER.match(text, start)
    if match is None:
        return None
    end = match.end()
    if end < len(text) and (_is_bare(text[end]) or text[end] == "`"):
        stop = end
        while stop < len(text) and _is_bare(text[stop]):
            stop += 1
        fail(f"invalid number {text[start:stop]!r}", text, start)
    value = float(match.group())
    if value in (float("inf"), float("-inf")):
        fail(f"number {match.group()!r} is out of range", text, start)
    return Token("number", match.group(), start, float_value=value), end


def _check_characters(text: str) -> None:
    # NUL and lone surrogates cannot reach the database as text (PostgreSQL, UTF-8).
    bad = [i for i, ch in enumerate(text) if ch == "\x00" or "\ud800" <= ch <= "\udfff"]
    if bad:
        shown = "".join("\ufffd" if i in bad else ch for i, ch in enumerate(text))
        fail(f"character {text[bad[0]]!r} is not allowed", shown, bad[0])


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an 'end' token."""
    _check_characters(text)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            kind: TokenKind = "(" if ch == "(" else ")" if ch == ")" else ","
            tokens.append(Token(kind, ch, i))
            i += 1
        elif ch in "<>=!":
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                fail("expected '!='", text, i, " ('!' alone is not an operator; use 'not')")
            tokens.append(Token("op", op, i, "=" if op == "==" else op))
            i += len(op)
        elif ch in "\"'":
            value, end = _quoted(text, i, "string")
            tokens.append(Token("string", text[i:end], i, value))
            i = end
        elif ch in "0123456789+-.":
            number = _number(text, i)
            if number is None:
                fail(f"unexpected character {ch!r}", text, i)
            tokens.append(number[0])
            i = number[1]
        else:
            word, i = _word(text, i)
            tokens.append(word)
    tokens.append(Token("end", "", len(text)))
    return tokens
