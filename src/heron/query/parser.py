"""Recursive-descent parser: filter text -> syntax tree (``nodes``), validated.

Grammar (keywords are case-insensitive)::

    filter    := <nothing> | or
    or        := and ("or" and)*
    and       := not ("and" not)*
    not       := "not" not | "(" or ")" | predicate
    predicate := field ( op value | ["not"] "in" "(" value ("," value)* ")"
                       | ["not"] "like" string | "has" string | ["not"] "exists" )
    field     := word | ("min"|"max"|"last"|"count") "(" word ")"
    value     := number | string | "true" | "false" | "null"
"""

from __future__ import annotations

from typing import NoReturn

from heron.errors import FilterSyntaxError
from heron.query import nodes
from heron.query.fields import FUNCTIONS, check_predicate, field_from_word
from heron.query.lexer import Token, describe, fail, tokenize
from heron.query.unparse import unparse_field

MAX_LENGTH = 4000  # characters of filter text
MAX_DEPTH = 32  # nested parentheses and 'not's

KEYWORDS = frozenset({"and", "or", "not", "in", "like", "has", "exists", "true", "false", "null"})
_OPERATORS = "=, !=, <, <=, >, >=, in, not in, like, not like, has, exists or not exists"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # --- tokens -------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def keyword(self, token: Token | None = None) -> str:
        """The keyword ``token`` (default: the next one) is, or ''."""
        token = token or self.peek()
        if token.kind == "word" and token.bare and token.value.lower() in KEYWORDS:
            return token.value.lower()
        return ""

    def fail_at(self, message: str, token: Token, detail: str = "") -> NoReturn:
        fail(message, self.text, token.pos, f", found {describe(token)}{detail}")

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            fail(f"the filter nests deeper than {MAX_DEPTH} levels", self.text, token.pos)

    # --- boolean structure ----------------------------------------------------
    def filter(self) -> nodes.Expr:
        if self.peek().kind == "end":
            return nodes.MatchAll()
        expr = self.or_()
        token = self.peek()
        if token.kind == ")":
            fail("unbalanced parenthesis: ')'", self.text, token.pos, " has no matching '('")
        if token.kind != "end":
            self.fail_at("expected 'and', 'or' or the end of the filter", token)
        return expr

    def or_(self) -> nodes.Expr:
        operands = [self.and_()]
        while self.keyword() == "or":
            self.advance()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else nodes.Or(tuple(operands))

    def and_(self) -> nodes.Expr:
        operands = [self.not_()]
        while self.keyword() == "and":
            self.advance()
            operands.append(self.not_())
        return operands[0] if len(operands) == 1 else nodes.And(tuple(operands))

    def not_(self) -> nodes.Expr:
        token = self.peek()
        if self.keyword() == "not":
            self.advance()
            self.enter(token)
            operand = self.not_()
            self.depth -= 1
            return nodes.Not(operand)
        if token.kind == "(":
            self.advance()
            self.enter(token)
            expr = self.or_()
            close = self.peek()
            if close.kind == "end":
                fail("unbalanced parenthesis: '('", self.text, token.pos, " is never closed")
            if close.kind != ")":
                self.fail_at("expected 'and', 'or' or ')'", close)
            self.advance()
            self.depth -= 1
            return expr
        return self.predicate()

    # --- predicates -----------------------------------------------------------
    def field(self) -> nodes.Field:
        token = self.peek()
        if token.kind != "word" or self.keyword(token):
            self.fail_at("expected a field (like config.lr, metrics.val/acc or state)", token)
        self.advance()
        name = token.value.lower() if token.bare else ""
        if name in FUNCTIONS and self.peek().kind == "(":
            self.advance()
            inner = self.peek()
            metric = field_from_word(inner, self.text) if inner.kind == "word" else None
            if metric is None or metric.kind != "metric":
                example = f", like {name}(metrics.loss)"
                fail(f"{name}() takes a metric", self.text, inner.pos, example)
            self.advance()
            if self.peek().kind != ")":
                self.fail_at(f"expected ')' after {name}({unparse_field(metric)}", self.peek())
            self.advance()
            part: nodes.MetricPart = name  # type: ignore[assignment]  # one of FUNCTIONS
            return nodes.Field("metric", metric.key, part, pos=token.pos)
        return field_from_word(token, self.text)

    def value(self, after: Token) -> nodes.Value:
        token = self.peek()
        where = f"expected a value after {after.text!r}"
        if token.kind == "number":
            self.advance()
            return nodes.Value("number", token.float_value, token.pos)
        if token.kind == "string":
            self.advance()
            return nodes.Value("string", token.value, token.pos)
        word = self.keyword(token)
        if word in ("true", "false", "null"):
            self.advance()
            if word == "null":
                return nodes.Value("null", None, token.pos)
            return nodes.Value("bool", word == "true", token.pos)
        hint = f' (quote strings: "{token.value}")' if token.kind == "word" and not word else ""
        self.fail_at(where, token, hint)

    def string(self, after: Token, what: str) -> nodes.Value:
        token = self.peek()
        if token.kind != "string":
            self.fail_at(f"expected a quoted {what} after {after.text!r}", token)
        self.advance()
        return nodes.Value("string", token.value, token.pos)

    def values(self, after: Token) -> tuple[nodes.Value, ...]:
        open_ = self.peek()
        if open_.kind != "(":
            self.fail_at(f"expected '(' after {after.text!r}", open_, '; write in ("a", "b")')
        self.advance()
        values = [self.value(open_)]
        while self.peek().kind == ",":
            values.append(self.value(self.advance()))
        close = self.peek()
        if close.kind == "end":
            fail("unbalanced parenthesis: '('", self.text, open_.pos, " is never closed")
        if close.kind != ")":
            self.fail_at("expected ',' or ')' in the list", close)
        self.advance()
        return tuple(values)

    def predicate(self) -> nodes.Predicate:
        f = self.field()
        token = self.peek()
        word = self.keyword(token)
        negated = word == "not"
        if negated:
            self.advance()
            token = self.peek()
            word = self.keyword(token)
            if word not in ("in", "like", "exists"):
                self.fail_at("expected 'in', 'like' or 'exists' after 'not'", token)
        pred: nodes.Predicate
        if token.kind == "op":
            self.advance()
            op: nodes.CompareOp = token.value  # type: ignore[assignment]  # the lexer's operators
            pred = nodes.Compare(f, op, self.value(token))
        elif word == "in":
            self.advance()
            pred = nodes.In(f, self.values(token), negated)
        elif word == "like":
            self.advance()
            pred = nodes.Like(f, self.string(token, "pattern"), negated)
        elif word == "has":
            self.advance()
            pred = nodes.Has(f, self.string(token, "tag"))
        elif word == "exists":
            self.advance()
            pred = nodes.Exists(f, negated)
        else:
            self.fail_at(f"expected an operator ({_OPERATORS}) after {unparse_field(f)}", token)
        check_predicate(pred, self.text)
        return pred


def _check_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise FilterSyntaxError(f"the {what} must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FilterSyntaxError(
            f"the {what} is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    return text


def parse(text: str) -> nodes.Expr:
    """Parse and validate a filter. An empty (or blank) filter is ``MatchAll()``.

    Raises FilterSyntaxError saying where (column) and what was expected.
    """
    text = _check_text(text, "filter")
    found = _parsed.get(text)
    if found is None:
        found = _Parser(text).filter()
        if len(_parsed) >= _PARSED_KEPT:
            _parsed.clear()  # (one call: safe between threads)
        _parsed[text] = found
    return found


# The trees of the last filters parsed (they are immutable): a search parses its filter
# three times (its names checked, its comparisons' types checked, its SQL compiled).
_parsed: dict[str, nodes.Expr] = {}
_PARSED_KEPT = 32


def parse_order_term(term: str) -> tuple[nodes.Field, bool]:
    """``"-metrics.val/acc"`` -> (field, descending). Raises FilterSyntaxError."""
    term = _check_text(term, "sort term")
    stripped = term.lstrip()
    descending = stripped.startswith("-")
    text = term
    if stripped[:1] in ("-", "+"):
        at = len(term) - len(stripped)
        text = term[:at] + " " + term[at + 1 :]  # keep columns for messages
    try:
        parser = _Parser(text)
        if parser.peek().kind == "end":
            fail("expected a field to sort by", text, len(text), ', like "-metrics.val/acc"')
        f = parser.field()
        if parser.peek().kind != "end":
            parser.fail_at("expected the end of the sort term", parser.peek())
    except FilterSyntaxError as err:  # show the term as written, with its sign
        raise FilterSyntaxError(err.message.split("\n")[0], term, err.position) from None
    return f, descending
