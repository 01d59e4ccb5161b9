"""The chat API's request and response bodies: one set of pydantic models for validation, the handler
and the OpenAPI document (docs/api/openapi.json is generated from these, never written by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.intent import MAX_DATE, MIN_DATE, Intent
from models.responses import MAX_QUESTION_CHARS, Answer

MAX_BODY_BYTES = 64 * 1024

_LAZY = ConfigDict(defer_build=True)
"""For the bodies of the routes other than POST /v1/chat: their validators are built when first used
(or for the OpenAPI document), not at import, so a container that only answers questions, as most
do, never pays for them (~0.3 ms each; the chat route's own bodies are built on import as before)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    as_of: dt.date | None = Field(
        default=None, description="the date 'today' means (YYYY-MM-DD); default: today in UTC"
    )
    timezone: str = Field(default="UTC", description="IANA time zone for time buckets, e.g. Europe/Paris")

    @field_validator("as_of")
    @classmethod
    def _as_of_in_range(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and not MIN_DATE <= v <= MAX_DATE:
            raise ValueError(f"as_of must be within {MIN_DATE}..{MAX_DATE}")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as UTC or Europe/Paris"
            ) from None
        return v


class _Runnable(_Request):
    run_async: bool = Field(
        default=False,
        alias="async",
        description="true: answer 202 with a job to poll (GET /v1/jobs/{id}) instead of waiting; crq "
        "also makes a job by itself of a query that looks heavy or runs past the synchronous budget",
    )


class ChatRequest(_Runnable):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="the question, in English")
    conversation_id: str | None = Field(
        default=None,
        max_length=64,
        description="send the id an earlier answer returned to ask a follow-up in that conversation",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("question is empty")
        return v


class QueryRequest(_Runnable):
    model_config = _LAZY
    intent: Intent = Field(description="a structured intent over the model (see GET /v1/catalog for names)")


class ChatAnswer(Answer):
    """An answer with where it belongs: the conversation to follow up in, the request to quote."""

    conversation_id: str | None = None
    request_id: str = ""


class JobAccepted(BaseModel):
    """202: the question runs as a job; poll ``status_url`` for its answer."""

    job_id: str
    status: Literal["queued"] = "queued"
    status_url: str = Field(description="GET it for the job's status and, when done, its answer")
    reason: str = Field(description="why a job: asked for, a heavy query, or past the synchronous budget")
    conversation_id: str | None = None
    request_id: str = ""


class JobError(BaseModel):
    model_config = _LAZY
    code: str = Field(description="query_timeout, unavailable, worker_lost, forbidden, invalid_intent")
    message: str


class JobStatus(BaseModel):
    model_config = _LAZY
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    attempts: int = Field(description="runs started so far (a failed run of a transient fault is retried)")
    submitted_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: JobError | None = None
    answer: ChatAnswer | None = Field(
        default=None, description="when done: the same answer a synchronous request gets"
    )
    result_url: str | None = Field(
        default=None,
        description="when the result was too large to keep inline: a short-lived URL of the whole "
        "answer as JSON (``answer.rows`` is then empty)",
    )


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable: invalid_request, not_found, ...")
    message: str
    request_id: str = ""


class ErrorBody(BaseModel):
    error: ErrorDetail


class CatalogDimension(BaseModel):
    model_config = _LAZY
    name: str
    table: str
    description: str = ""
    values: list[str] | None = Field(default=None, description="the values, where the model enumerates them")


class CatalogMetric(BaseModel):
    model_config = _LAZY
    name: str
    description: str = ""
    format: str | None = Field(
        default=None, description="how its numbers are shown: currency, gb, integer, percent (0-1 "
        "values), share (0-100 values), number, or a unit's name (TB, hours)"
    )
    unit: str | None = Field(default=None, description="its unit (USD, GB, percent, ...); null: a number")


class CatalogSegment(BaseModel):
    model_config = _LAZY
    name: str
    description: str = ""


class Catalog(BaseModel):
    model_config = _LAZY
    model: str
    metrics: list[CatalogMetric]
    dimensions: list[CatalogDimension]
    segments: list[CatalogSegment]
    questions: list[str] = Field(description="verified questions, good suggestions to start with")


class Turn(BaseModel):
    model_config = _LAZY
    question: str
    status: str
    answer: str = ""
    request_id: str = ""
    at: dt.datetime


class Conversation(BaseModel):
    model_config = _LAZY
    conversation_id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    turns: list[Turn]


class Health(BaseModel):
    model_config = _LAZY
    status: Literal["ok", "degraded"]
    database: bool
    model: str
    views: dict[str, str] = Field(default_factory=dict, description="view -> fresh, stale, not built")
    version: str
