"""Counting groups (``count_groups``): "how many accounts have more than 200 resources".

1. Golden cases: each compiles to the reviewed SQL (syrupy, ``__snapshots__/test_group_counts/``) and
   gives the same rows as SQL written by hand from what the question means, on the seed-42 sample.
   Columns: the dimensions the count is split by, then the count.
2. Materialized views: every shipped view that holds what a case needs answers it with exactly the base
   tables' rows; `crq explain` says why the others cannot.
3. What counting refuses, how the answer reads, and the LLM's strict schema.

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
ACCOUNTS = "LEFT JOIN inventory.accounts a ON a.account_id = r.account_id"
MAY = "c.usage_date BETWEEN DATE '2026-05-01' AND DATE '2026-05-31'"

CASES: list[dict[str, Any]] = [
    {
        "name": "accounts_over_200_resources",
        "question": "how many accounts have more than 200 resources",
        "intent": {"metrics": ["resource_count"], "filters": [{"field": "resource_count", "op": ">", "value": 200}],
                   "count_groups": {"of": ["account_name"]}},
        "reference_sql": f"""
            SELECT count(*) FROM (SELECT a.account_name FROM inventory.resources r {ACCOUNTS}
                                  GROUP BY a.account_name HAVING count(*) > 200) g""",
        "ordered": False,
    },
    {
        "name": "accounts_over_1000_resources",
        "question": "how many accounts have more than 1,000 resources",
        "intent": {"metrics": ["resource_count"], "filters": [{"field": "resource_count", "op": ">", "value": 1000}],
                   "count_groups": {"of": ["account_name"]}},
        # none has: the count is one row saying 0, not an empty answer
        "reference_sql": "SELECT 0",
        "ordered": False,
    },
    {
        "name": "regions_with_a_public_bucket",
        "question": "how many regions have any public bucket",
        "intent": {"metrics": ["resource_count"],
                   "filters": [{"field": "resource_type", "value": "s3:bucket"}, {"field": "is_public", "value": True}],
                   "count_groups": {"of": ["region"]}},
        "reference_sql": """
            SELECT count(DISTINCT region) FROM inventory.resources
            WHERE resource_type = 's3:bucket' AND is_public""",
        "ordered": False,
    },
    {
        "name": "regions_with_over_10_public_buckets",
        "question": "how many regions have more than 10 public buckets",
        "intent": {"metrics": ["public_count"],
                   "filters": [{"field": "resource_type", "value": "s3:bucket"},
                               {"field": "public_count", "op": ">", "value": 10}],
                   "count_groups": {"of": ["region"]}},
        "reference_sql": """
            SELECT count(*) FROM (SELECT region FROM inventory.resources WHERE resource_type = 's3:bucket'
                                  GROUP BY region HAVING count(*) FILTER (WHERE is_public) > 10) g""",
        "ordered": False,
    },
    {
        "name": "services_over_50000_last_month",
        "question": "how many services cost more than $50,000 last month",
        "intent": {"metrics": ["cost"], "filters": [{"field": "cost", "op": ">", "value": 50000}],
                   "time_range": "last month", "count_groups": {"of": ["service"]}},
        "reference_sql": f"""
            SELECT count(*) FROM (SELECT c.service FROM inventory.resource_costs c WHERE {MAY}
                                  GROUP BY c.service HAVING sum(c.cost_usd) > 50000) g""",
        "ordered": False,
    },
    {
        "name": "services_over_2000_per_account",
        "question": "which 5 accounts had the most services costing over $2,000 last month",
        "intent": {"metrics": ["cost"], "dimensions": ["account_name"],
                   "filters": [{"field": "cost", "op": ">", "value": 2000}], "time_range": "last month",
                   "count_groups": {"of": ["service"]}, "order_by": [{"field": "service", "direction": "desc"}],
                   "limit": 5},
        "reference_sql": f"""
            SELECT account_name, n FROM (  -- the top 5 and every account tied with the 5th
                SELECT account_name, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS rk FROM (
                    SELECT a.account_name, c.service FROM inventory.resource_costs c
                    LEFT JOIN inventory.accounts a ON a.account_id = c.account_id WHERE {MAY}
                    GROUP BY a.account_name, c.service HAVING sum(c.cost_usd) > 2000) g
                GROUP BY account_name) t
            WHERE rk <= 5 ORDER BY n DESC, account_name""",
        "ordered": True,
    },
    {
        "name": "days_over_14500_last_month",
        "question": "on how many days last month did we spend more than $14,500",
        "intent": {"metrics": ["cost"], "filters": [{"field": "cost", "op": ">", "value": 14500}],
                   "time_range": "last month", "count_groups": {"of": ["usage_date__day"]}},
        "reference_sql": f"""
            SELECT count(*) FROM (SELECT c.usage_date FROM inventory.resource_costs c WHERE {MAY}
                                  GROUP BY c.usage_date HAVING sum(c.cost_usd) > 14500) g""",
        "ordered": False,
    },
    {
        "name": "business_units_big_on_both_facts",
        "question": "how many business units have over 700 resources and over $450,000 of cost",
        "intent": {"metrics": ["resource_count", "cost"],
                   "filters": [{"field": "resource_count", "op": ">", "value": 700},
                               {"field": "cost", "op": ">", "value": 450000}],
                   "count_groups": {"of": ["business_unit"]}},
        # each fact aggregated on its own, then the business units that pass both
        "reference_sql": f"""
            SELECT count(*)
            FROM (SELECT a.business_unit, count(*) n FROM inventory.resources r {ACCOUNTS} GROUP BY 1) r
            JOIN (SELECT a.business_unit, sum(c.cost_usd) v FROM inventory.resource_costs c
                  LEFT JOIN inventory.accounts a ON a.account_id = c.account_id GROUP BY 1) k USING (business_unit)
            WHERE r.n > 700 AND k.v > 450000""",
        "ordered": False,
    },
]
CASES += [
    {
        "name": "regions_we_are_in",
        "question": "how many regions are we in",
        "intent": {"metrics": ["resource_count"], "filters": [{"field": "region", "op": "is not null"}],
                   "count_groups": {"of": ["region"]}},
        "reference_sql": "SELECT count(DISTINCT region) FROM inventory.resources",
        "ordered": False,
    },
    {
        "name": "teams",  # a tag: resources without one are no team of their own
        "question": "how many teams",
        "intent": {"metrics": ["resource_count"], "filters": [{"field": "tag:team", "op": "is not null"}],
                   "count_groups": {"of": ["tag:team"]}},
        "reference_sql": "SELECT count(DISTINCT tags->>'team') FROM inventory.resources",
        "ordered": False,
    },
]
IDS = [c["name"] for c in CASES]
_BY_NAME = {c["name"]: c for c in CASES}


def _compile(case: dict[str, Any], model: SemanticModel) -> Any:
    return compile(Intent.model_validate(case["intent"]), model, as_of=AS_OF, timezone="UTC")


# --- 1. golden cases --------------------------------------------------------------------------------------


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
    assert want_raw, "the reference returns no rows, so the case proves nothing"
    assert {len(r) for r in got_raw + want_raw} == {len(got_raw[0])}, query.sql
    got, want = normalize(got_raw, case["ordered"]), normalize(want_raw, case["ordered"])
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}\n{query.params}"


def test_counts_are_not_vacuous(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Guards the fixture: a condition that keeps some groups and drops others, so a count that ignored
    it (or counted rows instead of groups) would differ; and one case counts no group at all."""
    counts = {}
    for case in CASES:
        query = _compile(case, model)
        counts[case["name"]] = [r[-1] for r in run_read_only(conn, query.sql, query.params)]
    assert counts["accounts_over_200_resources"] == [10]  # of 24 accounts
    assert counts["accounts_over_1000_resources"] == [0]
    assert counts["regions_with_a_public_bucket"] == [6]
    assert counts["regions_with_over_10_public_buckets"] == [3]
    assert counts["services_over_50000_last_month"] == [4]  # of 8 services
    assert 0 < counts["days_over_14500_last_month"][0] < 31
    assert len(set(counts["services_over_2000_per_account"])) > 1
    assert counts["business_units_big_on_both_facts"] == [3]  # 4 have the resources, 3 of them the cost


# --- 2. materialized views ----------------------------------------------------------------------------------

VIEW_CASES = [
    ("accounts_over_200_resources", ["resource_inventory"]),
    ("accounts_over_1000_resources", ["resource_inventory"]),
    ("regions_with_a_public_bucket", ["resource_inventory"]),
    ("regions_with_over_10_public_buckets", ["resource_inventory"]),
    ("services_over_50000_last_month", ["daily_cost", "daily_cost_by_service", "monthly_cost"]),
    ("services_over_2000_per_account", ["daily_cost", "monthly_cost"]),
    ("days_over_14500_last_month", ["daily_cost", "daily_cost_by_service"]),
    ("business_units_big_on_both_facts", ["resource_inventory", "daily_cost", "monthly_cost"]),
    ("regions_we_are_in", ["resource_inventory"]),
    ("teams", []),
]


@pytest.mark.parametrize(("name", "view"), [(n, v) for n, vs in VIEW_CASES for v in vs])
def test_view_answers_the_count(name: str, view: str, states: Any, url: str) -> None:  # noqa: F811
    raw = _BY_NAME[name]["intent"]
    query = compiled(raw, views={view: states[view]})
    assert view in query.plan.materializations, dict(query.plan.view_report)
    assert f"crq_mv.{view}" in query.sql
    ordered = _BY_NAME[name]["ordered"]
    with psycopg.connect(url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), ordered)
        want = normalize(base_rows(conn, raw), ordered)
    assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"


def test_every_view_that_can_answer_is_listed(states: Any) -> None:  # noqa: F811
    """With all views available, each case is answered from views where VIEW_CASES says one can, and
    explain gives the reason for the others."""
    listed = dict(VIEW_CASES)
    for case in CASES:
        report = dict(compiled(case["intent"], views=states).plan.view_report)
        usable = {v for v, why in report.items() if why == "used" or why.startswith("qualifies")}
        assert usable == set(listed[case["name"]]), (case["name"], report)
    report = dict(compiled(_BY_NAME["days_over_14500_last_month"]["intent"], views=states).plan.view_report)
    assert report["monthly_cost"] == "month buckets do not roll up into days"


# --- 3. refusals, answers, the LLM schema ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        ({"metrics": ["cost"], "dimensions": ["service"], "count_groups": {"of": ["service"]}},
         "count_groups.of[0]", "also in dimensions"),
        ({"metrics": ["cost"], "dimensions": ["service"], "count_groups": {"of": ["region"]}, "share": {}},
         "count_groups", "cannot be asked together"),
        ({"metrics": ["cost"], "time_range": "last month", "compare": {}, "count_groups": {"of": ["region"]}},
         "count_groups", "cannot be asked together"),
        ({"metrics": ["cost"], "count_groups": {"of": ["region"]}, "order_by": [{"field": "cost"}]},
         "order_by[0]", "not a column of the count"),
        ({"metrics": ["cost"], "count_groups": {"of": ["regoin"]}}, "count_groups.of[0]", "did you mean 'region'"),
    ],
)
def test_counts_that_mean_nothing_are_refused(raw: dict[str, Any], field: str, says: str,
                                              model: SemanticModel) -> None:
    with pytest.raises(IntentError) as info:
        compile(Intent.model_validate(raw), model, as_of=AS_OF)
    assert info.value.field == field
    assert says in str(info.value)


def test_an_empty_count_is_invalid() -> None:
    with pytest.raises(ValueError, match=r"count_groups\.of"):
        Intent.model_validate({"metrics": ["cost"], "count_groups": {"of": []}})


def test_answer_says_what_was_counted(model: SemanticModel) -> None:
    intent = Intent.model_validate(_BY_NAME["services_over_2000_per_account"]["intent"])
    reading = describe_intent(intent, AS_OF)
    assert reading == ("number of service per account_name, where cost > 2000, last month (2026-05-01 to "
                       "2026-05-31), top 5 by the count")
    text = answer_text(intent, model, ["account_name", "service_count"],
                       [("platform-prod", 7), ("data-prod", 6)], False, reading)
    assert text == ("2 rows of number of service by account_name; highest number of service first: "
                    "platform-prod (7) (interpreted as " + reading + ").")
    total = Intent.model_validate(_BY_NAME["accounts_over_200_resources"]["intent"])
    assert describe_intent(total, AS_OF) == "number of account_name, where resource_count > 200"
    assert answer_text(total, model, ["account_name_count"], [(10,)], False, "x") == (
        "Number of account name: 10 (interpreted as x).")


@pytest.mark.parametrize("name", ["accounts_over_200_resources", "services_over_2000_per_account",
                                  "days_over_14500_last_month"])
def test_llm_reply_carries_the_count(name: str, model: SemanticModel) -> None:
    """The strict schema declares ``count_groups`` (nullable, every property required, the counted
    names an enum of dimensions), and a reply in it reads back as the intent (a time dimension is
    counted by its finest grain: the schema's enum holds names, not grains)."""
    schema = reply_schema(model)
    assert strict_problems(schema) == []
    counting = schema["properties"]["intent"]["anyOf"][0]["properties"]["count_groups"]
    assert counting["anyOf"][1] == {"type": "null"}
    assert counting["anyOf"][0]["required"] == ["of"]
    assert "account_name" in counting["anyOf"][0]["properties"]["of"]["items"]["enum"]
    intent = Intent.model_validate(_BY_NAME[name]["intent"])
    data = intent_to_json(intent, model)
    assert data["count_groups"] == {"of": [intent.count_groups.of[0].name]}  # type: ignore[union-attr]
    reply = {"status": "answered", "follow_up": False, "intent": data, "message": "", "suggestions": []}
    raw = _BY_NAME[name]["intent"]
    by_name = Intent.model_validate({**raw, "count_groups": {"of": [intent.count_groups.of[0].name]}})  # type: ignore[union-attr]
    assert parse_reply(json.dumps(reply), schema).intent == by_name
    # usage_date is counted by day either way; only the count's column name says the grain or not
    a, b = (compile(i, model, as_of=AS_OF).plan.facts[0] for i in (by_name, intent))
    assert [(d.target, d.grain) for d in a.dimensions] == [(d.target, d.grain) for d in b.dimensions]
    plain = intent_to_json(Intent.model_validate({"metrics": ["cost"]}), model)
    assert plain["count_groups"] is None
