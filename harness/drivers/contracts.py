"""The contracts of harness's built-in drivers, from their libraries' documented behaviour.

Each fact cites where it is written: a file and line of the library as installed in
harness's environment (``site-packages/...``), or its docs. Only what the library itself
decides is declared: a driver whose library adds nothing to the protocol keeps the
protocol's defaults (:class:`harness.drivers.contract.Contract`), and an error taxonomy is declared
only where the library documents one that callers are meant to catch.
"""

from __future__ import annotations

from harness.drivers.contract import PROTOCOL_FINAL, Contract, ErrorTaxonomy, Features, RetryRules

__all__ = [
    "ANTHROPIC_SDK",
    "AZURE_AGENTS_SDK",
    "AZURE_AGENTS_SDK_STREAM",
    "BOTO3_BEDROCK",
    "COHERE_SDK",
    "GOOGLE_GENAI",
    "INSTRUCTOR_OPENAI",
    "LANGCHAIN_ANTHROPIC",
    "LANGCHAIN_OPENAI",
    "LITELLM_AIOHTTP",
    "LITELLM_BEDROCK",
    "LITELLM_COHERE",
    "LITELLM_GEMINI",
    "LITELLM_OLLAMA",
    "LLAMA_INDEX_OPENAI",
    "LLAMA_STACK_CLIENT",
    "OLLAMA_SDK",
    "OPENAI3_SDK",
    "OPENAI_AGENTS",
    "OPENAI_SDK",
    "OPENAI_SDK_UNDER_LITELLM",
    "PYDANTIC_AI_ANTHROPIC",
    "PYDANTIC_AI_OPENAI",
    "STRANDS_LITELLM",
]

_SDK_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})

OPENAI_SDK = Contract(
    retry=RetryRules(
        # openai 2.54 openai/_base_client.py:843-858 `_should_retry`: 408, 409, 429 and every
        # status >= 500 are retried (409: "lock timeout"); x-should-retry overrides (832-839)
        statuses=_SDK_STATUSES,
        final_statuses=PROTOCOL_FINAL,
        # openai/_constants.py:10 DEFAULT_MAX_RETRIES = 2: three attempts in all
        max_attempts=3,
        # openai/_base_client.py:806-808: Retry-After is honoured when
        # 0 < wait <= MAX_RETRY_AFTER_DELAY (openai/_constants.py:15, 120 s)
        retry_after_cap=120,
    ),
    # several choices (n) are kept apart: every chunk's choices carry their index
    # (openai/types/chat/chat_completion_chunk.py:106-120 `Choice.index`): the default feature
    source="openai 2.54: openai/_base_client.py:806-858, openai/_constants.py:10-15",
)
"""The OpenAI Python SDK as shipped (chat and Responses)."""

ANTHROPIC_SDK = Contract(
    retry=RetryRules(
        # anthropic 2.17 anthropic/_base_client.py:1021-1036 `_should_retry`: the same
        # statuses as the OpenAI SDK (408, 409, 429, >= 500)
        statuses=_SDK_STATUSES,
        final_statuses=PROTOCOL_FINAL,
        # anthropic/_constants.py:11 DEFAULT_MAX_RETRIES = 2
        max_attempts=3,
        # anthropic/_base_client.py:990-995: any positive Retry-After is waited in full
    ),
    source="anthropic 2.17: anthropic/_base_client.py:990-1036, anthropic/_constants.py:11",
)
"""The Anthropic Python SDK as shipped."""

OPENAI_SDK_UNDER_LITELLM = OPENAI_SDK.model_copy(
    update={
        "source": "litellm passes max_retries=2 to the OpenAI client it is given "
        "(harness/drivers/litellm_chat.py); " + OPENAI_SDK.source
    }
)
"""litellm's OpenAI provider: litellm adds no retry of its own; the OpenAI SDK's apply.
Several choices are its feature too: litellm/litellm_core_utils/streaming_handler.py:946-957
copies every choice of a chunk, with its index, into the chunk it yields."""

LITELLM_AIOHTTP = OPENAI_SDK.model_copy(
    update={
        # litellm 1.82.5 builds the OpenAI client itself when given none:
        # litellm/llms/openai/openai.py:682 `max_retries = inference_params.pop("max_retries",
        # 2)`, :386-394 `AsyncOpenAI(..., http_client=_get_async_http_client(...),
        # max_retries=max_retries)`; the http client's transport is LiteLLMAiohttpTransport
        # (litellm/llms/openai/common_utils.py:227-237, litellm/llms/custom_httpx/
        # http_handler.py:755-760), which maps aiohttp's errors to httpx's
        # (litellm/llms/custom_httpx/aiohttp_transport.py:19-75), so the SDK's retry rules
        # see the exceptions they would on httpx
        "source": "litellm 1.82.5: litellm/llms/openai/openai.py:386-394,682, "
        "litellm/llms/openai/common_utils.py:227-237, "
        "litellm/llms/custom_httpx/aiohttp_transport.py:19-75; " + OPENAI_SDK.source
    }
)
"""litellm's OpenAI provider on its default aiohttp transport: litellm adds no retry of its
own; the OpenAI SDK's apply, with max_retries=2 as litellm sets it."""

OPENAI3_SDK = OPENAI_SDK.model_copy(
    update={
        # openai 3.63 (its own environment): openai/_base_client.py:949-964 `_should_retry`
        # (the same statuses), :913 Retry-After honoured up to MAX_RETRY_AFTER_DELAY
        # (openai/_constants.py:15, 120 s), openai/_constants.py:8 DEFAULT_MAX_RETRIES = 2
        "source": "openai 3.63: openai/_base_client.py:913-964, openai/_constants.py:8-15",
    }
)
"""The OpenAI Python SDK 3.x as shipped: the same policy as 2.x."""

LLAMA_STACK_CLIENT = OPENAI_SDK.model_copy(
    update={
        "retry": OPENAI_SDK.retry.model_copy(
            # llama_stack_client 0.2.12 llama_stack_client/_base_client.py:724: Retry-After
            # is honoured only when 0 < wait <= 60 s; :751-766 the same statuses as openai;
            # llama_stack_client/_constants.py:10 DEFAULT_MAX_RETRIES = 2
            update={"retry_after_cap": 60}
        ),
        "source": "llama_stack_client 0.2.12: _base_client.py:724-766, _constants.py:10",
    }
)
"""The llama-stack client (generated like the OpenAI SDK, with a 60 s Retry-After cap)."""

STRANDS_LITELLM = OPENAI_SDK.model_copy(
    update={
        # strands' Model interface: strands/models/model.py:128-129 "Raises:
        # ModelThrottledException: When the model service is throttling requests", and
        # strands/event_loop/_retry.py:126-127 retries only that type. strands/models/
        # litellm.py wraps only ContextWindowExceededError (:362-364); litellm's other
        # errors pass through, and all subclass the OpenAI SDK's (litellm/exceptions.py).
        # One choice per call: strands/models/litellm.py:597 reads event.choices[0] of every
        # streamed chunk, and :407-408 rejects a response with several choices.
        "features": Features(multiple_choices=False),
        "errors": ErrorTaxonomy(
            types={
                "openai.OpenAIError": None,
                "strands.types.exceptions.ContextWindowOverflowException": "context_window",
            },
            throttling=("strands.types.exceptions.ModelThrottledException",),
        ),
        "source": "strands-agents 1.36: strands/models/model.py:128-129, "
        "strands/event_loop/_retry.py:126-127, strands/models/litellm.py:362-364,407-408,597; "
        "no retry "
        "of its own and no max_retries, so the OpenAI SDK's policy under litellm applies: "
        + OPENAI_SDK.source,
    }
)
"""strands' litellm model: the OpenAI SDK's retries under litellm, and strands' own rule
that throttling surfaces as ``ModelThrottledException``."""

AZURE_AGENTS_SDK = Contract(
    retry=RetryRules(
        # azure-core 1.41 azure/core/pipeline/policies/_retry.py:78-79 `_RETRY_CODES`: 408,
        # 429, 500, 502, 503, 504 (and any status >= 506); :232-235 any status >= 400 with a
        # Retry-After is retried. Not expressible here: :186-208 a POST without Retry-After is
        # retried only on 500, 503 and 504 (no scenario of this dialect scripts that today)
        statuses=frozenset({408, 429, 500, 502, 503, 504}),
        final_statuses=PROTOCOL_FINAL,
        # :85 retry_status = 3 (of retry_total = 10): four attempts for statuses
        max_attempts=4,
        # :134-136 the first retry waits nothing (backoff starts at the second), and
        # Retry-After is waited in full (:_sleep_for_retry, no cap)
        min_backoff=0,
    ),
    # the run's text and usage are read from one agent message and the run (no choices)
    features=Features(multiple_choices=False),
    source="azure-core 1.41: azure/core/pipeline/policies/_retry.py:78-136,186-245; "
    "azure-ai-agents 1.1.0: azure/ai/agents/operations/_patch.py:555-562,2248-2297",
)
"""The Azure AI Agents SDK on azure-core's RetryPolicy, as shipped."""

# No error taxonomy is declared for LangChain: langchain-core 1.8.3 langchain_core/
# exceptions.py:73-83 documents ModelError and its subclasses for "conditions that model
# providers report consistently" (mostly keyed to an HTTP status), not as the type of every
# failure; langchain_core/language_models/chat_models.py:894 raises a bare ValueError for a
# stream without chunks. The provider SDK's types and kinds are judged as they come.

LANGCHAIN_OPENAI = OPENAI_SDK.model_copy(
    update={
        # langchain-openai 1.8.1 langchain_openai/chat_models/base.py:913 max_retries None is
        # not passed to the OpenAI client (:1474-1475), so the SDK's own retries apply.
        # :1-11 and :790-796: non-standard fields such as reasoning_content "are not
        # extracted". :1660 every chunk is read from choices[0] only (one choice per call).
        "features": Features(reasoning=False, multiple_choices=False),
        "source": "langchain-openai 1.8.1: langchain_openai/chat_models/base.py:1-11,"
        "790-796,913,1474-1475,1660; " + OPENAI_SDK.source,
    }
)
"""langchain-openai's ``ChatOpenAI`` as built by default: the OpenAI SDK's retries, no
reasoning_content, one choice."""

LANGCHAIN_ANTHROPIC = ANTHROPIC_SDK.model_copy(
    update={
        # langchain-anthropic 1.7.10 langchain_anthropic/chat_models.py:1417 max_retries = 2,
        # passed to the Anthropic client (:1755): the SDK's policy, with its 3 attempts
        "source": "langchain-anthropic 1.7.10: langchain_anthropic/chat_models.py:1417,1755; "
        + ANTHROPIC_SDK.source,
    }
)
"""langchain-anthropic's ``ChatAnthropic``: the Anthropic SDK's retries (max_retries=2)."""

LLAMA_INDEX_OPENAI = OPENAI_SDK.model_copy(
    update={
        "retry": OPENAI_SDK.retry.model_copy(
            # llama-index-llms-openai 0.8.3 llama_index/llms/openai/base.py:209-213
            # max_retries = 3, handed to the OpenAI client (:447-455): four attempts
            update={"max_attempts": 4}
        ),
        # every chunk is read from choices[0] only (base.py:837-848): one choice per call
        "features": Features(multiple_choices=False),
        "source": "llama-index-llms-openai 0.8.3: llama_index/llms/openai/base.py:209-213,"
        "447-455,837-848; " + OPENAI_SDK.source,
    }
)
"""llama-index's ``OpenAI`` LLM: the OpenAI SDK's policy with max_retries=3."""

INSTRUCTOR_OPENAI = OPENAI_SDK.model_copy(
    update={
        # instructor 1.17.0 (its own environment): create_partial passes no max_retries to
        # the OpenAI client, so the SDK's retries apply; its own max_retries=3
        # (instructor/v2/core/client.py:365-382) re-asks only on parse errors
        # (instructor/v2/core/retry.py:52-57, :571-578). The partial stream carries one
        # object: instructor/v2/providers/openai/handlers.py:503-517 reads only
        # choices[0].delta.tool_calls[0].function.arguments (no text, reasoning or usage),
        # and Mode.TOOLS asks for one call of one function (no parallel calls); the caller
        # gets the response_model object, which has no call id
        "features": Features(
            tool_call_ids=False,
            reasoning=False,
            usage=False,
            non_streaming=False,
            parallel_tool_calls=False,
            multiple_choices=False,
        ),
        "source": "instructor 1.17.0: instructor/v2/core/client.py:365-382, "
        "instructor/v2/core/retry.py:52-57,571-578, "
        "instructor/v2/providers/openai/handlers.py:503-517; " + OPENAI_SDK.source,
    }
)
"""instructor's partial streaming over the OpenAI SDK: the SDK's retries; one object, no
text, reasoning or usage."""

_PYDANTIC_AI_ERRORS = ErrorTaxonomy(
    # pydantic-ai 2.31.1 pydantic_ai/exceptions.py:511-512 `ModelAPIError` "Raised when a model
    # provider API request fails", :525-526 its subclass `ModelHTTPError` for a 4xx/5xx (with
    # status_code), :478-479 `UnexpectedModelBehavior` "Error caused by unexpected Model
    # behavior" (what the server sent breaks the protocol: an empty stream raises it,
    # pydantic_ai/models/openai.py:1321-1324); the models raise them from the SDK's errors
    # (pydantic_ai/models/openai.py:216-226, pydantic_ai/models/anthropic.py:321-331)
    # A streamed response whose ``state`` is not ``complete`` is the one way pydantic-ai
    # tells that a stream ended early without raising (pydantic_ai/models/__init__.py:
    # 1139-1152: "a foreground OpenAI Responses stream that EOF'd without a terminal event"
    # is 'incomplete'); the drivers pass that ModelResponse on as the error item it is
    types={
        "pydantic_ai.exceptions.ModelAPIError": None,
        "pydantic_ai.exceptions.UnexpectedModelBehavior": "protocol",
        "pydantic_ai.messages.ModelResponse": None,
    },
)

PYDANTIC_AI_OPENAI = OPENAI_SDK.model_copy(
    update={
        "errors": _PYDANTIC_AI_ERRORS,
        # one choice per reply: pydantic_ai/models/openai.py:3855 reads chunk.choices[0] only,
        # and asks for no n; a Responses status `completed` is finish_reason 'stop', function
        # calls or not (_RESPONSES_FINISH_REASON_MAP, openai.py:300-306)
        "features": Features(multiple_choices=False, tool_calls_finish=False),
        "source": "pydantic-ai-slim 2.31.1: pydantic_ai/exceptions.py:478-526, "
        "pydantic_ai/models/openai.py:216-226,300-306,3855; no retry of its own (the OpenAI client "
        "it is given keeps its max_retries, pydantic_ai/providers/_openai_compatible.py:20-33): "
        + OPENAI_SDK.source,
    }
)
"""pydantic-ai's OpenAI models (chat and Responses): the OpenAI SDK's retries, pydantic-ai's
own exception types."""

PYDANTIC_AI_ANTHROPIC = Contract(
    retry=RetryRules(
        # the anthropic 0.x SDK of the driver's own environment (anthropic 0.125):
        # anthropic/_base_client.py:845-870 `_should_retry`: 408, 409, 429 and >= 500
        statuses=_SDK_STATUSES,
        final_statuses=PROTOCOL_FINAL,
        # anthropic/_constants.py:10 DEFAULT_MAX_RETRIES = 2
        max_attempts=3,
        # anthropic/_base_client.py:826-828: Retry-After is honoured only when 0 < wait <= 60
        retry_after_cap=60,
    ),
    errors=_PYDANTIC_AI_ERRORS,
    source="pydantic-ai-slim 2.31.1: pydantic_ai/exceptions.py:478-526, "
    "pydantic_ai/models/anthropic.py:321-331; no retry of its own; anthropic 0.125: "
    "anthropic/_base_client.py:826-870, anthropic/_constants.py:10",
)
"""pydantic-ai's Anthropic model: the Anthropic SDK's retries, pydantic-ai's exception types."""

OPENAI_AGENTS = OPENAI_SDK.model_copy(
    update={
        # No error taxonomy: the models wrap none of the OpenAI client's errors (agents/models/
        # openai_responses.py:671-682 logs and re-raises whatever the client raised) and add
        # ModelBehaviorError (agents/exceptions.py:411-414) for terminal events, so callers
        # see the client's exceptions as the OpenAI SDK's own driver does.
        # One choice per reply: agents/models/chatcmpl_stream_handler.py:409-412 passes
        # every choice but index 0 through unread.
        "features": Features(multiple_choices=False),
        "source": "openai-agents 0.20.0: agents/models/openai_responses.py:671-682, "
        "agents/models/chatcmpl_stream_handler.py:409-412; the model level adds no retry "
        "(the OpenAI client it is given keeps its max_retries): " + OPENAI_SDK.source,
    }
)
"""openai-agents' OpenAI models (chat completions and Responses), at the model level."""

AZURE_AGENTS_SDK_STREAM = Contract(
    # the same client and pipeline: runs.stream sends its POST through azure-core's
    # RetryPolicy like every other call (azure/ai/agents/operations/_patch.py:1016-1037 calls
    # the generated runs.create with stream=True), so the statuses, attempts and waits are
    # AZURE_AGENTS_SDK's
    retry=AZURE_AGENTS_SDK.retry,
    # one agent message per run, read from thread.message.delta events (no choices)
    features=Features(multiple_choices=False, non_streaming=False),
    source="azure-core 1.41: azure/core/pipeline/policies/_retry.py:78-136,186-245; "
    "azure-ai-agents 1.1.0: azure/ai/agents/operations/_patch.py:899-1057, "
    "azure/ai/agents/models/_patch.py:154-218,1325-1383,1515-1564",
)
"""The Azure AI Agents SDK's streamed run (``runs.stream`` and its ``AgentEventHandler``)."""

GOOGLE_GENAI = Contract(
    retry=RetryRules(
        # google-genai 3.6.1 google/genai/_api_client.py:805-816 `retry_args`: with no
        # HttpOptions.retry_options (the default) the SDK never retries,
        # `stop_after_attempt(1)`; retrying is opt-in (HttpRetryOptions, :817-845)
        statuses=frozenset(),
        final_statuses=PROTOCOL_FINAL,
        max_attempts=1,
    ),
    errors=ErrorTaxonomy(
        # google/genai/errors.py:56 `APIError` (with `code`, the HTTP status or the in-stream
        # error's code), :308 ClientError (4xx), :313 ServerError (5xx), raised by
        # APIError.raise_error (:190-220), for a 200 stream's `{"error": ...}` chunk too
        # (google/genai/_api_client.py:2441-2451)
        types={"google.genai.errors.APIError": None},
    ),
    source="google-genai 3.6.1: google/genai/_api_client.py:805-845,2441-2451, "
    "google/genai/errors.py:56,190-220,308-316",
)
"""The google-genai SDK as shipped: no retries unless asked, ``APIError`` for every error
the API answers."""

OLLAMA_SDK = Contract(
    retry=RetryRules(
        # ollama 0.6.3 ollama/_client.py:139-147 `_request_raw` and :183-200 `_request`:
        # one request, `raise_for_status` -> ResponseError; the client has no retry at all
        statuses=frozenset(),
        final_statuses=PROTOCOL_FINAL,
        max_attempts=1,
    ),
    errors=ErrorTaxonomy(
        # ollama/_types.py:702-718 `ResponseError(error, status_code)`: an HTTP error keeps
        # its status; an in-stream `{"error": ...}` line is ResponseError with status -1
        # (ollama/_client.py:195-199); ollama/_client.py:146-147 ConnectionError when the
        # server cannot be reached
        types={"ollama._types.ResponseError": None},
    ),
    source="ollama 0.6.3: ollama/_client.py:139-147,183-200, ollama/_types.py:702-718",
)
"""The ollama Python client as shipped: one request per call, ``ResponseError`` for errors."""

BOTO3_BEDROCK = Contract(
    retry=RetryRules(
        # botocore 1.44.18, retry mode "standard" (botocore/configprovider.py:157, the
        # default): botocore/retries/standard.py:469 `_TRANSIENT_STATUS_CODES` 500, 502, 503,
        # 504; :510-525 throttling error codes (Bedrock's 429 is ThrottlingException);
        # :574-600 an unmodeled 429 is throttling too. 408 (ModelTimeoutException), 424 and
        # the 4xx are modeled non-retryable errors (botocore/data/bedrock-runtime service-2)
        statuses=frozenset({429, 500, 502, 503, 504}),
        final_statuses=frozenset({400, 403, 404, 408}),
        # :36 DEFAULT_MAX_ATTEMPTS = 3 (the first attempt included)
        max_attempts=3,
        # :372-405 the wait is rand(0, 1) * min(base * 2**i, 20): base 1 s for throttling,
        # 0.05 s otherwise, so a first retry may wait (almost) nothing; x-amz-retry-after is
        # honoured up to 5 s past that jittered wait
        min_backoff=0,
        retry_after_cap=5,
        # a dropped connection is botocore's ConnectionClosedError (botocore/httpsession.py:
        # 549-552), an HTTPClientError the transient checker retries (standard.py:470-473)
        drop_before_first_event=2,
    ),
    source="botocore 1.44.18: botocore/retries/standard.py:36,372-405,469-525,574-600, "
    "botocore/httpsession.py:537-558, botocore/configprovider.py:157",
)
"""boto3's bedrock-runtime client as shipped (botocore's standard retry mode)."""

LITELLM_BEDROCK = Contract(
    retry=RetryRules(
        # litellm 1.82.5 retries only when asked: litellm/__init__.py:430 `num_retries = None`,
        # and acompletion's wrapper re-sends only when num_retries is set
        # (litellm/utils.py:1220-1244 `_get_wrapper_num_retries`, :2014-2039); the Bedrock
        # handler posts once (litellm/llms/bedrock/chat/converse_handler.py:223-236,
        # invoke_handler.py:209-218) and botocore only signs, so one attempt per call
        max_attempts=1,
    ),
    source="litellm 1.82.5: litellm/__init__.py:430, litellm/utils.py:1220-1244,2014-2039, "
    "litellm/llms/bedrock/chat/converse_handler.py:178-236, "
    "litellm/llms/bedrock/chat/invoke_handler.py:185-218",
)
"""litellm's Bedrock Converse handler (its own httpx client, botocore only to sign)."""

COHERE_SDK = Contract(
    retry=RetryRules(
        # cohere 7.3.1 cohere/core/http_client.py:207-208 `_should_retry`: any status >= 500,
        # 429, 408 and 409; cohere/base_client.py:1711 max_retries defaults to 2
        statuses=_SDK_STATUSES,
        final_statuses=PROTOCOL_FINAL,
        max_attempts=3,
        # http_client.py:103-141 retry-after-ms, then Retry-After (seconds or a date), capped
        # at MAX_RETRY_DELAY_SECONDS = 60 (:23, :187-188); else backoff from 1 s with +-10 %
        # jitter (:196-198)
        retry_after_cap=60,
    ),
    source="cohere 7.3.1: cohere/core/http_client.py:22-24,103-208, cohere/base_client.py:1711",
)
"""The Cohere Python SDK (v2 client) as shipped."""

LITELLM_COHERE = LITELLM_BEDROCK.model_copy(
    update={
        # one attempt, as for Bedrock (litellm/__init__.py:430, litellm/utils.py:1220-1244,
        # 2014-2039): the v2 route posts once with its base_llm_http_handler
        # (litellm/main.py:2981-3040)
        "source": "litellm 1.82.5: litellm/__init__.py:430, litellm/utils.py:1220-1244,"
        "2014-2039, litellm/main.py:2981-3040, litellm/llms/cohere/chat/v2_transformation.py",
    }
)
"""litellm's Cohere v2 chat route: litellm retries only when num_retries is set."""

LITELLM_GEMINI = LITELLM_BEDROCK.model_copy(
    update={
        # one attempt, as for Bedrock (litellm/__init__.py:430, litellm/utils.py:1220-1244,
        # 2014-2039): the Gemini route posts once with its own AsyncHTTPHandler
        "source": "litellm 1.82.5: litellm/__init__.py:430, litellm/utils.py:1220-1244,"
        "2014-2039, litellm/llms/vertex_ai/gemini/vertex_and_google_ai_studio_gemini.py",
    }
)
"""litellm's Gemini route (``gemini/<model>``): litellm retries only when num_retries is set."""

LITELLM_OLLAMA = LITELLM_BEDROCK.model_copy(
    update={
        # one attempt, as for Bedrock (litellm/__init__.py:430, litellm/utils.py:1220-1244,
        # 2014-2039): the ollama_chat route posts once with base_llm_http_handler
        "source": "litellm 1.82.5: litellm/__init__.py:430, litellm/utils.py:1220-1244,"
        "2014-2039, litellm/llms/ollama/chat/transformation.py",
    }
)
"""litellm's Ollama chat route (``ollama_chat/<model>``): litellm retries only when
num_retries is set."""
