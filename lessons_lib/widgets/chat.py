"""A streaming chat box for notebooks: a thin view over `lessons_lib.chat`.

    from lessons_lib.widgets.chat import ChatWidget
    ChatWidget(conn)            # in the current edition (edition.use("pl")), or ChatWidget(conn, lang="pl")

Generation runs in a background thread (`base.Worker`) so that Stop is seen while tokens stream.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import ollama

from .. import chat
from ..connect import Connection, connect, model_names
from ..edition import resolve
from .base import Worker, error_html

_WIDE_LABEL = {"description_width": "initial"}  # show "Temperature" in full, not "Temperat…"
_TRANSCRIPT_LAYOUT = dict(width="100%", max_height="420px", overflow="auto", border="1px solid #ddd", padding="4px 8px")


class ChatWidget(widgets.VBox):
    """Model picker, system prompt, temperature, max tokens, Send/Stop/Clear, streamed Markdown answers."""

    def __init__(
        self,
        connection: Connection | None = None,
        *,
        client: ollama.Client | None = None,
        model: str | None = None,
        system: str = "",
        temperature: float = 0.7,
        max_tokens: int = 256,
        lang: str | None = None,
    ):
        # The edition it speaks: the current one unless given; an unknown one is refused before any widget is built.
        lang = self.lang = resolve(lang)
        if client is None:
            client = (connection or connect()).client
        self.client = client
        t = lambda key: chat.text(lang, key)  # noqa: E731 - a short local alias keeps the layout readable

        self.model = widgets.Dropdown(description=t("model"), layout=widgets.Layout(width="auto"))
        self.temperature = widgets.FloatSlider(
            value=temperature, min=0.0, max=2.0, step=0.1, description=t("temperature"), style=_WIDE_LABEL
        )
        self.max_tokens = widgets.BoundedIntText(
            value=max_tokens,
            min=1,
            max=8192,
            description=t("max_tokens"),
            style=_WIDE_LABEL,
            layout=widgets.Layout(width="200px"),
        )
        self.system = widgets.Textarea(
            value=system,
            description=t("system"),
            placeholder=t("system_placeholder"),
            rows=2,
            style=_WIDE_LABEL,
            layout=widgets.Layout(width="100%"),
        )
        self.transcript = widgets.HTML(layout=widgets.Layout(**_TRANSCRIPT_LAYOUT))
        self.prompt = widgets.Textarea(placeholder=t("prompt_placeholder"), rows=3, layout=widgets.Layout(width="100%"))
        self.send_button = widgets.Button(description=t("send"), button_style="primary", icon="paper-plane")
        self.stop_button = widgets.Button(description=t("stop"), button_style="warning", icon="stop", disabled=True)
        self.clear_button = widgets.Button(description=t("clear"), icon="eraser")
        self.stats = widgets.HTML()
        self.error = widgets.HTML()
        for w, name in [
            (self.transcript, "transcript"),
            (self.prompt, "prompt"),
            (self.send_button, "send"),
            (self.stop_button, "stop"),
            (self.clear_button, "clear"),
            (self.stats, "stats"),
            (self.error, "error"),
        ]:
            w.add_class(f"workbook-chat-{name}")

        self.conversation = chat.Conversation(model=model or "", system=system)
        self.last_result: chat.ChatResult | None = None
        self._worker = Worker("workbook-chat")
        self._past_html = ""
        self._live = ""

        self.send_button.on_click(lambda _: self.send())
        self.stop_button.on_click(lambda _: self.stop())
        self.clear_button.on_click(lambda _: self.clear())
        super().__init__(
            [
                widgets.HBox([self.model, self.temperature, self.max_tokens]),
                self.system,
                self.transcript,
                self.prompt,
                widgets.HBox([self.send_button, self.stop_button, self.clear_button]),
                self.stats,
                self.error,
            ]
        )
        self.add_class("workbook-chat")
        self.refresh_models(model)

    # --- actions (what the buttons do; callable from a cell or a test) ---------------------------

    def refresh_models(self, prefer: str | None = None) -> None:
        """Fill the picker from the server's list; a server that does not answer shows why."""
        try:
            names = model_names(self.client)
        except Exception as exc:  # the widget must say what is wrong instead of failing to appear
            self._show_error(chat.explain_error(exc, prefer or "", chat.server_url(self.client), self.lang))
            names = []
        if prefer and prefer not in names:
            names = [prefer] + names  # keep the requested name: Send then explains that it is missing
        self.model.options = names
        if names:
            self.model.value = prefer or names[0]

    def send(self) -> bool:
        """Start answering the prompt in the background; False (with a message) if it cannot start."""
        if self.busy:
            self._show_error(chat.text(self.lang, "busy"))
            return False
        prompt = self.prompt.value.strip()
        if not prompt:
            self._show_error(chat.text(self.lang, "empty_prompt"))
            return False
        if not self.model.value:
            self._show_error(chat.text(self.lang, "no_model"))
            return False
        self.conversation.model = self.model.value
        self.conversation.system = self.system.value
        options = {"temperature": float(self.temperature.value), "num_predict": int(self.max_tokens.value)}
        self._show_error("")
        self.prompt.value = ""
        self._past_html += self._bubble(chat.text(self.lang, "you"), prompt)
        self._live = ""
        self._render()
        self.stats.value = f"<i>{html.escape(chat.text(self.lang, 'generating'))}</i>"
        self.send_button.disabled = True
        self.stop_button.disabled = False
        self._worker.start(self._answer, prompt, options)
        return True

    def stop(self) -> None:
        """Ask the running answer to stop; the part already streamed is kept."""
        self._worker.stop()

    def clear(self) -> None:
        """Forget the conversation (stops a running answer first)."""
        self.stop()
        self.wait()
        self.conversation.clear()
        self._past_html = self._live = ""
        self._render()
        self.stats.value = ""
        self._show_error("")

    def wait(self, timeout: float | None = None) -> chat.ChatResult | None:
        """Block until the current answer is finished (for cells and tests); the last result."""
        self._worker.join(timeout)
        return self.last_result

    def export(self) -> list[dict[str, str]]:
        """The conversation as Ollama messages (system prompt first)."""
        return self.conversation.export()

    @property
    def busy(self) -> bool:
        return self._worker.busy

    # --- the background thread -------------------------------------------------------------------

    def _answer(self, prompt: str, options: dict[str, Any]) -> None:
        result: chat.ChatResult | None = None
        try:
            result = chat.send(
                self.client,
                self.conversation,
                prompt,
                options,
                on_token=self._on_token,
                stop=self._worker.stop_event,
                lang=self.lang,
            )
        except Exception as exc:  # a bug here must still reach the learner, not vanish in the thread
            result = chat.ChatResult(
                model=self.conversation.model, error=chat.explain_error(exc, self.conversation.model, lang=self.lang)
            )
        finally:
            self._finish(prompt, result)

    def _on_token(self, piece: str) -> None:
        self._live += piece
        self._render()

    def _finish(self, prompt: str, result: chat.ChatResult | None) -> None:
        self.last_result = result
        if result is not None and result.error is None:
            self.stats.value = html.escape(chat.stats_line(result, self.lang))
        else:
            self.stats.value = ""
            self._show_error(result.error if result is not None and result.error else "")
        answered = result is not None and result.answered
        if not answered and not self.prompt.value:
            self.prompt.value = prompt  # a failed (or at once stopped) turn gives the learner's text back
        self._past_html = "".join(
            self._bubble(self._speaker(m["role"]), m["content"]) for m in self.conversation.history
        )
        self._live = ""
        self._render()
        self.send_button.disabled = False
        self.stop_button.disabled = True

    # --- view ------------------------------------------------------------------------------------

    def _speaker(self, role: str) -> str:
        return chat.text(self.lang, "you") if role == "user" else self.conversation.model

    @staticmethod
    def _bubble(who: str, markdown: str) -> str:
        return f'<div class="workbook-chat-message"><b>{html.escape(who)}</b>{chat.render_markdown(markdown)}</div>'

    def _render(self) -> None:
        live = self._bubble(self.conversation.model, self._live) if self._live else ""
        self.transcript.value = self._past_html + live

    def _show_error(self, message: str) -> None:
        self.error.value = error_html(message)
