"""What the embedded server and its clients agree on, importable without FastAPI.

The Ollama release whose behaviour the server follows, the header that tells the course's server
from a real Ollama, and the one error type the server's layers raise: an HTTP status with a
message, which reaches the client as Ollama's `{"error": message}` body.
"""

from __future__ import annotations

from typing import Any

# The Ollama release whose behaviour this server follows: v0.33.0-rc2 (2026-08-21), the newest tag of
# github.com/ollama/ollama, whose build reports its tag without the "v" (version.Version).
OLLAMA_VERSION = "0.33.0-rc2"
SERVER_HEADER = "X-Workbook-Server"  # lets lessons tell the embedded server from a real Ollama
NDJSON = "application/x-ndjson"


class ApiError(Exception):
    """A failure to answer as {"error": message} with this HTTP status (or, once streaming, as a last line)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def go_json_type(value: Any) -> str:
    """How Go's decoder names a JSON value it cannot take (json.UnmarshalTypeError.Value)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
