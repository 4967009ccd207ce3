"""The embedded Ollama-compatible server: Ollama's REST API over llama-cpp-python."""

from .server import EmbeddedServer, parse_host, serve

__all__ = ["EmbeddedServer", "parse_host", "serve"]
