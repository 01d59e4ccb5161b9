"""Access policies: who may see which rows, checked like a model and proven on the real sample.

1. Validation: every kind of bad policy gives exactly one located issue (code, line, col, message).
2. Scopes: the union of a caller's groups; no group denies everything, never allows it.
3. Scoped answers, compared as whole results with hand-written SQL on the seed-42 sample: a payments
   caller sees payments rows only, in breakdowns, totals, multi-fact joins, shares (of their own total),
   rankings and answers read from materialized views; a forbidden intent filter finds nothing; two
   groups see both; finops sees what an unscoped query sees; a caller in no group is denied.
4. Snapshots of scoped SQL (reviewed like the golden SQL) that also run and match the hand-written SQL.
5. A property: for random intents, the scoped answer equals the unscoped answer with the scope written
   as an intent filter, and grouping by business unit never shows another unit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion
from test_compiler_execution import describe_difference, normalize, run_read_only
from test_compiler_properties import SETTINGS, valid_intents
from test_compiler_snapshots import params_json
from test_materialized_views import _ensure_sample, drop_views

from compiler import CompiledQuery, compile
from compiler.rewrites import ViewState
from models.access import GROUP_NAME_PATTERN, Caller, RowFilter, Scope, Unreachable
from models.errors import AccessDenied, Issue, PolicyValidationError, UserError
from models.intent import Intent
from runtime.database import Database
from runtime.materialized_views import ViewManager, read_states
from semantic import load_model
from semantic.access import check_policy_text, load_policy, policy_schema, visible_values

AS_OF = dt.date(2026, 6, 17)
MODEL = load_model()
POLICY_FILE = Path(__file__).parent / "fixtures" / "access" / "policy.yaml"
POLICY = load_policy(POLICY_FILE, MODEL)
PAYMENTS = POLICY.scope_for(Caller("alice", ("payments-team",)))
BU = "JOIN inventory.accounts a ON a.account_id = {}.account_id AND a.business_unit = 'payments'"
R_PAY = "inventory.resources r " + BU.format("r")
C_PAY = "inventory.resource_costs c " + BU.format("c")
LAST_MONTH = "c.usage_date BETWEEN DATE '2026-05-01' AND DATE '2026-05-31'"

Raw = dict[str, Any]


def compiled(raw: Raw, scope: Scope | None = PAYMENTS, views: dict[str, ViewState] | None = None) -> CompiledQuery:
    return compile(Intent.model_validate(raw), MODEL, as_of=AS_OF, scope=scope, views=views,
                   now=dt.datetime.now(dt.UTC))


def rows(conn: psycopg.Connection[Any], query: CompiledQuery) -> list[tuple[Any, ...]]:
    return run_read_only(conn, query.sql, query.params)


def assert_same(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]], ordered: bool = False, sql: str = "") -> None:
    a, b = normalize(got, ordered), normalize(want, ordered)
    assert a == b, describe_difference(a, b) + f"\n--- compiled SQL:\n{sql}"


# --- 1. validation ------------------------------------------------------------------------------------------

G = "groups:\n  payments-team:\n"

BAD_POLICIES = [
    ("yaml_syntax", G + "    where: {business_unit: [payments}\n",
     Issue("A001", "YAML syntax error: did not find expected ',' or ']'", "p.yaml", 3, 37)),
    ("not_a_mapping", "- payments-team\n",
     Issue("A001", "an access policy is a YAML mapping with 'groups'", "p.yaml", 1, 1)),
    ("group_name_with_space", "groups:\n  Payments Team:\n    where: {business_unit: [payments]}\n",
     Issue("A005", "groups: 'Payments Team' is not a group name: use letters, digits and . _ : @ / + = - (no spaces), starting with a letter or digit, at most 128 characters", "p.yaml", 2, 3)),
    ("group_name_not_text", "groups:\n  123:\n    all: true\n",
     Issue("A005", "groups: 123 is not text; quote the group name ('123')", "p.yaml", 2, 3)),
    ("unknown_group_key", G + "    wher: {business_unit: [payments]}\n",
     Issue("A002", "groups.payments-team: unknown field 'wher'; did you mean 'where'?", "p.yaml", 3, 5)),
    ("missing_groups", "version: 1\n",
     Issue("A003", "policy: missing required field 'groups'", "p.yaml", 1, 1)),
    ("unknown_dimension", G + "    where:\n      business_units: [payments]\n",
     Issue("A012", "groups.payments-team.where.business_units: unknown dimension 'business_units'; did you mean 'business_unit'?", "p.yaml", 4, 7)),
    ("qualified_on_the_wrong_table", G + "    where: {resources.business_unit: [payments]}\n",
     Issue("A012", "groups.payments-team.where.resources.business_unit: table 'resources' has no dimension 'business_unit' (valid: accounts.business_unit)", "p.yaml", 3, 13)),
    ("value_outside_enum", G + "    where:\n      business_unit: [payments, paymnts]\n",
     Issue("A014", "groups.payments-team.where.business_unit[1]: 'paymnts' is not a value of business_unit; did you mean 'payments'? (valid: payments, search, platform, data, marketing, security)", "p.yaml", 4, 33)),
    ("not_a_number", "groups:\n  big:\n    where: {storage_gb: [100, lots]}\n    unreachable_tables: deny\n",
     Issue("A014", "groups.big.where.storage_gb[1]: 'lots' is not a number", "p.yaml", 3, 31)),
    ("value_not_a_list", G + "    where:\n      business_unit: payments\n",
     Issue("A004", "groups.payments-team.where.business_unit: must be a list of values, e.g. [payments]", "p.yaml", 4, 7)),
    ("value_a_date", G + "    where: {business_unit: [2026-01-01]}\n",
     Issue("A004", "groups.payments-team.where.business_unit[0]: 2026-01-01 is not text, a number or true/false", "p.yaml", 3, 29)),
    ("all_not_a_boolean", "groups:\n  finops:\n    all: 'yes'\n",
     Issue("A004", "groups.finops.all: Input should be a valid boolean", "p.yaml", 3, 5)),
    ("groups_a_list", "groups: [payments-team]\n",
     Issue("A004", "groups: Input should be a valid dictionary", "p.yaml", 1, 1)),
    ("unknown_unreachable_choice", "groups:\n  eu:\n    where: {region: [europe]}\n    unreachable_tables: hide\n",
     Issue("A004", "groups.eu.unreachable_tables: Input should be 'deny' or 'all'", "p.yaml", 4, 5)),
    ("empty_list", G + "    where:\n      business_unit: []\n",
     Issue("A006", "groups.payments-team.where.business_unit: an empty list allows no rows; list values or remove the line", "p.yaml", 4, 7)),
    ("group_twice", G + "    where: {business_unit: [payments]}\n  payments-team:\n    all: true\n",
     Issue("A007", "'payments-team' is written twice here; YAML would keep only the last", "p.yaml", 4, 3)),
    ("dimension_twice", G + "    where:\n      business_unit: [payments]\n      business_unit: [search]\n",
     Issue("A007", "'business_unit' is written twice here; YAML would keep only the last", "p.yaml", 5, 7)),
    ("allows_nothing", G + "    description: forgot the rows\n",
     Issue("A010", "groups.payments-team: the group allows nothing; give it `where` or `all: true`", "p.yaml", 2, 3)),
    ("all_and_where", "groups:\n  finops:\n    all: true\n    where: {business_unit: [payments]}\n",
     Issue("A011", "groups.finops.where: a group with `all: true` sees every row; remove this", "p.yaml", 4, 5)),
    ("time_dimension", "groups:\n  recent:\n    where: {created_at: ['2026-01-01']}\n",
     Issue("A013", "groups.recent.where.created_at: created_at is a time dimension; a scope says whose rows, not when", "p.yaml", 3, 13)),
    ("unreachable_unsaid", "groups:\n  eu-ops:\n    where: {region: [europe]}\n",
     Issue("A015", "groups.eu-ops.where.region: accounts cannot reach region through to-one joins, so this group's rows of accounts are undefined; add `unreachable_tables: deny` to refuse its questions about them, or `all` to show all their rows", "p.yaml", 3, 13)),
]


@pytest.mark.parametrize(("text", "issue"), [c[1:] for c in BAD_POLICIES], ids=[c[0] for c in BAD_POLICIES])
def test_bad_policy_gives_exactly_its_issue(text: str, issue: Issue) -> None:
    policy, issues = check_policy_text(text, "p.yaml", MODEL)
    assert policy is None
    assert issues == [issue]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = ("version: 1\ngroups:\n  payments-team:\n    where: {business_unit: [paymnts]}\n"
            "  search-team:\n    where: {buisness_unit: [search]}\n  empty: {}\n")
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyValidationError) as info:
        load_policy(path, MODEL)
    assert [(i.code, i.line, i.col) for i in info.value.issues] == [("A014", 4, 29), ("A012", 6, 13),
                                                                     ("A010", 7, 3)]
    assert all(i.file == str(path) for i in info.value.issues)
    assert str(info.value).startswith(f"{path}:4:29: error A014: ")


def test_unreadable_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyValidationError, match="A000: cannot read the access policy"):
        load_policy(tmp_path / "missing.yaml", MODEL)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"groups:\n  \xff: {all: true}\n")
    with pytest.raises(PolicyValidationError, match=r"binary.yaml:2:1: error A001: .*not UTF-8"):
        load_policy(binary, MODEL)


def test_fixture_policy_loads_with_values_in_the_models_spelling() -> None:
    groups = dict(POLICY.groups)
    assert groups["platform-prod"] == RowFilter((("business_unit", ("platform",)), ("environment", ("prod",))))
    assert groups["eu-ops"] == RowFilter((("region", ("eu-west-1", "eu-central-1")),), Unreachable.DENY)
    assert groups["finops"] is None


def test_schema_describes_the_format() -> None:
    schema = policy_schema()
    assert schema["required"] == ["groups"]
    group = schema["$defs"]["GroupPolicy"]
    assert set(group["properties"]) == {"description", "all", "where", "unreachable_tables"}
    assert group["additionalProperties"] is False
    groups = schema["properties"]["groups"]
    assert list(groups["patternProperties"]) == [GROUP_NAME_PATTERN] and groups["additionalProperties"] is False
    committed = Path(__file__).parent.parent / "semantic" / "access_policy.schema.json"
    assert json.loads(committed.read_text()) == schema, "regenerate: python -m semantic.access > " + str(committed)


# --- 2. scopes ------------------------------------------------------------------------------------------------


def test_scope_is_the_union_of_the_callers_groups() -> None:
    both = POLICY.scope_for(Caller("bob", ("search-team", "payments-team", "not-in-policy")))
    assert both.allows == (RowFilter((("business_unit", ("payments", "search")),)),)  # one filter, merged
    assert both.groups == ("payments-team", "search-team")
    mixed = POLICY.scope_for(Caller("carol", ("platform-prod", "payments-team")))
    assert mixed.describe() == "(business_unit in [payments]) or (business_unit in [platform] and environment in [prod])"
    assert POLICY.scope_for(Caller("dan", ("payments-team", "finops"))).unrestricted
    # the order groups arrive in does not change the scope (nor so the SQL or a cache key)
    assert POLICY.scope_for(Caller("x", ("payments-team", "platform-prod"))) == mixed


def test_no_group_denies_everything() -> None:
    for groups in [(), ("interns",), ("Payments-Team",)]:
        scope = POLICY.scope_for(Caller("mallory", groups))
        assert scope.denied and not scope.unrestricted
        with pytest.raises(AccessDenied, match="no group of the access policy"):
            compiled({"metrics": ["cost"]}, scope)
        with pytest.raises(AccessDenied):  # before the intent is even read
            compiled({"metrics": ["no_such_metric"]}, scope)
    with pytest.raises(ValueError):
        RowFilter(())  # "everything" cannot be written as an empty filter by mistake


def test_visible_values_for_the_catalog() -> None:
    values = visible_values(PAYMENTS, MODEL)
    assert values["business_unit"] == ("payments",)
    assert values["environment"] == ("prod", "staging", "dev", "sandbox")
    carol = visible_values(POLICY.scope_for(Caller("carol", ("platform-prod", "payments-team"))), MODEL)
    assert carol["business_unit"] == ("payments", "platform")
    assert carol["environment"] == ("prod", "staging", "dev", "sandbox")  # payments-team sees every one
    platform = visible_values(POLICY.scope_for(Caller("erin", ("platform-prod",))), MODEL)
    assert platform["environment"] == ("prod",)
    assert visible_values(POLICY.scope_for(Caller("f", ("finops",))), MODEL)["business_unit"] == (
        "payments", "search", "platform", "data", "marketing", "security")
    assert set(visible_values(Scope(), MODEL)["region"]) == set()


# --- 3. scoped answers on the sample ------------------------------------------------------------------------------

SCOPED_CASES: list[tuple[str, Raw, str, bool]] = [
    ("breakdown_by_region_two_facts", {"metrics": ["resource_count", "cost"], "dimensions": ["region"]},
     f"""WITH n AS (SELECT r.region, count(*) AS n FROM {R_PAY} GROUP BY r.region),
             s AS (SELECT c.region, sum(c.cost_usd) AS cost FROM {C_PAY} GROUP BY c.region)
        SELECT coalesce(n.region, s.region), n.n, s.cost FROM n FULL JOIN s ON s.region = n.region""", False),
    ("cost_by_region_last_month", {"metrics": ["cost"], "dimensions": ["region"], "time_range": "last month"},
     f"SELECT c.region, sum(c.cost_usd) FROM {C_PAY} WHERE {LAST_MONTH} GROUP BY c.region", False),
    ("total_cost", {"metrics": ["cost"]}, f"SELECT sum(c.cost_usd) FROM {C_PAY}", False),
    ("resources_and_cost_by_business_unit", {"metrics": ["resource_count", "cost"], "dimensions": ["business_unit"]},
     f"SELECT 'payments', (SELECT count(*) FROM {R_PAY}), (SELECT sum(c.cost_usd) FROM {C_PAY})", False),
    ("share_of_total_by_service", {"metrics": ["cost"], "dimensions": ["service"], "time_range": "last month",
                                   "share": {}},
     f"""SELECT c.service, sum(c.cost_usd),
               100 * sum(c.cost_usd) / (SELECT sum(c.cost_usd) FROM {C_PAY} WHERE {LAST_MONTH})
        FROM {C_PAY} WHERE {LAST_MONTH} GROUP BY c.service""", False),
    ("share_of_part_prod_by_service", {"metrics": ["resource_count"], "dimensions": ["service"],
                                       "share": {"part": [{"field": "environment", "value": "production"}]}},
     f"""SELECT r.service, count(*) FILTER (WHERE a.environment = 'prod'),
               100.0 * count(*) FILTER (WHERE a.environment = 'prod') / count(*)
        FROM {R_PAY} GROUP BY r.service""", False),
    ("top_3_accounts_by_cost", {"metrics": ["cost"], "dimensions": ["account_name"],
                                "order_by": [{"field": "cost", "direction": "desc"}], "limit": 3},
     f"SELECT a.account_name, sum(c.cost_usd) FROM {C_PAY} GROUP BY a.account_name ORDER BY 2 DESC LIMIT 3", True),
    ("having_cost_per_resource", {"metrics": ["cost_per_resource"], "dimensions": ["environment"],
                                  "filters": [{"field": "resource_count", "op": ">", "value": 100}]},
     f"""WITH n AS (SELECT a.environment, count(*) AS n FROM {R_PAY} GROUP BY a.environment),
             s AS (SELECT a.environment, sum(c.cost_usd) AS cost FROM {C_PAY} GROUP BY a.environment)
        SELECT n.environment, s.cost / n.n, n.n FROM n JOIN s USING (environment) WHERE n.n > 100""", False),
    # the fewest: groups with none show 0, but only groups of the caller's rows (the scope stays in WHERE)
    ("fewest_public_buckets_by_account", {"metrics": ["resource_count"], "dimensions": ["account_name"],
                                          "filters": [{"field": "is_public", "value": True},
                                                      {"field": "resource_type", "value": "s3:bucket"}],
                                          "order_by": [{"field": "resource_count", "direction": "asc"}]},
     """SELECT a.account_name, count(r.resource_id) FROM inventory.accounts a
        LEFT JOIN inventory.resources r ON r.account_id = a.account_id AND r.is_public
          AND r.resource_type = 's3:bucket'
        WHERE a.business_unit = 'payments' GROUP BY 1 ORDER BY 2, 1""", True),
    ("listing_accounts", {"dimensions": ["account_name", "environment"]},
     "SELECT account_name, environment FROM inventory.accounts WHERE business_unit = 'payments'", False),
]


@pytest.mark.parametrize(("raw", "reference", "ordered"), [c[1:] for c in SCOPED_CASES],
                         ids=[c[0] for c in SCOPED_CASES])
def test_payments_caller_sees_payments_rows_only(raw: Raw, reference: str, ordered: bool,
                                                 conn: psycopg.Connection[Any]) -> None:
    query = compiled(raw)
    want = run_read_only(conn, reference)
    assert want and want != [(None,)], "the reference finds rows, so the case proves something"
    got = rows(conn, query)
    assert_same(got, want, ordered, query.sql)
    assert got != rows(conn, compiled(raw, scope=None)), "the scope changes the answer"


def test_a_share_of_the_total_is_of_the_callers_total(conn: psycopg.Connection[Any]) -> None:
    got = rows(conn, compiled({"metrics": ["cost", "resource_count"], "dimensions": ["environment"], "share": {}}))
    assert {r[0] for r in got} == {"prod", "staging", "dev", "sandbox"}
    for column in (2, 4):
        assert abs(sum(r[column] for r in got) - 100) < Decimal("0.0001")


def test_a_forbidden_value_in_the_intent_finds_nothing(conn: psycopg.Connection[Any]) -> None:
    platform = {"field": "business_unit", "value": "platform"}
    by_region = {"metrics": ["cost", "resource_count"], "dimensions": ["region"], "filters": [platform]}
    assert rows(conn, compiled(by_region)) == []
    assert rows(conn, compiled(by_region, scope=None)), "unscoped, platform has rows"
    assert rows(conn, compiled({"metrics": ["cost"], "filters": [platform]})) == [(None,)]
    assert rows(conn, compiled({"metrics": ["resource_count"], "filters": [platform]})) == [(0,)]
    share = {"metrics": ["cost"], "share": {"part": [platform]}}
    assert rows(conn, compiled(share))[0][0] is None  # the part of the caller's cost that is platform's


def test_a_caller_in_two_groups_sees_both(conn: psycopg.Connection[Any]) -> None:
    scope = POLICY.scope_for(Caller("carol", ("platform-prod", "payments-team")))
    query = compiled({"metrics": ["cost", "resource_count"], "dimensions": ["business_unit", "environment"]}, scope)
    want = run_read_only(conn, """
        SELECT a.business_unit, a.environment,
               (SELECT sum(cost_usd) FROM inventory.resource_costs c WHERE c.account_id = ANY(array_agg(a.account_id))),
               (SELECT count(*) FROM inventory.resources r WHERE r.account_id = ANY(array_agg(a.account_id)))
        FROM inventory.accounts a
        WHERE a.business_unit = 'payments' OR (a.business_unit = 'platform' AND a.environment = 'prod')
        GROUP BY a.business_unit, a.environment""")
    assert len(want) == 5
    assert_same(rows(conn, query), want, sql=query.sql)


def test_finops_sees_what_an_unscoped_query_sees(conn: psycopg.Connection[Any]) -> None:
    finops = POLICY.scope_for(Caller("fin", ("finops", "payments-team")))
    for raw in [{"metrics": ["cost", "resource_count"], "dimensions": ["business_unit"], "share": {}},
                {"metrics": ["account_count"]}]:
        scoped, unscoped = compiled(raw, finops), compiled(raw, scope=None)
        assert (scoped.sql, scoped.params) == (unscoped.sql, unscoped.params)
        assert scoped.plan.scope == finops and scoped.plan != unscoped.plan
        assert len(rows(conn, scoped)) > 1 or raw["metrics"] == ["account_count"]


def test_a_table_the_scope_cannot_reach(conn: psycopg.Connection[Any]) -> None:
    """eu-ops is scoped by region, which accounts do not have: account questions are refused for it,
    while someone also in payments-team gets payments' accounts (the union)."""
    eu = POLICY.scope_for(Caller("eve", ("eu-ops",)))
    with pytest.raises(AccessDenied, match="accounts cannot be filtered by"):
        compiled({"metrics": ["account_count"]}, eu)
    with pytest.raises(AccessDenied):
        compiled({"dimensions": ["account_name"]}, eu)
    got = rows(conn, compiled({"metrics": ["resource_count"], "dimensions": ["region"]}, eu))
    assert_same(got, run_read_only(conn, """SELECT region, count(*) FROM inventory.resources
                                           WHERE region IN ('eu-west-1', 'eu-central-1') GROUP BY region"""))
    both = POLICY.scope_for(Caller("eve", ("eu-ops", "payments-team")))
    assert rows(conn, compiled({"metrics": ["account_count"]}, both)) == run_read_only(
        conn, "SELECT count(*) FROM inventory.accounts WHERE business_unit = 'payments'")
    shown = Scope(allows=(RowFilter((("region", ("eu-west-1",)),), Unreachable.ALL),))
    assert compiled({"metrics": ["account_count"]}, shown).sql == compiled({"metrics": ["account_count"]}, None).sql


# --- materialized views --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def view_states(pg_url: str) -> Iterator[dict[str, ViewState]]:
    """The shipped views built on the sample (and dropped again if this module built them)."""
    _ensure_sample(pg_url)
    before = set(read_states(Database(pg_url)))
    ViewManager(pg_url, MODEL).create()
    yield dict(read_states(Database(pg_url)))
    drop_views(pg_url, [m.name for m in MODEL.materializations if m.name not in before])


VIEW_CASES: list[tuple[str, Raw, str, str]] = [
    ("cost_by_service_last_month", {"metrics": ["cost"], "dimensions": ["service"], "time_range": "last month"},
     "monthly_cost", f"SELECT c.service, sum(c.cost_usd) FROM {C_PAY} WHERE {LAST_MONTH} GROUP BY c.service"),
    ("resources_by_region_share", {"metrics": ["resource_count"], "dimensions": ["region"], "share": {}},
     "resource_inventory",
     f"SELECT r.region, count(*), 100.0 * count(*) / (SELECT count(*) FROM {R_PAY}) FROM {R_PAY} GROUP BY r.region"),
]


@pytest.mark.parametrize(("raw", "view", "reference"), [c[1:] for c in VIEW_CASES], ids=[c[0] for c in VIEW_CASES])
def test_a_view_answers_a_scoped_question_only_with_the_scope_column(
        raw: Raw, view: str, reference: str, view_states: dict[str, ViewState],
        conn: psycopg.Connection[Any]) -> None:
    query = compiled(raw, views=view_states)
    assert query.plan.materializations == (view,)
    assert f"crq_mv.{view}" in query.sql and f"{view}.business_unit = ANY" in query.sql
    got = rows(conn, query)
    base = compiled(raw)
    assert base.plan.materializations == ()
    assert_same(got, rows(conn, base), sql=query.sql)
    assert_same(got, run_read_only(conn, reference), sql=query.sql)


def test_a_view_without_the_scope_column_is_not_used(view_states: dict[str, ViewState],
                                                     conn: psycopg.Connection[Any]) -> None:
    """daily_cost_by_service holds region but not business_unit: it answers eu-ops, not payments."""
    only = {"daily_cost_by_service": view_states["daily_cost_by_service"]}
    raw = {"metrics": ["cost"], "dimensions": ["service"]}
    query = compiled(raw, views=only)
    assert query.plan.materializations == ()
    assert dict(query.plan.view_report)["daily_cost_by_service"] == (
        "lacks accounts.business_unit, which the caller's access scope needs")
    assert "crq_mv" not in query.sql
    assert compiled(raw, scope=None, views=only).plan.materializations == ("daily_cost_by_service",)
    eu = POLICY.scope_for(Caller("eve", ("eu-ops",)))
    from_view = compiled(raw, eu, only)
    assert from_view.plan.materializations == ("daily_cost_by_service",)
    assert "daily_cost_by_service.region = ANY" in from_view.sql
    assert_same(rows(conn, from_view), rows(conn, compiled(raw, eu)), sql=from_view.sql)


# --- 4. snapshots of scoped SQL, also run -------------------------------------------------------------------------

SNAPSHOT_CASES = ["breakdown_by_region_two_facts", "share_of_total_by_service", "share_of_part_prod_by_service",
                  "top_3_accounts_by_cost"]


@pytest.mark.parametrize("name", SNAPSHOT_CASES)
def test_scoped_sql_snapshot(name: str, sql_snapshot: SnapshotAssertion, conn: psycopg.Connection[Any]) -> None:
    _, raw, reference, ordered = next(c for c in SCOPED_CASES if c[0] == name)
    query = compiled(raw)
    text = f"-- case: {name}\n-- scope: {PAYMENTS.describe()}\n{query.sql}\n-- params: {params_json(query.params)}\n"
    assert text == sql_snapshot
    assert "'payments'" not in query.sql and query.params["scope_business_unit"] == ["payments"]
    assert_same(rows(conn, query), run_read_only(conn, reference), ordered, query.sql)


def test_scoped_view_sql_snapshot(sql_snapshot: SnapshotAssertion, view_states: dict[str, ViewState],
                                  conn: psycopg.Connection[Any]) -> None:
    _, raw, view, reference = VIEW_CASES[0]
    query = compiled(raw, views=view_states)
    assert f"-- answered from: {view}\n{query.sql}\n-- params: {params_json(query.params)}\n" == sql_snapshot
    assert_same(rows(conn, query), run_read_only(conn, reference), sql=query.sql)


# --- 5. property: the scope is the intent filter it stands for ---------------------------------------------------

SCOPE_AS_FILTER = {"field": "business_unit", "op": "in", "value": ["payments"]}


def _normalized(conn: psycopg.Connection[Any], query: CompiledQuery) -> Counter[tuple[Any, ...]]:
    return Counter(normalize(rows(conn, query), ordered=True))


@st.composite
def scoped_intents(draw: st.DrawFn, by_unit: bool | None = None) -> Raw:
    """Valid intents with a metric; ``by_unit`` True: always grouped by business unit too (the scoped
    dimension), None: half of them."""
    raw = draw(valid_intents())
    if not raw["metrics"]:  # a listing's root table may change with an added filter: not comparable
        raw["metrics"] = ["resource_count"]
    if (by_unit or (by_unit is None and draw(st.booleans()))) and "business_unit" not in raw["dimensions"]:
        raw["dimensions"] = [*raw["dimensions"], "business_unit"]
    if draw(st.integers(0, 5)) == 0:
        raw["share"] = {}
    return raw


def test_scope_equals_the_intent_filter_it_stands_for(conn: psycopg.Connection[Any]) -> None:
    checked = Counter[str]()

    # derandomized, and half the examples grouped by the scoped dimension for sure: the coverage floors
    # below must not depend on the draw (Hypothesis also draws from literals of the modules imported, so
    # a new module elsewhere changes the draws: a random half once gave 9 of 10)
    def check(raw: Raw) -> None:
        try:
            scoped = compiled(raw)
        except UserError:
            with pytest.raises(UserError):  # what the scope refuses, the filter refuses too
                compiled({**raw, "filters": [*raw["filters"], SCOPE_AS_FILTER]}, scope=None)
            checked["refused"] += 1
            return
        filtered = compiled({**raw, "filters": [*raw["filters"], SCOPE_AS_FILTER]}, scope=None)
        got = _normalized(conn, scoped)
        assert got == _normalized(conn, filtered), f"{raw}\n{scoped.sql}"
        if "business_unit" in raw["dimensions"]:
            i = [*dict.fromkeys(raw["dimensions"])].index("business_unit")
            assert {r[i] for r in got} <= {"payments"}
            checked["by business unit"] += bool(got)
        checked["compared"] += 1

    for by_unit in (True, None):
        settings(SETTINGS, max_examples=75, derandomize=True)(given(raw=scoped_intents(by_unit))(check))()
    assert checked["compared"] >= 75 and checked["by business unit"] >= 20, checked  # 107 and 48 as drawn
