"""Validation rules: each takes the parsed model and its source map and yields issues, never raises.

One rule per concern, in a file named after it; RULES lists them in the order they run. Codes are stable
(tests, docs and users' scripts match on them); E000-E008 come from the loader (file, YAML and schema).

====  ==================  ==========================================================================
Code  Rule                Problem
====  ==================  ==========================================================================
E101  unique_names        duplicate name: tables; dimensions + time dimensions of a table; measures
                          of a table; metrics; segments; relationships
E102  unique_names        a metric has the name of a dimension (intents share one namespace)
E110  table_structure     empty primary_key
E111  table_structure     a column repeated in primary_key
E112  table_structure     default_time_dimension is not a time dimension of the table
E113  table_structure     a dimension without exactly one of column/expr/json/tags (time dimension:
                          column/expr)
E114  table_structure     json is not [column, key, ...]
E115  table_structure     tag_keys on a dimension that is not a tags dimension
E116  table_structure     group value, value_synonyms key or sample value outside the enum; repeated
                          enum value
E117  table_structure     enum on a boolean or number dimension
E118  table_structure     untagged on a dimension that is not a tags dimension, or naming no boolean
                          dimension of the same table
E119  table_structure     applies_to naming no other enum dimension of the same table, no values, or
                          a value outside that dimension's enum
E120  expressions         an expression (dimension, time dimension, measure expr/filter, derived
                          metric) is rejected by parse_expression, or aggregates
E121  expressions         agg sum/avg/min/max/count_distinct without expr
E122  expressions         a schema, table or column name (table, primary key, dimension column/json/tags,
                          relationship key) that is not a plain SQL name ([A-Za-z_][A-Za-z0-9_]*, 63 max)
E123  expressions         a json key holding '%' or a control character
E124  expressions         a schema of PostgreSQL's (pg_*, information_schema) or of crq's own (crq, crq_mv,
                          crq_app)
E130  references          a simple metric's measure does not resolve (or is ambiguous)
E131  references          unknown metric: ratio numerator/denominator, derived expr, verified query
E132  references          unknown dimension: segment/verified query filter field, verified query
                          dimension, order_by field, time_range dimension
E133  references          filter operator that does not apply to the dimension's type
E134  references          filter value of the wrong type, or outside the dimension's enum
E135  references          unknown segment in a verified query
E140  relationships       from/to table does not exist
E141  relationships       empty keys
E142  relationships       to columns are not exactly the to-table's primary key
E143  relationships       one_to_one whose from columns are not the from-table's primary key
E144  relationships       relationship from a table to itself
E150  cycles              relationships form a cycle (a -> b -> a)
E151  cycles              metrics refer to each other in a cycle (including to themselves)
E152  cycles              a metric built on metrics more than 20 levels deep, or whose expanded SQL nests
                          more than 100 levels (the chain is shown)
E153  cycles              a metric that expands into more than 1,000 aggregates
E160  grains              time dimension with no grains
E161  grains              grain listed twice
E162  grains              verified query grain not offered by the time dimension, or on a non-time one
E170  materializations    unknown table
E171  materializations    unknown measure of the view's table, or a measure listed twice
E172  materializations    dimension unknown, not reachable from the table through to-one joins,
                          ambiguous, or listed twice
E173  materializations    a time dimension listed under dimensions (set time_dimension instead)
E174  materializations    time_dimension unknown, unreachable, or not a time dimension
E175  materializations    grain not offered by the time dimension; grain without time_dimension
E176  materializations    unknown time zone (or one PostgreSQL reads differently, such as CET)
E177  materializations    duplicate view name; a view named like a table; two members stored in one
                          view column (names are flattened: tag:cost-center and tag:cost_center)
E178  materializations    fixed filter on a metric or on an unknown/unreachable dimension (operator and
                          value are checked as E133/E134)
E179  materializations    warning: a count_distinct measure the view cannot re-aggregate (it serves only
                          queries with exactly the view's dimensions)
E180  units               a count or count_distinct measure whose unit is not count
E181  units               a simple metric that declares a unit other than its measure's
E182  units               a metric's format contradicts its unit (format: currency on GB)
E183  units               a unit on a dimension that is not type: number
E190  database_columns    table missing from the database (not in RULES: needs the catalog)
E191  database_columns    column missing from its table (not in RULES: needs the catalog)
E192  database_columns    column not among the columns: a table declares (declared_columns, in RULES)
====  ==================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from models.errors import Issue
from models.semantic_model import SemanticModel
from semantic.rules.cycles import cycles
from semantic.rules.database_columns import database_columns, declared_columns, undeclared_tables
from semantic.rules.expressions import expressions
from semantic.rules.grains import grains
from semantic.rules.materializations import materializations
from semantic.rules.references import references
from semantic.rules.relationships import relationships
from semantic.rules.table_structure import table_structure
from semantic.rules.unique_names import unique_names
from semantic.rules.units import units
from semantic.source_map import SourceMap

Rule = Callable[[SemanticModel, SourceMap], Iterable[Issue]]

RULES: tuple[Rule, ...] = (
    unique_names,
    table_structure,
    expressions,
    references,
    relationships,
    cycles,
    grains,
    materializations,
    declared_columns,
    units,
)

__all__ = ["RULES", "Rule", "database_columns", "undeclared_tables"]
