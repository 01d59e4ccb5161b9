"""Long queries as jobs: a row in ``crq_app.jobs`` and a queue message carrying only the job's id.

The chat API makes a job of a request when asked (``"async": true``), when the query looks heavy (no
materialized view answers it and PostgreSQL's plan cost is over ``CRQ_ASYNC_PLAN_COST``) or when the
synchronous attempt runs past ``CRQ_SYNC_BUDGET_S``. Whatever consumes the queue (the jobs Lambda,
``crq jobs worker`` on ECS/Fargate, the in-process worker of ``crq serve``) calls ``JobRunner.process``:

- **claim**: queued -> running in one UPDATE that takes a lease (the job timeout plus a margin). A
  second delivery of the message finds the job running (come back later) or finished (nothing to do),
  so a job never runs twice at once and a finished one never again.
- **run**: the stored intent, compiled again under the stored access scope, with the long timeout.
- **finish**: fenced on the attempt number, so a worker that lost its lease cannot overwrite a result.
- **fail**: a transient failure (the database went away) puts the job back while attempts remain, and
  the message comes back; the last attempt marks the job failed with the reason, and the message goes
  on to the dead-letter queue. A failure that would only repeat (the long timeout hit; a name the
  model no longer has) fails the job at once.
- **sweep**: jobs whose worker died (lease over) or whose message was never sent go out again.

Nothing here knows SQS or S3 (runtime/aws/queue.py does): a queue is anything with ``send(job_id)``.
"""

from __future__ import annotations

import builtins  # `list` inside JobStore is its method
import datetime as dt
import hashlib
import json
import logging
import math
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from psycopg.types.json import Jsonb

from models.access import Scope
from models.errors import AccessDenied, CrqError, DatabaseError, QueryTimeout
from models.intent import Intent
from models.responses import Answer
from runtime.app_store import AppStore, app_sql
from runtime.database import Database, UrlSource
from runtime.service import Prepared, Service

log = logging.getLogger("crq.jobs")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = (JobState.DONE, JobState.FAILED)


class QueueUnavailable(CrqError):
    """The job could not be handed to the queue; no job was left behind."""


class RetryLater(Exception):
    """The message must come back: a transient failure, or the job is running elsewhere."""


class GaveUp(Exception):
    """The job used its last attempt and is marked failed; its message goes on to the dead-letter
    queue (reported failed once more, SQS moves it there), where an operator sees it."""


class UnknownJob(Exception):
    """A message names no job (or is not a job message at all): it belongs in the dead-letter queue."""


@dataclass(frozen=True)
class JobSettings:
    """How the API and the workers treat jobs (environment variables, defaults for a Lambda)."""

    sync_budget_s: float = 5.0
    """CRQ_SYNC_BUDGET_S: a synchronous query running longer becomes a job."""
    timeout_s: float = 300.0
    """CRQ_JOB_TIMEOUT_S: the statement timeout of a job."""
    plan_cost: float = 2_000_000.0
    """CRQ_ASYNC_PLAN_COST: a base-table query PostgreSQL plans above this cost goes straight to a job
    (``off``: never)."""
    max_attempts: int = 3
    """CRQ_JOB_MAX_ATTEMPTS: runs before a job is failed (the queue's maxReceiveCount matches it)."""
    row_cap: int = 100_000
    """CRQ_JOB_ROW_CAP: rows a job keeps (a synchronous answer keeps 1,000)."""
    inline_bytes: int = 256 * 1024
    """CRQ_RESULT_INLINE_BYTES: bigger results go to the results bucket, when there is one."""
    lease_margin_s: float = 60.0
    """CRQ_JOB_LEASE_MARGIN_S: how long past its timeout a running job is left alone before another
    delivery (or the sweeper) deems its worker dead and takes it over."""
    resend_after_s: float = 900.0
    """CRQ_JOB_RESEND_AFTER_S: a queued job not claimed for this long (its message lost) is sent
    again by the sweeper; longer than the queue's visibility timeout."""
    ttl: dt.timedelta = dt.timedelta(days=7)
    """CRQ_JOB_TTL_HOURS: finished jobs and their results are deleted after this."""

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str] | None = None) -> JobSettings:
        env = os.environ if env is None else env
        d = cls()

        def number(name: str, default: float) -> float:
            text = env.get(name)
            if text == "off" and name == "CRQ_ASYNC_PLAN_COST":
                return math.inf
            try:
                value = float(text) if text else default
            except ValueError:
                raise CrqError(f"{name} must be a number of seconds or a count, not {text!r}") from None
            if value <= 0:
                raise CrqError(f"{name} must be positive, not {text!r}")
            return value

        return cls(
            sync_budget_s=number("CRQ_SYNC_BUDGET_S", d.sync_budget_s),
            timeout_s=number("CRQ_JOB_TIMEOUT_S", d.timeout_s),
            plan_cost=number("CRQ_ASYNC_PLAN_COST", d.plan_cost),
            max_attempts=int(number("CRQ_JOB_MAX_ATTEMPTS", d.max_attempts)),
            row_cap=int(number("CRQ_JOB_ROW_CAP", d.row_cap)),
            inline_bytes=int(number("CRQ_RESULT_INLINE_BYTES", d.inline_bytes)),
            lease_margin_s=number("CRQ_JOB_LEASE_MARGIN_S", d.lease_margin_s),
            resend_after_s=number("CRQ_JOB_RESEND_AFTER_S", d.resend_after_s),
            ttl=dt.timedelta(hours=number("CRQ_JOB_TTL_HOURS", d.ttl.total_seconds() / 3600)),
        )

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.timeout_s + self.lease_margin_s)


@dataclass(frozen=True)
class Job:
    id: str
    owner: str
    question: str
    conversation_id: str | None
    request_id: str
    as_of: dt.date
    timezone: str
    intent: Intent
    scope: Scope
    sql_hash: str
    state: JobState
    attempts: int
    error: dict[str, str] | None
    result: dict[str, Any] | None
    result_location: str | None
    submitted_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    claim: str | None = None
    """The token of the run holding the job: every later write of that run is fenced on it, so a run
    that lost the job (released, or its lease taken over) cannot write over the one that has it."""
    mapper: str | None = None
    """Which mapper read the question, and what it noted: the answer says so, as a synchronous one."""
    note: str = ""


_COLUMNS = (
    "id, owner, question, conversation_id, request_id, as_of, timezone, intent, scope, sql_hash, "
    "status, attempts, error, result, result_location, submitted_at, started_at, finished_at, claim, "
    "mapper, note"
)


def _job(row: tuple[Any, ...]) -> Job:
    (id_, owner, question, cid, rid, as_of, tz, intent, scope, sql_hash, state, attempts, error, result,
     location, submitted, started, finished, claim, mapper, note) = row  # fmt: skip
    return Job(
        id_, owner, question, cid, rid, as_of, tz, Intent.model_validate(intent), Scope.from_json(scope),
        sql_hash, JobState(state), attempts, error, result, location, submitted, started, finished, claim,
        mapper, note,
    )  # fmt: skip


def sql_hash(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


class JobStore(AppStore):
    """The jobs table. Every change of state is one UPDATE guarded by the state it expects, so two
    workers, a sweeper and an operator can act on one job at once and only one of them wins."""

    ddl = tuple(
        app_sql(s)
        for s in (
            "CREATE TABLE IF NOT EXISTS {s}.jobs (id text PRIMARY KEY, owner text NOT NULL, "
            "question text NOT NULL, conversation_id text, request_id text NOT NULL, as_of date NOT NULL, "
            "timezone text NOT NULL, intent jsonb NOT NULL, scope jsonb NOT NULL, sql_hash text NOT NULL, "
            "status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')), "
            "attempts integer NOT NULL DEFAULT 0, error jsonb, result jsonb, result_location text, "
            "submitted_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz, "
            "started_at timestamptz, finished_at timestamptz, lease_until timestamptz, claim text, "
            "mapper text, note text NOT NULL DEFAULT '')",
            "CREATE INDEX IF NOT EXISTS jobs_open ON {s}.jobs (status, submitted_at) "
            "WHERE status IN ('queued', 'running')",
            "CREATE INDEX IF NOT EXISTS jobs_finished ON {s}.jobs (finished_at)",
        )
    )
    purge = app_sql("DELETE FROM {s}.jobs WHERE finished_at < now() - %(ttl)s")
    what = "the job store"

    def __init__(self, url: str | UrlSource, ttl: dt.timedelta = JobSettings.ttl):
        super().__init__(url)
        self.ttl = ttl

    def purge_params(self) -> dict[str, Any]:
        return {"ttl": self.ttl}

    def create(
        self,
        *,
        owner: str,
        question: str,
        conversation_id: str | None,
        request_id: str,
        as_of: dt.date,
        timezone: str,
        intent: Intent,
        scope: Scope,
        sql: str,
        mapper: str | None = None,
        note: str = "",
    ) -> Job:
        rows = self.run(
            app_sql(
                "INSERT INTO {s}.jobs (id, owner, question, conversation_id, request_id, as_of, timezone, "
                "intent, scope, sql_hash, status, mapper, note) VALUES (%(id)s, %(owner)s, %(question)s, "
                "%(cid)s, %(rid)s, %(as_of)s, %(tz)s, %(intent)s, %(scope)s, %(hash)s, 'queued', "
                f"%(mapper)s, %(note)s) RETURNING {_COLUMNS}"
            ),
            {
                "id": secrets.token_urlsafe(16),
                "owner": owner,
                "question": question,
                "cid": conversation_id,
                "rid": request_id,
                "as_of": as_of,
                "tz": timezone,
                "intent": Jsonb(intent.model_dump(mode="json")),
                "scope": Jsonb(scope.to_json()),
                "hash": sql_hash(sql),
                "mapper": mapper,
                "note": note,
            },
        )
        return _job(rows[0])

    def delete(self, job_id: str) -> None:
        self.run(app_sql("DELETE FROM {s}.jobs WHERE id = %(id)s"), {"id": job_id})

    def sent(self, job_id: str) -> None:
        self.run(app_sql("UPDATE {s}.jobs SET sent_at = now() WHERE id = %(id)s"), {"id": job_id})

    def get(self, job_id: str, owner: str | None = None) -> Job | None:
        """A job; with ``owner``, only if it is theirs (someone else's job reads as unknown)."""
        rows = self.run(
            app_sql(
                f"SELECT {_COLUMNS} FROM {{s}}.jobs WHERE id = %(id)s AND owner = coalesce(%(owner)s, owner)"
            ),
            {"id": job_id, "owner": owner},
        )
        return _job(rows[0]) if rows else None

    def list(self, state: JobState | None = None, limit: int = 50) -> list[Job]:
        rows = self.run(
            app_sql(
                f"SELECT {_COLUMNS} FROM {{s}}.jobs WHERE status = coalesce(%(state)s, status) "
                "ORDER BY submitted_at DESC LIMIT %(limit)s"
            ),
            {"state": state.value if state else None, "limit": limit},
        )
        return [_job(r) for r in rows]

    def claim(self, job_id: str, lease: dt.timedelta) -> Job | JobState | None:
        """Take a job to run: the job when it was queued (or its worker's lease ran out); otherwise its
        state (running elsewhere, or finished); None when there is no such job."""
        rows = self.run(
            app_sql(
                "UPDATE {s}.jobs SET status = 'running', attempts = attempts + 1, started_at = now(), "
                "lease_until = now() + %(lease)s, claim = %(claim)s WHERE id = %(id)s AND (status = 'queued' "
                f"OR (status = 'running' AND lease_until < now())) RETURNING {_COLUMNS}"
            ),
            {"id": job_id, "lease": lease, "claim": secrets.token_hex(8)},
        )
        if rows:
            return _job(rows[0])
        state = self.run(app_sql("SELECT status FROM {s}.jobs WHERE id = %(id)s"), {"id": job_id})
        return JobState(state[0][0]) if state else None

    def finish(self, job: Job, result: dict[str, Any], location: str | None) -> bool:
        """Store a result; False when this worker no longer holds the job (its lease was taken over)."""
        return bool(
            self.run(
                app_sql(
                    "UPDATE {s}.jobs SET status = 'done', result = %(result)s, "
                    "result_location = %(location)s, error = NULL, finished_at = now(), lease_until = NULL "
                    "WHERE id = %(id)s AND status = 'running' AND claim = %(claim)s RETURNING id"
                ),
                {"id": job.id, "claim": job.claim, "result": Jsonb(result), "location": location},
            )
        )

    def fail(self, job: Job, code: str, message: str, final: bool) -> bool:
        """Record a failure: the job is failed (``final``) or queued again for the message's next
        delivery. Fenced like ``finish``."""
        return bool(
            self.run(
                app_sql(
                    "UPDATE {s}.jobs SET status = %(state)s, error = %(error)s, lease_until = NULL, "
                    "claim = NULL, finished_at = CASE WHEN %(final)s THEN now() END "
                    "WHERE id = %(id)s AND status = 'running' AND claim = %(claim)s RETURNING id"
                ),
                {
                    "id": job.id,
                    "claim": job.claim,
                    "state": (JobState.FAILED if final else JobState.QUEUED).value,
                    "final": final,
                    "error": Jsonb({"code": code, "message": message}),
                },
            )
        )

    def release(self, job: Job) -> None:
        """Give a job back untouched (a worker told to stop): the attempt does not count."""
        self.run(
            app_sql(
                "UPDATE {s}.jobs SET status = 'queued', attempts = attempts - 1, lease_until = NULL, "
                "claim = NULL WHERE id = %(id)s AND status = 'running' AND claim = %(claim)s"
            ),
            {"id": job.id, "claim": job.claim},
        )

    def retry(self, job_id: str) -> bool:
        """An operator's re-drive of a failed job: queued again with a fresh count of attempts."""
        return bool(
            self.run(
                app_sql(
                    "UPDATE {s}.jobs SET status = 'queued', attempts = 0, error = NULL, finished_at = NULL "
                    "WHERE id = %(id)s AND status = 'failed' RETURNING id"
                ),
                {"id": job_id},
            )
        )

    def sweep(self, settings: JobSettings) -> tuple[builtins.list[str], builtins.list[str]]:
        """Jobs whose worker died (the lease ran out) go back to the queue, or fail when they used
        their attempts; queued jobs whose message went missing (never sent, or sent long ago and
        never claimed) are returned to be sent again. Returns (to send, failed)."""
        failed = self.run(
            app_sql(
                "UPDATE {s}.jobs SET status = 'failed', finished_at = now(), lease_until = NULL, "
                "claim = NULL, error = %(error)s WHERE status = 'running' AND lease_until < now() "
                "AND attempts >= %(max)s RETURNING id"
            ),
            {
                "max": settings.max_attempts,
                "error": Jsonb({"code": "worker_lost", "message": "the worker stopped during every attempt"}),
            },
        )
        requeued = self.run(
            app_sql(
                "UPDATE {s}.jobs SET status = 'queued', lease_until = NULL, claim = NULL "
                "WHERE status = 'running' AND lease_until < now() RETURNING id"
            ),
            {},
        )
        lost = self.run(
            app_sql(
                "SELECT id FROM {s}.jobs WHERE status = 'queued' AND coalesce(sent_at, submitted_at) "
                "< now() - %(after)s"
            ),
            {"after": dt.timedelta(seconds=settings.resend_after_s)},
        )
        return [r[0] for r in requeued] + [r[0] for r in lost], [r[0] for r in failed]


# --- what runs a job ---------------------------------------------------------------------------------


class ResultStore(Protocol):
    """Where results too large for the jobs table go (S3 on AWS)."""

    def put(self, job_id: str, body: bytes) -> str:
        """Store a result; its location (kept in the table)."""
        ...

    def url(self, location: str) -> str:
        """A URL the caller can fetch the result from (presigned, short-lived)."""
        ...


class JobQueue(Protocol):
    def send(self, job_id: str) -> None:
        """Queue a job's id; raise QueueUnavailable when the queue cannot take it."""
        ...


@dataclass
class JobRunner:
    """Runs one job to its end, whatever delivered its id. ``service_for(as_of, timezone)`` gives a
    Service on the jobs' database (the long timeout, the larger row cap)."""

    store: JobStore
    service_for: Callable[[dt.date, str], Service]
    settings: JobSettings = field(default_factory=JobSettings)
    results: ResultStore | None = None
    on_finish: Callable[[Job, JobState, Answer | None], None] | None = None
    """Told of every job that ends (done or failed): the conversation turn, logs and metrics."""
    cancel: Callable[[], None] | None = None
    """Cancels the query running now (the jobs' database), for ``release_current``."""
    current: Job | None = field(default=None, init=False)

    def release_current(self) -> bool:
        """Give the job running now back to the queue (a worker told to stop): its claim released,
        its query cancelled. Whatever the run makes of it afterwards is fenced off. False when idle."""
        job = self.current
        if job is None:
            return False
        self.store.release(job)
        if self.cancel:
            self.cancel()
        return True

    def process(self, job_id: str) -> JobState:
        """Run a job, or find it needs nothing. Raises when its message must not be deleted:
        RetryLater (it comes back), GaveUp and UnknownJob (it belongs in the dead-letter queue)."""
        claimed = self.store.claim(job_id, self.settings.lease)
        if claimed is None:
            raise UnknownJob(f"no job {job_id!r}")
        if isinstance(claimed, JobState):
            if claimed in FINISHED:
                return claimed  # a second delivery of a finished job: nothing to do
            raise RetryLater(f"job {job_id} is running elsewhere")
        self.current = job = claimed
        try:
            return self._run(job)
        finally:
            self.current = None

    def _run(self, job: Job) -> JobState:
        try:
            service = self.service_for(job.as_of, job.timezone)
            answer = service.run(job.intent, job.question, scope=job.scope)
        except QueryTimeout as e:
            return self._failed(job, "query_timeout", str(e), final=True)
        except AccessDenied as e:
            return self._failed(job, "forbidden", str(e), final=True)
        except Exception as e:  # the database went away, a bug: the message comes back while attempts remain
            if not isinstance(e, DatabaseError):
                log.exception("job %s failed", job.id)
            final = job.attempts >= self.settings.max_attempts
            what = "the database could not answer" if isinstance(e, DatabaseError) else "crq failed"
            message = f"{what} ({job.attempts} attempt{'s' if job.attempts > 1 else ''})"
            if self._failed(job, "unavailable", message, final) is JobState.FAILED:
                raise GaveUp(f"job {job.id}: {message}") from None
            raise RetryLater(str(e)) from None
        if answer.status != "answered":  # the model changed since the job was queued
            return self._failed(job, "invalid_intent", answer.message, final=True)
        message = "; ".join(m for m in (job.note, answer.message) if m)
        answer = answer.model_copy(update={"mapper": job.mapper, "message": message})
        result, location = self._keep(job, answer)
        if not self.store.finish(job, result, location):
            return self._current(job)
        if self.on_finish:
            self.on_finish(job, JobState.DONE, answer)
        return JobState.DONE

    def _keep(self, job: Job, answer: Answer) -> tuple[dict[str, Any], str | None]:
        """The answer as stored: whole in the table, or with its rows in the results store when large."""
        body = answer.model_dump(mode="json")
        data = json.dumps(body, separators=(",", ":")).encode()
        if self.results is None or len(data) <= self.settings.inline_bytes:
            return body, None
        location = self.results.put(job.id, data)
        return {**body, "rows": []}, location

    def _failed(self, job: Job, code: str, message: str, final: bool) -> JobState:
        if not self.store.fail(job, code, message, final):
            return self._current(job)
        if final and self.on_finish:
            self.on_finish(job, JobState.FAILED, None)
        return JobState.FAILED if final else JobState.QUEUED

    def _current(self, job: Job) -> JobState:
        """This worker lost the job to another (its lease ran out): whatever the other made of it."""
        again = self.store.get(job.id)
        return again.state if again else JobState.FAILED


def heavy(prepared: Prepared, database: Database, settings: JobSettings) -> str | None:
    """Why a query should be a job from the start, or None: no view answers it and PostgreSQL plans
    it above ``plan_cost`` (cost units: roughly sequential page reads; EXPLAIN takes a millisecond and
    executes nothing), or cannot even plan it within the synchronous budget (a lock held elsewhere).
    A view-answered query is small by construction and is never sent away; ``plan_cost`` infinite
    (CRQ_ASYNC_PLAN_COST=off) turns the check off."""
    if prepared.compiled.plan.materializations or settings.plan_cost == math.inf:
        return None
    budget = round(settings.sync_budget_s * 1000)
    try:
        cost = database.plan_cost(prepared.compiled.sql, prepared.compiled.params, budget)
    except QueryTimeout:
        return f"it could not be planned within the synchronous budget of {settings.sync_budget_s:g} s"
    if cost > settings.plan_cost:
        return f"a heavy query (PostgreSQL's plan cost {cost:,.0f} is over CRQ_ASYNC_PLAN_COST)"
    return None


# --- the local queue: crq serve without AWS -----------------------------------------------------------


class LocalQueue:
    """An in-process queue and worker thread calling the same ``JobRunner``: what ``crq serve`` uses
    without ``--aws-endpoint``. A message that must come back does so after ``retry_delay_s``, at most
    ``max_receives`` times (then it is dropped and logged, as SQS would move it to the DLQ)."""

    def __init__(self, runner: JobRunner, retry_delay_s: float = 1.0, max_receives: int = 6):
        self.runner = runner
        self.retry_delay_s = retry_delay_s
        self.max_receives = max_receives
        self.dead: list[str] = []
        self._queue: queue.Queue[tuple[str, int]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, job_id: str) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="crq-jobs", daemon=True)
                self._thread.start()
        self._queue.put((job_id, 0))

    def join(self) -> None:
        """Wait until every queued message was handled (tests)."""
        self._queue.join()

    def _work(self) -> None:
        while True:
            job_id, receives = self._queue.get()
            try:
                self.runner.process(job_id)
            except Exception as e:  # RetryLater, UnknownJob, a bug: the message comes back, as on SQS
                if receives + 1 >= self.max_receives:
                    log.error("job %s given up after %d deliveries: %s", job_id, receives + 1, e)
                    self.dead.append(job_id)
                else:  # one worker: waiting here delays the others too, which is fine on a laptop
                    time.sleep(self.retry_delay_s)
                    self._queue.put((job_id, receives + 1))
            finally:
                self._queue.task_done()
