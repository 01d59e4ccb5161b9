"""Time phrases: ranges, series and the date a range applies to, and a change between two periods."""

from __future__ import annotations

import datetime as dt

from compiler.time_range import period_start, resolve_time_range, shift
from models.errors import UserError
from models.intent import MIN_DATE, Compare, DimensionRef, Filter, Grain, Op, TimeRange
from runtime.mappers.english import (
    AVERAGING_WORDS,
    CHANGE_WORDS,
    RATE_SUPERLATIVES,
    STOPWORDS,
)
from runtime.mappers.kinds import Direction, ItemKind, Role, Use
from runtime.mappers.passes.queries import count_table
from runtime.mappers.passes.state import GRAIN_NAMES, State, period_unit
from runtime.mappers.reading import Item
from runtime.mappers.time_phrases import TimePhrase
from runtime.mappers.tokens import singular
from runtime.mappers.vocabulary import Kind


def take_time(st: State, k: int, it: Item) -> None:
    tp = it.time
    assert tp is not None
    if tp.time_range is not None:
        st.ranges.append((k, tp))
        if st.parts.time_range == tp.time_range and not st.changes:
            # "cost last month of resources created last month": the same range said for each date
            other_date(st, k, tp)
            return
        two = st.parts.time_range is not None and st.parts.time_range != tp.time_range
        if two and not st.changes:  # with a change, the two are now and then (``read_change``)
            if not other_date(st, k, tp):  # "<entities> launched since March ... last week"
                st.parts.problems.append(f"two time ranges ('{it.text}' and another); ask for one")
            return
        st.parts.time_range = tp.time_range
        if tp.grain is not None:  # "last month vs the month before": a series over the range
            st.grains.append(tp.grain)
    elif tp.grain is not None:
        st.grains.append(tp.grain)
    elif tp.auto_grain:
        st.grains.append(None)
    elif tp.all_time:
        st.parts.all_time = True
    elif tp.before_previous is not None:
        if not (st.changes and period_unit(st.parts.time_range) == tp.before_previous):
            st.parts.before_previous = tp.before_previous  # (in a change: then, just before now)
            st.parts.before_n = tp.before_n
    elif tp.period_before and not any(c.end == it.start for c in st.changes):
        st.parts.period_before = True  # (after "vs" it is the period a change is measured from)


def other_date(st: State, k: int, tp: TimePhrase) -> bool:
    """Two ranges, one said right after a word for another date ("instances launched since March
    cost last week"): that one is a filter on that date, the other the metrics' own time range.
    False when neither or both are said so (which range is which is then a guess)."""
    assert tp.time_range is not None
    first = next(((j, x) for j, x in st.ranges if x.time_range == st.parts.time_range), None)
    if first is None:
        return False
    dated = [date_said_before(st, j) for j in (first[0], k)]
    if (dated[0] is None) == (dated[1] is None):
        return False
    kept, moved, name = (tp, first[1], dated[0]) if dated[0] else (first[1], tp, dated[1])
    assert kept.time_range is not None and moved.time_range is not None and name is not None
    filters = date_filters(st, name, moved.time_range)
    if not filters:
        return False
    st.parts.filters.extend(filters)
    st.parts.time_range = kept.time_range
    if st.time_hint == name:  # the date word went to the filter, not to the time range
        st.time_hint = None
    return True


def date_said_before(st: State, k: int) -> str | None:
    """The time dimension a word just before item ``k`` names ("launched", "created")."""
    if k == 0:
        return None
    prev = st.items[k - 1]
    if prev.kind != ItemKind.TERM or prev.end != st.items[k].start or not prev.has(Kind.TIME_DIMENSION):
        return None
    if singular(prev.text.lower()) in GRAIN_NAMES:  # "the same days last month": a period, not a date
        return None
    st.set_use(prev, Use.DATED)
    st.bind(prev)
    return prev.named(Kind.TIME_DIMENSION)


def date_filters(st: State, name: str, tr: TimeRange) -> list[Filter]:
    """A range as conditions on a date: from its first day ("since March": ``>=``), or between its
    days; relative ranges are dated against the question's day."""
    if tr.kind == "since" and tr.start is not None:
        return [Filter(field=name, op=Op.GTE, value=tr.start.isoformat())]
    if tr.kind == "between" and tr.start == MIN_DATE and tr.end is not None:  # "before May"
        return [Filter(field=name, op=Op.LTE, value=tr.end.isoformat())]
    if tr.kind == "between" and tr.start is not None and tr.end is not None:
        return [Filter(field=name, op=Op.BETWEEN, value=(tr.start.isoformat(), tr.end.isoformat()))]
    if st.reading.as_of is None:
        return []
    from models.errors import UserError

    try:
        start, end = resolve_time_range(tr, st.reading.as_of)
    except UserError:  # a range in the future: no filter, the two ranges are asked back
        return []
    if tr.kind in ("current", "trailing"):  # up to the question's day: from the first day
        return [Filter(field=name, op=Op.GTE, value=start.isoformat())]
    return [Filter(field=name, op=Op.BETWEEN, value=(start.isoformat(), end.isoformat()))]


def unused_date_words(st: State) -> None:
    """ "how many new <entities>": a date word ("new", "created") with no range and no series says
    something the intent would not do; ask since when rather than count every one.

    Reads the date words (``TIME_HINT`` terms) and their neighbours; writes problems and suggestions."""
    p = st.parts
    if p.time_range is not None or st.grains or st.sort_age or st.partial or p.all_time:
        return
    rows = (Kind.TABLE, Kind.VALUE, Kind.BOOLEAN)
    for k, it in enumerate(st.items):
        if it.kind != ItemKind.TERM or st.use_of(it) != Use.TIME_HINT:
            continue
        nxt = st.items[k + 1] if k + 1 < len(st.items) else None
        prev = st.items[k - 1] if k > 0 else None
        before_rows = nxt is not None and nxt.kind == ItemKind.TERM and nxt.start == it.end and nxt.has(*rows)
        then = st.items[k + 2] if before_rows and k + 2 < len(st.items) else None
        if then is not None and nxt is not None and then.start == nxt.end and st.use_of(then) == Use.METRIC:
            before_rows = False  # "provisioned database storage": the word goes with the amount
        last = nxt is None and all(t.text in STOPWORDS for t in st.reading.tokens[it.end :])
        after_rows = last and prev is not None and prev.kind == ItemKind.TERM and prev.has(*rows)
        if before_rows or after_rows:  # "new <entities>", "<entities> were created"; not "<x> storage"
            p.problems.append(f"'{it.text}' since when? say a time range (e.g. '{it.text} ... this month')")
            p.suggestions.extend(("this month", "last 30 days", "this year"))


def read_change(st: State) -> None:
    """What a change or a running total asks of the rest of the question, before the parts are
    placed: "from March to April" is then and now, not one range; "vs last quarter" compares this
    quarter so far with the same days of the last; "week over week change" is last week against the
    week before, not a weekly series; "in percent" ranks by the percent change, it is no share; a
    running total ("to date" each day) runs along a series.

    Reads ``ranges``, ``grains``, ``changes``, ``ratio_requested`` and the terms' uses; writes
    ``parts.cumulative``, ``parts.time_range``, ``compare_to``, ``change_percent`` and ``grains``,
    clears ``ratio_requested``, and may add an implied metric or a problem."""
    p = st.parts
    to_date = any(tp.to_date for _, tp in st.ranges)
    over = [it.time for it in st.items if it.kind == ItemKind.TIME and it.time and it.time.over_period]
    series = [g for g in st.grains if g is not None]
    p.cumulative = bool(
        any(it.kind == ItemKind.MARKER and Role.CUMULATIVE in it.roles for it in st.items)
        or (to_date and series)
    )
    if p.cumulative and not st.grains:
        st.grains.append(None)  # "cumulative cost this year": along a series that suits the range
    if not st.changes:
        return
    st.change_percent = st.ratio_requested or any(
        it.kind == ItemKind.SUPER and it.text.lower() in RATE_SUPERLATIVES for it in st.items
    )  # "in percent", "grew fastest": relative to where it started
    st.ratio_requested = False  # "change in percent": the percent change, not a share
    named = any(
        it.kind == ItemKind.TERM and st.use_of(it) in (Use.METRIC, Use.SORT_METRIC) for it in st.items
    )
    if not named and not st.count_requested and not st.implied_metrics and not st.partial:
        # "which accounts grew the most": what changes between periods is an amount on dated rows;
        # when the model has exactly one, that is it
        amounts = st.vocab.dated_amounts()
        if len(amounts) == 1:
            st.implied_metrics.append(amounts[0])
        else:
            p.problems.append("a change in what? name the metric")
            p.suggestions.extend(a.replace("_", " ") for a in amounts[:4])
    for tp in over:  # "week over week change": last week against the one before, one row
        assert tp.grain is not None
        if tp.grain in st.grains:
            st.grains.remove(tp.grain)
        if p.time_range is None:
            p.time_range = TimeRange(kind="previous", unit=tp.grain)
    for _, tp in st.ranges:  # "last month vs the month before", "this month vs last": one row
        if tp.grain is not None and tp.time_range is not None:
            if tp.grain in st.grains:
                st.grains.remove(tp.grain)
            previous = tp.time_range.kind == "previous"
            p.time_range = TimeRange(kind="previous" if previous else "current", unit=tp.grain)
    ranges = [(k, tp) for k, tp in st.ranges if tp.time_range is not None]
    if len(ranges) > 2:
        p.problems.append("a change between which two periods? (e.g. 'April vs March')")
    elif len(ranges) == 1 and ranges[0][1].periods:  # "from March to April": then, now
        then, now = ranges[0][1].periods
        item = st.items[ranges[0][0]]
        said_year = any(t.text.isdigit() for t in st.reading.tokens[item.start : item.end])
        if not said_year and then.kind == now.kind == "month" and then.year != now.year:
            # "between May and April" with no year said: each the latest, not a year apart
            then, now = then.model_copy(update={"year": None}), now.model_copy(update={"year": None})
        p.time_range, st.compare_to = forward(now, then, st.reading.as_of)
    elif len(ranges) == 2:
        (_, a), (kb, b) = ranges
        before_b = st.items[kb - 1] if kb > 0 else None
        b_is_then = (
            before_b is not None and before_b.kind == ItemKind.MARKER and Role.COMPARE in before_b.roles
        )
        now_tp, then_tp = (a, b) if b_is_then else (b, a)  # "April vs March"; "from March to April"
        assert now_tp.time_range is not None and then_tp.time_range is not None
        p.time_range, st.compare_to = forward(now_tp.time_range, then_tp.time_range, st.reading.as_of)
        if just_before(then_tp.time_range, now_tp.time_range):  # "May vs the previous month": April
            st.compare_to = None
    elif len(ranges) == 1:
        k, tp = ranges[0]
        before = st.items[k - 1] if k > 0 else None  # (not the opening "compare ...": a verb, no "vs")
        tr = tp.time_range
        assert tr is not None
        if before is not None and before.kind == ItemKind.MARKER and Role.COMPARE in before.roles and k > 1:
            if tr.kind == "previous" and tr.n == 1 and not tr.skip and tr.unit is not None:
                p.time_range = TimeRange(kind="current", unit=tr.unit)  # "vs last quarter": so far
            else:  # "change vs March": against it, but now is which period?
                said = " ".join(t.orig for t in st.reading.tokens[before.start : st.items[k].end])
                p.problems.append(f"a change {said}: from then to which period? (e.g. 'April vs March')")


def forward(now: TimeRange, then: TimeRange, as_of: dt.date | None) -> tuple[TimeRange, TimeRange]:
    """A change runs forward in time: "February vs March" and "Q1 vs Q2" are measured from the
    earlier period to the later one, whichever was said first (a change from March back to
    February would have the sign a reader does not expect). (now, then), then the earlier."""
    try:
        if as_of is not None and resolve_time_range(then, as_of)[0] > resolve_time_range(now, as_of)[0]:
            now, then = then, now
        if as_of is not None:
            then = _same_days(now, then, as_of)
    except UserError:  # a period not yet begun: left as said, for the compiler to report
        pass
    return now, then


_NAMED_UNITS = {"month": Grain.MONTH, "quarter": Grain.QUARTER, "year": Grain.YEAR}


def _same_days(now: TimeRange, then: TimeRange, as_of: dt.date) -> TimeRange:
    """ "from May to June" asked on June 17: June so far against as many days of May (May 1-17), not
    all of May (17 days against 31 read as a 41% fall where spend rose 9%). ``then`` cut to the days
    ``now`` has when ``now`` is a named period still under way; else ``then`` as said."""
    unit = _NAMED_UNITS.get(now.kind)
    if unit is None or then.kind not in _NAMED_UNITS:
        return then
    start, end = resolve_time_range(now, as_of)
    whole_end = shift(period_start(start, unit), unit, 1) - dt.timedelta(days=1)
    if end >= whole_end:
        return then
    first, last = resolve_time_range(then, as_of)
    cut = min(last, first + (end - start))
    return TimeRange(kind="between", start=first, end=cut) if first < start and cut < last else then


def place_change(st: State) -> None:
    """The comparison itself, once metrics and order are placed: ranked by the change (the
    largest drops first after "fell the most"), or by the percent change when said.

    Reads ``changes``, ``compare_to`` and ``change_percent``; writes ``parts.compare`` and flips the
    order and the rank for a fall."""
    p = st.parts
    if not st.changes:
        return
    if p.time_range is None and not st.partial:  # a follow-up keeps the range it follows
        p.problems.append("a change over which period? (e.g. 'last month', 'from March to April')")
        p.suggestions.extend(("last month", "this quarter", "week over week"))
        return
    p.compare = Compare(
        to=st.compare_to or "previous_period", rank_by="percent_change" if st.change_percent else "change"
    )
    if not any(CHANGE_WORDS.get(x.text.lower()) == "asc" for x in st.changes):
        return
    flip: dict[Direction, Direction] = {
        "asc": "desc",
        "desc": "asc",
    }  # "fell the most": the largest drop first
    if p.order_by and p.order_by[0].field in p.metrics:
        first = p.order_by[0]
        p.order_by[0] = first.model_copy(update={"direction": flip[first.direction]})
    if p.rank is not None:
        p.rank = (flip[p.rank[0]], p.rank[1])


def place_time_dimension(st: State) -> None:
    """A time range applies to each metric's default date unless the question names another
    ("created in the last 30 days").

    Reads ``time_hint``, the metrics and the filters; writes ``parts.time_range.dimension`` or asks
    which date."""
    p = st.parts
    if p.time_range is None or p.time_range.dimension:
        return
    hint = st.time_hint
    # the metrics a condition compares come first ("<entities> that averaged under 5 ..."): the
    # range is most likely on their dates
    compared = [f.field for f in p.filters if f.field in st.vocab.metrics]
    tables = list(
        dict.fromkeys(t for m in (*compared, *p.metrics) for t in st.vocab.metric_tables.get(m, ()))
    )
    if not tables and (t := count_table(st)):
        tables = [t]
    if hint is None:
        undated = [t for t in tables if not st.vocab.default_time.get(t)]
        if tables and len(undated) == len(tables):
            own = list(dict.fromkeys(d for t in undated for d in st.vocab.table_time_dimensions.get(t, [])))
            p.problems.append(
                "which date the time range applies to" + (f" (e.g. {', '.join(own)})" if own else "")
            )
            p.suggestions.extend(own)
        return
    if any(st.vocab.default_time.get(t) != hint for t in tables) or not tables:
        p.time_range = p.time_range.model_copy(update={"dimension": hint})


def place_grains(st: State) -> None:
    """A series: each grain said (None: one that suits the range) on the date of the metrics or of the
    rows counted. Reads ``grains``, ``time_hint`` and the metrics; writes ``parts.dimensions`` (the
    series first) or, for a follow-up without a metric, ``parts.pending_grains``."""
    p = st.parts
    if not st.grains:
        return
    dim = time_dimension_for_series(st)
    if dim is None and st.partial and not p.metrics:
        p.pending_grains = list(st.grains)  # "monthly" as a follow-up: the previous metric decides
        return
    if dim is None:
        p.problems.append("which date to put the series on")
        return
    said = [g for g in st.grains if g is not None]
    p.auto_series = not said
    for g in dict.fromkeys(said or st.grains):  # "trend by week": the grain said, not one that suits
        grain = g or auto_grain(st)
        ref = DimensionRef(name=dim, grain=grain)
        if not any(d.name == dim for d in p.dimensions):
            p.dimensions.insert(0, ref)


def time_dimension_for_series(st: State) -> str | None:
    if st.time_hint:
        return st.time_hint
    tables = [t for m in st.parts.metrics for t in st.vocab.metric_tables.get(m, ())]
    table = count_table(st)
    if table:
        tables.append(table)
    for t in tables:
        if st.vocab.default_time.get(t):
            return st.vocab.default_time[t]
    for t in tables:
        own = st.vocab.table_time_dimensions.get(t, [])
        if len(own) == 1:
            st.time_hint = own[0]
            return own[0]
    return None


def auto_grain(st: State) -> Grain:
    return grain_for(st.parts.time_range)


def grain_for(tr: TimeRange | None) -> Grain:
    """The grain of a series nobody named one for: days for a month or less, weeks for a quarter."""
    if tr is None:
        return Grain.MONTH
    if tr.kind in ("current", "previous", "trailing") and tr.unit in (Grain.DAY, Grain.WEEK):
        return Grain.DAY if tr.n * (7 if tr.unit == Grain.WEEK else 1) <= 62 else Grain.WEEK
    if tr.kind in ("current", "previous") and tr.unit == Grain.MONTH:
        return Grain.DAY if tr.n == 1 else (Grain.WEEK if tr.n <= 3 else Grain.MONTH)
    if tr.kind == "month":
        return Grain.DAY
    if tr.kind == "between" and tr.start and tr.end:
        days = (tr.end - tr.start).days
        return Grain.DAY if days <= 62 else (Grain.WEEK if days <= 190 else Grain.MONTH)
    if tr.kind == "quarter" or (tr.unit == Grain.QUARTER and tr.n == 1):
        return Grain.WEEK
    return Grain.MONTH


def just_before(then: TimeRange | None, now: TimeRange | None) -> bool:
    """ "<period> compared with the previous <unit>": the one before that period, not the one before
    today (which, for last month, is the month itself)."""
    if then is None or now is None or then.kind != "previous" or then.n != 1 or then.skip:
        return False
    unit = {"month": Grain.MONTH, "quarter": Grain.QUARTER, "year": Grain.YEAR}.get(now.kind, now.unit)
    return unit == then.unit


def each_or_average(st: State) -> None:
    """ "the cost per day in the first two weeks of June": a metric named "<amount> per <period>"
    with no word of averaging is the average per period or each period's amount, and both are
    numbers a reader would take for the answer; asked back, offering both. Said with "average",
    "avg", "mean" or "daily", it is the average (what the model declares). Said with a series of that
    period ("running total of spend per day in May", "... by day"), it is each period's amount: the
    amount's own metric along the series (an average per day of one day is that day's amount, and
    only amounts add up into a running total).

    Reads the metric terms and ``parts.dimensions``; writes ``parts.metrics`` or problems."""
    p = st.parts
    tokens = st.reading.tokens
    for it in st.items:
        if it.kind != ItemKind.TERM or st.use_of(it) not in (Use.METRIC, Use.SORT_METRIC):
            continue
        words = [t.text for t in tokens[max(0, it.start - 2) : it.end + 3]]  # "... per day on average"
        said = [t.text for t in tokens[it.start : it.end]]
        if "per" not in said[:-1] or said[said.index("per") + 1] not in GRAIN_NAMES:
            continue
        if set(words) & AVERAGING_WORDS:
            continue
        at = said.index("per")
        amount = " ".join(t.orig for t in tokens[it.start : it.start + at])
        grain = said[at + 1]
        if any(d.grain == Grain(grain) for d in p.dimensions):
            own = st.vocab.phrases.get(tuple(t.key for t in tokens[it.start : it.start + at]), [])
            base = next((m.name for m in own if m.kind == Kind.METRIC), None)
            metric = it.named(Kind.METRIC)
            if base is not None and metric in p.metrics and base != metric:
                p.metrics[p.metrics.index(metric)] = base  # the amount, one row per period
            return
        p.problems.append(f"'{it.text}': the average per {grain}, or the {amount} of each {grain}?")
        p.suggestions.extend((f"average {it.text}", f"{amount} by {grain}"))
        return
