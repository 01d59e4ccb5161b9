"""Running totals (``cumulative``): each sum or count also added up along the time dimension grouped by.

1. Golden cases: the reviewed SQL (syrupy, ``__snapshots__/test_running_totals/``) and the same rows as
   SQL written by hand, on the seed-42 sample. Columns: the dimensions, then per metric its amount and
   ``<metric>_cumulative`` (the amounts of its time buckets so far, within the range, per group of the
   other dimensions).
2. Materialized views: every shipped view that holds what a case needs gives the base tables' rows.
3. What a running total refuses, and how the answer reads.

Sample: costs 2025-12-20 .. 2026-06-17; as-of 2026-06-17 (a Wednesday).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg
import pytest
from syrupy.assertion import SnapshotAssertion
from test_compiler_execution import describe_difference, normalize, run_read_only
from test_compiler_snapshots import params_json
from test_materialized_views import base_rows, compiled, states, url  # noqa: F401 (module fixtures)

from compiler import compile
from models.errors import IntentError
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.describe import describe_intent
from runtime.mappers.llm_schema import intent_to_json, parse_reply, reply_schema, strict_problems

AS_OF = dt.date(2026, 6, 17)

CASES: list[dict[str, Any]] = [
    {
        "name": "cumulative_cost_by_day_in_may",
        "question": "cumulative cost by day in May",
        "intent": {"metrics": ["cost"], "dimensions": ["usage_date__day"], "time_range": "May 2026",
                   "cumulative": {}},
        "reference_sql": """
            SELECT d, v, sum(v) OVER (ORDER BY d)
            FROM (SELECT usage_date d, sum(cost_usd) v FROM inventory.resource_costs
                  WHERE usage_date BETWEEN '2026-05-01' AND '2026-05-31' GROUP BY usage_date) t""",
        "ordered": False,
    },
    {
        "name": "running_eks_cost_per_week_this_quarter",
        "question": "running total of EKS cost per week this quarter",
        "intent": {"metrics": ["cost"], "dimensions": ["usage_date__week"], "time_range": "this quarter",
                   "filters": [{"field": "service", "value": "kubernetes"}], "cumulative": {}},
        # weeks start on Monday: a day's week starts isodow - 1 days before it
        "reference_sql": """
            SELECT w, v, sum(v) OVER (ORDER BY w)
            FROM (SELECT usage_date - (extract(isodow FROM usage_date)::int - 1) w, sum(cost_usd) v
                  FROM inventory.resource_costs
                  WHERE service = 'eks' AND usage_date >= '2026-04-01' AND usage_date <= '2026-06-17'
                  GROUP BY 1) t""",
        "ordered": False,
    },
    {
        "name": "cumulative_cost_per_region_by_month",
        "question": "cumulative monthly cost per region, ordered by month",
        "intent": {"metrics": ["cost"], "dimensions": ["region", "usage_date__month"],
                   "cumulative": {}, "order_by": [{"field": "usage_date__month", "direction": "asc"}]},
        "reference_sql": """
            SELECT r, m, v, sum(v) OVER (PARTITION BY r ORDER BY m)
            FROM (SELECT region r, make_date(extract(year FROM usage_date)::int, extract(month FROM usage_date)::int, 1) m,
                         sum(cost_usd) v
                  FROM inventory.resource_costs GROUP BY 1, 2) t
            ORDER BY m, r""",
        "ordered": True,
    },
    {
        "name": "resources_existing_at_each_month_end",
        "question": "how many resources existed at the end of each month, from their creation date",
        "intent": {"metrics": ["resource_count", "total_storage_gb"], "dimensions": ["created_at__month"],
                   "cumulative": {}},
        "reference_sql": """
            SELECT m, n, sum(n) OVER (ORDER BY m), g, sum(g) OVER (ORDER BY m)
            FROM (SELECT make_date(extract(year FROM created_at AT TIME ZONE 'UTC')::int,
                                   extract(month FROM created_at AT TIME ZONE 'UTC')::int, 1) m,
                         count(*) n, sum(storage_gb) g
                  FROM inventory.resources GROUP BY 1) t""",
        "ordered": False,
    },
]
IDS = [c["name"] for c in CASES]
_BY_NAME = {c["name"]: c for c in CASES}


def _compile(case: dict[str, Any], model: SemanticModel) -> Any:
    return compile(Intent.model_validate(case["intent"]), model, as_of=AS_OF, timezone="UTC")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sql_snapshot(case: dict[str, Any], model: SemanticModel, sql_snapshot: SnapshotAssertion) -> None:
    query = _compile(case, model)
    text = f"-- case: {case['name']}\n-- {case['question']}\n{query.sql}\n-- params: {params_json(query.params)}\n"
    assert text == sql_snapshot


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_matches_hand_written_sql(case: dict[str, Any], model: SemanticModel,
                                           conn: psycopg.Connection[Any]) -> None:
    query = _compile(case, model)
    got_raw = run_read_only(conn, query.sql, query.params)
    want_raw = run_read_only(conn, case["reference_sql"])
    assert len(want_raw) > 2, "a running total over fewer than three buckets proves little"
    assert {len(r) for r in got_raw + want_raw} == {len(got_raw[0])}, query.sql
    got, want = normalize(got_raw, case["ordered"]), normalize(want_raw, case["ordered"])
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}\n{query.params}"


VIEW_CASES = [
    ("cumulative_cost_by_day_in_may", ["daily_cost", "daily_cost_by_service"]),
    ("running_eks_cost_per_week_this_quarter", ["daily_cost", "daily_cost_by_service"]),
    ("cumulative_cost_per_region_by_month", ["daily_cost", "daily_cost_by_service", "monthly_cost"]),
]


@pytest.mark.parametrize(("name", "view"), [(n, v) for n, vs in VIEW_CASES for v in vs])
def test_view_answers_running_totals(name: str, view: str, states: Any, url: str) -> None:  # noqa: F811
    raw = _BY_NAME[name]["intent"]
    query = compiled(raw, views={view: states[view]})
    assert [f.view.name if f.view else None for f in query.plan.facts] == [view], dict(query.plan.view_report)
    ordered = bool(raw.get("order_by"))
    with psycopg.connect(url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), ordered)
        want = normalize(base_rows(conn, raw), ordered)
    assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"


def test_monthly_view_cannot_run_weeks_or_days(states: Any) -> None:  # noqa: F811
    """A monthly view answers monthly running totals (above), never weekly or daily ones."""
    for name in ("cumulative_cost_by_day_in_may", "running_eks_cost_per_week_this_quarter"):
        query = compiled(_BY_NAME[name]["intent"], views={"monthly_cost": states["monthly_cost"]})
        assert query.plan.materializations == ()
        assert "do not roll up" in dict(query.plan.view_report)["monthly_cost"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"metrics": ["cost"], "dimensions": ["region"], "cumulative": {}}, "time dimension"),
        ({"metrics": ["cost"], "cumulative": {}}, "time dimension"),
        ({"metrics": ["avg_daily_cost"], "dimensions": ["usage_date__month"], "cumulative": {}}, "only sums and counts"),
        ({"metrics": ["cost_days"], "dimensions": ["usage_date__month"], "cumulative": {}}, "only sums and counts"),
        ({"metrics": ["encrypted_share"], "dimensions": ["created_at__month"], "cumulative": {}}, "only sums and counts"),
        ({"metrics": ["cost"], "dimensions": ["usage_date__month", "created_at__month"], "cumulative": {}},
         "one time dimension"),
        ({"metrics": ["cost"], "dimensions": ["usage_date__month"], "time_range": "last 3 months",
          "cumulative": {}, "compare": {}}, "cannot be asked together"),
        ({"metrics": ["cost"], "dimensions": ["usage_date__month"], "cumulative": {}, "share": {}},
         "cannot be asked together"),
    ],
)
def test_running_totals_that_do_not_add_up_are_refused(raw: dict[str, Any], says: str, model: SemanticModel) -> None:
    with pytest.raises(IntentError) as info:
        compile(Intent.model_validate(raw), model, as_of=AS_OF)
    assert says in str(info.value)
    assert info.value.field in ("cumulative", "compare")


def test_answer_says_running_total(model: SemanticModel) -> None:
    intent = Intent.model_validate(_BY_NAME["cumulative_cost_by_day_in_may"]["intent"])
    reading = describe_intent(intent, AS_OF)
    assert reading == "cost by usage_date by day, as a running total, May 2026 (2026-05-01 to 2026-05-31)"
    text = answer_text(intent, model, ["usage_date__day", "cost", "cost_cumulative"],
                       [(dt.date(2026, 5, 1), 10.0, 10.0), (dt.date(2026, 5, 2), 5.5, 15.5)], False, reading)
    assert text == ("2 rows of cost and running total of cost by usage_date__day (interpreted as " + reading + ").")


# (the schema's order_by names fields, not grain columns such as usage_date__month: that case is left out)
@pytest.mark.parametrize("name", [n for n in IDS if n != "cumulative_cost_per_region_by_month"])
def test_llm_reply_carries_the_running_total(name: str, model: SemanticModel) -> None:
    """The strict schema declares ``cumulative`` as a required boolean; a reply reads back as the intent."""
    schema = reply_schema(model)
    assert strict_problems(schema) == []
    prop = schema["properties"]["intent"]["anyOf"][0]["properties"]["cumulative"]
    assert prop["type"] == "boolean"
    intent = Intent.model_validate(_BY_NAME[name]["intent"])
    data = intent_to_json(intent, model)
    assert data["cumulative"] is True
    reply = {"status": "answered", "follow_up": False, "intent": data, "message": "", "suggestions": []}
    assert parse_reply(json.dumps(reply), schema).intent == intent
    plain = {**data, "cumulative": False}
    assert parse_reply(json.dumps({**reply, "intent": plain}), schema).intent == intent.model_copy(
        update={"cumulative": None})

