"""The parser: trees for valid filters, and every kind of error message."""

from __future__ import annotations

import pytest

from heron.errors import FilterSyntaxError, InvalidInput
from heron.query import (
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Compare,
    Exists,
    Field,
    Has,
    In,
    Like,
    MatchAll,
    Not,
    Or,
    Value,
    parse,
    parse_order_term,
    unparse,
)
from heron.query.fields import parse_time


def num(x: float) -> Value:
    return Value("number", float(x))


def s(x: str) -> Value:
    return Value("string", x)


def config(key: str) -> Field:
    return Field("config", key)


def metric(key: str, part: str = "value") -> Field:
    return Field("metric", key, part)  # type: ignore[arg-type]


def attr(name: str) -> Field:
    return Field("attr", name)


TAGS = Field("tags", "tags")


def test_spec_example() -> None:
    text = (
        'config.lr < 0.01 and (metrics.val/acc >= 0.9 or tags has "baseline") '
        'and state = "finished"'
    )
    assert parse(text) == And(
        (
            Compare(config("lr"), "<", num(0.01)),
            Or(
                (
                    Compare(metric("val/acc"), ">=", num(0.9)),
                    Has(TAGS, s("baseline")),
                )
            ),
            Compare(attr("state"), "=", s("finished")),
        )
    )


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", MatchAll()),
        ("  \n\t ", MatchAll()),
        # precedence: not > and > or
        (
            'name = "a" or name = "b" and not name = "c"',
            Or(
                (
                    Compare(attr("name"), "=", s("a")),
                    And(
                        (
                            Compare(attr("name"), "=", s("b")),
                            Not(Compare(attr("name"), "=", s("c"))),
                        )
                    ),
                )
            ),
        ),
        # keywords and field names are case-insensitive; keys are not
        (
            'NOT State = "running" AND Config.LR > 1',
            And(
                (Not(Compare(attr("state"), "=", s("running"))), Compare(config("LR"), ">", num(1)))
            ),
        ),
        ("config.x == 1", Compare(config("x"), "=", num(1))),
        # metric keys run to the next space or operator
        ("metrics.val/acc>=0.5", Compare(metric("val/acc"), ">=", num(0.5))),
        ("metrics.a.b-c:d[0]@e+f<1", Compare(metric("a.b-c:d[0]@e+f"), "<", num(1))),
        ("summary.best:model = 'x'", Compare(metric("best:model"), "=", s("x"))),
        ("metrics.`my key (v2)` = 1", Compare(metric("my key (v2)"), "=", num(1))),
        ("config.`a b`.c exists", Exists(config("a b.c"))),
        ("config.opt.`x\\`y` exists", Exists(config("opt.x`y"))),
        ("min(metrics.loss) < 0.1", Compare(metric("loss", "min"), "<", num(0.1))),
        ("MAX( metrics.acc ) > 0", Compare(metric("acc", "max"), ">", num(0))),
        ("count(summary.x) >= 3", Compare(metric("x", "count"), ">=", num(3))),
        ("last(metrics.x) exists", Exists(metric("x", "last"))),
        # a metric may be called like a function name
        ("metrics.min = 1", Compare(metric("min"), "=", num(1))),
        # literals
        ("config.x = -1e-3", Compare(config("x"), "=", num(-0.001))),
        ("config.x = +.5", Compare(config("x"), "=", num(0.5))),
        ("config.x = 2.", Compare(config("x"), "=", num(2))),
        ("config.x = 1E3", Compare(config("x"), "=", num(1000))),
        ("config.x = TRUE", Compare(config("x"), "=", Value("bool", True))),
        ("config.x != false", Compare(config("x"), "!=", Value("bool", False))),
        ("config.x = Null", Compare(config("x"), "=", Value("null", None))),
        (
            r"""name = "a\"b\\c\n\t\u00e9'" """,
            Compare(attr("name"), "=", s("a\"b\\c\n\té'")),
        ),
        (r"name = 'it\'s'", Compare(attr("name"), "=", s("it's"))),
        ("name = 'say \"hi\"'", Compare(attr("name"), "=", s('say "hi"'))),
        # lists, like, has, exists
        (
            'config.x in (1, "a", true, null)',
            In(config("x"), (num(1), s("a"), Value("bool", True), Value("null", None))),
        ),
        ("config.x not in (1)", In(config("x"), (num(1),), negated=True)),
        ('name like "res*"', Like(attr("name"), s("res*"))),
        ('name NOT LIKE "res*"', Like(attr("name"), s("res*"), negated=True)),
        ('tags has "x"', Has(TAGS, s("x"))),
        ('tags in ("x", "y")', In(TAGS, (s("x"), s("y")))),
        ("tags not exists", Exists(TAGS, negated=True)),
        ("group = null", Compare(attr("group"), "=", Value("null", None))),
        # created: epoch seconds or ISO dates
        ('created >= "2026-11-01"', Compare(attr("created"), ">=", s("2026-11-01"))),
        ("created < 1800000000", Compare(attr("created"), "<", num(1800000000))),
        ("duration > 3600", Compare(attr("duration"), ">", num(3600))),
        ("((name = 'a'))", Compare(attr("name"), "=", s("a"))),
        ("not not tags exists", Not(Not(Exists(TAGS)))),
    ],
)
def test_parses(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_and_or_are_flat_within_parentheses_only() -> None:
    a, b, c = (Exists(config(k)) for k in "abc")
    assert parse("config.a exists and config.b exists and config.c exists") == And((a, b, c))
    assert parse("(config.a exists and config.b exists) and config.c exists") == And(
        (And((a, b)), c)
    )


def test_positions_are_kept_but_not_compared() -> None:
    tree = parse("  state = 'running'")
    assert isinstance(tree, Compare)
    assert tree.field.pos == 2
    assert tree.value.pos == 10


def test_unparse_is_canonical() -> None:
    text = "NOT (state='failed' OR config.`a b`>=1.50) and tags NOT IN ('x')"
    assert unparse(parse(text)) == (
        'not (state = "failed" or config.`a b` >= 1.5) and tags not in ("x")'
    )


# Every error: (filter, first line of the message, 0-based position).
ERRORS = [
    # values
    ("config.lr <", "expected a value after '<' at column 12, found the end of the filter", 11),
    (
        "config.lr < foo",
        "expected a value after '<' at column 13, found 'foo' (quote strings: \"foo\")",
        12,
    ),
    ("config.x in ()", "expected a value after '(' at column 14, found ')'", 13),
    ("config.x in (1,)", "expected a value after ',' at column 16, found ')'", 15),
    ("config.x = 1.2.3", "invalid number '1.2.3' at column 12", 11),
    ("config.x = 10abc", "invalid number '10abc' at column 12", 11),
    ("config.x = 1e999", "number '1e999' is out of range at column 12", 11),
    # strings and backquotes
    ('name = "abc', 'unterminated string starting at column 8: add the closing "', 7),
    ("name = 'abc\\'", "unterminated string starting at column 8: add the closing '", 7),
    ("config.`a b = 1", "unterminated backquoted name starting at column 8: add the closing `", 7),
    (
        'name = "a\\q"',
        "unknown escape '\\q' at column 10 (use \\\\ \\\" \\' \\n \\t \\r or \\uXXXX)",
        9,
    ),
    ('name = "\\u12"', "expected 4 hex digits after '\\u' at column 9", 8),
    ('name = "\\u0000"', "'\\u0000' is not allowed in a string at column 9", 8),
    ('name = "\\uD834"', "'\\uD834' is not allowed in a string at column 9", 8),
    ('name = "a\x00"', "character '\\x00' is not allowed at column 10", 9),
    # parentheses
    ('(name = "a"', "unbalanced parenthesis: '(' at column 1 is never closed", 0),
    ('name = "a")', "unbalanced parenthesis: ')' at column 11 has no matching '('", 10),
    ("config.x in (1, 2", "unbalanced parenthesis: '(' at column 13 is never closed", 12),
    ('(name = "a" name', "expected 'and', 'or' or ')' at column 13, found 'name'", 12),
    # structure
    (
        "and",
        "expected a field (like config.lr, metrics.val/acc or state) at column 1, found 'and'",
        0,
    ),
    (
        "not",
        "expected a field (like config.lr, metrics.val/acc or state) at column 4, "
        "found the end of the filter",
        3,
    ),
    (
        "'abc'",
        "expected a field (like config.lr, metrics.val/acc or state) at column 1, found \"'abc'\"",
        0,
    ),
    (
        "config.x = 1 or",
        "expected a field (like config.lr, metrics.val/acc or state) at column 16, "
        "found the end of the filter",
        15,
    ),
    (
        "config.x = 1 foo",
        "expected 'and', 'or' or the end of the filter at column 14, found 'foo'",
        13,
    ),
    (
        "config.x",
        "expected an operator (=, !=, <, <=, >, >=, in, not in, like, not like, has, exists "
        "or not exists) after config.x at column 9, found the end of the filter",
        8,
    ),
    ("config.x not 3", "expected 'in', 'like' or 'exists' after 'not' at column 14, found '3'", 13),
    (
        "config.x in 1",
        "expected '(' after 'in' at column 13, found '1'; write in (\"a\", \"b\")",
        12,
    ),
    ("config.x in (1 2)", "expected ',' or ')' in the list at column 16, found '2'", 15),
    ("name like foo", "expected a quoted pattern after 'like' at column 11, found 'foo'", 10),
    ("tags has 3", "expected a quoted tag after 'has' at column 10, found '3'", 9),
    ("name ! 'a'", "expected '!=' at column 6 ('!' alone is not an operator; use 'not')", 5),
    ("metrics.a - 1", "unexpected character '-' at column 11", 10),
    # fields
    (
        "foo = 1",
        "unknown field 'foo' at column 1 (did you mean config.foo or metrics.foo?); expected "
        "config.<key>, metrics.<key>, summary.<key>, min/max/last/count(metrics.<key>), "
        "system.<field>, datasets.<name>.<part>, tags or one of name, state, group, id, project, "
        "notes, created, duration",
        0,
    ),
    ("stat = 'x'", "unknown field 'stat' at column 1 (did you mean 'state'?); expected", 0),
    ("metric.acc > 1", "unknown field 'metric.acc' at column 1 (did you mean 'metrics.acc'?)", 0),
    ("x and y", "unknown field 'x' at column 1", 0),
    ("config. = 1", "expected a key after 'config.' at column 8, like config.lr", 7),
    ("min(config.x) > 1", "min() takes a metric at column 5, like min(metrics.loss)", 4),
    ("max() > 1", "max() takes a metric at column 5, like max(metrics.loss)", 4),
    ("min(metrics.x > 1", "expected ')' after min(metrics.x at column 15, found '>'", 14),
    # types
    (
        "state < 3",
        "cannot compare state with the number 3 at column 9: state is text, so quote the value",
        8,
    ),
    (
        "name = true",
        "cannot compare name with true at column 8: name is text, so quote the value",
        7,
    ),
    (
        "group < null",
        "cannot compare group with null at column 9: group is text, so quote the value",
        8,
    ),
    (
        "state = 'finshed'",
        "unknown state 'finshed' at column 9; "
        "expected one of running, finished, failed, killed, crashed",
        8,
    ),
    ("state in ('running', 'x')", "unknown state 'x' at column 22", 21),
    (
        "config.flag < true",
        "cannot compare config.flag with true at column 15: true, false and null only work with "
        "=, != and in, not <",
        14,
    ),
    ("config.x >= null", "cannot compare config.x with null at column 13", 12),
    (
        "metrics.acc = true",
        "cannot compare metrics.acc with true at column 15: metrics.acc holds numbers "
        "(or strings set as summary values)",
        14,
    ),
    (
        "metrics.acc < 'x'",
        'cannot compare metrics.acc with the string "x" at column 15: summary strings only '
        "work with =, != and in, not <",
        14,
    ),
    (
        "min(metrics.acc) = 'x'",
        'cannot compare min(metrics.acc) with the string "x" at column 20: '
        "min(metrics.acc) is a number",
        19,
    ),
    (
        "duration = '1'",
        'cannot compare duration with the string "1" at column 12: duration is a number',
        11,
    ),
    ("created = true", "cannot compare created with true at column 11: created is a time", 10),
    (
        "created > 'yesterday'",
        'expected an ISO date like "2026-11-01" or "2026-11-01T12:00" for created at column 11, '
        'found the string "yesterday" (epoch seconds work too)',
        10,
    ),
    ("created > '2026-02-30'", "expected an ISO date like", 10),
    ("tags = 'x'", 'tags is a set at column 1: use tags has "x" or tags in ("x", "y"), not =', 0),
    (
        "tags in (1)",
        "cannot compare tags with the number 1 at column 10: tags are strings, so quote the value",
        9,
    ),
    ("duration like '1*'", "'like' matches text only at column 1, but duration is a number", 0),
    ("metrics.x like 'a*'", "'like' matches text only at column 1, but metrics.x is a metric", 0),
    ("name has 'x'", "'has' works on tags only at column 1 (tags has \"x\"), not on name", 0),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS)
def test_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    err = info.value
    first_line = err.message.split("\n")[0]
    assert first_line.startswith(message)
    assert err.position == position
    shown = text.replace("\x00", "\ufffd")  # characters no terminal should get
    assert err.text == shown
    # The message shows the filter and a caret under the column.
    assert err.message.split("\n")[1:] == [f"  {shown}", "  " + " " * position + "^"]
    assert isinstance(err, InvalidInput) and err.status_code == 400


def test_lone_surrogate() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse("name = '\ud800'")
    assert info.value.message.startswith("character '\\ud800' is not allowed at column 9")
    assert info.value.text == "name = '\ufffd'"
    info.value.message.encode("utf-8")  # printable


def test_depth_limit() -> None:
    ok = "(" * MAX_DEPTH + "name = 'a'" + ")" * MAX_DEPTH
    assert parse(ok) == Compare(attr("name"), "=", s("a"))
    assert isinstance(parse("not " * MAX_DEPTH + "tags exists"), Not)
    with pytest.raises(FilterSyntaxError, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse("(" * (MAX_DEPTH + 1) + "name = 'a'" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(FilterSyntaxError, match="nests deeper"):
        parse("not " * (MAX_DEPTH + 1) + "tags exists")


def test_length_limit() -> None:
    base = "tags exists"
    parse(base + " " * (MAX_LENGTH - len(base)))
    with pytest.raises(FilterSyntaxError) as info:
        parse(base + " " * (MAX_LENGTH + 1 - len(base)))
    assert (
        info.value.message
        == f"the filter is {MAX_LENGTH + 1} characters long; the limit is {MAX_LENGTH}"
    )


def test_not_a_string() -> None:
    with pytest.raises(FilterSyntaxError, match="the filter must be a string, got int"):
        parse(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("term", "field", "descending"),
    [
        ("name", attr("name"), False),
        ("-metrics.val/acc", metric("val/acc"), True),
        ("  +config.lr ", config("lr"), False),
        ("-max(metrics.loss)", metric("loss", "max"), True),
        ("- created", attr("created"), True),
        ("-metrics.`a b`", metric("a b"), True),
    ],
)
def test_order_terms(term: str, field: Field, descending: bool) -> None:
    assert parse_order_term(term) == (field, descending)


@pytest.mark.parametrize(
    ("term", "message", "position"),
    [
        ("", "expected a field to sort by at column 1", 0),
        ("-", "expected a field to sort by at column 2", 1),
        ("name desc", "expected the end of the sort term at column 6, found 'desc'", 5),
        ("-foo", "unknown field 'foo' at column 2", 1),
        ("-metrics.`x", "unterminated backquoted name starting at column 10", 9),
    ],
)
def test_order_term_errors(term: str, message: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_order_term(term)
    assert info.value.message.startswith(message)
    assert info.value.position == position
    assert info.value.text == term


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2026-11-01", 1793491200.0),
        ("2026-11-01T00:00", 1793491200.0),
        ("2026-11-01 00:00:01", 1793491201.0),
        ("2026-11-01T00:00:01.25", 1793491201.25),
        ("2026-11-01T00:00:00Z", 1793491200.0),
        ("2026-11-01T02:30+02:30", 1793491200.0),
        ("2026-10-31T23:00-01:00", 1793491200.0),
        ("2026-11-01T25:00", None),
        ("2026-02-30", None),
        ("2026-11-01T00:00+24:00", None),
        ("2026-1-1", None),
        ("20261101", None),
        ("2026-11-01T00", None),
        ("yesterday", None),
    ],
)
def test_parse_time(text: str, seconds: float | None) -> None:
    assert parse_time(text) == seconds
