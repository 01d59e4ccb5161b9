"""What a cold container pays for its first question, and nothing more: one login as the API role for
both the shared known-values cache and the conversations, no validators built for the routes a chat
never takes, and under SnapStart the answer template compiled before the snapshot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import AS_OF

from models.semantic_model import SemanticModel
from runtime.aws import api
from runtime.database import login
from runtime.known_values import known_values
from runtime.server import event_from

ROOT = Path(__file__).parent.parent


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "crq", 1024, "cold-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crq"


def ask(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    event = event_from("POST", "/v1/chat", {}, json.dumps(body).encode(), "127.0.0.1")
    result = api.handler(event, Context())
    return result["statusCode"], json.loads(result["body"])


@pytest.fixture
def cold(sample_url: str, model: SemanticModel, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A fresh container without a stored values row; the roles every API-role login was made for."""
    with psycopg.connect(sample_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS crq_app")
        conn.execute("DROP TABLE IF EXISTS crq_app.known_values")
    logins: list[str] = []

    def counted(url: Any, role: str) -> psycopg.Connection[Any]:
        logins.append(role)
        return login(url, role)

    monkeypatch.setattr("runtime.app_store.login", counted)
    monkeypatch.setenv("CRQ_AUTH", "none")
    api.use_container(api.Container(model, sample_url))
    yield logins
    api.use_container(None)


def test_a_cold_container_logs_in_once_as_the_api_role_for_values_and_conversations(
    cold: list[str], sample_url: str, model: SemanticModel
) -> None:
    status, first = ask({"question": "Top 5 accounts by cost last month", "as_of": str(AS_OF)})
    assert status == 200 and first["status"] == "answered", first
    status, second = ask(
        {"question": "make it 3", "as_of": str(AS_OF), "conversation_id": first["conversation_id"]}
    )
    assert status == 200 and second["status"] == "answered", second
    assert len(second["rows"]) == 3 and second["rows"] == first["rows"][:3]
    assert cold == ["crq_api"]  # the values cache read and wrote on the conversations' connection
    with psycopg.connect(sample_url, autocommit=True) as conn:
        (stored,) = conn.execute("SELECT values_ FROM crq_app.known_values").fetchone() or (None,)
        turns = conn.execute(
            "SELECT question, status FROM crq_app.turns WHERE conversation_id = %s ORDER BY n",
            [first["conversation_id"]],
        ).fetchall()
    assert stored == known_values(model, api.container().database)
    assert turns == [("Top 5 accounts by cost last month", "answered"), ("make it 3", "answered")]


def test_the_shared_connection_outlives_the_values_cache_and_is_remade_when_broken(
    cold: list[str], sample_url: str
) -> None:
    c = api.container()
    assert c.known_values  # reads the data, stores the row, closes the cache: not the shared connection
    conn = c.conversations.connection()
    assert not conn.closed
    with psycopg.connect(sample_url, autocommit=True) as admin:  # an idle timeout, a failover
        admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
    status, body = ask({"question": "Top 5 accounts by cost last month", "as_of": str(AS_OF)})
    assert status == 200 and body["status"] == "answered", body
    assert cold == ["crq_api", "crq_api"]


_CHAT_ONLY = """
import json, sys
from runtime.aws import api
from runtime.database import login
from runtime.server import event_from
from models import api as bodies
class Ctx:
    function_name, memory_limit_in_mb, aws_request_id = "crq", 1024, "cold"
    invoked_function_arn = "arn:aws:lambda:us-east-1:0:function:crq"
body = json.dumps({"question": "Top 5 accounts by cost last month", "as_of": sys.argv[1]}).encode()
r = api.handler(event_from("POST", "/v1/chat", {}, body, "127.0.0.1"), Ctx())
assert r["statusCode"] == 200, r
models = [m for m in vars(bodies).values() if isinstance(m, type) and m.__module__ == "models.api"]
print(json.dumps({m.__name__: m.__pydantic_complete__ for m in models}))
"""


def test_a_container_that_only_answers_questions_builds_no_other_routes_validators(sample_url: str) -> None:
    env = {"CRQ_DATABASE_URL": sample_url, "CRQ_AUTH": "none", "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-c", _CHAT_ONLY, str(AS_OF)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    built = json.loads(p.stdout.strip().splitlines()[-1])
    assert built == {
        "ChatAnswer": True, "ChatRequest": True, "ErrorBody": True, "ErrorDetail": True, "JobAccepted": True,
        "_Request": True, "_Runnable": True,
        "Catalog": False, "CatalogDimension": False, "CatalogMetric": False, "CatalogSegment": False,
        "Conversation": False, "Health": False, "JobError": False, "JobStatus": False, "QueryRequest": False,
        "Turn": False,
    }  # fmt: skip


def test_before_a_snapstart_snapshot_the_answer_template_is_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    from runtime import answer

    monkeypatch.delenv("CRQ_ACCESS_FILE", raising=False)
    answer._template.cache_clear()
    api.before_snapshot()
    assert answer._template.cache_info().currsize == 1
