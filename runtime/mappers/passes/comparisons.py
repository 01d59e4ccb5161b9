"""Comparisons with a number ("over $500", "at least 300 GB"): a condition on each row or on each
group, and counting the rows that have an amount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from models.intent import DimensionRef, Op
from runtime.mappers.english import (
    AGGREGATE_SAID,
    GROUPS_BACK,
    HAVING_BREAKS,
    HAVING_WORDS,
)
from runtime.mappers.kinds import ItemKind, QuantityKind, Role, Use
from runtime.mappers.passes.queries import (
    after,
    before,
    compared,
    count_table,
    head_noun_meanings,
    is_count,
    kind_table,
    list_instead,
    metric_for_unit,
    subject_before,
    sum_metric_of,
    tables_of_item,
    tables_of_meaning,
    unit_dimension,
)
from runtime.mappers.passes.state import FILTERING, State
from runtime.mappers.quantities import Quantity
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


@dataclass(frozen=True)
class _Said:
    """A comparison with a number and what is said around it, read once for every rule."""

    k: int
    q: Quantity
    op: Op
    prev_t: Item | None  # the term right before the number
    next_t: Item | None  # the term right after it
    subject: Item | None  # "<subject> with over ...", "<subject> having ..."
    grouped: bool  # the question groups: "by", or "which" that took a dimension before the number
    unit_dim: str | None  # the number dimension a size is measured on, when the number is a size
    metric_next: bool  # a metric of the number's kind, not yet used, right after it ("300 GB of ...")


def _said(st: State, k: int, it: Item) -> _Said:
    q = it.quantity
    assert q is not None
    prev, nxt = before(st, k), after(st, k)
    next_t = nxt[1] if nxt and nxt[1].kind == ItemKind.TERM else None
    metric_next = next_t is not None and next_t.has(Kind.METRIC) and not st.use_of(next_t)
    named = next_t.first(Kind.METRIC) if metric_next and next_t is not None else None
    if named is not None and st.vocab.metric_format(named.name) != q.unit:
        metric_next = False
    return _Said(
        k=k,
        q=q,
        op=Op(q.op),
        prev_t=prev[1] if prev and prev[1].kind == ItemKind.TERM else None,
        next_t=next_t,
        subject=subject_before(st, k),
        grouped=(
            st.grouped_before  # a follow-up of a grouped answer: "only the ones over 250 TB"
            or bool(st.parts.dimensions)
            or any(x.kind == ItemKind.MARKER and Role.GROUP in x.roles for x in st.items)
            or any(
                x.kind == ItemKind.MARKER and Role.WHICH in x.roles and st.is_bound(x) for x in st.items[:k]
            )
        ),  # "which <entities> have ...": grouped only when "which" took a dimension, not a value
        # a size said without a unit ("the biggest", "at least 300 big") is in the model's unit of size
        unit_dim=unit_dimension(st, q.unit or "gb") if q.unit == "gb" or q.size else None,
        metric_next=metric_next,
    )


def _on_a_rate(st: State, c: _Said) -> bool:
    """ "averaging over 2,000 a day": on the metric that averages per period (``bind_rates``)."""
    if c.k not in st.rates:
        return False
    if st.rates[c.k] not in st.implied_metrics:
        st.implied_metrics.append(st.rates[c.k])
    st.having.append((st.rates[c.k], c.op, c.q.value, c.q.unit, c.q.written))
    return True


def _on_the_groups(st: State, c: _Said) -> bool:
    """ "<metric> per <dimension>, only the ones above 250 TB": "the ones" are the groups the question
    made, so the number is on their total (the metric its unit fits), never on each row's size."""
    if not c.grouped or c.metric_next:
        return False
    it = st.items[c.k]
    said = {t.text for t in st.reading.tokens[max(0, it.start - 3) : it.start]}
    if not said & GROUPS_BACK:
        return False
    return _left_open(st, c)  # on the metric its unit fits, chosen when assembling


def _on_groups_named_again(st: State, c: _Said) -> bool:
    """ "storage per account, only accounts over 100,000 GB", "cost by account last month, only
    accounts over 20k": the groups of the question named again right before the number are held to
    their total (the metric its unit fits), as "only the ones over ..." is; it compared each
    volume's size, or counted the accounts."""
    t = c.prev_t
    if not c.grouped or c.metric_next or t is None or t.end != st.items[c.k].start or not t.plural:
        return False
    if not t.has(Kind.DIMENSION, Kind.TAG_KEY, Kind.TABLE) or t.has(Kind.METRIC, *FILTERING):
        return False
    names = {m.name for m in t.meanings}
    earlier = st.items[: st.items.index(t)]
    if not any(x.kind == ItemKind.TERM and names & {m.name for m in x.meanings} for x in earlier):
        return False  # the groups were not named before: "which accounts have over 100 instances"
    return _left_open(st, c)


def _on_a_number_dimension(st: State, c: _Said) -> bool:
    """ "<number dimension> over 100": each row's own value."""
    dim = c.prev_t.first(Kind.DIMENSION) if c.prev_t is not None else None
    if c.prev_t is None or dim is None or dim.name not in st.vocab.number_dimensions:
        return False
    st.set_use(c.prev_t, Use.COMPARED)
    st.parts.filters.append(compared(st, dim.name, c.op, c.q.value, c.q.written))
    return True


def _on_each_rows_size(st: State, c: _Said) -> bool:
    """ "<entities> with at least 300 GB (of <metric>)": each row's own size."""
    s = c.subject
    if not c.unit_dim or s is None or not s.has(*FILTERING) or s.has(Kind.METRIC):
        return False
    if not (c.metric_next or c.next_t is None):
        return False
    if c.metric_next and c.next_t is not None:
        st.set_use(c.next_t, Use.COMPARED)
    st.parts.filters.append(compared(st, c.unit_dim, c.op, c.q.value, c.q.written))
    return True


def _on_each_groups_size(st: State, c: _Said) -> bool:
    """ "<groups> with over 300,000 GB", "which accounts have over 10 TB of volumes": the groups'
    total size. A table's rows are groups here when they have no size of their own (the size is
    measured on another table's rows); "resources with over 1 TB" is each resource's size."""
    s = c.subject
    total = sum_metric_of(st, c.unit_dim) if c.unit_dim and s is not None else None
    if (
        total is None
        or s is None
        or not s.has(Kind.DIMENSION, Kind.TAG_KEY)
        or s.has(Kind.METRIC, *FILTERING)
        or not s.plural
    ):
        return False
    sized = set(st.vocab.tables_of(c.unit_dim or ""))
    if any(m.kind == Kind.TABLE and m.name in sized for m in s.meanings):
        return False
    if c.metric_next and c.next_t is not None:
        st.set_use(c.next_t, Use.COMPARED)
    if total not in st.implied_metrics:
        st.implied_metrics.append(total)
    st.having.append((total, c.op, c.q.value, c.q.unit, c.q.written))
    return True


def _on_a_count(st: State, c: _Said) -> bool:
    """ "with more than 200 <entities>": the count of those rows (said right after the number: "over
    20k in prod" is no count of prod accounts)."""
    t = c.next_t
    if t is None or c.q.unit is not None or t.has(Kind.METRIC) or t.start != st.items[c.k].end:
        return False
    if t.has(Kind.SEGMENT) and t.plural and not t.has(Kind.TABLE, Kind.VALUE, Kind.BOOLEAN):
        # "with more than 100 running instances": the rows a segment names, counted
        seg = t.first(Kind.SEGMENT)
        tables = [x for x in tables_of_meaning(st, seg) if x in st.vocab.count_metric] if seg else []
    else:
        tables = [x for x in tables_of_item(st, t) if x in st.vocab.count_metric]
    if not tables or not t.has(Kind.TABLE, Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT):
        return False
    if t.has(Kind.TABLE) and not t.has(*FILTERING):
        st.set_use(t, Use.COUNT_SUBJECT)
    st.having.append((st.vocab.count_metric[tables[0]], c.op, c.q.value, None, None))
    return True


def _on_a_count_before(st: State, c: _Said) -> bool:
    """ "accounts where resources > 300": a kind of row said right before the number, with none after
    it, is counted (the count of those rows, per group), as "with more than 300 resources" is."""
    t = c.prev_t
    if t is None or c.next_t is not None or c.q.unit is not None or t.has(Kind.METRIC):
        return False
    if t.end != st.items[c.k].start or not t.has(Kind.TABLE) or t.has(*FILTERING):
        return False
    if not any(
        x.kind == ItemKind.TERM and x.has(Kind.TABLE, Kind.DIMENSION) for x in st.items[: st.items.index(t)]
    ):
        return False  # "only accounts over 20k": the rows named are the groups themselves, not counted
    tables = [x for x in tables_of_item(st, t) if x in st.vocab.count_metric]
    if not tables or (c.subject is not None and set(tables_of_item(st, c.subject)) & set(tables)):
        return False  # "resources > 300" with the resources themselves listed: not their count
    st.set_use(t, Use.COUNT_SUBJECT)
    st.having.append((st.vocab.count_metric[tables[0]], c.op, c.q.value, None, None))
    return True


def _on_a_metric(st: State, c: _Said) -> bool:
    """ "<metric> over 1000", "over $500 of <metric>": the metric, per group; a size metric in a
    question that does not group compares each row's size instead."""
    metric_t = (
        c.prev_t
        if c.prev_t is not None and c.prev_t.has(Kind.METRIC)
        else (c.next_t if c.next_t is not None and c.next_t.has(Kind.METRIC) else None)
    )
    if metric_t is None:
        return False
    metric = metric_t.named(Kind.METRIC)
    if (
        c.unit_dim
        and not c.grouped
        and st.vocab.metric_format(metric) == c.q.unit
        and not _aggregate_said(st, metric_t, metric, c.unit_dim)
    ):
        st.set_use(metric_t, Use.COMPARED)
        st.parts.filters.append(compared(st, c.unit_dim, c.op, c.q.value, c.q.written))
        return True
    st.having.append((metric, c.op, c.q.value, c.q.unit, c.q.written))
    return True


def _aggregate_said(st: State, metric_t: Item, metric: str, unit_dim: str) -> bool:
    """ "regions with total storage above ...", "accounts with average volume size over ...": the
    metric is named as an aggregate (an average by itself, or a word of adding up said with it or
    just before it) of groups, so a number compared with it is on the aggregate, not on each row's
    size. Rows that have a size of their own said first ("buckets with total size over 1 TB") are
    still each row's size."""
    first = next((x for x in st.items if x.kind == ItemKind.TERM and not x.has(Kind.METRIC)), None)
    sized = set(st.vocab.tables_of(unit_dim))
    if first is not None and (
        (first.has(*FILTERING) and set(tables_of_item(st, first)) & sized)
        or any(m.kind == Kind.TABLE and m.name in sized for m in first.meanings)
    ):
        return False
    if st.vocab.metric_aggregation(metric) == "avg":
        return True
    tokens = st.reading.tokens[max(0, metric_t.start - 2) : metric_t.end]
    return any(t.text in AGGREGATE_SAID for t in tokens)


def _on_named_groups_size(st: State, c: _Said) -> bool:
    """ "total storage by region" -> "only regions over 200 TB": after a grouped answer, the groups
    named right before a size are held to their total, not each of their rows (a table whose rows
    have a size of their own, "only volumes over 1 TB", is each row's)."""
    t = c.prev_t
    total = sum_metric_of(st, c.unit_dim) if c.unit_dim else None
    if not st.grouped_before or t is None or total is None or t.end != st.items[c.k].start:
        return False
    if not t.plural or not t.has(Kind.DIMENSION, Kind.TAG_KEY, Kind.TABLE) or t.has(Kind.METRIC, *FILTERING):
        return False
    sized = set(st.vocab.tables_of(c.unit_dim or ""))
    if any(m.kind == Kind.TABLE and m.name in sized for m in t.meanings):
        return False
    if total not in st.implied_metrics:
        st.implied_metrics.append(total)
    st.having.append((total, c.op, c.q.value, c.q.unit, c.q.written))
    return True


def _on_a_size(st: State, c: _Said) -> bool:
    """ "bigger than 1 TB" with nothing else named: each row's size."""
    if not c.unit_dim or not (c.q.unit == "gb" or c.q.size):
        return False
    st.parts.filters.append(compared(st, c.unit_dim, c.op, c.q.value, c.q.written))
    return True


def _left_open(st: State, c: _Said) -> bool:
    """A number whose metric nothing names: the metric its unit fits, chosen when assembling."""
    st.having.append((None, c.op, c.q.value, c.q.unit, c.q.written))
    return True


# What a comparison is on; the first rule that applies decides (each returns True when it did).
COMPARISON_RULES: tuple[Callable[[State, _Said], bool], ...] = (
    _on_a_rate,
    _on_the_groups,
    _on_groups_named_again,
    _on_a_number_dimension,
    _on_each_rows_size,
    _on_each_groups_size,
    _on_a_count,
    _on_a_count_before,
    _on_a_metric,
    _on_named_groups_size,
    _on_a_size,
    _left_open,
)


def bind_compare(st: State, k: int, it: Item) -> None:
    """The first of ``COMPARISON_RULES`` that places the comparison at item ``k``."""
    said = _said(st, k, it)
    for rule in COMPARISON_RULES:
        if rule(st, said):
            return


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
            or (
                it.kind == ItemKind.TERM
                and st.use_of(it) == Use.METRIC
                and is_count(st, it.first(Kind.METRIC))
            )
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
        if (
            it.kind != ItemKind.TERM
            or st.use_of(it) != Use.METRIC
            or it.start < subject_end
            or it is counting
        ):
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


def group_rows_held_to_amounts(st: State) -> None:
    """ "which instances cost more than $100 last month", "running instances that cost over $100":
    an amount compared with a number, nothing grouped, and the rows named by a kind (a value of a
    listed kind, or a segment whose last word is one, said in the plural): the amount is each of
    those rows', so they are the groups; held to the total of them all, the answer would be one
    number, or nothing, for a question about which rows.

    Reads the filters, the terms' uses and the counting fields; writes ``parts.dimensions``."""
    p = st.parts
    held = [
        f for f in p.filters if f.field in st.vocab.metrics and f.field not in st.vocab.count_metric.values()
    ]
    if not held or p.dimensions or st.grains or st.count_requested or st.ratio_requested or st.limit:
        return
    if st.partial:  # a follow-up: the groups are the previous question's
        return
    kinds: dict[str, list[str]] = {}
    for it in st.items:
        if it.kind != ItemKind.TERM or not it.plural or st.use_of(it) not in (Use.FILTER, Use.SEGMENT):
            continue
        table = _kind_of_rows(st, it)
        if table is not None:
            kinds[table] = list(st.vocab.label_dimensions[table])
    if len(kinds) == 1:
        p.dimensions.extend(DimensionRef(name=n) for n in next(iter(kinds.values())))


def _kind_of_rows(st: State, it: Item) -> str | None:
    """The table whose rows a plural value ("instances") or a segment ending in one ("running
    instances") names: the value of an enum dimension of one table whose rows have names."""
    meanings = list(it.all(Kind.VALUE))
    if not meanings and it.has(Kind.SEGMENT):
        meanings = [m for m in head_noun_meanings(st, it) if m.kind == Kind.VALUE]
    return next((t for t in (kind_table(st, m) for m in meanings) if t is not None), None)


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


_RELATIVES = frozenset({"that", "which", "who", "with", "whose"})


def ask_condition_of_other_rows(st: State) -> None:
    """ "how many resources are in accounts that spent over 20k last month": the amount held to a
    number belongs to the rows named right before it ("accounts that spent"), but the answer is about
    other rows (resources), each of which would be held to it instead (0 resources spent that much).
    Asked back: the groups that pass first, then about them.

    Reads the terms' uses, the metric filters and the final dimensions; writes problems."""
    p = st.parts
    held = {f.field for f in p.filters if f.field in st.vocab.metrics}
    if not held or st.partial:
        return
    shown = {d.name for d in p.dimensions}
    for k, it in enumerate(st.items[:-1]):
        if it.kind != ItemKind.TERM or st.use_of(it) != Use.ENTITY or not it.has(Kind.TABLE):
            continue
        labels = set(st.vocab.label_dimensions.get(it.named(Kind.TABLE), ()))
        if not labels or labels & shown:
            continue
        nxt = st.items[k + 1]
        between = {t.text for t in st.reading.tokens[it.end : nxt.start]}
        if not between or between - _RELATIVES - HAVING_WORDS:
            continue
        if nxt.kind == ItemKind.TERM and nxt.has(Kind.METRIC) and nxt.named(Kind.METRIC) in held:
            said = " ".join(t.orig for t in st.reading.tokens[it.start : nxt.end])
            p.problems.append(
                f"'{said} ...' holds the {it.text} to that amount, "
                f"but the answer is about other rows, each of which would be held to it; ask for the "
                f"{it.text} that pass first, then about them"
            )
            return
