"""Regressions for what an adversarial review found: each test failed before its fix.

They sit together because each needs a small variation of the shipped model or a particular database
set-up; the behaviours they pin belong to the compiler, the answer text and the runtime.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from conftest import AS_OF
from psycopg import sql as pgsql

from compiler import compile
from models.errors import UserError
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.cli import _parse_where
from runtime.database import Database
from runtime.materialized_views import ViewManager, read_states
from semantic import DEFAULT_MODEL, check_model_text

CRQ = str(Path(sys.executable).parent / "crq")


def _variant(edit: Any) -> SemanticModel:
    data = yaml.safe_load(DEFAULT_MODEL.read_text())
    edit(data)
    return SemanticModel.model_validate(data)


def _rows(url: str, query: str, params: dict[str, object] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params or {}).fetchall()  # type: ignore[arg-type]


def test_derived_metrics_of_counts_divide_as_numbers_with_and_without_views(sample_url: str) -> None:
    """bigint / bigint divides as integers in PostgreSQL: 136 / 271 was 0 from the base tables and
    0.50 from a view (whose SUM is numeric), so the view changed the answer."""
    model = _variant(lambda d: d["metrics"].append(
        {"name": "public_per_encrypted", "type": "derived", "expr": "public_count / NULLIF(encrypted_count, 0)"}))
    intent = Intent.model_validate({"metrics": ["public_per_encrypted"], "dimensions": ["service"]})
    expected = dict(_rows(sample_url, "SELECT service, count(*) FILTER (WHERE is_public)::numeric / NULLIF("
                                      "count(*) FILTER (WHERE is_encrypted), 0) FROM inventory.resources GROUP BY 1"))
    base = compile(intent, model, as_of=AS_OF)
    got = dict(_rows(sample_url, base.sql, base.params))
    assert got.keys() == expected.keys()
    assert all(got[k] == expected[k] or round(got[k], 10) == round(expected[k], 10) for k in got)
    assert any(v and 0 < v < 1 for v in got.values())
    ViewManager(sample_url, model).create(["resource_inventory"])
    viewed = compile(intent, model, as_of=AS_OF, views=read_states(Database(sample_url)))
    assert viewed.plan.materializations == ("resource_inventory",)
    assert {k: round(v, 10) for k, v in _rows(sample_url, viewed.sql, viewed.params)} == {
        k: round(v, 10) for k, v in got.items()}


def test_a_reserved_word_as_a_dimension_name_is_quoted(sample_url: str) -> None:
    """ORDER BY user sorted by CURRENT_USER (a constant): top-N picked arbitrary rows."""
    model = _variant(lambda d: d["tables"][1]["dimensions"].append({"name": "user", "column": "name"}))
    intent = Intent.model_validate({"metrics": ["resource_count"], "dimensions": ["user"], "limit": 3})
    q = compile(intent, model, as_of=AS_OF)
    assert '"user"' in q.sql
    assert [r[0] for r in _rows(sample_url, q.sql, q.params)] == [
        r[0] for r in _rows(sample_url, "SELECT name FROM inventory.resources GROUP BY 1 ORDER BY 1 LIMIT 3")]


def test_the_answer_names_the_metric_the_rows_are_ranked_by() -> None:
    intent = Intent.model_validate({"metrics": ["resource_count", "cost"], "dimensions": ["service"],
                                    "order_by": [{"field": "cost", "direction": "asc"}], "limit": 1})
    from semantic import load_model

    text = answer_text(intent, load_model(), ["service", "resource_count", "cost"],
                       [("ebs", 1093, Decimal("96032.82"))], False, "r")
    assert text.startswith("ebs has the lowest cost: $96,032.82")


def test_modulo_is_not_allowed_in_model_expressions() -> None:
    """psycopg reads a bare % as a placeholder, so every query using the expression failed."""
    text = DEFAULT_MODEL.read_text().replace("        expr: storage_gb\n", "        expr: storage_gb % 7\n", 1)
    _, issues = check_model_text(text, "m.yaml")
    assert [i.code for i in issues] == ["E120"]


def test_views_are_skipped_for_a_role_that_cannot_read_them(sample_url: str) -> None:
    """A role granted only the inventory gets answers from the base tables, not 'permission denied'."""
    ViewManager(sample_url, __import__("semantic").load_model()).create(["resource_inventory"])
    with psycopg.connect(sample_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS crq_inventory_only")
        admin.execute("CREATE ROLE crq_inventory_only LOGIN")
        admin.execute("GRANT USAGE ON SCHEMA inventory TO crq_inventory_only")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA inventory TO crq_inventory_only")
    try:
        reader = psycopg.conninfo.make_conninfo(sample_url, user="crq_inventory_only")
        assert read_states(Database(reader)) == {}
        p = subprocess.run([CRQ, "query", "-m", "resource_count", "--database-url", reader, "--json"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        out = json.loads(p.stdout)
        assert out["rows"] == [[5000]] and out["materialization"] is None
    finally:
        with psycopg.connect(sample_url, autocommit=True) as admin:
            admin.execute("REVOKE ALL ON ALL TABLES IN SCHEMA inventory FROM crq_inventory_only")
            admin.execute("REVOKE ALL ON SCHEMA inventory FROM crq_inventory_only")
            admin.execute("DROP ROLE crq_inventory_only")


def test_mv_create_with_an_unknown_name_changes_nothing(pg_url: str) -> None:
    scratch = "crq_test_untouched"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(scratch)))
        admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(scratch)))
    try:
        url = psycopg.conninfo.make_conninfo(pg_url, dbname=scratch)
        p = subprocess.run([CRQ, "mv", "create", "nosuchview", "--database-url", url], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 2 and "unknown materialization nosuchview" in p.stderr
        assert _rows(url, "SELECT to_regnamespace('crq'), to_regnamespace('crq_mv')") == [(None, None)]
        p = subprocess.run([CRQ, "mv", "create", "daily_cost", "--database-url", url], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 1 and "Traceback" not in p.stderr and "inventory" in p.stderr
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(scratch)))


@pytest.mark.parametrize(("args", "message"), [
    (["compile", "-m", "cost", "--time", "today", "--as-of", "9999-12-31"], "outside 1900-01-01..2199-12-31"),
    (["compile", "-m", "cost", "--time", "last month", "--as-of", "0001-01-15"], "outside 1900-01-01..2199-12-31"),
    (["query", "-m", "cost", "--timeout", "inf", "--database-url", "postgresql://x@127.0.0.1:1/x"], "--timeout"),
])
def test_out_of_range_options_are_bad_input(args: list[str], message: str) -> None:
    p = subprocess.run([CRQ, *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr


def test_an_intent_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    f = tmp_path / "intent.json"
    f.write_bytes(b'{"metrics": ["\xff"]}')
    p = subprocess.run([CRQ, "compile", "--intent", str(f)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "is not UTF-8" in p.stderr


def test_the_compiler_refuses_an_as_of_outside_its_date_range() -> None:
    import datetime as dt

    from semantic import load_model

    with pytest.raises(UserError, match="outside"):
        compile(Intent.model_validate({"metrics": ["cost"]}), load_model(), as_of=dt.date(9999, 12, 31))


@pytest.mark.parametrize(("text", "field", "value"), [
    ("tag:a=b = c", "tag:a=b", "c"),
    ("tag:app.kubernetes.io/name = web", "tag:app.kubernetes.io/name", "web"),
    ("environment=prod", "environment", "prod"),
    ("tag:owner is null", "tag:owner", None),
])
def test_where_reads_tag_keys_with_punctuation(text: str, field: str, value: str | None) -> None:
    f = _parse_where(text)
    assert (f.field, f.value) == (field, value)


def test_a_range_before_the_data_says_where_the_data_starts(sample_url: str) -> None:
    """'Cost in 2025' over data from 2025-12-20 is a partial total: the answer says so."""
    from semantic import load_model

    model = load_model()
    ViewManager(sample_url, model).create(["daily_cost_by_service"])
    states = read_states(Database(sample_url))
    q = compile(Intent.model_validate({"metrics": ["cost"], "time_range": "2025"}), model, as_of=AS_OF,
                views=states)
    assert "resource_costs data starts on 2025-12-20, after the range's start (2025-01-01)" in q.plan.notes
    inside = compile(Intent.model_validate({"metrics": ["cost"], "time_range": "last month"}), model,
                     as_of=AS_OF, views=states)
    assert inside.plan.notes == ()
