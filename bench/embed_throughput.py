"""`/api/embed` keywords/s on the embedded server against llama.cpp's own `llama-server --embeddings`.

Same build (llama-server from the llama.cpp that llama-cpp-python vendors, bench/_llama_cpp_tools.py),
same GGUF, same threads, same keywords (the gold set) sent EMBED_BATCH a request. Rounds alternate
ours and the anchor's, and the median of the per-round ratios is quoted (the shared machine drifts).
The vectors are compared too (cosine of each pair): the same model pooled the same way.

    python bench/embed_throughput.py [--gguf PATH] [--model NAME] [--threads 2] [--rounds 5] [--limit 160]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from _llama_cpp_tools import build_tool  # noqa: E402
from serving_engine import free_port, wait_http  # noqa: E402

from lessons_lib import batch, shelf  # noqa: E402
from lessons_lib.batch.embed import EMBED_BATCH  # noqa: E402
from lessons_lib.ollama_server import EmbeddedServer  # noqa: E402

GOAL = 0.9


def rate(post, keywords: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = []
    for i in range(0, len(keywords), EMBED_BATCH):
        vectors.extend(post(keywords[i : i + EMBED_BATCH]))
    return len(keywords) / (time.perf_counter() - started), np.asarray(vectors)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2.5-coder:0.5b", help="a shelf model's name in the embedded server")
    parser.add_argument("--gguf", default=None, help="its GGUF for llama-server (default: the shelf's joined file)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=160)
    args = parser.parse_args()
    keywords = list(batch.gold_labels())[: args.limit]
    on_shelf = shelf.shelf_model(args.model)
    if args.gguf:
        gguf = args.gguf
    elif on_shelf is not None:
        gguf = str(shelf.gguf_path(on_shelf))
    else:
        parser.error(f"{args.model} is not a shelf model: give its GGUF with --gguf")
    binary = build_tool("llama-server")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="llama-server-embed-", suffix=".log", delete=False)
    anchor = subprocess.Popen(
        [str(binary), "-m", gguf, "--host", "127.0.0.1", "--port", str(port), "-t", str(args.threads)]
        + ["-tb", str(args.threads), "--embeddings", "--pooling", "mean", "-np", str(EMBED_BATCH), "-c", "8192"]
        + ["-b", "2048", "-ub", "2048", "--no-webui"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    ours = EmbeddedServer().start()
    client = httpx.Client(timeout=600)
    try:
        wait_http(f"http://127.0.0.1:{port}/health")

        def theirs(texts: list[str]) -> list[list[float]]:
            data = client.post(f"http://127.0.0.1:{port}/v1/embeddings", json={"input": texts}).json()["data"]
            return [d["embedding"] for d in sorted(data, key=lambda d: d["index"])]

        def mine(texts: list[str]) -> list[list[float]]:
            body = {"model": args.model, "input": texts, "options": {"num_thread": args.threads}}
            return client.post(ours.url + "/api/embed", json=body).json()["embeddings"]

        rate(theirs, keywords[:8]), rate(mine, keywords[:8])  # load both models
        ratios, ours_rates, their_rates = [], [], []
        for _ in range(args.rounds):
            a, va = rate(theirs, keywords)
            b, vb = rate(mine, keywords)
            c, _ = rate(theirs, keywords)
            ratios.append(b / ((a + c) / 2))
            ours_rates.append(b)
            their_rates += [a, c]
            print(f"llama-server {a:.1f}, embedded {b:.1f}, llama-server {c:.1f} keywords/s", flush=True)
        va = va / np.linalg.norm(va, axis=1, keepdims=True)
        cosine = float(np.min(np.sum(va * vb, axis=1)))
    finally:
        client.close()
        ours.stop()
        anchor.terminate()
        anchor.wait(30)
    ratio = statistics.median(ratios)
    print(f"{args.model}, {len(keywords)} keywords, {EMBED_BATCH} a request, {args.threads} threads")
    print(f"embedded /api/embed: {statistics.median(ours_rates):.1f} keywords/s (median)")
    print(f"llama-server --embeddings: {statistics.median(their_rates):.1f} keywords/s (median)")
    print(f"ratio (median of per-round ratios): {ratio:.2f}, goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'}")
    print(f"smallest cosine between the two servers' vectors: {cosine:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
