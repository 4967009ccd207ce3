"""Work in worker threads, handed to the event loop: progress lines of create and pull, batches of tokens.

The work runs in a worker thread and reports through `emit`; the event loop hands each line to
the client as soon as it exists. When the client goes away, the next `emit` raises `Cancelled`,
so the work stops at its next report and cleans up after itself.

`thread_items` is the one bridge from a worker thread to the event loop; `thread_stream` uses it
for generation, posting batches of tokens instead of progress lines. Failures are `protocol.ApiError`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator
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


READY = object()  # yielded once the model is loaded and the prompt built; the consumer drops it
# Tokens that come faster than this are sent together (each still its own NDJSON line).
# Fewer wake-ups of the client and of the event loop leave the CPU to llama.cpp: on two
# cores, writing every token separately cost about 5 % of the decode speed.
FLUSH_INTERVAL_S = 0.03


def thread_stream(
    produce: Callable[[threading.Event], Generator[Any, None, None]], flush_s: float | None = FLUSH_INTERVAL_S
) -> AsyncIterator[list[Any]]:
    """Run a blocking generator in a worker thread and hand its items to the event loop in batches.

    Batches go every `flush_s` seconds; with None (an answer sent whole) only the first two items
    go early and the rest at the end, so the event loop is not woken while nobody reads.
    If the consumer goes away (client disconnect), `cancel` is set; the worker stops between
    tokens and closes the generator, which releases the model for the next request.
    """

    def run(post: Callable[[Any], None], cancel: threading.Event) -> None:
        gen = produce(cancel)
        batch: list[Any] = []
        last_post, posts = 0.0, 0
        try:
            for item in gen:
                if cancel.is_set():
                    break
                batch.append(item)
                now = time.monotonic()
                # The first two posts (ready, first token) go at once: time to first token is untouched.
                if posts < 2 or (flush_s is not None and now - last_post >= flush_s):
                    post(batch)
                    batch, last_post, posts = [], now, posts + 1
        finally:  # an error reaches the consumer after what came before it
            gen.close()
            if batch:
                post(batch)

    return thread_items(run, "generate")
