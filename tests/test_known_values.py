"""The values the offline mapper knows from the data, shared by the API's containers.

A cold container reads them from ``crq_app.known_values`` instead of scanning the tables; the row is
keyed by the model, read again from the data when too old, and a login that cannot use the app schema
still gets them, from the data.
"""

from __future__ import annotations

from collections.abc import Iterator
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
