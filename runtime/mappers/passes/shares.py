"""Percentages: the model's own ratio metric, or the share of a sum or a count (``Intent.share``)."""

from __future__ import annotations

from models.intent import Filter
from runtime.mappers.kinds import ItemKind, Use
from runtime.mappers.passes.filters import merge_filters
from runtime.mappers.passes.queries import count_table
from runtime.mappers.passes.state import State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


def split_part(
    st: State, by_field: dict[str, list[Filter]], said_at: dict[Filter, int]
) -> tuple[dict[str, list[Filter]], dict[str, list[Filter]]]:
    """ "what share of <whole> <is / came from / are> <part>": conditions said after the thing the
    share is of define the part; those said before it (or inside it) restrict the whole."""
    assert st.ratio_at is not None
    marker = st.items[st.ratio_at].start
    after: list[
        Item
    ] = []  # the words naming the whole: the first term after the marker and the terms right after it
    for it in st.items:
        if it.kind == ItemKind.TERM and it.start > marker and it.meanings:
            if after and it.start != after[-1].end:
                break
            after.append(it)
        elif after:
            break
    heads = [
        it.start
        for it in st.items
        if it.kind == ItemKind.TERM
        and (st.use_of(it) in (Use.METRIC, Use.SORT_METRIC, Use.COUNT_SUBJECT) or it.has(Kind.TABLE))
    ]
    # "what share of <whole> ...": the first thing named after the word; "<whole> ... as a
    # percentage": the first metric or entity named
    head = after[-1].start if after else (heads[0] if heads else None)
    if head is None:
        return by_field, {}
    whole: dict[str, list[Filter]] = {}
    part: dict[str, list[Filter]] = {}
    before = st.items[st.ratio_at - 1] if st.ratio_at > 0 else None
    owner = before.start if before and before.kind == ItemKind.TERM and before.end == marker else None
    for name, fs in by_field.items():
        for f in fs:
            at = said_at.get(f, -1)  # "<value>'s share of ...", "<value> share of ...": the part
            (part if at > head or at == owner else whole).setdefault(name, []).append(f)
    for seg in list(st.parts.segments):
        if st.segment_at.get(seg, -1) > head:
            st.parts.segments.remove(seg)
            for f in next(s for s in st.vocab.model.segments if s.name == seg).filters:
                part.setdefault(f.field, []).append(f)
    return whole, part


def make_share(st: State, part: dict[str, list[Filter]]) -> None:
    """A percentage the model has no ratio metric for: the share of a sum or a count."""
    p = st.parts
    kept, p.filters = p.filters, []
    merge_filters(st, part)
    part_filters, p.filters = p.filters, kept
    if not p.metrics:  # "what fraction of <entities> are <value>": a share of their count
        table = count_table(st)
        metric = st.vocab.count_metric.get(table) if table else None
        if metric is None:
            p.problems.append("a share or percentage of what (a cost, a count)?")
            return
        p.metrics.append(metric)
    if not part_filters and not p.dimensions and not st.grains:
        p.problems.append(
            "a share of what part? say which (e.g. '... that are <value>') or break it down ('by ...')"
        )
        return
    additive = {"sum", "count"} | ({"count_distinct"} if part_filters else set())
    for name in p.metrics:
        if st.vocab.metric_aggregation(name) not in additive:
            p.problems.append(f"a share of {name.replace('_', ' ')}, which does not add up across groups")
            p.suggestions.extend(
                m.name.replace("_", " ") for m in st.vocab.model.metrics if m.type == "ratio"
            )
            return
    p.share_part = part_filters


def pick_ratio(st: State, booleans: list[str]) -> None:
    p = st.parts
    ratios = [m for m in p.metrics if st.vocab.metrics[m].type == "ratio"]
    if ratios:
        return
    candidates = [r for b in booleans for r in st.vocab.ratio_of_boolean.get(b, [])]
    if candidates:
        p.metrics.insert(0, candidates[0])
        return
    p.problems.append("a share or percentage of something the model has no ratio for")
    p.suggestions.extend(m.name.replace("_", " ") for m in st.vocab.model.metrics if m.type == "ratio")


def split_share(st: State) -> None:
    """A percentage with no ratio metric of the model behind it is a share (``share``); its part is
    the conditions said after what it is a share of: moved from ``by_field`` to ``part``."""
    st.share = (
        st.ratio_requested
        and not st.ratio_booleans
        and not any(st.vocab.metrics[m].type == "ratio" for m in st.parts.metrics)
    )
    if st.share:
        st.by_field, st.part = split_part(st, st.by_field, st.said_at)


def pick_model_ratio(st: State) -> None:
    """A percentage the model has a ratio metric for ("the encryption rate") asks for that metric.

    Reads ``ratio_requested``, ``share`` and ``ratio_booleans``; writes ``parts.metrics`` or a problem."""
    if st.ratio_requested and not st.share:
        pick_ratio(st, st.ratio_booleans)


def place_share(st: State) -> None:
    """The share's part, once the counted metric is chosen (``pick_count``): ``parts.share_part``."""
    if st.share:
        make_share(st, st.part)
