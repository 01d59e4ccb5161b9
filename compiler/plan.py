"""ResolvedQuery -> Plan: one aggregate per fact table, joined only along to-one edges.

Metrics of different fact tables are never aggregated over one joined row set: each fact gets its own
``FactQuery`` at the requested grain, and the renderer combines their results on the dimensions. That
is what keeps one-to-many joins from double counting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from compiler.catalog import DimensionTarget, MeasureRef
from compiler.resolve import GroupCount, MetricCondition, ResolvedQuery, TypedValue
from compiler.units import Conversion
from models.access import Scope
from models.intent import Grain, Op
from models.semantic_model import Metric, Relationship, Table


@dataclass(frozen=True)
class DimColumn:
    alias: str
    target: DimensionTarget
    grain: Grain | None


@dataclass(frozen=True)
class FactFilter:
    target: DimensionTarget
    op: Op
    value: TypedValue


@dataclass(frozen=True)
class TimeFilter:
    target: DimensionTarget
    start: dt.date
    end: dt.date


DimKey = tuple[str, str, str | None]
"""A dimension's identity: (table, dimension name, tag key)."""


def dim_key(t: DimensionTarget) -> DimKey:
    return (t.table.name, t.dimension.name, t.tag_key)


FIRST_DAY, LAST_DAY = "first_day", "last_day"
"""Columns of a time-bucketed view: the first and last day of data each bucket holds."""

DISTINCT_PREFIX = "distinct:"
"""Marks a view measure counted as COUNT(DISTINCT view column) instead of re-aggregated."""


@dataclass(frozen=True)
class ViewSource:
    """Where a fact query reads from when a materialized view answers it.

    ``columns`` maps each dimension the view holds to its column; ``measures`` maps a measure alias to
    the view columns it is re-aggregated from (two for avg: sum and count).
    """

    name: str
    schema: str
    columns: tuple[tuple[DimKey, str], ...]
    time_key: DimKey | None
    time_column: str | None
    grain: Grain | None
    measures: tuple[tuple[str, tuple[str, ...]], ...]

    def column(self, key: DimKey) -> str:
        return dict(self.columns)[key]

    def measure_columns(self, alias: str) -> tuple[str, ...]:
        return dict(self.measures)[alias]


@dataclass(frozen=True)
class FactQuery:
    """The aggregate of one fact table (or, with no measures, the rows to list)."""

    table: Table
    joins: tuple[Relationship, ...]
    dimensions: tuple[DimColumn, ...]
    measures: tuple[MeasureRef, ...]
    filters: tuple[FactFilter, ...]
    time_filter: TimeFilter | None
    view: ViewSource | None = None
    part: tuple[FactFilter, ...] = ()
    """A share's part: each measure is also aggregated over only these rows (``<alias>__part``)."""
    counted: tuple[FactFilter, ...] = ()
    """Conditions on the rows the measures aggregate, not on the rows that make the groups: a group
    with none of them shows 0 (see rewrites/zero_groups.py)."""
    time_counted: bool = False
    """``time_filter`` is one of those conditions (the groups are made of rows of every date)."""
    scope: tuple[tuple[FactFilter, ...], ...] | None = None
    """The caller's access scope on this fact's rows: those meeting every filter of any one of these
    alternatives (None: every row; empty: none). Applied before aggregation; see rewrites/scoping.py."""
    common_span: DimensionTarget | None = None
    """This fact's own time dimension, when its rows count only on the dates every fact so marked has
    data (a ratio across facts whose spans differ); the renderer computes that span once."""


@dataclass(frozen=True)
class Plan:
    facts: tuple[FactQuery, ...]
    dimensions: tuple[str, ...]
    metrics: tuple[Metric, ...]
    having: tuple[MetricCondition, ...]
    order_by: tuple[tuple[str, str], ...]
    limit: int | None
    timezone: str
    notes: tuple[str, ...] = ()
    offset: int | None = None
    time_description: str | None = None
    materializations: tuple[str, ...] = ()
    view_report: tuple[tuple[str, str], ...] = field(default=())
    """(view, "used" or the one-line reason it was not), for `crq explain`."""
    share: bool = False
    """Each metric also as a percentage (``<metric>_share``); see ``FactQuery.part``."""
    scope: Scope | None = None
    """The caller's access scope the facts were restricted to, so plans of different callers differ."""
    cumulative: str | None = None
    """With a running total, the time column it runs along: each metric also as ``<metric>_cumulative``."""
    compare: Plan | None = None
    """A comparison's earlier period: the same query over another time range, without order or limit;
    the renderer joins it to this one on the dimensions (see ``compare_aliases``)."""
    group_count: GroupCount | None = None
    """Counting groups: this plan's rows are counted per ``group_count.outer`` (the renderer wraps it)."""
    readings: tuple[str, ...] = ()
    """What the compiler decided beyond the intent's words (side by side, a common span), for the
    answer's "interpreted as"."""
    conversions: tuple[Conversion, ...] = ()
    """Metrics shown in another unit: each amount multiplied by the factor (after aggregation)."""


SHARE_SUFFIX, PART_SUFFIX = "_share", "__part"
PREVIOUS_SUFFIX, CHANGE_SUFFIX, CHANGE_PCT_SUFFIX = "_previous", "_change", "_change_pct"
_RANK_SUFFIX = {
    "amount": "",
    "previous": PREVIOUS_SUFFIX,
    "change": CHANGE_SUFFIX,
    "percent_change": CHANGE_PCT_SUFFIX,
}


CUMULATIVE_SUFFIX = "_cumulative"


def cumulative_alias(metric: str) -> str:
    return metric + CUMULATIVE_SUFFIX


def compare_aliases(metric: str) -> tuple[str, str, str, str]:
    """A compared metric's output columns: amount now, amount then, change, change in percent."""
    return metric, metric + PREVIOUS_SUFFIX, metric + CHANGE_SUFFIX, metric + CHANGE_PCT_SUFFIX


def share_alias(metric: str) -> str:
    return metric + SHARE_SUFFIX


def plan(query: ResolvedQuery) -> Plan:
    if query.compare_window is None:
        return _plan(query)
    earlier = _plan(
        dataclasses.replace(
            query, time_window=query.compare_window, compare_window=None, order_by=(), limit=None, offset=None
        )
    )
    metric_names = {m.name for m in query.metrics}
    suffix = _RANK_SUFFIX[query.rank_by]
    order_by = tuple((f + suffix if f in metric_names else f, d) for f, d in query.order_by)
    now = _plan(dataclasses.replace(query, compare_window=None))
    window = query.compare_window
    words = f"{window.description} ({window.start} to {window.end})"
    return dataclasses.replace(
        now,
        order_by=order_by,
        compare=earlier,
        time_description=f"{now.time_description}, compared with {words}",
    )


def _plan(query: ResolvedQuery) -> Plan:
    facts = []
    for table in query.facts:

        def target(name: str, table: Table = table) -> DimensionTarget:
            return query.targets[(table.name, name)]

        dims = tuple(DimColumn(g.alias, target(g.name), g.grain) for g in query.group_by)
        filters = tuple(FactFilter(target(c.name), c.op, c.value) for c in query.where)
        part = tuple(FactFilter(target(c.name), c.op, c.value) for c in query.share_part or ())
        time_filter = None
        window = query.time_window
        if window is not None:
            if window.dimension:
                time_filter = TimeFilter(target(window.dimension), window.start, window.end)
            elif table.default_time_dimension:
                td = next(d for d in table.time_dimensions if d.name == table.default_time_dimension)
                time_filter = TimeFilter(DimensionTarget(table, td, ()), window.start, window.end)
        used = [d.target for d in dims] + [f.target for f in (*filters, *part)]
        if time_filter:
            used.append(time_filter.target)
        joins = tuple(dict.fromkeys(rel for t in used for rel in t.path))
        measures = tuple(m for m in query.measures if m.table.name == table.name)
        span = None
        if table.name in query.common_span:
            own = next(d for d in table.time_dimensions if d.name == table.default_time_dimension)
            span = DimensionTarget(table, own, ())
        facts.append(
            FactQuery(table, joins, dims, measures, filters, time_filter, part=part, common_span=span)
        )
    shared = query.share_part is not None
    metric_names = {m.name for m in query.metrics}
    order_by = tuple(  # ranking by a metric shown as a share ranks by the share
        (share_alias(f) if shared and f in metric_names else f, d) for f, d in query.order_by
    )
    return Plan(
        facts=tuple(facts),
        dimensions=tuple(g.alias for g in query.group_by),
        metrics=query.metrics,
        having=query.having,
        order_by=order_by,
        limit=query.limit,
        offset=query.offset,
        timezone=query.timezone,
        notes=query.notes,
        time_description=query.time_window.description if query.time_window else None,
        share=shared,
        cumulative=query.cumulative,
        group_count=query.group_count,
        readings=query.readings,
        conversions=query.conversions,
    )
