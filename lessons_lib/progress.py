"""The course's progress bar: tqdm.auto's, whose saved output shows how the bar ended.

In a notebook, tqdm.auto draws an ipywidgets bar: it is displayed once, with a text/plain fallback
of the bar as it was then ("0%|          | 0/12"), and after that only the widget's state changes.
GitHub, nbviewer, VS Code and a notebook opened without its widget state show that fallback, so
every saved bar read "0%". This bar is displayed with a display id and, when it closes, updates that
display: the saved fallback is then the final bar ("100%|##########| 12/12 [...]"), and a bar
that stopped early stays visibly unfinished. Outside a notebook it is tqdm's console bar.
"""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm as _auto

__all__ = ["tqdm", "with_final_fallback"]


def _display(obj: Any) -> Any:
    from IPython.display import display

    return display(obj, display_id=True)


def with_final_fallback(base: type) -> type:
    """`base` (a tqdm class), whose notebook bar updates its display when it closes."""
    try:
        from tqdm.notebook import tqdm_notebook
    except ImportError:  # tqdm.notebook needs ipywidgets; without them tqdm.auto is the console bar
        return base
    if not issubclass(base, tqdm_notebook):
        return base

    class FinalFallback(base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            ours = kwargs.get("delay", 0) <= 0  # a delayed bar is displayed by tqdm, later
            if ours:
                kwargs["display"] = False  # displayed below, with a handle to update
            self._handle: Any = None
            super().__init__(*args, **kwargs)
            if ours and not self.disable:
                self._handle = _display(self.container)
                self.displayed = True

        def close(self) -> None:
            handle, self._handle = getattr(self, "_handle", None), None
            super().close()
            if handle is not None and self.leave:
                handle.update(self.container)  # the text/plain fallback now shows the final bar

    FinalFallback.__name__ = FinalFallback.__qualname__ = base.__name__
    return FinalFallback


tqdm = with_final_fallback(_auto)
