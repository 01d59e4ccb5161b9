"""The chat API through its Lambda handler, on the real database: AWS's own sample events for every
payload kind, follow-ups across containers, every error status, `crq serve` over real HTTP, and the
committed OpenAPI document."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import AS_OF

from runtime.aws import api
from runtime.aws.identity import Identity, identity_from
from semantic import load_model
from semantic.access import load_policy

EVENTS = Path(__file__).parent / "fixtures" / "aws" / "events"
OPENAPI = Path(__file__).parent.parent / "docs" / "api" / "openapi.json"
CRQ = str(Path(sys.executable).parent / "crq")
QUESTION = "How many running EC2 instances per region?"


class Context:
    function_name = "crq"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crq"

    def __init__(self, request_id: str = "req-1") -> None:
        self.aws_request_id = request_id


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def as_request(event: dict[str, Any], method: str, path: str, body: Any = None) -> dict[str, Any]:
    """AWS's sample event with only the method, path and body changed."""
    e = copy.deepcopy(event)
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    e["body"], e["isBase64Encoded"] = text, False
    if e.get("version") == "2.0":
        e["rawPath"] = e["requestContext"]["http"]["path"] = path
        e["requestContext"]["http"]["method"] = method
        e["rawQueryString"] = ""
        e["queryStringParameters"] = None
    else:
        e["path"] = e["resource"] = path
        e["httpMethod"] = e["requestContext"]["httpMethod"] = method
        e["queryStringParameters"] = e["multiValueQueryStringParameters"] = None
        e["requestContext"]["path"] = path
    return e


def with_jwt(event: dict[str, Any], sub: str, groups: str = "[finops]") -> dict[str, Any]:
    e = copy.deepcopy(event)
    e["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": sub, "cognito:groups": groups}, "scopes": []}}
    return e


def _with_groups(event: dict[str, Any], groups: str) -> dict[str, Any]:
    """A REST Lambda authorizer's context with the groups crq reads (the sample has none)."""
    e = copy.deepcopy(event)
    e["requestContext"]["authorizer"]["groups"] = groups
    return e


def call(event: dict[str, Any], request_id: str = "req-1") -> tuple[int, dict[str, Any], dict[str, str]]:
    result = api.handler(event, Context(request_id))
    headers = dict(result.get("headers") or {})  # REST (1.0) responses carry multiValueHeaders
    headers.update({k: ", ".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()})
    return result["statusCode"], json.loads(result["body"]), headers


POLICY = Path(__file__).parent / "fixtures" / "access" / "api_policy.yaml"


def container(url: str) -> api.Container:
    model = load_model()
    return api.Container(model, url, policy=load_policy(POLICY, model))


@pytest.fixture
def served(sample_url: str) -> Iterator[str]:
    api.use_container(container(sample_url))
    yield sample_url
    api.use_container(None)


def _cli_answer(url: str, *questions: str) -> list[dict[str, Any]]:
    p = subprocess.run([CRQ, "ask", "--json", "--explain", "--as-of", AS_OF.isoformat(), "--database-url", url, *questions],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in ("timings_ms", "conversation_id", "request_id")}


V2 = with_jwt(sample("apiGatewayProxyV2Event"), "alice")


@pytest.mark.parametrize("event", [
    pytest.param(with_jwt(sample("apiGatewayProxyV2Event"), "alice"), id="http-api-2.0-jwt"),
    pytest.param(sample("apiGatewayProxyV2IamEvent"), id="http-api-2.0-iam"),
    pytest.param(_with_groups(sample("apiGatewayProxyEventPrincipalId"), "finops"), id="rest-api-1.0-lambda-authorizer"),
    pytest.param(sample("lambdaFunctionUrlIAMEvent"), id="function-url-iam"),
])
def test_every_payload_kind_answers_as_the_cli_does(served: str, event: dict[str, Any]) -> None:
    status, body, headers = call(as_request(event, "POST", "/v1/chat", {"question": QUESTION, "as_of": str(AS_OF)}))
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    assert _comparable(body) == _comparable(_cli_answer(served, QUESTION)[0])
    assert body["request_id"] == "req-1" and len(body["conversation_id"]) >= 16


def test_a_follow_up_works_in_another_container(served: str) -> None:
    _, first, _ = call(as_request(V2, "POST", "/v1/chat", {"question": "Top 5 accounts by cost last month",
                                                             "as_of": str(AS_OF)}))
    api.use_container(container(served))  # a cold start elsewhere: nothing in memory
    status, second, _ = call(as_request(V2, "POST", "/v1/chat", {
        "question": "make it 3", "as_of": str(AS_OF), "conversation_id": first["conversation_id"]}), "req-2")
    assert status == 200
    expected = _cli_answer(served, "Top 5 accounts by cost last month", "make it 3")
    assert _comparable(second) == _comparable(expected[1])
    assert second["conversation_id"] == first["conversation_id"]
    status, history, _ = call(as_request(V2, "GET", f"/v1/conversations/{first['conversation_id']}"))
    assert status == 200
    assert [(t["question"], t["status"], t["request_id"]) for t in history["turns"]] == [
        ("Top 5 accounts by cost last month", "answered", "req-1"), ("make it 3", "answered", "req-2")]
    assert [t["answer"] for t in history["turns"]] == [a["answer"] for a in expected]


def test_after_a_question_asked_back_a_follow_up_has_nothing_to_follow(served: str) -> None:
    """The answer before a clarify is not what "that" means: the follow-up is asked back, as the CLI's
    conversation does, and a question in full afterwards starts again."""
    def ask(question: str, cid: str | None, rid: str) -> dict[str, Any]:
        body = {"question": question, "as_of": str(AS_OF)} | ({"conversation_id": cid} if cid else {})
        status, answer, _ = call(as_request(V2, "POST", "/v1/chat", body), rid)
        assert status == 200, answer
        return answer

    first = ask("cost by service last month", None, "req-1")
    cid = first["conversation_id"]
    asked_back = ask("how many buckets are stale", cid, "req-2")
    follow_up = ask("break that down by region instead", cid, "req-3")
    expected = _cli_answer(served, "cost by service last month", "how many buckets are stale",
                           "break that down by region instead")
    assert [a["status"] for a in (first, asked_back, follow_up)] == ["answered", "clarify", "clarify"]
    assert [_comparable(a) for a in (first, asked_back, follow_up)] == [_comparable(a) for a in expected]
    assert follow_up["message"] == "that continues an earlier question I do not have; ask it in full"


def _turns(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM crq_app.turns").fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "message"), [
    ("POST", "/v1/chat", "{not json", 400, "malformed_json", "the body is not valid JSON"),
    ("POST", "/v1/chat", {"question": 42}, 422, "invalid_request", "question: Input should be a valid string"),
    ("POST", "/v1/chat", {}, 422, "invalid_request", "question: Field required"),
    ("POST", "/v1/chat", {"question": "   "}, 422, "invalid_request", "question: Value error, question is empty"),
    ("POST", "/v1/chat", {"question": "x" * 2001}, 422, "invalid_request",
     "question: String should have at most 2000 characters"),
    ("POST", "/v1/chat", {"question": "x", "sql": "DROP TABLE x"}, 422, "invalid_request",
     "sql: Extra inputs are not permitted"),
    ("POST", "/v1/chat", {"question": "x", "as_of": "2026-13-01"}, 422, "invalid_request",
     "as_of: Input should be a valid date or datetime, month value is outside expected range of 1-12"),
    ("POST", "/v1/chat", {"question": "x", "as_of": "1066-10-14"}, 422, "invalid_request",
     "as_of: Value error, as_of must be within 1900-01-01..2199-12-31"),
    ("POST", "/v1/chat", {"question": "x", "timezone": "Mars/Olympus"}, 422, "invalid_request",
     "timezone: Value error, unknown time zone 'Mars/Olympus'; use an IANA name such as UTC or Europe/Paris"),
    ("POST", "/v1/chat", {"question": "x", "conversation_id": "nope"}, 404, "conversation_not_found",
     "no such conversation (unknown, expired or not yours)"),
    ("POST", "/v1/chat", {"question": "x" * 70_000}, 413, "payload_too_large", "the body is over 64 KB"),
    ("POST", "/v1/query", {"intent": {"metrics": ["nope"]}}, 422, "invalid_intent", None),
    ("GET", "/v1/chat", None, 405, "method_not_allowed", "/v1/chat accepts POST"),
    ("DELETE", "/v1/conversations/abc", None, 405, "method_not_allowed", "/v1/conversations/abc accepts GET"),
    ("GET", "/v2/chat", None, 404, "not_found", "no route /v2/chat; the API lives under /v1"),
    ("GET", "/v1/conversations/unknown", None, 404, "conversation_not_found",
     "no such conversation (unknown, expired or not yours)"),
])
def test_bad_requests_get_a_json_error_and_store_nothing(
    served: str, method: str, path: str, body: Any, status: int, code: str, message: str | None
) -> None:
    before = _turns(served) if _has_app_schema(served) else 0
    got, answer, headers = call(as_request(V2, method, path, body), "req-bad")
    assert got == status, answer
    assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message", "request_id"}
    assert answer["error"]["code"] == code and answer["error"]["request_id"] == "req-bad"
    if message is not None:
        assert answer["error"]["message"] == message
    else:
        assert answer["error"]["message"].startswith("metrics: unknown metric 'nope'")
    if status == 405:
        assert headers["Allow"] in ("POST", "GET")
    assert "Traceback" not in json.dumps(answer)
    assert (_turns(served) if _has_app_schema(served) else 0) == before


def _has_app_schema(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return bool(conn.execute("SELECT to_regclass('crq_app.turns') IS NOT NULL").fetchone()[0])  # type: ignore[index]


def test_someone_elses_or_an_expired_conversation_is_not_found(served: str) -> None:
    _, mine, _ = call(as_request(V2, "POST", "/v1/chat", {"question": QUESTION, "as_of": str(AS_OF)}))
    bob = with_jwt(sample("apiGatewayProxyV2Event"), "bob")
    cid = mine["conversation_id"]
    for event in (as_request(bob, "GET", f"/v1/conversations/{cid}"),
                  as_request(bob, "POST", "/v1/chat", {"question": "and in prod?", "conversation_id": cid})):
        status, body, _ = call(event)
        assert (status, body["error"]["code"]) == (404, "conversation_not_found")
    with psycopg.connect(served, autocommit=True) as conn:
        conn.execute("UPDATE crq_app.conversations SET expires_at = now() - interval '1 second' WHERE id = %s", (cid,))
    status, body, _ = call(as_request(V2, "GET", f"/v1/conversations/{cid}"))
    assert (status, body["error"]["code"]) == (404, "conversation_not_found")


def test_no_identity_is_401_unless_auth_is_off(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    anonymous = as_request(sample("lambdaFunctionUrlEvent"), "POST", "/v1/chat", {"question": QUESTION})
    monkeypatch.delenv("CRQ_AUTH", raising=False)
    status, body, _ = call(anonymous)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    monkeypatch.setenv("CRQ_AUTH", "none")
    status, body, _ = call(as_request(anonymous, "POST", "/v1/chat", {"question": QUESTION, "as_of": str(AS_OF)}))
    assert status == 200 and body["status"] == "answered"


def test_query_answers_a_structured_intent_without_a_mapper(served: str) -> None:
    intent = {"metrics": ["cost"], "dimensions": ["region"], "time_range": "last month"}
    status, body, _ = call(as_request(V2, "POST", "/v1/query", {"intent": intent, "as_of": str(AS_OF)}))
    assert status == 200, body
    p = subprocess.run([CRQ, "query", "-m", "cost", "--by", "region", "--time", "last month", "--as-of", str(AS_OF),
                        "--database-url", served, "--json", "--explain"], capture_output=True, text=True, timeout=60)
    assert _comparable(body) == _comparable(json.loads(p.stdout))


def test_catalog_lists_what_can_be_asked(served: str) -> None:
    status, body, _ = call(as_request(V2, "GET", "/v1/catalog"))
    assert status == 200
    model = load_model()
    assert [m["name"] for m in body["metrics"]] == [m.name for m in model.metrics]
    assert [s["name"] for s in body["segments"]] == [s.name for s in model.segments]
    assert body["questions"] == [q.question for q in model.verified_queries]
    env = next(d for d in body["dimensions"] if d["name"] == "environment")
    assert env["values"] == list(next(d for t in model.tables for d in t.dimensions if d.name == "environment").enum)
    with psycopg.connect(served) as conn:
        names = sorted(r[0] for r in conn.execute("SELECT account_name FROM inventory.accounts"))
    assert sorted(next(d for d in body["dimensions"] if d["name"] == "account_name")["values"]) == names


def test_health_reports_the_database_and_views(served: str) -> None:
    from runtime.materialized_views import ViewManager

    ViewManager(served, load_model()).create()
    status, body, _ = call(as_request(V2, "GET", "/v1/health"))
    assert status == 200
    assert body == {"status": "ok", "database": True, "model": "cloud_inventory", "version": "0.1.0",
                    "views": {v.name: "fresh" for v in load_model().materializations}}


@pytest.mark.parametrize(("event", "expected"), [
    (with_jwt(sample("apiGatewayProxyV2Event"), "alice", "[payments-team finops]"),
     Identity("alice", ("payments-team", "finops"), "jwt")),
    (with_jwt(sample("apiGatewayProxyV2Event"), "alice", '["a", "b"]'), Identity("alice", ("a", "b"), "jwt")),
    (with_jwt(sample("apiGatewayProxyV2Event"), "alice", "a, b"), Identity("alice", ("a", "b"), "jwt")),
    (sample("apiGatewayProxyV2IamEvent"), Identity("arn:aws:iam::1234567890:user/Admin", ("iam",), "iam")),
    (sample("apiGatewayProxyEventPrincipalId"), Identity("fake", (), "lambda")),
    (sample("lambdaFunctionUrlIAMEvent"), Identity("arn:aws:iam::111122223333:user/example-user", ("iam",), "iam")),
    (sample("lambdaFunctionUrlEvent"), None),
    (sample("apiGatewayProxyEvent"), None),
])
def test_identity_comes_from_the_authorizer(event: dict[str, Any], expected: Identity | None) -> None:
    assert identity_from(event) == expected


def test_identity_from_a_lambda_authorizer_context() -> None:
    event = sample("apiGatewayProxyV2LambdaAuthorizerEvent")
    assert identity_from(event) is None  # the sample's context has neither sub nor principalId
    event["requestContext"]["authorizer"]["lambda"].update({"sub": "svc-7", "groups": "finops,sre"})
    assert identity_from(event) == Identity("svc-7", ("finops", "sre"), "lambda")


def test_crq_serve_runs_the_same_handler_over_http(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime.server import make_server

    monkeypatch.setenv("CRQ_AUTH", "none")
    server = make_server("127.0.0.1", 0)
    assert server.server_address[0] == "127.0.0.1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        request = urllib.request.Request(f"{base}/v1/chat", method="POST",
                                         data=json.dumps({"question": QUESTION, "as_of": str(AS_OF)}).encode())
        with urllib.request.urlopen(request, timeout=30) as r:
            body = json.loads(r.read())
            assert r.status == 200 and r.headers["Content-Type"] == "application/json"
        assert _comparable(body) == _comparable(_cli_answer(served, QUESTION)[0])
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{base}/v1/chat", timeout=30)
        assert caught.value.code == 405 and caught.value.headers["Allow"] == "POST"
        assert json.loads(caught.value.read())["error"]["code"] == "method_not_allowed"
    finally:
        server.shutdown()
        server.server_close()


def test_the_committed_openapi_document_is_current_and_valid() -> None:
    from openapi_spec_validator import validate

    document = api.openapi_document()
    validate(document)  # raises on an invalid document
    assert document["openapi"].startswith("3.1")
    assert json.loads(OPENAPI.read_text()) == document, "run: python -m runtime.aws.openapi > docs/api/openapi.json"
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), (method, path)
            if method == "post":
                content = operation["requestBody"]["content"]["application/json"]
                assert content.get("examples"), (method, path)
            for status, response in operation["responses"].items():
                assert response["content"]["application/json"].get("examples"), (method, path, status)


def test_the_documents_examples_are_valid_bodies() -> None:
    from models.api import (
        Catalog,
        ChatAnswer,
        ChatRequest,
        Conversation,
        ErrorBody,
        Health,
        JobAccepted,
        JobStatus,
        QueryRequest,
    )

    document = api.openapi_document()
    models = {"/v1/chat": ChatAnswer, "/v1/query": ChatAnswer, "/v1/catalog": Catalog, "/v1/health": Health,
              "/v1/conversations/{conversation_id}": Conversation, "/v1/jobs/{job_id}": JobStatus}
    requests = {"/v1/chat": ChatRequest, "/v1/query": QueryRequest}
    for path, methods in document["paths"].items():
        for operation in methods.values():
            for example in operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get(
                    "examples", {}).values():
                requests[path].model_validate(example["value"])
            for status, response in operation["responses"].items():
                model = models[path] if status == "200" else JobAccepted if status == "202" else ErrorBody
                for example in response["content"]["application/json"]["examples"].values():
                    model.model_validate(example["value"])


def test_each_request_logs_one_json_line_and_emits_metrics(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("crq").addHandler(handler)
    capsys.readouterr()
    try:
        status, body, _ = call(as_request(V2, "POST", "/v1/chat", {"question": QUESTION, "as_of": str(AS_OF)}), "req-obs")
        bad, _, _ = call(as_request(V2, "GET", "/v1/nope"), "req-404")
    finally:
        logging.getLogger("crq").removeHandler(handler)
    assert (status, bad) == (200, 404)
    lines = [r.__dict__ for r in records if r.getMessage() == "request"]
    assert [(x["request_id"], x["route"], x["status_code"]) for x in lines] == [
        ("req-obs", "POST /v1/chat", 200), ("req-404", "GET /v1/nope", 404)]
    first = lines[0]
    assert first["caller"] and first["caller"] != "alice" and len(first["caller"]) == 16
    assert (first["result"], first["mapper"], first["rows"], first["truncated"]) == ("answered", body["mapper"],
                                                                                    len(body["rows"]), False)
    assert first["intent"]["metrics"] == ["resource_count"] and first["view"] == body["materialization"]
    assert len(first["sql_hash"]) == 16 and set(first["timings_ms"]) == set(body["timings_ms"])
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    emf = [doc for doc in emf if "ColdStart" not in doc]  # a cold start is its own document, once
    assert len(emf) == 2  # one flush per request
    names = [{m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]} for doc in emf]
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "crq"
    assert {"requests", "answered", "rows", "truncated", "view_hits", "map_ms", "compile_ms", "execute_ms",
            "total_ms"} <= names[0]
    value = {k: (v[0] if isinstance(v, list) else v) for k, v in emf[0].items()}
    assert (value["answered"], value["rows"], value["truncated"]) == (1, len(body["rows"]), 0)
    assert value["execute_ms"] == body["timings_ms"]["execute"]
    assert names[1] == {"requests", "errors_not_found"}


def test_a_conversation_keeps_its_last_turns(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime import conversations

    monkeypatch.setattr(conversations, "MAX_TURNS", 2)
    cid = None
    for question in ("How many resources are there?", "and in prod?", "and in dev?"):
        body = {"question": question, "as_of": str(AS_OF)} | ({"conversation_id": cid} if cid else {})
        status, answer, _ = call(as_request(V2, "POST", "/v1/chat", body))
        assert status == 200
        cid = answer["conversation_id"]
    _, history, _ = call(as_request(V2, "GET", f"/v1/conversations/{cid}"))
    assert [t["question"] for t in history["turns"]] == ["and in prod?", "and in dev?"]


PAYMENTS = with_jwt(sample("apiGatewayProxyV2Event"), "pat", "[payments-team]")


def _rows(url: str, query: str) -> list[list[Any]]:
    with psycopg.connect(url) as conn:
        return [[float(v) if hasattr(v, "as_tuple") else v for v in r] for r in conn.execute(query)]  # type: ignore[arg-type]


def test_a_scoped_caller_sees_only_their_rows(served: str) -> None:
    """Whole answers against hand-written SQL: a breakdown, a total, a share, a follow-up, a forbidden filter."""
    ask = {"question": "cost by business unit last month", "as_of": str(AS_OF)}
    status, body, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", ask))
    assert status == 200 and body["status"] == "answered", body
    month = "usage_date BETWEEN '2026-05-01' AND '2026-05-31'"
    expected = _rows(served, f"SELECT a.business_unit, round(sum(c.cost_usd), 4) FROM inventory.resource_costs c "
                             f"JOIN inventory.accounts a USING (account_id) WHERE {month} "
                             "AND a.business_unit = 'payments' GROUP BY 1")
    assert [[r[0], round(r[1], 4)] for r in body["rows"]] == expected
    status, follow, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", {
        "question": "and by environment?", "as_of": str(AS_OF), "conversation_id": body["conversation_id"]}))
    assert status == 200 and follow["status"] == "answered"
    by_env = _rows(served, f"SELECT a.environment, round(sum(c.cost_usd), 4) FROM inventory.resource_costs c "
                           f"JOIN inventory.accounts a USING (account_id) WHERE {month} "
                           "AND a.business_unit = 'payments' GROUP BY 1 ORDER BY 1")
    got = sorted([[r[-2], round(r[-1], 4)] for r in follow["rows"]])
    assert got == by_env
    share = {"intent": {"metrics": ["cost"], "dimensions": ["environment"], "time_range": "last month",
                        "share": {}}, "as_of": str(AS_OF)}
    status, shares, _ = call(as_request(PAYMENTS, "POST", "/v1/query", share))
    assert status == 200 and round(sum(r[-1] for r in shares["rows"]), 6) == 100.0
    forbidden = {"intent": {"metrics": ["cost"], "filters": [{"field": "business_unit", "value": "platform"}]},
                 "as_of": str(AS_OF)}
    status, none, _ = call(as_request(PAYMENTS, "POST", "/v1/query", forbidden))
    assert status == 200 and none["rows"] == [[None]]


def test_the_catalog_shows_a_scoped_caller_only_their_values(served: str) -> None:
    status, body, _ = call(as_request(PAYMENTS, "GET", "/v1/catalog"))
    assert status == 200
    values = {d["name"]: d["values"] for d in body["dimensions"]}
    assert values["business_unit"] == ["payments"]
    with psycopg.connect(served) as conn:
        mine = sorted(r[0] for r in conn.execute(
            "SELECT account_name FROM inventory.accounts WHERE business_unit = 'payments'"))
    assert values["account_name"] == mine and len(mine) > 1  # read from the data under the caller's scope
    _, everything, _ = call(as_request(V2, "GET", "/v1/catalog"))
    assert len({d["name"]: d["values"] for d in everything["dimensions"]}["business_unit"]) > 1


def test_a_caller_in_no_group_of_the_policy_is_forbidden(served: str) -> None:
    stranger = with_jwt(sample("apiGatewayProxyV2Event"), "sam", "[marketing]")
    for method, path, body in (("POST", "/v1/chat", {"question": QUESTION}), ("GET", "/v1/catalog", None),
                               ("POST", "/v1/query", {"intent": {"metrics": ["cost"]}})):
        status, answer, _ = call(as_request(stranger, method, path, body))
        assert (status, answer["error"]["code"]) == (403, "forbidden")
        assert answer["error"]["message"] == "none of your groups may see rows of this inventory"
    status, answer, _ = call(as_request(stranger, "GET", "/v1/health"))
    assert status == 200  # health says nothing of the inventory


def test_without_a_policy_no_one_sees_rows_behind_api_gateway(sample_url: str) -> None:
    api.use_container(api.Container(load_model(), sample_url))
    try:
        status, answer, _ = call(as_request(V2, "POST", "/v1/chat", {"question": QUESTION}))
    finally:
        api.use_container(None)
    assert (status, answer["error"]["code"]) == (403, "forbidden")
    assert answer["error"]["message"] == "no access policy (CRQ_ACCESS_FILE), so no one may see rows of this inventory"


_TRACED = """
import json, sys
from runtime.aws import api
from runtime.server import event_from
from semantic import load_model
from semantic.access import load_policy
assert api.TRACING
model = load_model()
api.use_container(api.Container(model, sys.argv[1], policy=load_policy(sys.argv[2], model)))
class Ctx:
    function_name, memory_limit_in_mb, aws_request_id = "crq", 1024, "traced"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crq"
event = event_from("POST", "/v1/chat", {}, json.dumps({"question": sys.argv[3], "as_of": sys.argv[4]}).encode(), "x")
event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "t", "groups": "finops"}}}
print(api.handler(event, Ctx())["statusCode"])
"""


def _traced(served: str, question: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run the handler as Lambda runs it (its environment and trace header) in a fresh process, with a
    UDP socket on 127.0.0.1 playing the X-Ray daemon; the trace documents it received."""
    import os
    import socket

    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(0.5)
    lambda_env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "crq", "LAMBDA_TASK_ROOT": "/var/task",
                  "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                  "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}", "CRQ_LOG_LEVEL": "WARNING",
                  **(env or {})}
    p = subprocess.run([sys.executable, "-c", _TRACED, served, str(POLICY), question, str(AS_OF)],
                       capture_output=True, text=True, env=lambda_env, timeout=120)
    documents = []
    try:
        assert p.returncode == 0 and p.stdout.strip().splitlines()[-1] == "200", p.stderr
        while True:
            packet = daemon.recv(65536).decode()
            documents.append(json.loads(packet.split("\n", 1)[1]))  # a header line, then the document
    except TimeoutError:
        pass
    finally:
        daemon.close()
    return documents


def _walk(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for d in documents:
        yield d
        yield from _walk(d.get("subsegments", []))


def test_in_lambda_each_stage_is_an_xray_subsegment_with_annotations(served: str) -> None:
    documents = _traced(served, "cost by service last month")
    names = [d["name"] for d in documents]
    for stage in ("## map", "## compile", "## execute"):
        assert stage in names, names
    handler = next(d for d in documents if d["name"] == "## _handler")
    assert handler["annotations"]["status"] == "answered" and handler["annotations"]["view"]
    assert handler["annotations"]["ColdStart"] is True


def test_llm_calls_tokens_and_cost_are_metrics(served: str, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The LLM mapper through the local fake OpenAI server: its usage reaches CloudWatch as metrics."""
    from fake_openai import FakeOpenAI, load_fixture

    monkeypatch.setenv("CRQ_HOME", str(tmp_path))  # the usage log
    usage = load_fixture("answered_cost_by_region.json")["usage"]
    with FakeOpenAI() as fake:
        fake.reply("answered_cost_by_region.json")
        env = {"CRQ_MAPPER": "llm", "CRQ_LLM_BASE_URL": fake.base_url, "CRQ_LLM_MODEL": "gpt-4o-mini",
               "CRQ_LLM_API_KEY": "sk-test"}
        api.use_container(api.Container(load_model(), served, policy=load_policy(POLICY, load_model()), llm_env=env))
        capsys.readouterr()
        status, body, _ = call(as_request(V2, "POST", "/v1/chat", {
            "question": "What did we spend per region last month?", "as_of": str(AS_OF)}))
    assert status == 200 and (body["status"], body["mapper"]) == ("answered", "llm")
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    value = {k: (v[0] if isinstance(v, list) else v) for doc in emf if "ColdStart" not in doc for k, v in doc.items()}
    assert value["llm_calls"] == 1 and "llm_failed_calls" not in value
    assert value["llm_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert value["llm_cost_usd"] > 0
    assert "sk-test" not in json.dumps(emf)


def test_a_broken_configuration_is_a_500_that_says_nothing_of_it(
    sample_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\ngroups:\n  payments-team: {where: {business_unit: [payroll-secret]}}\n")
    monkeypatch.setenv("CRQ_ACCESS_FILE", str(bad))
    monkeypatch.setenv("CRQ_DATABASE_URL", sample_url)
    api.use_container(None)
    try:
        for event in (as_request(sample("lambdaFunctionUrlEvent"), "GET", "/v1/health"),
                      as_request(V2, "POST", "/v1/chat", {"question": QUESTION})):
            status, body, _ = call(event)
            assert (status, body["error"]["code"]) == (500, "internal_error")
            assert body["error"]["message"] == "crq is not configured correctly; the operators have the details"
    finally:
        api.use_container(None)


def test_a_database_failure_tells_the_caller_nothing_of_the_server(served: str) -> None:
    model = load_model()
    broken = api.Container(model, "postgresql://crq@10.255.255.1:5439/none?connect_timeout=1", app=served,
                           policy=load_policy(POLICY, model))
    api.use_container(broken)
    status, body, headers = call(as_request(V2, "POST", "/v1/query", {"intent": {"metrics": ["cost"]}}))
    assert (status, headers["Retry-After"]) == (503, "5")
    assert body == {"error": {"code": "database_unavailable", "request_id": "req-1",
                              "message": "the database is unavailable; try again shortly"}}


def test_a_scoped_callers_mapper_knows_only_their_values_read_from_the_data(served: str) -> None:
    """Account names are read from the data: a payments caller's mapper knows payments' accounts (it
    corrects a typo to one) and not another unit's (it must not correct a typo to one); finops' knows all."""
    other = {"question": "cost of platform-prodd last month", "as_of": str(AS_OF)}
    own = {"question": "cost of payments-prodd last month", "as_of": str(AS_OF)}
    _, finops, _ = call(as_request(V2, "POST", "/v1/chat", other))
    _, payments_other, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", other))
    _, payments_own, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", own))
    assert "platform-prod" in json.dumps(finops["suggestions"]) + finops["message"]
    assert "platform-prod " not in json.dumps(payments_other) and "'platform-prod'" not in json.dumps(payments_other)
    assert payments_other["status"] != "answered"
    assert "payments-prod" in json.dumps(payments_own["suggestions"]) + payments_own["message"]


def test_a_caller_removed_from_every_group_reads_no_old_answers(served: str) -> None:
    _, first, _ = call(as_request(PAYMENTS, "POST", "/v1/chat", {"question": QUESTION, "as_of": str(AS_OF)}))
    removed = with_jwt(sample("apiGatewayProxyV2Event"), "pat", "[]")
    status, body, _ = call(as_request(removed, "GET", f"/v1/conversations/{first['conversation_id']}"))
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_auth_none_means_nothing_inside_lambda(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRQ_AUTH", "none")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "crq")
    status, body, _ = call(as_request(sample("lambdaFunctionUrlEvent"), "POST", "/v1/chat", {"question": QUESTION}))
    assert (status, body["error"]["code"]) == (401, "unauthenticated")


def test_in_lambda_the_llm_call_is_a_subsegment_of_map(served: str, tmp_path: Path) -> None:
    """The LLM mapper's call is its own subsegment inside the ``## map`` stage (the OpenAI SDK's HTTP
    client is not one the X-Ray SDK patches, so crq opens it)."""
    from fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        fake.reply("answered_cost_by_region.json")
        documents = _traced(served, "What did we spend per region last month?", {
            "CRQ_MAPPER": "llm", "CRQ_LLM_BASE_URL": fake.base_url, "CRQ_LLM_MODEL": "gpt-4o-mini",
            "CRQ_LLM_API_KEY": "sk-test", "CRQ_HOME": str(tmp_path)})
    maps = [d for d in _walk(documents) if d["name"] == "## map"]
    assert len(maps) == 1, [(d["name"], d.get("parent_id"), d.get("id")) for d in _walk(documents)]
    # nested in map's document, or streamed as its own with map as parent
    calls = [d for d in _walk(documents) if d["name"] == "## llm"
             and (d in list(_walk([maps[0]])) or d.get("parent_id") == maps[0]["id"])]
    assert len(calls) == 1, sorted({d["name"] for d in _walk(documents)})
    assert not calls[0].get("error") and not calls[0].get("fault")


_SNAPSHOT = """
import json, socket, sys
from runtime.aws import api
import snapshot_restore_py
assert snapshot_restore_py._before_snapshot_registry[0][0] is api.before_snapshot

def refuse(*args, **kwargs):
    raise AssertionError("nothing may connect before a snapshot")

socket.socket.connect = refuse  # no database, no Secrets Manager, no AWS client before the snapshot
before = set(sys.modules)
api.before_snapshot()
from runtime.model_artefact import _LOADED  # the model as the container loads it (runtime/model_artefact.py)
print(json.dumps({"models": len(_LOADED), "policies": len(api._policies),
                  "imported": sorted(m for m in set(sys.modules) - before if m.split(".")[0] in
                                     ("boto3", "runtime") and m.count(".") < 3)}))
"""


def test_under_snapstart_the_model_policy_and_modules_are_ready_before_the_snapshot_without_a_connection() -> None:
    import os

    env = {**os.environ, "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "CRQ_ACCESS_FILE": str(POLICY),
           "CRQ_DATABASE_URL": "postgresql://crq@127.0.0.1:9/none"}
    p = subprocess.run([sys.executable, "-c", _SNAPSHOT], capture_output=True, text=True, env=env, timeout=120,
                       cwd=Path(__file__).parent.parent)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["models"] == 1 and got["policies"] == 1
    assert {"boto3", "runtime.known_values", "runtime.mappers.factory", "runtime.mappers.offline"} <= set(got["imported"])
    # without SnapStart nothing registers (the hook library exists only in Lambda's runtimes anyway)
    plain = subprocess.run([sys.executable, "-c", "import snapshot_restore_py as s; from runtime.aws import api; "
                            "print(len(s._before_snapshot_registry))"], capture_output=True, text=True,
                           env={k: v for k, v in env.items() if k != "AWS_LAMBDA_INITIALIZATION_TYPE"}, timeout=120,
                           cwd=Path(__file__).parent.parent)
    assert plain.stdout.strip() == "0", plain.stderr


def test_the_offline_mapper_never_imports_the_openai_sdk() -> None:
    """~0.3 s of every cold start, for nothing, when no LLM is configured."""
    code = ("import sys, datetime as dt\nfrom runtime.aws import api\nfrom runtime.mappers.factory import build_mapper\n"
            "from runtime.mappers.settings import LLMSettings\nfrom semantic import load_model\n"
            "m = build_mapper(load_model(), {}, LLMSettings.from_env({}), as_of=dt.date(2026, 6, 17))\n"
            "m.map('how many resources are there', None)\nprint('openai' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).parent.parent)
    assert p.stdout.strip() == "False", p.stderr
