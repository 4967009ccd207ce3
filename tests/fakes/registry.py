"""A local registry and a local Hugging Face hub endpoint, with faults on demand (tests only).

Both are the course's registry mirror (real HTTP on 127.0.0.1, real GGUF bytes), plus:
  - `drop_after`: the next `drops` blob responses stop after that many body bytes (connection cut);
  - `corrupt`: blob bodies arrive with one byte changed (the digest will not match);
  - `/api/models/<user>/<repo>` and `/<user>/<repo>/resolve/<rev>/<file>`: the two hub calls
    an hf.co pull makes, serving `hub_files` (file name -> path on disk); `hub_gated`: downloads
    answer 401, as the hub does for a gated repo whose terms were not accepted.
Every request is recorded as (method, path, Range header).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lessons_lib.names import sha256_file
from lessons_lib.ollama_server.mirror import MirrorHandler, MirrorHTTPServer, RegistryMirror

_MODEL_INFO = re.compile(r"^/api/models/([^/]+)/([^/]+)(?:/revision/[^/]+)?$")
_RESOLVE = re.compile(r"^/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$")
HUB_REVISION = "0123456789abcdef0123456789abcdef01234567"


class _Cut(Exception):
    """Raised to end a response part way (the socket is then closed)."""


class FaultyHandler(MirrorHandler):
    server: FaultyServer

    def answer(self, send_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requests.append((self.command, path, self.headers.get("Range")))
        self._sent = 0
        if match := _MODEL_INFO.match(path):
            return self.model_info("/".join(match.groups()))
        if match := _RESOLVE.match(path):
            user, repo, _, name = match.groups()
            file = self.server.hub_files.get(name) if f"{user}/{repo}" == self.server.hub_repo else None
            if file is None:
                return self.send_error_json(404, "EntryNotFound", "not found")
            if self.server.hub_gated:  # what the hub answers a download of a gated repo without access
                return self.send_error_json(401, "GatedRepo", "Access to this model is restricted")
            return self.send_file(file, send_body)
        super().answer(send_body)

    def model_info(self, repo: str) -> None:
        if repo != self.server.hub_repo:
            body = b'{"error":"Repository not found"}'
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        siblings = []
        for name, path in self.server.hub_files.items():
            size = path.stat().st_size
            sha256 = sha256_file(path).removeprefix("sha256:")
            siblings.append(
                {"rfilename": name, "size": size, "lfs": {"sha256": sha256, "size": size, "pointerSize": 134}}
            )
        siblings.append({"rfilename": "README.md", "size": 10})
        self.send_bytes(
            json.dumps({"id": repo, "sha": HUB_REVISION, "siblings": siblings}).encode(), "application/json", True
        )

    def write_body(self, data: bytes) -> None:
        server = self.server
        if "/blobs/" not in self.path and "/resolve/" not in self.path:  # manifests and JSON pass untouched
            return super().write_body(data)
        if server.corrupt and self._sent == 0 and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if server.drops > 0 and server.drop_after is not None and self._sent + len(data) > server.drop_after:
            keep = max(0, server.drop_after - self._sent)
            self.wfile.write(data[:keep])
            self.wfile.flush()
            server.drops -= 1
            raise _Cut()
        self._sent += len(data)
        super().write_body(data)


class FaultyServer(MirrorHTTPServer):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.requests: list[tuple[str, str, str | None]] = []
        self.drop_after: int | None = None
        self.drops = 0
        self.corrupt = False
        self.hub_repo = ""
        self.hub_gated = False
        self.hub_files: dict[str, Path] = {}

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a cut connection is the point, not a failure to print


class FaultyRegistry(RegistryMirror):
    """A RegistryMirror whose server is a FaultyServer (see the module docstring)."""

    httpd: FaultyServer | None

    def __init__(self, models: str | Path):
        super().__init__(models, handler=FaultyHandler)

    server_class = FaultyServer

    @property
    def server(self) -> FaultyServer:
        assert self.httpd is not None
        return self.httpd
