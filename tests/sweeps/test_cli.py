"""`heron sweep` at the edge: bad input is one line and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from heron.cli.main import cli


def heron(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


def test_a_bad_sweep_file_is_refused_with_its_field(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("metric: loss\nrun_cap: 3\nparameters: {lr: {min: 1, max: 0}}\n")
    code, err = heron("--dir", str(tmp_path / "store"), "sweep", "create", str(path))
    assert code == 2 and "parameters.lr: min (1) must be below max (0)" in err
    assert "Traceback" not in err


def test_a_server_that_does_not_answer_and_unknown_sweeps(tmp_path: Path) -> None:
    code, err = heron("--dir", "http://127.0.0.1:9", "sweep", "ls")
    assert code != 0 and "cannot reach the Heron server at http://127.0.0.1:9" in err
    assert "Traceback" not in err
    path = tmp_path / "s.yaml"
    path.write_text("metric: loss\nrun_cap: 3\nparameters: {lr: {min: 0.0, max: 1.0}}\n")
    store = str(tmp_path / "store")
    assert heron("--dir", store, "sweep", "create", str(path))[0] == 0
    code, err = heron("--dir", store, "sweep", "create", str(path))
    assert code == 1 and "a sweep named 's' exists" in err
    code, err = heron("--dir", store, "sweep", "show", "nope")
    assert code == 1 and "no sweep named 'nope'" in err
    code, err = heron("--dir", store, "agent", "s", "--", "python", "t.py", "--lr={rate}")
    assert code == 2 and "the command names {rate}, which is not a parameter" in err
