"""PodSession: a pod that cannot be forgotten.

The pod is ended (terminated, or stopped if asked) when the `with` block ends for any reason:
normal exit, an exception, Ctrl+C / the notebook's Stop button (KeyboardInterrupt), a deploy or
readiness failure, the budget running out (a watchdog thread), or the kernel shutting down
(atexit). Only a killed kernel escapes: for that there is `pods.cleanup()` and RunPod's spend limit.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..edition import text
from . import pods
from .keys import redact
from .pod_ollama import client_for
from .sizing import PodSpec

__all__ = ["Budget", "PodSession"]


@dataclass(frozen=True)
class Budget:
    max_hours: float | None = 1.0
    max_dollars: float | None = 1.0

    def __post_init__(self) -> None:
        for name in ("max_hours", "max_dollars"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
                raise ValueError(text("pod.err_budget", name=name, value=value))

    def exceeded(self, hours: float, dollars: float) -> str | None:
        if self.max_hours is not None and hours >= self.max_hours:
            return text("pod.why_hours", used=hours, limit=self.max_hours)
        if self.max_dollars is not None and dollars >= self.max_dollars:
            return text("pod.why_dollars", used=dollars, limit=self.max_dollars)
        return None

    def describe(self, action: str) -> str:
        hours = f"{self.max_hours:g} h" if self.max_hours is not None else text("pod.no_limit")
        dollars = f"${self.max_dollars:g}" if self.max_dollars is not None else text("pod.no_limit")
        return text("pod.budget", hours=hours, dollars=dollars, action=action)


class PodSession:
    """Deploy an Ollama pod, wait until it answers, and guarantee it ends.

    >>> with PodSession(spec, budget=Budget(max_hours=0.5, max_dollars=1)) as session:
    ...     session.client.chat(...)
    """

    def __init__(
        self,
        spec: PodSpec,
        *,
        name: str | None = None,
        on_exit: str = "terminate",
        budget: Budget | None = Budget(),
        allow_fallback: bool = False,
        ready_timeout: float = 900,
        poll: float = 5.0,
        watch_every: float = 15.0,
        progress: bool = True,
        say: Callable[[str], None] = print,
    ):
        if on_exit not in ("terminate", "stop"):
            raise ValueError(text("pod.err_on_exit", value=on_exit))
        self.spec, self.on_exit, self.budget = spec, on_exit, budget
        self.name = name or pods.unique_name()
        self.allow_fallback, self.ready_timeout, self.poll = allow_fallback, ready_timeout, poll
        self.watch_every, self.progress, self.say = watch_every, progress, say
        self.pod_id: str | None = None
        self.url: str | None = None
        self.ended: str | None = None  # "terminated" / "stopped" once over
        self.end_reason: str | None = None
        self.last: pods.PodInfo | None = None
        self._client: Any = None
        self._lock = threading.RLock()
        self._stop_watch = threading.Event()
        self._watch: threading.Thread | None = None
        self._started_wall: float | None = None
        self._paid = 0.0  # dollars of earlier running periods (before a stop)
        self._paid_s = 0  # their billed seconds

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> PodSession:
        if self.pod_id is not None and self.ended != "terminated":
            raise RuntimeError(text("pod.err_already_started", id=self.pod_id))
        self.pod_id = self.last = self.ended = self.end_reason = self.url = self._client = None  # may start anew
        self._paid, self._paid_s = 0.0, 0
        atexit.register(self._at_exit)
        try:
            info = pods.deploy(self.spec, self.name, allow_fallback=self.allow_fallback, say=self.say)
            self.pod_id, self.last, self._started_wall = info.id, info, time.monotonic()
            if self.budget is not None:
                self.say(self.budget.describe(text(f"pod.action_{self._action()}")))
            self._arm()
            self.url = pods.wait_ready(info.id, timeout=self.ready_timeout, poll=self.poll, progress=self.progress)
            self.say(text("pod.ready", id=info.id, seconds=time.monotonic() - self._started_wall, url=self.url))
        except BaseException as exc:
            self._fail(exc)
            raise
        return self

    def _arm(self) -> None:
        """Guard a running pod: the atexit hook, and the budget watchdog (restarted after a resume)."""
        atexit.unregister(self._at_exit)  # never twice
        atexit.register(self._at_exit)
        if self.budget is not None and (self._watch is None or self._stop_watch.is_set()):
            self._stop_watch = threading.Event()  # each watchdog has its own: an old one may still be finishing
            self._watch = threading.Thread(
                target=self._watchdog, args=(self._stop_watch,), daemon=True, name=f"budget-{self.pod_id}"
            )
            self._watch.start()

    def _fail(self, exc: BaseException) -> None:
        reason = text("pod.reason_interrupt") if isinstance(exc, KeyboardInterrupt) else text("pod.reason_error")
        if self.pod_id is not None:
            self.say(text("pod.error", error=redact(f"{type(exc).__name__}: {exc}")))
            try:
                self.end(reason=reason)
            except Exception as failed:  # keep the learner's original error; say how to end the pod
                self.say(text("pod.end_failed", id=self.pod_id, error=redact(f"{type(failed).__name__}: {failed}")))
        else:
            atexit.unregister(self._at_exit)

    def _action(self, how: str | None = None) -> str:
        return "stopped" if (how or self.on_exit) == "stop" else "terminated"

    def end(self, how: str | None = None, reason: str | None = None) -> None:
        """Terminate (or stop) the pod now. Safe to call twice and from any thread."""
        reason = reason if reason is not None else text("pod.reason_call")
        with self._lock:
            terminating = (how or self.on_exit) == "terminate"
            if self.pod_id is None or self.ended == "terminated" or (self.ended and not terminating):
                return  # a stopped pod can still be terminated; nothing else is done twice
            info = self.status(quiet=True)
            uptime, cost = (self.billed_seconds(info), self.cost_so_far(info)) if info else (0, 0.0)
            if info is not None and info.state == "terminated":
                pass  # already gone (cleanup() or the console ended it): nothing bills
            elif not terminating:
                pods.stop(self.pod_id, say=self.say)
                self._book(info)
            else:
                pods.terminate(self.pod_id, say=self.say)
                self._book(info)
            self.status(quiet=True)  # so cost_so_far() no longer counts the closed period as running
            self.ended, self.end_reason = self._action(how), reason
            self._stop_watch.set()
            atexit.unregister(self._at_exit)
            action = text(f"pod.action_{self.ended}")
            self.say(text("pod.ended", id=self.pod_id, action=action, reason=reason, uptime=uptime, cost=cost))

    def _at_exit(self) -> None:
        try:
            self.end(reason=text("pod.reason_atexit"))
        except Exception as exc:  # the API may be gone at exit; say so rather than stay silent
            self.say(text("pod.end_failed", id=self.pod_id, error=redact(f"{type(exc).__name__}: {exc}")))

    def _watchdog(self, stop: threading.Event) -> None:
        while not stop.wait(self.watch_every):
            try:
                info = self.status(quiet=True)
                if info is not None and info.state == "terminated":  # ended elsewhere: nothing left to guard
                    self._gone()
                    return
                if info is None or self.budget is None:
                    continue
                why = self.budget.exceeded(self.billed_seconds(info) / 3600, self.cost_so_far(info))
                if why:
                    self.say(text("pod.over_budget", why=why, action=text(f"pod.action_{self._action()}")))
                    self.end(reason=text("pod.reason_budget", why=why))
                    return
            except Exception:  # one failed poll (network blip) must not kill the watchdog
                continue

    def _gone(self) -> None:
        """The pod was terminated by someone else (cloud.cleanup(), the console): the session is over."""
        with self._lock:
            if self.ended != "terminated":
                self.ended, self.end_reason = "terminated", text("pod.reason_gone")
            self._stop_watch.set()
            atexit.unregister(self._at_exit)

    def stop(self) -> pods.PodInfo:
        """Stop the pod (compute billing ends; a volume keeps billing) without ending the session."""
        with self._lock:
            info = self.status()
            stopped = pods.stop(self._require(), say=self.say)
            self._book(info)
            self.last = stopped
            return stopped

    def resume(self) -> pods.PodInfo:
        """Resume a stopped pod on its host and wait until Ollama answers again. The guard is on
        again (also after `end(how="stop")`); a pod that never gets ready is ended."""
        pod_id = self._require()
        pods.resume(pod_id)
        with self._lock:
            self.ended = self.end_reason = None
            self._arm()
        try:
            self.url = pods.wait_ready(pod_id, timeout=self.ready_timeout, poll=self.poll, progress=self.progress)
        except BaseException as exc:
            self._fail(exc)
            raise
        info = self.status()
        assert info is not None  # the pod this session holds
        return info

    def _require(self) -> str:
        if self.pod_id is None or self.ended == "terminated":
            raise RuntimeError(text("pod.err_not_started"))
        return self.pod_id

    def _book(self, info: pods.PodInfo | None) -> None:
        """Remember a running period that a stop is about to close (the API resets uptime on resume)."""
        if info is not None and info.state in ("provisioning", "starting", "running"):
            self._paid += info.cost_per_hr * info.uptime_s / 3600
            self._paid_s += info.uptime_s

    # --- using it -----------------------------------------------------------------------------
    @property
    def client(self):
        if self.pod_id is None or self.url is None or self.ended:
            raise RuntimeError(text("pod.err_not_started"))
        if self._client is None:
            self._client = client_for(self.pod_id)
        return self._client

    def status(self, quiet: bool = False) -> pods.PodInfo | None:
        if self.pod_id is None:
            return None
        try:
            self.last = pods.get(self.pod_id)
        except Exception:
            if not quiet:
                raise
        return self.last

    def cost_so_far(self, info: pods.PodInfo | None = None) -> float:
        """Compute billed so far, over every running period (storage is cents; see costs.pod_cost)."""
        info = info or self.last
        running = info.cost_per_hr * info.uptime_s / 3600 if info is not None and info.state != "exited" else 0.0
        return self._paid + running

    def billed_seconds(self, info: pods.PodInfo | None = None) -> int:
        info = info or self.last
        running = info.uptime_s if info is not None and info.state != "exited" else 0
        return self._paid_s + running

    def estimate_text(self) -> str:
        return estimate_text(self.spec)

    def __enter__(self) -> PodSession:
        return self.start()

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is None:
            try:
                self.end(reason=text("pod.reason_exit"))
            except Exception as failed:
                self.say(text("pod.end_failed", id=self.pod_id, error=redact(f"{type(failed).__name__}: {failed}")))
                raise
        else:
            self._fail(exc)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        state = self.ended or (self.last.state if self.last else "not started")
        return f"PodSession(name={self.name!r}, pod_id={self.pod_id!r}, state={state!r})"


def estimate_text(spec: PodSpec, live: bool = True) -> str:
    """The sentence shown before deploying: what this will cost per hour. With `live`, the price in the
    API's GPU catalog (REST v2 getGpuType) when it gives one, else the course's price table."""
    from . import prices
    from .rest import base_url as rest_base_url

    row = prices.gpu_price(spec.gpu_type_id)
    cloud = "secure" if spec.cloud_type == "SECURE" else "community"
    hourly, source = spec.hourly_estimate(), text("pod.source_table", source=row.source)
    key = "pod.estimate" if prices.states_cloud(row, cloud) else "pod.estimate_unstated"
    if live:
        try:
            found = prices.live_hourly_price(row.gpu_id, cloud, spec.gpu_count)
        except Exception:  # no key or no network: the table still gives an honest estimate
            found = None
        if found:  # the API says which cloud its price is for; the sandbox's API only repeats the course's table
            sandbox = rest_base_url().startswith(("http://127.0.0.1", "http://localhost"))
            hourly, source = found, text("pod.source_live")
            key = key if sandbox else "pod.estimate"
    return text(key, gpu=row.display_name, count=spec.gpu_count, cloud=cloud, hourly=hourly, source=source)
