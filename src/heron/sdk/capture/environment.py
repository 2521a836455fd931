"""The machine and process a run starts on: Python, OS, CPU, RAM, GPUs, torch, argv.

Two entry points, each returning a JSON-able dict whose parts fail independently (a
part that raises is recorded as ``{"error": "..."}``):

- :func:`capture_program` — Python, argv (secrets masked), cwd, the entry script.
  Always recorded: ``heron reproduce`` needs it.
- :func:`capture_environment` — platform, host, CPU, memory, GPUs, torch/CUDA and
  an allow-list of environment variables. Turned off by ``HERON_CAPTURE_ENV=false``.

torch is never imported here: importing it costs seconds. When the script has
already imported it, its CUDA/cuDNN versions and devices are read from the loaded
module; when it is only installed, the version and the CUDA version it was built
for are read from ``torch/version.py`` as text.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil

from heron.sdk.capture.redact import is_secret_name, redact_argv, strip_credentials_in_text

GIB = 1024**3

# Environment variables recorded when set: exact names, then prefixes. A name that
# looks secret (see ``redact.is_secret_name``) is dropped even when it matches.
ENV_ALLOWLIST = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "NVIDIA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "CUBLAS_WORKSPACE_CONFIG",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "WORLD_SIZE",
        "RANK",
        "LOCAL_RANK",
        "LOCAL_WORLD_SIZE",
        "GROUP_RANK",
        "NODE_RANK",
        "MASTER_ADDR",
        "MASTER_PORT",
        "PYTHONHASHSEED",
        "PYTHONOPTIMIZE",
        "HOSTNAME",
        "CONDA_DEFAULT_ENV",
        "CONDA_PREFIX",
        "VIRTUAL_ENV",
        "XLA_FLAGS",
    }
)
ENV_ALLOWED_PREFIXES = ("SLURM_", "NCCL_", "TORCH_", "PYTORCH_", "TORCHELASTIC_", "OMPI_COMM_")

Part = Callable[[], Any]


def capture_program(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Python and the command line of this process."""
    args = list(sys.argv if argv is None else argv)
    return _parts({"python": _python, "process": lambda: _process(args)})


def capture_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Platform, host, CPU, memory, GPUs, torch and allow-listed environment variables."""
    env = os.environ if environ is None else environ
    return _parts(
        {
            "platform": _platform,
            "cpu": _cpu,
            "memory": _memory,
            "gpu": _gpu,
            "torch": _torch,
            "env": lambda: allowed_env(env),
        }
    )


def allowed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed variables of ``environ``, secrets excluded, sorted by name."""
    return {
        name: strip_credentials_in_text(value)
        for name, value in sorted(environ.items())
        if (name in ENV_ALLOWLIST or name.startswith(ENV_ALLOWED_PREFIXES))
        and not is_secret_name(name)
    }


def _parts(parts: Mapping[str, Part]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, fn in parts.items():
        try:
            out[name] = fn()
        except Exception as exc:  # one broken probe must not hide the others
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def _python() -> dict[str, Any]:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
    }


def _process(argv: list[str]) -> dict[str, Any]:
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    script = main_file or (argv[0] if argv and argv[0] not in ("", "-c", "-m") else None)
    return {
        "argv": redact_argv(argv),
        "cwd": os.getcwd(),
        "entry_script": str(Path(script).resolve()) if script else None,
        "pid": os.getpid(),
    }


def _platform() -> dict[str, Any]:
    uname = platform.uname()
    return {
        "system": uname.system,
        "release": uname.release,
        "version": uname.version,
        "machine": uname.machine,
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
    }


def _cpu() -> dict[str, Any]:
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "model": _cpu_model(),
        "physical_cores": psutil.cpu_count(logical=False),
        "logical_cores": psutil.cpu_count(logical=True),
        "usable_cores": len(affinity(0)) if affinity else os.cpu_count(),
    }


def _cpu_model() -> str | None:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith(("model name", "Hardware", "Processor")):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
    elif sys.platform == "darwin":
        done = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return platform.processor() or None


def _memory() -> dict[str, Any]:
    return {"total_gb": round(psutil.virtual_memory().total / GIB, 2)}


def _gpu() -> dict[str, Any]:
    """GPUs as NVML sees them (all of the host's, in PCI order); none without NVML."""
    try:
        import pynvml
    except ImportError:
        return {"count": 0, "devices": [], "nvml": "not installed"}
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        return {"count": 0, "devices": [], "nvml": f"unavailable: {exc}"}
    try:
        devices = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            devices.append(
                {
                    "index": i,
                    "name": _text(pynvml.nvmlDeviceGetName(handle)),
                    "memory_gb": round(pynvml.nvmlDeviceGetMemoryInfo(handle).total / GIB, 2),
                }
            )
        cuda = pynvml.nvmlSystemGetCudaDriverVersion()
        return {
            "count": len(devices),
            "devices": devices,
            "driver": _text(pynvml.nvmlSystemGetDriverVersion()),
            "cuda_driver": f"{cuda // 1000}.{cuda % 1000 // 10}",
        }
    finally:
        pynvml.nvmlShutdown()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _torch() -> dict[str, Any] | None:
    """torch as loaded by the script, or as installed (read without importing it).

    Nothing here initialises CUDA: a CUDA context created before the script forks
    (DataLoader workers) breaks the children. Device names come from NVML instead.
    """
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "backends"):  # absent, or half imported
        return _torch_installed()
    cudnn = torch.backends.cudnn
    return {
        "version": str(torch.__version__),
        "imported": True,
        "cuda": torch.version.cuda,
        "hip": getattr(torch.version, "hip", None),
        "cudnn": cudnn.version() if cudnn.is_available() else None,
        "cuda_initialized": bool(torch.cuda.is_initialized()),
    }


def _torch_installed() -> dict[str, Any] | None:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        version_file = Path(folder) / "version.py"
        if version_file.is_file():
            values = _literal_assignments(version_file.read_text(encoding="utf-8"))
            return {
                "version": values.get("__version__"),
                "imported": False,
                "cuda": values.get("cuda"),
                "hip": values.get("hip"),
            }
    return {"version": None, "imported": False}


def _literal_assignments(source: str) -> dict[str, Any]:
    """``name = <literal>`` statements at the top of a module, without running it."""
    values: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None:
                continue
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    values[target.id] = value
    return values
