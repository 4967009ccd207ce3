"""The embedded server as a serving engine: parallel slots, /metrics, errors that stay Ollama's."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import ollama
from conftest import MODEL, QUICK

from lessons_lib.ollama_server.prometheus import metric_value


def post(server, path, body, timeout=300):
    return httpx.post(server.url + path, json=body, timeout=timeout)


def metric(text: str, name: str) -> float:
    value = metric_value(text, name)
    assert value is not None, f"{name} missing from /metrics"
    return value


def test_concurrent_requests_share_the_batch(client, server):
    before = httpx.get(server.url + "/metrics").text
    prompts = [
        "Name a fruit.",
        "Name a colour.",
        "Name an animal.",
        "Name a country.",
        "Name a planet.",
        "Name a tree.",
    ]

    def ask(prompt: str) -> ollama.GenerateResponse:
        return ollama.Client(host=server.url).generate(
            model=MODEL, prompt=prompt, options={"num_predict": 24, "temperature": 0.0}
        )

    with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
        answers = list(pool.map(ask, prompts))
    assert all(a.done and a.eval_count > 0 for a in answers)
    after = httpx.get(server.url + "/metrics").text
    decodes = metric(after, "n_decode_total") - metric(before, "n_decode_total")
    tokens = metric(after, "tokens_predicted_total") - metric(before, "tokens_predicted_total")
    assert tokens >= sum(a.eval_count for a in answers)
    assert decodes < tokens, "each decode should have carried tokens of several requests"
    assert metric(after, "requests_processing") == 0 and metric(after, "requests_deferred") == 0


def test_metrics_use_llama_servers_names(server):
    text = httpx.get(server.url + "/metrics").text
    for name in (
        "prompt_tokens_total",
        "tokens_predicted_total",
        "requests_processing",
        "requests_deferred",
        "n_busy_slots_per_decode",
        "prompt_tokens_seconds",
        "predicted_tokens_seconds",
    ):
        assert f"# TYPE llamacpp:{name} " in text
        metric(text, name)


def test_empty_embedding_input_and_a_tiny_context_are_answered_not_500(server):
    r = post(server, "/api/embed", {"model": MODEL, "input": [""]})
    assert r.status_code == 200, r.text
    assert len(r.json()["embeddings"]) == 1 and len(r.json()["embeddings"][0]) == 576
    for num_ctx in (0, 1):
        r = post(
            server,
            "/api/generate",
            {"model": MODEL, "prompt": "hi", "stream": False, "options": {**QUICK, "num_ctx": num_ctx}},
        )
        assert r.status_code == 200, r.text
        assert r.json()["done"] is True
    # NaN and Infinity (sloppy JSON encoders send them) are not JSON: Go's decoder answers 400
    r = httpx.post(
        server.url + "/api/generate",
        timeout=300,
        content=b'{"model": "smollm2:135m", "prompt": "hi", '
        b'"stream": false, "options": {"temperature": Infinity, "top_p": NaN, "num_predict": 2}}',
    )
    assert r.status_code == 400 and "invalid character" in r.json()["error"], r.text
    # numbers beyond float range are clamped before they reach llama.cpp
    r = post(
        server,
        "/api/generate",
        {
            "model": MODEL,
            "prompt": "hi",
            "stream": False,
            "options": {"temperature": 1e308, "top_k": 10**30, "num_predict": 2, "repeat_penalty": -5, "seed": 10**40},
        },
    )
    assert r.status_code == 200, r.text


def test_ps_lists_a_model_once_after_embeddings_and_chat(client, server):
    client.generate(model=MODEL, prompt="hi", options=QUICK)
    client.embed(model=MODEL, input="hamburger")
    assert [m.model for m in client.ps().models] == [MODEL]


def test_deleting_a_copy_leaves_the_original_loaded(client, server):
    client.generate(model=MODEL, prompt="hi", options=QUICK, keep_alive="10m")
    assert client.copy(MODEL, "twin:v1").status == "success"
    client.generate(model="twin:v1", prompt="hi", options=QUICK)
    assert client.delete("twin:v1").status == "success"
    assert MODEL in [m.model for m in client.ps().models]  # Ollama's delete never unloads


def test_a_client_that_hangs_up_frees_its_slot(server):
    with httpx.stream(
        "POST",
        server.url + "/api/generate",
        timeout=300,
        json={
            "model": MODEL,
            "prompt": "Write a very long story.",
            "options": {"num_predict": 2000, "temperature": 0.7},
        },
    ) as r:
        for i, _ in enumerate(r.iter_lines()):
            if i >= 2:
                break
    # the next request is served at once, and nothing is left processing
    answer = post(server, "/api/generate", {"model": MODEL, "prompt": "hi", "stream": False, "options": QUICK})
    assert answer.status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if metric(httpx.get(server.url + "/metrics").text, "requests_processing") == 0:
            break
        time.sleep(0.1)
    assert metric(httpx.get(server.url + "/metrics").text, "requests_processing") == 0
