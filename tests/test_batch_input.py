"""The keyword job meets bad input as a new user would: one line that says what to do, and an exit status that tells."""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import sys
import threading
import time

import pytest
from conftest import MODEL

from lessons_lib import batch, edition
from lessons_lib.batch.pipeline import usable_endpoints


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lessons_lib.batch", "run", *args], capture_output=True, text=True, timeout=timeout
    )


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_missing_file_is_one_line(tmp_path):
    done = run_cli(
        str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"), "--endpoint", "http://127.0.0.1:9", "--model", "m"
    )
    line = one_line(done.stderr)
    assert done.returncode == 2 and "nope.csv" in line and "full path" in line


def test_text_that_is_not_utf8_names_the_file_and_the_fix(tmp_path, monkeypatch):
    source = tmp_path / "cp1250.txt"
    source.write_bytes("żółw\nrower\n".encode("cp1250"))  # what a Polish spreadsheet saves by default
    done = run_cli(str(source), "--out", str(tmp_path / "out"), "--endpoint", "http://127.0.0.1:9", "--model", "m")
    line = one_line(done.stderr)
    assert done.returncode == 2 and "cp1250.txt" in line and "UTF-8" in line and "0xbf" in line
    monkeypatch.setattr(edition, "_current", "pl")
    with pytest.raises(ValueError, match="nie jest tekstem UTF-8"):
        batch.load_keywords(source)


def test_an_endpoint_that_does_not_answer_stops_the_job_in_seconds(tmp_path):
    source = tmp_path / "kw.txt"
    source.write_text("laptop\npizza\n", encoding="utf-8")
    started = time.monotonic()
    done = run_cli(str(source), "--out", str(tmp_path / "out"), "--endpoint", "http://127.0.0.1:9", "--model", "m")
    line = one_line(done.stderr)
    assert (
        done.returncode != 0 and time.monotonic() - started < 100
    )  # not minutes of retries (Python starts slowly on a busy machine)
    assert "http://127.0.0.1:9 does not answer" in line and "ollama serve" in line
    assert not list((tmp_path / "out" / "parts").glob("part-*"))  # nothing was sent, nothing written


def test_endpoints_are_checked_before_the_first_pack(server, capsys):
    dead = batch.Endpoint.ollama("http://127.0.0.1:9", MODEL, name="dead")
    live = batch.Endpoint.ollama(server.url, MODEL, name="live")
    assert usable_endpoints([dead, live]) == [live]
    assert "Left out of this job: dead does not answer" in capsys.readouterr().out
    assert batch.check_endpoint(batch.Endpoint.openai(server.url + "/v1", MODEL)) is None
    for kind, url in (("ollama", server.url), ("openai", server.url + "/v1")):
        problem = batch.check_endpoint(batch.Endpoint(url, "no-such-model:1b", kind))
        assert problem is not None and "does not have the model no-such-model:1b" in problem
    with pytest.raises(ValueError, match="nothing was sent"):
        usable_endpoints([dead])


@contextlib.contextmanager
def server_that_answers_nonsense():
    """A real HTTP server on loopback that knows every model but answers every chat with prose, not JSON."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = {"model": "m", "message": {"role": "assistant", "content": "Sure! Here you go."}, "done": True}
            data = json.dumps(body if self.path == "/api/chat" else {"details": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow
def test_a_job_that_classified_nothing_exits_non_zero(tmp_path, no_ray_left):
    source = tmp_path / "kw.txt"
    source.write_text("laptop\npizza\n", encoding="utf-8")
    with server_that_answers_nonsense() as url:
        done = run_cli(
            str(source), "--out", str(tmp_path / "out"), "--endpoint", url, "--model", "m", "-k", "1", "--slots", "1"
        )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "No keyword could be classified (2 flagged)" in done.stderr


@contextlib.contextmanager
def server_answering(status: int):
    """A real HTTP server on loopback answering every request with `status` and an OpenAI-shaped error."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps({"error": {"message": "no", "type": "x"}}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    "status, left_out", [(401, "refused the key"), (403, "refused the key"), (429, None), (503, None)]
)
def test_a_refused_key_is_left_out_but_a_busy_server_is_not(status, left_out):
    """A wrong key cannot be mended by retrying; a rate limit or a waking Serverless endpoint can."""
    with server_answering(status) as url:
        for endpoint in (batch.Endpoint.openai(url + "/v1", "m", api_key="k"), batch.Endpoint.ollama(url, "m")):
            problem = batch.check_endpoint(endpoint)
            assert (problem is None) if left_out is None else (left_out in problem and str(status) in problem)


def test_the_killed_jobs_command_line_names_no_folder_of_this_machine(tmp_path):
    """Lesson 05 prints the command it killed: its paths read `$TMPDIR/...`, as on any learner's machine."""
    from lessons_lib.batch.crash import Killed, job_command

    killed = Killed(tuple(job_command(tmp_path / "crash.txt", tmp_path / "out", "http://127.0.0.1:9", MODEL)), -9, 2)
    assert killed.shell.startswith("python -m lessons_lib.batch run $TMPDIR/") and str(tmp_path) not in killed.shell
    assert f"--model {MODEL} -k 5 --slots 1" in killed.shell
