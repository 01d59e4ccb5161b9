"""Comparisons with a number ("over $500", "at least 300 GB"): a condition on each row or on each
group, and counting the rows that have an amount.
"""

from __future__ import annotations

from models.intent import Op
from runtime.mappers.english import (
    HAVING_BREAKS,
    HAVING_WORDS,
)
from runtime.mappers.kinds import ItemKind, QuantityKind, Role, Use
from runtime.mappers.passes.queries import (
    after,
    before,
    compared,
    count_table,
    is_count,
    list_instead,
    metric_for_unit,
    subject_before,
    sum_metric_of,
    tables_of_item,
    unit_dimension,
)
from runtime.mappers.passes.state import FILTERING, State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


def bind_compare(st: State, k: int, it: Item) -> None:
    q = it.quantity
    assert q is not None
    if k in st.rates:
        if st.rates[k] not in st.implied_metrics:
            st.implied_metrics.append(st.rates[k])
        st.having.append((st.rates[k], Op(q.op), q.value, q.unit, q.written))
        return
    prev = before(st, k)
    nxt = after(st, k)
    op = Op(q.op)
    value: object = q.value
    prev_t = prev[1] if prev and prev[1].kind == ItemKind.TERM else None
    next_t = nxt[1] if nxt and nxt[1].kind == ItemKind.TERM else None
    grouped = (
        bool(st.parts.dimensions)
        or any(x.kind == ItemKind.MARKER and Role.GROUP in x.roles for x in st.items)
        or any(x.kind == ItemKind.MARKER and Role.WHICH in x.roles and x.bound for x in st.items[:k])
    )  # "which <entities> have ...": grouped only when "which" took a dimension, not a value
    # a size said without a unit ("the biggest", "at least 300 big") is in the model's unit of size
    unit_dim = unit_dimension(st, q.unit or "gb") if q.unit == "gb" or q.size else None
    prev_dim = prev_t.first(Kind.DIMENSION) if prev_t is not None else None
    if prev_t is not None and prev_dim is not None and prev_dim.name in st.vocab.number_dimensions:
        prev_t.role = Use.COMPARED
        st.parts.filters.append(compared(st, prev_dim.name, op, value, q.written))
        return
    subject = subject_before(st, k)
    if unit_dim and subject is not None:
        metric_next = next_t is not None and next_t.has(Kind.METRIC) and not next_t.role
        named = next_t.first(Kind.METRIC) if metric_next and next_t is not None else None
        if named is not None and st.vocab.metric_format(named.name) != q.unit:
            metric_next = False
        if subject.has(*FILTERING) and not subject.has(Kind.METRIC) and (metric_next or next_t is None):
            # "<entities> with at least 300 GB (of <metric>)": each row's own size
            if metric_next:
                next_t.role = Use.COMPARED  # type: ignore[union-attr]
            st.parts.filters.append(compared(st, unit_dim, op, value, q.written))
            return
        total = sum_metric_of(st, unit_dim)
        if (
            total is not None
            and subject.has(Kind.DIMENSION, Kind.TAG_KEY)
            and not subject.has(Kind.METRIC, Kind.TABLE, *FILTERING)
            and subject.plural
        ):
            # "<groups> with over 300,000 GB": the groups' total
            if metric_next:
                next_t.role = Use.COMPARED  # type: ignore[union-attr]
            if total not in st.implied_metrics:
                st.implied_metrics.append(total)
            st.having.append((total, op, value, q.unit, q.written))
            return
    if next_t is not None and q.unit is None and not next_t.has(Kind.METRIC):
        tables = [x for x in tables_of_item(st, next_t) if x in st.vocab.count_metric]
        if tables and next_t.has(Kind.TABLE, Kind.VALUE, Kind.BOOLEAN):
            if next_t.has(Kind.TABLE) and not next_t.has(*FILTERING):
                next_t.role = Use.COUNT_SUBJECT
            st.having.append((st.vocab.count_metric[tables[0]], op, value, None, None))
            return
    metric_t = (
        prev_t
        if prev_t is not None and prev_t.has(Kind.METRIC)
        else (next_t if next_t is not None and next_t.has(Kind.METRIC) else None)
    )
    if metric_t is not None:
        metric = metric_t.named(Kind.METRIC)
        if unit_dim and not grouped and st.vocab.metric_format(metric) == q.unit:
            metric_t.role = Use.COMPARED
            st.parts.filters.append(compared(st, unit_dim, op, value, q.written))
            return
        st.having.append((metric, op, value, q.unit, q.written))
        return
    if unit_dim and (q.unit == "gb" or q.size):
        st.parts.filters.append(compared(st, unit_dim, op, value, q.written))
        return
    st.having.append((None, op, value, q.unit, q.written))


def count_of_haves(st: State) -> None:
    """ "how many <entities> had <metric> ...": the metric named after a word of having is what is
    counted when it is a count itself ("had <n> days with ..."); a count of the entities beside it
    would be an unrelated number (all of them, whatever the range). When it is an amount, counting
    the entities that have it is a count of groups, which is asked back.

    Reads the items and ``parts.metrics``; writes ``count_requested``, ``parts.metrics`` or a problem."""
    p = st.parts
    counting = next(
        (
            it
            for it in st.items
            if (it.kind == ItemKind.MARKER and Role.COUNT in it.roles)
            or (it.kind == ItemKind.TERM and it.role == Use.METRIC and is_count(st, it.first(Kind.METRIC)))
        ),
        None,
    )
    if counting is None:
        return
    subject_end = counting.end
    if counting.kind == ItemKind.MARKER:
        subject = next((x for x in st.items if x.kind == ItemKind.TERM and x.start >= counting.end), None)
        subject_end = subject.end if subject is not None else counting.end
    for it in st.items:
        if it.kind != ItemKind.TERM or it.role != Use.METRIC or it.start < subject_end or it is counting:
            continue
        between = [t.text for t in st.reading.tokens[subject_end : it.start]]
        have = max((i for i, w in enumerate(between) if w in HAVING_WORDS), default=None)
        if have is None or set(between[have + 1 :]) & HAVING_BREAKS:
            continue
        metric = it.named(Kind.METRIC)
        if is_count(st, it.first(Kind.METRIC)):
            st.count_requested = False
            if counting.kind == ItemKind.TERM:
                p.metrics = [m for m in p.metrics if m != counting.named(Kind.METRIC)]
        else:
            p.problems.append(
                f"counting rows by whether they have {metric.replace('_', ' ')} is a count of groups; "
                "ask for the list instead"
            )
            p.suggestions.append(list_instead(st.reading.question))
        return


def bind_comparisons(st: State) -> None:
    """Each comparison ("over $500", "at least 300 GB") binds to what it compares, after the markers
    and coordination: whether the question groups ("by", "which <dimension>") decides between a
    condition on each row and one on each group. Writes ``having`` or a filter."""
    for k, it in enumerate(st.items):
        if it.kind == ItemKind.QUANTITY and it.quantity and it.quantity.kind == QuantityKind.COMPARE:
            bind_compare(st, k, it)


def place_having(st: State) -> None:
    """Each comparison on a metric becomes a condition on it (the metric is asked for too, unless the
    question only counts rows); one whose metric was left open takes the metric its unit fits.
    Reads ``having`` and the metrics placed so far; writes metrics and filters."""
    p = st.parts
    for metric, op, value, unit, written in st.having:
        if metric is None:
            metric = metric_for_unit(st, unit)
            if metric is None:
                p.problems.append("a number without saying what it compares (e.g. '<metric> over 100')")
                continue
        if metric not in p.metrics and (p.metrics or not count_table(st)):
            p.metrics.append(metric)
        p.filters.append(compared(st, metric, op, value, written))


def check_counted_conditions(st: State) -> None:
    """Counting rows by a condition on another metric would need a breakdown the question does not
    ask for: asked back, with the list suggested. Reads the metrics, filters and dimensions placed."""
    p = st.parts
    other_having = [f for f in p.filters if f.field in st.vocab.metrics and f.field != (p.metrics or [""])[0]]
    counting = st.count_requested or (p.metrics and st.vocab.metric_aggregation(p.metrics[0]) == "count")
    if counting and other_having and not p.dimensions:
        p.problems.append(
            "counting rows by a condition on another metric needs a breakdown; ask for the list instead"
        )
        p.suggestions.append(list_instead(st.reading.question))
