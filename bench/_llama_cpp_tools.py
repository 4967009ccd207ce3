"""llama.cpp's own tools (llama-bench, llama-server) built from the llama.cpp that llama-cpp-python vendors.

The anchors of the benchmarks must run the same code as the course's wheel: the sdist of the
installed llama-cpp-python version (downloaded with pip into a cache folder), the same explicit
CPU features as the wheel (lessons_lib.llama.build.plan: never -march=native, which on a VM
advertising AMX faults on the first token), built once per target with cmake into CACHE.
Builds take minutes and never run in tests.

    python bench/_llama_cpp_tools.py llama-bench llama-server     # build ahead of time
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lessons_lib.llama import build

LLAMA_CPP_PYTHON_VERSION = build.LLAMA_CPP_VERSION
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "local-llm-workbook" / "llama-cpp-tools"


def cpu_flags() -> list[str]:
    """The CMake options the course's installer builds llama-cpp-python with, for this machine."""
    return [a for a in build.plan().cmake_args if a not in build.BASE_ARGS]


def vendored_source(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    """The llama.cpp tree inside the llama-cpp-python sdist, unpacked once into CACHE."""
    source = CACHE / f"src-{version}"
    tree = source / "vendor" / "llama.cpp"
    if (tree / "CMakeLists.txt").is_file():
        return tree
    CACHE.mkdir(parents=True, exist_ok=True)
    name = f"llama_cpp_python-{version}.tar.gz"
    if not (CACHE / name).is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                f"llama-cpp-python=={version}",
                "--no-deps",
                "--no-binary",
                "llama-cpp-python",
                "-d",
                str(CACHE),
            ],
            check=True,
        )
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp, tarfile.open(CACHE / name) as tar:
        tar.extractall(tmp, filter="data")
        shutil.rmtree(source, ignore_errors=True)
        shutil.move(str(Path(tmp) / f"llama_cpp_python-{version}"), source)
    return tree


def build_tool(target: str, jobs: int = 1) -> Path:
    """The binary of one llama.cpp target ("llama-bench", "llama-server"), built once into CACHE."""
    build = CACHE / f"build-{LLAMA_CPP_PYTHON_VERSION}"
    binary = build / "bin" / target
    if binary.is_file():
        return binary
    tree = vendored_source()
    if not (build / "CMakeCache.txt").is_file():
        subprocess.run(
            [
                "cmake",
                "-S",
                str(tree),
                "-B",
                str(build),
                "-DCMAKE_BUILD_TYPE=Release",
                "-DLLAMA_CURL=OFF",
                "-DLLAMA_BUILD_TESTS=OFF",
                "-DLLAMA_BUILD_EXAMPLES=OFF",
                "-DLLAMA_BUILD_SERVER=ON",
                "-DLLAMA_BUILD_TOOLS=ON",
                "-DGGML_CCACHE=OFF",
                *cpu_flags(),
            ],
            check=True,
        )
    # -j1 by default: a shared 2-core machine must stay usable while this builds.
    subprocess.run(["cmake", "--build", str(build), "--target", target, f"-j{jobs}"], check=True)
    return binary


if __name__ == "__main__":
    for name in sys.argv[1:] or ["llama-bench", "llama-server"]:
        print(build_tool(name))
