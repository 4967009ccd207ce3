"""RAM, CPU and GPU of this machine, as the will-it-fit estimate needs them.

`detect()` never raises because a GPU tool is missing or broken: a learner without an NVIDIA
card should simply see "no GPU", not a traceback.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import psutil

from .edition import text
from .units import gib

__all__ = ["GPU", "Machine", "detect", "generation_threads", "memory_bandwidth", "parse_nvidia_smi"]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
UNKNOWN_CPU = "unknown CPU"
APPLE_GPU_NAME = "Apple Silicon GPU"

NVIDIA_SMI_QUERY = [
    "nvidia-smi",
    "--query-gpu=name,memory.total,memory.free",
    "--format=csv,noheader,nounits",
]
NVIDIA_SMI_TIMEOUT_S = 5.0  # a hung driver must not hang the setup-check notebook
MIB = 1024 * 1024  # nvidia-smi's "nounits" memory values are MiB


@dataclass(frozen=True)
class GPU:
    name: str
    vendor: str  # "nvidia" | "apple"
    memory_total: int  # bytes
    memory_free: int  # bytes


@dataclass(frozen=True)
class Machine:
    cpu_name: str
    cores_physical: int
    cores_logical: int
    ram_total: int  # bytes
    ram_available: int  # bytes
    swap_free: int  # bytes
    os: str
    arch: str
    gpus: tuple[GPU, ...] = ()

    @property
    def memory_for_models(self) -> int:
        """RAM available plus free swap: what Ollama compares a model's CPU part against."""
        return self.ram_available + self.swap_free

    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for a small table in a notebook."""

        def t(key: str, **fields: Any) -> str:
            return text(f"connect.{key}", **fields)

        rows = [
            (t("row_cpu"), self.cpu_name),
            (t("row_cores"), t("cores_value", physical=self.cores_physical, logical=self.cores_logical)),
            (t("row_ram"), t("ram_value", total=gib(self.ram_total), free=gib(self.ram_available))),
            (t("row_swap"), gib(self.swap_free)),
            (t("row_for_models"), gib(self.memory_for_models)),
            (t("row_os"), f"{self.os} ({self.arch})"),
        ]
        if not self.gpus:
            rows.append((t("row_no_gpu"), t("no_gpu_value")))
        for i, g in enumerate(self.gpus):
            value = t("gpu_value", name=g.name, vendor=g.vendor, total=gib(g.memory_total), free=gib(g.memory_free))
            if g.vendor == "apple":
                value += "; " + t("apple_unified")
            rows.append((t("row_gpu", i=i), value))
        return rows


def parse_nvidia_smi(text: str) -> tuple[GPU, ...]:
    """GPUs from `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`.

    Lines that do not parse (driver warnings, "[N/A]") are skipped rather than fatal.
    """
    gpus: list[GPU] = []
    for line in text.splitlines():
        # The name may itself contain commas in theory, so split from the right.
        parts = [p.strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3 or not parts[0]:
            continue
        name, total, free = parts
        try:
            total_b = int(float(total) * MIB)
            free_b = int(float(free) * MIB)
        except ValueError:
            continue
        gpus.append(GPU(name=name, vendor="nvidia", memory_total=total_b, memory_free=free_b))
    return tuple(gpus)


def _nvidia_gpus() -> tuple[GPU, ...]:
    if shutil.which(NVIDIA_SMI_QUERY[0]) is None:
        return ()
    try:
        done = subprocess.run(
            NVIDIA_SMI_QUERY, capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if done.returncode != 0:
        return ()
    return parse_nvidia_smi(done.stdout)


def _is_apple_silicon() -> bool:
    return platform.system() == "Darwin" and platform.machine() in ("arm64", "aarch64")


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            done = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=2,
                check=False,
            )
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or UNKNOWN_CPU


def detect() -> Machine:
    """Describe this machine with psutil and, where present, nvidia-smi."""
    vm = psutil.virtual_memory()
    swap = psutil.swap_memory()
    logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    # psutil returns None for physical cores in some containers and VMs.
    physical = psutil.cpu_count(logical=False) or logical

    gpus = _nvidia_gpus()
    if not gpus and _is_apple_silicon():
        # Apple Silicon shares one pool of memory between CPU and GPU (Metal).
        gpus = (GPU(APPLE_GPU_NAME, "apple", int(vm.total), int(vm.available)),)

    return Machine(
        cpu_name=_cpu_name(),
        cores_physical=int(physical),
        cores_logical=int(logical),
        ram_total=int(vm.total),
        ram_available=int(vm.available),
        swap_free=int(swap.free),
        os=f"{platform.system()} {platform.release()}".strip(),
        arch=platform.machine(),
        gpus=gpus,
    )


def generation_threads(machine: Machine | None = None) -> int:
    """Ollama's default num_thread for generation: all physical cores (at least 1).

    Hyper-threads do not help token generation, which is limited by memory bandwidth.
    """
    m = machine if machine is not None else detect()
    return max(1, int(m.cores_physical))


def memory_bandwidth(threads: int, size: int = 1 << 30, repeats: int = 5) -> float:
    """Read bandwidth in bytes/s: `threads` workers each sum a slice of one big array (numpy releases the GIL).

    Token generation reads every weight once per token, so bandwidth / model size is the speed limit
    (the roofline the quantization lab and the smoke test compare against).
    """
    import concurrent.futures
    import time

    import numpy as np

    data = np.ones(size // 8, dtype=np.float64)
    slices = np.array_split(data, threads)
    best = 0.0
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            started = time.perf_counter()
            list(pool.map(np.sum, slices))
            best = max(best, data.nbytes / (time.perf_counter() - started))
    return best
