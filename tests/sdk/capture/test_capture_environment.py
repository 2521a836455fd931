"""capture_environment / capture_program on this real machine, plus a fake NVML."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest

from heron.sdk.capture import environment
from heron.sdk.capture.environment import allowed_env, capture_environment, capture_program


def test_environment_of_this_machine() -> None:
    env = capture_environment()
    json.dumps(env)  # JSON-able all the way down
    assert set(env) == {"platform", "cpu", "memory", "gpu", "torch", "env"}
    assert env["platform"]["system"]
    assert env["platform"]["hostname"]
    assert env["cpu"]["logical_cores"] == psutil.cpu_count()
    assert 1 <= env["cpu"]["usable_cores"] <= env["cpu"]["logical_cores"]
    assert env["memory"]["total_gb"] > 0
    assert env["gpu"]["count"] == len(env["gpu"]["devices"])


def test_program_of_this_process() -> None:
    program = capture_program(["train.py", "--lr", "0.1"])
    json.dumps(program)
    python = program["python"]
    assert python["version"] == ".".join(map(str, sys.version_info[:3]))
    assert python["executable"] == sys.executable
    assert program["process"]["argv"] == ["train.py", "--lr", "0.1"]
    assert program["process"]["cwd"] == os.getcwd()
    assert Path(program["process"]["entry_script"]).is_absolute()


def test_entry_script_of_a_real_script(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import json\n"
        "from heron.sdk.capture.environment import capture_program\n"
        "print(json.dumps(capture_program()))\n"
    )
    out = subprocess.run(
        [sys.executable, "train.py", "--api-key", "k-123", "--epochs", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    process = json.loads(out)["process"]
    assert process["entry_script"] == str(script.resolve())
    assert process["argv"] == ["train.py", "--api-key", "***", "--epochs", "3"]
    assert "k-123" not in out


def test_allowlist_keeps_useful_variables_and_drops_secrets() -> None:
    environ = {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "SLURM_JOB_ID": "4242",
        "SLURM_AUTH_TOKEN": "nope",
        "NCCL_IB_KEY": "nope",
        "TORCH_SECRET": "nope",
        "WORLD_SIZE": "8",
        "MASTER_ADDR": "10.0.0.1",
        "OMP_NUM_THREADS": "4",
        "AWS_SECRET_ACCESS_KEY": "nope",
        "HF_TOKEN": "nope",
        "HOME": "/home/me",
        "PATH": "/usr/bin",
        "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
        "TORCH_HOME": "https://user:pw@mirror.example.com/torch",
    }
    assert allowed_env(environ) == {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "MASTER_ADDR": "10.0.0.1",
        "OMP_NUM_THREADS": "4",
        "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
        "SLURM_JOB_ID": "4242",
        "TORCH_HOME": "https://mirror.example.com/torch",
        "WORLD_SIZE": "8",
    }


def test_env_part_reads_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    monkeypatch.setenv("SLURM_API_TOKEN", "supersecret")
    env = capture_environment()["env"]
    assert env["SLURM_JOB_ID"] == "77"
    assert "SLURM_API_TOKEN" not in env


def test_a_failing_part_is_recorded_and_the_rest_captured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom() -> dict[str, Any]:
        raise OSError("no /proc here")

    monkeypatch.setattr(environment, "_cpu", boom)
    env = capture_environment()
    assert env["cpu"] == {"error": "OSError: no /proc here"}
    assert env["memory"]["total_gb"] > 0


class FakeNVMLError(Exception):
    pass


def fake_pynvml(names: list[str]) -> SimpleNamespace:
    calls: list[str] = []
    return SimpleNamespace(
        NVMLError=FakeNVMLError,
        nvmlInit=lambda: calls.append("init"),
        nvmlShutdown=lambda: calls.append("shutdown"),
        nvmlDeviceGetCount=lambda: len(names),
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: names[h].encode(),  # older bindings return bytes
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(total=80 * 1024**3, used=0),
        nvmlSystemGetDriverVersion=lambda: "550.54.15",
        nvmlSystemGetCudaDriverVersion=lambda: 12040,
        calls=calls,
    )


def test_gpus_from_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_pynvml(["NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"])
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    gpu = capture_environment()["gpu"]
    assert gpu == {
        "count": 2,
        "devices": [
            {"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_gb": 80.0},
            {"index": 1, "name": "NVIDIA H100 80GB HBM3", "memory_gb": 80.0},
        ],
        "driver": "550.54.15",
        "cuda_driver": "12.4",
    }
    assert fake.calls == ["init", "shutdown"]


def test_no_driver_means_no_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_pynvml([])

    def no_driver() -> None:
        raise FakeNVMLError("NVML Shared Library Not Found")

    fake.nvmlInit = no_driver
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    gpu = capture_environment()["gpu"]
    assert gpu["count"] == 0
    assert "Not Found" in gpu["nvml"]


def test_no_nvml_module_means_no_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    assert capture_environment()["gpu"] == {"count": 0, "devices": [], "nvml": "not installed"}


torch_installed = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="torch is not installed"
)


def _capture_in_subprocess(prelude: str) -> dict[str, Any]:
    code = (
        f"{prelude}\n"
        "import json, sys\n"
        "from heron.sdk.capture.environment import capture_environment\n"
        "t = capture_environment()['torch']\n"
        "print(json.dumps({'torch': t, 'imported': 'torch' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


@torch_installed
def test_torch_installed_but_not_imported_is_read_without_importing() -> None:
    result = _capture_in_subprocess("")
    assert result["imported"] is False  # capturing did not import torch
    torch_info = result["torch"]
    assert torch_info["imported"] is False
    assert torch_info["version"] == metadata.version("torch")


@torch_installed
def test_torch_imported_by_the_script() -> None:
    result = _capture_in_subprocess("import torch")
    torch_info = result["torch"]
    assert torch_info["imported"] is True
    assert torch_info["version"] == metadata.version("torch")
    assert torch_info["cuda_initialized"] is False  # capture never starts CUDA


def test_torch_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert capture_environment()["torch"] is None


def test_literal_assignments_reads_torch_style_version_files() -> None:
    source = (
        "from typing import Optional\n"
        "__all__ = ['__version__']\n"
        "__version__ = '2.3.1+cu121'\n"
        "debug = False\n"
        "cuda: Optional[str] = '12.1'\n"
        "git_version = compute()\n"
        "hip: Optional[str] = None\n"
    )
    values = environment._literal_assignments(source)
    assert values["__version__"] == "2.3.1+cu121"
    assert values["cuda"] == "12.1"
    assert values["hip"] is None
    assert "git_version" not in values
