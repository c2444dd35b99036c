"""litellm's ``acompletion`` on its default HTTP path, aiohttp (``openai/<model>``).

What litellm does when it is given no client: it builds an ``AsyncOpenAI`` whose
``http_client`` is ``httpx.AsyncClient(transport=LiteLLMAiohttpTransport(...))``
(litellm 1.82.5 ``litellm/llms/openai/common_utils.py:213-237``,
``litellm/llms/custom_httpx/http_handler.py:735-792``: aiohttp unless
``litellm.disable_aiohttp_transport`` or ``DISABLE_AIOHTTP_TRANSPORT`` says otherwise), so every
request goes out through an ``aiohttp.ClientSession`` and every response comes back through
``AiohttpResponseStream`` (``litellm/llms/custom_httpx/aiohttp_transport.py:78-122``, which maps
aiohttp's errors to httpx's and ends a body cut mid-stream quietly). ``litellm-chat`` gives
litellm an httpx client instead and measures the OpenAI SDK under litellm; this driver
measures the path an application gets by default.

Seam: :func:`harness.transport.blob.serving_blob` serves the replay to aiohttp through
vcrpy's stub of ``ClientSession._request``, each response body as one blob; harness's
hygiene turns ``disable_aiohttp_transport`` on for every other litellm driver, so it is
turned off for this run only (and the client cache flushed either side, so no client built
on the other path is reused). Scenarios whose point is chunk boundaries or timing (a paced
or cut stream, a stall, a delayed head, a dropped connection) are n/a: a blob cannot carry
them (:func:`harness.transport.blob.blob_limit`), and such a cell would judge a reply the
scenario did not script.

Retries as shipped: as for ``litellm-chat``, litellm builds the OpenAI client with
``max_retries=2`` (``litellm/llms/openai/openai.py:682`` pops it with that default, :386-394
builds the client with it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager, suppress
from typing import Any, ClassVar

from harness.dialects import get_dialect
from harness.dialects.compiled import compiled
from harness.drivers import litellm_hygiene as _litellm_env
from harness.drivers.base import DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import LITELLM_AIOHTTP
from harness.drivers.litellm_chat import chat_kwargs, completion
from harness.scenario.model import Scenario
from harness.transport.blob import blob_limit, serving_blob
from harness.vocab.events import Event

__all__ = ["LiteLLMChatAiohttpDriver", "aiohttp_transport", "close_clients"]


@contextmanager
def aiohttp_transport() -> Iterator[None]:
    """litellm picks its aiohttp transport inside (its default), whatever harness's hygiene
    or the environment chose; put back on exit, the client cache flushed either side."""
    import os

    import litellm

    saved = litellm.disable_aiohttp_transport
    saved_env = os.environ.pop("DISABLE_AIOHTTP_TRANSPORT", None)
    _litellm_env.flush_clients()
    litellm.disable_aiohttp_transport = False
    try:
        yield
    finally:
        litellm.disable_aiohttp_transport = saved
        if saved_env is not None:
            os.environ["DISABLE_AIOHTTP_TRANSPORT"] = saved_env
        _litellm_env.flush_clients()


class LiteLLMChatAiohttpDriver:
    """``litellm.acompletion(model="openai/<model>", ...)`` with no client: aiohttp."""

    name: ClassVar[str] = "litellm-chat-aiohttp"
    contract: ClassVar[Contract] = LITELLM_AIOHTTP
    dialect: ClassVar[str] = "openai-chat"
    http_library: ClassVar[str] = "aiohttp"
    requires: ClassVar[tuple[str, ...]] = ("litellm", "openai", "aiohttp", "vcr")
    extra: ClassVar[str] = "litellm"
    distributions: ClassVar[tuple[str, ...]] = ("litellm", "openai", "aiohttp", "vcrpy")
    """Installed distributions whose versions the transcript records."""

    def supports(self, scenario: Scenario) -> str | None:
        # the script the runner then serves: compiled once (harness.dialects.compiled)
        return blob_limit(compiled(get_dialect(self.dialect), scenario), scenario)

    async def run(self, ctx: DriverContext) -> AsyncIterator[Event]:
        litellm = _litellm_env.load_litellm()
        kwargs = chat_kwargs(ctx, ctx.base_url + "/v1")
        with aiohttp_transport(), serving_blob(ctx.replay, ("aiohttp",)):
            try:
                async with aclosing(completion(litellm, kwargs)) as events:
                    async for event in events:
                        yield event
            finally:
                await _litellm_env.settle()
                await close_clients()  # before aiohttp_transport() flushes the cache


async def close_clients() -> None:
    """Close the clients litellm cached during the run, and with them the aiohttp sessions
    they own (``AiohttpTransport.aclose``, ``aiohttp_transport.py:139-141``): litellm keeps
    them for an hour and never closes them itself, and a session left open is reported
    unclosed when it is collected. ``flush_clients`` then forgets them."""
    import litellm

    cache: Any = litellm.in_memory_llm_clients_cache
    for client in list(getattr(cache, "cache_dict", {}).values()):
        close = getattr(client, "close", None)
        if callable(close) and hasattr(client, "_client"):  # an OpenAI SDK client
            with suppress(Exception):
                await close()
