"""The job's local Ray: started small for one job (or one lesson) and stopped with everything it started.

A learner's laptop or a 2-core CI runner has little room beside the model server, so the local Ray
is kept small: `num_cpus` CPUs (the workers only wait on HTTP), a 100 MB object store (the packs
are a few KB), no dashboard, no usage stats, and no idle worker processes started ahead of need.
`address="auto"` or "ray://host:10001" joins a cluster instead, which this module never stops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from typing import Any

__all__ = ["start_ray", "stop_ray", "ray_pids"]

OBJECT_STORE_BYTES = 100 * 2**20  # Ray's minimum is 75 MB; the job's blocks are tiny
_ours: set[int] = set()  # the local Ray's processes that start_ray started (stop_ray makes sure they end)


def start_ray(address: str | None = None, num_cpus: int = 2) -> bool:
    """Join `address`, or start a small local Ray (no dashboard, no usage stats). True if we started it."""
    import ray

    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home from a course
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    # Ray Data re-reads its logging config whenever a dataset runs (ray/data/_internal/logging.py,
    # configure_logging), putting its logger back at DEBUG with an INFO console handler, unless
    # RAY_DATA_LOG_LEVEL says otherwise: its "execution finished" lines would land in the
    # learner's cell between the job's progress bar and its result. Errors still show.
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": "ERROR",
        "configure_logging": True,
    }
    if address:
        ray.init(address=address, **kwargs)
    else:
        attempts = 3
        for attempt in range(attempts):
            before = ray_pids()
            try:
                with _agent_ports_given():
                    ray.init(
                        num_cpus=num_cpus,
                        object_store_memory=OBJECT_STORE_BYTES,
                        # no Python workers started before a task needs one (Ray starts num_cpus by default)
                        _system_config={"prestart_worker_first_driver": False},
                        **kwargs,
                    )
                _ours.update(ray_pids() - before)
                break
            except Exception as exc:  # Ray's own "node timed out during startup" on a busy machine
                # Its raylet waits only 15 s for each agent's port file (ray/src/ray/raylet/node_manager.cc,
                # WaitForDashboardAgentPorts), which a machine busy with other work can exceed. A failed
                # start leaves its GCS and agents behind: end those (only the ones this attempt started).
                ray.shutdown()
                for pid in ray_pids() - before:
                    _kill(pid)
                if attempt == attempts - 1 or "timed out during startup" not in str(exc):
                    raise
    logging.getLogger("ray.data").setLevel(os.environ["RAY_DATA_LOG_LEVEL"])  # configured at import already
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # the job shows its own bar (items/s, tokens/s, cost)
    ctx.print_on_execution_start = False
    return True


@contextlib.contextmanager
def _agent_ports_given():
    """Start the local Ray with its agents' ports chosen up front.

    Ray's raylet otherwise waits at most 15 s for each agent to write the port it picked
    (ray/src/ray/raylet/node_manager.cc, WaitForDashboardAgentPorts) and aborts the whole start
    when a busy machine makes an agent slower than that. With the ports given, it does not wait.
    RayParams takes four of them; the raylet's --dashboard_agent_listen_port flag is not passed by
    ray.init, so it is added to the raylet's command line here.
    """
    import socket

    from ray._private import parameter, ray_constants, services

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    ports = {
        name: free_port()
        for name in (
            "metrics_agent_port",
            "metrics_export_port",
            "runtime_env_agent_port",
            "dashboard_agent_listen_port",
        )
    }
    init, start = parameter.RayParams.__init__, services.start_ray_process

    def params_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        for name, port in ports.items():
            if not getattr(self, name, None):
                setattr(self, name, port)

    def start_process(command, process_type, *args, **kwargs):
        if process_type == ray_constants.PROCESS_TYPE_RAYLET:
            command = [*command, f"--dashboard_agent_listen_port={ports['dashboard_agent_listen_port']}"]
        return start(command, process_type, *args, **kwargs)

    parameter.RayParams.__init__ = params_init  # type: ignore[method-assign]
    services.start_ray_process = start_process
    try:
        yield
    finally:
        parameter.RayParams.__init__ = init  # type: ignore[method-assign]
        services.start_ray_process = start


# Ray names each session folder after the process that started it: /tmp/ray/session_<date>_<time>_<pid>.
_SESSION = re.compile(r"/tmp/ray/session_[0-9_-]+_([0-9]+)")


def ray_pids() -> set[int]:
    """Processes of local Rays run with this Python that this process is answerable for: started by it
    or by a child of it (a job run as a command), or by a process that is gone (a killed job).
    Another program's Ray (a notebook or a test run beside this one) is not counted."""
    import sys

    import psutil

    me = psutil.Process()
    ours = {me.pid} | {child.pid for child in me.children(recursive=True)}
    prefix = os.path.dirname(os.path.dirname(sys.executable))
    found = set()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(proc.info.get("cmdline") or [])
        session = _SESSION.search(line)
        if session is None or prefix not in line:
            continue
        starter = int(session.group(1))
        if starter in ours or not psutil.pid_exists(starter):
            found.add(proc.info["pid"])
    return found


def _kill(pid: int) -> None:
    import psutil

    try:
        psutil.Process(pid).kill()
    except psutil.Error:
        pass


def stop_ray(wait: float = 10.0) -> None:
    """Disconnect; a local Ray that start_ray started ends with every process it had (none is left behind)."""
    import time

    import ray

    ray.shutdown()
    deadline = time.monotonic() + wait
    while _ours and time.monotonic() < deadline:
        _ours.difference_update({pid for pid in _ours if not _alive(pid)})
        if _ours:
            time.sleep(0.2)
    for pid in list(_ours):  # a straggler (a worker stuck in a request): ended, not left running
        _kill(pid)
    _ours.clear()


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
