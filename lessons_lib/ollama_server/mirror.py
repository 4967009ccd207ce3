"""A registry mirror: serve the models of a store over Ollama's registry protocol (read-only).

For a workshop without internet: one machine runs `python -m lessons_lib.ollama_server mirror`,
everyone pulls `<that-machine>:<port>/library/<model>:<tag>` with insecure=True (real Ollama
does the same with `ollama pull --insecure`). Lessons in CI use it to run the real pull path with
no internet. It answers exactly what a registry answers for pulls: manifests, blobs with Range.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..names import InvalidDigest
from .store import MANIFEST_MEDIA_TYPE, ModelEntry, Store

_MANIFEST = re.compile(r"^/v2/([^/]+)/([^/]+)/manifests/([^/]+)$")
_BLOB = re.compile(r"^/v2/([^/]+)/([^/]+)/blobs/([^/]+)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class MirrorHandler(BaseHTTPRequestHandler):
    server: MirrorHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the mirror keeps its own record
        pass

    def do_HEAD(self) -> None:
        self.answer(send_body=False)

    def do_GET(self) -> None:
        self.answer(send_body=True)

    def answer(self, send_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/v2", "/v2/"):
            return self.send_bytes(b"{}", "application/json", send_body)
        if match := _MANIFEST.match(path):
            entry = self.server.find(*match.groups())
            if entry is None:
                return self.send_error_json(404, "MANIFEST_UNKNOWN", "manifest unknown")
            return self.send_bytes(entry.manifest_path.read_bytes(), MANIFEST_MEDIA_TYPE, send_body)
        if match := _BLOB.match(path):
            try:
                blob = self.server.store.blob_path(match.group(3))
            except InvalidDigest:
                return self.send_error_json(400, "DIGEST_INVALID", "invalid digest")
            if not blob.is_file():
                return self.send_error_json(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return self.send_file(blob, send_body)
        self.send_error_json(404, "NAME_UNKNOWN", "not found")

    def send_bytes(self, data: bytes, content_type: str, send_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if send_body:
            self.write_body(data)

    def send_error_json(self, status: int, code: str, message: str) -> None:
        body = f'{{"errors":[{{"code":"{code}","message":"{message}"}}]}}'.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_file(self, blob: Path, send_body: bool) -> None:
        size = blob.stat().st_size
        start, end = 0, size - 1
        match = _RANGE.match(self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(206 if match else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if match:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not send_body:
            return
        with open(blob, "rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = fh.read(min(1 << 20, left))
                if not chunk:
                    break
                self.write_body(chunk)
                left -= len(chunk)

    def write_body(self, data: bytes) -> None:
        """Every body byte goes through here (tests put faults in a subclass)."""
        self.wfile.write(data)
        self.server.count(len(data))


class MirrorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[MirrorHandler], store: Store):
        super().__init__(address, handler)
        self.store = store
        self.bytes_sent = 0
        self._lock = threading.Lock()

    def count(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n

    def find(self, namespace: str, model: str, tag: str) -> ModelEntry | None:
        wanted = (namespace.lower(), model.lower(), tag.lower())
        return next(
            (
                e
                for e in self.store.list()
                if (e.name.namespace.lower(), e.name.model.lower(), e.name.tag.lower()) == wanted
            ),
            None,
        )


class RegistryMirror:
    """The mirror on a thread of this process; a context manager that always stops it.

    >>> with RegistryMirror(models_dir) as mirror:
    ...     client.pull(f"{mirror.host}/library/smollm2:135m", insecure=True)
    """

    server_class: type[MirrorHTTPServer] = MirrorHTTPServer

    def __init__(
        self, models: str | Path, host: str = "127.0.0.1", port: int = 0, handler: type[MirrorHandler] = MirrorHandler
    ):
        self.store = Store(models)
        self.address = (host, port)
        self.handler = handler
        self.httpd: MirrorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> RegistryMirror:
        self.httpd = self.server_class(self.address, self.handler, self.store)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="registry-mirror", daemon=True)
        self._thread.start()
        return self

    @property
    def host(self) -> str:
        """`127.0.0.1:<port>`: the host part of a model name pulled from this mirror."""
        assert self.httpd is not None, "start() the mirror first"
        address, port = self.httpd.server_address[:2]
        host = address.decode() if isinstance(address, bytes) else address
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def bytes_sent(self) -> int:
        return self.httpd.bytes_sent if self.httpd else 0

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> RegistryMirror:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
