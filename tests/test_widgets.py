"""The chat and compare widgets driven headlessly: set values, click, assert on widget state and
on what reached the real embedded server (through a recording TCP proxy in front of it)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field

import h11
import ollama
import pytest
from conftest import MODEL, ONE_GIB_MACHINE

from lessons_lib import chat
from lessons_lib.widgets.chat import ChatWidget
from lessons_lib.widgets.compare import CompareWidget

WAIT = 120  # generous: two shared cores


@dataclass
class Exchange:
    """One TCP connection through the proxy: the bytes each way and who closed first."""

    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    client_closed_first: bool | None = None


class RecordingProxy:
    """A byte-for-byte TCP relay on 127.0.0.1 that keeps everything each client sent."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.exchanges: list[Exchange] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            exchange = Exchange()
            self.exchanges.append(exchange)
            for args in ((downstream, upstream, exchange.sent, True), (upstream, downstream, exchange.received, False)):
                thread = threading.Thread(target=self._pump, args=(*args, exchange), daemon=True)
                thread.start()
                self._threads.append(thread)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, log: bytearray, from_client: bool, exchange: Exchange) -> None:
        try:
            while data := src.recv(65536):
                log.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        if exchange.client_closed_first is None:
            exchange.client_closed_first = from_client
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def chat_bodies(self) -> list[tuple[dict, Exchange]]:
        """Every /api/chat request body that reached the server, with its connection."""
        out = []
        for ex in self.exchanges:
            # httpx reuses connections: split the stream by parsing request after request
            parser, head, body = h11.Connection(h11.SERVER), None, b""
            parser.receive_data(bytes(ex.sent))
            while True:
                event = parser.next_event()
                if event in (h11.NEED_DATA, h11.PAUSED) or isinstance(event, h11.ConnectionClosed):
                    break
                if isinstance(event, h11.Request):
                    head, body = event, b""
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    if head is not None and head.target == b"/api/chat":
                        out.append((json.loads(body), ex))
                    # Pretend we answered so the parser accepts the next request on this connection.
                    parser.send(h11.Response(status_code=200, headers=[("content-length", "0")]))
                    parser.send(h11.EndOfMessage())
                    parser.start_next_cycle()
        return out

    def close(self) -> None:
        self.listener.close()


@pytest.fixture()
def proxy(server):
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    relay = RecordingProxy((host, int(port)))
    yield relay
    relay.close()


@pytest.fixture()
def proxied(proxy) -> ollama.Client:
    return ollama.Client(host=proxy.url)


def _ask(widget: ChatWidget, prompt: str) -> chat.ChatResult:
    widget.prompt.value = prompt
    widget.send_button.click()
    result = widget.wait(WAIT)
    assert not widget.busy and result is not None
    return result


def test_chat_send_streams_answer_and_sends_settings(proxied, proxy):
    w = ChatWidget(client=proxied, system="Answer in one sentence.", temperature=0.0, max_tokens=10)
    assert MODEL in w.model.options and w.model.value == MODEL
    seen_during_stream: list[str] = []
    w.transcript.observe(lambda change: seen_during_stream.append(change["new"]), names="value")

    result = _ask(w, "What is a hamburger?")

    assert result.ok and result.content.strip()
    assert result.speed is not None and 0 < result.speed.generated_tokens <= 10
    assert result.ttft_s is not None and 0 < result.ttft_s < result.wall_s
    # Streamed: the transcript changed many times while the answer grew, not once at the end.
    growing = [v for v in seen_during_stream if "smollm2" in v]
    assert len(growing) >= 3
    assert chat.render_markdown(result.content) in w.transcript.value
    assert f"{result.speed.generated_tokens} tokens" in w.stats.value and "tok/s" in w.stats.value
    assert w.error.value == "" and w.prompt.value == ""
    assert not w.send_button.disabled and w.stop_button.disabled

    ((body, _),) = proxy.chat_bodies()
    assert body["model"] == MODEL and body["stream"] is True
    assert body["options"] == {"temperature": 0.0, "num_predict": 10}
    assert body["messages"] == [
        {"role": "system", "content": "Answer in one sentence."},
        {"role": "user", "content": "What is a hamburger?"},
    ]


def test_chat_keeps_history_and_exports_it(proxied, proxy):
    w = ChatWidget(client=proxied, temperature=0.0, max_tokens=6)
    first = _ask(w, "Name a fruit.")
    second = _ask(w, "And a vegetable?")
    assert first.ok and second.ok
    exported = w.export()
    assert [m["role"] for m in exported] == ["user", "assistant", "user", "assistant"]
    assert exported[1]["content"] == first.content and exported[3]["content"] == second.content

    bodies = [b for b, _ in proxy.chat_bodies()]
    assert len(bodies) == 2
    assert bodies[1]["messages"] == exported[:3]  # the second turn carried the whole history

    w.clear_button.click()
    assert w.export() == [] and w.transcript.value == "" and w.stats.value == ""


def test_stop_interrupts_generation_and_server_sees_client_leave(proxied, proxy):
    w = ChatWidget(client=proxied, temperature=0.0, max_tokens=2000)
    w.prompt.value = "Write a very long story about a dragon and a knight."
    w.send_button.click()
    assert w.busy and w.send_button.disabled and not w.stop_button.disabled
    deadline = time.monotonic() + WAIT
    while len(w.transcript.value) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = w._live  # the answer as the learner saw it when they pressed Stop
    w.stop_button.click()
    result = w.wait(WAIT)

    assert result.stopped and result.ok and result.content
    # Stop is checked before each chunk: only a chunk or two already under way can follow it.
    assert result.content.startswith(shown) and len(result.content) - len(shown) <= 64
    assert result.speed is None  # no final chunk: the server never finished
    assert 0 < result.chunks < 2000
    assert "stopped" in w.stats.value
    assert w.export()[-1] == {"role": "assistant", "content": result.content}  # the partial answer is kept
    assert not w.send_button.disabled and w.stop_button.disabled

    ((body, exchange),) = proxy.chat_bodies()
    assert body["options"]["num_predict"] == 2000
    deadline = time.monotonic() + 10
    while exchange.client_closed_first is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert exchange.client_closed_first is True  # the client hung up mid-stream
    assert b'"done":true' not in exchange.received  # and the server never got to send its final chunk


def test_missing_model_is_explained_and_prompt_kept(proxied, proxy):
    w = ChatWidget(client=proxied, model="llama3:8b")
    assert w.model.value == "llama3:8b"
    result = _ask(w, "What is a hamburger?")
    assert not result.ok
    assert "llama3:8b" in w.error.value and "ollama pull llama3:8b" in w.error.value
    assert w.prompt.value == "What is a hamburger?"  # nothing the learner typed is lost
    assert w.export() == [] and w.stats.value == ""
    ((body, exchange),) = proxy.chat_bodies()
    assert body["model"] == "llama3:8b"
    assert b"HTTP/1.1 404" in exchange.received and b"model 'llama3:8b' not found" in exchange.received


@pytest.fixture()
def small_machine_server(tmp_path):
    """The real server app, in this process, on a machine with 1 GiB free: Ollama's memory refusal.

    (A context beyond the model is capped to its training length, as Ollama does, so on a real
    machine the bundled model always fits; the memory check is what is given less room.)"""
    import uvicorn

    from lessons_lib.bundled import bundled_gguf_path
    from lessons_lib.ollama_server.engine import Engine
    from lessons_lib.ollama_server.routes import create_app
    from lessons_lib.ollama_server.store import Store

    store = Store(tmp_path)
    store.register_gguf(MODEL, bundled_gguf_path())
    engine = Engine(machine=lambda: ONE_GIB_MACHINE, num_parallel=4)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield RecordingProxy(("127.0.0.1", port))
    finally:
        server.should_exit = True
        thread.join(30)
        engine.close()


def test_not_enough_memory_is_explained(small_machine_server):
    proxy = small_machine_server
    proxied = ollama.Client(host=proxy.url)
    # 4 slots x 8192 tokens of KV cache, the weights and headroom do not fit in 1 GiB: refused, as Ollama does.
    direct = chat.stream_chat(proxied, MODEL, [{"role": "user", "content": "hi"}], {"num_ctx": 8192})
    assert direct.error is not None and "Not enough memory" in direct.error and "GiB" in direct.error
    cw = CompareWidget(client=proxied, runs=[chat.Run(MODEL, {"num_ctx": 8192})], prompt="hi")
    cw.run_button.click()
    ((_, result),) = cw.wait(WAIT)
    # Same explanation both ways (the free-memory figure in it is measured per request, so it may differ).
    assert direct.error.startswith(f"Not enough memory for '{MODEL}'")
    assert result.error.startswith(f"Not enough memory for '{MODEL}'") and "GiB" in result.error
    assert "Not enough memory" in cw.table.value
    bodies = [b for b, _ in proxy.chat_bodies()]
    assert [b["options"]["num_ctx"] for b in bodies] == [8192, 8192]
    proxy.close()


def test_server_down_is_explained_in_the_widget():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    w = ChatWidget(client=ollama.Client(host=dead), model=MODEL)
    assert "Cannot reach the model server" in w.error.value and dead in w.error.value
    result = _ask(w, "hello")
    assert not result.ok and "Cannot reach the model server" in w.error.value


def test_input_checks_and_polish_labels(proxied, proxy):
    w = ChatWidget(client=proxied, lang="pl")
    assert w.send_button.description == "Wyślij" and w.stop_button.description == "Zatrzymaj"
    assert w.send() is False and "wpisz pytanie" in w.error.value
    assert proxy.chat_bodies() == []  # nothing was sent
    with pytest.raises(ValueError, match="language"):
        ChatWidget(client=proxied, lang="de")


def test_compare_runs_side_by_side(proxied, proxy):
    runs = [
        chat.Run(MODEL, {"temperature": 0.0, "seed": 1}),
        chat.Run(MODEL, {"temperature": 0.0, "seed": 1}),
        chat.Run("missing:1b", {}),
    ]
    cw = CompareWidget(client=proxied, runs=runs, prompt="Name a colour.", max_tokens=8)
    cw.run_button.click()
    results = cw.wait(WAIT)
    assert len(results) == 3 and not cw.run_button.disabled
    (_, a), (_, b), (_, missing) = results
    assert a.ok and b.ok and a.content == b.content  # same seed, temperature 0: same answer
    assert not missing.ok and "ollama pull missing:1b" in missing.error
    table = cw.dataframe()
    assert list(table["model"]) == [MODEL, MODEL, "missing:1b"]
    assert table["tok/s"].iloc[0] > 0
    assert cw.table.value.count("<th>") == 3 and "tok/s" in cw.table.value

    picker = CompareWidget(client=proxied, prompt="Name a colour.")
    assert MODEL in picker.models.options and MODEL in picker.models.value  # filled from the server's list
    picker.models.value = ()
    assert picker.run() is False and "at least one model" in picker.error.value

    bodies = [b for b, _ in proxy.chat_bodies()]
    assert [b["options"] for b in bodies[:2]] == [{"num_predict": 8, "temperature": 0.0, "seed": 1}] * 2
    assert bodies[2]["model"] == "missing:1b"


def test_stop_before_any_text_leaves_no_empty_turn(proxied, proxy):
    w = ChatWidget(client=proxied, temperature=0.0, max_tokens=200)
    w.prompt.value = "Write a long story about a dragon."
    w.send_button.click()
    w.stop_button.click()  # long before the first token can arrive
    result = w.wait(WAIT)
    assert result.stopped and result.content == "" and result.ttft_s is None
    assert w.export() == []  # no user turn without an answer, no empty assistant message
    assert w.prompt.value == "Write a long story about a dragon."  # the learner's text comes back
    assert "first token" not in w.stats.value and "no answer text came back" in w.stats.value
    assert "stopped" in w.stats.value and w.error.value == ""


def test_compare_stop_skips_the_remaining_runs(proxied, proxy):
    runs = [chat.Run(MODEL, {"num_predict": 200}), chat.Run(MODEL, {}), chat.Run(MODEL, {})]
    cw = CompareWidget(client=proxied, runs=runs, prompt="Write a long story.")
    cw.run_button.click()
    cw.stop_button.click()
    results = cw.wait(WAIT)
    assert len(results) == 1 and results[0][1].stopped
    assert "Generating" not in cw.table.value  # skipped runs do not look as if they were still running
    assert cw.table.value.count("<th>") == 1
    assert not cw.run_button.disabled and cw.stop_button.disabled
    assert len(proxy.chat_bodies()) == 1  # the skipped runs never reached the server


def test_markdown_answers_render_but_cannot_inject_html():
    page = chat.render_markdown("**Bun**, patty\n\n<script>alert(1)</script> <b onclick=x>hi</b>")
    assert "<strong>Bun</strong>" in page
    assert "<script>" not in page and "<b onclick" not in page and "&lt;script&gt;" in page
