"""Shares (metrics as percentages of a whole): what the compiler refuses, and how answers read.

The numbers themselves are proven against hand-written SQL in fixtures/intents.yaml (share_* cases)
and against the materialized views in test_materialized_views.py (share-* cases).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from compiler import compile
from models.errors import IntentError
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.describe import describe_intent

AS_OF = dt.date(2026, 6, 17)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"metrics": ["avg_storage_gb"], "dimensions": ["region"], "share": {}}, "only sums and counts"),
        ({"metrics": ["public_share"], "dimensions": ["region"], "share": {}}, "only sums and counts"),
        ({"metrics": ["cost"], "share": {}}, "needs a breakdown"),
        ({"dimensions": ["region"], "share": {"part": [{"field": "state", "value": "running"}]}}, "needs at least one metric"),
        ({"metrics": ["resource_count"], "dimensions": ["region"],
          "share": {"part": [{"field": "resource_count", "op": ">", "value": 3}]}}, "not on resource_count"),
        ({"metrics": ["resource_count"], "share": {"part": [{"field": "regoin", "value": "us-east-1"}]}}, "regoin"),
        ({"metrics": ["resource_count"], "share": {"part": [{"field": "state", "value": "melted"}]}}, "melted"),
    ],
)
def test_shares_that_do_not_add_up_are_refused_with_the_field(raw: dict[str, Any], says: str,
                                                               model: SemanticModel) -> None:
    with pytest.raises(IntentError) as info:
        compile(Intent.model_validate(raw), model, as_of=AS_OF)
    assert says in str(info.value)
    assert info.value.field.startswith("share") or "dimensions" in info.value.field or "metrics" in info.value.field


def test_count_distinct_has_a_part_share_but_no_share_of_total(model: SemanticModel) -> None:
    measures = {me.name for t in model.tables for me in t.measures if me.agg == "count_distinct"}
    distinct = next(m.name for m in model.metrics if m.type == "simple" and (m.measure or "").split(".")[-1] in measures)
    part = {"metrics": [distinct], "share": {"part": [{"field": "environment", "value": "prod"}]}}
    assert "FILTER" in compile(Intent.model_validate(part), model, as_of=AS_OF).sql
    with pytest.raises(IntentError):
        compile(Intent.model_validate({"metrics": [distinct], "dimensions": ["region"], "share": {}}),
                model, as_of=AS_OF)


def test_answer_reads_shares_as_percentages(model: SemanticModel) -> None:
    intent = Intent.model_validate({"metrics": ["cost"], "time_range": "last month",
                                    "share": {"part": [{"field": "environment", "value": "prod"}]}})
    reading = describe_intent(intent, AS_OF)
    assert "the part where environment = prod as a percentage" in reading
    text = answer_text(intent, model, ["cost", "cost_share"], [(1234.5, 23.456)], False, reading)
    assert "$1,234.50" in text and "23.5%" in text


def test_ranking_by_a_shared_metric_names_the_share(model: SemanticModel) -> None:
    intent = Intent.model_validate({"metrics": ["resource_count"], "dimensions": ["service"], "limit": 1,
                                    "order_by": [{"field": "resource_count"}],
                                    "share": {"part": [{"field": "is_public", "value": True}]}})
    sql = compile(intent, model, as_of=AS_OF).sql
    assert "ORDER BY\n  resource_count_share DESC" in sql
    text = answer_text(intent, model, ["service", "resource_count", "resource_count_share"],
                       [("s3", 40, 12.5)], False, "r")
    assert "highest share of resource count: 12.5%" in text
