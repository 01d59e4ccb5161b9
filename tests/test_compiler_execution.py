"""The compiled SQL returns the same answers as hand-written SQL, on the real sample in PostgreSQL.

Snapshots (test_compiler_snapshots.py) only show that the SQL did not change; this file shows it is
right: for every case in fixtures/intents.yaml the compiled query and the case's independent
``reference_sql`` run on the seed-42 sample and must give the same rows (numbers compared after
rounding to 4 decimals, column names ignored, order ignored unless the case is ``ordered``).

Both run under an exotic session time zone (UTC+14) so that SQL relying on the session's TimeZone
instead of the query's own time zone shows up as a wrong answer rather than passing by luck on a UTC
server. Queries run in READ ONLY transactions: a compiled query can only ever read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlglot
import yaml
from sqlglot import exp

from compiler import compile
from models.errors import IntentError, QueryRefused
from models.intent import Intent
from models.semantic_model import SemanticModel

AS_OF = dt.date(2026, 6, 17)
CASES_FILE = Path(__file__).parent / "fixtures" / "intents.yaml"
# A zone far from UTC (and from any test machine's local zone): date/time SQL must not depend on it.
SESSION_TIMEZONE = "Pacific/Kiritimati"
STATEMENT_TIMEOUT_MS = 30_000
QUANTUM = Decimal("0.0001")

Row = tuple[Any, ...]


def load_cases() -> list[dict[str, Any]]:
    """The golden cases; ``xfail: reason`` on a case marks a known compiler bug."""
    with CASES_FILE.open(encoding="utf-8") as f:
        return list(yaml.safe_load(f)["cases"])


def case_params() -> list[Any]:
    params = []
    for case in load_cases():
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


def run_read_only(conn: psycopg.Connection[Any], sql: str, params: dict[str, object] | None = None) -> list[Row]:
    """Run one statement in a READ ONLY transaction under the exotic session time zone, then roll back."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute(f"SET LOCAL TimeZone = '{SESSION_TIMEZONE}'")
        conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        return conn.execute(sql, params).fetchall()


def normalize_value(value: Any) -> Any:
    """Numbers of any type compare as Decimals rounded to 4 places (count vs numeric, float vs numeric)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, Decimal)):
        return Decimal(value).quantize(QUANTUM)
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(QUANTUM)
    return value


def normalize(rows: Sequence[Row], ordered: bool) -> list[Row]:
    out = [tuple(normalize_value(v) for v in row) for row in rows]
    if ordered:
        return out
    # NULLs sort after everything in their column; the other values of a column share one type.
    return sorted(out, key=lambda row: tuple((v is None, v if v is not None else 0) for v in row))


def describe_difference(got: list[Row], want: list[Row]) -> str:
    missing = [r for r in want if r not in got]
    extra = [r for r in got if r not in want]
    return (f"compiled gave {len(got)} rows, reference {len(want)};\n"
            f"  only in reference: {missing[:10]}\n  only in compiled:  {extra[:10]}")


@pytest.mark.parametrize("case", case_params())
def test_compiled_matches_reference(case: dict[str, Any], model: SemanticModel,
                                    conn: psycopg.Connection[Any]) -> None:
    """The compiler's answer equals the hand-written one on the sample data."""
    query = compile(Intent.model_validate(case["intent"]), model, as_of=AS_OF, timezone="UTC")
    got_raw = run_read_only(conn, query.sql, query.params)
    want_raw = run_read_only(conn, case["reference_sql"])
    assert want_raw, f"{case['name']}: the reference returns no rows, so the case proves nothing"
    width = {len(r) for r in got_raw + want_raw}
    assert len(width) == 1, f"column counts differ: {width}\n{query.sql}"
    got, want = normalize(got_raw, case["ordered"]), normalize(want_raw, case["ordered"])
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}\n{query.params}"


def test_cases_are_meaningful() -> None:
    """Guards the fixture itself: enough cases, unique names, every field present."""
    cases = load_cases()
    assert len(cases) >= 35
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names))
    for case in cases:
        assert set(case) >= {"name", "description", "intent", "reference_sql", "ordered"}, case["name"]
        assert isinstance(case["ordered"], bool)
        if case["ordered"]:
            assert "ORDER BY" in case["reference_sql"].upper(), case["name"]


# --- refusals: queries that would double count ----------------------------------------------------------


@pytest.mark.parametrize(
    "intent",
    [
        pytest.param({"metrics": ["resource_count"], "dimensions": ["usage_date"]}, id="count_by_usage_date"),
        pytest.param({"metrics": ["resource_count"], "dimensions": ["usage_date__month"]},
                     id="count_by_usage_month"),
        pytest.param({"metrics": ["resource_count"],
                      "filters": [{"field": "resource_costs.service", "op": "=", "value": "ec2"}]},
                     id="count_filtered_by_cost_service"),
        pytest.param({"metrics": ["resource_count"],
                      "time_range": {"kind": "previous", "unit": "month", "dimension": "usage_date"}},
                     id="count_in_usage_date_range"),
        pytest.param({"metrics": ["account_count"], "dimensions": ["region"]}, id="account_count_by_region"),
        pytest.param({"metrics": ["cost_per_resource"], "dimensions": ["usage_date__week"]},
                     id="ratio_by_usage_week"),
    ],
)
def test_double_counting_queries_are_refused(intent: dict[str, Any], model: SemanticModel) -> None:
    """Joining a fact to a table on its many side would repeat its rows; the compiler must say no."""
    with pytest.raises(QueryRefused) as info:
        compile(Intent.model_validate(intent), model, as_of=AS_OF)
    assert "more than once" in str(info.value)


def test_refusal_is_real(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Shows what the refusal prevents: the naive join inflates the resource count by the cost days."""
    honest = run_read_only(conn, "SELECT count(*) FROM inventory.resources WHERE service = 'ec2'")[0][0]
    naive = run_read_only(conn, """SELECT count(*) FROM inventory.resources r
                                   JOIN inventory.resource_costs c ON c.resource_id = r.resource_id
                                   WHERE c.service = 'ec2'""")[0][0]
    assert naive > 10 * honest
    intent = Intent.model_validate({"metrics": ["resource_count"],
                                    "filters": [{"field": "service", "op": "=", "value": "ec2"}]})
    query = compile(intent, model, as_of=AS_OF)
    assert run_read_only(conn, query.sql, query.params) == [(honest,)]


# --- read-only -----------------------------------------------------------------------------------------


def statement_kinds(sql: str) -> list[type[exp.Expression]]:
    return [type(s) for s in sqlglot.parse(sql, read="postgres") if s is not None]


@pytest.mark.parametrize("case", case_params())
def test_compiled_sql_is_one_read_only_select(case: dict[str, Any], model: SemanticModel) -> None:
    """One statement, a SELECT, with no data-changing node anywhere (not even in a CTE)."""
    query = compile(Intent.model_validate(case["intent"]), model, as_of=AS_OF)
    assert statement_kinds(query.sql) == [exp.Select]
    tree = sqlglot.parse_one(query.sql, read="postgres")
    writes = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command,
              exp.Into, exp.Lock)
    assert not [n for n in tree.walk() if isinstance(n, writes)]


def test_read_only_transaction_really_blocks_writes(conn: psycopg.Connection[Any]) -> None:
    """The guard is effective: the transaction setup that runs every compiled query (and so proves it
    never writes) rejects a write."""
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        run_read_only(conn, "UPDATE inventory.accounts SET owner_email = owner_email")



# --- time zones: Python computes the range bounds, PostgreSQL the day buckets ------------------------------


@pytest.mark.parametrize("zone", ["CET", "EET", "MET", "WET", "posixrules", "localtime"])
def test_zone_names_postgresql_reads_differently_are_refused(model: SemanticModel, zone: str) -> None:
    """PostgreSQL reads 'CET' as the fixed offset UTC+1 where Python applies summer time; such names
    would make range bounds and day buckets disagree, so they are refused with a suggestion."""
    intent = Intent.model_validate({"metrics": ["resource_count"], "dimensions": ["created_at__day"],
                                    "timezone": zone})
    with pytest.raises(IntentError, match="unknown time zone"):
        compile(intent, model, as_of=dt.date(2026, 6, 17))


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("UTC", dt.date(2026, 6, 17)),
        ("America/Los_Angeles", dt.date(2026, 3, 8)),  # spring forward at 02:00
        ("Europe/Berlin", dt.date(2025, 10, 26)),  # fall back at 03:00
        ("Africa/Cairo", dt.date(2024, 4, 26)),  # spring forward at midnight: the day starts at 01:00
        ("America/Havana", dt.date(2025, 11, 2)),  # fall back at 01:00 to midnight: 00:xx happens twice
        ("Asia/Kolkata", dt.date(2026, 6, 17)),  # half-hour offset
        ("Australia/Lord_Howe", dt.date(2025, 10, 5)),  # half-hour DST shift
    ],
)
def test_time_range_bounds_agree_with_day_buckets(model: SemanticModel, pg_url: str, zone: str,
                                                  day: dt.date) -> None:
    """A one-day range on a timestamptz must hold exactly the rows PostgreSQL puts in that local day.

    The range bounds are instants computed in Python, the buckets come from AT TIME ZONE in SQL; around
    DST changes (and for zone names the two sides read differently) they can disagree. Checked on a
    scratch table with a row every 10 minutes, so every transition hour is populated.
    """
    scratch = model.model_copy(update={"schema_name": "pg_temp"})
    intent = Intent.model_validate({
        "metrics": ["resource_count"], "dimensions": ["created_at__day"], "timezone": zone,
        "time_range": {"kind": "between", "start": day, "end": day, "dimension": "created_at"},
    })
    query = compile(intent, scratch, as_of=day)
    with psycopg.connect(pg_url) as conn, conn.transaction(force_rollback=True):
        conn.execute("CREATE TEMP TABLE resources (resource_id text, created_at timestamptz) ON COMMIT DROP")
        conn.execute("""INSERT INTO pg_temp.resources
                        SELECT g::text, g FROM generate_series(
                            (%(day)s::date - 2)::timestamp AT TIME ZONE 'UTC',
                            (%(day)s::date + 3)::timestamp AT TIME ZONE 'UTC', interval '10 minutes') g""",
                     {"day": day})
        got = conn.execute(query.sql, query.params).fetchall()
        want = conn.execute("SELECT count(*) FROM pg_temp.resources WHERE (created_at AT TIME ZONE %s)::date = %s",
                            (zone, day)).fetchone()
    assert want is not None
    assert got == [(day, want[0])]
