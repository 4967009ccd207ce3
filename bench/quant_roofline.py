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
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _llama_cpp_tools import build_tool

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.hardware import generation_threads, memory_bandwidth
from lessons_lib.llama import gguf_file
from lessons_lib.quant import quantize
from lessons_lib.quant.measure import measure_speed

KINDS = ("F16", "Q8_0", "Q6_K", "Q4_K_M", "Q4_0", "Q2_K")


def bytes_per_token(path: Path) -> int:
    """Weight bytes read for one generated token: every tensor, except an untied embedding table (one row read)."""
    info = gguf_file.read(path)
    names = {t.name for t in info.tensors}
    return sum(t.n_bytes for t in info.tensors if not (t.name == "token_embd.weight" and "output.weight" in names))


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

    bench = build_tool("llama-bench") if args.llama_bench else None
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
