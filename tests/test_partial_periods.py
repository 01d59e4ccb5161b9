"""A ranking of periods that includes one the data covers only in part says so (compiler/rewrites/
partial_periods.py): "the cheapest month this year" on June 17 ranks seventeen days of June with
whole months, and June "wins". The rows stay what exists; the note names the partial period.

On the sample (cost data 2025-12-20 .. 2026-06-17, as of 2026-06-17), with the views' recorded spans.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AS_OF

from compiler import compile
from models.intent import Intent
from runtime.database import Database
from runtime.materialized_views import ViewManager, read_states
from semantic import load_model

RANKED = "a partial period is ranked with whole ones"


def _by_month(time_range: Any = None, order: str | None = "asc", grain: str = "month") -> Intent:
    raw: dict[str, Any] = {"metrics": ["cost"], "dimensions": [{"name": "usage_date", "grain": grain}]}
    if time_range is not None:
        raw["time_range"] = time_range
    if order is not None:
        raw |= {"order_by": [{"field": "cost", "direction": order}], "limit": 1}
    return Intent.model_validate(raw)


@pytest.mark.parametrize(
    ("intent", "notes"),
    [
        pytest.param(  # June is the current month: to date only
            _by_month({"kind": "current", "unit": "year"}),
            ("the last month (2026-06-01) has data only to 2026-06-17", RANKED),
            id="this-year-by-month",
        ),
        pytest.param(  # no range: the data's own span, from the views, cuts both ends
            _by_month(order="desc"),
            (
                "the first month (2025-12-01) has data only from 2025-12-20",
                "the last month (2026-06-01) has data only to 2026-06-17",
                RANKED,
            ),
            id="all-time-by-month",
        ),
        pytest.param(  # May starts on a Friday and ends on a Sunday: only its first week is cut
            _by_month({"kind": "month", "month": 5}, order="desc", grain="week"),
            ("the first week (2026-04-27) has data only from 2026-05-01", RANKED),
            id="weeks-of-may",
        ),
        pytest.param(_by_month({"kind": "previous", "unit": "month", "n": 3}), (), id="three-whole-months"),
        pytest.param(
            _by_month({"kind": "current", "unit": "year"}, order=None), (), id="a-series-in-time-order"
        ),
        pytest.param(_by_month({"kind": "month", "month": 5}, grain="day"), (), id="days-are-always-whole"),
    ],
)
def test_a_ranking_of_periods_names_the_partial_ones(
    sample_url: str, intent: Intent, notes: tuple[str, ...]
) -> None:
    model = load_model()
    ViewManager(sample_url, model).create(["daily_cost_by_service"])
    states = read_states(Database(sample_url))
    assert compile(intent, model, as_of=AS_OF, views=states).plan.notes == notes
