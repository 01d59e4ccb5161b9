"""Validation of semantic models: each rule, located exactly, worded for the analyst who must fix it.

Most cases break one line of the shipped model and pin the complete rendered issue, file:line:col
included: the position and the wording are the product here, so a change to either should be a
deliberate, reviewed change to this file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import semantic.rules
from models.errors import ModelValidationError
from semantic.loader import DEFAULT_MODEL, check_model_text, load_model
from semantic.rules import RULES, database_columns
from semantic.source_map import build_source_map

FILE = "x.yaml"
# Mutations need stable line numbers, so they break a frozen copy of the shipped model; the shipped
# model itself is checked to validate cleanly below.
SHIPPED = (Path(__file__).parent / "fixtures" / "models" / "mutation_base.yaml").read_text()
FIXTURES = Path(__file__).parent / "fixtures" / "models"
VQ_MODEL = (FIXTURES / "verified_queries.yaml").read_text()

Edit = tuple[int, str, str]


def mutate(text: str, edits: list[Edit]) -> str:
    """Replace ``old`` by ``new`` on 1-based line ``n``; fails loudly if the model moved under the test."""
    lines = text.splitlines(keepends=True)
    for n, old, new in edits:
        assert lines[n - 1].count(old) == 1, f"line {n} no longer holds {old!r}: {lines[n - 1]!r}"
        lines[n - 1] = lines[n - 1].replace(old, new)
    return "".join(lines)


def rendered(text: str) -> list[str]:
    _, issues = check_model_text(text, FILE)
    return [str(issue) for issue in issues]


def test_shipped_model_has_no_issues() -> None:
    model, issues = check_model_text(DEFAULT_MODEL.read_text(), str(DEFAULT_MODEL))
    assert model is not None
    assert [str(i) for i in issues] == []
    assert load_model().name == "cloud_inventory"


def test_verified_queries_fixture_has_no_issues() -> None:
    model, issues = check_model_text(VQ_MODEL, FILE)
    assert issues == []
    assert model is not None and len(model.verified_queries) == 2


SHIPPED_CASES: list[tuple[str, int, str, str, str]] = [
    # --- loader (YAML and schema) ---
    (
        "yaml-syntax",
        63,
        "enum: [us-east-1",
        "enum: [[us-east-1",
        "x.yaml:64:9: error E001: YAML syntax error: did not find expected ',' or ']'",
    ),
    (
        "unknown-field",
        148,
        "description:",
        "descriptoin:",
        "x.yaml:148:9: error E002: tables[resources].measures[total_storage_gb].descriptoin: unknown field "
        "'descriptoin'; did you mean 'description'?",
    ),
    (
        "missing-field",
        43,
        "agg: count",
        "description: z",
        "x.yaml:42:9: error E003: tables[accounts].measures[account_count]: missing required field 'agg'",
    ),
    (
        "bad-enum-value",
        43,
        "agg: count",
        "agg: counting",
        "x.yaml:43:9: error E004: tables[accounts].measures[account_count].agg: Input should be 'count', "
        "'count_distinct', 'sum', 'avg', 'min' or 'max'; did you mean 'count'?",
    ),
    # --- unique_names ---
    (
        "duplicate-table",
        195,
        "\n",
        "  - {name: accounts, primary_key: [account_id]}\n",
        "x.yaml:195:6: error E101: tables[accounts]: duplicate table name 'accounts' in the model "
        "(first defined on line 9); rename or remove one of them",
    ),
    (
        "duplicate-dimension",
        68,
        "name: service",
        "name: region",
        "x.yaml:68:9: error E101: tables[resources].dimensions[region]: duplicate dimension name 'region' in "
        "table 'resources' (first defined on line 59; dimensions and time_dimensions share one namespace); "
        "rename or remove one of them",
    ),
    (
        "time-dimension-named-like-dimension",
        136,
        "name: created_at",
        "name: is_public",
        "x.yaml:136:9: error E101: tables[resources].time_dimensions[is_public]: duplicate dimension name "
        "'is_public' in table 'resources' (first defined on line 115; dimensions and time_dimensions share "
        "one namespace); rename or remove one of them",
    ),
    (
        "duplicate-measure",
        145,
        "- name: total_storage_gb",
        "- {name: resource_count, agg: count}\n      - name: total_storage_gb",
        "x.yaml:145:10: error E101: tables[resources].measures[resource_count]: duplicate measure name "
        "'resource_count' in table 'resources' (first defined on line 142); rename or remove one of them",
    ),
    (
        "duplicate-metric",
        212,
        "name: avg_storage_gb",
        "name: total_storage_gb",
        "x.yaml:212:5: error E101: metrics[total_storage_gb]: duplicate metric name 'total_storage_gb' in the "
        "model (first defined on line 207); rename or remove one of them",
    ),
    (
        "duplicate-segment",
        276,
        "name: running_instances",
        "name: untagged",
        "x.yaml:276:5: error E101: segments[untagged]: duplicate segment name 'untagged' in the model "
        "(first defined on line 268); rename or remove one of them",
    ),
    (
        "duplicate-relationship",
        198,
        "name: cost_account",
        "name: resource_account",
        "x.yaml:198:6: error E101: relationships[resource_account]: duplicate relationship name "
        "'resource_account' in the model (first defined on line 197); rename or remove one of them",
    ),
    (
        "metric-named-like-dimension",
        239,
        "name: account_count",
        "name: environment",
        "x.yaml:239:5: error E102: metrics[environment]: metric 'environment' has the name of a dimension of "
        "table 'accounts'; metrics and dimensions share one namespace in intents (filters, order_by), so "
        "rename the metric or the dimension",
    ),
    # --- table_structure ---
    (
        "empty-primary-key",
        49,
        "[resource_id]",
        "[]",
        "x.yaml:49:5: error E110: tables[resources].primary_key: table 'resources' has an empty primary key; "
        "list the column(s) that identify one row (relationships and fan-out checks rely on it)",
    ),
    (
        "repeated-primary-key-column",
        165,
        "[usage_date, resource_id]",
        "[usage_date, usage_date]",
        "x.yaml:165:31: error E111: tables[resource_costs].primary_key[1]: column 'usage_date' appears twice "
        "in the primary key; list each column once",
    ),
    (
        "default-time-dimension-typo",
        166,
        "usage_date",
        "usage_dat",
        "x.yaml:166:5: error E112: tables[resource_costs].default_time_dimension: 'usage_dat' is not a time "
        "dimension of table 'resource_costs'; did you mean 'usage_date'?",
    ),
    (
        "two-sources",
        126,
        "expr:",
        "column: tags\n        expr:",
        "x.yaml:127:9: error E113: tables[resources].dimensions[is_untagged]: dimension 'is_untagged' has 2 "
        "sources (column, expr); keep exactly one of column, expr, json or tags",
    ),
    (
        "no-source",
        52,
        "column: resource_id",
        "description: x",
        "x.yaml:51:9: error E113: tables[resources].dimensions[resource_id]: dimension 'resource_id' has no "
        "source; give exactly one of column, expr, json or tags",
    ),
    (
        "json-without-key",
        38,
        "column: owner_email",
        "json: [owner_email]",
        "x.yaml:38:9: error E114: tables[accounts].dimensions[owner_email].json: json needs a column and at "
        "least one key, e.g. [owner_email, some_key]; to use the whole column, write column: instead",
    ),
    (
        "tag-keys-on-plain-dimension",
        124,
        "synonyms:",
        "tag_keys: [owner]\n        synonyms:",
        "x.yaml:124:9: error E115: tables[resources].dimensions[is_encrypted].tag_keys: tag_keys only apply to "
        "a tags dimension; remove tag_keys or set tags: <jsonb column>",
    ),
    (
        "group-value-outside-enum",
        65,
        "eu-central-1]",
        "eu-centrl-1]",
        "x.yaml:65:40: error E116: tables[resources].dimensions[region].groups.europe.values[1]: group "
        "'europe' value 'eu-centrl-1' is not in the enum of 'region'; did you mean 'eu-central-1'?",
    ),
    (
        "value-synonym-outside-enum",
        34,
        "prod:",
        "produ:",
        "x.yaml:34:11: error E116: tables[accounts].dimensions[environment].value_synonyms.produ: "
        "value_synonyms key 'produ' is not in the enum of 'environment'; did you mean 'prod'?",
    ),
    (
        "enum-on-boolean",
        119,
        "synonyms:",
        "enum: [yes_, no_]\n        synonyms:",
        "x.yaml:119:9: error E117: tables[resources].dimensions[is_public].enum: a boolean dimension cannot "
        "have an enum; remove enum, or make the dimension type: string",
    ),
    (
        "untagged-not-a-boolean",
        134,
        "env]",
        "env]\n        untagged: is_untaged",
        "x.yaml:135:9: error E118: tables[resources].dimensions[tag].untagged: untagged 'is_untaged' is not "
        "a boolean dimension of table 'resources'; did you mean 'is_untagged'?",
    ),
    (
        "untagged-on-a-plain-dimension",
        119,
        "synonyms:",
        "untagged: is_untagged\n        synonyms:",
        "x.yaml:119:9: error E118: tables[resources].dimensions[is_public].untagged: untagged only applies "
        "to a tags dimension; remove untagged or set tags: <jsonb column>",
    ),
    (
        "applies-to-unknown-dimension",
        106,
        "description:",
        "applies_to: {resource_typ: [ec2:instance]}\n        description:",
        "x.yaml:106:22: error E119: tables[resources].dimensions[instance_type].applies_to.resource_typ: "
        "applies_to 'resource_typ' is not another dimension of table 'resources' with an enum; did you mean "
        "'resource_type'?",
    ),
    (
        "applies-to-value-outside-the-enum",
        106,
        "description:",
        'applies_to: {resource_type: ["ec2:instance", "rds:db-instanc"]}\n        description:',
        "x.yaml:106:54: error E119: tables[resources].dimensions[instance_type].applies_to.resource_type[1]: "
        "applies_to value 'rds:db-instanc' is not in the enum of 'resource_type'; did you mean "
        "'rds:db-instance'?",
    ),
    (
        "applies-to-no-values",
        106,
        "description:",
        "applies_to: {resource_type: []}\n        description:",
        "x.yaml:106:22: error E119: tables[resources].dimensions[instance_type].applies_to.resource_type: "
        "applies_to 'resource_type' lists no values; list at least one",
    ),
    # --- expressions ---
    (
        "unknown-function",
        126,
        "tags = '{}'::jsonb",
        "foo(tags)",
        "x.yaml:126:9: error E120: tables[resources].dimensions[is_untagged].expr: invalid expression "
        "'foo(tags)': function foo() is not allowed; allowed: abs, ceil, coalesce, concat, date_trunc, "
        "extract, floor, greatest, jsonb_array_length, jsonb_typeof, least, left, length, lower, nullif, "
        "position, right, round, split_part, substring, trim, upper",
    ),
    (
        "aggregate-in-measure-expr",
        147,
        "storage_gb",
        "sum(storage_gb)",
        "x.yaml:147:9: error E120: tables[resources].measures[total_storage_gb].expr: invalid expression "
        "'sum(storage_gb)': it must not aggregate; agg: sum already aggregates, so write only the column",
    ),
    (
        "aggregate-in-measure-filter",
        155,
        "is_encrypted",
        "count(is_encrypted) > 0",
        "x.yaml:155:9: error E120: tables[resources].measures[encrypted_count].filter: invalid expression "
        "'count(is_encrypted) > 0': it must not aggregate; a filter keeps or drops single rows; write a "
        "per-row condition",
    ),
    (
        "avg-without-expr",
        151,
        "expr: storage_gb",
        "description: y",
        "x.yaml:150:9: error E121: tables[resources].measures[avg_storage_gb]: agg: avg needs expr, the column "
        "or expression to aggregate (only count can count rows without one)",
    ),
    # --- references ---
    (
        "unknown-measure",
        203,
        "resources.resource_count",
        "resources.resource_cnt",
        "x.yaml:203:5: error E130: metrics[resource_count].measure: table 'resources' has no measure "
        "'resource_cnt'; write table.measure, did you mean 'resources.resource_count'?",
    ),
    (
        "unknown-ratio-denominator",
        220,
        "resource_count",
        "resource_cnt",
        "x.yaml:220:5: error E131: metrics[encrypted_share].denominator: 'resource_cnt' is not a metric; "
        "did you mean 'resource_count'?",
    ),
    (
        "unknown-metric-in-derived-expr",
        255,
        "cost_days",
        "cost_dayz",
        "x.yaml:255:5: error E131: metrics[avg_daily_cost].expr: 'cost_dayz' in the expression is not a "
        "metric; did you mean 'cost_days'?",
    ),
    (
        "segment-unknown-dimension",
        275,
        "field: environment",
        "field: enviroment",
        "x.yaml:275:16: error E132: segments[production].filters[0]: unknown dimension 'enviroment'; did you "
        "mean 'environment'?",
    ),
    (
        "segment-filters-a-metric",
        275,
        "field: environment",
        "field: cost",
        "x.yaml:275:16: error E132: segments[production].filters[0]: 'cost' is a metric, not a dimension; a "
        "segment filters rows by dimensions only",
    ),
    (
        "segment-bare-tags-dimension",
        271,
        'field: is_untagged, op: "=", value: true',
        "field: tag, value: bob",
        "x.yaml:271:16: error E132: segments[untagged].filters[0]: 'tag' is a tags dimension; refer to one tag "
        "as 'tag:<key>', e.g. 'tag:owner'",
    ),
    (
        "greater-than-on-boolean",
        271,
        'op: "="',
        'op: ">"',
        "x.yaml:271:36: error E133: segments[untagged].filters[0]: operator '>' does not apply to boolean "
        "dimension 'is_untagged'; use one of '=', '!=', 'in', 'not in', 'is null', 'is not null'",
    ),
    (
        "contains-on-number",
        271,
        'field: is_untagged, op: "=", value: true',
        "field: storage_gb, op: contains, value: 5",
        "x.yaml:271:35: error E133: segments[untagged].filters[0]: operator 'contains' does not apply to number "
        "dimension 'storage_gb'; use one of '=', '!=', 'in', 'not in', '<', '<=', '>', '>=', 'between', "
        "'is null', 'is not null'",
    ),
    (
        "value-is-a-synonym-not-the-enum-value",
        275,
        "value: prod}",
        "value: production}",
        "x.yaml:275:45: error E134: segments[production].filters[0]: value 'production' is not in the enum of "
        "'environment'; 'production' is a synonym of 'prod', write 'prod'",
    ),
    (
        "value-outside-enum",
        279,
        "value: running}",
        "value: runing}",
        "x.yaml:279:95: error E134: segments[running_instances].filters[1]: value 'runing' is not in the enum "
        "of 'state'; did you mean 'running'?",
    ),
    (
        "string-on-boolean",
        271,
        "value: true",
        "value: yes please",
        "x.yaml:271:45: error E134: segments[untagged].filters[0]: value 'yes please' does not fit boolean "
        "dimension 'is_untagged'; write true or false",
    ),
    # --- relationships ---
    (
        "unknown-to-table",
        197,
        "to: accounts",
        "to: acounts",
        "x.yaml:197:47: error E140: relationships[resource_account]: unknown to table 'acounts'; did you mean "
        "'accounts'?",
    ),
    (
        "empty-keys",
        197,
        "keys: [{from: account_id, to: account_id}]",
        "keys: []",
        "x.yaml:197:61: error E141: relationships[resource_account]: keys is empty; list the column pairs to "
        "join on, e.g. [{from: account_id, to: account_id}]",
    ),
    (
        "to-column-not-primary-key",
        199,
        "to: resource_id}",
        "to: resource_name}",
        "x.yaml:199:91: error E142: relationships[cost_resource]: 'resource_name' is not in the primary key of "
        "'resources' [resource_id]; a relationship must join to the whole primary key of its to-table so "
        "that each row finds at most one match; did you mean 'resource_id'?",
    ),
    (
        "one-to-one-from-non-key",
        199,
        "keys:",
        "cardinality: one_to_one, keys:",
        "x.yaml:199:64: error E143: relationships[cost_resource]: one_to_one needs the from columns "
        "[resource_id] to be the primary key of 'resource_costs' [usage_date, resource_id]; otherwise several "
        "'resource_costs' rows share one target, so use cardinality: many_to_one",
    ),
    (
        "self-relationship",
        197,
        "to: accounts",
        "to: resources",
        "x.yaml:197:47: error E144: relationships[resource_account]: relationship from table 'resources' to "
        "itself; crq does not join a table to itself, so remove it",
    ),
    # --- cycles ---
    (
        "relationship-cycle",
        199,
        "from: resource_costs, to: resources",
        "from: accounts, to: resources",
        "x.yaml:199:43: error E150: relationships[cost_resource]: relationships form a cycle accounts -> "
        "resources -> accounts; a relationship points from the many side to the one side, so a cycle makes "
        "join paths ambiguous: remove one of them (a 1:1 link needs a single relationship with cardinality: "
        "one_to_one)",
    ),
    (
        "metric-refers-to-itself",
        220,
        "resource_count",
        "encrypted_share",
        "x.yaml:220:5: error E151: metrics[encrypted_share]: metric 'encrypted_share' refers to itself "
        "(encrypted_share -> encrypted_share), so it can never be computed; point it at other metrics",
    ),
    # --- grains ---
    (
        "no-grains",
        183,
        "type: date",
        "type: date\n        grains: []",
        "x.yaml:184:9: error E160: tables[resource_costs].time_dimensions[usage_date].grains: time dimension "
        "'usage_date' has no grains; list at least one of day, week, month, quarter, year (or omit grains to "
        "offer them all)",
    ),
    (
        "repeated-grain",
        183,
        "type: date",
        "type: date\n        grains: [day, month, day]",
        "x.yaml:184:30: error E161: tables[resource_costs].time_dimensions[usage_date].grains[2]: grain 'day' "
        "is listed twice; list each grain once",
    ),
]


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"), [pytest.param(*case[1:], id=case[0]) for case in SHIPPED_CASES]
)
def test_one_break_in_the_shipped_model_gives_one_exact_error(
    line: int, old: str, new: str, expected: str
) -> None:
    assert rendered(mutate(SHIPPED, [(line, old, new)])) == [expected]


VQ_CASES: list[tuple[str, int, str, str, str]] = [
    (
        "unknown-metric",
        40,
        "[resource_count]",
        "[resource_cnt]",
        "x.yaml:40:17: error E131: verified_queries[0].intent.metrics[0]: 'resource_cnt' is not a metric; did "
        "you mean 'resource_count'?",
    ),
    (
        "unknown-dimension",
        41,
        "[region,",
        "[regoin,",
        "x.yaml:41:20: error E132: verified_queries[0].intent.dimensions[0]: unknown dimension 'regoin'; did "
        "you mean 'region'?",
    ),
    (
        "tag-key-on-plain-dimension",
        49,
        '"tag:team"',
        '"region:team"',
        "x.yaml:49:21: error E132: verified_queries[1].intent.dimensions[region:team]: 'region' is not a tags "
        "dimension, so ':team' cannot follow it; write 'region' alone",
    ),
    (
        "unknown-filter-field",
        42,
        "field: resource_count",
        "field: resource_counts",
        "x.yaml:42:18: error E132: verified_queries[0].intent.filters[0]: 'resource_counts' is neither a metric "
        "nor a dimension; did you mean 'resource_count'?",
    ),
    (
        "unknown-order-by-field",
        45,
        "field: resource_count",
        "field: resources",
        "x.yaml:45:19: error E132: verified_queries[0].intent.order_by[0]: cannot order by 'resources': it is "
        "neither a metric nor a dimension; did you mean 'resource_count'?",
    ),
    (
        "time-range-on-plain-dimension",
        44,
        "dimension: created_at",
        "dimension: region",
        "x.yaml:44:49: error E132: verified_queries[0].intent.time_range.dimension: 'region' is not a time "
        "dimension; valid time dimensions: created_at",
    ),
    (
        "filter-value-outside-enum",
        50,
        "[eu-west-1]",
        "[eu-west-1, eu-west-2]",
        "x.yaml:50:60: error E134: verified_queries[1].intent.filters[0]: value 'eu-west-2' is not in the enum "
        "of 'region'; did you mean 'eu-west-1'?",
    ),
    (
        "filter-value-wrong-type",
        50,
        "value: 100",
        "value: lots",
        "x.yaml:50:92: error E134: verified_queries[1].intent.filters[1]: value 'lots' does not fit number "
        "dimension 'storage_gb'; write a number",
    ),
    (
        "unknown-segment",
        43,
        "[production]",
        "[prod]",
        "x.yaml:43:18: error E135: verified_queries[0].intent.segments[0]: 'prod' is not a segment; valid "
        "segments: production",
    ),
    (
        "grain-on-plain-dimension",
        41,
        "created_at__month",
        "storage_gb__month",
        "x.yaml:41:28: error E162: verified_queries[0].intent.dimensions[1]: 'storage_gb' is not a time "
        "dimension, so it takes no grain; write 'storage_gb'",
    ),
    (
        "grain-not-offered",
        49,
        "grain: day",
        "grain: week",
        "x.yaml:49:59: error E162: verified_queries[1].intent.dimensions[created_at]: time dimension "
        "'created_at' does not offer grain 'week'; valid grains: day, month",
    ),
]


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"), [pytest.param(*case[1:], id=case[0]) for case in VQ_CASES]
)
def test_one_break_in_a_verified_query_gives_one_exact_error(
    line: int, old: str, new: str, expected: str
) -> None:
    assert rendered(mutate(VQ_MODEL, [(line, old, new)])) == [expected]


def test_metric_cycle_through_two_metrics_is_reported_once() -> None:
    text = mutate(SHIPPED, [(255, "cost_days", "cost_per_resource"), (261, "cost", "avg_daily_cost")])
    assert rendered(text) == [
        "x.yaml:255:5: error E151: metrics[avg_daily_cost]: metrics refer to each other in a cycle "
        "avg_daily_cost -> cost_per_resource -> avg_daily_cost, so none of them can be computed; break the "
        "cycle by pointing one of them at a simple metric"
    ]


def test_several_problems_are_all_reported_in_file_order() -> None:
    text = mutate(
        SHIPPED,
        [
            (166, "usage_date", "usage_dat"),
            (147, "storage_gb", "sum(storage_gb)"),
            (197, "to: accounts", "to: acounts"),
            (220, "resource_count", "resource_cnt"),
            (275, "value: prod}", "value: prd}"),
            (68, "name: service", "name: region"),
        ],
    )
    assert [line.split(": error ")[1][:4] for line in rendered(text)] == [
        "E101",
        "E120",
        "E112",
        "E140",
        "E131",
        "E134",
    ]
    assert rendered(text)[-1] == (
        "x.yaml:275:45: error E134: segments[production].filters[0]: value 'prd' is not in the enum of "
        "'environment'; did you mean 'prod'?"
    )


def test_load_model_raises_with_every_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(mutate(SHIPPED, [(166, "usage_date", "usage_dat"), (220, "resource_count", "x_y")]))
    with pytest.raises(ModelValidationError) as caught:
        load_model(path)
    assert [i.code for i in caught.value.issues] == ["E112", "E131"]
    assert str(caught.value).startswith(f"{path}:166:5: error E112: ")


def test_no_suggestion_lists_the_valid_choices() -> None:
    text = mutate(VQ_MODEL, [(40, "[resource_count]", "[zzz]")])
    assert rendered(text) == [
        "x.yaml:40:17: error E131: verified_queries[0].intent.metrics[0]: 'zzz' is not a metric; valid "
        "metrics: resource_count, account_count, resources_per_account"
    ]


@pytest.mark.parametrize("line", range(9, len(SHIPPED.splitlines()), 9))
def test_rules_never_raise_on_a_truncated_model(line: int) -> None:
    """Rules see whatever the schema lets through; a half-deleted model must yield issues, not crash."""
    lines = SHIPPED.splitlines(keepends=True)
    check_model_text("".join(lines[:line] + lines[line + 1 :]), FILE)


def test_every_code_is_documented() -> None:
    """The code table in semantic/rules/__init__.py is the reference users look codes up in."""
    rules_dir = Path(semantic.rules.__file__).parent
    used = {code for path in rules_dir.glob("*.py") for code in re.findall(r'"(E1\d\d)"', path.read_text())}
    documented = set(re.findall(r"^(E1\d\d) ", semantic.rules.__doc__ or "", flags=re.MULTILINE))
    assert used == documented
    assert len(RULES) == 10


# --- database_columns: the catalog is a hand-built copy of runtime/sample.py's DDL ---


def _catalog() -> dict[str, dict[str, str]]:
    text = "text"
    return {
        "inventory.accounts": dict.fromkeys(
            ["account_id", "account_name", "business_unit", "environment", "owner_email"], text
        ),
        "inventory.resources": {
            **dict.fromkeys(
                [
                    "resource_id",
                    "account_id",
                    "region",
                    "service",
                    "resource_type",
                    "name",
                    "state",
                    "instance_type",
                ],
                text,
            ),
            "storage_gb": "numeric",
            "is_public": "boolean",
            "is_encrypted": "boolean",
            "created_at": "timestamp with time zone",
            "tags": "jsonb",
        },
        "inventory.resource_costs": {
            "usage_date": "date",
            "resource_id": text,
            "account_id": text,
            "service": text,
            "region": text,
            "cost_usd": "numeric",
        },
    }


def _database_issues(catalog: dict[str, dict[str, str]], text: str = SHIPPED) -> list[str]:
    model, issues = check_model_text(text, FILE)
    assert model is not None and issues == []
    return [str(i) for i in database_columns(model, build_source_map(text, FILE), catalog)]


def test_database_columns_all_present() -> None:
    assert _database_issues(_catalog()) == []


def test_database_columns_missing_table_column_and_typo() -> None:
    catalog = _catalog()
    catalog["inventory.account"] = catalog.pop("inventory.accounts")  # renamed table
    catalog["inventory.resources"]["regoin"] = catalog["inventory.resources"].pop("region")  # typo
    del catalog["inventory.resource_costs"]["cost_usd"]  # missing column, nothing close
    del catalog["inventory.resource_costs"]["account_id"]  # used only by a relationship key
    assert _database_issues(catalog) == [
        "x.yaml:9:5: error E190: tables[accounts]: table 'inventory.accounts' does not exist in the "
        "database; did you mean 'inventory.account'? (schema: and table: name the physical table)",
        "x.yaml:60:9: error E191: tables[resources].dimensions[region]: column 'region' does not exist in "
        "table 'inventory.resources'; did you mean 'regoin'?",
        "x.yaml:189:9: error E191: tables[resource_costs].measures[cost]: column 'cost_usd' does not "
        "exist in table 'inventory.resource_costs'; valid columns: usage_date, resource_id, service, region",
        "x.yaml:198:70: error E191: relationships[cost_account].keys[0].from: column 'account_id' does not "
        "exist in table 'inventory.resource_costs'; valid columns: usage_date, resource_id, service, region",
    ]


def test_database_columns_reads_expression_and_json_columns() -> None:
    text = mutate(
        SHIPPED,
        [(38, "column: owner_email", "json: [contact, email]"), (6, "schema: inventory", "schema: inv")],
    )
    catalog = {key.replace("inventory.", "inv."): cols for key, cols in _catalog().items()}
    del catalog["inv.resources"]["tags"]  # read by the is_untagged expr and the tag dimension
    assert _database_issues(catalog, text) == [
        "x.yaml:38:16: error E191: tables[accounts].dimensions[owner_email]: column 'contact' does not "
        "exist in table 'inv.accounts'; valid columns: account_id, account_name, business_unit, environment, "
        "owner_email",
        "x.yaml:126:9: error E191: tables[resources].dimensions[is_untagged]: column 'tags' does not "
        "exist in table 'inv.resources'; valid columns: resource_id, account_id, region, service, "
        "resource_type, name, state, instance_type, storage_gb, is_public, is_encrypted, created_at",
        "x.yaml:131:9: error E191: tables[resources].dimensions[tag]: column 'tags' does not exist in table "
        "'inv.resources'; valid columns: resource_id, account_id, region, service, resource_type, name, "
        "state, instance_type, storage_gb, is_public, is_encrypted, created_at",
    ]
