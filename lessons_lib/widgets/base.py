"""What the course's widgets share: showing a panel in a notebook, background work with Stop, error lines."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

from IPython.display import display


def error_html(message: str) -> str:
    """A learner-facing error line for a widget ("" hides it)."""
    return f'<div style="color:#b00020"><b>⚠</b> {html.escape(message)}</div>' if message else ""


class Panel:
    """A view built of ipywidgets: `self.widget` is what a notebook shows (also as a cell's last value)."""

    widget: Any

    def show(self) -> Panel:
        display(self.widget)
        return self

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class Worker:
    """One piece of work at a time in a daemon thread, with the Stop flag that work checks.

    The thread only assigns widget values, which ipywidgets sends to the browser at once.
    """

    def __init__(self, name: str):
        self.name = name
        self.stop_event = threading.Event()  # set by stop(); the running work ends at its next check
        self.thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, target: Callable[..., None], *args: Any) -> None:
        self.stop_event.clear()
        self.thread = threading.Thread(target=target, args=args, daemon=True, name=self.name)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
