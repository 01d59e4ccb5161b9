"""Side by side on one dimension: "what do in-use vs available volumes cost", "prod vs staging spend".

The shape is one filter naming every value (op ``in``) and that dimension in ``dimensions``: a row per
value. When the values come as conditions that cannot all hold (a segment that keeps one value and a
filter naming another, or two filters), the compiler never ANDs them into an empty or partial answer:
grouped by that dimension they become one condition on all the values (and "interpreted as" says "side
by side"); not grouped, the intent is refused with the way to ask.

1. Golden cases: syrupy snapshot + the same rows as hand-written SQL on the seed-42 sample.
2. Materialized views that hold the dimension answer with the base tables' rows; explain says why not.
3. Refusals, narrowing that stays narrowing, and the answer's words (through the Service).
"""

from __future__ import annotations

import datetime as dt
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
from runtime.database import Database
from runtime.service import Prepared, Service

AS_OF = dt.date(2026, 6, 17)
RESOURCES = "JOIN inventory.resources r ON r.resource_id = c.resource_id"
ACCOUNTS = "JOIN inventory.accounts a ON a.account_id = c.account_id"
VOLUMES_BY_STATE = f"""
    SELECT r.state, sum(c.cost_usd) FROM inventory.resource_costs c {RESOURCES}
    WHERE r.resource_type = 'ebs:volume' AND r.state IN ('in-use', 'available') GROUP BY r.state"""
PROD_STAGING_BY_SERVICE = f"""
    SELECT a.environment, c.service, sum(c.cost_usd) FROM inventory.resource_costs c {ACCOUNTS}
    WHERE a.environment IN ('prod', 'staging') AND c.usage_date BETWEEN '2026-05-01' AND '2026-05-31'
    GROUP BY a.environment, c.service"""

CASES: list[dict[str, Any]] = [
    {
        "name": "volumes_segment_and_filter",
        "question": "what do in-use vs available volumes cost",
        # as a mapper may read it: "available volumes" is the segment, "in-use" a filter on its state
        "intent": {"metrics": ["cost"], "dimensions": ["state"], "segments": ["unattached_volumes"],
                   "filters": [{"field": "state", "value": "in-use"}]},
        "reference_sql": VOLUMES_BY_STATE,
        "readings": ("state in-use and available side by side",),
    },
    {
        "name": "volumes_documented_shape",
        "question": "what do in-use vs available volumes cost",
        "intent": {"metrics": ["cost"], "dimensions": ["state"],
                   "filters": [{"field": "resource_type", "value": "ebs:volume"},
                               {"field": "state", "op": "in", "value": ["in-use", "available"]}]},
        "reference_sql": VOLUMES_BY_STATE,
        "readings": (),
    },
    {
        "name": "prod_vs_staging_by_service",
        "question": "prod vs staging spend by service last month",
        "intent": {"metrics": ["cost"], "dimensions": ["environment", "service"], "time_range": "last month",
                   "filters": [{"field": "environment", "op": "in", "value": ["prod", "staging"]}]},
        "reference_sql": PROD_STAGING_BY_SERVICE,
        "readings": (),
    },
    {
        "name": "production_segment_vs_staging",
        "question": "production vs staging spend by service last month",
        "intent": {"metrics": ["cost"], "dimensions": ["environment", "service"], "time_range": "last month",
                   "segments": ["production"], "filters": [{"field": "environment", "value": "staging"}]},
        "reference_sql": PROD_STAGING_BY_SERVICE,
        "readings": ("environment staging and prod side by side",),
    },
    {
        "name": "two_filters_on_one_dimension",
        "question": "prod and staging spend last month, side by side",
        "intent": {"metrics": ["cost"], "dimensions": ["environment"], "time_range": "last month",
                   "filters": [{"field": "environment", "value": "prod"},
                               {"field": "environment", "value": "staging"}]},
        "reference_sql": f"""
            SELECT a.environment, sum(c.cost_usd) FROM inventory.resource_costs c {ACCOUNTS}
            WHERE a.environment IN ('prod', 'staging') AND c.usage_date BETWEEN '2026-05-01' AND '2026-05-31'
            GROUP BY a.environment""",
        "readings": ("environment prod and staging side by side",),
    },
    {
        "name": "running_vs_stopped_instances_by_region",
        "question": "how many running vs stopped instances are there per region",
        "intent": {"metrics": ["resource_count"], "dimensions": ["state", "region"],
                   "segments": ["running_instances"], "filters": [{"field": "state", "value": "stopped"}]},
        "reference_sql": """
            SELECT state, region, count(*) FROM inventory.resources
            WHERE resource_type = 'ec2:instance' AND state IN ('running', 'stopped') GROUP BY state, region""",
        "readings": ("state stopped and running side by side",),
    },
]
IDS = [c["name"] for c in CASES]
_BY_NAME = {c["name"]: c for c in CASES}


def _compile(raw: dict[str, Any], model: SemanticModel) -> Any:
    return compile(Intent.model_validate(raw), model, as_of=AS_OF, timezone="UTC")


# --- 1. golden cases --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sql_snapshot(case: dict[str, Any], model: SemanticModel, sql_snapshot: SnapshotAssertion) -> None:
    query = _compile(case["intent"], model)
    text = f"-- case: {case['name']}\n-- {case['question']}\n{query.sql}\n-- params: {params_json(query.params)}\n"
    assert text == sql_snapshot
    assert query.plan.readings == case["readings"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_matches_hand_written_sql(case: dict[str, Any], model: SemanticModel,
                                           conn: psycopg.Connection[Any]) -> None:
    query = _compile(case["intent"], model)
    got = normalize(run_read_only(conn, query.sql, query.params), False)
    want = normalize(run_read_only(conn, case["reference_sql"]), False)
    first = case["intent"]["dimensions"][0]
    # a row (or rows) for each value: never one value's rows alone, never nothing
    assert len({r[0] for r in want}) == 2, f"the reference does not show two {first} values side by side"
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}\n{query.params}"


# --- 2. materialized views ----------------------------------------------------------------------------------

VIEW_CASES = [
    ("prod_vs_staging_by_service", ["daily_cost", "monthly_cost"]),
    ("production_segment_vs_staging", ["daily_cost", "monthly_cost"]),
    ("two_filters_on_one_dimension", ["daily_cost", "monthly_cost"]),
    ("running_vs_stopped_instances_by_region", ["resource_inventory"]),
]


@pytest.mark.parametrize(("name", "view"), [(n, v) for n, vs in VIEW_CASES for v in vs])
def test_view_answers_side_by_side(name: str, view: str, states: Any, url: str) -> None:  # noqa: F811
    raw = _BY_NAME[name]["intent"]
    query = compiled(raw, views={view: states[view]})
    assert query.plan.materializations == (view,), dict(query.plan.view_report)
    with psycopg.connect(url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), False)
        want = normalize(base_rows(conn, raw), False)
    assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"


def test_views_without_the_dimension_say_why(states: Any) -> None:  # noqa: F811
    listed = dict(VIEW_CASES)
    for case in CASES:
        report = dict(compiled(case["intent"], views=states).plan.view_report)
        usable = {v for v, why in report.items() if why == "used" or why.startswith("qualifies")}
        assert usable == set(listed.get(case["name"], [])), (case["name"], report)
    report = dict(compiled(_BY_NAME["volumes_segment_and_filter"]["intent"], views=states).plan.view_report)
    assert report["monthly_cost"] == "lacks dimension resources.state"


# --- 3. refusals, narrowing, answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        ({"metrics": ["cost"], "segments": ["unattached_volumes"], "filters": [{"field": "state", "value": "in-use"}]},
         "filters[0]", "segment unattached_volumes keeps only state available and filters[0] asks for state "
         "in-use: both at once would leave out in-use; to see them side by side, group by state"),
        ({"metrics": ["cost"], "filters": [{"field": "environment", "value": "prod"},
                                           {"field": "environment", "value": "staging"}]},
         "filters[1]", "group by environment (add it to dimensions)"),
        ({"metrics": ["cost"], "segments": ["unattached_volumes"],
          "filters": [{"field": "state", "op": "in", "value": ["in-use", "available"]}]},
         "filters[0]", "would leave out in-use"),
        ({"metrics": ["cost"], "segments": ["production"], "filters": [{"field": "environment", "value": "dev"}]},
         "filters[0]", "segment production keeps only environment prod"),
    ],
)
def test_conditions_that_cannot_all_hold_are_refused_without_a_grouping(
    raw: dict[str, Any], field: str, says: str, model: SemanticModel
) -> None:
    with pytest.raises(IntentError) as info:
        _compile(raw, model)
    assert info.value.field == field
    assert says in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        # a filter within what a segment keeps narrows it, as before
        {"metrics": ["cost"], "dimensions": ["environment"], "segments": ["production"],
         "filters": [{"field": "environment", "value": "prod"}]},
        # two filters that overlap (Europe, then eu-west-1) narrow too, grouped or not
        {"metrics": ["cost"], "dimensions": ["region"],
         "filters": [{"field": "region", "value": "europe"}, {"field": "region", "value": "eu-west-1"}]},
        {"metrics": ["cost"], "filters": [{"field": "region", "value": "europe"},
                                          {"field": "region", "value": "eu-west-1"}]},
    ],
)
def test_narrowing_stays_narrowing(raw: dict[str, Any], model: SemanticModel) -> None:
    query = _compile(raw, model)
    assert query.plan.readings == ()
    assert len(query.plan.facts[0].filters) == len(raw["filters"]) + (1 if raw.get("segments") else 0)


def test_the_answer_says_side_by_side(model: SemanticModel, sample_url: str) -> None:
    """Through the Service: the rows of both values, and "interpreted as" saying they are side by side."""
    service = Service(model, Database(sample_url), None, as_of=AS_OF, use_views=False)
    prepared = service.prepare_intent(Intent.model_validate(_BY_NAME["volumes_segment_and_filter"]["intent"]))
    assert isinstance(prepared, Prepared)
    answer = service.execute(prepared)
    assert answer.status == "answered"
    assert sorted(r[0] for r in answer.rows) == ["available", "in-use"]
    assert answer.answer is not None
    assert answer.answer.endswith(
        "(interpreted as cost by state, where state = in-use and segment unattached_volumes, "
        "state in-use and available side by side).")
