"""Long model operations (create, pull) as streams of Ollama progress lines.

The work runs in a worker thread and reports through `emit`; the event loop hands each line to
the client as soon as it exists. When the client goes away, the next `emit` raises `Cancelled`,
so the work stops at its next report and cleans up after itself.

`thread_items` is the one bridge from a worker thread to the event loop; generation (service.py)
uses it too, posting batches of tokens instead of progress lines. Failures are `protocol.ApiError`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

Emit = Callable[[dict[str, Any]], None]
_END = object()


class Cancelled(Exception):
    """The client stopped listening."""


def line(status: str, digest: str | None = None, total: int = 0, completed: int = 0) -> dict[str, Any]:
    """An api.ProgressResponse: zero values left out, as Go's omitempty does."""
    item: dict[str, Any] = {"status": status}
    if digest:
        item["digest"] = digest
    if total:
        item["total"] = total
    if completed:
        item["completed"] = completed
    return item


async def thread_items(run: Callable[[Callable[[Any], None], threading.Event], None], name: str) -> AsyncIterator[Any]:
    """Run blocking `run(post, cancel)` in a worker thread; yield what it posts, on the event loop.

    An exception from `run` is raised here after everything it posted before it. `cancel` is set
    when the consumer goes away (client disconnect) or the event loop is gone.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    cancel = threading.Event()

    def post(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: nobody is listening any more
            cancel.set()

    def worker() -> None:
        try:
            run(post, cancel)
        except BaseException as exc:  # handed to the consumer
            post(exc)
        finally:
            post(_END)

    threading.Thread(target=worker, name=name, daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel.set()


def progress_stream(work: Callable[[Emit], None]) -> AsyncIterator[dict[str, Any]]:
    def run(post: Callable[[Any], None], cancel: threading.Event) -> None:
        def emit(item: dict[str, Any]) -> None:
            if cancel.is_set():
                raise Cancelled()
            post(item)

        work(emit)

    return thread_items(run, "progress")
