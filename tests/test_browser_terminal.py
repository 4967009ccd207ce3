"""The pod's web terminal in a real browser: lesson 04's `pod_terminal(session)` in JupyterLab opens a
terminal whose `ollama` talks to the sandbox pod. A small notebook deploys a sandbox pod as the lesson does
and calls the same function; the test clicks the link it shows, types `ollama ps` and `ollama list` in the
terminal that opens, and reads the pod's model there. Shutting the kernel down closes the terminal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import nbformat
import pytest
from lab_browser import RUN_S, START_S, chromium, open_notebook, require_chromium, run_cell, running_lab

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]

MODEL = "smollm2:135m"
NOTEBOOK = "pod_terminal.ipynb"
SETUP = f"""from lessons_lib import cloud

mode = cloud.open_cloud(time_scale=10, boot_seconds=3)
session = cloud.PodSession(cloud.spec_for_model("llama3.1:8b", keep_models=True), budget=cloud.Budget(1, 1))
session.start()
cloud.pull_model(session.client, "{MODEL}")
session.client.generate(model="{MODEL}", prompt="Hi", options={{"num_predict": 1}})  # loaded: `ollama ps` lists it
print("pod ready:", session.pod_id)"""
OPEN = "web_terminal = cloud.pod_terminal(session)"
END = "session.end()  # as the lesson does in section 6"


def _notebook() -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in (SETUP, OPEN, END)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


@pytest.fixture()
def lab(tmp_path: Path, models_dir: Path):
    with running_lab(tmp_path, models_dir, {NOTEBOOK: _notebook()}, terminals=True) as running:
        yield running


def test_the_lessons_link_opens_a_terminal_whose_ollama_is_the_pods(lab, tmp_path: Path, output_dir: Path):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    url, token = lab
    api = httpx.Client(base_url=url, headers={"Authorization": f"token {token}"}, timeout=60)
    with sync_playwright() as p:
        with chromium(p, tmp_path / "chromium-profile", height=900) as browser:
            try:
                page = browser.new_page()
                open_notebook(page, url, token, NOTEBOOK)
                ready = run_cell(page, "pod ready").locator(".jp-OutputArea-output").filter(has_text="pod ready:")
                expect(ready).to_be_visible(timeout=RUN_S * 1000)
                match = re.search(r"pod ready: (\w+)", ready.inner_text())
                assert match, ready.inner_text()
                pod_id = match.group(1)

                link = run_cell(page, OPEN).get_by_role("link", name="Open the pod's web terminal")
                expect(link).to_be_visible(timeout=RUN_S * 1000)
                assert [t["name"] for t in api.get("/api/terminals").json()] == [f"pod_{pod_id}"]
                with browser.expect_page(timeout=START_S * 1000) as opened:
                    link.click()
                tab = opened.value
                screen = tab.locator(".jp-Terminal .xterm-accessibility-tree")
                # The prompt the lesson's line sets, typed after the shell's startup files (which may reset PATH).
                expect(screen).to_contain_text(f"(pod {pod_id})", timeout=START_S * 1000)
                tab.locator(".jp-Terminal .xterm-screen").click()
                tab.keyboard.type("echo $OLLAMA_HOST; command -v ollama\n")
                expect(screen).to_contain_text(f"/proxy/{pod_id}-11434", timeout=RUN_S * 1000)  # the pod's proxy
                tab.keyboard.type("ollama ps\n")
                expect(screen).to_contain_text("PROCESSOR", timeout=RUN_S * 1000)  # `ollama ps`'s header
                expect(screen).to_contain_text(MODEL)
                tab.keyboard.type("ollama list\n")
                expect(screen).to_contain_text("MODIFIED", timeout=RUN_S * 1000)  # `ollama list`'s header
                text = screen.inner_text()
                assert "error" not in text.lower() and "command not found" not in text, text
                assert text.count(MODEL) >= 2, text  # in both listings
                ended = run_cell(page, END).locator(".jp-OutputArea-output").filter(has_text="terminated")
                expect(ended).to_be_visible(timeout=RUN_S * 1000)
            finally:
                for shown in browser.pages[1:]:  # the terminal's tab, as the test left it (also when it failed)
                    shown.screenshot(path=str(output_dir / "browser-pod-terminal.png"))
    # The terminal ends with the kernel, as a web terminal ends with its pod. (A kernel shut down while a
    # sandbox pod still runs is killed after 2.5 s: ipykernel waits for its child processes, the pod's server
    # among them, and then no exit handler runs; so the pod is ended first, as the lesson does.)
    for kernel in api.get("/api/kernels").json():
        api.delete(f"/api/kernels/{kernel['id']}")
    assert api.get("/api/terminals").json() == []
    assert json.loads(api.get("/lab/api/workspaces").text)["workspaces"]["ids"].count(f"pod_{pod_id}") == 0
    api.close()
