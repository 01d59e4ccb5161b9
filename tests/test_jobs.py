"""Async jobs through the chat API's handler, on the real database, with the in-process queue that
`crq serve` uses (the same JobRunner as the jobs Lambda): 202 and polling, the answer a synchronous
request gets, owners, scopes, follow-ups, and the three ways a request becomes a job (asked, heavy,
past the synchronous budget). SQS, S3, the DLQ and faults are in test_job_faults.py."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from conftest import AS_OF
from test_api import PAYMENTS, V2, as_request, call, container, with_jwt

from compiler import compile
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.aws import api
from runtime.jobs import JobSettings, LocalQueue, heavy
from runtime.service import Prepared

BOB = with_jwt(V2, "bob")
# no materialized view has instance_type: the base tables answer these whether or not the views exist
BASE_TABLE_QUESTION = "total cost per instance type for each day in the last 90 days"
SMALL_QUESTION = "how many accounts are there"
INTENT = {"metrics": ["cost"], "dimensions": ["instance_type"], "time_range": {"kind": "trailing", "n": 30, "unit": "day"}}
VIEW_INTENT = {"metrics": ["cost"], "dimensions": ["region"], "time_range": {"kind": "trailing", "n": 30, "unit": "day"}}


def jobs_container(url: str, **settings: Any) -> api.Container:
    c = container(url)
    c.job_settings = dataclasses.replace(JobSettings(), **settings)
    c.queue = LocalQueue(c.runner, retry_delay_s=0.05)
    assert c.known_values  # read now, not while a test holds the tables locked
    return c


@pytest.fixture
def jobs(sample_url: str) -> Iterator[api.Container]:
    c = jobs_container(sample_url)
    api.use_container(c)
    yield c
    api.use_container(None)


def poll(event: dict[str, Any], status_url: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, body, _ = call(as_request(event, "GET", status_url))
        assert status == 200, body
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def _same(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without what differs between two runs of one question (timings, ids)."""
    return {k: v for k, v in answer.items() if k not in ("timings_ms", "conversation_id", "request_id")}


def test_an_async_question_is_a_job_whose_answer_is_the_synchronous_one(jobs: api.Container) -> None:
    ask = {"question": "Top 5 accounts by cost last month", "as_of": str(AS_OF)}
    status, accepted, headers = call(as_request(V2, "POST", "/v1/chat", {**ask, "async": True}), "req-async")
    assert status == 202, accepted
    job_id = accepted["job_id"]
    assert accepted == {"job_id": job_id, "status": "queued", "status_url": f"/v1/jobs/{job_id}",
                        "reason": "asked for", "conversation_id": accepted["conversation_id"],
                        "request_id": "req-async"}
    assert headers["Location"] == accepted["status_url"]
    done = poll(V2, accepted["status_url"])
    _, sync, _ = call(as_request(V2, "POST", "/v1/chat", ask), "req-sync")
    assert done["status"] == "done" and done["attempts"] == 1 and done["error"] is None
    assert _same(done["answer"]) == _same(sync)
    assert done["answer"]["conversation_id"] == accepted["conversation_id"]
    assert done["answer"]["request_id"] == "req-async"
    assert done["result_url"] is None
    assert done["submitted_at"] <= done["started_at"] <= done["finished_at"]


def test_a_follow_up_builds_on_a_job_and_the_conversation_shows_its_answer(jobs: api.Container) -> None:
    first = {"question": "Top 5 accounts by cost last month", "as_of": str(AS_OF), "async": True}
    _, accepted, _ = call(as_request(V2, "POST", "/v1/chat", first))
    done = poll(V2, accepted["status_url"])
    cid = accepted["conversation_id"]
    status, second, _ = call(as_request(V2, "POST", "/v1/chat", {
        "question": "make it 3", "as_of": str(AS_OF), "conversation_id": cid}))
    _, sync_first, _ = call(as_request(V2, "POST", "/v1/chat", {**first, "async": False}))
    _, sync_second, _ = call(as_request(V2, "POST", "/v1/chat", {
        "question": "make it 3", "as_of": str(AS_OF), "conversation_id": sync_first["conversation_id"]}))
    assert status == 200 and second["status"] == "answered" and len(second["rows"]) == 3
    assert _same(second) == _same(sync_second)
    _, history, _ = call(as_request(V2, "GET", f"/v1/conversations/{cid}"))
    assert [(t["question"], t["status"], t["answer"]) for t in history["turns"]] == [
        ("Top 5 accounts by cost last month", "answered", done["answer"]["answer"]),
        ("make it 3", "answered", second["answer"]),
    ]


def test_an_async_intent_is_a_job_too(jobs: api.Container) -> None:
    body = {"intent": INTENT, "as_of": str(AS_OF)}
    status, accepted, _ = call(as_request(V2, "POST", "/v1/query", {**body, "async": True}))
    assert status == 202 and accepted["conversation_id"] is None
    done = poll(V2, accepted["status_url"])
    _, sync, _ = call(as_request(V2, "POST", "/v1/query", body))
    assert _same(done["answer"]) == _same(sync)


def test_a_job_is_its_owners_alone(jobs: api.Container) -> None:
    _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENT, "as_of": str(AS_OF), "async": True}))
    poll(V2, accepted["status_url"])
    for event, path in ((BOB, accepted["status_url"]), (V2, "/v1/jobs/unknown")):
        status, body, _ = call(as_request(event, "GET", path))
        assert (status, body["error"]["code"]) == (404, "job_not_found")


def test_a_job_sees_only_the_rows_its_callers_scope_allows(jobs: api.Container) -> None:
    body = {"question": "total cost by business unit last month", "as_of": str(AS_OF)}
    _, accepted, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", {**body, "async": True}))
    done = poll(PAYMENTS, accepted["status_url"])
    _, sync, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", body))
    _, everyone, _ = call(as_request(V2, "POST", "/v1/chat", body))
    assert _same(done["answer"]) == _same(sync)
    assert [r[0] for r in done["answer"]["rows"]] == ["payments"]
    assert len(everyone["rows"]) > 1


def test_a_query_planned_above_the_cost_limit_becomes_a_job_and_a_cheaper_one_does_not(sample_url: str) -> None:
    c = jobs_container(sample_url)
    api.use_container(c)
    try:
        costs = {}
        for question in (BASE_TABLE_QUESTION, SMALL_QUESTION):
            prepared = c.service(AS_OF, "UTC", c.scope(api.identity_from(V2))).prepare(question)
            assert isinstance(prepared, Prepared), prepared
            costs[question] = c.database.plan_cost(prepared.compiled.sql, prepared.compiled.params, 5000)
        assert costs[SMALL_QUESTION] * 10 < costs[BASE_TABLE_QUESTION], costs
        # the limit between the two costs, as measured here on this data
        c.job_settings = dataclasses.replace(c.job_settings, plan_cost=costs[SMALL_QUESTION] * 2)
        status, heavy, _ = call(as_request(V2, "POST", "/v1/chat", {"question": BASE_TABLE_QUESTION, "as_of": str(AS_OF)}))
        assert status == 202, heavy
        cost = f"{costs[BASE_TABLE_QUESTION]:,.0f}"
        assert heavy["reason"] == f"a heavy query (PostgreSQL's plan cost {cost} is over CRQ_ASYNC_PLAN_COST)"
        assert poll(V2, heavy["status_url"])["status"] == "done"
        status, small, _ = call(as_request(V2, "POST", "/v1/chat", {"question": SMALL_QUESTION, "as_of": str(AS_OF)}))
        assert status == 200 and small["status"] == "answered", small
    finally:
        api.use_container(None)


def test_a_query_a_view_answers_is_never_sent_away_nor_explained(model: SemanticModel) -> None:
    from test_materialized_views import FIXED_NOW, fixed_states

    intent = Intent.model_validate(VIEW_INTENT)
    compiled = compile(intent, model, as_of=AS_OF, views=fixed_states(), now=FIXED_NOW)
    assert compiled.plan.materializations == ("daily_cost_by_service",)

    class NoExplain:
        def plan_cost(self, sql: str, params: Any) -> float:
            raise AssertionError("a view-answered query needs no EXPLAIN")

    prepared = Prepared("", intent, compiled, {})
    assert heavy(prepared, NoExplain(), JobSettings(plan_cost=0.001)) is None  # type: ignore[arg-type]


@contextlib.contextmanager
def tables_locked(url: str) -> Iterator[None]:
    """Every base table of the inventory locked by another session: a query on them waits (the
    tests' queries are ones no materialized view answers)."""
    with psycopg.connect(url) as conn:
        names = conn.execute("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                             "WHERE schemaname = 'inventory'").fetchall()
        conn.execute(f"LOCK TABLE {', '.join(n for (n,) in names)} IN ACCESS EXCLUSIVE MODE")  # type: ignore[arg-type]
        yield
        conn.rollback()


def test_a_query_that_cannot_even_be_planned_within_the_budget_becomes_a_job(sample_url: str) -> None:
    c = jobs_container(sample_url, sync_budget_s=0.3)
    api.use_container(c)
    try:
        with tables_locked(sample_url):
            status, accepted, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENT, "as_of": str(AS_OF)}))
            assert status == 202, accepted
            assert accepted["reason"] == "it could not be planned within the synchronous budget of 0.3 s"
        assert poll(V2, accepted["status_url"])["status"] == "done"
    finally:
        api.use_container(None)


def test_a_query_past_the_synchronous_budget_becomes_a_job(sample_url: str) -> None:
    c = jobs_container(sample_url, sync_budget_s=0.3, plan_cost=math.inf)  # no EXPLAIN: straight to the run
    api.use_container(c)
    try:
        with tables_locked(sample_url):
            start = time.monotonic()
            status, accepted, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENT, "as_of": str(AS_OF)}))
            waited = time.monotonic() - start
            assert status == 202 and accepted["reason"] == "it ran past the synchronous budget of 0.3 s", accepted
            assert waited < 5
            time.sleep(0.3)
            _, running, _ = call(as_request(V2, "GET", accepted["status_url"]))
            assert running["status"] == "running" and running["answer"] is None
        done = poll(V2, accepted["status_url"])
        _, sync, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENT, "as_of": str(AS_OF)}))
        assert _same(done["answer"]) == _same(sync)
    finally:
        api.use_container(None)


def test_without_jobs_a_statement_timeout_is_a_504_and_async_is_refused(sample_url: str) -> None:
    c = container(sample_url)
    c.statement_timeout_ms = 300
    assert c.known_values
    api.use_container(c)
    try:
        with tables_locked(sample_url):
            status, body, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENT, "as_of": str(AS_OF)}))
        assert (status, body["error"]["code"]) == (504, "query_timeout")
        assert body["error"]["message"] == ("the query ran longer than 0.3 s and was cancelled; "
                                            "narrow it with a filter or a shorter time range")
        status, body, _ = call(as_request(V2, "POST", "/v1/chat", {"question": "cost by region", "async": True}))
        assert body["error"] == {"code": "jobs_unavailable", "request_id": "req-1",
                                 "message": "this API runs no jobs (no CRQ_JOBS_QUEUE_URL); ask without async"}
        assert status == 400
    finally:
        api.use_container(None)


def test_a_job_that_times_out_fails_with_the_reason_and_is_not_retried(sample_url: str) -> None:
    c = jobs_container(sample_url, timeout_s=0.3)
    api.use_container(c)
    try:
        with tables_locked(sample_url):
            _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENT, "as_of": str(AS_OF),
                                                                        "async": True}))
            failed = poll(V2, accepted["status_url"])
        assert (failed["status"], failed["attempts"], failed["answer"]) == ("failed", 1, None)
        assert failed["error"] == {"code": "query_timeout", "message": "the query ran longer than 0.3 s and was "
                                   "cancelled; narrow it with a filter or a shorter time range"}
    finally:
        api.use_container(None)
