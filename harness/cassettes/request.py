"""The recorded request body in neutral terms: model, messages, tools, stream, max tokens.

The conversation is read by the reader of the request's dialect (the registry's
``harness.dialects.<wire>.read``): Chat Completions ``messages``, Responses
``instructions`` + ``input`` items and Anthropic ``system`` + content blocks all become
:class:`~harness.scenario.model.Message` values with plain text content, so a scenario
built from any dialect can be sent by any driver.
"""

from __future__ import annotations

from urllib.parse import unquote

from harness.cassettes.model import RecordedRequest
from harness.dialects import get_dialect
from harness.dialects.request import chat_messages, tools
from harness.scenario.model import Message, Request

__all__ = ["neutral_request"]


def neutral_request(
    request: RecordedRequest, dialect: str, stream: bool, notes: list[str]
) -> Request:
    """The recorded request as a neutral :class:`Request` (``notes`` collects what is lost)."""
    body = request.json()
    if not isinstance(body, dict):
        body = {}
        notes.append("request body is not a JSON object")
    reader = get_dialect(dialect).reader
    if reader is not None:
        messages = reader.read_messages(body, notes)
    else:
        messages = chat_messages(body.get("messages") or [], notes)
    if not messages:
        notes.append("the recorded request has no messages; a placeholder user message is sent")
        messages = [Message(role="user", content="(recorded request had no messages)")]
    model = body.get("model")
    if not isinstance(model, str) or not model:
        model = _deployment(request.path) or "recorded-model"
    # Gemini's generationConfig.maxOutputTokens, Ollama's options.num_predict
    nested = [body.get("generationConfig"), body.get("generation_config"), body.get("options")]
    settings = [body, *(n for n in nested if isinstance(n, dict))]
    keys = ("max_tokens", "max_completion_tokens", "max_output_tokens", "maxOutputTokens")
    limit = next(
        (
            place[k]
            for place in settings
            for k in (*keys, "num_predict")
            if isinstance(place.get(k), int)
            and not isinstance(place.get(k), bool)
            and place[k] >= 1
        ),
        None,
    )
    return Request(
        model=model, messages=messages, tools=tools(body, notes), stream=stream, max_tokens=limit
    )


def _deployment(path: str) -> str | None:
    """Azure OpenAI puts the model (deployment) in the path, Gemini too
    (``models/<model>:generateContent``), and Bedrock its model id
    (``/model/{modelId}/converse``, percent-encoded)."""
    parts = path.split("?")[0].split("/")
    for key in ("deployments", "model"):
        if key in parts and parts.index(key) + 1 < len(parts):
            return unquote(parts[parts.index(key) + 1])
    if "models" in parts and parts.index("models") + 1 < len(parts):
        name, method, _ = parts[parts.index("models") + 1].partition(":")
        return name if method and name else None
    return None
