"""The LLM mapper: a language model fills an Intent; crq's compiler checks it; nothing else is trusted.

Why it is built this way:

* The model never writes SQL. It answers in a strict JSON Schema made from the semantic model
  (``llm_schema``), so every name it can emit exists; values are checked by the compiler.
* The compiler is the judge. An intent that does not compile goes back to the model with the
  compiler's own error (up to ``repair_attempts`` times, shared with unreadable replies); then the user
  is asked to clarify with that error rather than shown a guess.
* Retries are our own loop (the SDK's are off) so that every failed try is logged with its cost and
  counted by kind: exponential backoff with full jitter on 429 (honouring Retry-After), 5xx, timeouts
  and connection errors; other 4xx (bad key, bad request) are not retried.
* An unreachable LLM does not stop the user: the offline mapper answers, and the message says so.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from contextlib import AbstractContextManager, nullcontext
from typing import Any, cast

import openai
from openai import OpenAI

from compiler import compile
from models.errors import IntentError, UserError
from models.intent import Intent
from models.responses import Mapping
from models.semantic_model import SemanticModel
from runtime.mappers import IntentMapper
from runtime.mappers.describe import describe_intent
from runtime.mappers.llm_prompt import Message, build_messages, system_prompt
from runtime.mappers.llm_schema import ReplyError, parse_reply, response_format
from runtime.mappers.settings import LLMSettings
from runtime.usage import UsageLog

MAX_QUESTION = 2000


class LLMUnavailable(Exception):
    """Every try failed (or one failed in a way retrying cannot fix); ``kind`` is the last failure."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail
        super().__init__(f"LLM unavailable ({kind}){': ' + detail if detail else ''}")


class _CallFailed(Exception):
    def __init__(self, kind: str, detail: str, retryable: bool, retry_after: float | None = None):
        self.kind = kind
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(detail)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter (uniform between 0 and ``min(cap, base * 2**attempt)``): clients that failed together
    do not retry together. ``attempt`` counts from 0 for the first retry."""
    return rng.uniform(0.0, min(cap, base * (2**attempt)))


def retry_after_seconds(headers: MappingType[str, str] | Any) -> float | None:
    """``retry-after-ms`` (OpenAI), else ``retry-after`` in seconds or as an HTTP date; None if absent."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class LLMMapper:
    """Maps questions with an OpenAI-compatible chat completions endpoint; see the module docstring.

    ``client`` is any object with ``chat.completions.create`` (tests pass a real ``OpenAI`` pointed at
    a local fake server); ``sleep`` and ``rng`` make backoff testable without waiting.
    """

    name = "llm"

    def __init__(
        self,
        model: SemanticModel,
        settings: LLMSettings,
        *,
        client: Any | None = None,
        fallback: IntentMapper | None = None,
        usage_log: UsageLog | None = None,
        as_of: dt.date | None = None,
        values: MappingType[str, Sequence[str]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        stage: Callable[[str], AbstractContextManager[object]] | None = None,
    ):
        if not settings.model:
            raise UserError("the LLM mapper needs a model name: set CRQ_LLM_MODEL (and CRQ_LLM_BASE_URL)")
        self.model = model
        self.settings = settings
        self.llm_model: str = settings.model
        self.client = client if client is not None else make_client(settings)
        self.fallback = fallback
        self.usage_log = usage_log if usage_log is not None else UsageLog()
        self.as_of = as_of
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stage = stage or (lambda _name: nullcontext())  # the Lambda handler traces each call
        self.system = system_prompt(model, values)  # rendered once: the cacheable prefix
        self.response_format = response_format(model)

    # --- the protocol -----------------------------------------------------------------------------

    def map(self, question: str, previous: Intent | None = None) -> Mapping:
        """The LLM's reading, or the fallback's when the LLM cannot be reached (the message says so)."""
        try:
            return self.map_llm(question, previous)
        except LLMUnavailable as e:
            if self.fallback is None:
                return Mapping(
                    status="clarify",
                    message=f"{e}; no offline mapper to fall back to, try again later",
                    complete=False,
                    mapper=self.name,
                )
            return offline_instead(self.fallback.map(question, previous), e.kind, "offline-fallback")

    def map_llm(self, question: str, previous: Intent | None = None) -> Mapping:
        """Like ``map`` but raises ``LLMUnavailable`` instead of falling back (hybrid mode decides itself)."""
        text = (question or "").strip()
        if not text:
            return Mapping(
                status="clarify", message="ask a question about the data", complete=False, mapper=self.name
            )
        if len(text) > MAX_QUESTION:
            return Mapping(
                status="refused",
                mapper=self.name,
                message="refused: the question is too long; ask one thing at a time",
            )
        as_of = self.as_of or dt.datetime.now(dt.UTC).date()
        messages = build_messages(self.model, text, previous, as_of, system=self.system)
        repairs_left = self.settings.repair_attempts
        purpose = "map"
        while True:
            content, refusal = self._complete(messages, purpose)
            if refusal:
                return Mapping(status="refused", message=f"refused: {refusal}", mapper=self.name)
            try:
                reply = parse_reply(content)
            except ReplyError as e:
                if repairs_left == 0:
                    return Mapping(
                        status="clarify",
                        complete=False,
                        mapper=self.name,
                        message=f"the language model's reply could not be used ({e}); please rephrase",
                    )
                repairs_left -= 1
                purpose = "repair"
                messages = [
                    *messages,
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": f"Your reply could not be used: {e}. Reply again."},
                ]
                continue
            if reply.status != "answered" or reply.intent is None:
                default = (
                    "refused: that is not something crq can answer"
                    if reply.status == "refused"
                    else "could you say that differently?"
                )
                return Mapping(
                    status=reply.status,
                    message=reply.message or default,
                    suggestions=reply.suggestions[:8],
                    complete=reply.status != "clarify",
                    mapper=self.name,
                )
            intent = reply.intent
            if previous is not None and reply.follow_up:
                earlier = previous.model_copy(update={"previous": None})
                intent = intent.model_copy(update={"previous": earlier})
            try:
                compile(intent, self.model, as_of=as_of)
            except UserError as e:
                if repairs_left == 0:
                    choices = tuple(e.choices[:8]) if isinstance(e, IntentError) else reply.suggestions[:8]
                    return Mapping(
                        status="clarify",
                        message=f"I could not build that query: {e}",
                        suggestions=choices,
                        complete=False,
                        mapper=self.name,
                    )
                repairs_left -= 1
                purpose = "repair"
                feedback = (
                    f"crq could not compile that intent: {e}. Reply again with a corrected intent, "
                    "or with status clarify if this model cannot answer the question."
                )
                messages = [
                    *messages,
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": feedback},
                ]
                continue
            return Mapping(
                status="answered", intent=intent, message=describe_intent(intent), mapper=self.name
            )

    # --- one completion, with retries ---------------------------------------------------------------

    def _complete(self, messages: list[Message], purpose: str) -> tuple[str | None, str | None]:
        """One completion (content, refusal), retrying transient failures; raises ``LLMUnavailable``."""
        tries = self.settings.max_retries + 1
        for attempt in range(tries):
            start = time.perf_counter()
            try:
                with self.stage("llm"):  # each try its own span: retries show as such in a trace
                    response = self.client.chat.completions.create(
                        model=self.llm_model,
                        messages=cast(Any, messages),
                        temperature=0,
                        response_format=cast(Any, self.response_format),
                    )
            except Exception as e:  # classified below; anything unexpected is re-raised
                failure = _classify(e)
                latency = (time.perf_counter() - start) * 1000
                delay = self._delay(failure, attempt) if attempt + 1 < tries else None
                self.usage_log.record(
                    model=self.llm_model,
                    outcome="retry" if delay is not None else "error",
                    error=failure.kind,
                    latency_ms=latency,
                    purpose=purpose,
                    attempt=attempt + 1,
                )
                if delay is None:
                    raise LLMUnavailable(failure.kind, failure.detail) from e
                self.sleep(delay)
                continue
            latency = (time.perf_counter() - start) * 1000
            self._record_ok(response, latency, purpose, attempt + 1)
            return _content(response)
        raise AssertionError("unreachable: the last try returns or raises")  # pragma: no cover

    def _delay(self, failure: _CallFailed, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None to give up: a Retry-After longer than
        ``max_retry_after`` is not worth waiting for in an interactive question."""
        if not failure.retryable:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= self.settings.max_retry_after else None
        return backoff_delay(attempt, self.settings.backoff_base, self.settings.backoff_max, self.rng)

    def _record_ok(self, response: Any, latency_ms: float, purpose: str, attempt: int) -> None:
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        cached = int(getattr(details, "cached_tokens", 0) or 0)
        model = str(getattr(response, "model", None) or self.llm_model)
        cost = None
        if usage is not None:  # the configured name first; else the served (often dated) one
            cost = self.settings.cost(self.llm_model, prompt, completion, cached)
            if cost is None:
                cost = self.settings.cost(model, prompt, completion, cached)
        self.usage_log.record(
            model=self.llm_model,
            outcome="ok",
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            cost_usd=cost,
            latency_ms=latency_ms,
            purpose=purpose,
            attempt=attempt,
        )


def offline_instead(mapping: Mapping, kind: str, mapper: str) -> Mapping:
    """The offline reading, saying (in its message and in the note the user sees with an answer) that
    the LLM was unavailable; "answered by" only when the reading is whole enough to be answered."""
    done = "answered" if mapping.status == "answered" and mapping.complete else "read"
    note = f"LLM unavailable ({kind}); {done} by the offline mapper"
    return mapping.model_copy(
        update={
            "message": f"{note}; {mapping.message}" if mapping.message else note,
            "note": f"{note}; {mapping.note}" if mapping.note else note,
            "mapper": mapper,
        }
    )


def make_client(settings: LLMSettings) -> OpenAI:
    """The SDK client with its own retries off (ours count and log each try). Local endpoints need no
    key, but the SDK insists on one, hence the placeholder."""
    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return OpenAI(base_url=settings.base_url, api_key=key, timeout=settings.timeout, max_retries=0)


def _classify(e: Exception) -> _CallFailed:
    """Which failures are worth another try: rate limits, server errors, timeouts, lost connections."""
    if isinstance(e, openai.APITimeoutError):
        return _CallFailed("timeout", "the request timed out", retryable=True)
    if isinstance(e, openai.APIConnectionError):
        return _CallFailed("connection", "cannot connect to the LLM endpoint", retryable=True)
    if isinstance(e, openai.RateLimitError):
        return _CallFailed(
            "rate_limit", "rate limited", retryable=True, retry_after=retry_after_seconds(e.response.headers)
        )
    if isinstance(e, openai.APIStatusError):
        status = e.status_code
        detail = f"HTTP {status}: {_short(e.message)}"
        if status >= 500 or status in (408, 409):  # 408/409: OpenAI's own list of transient statuses
            return _CallFailed(
                f"http_{status}", detail, retryable=True, retry_after=retry_after_seconds(e.response.headers)
            )
        return _CallFailed(f"http_{status}", detail, retryable=False)
    if isinstance(e, openai.OpenAIError):
        return _CallFailed("api_error", _short(str(e)), retryable=False)
    raise e


def _content(response: Any) -> tuple[str | None, str | None]:
    """(content, refusal) of the first choice; a reply cut off by the token limit is unreadable JSON,
    which the repair loop handles like any other unreadable reply."""
    choices = getattr(response, "choices", None) or []
    if not choices:
        return None, None
    message = choices[0].message
    return getattr(message, "content", None), getattr(message, "refusal", None)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "LLMMapper",
    "LLMUnavailable",
    "backoff_delay",
    "make_client",
    "offline_instead",
    "retry_after_seconds",
]
