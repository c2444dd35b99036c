"""The user module the README's conftest.py imports (``from mychat import AsyncChat``): a
small OpenAI-chat client on httpx, so that block runs as written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


class AsyncChat:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key

    async def create(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        stream: bool = True,
    ) -> AsyncIterator[dict[str, Any]]:
        body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
        if tools:
            body["tools"] = tools
        headers = {"Authorization": f"Bearer {self.api_key}"}
        url = self.base_url + "/chat/completions"
        async with httpx.AsyncClient() as client:
            if not stream:
                response = await client.post(url, json=body, headers=headers)
                response.raise_for_status()
                yield response.json()
                return
            async with client.stream("POST", url, json=body, headers=headers) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        yield json.loads(data)
