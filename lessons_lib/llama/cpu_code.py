"""What machine code the installed llama.cpp holds: AMX tile instructions in ggml's CPU library.

A check anyone can run on any machine: an installed libggml-cpu with `ldtilecfg` in it will execute
AMX tiles on this CPU, which is only safe where the AMX probe (lessons_lib.llama.build) passed.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
from pathlib import Path

AMX_MNEMONICS = ("ldtilecfg", "tileloadd", "tdpbssd", "tdpbf16ps")
# ldtilecfg m512 is VEX.128.NP.0F38.W0 49 /0 (Intel SDM vol. 2): C4 E2 78 49. Used when objdump is missing.
LDTILECFG_PREFIX = b"\xc4\xe2\x78\x49"


def ggml_cpu_libraries() -> list[Path]:
    """libggml-cpu (and any per-variant libggml-cpu-*) shipped inside the installed llama_cpp package."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent / "lib"
    return sorted(p for p in folder.glob("libggml-cpu*") if p.suffix in (".so", ".dylib", ".dll"))


def count_amx(library: Path) -> int:
    """Number of AMX tile instructions in a shared library (objdump's disassembly, else a byte scan)."""
    objdump = shutil.which("objdump")
    if objdump:
        try:
            done = subprocess.run(
                [objdump, "-d", "--no-show-raw-insn", str(library)],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode == 0:
                return sum(
                    1
                    for line in done.stdout.splitlines()
                    if any(f"\t{m}" in line or f" {m} " in line for m in AMX_MNEMONICS)
                )
        except (OSError, subprocess.SubprocessError):
            pass
    return library.read_bytes().count(LDTILECFG_PREFIX)


def amx_instructions(libraries: list[Path] | None = None) -> int:
    """AMX instructions across the installed ggml CPU libraries (0 off x86-64)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return 0
    return sum(count_amx(lib) for lib in (ggml_cpu_libraries() if libraries is None else libraries))
