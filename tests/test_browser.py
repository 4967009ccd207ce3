"""Lesson 02's chat widget in a real browser: JupyterLab on loopback, headless Debian Chromium
driven by Playwright for Python. Runs the setup cell and the chat cell, types a prompt, clicks
Send, and checks that the answer streamed in and the stats line appeared."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_browser import (
    ANSWER_S,
    RUN_S,
    chromium,
    open_notebook,
    require_chromium,
    run_cell,
    running_lab,
)

pytestmark = [pytest.mark.browser, pytest.mark.notebook, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
LESSON = "02_run_llama_and_bielik.ipynb"
SETUP_CELL = "conn = connect()"
MODEL_CELL = "llama = catalog.choose_model("  # the chat widget answers with the lesson's model
CHAT_CELL = "chat_box = ChatWidget(conn"


@pytest.fixture()
def lab(tmp_path: Path, models_dir: Path):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of the lesson (nothing is saved back)."""
    with running_lab(tmp_path, models_dir, {LESSON: ROOT / "notebooks" / LESSON}) as running:
        yield running


def test_chat_widget_streams_in_jupyterlab(lab, tmp_path: Path, output_dir: Path):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    url, token = lab
    with sync_playwright() as p:
        with chromium(p, tmp_path / "chromium-profile") as browser:
            page = browser.new_page()
            open_notebook(page, url, token, LESSON)  # saved outputs cleared: what appears comes from this run

            setup = run_cell(page, SETUP_CELL)
            expect(setup.locator(".jp-OutputArea-output").filter(has_text="Ollama-compatible server")).to_be_visible(
                timeout=RUN_S * 1000
            )
            chosen = run_cell(page, MODEL_CELL)
            expect(chosen.locator(".jp-OutputArea-output").first).to_be_visible(timeout=RUN_S * 1000)
            chat_cell = run_cell(page, CHAT_CELL)
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
