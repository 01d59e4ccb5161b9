"""Averaging groups (``average_groups``): "average cost per account last month".

Golden cases with hand-written SQL and snapshots are in ``fixtures/intents.yaml`` (``average_*``),
run by test_compiler_execution.py and test_compiler_snapshots.py. Here: views answer exactly as the
base tables, what averaging refuses, how the answer reads, the LLM's strict schema, and questions
read by the offline mapper then run on the seed-42 sample against SQL written from their meaning.

Sample: costs 2025-12-20 .. 2026-06-17; as-of 2026-06-17 (a Wednesday).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from test_compiler_execution import describe_difference, normalize, run_read_only
from test_materialized_views import base_rows, compiled, states, url  # noqa: F401 (module fixtures)

from compiler import compile
from models.errors import IntentError
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.describe import describe_intent
from runtime.mappers.llm_schema import intent_to_json, parse_reply, reply_schema, strict_problems
from runtime.mappers.offline import OfflineMapper

AS_OF = dt.date(2026, 6, 17)

PER_ACCOUNT_BY_ENV = {
    "metrics": ["cost"],
    "dimensions": ["environment"],
    "time_range": {"kind": "previous", "unit": "month"},
    "average_groups": {"of": ["account_name"]},  # the cost views hold names, not ids
}
INSTANCES_PER_REGION = {
    "metrics": ["resource_count"],
    "filters": [{"field": "resource_type", "value": "ec2:instance"}],
    "average_groups": {"of": ["region"]},
}


@pytest.mark.parametrize(
    ("raw", "view"),
    [
        (PER_ACCOUNT_BY_ENV, "daily_cost"),
        (PER_ACCOUNT_BY_ENV, "monthly_cost"),
        (INSTANCES_PER_REGION, "resource_inventory"),
    ],
)
def test_a_view_averages_exactly_as_the_base_tables(raw: dict[str, Any], view: str, states: Any,  # noqa: F811
                                                    url: str) -> None:  # noqa: F811
    """The groups are made from the view as they would be from the tables, then averaged: the same rows."""
    query = compiled(raw, views={view: states[view]})
    assert view in query.plan.materializations, dict(query.plan.view_report)
    with psycopg.connect(url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), False)
        want = normalize(base_rows(conn, raw), False)
    assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"
    assert len(want) == (4 if raw is PER_ACCOUNT_BY_ENV else 1)


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        ({"metrics": ["avg_storage_gb"], "average_groups": {"of": ["account_id"]}},
         "average_groups", "avg_storage_gb is not averaged over groups"),
        ({"metrics": ["cost_per_resource"], "average_groups": {"of": ["region"]}},
         "average_groups", "cost_per_resource is not averaged over groups"),
        ({"metrics": ["cost"], "dimensions": ["service"], "average_groups": {"of": ["service"]}},
         "average_groups.of[0]", "also in dimensions"),
        ({"metrics": ["cost"], "dimensions": ["service"], "average_groups": {"of": ["region"]}, "share": {}},
         "average_groups", "averaging groups and a share cannot be asked together"),
        ({"metrics": ["cost"], "average_groups": {"of": ["region"]}, "count_groups": {"of": ["service"]}},
         "average_groups", "counting groups and averaging them cannot be asked together"),
        ({"metrics": ["cost"], "average_groups": {"of": ["region"]}, "order_by": [{"field": "service"}]},
         "order_by[0]", "not a column of the averages"),
        ({"metrics": ["cost"], "average_groups": {"of": ["regoin"]}}, "average_groups.of[0]", "did you mean 'region'"),
        ({"dimensions": ["service"], "average_groups": {"of": ["region"]}},
         "average_groups", "needs at least one metric"),
    ],
)
def test_averages_that_mean_nothing_are_refused(raw: dict[str, Any], field: str, says: str,
                                                model: SemanticModel) -> None:
    with pytest.raises(IntentError) as info:
        compile(Intent.model_validate(raw), model, as_of=AS_OF)
    assert info.value.field == field
    assert says in str(info.value)


def test_an_empty_average_is_invalid() -> None:
    with pytest.raises(ValueError, match=r"average_groups\.of"):
        Intent.model_validate({"metrics": ["cost"], "average_groups": {"of": []}})


def test_answer_says_what_was_averaged_and_over_how_many(model: SemanticModel) -> None:
    intent = Intent.model_validate({**PER_ACCOUNT_BY_ENV, "order_by": [{"field": "cost"}], "limit": 1})
    reading = describe_intent(intent, AS_OF)
    assert reading == ("average cost per account_name by environment (over those with rows), last month "
                       "(2026-05-01 to 2026-05-31), top 1 by average cost")
    text = answer_text(intent, model, ["environment", "cost_average", "account_name_count"],
                       [("prod", 36000.5, 6)], False, reading)
    assert text == ("prod has the highest average cost per account: $36,000.50 (interpreted as " + reading + ").")
    one = Intent.model_validate({**INSTANCES_PER_REGION, "average_groups": {"of": ["business_unit"]}})
    assert answer_text(one, model, ["resource_count_average", "business_unit_count"], [(40.25, 4)], False, "x") == (
        "Average resource count per business unit: 40.25; Number of business units: 4 (interpreted as x).")


def test_llm_reply_carries_the_average(model: SemanticModel) -> None:
    """The strict schema declares ``average_groups`` (nullable, every property required, the names an
    enum of dimensions), and a reply in it reads back as the intent."""
    schema = reply_schema(model)
    assert strict_problems(schema) == []
    averaging = schema["properties"]["intent"]["anyOf"][0]["properties"]["average_groups"]
    assert averaging["anyOf"][1] == {"type": "null"}
    assert averaging["anyOf"][0]["required"] == ["of"]
    assert "account_id" in averaging["anyOf"][0]["properties"]["of"]["items"]["enum"]
    intent = Intent.model_validate(PER_ACCOUNT_BY_ENV)
    data = intent_to_json(intent, model)
    assert data["average_groups"] == {"of": ["account_name"]}
    reply = {"status": "answered", "follow_up": False, "intent": data, "message": "", "suggestions": []}
    assert parse_reply(json.dumps(reply), schema).intent == intent
    assert intent_to_json(Intent.model_validate({"metrics": ["cost"]}), model)["average_groups"] is None


# --- the offline mapper: questions read as averages of groups, run against SQL of their meaning -------------

QUESTIONS = [
    (
        "average cost per account last month",
        """SELECT sum(cost_usd) / count(DISTINCT account_id), count(DISTINCT account_id)
           FROM inventory.resource_costs WHERE usage_date BETWEEN '2026-05-01' AND '2026-05-31'""",
    ),
    (
        "avg number of ec2 instances per region by environment",
        """SELECT a.environment, count(*)::numeric / count(DISTINCT r.region), count(DISTINCT r.region)
           FROM inventory.resources r JOIN inventory.accounts a ON a.account_id = r.account_id
           WHERE r.resource_type = 'ec2:instance' GROUP BY 1""",
    ),
    (
        "which environment has the highest average spend per account?",
        """SELECT a.environment, sum(c.cost_usd) / count(DISTINCT c.account_id), count(DISTINCT c.account_id)
           FROM inventory.resource_costs c JOIN inventory.accounts a ON a.account_id = c.account_id
           GROUP BY 1 ORDER BY 2 DESC LIMIT 1""",
    ),
    (
        # a resource without the tag is no team: it is not averaged in as a team of its own
        "mean cost per team in may",
        """SELECT avg(t), count(*) FROM (
             SELECT r.tags ->> 'team', sum(c.cost_usd) AS t
             FROM inventory.resource_costs c JOIN inventory.resources r ON r.resource_id = c.resource_id
             WHERE c.usage_date BETWEEN '2026-05-01' AND '2026-05-31' AND r.tags ? 'team' GROUP BY 1) x""",
    ),
    (
        "average number of buckets per account in prod",
        """SELECT count(*)::numeric / count(DISTINCT r.account_id), count(DISTINCT r.account_id)
           FROM inventory.resources r JOIN inventory.accounts a ON a.account_id = r.account_id
           WHERE r.resource_type = 's3:bucket' AND a.environment = 'prod'""",
    ),
]


@pytest.fixture(scope="module")
def mapper(model: SemanticModel) -> OfflineMapper:
    return OfflineMapper(model, {}, as_of=AS_OF)


@pytest.mark.parametrize(("question", "reference"), QUESTIONS)
def test_questions_average_the_groups_they_name(question: str, reference: str, mapper: OfflineMapper,
                                                model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    mapping = mapper.map(question)
    assert mapping.status == "answered" and mapping.intent is not None, mapping.message
    assert mapping.intent.average_groups is not None
    query = compile(mapping.intent, model, as_of=AS_OF)
    ordered = "ORDER BY" in reference
    got = normalize(run_read_only(conn, query.sql, query.params), ordered)
    want = normalize(run_read_only(conn, reference), ordered)
    assert want, "the reference returns no rows, so the case proves nothing"
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}"


@pytest.mark.parametrize(
    "question",
    [
        "average monthly cost per account",  # over months, or over accounts?
        "average cost per account per month",
        "average storage",  # the model's own average answers, not groups
    ],
)
def test_questions_not_read_as_averages_of_groups(question: str, mapper: OfflineMapper) -> None:
    mapping = mapper.map(question)
    assert mapping.intent is None or mapping.intent.average_groups is None, mapping


def test_an_average_over_no_groups_is_no_rows(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Conditions no cost row meets leave no accounts to average: no answer ("no data"), not one row
    of an empty average beside a count of 0."""
    raw = {**PER_ACCOUNT_BY_ENV, "dimensions": []}
    query = compile(Intent.model_validate(raw), model, as_of=AS_OF)
    assert run_read_only(conn, query.sql, query.params) == [(pytest.approx(Decimal("18470.38"), abs=Decimal("0.01")), 24)]
    none = {**raw, "filters": [{"field": "account_name", "value": "no-such-account"}]}
    query = compile(Intent.model_validate(none), model, as_of=AS_OF)
    assert run_read_only(conn, query.sql, query.params) == []
