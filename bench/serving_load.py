"""The embedded server under load: 32 concurrent streams un-garbled, resident memory over 1,000 requests.

streams   32 clients stream greedy answers at once through the official `ollama` client; each
          answer must equal the one the same request gets alone (no text from another stream,
          no lost or doubled pieces).
memory    1,000 short requests from 8 clients; the server's resident memory (RSS) is sampled
          every 100 requests. Printed: first and last sample and the growth.

  python bench/serving_load.py [--streams 32] [--requests 1000] [--parallel 8]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import sys
import tempfile
from pathlib import Path

import ollama
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lessons_lib.ollama_server import EmbeddedServer

MODEL = "smollm2:135m"
TOPICS = ["cats", "rivers", "bread", "clocks", "maps", "snow", "bees", "ships"]


def stream(url: str, i: int, n: int) -> str:
    client = ollama.Client(host=url)
    parts = []
    for chunk in client.generate(
        model=MODEL,
        prompt=f"Write two sentences about {TOPICS[i % len(TOPICS)]} number {i}.",
        stream=True,
        options={"temperature": 0.0, "num_predict": n, "seed": 1},
    ):
        parts.append(chunk.response)
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--n-gen", type=int, default=32)
    args = parser.parse_args()
    env = {"OLLAMA_NUM_PARALLEL": str(args.parallel), "OLLAMA_KEEP_ALIVE": "-1"}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as models, EmbeddedServer(models=models, env=env) as srv:
        solo = [stream(srv.url, i, args.n_gen) for i in range(args.streams)]
        with concurrent.futures.ThreadPoolExecutor(args.streams) as pool:
            together = list(pool.map(lambda i: stream(srv.url, i, args.n_gen), range(args.streams)))
        same = sum(a == b for a, b in zip(solo, together))
        print(f"{args.streams} concurrent streams: {same}/{args.streams} identical to the same request alone")
        proc = psutil.Process(srv.process.pid)
        samples = []
        client = ollama.Client(host=srv.url)

        def short(i: int) -> int:
            return (
                client.generate(
                    model=MODEL, prompt=f"Say a word about {TOPICS[i % 8]}.", options={"num_predict": 8, "seed": i}
                ).eval_count
                or 0
            )

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for start in range(0, args.requests, 100):
                list(pool.map(short, range(start, min(start + 100, args.requests))))
                samples.append(proc.memory_info().rss)
                print(f"  after {start + 100:5d} requests: RSS {samples[-1] / 2**20:7.1f} MiB", flush=True)
        growth = (samples[-1] - samples[0]) / 2**20
        print(
            f"RSS after the first 100: {samples[0] / 2**20:.1f} MiB, after {args.requests}: "
            f"{samples[-1] / 2**20:.1f} MiB, growth {growth:+.1f} MiB"
        )
        return 0 if same == args.streams else 1


if __name__ == "__main__":
    sys.exit(main())
