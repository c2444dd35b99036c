"""langchain-anthropic's ``ChatAnthropic``: ``bind_tools(...)`` then ``stream(...)``
(``invoke`` when the scenario does not stream), read as
:mod:`harness.drivers.langchain_chat` says.

Built as an application builds it by default: ``ChatAnthropic(model=..., api_key=...)``
(``max_tokens`` when the scenario sets one), so its real defaults apply: the provider's host
(``https://api.anthropic.com``), the httpx2 client it builds and caches
(langchain_anthropic/_client_utils.py:46-82, ``lru_cache``, cleared before and after each
run), ``timeout=None`` (chat_models.py:1413 ``default_request_timeout`` defaults to None,
passed to the client as is, :1759-1762) and ``max_retries=2`` (:1417). Served by
:func:`harness.transport.serving`.

The finish is ``response_metadata["stop_reason"]``. Usage is read back into Anthropic's
terms: LangChain's ``input_tokens`` adds the cache reads and writes to Anthropic's
``input_tokens`` (chat_models.py:3330-3369), so they are subtracted again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.drivers.anthropic_sdk import ANTHROPIC_FINISH
from harness.drivers.base import DriverContext
from harness.drivers.contract import Contract
from harness.drivers.contracts import LANGCHAIN_ANTHROPIC
from harness.drivers.langchain_chat import LangChainChatDriver, request_options, usage_numbers
from harness.drivers.langchain_recipe import langchain_recipe
from harness.drivers.recipe import Recipe
from harness.scenario.model import Scenario
from harness.vocab.events import UsageEvent

__all__ = ["LangChainAnthropicDriver"]


class LangChainAnthropicDriver(LangChainChatDriver):
    """``langchain_anthropic.ChatAnthropic(...).bind_tools(tools).stream(messages)``."""

    name: ClassVar[str] = "langchain-anthropic"
    contract: ClassVar[Contract] = LANGCHAIN_ANTHROPIC
    dialect: ClassVar[str] = "anthropic-messages"
    http_library: ClassVar[str] = "httpx2"
    requires: ClassVar[tuple[str, ...]] = ("langchain_anthropic", "anthropic", "httpx2")
    extra: ClassVar[str] = "langchain"
    distributions: ClassVar[tuple[str, ...]] = (
        "langchain-anthropic",
        "langchain-core",
        "anthropic",
        "httpx2",
    )
    finish_key: ClassVar[str] = "stop_reason"
    finish_table = ANTHROPIC_FINISH

    def model(self, ctx: DriverContext) -> Any:
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(**self.model_kwargs(ctx))

    def forget_clients(self) -> None:
        from langchain_anthropic import _client_utils

        _client_utils._get_default_httpx_client.cache_clear()
        _client_utils._get_default_async_httpx_client.cache_clear()

    def clients(self, chat: Any) -> list[Any]:
        """The ``_client``/``_async_client`` cached properties that were built."""
        return [vars(chat)[n] for n in ("_client", "_async_client") if n in vars(chat)]

    def usage(self, message: Any) -> UsageEvent | None:
        numbers = usage_numbers(message)
        if all(n is None for n in numbers):
            return None
        given, output, cache_read, cache_write = numbers
        if given is not None:
            given -= (cache_read or 0) + (cache_write or 0)
        return UsageEvent(
            input=given, output=output, cache_read=cache_read, cache_write=cache_write
        )

    def repro(self, scenario: Scenario) -> Recipe:
        """``ChatAnthropic``, whose own default httpx2 client is built on the reproducer's
        transport (it takes no client), then ``stream``/``invoke`` as the driver calls
        them."""
        return langchain_recipe(
            scenario,
            library="langchain-anthropic (langchain-ai/langchain)",
            imports=ANTHROPIC_IMPORTS,
            model=ANTHROPIC_MODEL,
            options=request_options(scenario.request),
            http_library="httpx2",
            finish_key=self.finish_key,
            finish=self.finish_table,
            cache_in_input=True,
            helpers=ANTHROPIC_HELPERS,
        )


ANTHROPIC_IMPORTS = """\
import time

import anthropic
import httpx2
import langchain_anthropic.chat_models
from langchain_anthropic import ChatAnthropic
"""

ANTHROPIC_HELPERS = '''\
def default_client_on(transport):
    """ChatAnthropic takes no HTTP client: it builds its own with _get_default_httpx_client
    (langchain_anthropic/_client_utils.py:46-63: an anthropic.DefaultHttpxClient with the
    model's base_url, and its timeout when it has one). This builds that same client on
    `transport`."""

    def default_httpx_client(*, base_url, anthropic_proxy=None, **kwargs):
        if anthropic_proxy is not None:
            kwargs["proxy"] = anthropic_proxy
        base_url = base_url or "https://api.anthropic.com"
        return anthropic.DefaultHttpxClient(transport=transport, base_url=base_url, **kwargs)

    return default_httpx_client
'''

ANTHROPIC_MODEL = """\
langchain_anthropic.chat_models._get_default_httpx_client = default_client_on(transport)
# Built as an application builds it: nothing but the model, the key (and max_tokens when
# the call sets one), so its defaults apply (timeout None, max_retries 2).
model = ChatAnthropic(**REQUEST["model"], api_key=API_KEY, base_url=BASE_URL)
"""
