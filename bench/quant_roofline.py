"""Generation speed per quantization versus the memory-bandwidth roofline of this machine.

Decode reads every weight once per generated token, so tokens/s can be at most
    memory bandwidth / bytes of weights read per token.
This script measures the bandwidth with numpy (threads summing slices of a 1 GiB array), makes
variants of the bundled SmolLM2-135M with lessons_lib.quant, measures llama-cpp-python's
generation speed for each (llama.cpp's own counters, median of repeats, all in one run on the
same threads) and prints measured / roofline. With --llama-bench it also builds llama.cpp's
`llama-bench` from the same vendored source as the installed llama-cpp-python (the 0.3.36
sdist, downloaded with pip into a cache folder; cmake builds only that target with -j1) and
prints llama-cpp-python / llama-bench. The build takes a while and never runs in tests or CI.

    python bench/quant_roofline.py [--threads N] [--repeats 3] [--llama-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lessons_lib.bundled import bundled_gguf_path  # noqa: E402
from lessons_lib.hardware import generation_threads, memory_bandwidth  # noqa: E402
from lessons_lib.llama import gguf_file  # noqa: E402
from lessons_lib.quant import quantize  # noqa: E402
from lessons_lib.quant.measure import measure_speed  # noqa: E402

KINDS = ("F16", "Q8_0", "Q6_K", "Q4_K_M", "Q4_0", "Q2_K")
LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "local-llm-workbook" / "llama-bench"


def bytes_per_token(path: Path) -> int:
    """Weight bytes read for one generated token: every tensor, except an untied embedding table (one row read)."""
    info = gguf_file.read(path)
    names = {t.name for t in info.tensors}
    return sum(t.n_bytes for t in info.tensors if not (t.name == "token_embd.weight" and "output.weight" in names))


def build_llama_bench() -> Path:
    """llama-bench from the llama.cpp that llama-cpp-python 0.3.36 vendors, built once into CACHE."""
    binary = CACHE / "build" / "bin" / "llama-bench"
    if binary.is_file():
        return binary
    CACHE.mkdir(parents=True, exist_ok=True)
    sdists = sorted(CACHE.glob("llama_cpp_python-0.3.36.tar.gz"))
    if not sdists:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                LLAMA_CPP_PYTHON,
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(CACHE),
            ],
            check=True,
        )
        sdists = sorted(CACHE.glob("llama_cpp_python-0.3.36.tar.gz"))
    source = CACHE / "src"
    if not (source / "vendor" / "llama.cpp" / "CMakeLists.txt").is_file():
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp, tarfile.open(sdists[0]) as tar:
            tar.extractall(tmp, filter="data")
            shutil.rmtree(source, ignore_errors=True)
            shutil.move(str(Path(tmp) / "llama_cpp_python-0.3.36"), source)
    build = CACHE / "build"
    subprocess.run(
        [
            "cmake",
            "-S",
            str(source / "vendor" / "llama.cpp"),
            "-B",
            str(build),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DLLAMA_CURL=OFF",
            "-DLLAMA_BUILD_TESTS=OFF",
            "-DLLAMA_BUILD_EXAMPLES=OFF",
            "-DLLAMA_BUILD_SERVER=OFF",
            "-DLLAMA_BUILD_TOOLS=ON",
            "-DGGML_CCACHE=OFF",
        ],
        check=True,
    )
    # -j1: a shared 2-core machine must stay usable while this builds.
    subprocess.run(["cmake", "--build", str(build), "--target", "llama-bench", "-j1"], check=True)
    return binary


def llama_bench_tg(binary: Path, model: Path, threads: int, n_gen: int, repeats: int) -> float:
    out = subprocess.run(
        [
            str(binary),
            "-m",
            str(model),
            "-p",
            "0",
            "-n",
            str(n_gen),
            "-t",
            str(threads),
            "-r",
            str(repeats),
            "-o",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)[0]["avg_ts"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=generation_threads())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-gen", type=int, default=64)
    parser.add_argument("--llama-bench", action="store_true", help="also build and run llama.cpp's llama-bench")
    args = parser.parse_args()

    bench = build_llama_bench() if args.llama_bench else None
    bw = memory_bandwidth(args.threads)
    print(f"threads: {args.threads}; measured read bandwidth (numpy): {bw / 1e9:.1f} GB/s")
    with tempfile.TemporaryDirectory(prefix="quant-roofline-") as tmp:
        f16 = quantize(bundled_gguf_path(), Path(tmp) / "F16.gguf", "F16", allow_requantize=True).destination
        files = {"F16": f16}
        for kind in KINDS[1:]:
            files[kind] = quantize(f16, Path(tmp) / f"{kind}.gguf", kind).destination
        header = f"{'type':7} {'MB read/token':>13} {'roofline t/s':>12} {'measured t/s':>12} {'measured/roofline':>17}"
        if bench:
            header += f" {'llama-bench t/s':>15} {'python/llama-bench':>18}"
        print(header)
        for kind, path in files.items():
            per_token = bytes_per_token(path)
            roofline = bw / per_token
            runs = [
                measure_speed(
                    path, prompts=("Write a short story about a lighthouse.",), n_gen=args.n_gen, n_threads=args.threads
                ).generation_tokens_per_s
                for _ in range(args.repeats)
            ]
            measured = statistics.median(runs)
            line = f"{kind:7} {per_token / 1e6:13.1f} {roofline:12.0f} {measured:12.1f} {measured / roofline:17.3f}"
            if bench:
                reference = llama_bench_tg(bench, path, args.threads, args.n_gen, args.repeats)
                line += f" {reference:15.1f} {measured / reference:18.2f}"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
