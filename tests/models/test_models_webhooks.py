"""heron.models.webhooks end to end: a script that registers a version and exits at
once still delivers its webhook (the process waits for pending deliveries at exit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from heron.registry.webhooks import verify_signature
from tests.registry.receiver import Receiver
from tests.registry.test_webhooks import SECRET

SCRIPT = """
import sys, heron
root, url, secret = sys.argv[1:4]
with heron.init(project="p", dir=root, capture=False, system_metrics=False) as run:
    open(root + "-w.bin", "wb").write(b"weights")
    heron.models.webhooks.add(url, ["version-created"], secret=secret, dir=root)
    heron.models.register(run, root + "-w.bin", name="clf")
print("exiting")
"""


def test_a_script_that_exits_right_away_still_delivers(
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    root = str(tmp_path / "heron-runs")
    env = {**os.environ, "HERON_WEBHOOK_ALLOW": f"127.0.0.1:{receiver.port}"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, root, receiver.url, SECRET],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert verify_signature(
        SECRET, body, headers["X-Heron-Timestamp"], headers["X-Heron-Signature"]
    )
    assert json.loads(body)["event"] == "version-created"
    import heron

    hooks = heron.models.webhooks.list(dir=root)
    assert [d.status for d in heron.models.webhooks.deliveries(hooks[0].id, dir=root)] == [
        "delivered"
    ]


def test_the_default_policy_refuses_loopback_through_heron_models(tmp_path: Path) -> None:
    import pytest

    import heron
    from heron.errors import InvalidInput

    root = tmp_path / "heron-runs"
    with heron.init(project="p", dir=root, capture=False, system_metrics=False):
        pass
    with pytest.raises(InvalidInput, match="loopback"):
        heron.models.webhooks.add(
            "http://localhost:8080/", ["stage-changed"], secret=SECRET, dir=root
        )
    assert heron.models.webhooks.list(dir=root) == []
