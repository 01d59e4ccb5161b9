"""Credentials from Secrets Manager through moto's server (real HTTP on 127.0.0.1), the real database:
a rotated login is fetched again once, an unreachable replica falls back to the writer, and no secret
value reaches a log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
from conftest import AS_OF
from psycopg.conninfo import conninfo_to_dict
from test_api import POLICY, V2, as_request, call

from runtime.aws import api
from runtime.aws.secrets import Secrets

QUESTION = "How many resources are there?"


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("secretsmanager")
    yield client
    for s in client.list_secrets()["SecretList"]:
        client.delete_secret(SecretId=s["ARN"], ForceDeleteWithoutRecovery=True)


def _admin(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)  # type: ignore[arg-type]


def _rds_secret(url: str, user: str, password: str, **extra: str) -> str:
    c = conninfo_to_dict(url)
    return json.dumps({"engine": "postgres", "username": user, "password": password, "host": c["host"],
                       "port": int(c.get("port") or 5432), "dbname": c["dbname"], **extra})


@pytest.fixture
def two_logins(sample_url: str) -> Iterator[tuple[str, str]]:
    """Two least-privilege readers: the secret names one, then the other after a rotation."""
    roles = ("crq_rot_a", "crq_rot_b")
    for r in roles:
        _admin(sample_url, f"DROP ROLE IF EXISTS {r}", f"CREATE ROLE {r} LOGIN",
               f"ALTER ROLE {r} SET default_transaction_read_only = on",
               f"GRANT USAGE ON SCHEMA inventory TO {r}", f"GRANT SELECT ON ALL TABLES IN SCHEMA inventory TO {r}")
    yield roles
    for r in roles:
        _admin(sample_url, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{r}'",
               f"REVOKE ALL ON ALL TABLES IN SCHEMA inventory FROM {r}", f"REVOKE ALL ON SCHEMA inventory FROM {r}",
               f"DROP ROLE {r}")


def _ask(request_id: str) -> dict[str, Any]:
    status, body, _ = call(as_request(V2, "POST", "/v1/chat", {"question": QUESTION, "as_of": str(AS_OF)}), request_id)
    assert status == 200, body
    return body


def test_a_rotated_login_is_fetched_again_and_the_connection_remade(
    aws: Any, sample_url: str, two_logins: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    old, new = two_logins
    arn = aws.create_secret(Name="crq/db", SecretString=_rds_secret(sample_url, old, "first-pw-1"))["ARN"]
    monkeypatch.setenv("CRQ_DATABASE_SECRET_ARN", arn)
    monkeypatch.setenv("CRQ_DATABASE_SSLMODE", "disable")  # the embedded server speaks no TLS
    monkeypatch.setenv("CRQ_ACCESS_FILE", str(POLICY))
    monkeypatch.setenv("CRQ_APP_DATABASE_URL", sample_url)  # conversations: the crq_api role's login
    api.use_container(api.Container.from_env())
    try:
        first = _ask("r1")
        assert first["status"] == "answered" and first["rows"] == [[5000]]
        # the rotation: the old login stops working, the secret names the new one; the cached
        # connection is cut (as a failover or idle timeout would), so the next request must log in again
        aws.put_secret_value(SecretId=arn, SecretString=_rds_secret(sample_url, new, "second-pw-2"))
        _admin(sample_url, f"ALTER ROLE {old} NOLOGIN",
               f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{old}'")
        second = _ask("r2")
        assert second["status"] == "answered" and second["rows"] == [[5000]]
        with psycopg.connect(sample_url, autocommit=True) as conn:
            users = {r[0] for r in conn.execute("SELECT usename FROM pg_stat_activity WHERE usename LIKE 'crq_rot_%'")}
        assert users == {new}
    finally:
        api.use_container(None)
    logged = capfd.readouterr()
    assert "first-pw-1" not in logged.out + logged.err and "second-pw-2" not in logged.out + logged.err


def test_an_unreachable_replica_falls_back_to_the_writer(
    aws: Any, sample_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = _rds_secret(sample_url, "postgres", "pw-3", reader_host=str(tmp_path / "no-replica-here"))
    arn = aws.create_secret(Name="crq/db-replica", SecretString=secret)["ARN"]
    monkeypatch.setenv("CRQ_DATABASE_SECRET_ARN", arn)
    monkeypatch.setenv("CRQ_DATABASE_SSLMODE", "disable")
    monkeypatch.setenv("CRQ_ACCESS_FILE", str(POLICY))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("crq").addHandler(handler)
    api.use_container(api.Container.from_env())
    try:
        answer = _ask("r3")
    finally:
        api.use_container(None)
        logging.getLogger("crq").removeHandler(handler)
    assert answer["status"] == "answered" and answer["rows"] == [[5000]]
    fallback = [r for r in records if r.getMessage() == "reader unreachable; reading from the writer"]
    assert len(fallback) == 1 and "no-replica-here" in fallback[0].error  # type: ignore[attr-defined]
    assert not [r for r in records if "pw-3" in str(r.__dict__)]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [m["reader_fallbacks"] for m in emf if "reader_fallbacks" in m] == [[1.0]]  # counted, once


def test_the_llm_key_comes_from_its_secret(aws: Any) -> None:
    plain = aws.create_secret(Name="crq/llm", SecretString="sk-plain-123")["ARN"]
    wrapped = aws.create_secret(Name="crq/llm-json", SecretString=json.dumps({"api_key": "sk-json-456"}))["ARN"]
    assert Secrets({"CRQ_LLM_API_KEY_SECRET_ARN": plain}).llm_env()["CRQ_LLM_API_KEY"] == "sk-plain-123"
    assert Secrets({"CRQ_LLM_API_KEY_SECRET_ARN": wrapped}).llm_env()["CRQ_LLM_API_KEY"] == "sk-json-456"
    assert Secrets({"A": "b"}).llm_env() == {"A": "b"}


def test_a_missing_secret_is_a_clear_error_without_the_value(aws: Any) -> None:
    from models.errors import DatabaseError

    with pytest.raises(DatabaseError, match=r"^cannot read secret crq/none: ResourceNotFoundException$"):
        Secrets({}).get("arn:aws:secretsmanager:us-east-1:123456789012:secret:crq/none")
    arn = aws.create_secret(Name="crq/partial", SecretString=json.dumps({"username": "u", "password": "p"}))["ARN"]
    with pytest.raises(DatabaseError, match=r"lacks host$"):
        Secrets({"CRQ_DATABASE_SECRET_ARN": arn}).database_urls()[0](False)
