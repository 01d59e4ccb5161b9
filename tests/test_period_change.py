"""Change between periods (``compare``): a metric now against an earlier period, per group.

1. Golden cases: each compiles to the reviewed SQL (syrupy, ``__snapshots__/test_period_change/``) and
   gives the same rows as SQL written by hand from what the question means, on the seed-42 sample.
   Columns: the dimensions, then per metric its amount now, then, the change and the change in percent.
2. Materialized views: every shipped view that holds what a case needs answers both periods with
   exactly the base tables' rows; a view that fits only one period answers that one, and explain says
   why not for the other.
3. What a comparison refuses, and how the answer reads.

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
from compiler.time_range import previous_period, resolve_time_range
from models.access import RowFilter, Scope
from models.errors import DatesDoNotOverlap, IntentError, PeriodBeforeDates
from models.intent import Intent, TimeRange
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.describe import describe_intent
from runtime.mappers.llm_schema import ReplyError, intent_to_json, parse_reply, reply_schema, strict_problems

AS_OF = dt.date(2026, 6, 17)


def _change(now: str, then: str) -> str:
    """The hand-written change columns: now, then, now - then, percent of then (NULL when then is 0)."""
    return (f"{now}, {then}, {now} - {then}, "
            f"CASE WHEN {then} <> 0 THEN ({now} - {then}) * 100.0 / {then} END")


def _cost(where: str, by: str = "", joins: str = "") -> str:
    group = f" GROUP BY {by}" if by else ""
    select = f"{by}, " if by else ""
    return (f"SELECT {select}sum(c.cost_usd) AS v FROM inventory.resource_costs c {joins} "
            f"WHERE {where}{group}")


ACCOUNTS = "JOIN inventory.accounts a ON a.account_id = c.account_id"
MAY = "c.usage_date >= DATE '2026-05-01' AND c.usage_date < DATE '2026-06-01'"
APRIL = "c.usage_date >= DATE '2026-04-01' AND c.usage_date < DATE '2026-05-01'"
MARCH = "c.usage_date >= DATE '2026-03-01' AND c.usage_date < DATE '2026-04-01'"

CASES: list[dict[str, Any]] = [
    {
        "name": "region_last_month_vs_previous",
        "question": "how did each region's spend change last month",
        "intent": {"metrics": ["cost"], "dimensions": ["region"], "time_range": "last month", "compare": {}},
        "reference_sql": f"""
            SELECT coalesce(n.region, p.region), {_change('n.v', 'p.v')}
            FROM ({_cost(MAY, 'c.region')}) n FULL JOIN ({_cost(APRIL, 'c.region')}) p ON p.region = n.region""",
        "ordered": False,
    },
    {
        "name": "service_april_vs_march",
        "question": "how did each service's spend change from March to April",
        "intent": {"metrics": ["cost"], "dimensions": ["service"], "time_range": "April 2026",
                   "compare": {"to": "March 2026"}},
        "reference_sql": f"""
            SELECT coalesce(n.service, p.service), {_change('n.v', 'p.v')}
            FROM ({_cost(APRIL, 'c.service')}) n FULL JOIN ({_cost(MARCH, 'c.service')}) p
              ON p.service = n.service""",
        "ordered": False,
    },
    {
        "name": "accounts_that_grew_most",
        "question": "which accounts grew the most last month",
        "intent": {"metrics": ["cost"], "dimensions": ["account_name"], "time_range": "last month",
                   "compare": {"to": "previous_period"}, "order_by": [{"field": "cost", "direction": "desc"}],
                   "limit": 3},
        "reference_sql": f"""
            SELECT n.account_name, {_change('n.v', 'p.v')}
            FROM ({_cost(MAY, 'a.account_name', ACCOUNTS)}) n
            JOIN ({_cost(APRIL, 'a.account_name', ACCOUNTS)}) p USING (account_name)
            ORDER BY n.v - p.v DESC LIMIT 3""",
        "ordered": True,
    },
    {
        "name": "accounts_fastest_percent_drop",
        "question": "which accounts' spend fell fastest last month, in percent",
        "intent": {"metrics": ["cost"], "dimensions": ["account_name"], "time_range": "last month",
                   "compare": {"rank_by": "percent_change"},
                   "order_by": [{"field": "cost", "direction": "asc"}], "limit": 2},
        "reference_sql": f"""
            SELECT n.account_name, {_change('n.v', 'p.v')}
            FROM ({_cost(MAY, 'a.account_name', ACCOUNTS)}) n
            JOIN ({_cost(APRIL, 'a.account_name', ACCOUNTS)}) p USING (account_name)
            ORDER BY (n.v - p.v) / p.v LIMIT 2""",
        "ordered": True,
    },
    {
        "name": "ec2_week_over_week",
        "question": "week over week change in EC2 cost",
        "intent": {"metrics": ["cost"], "filters": [{"field": "service", "value": "compute"}],
                   "time_range": "last week", "compare": {}},
        "reference_sql": f"""
            SELECT {_change('n.v', 'p.v')}
            FROM (SELECT sum(cost_usd) v FROM inventory.resource_costs
                  WHERE service = 'ec2' AND usage_date BETWEEN '2026-06-08' AND '2026-06-14') n,
                 (SELECT sum(cost_usd) v FROM inventory.resource_costs
                  WHERE service = 'ec2' AND usage_date BETWEEN '2026-06-01' AND '2026-06-07') p""",
        "ordered": False,
    },
    {
        "name": "quarter_to_date_by_business_unit",
        "question": "change vs last quarter by business unit, so far this quarter",
        "intent": {"metrics": ["cost", "avg_daily_cost"], "dimensions": ["business_unit"],
                   "time_range": "this quarter", "compare": {}},
        # Apr 1..Jun 17 is 78 days; the same 78 days of the quarter before: Jan 1..Mar 19
        "reference_sql": f"""
            SELECT n.business_unit, {_change('n.v', 'p.v')}, {_change('n.d', 'p.d')}
            FROM (SELECT a.business_unit, sum(c.cost_usd) v, sum(c.cost_usd) / count(DISTINCT c.usage_date) d
                  FROM inventory.resource_costs c {ACCOUNTS}
                  WHERE c.usage_date BETWEEN '2026-04-01' AND '2026-06-17' GROUP BY 1) n
            FULL JOIN (SELECT a.business_unit, sum(c.cost_usd) v, sum(c.cost_usd) / count(DISTINCT c.usage_date) d
                       FROM inventory.resource_costs c {ACCOUNTS}
                       WHERE c.usage_date BETWEEN '2026-01-01' AND '2026-03-19' GROUP BY 1) p
              ON p.business_unit = n.business_unit""",
        "ordered": False,
    },
    {
        "name": "no_previous_data_gives_null_change",
        "question": "how did each region's spend in December 2025 change from the month before",
        "intent": {"metrics": ["cost"], "dimensions": ["region"], "time_range": "December 2025", "compare": {}},
        # no cost before 2025-12-20: every previous amount, change and percent is NULL
        "reference_sql": f"""
            SELECT c.region, sum(c.cost_usd), NULL::numeric, NULL::numeric, NULL::numeric
            FROM inventory.resource_costs c
            WHERE {"c.usage_date BETWEEN '2025-12-01' AND '2025-12-31'"} GROUP BY c.region""",
        "ordered": False,
    },
    {
        "name": "no_previous_data_total",
        "question": "December 2025 spend vs November",
        "intent": {"metrics": ["cost", "cost_days"], "time_range": "December 2025", "compare": {}},
        "reference_sql": """
            SELECT sum(cost_usd), NULL::numeric, NULL::numeric, NULL::numeric,
                   count(DISTINCT usage_date), 0, count(DISTINCT usage_date), NULL::numeric
            FROM inventory.resource_costs WHERE usage_date BETWEEN '2025-12-01' AND '2025-12-31'""",
        "ordered": False,
    },
    {
        "name": "resources_created_by_month_vs_previous",
        "question": "how many resources were created last month per region, vs the month before",
        "intent": {"metrics": ["resource_count"], "dimensions": ["region"],
                   "time_range": {"kind": "previous", "unit": "month", "dimension": "created_at"},
                   "compare": {}},
        "reference_sql": f"""
            SELECT coalesce(n.region, p.region), {_change('n.v', 'p.v')}
            FROM (SELECT region, count(*) v FROM inventory.resources
                  WHERE (created_at AT TIME ZONE 'UTC')::date BETWEEN '2026-05-01' AND '2026-05-31'
                  GROUP BY region) n
            FULL JOIN (SELECT region, count(*) v FROM inventory.resources
                       WHERE (created_at AT TIME ZONE 'UTC')::date BETWEEN '2026-04-01' AND '2026-04-30'
                       GROUP BY region) p ON p.region = n.region""",
        "ordered": False,
    },
]


def _cost_per_new_resource(first: str, last: str) -> str:
    """Per region: cost (any day) of the resources created in first..last, over how many were created."""
    created = f"(r.created_at AT TIME ZONE 'UTC')::date BETWEEN '{first}' AND '{last}'"
    return f"""
        SELECT coalesce(k.region, n.region) AS region, k.v / nullif(n.v, 0) AS v
        FROM (SELECT c.region, sum(c.cost_usd) v FROM inventory.resource_costs c
              JOIN inventory.resources r ON r.resource_id = c.resource_id WHERE {created} GROUP BY c.region) k
        FULL JOIN (SELECT r.region, count(*) v FROM inventory.resources r WHERE {created} GROUP BY r.region) n
          ON n.region = k.region"""


CASES.append({
    "name": "cost_per_new_resource_two_facts",
    "question": "cost per resource of resources created last month, by region, vs the month before",
    "intent": {"metrics": ["cost_per_resource"], "dimensions": ["region"],
               "time_range": {"kind": "previous", "unit": "month", "dimension": "created_at"}, "compare": {}},
    "reference_sql": f"""
        SELECT coalesce(n.region, p.region), {_change('n.v', 'p.v')}
        FROM ({_cost_per_new_resource('2026-05-01', '2026-05-31')}) n
        FULL JOIN ({_cost_per_new_resource('2026-04-01', '2026-04-30')}) p ON p.region = n.region""",
    "ordered": False,
})
IDS = [c["name"] for c in CASES]


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


def test_cases_prove_changes_and_missing_periods(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Guards the fixture: some changes are real numbers (up and down), some are NULL for lack of data."""
    changes = []
    for case in CASES:
        query = _compile(case, model)
        width = len(query.plan.dimensions)
        rows = run_read_only(conn, query.sql, query.params)
        changes += [r[width + 4 * i + 2] for r in rows for i in range(len(query.plan.metrics))]
    assert any(v is None for v in changes)
    assert any(v is not None and v > 0 for v in changes) and any(v is not None and v < 0 for v in changes)


def test_previous_periods() -> None:
    """The period before each kind of range, against the calendar."""
    d = dt.date

    def prev(tr: Any) -> tuple[dt.date, dt.date]:
        t = TimeRange.model_validate(tr)
        return previous_period(t, *resolve_time_range(t, AS_OF))

    assert prev("last month") == (d(2026, 4, 1), d(2026, 4, 30))
    assert prev("this month") == (d(2026, 5, 1), d(2026, 5, 17))
    assert prev("last 3 months") == (d(2025, 12, 1), d(2026, 2, 28))
    assert prev("Q1 2026") == (d(2025, 10, 1), d(2025, 12, 31))
    assert prev("2025") == (d(2024, 1, 1), d(2024, 12, 31))
    assert prev("last week") == (d(2026, 6, 1), d(2026, 6, 7))
    assert prev("this week") == (d(2026, 6, 8), d(2026, 6, 10))
    assert prev("yesterday") == (d(2026, 6, 15), d(2026, 6, 15))
    assert prev("last 30 days") == (d(2026, 4, 19), d(2026, 5, 18))
    assert prev("since 2026-06-01") == (d(2026, 5, 15), d(2026, 5, 31))
    assert prev({"kind": "trailing", "unit": "month", "n": 2}) == (d(2026, 2, 18), d(2026, 4, 17))
    # whole months given by their dates step back by calendar months (December -> November, not the
    # 31 days before it, Oct 31 - Nov 30); other spans by as many days
    assert prev({"kind": "between", "start": "2025-12-01", "end": "2025-12-31"}) == (d(2025, 11, 1), d(2025, 11, 30))
    assert prev({"kind": "between", "start": "2026-03-01", "end": "2026-04-30"}) == (d(2026, 1, 1), d(2026, 2, 28))
    assert prev({"kind": "between", "start": "2026-05-03", "end": "2026-05-09"}) == (d(2026, 4, 26), d(2026, 5, 2))
    # to date in a longer month: clamped to the end of the shorter one
    t = TimeRange.model_validate("this month")
    assert previous_period(t, d(2026, 3, 1), d(2026, 3, 31)) == (d(2026, 2, 1), d(2026, 2, 28))


# --- 2. materialized views ----------------------------------------------------------------------------------

# Every shipped view that holds what the case needs, for both periods.
VIEW_CASES = [
    ("region_last_month_vs_previous", ["daily_cost", "daily_cost_by_service", "monthly_cost"]),
    ("service_april_vs_march", ["daily_cost", "daily_cost_by_service", "monthly_cost"]),
    ("accounts_that_grew_most", ["daily_cost", "monthly_cost"]),
    ("accounts_fastest_percent_drop", ["daily_cost", "monthly_cost"]),
    ("ec2_week_over_week", ["daily_cost", "daily_cost_by_service"]),
    ("quarter_to_date_by_business_unit", ["daily_cost"]),
    ("no_previous_data_gives_null_change", ["daily_cost", "daily_cost_by_service", "monthly_cost"]),
    ("no_previous_data_total", ["daily_cost", "daily_cost_by_service"]),
]
_BY_NAME = {c["name"]: c for c in CASES}


@pytest.mark.parametrize(("name", "view"), [(n, v) for n, vs in VIEW_CASES for v in vs])
def test_view_answers_both_periods(name: str, view: str, states: Any, url: str) -> None:  # noqa: F811
    raw = _BY_NAME[name]["intent"]
    query = compiled(raw, views={view: states[view]})
    assert query.plan.compare is not None
    for period in (query.plan, query.plan.compare):
        assert [f.view.name if f.view else None for f in period.facts] == [view], dict(query.plan.view_report)
    assert query.sql.count(f"crq_mv.{view}") == 2
    ordered = bool(raw.get("order_by"))
    with psycopg.connect(url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), ordered)
        want = normalize(base_rows(conn, raw), ordered)
    assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"


def test_views_that_cannot_answer_are_not_used(states: Any) -> None:  # noqa: F811
    """The cases left out of VIEW_CASES really are out of reach: no shipped view answers them."""
    answered = {n for n, _ in VIEW_CASES}
    for case in CASES:
        query = compiled(case["intent"], views=states)
        used = [f.view.name if f.view else None for p in (query.plan, query.plan.compare) for f in p.facts]
        if case["name"] in answered:
            assert None not in used, case["name"]
        else:
            assert set(used) == {None}, case["name"]
    report = dict(compiled(_BY_NAME["resources_created_by_month_vs_previous"]["intent"], views=states)
                  .plan.view_report)
    assert report["resource_inventory"] == "has no created_at column for the time range"


def test_monthly_view_answers_the_period_it_fits(states: Any, url: str) -> None:  # noqa: F811
    """This quarter to date is whole months; the same days of last quarter (Jan 1..Mar 19) are not: the
    monthly view answers the period now, the base tables the earlier one, and explain says why."""
    raw = {**_BY_NAME["quarter_to_date_by_business_unit"]["intent"], "metrics": ["cost"]}
    query = compiled(raw, views={"monthly_cost": states["monthly_cost"]})
    assert query.plan.facts[0].view is not None and query.plan.facts[0].view.name == "monthly_cost"
    assert query.plan.compare is not None and query.plan.compare.facts[0].view is None
    assert dict(query.plan.view_report)["monthly_cost"] == (
        "now used; earlier period time range 2026-01-01..2026-03-19 is not aligned to whole months"
    )
    assert query.plan.materializations == ("monthly_cost",)
    assert query.sql.count("crq_mv.monthly_cost") == 1
    with psycopg.connect(url) as conn:
        got = normalize(run_read_only(conn, query.sql, query.params), False)
        want = normalize(base_rows(conn, raw), False)
    assert got == want, describe_difference(got, want)


def test_a_scoped_caller_compares_only_their_rows(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """The access scope restricts both periods: a caller who sees eu-west-1 gets exactly the rows of the
    same comparison asked with a region filter."""
    scope = Scope(allows=(RowFilter((("region", ("eu-west-1",)),)),))
    raw = _BY_NAME["service_april_vs_march"]["intent"]
    scoped = compile(Intent.model_validate(raw), model, as_of=AS_OF, scope=scope)
    assert scoped.plan.compare is not None
    assert all(f.scope is not None for p in (scoped.plan, scoped.plan.compare) for f in p.facts)
    filtered = compile(Intent.model_validate({**raw, "filters": [{"field": "region", "value": "eu-west-1"}]}),
                       model, as_of=AS_OF)
    got = run_read_only(conn, scoped.sql, scoped.params)
    assert got == run_read_only(conn, filtered.sql, filtered.params)
    assert got != run_read_only(conn, _compile(_BY_NAME["service_april_vs_march"], model).sql,
                                _compile(_BY_NAME["service_april_vs_march"], model).params)


# --- 3. refusals and answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"metrics": ["cost"], "compare": {}}, "needs a time range"),
        ({"dimensions": ["region"], "time_range": "last month", "compare": {}}, "at least one metric"),
        ({"metrics": ["cost_per_resource"], "time_range": "last month", "compare": {}}, "counts what exists now"),
        ({"metrics": ["cost"], "dimensions": ["usage_date__month"], "time_range": "last 3 months",
          "compare": {}}, "gives each period its own rows"),
        ({"metrics": ["cost"], "dimensions": ["region"], "time_range": "last month", "compare": {},
          "share": {}}, "cannot be asked together"),
        ({"metrics": ["cost"], "dimensions": ["region"], "time_range": "last month", "compare": {},
          "filters": [{"field": "cost", "op": ">", "value": 10}]}, "cannot filter on a metric"),
        ({"metrics": ["cost"], "time_range": "last month",
          "compare": {"to": {"kind": "month", "month": 3, "dimension": "created_at"}}}, "same time dimension"),
    ],
)
def test_comparisons_that_mean_nothing_are_refused(raw: dict[str, Any], says: str, model: SemanticModel) -> None:
    with pytest.raises(IntentError) as info:
        compile(Intent.model_validate(raw), model, as_of=AS_OF)
    assert says in str(info.value)
    assert info.value.field.startswith("compare")


def test_an_earlier_period_before_the_dates_depends_on_the_day(model: SemanticModel) -> None:
    """ "cost growth since january": the period before "since 2026-01-01" is as long as the range, so
    it starts in 2025 on June 17 but before 1900 when checked at a far date; the offline mapper, which
    checks names at such a date, must not ask back for that ("the earlier period starts on 1852-01-01")."""
    since = Intent.model_validate({"metrics": ["cost"], "compare": {},
                                   "time_range": {"kind": "since", "start": "2026-01-01"}})
    compiled = compile(since, model, as_of=AS_OF)
    assert compiled.params["usage_date_start"] == dt.date(2026, 1, 1)
    with pytest.raises(PeriodBeforeDates, match="before 1900-01-01"):
        compile(since, model, as_of=dt.date(2199, 12, 31))
    from runtime.mappers.offline import OfflineMapper

    mapped = OfflineMapper(model, {}, as_of=AS_OF).map("cost growth since january")
    assert mapped.status == "answered" and mapped.intent is not None
    assert mapped.intent.model_dump(exclude_defaults=True, exclude={"previous"}) == since.model_dump(
        exclude_defaults=True, exclude={"previous"})


def test_answer_says_the_comparison(model: SemanticModel) -> None:
    case = _BY_NAME["accounts_that_grew_most"]
    intent = Intent.model_validate(case["intent"])
    reading = describe_intent(intent, AS_OF)
    assert reading == ("cost by account_name, last month (2026-05-01 to 2026-05-31), compared with the previous "
                       "period (2026-04-01 to 2026-04-30), ranked by change, top 3 by cost")
    columns = ["account_name", "cost", "cost_previous", "cost_change", "cost_change_pct"]
    text = answer_text(intent, model, columns, [("acme-prod", 1500.0, 1000.0, 500.0, 50.0),
                                                ("acme-dev", 90.0, None, None, None)], False, reading)
    assert text == ("2 rows of cost and previous cost and change in cost and change in cost (%) by account_name; "
                    "highest change in cost first: acme-prod ($500.00) (interpreted as " + reading + ").")
    named = Intent.model_validate(_BY_NAME["service_april_vs_march"]["intent"])
    assert describe_intent(named, AS_OF).endswith("April 2026 (2026-04-01 to 2026-04-30), "
                                                  "compared with March 2026 (2026-03-01 to 2026-03-31)")



def test_a_fall_asked_of_rises_only_says_none_fell(model: SemanticModel) -> None:
    """ "which region fell the most" when every region rose: the lowest change is named, and said to
    be a rise, not left to read as a fall; when one fell, nothing is added."""
    intent = Intent.model_validate({"metrics": ["cost"], "dimensions": [{"name": "region"}], "compare": {},
                                    "time_range": {"kind": "previous", "unit": "month"},
                                    "order_by": [{"field": "cost", "direction": "asc"}], "limit": 1})
    columns = ["region", "cost", "cost_previous", "cost_change", "cost_change_pct"]
    rose = answer_text(intent, model, columns, [("eu-west-1", 120.0, 100.0, 20.0, 20.0)], False, "r")
    assert rose == "eu-west-1 has the lowest change in cost: $20.00 (none fell: every change is a rise) (interpreted as r)."
    fell = answer_text(intent, model, columns, [("eu-west-1", 80.0, 100.0, -20.0, -20.0)], False, "r")
    assert fell == "eu-west-1 has the lowest change in cost: $-20.00 (interpreted as r)."
    top = intent.model_copy(update={"order_by": (intent.order_by[0].model_copy(update={"direction": "desc"}),)})
    assert "none fell" not in answer_text(top, model, columns, [("eu-west-1", 120.0, 100.0, 20.0, 20.0)], False, "r")


# --- 4. the LLM's strict reply schema ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["region_last_month_vs_previous", "accounts_fastest_percent_drop",
                                  "service_april_vs_march"])
def test_llm_reply_carries_the_comparison(name: str, model: SemanticModel) -> None:
    """The strict schema declares ``compare`` (every property required, nullable, enums), a reply in
    it reads back as the same intent, and the schema still follows strict mode's rules."""
    schema = reply_schema(model)
    assert strict_problems(schema) == []
    compare = schema["properties"]["intent"]["anyOf"][0]["properties"]["compare"]
    assert compare["anyOf"][1] == {"type": "null"}
    assert compare["anyOf"][0]["required"] == ["to", "rank_by"]
    assert compare["anyOf"][0]["properties"]["rank_by"]["enum"] == ["change", "percent_change", "amount", "previous"]
    intent = Intent.model_validate(_BY_NAME[name]["intent"])
    reply = {"status": "answered", "follow_up": False, "intent": intent_to_json(intent, model),
             "message": "", "suggestions": []}
    assert parse_reply(json.dumps(reply), schema).intent == intent


def test_llm_reply_with_a_dimension_on_the_earlier_period_breaks_the_schema(model: SemanticModel) -> None:
    """Both periods are ranges of one date: the earlier period has no ``dimension`` to set."""
    intent = Intent.model_validate(_BY_NAME["service_april_vs_march"]["intent"])
    data = intent_to_json(intent, model)
    data["compare"]["to"]["dimension"] = "created_at"
    reply = {"status": "answered", "follow_up": False, "intent": data, "message": "", "suggestions": []}
    with pytest.raises(ReplyError, match="dimension"):
        parse_reply(json.dumps(reply), reply_schema(model))


def test_a_period_compared_with_itself_is_refused(model: SemanticModel) -> None:
    """"May vs last month", asked in June: both are May, so every change would be 0, a confident
    wrong answer; refused, naming both (an LLM can write this; the offline mapper reads "the previous
    month" after a named period as the one before it)."""
    intent = Intent.model_validate(
        {"metrics": ["cost"], "dimensions": [{"name": "service"}], "time_range": {"kind": "month", "month": 5},
         "compare": {"to": {"kind": "previous", "unit": "month"}}}
    )
    with pytest.raises(DatesDoNotOverlap) as e:
        compile(intent, model, as_of=AS_OF)
    assert str(e.value) == (
        "compare.to (last month, 2026-05-01 to 2026-05-31) is the same period as the time range (May), so "
        "every change would be 0; compare with another period, or leave compare.to out for the one before"
    )
