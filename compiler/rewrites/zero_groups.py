"""Keep the groups that have none of the rows counted, when the question is about the fewest.

"Which account has the fewest public buckets" counted public buckets per account over the rows that
are public buckets: an account with none has no such row, so it was not a group at all, and the
answer named an account with one. The same for "accounts with fewer than 2 public buckets" (a
threshold that 0 meets) and "bottom 3 regions by number of public databases". Such a plan groups
every row of the fact instead, and counts (or sums) only the rows its conditions pick, with
``FILTER (WHERE ...)``: a group with none shows 0.

Only conditions on the counted rows move, the time range too (an account that created nothing last
month, or spent nothing, is a group with 0). A condition on a grouped dimension, on the table a
grouped dimension comes from (the accounts' environment, grouped by account), or on the kind of rows
a grouped dimension applies to (`applies_to`: instance types are of instances) says which groups to
show and stays in WHERE; so does the caller's access scope (rows a caller may not see never make a
group). A grouped dimension of some kinds only, with no condition on the kind, keeps the plan as it
is: "among running ec2" names the kind by its service, and every kind's values would be groups.
A view answers such a plan as it answers the range (the range on its buckets, in FILTER).
The plan is unchanged unless a group with none could be in the answer: ranked from the lowest, or
held to a number 0 passes.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from compiler.plan import DimColumn, DimKey, FactFilter, Plan, dim_key
from compiler.resolve import MetricCondition
from compiler.rewrites.context import RewriteContext
from models.intent import Op
from models.semantic_model import Aggregation, Dimension, MetricType

# measures that are 0 over no rows (a count) or whose 0 is meaningful (a sum): the groups with none
# show that 0; an average, minimum or maximum of no rows is no number, and those groups stay out
_ADDITIVE = (Aggregation.COUNT, Aggregation.COUNT_DISTINCT, Aggregation.SUM)


def zero_groups(plan: Plan, ctx: RewriteContext) -> Plan:
    if len(plan.facts) != 1 or not plan.dimensions or plan.share or plan.cumulative or plan.compare:
        return plan
    fact = plan.facts[0]
    if not fact.measures or not (fact.filters or fact.time_filter) or fact.part or fact.counted:
        return plan
    if not any(_asks_for_zero(plan, name) for name in _additive_metrics(plan, ctx)):
        return plan
    groups = {dim_key(d.target) for d in fact.dimensions}
    group_tables = {d.target.table.name for d in fact.dimensions} - {fact.table.name}
    kinds = {
        field
        for d in fact.dimensions
        if isinstance(d.target.dimension, Dimension)
        for field in d.target.dimension.applies_to
    }
    if kinds and not any(f.target.dimension.name in kinds for f in fact.filters):
        # "least common instance type among running ec2": the kind of rows is said some other way
        # (a service), so which groups are of that kind is unknown; every instance type of every kind
        # the dimension applies to would be a group with none (databases' classes among ec2's)
        return plan
    kept = tuple(f for f in fact.filters if _describes_groups(f, groups, group_tables, kinds))
    counted = tuple(f for f in fact.filters if f not in kept)
    dated = (
        fact.time_filter is not None
        and dim_key(fact.time_filter.target) not in groups
        and not _dated_rows_grouped(fact.dimensions, fact.table.name, ctx)
    )
    if not counted and not dated:
        return plan
    moved = dataclasses.replace(fact, filters=kept, counted=counted, time_counted=dated)
    return dataclasses.replace(
        plan,
        facts=(moved,),
        readings=(*plan.readings, "groups with none counted as 0"),
    )


def _additive_metrics(plan: Plan, ctx: RewriteContext) -> list[str]:
    """The plan's metrics that are a count or a sum of one measure."""
    out = []
    for m in plan.metrics:
        refs = ctx.catalog.measures_of(m) if m.type == MetricType.SIMPLE else []
        if len(refs) == 1 and refs[0].measure.agg in _ADDITIVE:
            out.append(m.name)
    return out


def _asks_for_zero(plan: Plan, metric: str) -> bool:
    """Ranked from the lowest on ``metric``, or ``metric`` held to a condition that 0 meets."""
    if plan.order_by and plan.order_by[0] == (metric, "asc"):
        return True
    return any(c.metric == metric and _zero_passes(c) for c in plan.having)


def _zero_passes(c: MetricCondition) -> bool:
    value = c.value
    if c.op == Op.BETWEEN and isinstance(value, tuple) and len(value) == 2:
        low, high = (_number(v) for v in value)
        return low is not None and high is not None and low <= 0 <= high
    number = _number(value)
    if number is None:
        return False
    checks = {
        Op.LT: number > 0,
        Op.LTE: number >= 0,
        Op.EQ: number == 0,
        Op.NE: number != 0,
        Op.GT: number < 0,
        Op.GTE: number <= 0,
    }
    return checks.get(c.op, False)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return float(value)


def _dated_rows_grouped(dimensions: tuple[DimColumn, ...], fact_table: str, ctx: RewriteContext) -> bool:
    """Grouped by the rows of another table whose rows have dates of their own (each resource, by its
    id or name): such a row may not have existed in the period, so it is no group with 0 then ("the
    cheapest instance in March" was won at $0 by instances created in April). An account or a
    region has no date: it is a group with 0 when it spent nothing."""
    dated = [t for t in ctx.catalog.tables.values() if t.time_dimensions and t.name != fact_table]
    keys = {k for t in dated for k in t.primary_key}
    for d in dimensions:
        if d.target.table.name != fact_table and d.target.table.time_dimensions:
            return True  # a column of those rows (a resource's name)
        if d.target.dimension.name in keys:
            return True  # the fact's own copy of their key (the cost rows' resource id)
    return False


def _describes_groups(f: FactFilter, groups: set[DimKey], group_tables: set[str], kinds: set[str]) -> bool:
    """A condition on a grouped dimension, on another table a grouped dimension comes from, or on the
    kind of rows a grouped dimension applies to (instance types: of instances, not of databases)."""
    named = f.target.dimension.name in kinds
    return dim_key(f.target) in groups or f.target.table.name in group_tables or named


__all__ = ["zero_groups"]
