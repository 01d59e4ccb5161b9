"""Ranked positions: "the second most expensive service", "the third oldest instance" (``Intent.offset``).

Asked back before (the ordinal was an unknown word); answered now with the one row at that position of
the ranking, by both mappers' intents, checked against the whole ranking on the sample data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from conftest import AS_OF

from compiler import compile
from models.errors import IntentError
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.database import Database
from runtime.describe import describe_intent, ordinal
from runtime.json_values import json_value
from runtime.mappers.llm_schema import intent_from_json
from runtime.mappers.offline import OfflineMapper
from runtime.service import Service


def _rows(url: str, query: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params or {}).fetchall()  # type: ignore[arg-type]


RANKINGS = [
    # question, the whole ranking in SQL (the answer is its row at the ordinal's position), position
    (
        "second most expensive service last month",
        "SELECT service, sum(cost_usd) FROM inventory.resource_costs "
        "WHERE usage_date BETWEEN '2026-05-01' AND '2026-05-31' GROUP BY 1 ORDER BY 2 DESC, 1",
        2,
    ),
    (
        "which region has the third most resources?",
        "SELECT region, count(*) FROM inventory.resources GROUP BY 1 ORDER BY 2 DESC, 1",
        3,
    ),
    (
        "the 2nd cheapest day last month",
        "SELECT usage_date, sum(cost_usd) FROM inventory.resource_costs "
        "WHERE usage_date BETWEEN '2026-05-01' AND '2026-05-31' GROUP BY 1 ORDER BY 2, 1",
        2,
    ),
    (
        "which account has the 4th most buckets",
        "SELECT r.account_id, a.account_name, count(*) FROM inventory.resources r "
        "JOIN inventory.accounts a USING (account_id) WHERE r.resource_type = 's3:bucket' "
        "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        4,
    ),
]


@pytest.mark.parametrize(("question", "ranking", "position"), RANKINGS, ids=[r[0] for r in RANKINGS])
def test_an_ordinal_answers_that_row_of_the_ranking(
    question: str, ranking: str, position: int, model: SemanticModel, sample_url: str
) -> None:
    whole = _rows(sample_url, ranking)
    assert whole[position - 2][-1] != whole[position - 1][-1] != whole[position][-1], "a tie proves nothing"
    service = Service(model, Database(sample_url), OfflineMapper(model, {}, as_of=AS_OF), as_of=AS_OF)
    answer = service.ask(question)
    assert answer.status == "answered", answer.message
    assert [tuple(r) for r in answer.rows] == [tuple(json_value(v) for v in whole[position - 1])]
    assert f"has the {ordinal(position)} " in answer.answer


def test_a_listing_ordered_by_a_column_skips_the_rows_before(model: SemanticModel, sample_url: str) -> None:
    mapper = OfflineMapper(model, {}, as_of=AS_OF)
    intent = mapper.map("the third largest ebs volume").intent
    assert intent is not None and (intent.limit, intent.offset) == (1, 2)
    query = compile(intent, model, as_of=AS_OF)
    sizes = [r[0] for r in _rows(sample_url, "SELECT storage_gb FROM inventory.resources "
                                 "WHERE resource_type = 'ebs:volume' ORDER BY 1 DESC NULLS LAST")]
    got = _rows(sample_url, query.sql, query.params)
    # the third place is shared by every volume of that size (16 at 2,000 GB): all of them, no other
    assert [r[-1] for r in got] == [s for s in sizes if s == sizes[2]]
    assert len(got) > 1
    assert describe_intent(intent, AS_OF).endswith("3rd by storage_gb descending")


def test_offset_needs_a_ranking(model: SemanticModel) -> None:
    for intent in (
        {"metrics": ["cost"], "dimensions": ["service"], "limit": 1, "offset": 1},
        {"metrics": ["cost"], "dimensions": ["service"], "order_by": [{"field": "cost"}], "offset": 1},
    ):
        with pytest.raises(IntentError) as e:
            compile(Intent.model_validate(intent), model, as_of=AS_OF)
        assert e.value.field == "offset"
        assert "give order_by and limit" in str(e.value)


def test_the_answer_and_its_reading_say_the_position(model: SemanticModel) -> None:
    intent = Intent.model_validate({"metrics": ["cost"], "dimensions": ["service"],
                                    "time_range": {"kind": "previous", "unit": "month"},
                                    "order_by": [{"field": "cost"}], "limit": 1, "offset": 1})
    text = answer_text(intent, model, ["service", "cost"], [("s3", Decimal("1234.5"))], False, "r")
    assert text == "s3 has the 2nd highest cost: $1,234.50 (interpreted as r)."
    assert describe_intent(intent, dt.date(2026, 6, 17)) == (
        "cost by service, last month (2026-05-01 to 2026-05-31), 2nd highest by cost")
    lowest = intent.model_copy(update={"order_by": (intent.order_by[0].model_copy(update={"direction": "asc"}),),
                                       "offset": 10})
    assert describe_intent(lowest).endswith("11th lowest by cost")


def test_the_llm_reply_may_give_an_offset() -> None:
    base = {"metrics": ["cost"], "dimensions": [{"name": "service", "grain": None}],
            "order_by": [{"field": "cost", "direction": "desc"}], "limit": 1}
    assert intent_from_json({**base, "offset": 2}).offset == 2
    assert intent_from_json({**base, "offset": None}).offset is None
    assert intent_from_json(base).offset is None  # replies recorded before the field existed
    assert "offset" not in Intent.model_validate(base).model_dump(mode="json")  # JSON as before


def test_a_place_shared_is_said_so(model: SemanticModel) -> None:
    intent = Intent.model_validate({"dimensions": ["resource_id", "storage_gb"],
                                    "order_by": [{"field": "storage_gb", "direction": "asc"}], "limit": 1, "offset": 1})
    rows = [("vol-1", 8), ("vol-2", 8)]
    assert answer_text(intent, model, ["resource_id", "storage_gb"], rows, False, "r") == (
        "2 rows tie for 2nd place: vol-1, 8; vol-2, 8 (interpreted as r).")


def test_ties_for_first_are_all_named(model: SemanticModel) -> None:
    """ "which business unit has the most accounts": every unit tied for first, not one of them."""
    intent = Intent.model_validate({"metrics": ["account_count"], "dimensions": ["business_unit"],
                                    "order_by": [{"field": "account_count"}], "limit": 1})
    rows = [("data", 4), ("marketing", 4), ("payments", 4), ("platform", 4)]
    text = answer_text(intent, model, ["business_unit", "account_count"], rows, False, "r")
    assert text == ("4 rows tie for the highest account count, 4: data; marketing; payments and 1 more "
                    "(interpreted as r).")
    one = answer_text(intent, model, ["business_unit", "account_count"], rows[:1], False, "r")
    assert one == "data has the highest account count: 4 (interpreted as r)."


@pytest.mark.parametrize(("n", "said"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                         (12, "12th"), (13, "13th"), (21, "21st"), (102, "102nd"), (111, "111th")])
def test_ordinal(n: int, said: str) -> None:
    assert ordinal(n) == said


def test_a_top_n_keeps_the_rows_tied_with_its_last(model: SemanticModel, sample_url: str) -> None:
    """ "bottom 3 accounts by public buckets": two accounts have none and three have one, so the third
    place is shared by three: all five are the answer (RANK() <= 3), never three of them picked by
    name, and the sentence says why five rows answer a bottom 3."""
    ranking = _rows(sample_url, """
        SELECT account_id, account_name, n FROM (
          SELECT a.account_id, a.account_name, count(r.resource_id) AS n,
                 rank() OVER (ORDER BY count(r.resource_id)) AS rk
          FROM inventory.accounts a LEFT JOIN inventory.resources r
            ON r.account_id = a.account_id AND r.is_public AND r.resource_type = 's3:bucket'
          GROUP BY 1, 2) t
        WHERE rk <= 3 ORDER BY n, account_id""")
    assert len(ranking) > 3, "no tie at the cut proves nothing"
    service = Service(model, Database(sample_url), OfflineMapper(model, {}, as_of=AS_OF), as_of=AS_OF)
    answer = service.ask("bottom 3 accounts by public buckets")
    assert answer.status == "answered", answer.message
    assert [tuple(r) for r in answer.rows] == [tuple(json_value(v) for v in r) for r in ranking]
    last = ranking[-1][-1]
    tied = sum(1 for r in ranking if r[-1] == last)
    first_place = next(i for i, r in enumerate(ranking, 1) if r[-1] == last)
    assert f"; {tied} rows tie for {ordinal(first_place)} place ({last}), so {len(ranking)} are shown for the 3 asked" in (
        answer.answer)


def test_a_top_n_without_a_tie_at_its_cut_says_nothing_of_ties(model: SemanticModel) -> None:
    intent = Intent.model_validate({"metrics": ["cost"], "dimensions": ["service"],
                                    "order_by": [{"field": "cost"}], "limit": 2})
    rows = [("ec2", Decimal("3")), ("s3", Decimal("2"))]
    assert answer_text(intent, model, ["service", "cost"], rows, False, "r") == (
        "2 rows of cost by service; highest cost first: ec2 ($3.00) (interpreted as r).")
    tied = [*rows, ("rds", Decimal("2"))]
    assert answer_text(intent, model, ["service", "cost"], tied, False, "r") == (
        "3 rows of cost by service; highest cost first: ec2 ($3.00); 2 rows tie for 2nd place ($2.00), so 3 "
        "are shown for the 2 asked (interpreted as r).")
