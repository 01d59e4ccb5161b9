"""Intent -> ResolvedQuery: check every name against the model and type every value.

This is where user mistakes are caught and explained (the field, the valid choices, a did-you-mean);
later stages can assume a consistent query.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from compiler.catalog import Catalog, DimensionTarget, MeasureRef, split_reference
from compiler.time_range import describe_time_range, previous_period, resolve_time_range
from compiler.units import Conversion, conversion, convert_value
from models.errors import DatesDoNotOverlap, IntentError, PeriodBeforeDates, QueryRefused, UserError
from models.intent import MAX_DATE, MIN_DATE, Filter, Grain, Intent, Op, Scalar
from models.semantic_model import (
    Aggregation,
    Dimension,
    DimensionType,
    Metric,
    MetricType,
    Table,
    TimeDimension,
)
from models.units import FAMILY, Unit, units_of
from semantic.time_zones import is_time_zone, time_zones

Typed = Scalar | Decimal
"""A value typed for what it is compared with: numbers as Decimal (compared exactly), dates as date."""
TypedValue = Typed | tuple[Typed, ...] | None

_TAG_KEY = re.compile(r"^[\w.:/=+@ -]{1,128}$")
_ORDERED_OPS = (Op.LT, Op.LTE, Op.GT, Op.GTE, Op.BETWEEN)


@dataclass(frozen=True)
class GroupBy:
    name: str
    grain: Grain | None
    alias: str


@dataclass(frozen=True)
class Condition:
    """A dimension filter with its value typed for the dimension (groups and synonyms expanded)."""

    name: str
    op: Op
    value: TypedValue


@dataclass(frozen=True)
class MetricCondition:
    metric: str
    op: Op
    value: TypedValue


@dataclass(frozen=True)
class TimeWindow:
    start: dt.date
    end: dt.date
    dimension: str | None
    description: str


@dataclass(frozen=True)
class GroupCount:
    """Counting groups: the query groups by ``outer`` and the counted dimensions, then counts its rows
    per ``outer`` group into the column ``alias`` (see ``models.intent.CountGroups``)."""

    outer: tuple[str, ...]
    alias: str
    averaged: tuple[tuple[str, str], ...] = ()
    """Averaging groups instead (``models.intent.AverageGroups``): (metric column, average column)
    pairs, each metric's amounts averaged over the groups; ``alias`` still counts them."""


@dataclass(frozen=True)
class ResolvedQuery:
    """A checked query. ``targets`` says where each dimension name leads from each fact table."""

    metrics: tuple[Metric, ...]
    facts: tuple[Table, ...]
    measures: tuple[MeasureRef, ...]
    group_by: tuple[GroupBy, ...]
    where: tuple[Condition, ...]
    having: tuple[MetricCondition, ...]
    time_window: TimeWindow | None
    order_by: tuple[tuple[str, str], ...]
    limit: int | None
    timezone: str
    targets: dict[tuple[str, str], DimensionTarget]
    offset: int | None = None
    notes: tuple[str, ...] = ()
    share_part: tuple[Condition, ...] | None = None
    """None: amounts. Otherwise metrics are shown as percentages: of the total over all rows when
    empty, else the percentage of each row's amount that meets these conditions."""
    compare_window: TimeWindow | None = None
    """The earlier period each metric is compared with (``time_window`` is the period now)."""
    rank_by: str = "change"
    """With a comparison, what ranking by a metric ranks by (see ``models.intent.Compare``)."""
    cumulative: str | None = None
    """With a running total, the output column of the time dimension it runs along."""
    group_count: GroupCount | None = None
    """Counting groups: the groups of this query are counted instead of shown."""
    common_span: tuple[str, ...] = ()
    """Fact tables whose rows count only on the dates all of them have data (a ratio across facts)."""
    readings: tuple[str, ...] = ()
    """What the compiler decided beyond the intent's own words, for "interpreted as"."""
    conversions: tuple[Conversion, ...] = ()
    """Metrics shown in another unit than the model's (``Intent.units``)."""


def resolve(intent: Intent, catalog: Catalog, as_of: dt.date, timezone: str = "UTC") -> ResolvedQuery:
    if intent.count_groups is not None or intent.average_groups is not None:
        return _resolve_groups(intent, catalog, as_of, timezone)
    tz = intent.timezone or timezone
    if not is_time_zone(tz):
        raise IntentError(
            "timezone",
            f"unknown time zone '{tz}'{_hint(tz, time_zones())}; use an IANA name such as Europe/Berlin",
        )
    if intent.offset is not None and not (intent.order_by and intent.limit is not None):
        raise IntentError(
            "offset", "skips the first rows of a ranking: give order_by and limit with it (none to skip)"
        )
    intent = _without_repeats(intent)
    filters = list(intent.filters)
    origins = [f"filters[{i}]" for i in range(len(filters))]
    for name in intent.segments:
        seg = catalog.segments.get(name)
        if seg is None:
            raise IntentError(
                "segments",
                f"unknown segment '{name}'{_hint(name, catalog.segments)}",
                sorted(catalog.segments),
            )
        filters.extend(seg.filters)
        origins.extend(f"segment {name}" for _ in seg.filters)

    metric_names = list(dict.fromkeys(intent.metrics))
    metric_filters = [f for f in filters if f.field in catalog.metrics]
    dimension_filters = [(i, f) for i, f in enumerate(filters) if f.field not in catalog.metrics]
    group_aliases = _group_aliases(intent)
    for f in metric_filters:
        metric_names.append(f.field)
    for o in intent.order_by:
        if o.field in catalog.metrics:
            metric_names.append(o.field)
        elif o.field not in group_aliases.values() and o.field not in {g.name for g in intent.dimensions}:
            choices = [*dict.fromkeys([*intent.metrics, *group_aliases.values()])]
            raise IntentError(
                "order_by",
                f"'{o.field}' is neither a metric nor a dimension of this query{_hint(o.field, choices)}",
                choices,
            )
    metrics = tuple(catalog.metric(n) for n in dict.fromkeys(metric_names))

    measures: dict[str, MeasureRef] = {}
    for m in metrics:
        for ref in catalog.measures_of(m):
            measures.setdefault(ref.alias, ref)
    facts = tuple(dict.fromkeys(ref.table.name for ref in measures.values()))
    fact_tables = tuple(catalog.tables[f] for f in facts)
    if not metrics and not intent.dimensions:
        raise IntentError(
            "metrics", "ask for at least one metric or one dimension to list", sorted(catalog.metrics)
        )
    if not fact_tables:
        fact_tables = (_listing_root(intent, [f for _, f in dimension_filters], catalog),)

    targets: dict[tuple[str, str], DimensionTarget] = {}

    def target(name: str, fact: Table, field: str) -> DimensionTarget:
        key = (fact.name, name)
        if key not in targets:
            t = catalog.resolve_dimension(name, fact, field)
            if t.tag_key is not None and not _TAG_KEY.match(t.tag_key):
                raise IntentError(field, f"'{t.tag_key}' is not a valid tag key")
            targets[key] = t
        return targets[key]

    group_by: list[GroupBy] = []
    for i, dim_ref in enumerate(intent.dimensions):
        first = None
        for fact in fact_tables:
            t = target(dim_ref.name, fact, f"dimensions[{i}]")
            first = first or t
        assert first is not None
        grain = _check_grain(dim_ref.grain, first, f"dimensions[{i}]")
        group_by.append(GroupBy(dim_ref.name, grain, group_aliases[i]))

    def condition(f: Filter, field: str) -> Condition:
        """A dimension filter, checked from every fact (each must reach it), typed for the first."""
        first = None
        for fact in fact_tables:
            t = target(f.field, fact, field)
            first = first or t
        assert first is not None
        return Condition(f.field, f.op, typed_filter_value(f, first, catalog, field))

    where = [
        condition(f, f"filters[{i}]" if i < len(intent.filters) else f"segment filter on {f.field}")
        for i, f in dimension_filters
    ]
    where, side_by_side = _side_by_side(
        where, [origins[i] for i, _ in dimension_filters], group_by, fact_tables[0], target
    )
    share_part: list[Condition] | None = None
    if intent.share is not None:
        _check_share(intent, metrics, catalog)
        share_part = []
        for i, f in enumerate(intent.share.part):
            if f.field in catalog.metrics:
                raise IntentError(
                    f"share.part[{i}]", f"a share's part is a condition on a dimension, not on {f.field}"
                )
            share_part.append(condition(f, f"share.part[{i}]"))

    conversions = _conversions(intent, metrics)
    own = {m.name: m.unit for m in metrics}
    shown = own | {c.metric: c.to for c in conversions}
    having = tuple(
        MetricCondition(f.field, f.op, _metric_value(f, own.get(f.field), shown.get(f.field)))
        for f in metric_filters
    )
    if intent.compare is not None:
        _check_compare(intent, metrics, having)
    time_window, notes = _time_window(intent, fact_tables, catalog, as_of, target)
    _refuse_disjoint_dates(where, time_window, fact_tables, target)
    compare_window = None
    if intent.compare is not None:
        compare_window = _compare_window(intent, time_window, fact_tables, group_by, target, as_of)

    order_by = tuple(
        (next((g.alias for g in group_by if o.field in (g.name, g.alias)), o.field), o.direction)
        for o in intent.order_by
    )
    return ResolvedQuery(
        metrics=metrics,
        facts=fact_tables,
        measures=tuple(measures.values()),
        group_by=tuple(group_by),
        where=tuple(where),
        having=having,
        time_window=time_window,
        order_by=order_by,
        limit=intent.limit,
        offset=intent.offset,
        timezone=tz,
        targets=targets,
        notes=notes,
        share_part=tuple(share_part) if share_part is not None else None,
        compare_window=compare_window,
        conversions=conversions,
        rank_by=intent.compare.rank_by if intent.compare is not None else "change",
        cumulative=_cumulative_column(intent, metrics, group_by, fact_tables, target, catalog),
        common_span=(span := _common_span(intent, metrics, fact_tables, catalog)),
        readings=(
            *_time_readings(intent, where, fact_tables, target),
            *side_by_side,
            *([f"{' and '.join(span)} over only the dates all of them have data"] if span else []),
        ),
    )


def average_alias(metric: str) -> str:
    """The column of a metric averaged over groups (``models.intent.AverageGroups``)."""
    return metric + AVERAGE_SUFFIX


AVERAGE_SUFFIX = "_average"
_AVERAGED = (Aggregation.SUM, Aggregation.COUNT, Aggregation.COUNT_DISTINCT)


def _resolve_groups(intent: Intent, catalog: Catalog, as_of: dt.date, timezone: str) -> ResolvedQuery:
    """Counting or averaging groups: the query that makes the groups (grouped by the dimensions and
    the counted or averaged ones, metric filters as HAVING), and the count or the averages over it;
    order and limit apply to the outer query."""
    averaging = intent.average_groups
    nested = averaging if averaging is not None else intent.count_groups
    assert nested is not None
    field = "average_groups" if averaging is not None else "count_groups"
    if intent.count_groups is not None and averaging is not None:
        raise IntentError(field, "counting groups and averaging them cannot be asked together")
    for other, words in (
        (intent.share, "a share"),
        (intent.compare, "a comparison"),
        (intent.cumulative, "a running total"),
    ):
        if other is not None:
            what = "averaging" if averaging is not None else "counting"
            raise IntentError(field, f"{what} groups and {words} cannot be asked together")
    grouped = {d.name for d in intent.dimensions}
    for i, ref in enumerate(nested.of):
        if ref.name in grouped:
            why = (
                "each average would be over one group; average over it"
                if averaging is not None
                else "each of its groups would count once; count it"
            )
            raise IntentError(
                f"{field}.of[{i}]", f"{ref.name} is also in dimensions, so {why} or group by it, not both"
            )
    if averaging is not None:
        _check_averaged(intent, catalog)
    inner = intent.model_copy(
        update={
            "dimensions": (*intent.dimensions, *nested.of),
            "count_groups": None,
            "average_groups": None,
            "order_by": (),
            "limit": None,
            "offset": None,
        }
    )
    try:
        query = resolve(inner, catalog, as_of, timezone)
    except IntentError as e:  # a nested dimension's mistake, named as the caller wrote it
        at = re.fullmatch(r"dimensions\[(\d+)\]", e.field)
        if at is None or int(at[1]) < len(intent.dimensions):
            raise
        where = f"{field}.of[{int(at[1]) - len(intent.dimensions)}]"
        raise IntentError(
            where, str(e).removeprefix(f"{e.field}: ").split(" (valid: ")[0], e.choices
        ) from None
    outer = query.group_by[: len(intent.dimensions)]
    alias = "_".join(g.alias for g in query.group_by[len(intent.dimensions) :]) + "_count"
    averaged = tuple((m.name, average_alias(m.name)) for m in query.metrics) if averaging is not None else ()
    taken = {g.alias for g in outer}
    if alias in taken or taken & {a for _, a in averaged}:
        raise IntentError(f"{field}.of", f"the count's column {alias} is also a dimension's")
    # the outer columns are named by their own names or by what they stand for (the LLM's schema
    # lists model names only): the count by what it counts, an average by its metric
    columns = {g.alias: g.alias for g in outer} | {g.name: g.alias for g in outer}
    columns |= {alias: alias} | {d.name: alias for d in nested.of}
    columns |= {a: a for _, a in averaged} | dict(averaged)
    order_by = []
    for i, o in enumerate(intent.order_by):
        column = columns.get(o.field)
        if column is None:
            what = "an average (or its metric), the count" if averaged else "the count (or what it counts)"
            choices = [
                *(a for _, a in averaged),
                alias,
                *(d.name for d in nested.of),
                *(g.alias for g in outer),
            ]
            raise IntentError(
                f"order_by[{i}]",
                f"'{o.field}' is not a column of the {'averages' if averaged else 'count'}; order by "
                f"{what} or a dimension{_hint(o.field, choices)}",
                choices,
            )
        order_by.append((column, o.direction))
    return replace(
        query,
        order_by=tuple(order_by),
        limit=intent.limit,
        offset=intent.offset,
        group_count=GroupCount(tuple(g.alias for g in outer), alias, averaged),
    )


def _check_averaged(intent: Intent, catalog: Catalog) -> None:
    """Only amounts that add up within a group (sums, counts, distinct counts) are averaged over
    groups: an average of each group's average or ratio weighs a group of one row like a group of a
    thousand, not what "the average cost per resource" means (a metric of the model says that)."""
    if not intent.metrics:
        raise IntentError(
            "average_groups", "averaging groups needs at least one metric", sorted(catalog.metrics)
        )
    choices = sorted(
        m.name
        for m in catalog.metrics.values()
        if m.type == MetricType.SIMPLE and catalog.measure(m.measure or "").measure.agg in _AVERAGED
    )
    for name in intent.metrics:
        m = catalog.metrics.get(name)
        if m is None:
            continue  # the inner query names the unknown metric
        if m.type != MetricType.SIMPLE or catalog.measure(m.measure or "").measure.agg not in _AVERAGED:
            raise IntentError(
                "average_groups",
                f"{name} is not averaged over groups: only sums and counts are (an average of each "
                "group's average or ratio would weigh every group alike)",
                choices,
            )


def _time_readings(
    intent: Intent,
    where: list[Condition],
    facts: tuple[Table, ...],
    target: Callable[[str, Table, str], DimensionTarget],
) -> tuple[str, ...]:
    """With a filter on one time dimension ("launched since March") and a time range on each table's
    own date ("cost last week"), say which date the range is on, so the two ranges read apart (the
    filter names its own)."""
    tr = intent.time_range
    if tr is None or tr.dimension:
        return ()
    dated = [c.name for c in where if isinstance(target(c.name, facts[0], c.name).dimension, TimeDimension)]
    own = list(dict.fromkeys(f.default_time_dimension for f in facts if f.default_time_dimension))
    if not dated or not own:
        return ()
    return (f"the time range on {' and '.join(own)}",)


def _values(value: TypedValue) -> tuple[Typed, ...]:
    return value if isinstance(value, tuple) else () if value is None else (value,)


def _side_by_side(
    where: list[Condition],
    origins: list[str],
    group_by: list[GroupBy],
    fact: Table,
    target: Callable[[str, Table, str], DimensionTarget],
) -> tuple[list[Condition], tuple[str, ...]]:
    """Conditions naming different values of one dimension are never ANDed into an empty answer.

    "in-use vs available volumes" read as the segment of available volumes plus a filter on in-use, or
    "prod vs staging" as two filters: grouped by that dimension, the conditions become one on all the
    values they name, a row each (side by side), and the reading says so. Not grouped by it, the intent
    is refused with the way to ask for them side by side. Two filters whose values overlap narrow as
    before (Europe, then eu-west-1); a segment narrowed by a filter within it (production, prod) too.
    """
    by_dimension: dict[tuple[str, str, str | None], list[int]] = {}
    for i, c in enumerate(where):
        if c.op in (Op.EQ, Op.IN):
            t = target(c.name, fact, origins[i])
            by_dimension.setdefault((t.table.name, t.dimension.name, t.tag_key), []).append(i)
    grouped = set()
    for g in group_by:
        t = target(g.name, fact, "dimensions")
        grouped.add((t.table.name, t.dimension.name, t.tag_key))
    out: list[Condition | None] = list(where)
    readings = []
    for key, idx in by_dimension.items():
        if len(idx) < 2:
            continue
        sets = {i: set(_values(where[i].value)) for i in idx}
        conflict = next(
            (
                (a, b)
                for a in idx
                for b in idx
                if a != b and origins[a].startswith("segment ") and sets[b] - sets[a]
            ),
            None,
        )
        if conflict is None and set.intersection(*sets.values()):
            continue
        if conflict is None:
            conflict = next((a, b) for a in idx for b in idx if a != b and not sets[a] & sets[b])
        name = where[idx[0]].name
        union = tuple(dict.fromkeys(v for i in idx for v in _values(where[i].value)))
        if key not in grouped:
            a, b = conflict
            field = next((origins[i] for i in (b, a) if origins[i].startswith("filters[")), "segments")
            left_out = [v for v in _values(where[b].value) if v not in sets[a]]
            raise IntentError(
                field,
                f"{origins[a]} keeps only {name} {_shown(where[a].value)} and {origins[b]} asks for "
                f"{name} {_shown(where[b].value)}: both at once would leave out {_shown(tuple(left_out))}; "
                f"to see them side by side, group by {name} (add it to dimensions)",
            )
        out[idx[0]] = Condition(name, Op.IN, union)
        for i in idx[1:]:
            out[i] = None
        readings.append(f"{name} {' and '.join(map(_shown, union))} side by side")
    return [c for c in out if c is not None], tuple(readings)


def _shown(value: TypedValue) -> str:
    if isinstance(value, tuple):
        return " or ".join(map(_shown, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _common_span(
    intent: Intent, metrics: tuple[Metric, ...], facts: tuple[Table, ...], catalog: Catalog
) -> tuple[str, ...]:
    """The fact tables a ratio (or derived metric) divides across, when each is dated by its own
    default time dimension: their data may span different dates (180 days of cost, 30 of running
    hours), and dividing totals over different spans gives a number that means nothing. Their rows
    then count only on the dates all of them have data (the compiler's choice over a warning: the
    number is the one asked for, over a span the reading names)."""
    if intent.time_range is not None and intent.time_range.dimension:
        return ()  # one time dimension, reached from every fact, bounds them all
    dated = {f.name for f in facts if f.default_time_dimension}
    spanned: set[str] = set()
    for m in metrics:
        if m.type != MetricType.SIMPLE:
            tables = {ref.table.name for ref in catalog.measures_of(m)} & dated
            if len(tables) > 1:
                spanned |= tables
    return tuple(f.name for f in facts if f.name in spanned)


def _cumulative_column(
    intent: Intent,
    metrics: tuple[Metric, ...],
    group_by: list[GroupBy],
    facts: tuple[Table, ...],
    target: Callable[[str, Table, str], DimensionTarget],
    catalog: Catalog,
) -> str | None:
    """The time column a running total runs along, after checking that it adds up: sums and counts
    only, along exactly one grouped time dimension, not mixed with a comparison or a share."""
    if intent.cumulative is None:
        return None
    if intent.compare is not None or intent.share is not None:
        other = "a comparison" if intent.compare is not None else "a share"
        raise IntentError("cumulative", f"a running total and {other} cannot be asked together")
    if not metrics:
        raise IntentError("cumulative", "a running total needs at least one metric")
    _check_additive(metrics, catalog, "cumulative", "a running total")
    times = [
        g for g in group_by if isinstance(target(g.name, facts[0], "dimensions").dimension, TimeDimension)
    ]
    if len(times) != 1:
        choices = sorted({f"{d.name}__{g.value}" for t in facts for d in t.time_dimensions for g in d.grains})
        raise IntentError(
            "cumulative",
            "a running total adds up along one time dimension in dimensions"
            + (f", not {len(times)}" if times else " (e.g. by day or by month)"),
            choices,
        )
    return times[0].alias


def _check_compare(intent: Intent, metrics: tuple[Metric, ...], having: tuple[MetricCondition, ...]) -> None:
    if intent.time_range is None:
        raise IntentError("compare", "a comparison needs a time range: the period now (time_range)")
    if not metrics:
        raise IntentError("compare", "a comparison needs at least one metric")
    if intent.share is not None or intent.cumulative is not None:
        other = "a share" if intent.share is not None else "a running total"
        raise IntentError("compare", f"a comparison and {other} cannot be asked together; ask one at a time")
    if having:
        raise IntentError(
            "compare", "a comparison cannot filter on a metric: which period would the filter apply to?"
        )


def _compare_window(
    intent: Intent,
    window: TimeWindow | None,
    facts: tuple[Table, ...],
    group_by: list[GroupBy],
    target: Callable[[str, Table, str], DimensionTarget],
    as_of: dt.date,
) -> TimeWindow:
    """The earlier period of a comparison, after checking that both periods mean something: the same
    metrics, groups and filters over two time ranges of the same time dimension, joined on the groups."""
    assert intent.compare is not None
    tr = intent.time_range
    assert window is not None and tr is not None
    for fact in facts:
        name = tr.dimension or fact.default_time_dimension
        if name is None:
            raise IntentError(
                "compare",
                f"{fact.name} counts what exists now, so its periods cannot be compared; "
                "say which date to compare by (time_range.dimension)",
                sorted(d.name for d in fact.time_dimensions),
            )
        time_target = target(name, fact, "time_range.dimension")
        for g in group_by:
            if target(g.name, fact, "dimensions") == time_target:
                raise IntentError(
                    "compare",
                    f"grouping by {g.name} gives each period its own rows, so nothing would be compared; "
                    "drop it from the dimensions",
                )
    to = intent.compare.to
    if isinstance(to, str):
        start, end = previous_period(tr, window.start, window.end)
        words = "the previous period"
    else:
        if to.dimension is not None and to.dimension != tr.dimension:
            raise IntentError(
                "compare.to.dimension",
                "both periods are ranges of the same time dimension; set it on time_range only",
            )
        start, end = resolve_time_range(to, as_of)
        words = describe_time_range(to)
        if (start, end) == (window.start, window.end):  # "May vs last month", asked in June
            raise DatesDoNotOverlap(
                f"compare.to ({words}, {start} to {end}) is the same period as the time range "
                f"({window.description}), so every change would be 0; compare with another period, or "
                "leave compare.to out for the one before"
            )
    if start < MIN_DATE:
        raise PeriodBeforeDates(f"compare: the earlier period would start on {start}, before {MIN_DATE}")
    return TimeWindow(start, end, tr.dimension, words)


_ADDITIVE = (Aggregation.SUM, Aggregation.COUNT)


def _check_additive(metrics: tuple[Metric, ...], catalog: Catalog, field: str, what: str) -> None:
    """Only sums and counts add up across buckets (a distinct count would count a thing twice)."""
    choices = sorted(
        m.name
        for m in catalog.metrics.values()
        if m.type == MetricType.SIMPLE and catalog.measure(m.measure or "").measure.agg in _ADDITIVE
    )
    for m in metrics:
        if m.type != MetricType.SIMPLE or catalog.measure(m.measure or "").measure.agg not in _ADDITIVE:
            raise IntentError(field, f"{m.name} has no {what}: only sums and counts add up", choices)


def _check_share(intent: Intent, metrics: tuple[Metric, ...], catalog: Catalog) -> None:
    """A share divides a part by a whole of the same metric: that adds up only for sums and counts
    (a distinct count's part is still exact, but its groups do not add up to the total)."""
    assert intent.share is not None
    if not metrics:
        raise IntentError("share", "a share needs at least one metric", sorted(catalog.metrics))
    if not intent.share.part and not intent.dimensions:
        raise IntentError(
            "share",
            "a share of the total needs a breakdown (dimensions) or a part (share.part) to divide by it",
        )
    allowed = (*_ADDITIVE, Aggregation.COUNT_DISTINCT) if intent.share.part else _ADDITIVE
    choices = sorted(
        m.name
        for m in catalog.metrics.values()
        if m.type == MetricType.SIMPLE and catalog.measure(m.measure or "").measure.agg in allowed
    )
    for m in metrics:
        if m.type != MetricType.SIMPLE or catalog.measure(m.measure or "").measure.agg not in allowed:
            raise IntentError(
                "share",
                f"{m.name} has no share of a total: only sums and counts add up across groups",
                choices,
            )


def _group_aliases(intent: Intent) -> dict[int, str]:
    """Output column names: lower-case identifiers (PostgreSQL folds unquoted names), unique."""
    aliases: dict[int, str] = {}
    used: set[str] = set()
    for i, ref in enumerate(intent.dimensions):
        qualifier, _, bare = split_reference(ref.name)
        base = re.sub(r"\W+", "_", bare.replace(":", "_")).strip("_").lower() or "dimension"
        alias = f"{base}__{ref.grain.value}" if ref.grain else base
        if alias in used and qualifier:
            alias = f"{qualifier.lower()}__{alias}"
        n, candidate = 1, alias
        while candidate in used:
            n += 1
            candidate = f"{alias}_{n}"
        used.add(candidate)
        aliases[i] = candidate
    return aliases


def _without_repeats(intent: Intent) -> Intent:
    """Asking for the same dimension or metric twice means asking once."""
    dims = tuple(dict.fromkeys(intent.dimensions))
    metrics = tuple(dict.fromkeys(intent.metrics))
    if dims == intent.dimensions and metrics == intent.metrics:
        return intent
    return intent.model_copy(update={"dimensions": dims, "metrics": metrics})


def _listing_root(intent: Intent, filters: list[Filter], catalog: Catalog) -> Table:
    """For a query without metrics, the table whose rows are listed: one that reaches every dimension."""
    names = [d.name for d in intent.dimensions] + [f.field for f in filters]
    if intent.time_range is not None and intent.time_range.dimension:
        names.append(intent.time_range.dimension)
    for n in names:
        if not catalog.candidates(n):  # an unknown name: explain it rather than refuse
            catalog.resolve_dimension(n, catalog.model.tables[0], "dimensions")
    owners = dict.fromkeys(t.name for n in names for t, _ in catalog.candidates(n))
    for table in (catalog.tables[o] for o in owners):
        try:
            for n in names:
                catalog.resolve_dimension(n, table, "dimensions")
        except (IntentError, QueryRefused):
            continue
        return table
    raise QueryRefused(
        "dimensions: no single table reaches all of these dimensions through to-one joins; "
        "listing them together would pair unrelated rows"
    )


def _conformed(t: DimensionTarget, catalog: Catalog) -> DimensionTarget:
    """Dimensions that share a name on several tables are one concept (the cost table's region is the
    resource's region), so values, groups and synonyms declared on one apply to all."""
    d = t.dimension
    if not isinstance(d, Dimension) or d.enum or t.tag_key is not None:
        return t
    for _, other in catalog.dimensions.get(d.name, []):
        if isinstance(other, Dimension) and other.enum and other.type == d.type:
            merged = d.model_copy(
                update={"enum": other.enum, "groups": other.groups, "value_synonyms": other.value_synonyms}
            )
            return DimensionTarget(t.table, merged, t.path, t.tag_key)
    return t


def _check_grain(grain: Grain | None, t: DimensionTarget, field: str) -> Grain | None:
    if isinstance(t.dimension, TimeDimension):
        allowed = t.dimension.grains
        if grain is None:
            return allowed[0] if allowed else Grain.DAY
        if grain not in allowed:
            raise IntentError(
                field, f"{t.dimension.name} does not allow grain '{grain.value}'", [g.value for g in allowed]
            )
        return grain
    if grain is not None:
        raise IntentError(field, f"'{t.dimension.name}' is not a time dimension and takes no grain")
    return None


def typed_filter_value(f: Filter, t: DimensionTarget, catalog: Catalog, field: str) -> TypedValue:
    """The filter's value typed for the dimension it targets (groups and synonyms expanded)."""
    return _typed_value(f, _conformed(t, catalog), field)


def _typed_value(f: Filter, t: DimensionTarget, field: str) -> TypedValue:
    dim = t.dimension
    if f.op in (Op.IS_NULL, Op.IS_NOT_NULL):
        return None
    numeric = isinstance(dim, Dimension) and dim.type == DimensionType.NUMBER and t.tag_key is None
    if f.unit is not None and not numeric:
        raise IntentError(field, f"{dim.name} holds no numbers, so a value in {f.unit} does not apply to it")
    # not empty: Filter checks that an operator other than is (not) null has its value
    values: tuple[Scalar, ...] = (
        f.value if isinstance(f.value, tuple) else () if f.value is None else (f.value,)
    )
    if isinstance(dim, TimeDimension):
        if f.op == Op.CONTAINS:
            raise IntentError(field, f"'contains' does not apply to the time dimension {dim.name}")
        typed: list[Typed] = [_as_date(v, field) for v in values]
    elif t.tag_key is not None or dim.type == DimensionType.STRING:
        if f.op in _ORDERED_OPS and dim.enum:
            raise IntentError(
                field,
                f"'{f.op.value}' does not apply to {dim.name}, which has no order",
                ["=", "!=", "in", "not in"],
            )
        typed = []
        for v in values:
            if "\x00" in str(v):
                raise IntentError(field, "text values cannot contain NUL characters")
            typed.extend(_string_value(v, dim, f.op, field) if t.tag_key is None else [str(v)])
        if f.op in (Op.EQ, Op.NE) and len(typed) > 1:  # a group such as "europe" became several values
            return tuple(typed)
    elif dim.type == DimensionType.BOOLEAN:
        if f.op not in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
            raise IntentError(
                field, f"'{f.op.value}' does not apply to the yes/no dimension {dim.name}", ["=", "!="]
            )
        typed = [_as_bool(v, field) for v in values]
    else:
        if f.op == Op.CONTAINS:
            raise IntentError(field, f"'contains' does not apply to the number dimension {dim.name}")
        typed = [_in_unit(_as_number(v, field), f.unit, dim.unit, dim.name, field) for v in values]
    return tuple(typed) if isinstance(f.value, tuple) else typed[0]


def _in_unit(number: Decimal, written: Unit | None, unit: Unit | None, name: str, field: str) -> Decimal:
    """A filter's number in the unit of what it compares with: "5%" is 5 on a column of percentage
    points and 0.05 on one of fractions; "2 TB" is 2000 on a GB column. No unit: as written."""
    if written is None:
        return number
    if unit is None:
        raise IntentError(
            field,
            f"{name} has no unit in the model, so a value in {written} cannot be compared with it; "
            "write the value in the unit of the data, without unit",
        )
    if FAMILY[written] != FAMILY[unit]:
        raise IntentError(
            field,
            f"{name} is in {unit} ({FAMILY[unit]}), so a value in {written} ({FAMILY[written]}) does not "
            "compare with it",
            units_of(FAMILY[unit]),
        )
    return convert_value(number, written, unit)  # type: ignore[no-any-return]


def _conversions(intent: Intent, metrics: tuple[Metric, ...]) -> tuple[Conversion, ...]:
    """The units an intent asks its metrics in, checked: a metric of this query, in one unit, of the
    family of the metric's own unit."""
    asked = {m.name: m for m in metrics}
    out: dict[str, Conversion] = {}
    for i, request in enumerate(intent.units):
        field = f"units[{i}]"
        metric = asked.get(request.metric)
        if metric is None:
            choices = list(asked)
            raise IntentError(
                field,
                f"'{request.metric}' is not a metric of this query{_hint(request.metric, choices)}",
                choices,
            )
        if request.metric in out and out[request.metric].to != request.unit:
            raise IntentError(field, f"{request.metric} is asked in two units; ask for one")
        out[request.metric] = conversion(metric.name, metric.unit, request.unit, field)
    return tuple(out.values())


def _string_value(v: Scalar, dim: Dimension, op: Op, field: str) -> list[str]:
    s = str(v).lower() if isinstance(v, bool) else str(v)
    if not dim.enum or op == Op.CONTAINS:
        return [s]
    if s in dim.enum:
        return [s]
    low = s.lower().strip()
    for value in dim.enum:
        if value.lower() == low or low in (w.lower() for w in dim.value_synonyms.get(value, ())):
            return [value]
    for group_name, group in dim.groups.items():
        if low in (group_name, group_name.replace("_", " "), *(w.lower() for w in group.synonyms)):
            return list(group.values)
    choices = [*dim.enum, *dim.groups]
    raise IntentError(field, f"'{v}' is not a value of {dim.name}{_hint(s, choices)}", choices)


def _as_date(v: Scalar, field: str) -> dt.date:
    try:
        day = v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
    except ValueError:
        raise IntentError(field, f"'{v}' is not a date; write YYYY-MM-DD") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise IntentError(field, f"{day} is outside {MIN_DATE}..{MAX_DATE}")
    return day


def _as_bool(v: Scalar, field: str) -> bool:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    if text in ("true", "yes", "1", "t", "y"):
        return True
    if text in ("false", "no", "0", "f", "n"):
        return False
    raise IntentError(field, f"'{v}' is not true or false", ["true", "false"])


def _as_number(v: Scalar, field: str) -> Decimal:
    """Numbers become Decimal, so numeric columns are compared exactly (not as float8) and a list may
    mix integers and decimals."""
    if isinstance(v, (bool, dt.date)):
        raise IntentError(field, f"'{v}' is not a number")
    try:
        number = Decimal(str(v).strip())
    except InvalidOperation:
        raise IntentError(field, f"'{v}' is not a number") from None
    if not number.is_finite():
        raise IntentError(field, f"'{v}' is not a finite number")
    return number


def _metric_value(f: Filter, own: Unit | None, unit: Unit | None) -> TypedValue:
    """The number a metric filter compares with, in the unit the metric is shown in. A number without
    a unit is in the metric's own unit, whatever unit it is shown in: "over 20000" on cost shown in
    thousands of dollars is 20,000 dollars (20 as shown), never 20,000 thousands."""
    if f.op in (Op.CONTAINS, Op.IS_NULL, Op.IS_NOT_NULL, Op.IN, Op.NOT_IN):
        raise IntentError(
            "filters",
            f"metric filter on {f.field} must compare with a number",
            ["=", "!=", "<", "<=", ">", ">=", "between"],
        )
    field = f"filter on {f.field}"
    written = f.unit if f.unit is not None or own == unit else own
    if isinstance(f.value, tuple):
        return tuple(_in_unit(_as_number(v, field), written, unit, f.field, field) for v in f.value)
    if f.value is None:  # Filter allows no value only for is (not) null, refused above
        raise IntentError("filters", f"metric filter on {f.field} needs a number")
    return _in_unit(_as_number(f.value, field), written, unit, f.field, field)


def _time_window(
    intent: Intent,
    facts: tuple[Table, ...],
    catalog: Catalog,
    as_of: dt.date,
    target: Callable[[str, Table, str], DimensionTarget],
) -> tuple[TimeWindow | None, tuple[str, ...]]:
    tr = intent.time_range
    if tr is None:
        return None, ()
    start, end = resolve_time_range(tr, as_of)
    notes: list[str] = []
    if tr.dimension:
        for fact in facts:
            t = target(tr.dimension, fact, "time_range.dimension")
            if not isinstance(t.dimension, TimeDimension):
                raise IntentError(
                    "time_range.dimension",
                    f"'{tr.dimension}' is not a time dimension",
                    sorted({d.name for tb in catalog.model.tables for d in tb.time_dimensions}),
                )
    else:
        dated = [f for f in facts if f.default_time_dimension]
        undated = [f for f in facts if not f.default_time_dimension]
        if not dated:
            choices = sorted({d.name for f in facts for d in f.time_dimensions})
            raise IntentError(
                "time_range.dimension",
                f"{', '.join(f.name for f in facts)} has no default time dimension; say which "
                "date the time range applies to",
                choices,
            )
        for f in undated:
            notes.append(f"the time range does not apply to {f.name}, which counts what exists now")
    return TimeWindow(start, end, tr.dimension, describe_time_range(tr)), tuple(notes)


def _refuse_disjoint_dates(
    where: list[Condition],
    window: TimeWindow | None,
    facts: tuple[Table, ...],
    target: Callable[[str, Table, str], DimensionTarget],
) -> None:
    """A filter on the very date the time range is on, with no day in the range ("this month to
    date" and ``usage_date between May 1 and May 31``): the two are ANDed, so the answer would be
    empty, a confident "no data" for a question about data that exists. Refused, naming both; a
    filter that overlaps the range narrows it, as asked."""
    if window is None:
        return
    for fact in facts:
        own = target(window.dimension, fact, "time_range.dimension") if window.dimension else None
        ranged = (
            own.dimension
            if own
            else next((d for d in fact.time_dimensions if d.name == fact.default_time_dimension), None)
        )
        if ranged is None:
            continue
        for c in where:
            try:
                t = target(c.name, fact, c.name)
            except UserError:  # a condition for another of the query's tables
                continue
            if t.dimension is not ranged or t.table is not (own.table if own else fact):
                continue
            low, high = _date_bounds(c)
            if (high is not None and high < window.start) or (low is not None and low > window.end):
                shown = " and ".join(map(_shown, c.value)) if isinstance(c.value, tuple) else _shown(c.value)
                raise DatesDoNotOverlap(
                    f"the filter on {c.name} ({c.op.value} {shown}) and the time range "
                    f"({window.description}, {window.start} to {window.end}) are on the same date and "
                    "have no day in common, so nothing could match; ask for one range, or two periods "
                    "to compare"
                )


def _date_bounds(c: Condition) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day a condition on a date lets through (None: open)."""

    def day(v: object) -> dt.date | None:
        return v.date() if isinstance(v, dt.datetime) else v if isinstance(v, dt.date) else None

    values = c.value if isinstance(c.value, tuple) else (c.value,)
    days = [day(v) for v in values]
    if any(d is None for d in days) or not days:
        return None, None
    first, last = min(days), max(days)  # type: ignore[type-var]
    if c.op in (Op.GT, Op.GTE):
        return first, None
    if c.op in (Op.LT, Op.LTE):
        return None, last
    if c.op in (Op.EQ, Op.IN, Op.BETWEEN):
        return first, last
    return None, None


def _hint(name: str, choices: object) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)  # type: ignore[call-overload]
    return f"; did you mean '{close[0]}'?" if close else ""
