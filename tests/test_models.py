"""lessons_lib.models: `ollama list`/`ps` tables, pull with progress, the mirror plan, finding GGUF files."""

from __future__ import annotations

import re
from pathlib import Path

import ollama
import pytest
from conftest import MODEL, QUICK

from lessons_lib import models
from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.ollama_server.store import Store


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture()
def learner_store(tmp_path: Path) -> Path:
    """A folder laid out as a learner's Ollama keeps it (~/.ollama/models)."""
    root = tmp_path / "home" / ".ollama" / "models"
    Store(root).register_gguf("llama3.2:1b", bundled_gguf_path())
    Store(root).register_gguf("SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0", bundled_gguf_path())
    return root


def test_find_gguf_reads_ollamas_store_without_writing(learner_store: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(learner_store.parents[1]))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    before = _snapshot(learner_store)
    assert learner_store.resolve() in models.ollama_stores()
    path = models.find_gguf("Llama3.2:1b")  # case-insensitive, as Ollama looks names up
    assert path.read_bytes()[:4] == b"GGUF" and path.parent == (learner_store / "blobs").resolve()
    assert models.find_gguf("SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0") == path  # same bytes, same blob
    with pytest.raises(models.ModelNotFound) as caught:
        models.find_gguf("llama3.2:3b")
    message = str(caught.value)
    assert "llama3.2:1b" in message and "SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0" in message
    assert "ollama pull llama3.2:3b" in message
    assert _snapshot(learner_store) == before  # nothing written, not even a timestamp


def test_ollama_models_variable_wins(learner_store: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "nobody"))
    monkeypatch.setenv("OLLAMA_MODELS", str(learner_store))
    assert models.ollama_store_paths()[0] == learner_store
    assert models.find_gguf("llama3.2:1b", stores=[learner_store]).is_file()
    with pytest.raises(models.ModelNotFound, match="Available: \\(none\\)"):
        models.find_gguf("llama3.2:1b", stores=[tmp_path])


def test_list_table_reads_like_ollama_list(client: ollama.Client) -> None:
    table = models.list_table(client, prefix="smollm2")
    header, *rows = table.splitlines()
    assert re.fullmatch(r"NAME +ID +SIZE +MODIFIED", header)
    entry = next(m for m in client.list().models if m.model == MODEL)
    assert len(rows) == 1
    name, digest, size, unit, *modified = rows[0].split()
    assert (name, digest, f"{size} {unit}") == (MODEL, entry.digest[:12], "98 MB")
    assert " ".join(modified).endswith("ago")
    assert header.index("ID") == rows[0].index(digest)  # columns line up


def test_ps_table_and_processor(client: ollama.Client) -> None:
    client.generate(MODEL, "Hi", options=QUICK, keep_alive="2m")
    header, *rows = models.ps_table(client).splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    row = next(r for r in rows if r.startswith(MODEL))
    assert "100% CPU" in row and "from now" in row
    assert models.processor(100, 0) == "100% CPU"
    assert models.processor(100, 100) == "100% GPU"
    assert models.processor(100, 52) == "48%/52% CPU/GPU"


def test_table_columns() -> None:
    text = models.cli_table(("A", "BB"), [["long-name", "x"], ["s", "yy"]])
    assert text.splitlines() == ["A            BB", "long-name    x", "s            yy"]


def test_memory_hint_is_bigger_than_the_file(client: ollama.Client) -> None:
    hint = models.memory_hint(client, MODEL, n_ctx=2048)
    assert hint.size > 90_000_000
    assert hint.estimate.kv_cache > 0 and hint.estimate.total_with_headroom > hint.size
    assert hint.message.startswith(f"{MODEL}: 98 MB on disk; at a 2048-token context it needs about")


def test_pull_from_the_mirror_runs_the_real_pull(client: ollama.Client, models_dir: Path) -> None:
    with models.plan_pull(MODEL, models_dir=models_dir, offline=True) as plan:
        assert plan.insecure and plan.name.endswith("/library/smollm2:135m") and "mirror" in plan.message
        lines = models.pull(client, plan.name, insecure=True, quiet=True)
        sent = plan.mirror.bytes_sent
    statuses = [line["status"] for line in lines]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
    assert sent < 10_000  # the manifest only: every layer was already here
    try:
        pulled = next(m for m in client.list().models if m.model.lower() == plan.name.lower())
        original = next(m for m in client.list().models if m.model == MODEL)
        assert pulled.digest == original.digest  # the very same manifest
    finally:
        client.delete(plan.name)
    with pytest.raises(ollama.ResponseError, match="pull model manifest: file does not exist"):
        with models.plan_pull("no-such-model:7b", models_dir=models_dir, offline=True) as plan:
            models.pull(client, plan.name, insecure=True, quiet=True)


def test_plan_pull_in_ci_never_tries_the_internet(monkeypatch, models_dir: Path) -> None:
    monkeypatch.setenv("WORKBOOK_BACKEND", "embedded")
    monkeypatch.setattr(models, "registry_reachable", lambda timeout=3.0: pytest.fail("probed the internet"))
    with models.plan_pull("smollm2:135m", models_dir=models_dir) as plan:
        assert plan.mirror is not None and "WORKBOOK_BACKEND=embedded" in plan.message
    assert plan.mirror is None  # stopped


def test_plan_shows_what_a_learner_types(monkeypatch, models_dir: Path, capsys) -> None:
    """The mirror's address stays behind the plan: `command` and `pull_in_terminal` show `ollama pull NAME`."""
    with models.plan_pull("bielik", models_dir=models_dir, offline=True) as plan:
        assert plan.requested == "bielik" and plan.command == "ollama pull bielik"
        assert plan.name != "bielik" and plan.insecure
        ran: list[str] = []
        import lessons_lib.ollama_cli.terminal as term

        def record(command: str) -> list[str]:
            ran.append(command)
            return ["true"]

        monkeypatch.setattr(term, "command_line", record)
        term.pull_in_terminal(plan, "http://127.0.0.1:9")
    assert capsys.readouterr().out.startswith("$ ollama pull bielik\n")
    assert ran == [f"ollama pull --insecure {plan.name}"]
    online = models.PullPlan("smollm2:135m", False, "", requested="smollm2:135m")
    assert online.command == "ollama pull smollm2:135m"


def test_modelfile_to_create() -> None:
    fields = models.modelfile_to_create('''# a tutor
FROM smollm2:135m
PARAMETER temperature 0.3
PARAMETER num_ctx 2048
PARAMETER stop "<|im_end|>"
PARAMETER stop "User:"
SYSTEM """You are a patient tutor.
Answer in two sentences."""
MESSAGE user What is a token?
''')
    assert fields == {
        "from_": "smollm2:135m",
        "system": "You are a patient tutor.\nAnswer in two sentences.",
        "parameters": {"temperature": 0.3, "num_ctx": 2048, "stop": ["<|im_end|>", "User:"]},
        "messages": [{"role": "user", "content": "What is a token?"}],
    }
    with pytest.raises(ValueError, match="needs a FROM line"):
        models.modelfile_to_create("SYSTEM hi")
    with pytest.raises(ValueError, match="unknown instruction 'FORM'"):
        models.modelfile_to_create("FORM x")
    with pytest.raises(ValueError, match="create_blob"):
        models.modelfile_to_create("FROM ./model.gguf")
    # a mistake is named, never dropped silently (it would only surface later, at chat time)
    for broken, message in [
        ("FROM x\nSYTEM hi", "unknown instruction 'SYTEM'"),
        ("FROM x\nSYTEM", "unknown instruction 'SYTEM'"),
        ("FROM x\nPARAMETER temperature", "PARAMETER needs a name and a value"),
        ("FROM x\nMESSAGE bot hi", "MESSAGE needs a role"),
        ('FROM x\nSYSTEM """never closed', 'SYSTEM opens """ but never closes it'),
        ('FROM x\n  "stray', "cannot read '\"stray'"),
        ("FROM", "FROM needs a value"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            models.modelfile_to_create(broken)
