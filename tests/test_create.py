"""/api/create through the unchanged `ollama` client: from a model, from uploaded GGUF blobs, quantize."""

from __future__ import annotations

from pathlib import Path

import httpx
import ollama
import pytest
from conftest import MODEL, QUICK

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.quant import quantize


def _blobs(models_dir: Path) -> set[str]:
    return {p.name for p in (models_dir / "blobs").iterdir()}


def _names(client: ollama.Client) -> set[str]:
    return {m.model for m in client.list().models if m.model}


def _show(server, name: str) -> dict:
    """The raw /api/show answer (the client's ShowResponse has no `system` or `messages`)."""
    return httpx.post(f"{server.url}/api/show", json={"model": name}).json()


def test_create_from_model_with_everything(server, client: ollama.Client) -> None:
    name = "create-test/tutor:v1"
    lines = list(
        client.create(
            model=name,
            from_=MODEL,
            system="You are a terse tutor.",
            template="{{ .Prompt }}",
            parameters={"temperature": 0.2, "stop": "<|im_end|>", "num_ctx": 512},
            messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            license="MIT",
            stream=True,
        )
    )
    statuses = [line.status for line in lines]
    assert statuses[-2:] == ["writing manifest", "success"]
    assert any(s.startswith("using existing layer sha256:") for s in statuses)  # the GGUF is shared
    assert any(s.startswith("creating new layer sha256:") for s in statuses)  # the system prompt is new
    try:
        shown = _show(server, name)
        assert shown["system"] == "You are a terse tutor."
        assert shown["template"] == "{{ .Prompt }}"
        assert shown["license"] == "MIT"
        assert "temperature" in shown["parameters"] and "num_ctx" in shown["parameters"]
        assert '"<|im_end|>"' in shown["parameters"]  # stop is stored as a list, shown quoted
        assert [m["content"] for m in shown["messages"]] == ["hi", "hello"]
        assert shown["details"]["parent_model"] == MODEL
        base = next(m for m in client.list().models if m.model == MODEL)
        created = next(m for m in client.list().models if m.model == name)
        assert created.digest != base.digest and created.details.quantization_level == "Q4_1"
        answer = client.chat(name, messages=[{"role": "user", "content": "Say yes."}], options=QUICK)
        assert answer.message.content.strip()
    finally:
        client.delete(name)
    assert name not in _names(client)
    assert MODEL in _names(client)  # the shared GGUF layer survived the delete


def test_create_from_uploaded_gguf(server, client: ollama.Client) -> None:
    digest = client.create_blob(bundled_gguf_path())
    name = "create-test/from-file"
    response = client.create(model=name, files={"model.gguf": digest}, system="Answer in one word.")
    assert response.status == "success"
    try:
        shown = _show(server, name)
        assert shown["details"]["quantization_level"] == "Q4_1" and shown["details"]["family"] == "llama"
        assert shown["system"] == "Answer in one word."
        assert f"{name}:latest" in _names(client)
    finally:
        client.delete(name)


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"model": "x"}, 400, "neither 'from' or 'files' was specified"),
        ({"model": "bad name!", "from": MODEL}, 400, "invalid model name"),
        ({"model": "x", "files": {"m.gguf": "sha256:123"}}, 400, "invalid digest format"),
        ({"model": "x", "files": {"../m.gguf": "sha256:" + "a" * 64}}, 400, "file path must be relative"),
        ({"model": "x", "files": {"m.gguf": "sha256:" + "a" * 64}}, 400, "not found: upload the file first"),
        ({"model": "x", "files": {"model.safetensors": "sha256:" + "a" * 64}}, 400, "GGUF files only"),
        ({"model": "x", "from": "no-such-model:7b"}, 404, "model 'no-such-model:7b' not found"),
        ({"model": "x", "from": MODEL, "quantize": "q9_9"}, 400, "unknown quantization 'q9_9'"),
        (
            {"model": "x", "from": MODEL, "quantize": "q8_0"},
            400,
            "quantization is only supported for F16 and F32 models (and BF16); smollm2:135m is Q4_1",
        ),
    ],
)
def test_refusals_are_clear_and_leave_nothing(server, client, models_dir: Path, body, status, message) -> None:
    before_models, before_blobs = _names(client), _blobs(models_dir)
    for stream in (False, True):
        answer = httpx.post(f"{server.url}/api/create", json={**body, "stream": stream})
        assert answer.status_code == status, answer.text
        assert message in answer.json()["error"]
    assert _names(client) == before_models
    assert _blobs(models_dir) == before_blobs


@pytest.fixture(scope="module")
def f16_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 in F16 (llama.cpp re-expresses the bundled Q4_1 weights): a source Ollama quantizes."""
    path = tmp_path_factory.mktemp("f16") / "smollm2-f16.gguf"
    quantize(bundled_gguf_path(), path, "F16", allow_requantize=True)
    return path


def test_quantize_from_f16_streams_progress(client: ollama.Client, f16_gguf: Path, models_dir: Path) -> None:
    digest = client.create_blob(f16_gguf)
    source, name = "create-test/f16", "create-test/q8"
    client.create(model=source, files={"smollm2-f16.gguf": digest})
    try:
        lines = list(client.create(model=name, from_=source, quantize="q8_0", stream=True))
        progress = [line for line in lines if line.status == "quantizing F16 model to Q8_0"]
        assert progress and progress[0].digest == "0000000000000000000"
        assert progress[-1].completed == progress[-1].total > f16_gguf.stat().st_size * 0.9  # bytes, every tensor
        done = [p.completed or 0 for p in progress]
        assert len(progress) > 100 and done == sorted(done)  # one line per tensor, never going back
        assert [line.status for line in lines][-1] == "success"
        shown = client.show(name)
        assert shown.details.quantization_level == "Q8_0"
        sizes = {m.model: m.size for m in client.list().models}
        assert sizes[f"{name}:latest"] < 0.6 * sizes[f"{source}:latest"]  # 8.5 bits per weight against 16
        answer = client.generate(name, "The capital of France is", options=QUICK)
        assert answer.response.strip()
    finally:
        for each in (name, source):
            client.delete(each)
    assert not any(b.startswith(".partial") for b in _blobs(models_dir))
