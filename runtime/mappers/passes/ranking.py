"""Ranks and superlatives ("top 5", "cheapest", "the most <entities>") and the order they give."""

from __future__ import annotations

from models.intent import OrderBy
from runtime.mappers.english import (
    AGE_WORDS,
    GENERIC_RANK_WORDS,
    SIZE_WORDS,
    TRUE_SUPERLATIVES,
    WHICH_FILLERS,
    WHICH_ONE_ENDING,
    WHICH_ONE_WORDS,
)
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.queries import (
    add_group,
    after,
    before,
    entity_target,
    tables_of_item,
    unit_dimension,
)
from runtime.mappers.passes.state import FILTERING, State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


def size_sort_listing(st: State) -> None:
    """Rows sorted by their size ("the biggest <entities> by <size metric>"), not a ranked total.

    Reads ``sort_size``, ``sort_metric``, the groupings and the terms' uses; writes the sorted-by term's
    use (``SIZE_SORT``) and clears ``sort_metric``."""
    if not (st.sort_size and st.sort_metric and not st.parts.dimensions and not st.count_requested):
        return
    if st.vocab.metric_format(st.sort_metric) != "gb" or not unit_dimension(st, "gb"):
        return
    if any(it.kind == ItemKind.TERM and it.role == Use.METRIC for it in st.items):
        return
    for it in st.items:
        if it.role == Use.SORT_METRIC:
            it.role = Use.SIZE_SORT
    st.sort_metric = None


def bind_rank(st: State, k: int, it: Item) -> None:
    q = it.quantity
    assert q is not None
    st.limit = q.limit
    generic = bool({t.text for t in st.reading.tokens[it.start : it.end]} & GENERIC_RANK_WORDS)
    if q.direction and not (generic and st.direction_said):  # "top 5 cheapest <entities>": asc
        st.direction = q.direction
        st.direction_said = True
        st.generic_rank = generic
    if q.size:
        st.sort_size = True
    if any(t.text in AGE_WORDS for t in st.reading.tokens[it.start : it.end]):
        st.sort_age = True
    metric = metric_in_words(st, it)
    if metric is not None and st.sort_metric is None:
        # "the 5 cheapest <entities>": the ranking word names the metric it ranks by
        st.sort_metric = metric
        st.implied_metrics.append(metric)
        st.sort_size = False
    j = k + 1
    while j < len(st.items):
        nxt = st.items[j]
        if nxt.kind == ItemKind.SUPER:
            st.direction = nxt.direction
            st.direction_said = True
            nxt.bound = True
            j += 1
            continue
        if nxt.kind != ItemKind.TERM or nxt.role:
            break
        if nxt.has(Kind.METRIC) and not nxt.has(Kind.DIMENSION):
            nxt.role = Use.SORT_METRIC
            st.sort_metric = nxt.named(Kind.METRIC)
            j += 1
            continue
        refs = entity_target(st, nxt)
        if refs is not None:
            add_group(st, nxt, refs, role=Use.RANKED if not nxt.has(*FILTERING) else Use.RANKED_VALUE)
            if nxt.role == Use.RANKED_VALUE:
                nxt.role = Use.NONE  # its value still filters
        break
    it.bound = True


def metric_in_words(st: State, it: Item) -> str | None:
    """The metric a word inside a number phrase stands for ("cheapest" in "the 5 cheapest")."""
    for tok in st.reading.tokens[it.start : it.end]:
        found = st.vocab.phrases.get((tok.key,)) or st.vocab.phrases.get((tok.text,)) or []
        metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
        if metric is not None:
            return metric
    return None


def bind_super(st: State, k: int, it: Item) -> None:
    following = after(st, k, skip=(Role.AVG,))
    ranks_metric = (
        following is not None and following[1].kind == ItemKind.TERM and following[1].has(Kind.METRIC)
    )
    if not st.direction_said or (
        st.generic_rank and ranks_metric and it.text.lower() in TRUE_SUPERLATIVES
    ):  # "the 3 accounts with the lowest spend"; "top 10 <entities> by lowest <metric>": lowest first
        st.direction = it.direction
        st.direction_said = True
        st.generic_rank = False
    if it.text.lower() in TRUE_SUPERLATIVES:
        st.superlative = True
    if it.text.lower() in SIZE_WORDS:
        st.sort_size = True
    if it.text.lower() in AGE_WORDS:
        st.sort_age = True
    nxt = after(st, k)
    prev = before(st, k)
    if nxt and nxt[1].kind == ItemKind.TERM and not nxt[1].role:
        t = nxt[1]
        if t.has(Kind.METRIC):
            t.role = Use.SORT_METRIC
            st.sort_metric = t.named(Kind.METRIC)
            st.sort_size = False
            it.bound = True
            return
        tables = [x for x in tables_of_item(st, t) if x in st.vocab.count_metric]
        if st.sort_age:
            st.singular_target = st.singular_target or not t.plural
            it.bound = True  # "the oldest <entities>": sorted by their date
            return
        if st.sort_size and unit_dimension(st, "gb"):
            it.bound = True  # "the biggest <entities>": sorted by size, not by how many
            return
        metric_before = prev is not None and prev[1].kind == ItemKind.TERM and prev[1].has(Kind.METRIC)
        then = st.items[nxt[0] + 1] if nxt[0] + 1 < len(st.items) else None
        if (  # "the most <value> <metric>": the value filters, the metric ranks
            then is not None
            and then.kind == ItemKind.TERM
            and then.start == t.end
            and not then.role
            and then.has(Kind.METRIC)
            and t.has(Kind.VALUE, Kind.BOOLEAN)
            and not t.has(Kind.TABLE)
        ):
            then.role = Use.SORT_METRIC
            st.sort_metric = then.named(Kind.METRIC)
            st.sort_size = False
            it.bound = True
            return
        if tables and (t.has(Kind.TABLE) or (t.has(Kind.VALUE, Kind.BOOLEAN) and not metric_before)):
            # "the most <entities>", "the most <value> ..."; but "spends the most on <value>"
            # ranks by the metric said before
            st.sort_count_table = tables[0]
            st.sort_size = False
            if t.has(Kind.TABLE) and not t.has(*FILTERING):
                t.role = Use.COUNT_SUBJECT
            it.bound = True
            return
    if prev and prev[1].kind == ItemKind.TERM and prev[1].has(Kind.METRIC):
        st.sort_metric = st.sort_metric or prev[1].named(Kind.METRIC)
        prev[1].role = prev[1].role or Use.SORT_METRIC
        st.sort_size = False
    it.bound = True


def which_one(st: State) -> bool:
    """ "which of those is ...", "which one has ...": a single winner is asked for."""
    for it in st.items:
        if it.kind == ItemKind.MARKER and Role.WHICH in it.roles:
            following = [t.text for t in st.reading.tokens[it.end : it.end + 4]]
            following = [w for w in following if w not in WHICH_FILLERS][:1]
            if (following and following[0] in WHICH_ONE_WORDS) or it.text.lower().endswith(WHICH_ONE_ENDING):
                return True
    return False


def rank_suggestions(st: State, metric: str) -> list[str]:
    tables = st.vocab.metric_tables.get(metric, ())
    out = []
    for name, d in st.vocab.dimensions.items():
        if d.enum and any(t in tables for t in st.vocab.dimension_tables.get(name, [])):
            out.append(f"top 5 {(d.synonyms or (name.replace('_', ' '),))[0]} by {metric.replace('_', ' ')}")
    return out[:4]


def place_order(st: State) -> None:
    """The ranking: an order and a limit on the groupings, by the metric ranked by (or the count of the
    table "the most <entities>" names, or the first metric); one total ranked is asked back ("the most
    of what?"). Reads the ranking fields and the parts; writes ``parts.rank``, ``parts.sort_metric``,
    ``parts.order_by`` and ``parts.limit``, and may add the metric."""
    p = st.parts
    wants_order = st.direction is not None or st.limit is not None
    if not wants_order:
        return
    singular = st.singular_target or which_one(st)
    p.rank = (st.direction or "desc", st.limit or (1 if singular and st.superlative else None))
    p.sort_metric = st.sort_metric
    if p.listing and not p.metrics:
        if st.limit:
            p.limit = st.limit
        return
    field_name = st.sort_metric
    if field_name is None and st.sort_count_table in st.vocab.count_metric:
        field_name = st.vocab.count_metric[st.sort_count_table]
    if field_name is None and p.metrics:
        field_name = p.metrics[0]
    if field_name is None:
        return
    if field_name not in p.metrics:
        p.metrics.append(field_name)
    grouped = [d for d in p.dimensions if d.grain is None]
    if not grouped and not p.listing:
        if st.superlative and not st.partial and not any(d.grain for d in p.dimensions):
            # "what costs the most?": the most of what? ranking one total answers nothing
            p.problems.append(
                f"the {'highest' if (st.direction or 'desc') == 'desc' else 'lowest'} "
                f"{field_name.replace('_', ' ')} of what?"
            )
            p.suggestions.extend(rank_suggestions(st, field_name))
        return  # one number: nothing to rank
    p.order_by.insert(0, OrderBy(field=field_name, direction=st.direction or "desc"))
    if st.limit is not None:
        p.limit = st.limit
    elif st.singular_target or any(it.role in (Use.WHICH, Use.RANKED) and not it.plural for it in st.items):
        p.limit = 1
