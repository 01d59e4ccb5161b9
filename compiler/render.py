"""Plan -> sqlglot AST -> (sql, params).

SQL exists only as sqlglot expressions here: identifiers come from the validated model, every value
the user supplied becomes a ``%(name)s`` placeholder with its value in ``params``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlglot import exp
from sqlglot.generator import Generator

from compiler.catalog import Catalog, DimensionTarget, MeasureRef
from compiler.dialect import CrqPostgres
from compiler.plan import (
    DISTINCT_PREFIX,
    FIRST_DAY,
    LAST_DAY,
    PART_SUFFIX,
    DimColumn,
    FactFilter,
    FactQuery,
    Plan,
    TimeFilter,
    ViewSource,
    compare_aliases,
    cumulative_alias,
    dim_key,
    share_alias,
)
from compiler.resolve import GroupCount, TypedValue
from compiler.time_range import period_start
from compiler.units import Conversion
from models.intent import Grain, Op
from models.semantic_model import Aggregation, Dimension, Metric, MetricType, Table, TimeDimension
from semantic.expressions import parse_expression

_DATE = exp.DataType.build("date")
_TIMESTAMP = exp.DataType.build("timestamp")
_NUMERIC = exp.DataType.build("numeric")
_AGGREGATES: dict[Aggregation, type[exp.AggFunc]] = {
    Aggregation.SUM: exp.Sum,
    Aggregation.AVG: exp.Avg,
    Aggregation.MIN: exp.Min,
    Aggregation.MAX: exp.Max,
}


class Params:
    """Named bind parameters; the same hint and value share one name, so SQL text stays stable.

    Names are ``hint``, ``hint_2``, ``hint_3``...: a counter per hint and an index of the values
    already named keep each ``add`` constant time (scanning the names taken made 4,000 filters on one
    field cost 5 s)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self._named: dict[tuple[str, type, object], str] = {}
        self._next: dict[str, int] = {}

    def add(self, hint: str, value: object) -> exp.Placeholder:
        base = re.sub(r"\W+", "_", hint).strip("_").lower() or "p"
        key = _value_key(base, value)
        name = self._named.get(key) if key is not None else None
        if name is None:
            n = self._next.get(base, 1)
            name = base if n == 1 else f"{base}_{n}"
            while name in self.values:  # taken by another hint ("region 2" -> region_2)
                n += 1
                name = f"{base}_{n}"
            self._next[base] = n + 1
            self.values[name] = value
            if key is not None:
                self._named[key] = name
        return exp.Placeholder(this=name)


def _value_key(base: str, value: object) -> tuple[str, type, object] | None:
    """Equal values of the same type share a name (1 and 1.0 and True do not); None if unhashable."""
    frozen = tuple(value) if isinstance(value, list) else value
    try:
        hash(frozen)
    except TypeError:
        return None
    return (base, type(value), frozen)


def render(plan: Plan, catalog: Catalog) -> tuple[str, dict[str, object]]:
    params = Params()
    query = _render_query(plan, catalog, params)
    # the AST was built for this call alone, so the generator may use it without a defensive copy
    return _generator().generate(query, copy=False), params.values


_local = threading.local()


def _generator() -> Generator:
    """One pretty PostgreSQL generator per thread: building it costs as much as a small query."""
    gen = getattr(_local, "generator", None)
    if gen is None:
        gen = _local.generator = CrqPostgres().generator(pretty=True)
    return gen


def _render_query(plan: Plan, catalog: Catalog, params: Params) -> exp.Select:
    ctx = _Context(catalog, params, plan.timezone)
    select = _aggregate(plan, ctx) if plan.compare is None else _compare_select(plan, plan.compare, ctx)
    if plan.cumulative is not None:
        select = _cumulative_select(plan, plan.cumulative, select)
    if plan.group_count is not None:
        select = _group_count_select(plan.group_count, select)
    return _order_and_limit(select, plan, params, _time_keys(plan, ctx))


_GROUPS = "counted_groups"


def _group_count_select(counting: GroupCount, groups: exp.Select) -> exp.Select:
    """The number of groups (rows of the grouped query, after HAVING) per outer group: a count over
    the grouped query as a subquery, so each group counts once however many rows it aggregated.
    Averaging groups, each metric's average over them first (a group's NULL amount, a sum of no
    values, is no amount: AVG skips it, and the count beside it still counts the group)."""
    averages = [_alias(exp.Avg(this=column(m, _GROUPS)), a) for m, a in counting.averaged]
    select = exp.Select(
        expressions=[_alias(column(a, _GROUPS), a) for a in counting.outer]
        + averages
        + [_alias(exp.Count(this=exp.Star()), counting.alias)]
    )
    select.set(
        "from_",
        exp.From(this=exp.Subquery(this=groups, alias=exp.TableAlias(this=exp.to_identifier(_GROUPS)))),
    )
    if counting.outer:
        select.set("group", exp.Group(expressions=[column(a, _GROUPS) for a in counting.outer]))
    elif counting.averaged:  # an average over no groups is no answer, not one row of NULL and 0
        some = exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0))
        select.set("having", exp.Having(this=some))
    return select


_SPAN = "common_span"


def _common_span_cte(plan: Plan, ctx: _Context) -> exp.CTE | None:
    """The dates every marked fact has data on: the latest first day and the earliest last day of
    their own time dimensions (each over the rows of the caller's scope), from the base tables."""
    spans = []
    for i, fact in enumerate(f for f in plan.facts if f.common_span is not None):
        assert fact.common_span is not None
        joins = tuple(dict.fromkeys(rel for alt in fact.scope or () for f in alt for rel in f.target.path))
        rows = FactQuery(fact.table, joins, (), (), (), None, scope=fact.scope)
        select = _fact_select(rows, ctx, with_group_exprs=False)
        day = _dimension_sql(fact.common_span, Grain.DAY, ctx)
        select.set(
            "expressions", [_alias(exp.Min(this=day), FIRST_DAY), _alias(exp.Max(this=day.copy()), LAST_DAY)]
        )
        spans.append(exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(f"span_{i}"))))
    if not spans:
        return None
    firsts = [column(FIRST_DAY, f"span_{i}") for i in range(len(spans))]
    lasts = [column(LAST_DAY, f"span_{i}") for i in range(len(spans))]
    select = exp.Select(
        expressions=[
            _alias(exp.Greatest(this=firsts[0], expressions=firsts[1:]), FIRST_DAY),
            _alias(exp.Least(this=lasts[0], expressions=lasts[1:]), LAST_DAY),
        ]
    )
    select.set("from_", exp.From(this=spans[0]))
    select.set("joins", [exp.Join(this=s, kind="CROSS") for s in spans[1:]])
    return exp.CTE(this=select, alias=exp.TableAlias(this=exp.to_identifier(_SPAN)))


def _in_common_span(day: exp.Expr) -> exp.Expr:
    def bound(name: str) -> exp.Expr:
        select = exp.Select(expressions=[column(name, _SPAN)])
        select.set("from_", exp.From(this=exp.to_table(_SPAN)))
        return exp.Subquery(this=select)

    return exp.Between(this=day, low=bound(FIRST_DAY), high=bound(LAST_DAY))


def _aggregate(plan: Plan, ctx: _Context) -> exp.Select:
    """The plan's metrics per group, before ordering and limit."""
    params = ctx.params
    if len(plan.facts) == 1:
        fact = plan.facts[0]
        select = _fact_select(fact, ctx, with_group_exprs=True)
        amounts, outputs = _metric_outputs(
            plan,
            ctx,
            lambda ref: _measure_for(fact, ref, ctx),
            lambda ref: _measure_for(fact, ref, ctx, part=True),
        )
        select.set("expressions", select.expressions + outputs)
        having = [_compare(amounts[c.metric].copy(), c.op, c.value, params, c.metric) for c in plan.having]
        if having:
            select.set("having", exp.Having(this=_and(having)))
    else:
        select = _combine(plan, ctx)
    return select


_TOTALS = "totals"


def _cumulative_select(plan: Plan, time_alias: str, totals: exp.Select) -> exp.Select:
    """The grouped rows, each metric followed by its running total: a window over the groups (after
    GROUP BY and HAVING, before ORDER BY and LIMIT), per group of the other dimensions, in time order."""
    partition = [column(a, _TOTALS) for a in plan.dimensions if a != time_alias]
    select = exp.Select(expressions=[_alias(column(a, _TOTALS), a) for a in plan.dimensions])
    for m in plan.metrics:
        running = exp.Window(
            this=exp.Sum(this=column(m.name, _TOTALS)),
            partition_by=partition or None,
            order=exp.Order(expressions=[exp.Ordered(this=column(time_alias, _TOTALS), nulls_first=False)]),
            over="OVER",
        )
        select.expressions.extend(
            [_alias(column(m.name, _TOTALS), m.name), _alias(running, cumulative_alias(m.name))]
        )
    select.set(
        "from_",
        exp.From(this=exp.Subquery(this=totals, alias=exp.TableAlias(this=exp.to_identifier(_TOTALS)))),
    )
    return select


_NOW, _EARLIER = "current_period", "previous_period"


def _compare_select(plan: Plan, earlier: Plan, ctx: _Context) -> exp.Select:
    """Each period aggregated as an ordinary query (a CTE each), joined on the dimensions; each metric
    as amount now, amount then, change and change in percent of then.

    A group missing from one period has NULL there, so its change is NULL; NULLIF keeps a zero amount
    then from dividing. As in ``_combine``, NULL keys do not meet in the FULL JOIN, so the outer GROUP
    BY on the coalesced keys merges them (each period has one row per group, MAX picks it).
    """
    names = (_NOW, _EARLIER)
    ctes = [
        exp.CTE(this=_aggregate(p, ctx), alias=exp.TableAlias(this=exp.to_identifier(n)))
        for p, n in zip((plan, earlier), names, strict=True)
    ]
    keys = [exp.Coalesce(this=column(a, _NOW), expressions=[column(a, _EARLIER)]) for a in plan.dimensions]
    select = exp.Select(expressions=[_alias(k, a) for k, a in zip(keys, plan.dimensions, strict=True)])
    select.set("from_", exp.From(this=exp.to_table(_NOW)))
    if plan.dimensions:
        on = _and([exp.EQ(this=column(a, _NOW), expression=column(a, _EARLIER)) for a in plan.dimensions])
        select.set("joins", [exp.Join(this=exp.to_table(_EARLIER), side="FULL", kind="OUTER", on=on)])
        select.set("group", exp.Group(expressions=[k.copy() for k in keys]))
    else:  # one row each
        select.set("joins", [exp.Join(this=exp.to_table(_EARLIER), kind="CROSS")])

    def amount(metric: str, period: str) -> exp.Expr:
        col = column(metric, period)
        return exp.Max(this=col) if plan.dimensions else col

    outputs: list[exp.Expr] = []
    for m in plan.metrics:
        now_alias, then_alias, change_alias, pct_alias = compare_aliases(m.name)
        now, then = amount(m.name, _NOW), amount(m.name, _EARLIER)
        change = exp.Sub(this=now.copy(), expression=then.copy())
        pct = exp.Div(
            this=exp.Mul(
                this=exp.Literal.number(100),
                expression=exp.Cast(this=change.copy(), to=_NUMERIC.copy()),
            ),
            expression=exp.Nullif(this=then.copy(), expression=exp.Literal.number(0)),
            typed=True,  # numeric division as written
        )
        outputs += [
            _alias(now, now_alias),
            _alias(then, then_alias),
            _alias(change, change_alias),
            _alias(pct, pct_alias),
        ]
    select.set("expressions", select.expressions + outputs)
    select.set("with_", exp.With(expressions=ctes))
    return select


def _metric_outputs(
    plan: Plan,
    ctx: _Context,
    leaf: Callable[[MeasureRef], exp.Expr],
    part_leaf: Callable[[MeasureRef], exp.Expr],
) -> tuple[dict[str, exp.Expr], list[exp.Expr]]:
    """Each metric's amount (what HAVING compares) and the output columns: the amounts, and with a
    share each metric's percentage after it. Amounts asked in another unit are converted here, after
    aggregation, so HAVING, ranking and the columns built on them see the converted number."""
    has_part = any(f.part for f in plan.facts)
    conversions = {c.metric: c for c in plan.conversions}
    amounts: dict[str, exp.Expr] = {}
    outputs: list[exp.Expr] = []
    for m in plan.metrics:
        raw = _metric_sql(m, ctx, part_leaf if has_part else leaf)
        amount = _converted(raw, conversions.get(m.name), ctx)
        amounts[m.name] = amount
        outputs.append(_alias(amount.copy(), m.name))
        if not plan.share:
            continue
        if has_part:  # the part's amount over the whole row's
            whole: exp.Expr = _metric_sql(m, ctx, leaf)
        else:  # the row's amount over the total of all rows (a window runs after GROUP BY and HAVING)
            whole = exp.Window(this=exp.Sum(this=raw.copy()), over="OVER")
        share = exp.Div(  # a percentage has no unit: the amount as the model holds it, over its whole
            this=exp.Mul(
                this=exp.Literal.number(100), expression=exp.Cast(this=raw.copy(), to=_NUMERIC.copy())
            ),
            expression=exp.Nullif(this=whole, expression=exp.Literal.number(0)),
            typed=True,  # numeric division as written (sqlglot would otherwise cast to float)
        )
        outputs.append(_alias(share, share_alias(m.name)))
    return amounts, outputs


def _converted(amount: exp.Expr, conversion: Conversion | None, ctx: _Context) -> exp.Expr:
    """``amount`` in the unit asked for: times the factor's numerator, divided by its denominator, both
    bound parameters (numeric, so a bigint sum does not divide as an integer)."""
    if conversion is None or conversion.factor == 1:
        return amount
    hint = f"{conversion.metric}_{conversion.to.value}"
    out: exp.Expr = exp.Cast(this=amount, to=_NUMERIC.copy())
    if conversion.factor.numerator != 1:
        out = exp.Mul(this=out, expression=ctx.params.add(hint + "_times", conversion.factor.numerator))
    if conversion.factor.denominator != 1:
        out = exp.Div(
            this=out, expression=ctx.params.add(hint + "_per", conversion.factor.denominator), typed=True
        )
    return exp.Paren(this=out)


def _restricted(agg: exp.Expr, condition: exp.Expr) -> exp.Expr:
    """``agg`` with every aggregate in it counting only the rows that meet ``condition`` (FILTER)."""

    def restrict(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Filter):
            both = exp.And(this=node.expression.this, expression=condition.copy())
            return exp.Filter(this=node.this, expression=exp.Where(this=both))
        if isinstance(node, exp.AggFunc):
            return exp.Filter(this=node, expression=exp.Where(this=condition.copy()))
        for key, child in list(node.args.items()):
            if isinstance(child, exp.Expr):
                node.set(key, restrict(child))
        return node

    return restrict(agg)


class _Context:
    def __init__(self, catalog: Catalog, params: Params, timezone: str):
        self.catalog = catalog
        self.params = params
        self.timezone = timezone
        self.schema = catalog.model.schema_name


def _fact_select(fact: FactQuery, ctx: _Context, with_group_exprs: bool) -> exp.Select:
    if fact.view is not None:
        return _view_fact_select(fact, fact.view, ctx)
    select = exp.Select(
        expressions=[_alias(_dimension_sql(d.target, d.grain, ctx), d.alias) for d in fact.dimensions]
    )
    select.set("from_", exp.From(this=_table(fact.table, ctx)))
    joins = []
    for rel in fact.joins:
        on = _and(
            [
                exp.EQ(
                    this=column(k.to_column, rel.to_table),
                    expression=column(k.from_column, rel.from_table),
                )
                for k in rel.keys
            ]
        )
        joins.append(exp.Join(this=_table(ctx.catalog.tables[rel.to_table], ctx), side="LEFT", on=on))
    if joins:
        select.set("joins", joins)
    conditions = [_filter_sql(f, ctx) for f in fact.filters]
    if fact.time_filter and not fact.time_counted:
        conditions.append(_time_filter_sql(fact.time_filter, ctx))
    if fact.common_span is not None:
        conditions.append(_in_common_span(_dimension_sql(fact.common_span, Grain.DAY, ctx)))
    if fact.scope is not None:
        conditions.append(_scope_sql(fact, ctx))
    if conditions:
        select.set("where", exp.Where(this=_and(conditions)))
    if fact.dimensions and (fact.measures or with_group_exprs):
        select.set(
            "group", exp.Group(expressions=[_dimension_sql(d.target, d.grain, ctx) for d in fact.dimensions])
        )
    return select


def _view_fact_select(fact: FactQuery, view: ViewSource, ctx: _Context) -> exp.Select:
    """The same aggregate, read from a materialized view: its rows are re-aggregated to the query's
    grain (sums of sums, mins of mins; avg from its stored sum and count)."""
    dims = [_view_dimension(d, view) for d in fact.dimensions]
    select = exp.Select(expressions=[_alias(e, d.alias) for e, d in zip(dims, fact.dimensions, strict=True)])
    select.set(
        "from_",
        exp.From(
            this=exp.Table(
                this=identifier(view.name),
                db=identifier(view.schema),
                alias=exp.TableAlias(this=identifier(view.name)),
            )
        ),
    )
    conditions = [_view_filter_sql(f, view, ctx) for f in fact.filters]
    if fact.time_filter is not None and not fact.time_counted:
        conditions.append(_view_time_sql(fact.time_filter, view, ctx))
    if fact.common_span is not None:  # matching made sure the view has daily buckets of it
        conditions.append(_in_common_span(column(view.time_column or "", view.name)))
    if fact.scope is not None:
        conditions.append(_scope_sql(fact, ctx))
    if conditions:
        select.set("where", exp.Where(this=_and(conditions)))
    if dims:
        select.set("group", exp.Group(expressions=[e.copy() for e in dims]))
    return select


def _view_time_sql(tf: TimeFilter, view: ViewSource, ctx: _Context) -> exp.Expr:
    """The range on the view's buckets, labelled by their first day: the bucket holding the start
    begins on or before it (matching made sure no data lies between that bucket's start and the
    range's)."""
    name = tf.target.dimension.name
    first_bucket = period_start(tf.start, view.grain or Grain.DAY)
    return exp.Between(
        this=column(view.time_column or "", view.name),
        low=ctx.params.add(f"{name}_start", first_bucket),
        high=ctx.params.add(f"{name}_end", tf.end),
    )


def _view_filter_sql(f: FactFilter, view: ViewSource, ctx: _Context) -> exp.Expr:
    key = dim_key(f.target)  # a filter on the time dimension reads the (daily) bucket column
    name = view.time_column if key == view.time_key else view.column(key)
    if name is None:  # the rewrite picks only views holding every filtered column: a bug if reached
        raise RuntimeError(f"materialized view {view.name} has no column for {key}")
    col = column(name, view.name)
    hint = f"{f.target.dimension.name}_{f.target.tag_key}" if f.target.tag_key else f.target.dimension.name
    return _compare(col, f.op, f.value, ctx.params, hint)


def _scope_sql(fact: FactQuery, ctx: _Context) -> exp.Expr:
    """The caller's access scope on the fact's rows (or on the view's columns that hold the same
    dimensions): any alternative, each ANDing its dimensions' value lists; values bound as parameters
    named ``scope_<dimension>``. No alternative admits no row."""
    view = fact.view

    def condition(f: FactFilter) -> exp.Expr:
        if view is not None:
            col: exp.Expr = column(view.column(dim_key(f.target)), view.name)
        else:
            col = _dimension_sql(f.target, None, ctx)
        name = f.target.dimension.name + (f"_{f.target.tag_key}" if f.target.tag_key else "")
        return _compare(col, f.op, f.value, ctx.params, f"scope_{name}")

    alternatives = [[condition(f) for f in alt] for alt in fact.scope or ()]
    if not alternatives:
        return exp.false()
    if len(alternatives) == 1:  # its conditions join the WHERE's AND
        return _and(alternatives[0])
    parts = [_and(c) if len(c) == 1 else exp.Paren(this=_and(c)) for c in alternatives]
    either = parts[0]
    for part in parts[1:]:
        either = exp.Or(this=either, expression=part)
    return exp.Paren(this=either)


def _view_dimension(d: DimColumn, view: ViewSource) -> exp.Expr:
    key = dim_key(d.target)
    if key == view.time_key:
        col = column(view.time_column or "", view.name)
        if d.grain is None or d.grain == view.grain:
            return col
        return exp.Cast(this=_date_trunc(d.grain, exp.Cast(this=col, to=_TIMESTAMP.copy())), to=_DATE.copy())
    return column(view.column(key), view.name)


def _measure_for(fact: FactQuery, ref: MeasureRef, ctx: _Context, part: bool = False) -> exp.Expr:
    """The measure's aggregate (over only the ``counted`` rows, a group with none of them 0); with
    ``part``, over only the rows of the share's part."""
    agg = _whole_measure(fact, ref, ctx)
    view = fact.view
    if fact.counted or fact.time_counted:
        counted = [_view_filter_sql(f, view, ctx) if view else _filter_sql(f, ctx) for f in fact.counted]
        if fact.time_counted and fact.time_filter is not None:
            tf = fact.time_filter
            counted.append(_view_time_sql(tf, view, ctx) if view else _time_filter_sql(tf, ctx))
        agg = _restricted(agg, _and(counted))
        if ref.measure.agg == Aggregation.SUM:
            agg = exp.Coalesce(this=agg, expressions=[exp.Literal.number(0)])
    if not part or not fact.part:
        return agg
    conditions = [_view_filter_sql(f, view, ctx) if view else _filter_sql(f, ctx) for f in fact.part]
    return _restricted(agg, _and(conditions))


def _whole_measure(fact: FactQuery, ref: MeasureRef, ctx: _Context) -> exp.Expr:
    if fact.view is None:
        return _measure_sql(ref, ctx)
    held = fact.view.measure_columns(ref.alias)
    if held[0].startswith(DISTINCT_PREFIX):
        values = column(held[0].removeprefix(DISTINCT_PREFIX), fact.view.name)
        return exp.Count(this=exp.Distinct(expressions=[values]))
    cols = [column(c, fact.view.name) for c in held]
    agg = ref.measure.agg
    if agg == Aggregation.AVG:
        total, count = cols
        return exp.Div(
            this=exp.Cast(this=exp.Sum(this=total), to=_NUMERIC.copy()),
            expression=exp.Nullif(this=exp.Sum(this=count), expression=exp.Literal.number(0)),
        )
    if agg in (Aggregation.MIN, Aggregation.MAX):
        return _AGGREGATES[agg](this=cols[0])
    if agg in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT):
        # a count over no rows is 0, not the NULL that SUM over no view rows gives
        return exp.Coalesce(this=exp.Sum(this=cols[0]), expressions=[exp.Literal.number(0)])
    return exp.Sum(this=cols[0])  # count_distinct reaches here only on an exact match (one row per group)


def view_definition_select(
    fact: FactQuery, catalog: Catalog, timezone: str, span_of: DimColumn | None = None
) -> exp.Select:
    """A materialized view's SELECT: the fact's grouped measures, each under its measure name, with
    every parameter inlined as a literal (view definitions cannot hold parameters).

    ``span_of`` (the time bucket) adds the first and last day each group holds, so the compiler can
    tell when a range that ends inside a bucket still covers all of the bucket's data.
    """
    ctx = _Context(catalog, Params(), timezone)
    select = _fact_select(fact, ctx, with_group_exprs=True)
    extra: list[exp.Expr] = [_alias(_measure_sql(m, ctx), m.measure.name) for m in fact.measures]
    if span_of is not None:
        day = _dimension_sql(span_of.target, Grain.DAY, ctx)
        extra += [_alias(exp.Min(this=day), FIRST_DAY), _alias(exp.Max(this=day.copy()), LAST_DAY)]
    select.set("expressions", select.expressions + extra)
    values = ctx.params.values
    for node in list(select.find_all(exp.Placeholder)):
        node.replace(_literal(values[node.name]))
    return select


def _literal(value: object) -> exp.Expr:
    if isinstance(value, list):
        return exp.Array(expressions=[_literal(v) for v in value])
    if isinstance(value, dt.datetime):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("timestamptz"))
    if isinstance(value, dt.date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=_DATE.copy())
    return exp.convert(value)


def _combine(plan: Plan, ctx: _Context) -> exp.Select:
    """Aggregate each fact on its own, then join the results on the dimensions.

    A FULL JOIN keeps keys that only one fact has; rows whose keys are NULL do not match in the join,
    so the outer GROUP BY on the coalesced keys merges them, with MAX() picking the one value each side has.
    """
    ctes = []
    names = []
    for fact in plan.facts:
        name = f"{fact.table.name}_agg"
        sub = _fact_select(fact, ctx, with_group_exprs=True)
        measures = [_alias(_measure_for(fact, m, ctx), m.alias) for m in fact.measures]
        if fact.part:
            measures += [
                _alias(_measure_for(fact, m, ctx, part=True), m.alias + PART_SUFFIX) for m in fact.measures
            ]
        sub.set("expressions", sub.expressions + measures)
        ctes.append(exp.CTE(this=sub, alias=exp.TableAlias(this=exp.to_identifier(name))))
        names.append(name)
    keys = []
    for alias in plan.dimensions:
        cols = [column(alias, n) for n in names]
        keys.append(cols[0] if len(cols) == 1 else exp.Coalesce(this=cols[0], expressions=cols[1:]))
    select = exp.Select(expressions=[_alias(k, a) for k, a in zip(keys, plan.dimensions, strict=True)])
    select.set("from_", exp.From(this=exp.to_table(names[0])))
    joins = []
    for i, name in enumerate(names[1:], start=1):
        if plan.dimensions:
            on = _and(
                [
                    exp.EQ(this=_coalesced(alias, names[:i]), expression=column(alias, name))
                    for alias in plan.dimensions
                ]
            )
            joins.append(exp.Join(this=exp.to_table(name), side="FULL", kind="OUTER", on=on))
        else:
            joins.append(exp.Join(this=exp.to_table(name), kind="CROSS"))
    select.set("joins", joins)
    fact_of = {m.alias: f"{m.table.name}_agg" for f in plan.facts for m in f.measures}

    def leaf(ref: MeasureRef, suffix: str = "") -> exp.Expr:
        col = column(ref.alias + suffix, fact_of[ref.alias])
        return exp.Max(this=col) if plan.dimensions else col

    amounts, outputs = _metric_outputs(plan, ctx, leaf, lambda ref: leaf(ref, PART_SUFFIX))
    select.set("expressions", select.expressions + outputs)
    if plan.dimensions:
        select.set("group", exp.Group(expressions=[k.copy() for k in keys]))
    having = [_compare(amounts[c.metric].copy(), c.op, c.value, ctx.params, c.metric) for c in plan.having]
    if having:
        select.set(
            "having" if plan.dimensions else "where",
            (exp.Having if plan.dimensions else exp.Where)(this=_and(having)),
        )
    span = _common_span_cte(plan, ctx)
    select.set("with_", exp.With(expressions=[span, *ctes] if span is not None else ctes))
    return select


def _coalesced(alias: str, names: list[str]) -> exp.Expr:
    cols = [column(alias, n) for n in names]
    return cols[0] if len(cols) == 1 else exp.Coalesce(this=cols[0], expressions=cols[1:])


_RANKED = "ranked"


def _time_keys(plan: Plan, ctx: _Context) -> dict[str, exp.Expr]:
    """The ranked fields that show a timestamp as its date, with the timestamp itself: "the 2 newest
    instances" ranks by the time each was created, not by the day (rows of one day are no tie)."""
    if len(plan.facts) != 1 or plan.compare is not None or plan.cumulative is not None:
        return {}
    fact = plan.facts[0]
    ranked = {field for field, _ in plan.order_by}
    if plan.group_count is not None or fact.view is not None or not ranked:
        return {}
    out: dict[str, exp.Expr] = {}
    for d in fact.dimensions:
        dim = d.target.dimension
        shown_as_date = d.grain in (None, Grain.DAY)
        if d.alias in ranked and isinstance(dim, TimeDimension) and dim.type == "timestamp" and shown_as_date:
            out[d.alias] = exp.Min(this=_source_sql(dim, d.target.table.name, ctx))
    return out


def _order_and_limit(
    select: exp.Select, plan: Plan, params: Params, times: dict[str, exp.Expr] | None = None
) -> exp.Select:
    """Ordered by the ranked fields, then the dimensions (so LIMIT picks the same rows every time).
    A ranked cut (a limit, nothing skipped) keeps every row tied with the last one (FETCH ... WITH
    TIES on the ranked fields alone), in the dimensions' order: "which business unit has the most
    accounts" named one of six tied units, as if it alone had the most, and "the bottom 3 accounts by
    public buckets" picked 3 of the 5 with none by their names. The answer says how many tie."""
    order: list[exp.Ordered] = []
    named = set()
    times = times or {}
    columns = list(select.named_selects)
    for field, direction in plan.order_by:
        named.add(field)
        desc = direction == "desc"
        # NULL ranks lowest, except a comparison's: a group missing from a period did not change at all
        nulls_first = not desc and plan.compare is None
        key: exp.Expr = column(field)
        if field in times:  # the time itself, shown beside the date it is shown as
            select = select.select(_alias(times[field], f"{field}{_TIME_KEY}"), copy=False)
            key = column(f"{field}{_TIME_KEY}")
        order.append(exp.Ordered(this=key, desc=desc, nulls_first=nulls_first))
    # ties broken by the dimensions, so LIMIT picks the same rows every time
    shown = plan.group_count.outer if plan.group_count is not None else plan.dimensions
    order += [exp.Ordered(this=column(a), nulls_first=False) for a in shown if a not in named]
    ranked = len(plan.order_by)
    if plan.limit == 1 and plan.offset is not None and ranked:
        return _at_position(select, order, ranked, plan.offset + 1, params, columns)
    if plan.limit is not None and plan.offset is None and ranked and len(order) > ranked:
        select.set("order", exp.Order(expressions=order[:ranked]))
        rows = exp.LimitOptions(rows=True, with_ties=True)
        count = params.add("limit", plan.limit)
        select.set("limit", exp.Fetch(direction="FIRST", count=count, limit_options=rows))
        picked: list[exp.Expr] = [column(c) for c in columns] if times else [exp.Star()]
        outer = exp.Select(expressions=picked).from_(
            exp.Subquery(this=select, alias=exp.TableAlias(this=identifier(_RANKED)))
        )
        outer.set("order", exp.Order(expressions=[o.copy() for o in order]))
        return outer
    if times:  # no cut: the time orders the rows, and is not shown twice
        for o in order:
            if isinstance(o.this, exp.Column) and o.this.name.endswith(_TIME_KEY):
                o.set("this", times[o.this.name.removesuffix(_TIME_KEY)].copy())
        select.set("expressions", [e for e in select.expressions if e.alias_or_name in columns])
    if order:
        select.set("order", exp.Order(expressions=order))
    if plan.limit is not None:
        select.set("limit", exp.Limit(expression=params.add("limit", plan.limit)))
    if plan.offset is not None:
        select.set("offset", exp.Offset(expression=params.add("offset", plan.offset)))
    return select


_RANK, _TIED = "position_rank", "position_tied"
_TIME_KEY = "__time"


def _at_position(
    select: exp.Select,
    order: list[exp.Ordered],
    ranked: int,
    position: int,
    params: Params,
    columns: list[str] | None = None,
) -> exp.Select:
    """The rows at ``position`` of the ranking ("the second most expensive service"), with every row
    tied there: a row stands at positions rank .. rank + ties - 1 (RANK() and the count of rows with
    its ranked values), so "the second smallest volume", when 168 volumes share the smallest size, is
    those 168, not one of them picked by name. Ordered as the ranking, then by the dimensions."""
    columns = columns if columns is not None else list(select.named_selects)
    by = [o.copy() for o in order[:ranked]]
    positioned = exp.Select(
        expressions=[
            exp.Star(),
            _alias(exp.Window(this=exp.Anonymous(this="RANK"), order=exp.Order(expressions=by)), _RANK),
            _alias(
                exp.Window(
                    this=exp.Count(this=exp.Star()), partition_by=[o.this.copy() for o in order[:ranked]]
                ),
                _TIED,
            ),
        ]
    ).from_(exp.Subquery(this=select, alias=exp.TableAlias(this=identifier(_RANKED))))
    at = params.add("position", position)
    outer = exp.Select(expressions=[column(c) for c in columns]).from_(
        exp.Subquery(this=positioned, alias=exp.TableAlias(this=identifier("positioned")))
    )
    outer.set(
        "where",
        exp.Where(
            this=exp.And(
                this=exp.LTE(this=column(_RANK), expression=at),
                expression=exp.GT(
                    this=exp.Add(this=column(_RANK), expression=column(_TIED)), expression=at.copy()
                ),
            )
        ),
    )
    outer.set("order", exp.Order(expressions=[o.copy() for o in order]))
    return outer


def _table(table: Table, ctx: _Context) -> exp.Table:
    return table_expression(table, ctx.schema)


def table_expression(table: Table, default_schema: str | None) -> exp.Table:
    """``schema.physical AS name``: the only way a model table is written into SQL."""
    schema = table.schema_name or default_schema
    return exp.Table(
        this=identifier(table.physical),
        db=identifier(schema) if schema else None,
        alias=exp.TableAlias(this=identifier(table.name)),
    )


def _alias(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=identifier(name))


# PostgreSQL's reserved key words: as bare names they would be read as SQL (ORDER BY user sorts by
# CURRENT_USER), so names from the model that collide are quoted.
_RESERVED_WORDS = """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate
    collation column concurrently constraint create cross current_catalog current_date current_role
    current_schema current_time current_timestamp current_user default deferrable desc distinct do else end
    except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into
    is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
    only or order outer overlaps placing primary references returning right select session_user similar some
    symmetric system_user table tablesample then to trailing true union unique user using variadic verbose
    when where window with
"""
RESERVED = frozenset(_RESERVED_WORDS.split())


def identifier(name: str) -> exp.Identifier:
    ident = exp.to_identifier(name)
    if name.lower() in RESERVED:
        ident.set("quoted", True)
    return ident


def column(name: str, table: str | None = None) -> exp.Column:
    """A column reference whose parts are quoted when they are reserved words."""
    return exp.Column(this=identifier(name), table=identifier(table) if table else None)


def _and(conditions: list[exp.Expr]) -> exp.Expr:
    out = conditions[0]
    for c in conditions[1:]:
        out = exp.And(this=out, expression=c)
    return out


def _qualified(text: str, table_alias: str, ctx: _Context) -> exp.Expr:
    """A YAML expression with its columns bound to the table alias; '%' literals become parameters
    because psycopg would read them as placeholders."""
    tree = parse_expression(text).copy()
    for col in list(tree.find_all(exp.Column)):
        col.set("table", identifier(table_alias))
        if col.name.lower() in RESERVED:
            col.set("this", identifier(col.name))
    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_string and "%" in lit.this:
            lit.replace(ctx.params.add("literal", lit.this))
    return tree


def _source_sql(dim: Dimension | TimeDimension, alias: str, ctx: _Context) -> exp.Expr:
    if dim.column:
        return column(dim.column, alias)
    assert dim.expr is not None
    return exp.Paren(this=_qualified(dim.expr, alias, ctx))


def _dimension_sql(t: DimensionTarget, grain: Grain | None, ctx: _Context) -> exp.Expr:
    alias = t.table.name
    d = t.dimension
    if isinstance(d, TimeDimension):
        base = _source_sql(d, alias, ctx)
        grain = grain or Grain.DAY
        if d.type == "timestamp":
            local = exp.AtTimeZone(this=base, zone=ctx.params.add("timezone", ctx.timezone))
            if grain == Grain.DAY:
                return exp.Cast(this=local, to=_DATE.copy())
            return exp.Cast(this=_date_trunc(grain, local), to=_DATE.copy())
        if grain == Grain.DAY:
            return base
        return exp.Cast(this=_date_trunc(grain, exp.Cast(this=base, to=_TIMESTAMP.copy())), to=_DATE.copy())
    if d.tags:
        return exp.JSONExtractScalar(
            this=column(d.tags, alias), expression=ctx.params.add(f"{d.name}_key_{t.tag_key}", t.tag_key)
        )
    if d.json_path:
        source, *keys = d.json_path
        out: exp.Expr = column(source, alias)
        for i, key in enumerate(keys):  # keys are bound like tag keys: model text never becomes SQL text
            cls = exp.JSONExtractScalar if i == len(keys) - 1 else exp.JSONExtract
            out = cls(this=out, expression=ctx.params.add(f"{d.name}_key", key), only_json_types=True)
        return out
    return _source_sql(d, alias, ctx)


def _date_trunc(grain: Grain, e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="DATE_TRUNC", expressions=[exp.Literal.string(grain.value), e])


def _filter_sql(f: FactFilter, ctx: _Context) -> exp.Expr:
    d = f.target.dimension
    if isinstance(d, TimeDimension) and d.type == "timestamp":
        col: exp.Expr = _dimension_sql(f.target, Grain.DAY, ctx)  # compare local calendar dates
    else:
        col = _dimension_sql(f.target, None, ctx)
    hint = f"{d.name}_{f.target.tag_key}" if f.target.tag_key else d.name
    return _compare(col, f.op, f.value, ctx.params, hint)


def _time_filter_sql(tf: TimeFilter, ctx: _Context) -> exp.Expr:
    d = tf.target.dimension
    assert isinstance(d, TimeDimension)
    col = _source_sql(d, tf.target.table.name, ctx)
    if d.type == "timestamp":
        # instants of local midnight, computed with Python's zone rules: on a fall-back night that
        # starts the day twice (America/Havana) zoneinfo takes the first midnight, as the day buckets
        # do, where PostgreSQL's AT TIME ZONE would take the second; the bare column keeps it sargable
        tz = ZoneInfo(ctx.timezone)
        lo = dt.datetime.combine(tf.start, dt.time(), tz)
        hi = dt.datetime.combine(tf.end + dt.timedelta(days=1), dt.time(), tz)
        return exp.And(
            this=exp.GTE(this=col, expression=ctx.params.add(f"{d.name}_from", lo)),
            expression=exp.LT(this=col.copy(), expression=ctx.params.add(f"{d.name}_before", hi)),
        )
    return exp.Between(
        this=col,
        low=ctx.params.add(f"{d.name}_start", tf.start),
        high=ctx.params.add(f"{d.name}_end", tf.end),
    )


def _compare(col: exp.Expr, op: Op, value: TypedValue, params: Params, hint: str) -> exp.Expr:
    def p(v: object, suffix: str = "") -> exp.Placeholder:
        return params.add(hint + suffix, list(v) if isinstance(v, tuple) else v)

    if op == Op.IS_NULL:
        return exp.Is(this=col, expression=exp.Null())
    if op == Op.IS_NOT_NULL:
        return exp.Not(this=exp.Is(this=col, expression=exp.Null()))
    if op in (Op.IN, Op.EQ) and isinstance(value, tuple):
        return exp.EQ(this=col, expression=exp.Any(this=exp.Paren(this=p(value))))
    if op in (Op.NOT_IN, Op.NE) and isinstance(value, tuple):
        # "everything except X" keeps the rows where the dimension is empty
        return exp.Paren(
            this=exp.Or(
                this=exp.Is(this=col, expression=exp.Null()),
                expression=exp.Not(
                    this=exp.EQ(this=col.copy(), expression=exp.Any(this=exp.Paren(this=p(value))))
                ),
            )
        )
    if op == Op.EQ:
        return exp.EQ(this=col, expression=p(value))
    if op == Op.NE:
        return exp.NullSafeNEQ(this=col, expression=p(value))
    if op == Op.BETWEEN:
        assert isinstance(value, tuple)
        return exp.Between(this=col, low=p(value[0], "_low"), high=p(value[1], "_high"))
    if op == Op.CONTAINS:
        escaped = re.sub(r"([\\%_])", r"\\\1", str(value))
        return exp.ILike(this=col, expression=p(f"%{escaped}%"))
    cls = {Op.LT: exp.LT, Op.LTE: exp.LTE, Op.GT: exp.GT, Op.GTE: exp.GTE}[op]
    return cls(this=col, expression=p(value))


def _measure_sql(ref: MeasureRef, ctx: _Context) -> exp.Expr:
    m = ref.measure
    alias = ref.table.name
    arg = _qualified(m.expr, alias, ctx) if m.expr else exp.Star()
    agg: exp.Expr
    if m.agg == Aggregation.COUNT:
        agg = exp.Count(this=arg)
    elif m.agg == Aggregation.COUNT_DISTINCT:
        agg = exp.Count(this=exp.Distinct(expressions=[arg]))
    else:
        agg = _AGGREGATES[m.agg](this=arg)
    if m.filter:
        agg = exp.Filter(this=agg, expression=exp.Where(this=_qualified(m.filter, alias, ctx)))
    return agg


def _metric_sql(metric: Metric, ctx: _Context, leaf: Callable[[MeasureRef], exp.Expr]) -> exp.Expr:
    if metric.type == MetricType.SIMPLE:
        return leaf(ctx.catalog.measure(metric.measure or ""))
    if metric.type == MetricType.RATIO:
        num = _metric_sql(ctx.catalog.metrics[metric.numerator or ""], ctx, leaf)
        den = _metric_sql(ctx.catalog.metrics[metric.denominator or ""], ctx, leaf)
        return exp.Div(
            this=exp.Cast(this=num, to=_NUMERIC.copy()),
            expression=exp.Nullif(this=den, expression=exp.Literal.number(0)),
        )
    tree = parse_expression(metric.expr or "").copy()
    for col in list(tree.find_all(exp.Column)):
        # numeric, as in ratios: bigint / bigint would divide as integers (and differ from a view's SUM)
        part = _metric_sql(ctx.catalog.metrics[col.name], ctx, leaf)
        col.replace(exp.Cast(this=part, to=_NUMERIC.copy()))
    return tree
