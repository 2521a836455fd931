"""SystemSampler with real psutil readings, and NVML through a fake module."""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest

from heron.errors import InvalidInput, InvalidValue
from heron.keys import check_key
from heron.sdk.capture import system_metrics
from heron.sdk.capture.system_metrics import GIB, SystemSampler

BASE_KEYS = {
    "system/cpu.percent",
    "system/memory.percent",
    "system/memory.used_gb",
    "system/proc.rss_mb",
    "system/proc.cpu_percent",
}
IO_KEYS = {
    "system/disk.read_mb",
    "system/disk.write_mb",
    "system/net.sent_mb",
    "system/net.recv_mb",
}
GPU_KEY = re.compile(r"^system/gpu\.\d+\.(util|memory\.percent|memory\.used_gb|temp_c|power_w)$")


class Collector:
    """An emit callback that lets a test wait for n samples."""

    def __init__(self) -> None:
        self.samples: list[dict[str, float]] = []
        self.cond = threading.Condition()

    def __call__(self, sample: dict[str, float]) -> None:
        with self.cond:
            self.samples.append(sample)
            self.cond.notify_all()

    def wait_for(self, n: int, timeout: float = 30.0) -> list[dict[str, float]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.samples) >= n, timeout), self.samples
            return list(self.samples)


@pytest.fixture
def collector() -> Collector:
    return Collector()


def run_sampler(
    collector: Callable[[dict[str, float]], None], n: int, **kwargs: Any
) -> tuple[SystemSampler, list[dict[str, float]]]:
    assert isinstance(collector, Collector)
    sampler = SystemSampler(0.05, collector, **kwargs)
    sampler.start()
    try:
        samples = collector.wait_for(n)
    finally:
        sampler.stop()
    return sampler, samples


def test_real_samples_have_sane_values(collector: Collector) -> None:
    sampler, samples = run_sampler(collector, 3)
    assert sampler.errors == 0
    assert not sampler.running
    gpus = system_metrics._Gpus.open()
    for sample in samples:
        keys = set(sample)
        assert keys >= BASE_KEYS
        assert keys - BASE_KEYS <= IO_KEYS | {k for k in keys if GPU_KEY.match(k)}
        if gpus is None:  # this machine has no NVML: the GPU keys are simply absent
            assert not any(k.startswith("system/gpu.") for k in keys)
        for key, value in sample.items():
            assert check_key(key) == key
            assert isinstance(value, float), key
            assert math.isfinite(value) and value >= 0, (key, value)
        assert sample["system/cpu.percent"] <= 100
        assert 0 < sample["system/memory.percent"] <= 100
        assert sample["system/memory.used_gb"] > 0
        assert sample["system/proc.rss_mb"] > 1
    if gpus is not None:
        gpus.close()


def test_disk_write_rate_sees_a_write(collector: Collector, tmp_path: Path) -> None:
    """Rates are MiB/s: a 32 MiB fsync'd write shows up as a positive write rate."""
    sampler = SystemSampler(0.05, collector)
    sampler.start()
    try:
        collector.wait_for(1)
        with open(tmp_path / "blob", "wb") as f:
            f.write(os.urandom(32 * 1024 * 1024))
            f.flush()
            os.fsync(f.fileno())
        samples = collector.wait_for(len(collector.samples) + 2)
    finally:
        sampler.stop()
    rates = [s.get("system/disk.write_mb") for s in samples]
    if all(r is None for r in rates):
        pytest.skip("this host hides disk counters")
    assert max(r or 0.0 for r in rates) > 0


def test_stop_is_prompt_with_a_long_interval(collector: Collector) -> None:
    sampler = SystemSampler(3600, collector)
    sampler.start()
    collector.wait_for(1)  # the first sample comes right away
    sampler.stop(timeout=10)
    assert not sampler.running
    assert len(collector.samples) == 1


def test_start_twice_is_one_thread_and_restart_works(collector: Collector) -> None:
    sampler = SystemSampler(0.05, collector)
    sampler.start()
    sampler.start()
    names = [t.name for t in threading.enumerate() if t.name == "heron-system-metrics"]
    assert names == ["heron-system-metrics"]
    collector.wait_for(1)
    sampler.stop()
    sampler.stop()  # twice is fine
    assert not sampler.running
    sampler.start()
    collector.wait_for(len(collector.samples) + 1)
    sampler.stop()
    assert not sampler.running


def test_stop_without_start() -> None:
    SystemSampler(1.0, lambda sample: None).stop()


def test_thread_is_a_daemon(collector: Collector) -> None:
    sampler = SystemSampler(0.05, collector)
    sampler.start()
    try:
        assert sampler._thread is not None and sampler._thread.daemon
    finally:
        sampler.stop()


def test_stop_from_inside_emit_does_not_deadlock() -> None:
    holder: list[SystemSampler] = []
    done = threading.Event()

    def emit(sample: dict[str, float]) -> None:
        holder[0].stop()
        done.set()

    sampler = SystemSampler(0.05, emit)
    holder.append(sampler)
    sampler.start()
    assert done.wait(30)
    assert sampler._thread is None


def test_failing_emit_is_counted_and_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    calls = Collector()

    def emit(sample: dict[str, float]) -> None:
        calls(sample)
        raise RuntimeError("backend gone")

    sampler = SystemSampler(0.05, emit)
    with caplog.at_level(logging.WARNING, logger="heron.sdk.capture"):
        sampler.start()
        calls.wait_for(3)  # the thread keeps sampling after a failure
        sampler.stop()
    assert sampler.errors >= 3
    assert sampler.samples == 0
    warnings = [r for r in caplog.records if "system metrics" in r.getMessage()]
    assert len(warnings) == 1
    assert "backend gone" in warnings[0].getMessage()


@pytest.mark.parametrize("interval", [0, -1, float("nan"), float("inf")])
def test_bad_interval(interval: float) -> None:
    with pytest.raises(InvalidInput):
        SystemSampler(interval, lambda sample: None)


@pytest.mark.parametrize("interval", [True, "10", None])
def test_interval_of_the_wrong_type(interval: Any) -> None:
    with pytest.raises(InvalidValue):
        SystemSampler(interval, lambda sample: None)


def test_emit_must_be_callable() -> None:
    with pytest.raises(InvalidValue):
        SystemSampler(1.0, "print")  # type: ignore[arg-type]


def test_gpu_false_never_touches_nvml(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise AssertionError("NVML opened")

    monkeypatch.setattr(system_metrics._Gpus, "open", fail)
    sampler, samples = run_sampler(collector, 1, gpu=False)
    assert sampler.errors == 0
    assert not any(k.startswith("system/gpu.") for k in samples[0])


# -- NVML through a fake pynvml module ------------------------------------------------


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):
    pass


def fake_pynvml(gpus: int = 2, power_on: tuple[int, ...] = (0,)) -> SimpleNamespace:
    state = {"shutdown": 0}

    def power(h: int) -> int:
        if h not in power_on:
            raise NVMLError_NotSupported("power")
        return 250_500  # milliwatts

    def shutdown() -> None:
        state["shutdown"] += 1

    return SimpleNamespace(
        NVMLError=NVMLError,
        NVMLError_NotSupported=NVMLError_NotSupported,
        NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None,
        nvmlShutdown=shutdown,
        nvmlDeviceGetCount=lambda: gpus,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetUtilizationRates=lambda h: SimpleNamespace(gpu=40 + h, memory=10),
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(
            total=80 * GIB, used=20 * GIB, free=60 * GIB
        ),
        nvmlDeviceGetTemperature=lambda h, sensor: 60 + h,
        nvmlDeviceGetPowerUsage=power,
        state=state,
    )


def test_nvml_readings(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_pynvml(gpus=2, power_on=(0,))
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    sampler, samples = run_sampler(collector, 2)
    assert sampler.errors == 0
    sample = samples[-1]
    gpu = {k: v for k, v in sample.items() if k.startswith("system/gpu.")}
    assert gpu == {
        "system/gpu.0.util": 40.0,
        "system/gpu.0.memory.percent": 25.0,
        "system/gpu.0.memory.used_gb": 20.0,
        "system/gpu.0.temp_c": 60.0,
        "system/gpu.0.power_w": 250.5,
        "system/gpu.1.util": 41.0,
        "system/gpu.1.memory.percent": 25.0,
        "system/gpu.1.memory.used_gb": 20.0,
        "system/gpu.1.temp_c": 61.0,
        # no power_w for GPU 1: not supported, left out rather than sent as 0
    }
    for key in gpu:
        check_key(key)
    assert fake.state["shutdown"] == 1  # NVML closed when the sampler stops


def test_nvml_error_is_counted_not_raised(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_pynvml(gpus=1)

    def lost(h: int) -> Any:
        raise NVMLError("GPU is lost")

    fake.nvmlDeviceGetTemperature = lambda h, sensor: lost(h)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    sampler, samples = run_sampler(collector, 2)
    assert sampler.errors >= 2  # counted on every sample: it is not "unsupported"
    assert "system/gpu.0.temp_c" not in samples[-1]
    assert samples[-1]["system/gpu.0.util"] == 40.0


def test_nvml_without_driver_is_skipped_cleanly(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_pynvml()

    def no_driver() -> None:
        raise NVMLError("NVML Shared Library Not Found")

    fake.nvmlInit = no_driver
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    sampler, samples = run_sampler(collector, 1)
    assert sampler.errors == 0
    assert not any(k.startswith("system/gpu.") for k in samples[0])


def test_hidden_io_counters_leave_their_keys_out(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some containers have no /proc/diskstats: psutil returns None or raises."""

    def no_diskstats() -> None:
        raise FileNotFoundError("/proc/diskstats")

    monkeypatch.setattr(psutil, "disk_io_counters", no_diskstats)
    monkeypatch.setattr(psutil, "net_io_counters", lambda: None)
    sampler, samples = run_sampler(collector, 2)
    assert sampler.errors == 0
    assert set(samples[-1]) >= BASE_KEYS
    assert not set(samples[-1]) & IO_KEYS


def test_nvml_module_missing_is_skipped_cleanly(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    sampler, samples = run_sampler(collector, 1)
    assert sampler.errors == 0
    assert set(samples[0]) >= BASE_KEYS
