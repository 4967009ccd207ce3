"""The keyword job: schema, ledger, OpenAI Batch files, the router's retries, and the whole job on Ray.

Ray starts slowly on two cores (and much more slowly on a busy machine), so the Ray tests run
one local Ray each inside `run_job`, which stops it; `no_ray_left` checks nothing stays behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import MODEL
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_lib import batch
from lessons_lib.batch.router import Router
from lessons_lib.ollama_server import EmbeddedServer
from lessons_lib.ollama_server.prometheus import metric_value

NAMES = batch.CATEGORIES.names


# --- prompts and schema -------------------------------------------------------------------------------
def test_system_prompt_is_shared_byte_for_byte():
    a, b = batch.pack_messages(["laptop"]), batch.pack_messages(["pizza", "rower"])
    assert a[0] == b[0] and a[0]["role"] == "system"
    assert "2. rower" in b[1]["content"]


def test_schema_is_a_closed_set_of_exactly_k():
    schema = batch.pack_schema(3)
    labels = schema["properties"]["labels"]
    assert labels["minItems"] == labels["maxItems"] == 3 and labels["items"]["enum"] == NAMES


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_parse_never_accepts_garbage(text):
    try:
        labels = batch.parse(text, 2)
    except batch.InvalidAnswer:
        return
    assert len(labels) == 2 and set(labels) <= set(NAMES)


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"labels": ["food"]}', "expected 2"),
        ('{"labels": ["food", "cars"]}', "not one of"),
        ("[]", "not {"),
        ("nope", "not JSON"),
    ],
)
def test_parse_says_what_is_wrong(text, why):
    with pytest.raises(batch.InvalidAnswer, match=why):
        batch.parse(text, 2)


def test_sample_and_gold_set():
    sample, gold = batch.load_keywords(batch.sample_path()), batch.gold_labels()
    assert len(sample) >= 2000 and len(set(sample)) == len(sample)
    assert len(gold) >= 500 and set(gold.values()) == set(NAMES) and set(gold) <= set(sample)
    import csv

    langs = {row["lang"] for row in csv.DictReader(open(batch.gold_path(), encoding="utf-8"))}
    assert langs == {"pl", "en"}


def test_accuracy_score():
    gold = {"a": "food", "b": "kids", "c": "travel"}
    rows = [
        {"keyword": "a", "category": "food", "error": None},
        {"keyword": "b", "category": "food", "error": None},
        {"keyword": "c", "category": None, "error": "invalid_output"},
        {"keyword": "z", "category": "food"},
    ]
    result = batch.score(rows, gold)
    assert result["gold_rows"] == 3 and result["correct"] == 1 and result["invalid_rate"] == pytest.approx(1 / 3)


# --- ledger ---------------------------------------------------------------------------------------------
def rows_for(packs: list[int], k: int = 2) -> pa.Table:
    rows = [r for p in packs for r in range(p * k, p * k + k)]
    n = len(rows)
    return pa.table(
        {
            "row": rows,
            "keyword": [f"kw{r}" for r in rows],
            "category": ["food"] * n,
            "model": ["m"] * n,
            "confidence": [None] * n,
            "alternatives": [None] * n,
            "error": [None] * n,
            "endpoint": ["e"] * n,
            "pack": [r // k for r in rows],
            "attempts": [1] * n,
            "prompt_tokens": [1.0] * n,
            "completion_tokens": [1.0] * n,
            "seconds": [0.1] * n,
        },
        schema=batch.ledger.RESULT_SCHEMA,
    )


def test_ledger_writes_each_pack_once_and_survives_a_torn_write(tmp_path):
    ledger = batch.Ledger(tmp_path)
    ledger.open({"input": "x", "k": 2})
    assert ledger.commit(rows_for([0, 1])).num_rows == 4
    assert ledger.commit(rows_for([1, 2])).num_rows == 2  # pack 1 again (a retried Ray task): skipped
    (tmp_path / "parts" / ".tmp-deadbeef").write_bytes(b"PAR1 half a file")  # kill -9 during a write
    again = batch.Ledger(tmp_path)
    again.open({"input": "x", "k": 2})
    assert again.done_packs() == {0, 1, 2} and not list((tmp_path / "parts").glob(".tmp-*"))
    assert again.table().column("row").to_pylist() == list(range(6))


def test_ledger_refuses_another_job(tmp_path):
    batch.Ledger(tmp_path).open({"input": "x", "k": 2})
    with pytest.raises(batch.JobMismatch, match="k"):
        batch.Ledger(tmp_path).open({"input": "x", "k": 3})


# --- OpenAI Batch JSONL ---------------------------------------------------------------------------------
def test_openai_batch_round_trip(tmp_path):
    keywords = ["laptop", "pizza", "wózek", "hotel w krakowie", "kredyt"]
    path = tmp_path / "job.jsonl"
    assert batch.export_batch(keywords, path, "m", k=2) == 3
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {"custom_id", "method", "url", "body"} == set(lines[0]) and lines[0]["url"] == "/v1/chat/completions"
    assert lines[2]["body"]["response_format"]["json_schema"]["schema"]["properties"]["labels"]["maxItems"] == 1
    # What vllm run-batch / OpenAI write back: one line per request, any order; one failed, one missing.
    out = tmp_path / "out.jsonl"

    def answer(labels):
        return {"status_code": 200, "body": {"choices": [{"message": {"content": json.dumps({"labels": labels})}}]}}

    out.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {"id": "b1", "custom_id": "pack-1", "response": answer(["food", "kids"]), "error": None},
                {"id": "b0", "custom_id": "pack-0", "response": answer(["electronics", "cars"]), "error": None},
            ]
        )
    )
    rows = batch.import_results(keywords, out, k=2)
    assert [r["row"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[2]["category"] == "food" and rows[3]["category"] == "kids"
    assert rows[0]["category"] is None and "invalid_output" in rows[0]["error"]
    assert rows[4]["error"] == "missing from the batch output"


# --- the router against real servers --------------------------------------------------------------------
def test_router_moves_work_off_a_dead_endpoint(server):
    """One endpoint refuses connections: every pack still gets a valid answer, from the live one."""
    dead = batch.Endpoint.ollama("http://127.0.0.1:9", MODEL, slots=1, name="dead")
    live = batch.Endpoint.ollama(server.url, MODEL, slots=1, name="live")
    router = Router([dead, live], cooldown=0.2)

    async def go():
        async with httpx.AsyncClient() as client:
            return await asyncio.gather(*(router.classify(client, ["laptop gamingowy", "pizza"]) for _ in range(3)))

    results = asyncio.run(go())
    assert all(r.endpoint == "live" for r in results)
    assert all(r.error is None or r.error.startswith("invalid_output") for r in results)
    assert any(r.attempts > 1 for r in results) or router.states[0].failures >= 1


@contextlib.contextmanager
def ollama_without_props():
    """A real HTTP server on loopback that, like Ollama, has no /props (Gin's plain-text 404)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"Ollama is running" if self.path == "/" else b"404 page not found"
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_slots_come_from_props_else_one(server):
    """The embedded server answers llama-server's GET /props; a server without it (Ollama) counts as 1 slot."""
    slots = batch.discover_slots(batch.Endpoint.ollama(server.url, MODEL))
    assert slots >= 1 and batch.discover_slots(batch.Endpoint.openai(server.url + "/v1", MODEL)) == slots
    assert httpx.get(server.url + "/props", params={"model": "no-such-model"}).status_code == 404
    with ollama_without_props() as url:
        assert httpx.get(url + "/props").status_code == 404
        assert batch.Endpoint.ollama(url, MODEL).with_slots().slots == 1
        assert batch.Endpoint.ollama(url, MODEL, slots=3).with_slots().slots == 3  # given: kept, not asked


# --- the job on Ray Data --------------------------------------------------------------------------------
KEYWORDS = batch.load_keywords(batch.sample_path())


@pytest.mark.slow
def test_job_on_ray_survives_an_endpoint_dying(models_dir, server, tmp_path, no_ray_left):
    """Two servers; one is stopped after the first packs are written: the job still finishes, exactly once."""
    second = EmbeddedServer(models=models_dir).start()
    endpoints = [
        batch.Endpoint.ollama(server.url, MODEL, slots=1, name="a"),
        batch.Endpoint.ollama(second.url, MODEL, slots=1, name="b"),
    ]

    def maybe_kill(rows_done: int) -> None:
        if rows_done >= 10 and second.running:
            second.stop()

    try:
        summary = batch.run_job(
            KEYWORDS[:60], tmp_path, endpoints, k=5, progress=False, on_commit=maybe_kill, cooldown=0.5
        )
    finally:
        second.stop()
    table = pq.read_table(summary.result).to_pandas()
    assert table.row.tolist() == list(range(60)) and table.keyword.tolist() == KEYWORDS[:60]
    assert summary.done_now == 60 and summary.errors == summary.invalid  # nothing lost to the dead endpoint
    assert {e["endpoint"] for e in summary.endpoints if e["rows"]} == {"a", "b"} or summary.endpoints[0]["rows"] == 60


@pytest.mark.slow
def test_job_takes_its_slots_from_the_server(models_dir, tmp_path, no_ray_left):
    """A server started with OLLAMA_NUM_PARALLEL=2 says so in /props: the job, not told, sends 2 at once."""
    with EmbeddedServer(models=models_dir, env={"OLLAMA_NUM_PARALLEL": "2"}) as two:
        assert httpx.get(two.url + "/props", params={"model": MODEL}).json() == {"total_slots": 2}
        endpoint = batch.Endpoint.ollama(two.url, MODEL)
        summary = batch.run_job(KEYWORDS[:8], tmp_path, [endpoint], k=2, progress=False)
        metrics = httpx.get(two.url + "/metrics").text
        assert httpx.get(two.url + "/props", params={"model": MODEL}).json() == {"total_slots": 2}  # loaded now
    assert summary.endpoints[0]["slots"] == 2 and summary.done_now == 8
    busy = metric_value(metrics, "n_busy_slots_per_decode")
    assert busy is not None and busy > 1  # the server decoded two requests together


@pytest.mark.slow
@pytest.mark.parametrize("cascade", [False, True], ids=["one-model", "cascade"])
def test_kill_minus_9_and_resume_exactly_once(server, tmp_path, no_ray_left, cascade):
    """The CLI is killed with SIGKILL at random moments, then run again until it finishes; under a cascade
    (a classifier on embeddings, then the LLM for what it is unsure of) too."""
    n, k = 120, 5
    source = tmp_path / "kw.txt"
    source.write_text("\n".join(KEYWORDS[:n]), encoding="utf-8")
    out = tmp_path / "out"
    model = ["--model", MODEL]
    if cascade:
        from test_batch_cascade import write_training_set

        train = write_training_set(tmp_path / "train.csv")
        model = ["--cascade", f"embed:{MODEL},{MODEL}", "--threshold", "0.2", "--train", str(train)]
    command = [
        sys.executable,
        "-m",
        "lessons_lib.batch",
        "run",
        str(source),
        "--out",
        str(out),
        "--endpoint",
        server.url,
        *model,
        "-k",
        str(k),
        "--slots",
        "1",
    ]
    rng = random.Random(14)
    seen_done: list[int] = []
    for _kill in range(2):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        before = len(list((out / "parts").glob("part-*"))) if out.exists() else 0
        deadline = time.monotonic() + 300
        target = before + rng.randint(1, 3)
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "parts").glob("part-*"))) >= target:
                time.sleep(rng.uniform(0, 1.5))  # mid-request, mid-write or between blocks
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the job finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        seen_done.append(len(batch.Ledger(out).done_packs()))
    assert seen_done[0] >= 1 and seen_done[1] >= seen_done[0]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["done_before"] == seen_done[-1] * k  # finished work was not redone
    table = pq.read_table(out / "result.parquet").to_pandas()
    assert table.row.tolist() == list(range(n)) and table.keyword.tolist() == KEYWORDS[:n]
    assert table.pack.nunique() == n // k
    if cascade:  # each keyword's final answer names the stage that gave it
        assert set(table.model) <= {f"embed:{MODEL}", MODEL} and table.category.notna().all()
        assert (table.model == f"embed:{MODEL}").any()
