"""Property-based fuzz of every route: nothing a client sends crashes or wedges the server.

Hypothesis draws batches of 1-4 Ollama-shaped requests (tests/fuzz_requests.py) and sends each
batch at once from parallel clients, some of them hanging up mid-stream. Every answer must be
one Ollama could give (errors as JSON {"error": ...}, 5xx only Ollama's own) and the server
must still answer afterwards. The suite runs a short version; `make fuzz` runs 10,000 requests
(FUZZ_REQUESTS) and writes its figures to test-output/fuzz.json.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fuzz_requests import MODEL, Call, Outcome, check, concurrent_calls
from hypothesis import HealthCheck, Phase, given, settings

from lessons_lib.ollama_server import EmbeddedServer

pytestmark = pytest.mark.slow  # loads the model (make test-unit skips it)
FUZZ_REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "120"))
# An optional time budget (seconds): past it the remaining examples send nothing, and the figures
# say how many requests were tried.
FUZZ_DEADLINE = time.monotonic() + float(os.environ.get("FUZZ_SECONDS") or "inf")
STATS: Counter[str] = Counter()
PROBLEMS: list[str] = []


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    # A server of its own: the fuzz deletes, copies and reloads models. A small default context
    # keeps the generations that run until the context is full short.
    env = {"OLLAMA_CONTEXT_LENGTH": "128", "OLLAMA_NUM_PARALLEL": "2", "OLLAMA_MAX_QUEUE": "16"}
    with EmbeddedServer(models=tmp_path_factory.mktemp("fuzz-models"), env=env) as server:
        yield server


def send(base: str, call: Call) -> Outcome:
    kwargs: dict = {"timeout": httpx.Timeout(300.0, connect=10.0)}
    if isinstance(call.body, bytes):
        kwargs["content"] = call.body
    elif call.body is not None:
        kwargs["content"] = json.dumps(call.body).encode()  # NaN stays NaN, as sloppy clients send it
    try:
        with httpx.stream(call.method, base + call.path, **kwargs) as r:
            if call.read_lines is not None and r.status_code == 200:
                lines = []
                for line in r.iter_lines():
                    lines.append(line)
                    if len(lines) > call.read_lines:
                        break  # hang up mid-stream: the server must free the slot
                return Outcome(call, r.status_code, "\n".join(lines).encode(), r.headers.get("content-type", ""))
            return Outcome(call, r.status_code, r.read(), r.headers.get("content-type", ""))
    except httpx.HTTPError as exc:
        return Outcome(call, 0, b"", "", error=f"{type(exc).__name__}: {exc}")


@settings(
    max_examples=max(1, FUZZ_REQUESTS * 2 // 5),
    deadline=None,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(batch=concurrent_calls)
def test_no_request_breaks_the_server(fuzz_server, batch):
    if time.monotonic() > FUZZ_DEADLINE:
        return
    with concurrent.futures.ThreadPoolExecutor(len(batch)) as pool:
        outcomes = list(pool.map(lambda c: send(fuzz_server.url, c), batch))
    STATS["batches"] += 1
    STATS["concurrent batches"] += len(batch) > 1
    for outcome in outcomes:
        STATS["requests"] += 1
        STATS[f"status {outcome.status // 100}xx"] += 1
        problem = check(outcome)
        if problem:  # collected, all reported at the end: one run shows every kind of wrong answer
            PROBLEMS.append(f"{outcome.call.method} {outcome.call.path} {outcome.call.body!r:.300}: {problem}")
    assert fuzz_server.running, "the server process died:\n" + fuzz_server.log_tail()


def test_the_server_still_answers_afterwards(fuzz_server, output_dir: Path):
    assert fuzz_server.running, fuzz_server.log_tail()
    assert httpx.get(fuzz_server.url + "/", timeout=30).text == "Ollama is running"
    r = httpx.post(
        fuzz_server.url + "/api/generate",
        timeout=300,
        json={"model": MODEL, "prompt": "Say hi", "stream": False, "options": {"num_predict": 4, "temperature": 0}},
    )
    assert r.status_code == 200 and r.json()["done"] is True, r.text
    metrics = httpx.get(fuzz_server.url + "/metrics", timeout=30).text
    figures = {
        "requests_tried": STATS["requests"],
        "concurrent_batches": STATS["concurrent batches"],
        "batches": STATS["batches"],
        "crashes": 0 if fuzz_server.running else 1,
        "unexpected_answers": len(PROBLEMS),
        "non_ollama_5xx": sum("Ollama would not give" in p for p in PROBLEMS),
        "transport_errors": sum("transport error" in p for p in PROBLEMS),
        "status_counts": {k: v for k, v in STATS.items() if k.startswith("status")},
        "server_answering_afterwards": True,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metrics_sample": [line for line in metrics.splitlines() if not line.startswith("#")][:4],
    }
    (output_dir / "fuzz.json").write_text(json.dumps({**figures, "problems": PROBLEMS[:50]}, indent=2))
    print("\nfuzz figures:", json.dumps(figures))
    if FUZZ_DEADLINE == float("inf"):
        assert STATS["requests"] >= FUZZ_REQUESTS // 2
    assert not PROBLEMS, f"{len(PROBLEMS)} answers Ollama would not give, e.g.\n" + "\n".join(PROBLEMS[:10])
