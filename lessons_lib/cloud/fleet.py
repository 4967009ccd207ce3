"""PodFleet: several pods at once for one job, every one of them ended together.

    with cloud.PodFleet(spec, count=3, budget=cloud.Budget(max_hours=2, max_dollars=5)) as fleet:
        endpoints = [batch.Endpoint.ollama(url, model) for url in fleet.urls]
        batch.run_job(keywords, "out/", endpoints)

Each pod is a `PodSession` (guard.py), so each has its own budget watchdog and atexit hook. The
fleet adds what one session cannot: the pods deploy side by side (a job should not wait for them
one after another), and when any of them fails to start, or the block ends for any reason (a
normal exit, an error in the job, Ctrl+C), every pod of the fleet is ended, not only the one
that failed. Ending is tried for each pod even when ending another one raised.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..edition import text
from .guard import Budget, PodSession
from .keys import redact
from .sizing import PodSpec

__all__ = ["PodFleet"]

# Learner-facing strings: the catalogue's fleet room (lessons_lib/messages/fleet.py); why a pod ended: its pod room.

DEFAULT_BUDGET = Budget()  # per pod, as PodSession's own default
MOST_PODS = 32  # a typo guard, not RunPod's limit: a fleet of 300 pods is an expensive slip of the finger


def _one_line_at_a_time(say: Callable[[str], None]) -> Callable[[str], None]:
    """`say` for several deploy threads: each message whole, on its own line. `print` writes the text
    and its newline separately, so two threads printing together give "Trying A...Trying A..."."""
    lock = threading.Lock()
    if say is print:

        def say(message: str) -> None:
            sys.stdout.write(message + "\n")

    def said(message: str) -> None:
        with lock:
            say(message)

    return said


class PodFleet:
    """`count` pods of one spec, deployed in parallel, ended together (see the module docstring)."""

    def __init__(
        self,
        spec: PodSpec,
        count: int,
        *,
        budget: Budget | None = DEFAULT_BUDGET,
        label: str = "job",
        say: Callable[[str], None] = print,
        **session_options: Any,
    ):
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MOST_PODS:
            raise ValueError(text("fleet.err_count", most=MOST_PODS, count=count))
        from .pods import unique_name

        say = _one_line_at_a_time(say)
        self.spec, self.count, self.say = spec, count, say
        session_options.setdefault("progress", False)  # several bars from several threads would garble
        self.sessions = [
            PodSession(spec, name=unique_name(f"{label}-{n}"), budget=budget, say=say, **session_options)
            for n in range(count)
        ]

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> PodFleet:
        """Deploy every pod at once and wait until each answers; if one fails, end them all and raise."""
        pool = ThreadPoolExecutor(max_workers=self.count, thread_name_prefix="pod-fleet")
        try:
            futures = [pool.submit(session.start) for session in self.sessions]
            errors = [(n, f.exception()) for n, f in enumerate(futures) if f.exception() is not None]
        except BaseException:  # Ctrl+C while the pods deploy: let each deploy finish, so each pod is known and ended
            pool.shutdown(wait=True)
            self.end(reason=text("pod.reason_interrupt"))
            raise
        pool.shutdown(wait=True)
        if errors:
            n, error = errors[0]
            self.say(
                text("fleet.start_failed", n=n + 1, count=self.count, error=redact(f"{type(error).__name__}: {error}"))
            )
            self.end()
            raise error  # type: ignore[misc]  # an exception, checked above
        self.say(text("fleet.ready", ready=len(self.urls), count=self.count, urls=", ".join(self.urls)))
        return self

    def end(self, reason: str | None = None) -> None:
        """End every pod (each one tried, whatever the others do). Safe to call twice."""
        reason = reason if reason is not None else text("fleet.reason_end")
        failed = 0
        for session in self.sessions:
            try:
                session.end(reason=reason)
            except Exception:  # the next pod must still be ended
                failed += 1
        if failed:
            self.say(text("fleet.end_failed", failed=failed, count=self.count))

    # --- using it -----------------------------------------------------------------------------
    @property
    def urls(self) -> list[str]:
        """The Ollama address of each running pod, through RunPod's proxy (or the sandbox's)."""
        return [s.url for s in self.sessions if s.url and not s.ended]

    def require_urls(self) -> list[str]:
        urls = self.urls
        if not urls:
            raise RuntimeError(text("fleet.err_not_started"))
        return urls

    def cost_so_far(self) -> float:
        """Dollars of compute billed so far, over every pod of the fleet."""
        return sum(s.cost_so_far(s.status(quiet=True)) for s in self.sessions if s.pod_id)

    def __enter__(self) -> PodFleet:
        return self.start()

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> None:
        why = "exit" if exc_type is None else "interrupt" if exc_type is KeyboardInterrupt else "error"
        self.end(reason=text(f"pod.reason_{why}"))

    def __repr__(self) -> str:
        return f"PodFleet(count={self.count}, running={len(self.urls)})"
