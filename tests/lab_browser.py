"""Real JupyterLab for the browser tests: a server on loopback with a token, and Debian's headless Chromium.

    with running_lab(tmp_path, models_dir, {"lesson.ipynb": source}) as (url, token): ...

Everything it starts (JupyterLab, its kernels and terminals) is stopped at the end, and the test fails
if a process of that family is still running afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page, Playwright

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


@contextmanager
def chromium(playwright: Playwright, profile: Path, height: int = 1000) -> Iterator[BrowserContext]:
    """Debian's headless Chromium with a profile folder of its own, closed at the end."""
    browser = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": height},
    )
    try:
        yield browser
    finally:
        browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install chromium` (or `make browser`)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _settings(folder: Path, terminals: bool) -> None:
    """Render every cell (no virtual scrolling, so cells are found by their text); no news prompt (offline);
    terminals with xterm's screen-reader rows, DOM text a test can read (the screen itself is a canvas)."""
    files: dict[str, dict[str, Any]] = {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false"},
    }
    if terminals:
        files["terminal-extension/plugin"] = {"screenReaderMode": True}
    for name, value in files.items():
        path = folder / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


@contextmanager
def running_lab(
    tmp_path: Path, models_dir: Path, notebooks: dict[str, Path | str], *, terminals: bool = False
) -> Iterator[tuple[str, str]]:
    """JupyterLab serving `notebooks` (name -> a file to copy, or the notebook's JSON) from a temporary folder."""
    require_chromium()  # before starting JupyterLab: no browser, nothing to start
    root = tmp_path / "notebooks"
    root.mkdir()
    for name, source in notebooks.items():
        if isinstance(source, Path):
            shutil.copy(source, root / name)
        else:
            (root / name).write_text(source, encoding="utf-8")
    _settings(tmp_path / "lab-settings", terminals)
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "WORKBOOK_BACKEND": "embedded",
        "WORKBOOK_MODELS": str(models_dir),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log_path = tmp_path / "jupyterlab.log"
    log = open(log_path, "w")
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
            f"--ServerApp.terminals_enabled={terminals}",
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
            assert process.poll() is None, log_path.read_text()
            try:
                if api.get("/api/status").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not start in time"
            time.sleep(0.5)
        yield url, token
    finally:
        shutdown(process, api)
        api.close()
        log.close()


def shutdown(process: subprocess.Popen, api: httpx.Client) -> None:
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


def wait_for_idle_kernel(url: str, token: str) -> None:
    """The notebook's kernel has started and is ready for a cell."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        kernels = httpx.get(f"{url}/api/kernels", headers={"Authorization": f"token {token}"}, timeout=10).json()
        if any(k["execution_state"] == "idle" for k in kernels):
            return
        time.sleep(0.5)
    raise AssertionError("the notebook's kernel did not start")


def open_notebook(page: Page, url: str, token: str, name: str) -> None:
    """Open notebook `name`, wait for its kernel, and clear its saved outputs (what appears is from this run)."""
    from playwright.sync_api import expect

    page.goto(f"{url}/lab/tree/{name}?token={token}", timeout=START_S * 1000)
    expect(page.locator(".jp-Notebook .jp-CodeCell").first).to_be_visible(timeout=START_S * 1000)
    wait_for_idle_kernel(url, token)
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    expect(page.locator(".jp-OutputArea-output")).to_have_count(0)


def run_cell(page: Page, marker: str) -> Locator:
    """Click into the code cell whose text contains `marker` and run it (Ctrl+Enter), as a learner would."""
    cell = page.locator(".jp-CodeCell").filter(has_text=marker).first
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    return cell
