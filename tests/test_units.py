"""Units (issue 13, item 3) and percent semantics (issue 17, item 1).

1. Factors: pint's, exact (TB = 10^12 B, TiB = 2^40 B, thousands of dollars a scale of USD).
2. Golden cases on the seed-42 sample: each compiles to the reviewed SQL (syrupy,
   ``__snapshots__/test_units/``) and gives the rows of SQL written by hand; every shipped view that
   holds the metric answers the converted query with exactly the base tables' rows.
3. Percent semantics, replayed on a fixture model with a 0-100 CPU column (tests/fixtures/units/): a
   filter "below 5%" and "below 5" mean 5 on it and 0.05 on a 0-1 column; answers print 23.0%, not
   2298.8%.
4. Errors: a unit that does not fit (field and valid choices), and model validation with file:line.
5. Answers, the LLM's strict schema, and models written with ``format`` only.

Sample: as-of 2026-06-17; "last month" is May 2026, "last week" 2026-06-08 .. 06-14.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from test_compiler_execution import describe_difference, normalize, run_read_only
from test_compiler_snapshots import params_json
from test_materialized_views import base_rows, compiled, states, url  # noqa: F401 (module fixtures)

from compiler import compile
from compiler.units import factor
from models.errors import IntentError
from models.intent import Intent
from models.semantic_model import SemanticModel
from models.units import Unit
from runtime.answer import answer_text, format_value
from runtime.describe import describe_intent
from runtime.mappers.llm_schema import intent_to_json, parse_reply, reply_schema, strict_problems
from semantic.loader import check_model_text

AS_OF = dt.date(2026, 6, 17)
FIXTURES = Path(__file__).parent / "fixtures" / "units"
CPU_MODEL_TEXT = (FIXTURES / "cpu_model.yaml").read_text()
MUTATION_BASE = Path(__file__).parent / "fixtures" / "models" / "mutation_base.yaml"

# --- 1. factors ------------------------------------------------------------------------------------------


def test_factors_are_exact_with_decimal_and_binary_prefixes() -> None:
    assert factor(Unit.TB, Unit.B) == 10**12
    assert factor(Unit.TIB, Unit.B) == 2**40
    assert factor(Unit.GB, Unit.TB) == Fraction(1, 1000)
    assert factor(Unit.GB, Unit.TIB) == Fraction(10**9, 2**40)
    assert factor(Unit.PIB, Unit.GIB) == 2**20
    assert factor(Unit.USD, Unit.THOUSAND_USD) == Fraction(1, 1000)
    assert factor(Unit.MILLION_USD, Unit.USD) == 10**6
    assert factor(Unit.HOURS, Unit.DAYS) == Fraction(1, 24)
    assert factor(Unit.FRACTION, Unit.PERCENT) == 100
    with pytest.raises(ValueError, match="does not convert"):
        factor(Unit.USD, Unit.TB)


# --- 2. golden cases on the sample ----------------------------------------------------------------------

MAY = "c.usage_date BETWEEN DATE '2026-05-01' AND DATE '2026-05-31'"
APRIL = "c.usage_date BETWEEN DATE '2026-04-01' AND DATE '2026-04-30'"

CASES: list[dict[str, Any]] = [
    {
        "name": "storage_in_tb_by_resource_type",
        "question": "storage by resource type in TB",
        "intent": {"metrics": ["total_storage_gb"], "dimensions": ["resource_type"],
                   "units": {"total_storage_gb": "TB"}},
        "reference_sql": "SELECT resource_type, sum(storage_gb) / 1000 FROM inventory.resources GROUP BY 1",
        "ordered": False,
        "views": ["resource_inventory"],
    },
    {
        "name": "top_accounts_in_tib_over_one_tb",
        "question": "top 5 accounts with more than 1 TB of storage, in TiB",
        "intent": {"metrics": ["total_storage_gb"], "dimensions": ["account_name"],
                   "units": {"total_storage_gb": "TiB"},
                   "filters": [{"field": "total_storage_gb", "op": ">", "value": 1, "unit": "TB"}],
                   "order_by": [{"field": "total_storage_gb", "direction": "desc"}], "limit": 5},
        "reference_sql": """
            SELECT a.account_name, sum(r.storage_gb) * 1000000000 / 1099511627776
            FROM inventory.resources r JOIN inventory.accounts a ON a.account_id = r.account_id
            GROUP BY a.account_name HAVING sum(r.storage_gb) > 1000
            ORDER BY 2 DESC, 1 LIMIT 5""",
        "ordered": True,
        "views": ["resource_inventory"],
    },
    {
        "name": "cost_in_thousands_by_service_last_month",
        "question": "cost by service last month in thousands of dollars",
        "intent": {"metrics": ["cost"], "dimensions": ["service"], "time_range": "last month",
                   "units": {"cost": "thousand_USD"}},
        "reference_sql": f"""
            SELECT c.service, sum(c.cost_usd) / 1000 FROM inventory.resource_costs c WHERE {MAY} GROUP BY 1""",
        "ordered": False,
        "views": ["daily_cost", "daily_cost_by_service", "monthly_cost"],
    },
    {
        "name": "cost_in_millions_vs_previous_month",
        "question": "how did total spend change last month, in millions",
        "intent": {"metrics": ["cost"], "time_range": "last month", "compare": {},
                   "units": {"cost": "million_USD"}},
        "reference_sql": f"""
            SELECT n.v, p.v, n.v - p.v, (n.v - p.v) * 100 / p.v
            FROM (SELECT sum(c.cost_usd) / 1000000 v FROM inventory.resource_costs c WHERE {MAY}) n,
                 (SELECT sum(c.cost_usd) / 1000000 v FROM inventory.resource_costs c WHERE {APRIL}) p""",
        "ordered": False,
        "views": ["daily_cost", "daily_cost_by_service", "monthly_cost"],
    },
    {
        "name": "storage_in_pb_by_region_as_share",
        "question": "storage by region in PB, as a percentage of the total",
        "intent": {"metrics": ["total_storage_gb"], "dimensions": ["region"], "share": {},
                   "units": {"total_storage_gb": "PB"}},
        "reference_sql": """
            SELECT region, sum(storage_gb) / 1000000, 100 * sum(storage_gb) / sum(sum(storage_gb)) OVER ()
            FROM inventory.resources GROUP BY 1""",
        "ordered": False,
        "views": ["resource_inventory"],
    },
    {
        "name": "resources_of_at_least_half_a_tb",
        "question": "how many resources have at least 0.5 TB of storage",
        "intent": {"metrics": ["resource_count"],
                   "filters": [{"field": "storage_gb", "op": ">=", "value": 0.5, "unit": "TB"}]},
        "reference_sql": "SELECT count(*) FROM inventory.resources WHERE storage_gb >= 500",
        "ordered": False,
        "views": [],
    },
]
IDS = [c["name"] for c in CASES]
_BY_NAME = {c["name"]: c for c in CASES}


def _compile(raw: dict[str, Any], model: SemanticModel) -> Any:
    return compile(Intent.model_validate(raw), model, as_of=AS_OF, timezone="UTC")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sql_snapshot(case: dict[str, Any], model: SemanticModel, sql_snapshot: SnapshotAssertion) -> None:
    query = _compile(case["intent"], model)
    text = f"-- case: {case['name']}\n-- {case['question']}\n{query.sql}\n-- params: {params_json(query.params)}\n"
    assert text == sql_snapshot


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_matches_hand_written_sql(case: dict[str, Any], model: SemanticModel,
                                           conn: psycopg.Connection[Any]) -> None:
    query = _compile(case["intent"], model)
    got_raw = run_read_only(conn, query.sql, query.params)
    want_raw = run_read_only(conn, case["reference_sql"])
    assert want_raw and any(r[-1] is not None for r in want_raw), "the reference proves nothing"
    got, want = normalize(got_raw, case["ordered"]), normalize(want_raw, case["ordered"])
    assert got == want, describe_difference(got, want) + f"\n--- compiled SQL:\n{query.sql}\n{query.params}"


def test_converted_amounts_differ_from_the_models(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Guards the cases: the converted column is the model's amount times the factor, and not equal to
    it (a conversion that silently did nothing would fail here)."""
    raw = _BY_NAME["storage_in_tb_by_resource_type"]["intent"]
    converted = dict(run_read_only(conn, *_sql(_compile(raw, model))))
    plain = dict(run_read_only(conn, *_sql(_compile({**raw, "units": {}}, model))))
    assert converted.keys() == plain.keys()
    amounts = {k: v for k, v in plain.items() if v is not None}
    assert all(converted[k] == v / 1000 for k, v in amounts.items()) and max(amounts.values()) > 1000


def test_a_number_without_a_unit_is_in_the_metrics_own_unit(
    model: SemanticModel, conn: psycopg.Connection[Any]
) -> None:
    """ "accounts that spent over 20000 last month, in thousands": the threshold is 20,000 dollars
    whatever unit the cost is shown in (not 20,000 thousands, which no account reaches), so the
    converted answer has the same accounts as the plain one, each amount a thousandth of it."""
    raw = {
        "metrics": ["cost"],
        "dimensions": [{"name": "account_name"}],
        "filters": [{"field": "cost", "op": ">", "value": 20000}],
        "time_range": {"kind": "previous", "unit": "month"},
    }
    plain = dict(run_read_only(conn, *_sql(_compile(raw, model))))
    converted = dict(run_read_only(conn, *_sql(_compile({**raw, "units": {"cost": "thousand_USD"}}, model))))
    assert 1 < len(plain) < 20  # the threshold keeps some accounts, not all
    assert converted == {k: v / 1000 for k, v in plain.items()}


def _sql(query: Any) -> tuple[str, dict[str, object]]:
    return query.sql, query.params


VIEW_CASES = [(c["name"], v) for c in CASES for v in c["views"]]


@pytest.mark.parametrize(("name", "view"), VIEW_CASES)
def test_views_answer_converted_queries(name: str, view: str, states: Any, url: str) -> None:  # noqa: F811
    raw = _BY_NAME[name]["intent"]
    query = compiled(raw, views={view: states[view]})
    periods = [query.plan] + ([query.plan.compare] if query.plan.compare is not None else [])
    for period in periods:
        assert [f.view.name if f.view else None for f in period.facts] == [view], dict(query.plan.view_report)
    ordered = bool(raw.get("order_by"))
    with psycopg.connect(url) as c:
        got = normalize(run_read_only(c, query.sql, query.params), ordered)
        want = normalize(base_rows(c, raw), ordered)
    assert got == want, describe_difference(got, want) + f"\n--- view SQL:\n{query.sql}"


# --- 3. percent semantics on a 0-100 column (issue 17, item 1) -------------------------------------------


@pytest.fixture(scope="module")
def cpu_model() -> SemanticModel:
    model, issues = check_model_text(CPU_MODEL_TEXT, "cpu_model.yaml")
    assert model is not None and issues == [], issues
    return model


@pytest.fixture(scope="module")
def cpu_conn(pg_url: str) -> Any:
    """The fixture table in its own schema, loaded from the CSV; dropped afterwards."""
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP SCHEMA IF EXISTS units_demo CASCADE")
        admin.execute("CREATE SCHEMA units_demo")
        admin.execute(
            "CREATE TABLE units_demo.instance_cpu (usage_date date, instance_id text, environment text, "
            "cpu_pct numeric, hours_running numeric, PRIMARY KEY (usage_date, instance_id))"
        )
        with admin.cursor().copy("COPY units_demo.instance_cpu FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
            copy.write((FIXTURES / "instance_cpu.csv").read_bytes())
    with psycopg.connect(pg_url) as c:
        yield c
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP SCHEMA units_demo CASCADE")


LAST_WEEK = "usage_date BETWEEN DATE '2026-06-08' AND DATE '2026-06-14'"
_IDLE = (f"SELECT instance_id, avg(cpu_pct){{scale}} FROM units_demo.instance_cpu WHERE {LAST_WEEK} "
         "GROUP BY 1 HAVING avg(cpu_pct) < 5")

CPU_CASES: list[dict[str, Any]] = [
    {
        "name": "below_5_percent_on_a_0_100_column",  # "instances averaging under 5% CPU last week"
        "metric": "avg_cpu", "filter": {"value": 5, "unit": "percent"},
        "reference_sql": _IDLE.format(scale=""),
    },
    {
        "name": "below_5_without_a_sign_on_a_0_100_column",  # "... under 5 CPU last week"
        "metric": "avg_cpu", "filter": {"value": 5},
        "reference_sql": _IDLE.format(scale=""),
    },
    {
        "name": "below_5_percent_on_a_fraction",
        "metric": "avg_cpu_fraction", "filter": {"value": 5, "unit": "percent"},
        "reference_sql": _IDLE.format(scale=" / 100.0"),
    },
    {
        "name": "below_0_05_on_a_fraction",
        "metric": "avg_cpu_fraction", "filter": {"value": 0.05},
        "reference_sql": _IDLE.format(scale=" / 100.0"),
    },
    {
        "name": "below_0_05_percent_on_a_fraction",  # a value in fractions, said so, on a 0-100 column
        "metric": "avg_cpu", "filter": {"value": 0.05, "unit": "fraction"},
        "reference_sql": _IDLE.format(scale=""),
    },
]


def _idle_intent(case: dict[str, Any]) -> dict[str, Any]:
    return {"metrics": [case["metric"]], "dimensions": ["instance_id"], "time_range": "last week",
            "filters": [{"field": case["metric"], "op": "<", **case["filter"]}]}


@pytest.mark.parametrize("case", CPU_CASES, ids=[c["name"] for c in CPU_CASES])
def test_percent_filters_mean_what_the_column_holds(case: dict[str, Any], cpu_model: SemanticModel,
                                                    cpu_conn: psycopg.Connection[Any]) -> None:
    query = _compile(_idle_intent(case), cpu_model)
    got = normalize(run_read_only(cpu_conn, query.sql, query.params), False)
    want = normalize(run_read_only(cpu_conn, case["reference_sql"]), False)
    assert [r[0] for r in want] == ["i-a", "i-c"]  # the idle ones: 2.57 and 4.71 average
    assert got == want, describe_difference(got, want) + f"\n{query.sql}\n{query.params}"


def test_days_below_5_percent_filter_the_number_dimension(cpu_model: SemanticModel,
                                                          cpu_conn: psycopg.Connection[Any]) -> None:
    """A filter on the 0-100 column itself ("days with CPU below 5%"): 5, not 0.05."""
    raw = {"metrics": ["instance_days"], "dimensions": ["instance_id"], "time_range": "last week",
           "filters": [{"field": "cpu_pct", "op": "<", "value": 5, "unit": "percent"}]}
    query = _compile(raw, cpu_model)
    assert query.params["cpu_pct"] == 5
    got = normalize(run_read_only(cpu_conn, query.sql, query.params), False)
    want = normalize(run_read_only(cpu_conn, f"SELECT instance_id, count(*) FROM units_demo.instance_cpu "
                                               f"WHERE {LAST_WEEK} AND cpu_pct < 5 GROUP BY 1"), False)
    assert want == [("i-a", Decimal("7.0000")), ("i-c", Decimal("4.0000"))]
    assert got == want


def test_hours_in_days(cpu_model: SemanticModel, cpu_conn: psycopg.Connection[Any]) -> None:
    raw = {"metrics": ["running_hours"], "dimensions": ["environment"], "time_range": "last week",
           "units": {"running_hours": "days"}}
    query = _compile(raw, cpu_model)
    got = normalize(run_read_only(cpu_conn, query.sql, query.params), False)
    want = normalize(run_read_only(cpu_conn, f"SELECT environment, sum(hours_running) / 24 FROM "
                                               f"units_demo.instance_cpu WHERE {LAST_WEEK} GROUP BY 1"), False)
    assert want == [("prod", Decimal("13.5000")), ("staging", Decimal("2.9167"))]
    assert got == want


def test_a_0_100_metric_prints_as_percent(cpu_model: SemanticModel, cpu_conn: psycopg.Connection[Any]) -> None:
    """Issue 17: `format: percent` over a 0-100 column printed "Avg cpu: 2298.8%"; the unit decides now."""
    for metric in ("avg_cpu", "avg_cpu_fraction"):
        intent = Intent.model_validate({"metrics": [metric], "time_range": "last week"})
        query = _compile(intent.model_dump(exclude_defaults=True), cpu_model)
        rows = run_read_only(cpu_conn, query.sql, query.params)
        text = answer_text(intent, cpu_model, [metric], rows, False, describe_intent(intent, AS_OF))
        label = metric.replace("_", " ").capitalize()
        assert text.startswith(f"{label}: 23.0%"), text  # (18 + 431.75 + 33) / 21 = 22.99


# --- 4. errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "says", "choices"),
    [
        ({"metrics": ["cost"], "units": {"cost": "TB"}}, "units[0]",
         "cost is in USD (money), which does not convert to TB (data size)",
         ("USD", "thousand_USD", "million_USD")),
        ({"metrics": ["cost"], "units": {"total_storag_gb": "TB"}}, "units[0]",
         "'total_storag_gb' is not a metric of this query", ("cost",)),
        ({"metrics": ["resource_count"], "filters": [{"field": "storage_gb", "op": ">", "value": 1, "unit": "USD"}]},
         "filters[0]", "storage_gb is in GB (data size), so a value in USD (money) does not compare with it",
         ("B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB")),
        ({"metrics": ["resource_count"], "filters": [{"field": "region", "value": "x", "unit": "GB"}]},
         "filters[0]", "region holds no numbers", ()),
        ({"metrics": ["cost"], "dimensions": ["service"],
          "filters": [{"field": "cost", "op": ">", "value": 1, "unit": "percent"}]},
         "filter on cost", "cost is in USD (money), so a value in percent (ratio) does not compare", None),
    ],
)
def test_a_unit_that_does_not_fit_is_a_clear_error(raw: dict[str, Any], field: str, says: str,
                                                   choices: tuple[str, ...] | None, model: SemanticModel) -> None:
    with pytest.raises(IntentError) as info:
        _compile(raw, model)
    assert info.value.field == field
    assert says in str(info.value)
    if choices is not None:
        assert info.value.choices == choices


@pytest.mark.parametrize(
    ("old", "new", "code", "message"),
    [
        ("        unit: percent\n      - name: avg_cpu_fraction", "        unit: precent\n      - name: avg_cpu_fraction",
         "E004", "tables[instance_cpu].measures[avg_cpu].unit: Input should be"),
        ("        agg: count\n", "        agg: count\n        unit: hours\n", "E180",
         "tables[instance_cpu].measures[days]: a count counts rows, so its unit is count, not hours"),
        ("    measure: instance_cpu.running_hours\n", "    measure: instance_cpu.running_hours\n    unit: days\n",
         "E181", "metrics[running_hours]: its measure instance_cpu.running_hours is in hours, so the metric is too"),
        ("    measure: instance_cpu.avg_cpu\n    format: percent\n", "    measure: instance_cpu.avg_cpu\n"
         "    format: currency\n", "E182",
         "metrics[avg_cpu]: format: currency does not fit its unit percent (ratio); remove format"),
        ("        column: environment\n", "        column: environment\n        unit: GB\n", "E183",
         "tables[instance_cpu].dimensions[environment]: only number dimensions have a unit"),
    ],
)
def test_model_units_are_validated_with_file_and_line(old: str, new: str, code: str, message: str) -> None:
    assert CPU_MODEL_TEXT.count(old) == 1
    text = CPU_MODEL_TEXT.replace(old, new)
    _, issues = check_model_text(text, "m.yaml")
    assert len(issues) == 1, issues
    issue = issues[0]
    # at the offending key: the first line the edit changed (the unit or format written)
    changed = next(i for i, (a, b) in enumerate(zip(CPU_MODEL_TEXT.splitlines(), text.splitlines(), strict=False))
                   if a != b) + 1
    assert text.splitlines()[changed - 1].strip().startswith(("unit:", "format:"))
    assert (issue.code, issue.file, issue.line) == (code, "m.yaml", changed), str(issue)
    assert message in issue.message, str(issue)
    if code == "E004":
        assert issue.message.endswith("; did you mean 'percent'?")


def test_models_written_with_format_only_keep_their_meaning() -> None:
    """The spelling before units: currency is USD, gb GB, percent a fraction (0-1), integer a count."""
    model, issues = check_model_text(MUTATION_BASE.read_text())
    assert model is not None and issues == []
    assert "unit:" not in MUTATION_BASE.read_text()
    units = {m.name: (m.unit, m.format) for m in model.metrics}
    assert units["cost"] == (Unit.USD, "currency")
    assert units["total_storage_gb"] == (Unit.GB, "gb")
    assert units["encrypted_share"] == (Unit.FRACTION, "percent")
    assert units["resource_count"] == (Unit.COUNT, "integer")


def test_the_shipped_model_declares_units_where_formats_were(model: SemanticModel) -> None:
    """The shipped model moved from format to unit: every metric keeps the format it had (the offline
    mapper reads it) and has the unit the format implied."""
    legacy, _ = check_model_text(MUTATION_BASE.read_text())
    assert legacy is not None
    before = {m.name: (m.unit, m.format) for m in legacy.metrics}
    after = {m.name: (m.unit, m.format) for m in model.metrics}
    assert {k: after[k] for k in before} == before


# --- 5. answers, the LLM's schema ------------------------------------------------------------------------


def test_answers_format_numbers_by_unit(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    raw = _BY_NAME["top_accounts_in_tib_over_one_tb"]["intent"]
    intent = Intent.model_validate(raw)
    query = _compile(raw, model)
    rows = run_read_only(conn, query.sql, query.params)
    reading = describe_intent(intent, AS_OF)
    assert reading == ("total_storage_gb by account_name, total_storage_gb in TiB, where total_storage_gb > 1 TB, "
                       "top 5 by total_storage_gb")
    text = answer_text(intent, model, ["account_name", "total_storage_gb"], rows, False, reading)
    first = f"{rows[0][0]} ({format_value(rows[0][1], 'TiB')})"
    assert "total storage gb (TiB)" in text and first in text, text
    assert format_value(Decimal("1.23456"), "TiB") == "1.2 TiB"
    assert format_value(0.01234, "PB") == "0.012 PB"
    assert format_value(Decimal("1234.5"), "thousand_USD") == "$1,234.50k"
    assert format_value(Decimal("31.8"), "share") == "31.8%"  # percent: 0-100 as it is
    assert format_value(Decimal("0.318"), "percent") == "31.8%"  # fraction: times 100
    assert format_value(Decimal("13.5"), "days") == "13.5 days"


def test_the_llm_schema_carries_units(model: SemanticModel) -> None:
    schema = reply_schema(model)
    assert strict_problems(schema) == []
    props = schema["properties"]["intent"]["anyOf"][0]["properties"]
    units = props["units"]["items"]["properties"]
    assert "resource_count" not in units["metric"]["enum"]  # a count has no other unit
    assert {"cost", "total_storage_gb", "encrypted_share"} <= set(units["metric"]["enum"])
    assert units["unit"]["enum"] == ["USD", "thousand_USD", "million_USD", "B", "KB", "MB", "GB", "TB", "PB",
                                     "KiB", "MiB", "GiB", "TiB", "PiB", "fraction", "percent"]
    assert props["filters"]["items"]["properties"]["unit"]["type"] == ["string", "null"]
    raw = _BY_NAME["top_accounts_in_tib_over_one_tb"]["intent"]
    intent = Intent.model_validate(raw)
    shown = intent_to_json(intent, model)
    assert shown["units"] == [{"metric": "total_storage_gb", "unit": "TiB"}]
    assert shown["filters"] == [{"field": "total_storage_gb", "op": ">", "value": 1, "unit": "TB"}]
    reply = {"status": "answered", "follow_up": False, "intent": shown, "message": "", "suggestions": []}
    parsed = parse_reply(json.dumps(reply), schema)
    assert parsed.intent == intent
    reply["intent"] = {**shown, "units": [{"metric": "total_storage_gb", "unit": "furlongs"}]}
    with pytest.raises(ValueError, match="furlongs"):
        parse_reply(json.dumps(reply), schema)


def test_the_model_schema_enumerates_units() -> None:
    """``crq schema`` (the JSON Schema editors use) lists the units as an enum."""
    schema = SemanticModel.model_json_schema(by_alias=True)
    text = json.dumps(schema)
    assert '"enum": ["USD", "thousand_USD", "million_USD", "B"' in text
    assert yaml.safe_load(CPU_MODEL_TEXT)["tables"][0]["measures"][0]["unit"] == "percent"


def test_the_demo_page_formats_units_as_answers_do(tmp_path: Path) -> None:
    """runtime/web/format.js, run by node: the same text as format_value for every unit, the unit's
    format as display_format gives it, and a converted column labelled with its unit."""
    import shutil
    import subprocess

    from models.units import display_format

    node = shutil.which("node")
    assert node, "node is a test prerequisite (make tools-node)"
    values = [0, 0.01234, 1.5, 31.8, 1234.5678, -5.5]
    formats = [display_format(u) for u in Unit]
    script = tmp_path / "units.mjs"
    module = (Path(__file__).parent.parent / "runtime" / "web" / "format.js").resolve().as_uri()
    script.write_text(
        f"import {{ formatValue, unitFormat, describeColumns }} from {json.dumps(module)};\n"
        f"const values = {json.dumps(values)}, formats = {json.dumps(formats)}, units = {json.dumps(list(Unit))};\n"
        "const answer = {intent: {metrics: ['cost'], units: [{metric: 'cost', unit: 'thousand_USD'}]},\n"
        "                columns: ['service', 'cost'], rows: [['ec2', 1.5]]};\n"
        "console.log(JSON.stringify({\n"
        "  shown: formats.map((f) => values.map((v) => formatValue(v, f))),\n"
        "  formats: units.map(unitFormat),\n"
        "  column: describeColumns(answer, {cost: 'currency'})[1],\n"
        "}));\n"
    )
    out = json.loads(subprocess.run([node, str(script)], check=True, capture_output=True, text=True,
                                    timeout=60).stdout)
    assert out["shown"] == [[format_value(v, f) for v in values] for f in formats]
    assert out["formats"] == formats
    assert out["column"] == {"name": "cost", "index": 1, "kind": "metric", "format": "thousand_USD",
                             "label": "Cost (thousand USD)"}


def test_the_reading_says_the_units(cpu_model: SemanticModel) -> None:
    intent = Intent.model_validate(
        {"metrics": ["avg_cpu", "running_hours"], "dimensions": ["instance_id"], "time_range": "last week",
         "units": {"running_hours": "days"},
         "filters": [{"field": "avg_cpu", "op": "<", "value": 5, "unit": "percent"},
                     {"field": "cpu_pct", "op": ">", "value": 0.5, "unit": "fraction"}]})
    assert describe_intent(intent, AS_OF) == (
        "avg_cpu and running_hours by instance_id, running_hours in days, where avg_cpu < 5% and "
        "cpu_pct > 0.5 fraction, last week (2026-06-08 to 2026-06-14)")
    query = _compile(intent.model_dump(exclude_defaults=True), cpu_model)
    assert query.params["avg_cpu"] == 5 and query.params["cpu_pct"] == 50  # both in the column's 0-100
