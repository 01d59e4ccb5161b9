"""Golden SQL: every case of fixtures/intents.yaml compiles to exactly the reviewed text and params.

The SQL is the product's contract with PostgreSQL and with the people who read it in answers, so any
change must show up in review as a diff of a readable file. Each case is one
``__snapshots__/test_compiler_snapshots/test_sql_snapshot[<case>].sql`` file (MetricFlow style): a
comment header naming the case, the SQL, then ``-- params: {json}``. Update with
``pytest tests/test_compiler_snapshots.py --snapshot-update`` and read the diff before committing;
whether the SQL is *right* is checked against the database in test_compiler_execution.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from sqlglot import exp
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from compiler import compile
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.json_values import json_value
from semantic import load_model

AS_OF = dt.date(2026, 6, 17)
CASES_FILE = Path(__file__).parent / "fixtures" / "intents.yaml"
ROOT = Path(__file__).parent.parent


class SQLSnapshotExtension(SingleFileSnapshotExtension):
    """One readable .sql file per snapshot instead of syrupy's default .ambr collections."""

    file_extension = "sql"
    _write_mode = WriteMode.TEXT

    def serialize(self, data: Any, **_: Any) -> str:
        return str(data)


def load_cases() -> list[dict[str, Any]]:
    with CASES_FILE.open(encoding="utf-8") as f:
        return list(yaml.safe_load(f)["cases"])


CASES = load_cases()


def json_default(value: object) -> object:
    """Parameters as the CLI shows them (numbers as numbers, dates as ISO strings)."""
    if isinstance(value, (dt.date, dt.datetime, Decimal)):
        return json_value(value)
    raise TypeError(f"unexpected parameter type {type(value).__name__}")


def params_json(params: dict[str, object]) -> str:
    return json.dumps(params, default=json_default, sort_keys=True, ensure_ascii=False)


def render_snapshot(case: dict[str, Any], sql: str, params: dict[str, object]) -> str:
    description = " ".join(str(case["description"]).split())
    return f"-- case: {case['name']}\n-- {description}\n{sql}\n-- params: {params_json(params)}\n"


def compile_case(case: dict[str, Any], model: SemanticModel) -> tuple[str, dict[str, object]]:
    query = compile(Intent.model_validate(case["intent"]), model, as_of=AS_OF, timezone="UTC")
    return query.sql, query.params


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_sql_snapshot(case: dict[str, Any], model: SemanticModel, sql_snapshot: SnapshotAssertion) -> None:
    """The SQL and params of each golden case are exactly the reviewed ones."""
    sql, params = compile_case(case, model)
    assert render_snapshot(case, sql, params) == sql_snapshot


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_compile_is_deterministic(case: dict[str, Any], model: SemanticModel) -> None:
    """Same intent, model and as-of give identical text and params, also with a freshly loaded model
    (no dependence on catalog caches or on which object the model is)."""
    first = compile_case(case, model)
    assert compile_case(case, model) == first
    assert compile_case(case, load_model()) == first


def test_compile_is_deterministic_across_processes(model: SemanticModel) -> None:
    """String hashing is randomized per process; the SQL must not depend on set or dict-of-hash order."""
    script = (
        "import datetime as dt, hashlib, yaml, sys\n"
        "from compiler import compile\nfrom models.intent import Intent\nfrom semantic import load_model\n"
        "m = load_model()\nh = hashlib.sha256()\n"
        f"for c in yaml.safe_load(open({str(CASES_FILE)!r}))['cases']:\n"
        "    q = compile(Intent.model_validate(c['intent']), m, as_of=dt.date(2026, 6, 17))\n"
        "    h.update(q.sql.encode()); h.update(repr(sorted(q.params.items())).encode())\n"
        "print(h.hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                             check=True)
        digests.add(out.stdout.strip())
    here = hashlib.sha256()
    for case in CASES:
        sql, params = compile_case(case, model)
        here.update(sql.encode())
        here.update(repr(sorted(params.items())).encode())
    assert digests == {here.hexdigest()}


def flat_values(params: dict[str, object]) -> list[object]:
    out: list[object] = []
    for value in params.values():
        out.extend(value if isinstance(value, (list, tuple)) else [value])
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_no_parameter_value_is_inlined(case: dict[str, Any], model: SemanticModel) -> None:
    """Every user value travels as a bind parameter: none appears as a literal in the SQL text.

    The only literals the compiler may write are its own (grain names for DATE_TRUNC, the model's
    expressions such as '{}' and NULLIF's 0); a user value among them would be an injection path.
    """
    sql, params = compile_case(case, model)
    tree = sqlglot.parse_one(sql, read="postgres")
    literals = {str(lit.this).lower() for lit in tree.find_all(exp.Literal)}
    for value in flat_values(params):
        text = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
        assert text.lower() not in literals, f"{value!r} is inlined as a literal"
        if isinstance(value, str):
            assert f"'{value}'" not in sql, f"{value!r} appears quoted in the SQL"
        if isinstance(value, (dt.date, dt.datetime)):
            assert value.isoformat()[:10] not in sql, f"{value!r} appears in the SQL"
    placeholders = {p.name for p in tree.find_all(exp.Placeholder)}
    assert placeholders == set(params), "every parameter is used and every placeholder has a value"
