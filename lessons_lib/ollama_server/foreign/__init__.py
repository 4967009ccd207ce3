"""The foreign APIs in front of the native one, as Ollama 0.33 serves them: OpenAI's /v1 (chat, completions,
embeddings, models), OpenAI's Responses and Anthropic's Messages.

Each translates its request into a native one, runs it through `OllamaService` and translates the answer
back, in the same pattern (`exchange.serve`): one `BadRequest` for a body its Go type would refuse, the
API's error envelope, one SSE writer, and a stream converter per API.
"""

from __future__ import annotations

from fastapi import FastAPI

from ..service import OllamaService
from .anthropic import add_anthropic_routes
from .openai import add_openai_routes
from .responses import add_responses_routes


def add_foreign_routes(app: FastAPI, service: OllamaService) -> None:
    """/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /v1/responses and /v1/messages."""
    add_openai_routes(app, service)
    add_responses_routes(app, service)
    add_anthropic_routes(app, service)
