"""System metrics: a daemon thread that samples the host and this process.

Every ``interval`` seconds :class:`SystemSampler` calls ``emit`` with one dict of
``system/...`` keys (float values):

=================================  ===================================================
``system/cpu.percent``             host CPU use since the last sample, 0-100
``system/memory.percent``          host RAM in use, 0-100
``system/memory.used_gb``          host RAM in use, GiB
``system/proc.rss_mb``             resident memory of this process, MiB
``system/proc.cpu_percent``        this process's CPU since the last sample; 100 is one
                                   core, so it can exceed 100 with several threads
``system/disk.read_mb``            host disk reads, MiB **per second** since the last
``system/disk.write_mb``           sample (likewise writes)
``system/net.sent_mb``             host network traffic, MiB **per second** since the
``system/net.recv_mb``             last sample
``system/gpu.{i}.util``            GPU busy time over NVML's last window, 0-100
``system/gpu.{i}.memory.percent``  GPU memory in use, 0-100
``system/gpu.{i}.memory.used_gb``  GPU memory in use, GiB
``system/gpu.{i}.temp_c``          GPU core temperature, °C
``system/gpu.{i}.power_w``         GPU power draw, W
=================================  ===================================================

Disk and network are rates, not counters, so the chart shows when the I/O happened.
``{i}`` is NVML's index: every GPU of the host in PCI order, which is CUDA's order
only under ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` and ignores ``CUDA_VISIBLE_DEVICES``. GPU
keys appear only where NVML (``pip install heron[gpu]``) finds a driver; a reading a
GPU does not support (power on some boards) is left out rather than sent as 0.

The first sample comes right away, after a short warm-up (``WARMUP`` seconds, or the
interval if shorter) that gives the CPU percentages and rates something to measure.
The sampler never raises into the training script: a failed probe or ``emit`` is
counted in :attr:`SystemSampler.errors` and logged once as a warning.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from heron.errors import InvalidInput, InvalidValue

log = logging.getLogger("heron.sdk.capture")

MIB = 1024**2
GIB = 1024**3
WARMUP = 0.1

Emit = Callable[[dict[str, float]], None]


class SystemSampler:
    """Samples system metrics on a daemon thread and hands each sample to ``emit``."""

    def __init__(self, interval: float, emit: Emit, *, gpu: bool = True) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)):
            raise InvalidValue(f"interval must be a number of seconds, got {interval!r}")
        if not (interval > 0 and math.isfinite(interval)):
            raise InvalidInput(f"interval must be a finite number > 0 seconds, got {interval!r}")
        if not callable(emit):
            raise InvalidValue(f"emit must be callable, got {emit!r}")
        self.interval = float(interval)
        self._emit = emit
        self._want_gpu = gpu
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.samples = 0
        self.errors = 0
        self._warned = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start sampling; a second call while running does nothing."""
        with self._lock:
            if self.running:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="heron-system-metrics", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling and wait (at most ``timeout`` s) for the thread to end."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        try:
            probe = _Probe(gpu=self._want_gpu)
        except Exception as exc:  # psutil itself broken: nothing to sample
            self._failed(exc)
            return
        try:
            start = time.monotonic()
            due = start + min(WARMUP, self.interval)
            while not stop.wait(max(0.0, due - time.monotonic())):
                self._sample(probe)
                now = time.monotonic()
                due += self.interval
                if due <= now:  # a slow sample or a suspended process: skip the missed ones
                    due = now + self.interval
        finally:
            probe.close()

    def _sample(self, probe: _Probe) -> None:
        try:
            values = probe.sample()
            for problem in probe.take_problems():
                self._failed(problem)
            self._emit(values)
            self.samples += 1
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        if not self._warned:
            self._warned = True
            log.warning(
                "heron: system metrics sampling failed (%s: %s); further failures are "
                "counted silently",
                type(exc).__name__,
                exc,
            )


class _Probe:
    """The readings; keeps the previous counters to turn them into rates."""

    def __init__(self, gpu: bool) -> None:
        import psutil

        self.process = psutil.Process()
        self.cpu = _cpu_times()  # own baseline: psutil.cpu_percent's is shared process-wide
        self.process.cpu_percent(None)
        self.last = time.monotonic()
        self.disk = _counters(psutil.disk_io_counters)
        self.net = _counters(psutil.net_io_counters)
        self.gpus = _Gpus.open() if gpu else None

    def take_problems(self) -> list[BaseException]:
        """Readings that failed in the last sample without failing all of it."""
        return self.gpus.take_problems() if self.gpus is not None else []

    def sample(self) -> dict[str, float]:
        now = time.monotonic()
        elapsed, self.last = max(now - self.last, 1e-9), now
        import psutil

        vm = psutil.virtual_memory()
        out = {
            "system/cpu.percent": self._cpu_percent(),
            "system/memory.percent": float(vm.percent),
            "system/memory.used_gb": (vm.total - vm.available) / GIB,
        }
        with self.process.oneshot():
            out["system/proc.rss_mb"] = self.process.memory_info().rss / MIB
            out["system/proc.cpu_percent"] = float(self.process.cpu_percent(None))
        self._io_rates(out, elapsed)
        if self.gpus is not None:
            out.update(self.gpus.sample())
        return out

    def _cpu_percent(self) -> float:
        (busy, total), (last_busy, last_total) = _cpu_times(), self.cpu
        self.cpu = (busy, total)
        if total <= last_total:
            return 0.0
        return max(0.0, min(100.0, 100.0 * (busy - last_busy) / (total - last_total)))

    def _io_rates(self, out: dict[str, float], elapsed: float) -> None:
        """MiB/s since the last sample. Left out when the host hides the counters (some
        containers) or when a counter went backwards (a device was removed)."""
        import psutil

        disk, net = _counters(psutil.disk_io_counters), _counters(psutil.net_io_counters)
        if disk is not None and self.disk is not None:
            _rate(out, "system/disk.read_mb", disk.read_bytes - self.disk.read_bytes, elapsed)
            _rate(out, "system/disk.write_mb", disk.write_bytes - self.disk.write_bytes, elapsed)
        if net is not None and self.net is not None:
            _rate(out, "system/net.sent_mb", net.bytes_sent - self.net.bytes_sent, elapsed)
            _rate(out, "system/net.recv_mb", net.bytes_recv - self.net.bytes_recv, elapsed)
        self.disk, self.net = disk, net

    def close(self) -> None:
        if self.gpus is not None:
            self.gpus.close()


def _counters(read: Callable[[], Any]) -> Any:
    """psutil's I/O counters, or None where the host has none: psutil returns None or
    raises (no /proc/diskstats in some containers), depending on the platform."""
    try:
        return read()
    except (OSError, RuntimeError):
        return None


def _cpu_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the host; guest time is already inside user time."""
    import psutil

    t = psutil.cpu_times()
    total = sum(t) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    idle = t.idle + getattr(t, "iowait", 0.0)
    return total - idle, total


def _rate(out: dict[str, float], key: str, delta: int, elapsed: float) -> None:
    if delta >= 0:
        out[key] = delta / MIB / elapsed


class _Gpus:
    """NVML readings per GPU. A reading a GPU does not support is dropped for good."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self.nvml = nvml
        self.handles = handles
        self.unsupported: set[tuple[int, str]] = set()
        self.problems: list[BaseException] = []

    @classmethod
    def open(cls) -> _Gpus | None:
        """NVML's GPUs, or None when the module, the driver or any GPU is missing."""
        try:
            import pynvml
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError:
            return None
        try:
            count = pynvml.nvmlDeviceGetCount()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except pynvml.NVMLError:
            pynvml.nvmlShutdown()
            return None
        if not handles:
            pynvml.nvmlShutdown()
            return None
        return cls(pynvml, handles)

    def take_problems(self) -> list[BaseException]:
        problems, self.problems = self.problems, []
        return problems

    def sample(self) -> dict[str, float]:
        nvml = self.nvml
        out: dict[str, float] = {}
        for i, handle in enumerate(self.handles):
            prefix = f"system/gpu.{i}."
            util = self._read(i, "util", nvml.nvmlDeviceGetUtilizationRates, handle)
            if util is not None:
                out[prefix + "util"] = float(util.gpu)
            mem = self._read(i, "memory", nvml.nvmlDeviceGetMemoryInfo, handle)
            if mem is not None and mem.total:
                out[prefix + "memory.percent"] = 100.0 * mem.used / mem.total
                out[prefix + "memory.used_gb"] = mem.used / GIB
            temp = self._read(
                i, "temp", nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU
            )
            if temp is not None:
                out[prefix + "temp_c"] = float(temp)
            power = self._read(i, "power", nvml.nvmlDeviceGetPowerUsage, handle)
            if power is not None:
                out[prefix + "power_w"] = power / 1000.0  # NVML reports milliwatts
        return out

    def _read(self, index: int, name: str, read: Callable[..., Any], *args: Any) -> Any:
        what = (index, name)
        if what in self.unsupported:
            return None
        try:
            return read(*args)
        except self.nvml.NVMLError_NotSupported:
            self.unsupported.add(what)
        except self.nvml.NVMLError as exc:
            self.problems.append(exc)
        return None

    def close(self) -> None:
        try:
            self.nvml.nvmlShutdown()
        except self.nvml.NVMLError as exc:
            log.debug("nvmlShutdown failed: %s", exc)
