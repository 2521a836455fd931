"""MLflow's search grammar translated to Heron's filter language (``heron.query``).

MLflow's ``search_runs`` filter is comparisons joined by ``AND``::

    metrics.acc > 0.9 and params.optimizer = 'adam' and tags.team LIKE 'vis%'
    attributes.status = 'FINISHED' and attributes.run_name IN ('a', 'b')

What has a Heron equivalent is translated (see :func:`translate_filter`); what has
none (``ILIKE``, ``OR``, ``datasets.*``, ``end_time``, ``mlflow.*`` tags other than the
run name and notes, a tag value too long to be a Heron tag) is refused with MLflow's
``INVALID_PARAMETER_VALUE``, never silently dropped. Keys may be quoted with double
quotes or backquotes (``metrics."val acc"``, ``params.`lr```).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from heron.server.mlflow.errors import MlflowError, invalid

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
    | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.(?:`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|[\w./:\-]+))?)
    | (?P<op>!=|<>|>=|<=|==|=|<|>)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)

_ENTITY = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "parameter": "params",
    "parameters": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
    "dataset": "datasets",
    "datasets": "datasets",
}
_STATES = {
    "RUNNING": ("running",),
    "FINISHED": ("finished",),
    "FAILED": ("failed", "crashed"),
    "KILLED": ("killed", "pruned"),
    "SCHEDULED": (),
}


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, ident, op, punct, word (AND, LIKE...)
    text: str


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise invalid(f"Invalid filter '{text}': cannot read it at '{text[pos : pos + 20]}'")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if (
            kind == "ident"
            and "." not in value
            and value.upper()
            in (
                "AND",
                "OR",
                "LIKE",
                "ILIKE",
                "IN",
                "NOT",
                "IS",
                "NULL",
            )
        ):
            kind, value = "word", value.upper()
        out.append(_Tok(kind, value))
        pos = m.end()
    return out


def _unquote(text: str) -> str:
    quote = text[0]
    body = text[1:-1]
    if quote == "'":
        body = body.replace("''", "'")
    return re.sub(r"\\(.)", r"\1", body)


def _identifier(tok: _Tok) -> tuple[str, str]:
    if tok.kind != "ident":
        raise invalid(
            f"Invalid filter: expected an identifier such as metrics.acc, got {tok.text!r}"
        )
    entity, dot, key = tok.text.partition(".")
    if not dot:
        return "attributes", entity
    kind = _ENTITY.get(entity.lower())
    if kind is None:
        raise invalid(
            f"Invalid entity type '{entity}'. Valid values are ['metric', 'parameter', 'tag', "
            "'attribute', 'dataset']"
        )
    if key[:1] in ("`", '"'):
        key = _unquote(key)
    return kind, key


def heron_string(text: str) -> str:
    """A string literal of Heron's filter language."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def heron_key(key: str) -> str:
    """A key in backquotes (any character allowed)."""
    return "`" + key.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _glob(pattern: str) -> str:
    """SQL LIKE (``%``, ``_``) as Heron's glob (``*``, ``?``), other characters literal."""
    out = []
    for ch in pattern:
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _glob_literal(text: str) -> str:
    return "".join("\\" + ch if ch in "*?\\" else ch for ch in text)


@dataclass
class Comparison:
    kind: str
    key: str
    op: str  # = != < <= > >= LIKE ILIKE IN NOT IN
    values: list[str | float]


def parse(text: str) -> list[Comparison]:
    """MLflow's filter as comparisons (all to hold)."""
    toks = _tokens(text)
    out: list[Comparison] = []
    i = 0
    while i < len(toks):
        kind, key = _identifier(toks[i])
        i += 1
        if i >= len(toks):
            raise invalid(f"Invalid filter '{text}': a comparison needs an operator and a value")
        tok = toks[i]
        if tok.kind == "op":
            op = {"==": "=", "<>": "!="}.get(tok.text, tok.text)
            i += 1
        elif tok.kind == "word" and tok.text in ("LIKE", "ILIKE", "IN"):
            op = tok.text
            i += 1
        elif (
            tok.kind == "word"
            and tok.text == "NOT"
            and i + 1 < len(toks)
            and toks[i + 1].text in ("IN", "LIKE", "ILIKE")
        ):
            op = "NOT " + toks[i + 1].text
            i += 2
        elif tok.kind == "word" and tok.text == "IS":
            raise invalid("IS NULL / IS NOT NULL is not supported by Heron's MLflow search")
        else:
            raise invalid(
                f"Invalid filter '{text}': expected a comparison operator, got {tok.text!r}"
            )
        values: list[str | float] = []
        if op in ("IN", "NOT IN"):
            if i >= len(toks) or toks[i].text != "(":
                raise invalid(f"Invalid filter '{text}': {op} takes a list in parentheses")
            i += 1
            while True:
                if i >= len(toks):
                    raise invalid(f"Invalid filter '{text}': unclosed list")
                values.append(_value(toks[i], text))
                i += 1
                if i < len(toks) and toks[i].text == ",":
                    i += 1
                    continue
                if i < len(toks) and toks[i].text == ")":
                    i += 1
                    break
                raise invalid(f"Invalid filter '{text}': expected ',' or ')' in the list")
        else:
            if i >= len(toks):
                raise invalid(f"Invalid filter '{text}': a comparison needs a value")
            values.append(_value(toks[i], text))
            i += 1
        out.append(Comparison(kind, key, op, values))
        if i < len(toks):
            if toks[i].kind == "word" and toks[i].text == "AND":
                i += 1
                if i >= len(toks):
                    raise invalid(f"Invalid filter '{text}': nothing after AND")
            elif toks[i].kind == "word" and toks[i].text == "OR":
                raise invalid(
                    "OR is not supported in MLflow's search filter; use IN or several searches"
                )
            else:
                raise invalid(f"Invalid filter '{text}': expected AND, got {toks[i].text!r}")
    return out


def _value(tok: _Tok, text: str) -> str | float:
    if tok.kind == "string":
        return _unquote(tok.text)
    if tok.kind == "number":
        return float(tok.text)
    raise invalid(
        f"Invalid filter '{text}': expected a quoted string or a number, got {tok.text!r}"
    )


def _strings(c: Comparison, what: str) -> list[str]:
    if not all(isinstance(v, str) for v in c.values):
        raise invalid(f"Invalid filter: the value of {what} must be a quoted string")
    return [str(v) for v in c.values]


def _text_field(field: str, c: Comparison, what: str) -> str:
    values = _strings(c, what)
    if c.op in ("=", "!="):
        return f"{field} {c.op} {heron_string(values[0])}"
    if c.op in ("LIKE", "NOT LIKE"):
        return f"{field} {c.op.lower()} {heron_string(_glob(values[0]))}"
    if c.op in ("IN", "NOT IN"):
        return f"{field} {c.op.lower()} ({', '.join(map(heron_string, values))})"
    raise invalid(
        f"Invalid comparator '{c.op}' for {what}: Heron's MLflow search supports =, !=, "
        "LIKE, IN, NOT IN here (ILIKE is not supported)"
    )


def _comparison(c: Comparison) -> str:
    if c.kind == "metrics":
        if c.op not in ("=", "!=", "<", "<=", ">", ">=") or not isinstance(c.values[0], float):
            raise invalid(
                f"Invalid comparison for metric '{c.key}': a comparison operator and a number"
            )
        return f"metrics.{heron_key(c.key)} {c.op} {c.values[0]!r}"
    if c.kind == "params":
        return _text_field(f"config.{heron_key(c.key)}", c, f"param '{c.key}'")
    if c.kind == "tags":
        return _tag(c)
    if c.kind == "datasets":
        raise invalid("searching runs by datasets.* is not supported by Heron")
    return _attribute(c)


def _tag(c: Comparison) -> str:
    if c.key == "mlflow.runName":
        return _text_field("name", c, "tag 'mlflow.runName'")
    if c.key == "mlflow.note.content":
        return _text_field("notes", c, "tag 'mlflow.note.content'")
    if c.key.startswith("mlflow."):
        raise invalid(
            f"Heron cannot search on the system tag '{c.key}' (it keeps only "
            "mlflow.runName and mlflow.note.content searchable)"
        )
    values = _strings(c, f"tag '{c.key}'")
    key = _glob_literal(c.key)
    has_key = f"(tags like {heron_string(key + '=*')} or tags has {heron_string(c.key)})"

    def label(value: str) -> str:
        return heron_string(f"{c.key}={value}" if value else c.key)

    if c.op == "=":
        return f"tags has {label(values[0])}"
    if c.op == "!=":
        return f"({has_key} and not tags has {label(values[0])})"
    if c.op == "LIKE":
        return f"tags like {heron_string(key + '=' + _glob(values[0]))}"
    if c.op == "NOT LIKE":
        return f"({has_key} and tags not like {heron_string(key + '=' + _glob(values[0]))})"
    if c.op == "IN":
        return f"tags in ({', '.join(map(label, values))})"
    if c.op == "NOT IN":
        return f"({has_key} and tags not in ({', '.join(map(label, values))}))"
    raise invalid(f"Invalid comparator '{c.op}' for tag '{c.key}' (ILIKE is not supported)")


def _attribute(c: Comparison) -> str:
    key = c.key.lower()
    if key == "status":
        values = _strings(c, "attributes.status")
        states: list[str] = []
        for value in values:
            if value.upper() not in _STATES:
                raise invalid(f"Invalid status {value!r}: one of {', '.join(_STATES)}")
            states.extend(_STATES[value.upper()])
        if c.op in ("=", "IN"):
            listed = ", ".join(map(heron_string, states)) or '""'
            return f"state in ({listed})"
        if c.op in ("!=", "NOT IN"):
            if not states:
                return 'state != ""'
            return f"state not in ({', '.join(map(heron_string, states))})"
        raise invalid(f"Invalid comparator '{c.op}' for attributes.status")
    if key in ("run_name", "runname"):
        return _text_field("name", c, "attributes.run_name")
    if key in ("run_id", "runid", "run_uuid"):
        if c.op not in ("=", "!=", "IN", "NOT IN"):
            raise invalid(f"Invalid comparator '{c.op}' for attributes.run_id")
        return _text_field("id", c, "attributes.run_id")
    if key in ("start_time", "created", "creation_time"):
        if c.op not in ("=", "!=", "<", "<=", ">", ">=") or not isinstance(c.values[0], float):
            raise invalid(
                f"Invalid comparison for attributes.{c.key}: an operator and milliseconds"
            )
        return f"created {c.op} {c.values[0] / 1000.0!r}"
    raise invalid(
        f"Heron cannot search runs on attributes.{c.key} "
        "(supported: status, run_name, run_id, start_time)"
    )


def translate_filter(text: str | None) -> str | None:
    """MLflow's filter as Heron's (None: every run). MlflowError when it cannot be
    translated."""
    if text is None or not text.strip():
        return None
    return " and ".join(_comparison(c) for c in parse(text))


def translate_order_by(terms: list[str]) -> list[str]:
    """MLflow's ``order_by`` (``"metrics.acc DESC"``, ``"start_time"``) as Heron's sort
    terms (``"-metrics.`acc`"``, ``"created"``). Ties: newest first (MLflow's default)."""
    out: list[str] = []
    for term in terms:
        if not isinstance(term, str) or not term.strip():
            raise invalid(f"Invalid order_by clause {term!r}")
        text = term.strip()
        descending = False
        upper = text.upper()
        if upper.endswith(" DESC"):
            descending, text = True, text[:-5].rstrip()
        elif upper.endswith(" ASC"):
            text = text[:-4].rstrip()
        toks = _tokens(text)
        if len(toks) != 1:
            raise invalid(f"Invalid order_by clause '{term}'")
        kind, key = _identifier(toks[0])
        if kind == "metrics":
            field = f"metrics.{heron_key(key)}"
        elif kind == "params":
            field = f"config.{heron_key(key)}"
        elif kind == "tags" and key == "mlflow.runName":
            field = "name"
        elif kind == "attributes" and key.lower() in ("start_time", "created"):
            field = "created"
        elif kind == "attributes" and key.lower() in ("run_name",):
            field = "name"
        elif kind == "attributes" and key.lower() == "status":
            field = "state"
        elif kind == "attributes" and key.lower() == "run_id":
            field = "id"
        else:
            raise invalid(
                f"Heron cannot order runs by '{term.strip()}' "
                "(metrics, params, start_time, run_name, status, run_id)"
            )
        out.append(("-" if descending else "") + field)
    return out


def check_max_results(value: int, limit: int) -> int:
    if value <= 0 or value > limit:
        raise MlflowError(
            "INVALID_PARAMETER_VALUE",
            f"Invalid value {value} for parameter 'max_results' supplied. "
            f"It must be at most {limit}, and at least 1",
        )
    return value
