"""Two dates in one question, and ratios whose parts have data on different dates.

A. "what did instances launched since March cost last week": the time range on the metric's own date
   (usage_date) plus a filter on another time dimension (created_at, reached through the to-one join),
   which filters already express (op >=, <=, between; dates typed, compared as local calendar days).
   "interpreted as" names both: the filter, and which date the time range is on.
B. Issue 17, item 3: a ratio whose numerator and denominator come from facts dated by their own days
   (cost per running hour: 180 days of cost, 30 days of hours) divides totals over the dates both have
   data on, never 180 days by 30; "interpreted as" says so. Proven on a fixture model: the shipped model
   plus an ``instance_hours`` table of the last 30 days.

Each golden case: syrupy snapshot of the SQL, the rows of hand-written SQL on the seed-42 sample, and
every materialized view that can answer gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from test_compiler_execution import describe_difference, normalize, run_read_only
from test_compiler_snapshots import params_json
from test_materialized_views import base_rows, compiled, states, url  # noqa: F401 (module fixtures)

from compiler import compile
from models.errors import DatesDoNotOverlap
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.database import Database
from runtime.roles import READER_ROLE
from runtime.service import Prepared, Service
from semantic.loader import DEFAULT_MODEL, check_model_text

AS_OF = dt.date(2026, 6, 17)
RESOURCES = "JOIN inventory.resources r ON r.resource_id = c.resource_id"
LAST_WEEK = "c.usage_date BETWEEN '2026-06-08' AND '2026-06-14'"

# --- A. a second time dimension as a filter -------------------------------------------------------------------

CASES: list[dict[str, Any]] = [
    {
        "name": "instances_launched_since_march_cost_last_week",
        "question": "what did instances launched since March cost last week",
        "intent": {"metrics": ["cost"], "time_range": "last week",
                   "filters": [{"field": "resource_type", "value": "ec2:instance"},
                               {"field": "created_at", "op": ">=", "value": "2026-03-01"}]},
        "reference_sql": f"""
            SELECT sum(c.cost_usd) FROM inventory.resource_costs c {RESOURCES}
            WHERE r.resource_type = 'ec2:instance' AND r.created_at >= TIMESTAMPTZ '2026-03-01 00:00 UTC'
              AND {LAST_WEEK}""",
        "reading": "cost, where resource_type = ec2:instance and created_at ≥ 2026-03-01, last week "
                   "(2026-06-08 to 2026-06-14), the time range on usage_date",
    },
    {
        "name": "cost_last_month_of_q1_resources_by_service",
        "question": "last month's cost of the resources created in Q1 2026, by service",
        "intent": {"metrics": ["cost"], "dimensions": ["service"], "time_range": "last month",
                   "filters": [{"field": "created_at", "op": "between", "value": ["2026-01-01", "2026-03-31"]}]},
        "reference_sql": f"""
            SELECT c.service, sum(c.cost_usd) FROM inventory.resource_costs c {RESOURCES}
            WHERE r.created_at >= TIMESTAMPTZ '2026-01-01 00:00 UTC' AND r.created_at < TIMESTAMPTZ '2026-04-01 00:00 UTC'
              AND c.usage_date BETWEEN '2026-05-01' AND '2026-05-31'
            GROUP BY c.service""",
        "reading": "cost by service, where created_at between 2026-01-01 and 2026-03-31, last month "
                   "(2026-05-01 to 2026-05-31), the time range on usage_date",
    },
    {
        "name": "launched_before_2026_cost_last_week_in_tokyo_days",
        "question": "last week's daily cost of resources launched before 2026, in Tokyo time",
        "intent": {"metrics": ["cost"], "dimensions": ["usage_date__day"], "time_range": "last week",
                   "timezone": "Asia/Tokyo",
                   "filters": [{"field": "created_at", "op": "<", "value": "2026-01-01"}]},
        # created_at compared as a Tokyo calendar day: before 2026-01-01 00:00 +09
        "reference_sql": f"""
            SELECT c.usage_date, sum(c.cost_usd) FROM inventory.resource_costs c {RESOURCES}
            WHERE r.created_at < TIMESTAMPTZ '2026-01-01 00:00 +09' AND {LAST_WEEK}
            GROUP BY c.usage_date""",
        "reading": None,
    },
]
IDS = [c["name"] for c in CASES]
_BY_NAME = {c["name"]: c for c in CASES}


def _compile(raw: dict[str, Any], model: SemanticModel, **kw: Any) -> Any:
    return compile(Intent.model_validate(raw), model, as_of=AS_OF, timezone="UTC", **kw)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sql_snapshot(case: dict[str, Any], model: SemanticModel, sql_snapshot: SnapshotAssertion) -> None:
    query = _compile(case["intent"], model)
    text = f"-- case: {case['name']}\n-- {case['question']}\n{query.sql}\n-- params: {params_json(query.params)}\n"
    assert text == sql_snapshot


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_matches_hand_written_sql(case: dict[str, Any], model: SemanticModel,
                                           conn: psycopg.Connection[Any]) -> None:
    query = _compile(case["intent"], model)
    got = normalize(run_read_only(conn, query.sql, query.params), False)
    want = normalize(run_read_only(conn, case["reference_sql"]), False)
    assert want and all(v is not None for r in want for v in r), "the reference proves nothing"
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}\n{query.params}"
    # the filter bites: without it the answer differs
    unfiltered = {**case["intent"], "filters": [f for f in case["intent"]["filters"] if f["field"] != "created_at"]}
    plain = _compile(unfiltered, model)
    assert normalize(run_read_only(conn, plain.sql, plain.params), False) != got


def test_no_view_holds_created_at_and_explain_says_so(states: Any) -> None:  # noqa: F811
    for case in CASES:
        query = compiled(case["intent"], views=states)
        assert query.plan.materializations == ()
        report = dict(query.plan.view_report)
        cost_views = ("daily_cost", "daily_cost_by_service", "monthly_cost")
        assert "lacks resources.created_at, which a filter needs" in {report[v] for v in cost_views}, report
    report = dict(compiled(_BY_NAME["cost_last_month_of_q1_resources_by_service"]["intent"], views=states)
                  .plan.view_report)
    assert report["daily_cost"] == "lacks resources.created_at, which a filter needs"


@pytest.mark.parametrize("case", [c for c in CASES if c["reading"]], ids=lambda c: c["name"])
def test_interpreted_as_names_both_dates(case: dict[str, Any], model: SemanticModel, sample_url: str) -> None:
    service = Service(model, Database(sample_url), None, as_of=AS_OF, use_views=False)
    prepared = service.prepare_intent(Intent.model_validate(case["intent"]))
    assert isinstance(prepared, Prepared)
    answer = service.execute(prepared)
    assert answer.status == "answered" and answer.answer is not None
    assert answer.answer.endswith(f"(interpreted as {case['reading']}).")


def test_a_range_on_the_filtered_date_itself_needs_no_second_reading(model: SemanticModel) -> None:
    """One date in the question (the range is on created_at): nothing to tell apart."""
    raw = {"metrics": ["cost"], "time_range": {"kind": "previous", "unit": "month", "dimension": "created_at"},
           "filters": [{"field": "created_at", "op": ">=", "value": "2026-05-10"}]}
    assert _compile(raw, model).plan.readings == ()


@pytest.mark.parametrize(
    ("time_range", "condition", "message"),
    [
        (  # the range on each table's own date, a filter on that date a month before it
            {"kind": "current", "unit": "month"},
            {"field": "usage_date", "op": "between", "value": ["2026-05-01", "2026-05-31"]},
            "the filter on usage_date (between 2026-05-01 and 2026-05-31) and the time range (this month to "
            "date, 2026-06-01 to 2026-06-17) are on the same date and have no day in common, so nothing "
            "could match; ask for one range, or two periods to compare",
        ),
        (  # the range named on created_at, a filter after its end
            {"kind": "previous", "unit": "month", "dimension": "created_at"},
            {"field": "created_at", "op": ">=", "value": "2026-06-01"},
            "the filter on created_at (>= 2026-06-01) and the time range (last month, 2026-05-01 to "
            "2026-05-31) are on the same date and have no day in common, so nothing could match; ask for one "
            "range, or two periods to compare",
        ),
    ],
)
def test_a_filter_and_a_range_on_one_date_that_never_meet_are_refused(
    model: SemanticModel, time_range: dict[str, Any], condition: dict[str, Any], message: str
) -> None:
    """ANDed, they would answer "no data" about data that exists: a confident wrong answer."""
    raw = {"metrics": ["cost"], "dimensions": [{"name": "region"}], "time_range": time_range, "filters": [condition]}
    with pytest.raises(DatesDoNotOverlap) as e:
        _compile(raw, model)
    assert str(e.value) == message


def test_a_filter_that_overlaps_the_range_on_its_date_narrows_it(model: SemanticModel, conn: Any) -> None:
    """Last month, from May 20: the days both allow, checked against hand-written SQL."""
    raw = {"metrics": ["cost"], "dimensions": [{"name": "region"}], "time_range": {"kind": "previous", "unit": "month"},
           "filters": [{"field": "usage_date", "op": ">=", "value": "2026-05-20"}]}
    query = _compile(raw, model)
    got = run_read_only(conn, query.sql, query.params)
    expected = conn.execute(
        "SELECT region, SUM(cost_usd) FROM inventory.resource_costs "
        "WHERE usage_date BETWEEN '2026-05-20' AND '2026-05-31' GROUP BY region"
    ).fetchall()
    assert normalize(got, False) == normalize(expected, False) and len(expected) == 6


# --- B. a ratio across facts with different date spans (issue 17, item 3) -----------------------------------------

HOURS_SCHEMA = "hours_fixture"
HOURS_FIRST = AS_OF - dt.timedelta(days=29)  # 30 days of hours; cost has 180
HOURS_TABLE = {
    "name": "instance_hours",
    "schema": HOURS_SCHEMA,
    "description": "Hours each EC2 instance ran per day (the last 30 days only).",
    "primary_key": ["usage_date", "resource_id"],
    "default_time_dimension": "usage_date",
    "dimensions": [{"name": "resource_id", "column": "resource_id"}, {"name": "service", "column": "service"},
                   {"name": "region", "column": "region"}],
    "time_dimensions": [{"name": "usage_date", "column": "usage_date", "type": "date"}],
    "measures": [{"name": "running_hours", "agg": "sum", "expr": "hours"}],
}


@pytest.fixture(scope="module")
def hours_model() -> SemanticModel:
    """The shipped model plus instance_hours, a running_hours metric and cost per running hour."""
    raw = yaml.safe_load(DEFAULT_MODEL.read_text())
    raw["tables"].append(HOURS_TABLE)
    raw["relationships"] += [
        {"name": "hours_resource", "from": "instance_hours", "to": "resources",
         "keys": [{"from": "resource_id", "to": "resource_id"}]},
    ]
    raw["metrics"] += [
        {"name": "running_hours", "measure": "instance_hours.running_hours", "format": "number"},
        {"name": "cost_per_running_hour", "type": "ratio", "numerator": "cost", "denominator": "running_hours",
         "format": "currency"},
    ]
    model, issues = check_model_text(yaml.safe_dump(raw, sort_keys=False), "hours.yaml")
    assert model is not None, [str(i) for i in issues if i.level == "error"]
    return model


@pytest.fixture(scope="module")
def hours_url(url: str) -> Iterator[str]:  # noqa: F811
    """instance_hours built from the sample's EC2 cost rows of the last 30 days (hours 1..24 per row)."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {HOURS_SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {HOURS_SCHEMA}")
        admin.execute(f"""
            CREATE TABLE {HOURS_SCHEMA}.instance_hours AS
            SELECT usage_date, resource_id, service, region, (length(resource_id) % 24 + 1)::numeric AS hours
            FROM inventory.resource_costs WHERE service = 'ec2' AND usage_date >= DATE '{HOURS_FIRST}'""")
        admin.execute(f"GRANT USAGE ON SCHEMA {HOURS_SCHEMA} TO {READER_ROLE}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {HOURS_SCHEMA} TO {READER_ROLE}")
    yield url
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {HOURS_SCHEMA} CASCADE")


SPAN = f"usage_date BETWEEN DATE '{HOURS_FIRST}' AND DATE '{AS_OF}'"  # the dates both facts have


def _per_hour(by: str, where: str) -> str:
    """Hand-written: cost and hours each summed over ``where`` per ``by``, then divided."""
    return f"""
        SELECT coalesce(k.{by}, h.{by}), k.v / nullif(h.v, 0)
        FROM (SELECT {by}, sum(cost_usd) v FROM inventory.resource_costs WHERE {where} GROUP BY 1) k
        FULL JOIN (SELECT {by}, sum(hours) v FROM {HOURS_SCHEMA}.instance_hours WHERE {where} GROUP BY 1) h
          ON h.{by} = k.{by}"""


RATIO_CASES: list[dict[str, Any]] = [
    {
        "name": "cost_per_running_hour_by_service",
        "question": "cost per running hour by service",
        "intent": {"metrics": ["cost_per_running_hour"], "dimensions": ["service"]},
        "reference_sql": _per_hour("service", SPAN),
    },
    {
        "name": "cost_per_running_hour_last_90_days_by_region",
        "question": "cost per running hour by region over the last 90 days",
        "intent": {"metrics": ["cost_per_running_hour"], "dimensions": ["region"], "time_range": "last 90 days"},
        # the range (2026-03-20..2026-06-17) and the common span: hours' 30 days
        "reference_sql": _per_hour("region", SPAN),
    },
    {
        "name": "cost_and_cost_per_running_hour_in_total",
        "question": "cost and cost per running hour",
        "intent": {"metrics": ["cost", "cost_per_running_hour"]},
        # the cost shown is over the same dates as the ratio it sits beside
        "reference_sql": f"""
            SELECT k.v, k.v / h.v
            FROM (SELECT sum(cost_usd) v FROM inventory.resource_costs WHERE {SPAN}) k,
                 (SELECT sum(hours) v FROM {HOURS_SCHEMA}.instance_hours WHERE {SPAN}) h""",
    },
]
RATIO_IDS = [c["name"] for c in RATIO_CASES]
_RATIO = {c["name"]: c for c in RATIO_CASES}
ALIGNED = "resource_costs and instance_hours over only the dates all of them have data"


@pytest.mark.parametrize("case", RATIO_CASES, ids=RATIO_IDS)
def test_ratio_sql_snapshot(case: dict[str, Any], hours_model: SemanticModel,
                            sql_snapshot: SnapshotAssertion) -> None:
    query = _compile(case["intent"], hours_model)
    text = f"-- case: {case['name']}\n-- {case['question']}\n{query.sql}\n-- params: {params_json(query.params)}\n"
    assert text == sql_snapshot
    assert query.plan.readings == (ALIGNED,)


@pytest.mark.parametrize("case", RATIO_CASES, ids=RATIO_IDS)
def test_ratio_divides_the_same_dates(case: dict[str, Any], hours_model: SemanticModel, hours_url: str) -> None:
    query = _compile(case["intent"], hours_model)
    with psycopg.connect(hours_url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), False)
        want = normalize(run_read_only(conn, case["reference_sql"]), False)
        assert any(v is not None for r in want for v in r[-1:]), "no ratio to compare"
        assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}"
        if "time_range" not in case["intent"]:  # dividing 180 days of cost by 30 of hours differs
            mismatched = run_read_only(conn, case["reference_sql"].replace(SPAN, "TRUE"))
            assert normalize(mismatched, False) != want


def test_the_span_follows_the_data(hours_model: SemanticModel, hours_url: str) -> None:
    """The span is read from the data when the query runs: with hours for fewer days, fewer days of cost."""
    case = _RATIO["cost_and_cost_per_running_hour_in_total"]
    query = _compile(case["intent"], hours_model)
    later = AS_OF - dt.timedelta(days=9)
    with psycopg.connect(hours_url) as conn, conn.transaction(force_rollback=True):
        conn.execute(f"DELETE FROM {HOURS_SCHEMA}.instance_hours WHERE usage_date < %s", (later,))
        got = conn.execute(query.sql, query.params).fetchall()
        span = f"usage_date BETWEEN DATE '{later}' AND DATE '{AS_OF}'"
        want = conn.execute(case["reference_sql"].replace(SPAN, span)).fetchall()
    assert normalize(got, False) == normalize(want, False)


def test_daily_views_answer_the_aligned_ratio(hours_model: SemanticModel, hours_url: str, states: Any) -> None:  # noqa: F811
    """The cost side from a daily view (restricted to the span by its day column); a monthly view cannot
    cut its buckets at the span's first day, and explain says so."""
    case = _RATIO["cost_per_running_hour_by_service"]
    for view in ("daily_cost", "daily_cost_by_service"):
        query = compiled(case["intent"], hours_model, views={view: states[view]})
        assert query.plan.materializations == (view,), dict(query.plan.view_report)
        with psycopg.connect(hours_url) as conn:
            got = normalize(run_read_only(conn, query.sql, query.params), False)
            want = normalize(run_read_only(conn, case["reference_sql"]), False)
        assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"
    report = dict(compiled(case["intent"], hours_model, views=states).plan.view_report)
    assert report["monthly_cost"] == "aligning the ratio's facts to common dates needs days; the view has months"


@pytest.mark.parametrize(
    "raw",
    [
        {"metrics": ["cost", "running_hours"], "dimensions": ["service"]},  # two amounts: each its own dates
        {"metrics": ["cost_per_running_hour"],  # one date reached from both facts bounds both
         "time_range": {"kind": "previous", "unit": "month", "dimension": "created_at"}},
        {"metrics": ["cost_per_resource"]},  # resources counts what exists now: no dates to align
    ],
)
def test_no_alignment_where_no_ratio_spans_two_dated_facts(raw: dict[str, Any], hours_model: SemanticModel) -> None:
    query = _compile(raw, hours_model)
    assert query.plan.readings == ()
    assert all(f.common_span is None for f in query.plan.facts)
    assert "common_span" not in query.sql


def test_interpreted_as_says_the_dates_were_aligned(hours_model: SemanticModel, hours_url: str) -> None:
    service = Service(hours_model, Database(hours_url), None, as_of=AS_OF, use_views=False)
    prepared = service.prepare_intent(Intent.model_validate(_RATIO["cost_per_running_hour_by_service"]["intent"]))
    assert isinstance(prepared, Prepared)
    answer = service.execute(prepared)
    assert answer.status == "answered" and answer.answer is not None
    assert answer.answer.endswith(f"(interpreted as cost_per_running_hour by service, {ALIGNED}).")


def test_a_scoped_caller_gets_the_span_of_their_rows(hours_model: SemanticModel, hours_url: str) -> None:
    """The span is read under the caller's access scope, as every fact is: a caller who sees eu-west-1
    gets the hand-written answer over eu-west-1's rows, on the dates both facts have there."""
    from models.access import RowFilter, Scope

    scope = Scope(allows=(RowFilter((("region", ("eu-west-1",)),)),))
    raw = _RATIO["cost_per_running_hour_by_service"]["intent"]
    query = compile(Intent.model_validate(raw), hours_model, as_of=AS_OF, scope=scope)
    assert query.sql.count("= ANY(") >= 4  # both facts and both spans are scoped
    eu = "region = 'eu-west-1'"
    with psycopg.connect(hours_url) as conn:
        first, last = conn.execute(f"""
            SELECT greatest((SELECT min(usage_date) FROM inventory.resource_costs WHERE {eu}),
                            (SELECT min(usage_date) FROM {HOURS_SCHEMA}.instance_hours WHERE {eu})),
                   least((SELECT max(usage_date) FROM inventory.resource_costs WHERE {eu}),
                         (SELECT max(usage_date) FROM {HOURS_SCHEMA}.instance_hours WHERE {eu}))""").fetchone()
        where = f"{eu} AND usage_date BETWEEN DATE '{first}' AND DATE '{last}'"
        got = normalize(run_read_only(conn, query.sql, query.params), False)
        want = normalize(run_read_only(conn, _per_hour("service", where)), False)
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}"
