"""What keeps secrets out of the run record."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.sdk.capture.redact import (
    MASK,
    is_secret_flag,
    is_secret_name,
    redact_argv,
    strip_credentials,
    strip_credentials_in_text,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://ghp_token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("http://u:p@host:8080/x?y=1#z", "http://host:8080/x?y=1#z"),
        ("https://u:p@ss@host/x", "https://host/x"),  # an unescaped @ in the password
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("ssh://git:hunter2@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("file:///srv/git/r.git", "file:///srv/git/r.git"),
        ("", ""),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.~!$", min_size=1, max_size=20)


@given(user=_part, secret=_part, host=st.from_regex(r"[a-z]{1,10}\.[a-z]{2,5}", fullmatch=True))
def test_no_password_survives(user: str, secret: str, host: str) -> None:
    url = f"https://{user}:{secret}@{host}/repo.git"
    assert strip_credentials(url) == f"https://{host}/repo.git"


def test_urls_inside_text() -> None:
    text = "pull https://u:tok@a.com/x and https://b.com/y"
    assert strip_credentials_in_text(text) == "pull https://a.com/x and https://b.com/y"


@pytest.mark.parametrize(
    "name",
    ["HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "SLURM_API_KEY", "db_password", "GH_AUTH", "MY_PASSWD"],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID", "RANK", "HOSTNAME"])
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("flag", "secret"),
    [
        ("--api-key", True),
        ("--apikey", True),
        ("--hf_token", True),
        ("--password", True),
        ("--auth", True),
        ("--db-secret", True),
        ("--tokenizer", False),
        ("--max-tokens", False),
        ("--keyframes", False),
        ("--lr", False),
    ],
)
def test_secret_flags(flag: str, secret: bool) -> None:
    assert is_secret_flag(flag) is secret


def test_redact_argv() -> None:
    argv = [
        "train.py",
        "--api-key=abc123",
        "--lr",
        "0.1",
        "--token",
        "xyz789",
        "--data",
        "https://u:pw@data.example.com/set",
        "--tokenizer",
        "bpe",
        "--password",
        "--verbose",
    ]
    assert redact_argv(argv) == [
        "train.py",
        f"--api-key={MASK}",
        "--lr",
        "0.1",
        "--token",
        MASK,
        "--data",
        "https://data.example.com/set",
        "--tokenizer",
        "bpe",
        "--password",  # no value followed: nothing to mask
        "--verbose",
    ]
