"""The LLM mapper: a language model fills an Intent; crq's compiler checks it; nothing else is trusted.

Why it is built this way:

* The model never writes SQL. It answers in a strict JSON Schema made from the semantic model
  (``llm_schema``), so every name it can emit exists; values are checked by the compiler.
* Every reply is untrusted input from a third party on the internet. Its body is read within a
  deadline and a size cap, parsed without letting depth, huge numbers or ``NaN`` crash anything,
  and checked against the very schema that was sent (``parse_reply``): a reply that breaks it, or
  an envelope that is not a chat completion, is a failed call (counted, logged, repaired or retried),
  never an answer and never an exception for the caller.
* The compiler is the judge. An intent that does not compile goes back to the model with the
  compiler's own error (up to ``repair_attempts`` times, shared with unreadable replies); so does an
  intent whose metrics have nothing to do with the metrics the question names (a reply that answers
  another question). Then the user is asked to clarify rather than shown a guess. What is sent back
  is cut short (``MAX_ECHO_CHARS``), so a reply cannot make the next request grow.
* Refusal rules (``runtime/mappers/refusals.py``) run on the question before the model sees it: no
  reply can turn "delete all stopped instances" into an answer.
* Deadlines, not per-read timeouts: each call must be complete within ``CRQ_LLM_TIMEOUT`` (a body
  trickled at 1 byte/s is cut off), and all calls of one question within ``question_timeout``.
* Retries are our own loop (the SDK's are off) so that every failed try is logged with its cost and
  counted by kind: exponential backoff with full jitter on 429 (honouring Retry-After), 5xx, timeouts,
  connection errors and malformed replies; other 4xx (bad key, bad request) are not retried.
* Token counts are the endpoint's claim: impossible ones are replaced by estimates (``_usage``).
* What the model writes for the user (a clarify question, a refusal) is shown as its words: labelled,
  cut short, control characters escaped; never as crq's own.
* An unreachable or unusable LLM does not stop the user: the offline mapper answers, and says so.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from compiler import compile
from models.errors import IntentError, UserError
from models.intent import Intent
from models.responses import MAX_QUESTION_CHARS, Mapping
from models.semantic_model import SemanticModel
from runtime.describe import interpreted_as
from runtime.mappers import IntentMapper
from runtime.mappers.llm_prompt import (
    CHARS_PER_TOKEN,
    Message,
    PromptBuilder,
    PromptCaps,
    QuestionPrompt,
    build_messages,
    estimate_tokens,
)
from runtime.mappers.llm_schema import ReplyError, clip, parse_reply
from runtime.mappers.refusals import refusal_reason
from runtime.mappers.settings import LLMSettings
from runtime.mappers.tokens import tokenize
from runtime.usage import UsageLog, sane_count

if TYPE_CHECKING:
    from openai import OpenAI

logger = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024  # a chat completion holding an intent is a few kB; this is not one
MAX_ECHO_CHARS = 2000  # of the model's own reply, sent back with a repair
MAX_FEEDBACK_CHARS = 800  # of crq's message about that reply
MAX_REQUEST_CHARS = 512 * 1024  # no request is sent larger (question, previous intent, repairs)
MAX_SAID_CHARS = 300  # of the model's message shown to the user
MAX_SUGGESTION_CHARS = 200
MAX_SUGGESTIONS = 4
_BILLED = frozenset({"bad_reply", "too_large"})  # failures after a 200 came back
_GRACE = 0.25  # seconds past a call's deadline before the waiting side gives up on the worker


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


@dataclass
class _Completion:
    """One chat completion as read from the body: only what crq uses, each part checked."""

    content: str | None
    refusal: str | None
    usage: Any
    attempt: int = 1
    latency_ms: float = 0.0
    sent_chars: int = 0


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


def refused_by_rules(question: str) -> str | None:
    """Why crq declines ``question`` whatever a mapper would read (a change, SQL, writing), or None."""
    text = (question or "").strip()
    return refusal_reason(text, tokenize(text)) if text else None


class LLMMapper:
    """Maps questions with an OpenAI-compatible chat completions endpoint; see the module docstring.

    ``client`` is an ``OpenAI`` client (tests point a real one at a local fake server); ``sleep`` and
    ``rng`` make backoff testable without waiting.
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
        # the whole model's prompt (rendered once: the cacheable prefix), or a part per question
        self.prompts = PromptBuilder(model, values, PromptCaps(settings.prompt_tokens, settings.enum_values))

    # --- the protocol -----------------------------------------------------------------------------

    def map(self, question: str, previous: Intent | None = None) -> Mapping:
        """The LLM's reading, or the fallback's when the LLM cannot be used (the message says so)."""
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
        if len(text) > MAX_QUESTION_CHARS:  # the service refuses these first; a direct caller pays no call
            return Mapping(
                status="refused",
                mapper=self.name,
                message="refused: the question is too long; ask one thing at a time",
            )
        reason = refused_by_rules(text)
        if reason:  # before the model: no reply can answer what crq will not do
            return Mapping(status="refused", message=reason, mapper="offline")
        as_of = self.as_of or dt.datetime.now(dt.UTC).date()
        prompt = self.prompts.for_question(text, previous)
        messages = build_messages(self.model, text, previous, as_of, system=prompt.system)
        if _chars(messages) > MAX_REQUEST_CHARS:
            return Mapping(
                status="clarify",
                complete=False,
                mapper=self.name,
                message="the conversation is too long to send to the language model; ask the question "
                "on its own",
            )
        deadline = time.monotonic() + self.settings.question_timeout
        repairs_left = self.settings.repair_attempts
        purpose = "map"
        while True:
            completion = self._complete(messages, prompt, purpose, deadline)
            if completion.refusal:
                self._log(completion, "ok", purpose)
                return Mapping(
                    status="refused",
                    message=f"refused by the language model: {model_words(completion.refusal)}",
                    mapper=self.name,
                )
            try:
                reply = parse_reply(completion.content, prompt.schema)
            except Exception as e:  # ReplyError, or anything a reply can make a parser raise
                problem = (
                    e if isinstance(e, ReplyError) else ReplyError(f"unreadable reply ({type(e).__name__})")
                )
                self._log(completion, "invalid", purpose, error="invalid_reply")
                if repairs_left == 0:
                    raise LLMUnavailable("invalid_reply", clip(str(problem), 200)) from None
                repairs_left -= 1
                purpose = "repair"
                messages = _repair(messages, completion.content, f"Your reply could not be used: {problem}.")
                continue
            self._log(completion, "ok", purpose)
            if reply.status != "answered" or reply.intent is None:
                return _declined(reply.status, reply.message, reply.suggestions, self.name)
            intent = reply.intent
            if previous is not None and reply.follow_up:
                earlier = previous.model_copy(update={"previous": None})
                intent = intent.model_copy(update={"previous": earlier})
            failure = self._check(text, intent, as_of)
            if failure is None:
                return Mapping(
                    status="answered", intent=intent, message=interpreted_as(intent), mapper=self.name
                )
            message, feedback, choices = failure
            if repairs_left == 0 or not feedback:
                return Mapping(
                    status="clarify",
                    message=message,
                    suggestions=choices or _suggestions(reply.suggestions),
                    complete=False,
                    mapper=self.name,
                )
            repairs_left -= 1
            purpose = "repair"
            messages = _repair(messages, completion.content, feedback)

    def _check(
        self, question: str, intent: Intent, as_of: dt.date
    ) -> tuple[str, str, tuple[str, ...]] | None:
        """None when ``intent`` compiles and computes what the question names; else what to tell the
        user, what to tell the model for a repair, and choices to offer."""
        try:
            compile(intent, self.model, as_of=as_of)
        except UserError as e:
            said = clip(_visible(str(e)), 400)
            choices = tuple(e.choices[:8]) if isinstance(e, IntentError) else ()
            feedback = (
                f"crq could not compile that intent: {said}. Reply again with a corrected intent, "
                "or with status clarify if this model cannot answer the question."
            )
            return f"I could not build that query: {said}", feedback, choices
        except Exception as e:  # a compiler bug must not take the question down with it
            logger.exception("compiling the LLM's intent failed")
            return f"I could not build that query ({type(e).__name__})", "", ()
        asked = self.prompts.mentioned_metrics(question)
        if asked and intent.metrics:
            related = any(self.prompts.related_metrics(m, a) for m in intent.metrics for a in asked)
            if not related:
                mismatch = (
                    f"the question names {', '.join(sorted(asked))}, but the intent computes "
                    f"{', '.join(intent.metrics)}"
                )
                feedback = (
                    f"crq checked that intent against the question: {mismatch}. Reply with the intent "
                    "for the question asked, or with status clarify."
                )
                return f"the language model's reading does not fit the question ({mismatch})", feedback, ()
        return None

    # --- one completion, with retries ---------------------------------------------------------------

    def _complete(
        self, messages: list[Message], prompt: QuestionPrompt, purpose: str, deadline: float
    ) -> _Completion:
        """One completion, retrying transient failures and malformed replies within the question's
        deadline; failed tries are logged here, the successful one by the caller once it is read.
        Raises ``LLMUnavailable``."""
        tries = self.settings.max_retries + 1
        sent = _chars(messages) + len(json.dumps(prompt.response_format))
        for attempt in range(tries):
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise LLMUnavailable(
                    "deadline", f"no usable reply within {self.settings.question_timeout:g} s"
                )
            budget = min(self.settings.timeout, remaining)
            start = time.perf_counter()
            try:
                with self.stage("llm"):  # each try its own span: retries show as such in a trace
                    body = self._post(messages, prompt.response_format, budget)
                completion = read_completion(body)
            except Exception as e:  # classified below; anything unexpected is re-raised
                failure = _classify(e)
                latency = (time.perf_counter() - start) * 1000
                delay = self._delay(failure, attempt) if attempt + 1 < tries else None
                if delay is not None and time.monotonic() + delay >= deadline:
                    delay = None
                # a reply came back (and is billed) but was not a chat completion: its prompt counts
                billed = _tokens(sent) if failure.kind in _BILLED else 0
                self.usage_log.record(
                    model=self.llm_model,
                    outcome="retry" if delay is not None else "error",
                    error=failure.kind,
                    prompt_tokens=billed,
                    cost_usd=self.settings.cost(self.llm_model, billed, 0) if billed else None,
                    latency_ms=latency,
                    purpose=purpose,
                    attempt=attempt + 1,
                    tokens_estimated=bool(billed),
                )
                if delay is None:
                    raise LLMUnavailable(failure.kind, failure.detail) from e
                self.sleep(delay)
                continue
            completion.attempt = attempt + 1
            completion.latency_ms = (time.perf_counter() - start) * 1000
            completion.sent_chars = sent
            return completion
        raise AssertionError("unreachable: the last try returns or raises")  # pragma: no cover

    def _post(self, messages: list[Message], response_format: dict[str, Any], budget: float) -> bytes:
        """The response body of one call, complete within ``budget`` seconds whatever the server does.

        The SDK's timeout is per read, so a server trickling bytes never trips it; the body is read
        here in chunks against the deadline and the size cap, in a worker thread that this side stops
        waiting for at the deadline (headers sent a byte at a time hold the worker until its next read
        times out; the question does not wait for it)."""
        stop_at = time.monotonic() + budget
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def call() -> None:
            try:
                with self.client.chat.completions.with_streaming_response.create(
                    model=self.llm_model,
                    messages=cast(Any, messages),
                    temperature=0,
                    response_format=cast(Any, response_format),
                    timeout=budget,
                ) as response:
                    outcome["body"] = _read_body(response.iter_bytes(), stop_at)
            except BaseException as e:  # handed to the waiting side
                outcome["error"] = e
            finally:
                done.set()

        threading.Thread(target=call, name="crq-llm-call", daemon=True).start()
        if not done.wait(budget + _GRACE):
            raise _CallFailed("deadline", f"no complete reply within {budget:g} s", retryable=True)
        if "error" in outcome:
            raise outcome["error"]
        return cast(bytes, outcome["body"])

    def _delay(self, failure: _CallFailed, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None to give up: a Retry-After longer than
        ``max_retry_after`` is not worth waiting for in an interactive question."""
        if not failure.retryable:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= self.settings.max_retry_after else None
        return backoff_delay(attempt, self.settings.backoff_base, self.settings.backoff_max, self.rng)

    def _log(self, completion: _Completion, outcome: Any, purpose: str, error: str | None = None) -> None:
        """The usage line of a call that returned a reply (usable or not)."""
        prompt, output, cached, estimated = _usage(completion)
        cost = self.settings.cost(self.llm_model, prompt, output, cached)
        self.usage_log.record(
            model=self.llm_model,
            outcome=outcome,
            error=error,
            prompt_tokens=prompt,
            completion_tokens=output,
            cached_tokens=cached,
            cost_usd=cost,
            latency_ms=completion.latency_ms,
            purpose=purpose,
            attempt=completion.attempt,
            tokens_estimated=estimated,
        )


# --- reading what came back --------------------------------------------------------------------------


def _read_body(chunks: Any, stop_at: float) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise _CallFailed("too_large", f"a reply over {MAX_REPLY_BYTES // 1024} kB", retryable=True)
        if time.monotonic() > stop_at:
            raise _CallFailed("deadline", "the reply was still arriving at the deadline", retryable=True)
        parts.append(chunk)
    return b"".join(parts)


def read_completion(body: bytes) -> _Completion:
    """A chat-completion body -> its first choice's content and refusal, and its usage; a body that is
    not one (not JSON, nested 100,000 deep, a 5,000-digit number, ``choices`` not a list of objects,
    content not text) raises ``_CallFailed("bad_reply")``."""

    def bad(why: str) -> _CallFailed:
        return _CallFailed("bad_reply", f"the endpoint's reply {why}", retryable=True)

    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise bad(f"is not a JSON chat completion ({type(e).__name__})") from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise bad("has no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise bad("has no message")
    content, refusal = message.get("content"), message.get("refusal")
    if content is not None and not isinstance(content, str):
        raise bad("has content that is not text")
    if refusal is not None and not isinstance(refusal, str):
        raise bad("has a refusal that is not text")
    return _Completion(content, refusal.strip() or None if refusal else None, data.get("usage"))


def _usage(c: _Completion) -> tuple[int, int, int, bool]:
    """(prompt, completion, cached tokens, estimated): the endpoint's counts when they are counts,
    else estimates from the characters sent and received (``estimate_tokens``)."""
    usage = c.usage if isinstance(c.usage, dict) else {}
    prompt = sane_count(usage.get("prompt_tokens"))
    output = sane_count(usage.get("completion_tokens"))
    details = usage.get("prompt_tokens_details")
    raw_cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cached = sane_count(raw_cached) if raw_cached is not None else 0
    estimated = prompt is None or output is None or cached is None
    prompt = prompt if prompt is not None else _tokens(c.sent_chars)
    output = output if output is not None else estimate_tokens(c.content or c.refusal or "")
    if cached is None or cached > prompt:
        cached, estimated = 0, True
    return prompt, output, cached, estimated


def _tokens(chars: int) -> int:
    """``estimate_tokens`` of a text of ``chars`` characters."""
    return -(-chars // CHARS_PER_TOKEN)


def _classify(e: BaseException) -> _CallFailed:
    """Which failures are worth another try: rate limits, server errors, timeouts, lost connections,
    malformed replies."""
    import openai  # loaded by then: a client made the call

    if isinstance(e, _CallFailed):
        return e
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
    # the HTTP stack's own errors while the body streams in (the SDK wraps only the request itself)
    module = type(e).__module__.split(".")[0]
    if module.startswith(("httpx", "httpcore", "h11", "h2")) or isinstance(e, OSError):
        kind = "timeout" if "Timeout" in type(e).__name__ else "connection"
        return _CallFailed(kind, f"the reply was cut off ({type(e).__name__})", retryable=True)
    raise e  # a bug, or KeyboardInterrupt and the like: not a failure of the endpoint


# --- what goes back to the model, and what the user is shown --------------------------------------------


def _repair(messages: list[Message], content: str | None, feedback: str) -> list[Message]:
    """The conversation so far plus the model's reply (cut short) and what was wrong with it."""
    return [
        *messages,
        {"role": "assistant", "content": clip(content or "", MAX_ECHO_CHARS)},
        {"role": "user", "content": clip(f"{feedback} Reply again.", MAX_FEEDBACK_CHARS)},
    ]


def _chars(messages: list[Message]) -> int:
    return sum(len(m.get("content") or "") for m in messages)


# C0 controls, DEL, C1 controls, bidi overrides and isolates, zero-width and other format characters
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _visible(text: str) -> str:
    """``text`` on one line with every control or bidi character written as an escape."""
    text = " ".join(str(text).split())
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def model_words(text: str, limit: int = MAX_SAID_CHARS) -> str:
    """What the language model wrote, quoted as its words: one line, escaped, cut to ``limit``."""
    return f"“{clip(_visible(text), limit)}”"


def _suggestions(suggestions: Sequence[object]) -> tuple[str, ...]:
    """The model's suggested questions (whatever its reply holds): text only, escaped, cut short, at
    most ``MAX_SUGGESTIONS``."""
    out = (clip(_visible(s), MAX_SUGGESTION_CHARS) for s in suggestions if isinstance(s, str))
    return tuple(s for s in out if s)[:MAX_SUGGESTIONS]


def _declined(status: str, said: str, suggestions: Sequence[str], mapper: str) -> Mapping:
    """A clarify or refused reply, with the model's message labelled as the model's."""
    if status == "refused":
        message = (
            f"refused by the language model: {model_words(said)}"
            if said
            else "refused: that is not something crq can answer"
        )
    else:
        message = (
            f"the language model asks: {model_words(said)}" if said else "could you say that differently?"
        )
    return Mapping(
        status=cast(Any, status),
        message=message,
        suggestions=_suggestions(suggestions),
        complete=status != "clarify",
        mapper=mapper,
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
    from openai import OpenAI  # ~0.3 s of import: only where an LLM is configured, never at cold start

    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return OpenAI(base_url=settings.base_url, api_key=key, timeout=settings.timeout, max_retries=0)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "LLMMapper",
    "LLMUnavailable",
    "backoff_delay",
    "make_client",
    "model_words",
    "offline_instead",
    "read_completion",
    "refused_by_rules",
    "retry_after_seconds",
]
