"""Change one part of the previous intent: "now only in <value>", "and by <dimension>?", "what about last
month?".

A follow-up says only what changes; everything it does not mention carries over. A new value for a
dimension replaces the old condition on that dimension (and any segment built on it), a new time
range replaces the old one, new metrics replace the old ones unless the user says "and"/"also".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from compiler.time_range import (
    MONTHS_IN,
    months_earlier,
    period_start,
    previous_period,
    resolve_time_range,
    shift,
)
from models.intent import (
    Cumulative,
    DimensionRef,
    Filter,
    Grain,
    Intent,
    MetricUnit,
    Op,
    OrderBy,
    Share,
    TimeRange,
)
from models.units import FAMILY, Unit
from runtime.mappers.english import (
    ADDING_STARTS,
    ALSO_WORDS,
    AUXILIARIES,
    EVERY_WORDS,
    FOLLOW_UP_STARTS,
    ONES,
    POINTING_BACK,
    POSSESSING_VERBS,
    PRECEDING_WORDS,
    PRONOUNS_BACK,
    SAME_SPAN_PHRASES,
    SUMMING_WORDS,
    THAT_AFTER,
    THAT_BACK,
    UNIT_SAID,
    WEAK_FOLLOW_UP_STARTS,
    WHICH_ROWS,
    WIDENING_STARTS,
)
from runtime.mappers.interpretation import Parts
from runtime.mappers.kinds import ItemKind, Role
from runtime.mappers.passes.state import period_unit
from runtime.mappers.reading import Reading
from runtime.mappers.senses import values_of
from runtime.mappers.tokens import Token
from runtime.mappers.vocabulary import Kind, Vocabulary

_STRONG = tuple(s for s in FOLLOW_UP_STARTS if s not in WEAK_FOLLOW_UP_STARTS)


def _starts(tokens: list[Token], phrases: tuple[str, ...]) -> bool:
    words = [t.text for t in tokens]
    return any(words[: len(p.split())] == p.split() for p in phrases)


def points_back(reading: Reading) -> bool:
    """The question speaks of the last answer's rows: "how many of those ...", "what did they cost"
    (a "they" with no noun before it in the question to stand for); not "those" compared with a
    number after the question's own nouns ("..., only those above $1,000")."""
    first_term = min(
        (it.start for it in reading.items if it.kind == ItemKind.TERM), default=len(reading.tokens)
    )
    # "cost by service, only those above $1,000": the groups just named, compared with a number
    compared_at = {it.start for it in reading.items if it.kind == ItemKind.QUANTITY}
    naming_rows = (Kind.TABLE, Kind.VALUE, Kind.DIMENSION, Kind.TAG_KEY, Kind.SEGMENT)
    rows_at = [it.start for it in reading.items if it.kind == ItemKind.TERM and it.has(*naming_rows)]
    tokens = reading.tokens
    return any(
        (t.text in POINTING_BACK and not (i > first_term and compared_at & {i + 1, i + 2, i + 3}))
        or (
            t.text in PRONOUNS_BACK  # "what did they cost", "how much storage do they use"
            and (i < first_term or not any(at < i for at in rows_at) or _possessor(reading, i))
        )
        or (t.text in ONES and not any(at < i for at in rows_at))  # "the expensive ones": of what?
        or (t.text == THAT_BACK and (i == len(tokens) - 1 or (i > 0 and tokens[i - 1].text in THAT_AFTER)))
        for i, t in enumerate(tokens)
    )


def _possessor(reading: Reading, i: int) -> bool:
    """ "how many resources do they have": the pronoun owns the rows named right before it, so it is
    someone else's rows (the last answer's), not those rows ("what did they cost", "how many volumes
    are there and how much storage do they hold")."""
    tokens = reading.tokens
    if not (1 < i < len(tokens) - 1) or tokens[i - 1].text not in AUXILIARIES:
        return False
    if tokens[i + 1].text not in POSSESSING_VERBS:
        return False
    before = next((it for it in reading.items if it.end == i - 1), None)
    return (
        before is not None
        and before.kind == ItemKind.TERM
        and (before.has(Kind.TABLE) or (before.plural and before.has(Kind.VALUE)))
    )


def looks_like_follow_up(tokens: list[Token], parts: Parts, reading: Reading) -> bool:
    """Strong openers ("what about", "now", "and") and words that point back at the last answer's rows
    (``points_back``) always continue; otherwise a question that asks for nothing of its own (no
    metric, nothing to count or list) continues the conversation."""
    if _starts(tokens, _STRONG) or points_back(reading) or counts_no_rows(reading):
        return True
    return not parts.metrics and not parts.listing


def counts_no_rows(reading: Reading) -> bool:
    """ "how many are untagged?", "how many in prod?", "how many per region?": a count, or a share,
    that names no rows of its own is about the rows the last answer counted."""
    asks = any(
        it.kind == ItemKind.MARKER and set(it.roles) & {Role.COUNT, Role.RATIO} for it in reading.items
    )
    rows = any(
        it.kind == ItemKind.TERM and (it.has(Kind.TABLE) or (it.plural and it.has(Kind.VALUE)))
        for it in reading.items
    )
    return asks and not rows


def _fitting(metrics: Sequence[str], unit: Unit, vocab: Vocabulary) -> list[str]:
    """The metrics whose declared unit is of ``unit``'s family (those it can show in ``unit``)."""
    out = []
    for m in metrics:
        declared = vocab.field_unit(m)
        if declared is not None and FAMILY[declared] == FAMILY[unit]:
            out.append(m)
    return out


def unfit_units(previous: Intent, parts: Parts, vocab: Vocabulary) -> str | None:
    """What is wrong with a follow-up's "in <unit>" that fits none of the metrics it would show."""
    metrics = list(parts.metrics or previous.metrics)
    for text, unit in parts.pending_units:
        if not _fitting(metrics, unit, vocab):
            return f"'{text}': {unit.value} is not a unit of {', '.join(metrics) or 'the rows listed'}"
    shown = {u.metric: u.unit for u in previous.units}
    for f in parts.filters:
        # "only services over 50" after an answer in thousands: 50 dollars or 50 thousand?
        bare = f.unit is None and (f.field, f.value) not in parts.amounts_scaled
        if bare and f.field in shown and f.field not in parts.units and not parts.pending_units:
            said = UNIT_SAID.get(shown[f.field], shown[f.field].value)
            return (
                f"'{f.value}' with {f.field.replace('_', ' ')} shown in {said}: say the number's unit "
                "(e.g. '50 thousand dollars', '$50k', '2 TB')"
            )
    return None


def merge_follow_up(
    previous: Intent, parts: Parts, tokens: list[Token], vocab: Vocabulary, as_of: dt.date | None = None
) -> Intent:
    model = vocab.model
    text = f" {' '.join(t.text for t in tokens)} "
    # "also", "too", "as well" add to what was asked; a new grouping without them replaces the old
    # one ("and by region?" after "by service" is by region), new metrics after "and" join the old
    also = any(f" {p} " in text for p in ALSO_WORDS)
    words = {t.text for t in tokens}
    # "how many resources do they have" after a ranking: the ranked rows, their ranking kept
    about_them = previous.limit is not None and bool(words & (PRONOUNS_BACK | POINTING_BACK))
    adding = also or _starts(tokens, ADDING_STARTS) or about_them
    prev = previous.model_copy(update={"previous": None})
    every = _every(tokens, vocab)  # "all services": no condition on the service any more

    metrics = list(prev.metrics)
    if parts.metrics:
        metrics = list(dict.fromkeys([*metrics, *parts.metrics])) if adding else list(parts.metrics)

    dims = list(prev.dimensions)
    new_dims = [
        d for d in parts.dimensions if (not parts.listing or not prev.metrics) and d.name not in every
    ]
    if new_dims:
        new_time = [d for d in new_dims if d.grain is not None]
        if new_time:
            dims = [d for d in dims if d.grain is None]
        if parts.replaced_dimensions or not (also or (new_time and len(new_dims) == len(new_time))):
            dims = [d for d in dims if d.grain is not None] if not new_time else []
        for d in new_dims:
            if d not in dims:
                dims.append(d)
    if not prev.metrics and parts.listing and not parts.metrics:
        dims = list(prev.dimensions)
    if not prev.metrics and parts.metrics and not new_dims:
        dims = []  # "how many of those ...": the rows listed before, counted; their columns are no groups
    counted = _counted_rows(prev, vocab)
    if counted and asks_for_rows(tokens, parts) and not parts.metrics and not new_dims:
        metrics, dims = [], counted  # "list them", "which ones are sandbox?" after a count: those rows
    elif (
        prev.count_groups is not None and asks_for_rows(tokens, parts) and not parts.metrics and not new_dims
    ):
        dims = [*_named_groups(prev.count_groups.of, vocab), *dims]  # "which ones?": the groups counted

    for g in parts.pending_grains:
        series = _series_dimension(prev, metrics, vocab)
        if series is not None:
            dims = [d for d in dims if d.name != series]
            dims.insert(0, DimensionRef(name=series, grain=g or Grain.MONTH))

    new_filters = list(parts.filters)
    segments_by_field = {s.name: {f.field for f in s.filters} for s in model.segments}
    prev_filters, prev_segments = _expand_touched_segments(prev, parts, vocab, segments_by_field)
    summed = bool(words & SUMMING_WORDS)  # "and eu-central-1 combined": one total for both
    if also or summed or _starts(tokens, WIDENING_STARTS):
        new_filters, dims = _widened(prev_filters, new_filters, dims, summed)
    kept: list[Filter] = []
    for old in prev_filters:
        related = vocab.related.get(old.field, set())
        clash = next(
            (f for f in new_filters if f.field in related and f.op == Op.EQ and isinstance(f.value, str)),
            None,
        )
        if clash is None:
            kept.append(old)
            continue
        nested = vocab.nested_value(clash.field, clash.value, old.field)  # type: ignore[arg-type]
        if nested is not None and old.op == Op.EQ:
            # "what about <parent value>?" after a nested value: keep asking about the same kind of thing
            kept.append(Filter(field=old.field, op=Op.EQ, value=nested))
            new_filters.remove(clash)
    new_fields = {f.field for f in new_filters}
    filters: list[Filter] = [f for f in kept if f.field not in new_fields and f.field not in every]
    segments = [s for s in prev_segments if not (segments_by_field.get(s, set()) & new_fields)]
    new_segment_fields = {f for s in parts.segments for f in segments_by_field.get(s, set())}
    filters = [f for f in filters if f.field not in new_segment_fields]
    filters.extend(new_filters)
    for s in parts.segments:
        if s not in segments:
            segments.append(s)

    time_range = prev.time_range
    dated = any(vocab.default_time.get(t) for m in metrics for t in vocab.metric_tables.get(m, ()))
    if time_range is not None and not time_range.dimension and not dated and parts.time_range is None:
        time_range = None  # the new metric's table has no date, so the old range cannot apply
    if parts.before_previous is not None and time_range is not None and as_of is not None:
        time_range = _period_before(time_range, parts.before_previous, as_of, parts.before_n)
    elif parts.period_before and time_range is not None and as_of is not None:
        time_range = _one_before(time_range, as_of)
    if parts.time_range is not None:
        time_range = parts.time_range
        if any(f" {p} " in text for p in SAME_SPAN_PHRASES) and prev.time_range is not None and as_of:
            time_range = _same_days(prev.time_range, time_range, as_of)
        elif (
            words & PRECEDING_WORDS
            and time_range.kind == "previous"
            and time_range.n == 1
            and not time_range.skip
            and time_range.unit is not None
            and prev.time_range is not None
            and period_unit(prev.time_range) == time_range.unit
            and as_of
        ):  # "cost in March" -> "and the previous month?": February, not the month before today
            time_range = _period_before(prev.time_range, time_range.unit, as_of)
        if prev.time_range is not None and prev.time_range.dimension and not time_range.dimension:
            time_range = time_range.model_copy(update={"dimension": prev.time_range.dimension})
    elif parts.all_time:
        time_range = None

    order_by, limit = list(prev.order_by), prev.limit
    if parts.order_by or parts.limit:
        order_by, limit = list(parts.order_by), parts.limit
    elif prev.order_by and parts.metrics and "by" in words and not new_dims:
        # "top 5 accounts by cost" -> "and by resource count?": the same ranking, by the new metric
        order_by = [prev.order_by[0].model_copy(update={"field": parts.metrics[0]})]
    elif parts.rank is not None and metrics:
        direction, n = parts.rank
        target = (
            parts.sort_metric
            if parts.sort_metric in metrics
            else (prev.order_by[0].field if prev.order_by else metrics[0])
        )
        order_by, limit = [OrderBy(field=target, direction=direction)], n or prev.limit
    if metrics != list(prev.metrics) and order_by:
        order_by = [
            o.model_copy(update={"field": metrics[0]})
            if o.field in prev.metrics and o.field not in metrics
            else o
            for o in order_by
        ]
    names = {*metrics, *(d.name for d in dims)}
    order_by = [o for o in order_by if o.field in names]
    if not order_by and not parts.limit:
        limit = None if prev.order_by else limit

    # a comparison, running total or share carries over like the rest; one said anew replaces it
    compare = parts.compare or prev.compare
    if not parts.compare and parts.time_range is not None and compare and not isinstance(compare.to, str):
        compare = None  # "and in April?" after "from March to April": no longer the period named
    cumulative = Cumulative() if parts.cumulative else prev.cumulative
    share = Share(part=tuple(parts.share_part)) if parts.share_part is not None else prev.share
    if parts.cumulative:  # one of the three: the one said last
        compare, share = None, None
    elif parts.compare:
        cumulative, share = None, None
    elif parts.share_part is not None:
        compare, cumulative = None, None
    # a unit asked for carries over for the metrics still shown; one said anew replaces it
    shown = {u.metric: u.unit for u in prev.units} | parts.units
    for _, unit in parts.pending_units:
        shown |= {m: unit for m in _fitting(metrics, unit, vocab)}
    units = tuple(MetricUnit(metric=m, unit=u) for m, u in shown.items() if m in metrics)
    filters = _pinned_units(filters, units, vocab)
    # still a count of groups, unless the follow-up groups by what was counted
    count_groups = prev.count_groups
    if count_groups is not None and {d.name for d in count_groups.of} & {d.name for d in dims}:
        count_groups = None
    return Intent(
        metrics=tuple(metrics),
        dimensions=tuple(_dedupe(dims)),
        filters=tuple(filters),
        segments=tuple(segments),
        time_range=time_range,
        order_by=tuple(order_by),
        limit=limit,
        timezone=prev.timezone,
        share=share,
        compare=compare,
        cumulative=cumulative,
        units=units,
        count_groups=count_groups,
        previous=prev,
    )


def _pinned_units(filters: Sequence[Filter], units: Sequence[MetricUnit], vocab: Vocabulary) -> list[Filter]:
    """A number compared with a metric is in the metric's own unit unless it says another; when the
    metric is shown in another unit ("accounts with more than 20k spend" -> "in thousands", "only
    services over $50k" after an answer in thousands) that unit is written on the filter, so the
    reading says it ("cost > 20000 USD"). A bare number said while the metric is shown in another
    unit is asked back first (``unfit_units``)."""
    shown = {u.metric: u.unit for u in units}
    out: list[Filter] = []
    for f in filters:
        own = vocab.field_unit(f.field)
        if f.unit is None and f.field in shown and own is not None and shown[f.field] != own:
            f = f.model_copy(update={"unit": own})
        out.append(f)
    return out


def asks_for_rows(tokens: Sequence[Token], parts: Parts) -> bool:
    """ "list them", "show those", "which ones are sandbox?", "which are in prod?": the rows, said
    with a word for them or with "which" ("what about <value>?" is no such question)."""
    words = {t.text for t in tokens}
    return bool(
        (Role.LIST in parts.markers or words & WHICH_ROWS)
        and words & (POINTING_BACK | PRONOUNS_BACK | ONES | WHICH_ROWS)
    )


def _named_groups(of: Sequence[DimensionRef], vocab: Vocabulary) -> list[DimensionRef]:
    """The groups a count of groups counted, as a listing names them: a table's key with its labels
    ("which ones?" after "how many accounts ..." shows the accounts' names too)."""
    out: list[DimensionRef] = []
    for d in of:
        labels = next((ls for ls in vocab.label_dimensions.values() if ls and ls[0] == d.name), (d.name,))
        out.extend(d if n == d.name else DimensionRef(name=n) for n in labels)
    return out


def _counted_rows(prev: Intent, vocab: Vocabulary) -> list[DimensionRef]:
    """The columns that name the rows a previous count counted (one count, no groups), else none."""
    if len(prev.metrics) != 1 or prev.dimensions or prev.order_by or prev.count_groups is not None:
        return []
    table = next((t for t, m in vocab.count_metric.items() if m == prev.metrics[0]), None)
    return [DimensionRef(name=n) for n in vocab.label_dimensions.get(table, ())] if table else []


def _widened(
    prev_filters: Sequence[Filter], new_filters: list[Filter], dims: list[DimensionRef], summed: bool = False
) -> tuple[list[Filter], list[DimensionRef]]:
    """ "add dev too": a value said with "also"/"too"/"add" joins the values the previous question
    kept to, instead of replacing them, and each value's rows are shown side by side, as "prod and
    dev spend by service" shows them."""
    joinable = (Op.EQ, Op.IN)
    old = {f.field: f for f in prev_filters if f.op in joinable}
    out: list[Filter] = []
    for f in new_filters:
        before = old.get(f.field)
        said = (*values_of(before), *values_of(f)) if before is not None else ()
        if before is None or f.op not in joinable or not all(isinstance(v, str) for v in said):
            out.append(f)
            continue
        joined = [v for v in dict.fromkeys(said) if isinstance(v, str)]  # (all are, checked above)
        out.append(Filter(field=f.field, op=Op.IN, value=tuple(joined)) if len(joined) > 1 else f)
        if len(joined) > 1 and not summed and all(d.name != f.field for d in dims):  # each value a row
            dims = [*dims, DimensionRef(name=f.field)]
    return out, dims


def _expand_touched_segments(
    prev: Intent, parts: Parts, vocab: Vocabulary, segments_by_field: dict[str, set[str]]
) -> tuple[list[Filter], list[str]]:
    """A previous segment that the follow-up changes part of ("and for <other kind>?" after "<segment>")
    becomes its conditions, so the part named anew is replaced and the rest carries over, as it would
    had the conditions been said one by one."""
    touched_fields = {f.field for f in parts.filters} | {
        f for s in parts.segments for f in segments_by_field.get(s, set())
    }
    touched_fields |= {r for f in set(touched_fields) for r in vocab.related.get(f, set())}
    filters = list(prev.filters)
    segments: list[str] = []
    for name in prev.segments:
        seg = next((s for s in vocab.model.segments if s.name == name), None)
        if seg is None or not ({f.field for f in seg.filters} & touched_fields) or name in parts.segments:
            segments.append(name)
            continue
        filters.extend(f for f in seg.filters if f not in filters)
    return filters, segments


def _series_dimension(prev: Intent, metrics: list[str], vocab: Vocabulary) -> str | None:
    if prev.time_range is not None and prev.time_range.dimension:
        return prev.time_range.dimension
    for d in prev.dimensions:
        if d.grain is not None:
            return d.name
    for m in metrics:
        for t in vocab.metric_tables.get(m, ()):
            if vocab.default_time.get(t):
                return vocab.default_time[t]
            own = vocab.table_time_dimensions.get(t, [])
            if len(own) == 1:
                return own[0]
    return None


def _dedupe(dims: list[DimensionRef]) -> list[DimensionRef]:
    return list(dict.fromkeys(dims))


__all__ = ["looks_like_follow_up", "merge_follow_up"]


def _every(tokens: Sequence[Token], vocab: Vocabulary) -> set[str]:
    """The dimensions a follow-up says "all"/"every" of ("now all services"): their conditions go."""
    out: set[str] = set()
    for i, t in enumerate(tokens[:-1]):
        if t.text in EVERY_WORDS:
            nxt = tokens[i + 1]
            found = vocab.phrases.get((nxt.key,)) or vocab.phrases.get((nxt.text,)) or []
            out.update(m.name for m in found if m.kind in (Kind.DIMENSION, Kind.TAG_KEY))
    return out


def _same_days(before: TimeRange, period: TimeRange, as_of: dt.date) -> TimeRange:
    """ "the first ten days of April", then "the same days in May": the days of the month the previous
    range covered, in the month said (cut at its end); the period itself when the previous range was
    not days of one month."""
    try:
        start, end = resolve_time_range(before, as_of)
        first, last = resolve_time_range(period, as_of)
    except ValueError:
        return period
    if (start.year, start.month) != (end.year, end.month) or (first.year, first.month) != (
        last.year,
        last.month,
    ):
        return period
    a, b = first.replace(day=min(start.day, last.day)), first.replace(day=min(end.day, last.day))
    return TimeRange(kind="between", start=a, end=b, dimension=period.dimension or before.dimension)


def _period_before(tr: TimeRange, unit: Grain, as_of: dt.date, n: int = 1) -> TimeRange:
    """ "the <unit> before that", "the <n> <units> before that": that many calendar <unit>s just
    before the previous range starts; relative when the previous range was ("yesterday" -> the day
    before yesterday, "the last 3 months" -> the 3 months before them), dates otherwise ("the last 30
    days" -> the 30 days before them)."""
    if tr.unit == unit and tr.kind == "previous":
        return tr.model_copy(update={"n": n, "skip": tr.skip + tr.n})
    if tr.unit == unit and tr.kind == "current":
        return TimeRange(kind="previous", unit=unit, n=n, dimension=tr.dimension)
    try:
        start, _ = resolve_time_range(tr, as_of)
    except ValueError:
        return tr
    end = start - dt.timedelta(days=1)
    months = MONTHS_IN.get(unit, 0)
    if tr.kind == "trailing":  # "the last 7 days" -> "the week before that": the 7 days before them
        first = months_earlier(start, months * n) if months else shift(start, unit, -n)
    else:
        first = period_start(end, unit)
        first = months_earlier(first, months * (n - 1)) if months else shift(first, unit, 1 - n)
    return TimeRange(kind="between", start=first, end=end, dimension=tr.dimension)


# the unit of a named calendar period, for "the one before that"
_NAMED_UNITS = {"month": Grain.MONTH, "quarter": Grain.QUARTER, "year": Grain.YEAR}


def _one_before(tr: TimeRange, as_of: dt.date) -> TimeRange:
    """ "the one before that": the period as long as the previous range, just before it; a relative
    range stays relative ("last month" -> the month before last), a named period is the one before it
    (March -> February), any other span the same number of days before."""
    unit = tr.unit if tr.kind in ("previous", "current") else _NAMED_UNITS.get(tr.kind)
    if unit is not None and tr.kind != "trailing":
        return _period_before(tr, unit, as_of)
    try:
        start, end = previous_period(tr, *resolve_time_range(tr, as_of))
    except ValueError:
        return tr
    return TimeRange(kind="between", start=start, end=end, dimension=tr.dimension)
