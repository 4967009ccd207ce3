"""REST v2 request validation, as RunPod's API does it: every violation of the published contract listed
by name in ErrorResponse.errors (422), before any cross-field rule (400) is looked at.

The field sets and limits are those of the OpenAPI schemas CreatePodRequest, CreateGpuConfig, Mounts,
PersistentMount, NetworkMount and PodActionRequest (tests/data/runpod_v2_openapi.json, where a test
checks that this and the schema accept and refuse the same bodies). The wording follows the one message
RunPod's docs show, `$: additional properties 'bogus' not allowed` (ErrorResponse's example); the others
are in the same style, since the docs publish no more of them. The inside of `cpu` is not checked:
the sandbox refuses CPU pods with a 400 anyway.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["create_pod_errors", "action_errors", "ACTIONS"]

ACTIONS = ("start", "stop", "restart", "terminate")
CLOUDS = ("SECURE", "COMMUNITY")
CUDA = re.compile(r"^\d+\.\d+$")

TOP = {
    "name": "string1",
    "image": "string",
    "args": "string",
    "disk": ("integer", 1),
    "env": "env",
    "ports": "strings",
    "registry": "string_or_null",
    "cloud": "cloud",
    "cpu": "object",
    "dataCenterIds": "strings",
    "globalNetworking": "boolean",
    "gpu": "gpu",
    "mounts": "mounts",
    "startJupyter": "boolean",
    "startSsh": "boolean",
    "templateId": "string1",
}
GPU = {"id": "string", "count": ("integer", 1), "allowedCudaVersions": "cuda_list", "minCudaVersion": "cuda"}
PERSISTENT = {"size": ("integer", 10), "path": "string"}
NETWORK = {"volumeId": "string", "path": "string"}

JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def _type(value: Any) -> str:
    return "null" if value is None else JSON_TYPES.get(type(value), type(value).__name__)


def _extra(where: str, body: dict[str, Any], known: dict[str, Any] | set[str]) -> list[str]:
    unknown = [k for k in body if k not in known]
    if not unknown:
        return []
    names = ", ".join(f"'{k}'" for k in unknown)
    return [f"{where}: additional properties {names} not allowed"]


def _missing(where: str, body: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    return [f"{where}: missing property '{k}'" for k in required if k not in body]


def _object(where: str, value: Any, known: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: got {_type(value)}, want object"]
    errors = _extra(where, value, known) + _missing(where, value, required)
    for key, rule in known.items():
        if key in value:
            errors += _check(f"{where}.{key}", value[key], rule)
    return errors


def _check(where: str, value: Any, rule: Any) -> list[str]:  # noqa: C901  # one branch per schema shape
    kind = _type(value)
    if isinstance(rule, tuple):  # ("integer", minimum)
        if kind != "integer" and not (kind == "number" and float(value).is_integer()):
            return [f"{where}: got {kind}, want integer"]
        return [f"{where}: minimum: got {value}, want {rule[1]}"] if value < rule[1] else []
    if rule in ("string", "string1"):
        if kind != "string":
            return [f"{where}: got {kind}, want string"]
        return [f"{where}: minLength: got 0, want 1"] if rule == "string1" and not value else []
    if rule == "string_or_null":
        return [] if kind in ("string", "null") else [f"{where}: got {kind}, want string or null"]
    if rule == "boolean":
        return [] if kind == "boolean" else [f"{where}: got {kind}, want boolean"]
    if rule == "object":
        return [] if kind == "object" else [f"{where}: got {kind}, want object"]
    if rule in ("strings", "cuda_list"):
        if kind != "array":
            return [f"{where}: got {kind}, want array"]
        inner = "cuda" if rule == "cuda_list" else "string"
        return [e for n, item in enumerate(value) for e in _check(f"{where}[{n}]", item, inner)]
    if rule == "cuda":
        if kind != "string":
            return [f"{where}: got {kind}, want string"]
        return [] if CUDA.match(value) else [f"{where}: '{value}' does not match pattern '{CUDA.pattern}'"]
    if rule == "env":
        if kind != "object":
            return [f"{where}: got {kind}, want object"]
        return [e for k, v in value.items() for e in _check(f"{where}.{k}", v, "string")]
    if rule == "cloud":
        return [] if value in CLOUDS else [f"{where}: value must be one of 'SECURE', 'COMMUNITY'"]
    if rule == "gpu":
        return _object(where, value, GPU, ("id",))
    if rule == "mounts":
        return _mounts(where, value)
    raise ValueError(rule)


def _mounts(where: str, value: Any) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: got {_type(value)}, want object"]
    errors = _extra(where, value, {"persistent", "network"})
    if "persistent" in value:
        errors += _object(f"{where}.persistent", value["persistent"], PERSISTENT, ("size", "path"))
    if "network" in value:
        network = value["network"]
        if not isinstance(network, list):
            errors.append(f"{where}.network: got {_type(network)}, want array")
        else:
            if len(network) > 1:
                errors.append(f"{where}.network: maxItems: got {len(network)}, want 1")
            for n, item in enumerate(network):
                errors += _object(f"{where}.network[{n}]", item, NETWORK, ("volumeId", "path"))
    return errors


def create_pod_errors(body: Any) -> list[str]:
    """Every way `body` breaks CreatePodRequest; [] when it keeps the contract."""
    if not isinstance(body, dict):
        return [f"$: got {_type(body)}, want object"]
    errors = _extra("$", body, TOP) + _missing("$", body, ("name",))
    if "templateId" not in body:
        errors += _missing("$", body, ("image",))
    for key, rule in TOP.items():
        if key in body:
            errors += _check(f"$.{key}", body[key], rule)
    return errors


def action_errors(body: Any) -> list[str]:
    """Every way `body` breaks PodActionRequest ({"action": one of ACTIONS})."""
    if not isinstance(body, dict):
        return [f"$: got {_type(body)}, want object"]
    errors = _extra("$", body, {"action"}) + _missing("$", body, ("action",))
    if "action" in body and body["action"] not in ACTIONS:
        errors.append("$.action: value must be one of " + ", ".join(f"'{a}'" for a in ACTIONS))
    return errors
