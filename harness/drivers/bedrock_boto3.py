"""boto3's Bedrock Runtime client (``boto3.client("bedrock-runtime")``): ``converse_stream``
and ``converse``, unchanged.

Seam: botocore's own ``before-send`` event
(:func:`harness.transport.botocore_send.serving_botocore`) answers every request the
client signs and would send, with an ``AWSResponse`` whose raw body streams the scripted
chunks, so ``EventStream`` decodes the AWS event stream in the scripted chunk boundaries
and botocore's retry handlers see what a real session gives. Nothing is patched. The
client is built with placeholder credentials, region ``us-east-1`` and
``endpoint_url=ctx.base_url``.

Retries as shipped: botocore's default retry mode is ``standard``
(``botocore/configprovider.py:157``), passed explicitly so an ``AWS_RETRY_MODE`` or
``~/.aws/config`` of the machine running harness cannot change it;
``ctx.options["max_retries"]`` sets ``total_max_attempts`` to one more. The stream is
mapped by the dialect's normalizer
(:class:`harness.dialects.bedrock_converse.normalize.ConverseNormalizer`): boto3 yields
each event as a dict keyed by its type, which is what it reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from harness.dialects.bedrock_converse.normalize import ConverseNormalizer, converse_events
from harness.drivers.base import DriverBase, DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import BOTO3_BEDROCK
from harness.scenario.model import Request
from harness.vocab.events import Event

__all__ = ["ACCESS_KEY", "REGION", "BedrockBoto3Driver", "converse_kwargs"]

ACCESS_KEY = "AKIAHARNESSEXAMPLE00"
"""The placeholder access key the client signs with (the replay never checks it)."""
REGION = "us-east-1"


def converse_kwargs(request: Request) -> dict[str, Any]:
    """``converse``/``converse_stream``'s arguments: ``modelId``, ``messages`` (text,
    ``toolUse`` and ``toolResult`` blocks; consecutive tool results in one user turn, as
    the API requires), ``system``, ``toolConfig`` and ``inferenceConfig.maxTokens``."""
    messages: list[dict[str, Any]] = []
    system = [{"text": m.content} for m in request.messages if m.role == "system" and m.content]
    for m_index, message in enumerate(request.messages):
        if message.role == "system":
            continue
        if message.role == "tool":
            result = {
                "toolResult": {
                    "toolUseId": message.tool_call_id or "",
                    "content": [{"text": message.content}],
                }
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "user" and "toolResult" in last["content"][0]:
                last["content"].append(result)
            else:
                messages.append({"role": "user", "content": [result]})
            continue
        blocks: list[dict[str, Any]] = [{"text": message.content}] if message.content else []
        if message.role == "assistant":
            for c_index, call in enumerate(message.tool_calls):
                use = {
                    "toolUseId": call.id or f"tooluse_{m_index}_{c_index}",
                    "name": call.name,
                    "input": call.arguments,
                }
                blocks.append({"toolUse": use})
        messages.append({"role": message.role, "content": blocks or [{"text": " "}]})
    kwargs: dict[str, Any] = {"modelId": request.model, "messages": messages}
    if system:
        kwargs["system"] = system
    if request.tools:
        specs = [
            {
                "toolSpec": {
                    "name": t.name,
                    "description": t.description or t.name,
                    "inputSchema": {"json": t.parameters},
                }
            }
            for t in request.tools
        ]
        kwargs["toolConfig"] = {"tools": specs}
    if request.max_tokens is not None:
        kwargs["inferenceConfig"] = {"maxTokens": request.max_tokens}
    return kwargs


def bedrock_client(ctx: DriverContext) -> Any:
    """A ``bedrock-runtime`` client at ``ctx.base_url``, botocore's retries as shipped."""
    import boto3
    from botocore.config import Config

    retries: dict[str, Any] = {"mode": "standard"}
    if "max_retries" in ctx.options:
        retries["total_max_attempts"] = int(ctx.options["max_retries"]) + 1
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=ctx.api_key,
        region_name=REGION,
    )
    return session.client(
        "bedrock-runtime", endpoint_url=ctx.base_url, config=Config(retries=retries)
    )


class BedrockBoto3Driver(DriverBase):
    """``boto3.client("bedrock-runtime")``: ``converse_stream()`` or ``converse()``."""

    name: ClassVar[str] = "bedrock-boto3"
    contract: ClassVar[Contract] = BOTO3_BEDROCK
    dialect: ClassVar[str] = "bedrock-converse"
    http_library: ClassVar[str] = "botocore"
    requires: ClassVar[tuple[str, ...]] = ("boto3", "botocore")
    extra: ClassVar[str] = "bedrock"
    distributions: ClassVar[tuple[str, ...]] = ("boto3", "botocore", "urllib3")

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        from harness.transport.botocore_send import serving_botocore

        client = bedrock_client(ctx)
        kwargs = converse_kwargs(ctx.scenario.request)
        try:
            with serving_botocore(client, ctx.replay):
                if not ctx.scenario.request.stream:
                    for event in converse_events(client.converse(**kwargs)):
                        yield event
                    return
                stream = client.converse_stream(**kwargs)["stream"]
                normalizer = ConverseNormalizer()
                try:
                    for item in stream:
                        for event in normalizer.feed(item):
                            yield event
                finally:
                    stream.close()
                for event in normalizer.close():
                    yield event
        finally:
            client.close()
