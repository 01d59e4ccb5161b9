"""Validation of materialized views (E170-E179): located exactly, worded for the analyst who must fix it.

Like tests/test_validation.py, each case breaks one spot of a frozen copy of the shipped model
(fixtures/models/mv_mutation_base.yaml, so line numbers stay put while the shipped model grows) and
pins the complete rendered issue, file:line:col included. The rule re-implements the compiler's
dimension lookup (semantic/ must not import compiler/), so the last tests check that both agree: what
the rule accepts the compiler can build, and what it rejects the compiler cannot.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import semantic.rules
from compiler.catalog import Catalog
from compiler.materializations import layouts
from compiler.plan import DISTINCT_PREFIX
from models.errors import UserError
from models.semantic_model import SemanticModel
from semantic.loader import DEFAULT_MODEL, check_model_text, load_model
from semantic.rules import RULES
from semantic.rules.materializations import materializations

FILE = "x.yaml"
BASE = (Path(__file__).parent / "fixtures" / "models" / "mv_mutation_base.yaml").read_text()
# The rule's own section of the frozen copy starts here; mutations below refer to its lines.
VIEWS_LINE = 296

Edit = tuple[int, str, str]


def mutate(text: str, edits: list[Edit]) -> str:
    """Replace ``old`` by ``new`` on 1-based line ``n``; fails loudly if the copy moved under the test."""
    lines = text.splitlines(keepends=True)
    for n, old, new in edits:
        assert lines[n - 1].count(old) == 1, f"line {n} no longer holds {old!r}: {lines[n - 1]!r}"
        lines[n - 1] = lines[n - 1].replace(old, new)
    return "".join(lines)


def rendered(text: str) -> list[str]:
    _, issues = check_model_text(text, FILE)
    return [str(issue) for issue in issues]


# A count_distinct measure on a column the shipped views do not group by (resource_id).
ADD_DISTINCT: Edit = (197, "cost_days", "resources_billed\n        agg: count_distinct\n        expr: resource_id\n      - name: cost_days")
# A second 1-hop path from resource_costs to accounts: the join to use becomes ambiguous.
TWIN_RELATIONSHIP: Edit = (
    204,
    "keys: [{from: account_id, to: account_id}]}",
    "keys: [{from: account_id, to: account_id}]}\n"
    "  - {name: cost_account_again, from: resource_costs, to: accounts, keys: [{from: account_id, to: account_id}]}",
)
LAST_LINE_OF_INVENTORY = (327, "max_staleness_hours: 24")


def _on_inventory(new: str) -> list[Edit]:
    """Replace the last line of resource_inventory (its max_staleness_hours) with ``new``."""
    n, old = LAST_LINE_OF_INVENTORY
    return [(n, old, new)]


CASES: list[tuple[str, list[Edit], list[str]]] = [
    (
        "unknown-table",
        [(299, "table: resource_costs", "table: resource_cost")],
        ["x.yaml:299:5: error E170: materializations[daily_cost]: unknown table 'resource_cost' (the one table whose measures the view holds); did you mean 'resource_costs'?"],
    ),
    (
        "unknown-measure",
        [(300, "cost_days", "cost_day")],
        ["x.yaml:300:22: error E171: materializations[daily_cost]: table 'resource_costs' has no measure 'cost_day'; did you mean 'cost_days'?"],
    ),
    (
        "measure-of-another-table",
        [(308, "cost, cost_days", "cost, resource_count")],
        ["x.yaml:308:22: error E171: materializations[daily_cost_by_service]: table 'resource_costs' has no measure 'resource_count' (it is a measure of resources; a view holds one table); valid measures of resource_costs: cost, cost_days"],
    ),
    (
        "measure-listed-twice",
        [(300, "cost_days", "cost")],
        ["x.yaml:300:22: error E171: materializations[daily_cost]: measure 'cost' is listed twice; list it once"],
    ),
    (
        "unknown-dimension",
        [(301, "business_unit", "busines_unit")],
        ["x.yaml:301:32: error E172: materializations[daily_cost]: unknown dimension 'busines_unit' for a view of resource_costs; did you mean 'business_unit'?"],
    ),
    (
        "dimension-across-one-to-many",
        [(325, "account_name", "usage_date")],
        ["x.yaml:325:18: error E172: materializations[resource_inventory]: 'usage_date' is on resource_costs, which resources reaches only through a one-to-many join; a view of resources cannot group or filter by it. Use a dimension of resources or of a table it joins many-to-one"],
    ),
    (
        "dimension-listed-twice-under-two-names",
        [(325, "account_name", "accounts.account_name, account_name")],
        ["x.yaml:325:41: error E172: materializations[resource_inventory]: 'account_name' is the same dimension as 'accounts.account_name', listed before; list it once"],
    ),
    (
        "tags-dimension-without-key",
        [(325, "account_name", "tag")],
        ["x.yaml:325:18: error E172: materializations[resource_inventory]: 'tag' is a tags dimension; refer to one tag as 'tag:<key>', e.g. 'tag:owner'"],
    ),
    (
        "key-on-a-plain-dimension",
        [(325, "account_name", "region:owner")],
        ["x.yaml:325:18: error E172: materializations[resource_inventory]: 'region' is not a tags dimension, so ':owner' cannot follow it; write 'region' alone"],
    ),
    (
        "unknown-qualifier",
        [(325, "account_name", "costs.region")],
        ["x.yaml:325:18: error E172: materializations[resource_inventory]: unknown table 'costs'; did you mean 'accounts'?"],
    ),
    (
        "two-join-paths",
        [TWIN_RELATIONSHIP],
        [
            f"x.yaml:{line}:{col}: error E172: materializations[{view}]: '{dim}' is on accounts, which resource_costs reaches along two join paths of the same length, so the view could not tell which join to use; remove or merge one of the relationships"
            for line, view in ((302, "daily_cost"), (318, "monthly_cost"))
            for col, dim in ((18, "account_name"), (32, "business_unit"), (47, "environment"))
        ],
    ),
    (
        "time-dimension-as-dimension",
        [(301, "business_unit", "usage_date")],
        ["x.yaml:301:32: error E173: materializations[daily_cost]: 'usage_date' is a time dimension; remove it from dimensions and set time_dimension: usage_date with a grain instead"],
    ),
    (
        "unknown-time-dimension",
        [(302, "usage_date", "usage_dat")],
        ["x.yaml:302:5: error E174: materializations[daily_cost]: unknown time dimension 'usage_dat'; did you mean 'usage_date'?"],
    ),
    (
        "time-dimension-not-time",
        [(302, "usage_date", "region")],
        ["x.yaml:302:5: error E174: materializations[daily_cost]: 'region' is not a time dimension; list it under dimensions, or set time_dimension to one of: created_at, usage_date"],
    ),
    (
        "grain-not-offered",
        [(189, "type: date", "type: date\n        grains: [day, month]"), (303, "grain: day", "grain: week")],
        [
            "x.yaml:301:22: warning E179: materializations[daily_cost]: measure 'cost_days' is count_distinct, which cannot be re-aggregated: the view only serves queries grouped by exactly its dimensions (account_name, business_unit, environment, service, region, usage_date by week); to serve coarser queries, group the view by the counted column itself or move 'cost_days' to a view of its own",
            "x.yaml:304:5: error E175: materializations[daily_cost]: time dimension 'usage_date' does not offer grain 'week', so no query could use the view; valid grains: day, month",
        ],
    ),
    (
        "grain-without-time-dimension",
        _on_inventory("grain: month"),
        ["x.yaml:327:5: error E175: materializations[resource_inventory]: grain without time_dimension has no effect; set time_dimension or remove grain"],
    ),
    (
        "unknown-time-zone",
        [(303, "grain: day", "timezone: Europe/Berln")],
        ["x.yaml:303:5: error E176: materializations[daily_cost]: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"],
    ),
    (
        "zone-postgresql-reads-differently",
        [(303, "grain: day", "timezone: CET")],
        ["x.yaml:303:5: error E176: materializations[daily_cost]: time zone 'CET' means one thing to Python and another to PostgreSQL (a fixed offset, or a file), so buckets and query ranges would disagree; use a region name such as Europe/Berlin"],
    ),
    (
        "duplicate-view-name",
        [(305, "name: daily_cost_by_service", "name: daily_cost")],
        ["x.yaml:305:5: error E177: materializations[daily_cost]: duplicate materialization name 'daily_cost' (first defined on line 297); each view is one object in schema crq_mv, so rename or remove one of them"],
    ),
    (
        "view-named-like-a-table",
        [(305, "name: daily_cost_by_service", "name: resources")],
        ["x.yaml:305:5: error E177: materializations[resources]: materialization 'resources' has the name of a table; `crq explain` and the SQL name views and tables alike (FROM crq_mv.resources AS resources), so rename the view, e.g. 'resources_mv'"],
    ),
    (
        "two-tag-keys-in-one-column",
        [(325, "account_name", "tag:cost-center, tag:cost_center")],
        ["x.yaml:325:35: error E177: materializations[resource_inventory]: dimension 'tag:cost_center' would be stored in view column 'tag_cost_center', which already holds dimension 'tag:cost-center'; drop or rename one of them (a view column is the name with '.' as '__', other punctuation as '_')"],
    ),
    (
        "measure-named-like-the-span-column",
        [(197, "cost_days", "first_day\n        agg: min\n        expr: usage_date\n      - name: cost_days"),
         (300, "cost_days", "cost_days, first_day")],
        ["x.yaml:303:33: error E177: materializations[daily_cost]: measure 'first_day' would be stored in view column 'first_day', which already holds the span of data crq records for a time view; drop or rename one of them (a view column is the name with '.' as '__', other punctuation as '_')"],
    ),
    (
        "filter-on-unknown-dimension",
        _on_inventory("filters: [{field: environmnt, value: prod}]"),
        ["x.yaml:327:16: error E178: materializations[resource_inventory].filters[0]: unknown dimension 'environmnt' for a view of resources; did you mean 'environment'?"],
    ),
    (
        "filter-on-a-metric",
        _on_inventory("filters: [{field: cost, op: '>', value: 1}]"),
        ["x.yaml:327:16: error E178: materializations[resource_inventory].filters[0]: 'cost' is a metric; a view's filters select rows by dimensions, so filter on a dimension (or leave metric conditions to the queries)"],
    ),
    (
        "filter-across-one-to-many",
        _on_inventory("filters: [{field: usage_date, op: '>', value: 2026-01-01}]"),
        ["x.yaml:327:16: error E178: materializations[resource_inventory].filters[0]: 'usage_date' is on resource_costs, which resources reaches only through a one-to-many join; a view of resources cannot group or filter by it. Use a dimension of resources or of a table it joins many-to-one"],
    ),
    (
        "filter-value-outside-enum",
        _on_inventory("filters: [{field: environment, value: production}]"),
        ["x.yaml:327:36: error E134: materializations[resource_inventory].filters[0]: value 'production' is not in the enum of 'environment'; 'production' is a synonym of 'prod', write 'prod'"],
    ),
    (
        "filter-operator-of-the-wrong-type",
        _on_inventory("filters: [{field: is_public, op: contains, value: t}]"),
        ["x.yaml:327:34: error E133: materializations[resource_inventory].filters[0]: operator 'contains' does not apply to boolean dimension 'is_public'; use one of '=', '!=', 'in', 'not in', 'is null', 'is not null'"],
    ),
    (
        "count-distinct-of-a-column-not-grouped",
        [ADD_DISTINCT, (300, "cost_days", "cost_days, resources_billed")],
        ["x.yaml:303:33: warning E179: materializations[daily_cost]: measure 'resources_billed' is count_distinct, which cannot be re-aggregated: the view only serves queries grouped by exactly its dimensions (account_name, business_unit, environment, service, region, usage_date by day); to serve coarser queries, group the view by the counted column itself or move 'resources_billed' to a view of its own"],
    ),
    (
        "count-distinct-of-days-in-weekly-buckets",
        [(303, "grain: day", "grain: week")],
        ["x.yaml:300:22: warning E179: materializations[daily_cost]: measure 'cost_days' is count_distinct, which cannot be re-aggregated: the view only serves queries grouped by exactly its dimensions (account_name, business_unit, environment, service, region, usage_date by week); to serve coarser queries, group the view by the counted column itself or move 'cost_days' to a view of its own"],
    ),
]


def test_frozen_copy_and_shipped_model_have_no_issues() -> None:
    """Both validate cleanly with the new rule: the shipped views' count_distinct (cost_days) counts a
    column the views group by, so not even a warning."""
    for text, file in ((BASE, FILE), (DEFAULT_MODEL.read_text(), str(DEFAULT_MODEL))):
        model, issues = check_model_text(text, file)
        assert model is not None and model.materializations
        assert [str(i) for i in issues] == []
    lines = BASE.splitlines()
    assert lines[VIEWS_LINE - 1] == "materializations:", "the frozen copy moved; fix the line numbers"


@pytest.mark.parametrize(("edits", "expected"), [pytest.param(e, x, id=n) for n, e, x in CASES])
def test_one_break_gives_exact_issues(edits: list[Edit], expected: list[str]) -> None:
    """The complete rendered issues, file:line:col, object, fix and did-you-mean included."""
    assert rendered(mutate(BASE, edits)) == expected


@pytest.mark.parametrize(
    ("name", "edits"),
    [
        ("tag-key", [(325, "account_name", "tag:owner")]),
        ("dimension-of-a-joined-table", [(301, "business_unit", "instance_type")]),
        ("qualified-own-dimension", [(325, "account_name", "resources.resource_name")]),
        ("created-at-from-costs", [(318, "usage_date", "created_at")]),
        ("zone-with-time-dimension", [(318, "usage_date", "created_at"), (319, "grain: month", "timezone: Asia/Kolkata")]),
        ("fixed-filter", _on_inventory("filters: [{field: environment, value: prod}]")),
        ("fixed-filter-with-group", _on_inventory("filters: [{field: region, op: in, value: [eu-west-1]}]")),
        ("time-zone", [(303, "grain: day", "timezone: America/St_Johns")]),
        ("count-distinct-of-a-grouped-column", [ADD_DISTINCT, (308, "cost, cost_days", "cost, resources_billed"),
                                                (309, "[service, region]", "[service, region, resource_id]")]),
    ],
)
def test_valid_views_pass_silently(name: str, edits: list[Edit]) -> None:
    """Names the compiler resolves (through joins, tags, qualifiers) are not flagged."""
    assert rendered(mutate(BASE, edits)) == [], name


def test_warning_does_not_stop_the_model_from_loading(tmp_path: Path) -> None:
    """E179 is advice: the view works, for fewer queries; load_model (and so every command) accepts it."""
    path = tmp_path / "warned.yaml"
    path.write_text(mutate(BASE, [ADD_DISTINCT, (300, "cost_days", "cost_days, resources_billed")]))
    _, issues = check_model_text(path.read_text(), str(path))
    assert [(i.code, i.level) for i in issues] == [("E179", "warning")]
    assert load_model(path).materializations[0].measures == ("cost", "cost_days", "resources_billed")


def test_several_problems_in_one_view_are_all_reported() -> None:
    text = mutate(
        BASE,
        [(300, "cost_days", "cost_dayz"),
         (301, "business_unit", "busines_unit"), (303, "grain: day", "timezone: Mars/Olympus")],
    )
    assert [line.split(": ")[1] for line in rendered(text)] == ["error E171", "error E172", "error E176"]
    assert rendered(text)[-1] == (
        "x.yaml:303:5: error E176: materializations[daily_cost]: unknown time zone 'Mars/Olympus'; use an IANA "
        "name such as Europe/Berlin or America/New_York"
    )


@pytest.mark.parametrize("line", range(VIEWS_LINE, len(BASE.splitlines()) + 1))
def test_rule_never_raises_on_a_model_missing_one_line(line: int) -> None:
    """The rule sees whatever the schema lets through; a half-deleted view yields issues, not a crash."""
    lines = BASE.splitlines(keepends=True)
    check_model_text("".join(lines[: line - 1] + lines[line:]), FILE)


def test_codes_are_documented_and_registered() -> None:
    """Every E17x the rule emits is in the code table users look codes up in, and the rule runs."""
    source = Path(semantic.rules.__file__).parent.joinpath("materializations.py").read_text()
    used = set(re.findall(r'"(E17\d)"', source))
    documented = set(re.findall(r"^(E17\d) ", semantic.rules.__doc__ or "", flags=re.MULTILINE))
    assert used == documented == {f"E17{i}" for i in range(10)}
    assert materializations in RULES


# --- the rule and the compiler agree ---------------------------------------------------------------------


def _compiler_accepts(model: SemanticModel) -> bool:
    """Whether the compiler can lay out every view (what `crq mv create` and every query need)."""
    try:
        layouts(Catalog(model))
    except (UserError, KeyError):
        return False
    return True


# Cases whose problem is a name the compiler cannot resolve either: laying the views out fails.
COMPILER_REJECTS = {
    "unknown-table", "unknown-measure", "measure-of-another-table", "unknown-dimension",
    "dimension-across-one-to-many", "tags-dimension-without-key", "key-on-a-plain-dimension",
    "unknown-qualifier", "two-join-paths", "time-dimension-as-dimension", "unknown-time-dimension",
    "filter-on-unknown-dimension", "filter-on-a-metric", "filter-across-one-to-many",
    "filter-operator-of-the-wrong-type",
}


@pytest.mark.parametrize(("name", "edits"), [pytest.param(n, e, id=n) for n, e, _ in CASES])
def test_rule_and_compiler_agree_on_what_resolves(name: str, edits: list[Edit]) -> None:
    """The rule's re-implemented lookup rejects exactly the names the compiler cannot resolve.

    The other cases are problems the compiler does not look for: a repeated measure or dimension
    (harmless to it, or a CREATE error later), a grain no query may ask for, a zone PostgreSQL reads
    differently, a time_dimension that is not a time dimension (the compiler would bucket by it as if it
    were), names, filter values and count_distinct advice; there it lays the views out without complaint.
    """
    model, _ = check_model_text(mutate(BASE, edits), FILE)
    assert model is not None
    assert _compiler_accepts(model) == (name not in COMPILER_REJECTS)


@pytest.mark.parametrize(
    ("edits", "warned"),
    [
        pytest.param([ADD_DISTINCT, (300, "cost_days", "cost_days, resources_billed")], True, id="not-grouped"),
        pytest.param([(303, "grain: day", "grain: week")], True, id="weekly-days"),
        pytest.param([ADD_DISTINCT, (308, "cost, cost_days", "cost, resources_billed"),
                      (309, "[service, region]", "[service, region, resource_id]")], False, id="grouped"),
        pytest.param([], False, id="shipped"),
    ],
)
def test_count_distinct_warning_matches_what_the_compiler_stores(edits: list[Edit], warned: bool) -> None:
    """E179 is given exactly when the compiler cannot count distinct values from a view column, i.e.
    when the view can only serve queries with exactly its grouping."""
    model, issues = check_model_text(mutate(BASE, edits), FILE)
    assert model is not None
    assert any(i.code == "E179" for i in issues) == warned
    stored = {
        (view, alias): columns
        for view, layout in layouts(Catalog(model)).items()
        for alias, columns in layout.source.measures
    }
    distinct_counts = [k for k in stored if k[1].endswith(("__cost_days", "__resources_billed"))]
    assert distinct_counts
    not_from_a_column = [k for k in distinct_counts if not stored[k][0].startswith(DISTINCT_PREFIX)]
    assert bool(not_from_a_column) == warned
