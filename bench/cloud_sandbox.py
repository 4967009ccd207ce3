"""What the RunPod sandbox adds: the proxy hop versus talking to the pod's Ollama directly, and the
cost of one SDK call against the emulator.

One pod, one run. Round after round the two paths take turns on the same streamed chat; medians
of client-side tokens/s and of time to first token are compared. Not a timed test: `make bench`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import ollama
import runpod

from lessons_lib.bundled import BUNDLED_MODEL
from lessons_lib.cloud import pod_ollama, pods, sizing
from lessons_lib.cloud.sandbox import Sandbox

PROMPT = "Write a long, detailed story about a dragon who learns to bake bread."
OPTIONS = {"num_predict": 64, "temperature": 0.0, "seed": 1}


def streamed(client: ollama.Client) -> tuple[float, float]:
    """(seconds to first token, tokens/s from first to last chunk) as the client sees them."""
    start = time.perf_counter()
    stamps = []
    for part in client.chat(BUNDLED_MODEL, [{"role": "user", "content": PROMPT}], stream=True, options=OPTIONS):
        if part.message.content:
            stamps.append(time.perf_counter())
    return stamps[0] - start, (len(stamps) - 1) / (stamps[-1] - stamps[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as models, Sandbox(models, time_scale=600, boot_seconds=1) as sandbox:
        calls = []
        pod = pods.deploy(sizing.PodSpec(), say=lambda _: None)
        for _ in range(20):
            t = time.perf_counter()
            runpod.get_pod(pod.id)
            calls.append(time.perf_counter() - t)
        pods.wait_ready(pod.id, poll=0.05, progress=False)
        direct = ollama.Client(host=sandbox.cloud.get(pod.id).server.url)
        proxied = pod_ollama.client_for(pod.id)
        streamed(direct)  # load the model once before measuring
        results: dict[str, list[tuple[float, float]]] = {"direct": [], "proxy": []}
        for _ in range(args.rounds):
            results["direct"].append(streamed(direct))
            results["proxy"].append(streamed(proxied))
        pods.terminate(pod.id, say=lambda _: None)
    median = {k: (statistics.median(t for t, _ in v), statistics.median(s for _, s in v)) for k, v in results.items()}
    print(f"SDK get_pod against the sandbox: median {statistics.median(calls) * 1000:.1f} ms over {len(calls)} calls")
    for name, (ttft, speed) in median.items():
        print(f"{name:>6}: first token {ttft * 1000:7.1f} ms, {speed:7.1f} tok/s (median of {args.rounds})")
    print(
        f"proxy/direct: tok/s ratio {median['proxy'][1] / median['direct'][1]:.3f}, "
        f"first-token ratio {median['proxy'][0] / median['direct'][0]:.3f}"
    )


if __name__ == "__main__":
    main()
