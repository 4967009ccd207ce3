"""Lesson 02's chat widget in a real browser: JupyterLab on loopback, headless Debian Chromium
driven by Playwright for Python. Runs the setup cell and the chat cell, types a prompt, clicks
Send, and checks that the answer streamed in and the stats line appeared."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
LESSON = "02_run_llama_and_bielik.ipynb"
CHROMIUM = os.environ.get("WORKBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Waits are on conditions; the limits are generous because CI has two shared cores.
START_S, RUN_S, ANSWER_S = 120, 180, 240
SETUP_CELL = "conn = connect()"
CHAT_CELL = "chat_box = ChatWidget(conn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_chromium() -> None:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install chromium` (or `make browser`)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture()
def lab(tmp_path: Path, models_dir: Path):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of the lesson (nothing is saved back)."""
    _require_chromium()  # before starting JupyterLab: no browser, nothing to start
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / LESSON, root / LESSON)
    settings = tmp_path / "lab-settings"
    # Render every cell (no virtual scrolling), so the test can find cells by their text.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))  # offline: no "Jupyter news?" prompt over the widget
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "WORKBOOK_BACKEND": "embedded",
        "WORKBOOK_MODELS": str(models_dir),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = open(tmp_path / "jupyterlab.log", "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            "--allow-root",
        ],  # CI runs as root in a container
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=url, headers={"Authorization": f"token {token}"}, timeout=10)
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert process.poll() is None, (tmp_path / "jupyterlab.log").read_text()
            try:
                if api.get("/api/status").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not start in time"
            time.sleep(0.5)
        yield url, token
    finally:
        _shutdown(process, api)
        api.close()
        log.close()


def _shutdown(process: subprocess.Popen, api: httpx.Client) -> None:
    """Stop kernels (their embedded model servers stop with them), then JupyterLab; kill whatever is left."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        for kernel in api.get("/api/kernels").json():
            api.delete(f"/api/kernels/{kernel['id']}", timeout=60)
        api.post("/api/shutdown")
    except httpx.HTTPError:
        pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=15)
    for leftover in alive:
        leftover.kill()
    assert not alive, f"left running after shutdown: {[p.pid for p in alive]}"


def _wait_for_idle_kernel(url: str, token: str) -> None:
    """The notebook's kernel has started and is ready for a cell."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        kernels = httpx.get(f"{url}/api/kernels", headers={"Authorization": f"token {token}"}, timeout=10).json()
        if any(k["execution_state"] == "idle" for k in kernels):
            return
        time.sleep(0.5)
    raise AssertionError("the notebook's kernel did not start")


def _run_cell(page, marker: str) -> Locator:
    """Click into the code cell whose text contains `marker` and run it (Ctrl+Enter), as a learner would."""
    cell = page.locator(".jp-CodeCell").filter(has_text=marker).first
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    return cell


def test_chat_widget_streams_in_jupyterlab(lab, tmp_path: Path, output_dir: Path):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    url, token = lab
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.goto(f"{url}/lab/tree/{LESSON}?token={token}", timeout=START_S * 1000)
            expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible(timeout=START_S * 1000)
            _wait_for_idle_kernel(url, token)
            # The lesson is stored with its outputs: clear them, so what appears below comes from this run.
            page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
            expect(page.locator(".jp-OutputArea-output")).to_have_count(0)

            setup = _run_cell(page, SETUP_CELL)
            expect(setup.locator(".jp-OutputArea-output").filter(has_text="Ollama-compatible server")).to_be_visible(
                timeout=RUN_S * 1000
            )
            chat_cell = _run_cell(page, CHAT_CELL)
            widget = chat_cell.locator(".workbook-chat")
            expect(widget).to_be_visible(timeout=RUN_S * 1000)
            model = widget.locator("select").first.input_value()

            transcript = widget.locator(".workbook-chat-transcript")
            # Record every change of the transcript's text length: a streamed answer grows many times.
            transcript.evaluate("""el => { window.__lengths = [];
                new MutationObserver(() => window.__lengths.push(el.innerText.length))
                    .observe(el, {subtree: true, childList: true, characterData: true}); }""")
            widget.locator(".workbook-chat-prompt textarea").fill("What is a hamburger?")
            widget.locator("button.workbook-chat-send").click()

            stats = widget.locator(".workbook-chat-stats")
            expect(stats).to_contain_text("tok/s", timeout=ANSWER_S * 1000)
            expect(stats).to_contain_text("first token after")
            expect(transcript).to_contain_text("What is a hamburger?")
            expect(transcript).to_contain_text(model)
            expect(widget.locator(".workbook-chat-error")).to_have_text("")
            lengths = page.evaluate("window.__lengths")
            assert len(set(lengths)) >= 4, f"the answer did not stream: transcript lengths {lengths}"
            expect(widget.locator("button.workbook-chat-send")).to_be_enabled()
            expect(widget.locator("button.workbook-chat-stop")).to_be_disabled()
            page.screenshot(path=str(output_dir / "browser-chat-widget.png"), full_page=False)
        finally:
            browser.close()
