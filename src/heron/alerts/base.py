"""Alerts, rules and deliveries: the objects, their limits and the checks of user input.

An :class:`Alert` is raised by a run (``run.alert(title, text, level)``) or by a
:class:`Rule` of its project; each goes to the UI, and to the webhooks and e-mail
addresses of the rules that match it (see docs/alerts.md). Every check here raises
:class:`~heron.errors.InvalidInput` (a 400 on the server) with a message that says
what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from heron.errors import InvalidInput
from heron.keys import check_label, check_metric_pattern, check_text
from heron.registry.egress import parse_url
from heron.states import TERMINAL_STATES

Level = Literal["info", "warn", "error"]
LEVELS: tuple[Level, ...] = get_args(Level)
RuleKind = Literal["alert", "nan", "divergence", "threshold", "stale", "state", "group_done"]
RULE_KINDS: tuple[RuleKind, ...] = get_args(RuleKind)
METRIC_KINDS = frozenset({"nan", "divergence", "threshold"})
Op = Literal[">", ">=", "<", "<="]
OPS: tuple[Op, ...] = get_args(Op)
AlertStatus = Literal["sent", "quiet", "throttled"]
DeliveryStatus = Literal["delivered", "retrying", "failed", "refused"]
Channel = Literal["webhook", "email"]

MAX_TITLE_LENGTH = 256
MAX_TEXT_BYTES = 16 << 10  # 16 KiB of UTF-8: an alert is a message, not a log
MAX_RULE_NAME_LENGTH = 256
MAX_TARGETS = 10  # webhooks, and e-mail addresses, per rule
MAX_RULES_PER_PROJECT = 100
MAX_STALE_MINUTES = 7 * 24 * 60
_EMAIL = re.compile(
    r"^[^@\s<>,;\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$|^[^@\s]+@localhost$"
)
_RANK: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}


def level_rank(level: str) -> int:
    return _RANK[level]


def check_level(level: object) -> Level:
    for known in LEVELS:
        if level == known:
            return known
    raise InvalidInput(f"an alert level is one of {', '.join(LEVELS)}, got {level!r}")


def check_title(title: object) -> str:
    return check_label(title, "alert title", MAX_TITLE_LENGTH)


def check_alert_text(text: object) -> str:
    return check_text(text, "alert text", MAX_TEXT_BYTES)


def check_email(address: object) -> str:
    if not isinstance(address, str) or len(address) > 320 or not _EMAIL.match(address):
        raise InvalidInput(f"{address!r} is not an e-mail address (name@example.com)")
    return address


@dataclass(frozen=True)
class NewRule:
    """A rule as asked for (the CLI, the REST API, the UI); :func:`check_rule` checks it.

    ``kind`` and its parameters:

    - ``alert``: alerts from code (``run.alert``) of at least ``min_level``;
    - ``nan``: a NaN or ±inf point in a metric matching ``key`` (a glob, default ``*``);
    - ``divergence``: a point of ``key`` above ``factor`` × its running minimum
      (the minimum must be positive: a loss, not a score);
    - ``threshold``: a point of ``key`` for which ``value op threshold`` holds;
    - ``stale``: a running run with no new point for ``minutes`` (the server checks);
    - ``state``: a run ended in one of ``states`` (default failed and crashed);
    - ``group_done``: every run of a run group (a sweep) matching ``group`` ended.
    """

    name: str
    kind: str
    key: str | None = None
    factor: float | None = None
    op: str | None = None
    threshold: float | None = None
    minutes: float | None = None
    states: Sequence[str] | None = None
    group: str | None = None
    min_level: str = "info"
    webhooks: Sequence[str] = ()
    emails: Sequence[str] = ()
    enabled: bool = True


@dataclass(frozen=True)
class Rule:
    id: int
    project: str
    name: str
    kind: RuleKind
    key: str | None
    params: Mapping[str, Any]
    min_level: Level
    webhooks: tuple[str, ...]
    emails: tuple[str, ...]
    enabled: bool
    created_by: str
    created_at: float


@dataclass(frozen=True)
class Alert:
    id: int
    project: str
    run_id: str | None
    rule_id: int | None
    level: Level
    title: str
    text: str
    status: AlertStatus
    repeats: int
    created_at: float
    last_at: float
    read_at: float | None


@dataclass(frozen=True)
class Delivery:
    id: int
    alert_id: int
    channel: Channel
    target: str
    attempt: int
    status: DeliveryStatus
    response_code: int | None
    error: str | None
    time: float


@dataclass(frozen=True)
class Firing:
    """An alert about to be raised: what it says, who raised it, where it goes, and its
    dedup key (an alert with the same key inside the dedup window is counted, not
    raised again). ``once``: deduplicated forever (a stalled run: one alert per stall)."""

    project: str
    run_id: str | None
    rule: Rule | None
    level: Level
    title: str
    text: str
    dedup_key: str
    once: bool = False
    webhooks: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


def check_rule(rule: NewRule) -> tuple[str | None, dict[str, Any]]:
    """The rule's (key, params) once every field is valid; InvalidInput otherwise."""
    check_label(rule.name, "rule name", MAX_RULE_NAME_LENGTH)
    if rule.kind not in RULE_KINDS:
        raise InvalidInput(f"a rule's kind is one of {', '.join(RULE_KINDS)}, got {rule.kind!r}")
    check_level(rule.min_level)
    for what, values in (("webhooks", rule.webhooks), ("emails", rule.emails)):
        if isinstance(values, str) or len(values) > MAX_TARGETS:
            raise InvalidInput(f"a rule has a list of at most {MAX_TARGETS} {what}")
    for url in rule.webhooks:
        parse_url(url)  # the egress policy is checked again at each delivery
    for address in rule.emails:
        check_email(address)
    given = {
        "factor": rule.factor,
        "op": rule.op,
        "threshold": rule.threshold,
        "minutes": rule.minutes,
        "states": rule.states,
        "group": rule.group,
    }
    wanted = _PARAMS[rule.kind]
    extra = sorted(k for k, v in given.items() if v is not None and k not in wanted)
    if extra:
        raise InvalidInput(f"a {rule.kind} rule takes no {', '.join(extra)}")
    key = rule.key
    if rule.kind in METRIC_KINDS:
        key = check_metric_pattern(key if key is not None else "*")  # a glob: each key alone
    elif key is not None:
        raise InvalidInput(f"a {rule.kind} rule takes no metric key")
    params: dict[str, Any] = {}
    if rule.kind == "divergence":
        params["factor"] = _finite(rule.factor, "factor", above=1.0)
    elif rule.kind == "threshold":
        if rule.op not in OPS:
            raise InvalidInput(f"a threshold rule's op is one of {' '.join(OPS)}, got {rule.op!r}")
        params["op"] = rule.op
        params["threshold"] = _finite(rule.threshold, "threshold")
    elif rule.kind == "stale":
        minutes = _finite(rule.minutes, "minutes", above=0.0)
        if minutes > MAX_STALE_MINUTES:
            raise InvalidInput(f"a stale rule waits at most {MAX_STALE_MINUTES} minutes")
        params["minutes"] = minutes
    elif rule.kind == "state":
        states = list(rule.states) if rule.states is not None else ["failed", "crashed"]
        bad = [s for s in states if s not in TERMINAL_STATES]
        if bad or not states or isinstance(rule.states, str):
            raise InvalidInput(
                f"a state rule's states are some of {', '.join(sorted(TERMINAL_STATES))}"
            )
        params["states"] = sorted(set(states))
    elif rule.kind == "group_done":
        params["group"] = check_label(rule.group or "*", "group pattern")
    return key, params


_PARAMS: dict[str, frozenset[str]] = {
    "alert": frozenset(),
    "nan": frozenset(),
    "divergence": frozenset({"factor"}),
    "threshold": frozenset({"op", "threshold"}),
    "stale": frozenset({"minutes"}),
    "state": frozenset({"states"}),
    "group_done": frozenset({"group"}),
}


def _finite(value: object, what: str, above: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"a rule's {what} is a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"a rule's {what} must be finite, got {value!r}")
    if above is not None and number <= above:
        raise InvalidInput(f"a rule's {what} must be above {above:g}, got {value!r}")
    return number


def describe(rule: Rule) -> str:
    """The rule's condition in words (the CLI's listing, the alert text)."""
    p = rule.params
    if rule.kind == "alert":
        return f"run.alert() at level {rule.min_level} or above"
    if rule.kind == "nan":
        return f"NaN or infinity in {rule.key}"
    if rule.kind == "divergence":
        return f"{rule.key} above {p['factor']:g}x its running minimum"
    if rule.kind == "threshold":
        return f"{rule.key} {p['op']} {p['threshold']:g}"
    if rule.kind == "stale":
        return f"no new point for {p['minutes']:g} min"
    if rule.kind == "state":
        return f"run ended {' or '.join(p['states'])}"
    return f"every run of group {p['group']} ended"
