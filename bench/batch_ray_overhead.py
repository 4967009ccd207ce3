"""Ray Data's overhead on the keyword job, against a plain asyncio client, and items/s at K = 1, 10, 50.

Both sides send the same packs to the same endpoint at 8 requests at once (a server with 8 slots,
which the job reads from its /props; the asyncio side uses the same Router), so the only difference
is Ray Data: blocks, an actor, streaming results back to the driver and the ledger. What Ray pays
once per job is timed apart: starting Ray, and starting the job's actor (a process that imports the
job). Runs alternate, so machine noise hits both sides. Goal: Ray at most 5% slower than asyncio.

    python bench/batch_ray_overhead.py [--endpoint URL --model NAME]   (default: an embedded server)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

import httpx

from lessons_lib import batch
from lessons_lib.batch.router import Router
from lessons_lib.ollama_server import EmbeddedServer

SLOTS = 8


def plain_asyncio(keywords: list[str], endpoint: batch.Endpoint, k: int) -> float:
    router = Router([endpoint])

    async def go() -> None:
        async with httpx.AsyncClient(timeout=None) as client:
            await asyncio.gather(*(router.classify(client, keywords[i : i + k]) for i in range(0, len(keywords), k)))

    started = time.monotonic()
    asyncio.run(go())
    return time.monotonic() - started


def with_ray(keywords: list[str], endpoint: batch.Endpoint, k: int) -> batch.JobSummary:
    with tempfile.TemporaryDirectory() as out:
        return batch.run_job(keywords, out, [endpoint], k=k, progress=False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", default=None)
    parser.add_argument("--model", default="smollm2:135m")
    parser.add_argument("--keywords", type=int, default=160, help="keywords per run in the Ray/asyncio comparison")
    parser.add_argument("--sweep-keywords", type=int, default=50, help="keywords per run in the K sweep")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server = None
    if args.endpoint is None:
        server = EmbeddedServer(env={"OLLAMA_NUM_PARALLEL": str(SLOTS)}).start()
    url = args.endpoint or server.url
    try:
        endpoint = batch.Endpoint.ollama(url, args.model).with_slots()
        if endpoint.slots != SLOTS:
            endpoint = batch.Endpoint.ollama(url, args.model, slots=SLOTS)  # a server that does not say
        print(f"load average {os.getloadavg()[0]:.2f}; endpoint slots: {endpoint.slots}")
        everything = batch.load_keywords(batch.sample_path())
        keywords = everything[: args.keywords]
        started = time.monotonic()
        batch.start_ray(num_cpus=2)
        print(f"Ray start-up: {time.monotonic() - started:.1f} s (once per job)")
        plain_asyncio(keywords[: SLOTS * 10], endpoint, 10)  # load the model, warm its slots
        ray_s, plain_s, actor_s = [], [], []
        for _ in range(args.repeats):
            plain_s.append(plain_asyncio(keywords, endpoint, 10))
            summary = with_ray(keywords, endpoint, 10)
            ray_s.append(summary.job_seconds)
            actor_s.append(summary.seconds - summary.job_seconds)
        ratio = statistics.median(ray_s) / statistics.median(plain_s)
        print(
            f"{SLOTS} concurrent requests, K=10, {len(keywords)} keywords ({-(-len(keywords) // 10)} requests): "
            f"asyncio {statistics.median(plain_s):.2f} s, Ray Data {statistics.median(ray_s):.2f} s "
            f"(medians of {args.repeats}); Ray/asyncio = {ratio:.3f} ({'within' if ratio <= 1.05 else 'over'} "
            "the 5% goal)"
        )
        print("  each run, asyncio:", [round(x, 2) for x in plain_s], "Ray Data:", [round(x, 2) for x in ray_s])
        print(f"  once per job, starting the job's actor: median {statistics.median(actor_s):.1f} s")
        sweep = everything[: args.sweep_keywords]
        for k in (1, 10, 50):
            summary = with_ray(sweep, endpoint, k)
            print(
                f"K={k:>2}: {summary.items_per_s:.2f} keywords/s ({-(-len(sweep) // k)} requests, "
                f"{summary.job_seconds:.1f} s; {summary.invalid} keywords flagged invalid)"
            )
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        batch.stop_ray()
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
