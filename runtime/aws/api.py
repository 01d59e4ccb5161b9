"""The chat API's Lambda entry point: ``handler(event, context)``.

One handler for every way API Gateway can call it: HTTP API (payload 2.0), REST API (payload 1.0)
proxy events and Lambda function URLs; each gets the Powertools resolver made for its shape, all
sharing one set of routes. What is expensive (the model, the database connections, the mapper) is
built once per container, on the first request, and reused; the routes only translate HTTP to
``Service`` calls and errors to ``{"error": {"code", "message", "request_id"}}`` with the right status.
``crq serve`` (runtime/server.py) calls this same handler with payload 2.0 events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import threading
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from pathlib import Path as PathType
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    LambdaFunctionUrlResolver,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, CORSConfig, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseContentModel
from aws_lambda_powertools.metrics import MetricUnit

from models.access import UNRESTRICTED, AccessPolicy, Caller, Scope
from models.api import (
    MAX_BODY_BYTES,
    Catalog,
    CatalogDimension,
    CatalogMetric,
    CatalogSegment,
    ChatAnswer,
    ChatRequest,
    Conversation,
    ErrorBody,
    Health,
    JobAccepted,
    JobError,
    JobStatus,
    QueryRequest,
)
from models.errors import AccessDenied, CrqError, DatabaseError, QueryTimeout, UserError
from models.intent import Intent
from models.responses import Answer
from models.semantic_model import SemanticModel
from models.units import display_format
from runtime.app_store import owner_key
from runtime.aws.identity import Identity, identity_from
from runtime.conversations import ConversationStore
from runtime.database import DEFAULT_TIMEOUT_MS, Database, UrlSource
from runtime.jobs import (
    Job,
    JobQueue,
    JobRunner,
    JobSettings,
    JobState,
    JobStore,
    QueueUnavailable,
    ResultStore,
    heavy,
)
from runtime.service import Prepared, Service, build_service
from runtime.usage import UsageLog
from semantic.access import load_policy, visible_values

logger = Logger(service="crq", level=os.environ.get("CRQ_LOG_LEVEL", "INFO"))
metrics = Metrics(namespace="crq", service="crq")
# X-Ray only where it exists: importing its SDK costs ~0.5 s of cold start, for nothing outside Lambda
TRACING = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and os.environ.get(
    "POWERTOOLS_TRACE_DISABLED", ""
).lower() not in ("1", "true")
tracer = Tracer(service="crq") if TRACING else None
router = Router()


class ApiError(Exception):
    """An HTTP error with a stable code; the message is shown to the caller as is."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


# --- the container: built once, on the first request ------------------------------------------------


@dataclass
class Container:
    """What a Lambda container keeps between requests.

    ``reader`` answers questions; ``writer`` (the cluster's writer, when ``reader`` is a replica) takes
    reads when the replica cannot be reached; ``app`` (the API role's login) writes conversations, on
    the writer; without it the writer's or reader's login does. Either is a URL or a source that
    can fetch it again (a secret)."""

    model: SemanticModel
    reader: str | UrlSource
    writer: str | UrlSource | None = None
    app: str | UrlSource | None = None
    policy: AccessPolicy | None = None
    llm_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    queue: JobQueue | None = None
    """Where jobs go (SQS on AWS, in-process under ``crq serve``); None: no jobs, every query waits."""
    results: ResultStore | None = None
    job_settings: JobSettings = field(default_factory=JobSettings)
    statement_timeout_ms: int = DEFAULT_TIMEOUT_MS
    """The longest a synchronous query may run without jobs (CRQ_STATEMENT_TIMEOUT, seconds)."""
    services: dict[tuple[dt.date, str, Scope], Service] = field(default_factory=dict)
    scoped: dict[Scope, dict[str, list[str]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def from_env(cls) -> Container:
        from runtime.aws.secrets import secrets_from_env

        secrets = secrets_from_env()
        reader, writer = secrets.database_urls()
        model = _model()
        policy = _policy(os.environ.get("CRQ_ACCESS_FILE"), model)
        queue, results = None, None
        if queue_url := os.environ.get("CRQ_JOBS_QUEUE_URL"):
            from runtime.aws.queue import SqsQueue, client

            queue = SqsQueue(queue_url, client("sqs"))
        if bucket := os.environ.get("CRQ_RESULTS_BUCKET"):
            from runtime.aws.queue import S3Results, client

            results = S3Results(bucket, os.environ.get("CRQ_RESULTS_PREFIX", "results/"), client("s3"))
        timeout = os.environ.get("CRQ_STATEMENT_TIMEOUT")
        return cls(
            model, reader, writer, secrets.app_url(), policy, secrets.llm_env(), queue, results,
            JobSettings.from_env(), round(float(timeout) * 1000) if timeout else DEFAULT_TIMEOUT_MS,
        )  # fmt: skip

    def scope(self, who: Identity) -> Scope:
        """What the caller may see: their groups in the access policy. A local server without
        authentication (CRQ_AUTH=none) serves its one user everything; behind API Gateway, no policy
        means no rows, never all of them."""
        if who.source == "none":
            return UNRESTRICTED
        scope = self.policy.scope_for(Caller(who.subject, who.groups)) if self.policy else Scope()
        if scope.denied:
            why = "none of your groups" if self.policy else "no access policy (CRQ_ACCESS_FILE), so no one"
            raise ApiError(403, "forbidden", f"{why} may see rows of this inventory")
        return scope

    @cached_property
    def database(self) -> Database:
        timeout = self.statement_timeout_ms
        fallback = self.writer
        return Database(self.reader, fallback=fallback, on_fallback=_reader_unreachable, timeout_ms=timeout)

    @cached_property
    def conversations(self) -> ConversationStore:
        hours = float(os.environ.get("CRQ_CONVERSATION_TTL_HOURS") or 24)
        return ConversationStore(self.app or self.writer or self.reader, dt.timedelta(hours=hours))

    @cached_property
    def jobs(self) -> JobStore:
        """The API's view of the jobs table (submit, poll); workers have their own (``runner``)."""
        return JobStore(self.app or self.writer or self.reader, self.job_settings.ttl)

    @cached_property
    def runner(self) -> JobRunner:
        """What runs jobs in this container (the jobs Lambda, a worker, crq serve's worker thread):
        its own connections, the long timeout and the larger row cap."""
        settings = self.job_settings
        database = Database(
            self.reader,
            fallback=self.writer,
            on_fallback=_reader_unreachable,
            timeout_ms=round(settings.timeout_s * 1000),
            row_cap=settings.row_cap,
        )
        services: dict[tuple[dt.date, str], Service] = {}

        def service_for(as_of: dt.date, timezone: str) -> Service:
            if (as_of, timezone) not in services:
                if len(services) >= 8:
                    services.pop(next(iter(services)))
                services[as_of, timezone] = Service(self.model, database, None, as_of, timezone, stage=_stage)
            return services[as_of, timezone]

        conversations = ConversationStore(self.app or self.writer or self.reader)
        return JobRunner(
            JobStore(self.app or self.writer or self.reader, settings.ttl),
            service_for,
            settings,
            self.results,
            on_finish=lambda job, state, answer: _job_finished(conversations, job, state, answer),
            cancel=database.cancel,
        )

    @cached_property
    def known_values(self) -> dict[str, list[str]]:
        """Read once per container from ``crq_app.known_values``, which the containers share, so a
        cold start does not scan the tables; from the data when that row is missing or too old."""
        from runtime.known_values import ValueCache, max_age_from_env, shared_known_values

        cache = ValueCache(self.app or self.writer or self.reader, max_age_from_env())
        cache.sharing(self.conversations)  # one login as the API role for both, not two
        try:
            return shared_known_values(
                self.model, self.database, cache, lambda what, e: logger.warning(what, extra={"error": e})
            )
        finally:
            cache.close()

    def values_for(self, scope: Scope) -> dict[str, list[str]]:
        """The values read from the data that the caller's rows hold: all of them for a caller who
        sees everything; for a scoped one, read again under the scope (once per scope)."""
        from runtime.known_values import scoped_values

        if scope.unrestricted:
            return self.known_values
        with self.lock:
            if scope not in self.scoped:
                if len(self.scoped) >= 32:
                    self.scoped.pop(next(iter(self.scoped)))
                today = dt.datetime.now(dt.UTC).date()
                self.scoped[scope] = scoped_values(self.model, self.database, self.known_values, scope, today)
            return self.scoped[scope]

    def service(self, as_of: dt.date | None, timezone: str, scope: Scope) -> Service:
        """One service (and mapper) per as-of date, time zone and scope, kept for the container's life:
        the mapper (and the LLM prompt) knows only the values the caller's rows hold."""
        from runtime.mappers.settings import LLMSettings

        day = as_of or dt.datetime.now(dt.UTC).date()
        key = (day, timezone, scope)
        with self.lock:
            if key not in self.services:
                if len(self.services) >= 8:
                    self.services.pop(next(iter(self.services)))
                self.services[key] = build_service(
                    self.model,
                    self.database,
                    values=self.values_for(scope),
                    as_of=day,
                    timezone=timezone,
                    llm=LLMSettings.from_env(self.llm_env),
                    usage_log=MeteredUsageLog(_usage_path()),
                    stage=_stage,
                )
            return self.services[key]


_container: Container | None = None
_policies: dict[tuple[str, int], AccessPolicy] = {}


def _policy(path: str | None, model: SemanticModel) -> AccessPolicy | None:
    """The access policy file, read and checked once per process (a container rebuilt after a failed
    start, or restored from a SnapStart snapshot, does not read it again)."""
    if not path:
        return None
    if (path, id(model)) not in _policies:
        _policies[path, id(model)] = load_policy(path, model)
    return _policies[path, id(model)]


def _model() -> SemanticModel:
    """CRQ_MODEL (default: the shipped model), from its precompiled artefact when one beside it
    matches (runtime/model_artefact.py; the app layer ships one), else from the YAML, with a warning
    saying why the artefact was refused."""
    from runtime.model_artefact import load_for_container

    return load_for_container(os.environ.get("CRQ_MODEL") or None, warn=logger.warning).model


def _usage_path() -> PathType | None:
    """On Lambda only /tmp is writable; elsewhere $CRQ_HOME as for the CLI."""
    return PathType("/tmp/crq/usage.jsonl") if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else None


class ConfigurationError(Exception):
    """The container could not be built (model, policy, LLM settings): the operator's problem, logged
    in full; callers get a 500 that says nothing of the configuration."""


def container() -> Container:
    """The container, built on first use. A failure leaves nothing behind: the next request tries
    again (a database or Secrets Manager that was unreachable may be back)."""
    global _container
    if _container is None:
        try:
            _container = Container.from_env()
        except DatabaseError as e:  # secrets or database unreachable: the caller may retry
            logger.error("cannot reach the database or its secret", extra={"error": str(e)})
            raise ApiError(
                503, "unavailable", "crq cannot reach its database just now; try again shortly",
                {"Retry-After": "5"},
            ) from None  # fmt: skip
        except CrqError as e:
            logger.error("cannot build the container", extra={"error": str(e)})
            raise ConfigurationError from None
    return _container


def _stage(name: str) -> AbstractContextManager[object]:
    """An X-Ray subsegment per stage where tracing is on (the LLM's HTTP calls nest in ``map``)."""
    return tracer.provider.in_subsegment(f"## {name}") if tracer else nullcontext()


def _reader_unreachable(error: str) -> None:
    logger.warning("reader unreachable; reading from the writer", extra={"error": error})
    metrics.add_metric(name="reader_fallbacks", unit=MetricUnit.Count, value=1)


class MeteredUsageLog(UsageLog):
    """The LLM usage log, also counted in CloudWatch: calls, failures, tokens and estimated cost."""

    def record(self, **kwargs: Any) -> dict[str, Any]:
        line = super().record(**kwargs)
        metrics.add_metric(name="llm_calls", unit=MetricUnit.Count, value=1)
        if line["outcome"] != "ok":
            metrics.add_metric(name="llm_failed_calls", unit=MetricUnit.Count, value=1)
        tokens = line["prompt_tokens"] + line["completion_tokens"]
        metrics.add_metric(name="llm_tokens", unit=MetricUnit.Count, value=tokens)
        metrics.add_metric(name="llm_cost_usd", unit=MetricUnit.NoUnit, value=line["cost_usd"] or 0.0)
        return line


def _job_finished(conversations: ConversationStore, job: Job, state: JobState, answer: Answer | None) -> None:
    """A job ended: its conversation turn gets the outcome; one log line and metrics."""
    metrics.add_metric(name=f"jobs_{state.value}", unit=MetricUnit.Count, value=1)
    logger.info("job", extra={"job_id": job.id, "state": state.value, "attempts": job.attempts})
    if job.conversation_id:
        status, text = (answer.status, answer.answer) if answer else ("error", "the job failed")
        conversations.complete(job.conversation_id, job.request_id, status, text)


def use_container(c: Container | None) -> None:
    """Tests and ``crq serve`` hand the handler a container built their way (or None to rebuild)."""
    global _container
    _container = c


# --- routes ------------------------------------------------------------------------------------------

_CHAT_EXAMPLE = {"question": "Top 5 accounts by cost last month", "as_of": "2026-06-17"}
_QUERY_EXAMPLE = {
    "intent": {
        "metrics": ["cost"],
        "dimensions": ["region"],
        "time_range": {"kind": "trailing", "n": 30, "unit": "day"},
    },
    "as_of": "2026-06-17",
}


# real answers of the sample, recorded through this handler, shown in the OpenAPI document
_EXAMPLES = json.loads((PathType(__file__).parent / "examples.json").read_text())
_ERROR_EXAMPLES = {
    400: ("malformed_json", "the body is not valid JSON"),
    401: ("unauthenticated", "no caller identity in the request (is the API's authorizer set up?)"),
    403: ("forbidden", "none of your groups may see rows of this inventory"),
    404: ("conversation_not_found", "no such conversation (unknown, expired or not yours)"),
    413: ("payload_too_large", "the body is over 64 KB"),
    422: ("invalid_request", "question: Field required"),
    500: ("internal_error", "crq failed to answer; the request id identifies the failure"),
    503: ("database_unavailable", "the database is unavailable; try again shortly"),
    504: (
        "query_timeout",
        "the query ran longer than 10 s and was cancelled; narrow it with a filter or a shorter time range",
    ),
}


def _accepted() -> dict[int, OpenAPIResponse]:
    examples = {"job": {"value": _EXAMPLES["job"]}}
    content: OpenAPIResponseContentModel = {"model": JobAccepted, "examples": examples}
    description = "the question runs as a job: poll status_url"
    return {202: {"description": description, "content": {"application/json": content}}}


def _ok(description: str, model: type, example: str) -> dict[int, OpenAPIResponse]:
    examples = {example: {"value": _EXAMPLES[example]}}
    content: OpenAPIResponseContentModel = {"model": model, "examples": examples}
    return {200: {"description": description, "content": {"application/json": content}}}


def _errors(*statuses: int) -> dict[int, OpenAPIResponse]:
    def example(status: int) -> dict[str, Any]:
        code, message = _ERROR_EXAMPLES[status]
        return {code: {"value": {"error": {"code": code, "message": message, "request_id": "3f1c2a9e"}}}}

    return {
        s: {
            "description": HTTPStatus(s).phrase,
            "content": {"application/json": {"model": ErrorBody, "examples": example(s)}},
        }
        for s in statuses
    }


@router.post(
    "/v1/chat",
    summary="Ask a question (or a follow-up in a conversation)",
    responses=_ok("the answer; its status is answered, clarify, refused or error", ChatAnswer, "chat")
    | _accepted()
    | _errors(400, 401, 403, 404, 413, 422, 500, 503, 504),
)
def chat(
    request: Annotated[ChatRequest, Body(openapi_examples={"first": {"value": _CHAT_EXAMPLE}})],
) -> Response[ChatAnswer | JobAccepted]:
    who = _caller()
    c = container()
    scope = c.scope(who)
    store = c.conversations
    previous: Intent | None = None
    if request.conversation_id:
        found = store.previous(request.conversation_id, who.key)
        if found is False:
            raise ApiError(
                404, "conversation_not_found", "no such conversation (unknown, expired or not yours)"
            )
        previous = found
    service = c.service(request.as_of, request.timezone, scope)
    prepared = service.prepare(request.question, previous, scope)
    request_id = _request_id()
    if isinstance(prepared, Answer):
        answer = prepared
    else:
        outcome = _run_or_queue(c, service, prepared, request.run_async)
        if isinstance(outcome, str):  # why it became a job
            q, intent = prepared.question, prepared.intent
            cid = store.record_job(request.conversation_id, who.key, q, intent, request_id)
            return _submit(c, service, prepared, who, scope, outcome, cid)
        answer = outcome
    _observe(answer)
    conversation_id = store.record(request.conversation_id, who.key, answer, request_id)
    body = ChatAnswer(**answer.model_dump(), conversation_id=conversation_id, request_id=request_id)
    return Response(200, content_types.APPLICATION_JSON, body)


@router.post(
    "/v1/query",
    summary="Answer a structured intent (no language model involved)",
    responses=_ok("the answer", ChatAnswer, "query")
    | _accepted()
    | _errors(400, 401, 403, 413, 422, 500, 503, 504),
)
def query(
    request: Annotated[QueryRequest, Body(openapi_examples={"cost by region": {"value": _QUERY_EXAMPLE}})],
) -> Response[ChatAnswer | JobAccepted]:
    who = _caller()
    c = container()
    scope = c.scope(who)
    service = c.service(request.as_of, request.timezone, scope)
    prepared = service.prepare_intent(request.intent, scope=scope)
    if isinstance(prepared, Answer):  # an intent the compiler rejects is the caller's bad input
        raise ApiError(422, "invalid_intent", prepared.message)
    outcome = _run_or_queue(c, service, prepared, request.run_async)
    if isinstance(outcome, str):
        return _submit(c, service, prepared, who, scope, outcome, None)
    _observe(outcome)
    body = ChatAnswer(**outcome.model_dump(), request_id=_request_id())
    return Response(200, content_types.APPLICATION_JSON, body)


@router.get(
    "/v1/jobs/<job_id>",
    summary="A job's status and, when done, its answer",
    responses=_ok("the job; its answer once done", JobStatus, "job_status")
    | _errors(401, 403, 404, 422, 500, 503),
)
def job_status(job_id: Annotated[str, Path(max_length=64)]) -> JobStatus:
    who = _caller()
    c = container()
    c.scope(who)  # a caller removed from every group reads no old results either
    job = c.jobs.get(job_id, owner_key(who.key))
    if job is None:
        raise ApiError(404, "job_not_found", "no such job (unknown, expired or not yours)")
    answer, url = None, None
    if job.state is JobState.DONE and job.result is not None:
        answer = ChatAnswer(**job.result, conversation_id=job.conversation_id, request_id=job.request_id)
        if job.result_location and c.results:
            url = c.results.url(job.result_location)
    return JobStatus(
        job_id=job.id,
        status=job.state.value,
        attempts=job.attempts,
        submitted_at=job.submitted_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=JobError(**job.error) if job.error and job.state is JobState.FAILED else None,
        answer=answer,
        result_url=url,
    )


def _run_or_queue(c: Container, service: Service, prepared: Prepared, asked: bool) -> Answer | str:
    """The answer, or why the query must be a job instead: asked for; heavy (no view answers it and
    PostgreSQL plans it above CRQ_ASYNC_PLAN_COST); or it ran past the synchronous budget
    (CRQ_SYNC_BUDGET_S). Without a job queue, a query runs with the statement timeout, and one that
    hits it is a 504."""
    if c.queue is None:
        if asked:
            raise ApiError(
                400, "jobs_unavailable", "this API runs no jobs (no CRQ_JOBS_QUEUE_URL); ask without async"
            )
        try:
            return service.execute(prepared)
        except QueryTimeout as e:
            logger.warning("query timeout", extra={"error": str(e)})
            raise ApiError(504, "query_timeout", str(e)) from None
    if asked:
        return "asked for"
    if why := heavy(prepared, c.database, c.job_settings):
        return why
    budget = c.job_settings.sync_budget_s
    try:
        return service.execute(prepared, timeout_ms=round(budget * 1000))
    except QueryTimeout:
        return f"it ran past the synchronous budget of {budget:g} s"


def _submit(
    c: Container, service: Service, prepared: Prepared, who: Identity, scope: Scope, why: str, cid: str | None
) -> Response[ChatAnswer | JobAccepted]:
    """A job row, then its message; when the queue refuses it, no job is left behind (503)."""
    assert c.queue is not None
    job = c.jobs.create(
        owner=owner_key(who.key),
        question=prepared.question,
        conversation_id=cid,
        request_id=_request_id(),
        as_of=service.as_of,
        timezone=service.timezone,
        intent=prepared.intent,
        scope=scope,
        sql=prepared.compiled.sql,
        mapper=prepared.mapper,
        note=prepared.note,
    )
    try:
        c.queue.send(job.id)
    except QueueUnavailable as e:
        c.jobs.delete(job.id)
        if cid:
            c.conversations.complete(cid, _request_id(), "error", str(e))
        raise ApiError(503, "queue_unavailable", str(e), {"Retry-After": "5"}) from None
    metrics.add_metric(name="jobs_submitted", unit=MetricUnit.Count, value=1)
    url, rid = _status_url(job.id), _request_id()
    body = JobAccepted(job_id=job.id, status_url=url, reason=why, conversation_id=cid, request_id=rid)
    return Response(202, content_types.APPLICATION_JSON, body, headers={"Location": url})


def _status_url(job_id: str) -> str:
    """Where to poll, as the caller reached this API: REST APIs put the stage first (/prod/v1/...)."""
    context = _event().get("requestContext") or {}
    path = str(context.get("path") or (context.get("http") or {}).get("path") or "")
    prefix = path[: path.find("/v1/")] if "/v1/" in path else ""
    return f"{prefix}/v1/jobs/{job_id}"


@router.get(
    "/v1/catalog",
    summary="What the caller can ask about",
    responses=_ok("the caller's catalog", Catalog, "catalog") | _errors(401, 403, 422, 500),
)
def catalog() -> Catalog:
    scope = container().scope(_caller())
    model = container().model
    enums = visible_values(scope, model)
    found = container().values_for(scope)
    dims = [
        CatalogDimension(
            name=d.name,
            table=t.name,
            description=d.description,
            values=list(enums.get(d.name, ())) or found.get(d.name) or None,
        )
        for t in model.tables
        for d in t.dimensions
        if not d.tags
    ]
    return Catalog(
        model=model.name,
        metrics=[
            CatalogMetric(name=m.name, description=m.description, format=display_format(m.unit), unit=m.unit)
            for m in model.metrics
        ],
        dimensions=dims,
        segments=[CatalogSegment(name=s.name, description=s.description) for s in model.segments],
        questions=[q.question for q in model.verified_queries],
    )


@router.get(
    "/v1/conversations/<conversation_id>",
    summary="A conversation's turns",
    responses=_ok("the conversation", Conversation, "conversation") | _errors(401, 404, 422, 500),
)
def conversation(conversation_id: Annotated[str, Path(max_length=64)]) -> Conversation:
    who = _caller()
    container().scope(who)  # a caller removed from every group reads no old answers either
    found = container().conversations.get(conversation_id, who.key)
    if found is None:
        raise ApiError(404, "conversation_not_found", "no such conversation (unknown, expired or not yours)")
    return found


@router.get(
    "/v1/health",
    summary="Database, model and views",
    responses=_ok("health", Health, "health") | _errors(422, 500),
)
def health() -> Health:
    c = container()
    views: dict[str, str] = {}
    try:
        c.database.execute("SELECT 1", {})
        reachable = True
        from runtime.materialized_views import ViewManager, read_states

        for s in ViewManager(c.database.url, c.model).status(states=read_states(c.database)):
            views[s.name] = "fresh" if s.usable else "not built" if not s.built else "stale"
    except CrqError:
        reachable = False
    ok = reachable and all(v == "fresh" for v in views.values())
    return Health(
        status="ok" if ok else "degraded",
        database=reachable,
        model=c.model.name,
        views=views,
        version=_version(),
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # 30 ms of import: not at cold start

    try:
        return version("cloud-resource-query")
    except PackageNotFoundError:
        return "unknown"


# --- what happened: one log line, metrics and trace annotations per answer ---------------------------


def _observe(answer: Answer) -> None:
    _current.answer = answer
    metrics.add_metric(name=answer.status, unit=MetricUnit.Count, value=1)
    for stage, ms in answer.timings_ms.items():
        metrics.add_metric(name=f"{stage}_ms", unit=MetricUnit.Milliseconds, value=ms)
    if answer.status == "answered":
        metrics.add_metric(name="rows", unit=MetricUnit.Count, value=len(answer.rows))
        metrics.add_metric(name="truncated", unit=MetricUnit.Count, value=int(answer.truncated))
        metrics.add_metric(name="view_hits", unit=MetricUnit.Count, value=int(bool(answer.materialization)))
    if tracer:
        tracer.put_annotation(key="status", value=answer.status)
        tracer.put_annotation(key="view", value=answer.materialization or "base tables")


def _log_request(event: Mapping[str, Any], status: int) -> None:
    """One JSON line per request: enough to find it, see what was answered and how long each stage took
    (the caller as a hash; never the question's data rows, never a secret)."""
    who = identity_from(event)
    http = (event.get("requestContext") or {}).get("http") or {}
    answer: Answer | None = getattr(_current, "answer", None)
    line: dict[str, Any] = {
        "request_id": _request_id(),
        "caller": owner_key(who.key)[:16] if who else None,
        "route": f"{http.get('method') or event.get('httpMethod')} {http.get('path') or event.get('path')}",
        "status_code": status,
    }
    if answer is not None:
        line |= {
            "result": answer.status,
            "mapper": answer.mapper,
            "intent": answer.intent.model_dump(mode="json", exclude_defaults=True) if answer.intent else None,
            "sql_hash": hashlib.sha256(answer.sql.encode()).hexdigest()[:16] if answer.sql else None,
            "view": answer.materialization,
            "rows": len(answer.rows),
            "truncated": answer.truncated,
            "timings_ms": answer.timings_ms,
        }
    logger.info("request", extra=line)


# --- who is asking -----------------------------------------------------------------------------------


def _caller() -> Identity:
    who = identity_from(_event())
    if who is not None:
        return who
    if os.environ.get("CRQ_AUTH") == "none" and not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return Identity("local", (), "none")
    raise ApiError(
        401, "unauthenticated", "no caller identity in the request (is the API's authorizer set up?)"
    )


_current = threading.local()


def _event() -> Mapping[str, Any]:
    return getattr(_current, "event", {})


def _request_id() -> str:
    return getattr(_current, "request_id", "")


# --- errors ------------------------------------------------------------------------------------------

# every route and its methods, so an unknown method on a known path is a 405, not a 404
_ROUTES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"/v1/chat"), ("POST",)),
    (re.compile(r"/v1/query"), ("POST",)),
    (re.compile(r"/v1/catalog"), ("GET",)),
    (re.compile(r"/v1/conversations/[^/]+"), ("GET",)),
    (re.compile(r"/v1/jobs/[^/]+"), ("GET",)),
    (re.compile(r"/v1/health"), ("GET",)),
)


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response[str]:
    metrics.add_metric(name=f"errors_{code}", unit=MetricUnit.Count, value=1)
    body = {"error": {"code": code, "message": message, "request_id": _request_id()}}
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body), headers=dict(headers or {}))


def _install(app: ApiGatewayResolver) -> ApiGatewayResolver:
    app.include_router(router)

    @app.exception_handler(ApiError)
    def _api_error(e: ApiError) -> Response[str]:
        return _error(e.status, e.code, e.message, e.headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(e: RequestValidationError) -> Response[str]:
        errors = e.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            return _error(400, "malformed_json", "the body is not valid JSON")
        return _error(422, "invalid_request", "; ".join(_describe(err) for err in errors[:5]))

    @app.exception_handler(AccessDenied)
    def _denied(e: AccessDenied) -> Response[str]:
        return _error(403, "forbidden", str(e))

    @app.exception_handler(UserError)
    def _user_error(e: UserError) -> Response[str]:
        return _error(422, "invalid_request", str(e))

    @app.exception_handler(DatabaseError)
    def _database(e: DatabaseError) -> Response[str]:
        """Never the server's own words (they name hosts, ports and objects): the log keeps those."""
        logger.error("database error", extra={"error": str(e)})
        message = "the database is unavailable; try again shortly"
        return _error(503, "database_unavailable", message, {"Retry-After": "5"})

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        path = app.current_event.path
        for pattern, methods in _ROUTES:
            if pattern.fullmatch(path):
                allowed = ", ".join(methods)
                return _error(405, "method_not_allowed", f"{path} accepts {allowed}", {"Allow": allowed})
        return _error(404, "not_found", f"no route {path}; the API lives under /v1")

    @app.exception_handler(ConfigurationError)
    def _misconfigured(e: ConfigurationError) -> Response[str]:
        return _error(
            500, "internal_error", "crq is not configured correctly; the operators have the details"
        )

    @app.exception_handler(Exception)
    def _bug(e: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return _error(500, "internal_error", "crq failed to answer; the request id identifies the failure")

    return app


def _describe(err: Mapping[str, Any]) -> str:
    where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
    return f"{where}: {err.get('msg', 'invalid')}"


def cors_config(env: Mapping[str, str] = os.environ) -> CORSConfig | None:
    """CORS for a page on another origin (the demo page on S3 or CloudFront): the origins listed in
    CRQ_CORS_ORIGINS (comma-separated, e.g. https://d111.cloudfront.net); none by default, so no
    browser page elsewhere may read answers. Read once, when the container starts."""
    origins = [o.strip().rstrip("/") for o in env.get("CRQ_CORS_ORIGINS", "").split(",") if o.strip()]
    if not origins:
        return None
    return CORSConfig(allow_origin=origins[0], extra_origins=origins[1:], max_age=600)


_HTTP = _install(APIGatewayHttpResolver(enable_validation=True, cors=cors_config()))
_REST = _install(APIGatewayRestResolver(enable_validation=True, cors=cors_config()))
_URL = _install(LambdaFunctionUrlResolver(enable_validation=True, cors=cors_config()))


def _resolver(event: Mapping[str, Any]) -> ApiGatewayResolver:
    if event.get("version") == "2.0" or "http" in (event.get("requestContext") or {}):
        domain = str((event.get("requestContext") or {}).get("domainName", ""))
        return _URL if ".lambda-url." in domain else _HTTP
    return _REST


def _too_large(event: Mapping[str, Any]) -> bool:
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
    return size > MAX_BODY_BYTES


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def _handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (configured as ``runtime.aws.api.handler``)."""
    _current.event, _current.answer = event, None
    _current.request_id = (
        getattr(context, "aws_request_id", None)
        or (event.get("requestContext") or {}).get("requestId")
        or uuid.uuid4().hex
    )
    metrics.add_metric(name="requests", unit=MetricUnit.Count, value=1)
    try:
        if _too_large(event):
            result = _response(413, "payload_too_large", f"the body is over {MAX_BODY_BYTES // 1024} KB")
        else:
            result = _resolver(event).resolve(_as_json(event), context)
        _log_request(event, int(result.get("statusCode", 0)))
        return result
    finally:
        _current.event, _current.answer = {}, None


# answers can be large; X-Ray needs only the timings and annotations
handler = tracer.capture_lambda_handler(_handler, capture_response=False) if tracer else _handler


def before_snapshot() -> None:
    """Lambda SnapStart (deploy/terraform: ``snap_start``): what every new container would repeat is
    done once, when a version is published, and restored from the snapshot: the modules the first
    request imports (the mappers, boto3, the secrets provider), the model loaded and validated, the
    access policy read, the answer template compiled. Nothing that must be fresh after a restore: no
    secret, no connection, no AWS client (its credentials expire), no random state (the LLM's backoff
    jitter is seeded per mapper, built after the restore)."""
    import boto3  # noqa: F401
    from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: F401

    from runtime import known_values  # noqa: F401
    from runtime.answer import load_templates
    from runtime.aws import secrets  # noqa: F401
    from runtime.mappers import factory  # noqa: F401

    _policy(os.environ.get("CRQ_ACCESS_FILE"), _model())
    load_templates()


if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
    # the hook library is part of Lambda's Python runtimes (snapshot-restore-py), not of the layers
    from snapshot_restore_py import register_before_snapshot

    register_before_snapshot(before_snapshot)


def _as_json(event: dict[str, Any]) -> dict[str, Any]:
    """Every body is JSON, whatever Content-Type says (``curl -d`` sends a form type by default)."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {**event, "headers": {**headers, "content-type": "application/json"}} | (
        {"multiValueHeaders": {**multi, "content-type": ["application/json"]}}
        if "multiValueHeaders" in event
        else {}
    )


def _response(status: int, code: str, message: str) -> dict[str, Any]:
    """An error answered before any resolver runs (a body too large to parse), in the proxy format."""
    error = _error(status, code, message)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": error.body}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of these routes, from the same pydantic models the handler validates."""
    text = _HTTP.get_openapi_json_schema(
        title="crq chat API",
        version=_version(),
        description="Questions about a cloud estate, answered with numbers from vetted SQL (docs/api.md).",
    )
    document: dict[str, Any] = json.loads(text)
    return document
