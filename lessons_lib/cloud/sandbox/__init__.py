"""A local RunPod: the GraphQL API the runpod SDK speaks, with pods that are embedded Ollama servers.

    from lessons_lib.cloud.sandbox import Sandbox
    with Sandbox(time_scale=60) as sandbox:   # the SDK now talks to it
        runpod.create_pod(...)

For a workshop, run it on its own: `python -m lessons_lib.cloud.sandbox`.
"""

from .server import BASE_URL_ENV, PROXY_ENV, Sandbox, running_pod_servers
from .state import Faults

__all__ = ["Sandbox", "Faults", "running_pod_servers", "BASE_URL_ENV", "PROXY_ENV"]
