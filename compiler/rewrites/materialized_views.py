"""Answer a fact query from a materialized view when, and only when, the view gives the same numbers.

A view qualifies when it is fresh, built from the current definition, holds every measure in a
re-aggregable form, every dimension the query groups or filters by, the query's fixed filters, a time
column whose grain nests into the query's (day -> week; day -> month -> quarter -> year; never
week -> month), a time range aligned to that grain, the same time zone, and every dimension of the
caller's access scope as a column (the scope then filters the view's rows). count_distinct only matches
a view with exactly the query's grouping. Among the views that qualify the smallest wins; for every
other view the plan records the one-line reason, which `crq explain` prints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from compiler.materializations import ViewLayout, layout_of
from compiler.plan import DISTINCT_PREFIX, FactQuery, Plan, dim_key
from compiler.rewrites.context import RewriteContext, ViewState
from compiler.time_range import period_start
from models.intent import Grain
from models.semantic_model import Aggregation, TimeDimension

_NESTS: dict[Grain, set[Grain]] = {
    Grain.DAY: set(Grain),
    Grain.WEEK: {Grain.WEEK},
    Grain.MONTH: {Grain.MONTH, Grain.QUARTER, Grain.YEAR},
    Grain.QUARTER: {Grain.QUARTER, Grain.YEAR},
    Grain.YEAR: {Grain.YEAR},
}


def materialized_views(plan: Plan, ctx: RewriteContext) -> Plan:
    views = ctx.catalog.model.materializations
    if not views or ctx.views is None:
        return plan
    report: dict[str, str] = {}
    facts = []
    used: list[str] = []
    for fact in plan.facts:
        if fact.view is not None or not fact.measures:
            facts.append(fact)
            continue
        candidates: list[tuple[int, str, ViewLayout]] = []
        for mat in views:
            name = mat.name
            if mat.table != fact.table.name:
                report.setdefault(name, f"holds {mat.table}; this query reads {fact.table.name}")
                continue
            layout = layout_of(name, ctx.catalog)
            reason = _mismatch(fact, layout, ctx.views.get(name), plan.timezone, ctx.now)
            if reason:
                report[name] = reason
            else:
                state = ctx.views[name]
                candidates.append((state.rows if state.rows is not None else 2**62, name, layout))
        if not candidates:
            facts.append(fact)
            continue
        candidates.sort(key=lambda c: (c[0], c[1]))
        _, best, layout = candidates[0]
        for _, other, _ in candidates[1:]:
            report[other] = f"qualifies, but {best} is smaller"
        report[best] = "used"
        used.append(best)
        fixed = {_filter_key(f) for f in layout.fixed_filters}
        facts.append(
            dataclasses.replace(
                fact,
                view=layout.source,
                joins=(),
                filters=tuple(f for f in fact.filters if _filter_key(f) not in fixed),
            )
        )
    return dataclasses.replace(
        plan, facts=tuple(facts), materializations=tuple(used), view_report=tuple(sorted(report.items()))
    )


def _filter_key(f: object) -> tuple[object, ...]:
    return (dim_key(f.target), f.op, f.value)  # type: ignore[attr-defined]


def _mismatch(
    fact: FactQuery, layout: ViewLayout, state: ViewState | None, timezone: str, now: dt.datetime | None
) -> str | None:
    """Why ``layout`` cannot answer ``fact`` exactly, or None when it can."""
    mat = layout.materialization
    if state is None or state.refreshed_at is None:
        return "not built yet (run `crq mv create`)"
    if state.definition_hash != layout.definition_hash:
        return "built from an older definition of the model (run `crq mv create`)"
    if now is not None:
        age_h = (now - state.refreshed_at).total_seconds() / 3600
        if age_h > mat.max_staleness_hours:
            allowed = mat.max_staleness_hours
            return f"stale: refreshed {age_h:.1f} h ago, allowed {allowed:g} h (run `crq mv refresh`)"
    source = layout.source
    held = dict(source.measures)
    for m in fact.measures:
        if m.alias not in held:
            return f"lacks measure {m.measure.name}"
    columns = dict(source.columns)
    uses_time = False
    for d in fact.dimensions:
        key = dim_key(d.target)
        if key == source.time_key:
            uses_time = True
            grain = d.grain or Grain.DAY
            if grain not in _NESTS[source.grain or Grain.DAY]:
                return f"{source.grain} buckets do not roll up into {grain}s"
        elif key not in columns:
            return f"lacks dimension {_name(key)}"
    fixed = {_filter_key(f) for f in layout.fixed_filters}
    present = {_filter_key(f) for f in fact.filters}
    if not fixed <= present:
        missing = next(f for f in layout.fixed_filters if _filter_key(f) not in present)
        return f"only holds rows where {missing.target.dimension.name} {missing.op.value} {missing.value}"
    for f in fact.filters:
        key = dim_key(f.target)
        if _filter_key(f) in fixed:
            continue
        if key == source.time_key:
            uses_time = True
            if source.grain != Grain.DAY:
                return (
                    f"filters on {f.target.dimension.name} need daily buckets; the view has {source.grain}s"
                )
        elif key not in columns:
            return f"lacks {_name(key)}, which a filter needs"
    for f in (*fact.part, *fact.counted):
        key = dim_key(f.target)
        if key == source.time_key:
            if source.grain != Grain.DAY:
                return f"a share's part on {f.target.dimension.name} needs daily buckets"
        elif key not in columns:
            return f"lacks {_name(key)}, which the share's part needs"
    for f in (f for alternative in fact.scope or () for f in alternative):
        if dim_key(f.target) not in columns:  # the scope is applied to the view's column instead
            return f"lacks {_name(dim_key(f.target))}, which the caller's access scope needs"
    if fact.common_span is not None:
        span = fact.common_span.dimension.name
        if dim_key(fact.common_span) != source.time_key:
            return f"has no {span} column for the dates the ratio's facts all have data on"
        if source.grain != Grain.DAY:
            return f"aligning the ratio's facts to common dates needs days; the view has {source.grain}s"
        uses_time = True
    if fact.time_filter is not None:
        tf = fact.time_filter
        if dim_key(tf.target) != source.time_key:
            return f"has no {tf.target.dimension.name} column for the time range"
        uses_time = True
        grain = source.grain or Grain.DAY
        after = tf.end + dt.timedelta(days=1)
        # a bucket cut by the range is fine when the data does not reach past the cut
        starts = period_start(tf.start, grain) == tf.start or (
            state.first_day and tf.start <= state.first_day
        )
        ends = period_start(after, grain) == after or (state.last_day and tf.end >= state.last_day)
        if not (starts and ends):
            return f"time range {tf.start}..{tf.end} is not aligned to whole {grain}s"
    if uses_time and isinstance(layout.fact.dimensions[-1].target.dimension, TimeDimension):
        dim = layout.fact.dimensions[-1].target.dimension
        if dim.type == "timestamp" and timezone != mat.timezone:
            return f"buckets are in {mat.timezone}; this query is in {timezone}"
    if any(
        m.measure.agg == Aggregation.COUNT_DISTINCT and not held[m.alias][0].startswith(DISTINCT_PREFIX)
        for m in fact.measures
    ):
        query_keys = {
            (dim_key(d.target), d.grain or (Grain.DAY if dim_key(d.target) == source.time_key else None))
            for d in fact.dimensions
        }
        view_keys = {(k, None) for k in columns} | (
            {(source.time_key, source.grain)} if source.time_key else set()
        )
        if query_keys != view_keys:
            return "count_distinct cannot be re-aggregated; it needs exactly the view's dimensions"
    return None


def _name(key: tuple[str, str, str | None]) -> str:
    table, name, tag = key
    return f"{name}:{tag}" if tag else f"{table}.{name}"
