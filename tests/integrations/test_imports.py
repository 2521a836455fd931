"""``import heron`` (and ``heron.integrations`` itself) imports no framework: each
integration module imports its framework when it is itself imported."""

from __future__ import annotations

import json
import subprocess
import sys

FRAMEWORKS = [
    "torch",
    "lightning",
    "pytorch_lightning",
    "transformers",
    "keras",
    "tensorflow",
    "jax",
    "xgboost",
    "lightgbm",
    "optuna",
    "ray",
    "sklearn",
    "skops",
    "pandas",
]


def imported_after(statement: str) -> list[str]:
    code = (
        "import json, sys\n"
        f"{statement}\n"
        f"print(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_import_heron_imports_no_framework() -> None:
    statement = "import heron, heron.integrations, heron.integrations.common"
    assert imported_after(statement) == []
