"""The embedded server's batching engine against llama.cpp's own tools, side by side in one run.

Anchors, built from the llama.cpp that llama-cpp-python vendors with the wheel's CPU flags
(bench/llama_cpp_tools.py): `llama-bench` and `llama-server -np N`. Same GGUF (the bundled
SmolLM2-135M), same threads. Each measurement of ours runs between two of the anchor's, and
the median of those per-round ratios is quoted (the machines drift too much for medians taken
apart); the one-stream test also prints the share of time the server spends outside llama_decode.

  one stream     server-side eval rate (eval_count / eval_duration of /api/generate), and the
                 engine driven directly, / llama-bench tg128                      goal >= 0.95
  many clients   aggregate completion tok/s through one OpenAI client (threads), embedded
                 server / llama-server -np N, at 1, 4 and 8 clients     goals >= 0.95/0.90/0.90
  prefix reuse   time to first token of a second request sharing a 500-token system prompt,
                 / the first one's                                                goal <= 0.2

    python bench/serving_engine.py [--threads 2] [--rounds 3] [--speed-rounds 11] [--clients 1,4,8]
                                   [--parallel 8] [--only speed,batch,prefix]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai
from _llama_cpp_tools import build_tool

from lessons_lib import hardware
from lessons_lib.bundled import BUNDLED_MODEL, bundled_gguf_path
from lessons_lib.ollama_server import EmbeddedServer
from lessons_lib.ollama_server.prometheus import metric_value

STORY = "Write a long, detailed story about a dragon who learns to bake bread."
QUESTIONS = [
    "Write a story about a lighthouse keeper.",
    "Describe a walk through a forest in autumn.",
    "Tell me about the history of bread.",
    "Write a letter to a friend about a trip to the sea.",
    "Explain how a bicycle works, in detail.",
    "Write a fairy tale about a clever fox.",
    "Describe a busy market in the morning.",
    "Write a story about a robot who paints.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


class LlamaServer:
    """llama.cpp's server with N slots of `ctx` tokens each, on a free loopback port."""

    def __init__(self, binary: Path, model: Path, threads: int, parallel: int, ctx: int):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [
                str(binary),
                "-m",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "-t",
                str(threads),
                "-tb",
                str(threads),
                "-np",
                str(parallel),
                "-c",
                str(ctx * parallel),
                "--metrics",
                "--no-webui",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{self.port}/health")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def llama_bench_tg(binary: Path, model: Path, threads: int, n_gen: int) -> float:
    out = subprocess.run(
        [str(binary), "-m", str(model), "-p", "0", "-n", str(n_gen), "-t", str(threads), "-r", "1", "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)[0]["avg_ts"])


def generate(base: str, n_gen: int, seed: int) -> dict:
    body = {
        "model": BUNDLED_MODEL,
        "prompt": STORY,
        "stream": False,
        "options": {"num_predict": n_gen, "seed": seed, "temperature": 0.8},
    }
    req = urllib.request.Request(
        f"{base}/api/generate", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())


def server_eval_rate(base: str, n_gen: int, seed: int) -> float:
    final = generate(base, n_gen, seed)
    return final["eval_count"] / final["eval_duration"] * 1e9


def engine_eval_rate(n_gen: int, threads: int, seed: int) -> float:
    """The batch engine without HTTP: eval tokens / eval time of one request."""
    from lessons_lib.llama.batch_engine import BatchEngine
    from lessons_lib.llama.batch_model import ContextShape, NativeModel
    from lessons_lib.llama.sampling import SamplingParams
    from lessons_lib.llama.slots import Request

    model = NativeModel(bundled_gguf_path())
    engine = BatchEngine(model, ContextShape(n_seq=1, n_ctx_seq=4096, n_threads=threads, n_threads_batch=threads))
    try:
        tokens = model.tokenize(f"<|im_start|>user\n{STORY}<|im_end|>\n<|im_start|>assistant\n", add_special=False)
        _, done = engine.submit(Request(tokens, SamplingParams(seed=seed), max_tokens=n_gen)).text()
        return (done.completion_tokens - 1) / done.eval_ns * 1e9
    finally:
        engine.close()
        model.close()


def aggregate(base_url: str, model: str, clients: int, n_gen: int, per_client: int) -> float:
    """Completion tokens per second over all clients, first request sent to last answer received."""
    client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=600)

    def work(i: int) -> int:
        total = 0
        for j in range(per_client):
            r = client.chat.completions.create(
                model=model,
                max_tokens=n_gen,
                temperature=0.8,
                seed=i * 100 + j,
                messages=[{"role": "user", "content": QUESTIONS[(i + j) % len(QUESTIONS)]}],
            )
            total += r.usage.completion_tokens if r.usage else 0
        return total

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        tokens = sum(pool.map(work, range(clients)))
    return tokens / (time.perf_counter() - started)


def ttft(base_url: str, model: str, system: str, question: str) -> float:
    client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=600)
    started = time.perf_counter()
    stream = client.chat.completions.create(
        model=model,
        max_tokens=4,
        temperature=0.0,
        stream=True,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    )
    first = None
    for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - started
    return first if first is not None else time.perf_counter() - started


def long_system_prompt(round_no: int, n_tokens: int = 500) -> str:
    """About `n_tokens` tokens of category list, different each round so the first request is cold."""
    from lessons_lib.llama.batch_model import NativeModel

    model = NativeModel(bundled_gguf_path())
    try:
        lines = [f"You sort shop keywords into categories (list {round_no})."]
        i = 0
        while len(model.tokenize("\n".join(lines))) < n_tokens:
            lines.append(f"Category {i}: goods of kind {i * 7 + round_no}, for example item {i}-{round_no}.")
            i += 1
        return "\n".join(lines)
    finally:
        model.close()


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Paired:
    """Measurements of ours between two of the anchor's, round after round.

    These machines drift by 10-25 % within a minute (shared CPUs), so medians taken apart and
    then divided can land anywhere in that range; each round's own ratio, ours over the mean of
    the anchor just before and just after, cancels the drift, and its median is what is quoted.
    """

    mine: list[float] = field(default_factory=list)
    ref: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median(self.ratios)


def sandwich(rounds: int, ref: Callable[[], float], mine: Callable[[], float]) -> Paired:
    """anchor, ours, anchor, ours, anchor ...: each anchor run serves the rounds on both sides."""
    out = Paired(ref=[ref()])
    for _ in range(rounds):
        ours, after = mine(), ref()
        out.ratios.append(ours / ((out.ref[-1] + after) / 2))
        out.mine.append(ours)
        out.ref.append(after)
    return out


def within(mine: list[float], ref: list[float]) -> Paired:
    """Pairs measured in the same round (the prefix test: second request / first)."""
    return Paired(mine, ref, [m / r for m, r in zip(mine, ref)])


def outside_decode_share(base: str, n_gen: int, seed: int) -> float:
    """Share of one stream's eval time the server spends outside llama_decode (sampling, text,
    HTTP), from /metrics around one request: a figure the machine's drift does not move."""

    def decode_seconds() -> float:
        with urllib.request.urlopen(f"{base}/metrics", timeout=30) as r:
            text = r.read().decode()
        value = metric_value(text, "tokens_predicted_seconds_total")
        assert value is not None, "tokens_predicted_seconds_total missing from /metrics"
        return value

    before = decode_seconds()
    final = generate(base, n_gen, seed)
    decoding = decode_seconds() - before
    # eval_duration runs from the first token (sampled after the prompt's decode) to the last, so it
    # spans the same eval_count - 1 decodes that tokens_predicted_seconds_total counted.
    return 1 - decoding / (final["eval_duration"] / 1e9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=hardware.generation_threads())
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the many-clients and prefix tests")
    parser.add_argument("--speed-rounds", type=int, default=11, help="rounds of the one-stream test")
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--parallel", type=int, default=8, help="slots of both servers")
    parser.add_argument("--ctx", type=int, default=4096, help="context per slot")
    parser.add_argument("--n-gen", type=int, default=128)
    parser.add_argument("--per-client", type=int, default=2, help="requests each client sends per round")
    parser.add_argument("--only", default="speed,batch,prefix")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    model = bundled_gguf_path()
    bench, server_bin = build_tool("llama-bench"), build_tool("llama-server")
    print(
        f"threads {args.threads}; slots {args.parallel} x {args.ctx} tokens; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )

    env = {"OLLAMA_NUM_PARALLEL": str(args.parallel), "OLLAMA_CONTEXT_LENGTH": str(args.ctx), "OLLAMA_KEEP_ALIVE": "-1"}
    with (
        tempfile.TemporaryDirectory(prefix="bench-serving-") as models,
        EmbeddedServer(models=models, env=env) as embedded,
    ):
        llama = LlamaServer(server_bin, model, args.threads, args.parallel, args.ctx)
        ours_v1 = f"{embedded.url}/v1"
        try:
            server_eval_rate(embedded.url, 8, 0)  # load the model
            rows: list[tuple[str, Paired, str]] = []
            if "speed" in parts:

                def tg() -> float:
                    return llama_bench_tg(bench, model, args.threads, args.n_gen)

                rows.append(
                    (
                        "eval rate, server / llama-bench tg128",
                        sandwich(args.speed_rounds, tg, lambda: server_eval_rate(embedded.url, args.n_gen, 1)),
                        ">= 0.95",
                    )
                )
                rows.append(
                    (
                        "eval rate, engine alone / llama-bench",
                        sandwich(args.speed_rounds, tg, lambda: engine_eval_rate(args.n_gen, args.threads, 1)),
                        "(info)",
                    )
                )
                print_rows(rows[-2:])
                shares = [outside_decode_share(embedded.url, args.n_gen, 1) for _ in range(5)]
                print(
                    f"  one stream: share of eval time outside llama_decode (sampling, text, HTTP), "
                    f"median of 5: {median(shares):.1%}",
                    flush=True,
                )
            if "batch" in parts:
                for clients in [int(c) for c in args.clients.split(",")]:
                    paired = sandwich(
                        args.rounds,
                        lambda c=clients: aggregate(llama.base_url, "smollm2", c, args.n_gen, args.per_client),
                        lambda c=clients: aggregate(ours_v1, BUNDLED_MODEL, c, args.n_gen, args.per_client),
                    )
                    goal = ">= 0.95" if clients == 1 else ">= 0.90"
                    rows.append((f"{clients} client(s), tok/s, embedded / llama-server", paired, goal))
                    print_rows(rows[-1:])
            if "prefix" in parts:
                firsts, seconds, lfirsts, lseconds = [], [], [], []
                for r in range(args.rounds):
                    system = long_system_prompt(r)
                    firsts.append(ttft(ours_v1, BUNDLED_MODEL, system, "Sort: blue running shoes") * 1e3)
                    seconds.append(ttft(ours_v1, BUNDLED_MODEL, system, "Sort: fresh red apples") * 1e3)
                    lfirsts.append(ttft(llama.base_url, "smollm2", system, "Sort: blue running shoes") * 1e3)
                    lseconds.append(ttft(llama.base_url, "smollm2", system, "Sort: fresh red apples") * 1e3)
                rows.append(
                    ("TTFT ms with a cached 500-token prefix / without, embedded", within(seconds, firsts), "<= 0.2")
                )
                rows.append(("same, llama-server (reference)", within(lseconds, lfirsts), "(info)"))
                print_rows(rows[-2:])
            print("\nsummary")
            print_rows(rows)
        finally:
            llama.stop()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


def print_rows(rows: list[tuple[str, Paired, str]]) -> None:
    """Medians of ours and of the anchor (for scale), then the median of the per-round ratios."""
    for label, p, goal in rows:
        spread = f"[{min(p.ratios):.2f}..{max(p.ratios):.2f}, {len(p.ratios)} rounds]"
        print(
            f"  {label:60} {median(p.mine):8.1f} / {median(p.ref):8.1f}  ratio {p.ratio:5.2f} {spread:24} goal {goal}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
