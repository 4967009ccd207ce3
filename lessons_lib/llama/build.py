"""How llama.cpp is compiled for this machine: CPU features chosen explicitly, never -march=native.

llama-cpp-python compiles llama.cpp (ggml) when it is installed. Its default, GGML_NATIVE=ON, lets the
compiler enable every instruction the CPU advertises. Some cloud VMs advertise Intel AMX (the
`amx_tile` flag, XCR0 bits and even a successful `arch_prctl(ARCH_REQ_XCOMP_PERM)`) yet fault at the
first tile instruction: ggml's AMX matmul then kills the process on the first token. So the course
turns GGML_NATIVE off and switches on each feature it read from the CPU itself, and AMX only when a
small program using the tile unit has run to the right answer in a child process.

Option names are those of ggml's CMakeLists (vendored in llama-cpp-python 0.3.36):
https://github.com/ggml-org/llama.cpp/blob/master/ggml/CMakeLists.txt

Standard library only: the installer imports this before anything else is installed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LLAMA_CPP_PYTHON = "llama-cpp-python"
LLAMA_CPP_VERSION = "0.3.36"
# The multimodal helper library is not used by the course; skipping it saves a third of the build.
BASE_ARGS = ("-DLLAVA_BUILD=OFF",)
GPU_CHOICES = ("cpu", "cuda", "metal")

# /proc/cpuinfo flag -> ggml CMake option. AVX-512 needs the five sub-sets that GGML_AVX512 compiles
# for (-mavx512f -mavx512cd -mavx512vl -mavx512dq -mavx512bw).
X86_FEATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GGML_SSE42", ("sse4_2",)),
    ("GGML_AVX", ("avx",)),
    ("GGML_AVX2", ("avx2",)),
    ("GGML_FMA", ("fma",)),
    ("GGML_F16C", ("f16c",)),
    ("GGML_BMI2", ("bmi2",)),
    ("GGML_AVX_VNNI", ("avx_vnni",)),
    ("GGML_AVX512", ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw")),
    ("GGML_AVX512_VBMI", ("avx512vbmi",)),
    ("GGML_AVX512_VNNI", ("avx512_vnni",)),
    ("GGML_AVX512_BF16", ("avx512_bf16",)),
)
AMX_OPTIONS = (("GGML_AMX_TILE", "amx_tile"), ("GGML_AMX_INT8", "amx_int8"), ("GGML_AMX_BF16", "amx_bf16"))
# macOS names the same x86 features in sysctl's machdep.cpu.* lists.
MACOS_X86_NAMES = {
    "sse4.2": "sse4_2",
    "avx1.0": "avx",
    "avx2": "avx2",
    "fma": "fma",
    "f16c": "f16c",
    "bmi2": "bmi2",
    "avx512f": "avx512f",
    "avx512cd": "avx512cd",
    "avx512vl": "avx512vl",
    "avx512dq": "avx512dq",
    "avx512bw": "avx512bw",
    "avx512vbmi": "avx512vbmi",
    "avx512vnni": "avx512_vnni",
}
# arm64 extensions ggml uses, as Linux's /proc/cpuinfo "Features" and macOS's hw.optional.arm.FEAT_*
# name them, and the -march suffix that enables each (GGML_CPU_ARM_ARCH).
ARM_EXTENSIONS = (
    ("dotprod", ("asimddp", "FEAT_DotProd")),
    ("fp16", ("asimdhp", "FEAT_FP16")),
    ("i8mm", ("i8mm", "FEAT_I8MM")),
)

# A tile load, an int8 tile multiply and a store: what ggml's AMX path does first. It asks Linux for the
# tile data permission as ggml does (arch_prctl ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18).
AMX_PROBE_C = r"""
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
struct tilecfg { uint8_t palette; uint8_t start; uint8_t pad[14]; uint16_t colsb[16]; uint8_t rows[16]; };
int main(void) {
    if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) return 3;
    struct tilecfg cfg; memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 3; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
    static int8_t a[16][64], b[16][64]; static int32_t c[16][16];
    memset(a, 1, sizeof a); memset(b, 2, sizeof b);
    _tile_loadconfig(&cfg);
    _tile_zero(0);
    _tile_loadd(1, a, 64);
    _tile_loadd(2, b, 64);
    _tile_dpbssd(0, 1, 2);
    _tile_stored(0, c, 64);
    _tile_release();
    return c[0][0] == 64 * 2 && c[15][15] == 64 * 2 ? 0 : 4;
}
"""
AMX_PROBE_TIMEOUT_S = 30


@dataclass(frozen=True)
class Probe:
    """What running the AMX probe in a child process showed."""

    passed: bool
    detail: str


@dataclass(frozen=True)
class BuildPlan:
    """The CMake arguments for this machine, and why."""

    machine: str
    gpu: str
    cmake_args: tuple[str, ...]
    features: tuple[str, ...] = ()
    amx: Probe | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """What a built wheel depends on: version, flags, interpreter and platform."""
        parts = [
            LLAMA_CPP_PYTHON,
            LLAMA_CPP_VERSION,
            self.machine,
            platform.system(),
            f"cp{sys.version_info.major}{sys.version_info.minor}",
            *sorted(self.cmake_args),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    @property
    def cmake_env(self) -> str:
        return " ".join(self.cmake_args)


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags: /proc/cpuinfo's `flags`/`Features` line on Linux, sysctl on macOS."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            return set(value.split())
    return _sysctl_flags() if platform.system() == "Darwin" else set()


def _sysctl(name: str) -> str:
    try:
        done = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _sysctl_flags() -> set[str]:
    if platform.machine() in ("arm64", "aarch64"):
        return {name for _, names in ARM_EXTENSIONS for name in names[1:] if _sysctl(f"hw.optional.arm.{name}") == "1"}
    listed = f"{_sysctl('machdep.cpu.features')} {_sysctl('machdep.cpu.leaf7_features')}".lower().split()
    return {MACOS_X86_NAMES[f] for f in listed if f in MACOS_X86_NAMES}


def normalize_machine(machine: str | None = None) -> str:
    machine = (machine or platform.machine()).lower()
    return {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def default_gpu(system: str | None = None, machine: str | None = None) -> str:
    """Metal on Apple Silicon (as llama.cpp builds by default there); the CPU everywhere else."""
    system = system or platform.system()
    return "metal" if system == "Darwin" and normalize_machine(machine) == "aarch64" else "cpu"


def x86_options(flags: Iterable[str], amx: Probe | None) -> tuple[list[str], list[str]]:
    """(CMake -D arguments, names of the features turned on) for an x86-64 CPU with these flags."""
    flags = set(flags)
    args, on = ["-DGGML_NATIVE=OFF"], []
    for option, needs in X86_FEATURES:
        enabled = all(f in flags for f in needs)
        args.append(f"-D{option}={'ON' if enabled else 'OFF'}")
        if enabled:
            on.append(option.removeprefix("GGML_"))
    amx_ok = amx is not None and amx.passed
    for option, flag in AMX_OPTIONS:
        enabled = amx_ok and flag in flags and "-DGGML_AVX512=ON" in args
        args.append(f"-D{option}={'ON' if enabled else 'OFF'}")
        if enabled:
            on.append(option.removeprefix("GGML_"))
    return args, on


def arm_options(flags: Iterable[str]) -> tuple[list[str], list[str]]:
    """(CMake -D arguments, extensions turned on) for an arm64 CPU: an explicit -march, not -mcpu=native."""
    flags = set(flags)
    on = [ext for ext, names in ARM_EXTENSIONS if any(n in flags for n in names)]
    arch = "+".join(["armv8.2-a", *on]) if on else "armv8-a"
    return ["-DGGML_NATIVE=OFF", f"-DGGML_CPU_ARM_ARCH={arch}"], on


def gpu_options(gpu: str) -> list[str]:
    if gpu not in GPU_CHOICES:
        raise ValueError(f"GPU={gpu!r} is not one of {', '.join(GPU_CHOICES)}")
    return {
        "cpu": ["-DGGML_METAL=OFF"] if platform.system() == "Darwin" else [],
        "cuda": ["-DGGML_CUDA=ON"],
        "metal": ["-DGGML_METAL=ON"],
    }[gpu]


def plan(
    gpu: str | None = None,
    *,
    machine: str | None = None,
    flags: Iterable[str] | None = None,
    amx: Probe | None = None,
    probe: bool = True,
    extra: Mapping[str, str] | None = None,
) -> BuildPlan:
    """The build for this machine (or for the machine and flags given, as tests do)."""
    machine = normalize_machine(machine)
    gpu = gpu or default_gpu(machine=machine)
    found = cpu_flags() if flags is None else set(flags)
    notes: list[str] = []
    if machine == "x86_64":
        if amx is None and probe and {"amx_tile", "amx_int8"} <= found:
            amx = amx_probe()
            notes.append(f"AMX advertised; probe {'passed' if amx.passed else 'failed'}: {amx.detail}")
        args, on = x86_options(found, amx)
    elif machine == "aarch64":
        args, on = arm_options(found)
    else:
        args, on = [], []  # other CPUs: llama.cpp's own defaults
        notes.append(f"no explicit CPU flags for {machine}: llama.cpp's defaults")
    args = [*BASE_ARGS, *args, *gpu_options(gpu)]
    args += [f"-D{k}={v}" for k, v in sorted((extra or {}).items())]
    return BuildPlan(machine, gpu, tuple(args), tuple(on), amx, tuple(notes))


def amx_probe(compiler: str | None = None, timeout: float = AMX_PROBE_TIMEOUT_S) -> Probe:
    """Compile and run a tile multiply in a child process; passed only if it ran to the right answer."""
    compiler = compiler or os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc") or "cc"
    with tempfile.TemporaryDirectory(prefix="workbook-amx-") as tmp:
        source, binary = Path(tmp) / "amx.c", Path(tmp) / "amx"
        source.write_text(AMX_PROBE_C)
        try:
            built = subprocess.run(
                [compiler, "-O1", "-mamx-tile", "-mamx-int8", str(source), "-o", str(binary)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return Probe(False, f"could not compile the probe ({exc})")
        if built.returncode != 0:
            return Probe(False, "the compiler cannot build AMX code")
        return run_probe([str(binary)], timeout)


def run_probe(command: list[str], timeout: float = AMX_PROBE_TIMEOUT_S) -> Probe:
    """Run a probe program in a child: a signal, a hang or a wrong answer all mean "do not use it"."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Probe(False, f"hung for {timeout:.0f} s")
    except OSError as exc:
        return Probe(False, f"could not run ({exc})")
    if done.returncode < 0:
        return Probe(False, f"crashed ({signal_name(-done.returncode)})")
    if done.returncode != 0:
        return Probe(
            False,
            {3: "the kernel refused the tile permission", 4: "wrong result"}.get(
                done.returncode, f"exit status {done.returncode}"
            ),
        )
    return Probe(True, "tile multiply ran and gave the right result")


def signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def main(argv: list[str] | None = None) -> int:
    """Print the plan: `python -m lessons_lib.llama.build [--gpu cuda]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lessons_lib.llama.build", description=__doc__.splitlines()[0])
    parser.add_argument("--gpu", choices=GPU_CHOICES, default=os.environ.get("GPU") or None)
    args = parser.parse_args(argv)
    chosen = plan(args.gpu)
    print(f"machine {chosen.machine}, GPU backend {chosen.gpu}, CPU features: {' '.join(chosen.features) or '-'}")
    for note in chosen.notes:
        print(note)
    print(f"CMAKE_ARGS={chosen.cmake_env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
