"""Ollama's two browser-facing guards: allowed origins (CORS) and the Host-header check.

Origins: OLLAMA_ORIGINS (comma-separated, `*` wildcards) plus localhost/127.0.0.1/0.0.0.0 on any
port and the app schemes Ollama allows. A request from any other origin gets 403 with an empty
body, as Ollama answers. The Host check blocks DNS-rebinding pages while the server listens on
loopback.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]

DEFAULT_ORIGINS = [
    f"{scheme}://{host}{port}"
    for scheme in ("http", "https")
    for host in ("localhost", "127.0.0.1", "0.0.0.0")
    for port in ("", ":*")
] + ["app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"]

ALLOWED_HEADERS = (
    "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "
    "x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, "
    "x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout"
)


def allowed_origins() -> list[str]:
    extra = [o.strip() for o in os.environ.get("OLLAMA_ORIGINS", "").split(",") if o.strip()]
    return extra + DEFAULT_ORIGINS


def origin_allowed(origin: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(origin, p) for p in patterns)


def host_allowed(host_header: str) -> bool:
    host = host_header.strip()
    if host.startswith("["):
        host = host[1 : host.find("]")]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.lower()
    if host in ("localhost", socket.gethostname().lower()) or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local


async def _send_empty(send: Callable[..., Awaitable[Any]], status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def wrap(app: ASGIApp, *, loopback_only: bool = True) -> ASGIApp:
    patterns = allowed_origins()

    async def guarded(
        scope: Scope, receive: Callable[..., Awaitable[Any]], send: Callable[..., Awaitable[Any]]
    ) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if loopback_only and "host" in headers and not host_allowed(headers["host"]):
            return await _send_empty(send, 403, [])
        origin = headers.get("origin")
        if origin is None:
            return await app(scope, receive, send)
        if not origin_allowed(origin, patterns):
            return await _send_empty(send, 403, [])
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"vary", b"Origin"),
        ]
        if scope["method"] == "OPTIONS":
            return await _send_empty(
                send,
                204,
                cors
                + [
                    (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
                    (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                    (b"access-control-max-age", b"43200"),
                ],
            )

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + cors)
            await send(message)

        return await app(scope, receive, send_with_cors)

    guarded.inner = app  # type: ignore[attr-defined]  # tests and the launcher reach the FastAPI app
    return guarded
