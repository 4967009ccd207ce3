"""One prompt, several models or settings, answers side by side with their speed.

    from lessons_lib.widgets.compare import CompareWidget
    CompareWidget(conn)                          # pick models in the list
    CompareWidget(conn, runs=[Run("smollm2:135m", {"temperature": 0}),
                              Run("smollm2:135m", {"temperature": 1.5})])

A thin view over `lessons_lib.chat.compare`, which a cell can call directly for the same table.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets
import ollama

from .. import chat
from ..connect import Connection, connect, model_names
from ..edition import resolve
from .base import Worker, error_html

if TYPE_CHECKING:
    import pandas


class CompareWidget(widgets.VBox):
    """Prompt, model list (or fixed runs), Run/Stop, and a side-by-side table filled as answers arrive."""

    def __init__(
        self,
        connection: Connection | None = None,
        *,
        client: ollama.Client | None = None,
        runs: Sequence[chat.Run] | None = None,
        prompt: str = "",
        max_tokens: int = 64,
        lang: str | None = None,
    ):
        lang = self.lang = resolve(lang)  # the edition it speaks: the current one unless given (rejects others)
        if client is None:
            client = (connection or connect()).client
        self.client = client
        self.fixed_runs = list(runs) if runs else None
        t = lambda key: chat.text(lang, key)  # noqa: E731

        self.prompt = widgets.Textarea(
            value=prompt, placeholder=t("prompt_placeholder"), rows=2, layout=widgets.Layout(width="100%")
        )
        self.models = widgets.SelectMultiple(description=t("models"), rows=4)
        self.max_tokens = widgets.BoundedIntText(
            value=max_tokens, min=1, max=8192, description=t("max_tokens"), layout=widgets.Layout(width="200px")
        )
        self.run_button = widgets.Button(description=t("run"), button_style="primary", icon="play")
        self.stop_button = widgets.Button(description=t("stop"), button_style="warning", icon="stop", disabled=True)
        self.table = widgets.HTML()
        self.error = widgets.HTML()
        self.results: list[tuple[chat.Run, chat.ChatResult]] = []
        self._worker = Worker("workbook-compare")

        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        picker = [] if self.fixed_runs else [self.models]
        super().__init__(
            [
                self.prompt,
                widgets.HBox(picker + [self.max_tokens]),
                widgets.HBox([self.run_button, self.stop_button]),
                self.table,
                self.error,
            ]
        )
        self.add_class("workbook-compare")
        if not self.fixed_runs:
            try:
                names = model_names(client)
            except Exception as exc:
                self._show_error(chat.explain_error(exc, "", chat.server_url(client), lang))
                names = []
            self.models.options = names
            self.models.value = tuple(names[:3])

    def planned_runs(self) -> list[chat.Run]:
        """What Run will ask: the fixed runs, or each picked model with the max-tokens setting."""
        limit = {"num_predict": int(self.max_tokens.value)}
        if self.fixed_runs:
            return [chat.Run(r.model, {**limit, **r.options}) for r in self.fixed_runs]
        return [chat.Run(m, {**limit, "temperature": 0.0}) for m in self.models.value]

    def run(self) -> bool:
        """Start the comparison in the background; False (with a message) if it cannot start."""
        if self._worker.busy:
            self._show_error(chat.text(self.lang, "busy"))
            return False
        prompt, runs = self.prompt.value.strip(), self.planned_runs()
        if not prompt:
            self._show_error(chat.text(self.lang, "empty_prompt"))
            return False
        if not runs:
            self._show_error(chat.text(self.lang, "pick_models" if self.models.options else "no_model"))
            return False
        self._show_error("")
        self.results = []
        self._render(pending=runs)
        self.run_button.disabled, self.stop_button.disabled = True, False
        self._worker.start(self._work, prompt, runs)
        return True

    def stop(self) -> None:
        """Stop the answer being generated and skip the runs not started yet."""
        self._worker.stop()

    def wait(self, timeout: float | None = None) -> list[tuple[chat.Run, chat.ChatResult]]:
        self._worker.join(timeout)
        return self.results

    def dataframe(self) -> pandas.DataFrame:
        """The results as the same table `chat.compare_table` gives a cell."""
        return chat.compare_table(self.results, self.lang)

    def _work(self, prompt: str, runs: list[chat.Run]) -> None:
        def arrived(run: chat.Run, result: chat.ChatResult) -> None:
            self.results.append((run, result))
            self._render(pending=runs[len(self.results) :])

        try:
            chat.compare(self.client, prompt, runs, stop=self._worker.stop_event, on_result=arrived, lang=self.lang)
        except Exception as exc:  # shown, never lost in the thread
            self._show_error(chat.explain_error(exc, "", chat.server_url(self.client), self.lang))
        finally:
            self._render()  # runs skipped by Stop leave the table instead of showing "Generating…" forever
            self.run_button.disabled, self.stop_button.disabled = False, True

    def _render(self, pending: Sequence[chat.Run] = ()) -> None:
        cells = []
        for run, r in self.results:
            body = (
                chat.render_markdown(r.content)
                if r.ok
                else f'<span style="color:#b00020">{html.escape(r.error or "")}</span>'
            )
            stats = html.escape(chat.stats_line(r, self.lang)) if r.ok else ""
            cells.append((run, body, f"<small>{stats}</small>"))
        generating = html.escape(chat.text(self.lang, "generating"))
        cells += [(run, f"<i>{generating}</i>", "") for run in pending]
        head = "".join(
            f"<th>{html.escape(run.model)}<br><small>{html.escape(run.settings)}</small></th>" for run, _, _ in cells
        )
        answers = "".join(f'<td style="vertical-align:top">{body}</td>' for _, body, _ in cells)
        stats = "".join(f"<td>{s}</td>" for _, _, s in cells)
        self.table.value = (
            f'<table class="workbook-compare-table" style="width:100%;table-layout:fixed">'
            f"<tr>{head}</tr><tr>{answers}</tr><tr>{stats}</tr></table>"
        )

    def _show_error(self, message: str) -> None:
        self.error.value = error_html(message)
