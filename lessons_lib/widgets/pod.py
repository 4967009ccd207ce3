"""Pod panel: the state, billed uptime and cost so far of a PodSession, with Stop and Terminate.

It reads `session.status()` and `session.cost_so_far()`; the buttons call `session.end()`.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from ..cloud.guard import PodSession
from ..cloud.pods import STATES
from ..edition import resolve, text
from .base import Panel

__all__ = ["PodPanel"]

STATE_COLORS = {
    "provisioning": "#b8860b",
    "starting": "#b8860b",
    "running": "#2e7d32",
    "exited": "#555",
    "error": "#c62828",
    "terminated": "#999",
}


def _duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class PodPanel(Panel):
    def __init__(self, session: PodSession, lang: str | None = None):
        self.session = session
        self.lang = resolve(lang)  # the edition it speaks: the current one unless given
        self.info = w.HTML()
        self.refresh_button = w.Button(description=self._t("refresh"), icon="refresh")
        self.stop_button = w.Button(description=self._t("stop"), icon="pause", button_style="warning")
        self.terminate_button = w.Button(description=self._t("terminate"), icon="trash", button_style="danger")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.stop_button.on_click(lambda _: self._end("stop"))
        self.terminate_button.on_click(lambda _: self._end("terminate"))
        self.widget = w.VBox([self.info, w.HBox([self.refresh_button, self.stop_button, self.terminate_button])])
        self.refresh()

    def _t(self, key: str, **fields: Any) -> str:
        return text(f"pod.{key}", lang=self.lang, **fields)

    def _end(self, how: str) -> None:
        self.session.end(how=how)
        self.refresh()

    def refresh(self) -> str:
        """Ask the API again and redraw; returns the text shown (handy in tests)."""
        s = self.session
        info = s.status(quiet=True)
        if info is None:
            self.info.value = self._t("row_not_started")
        else:
            color = STATE_COLORS.get(info.state, "#000")
            label = self._t(f"state_{info.state}") if info.state in STATES else info.state
            shown = self._t(
                "row",
                name=html.escape(s.name),
                id=html.escape(info.id),
                state=f'<span style="color:{color}">{html.escape(label)}</span>',
                gpu=html.escape(info.gpu or "?"),
                count=info.gpu_count,
                rate=info.cost_per_hr,
            )
            shown += self._t("row_cost", uptime=_duration(s.billed_seconds(info)), cost=s.cost_so_far(info))
            if s.ended:
                shown += self._t(
                    "row_ended", action=self._t(f"action_{s.ended}"), reason=html.escape(s.end_reason or "")
                )
            self.info.value = shown
        gone = s.ended == "terminated" or info is None or info.state == "terminated"
        self.stop_button.disabled = gone or bool(s.ended) or (info is not None and info.state == "exited")
        self.terminate_button.disabled = gone  # a stopped pod still bills for its volume
        return self.info.value
