"""The catalogue of findings: one entry per stable code, with why it is wrong on the wire
and how to fix it. ``harness explain CODE`` prints an entry; ``docs/findings.md`` is
generated from this module (``render_markdown``) and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.impact import IMPACT_MEANING, Impact, impact_of
from harness.checks.setup_entries import SETUP_ENTRIES
from harness.vocab.codes import Code
from harness.vocab.findings import Severity

__all__ = ["CATALOGUE", "Entry", "explain", "render_markdown"]


@dataclass(frozen=True)
class Entry:
    code: Code
    severity: Severity
    check: str
    title: str
    why: str
    advice: str

    @property
    def impact(self) -> Impact | None:
        """What the caller suffers (:mod:`harness.checks.impact`); None for setup codes."""
        return impact_of(self.code)

    def render(self) -> str:
        impact = f", {self.impact}" if self.impact else ""
        return (
            f"{self.code} ({self.severity}{impact}, from {self.check})\n{self.title}\n\n"
            f"Why it is wrong: {self.why}\n\nHow to fix it: {self.advice}\n"
        )


_E = Entry
_ENTRIES = [
    # --- retries and backoff -------------------------------------------------------------
    _E(
        Code.RETRY_AFTER_IGNORED,
        "error",
        "invariant:retries / expectations",
        "The adapter retried sooner than the server's Retry-After said.",
        "RFC 9110 §10.2.3: Retry-After is a number of seconds or an HTTP date; OpenAI and Azure "
        "also send retry-after-ms. A retry before that time is rejected again and burns quota; "
        "providers may escalate to longer bans.",
        "Parse retry-after (seconds and HTTP-date forms) and retry-after-ms, and sleep at least "
        "that long before the next attempt. If the wait exceeds your cap, raise the rate-limit "
        "error instead of retrying early.",
    ),
    _E(
        Code.RETRY_WITHOUT_BACKOFF,
        "error",
        "invariant:retries",
        "The adapter retried a 429/5xx immediately, without backing off.",
        "Without Retry-After, a server that just failed needs time to recover; immediate retries "
        "amplify the overload that caused the failure. The protocol's policy asks for at least "
        "0.1 s; an adapter's contract may declare more (RetryRules.min_backoff).",
        "Use exponential backoff with jitter (e.g. 0.5 s doubling, capped) between attempts.",
    ),
    _E(
        Code.RETRY_STORM,
        "error",
        "invariant:retries",
        "The adapter sent more requests for one call than the retry policy allows.",
        "Unbounded retries turn an outage into a flood; the protocol's policy allows at most 12 "
        "requests per call, an adapter's contract its own number (RetryRules.max_attempts).",
        "Cap the number of attempts and surface the last error as a typed exception.",
    ),
    _E(
        Code.NON_RETRYABLE_RETRIED,
        "error",
        "invariant:retries / expectations",
        "The adapter retried an error that is final (400, 404, 422, or 401 after a refresh), or "
        "a status its own contract declares it does not retry.",
        "4xx statuses other than 408/409/429 describe the request, not the server's state: the "
        "same request fails the same way. A second 401 after a token refresh means the "
        "credentials are wrong. A status the adapter's contract leaves out of "
        "RetryRules.statuses is final for that adapter (breaks: contract).",
        "Retry only 408, 409, 429 and 5xx (and 401 once after refreshing a token).",
    ),
    _E(
        Code.RETRY_MISSING,
        "error",
        "expectations",
        "The adapter gave up although the server recovered on a later attempt.",
        "429 and 5xx are transient by definition (RFC 9110 §15.5.30, §15.6); provider SDKs "
        "retry them by default, so callers do not expect to handle them.",
        "Retry transient statuses with backoff, honouring Retry-After.",
    ),
    _E(
        Code.EXTRA_REQUESTS,
        "error",
        "expectations / invariant:replay",
        "More requests reached the server than the scenario's wire (and the adapter's "
        "contract) calls for.",
        "Each extra request costs tokens and quota; the scenario says how many a correct "
        "adapter sends, and the contract how many more it re-sends after a failed reply. "
        "Requests past the script's end are refused by the replay; what the adapter raises "
        "after that follows from the refusal and is not reported separately, so this one "
        "finding (with the count, the times and the first refused request) is the cell's root.",
        "Find why the adapter re-sent the request (a retry on success, a duplicate call, a "
        "retry of an empty or cut reply); if the re-send is a documented choice, declare it in "
        "the adapter's contract (RetryRules.empty_reply / broken_stream) so the replay serves it.",
    ),
    _E(
        Code.OUTPUT_REPEATED_AFTER_RETRY,
        "error",
        "expectations",
        "Text from a failed attempt is repeated in the output after a retry.",
        "When a stream fails mid-way and is retried, the new attempt starts from the first "
        "token; the caller must not see the first attempt's partial text twice.",
        "Discard (or surface as an error) partial output before retrying a stream.",
    ),
    # --- streams that end wrong ------------------------------------------------------------
    _E(
        Code.TRUNCATED_STREAM_ACCEPTED,
        "error",
        "expectations",
        "A stream that ended without a finish (or was cut) was reported as a normal reply.",
        "An OpenAI chat stream ends with a chunk carrying finish_reason and then `data: [DONE]`; "
        "Anthropic's with message_stop; Responses' with response.completed. A body that ends "
        "before those is truncated, even when the HTTP layer closed cleanly.",
        "Track whether the terminal marker arrived; raise a typed error when the stream ends "
        "without it.",
    ),
    _E(
        Code.EMPTY_STREAM_ACCEPTED,
        "error",
        "expectations",
        "An empty 200 stream (no bytes, or only the terminator) was reported as a reply.",
        "A valid chat stream carries at least one chunk with a finish_reason; a 200 with no "
        "events is a provider or proxy failure, not an empty answer.",
        "Treat a stream with no finish as an error (many adapters retry it once).",
    ),
    _E(
        Code.STREAM_ERROR_SWALLOWED,
        "error",
        "expectations",
        "An error payload inside a 200 stream was not surfaced as an error.",
        'Providers report failures after the stream has started as `data: {"error": ...}` '
        "(OpenAI, Groq) or `event: error` (Anthropic); the HTTP status is already 200.",
        "Check every event for an error object and raise the matching typed error.",
    ),
    _E(
        Code.MALFORMED_EVENT_ACCEPTED,
        "error",
        "expectations",
        "An event whose data is not valid JSON was skipped silently.",
        "Skipping a malformed event loses its content (text or tool arguments) without telling "
        "the caller; the reply is then silently wrong.",
        "Raise a protocol error on an undecodable event (or retry the request).",
    ),
    _E(
        Code.STALL_NOT_DETECTED,
        "error",
        "expectations",
        "A stream that stopped sending was reported as complete.",
        "A stalled stream must end in a read timeout; reporting it as a normal reply hides "
        "that the answer is incomplete.",
        "Use a read timeout and surface it as a typed timeout error.",
    ),
    _E(
        Code.STREAM_BUFFERED,
        "error",
        "invariant:incremental",
        "A streamed reply reached the caller all at once, when the stream had ended.",
        "The server sent the reply's events one by one, seconds apart; the adapter (or the "
        "service re-streaming it) read the whole body before passing anything on, so the "
        "caller waits the whole reply for its first token and the stream is no better than "
        "a blocking call.",
        "Yield (or forward) each event as it is decoded: iterate the response incrementally "
        "(aiter_lines/aiter_bytes, an SDK's stream iterator), never read() it first, and in "
        "a web service return a streaming response fed by that iterator.",
    ),
    _E(
        Code.ERROR_SWALLOWED,
        "error",
        "expectations",
        "The wire says the call failed, but the adapter reported success.",
        "The scenario's last attempt is a failure a caller must be able to see.",
        "Raise (or return) a typed error for this failure.",
    ),
    _E(
        Code.FAILED_RUN_REPORTED_AS_SUCCESS,
        "error",
        "expectations",
        "A run/response that ended `failed` was reported as a normal reply.",
        "Azure AI Agents runs end with status `failed` and a `last_error`; Responses streams "
        "with `response.failed`. The partial output of a failed run is not an answer.",
        "Map the failed status to a typed error that carries last_error.code and message.",
    ),
    _E(
        Code.INCOMPLETE_REPORTED_AS_SUCCESS,
        "error",
        "expectations",
        "A response that ended `incomplete` was reported as a normal stop.",
        "`response.incomplete` (incomplete_details.reason: max_output_tokens or "
        "content_filter) means the text was cut; the caller needs finish length/content_filter.",
        "Map incomplete_details.reason to finish `length` or `content_filter`.",
    ),
    _E(
        Code.INCOMPLETE_REPORTED_AS_GENERIC_ERROR,
        "error",
        "expectations",
        "A response that ended `incomplete` was raised as a generic error.",
        "`response.incomplete` is a normal end with a reason (max_output_tokens), like "
        "finish_reason `length`; the text so far is valid.",
        "Yield the text and finish with reason `length` (or `content_filter`).",
    ),
    _E(
        Code.NO_TERMINAL_EVENT,
        "error",
        "invariant:terminal",
        "The adapter's output ended with neither a finish nor an error.",
        "Every reply ends: with a finish reason or an error. Without one, a caller cannot tell "
        "a complete reply from a truncated one.",
        "Always yield a final event: the finish reason, or raise.",
    ),
    _E(
        Code.MULTIPLE_TERMINAL_EVENTS,
        "error",
        "invariant:terminal",
        "The adapter yielded more than one finish/error.",
        "Exactly one terminal event ends a reply; two confuse callers that stop at the first.",
        "Emit the finish once, after all content and tool calls.",
    ),
    _E(
        Code.EVENTS_AFTER_TERMINAL,
        "error",
        "invariant:terminal",
        "Events came after the finish or error.",
        "Callers stop reading at the terminal event and lose what comes after it.",
        "Emit usage and tool calls before the finish event.",
    ),
    _E(
        Code.UNEXPECTED_ERROR,
        "error",
        "expectations",
        "The adapter raised on a wire that ends normally.",
        "The scenario's server reply is valid for the protocol, so a correct adapter returns it.",
        "Read the exception in 'actual': usually a parsing assumption that this wire breaks.",
    ),
    _E(
        Code.ERROR_KIND_MISMATCH,
        "error",
        "expectations",
        "The adapter raised the wrong kind of error (e.g. a rate limit as a connection error).",
        "Callers branch on the error kind: a rate limit waits, an auth error refreshes, a "
        "connection error retries. The wrong kind sends them down the wrong branch.",
        "Map the HTTP status / provider error type to the matching typed exception.",
    ),
    _E(
        Code.TRANSPORT_ERROR_LEAKED,
        "error",
        "invariant:typed-errors",
        "A raw httpx/httpcore exception escaped the adapter.",
        "Callers catch the adapter's documented errors; a raw transport exception bypasses "
        "their handling (and retries) entirely.",
        "Catch the HTTP library's exceptions at the boundary and re-raise typed errors.",
    ),
    # --- content ---------------------------------------------------------------------------
    _E(
        Code.TEXT_MISMATCH,
        "error",
        "expectations",
        "The text the adapter yielded differs from what the server sent.",
        "Text deltas concatenate to the reply; anything lost or altered is a wrong answer.",
        "Compare 'expected' and 'actual' at the character shown in 'where'.",
    ),
    _E(
        Code.REASONING_MISMATCH,
        "error",
        "expectations",
        "The reasoning text differs from what the server sent.",
        "Reasoning deltas concatenate like text deltas.",
        "Pass reasoning/thinking deltas through unchanged.",
    ),
    _E(
        Code.SSE_DATA_WITHOUT_SPACE_DROPPED,
        "error",
        "expectations",
        "Events written as `data:x` (no space after the colon) were lost.",
        "The SSE spec (WHATWG HTML §9.2.6) makes the space after `data:` optional; a parser "
        "matching the prefix `data: ` drops valid events from some gateways.",
        "Strip one optional space after the colon, as the spec says.",
    ),
    _E(
        Code.SSE_LINE_SPLIT_ON_UNICODE_SEPARATOR,
        "error",
        "expectations",
        "Text containing U+2028/U+2029/U+0085 was split or lost.",
        "SSE lines end only at CR, LF or CRLF; Python's str.splitlines (and httpx's "
        "aiter_lines) also split on U+2028, U+2029 and U+0085, which JSON allows unescaped.",
        "Split on CR/LF only (e.g. iterate bytes, or use an SSE decoder that follows the spec).",
    ),
    _E(
        Code.RECHUNK_CHANGED_OUTPUT,
        "error",
        "invariant:rechunk",
        "The same response bytes, cut into other reads, gave a different output.",
        "TCP delivers a byte stream: a read can end anywhere, inside an SSE line, between CR "
        "and LF, inside a JSON string or a multi-byte UTF-8 character, and proxies re-chunk "
        "freely. The same bytes must give the same text, tool calls, finish, usage and error; "
        "a difference means the parser treats a read boundary as a message boundary.",
        "Buffer bytes until a whole line (and a whole event) has arrived before parsing it, "
        "decode UTF-8 incrementally (codecs.getincrementaldecoder), never parse a partial "
        "JSON document; `harness run --rechunk` replays the split points the finding names.",
    ),
    _E(
        Code.TOOL_CALL_DROPPED,
        "error",
        "expectations",
        "A tool call the server sent never reached the caller.",
        "Parallel tool calls carry distinct `index` values (OpenAI) or content blocks "
        "(Anthropic); each is a separate call the caller must execute.",
        "Accumulate tool-call deltas by index/block and emit every call.",
    ),
    _E(
        Code.TOOL_CALL_MISMATCH,
        "error",
        "expectations",
        "A tool call's name, arguments or id differ from what the server sent.",
        "Fragments of one call must be joined in order and keyed by index, not by position.",
        "Key accumulated fragments by the call's index; keep the id from the first fragment.",
    ),
    _E(
        Code.TOOL_CALL_EXTRA,
        "error",
        "expectations",
        "The adapter yielded a tool call the server never sent.",
        "Usually fragments of one call treated as separate calls.",
        "Only the first fragment of a call carries id and name; later ones extend it.",
    ),
    _E(
        Code.TOOL_ARGS_INVALID,
        "error",
        "invariant:tool-calls",
        "Tool-call arguments are not a JSON object.",
        "Function arguments are a JSON object (a string of JSON on OpenAI's wire).",
        "Parse the joined argument text once, after the last fragment.",
    ),
    _E(
        Code.TOOL_ARGS_FRAGMENT_LOST,
        "error",
        "invariant:tool-calls",
        "Tool-call arguments are missing a fragment the server sent.",
        "Arguments arrive as many `function.arguments` / `input_json_delta` pieces; each must "
        "be appended, including the last one before the finish chunk.",
        "Append every fragment, and finalize calls only after the stream's finish.",
    ),
    _E(
        Code.TOOL_CALL_ID_MISSING,
        "error",
        "invariant:tool-calls",
        "A tool call has no id.",
        "Tool results are matched to calls by id (tool_call_id / tool_use_id).",
        "Keep the id from the call's first fragment.",
    ),
    _E(
        Code.TOOL_CALL_ID_DUPLICATE,
        "error",
        "invariant:tool-calls",
        "Two tool calls share an id.",
        "Ids identify calls; a duplicate makes results ambiguous.",
        "Key calls by index; do not copy the id of one call to the next.",
    ),
    _E(
        Code.USAGE_MISSING,
        "error",
        "expectations",
        "The server reported usage; the adapter passed none on.",
        "With stream_options.include_usage, OpenAI sends usage in a final chunk with "
        "`choices: []`; Anthropic in message_start/message_delta.",
        "Read usage from the chunk that carries it, even when it has no choices.",
    ),
    _E(
        Code.USAGE_WRONG,
        "error",
        "expectations / invariant:usage",
        "Reported usage differs from what the server sent.",
        "Usage is billing data; it must be passed through, not estimated.",
        "Report the server's prompt/completion (input/output) tokens.",
    ),
    _E(
        Code.USAGE_REPEATED,
        "error",
        "invariant:usage",
        "Usage was reported more than once.",
        "A caller that sums usage events would over-count.",
        "Report usage once, at the end of the reply.",
    ),
    _E(
        Code.USAGE_NEGATIVE,
        "error",
        "invariant:usage",
        "A token count is negative.",
        "Token counts are non-negative integers; a negative one breaks billing and budget "
        "code that subtracts or sums them.",
        "Check the arithmetic that derives the count.",
    ),
    _E(
        Code.FINISH_MISMATCH,
        "error",
        "expectations",
        "The finish reason differs from what the server sent, or one was reported where "
        "the server sent none.",
        "finish_reason / stop_reason tell a caller whether to run tools or continue (length, "
        "or a paused turn it sends back to be resumed). When a server sends finish_reason "
        "null, nothing says the reply is complete: reporting stop claims a natural end and "
        "hides a truncation.",
        "Map the provider's reason onto stop, length, tool_calls, content_filter or paused; "
        "pass a missing reason on as none, never as stop.",
    ),
    # --- the adapter's declared contract -------------------------------------------------
    _E(
        Code.ERROR_TYPE_UNDECLARED,
        "error",
        "contract:errors",
        "An exception of a type the adapter's contract does not declare reached the caller.",
        "The adapter declares its error taxonomy (harness.drivers.contract.ErrorTaxonomy) so "
        "callers can catch every failure by those types; an undeclared type slips past their "
        "except clauses and retry loops.",
        "Wrap the failure in one of the declared types, or declare the type (with its kind) in "
        "the contract if callers are meant to catch it.",
    ),
    _E(
        Code.THROTTLING_TYPE_MISMATCH,
        "error",
        "contract:errors",
        "A rate limit (HTTP 429) reached the caller as another type than the declared "
        "throttling type.",
        "A framework whose retry loop catches only its own throttling exception never retries "
        "a rate limit that surfaces as the provider library's error: the call fails at once "
        "where the framework promises to back off.",
        "Map the provider library's rate-limit error (and every 429) onto the declared "
        "throttling type in each model class.",
    ),
    # --- protocol flow ---------------------------------------------------------------------
    _E(
        Code.REQUEST_MISMATCH,
        "error",
        "invariant:replay",
        "The adapter sent a request the scenario does not allow (path, method, order, query).",
        "The scenario states the protocol flow a correct client follows.",
        "Compare the request in 'actual' with the expected exchange it names.",
    ),
    _E(
        Code.STREAM_NOT_CLOSED,
        "warning",
        "invariant:replay",
        "A response stream was neither read to the end nor closed.",
        "An unclosed streaming response keeps its connection out of the pool.",
        "Close (or exhaust) the response, also on early exit and on error.",
    ),
    _E(
        Code.TASK_LEAKED,
        "warning",
        "invariant:replay",
        "The adapter left asyncio tasks running after its call returned.",
        "A task the call started and neither awaited nor cancelled keeps running on the "
        "caller's event loop: it may hold a response open, log or retry in the background, "
        "and asyncio reports 'Task was destroyed but it is pending' when the loop closes. "
        "Not counted: a task a finalizer (__del__) scheduled, since when the collector "
        "frees an object depends on what ran before, not on the call.",
        "Await or cancel every task a call starts before returning (an asyncio.TaskGroup "
        "does both); give a deliberate background worker a documented shutdown method.",
    ),
    # --- wire options and stream shapes (issue 16) ------------------------------------------
    _E(
        Code.SSE_MULTILINE_DATA_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on an event whose data spans several data: lines.",
        "WHATWG SSE: each data: line appends to the event's data, joined with LF; a JSON "
        "payload may be spread over several lines and still be one event.",
        "Use a spec-conformant SSE decoder: collect every data: line of a block and join them "
        "with \\n before parsing; never parse a single data: line on its own.",
    ),
    _E(
        Code.SSE_EXTRA_FIELDS_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on id:, retry: or colon-less fields in an event.",
        "WHATWG SSE: id and retry are standard fields, and a line without a colon is a field "
        "name with an empty value; fields a client does not use are ignored.",
        "Parse fields by name and ignore the ones you do not use; do not assume every line "
        "of a block starts with data: or event:.",
    ),
    _E(
        Code.SSE_UNKNOWN_EVENT_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on an event of a type it does not know.",
        "WHATWG SSE dispatches an event to listeners of its type only; Anthropic documents "
        "that new event types may appear and must be ignored, and the Responses API adds "
        "event types over time.",
        "Ignore events whose type you do not handle (log them at debug level at most).",
    ),
    _E(
        Code.SSE_COMMENT_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on a comment line (a keep-alive, or one inside an event).",
        "WHATWG SSE: a line starting with a colon is a comment, ignored wherever it appears, "
        "including between the fields of one event; proxies send ': keep-alive' comments.",
        "Skip lines that start with ':' before interpreting fields; do not treat a comment as "
        "the end of an event.",
    ),
    _E(
        Code.SSE_BOM_MISHANDLED,
        "error",
        "expectations",
        "The adapter lost or failed on the first event of a stream that starts with a BOM.",
        "WHATWG SSE: one UTF-8 byte order mark at the very start of the stream is stripped; "
        "otherwise the first line's field name starts with U+FEFF and the event is lost.",
        "Strip a leading U+FEFF from the first chunk of the stream (only there).",
    ),
    _E(
        Code.SSE_UNTERMINATED_EVENT_DISPATCHED,
        "error",
        "expectations",
        "The adapter acted on a final event that was not terminated by a blank line.",
        "WHATWG SSE: at end of stream, an event still being collected (no blank line after "
        "it) is discarded, since the connection may have dropped in the middle of it.",
        "Dispatch events only on a blank line; at EOF drop whatever is pending.",
    ),
    _E(
        Code.SSE_LINE_ENDING_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on CR or CRLF line endings.",
        "WHATWG SSE: lines end with CRLF, LF or a lone CR; Gemini and some proxies use CRLF, "
        "and a lone CR is legal.",
        "Split lines on CRLF, LF and CR (and only those: never on U+2028 or U+0085).",
    ),
    _E(
        Code.SSE_CRLF_SPLIT_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed when a CRLF line end was split across two reads.",
        "TCP delivers bytes in any cut: a read may end after the CR of a CRLF; treating that "
        "CR as a line end and the LF as another gives an extra blank line that dispatches "
        "half an event.",
        "After a read ending in CR, skip one LF at the start of the next read.",
    ),
    _E(
        Code.TOOL_CALL_INDEX_REUSED_MISHANDLED,
        "error",
        "expectations",
        "The adapter merged or lost parallel tool calls that all carry index 0.",
        "Several OpenAI-compatible servers stream parallel tool calls with index 0 and a "
        "distinct id each; a new id starts a new call.",
        "Key streamed tool calls by id when one is given (by index only when it is not).",
    ),
    _E(
        Code.CHAT_ROLE_ONLY_CHUNK_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on a first chunk that carries only the role.",
        "OpenAI chat streams may open with delta {role: assistant} and no content key.",
        "Treat a missing content key like content null.",
    ),
    _E(
        Code.CHAT_EMPTY_DELTA_MISHANDLED,
        "error",
        "expectations",
        'The adapter failed on content "" or content null deltas.',
        'OpenAI-compatible servers send content "" and content null deltas (role chunks, '
        "tool-call chunks, keep-alive chunks); they carry no text.",
        "Skip empty and null content; never index into it or yield it.",
    ),
    _E(
        Code.PING_EVENT_MISHANDLED,
        "error",
        "expectations",
        "The adapter failed on Anthropic ping events between content blocks or deltas.",
        "Anthropic's streaming docs: a stream may include any number of ping events, "
        "anywhere; they carry nothing and keep the connection alive.",
        "Ignore ping events wherever they arrive; never tie them to a block's position.",
    ),
    _E(
        Code.TOOL_ARGS_DONE_IGNORED,
        "error",
        "expectations",
        "The adapter lost a function call's arguments that came with no delta events.",
        "OpenAI Responses: response.function_call_arguments.done and "
        "response.output_item.done carry a call's complete arguments; a server may send them "
        "with no response.function_call_arguments.delta before.",
        "Take a call's arguments from its done event (the deltas are only a preview).",
    ),
    _E(
        Code.CHAT_FUNCTION_CALL_MISHANDLED,
        "error",
        "expectations",
        "The adapter lost or misread a legacy function_call (the pre-tools call).",
        "Azure and many OpenAI-compatible servers still answer with delta.function_call (a "
        "name, then argument fragments, no id) and finish_reason function_call; it is one "
        "tool call whose arguments are the concatenated fragments.",
        "Read delta.function_call (and message.function_call) as one call, and map "
        "finish_reason function_call to a tool-call finish.",
    ),
    _E(
        Code.CHAT_CHOICES_INTERLEAVED,
        "error",
        "expectations",
        "The adapter mixed up the choices of a reply with several (n > 1).",
        "With n > 1, each chunk's choices carry an index; chunks of different choices "
        "arrive interleaved, and choices[0] of a chunk is not always choice 0.",
        "Route each delta by its choice index; never read choices[0] as the answer. An "
        "adapter that supports one choice only declares multiple_choices=False.",
    ),
    _E(
        Code.REFUSAL_DROPPED,
        "error",
        "expectations",
        "The model's refusal never reached the caller.",
        "OpenAI chat sends a refusal as delta.refusal pieces (message.refusal unstreamed) "
        "with content null and finish_reason stop: dropping it leaves an empty answer that "
        "looks like success.",
        "Pass delta.refusal / message.refusal on, as a refusal the caller can tell apart.",
    ),
    _E(
        Code.REFUSAL_AS_TEXT,
        "error",
        "expectations",
        "The model's refusal reached the caller as ordinary assistant text.",
        "A refusal is not an answer: shown as text, the caller (or the next model turn) "
        "takes the model's declining for its reply.",
        "Keep refusal apart from content (a refusal field, event or typed outcome).",
    ),
    _E(
        Code.REFUSAL_MISMATCH,
        "error",
        "expectations",
        "The refusal the adapter passed on differs from what the server sent.",
        "The refusal pieces join to the refusal text, as content pieces join to the text.",
        "Concatenate delta.refusal pieces in order; do not trim or re-join them.",
    ),
    _E(
        Code.EMPTY_TEXT_EVENT,
        "error",
        "invariant:empty-text",
        "The adapter yielded an empty text event to its caller.",
        'A content "" or null delta is framing, not text; callers that render, count or '
        "time deltas misbehave on empty ones.",
        "Yield text events only for non-empty text.",
    ),
    _E(
        Code.TOOL_ARGS_NOT_JOINED,
        "error",
        "invariant:tool-args",
        "A tool call's arguments are not the concatenation of its own fragments.",
        "A streamed call's arguments are exactly its argument fragments joined in order; "
        "pieces of another call (or none at all) make a different call.",
        "Accumulate fragments per call (by id, else index) and parse once, after the call ends.",
    ),
    _E(
        Code.RETRY_WAIT_UNBOUNDED,
        "error",
        "invariant:max-wait",
        "The adapter slept through a Retry-After far beyond any sane cap.",
        "A Retry-After of a day hangs the caller for a day; the OpenAI SDK gives up past "
        "120 s. The scenario's max_wait states the cap; an adapter contract may declare its own.",
        "Cap the wait you honour; past the cap, raise the rate-limit error at once and say "
        "how long the server asked to wait.",
    ),
    _E(
        Code.TRANSCRIPT_SCHEMA,
        "error",
        "schema",
        "The normalized transcript does not match transcript.schema.json.",
        "A harness driver produced malformed events (a driver bug, not an adapter one).",
        "Fix the driver's normalization.",
    ),
]

_ENTRIES += [_E(*entry) for entry in SETUP_ENTRIES]  # setup-* codes and adapter-hung
CATALOGUE: dict[str, Entry] = {e.code: e for e in _ENTRIES}
"""Every :class:`~harness.vocab.codes.Code`, explained (a test keeps the two equal)."""


def explain(code: str) -> str:
    entry = CATALOGUE.get(code)
    if entry is None:
        from harness.vocab.suggest import did_you_mean

        hint = did_you_mean(code, CATALOGUE)
        raise KeyError(f"unknown finding code {code!r}{hint}")
    return entry.render()


def render_markdown() -> str:
    lines = [
        "# Findings catalogue",
        "",
        "Generated from `harness/checks/catalogue.py` (`harness explain CODE` prints one entry).",
        "",
        "The impact says what the caller suffers: "
        + "; ".join(f"**{name}**: {meaning}" for name, meaning in IMPACT_MEANING.items())
        + ".",
        "",
        "| code | severity | impact | from |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| [`{e.code}`](#{e.code}) | {e.severity} | {e.impact or ''} | {e.check} |"
        for e in _ENTRIES
    ]
    for e in _ENTRIES:
        lines += [
            "",
            f"## {e.code}",
            "",
            f"**{e.title}**",
            "",
            f"*Why:* {e.why}",
            "",
            f"*Fix:* {e.advice}",
        ]
    return "\n".join(lines) + "\n"
