"""The values the offline mapper knows from the data, shared by the API's containers.

A cold container reads them from ``crq_app.known_values`` instead of scanning the tables; the row is
keyed by the model, read again from the data when too old or when the model's tables were made again
(another sample loaded), and a login that cannot use the app schema still gets them, from the data.
`crq ask` reads them through the same cache (on the embedded database, whose admin login can).
"""

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
from psycopg.types.json import Jsonb

from models.semantic_model import SemanticModel
from runtime.aws import api
from runtime.database import Database, as_role
from runtime.known_values import ValueCache, _model_key, known_values
from runtime.roles import READER_ROLE


@pytest.fixture
def admin(sample_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(sample_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS crq_app")
        conn.execute("DROP TABLE IF EXISTS crq_app.known_values")
        yield conn


def _stored(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT model, values_ FROM crq_app.known_values ORDER BY model").fetchall()


def test_a_cold_container_reads_the_values_another_stored(
    sample_url: str, model: SemanticModel, admin: psycopg.Connection[Any]
) -> None:
    from_data = known_values(model, Database(sample_url))
    assert api.Container(model, sample_url).known_values == from_data
    assert _stored(admin) == [(_model_key(model), from_data)]

    # what the next container gets is the stored row, not a scan: change the row and it shows
    marked = {**from_data, "service": ["only-in-the-cache"]}
    admin.execute("UPDATE crq_app.known_values SET values_ = %s", [Jsonb(marked)])
    assert api.Container(model, sample_url).known_values == marked


def test_a_row_older_than_the_max_age_is_read_again_from_the_data(
    sample_url: str, model: SemanticModel, admin: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from_data = known_values(model, Database(sample_url))
    api.Container(model, sample_url).known_values  # noqa: B018 (stores the row)
    admin.execute(
        "UPDATE crq_app.known_values SET values_ = %s, read_at = now() - interval '2 hours'",
        [Jsonb({"service": ["stale"]})],
    )
    assert api.Container(model, sample_url).known_values == from_data  # default max age: 60 minutes
    assert _stored(admin) == [(_model_key(model), from_data)]

    admin.execute("UPDATE crq_app.known_values SET read_at = now() - interval '10 minutes'")
    monkeypatch.setenv("CRQ_VALUES_MAX_AGE_MINUTES", "5")
    admin.execute("UPDATE crq_app.known_values SET values_ = %s", [Jsonb({"service": ["stale"]})])
    assert api.Container(model, sample_url).known_values == from_data


def test_another_model_never_reads_this_models_values(
    sample_url: str, model: SemanticModel, admin: psycopg.Connection[Any]
) -> None:
    cache = ValueCache(sample_url)
    cache.store(model, {"service": ["from-the-first-model"]})
    edited = model.model_copy(update={"description": "edited"})
    assert cache.fresh(edited) is None
    assert cache.fresh(model) == {"service": ["from-the-first-model"]}
    cache.store(edited, {"service": ["from-the-edited-one"]})
    assert cache.fresh(model) == {"service": ["from-the-first-model"]}
    assert cache.fresh(edited) == {"service": ["from-the-edited-one"]}
    cache.close()
    assert len(_stored(admin)) == 2


def test_a_login_that_cannot_use_the_app_schema_reads_from_the_data(
    sample_url: str, model: SemanticModel, admin: psycopg.Connection[Any]
) -> None:
    reader = as_role(sample_url, READER_ROLE)  # may not create tables in crq_app
    c = api.Container(model, sample_url, app=reader)
    assert c.known_values == known_values(model, Database(sample_url))
    assert admin.execute("SELECT to_regclass('crq_app.known_values')").fetchone() == (None,)


# --- `crq ask` reads them through the same cache ----------------------------------------------------

CRQ = str(Path(sys.executable).parent / "crq")
QUESTION = "cost of account zz-only-in-the-cache last month"


def _ask(url: str, home: Path, question: str = QUESTION) -> dict[str, Any]:
    p = subprocess.run(
        [CRQ, "ask", "--database-url", url, "--as-of", "2026-06-17", "--json", question],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "CRQ_HOME": str(home), "CRQ_MAPPER": "offline"},
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _account_filters(answer: dict[str, Any]) -> list[Any]:
    intent = answer["intent"] or {}
    return [f["value"] for f in intent.get("filters", []) if f["field"] == "account_name"]


def test_crq_ask_reads_the_shared_values_and_reads_the_data_again_after_a_reload(
    sample_url: str, model: SemanticModel, admin: psycopg.Connection[Any], tmp_path: Path
) -> None:
    from_data = known_values(model, Database(sample_url))
    first = _ask(sample_url, tmp_path)  # nothing stored yet: read from the tables, then stored
    assert _account_filters(first) == []
    assert _stored(admin) == [(_model_key(model), from_data)]

    # the next `crq ask` reads the stored row, not the tables: a value only the row holds is known
    marked = {**from_data, "account_name": [*from_data["account_name"], "zz-only-in-the-cache"]}
    admin.execute("UPDATE crq_app.known_values SET values_ = %s", [Jsonb(marked)])
    second = _ask(sample_url, tmp_path)
    assert (second["status"], _account_filters(second)) == ("answered", ["zz-only-in-the-cache"])

    # tables made again since the row was read (another sample loaded): read from the data again
    admin.execute("UPDATE crq_app.known_values SET data_version = 'the tables before a reload'")
    third = _ask(sample_url, tmp_path)
    assert _account_filters(third) == [] and _stored(admin) == [(_model_key(model), from_data)]


def test_crq_ask_with_a_login_that_cannot_use_the_app_schema_reads_the_tables(
    sample_url: str, admin: psycopg.Connection[Any], tmp_path: Path
) -> None:
    reader = as_role(sample_url, READER_ROLE)
    answer = _ask(reader, tmp_path, "cost of account payments-prod last month")
    assert (answer["status"], _account_filters(answer)) == (
        "answered",
        ["payments-prod"],
    )  # a value from the data
    assert admin.execute("SELECT to_regclass('crq_app.known_values')").fetchone() == (None,)


def test_the_data_version_changes_when_a_table_is_made_again_not_when_rows_are_added(
    sample_url: str, model: SemanticModel, admin: psycopg.Connection[Any]
) -> None:
    admin.execute("DROP SCHEMA IF EXISTS kv_scratch CASCADE")
    admin.execute("CREATE SCHEMA kv_scratch")
    for t in model.tables:
        admin.execute(f"CREATE TABLE kv_scratch.{t.physical} (LIKE inventory.{t.physical})")
    scratch = model.model_copy(update={"schema_name": "kv_scratch"})
    cache = ValueCache(sample_url)
    try:
        first = cache.data_version(scratch)
        assert cache.data_version(scratch) == first and cache.data_version(model) != first
        admin.execute("INSERT INTO kv_scratch.accounts SELECT * FROM inventory.accounts LIMIT 3")
        assert cache.data_version(scratch) == first  # rows added: the max age covers them
        admin.execute("TRUNCATE kv_scratch.accounts")
        truncated = cache.data_version(scratch)
        assert truncated != first
        admin.execute("DROP TABLE kv_scratch.accounts")
        assert cache.data_version(scratch) not in (first, truncated)
        admin.execute("CREATE TABLE kv_scratch.accounts (LIKE inventory.accounts)")
        assert cache.data_version(scratch) not in (first, truncated)
    finally:
        cache.close()
        admin.execute("DROP SCHEMA kv_scratch CASCADE")
