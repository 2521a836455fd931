"""Run ids and default run names."""

from __future__ import annotations

import secrets

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
RUN_ID_LENGTH = 10

_ADJECTIVES = [
    "amber",
    "bold",
    "brave",
    "bright",
    "calm",
    "clever",
    "crisp",
    "dapper",
    "eager",
    "fair",
    "fancy",
    "gentle",
    "glad",
    "golden",
    "grand",
    "happy",
    "hardy",
    "jolly",
    "keen",
    "kind",
    "lively",
    "lucid",
    "merry",
    "misty",
    "noble",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "royal",
    "rustic",
    "sharp",
    "shiny",
    "silent",
    "sleek",
    "snowy",
    "solar",
    "spry",
    "steady",
    "stellar",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "wild",
    "wise",
    "witty",
    "young",
    "zesty",
]
_NOUNS = [
    "heron",
    "egret",
    "crane",
    "ibis",
    "stork",
    "falcon",
    "osprey",
    "kestrel",
    "swift",
    "wren",
    "finch",
    "robin",
    "lark",
    "owl",
    "raven",
    "magpie",
    "plover",
    "tern",
    "gull",
    "pelican",
    "kite",
    "sparrow",
    "thrush",
    "warbler",
    "oriole",
    "condor",
    "eagle",
    "hawk",
    "petrel",
    "puffin",
    "curlew",
    "sandpiper",
    "bittern",
    "grebe",
    "loon",
    "avocet",
]


def new_run_id() -> str:
    """10 characters of [a-z0-9]: short, URL-safe, ~52 bits of randomness."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(RUN_ID_LENGTH))


def is_run_id(text: str) -> bool:
    return len(text) == RUN_ID_LENGTH and all(c in _ALPHABET for c in text)


def default_run_name(sequence: int) -> str:
    """A descriptive name such as ``brave-heron-12``; ``sequence`` makes it unique."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{sequence}"
