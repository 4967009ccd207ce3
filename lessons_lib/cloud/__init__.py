"""RunPod pods for the course: sizing, lifecycle (pods, through REST API v2: rest), the pod's Ollama, safety
(guard, fleet), keys, prices, cost model, sandbox, the pod's web terminal. The `runpod` SDK is used for
Serverless only (its pod functions still speak GraphQL, which RunPod is retiring).

    from lessons_lib import cloud
    mode = cloud.open_cloud()                       # sandbox unless real=True
    spec = cloud.spec_for_model("llama3.1:8b")
    with cloud.PodSession(spec, budget=cloud.Budget(0.5, 1.0)) as pod:
        pod.client.chat(...)
"""

import logging

from . import rest
from .costs import PodPlan, Workload, compare, cost_per_million_tokens, pod_cost, token_cost, verdict
from .fleet import PodFleet
from .guard import Budget, PodSession, estimate_text
from .keys import ApiKey, get_api_key, redact
from .mode import CloudMode, open_cloud
from .pod_ollama import client_for, measure_speed, proxy_url, pull_model
from .pods import (
    COURSE_PREFIX,
    CapacityError,
    PodInfo,
    PodNotReady,
    cleanup,
    course_pods,
    deploy,
    stock,
    unique_name,
    wait_ready,
)
from .projection import KEYWORDS_100M
from .sizing import GpuChoice, PodSpec, gpu_for_model, spec_for_model
from .web_terminal import WebTerminal, pod_terminal

# runpod configures the root logger at import; httpx would then log every proxied request.
logging.getLogger("httpx").setLevel(logging.WARNING)

__all__ = [
    "KEYWORDS_100M",
    "verdict",
    "PodPlan",
    "Workload",
    "compare",
    "cost_per_million_tokens",
    "pod_cost",
    "token_cost",
    "Budget",
    "PodSession",
    "PodFleet",
    "estimate_text",
    "ApiKey",
    "get_api_key",
    "redact",
    "CloudMode",
    "open_cloud",
    "COURSE_PREFIX",
    "CapacityError",
    "PodInfo",
    "PodNotReady",
    "PodSpec",
    "cleanup",
    "client_for",
    "course_pods",
    "deploy",
    "gpu_for_model",
    "GpuChoice",
    "measure_speed",
    "proxy_url",
    "pod_terminal",
    "pull_model",
    "spec_for_model",
    "stock",
    "rest",
    "unique_name",
    "wait_ready",
    "WebTerminal",
]
