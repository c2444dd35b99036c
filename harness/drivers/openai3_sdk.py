"""The OpenAI Python SDK 3.x's chat completions, beside 2.x (``openai-sdk-chat``).

openai 3.x is built on ``httpx2`` (its ``http_client`` parameter is typed
``httpx2.AsyncClient``), and harness's main environment keeps openai 2.x for litellm and
the other adapters, so this driver runs in an environment of its own with the newest 3.x
(:mod:`harness.matrix.envs`). Everything else is :class:`~harness.drivers.openai_sdk.
OpenAIChatDriver`: the same request, the same event mapping, the SDK's shipped retries;
only the HTTP library differs. The matrix shows both majors side by side, so any cell
where they differ is a change in the SDK's behaviour.

Seam: ``http_client=httpx2.AsyncClient(transport=ctx.transport("httpx2"))``.
"""

from __future__ import annotations

from typing import ClassVar

from harness.drivers.contract import Contract
from harness.drivers.contracts import OPENAI3_SDK
from harness.drivers.openai_sdk import OpenAIChatDriver

__all__ = ["OpenAI3ChatDriver"]


class OpenAI3ChatDriver(OpenAIChatDriver):
    """``openai.AsyncOpenAI`` 3.x chat completions on ``httpx2``, streamed or not."""

    name: ClassVar[str] = "openai3-sdk-chat"
    contract: ClassVar[Contract] = OPENAI3_SDK
    http_library: ClassVar[str] = "httpx2"
    requires: ClassVar[tuple[str, ...]] = ("openai", "httpx2")
    extra: ClassVar[str] = "openai3"
    environment: ClassVar[tuple[str, ...]] = ("openai>=3,<4",)
    """Installed in a virtualenv of its own (see :mod:`harness.matrix.envs`)."""
    distributions: ClassVar[tuple[str, ...]] = ("openai", "httpx2")
