"""langchain-openai's ``ChatOpenAI``: ``bind_tools(...)`` then ``stream(...)`` (``invoke``
when the scenario does not stream), read as :mod:`harness.drivers.langchain_chat` says.

Built as an application builds it by default: ``ChatOpenAI(model=..., api_key=...)`` and
nothing else, so its real defaults apply: the provider's host (``https://api.openai.com``),
``stream_usage`` on (langchain_openai/chat_models/base.py:1441-1455 turns it on only for a
default-built client and base URL), the socket-options ``httpx`` transport it builds
(``_client_utils.py:388-406``), ``timeout=None`` (``base.py:888``: ``request_timeout``
defaults to None and is passed to the OpenAI client as is, ``base.py:1468-1472``), and
the OpenAI SDK's retries (``max_retries`` None is not passed, ``base.py:1474-1475``).
Served by :func:`harness.transport.serving`; the ``lru_cache`` of default clients
(``_client_utils.py:481-496``) is cleared before and after each run.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.drivers.base import DriverContext
from harness.drivers.common import OPENAI_FINISH
from harness.drivers.contract import Contract
from harness.drivers.contracts import LANGCHAIN_OPENAI
from harness.drivers.langchain_chat import LangChainChatDriver, request_options, usage_numbers
from harness.drivers.langchain_recipe import langchain_recipe
from harness.drivers.recipe import Recipe
from harness.scenario.model import Scenario
from harness.vocab.events import UsageEvent

__all__ = ["LangChainOpenAIDriver"]


class LangChainOpenAIDriver(LangChainChatDriver):
    """``langchain_openai.ChatOpenAI(...).bind_tools(tools).stream(messages)``."""

    name: ClassVar[str] = "langchain-openai"
    contract: ClassVar[Contract] = LANGCHAIN_OPENAI
    dialect: ClassVar[str] = "openai-chat"
    requires: ClassVar[tuple[str, ...]] = ("langchain_openai", "openai")
    extra: ClassVar[str] = "langchain"
    distributions: ClassVar[tuple[str, ...]] = (
        "langchain-openai",
        "langchain-core",
        "openai",
        "httpx",
    )
    finish_key: ClassVar[str] = "finish_reason"
    finish_table = OPENAI_FINISH

    def model(self, ctx: DriverContext) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(**self.model_kwargs(ctx))

    def forget_clients(self) -> None:
        from langchain_openai.chat_models import _client_utils

        _client_utils._cached_sync_httpx_client.cache_clear()
        _client_utils._cached_async_httpx_client.cache_clear()

    def clients(self, chat: Any) -> list[Any]:
        return [c for c in (chat.root_client, chat.root_async_client) if c is not None]

    def usage(self, message: Any) -> UsageEvent | None:
        """``input_tokens`` is OpenAI's ``prompt_tokens`` (cached ones included) and
        ``cache_read`` its ``cached_tokens`` (langchain_openai/chat_models/base.py
        ``_create_usage_metadata``, :4533-4552)."""
        numbers = usage_numbers(message)
        if all(n is None for n in numbers):
            return None
        given, output, cache_read, _ = numbers
        return UsageEvent(input=given, output=output, cache_read=cache_read)

    def repro(self, scenario: Scenario) -> Recipe:
        """``ChatOpenAI`` with an ``httpx.Client`` on the reproducer's transport (its
        documented ``http_client``), ``stream_usage`` set to what the default-built model
        turns on, then ``stream``/``invoke`` as the driver calls them."""
        return langchain_recipe(
            scenario,
            library="langchain-openai (langchain-ai/langchain)",
            imports="import time\n\nimport httpx\nfrom langchain_openai import ChatOpenAI\n",
            model=OPENAI_MODEL,
            options=request_options(scenario.request),
            http_library="httpx",
            finish_key=self.finish_key,
            finish=self.finish_table,
            cache_in_input=False,
        )


OPENAI_MODEL = """\
model = ChatOpenAI(
    **REQUEST["model"],
    api_key=API_KEY,
    base_url=BASE_URL + "/v1",
    http_client=httpx.Client(transport=transport),
    # A ChatOpenAI built with no client for the default base URL turns stream_usage on by
    # itself (langchain_openai/chat_models/base.py:1441-1455); given a client, it does not:
    # set to the value the default-built model has. Nothing else is set: timeout stays
    # ChatOpenAI's default (request_timeout None, handed to the OpenAI client as is), and
    # so do the retries.
    stream_usage=True,
)
"""
