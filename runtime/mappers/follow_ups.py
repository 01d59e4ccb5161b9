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
    describe_time_range,
    months_earlier,
    period_start,
    previous_period,
    resolve_time_range,
    shift,
)
from models.intent import (
    Compare,
    CountGroups,
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
from runtime.describe import describe_filter
from runtime.mappers.english import (
    ADDING_STARTS,
    ALSO_WORDS,
    AUXILIARIES,
    EVERY_WORDS,
    FOLLOW_UP_STARTS,
    MARKERS,
    ONES,
    POINTING_BACK,
    POSSESSING_VERBS,
    PRECEDING_WORDS,
    PRONOUNS_BACK,
    RANKED_BACK,
    REPLACING_WORDS,
    SAME_SPAN_PHRASES,
    SUMMING_WORDS,
    THAT_AFTER,
    THAT_BACK,
    THERE_IS,
    UNIT_SAID,
    WEAK_FOLLOW_UP_STARTS,
    WHICH_ROWS,
    WHOLE_WORDS,
    WIDENING_STARTS,
)
from runtime.mappers.interpretation import Parts
from runtime.mappers.kinds import ItemKind, Role
from runtime.mappers.passes.queries import kind_keys, without_rate_series
from runtime.mappers.passes.state import period_unit
from runtime.mappers.passes.time import forward, grain_for
from runtime.mappers.reading import Reading
from runtime.mappers.senses import values_of
from runtime.mappers.tokens import Token, singular
from runtime.mappers.vocabulary import Kind, Vocabulary

_STRONG = tuple(s for s in FOLLOW_UP_STARTS if s not in WEAK_FOLLOW_UP_STARTS)
# the words of a comparison that a follow-up says to set the last period against another
COMPARING = tuple(p for p in MARKERS[Role.COMPARE] if p not in ("each of", "respectively", "side by side"))


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
    if {t.text for t in tokens} & REPLACING_WORDS:  # "by number of instances instead"
        return True
    if _starts(tokens, (*WIDENING_STARTS, "plus")) or _ends(tokens, MARKERS[Role.ALSO]):
        return True  # "add storage too", "plus the cost", "show storage as well": added to the last one
    return (not parts.metrics and not parts.listing) or only_a_metric(tokens, parts, reading)


def only_a_metric(tokens: list[Token], parts: Parts, reading: Reading) -> bool:
    """ "how much storage?", "total storage in TB", "cost last month", "what is the average per day?"
    after an answer: an amount and nothing of its own to compute it over (no rows, values, groups or
    ranking) is the amount of the last answer's rows; read anew it was the whole estate's (1,665,857.9
    GB of storage after "how many unattached volumes", not their 25,852). A word for the whole ("our
    total cost", "overall", "all resources") asks for it anew."""
    if not parts.metrics or parts.listing or parts.filters or parts.segments or parts.dimensions:
        return False
    if parts.order_by or parts.limit or parts.rank or parts.share_part is not None or parts.compare:
        return False
    if {t.text for t in tokens} & WHOLE_WORDS:
        return False
    terms = [it for it in reading.items if it.kind == ItemKind.TERM]
    return bool(terms) and all(it.has(Kind.METRIC) for it in terms)


def adds_to_last(tokens: list[Token]) -> bool:
    """ "add X", "throw in X", "X too", "plus X", "X as well": what is said joins the last question."""
    text = f" {' '.join(t.text for t in tokens)} "
    return _starts(tokens, WIDENING_STARTS) or any(f" {p} " in text for p in ALSO_WORDS)


def _ends(tokens: list[Token], phrases: tuple[str, ...]) -> bool:
    words = [t.text for t in tokens]
    return any(p.split() == words[-len(p.split()) :] for p in phrases)


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


def _says_compare(tokens: list[Token]) -> bool:
    words = [t.text for t in tokens]
    return any(words[i : i + len(p.split())] == p.split() for p in COMPARING for i in range(len(words)))


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
    about_them = previous.limit is not None and ranked_rows_word(tokens) is not None
    adding = also or _starts(tokens, (*ADDING_STARTS, *WIDENING_STARTS)) or about_them
    prev = previous.model_copy(update={"previous": None})
    every = _every(tokens, vocab)  # "all services": no condition on the service any more

    metrics = list(prev.metrics)
    if parts.metrics:
        metrics = list(dict.fromkeys([*metrics, *parts.metrics])) if adding else list(parts.metrics)

    dims = list(prev.dimensions)
    new_dims = [
        d for d in parts.dimensions if (not parts.listing or not prev.metrics) and d.name not in every
    ]
    if parts.auto_series and any(d.grain is not None for d in prev.dimensions):
        # "cost last week by day" -> "for s3, running total": along the days already asked, not a
        # series of months a range-less follow-up would get
        new_dims = [d for d in new_dims if d.grain is None]
    if new_dims:
        new_time = [d for d in new_dims if d.grain is not None]
        if new_time:
            dims = [d for d in dims if d.grain is None]
        # "who owns it?" after "the largest bucket": the same ranked rows, with the new column
        columns_added = about_them and not prev.metrics and not parts.metrics
        if not columns_added and (
            parts.replaced_dimensions or not (also or (new_time and len(new_dims) == len(new_time)))
        ):
            dims = [d for d in dims if d.grain is not None] if not new_time else []
        for d in new_dims:
            if d not in dims:
                dims.append(d)
    ranked_one = bool(parts.order_by or parts.rank) and new_dims and set(new_dims) <= set(prev.dimensions)
    if ranked_one and len(prev.dimensions) > len(new_dims) and prev.metrics:
        # "which quarter was the most expensive?" after cost by quarter and business unit: the quarters'
        # totals ranked, not the top (quarter, unit) pair named as if it were the quarter
        dims = list(new_dims)
    if not prev.metrics and parts.listing and not parts.metrics:
        dims = list(prev.dimensions)
    if not prev.metrics and parts.metrics and not new_dims:
        dims = []  # "how many of those ...": the rows listed before, counted; their columns are no groups
    counted, counted_part = _counted_rows(prev, vocab)
    rows_asked = asks_for_rows(tokens, parts) and not parts.metrics and not new_dims
    owners = _other_tables_named(tokens, vocab, prev)
    listed_part: tuple[Filter, ...] = ()
    counted_held = [f for f in prev.filters if f.field in vocab.metrics]
    regrouped = False
    if rows_asked and prev.count_groups is not None and owners and not counted_held and (
        not set(owners) & {d.name for d in prev.count_groups.of}
    ):
        # "how many regions have public buckets" -> "which accounts?": the accounts with such rows
        # (the regions came back)
        dims, regrouped = [DimensionRef(name=n) for n in owners], True
    elif rows_asked and prev.count_groups is not None:
        dims = _with_labels(prev.count_groups.of, vocab)  # "which ones?" after "how many accounts ..."
    elif rows_asked and owners and prev.metrics:
        # "which accounts?" after a count of buckets, or after one by region: by account instead (a
        # series keeps its dates); it answered the regions again
        dims = [*(d for d in prev.dimensions if d.grain is not None), *(DimensionRef(name=n) for n in owners)]
    elif counted and rows_asked:
        metrics, dims = [], counted  # "list them", "which ones are sandbox?" after a count: those rows
        listed_part = counted_part  # "list them" after "what percent of buckets are public": those

    for g in parts.pending_grains:
        series = series_dimension(prev, metrics, vocab)
        if g is None and any(d.name == series and d.grain is not None for d in dims):
            continue  # "cost last week by day" -> "running total": along the days already asked
        if series is not None:
            dims = [d for d in dims if d.name != series]
            # "cost by service last month" -> "running total": along the days of that month
            grain = g or grain_for(parts.time_range or prev.time_range)
            dims.insert(0, DimensionRef(name=series, grain=grain))

    new_filters = [*listed_part, *parts.filters]
    share_part = _share_part_replaced(prev, parts, vocab)
    if share_part is not None:  # "what share of cost was ec2" -> "and s3?": the part is s3 now
        new_filters = [f for f in new_filters if f not in parts.filters]
    segments_by_field = {s.name: {f.field for f in s.filters} for s in model.segments}
    prev_filters, prev_segments = _expand_touched_segments(prev, parts, vocab, segments_by_field)
    summed = bool(words & SUMMING_WORDS)  # "and eu-central-1 combined": one total for both
    if also or summed or _starts(tokens, WIDENING_STARTS):
        new_filters, dims = _widened(prev_filters, new_filters, dims, summed)
    if not words & {"instead", "rather"}:
        new_filters = _excluded_too(prev_filters, new_filters)
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

    # "compared to April", "vs the month before" after "cost last month": the last period against it
    against = parts.compare is None and prev.time_range is not None and _says_compare(tokens)
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
    created = _dated_rows_kept(prev, parts, metrics, vocab, as_of)
    if created is not None:
        # "how many volumes were created this quarter" -> "cost last month": May's cost of the volumes
        # created this quarter; the new period went onto the creation date, the cost unbounded
        filters.append(created)
        time_range = parts.time_range.model_copy(update={"dimension": None}) if parts.time_range else None

    order_by, limit, offset = list(prev.order_by), prev.limit, prev.offset
    if parts.order_by or parts.limit:
        order_by, limit, offset = list(parts.order_by), parts.limit, parts.offset
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
        offset = parts.offset  # a ranking said anew ("and the cheapest?"): its own position, if any
    elif parts.rank is not None and not metrics and prev.order_by:
        # "the largest bucket" -> "and the second smallest?": the listing ranked the other way round
        direction, n = parts.rank
        order_by = [prev.order_by[0].model_copy(update={"direction": direction})]
        limit, offset = n or prev.limit, parts.offset
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
    if not order_by or limit is None:
        offset = None

    # a comparison, running total or share carries over like the rest; one said anew replaces it
    compare = parts.compare or prev.compare
    if not parts.compare and parts.time_range is not None and compare and not isinstance(compare.to, str):
        compare = None  # "and in April?" after "from March to April": no longer the period named
    widened = also or _starts(tokens, WIDENING_STARTS)
    if widened and not against and not prev.compare and parts.time_range is not None:
        against = True  # "add April too" after "cost in May": both periods side by side, as a change does
    to_date, before = prev.time_range, parts.time_range
    just_before = (
        to_date is not None
        and before is not None
        and to_date.kind == "current"
        and before == TimeRange(kind="previous", unit=to_date.unit)
    )  # "cost this month" -> "vs last month", "change from last month": the same days of last month
    if just_before and (against or parts.compare is not None):
        time_range, compare = to_date, Compare(to="previous_period")
    elif (
        against
        and to_date is not None
        and as_of is not None
        and before == TimeRange(kind="previous", unit=Grain.YEAR)
        and any(f" {p} " in text for p in SAME_SPAN_PHRASES)
    ):  # "cost this month" -> "compared to the same period last year": those days a year earlier
        time_range, compare = to_date, Compare(to=_year_earlier(to_date, as_of))
    elif against and prev.time_range is not None and as_of is not None:
        if parts.time_range is not None:  # "compared to April": forward in time, as a change reads
            now, then = forward(prev.time_range, parts.time_range, as_of)
            time_range, compare = now, Compare(to=then)
        elif parts.before_previous is not None or parts.period_before:  # "vs the month before"
            time_range, compare = prev.time_range, Compare(to="previous_period")
    cumulative = Cumulative() if parts.cumulative else prev.cumulative
    if not parts.cumulative and any(vocab.metric_aggregation(m) not in ("sum", "count") for m in metrics):
        cumulative = None  # "running total" -> "what is the average per day?": an average adds nothing up
    share = Share(part=tuple(parts.share_part)) if parts.share_part is not None else prev.share
    if share_part is not None:
        share = Share(part=share_part)
    if listed_part:
        share = None
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
    # still a count (an average) of groups, unless the follow-up groups by what was counted (averaged
    # over), or asks for what the groups' amounts cannot be averaged as (a share, a change)
    count_groups, average_groups = prev.count_groups, prev.average_groups
    if count_groups is not None and ({d.name for d in count_groups.of} & {d.name for d in dims} or regrouped):
        count_groups = None
    if average_groups is not None and (
        {d.name for d in average_groups.of} & {d.name for d in dims} or share or compare or cumulative
    ):
        average_groups = None
    counting = {t for t, m in vocab.count_metric.items() if m in parts.metrics}
    if counting and not adding and set(parts.metrics) <= set(vocab.count_metric.values()):
        # "how many accounts?" after "average cost per account" or "cost by account": the accounts
        # counted, not each account's count of itself (1.00, or 24 rows of 1)
        average_groups = None
        labels = {n for t in counting for n in vocab.label_dimensions.get(t, ())}
        own = [d for d in dims if d.name in labels]
        held = [f for f in filters if f.field in vocab.metrics and f.field not in parts.metrics]
        if own and held and count_groups is None:
            # "which accounts spent less than 5000 last month" -> "how many accounts?": those groups counted
            metrics = list(prev.metrics)
            count_groups = CountGroups(of=(own[0],))
            time_range = time_range or prev.time_range  # the groups' amount keeps its period
        dims = [d for d in dims if d not in own]
    merged = Intent(
        metrics=tuple(metrics),
        dimensions=tuple(_dedupe(dims)),
        filters=tuple(filters),
        segments=tuple(segments),
        time_range=time_range,
        order_by=tuple(order_by),
        limit=limit,
        offset=offset,
        timezone=prev.timezone,
        share=share,
        compare=compare,
        cumulative=cumulative,
        units=units,
        count_groups=count_groups,
        average_groups=average_groups,
        previous=prev,
    )
    return without_rate_series(merged, vocab)


def kind_fields(vocab: Vocabulary) -> set[str]:
    """The fields whose values are kinds of rows: those a dimension's ``applies_to`` names (the rows
    that have a value at all), and the fields related to them."""
    out = kind_keys(vocab)
    return out | {r for f in set(out) for r in vocab.related.get(f, set())}


def kept_without_kind(previous: Intent, parts: Parts, intent: Intent, vocab: Vocabulary) -> str | None:
    """Why a follow-up that names another kind of rows ("how many running instances" -> "and
    databases?") cannot keep what only fitted the first kind, or None. A segment whose kind is replaced
    would be kept half (the running state, now of databases: 0); a kept condition on a dimension that,
    by its ``applies_to``, has no value for the new kind can match nothing. Asked back, not answered 0."""
    kinds = kind_fields(vocab)
    said = {f.field for f in parts.filters if f.op in (Op.EQ, Op.IN)} & kinds
    if not said:
        return None
    said |= {r for f in set(said) for r in vocab.related.get(f, set())}
    for name in previous.segments:
        seg = next((s for s in vocab.model.segments if s.name == name), None)
        if seg is None or name in parts.segments:
            continue
        fields = {f.field for f in seg.filters}
        if fields & said and fields - said:
            kept = ", ".join(describe_filter(f) for f in seg.filters if f.field not in said)
            new = " and ".join(describe_filter(f) for f in parts.filters if f.field in said)
            return (
                f"'{name.replace('_', ' ')}' ({seg.description.rstrip('.') or kept}) names one kind of "
                f"rows: its other condition, {kept}, need not hold for {new}; ask in full, naming the "
                "state or condition you mean"
            )
    held = {f.field: set(values_of(f)) for f in intent.filters if f.op in (Op.EQ, Op.IN)}
    for f in intent.filters:
        dim = vocab.dimensions.get(f.field)
        if f in parts.filters or dim is None or not dim.applies_to:
            continue
        if any(key in held and not held[key] & set(values) for key, values in dim.applies_to.items()):
            return (
                f"{describe_filter(f)} is kept from the last question, but {f.field} has no value for "
                f"{' and '.join(describe_filter(g) for g in intent.filters if g.field in dim.applies_to)}; "
                "ask for it in full"
            )
    return None


def kind_questions(previous: Intent, parts: Parts, intent: Intent, vocab: Vocabulary) -> list[str]:
    """The follow-up about the new kind asked in full: its amount of all of them, then split by what
    did not carry over ("resource count of databases", "... by state"), for the caller to check."""
    noun = next((n for f in parts.filters if (n := _plural_word(vocab, f)) is not None), None)
    if noun is None or not intent.metrics:
        return []
    asked = f"{' and '.join(m.replace('_', ' ') for m in intent.metrics)} of {noun}"
    groups = [d.name.replace("_", " ") for d in intent.dimensions if d.grain is None]
    if groups:
        asked += f" by {' and '.join(groups)}"
    said = {f.field for f in parts.filters}
    said |= {r for f in set(said) for r in vocab.related.get(f, set())}
    left = [
        f.field
        for seg in vocab.model.segments
        if seg.name in previous.segments
        for f in seg.filters
        if f.field not in said
    ]
    when = f" {describe_time_range(intent.time_range)}" if intent.time_range is not None else ""
    split = [f"{asked} {'and' if groups else 'by'} {left[0].replace('_', ' ')}{when}"] if left else []
    return [f"{asked}{when}", *split]


def conditions_on_added(
    previous: Intent, parts: Parts, intent: Intent, tokens: list[Token], vocab: Vocabulary
) -> tuple[str, list[str]] | None:
    """ "cost by account" -> "plus the count of instances": one intent's conditions hold for every
    metric in it, so the instances would limit the cost shown before to instances too (another
    number under the same heading); "instances by region" -> "add the number of unattached volumes
    too": the same count of other rows beside it, which one answer cannot hold. Why it is asked
    back and the questions it could be (the added amount on its own, then both of those rows), or
    None when nothing said with the added amount changes the rows of the last one."""
    kept = [m for m in previous.metrics if m in intent.metrics]
    added = [m for m in intent.metrics if m not in previous.metrics]
    new = [f for f in intent.filters if f not in previous.filters]
    segments = [s for s in intent.segments if s not in previous.segments]
    lost = [f for f in previous.filters if f not in intent.filters] + [
        s for s in previous.segments if s not in intent.segments
    ]
    again = bool(parts.metrics) and set(parts.metrics) <= set(previous.metrics) and adds_to_last(tokens)
    if not ((kept and added) or (again and lost)) or not (new or segments):
        return None
    said = " and ".join([*(describe_filter(f) for f in new), *(s.replace("_", " ") for s in segments)])
    noun = next((n for f in new if (n := _plural_word(vocab, f)) is not None), None)
    named = [s.replace("_", " ") for s in segments]
    if noun and len(new) == 1 and not segments:
        rows = f" of {noun}"
    elif not new and len(named) == 1 and singular(named[0].split()[-1]) != named[0].split()[-1]:
        rows = f" of {named[0]}"  # "running instances"
    else:
        rows = f" where {said}"
    groups = [d.name.replace("_", " ") for d in intent.dimensions if d.grain is None]
    by = f" by {' and '.join(groups)}" if groups else ""
    when = f" {describe_time_range(intent.time_range)}" if intent.time_range is not None else ""
    if not added:
        return (
            f"{_metric_words(parts.metrics)}{rows}, beside the last answer's: one answer holds one "
            f"{_metric_words(parts.metrics)} per row; ask for them one at a time",
            list(
                dict.fromkeys(
                    (
                        f"{_metric_words(parts.metrics)}{rows}{by}{when}",
                        f"{_metric_words(parts.metrics)}{rows}{by}",
                    )
                )
            ),
        )
    added_words, kept_words = _metric_words(added), _metric_words(kept)
    why = (
        f"{said} came with {added_words}, but one question's conditions hold for all its numbers: "
        f"{kept_words} would become the {kept_words} of those rows only; ask for {added_words} on its "
        "own, or for both of those rows"
    )
    asked = (f"{_metric_words(added)}{rows}{by}{when}", f"{_metric_words(added)}{rows}{by}")
    return why, list(dict.fromkeys((*asked, f"{_metric_words(intent.metrics)}{rows}{by}{when}")))


def _metric_words(metrics: Sequence[str]) -> str:
    """Metric names as words in a message: "cost and resource count"."""
    return " and ".join(m.replace("_", " ") for m in metrics)


def _share_part_replaced(prev: Intent, parts: Parts, vocab: Vocabulary) -> tuple[Filter, ...] | None:
    """ "what share of cost last month was ec2" -> "and s3?": values said for the field of the share's
    part (or a related one) replace the part's condition, as they replace a filter's; kept as a
    filter they would leave the part on the old value, a share of nothing. None when none is said."""
    if prev.share is None or not prev.share.part or parts.share_part is not None or not parts.filters:
        return None
    part_fields = {f.field for f in prev.share.part}
    part_fields |= {r for f in set(part_fields) for r in vocab.related.get(f, set())}
    said = [f for f in parts.filters if f.field in part_fields]
    if len(said) != len(parts.filters):  # "and in prod?": a condition on the whole, not the part
        return None
    fields = {f.field for f in said} | {r for f in said for r in vocab.related.get(f.field, set())}
    return (*(f for f in prev.share.part if f.field not in fields), *said)


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


def ranked_rows_word(tokens: Sequence[Token]) -> str | None:
    """The word that points at the last answer's rows ("them", "their", "it", "those"; "there" as a
    place, not the "there" of "how many are there"), or None."""
    words = [t.text for t in tokens]
    for i, w in enumerate(words):
        if w == "that" and 0 < i < len(words) - 1 and words[i - 1] in _PLACE_PREPOSITIONS:
            return w  # "the public buckets in that account"
        if w not in RANKED_BACK:
            continue
        if w == "there" and {*words[max(i - 1, 0) : i], *words[i + 1 : i + 2]} & THERE_IS:
            continue
        return w
    return None


_PLACE_PREPOSITIONS = frozenset({"in", "for", "of", "from", "on", "at", "under", "inside", "within"})
_LISTING_VERBS = frozenset({"list", "show", "display", "enumerate", "print"})


def lost_ranking(previous: Intent, intent: Intent, tokens: Sequence[Token]) -> str | None:
    """Why a follow-up about the rows of a ranked or cut answer ("the 10 largest buckets" -> "how many
    of them are public?") cannot be answered, or None when it shows the same ranked rows again
    (another column, another metric beside the ranked one). An intent cannot say "among the previous
    top N": a count, total or filter would be over every row that matches, a plausible wrong number."""
    word = ranked_rows_word(tokens)
    if previous.limit is None or word is None:
        return None
    same_rows = (
        intent.limit == previous.limit
        and intent.order_by == previous.order_by
        and _same(intent.filters, previous.filters)
        and _same(intent.segments, previous.segments)
        and intent.time_range == previous.time_range
        and intent.share == previous.share
        and intent.compare == previous.compare
        and all(d in intent.dimensions for d in previous.dimensions)
    )
    summed = bool({t.text for t in tokens} & SUMMING_WORDS)  # "their combined cost": one total
    # "show me those buckets", "list them" after "which account has the most public buckets": the
    # rows inside the ranked group, which the same ranking shown again is not
    listed = bool({t.text for t in tokens} & _LISTING_VERBS) and previous.metrics and previous.dimensions
    if same_rows and not (summed and previous.dimensions) and not listed:
        return None
    return ranked_rows_lost(word, previous.limit)


def lost_threshold(
    previous: Intent, intent: Intent, tokens: Sequence[Token], vocab: Vocabulary
) -> str | None:
    """Why a follow-up about the groups a threshold picked ("how many accounts have more than 100
    instances" -> "how many instances do they have?", "what did they cost?") cannot be answered, or
    None when it shows the same numbers again (the groups listed: "which ones?"). An intent holds
    each of its own groups to the threshold; it cannot total only the groups another question picked,
    and the rows that made the count (instances) would pick the rows of the new amount too."""
    word = ranked_rows_word(tokens)
    held = [f for f in previous.filters if f.field in vocab.metrics]
    if word is None or not (held or previous.count_groups is not None):
        return None
    if (
        intent.metrics == previous.metrics
        and _same(intent.filters, previous.filters)
        and _same(intent.segments, previous.segments)
        and intent.time_range == previous.time_range
        and (intent.count_groups is None or intent.count_groups != previous.count_groups)
        and all(
            d in intent.dimensions
            for d in (previous.count_groups.of if previous.count_groups else previous.dimensions)
        )
    ):
        return None  # the same groups, listed ("which ones?"); the same count again is no question
    said = " and ".join(describe_filter(f) for f in held) or "a count"
    return (
        f"'{word}' means the groups the last answer picked by {said}, and a new question cannot keep to "
        "just those: it would hold its own groups (or its one total) to the condition, and count other "
        "rows; ask for the groups that pass as a list, then about them by name"
    )


def regroup_lost(
    previous: Intent, intent: Intent, tokens: Sequence[Token], parts: Parts, vocab: Vocabulary
) -> str | None:
    """ "how many regions have more than 100 instances" -> "which accounts?": the condition held the
    regions to the number, and accounts held to it would be another question; the regions came back
    instead. Asked back, naming the question to ask."""
    if previous.count_groups is None or not asks_for_rows(tokens, parts):
        return None
    owners = _other_tables_named(tokens, vocab, previous)
    if not owners or any(d.name in owners for d in intent.dimensions):
        return None
    counted = ", ".join(d.name.replace("_", " ") for d in previous.count_groups.of)
    return (
        f"the last answer counted {counted} groups held to a number; which of the rows you name pass it "
        "is another question: ask it in full (e.g. 'which accounts have more than ...')"
    )


def conditions_as_columns(previous: Intent, intent: Intent) -> Intent:
    """ "are they running?", "which of those are in prod?" after "the 3 oldest instances" (a listing
    ranked and cut): the same rows, with a column for each value asked about, instead of a filter
    that would rank and cut other rows. ``intent`` as it was when anything else changed."""
    added = [f for f in intent.filters if f not in previous.filters]
    if (
        previous.limit is None
        or intent.metrics
        or not added
        or any(f.op != Op.EQ for f in added)
        or not _same([f for f in intent.filters if f not in added], previous.filters)
        or intent.segments != previous.segments
        or intent.order_by != previous.order_by
    ):
        return intent
    columns = [DimensionRef(name=f.field) for f in added]
    return previous.model_copy(
        update={
            "dimensions": tuple(_dedupe([*previous.dimensions, *columns])),
            "previous": previous.model_copy(update={"previous": None}),
        }
    )


def ranked_rows_lost(word: str, limit: int) -> str:
    """What is said when a follow-up points at a ranked answer's rows and would not keep to them."""
    rows = "the row" if limit == 1 else f"the {limit} rows"
    return (
        f"'{word}' means {rows} the last answer ranked, and a new question cannot keep to just "
        f"{'that one' if limit == 1 else 'those'}: it would be about every row that matches; ask it "
        "in full, about all of them (or name the ones you mean)"
    )


def all_rows_question(
    previous: Intent, tokens: Sequence[Token], vocab: Vocabulary, when: TimeRange | None = None
) -> list[str]:
    """The follow-up asked in full about every row of the kind the last answer ranked: the pointing
    word replaced by a word for those rows ("how many of the buckets are public?"), or, after ranked
    groups, dropped with the grouping said ("how many instances by account"), with the period
    ``when`` first, then without; the caller offers the first that is answered."""
    word = ranked_rows_word(tokens)
    words = [t.text for t in tokens if t.text not in "?.!"]
    if word is None:
        return []
    at = words.index(word)
    if previous.metrics:  # ranked groups: the answer for each group, the one meant among them
        group = next((d.name for d in reversed(previous.dimensions) if d.grain is None), None)
        if group is None or tuple(group.split("_")) not in vocab.phrases:
            return []
        cut = {at}
        if 0 < at < len(words) - 1 and words[at - 1] in AUXILIARIES and words[at + 1] in POSSESSING_VERBS:
            cut |= {at - 1, at + 1}  # "how many instances do they have" -> "how many instances"
        if at > 0 and words[at - 1] == "of":
            cut.add(at - 1)
        kept = [w for i, w in enumerate(words) if i not in cut and w not in SUMMING_WORDS]
        asked = f"{' '.join(kept)} by {group.replace('_', ' ')}" if kept else None
        if asked is None:
            return []
        return [f"{asked} {describe_time_range(when)}", asked] if when is not None else [asked]
    noun = next((n for f in previous.filters if (n := _plural_word(vocab, f)) is not None), None)
    if noun is None:
        return []
    said = {
        "their": f"the {noun}'",
        "its": f"the {noun}'",
        "theirs": f"the {noun}'",
        "there": f"in the {noun}",
    }
    words[at] = said.get(word, f"the {noun}")
    return [" ".join(words)]


def _plural_word(vocab: Vocabulary, f: Filter) -> str | None:
    """The model's first plural word for a value ("instances" for a kind of resource), or None."""
    dim = vocab.dimensions.get(f.field)
    if dim is None or f.op != Op.EQ or not isinstance(f.value, str):
        return None
    return next(
        (w for w in dim.value_synonyms.get(f.value, ()) if singular(w.split()[-1]) != w.split()[-1]), None
    )


def _same(a: Sequence[object], b: Sequence[object]) -> bool:
    return all(x in b for x in a) and all(x in a for x in b)


def _counted_rows(prev: Intent, vocab: Vocabulary) -> tuple[list[DimensionRef], tuple[Filter, ...]]:
    """The columns that name the rows a previous count counted (one count, no groups), else none;
    and, after a percentage ("what percent of buckets are public": a share's part, or a ratio of the
    rows where a yes/no holds), the conditions of the rows it counted in the part."""
    if len(prev.metrics) != 1 or prev.dimensions or prev.order_by:
        return [], ()
    metric = prev.metrics[0]
    part: tuple[Filter, ...] = ()
    ratio_of = next((b for b, ratios in vocab.ratio_of_boolean.items() if metric in ratios), None)
    if ratio_of is not None:
        tables = vocab.metric_tables.get(metric, ())
        metric = next((vocab.count_metric[t] for t in tables if t in vocab.count_metric), metric)
        part = (Filter(field=ratio_of, op=Op.EQ, value=True),)
    elif prev.share is not None and prev.share.part:
        part = tuple(prev.share.part)
    table = next((t for t, m in vocab.count_metric.items() if m == metric), None)
    if table is None:
        return [], ()
    return [DimensionRef(name=n) for n in vocab.label_dimensions.get(table, ())], part


def _with_labels(dims: Sequence[DimensionRef], vocab: Vocabulary) -> list[DimensionRef]:
    """The groups, each table's key followed by the rest of its label columns (its name)."""
    out: list[DimensionRef] = []
    for d in dims:
        labels = next((ls for ls in vocab.label_dimensions.values() if ls and ls[0] == d.name), (d.name,))
        out.extend(DimensionRef(name=n) if n != d.name else d for n in labels)
    return _dedupe(out)


def _other_tables_named(tokens: Sequence[Token], vocab: Vocabulary, prev: Intent) -> list[str]:
    """ "which accounts?" after a count of buckets: the label columns of a table the follow-up names
    by a word of its own, other than the one the last answer counted, else none."""
    counted = {t for m in prev.metrics for t in vocab.metric_tables.get(m, ())}
    for t in tokens:
        for meaning in vocab.phrases.get((t.key,), ()):
            if meaning.kind == Kind.TABLE and meaning.name not in counted:
                return list(vocab.label_dimensions.get(meaning.name, ()))
    return []


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


def _dated_rows_kept(
    prev: Intent, parts: Parts, metrics: Sequence[str], vocab: Vocabulary, as_of: dt.date | None
) -> Filter | None:
    """The last question's range on a date of its rows ("created this quarter"), as a condition on
    that date, when the follow-up asks for an amount with a date of its own (cost by usage day): the
    rows stay the ones created then, and a period said now is the amount's."""
    tr = prev.time_range
    if tr is None or not tr.dimension or not parts.metrics or as_of is None:
        return None
    own = {vocab.default_time.get(t) for m in metrics for t in vocab.metric_tables.get(m, ())} - {None}
    if not own or tr.dimension in own:
        return None
    try:
        start, end = resolve_time_range(tr, as_of)
    except ValueError:
        return None
    return Filter(field=tr.dimension, op=Op.BETWEEN, value=(start.isoformat(), end.isoformat()))


def _excluded_too(prev_filters: Sequence[Filter], new_filters: list[Filter]) -> list[Filter]:
    """ "excluding sandbox" -> "and excluding dev too" (or "and not in dev either", or just "excluding
    dev"): an exclusion after an exclusion of the same field excludes both; it replaced the first, and
    the sandbox rows came back. Only "instead" puts the first one back."""
    excluding = (Op.NE, Op.NOT_IN)
    old = {f.field: f for f in prev_filters if f.op in excluding}
    out: list[Filter] = []
    for f in new_filters:
        before = old.get(f.field)
        said = (*values_of(before), *values_of(f)) if before is not None else ()
        if before is None or f.op not in excluding or not all(isinstance(v, str) for v in said):
            out.append(f)
            continue
        joined = tuple(v for v in dict.fromkeys(said) if isinstance(v, str))
        out.append(Filter(field=f.field, op=Op.NOT_IN, value=joined) if len(joined) > 1 else f)
    return out


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


def series_dimension(prev: Intent, metrics: Sequence[str], vocab: Vocabulary) -> str | None:
    """The time dimension a series of the last answer runs along: its range's, its series', else
    the metrics' own date."""
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


__all__ = ["looks_like_follow_up", "merge_follow_up", "regroup_lost", "series_dimension"]


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


def _year_earlier(tr: TimeRange, as_of: dt.date) -> TimeRange:
    """The days of ``tr`` one year earlier (February 29 as the 28th)."""
    start, end = resolve_time_range(tr, as_of)
    a, b = (months_earlier(d, 12) for d in (start, end))
    return TimeRange(kind="between", start=a, end=b, dimension=tr.dimension)


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
