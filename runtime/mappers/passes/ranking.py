"""Ranks and superlatives ("top 5", "cheapest", "the most <entities>") and the order they give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from models.intent import DimensionRef, OrderBy
from runtime.mappers.english import (
    AGE_WORDS,
    GENERIC_RANK_WORDS,
    MEANS,
    SIZE_WORDS,
    TOTAL_WORDS,
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
    head_noun_meanings,
    kind_table,
    metrics_in_words,
    names_a_kind,
    reaches,
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
    if any(it.kind == ItemKind.TERM and st.use_of(it) == Use.METRIC for it in st.items):
        return
    for it in st.items:
        if st.use_of(it) == Use.SORT_METRIC:
            st.set_use(it, Use.SIZE_SORT)
    st.sort_metric = None


def bind_rank(st: State, k: int, it: Item) -> None:
    q = it.quantity
    assert q is not None
    st.limit = q.limit
    st.offset = q.offset
    if q.offset is not None:  # "the second <superlative> ...": the words after it rank as they would alone
        st.bind(it)
        return
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
            st.bind(nxt)
            j += 1
            continue
        if nxt.kind != ItemKind.TERM or st.use_of(nxt):
            break
        if nxt.has(Kind.METRIC) and not nxt.has(Kind.DIMENSION):
            st.set_use(nxt, Use.SORT_METRIC)
            st.sort_metric = nxt.named(Kind.METRIC)
            j += 1
            continue
        refs = entity_target(st, nxt)
        if refs is None and nxt.has(Kind.SEGMENT):
            # "the 5 cheapest running instances": the rows of the kind the segment's last word names,
            # the segment still filtering (it asked "the bottom 5 of what?")
            kind = Item(ItemKind.TERM, nxt.end - 1, nxt.end, nxt.text, meanings=head_noun_meanings(st, nxt))
            refs = entity_target(st, kind) if kind.has(Kind.VALUE, Kind.TABLE) else None
            if refs is not None:
                add_group(st, nxt, refs, role=Use.RANKED_VALUE)
                st.set_use(nxt, Use.NONE)  # the segment still filters
                break
        if refs is not None:
            add_group(st, nxt, refs, role=Use.RANKED if not nxt.has(*FILTERING) else Use.RANKED_VALUE)
            if st.use_of(nxt) == Use.RANKED_VALUE:
                st.set_use(nxt, Use.NONE)  # its value still filters
        break
    st.bind(it)


def metric_in_words(st: State, it: Item) -> str | None:
    """The metric a word inside a number phrase stands for ("cheapest" in "the 5 cheapest")."""
    return next(iter(metrics_in_words(st.vocab, st.reading.tokens[it.start : it.end])), None)


def _note_superlative(st: State, k: int, it: Item) -> None:
    """The direction a superlative says, unless one was said already ("top 10 <entities> by lowest
    <metric>": the superlative said with the metric wins over "top"), and what kind it is."""
    following = after(st, k, skip=(Role.AVG,))
    ranks_metric = (
        following is not None and following[1].kind == ItemKind.TERM and following[1].has(Kind.METRIC)
    )
    word = it.text.lower()
    if not st.direction_said or (
        st.generic_rank and ranks_metric and word in TRUE_SUPERLATIVES
    ):  # "the 3 accounts with the lowest spend"; "top 10 <entities> by lowest <metric>": lowest first
        st.direction = it.direction
        st.direction_said = True
        st.generic_rank = False
    if word in TRUE_SUPERLATIVES:
        st.superlative = True
    if word in SIZE_WORDS:
        st.sort_size = True
    if word in AGE_WORDS:
        st.sort_age = True


@dataclass(frozen=True)
class _Around:
    """A superlative's neighbours: the unused term right after it (and its index), the item before."""

    next_k: int
    next_t: Item | None
    prev_t: Item | None


def _ranks_next_metric(st: State, a: _Around) -> bool:
    """ "the highest <metric>": ranked by that metric."""
    if a.next_t is None or not a.next_t.has(Kind.METRIC):
        return False
    st.set_use(a.next_t, Use.SORT_METRIC)
    st.sort_metric = a.next_t.named(Kind.METRIC)
    st.sort_size = False
    return True


def _sorts_by_age(st: State, a: _Around) -> bool:
    """ "the oldest <entities>": rows sorted by their date (``pick_listing``)."""
    if a.next_t is None or not st.sort_age:
        return False
    st.singular_target = st.singular_target or not a.next_t.plural
    return True


def _sorts_by_size(st: State, a: _Around) -> bool:
    """ "the biggest <entities>": rows sorted by their size, not by how many."""
    return a.next_t is not None and st.sort_size and unit_dimension(st, "gb") is not None


def _sorts_by_number(st: State, a: _Around) -> bool:
    """ "the maximum bucket size", "the minimum volume capacity": the rows' own size, the largest or
    smallest row, not its most common value (which ranking the size as a group would give)."""
    size = unit_dimension(st, "gb")
    end = a.next_t.start if a.next_t is not None else None
    for t in st.items[a.next_k :]:
        if t.kind != ItemKind.TERM or t.start != end:
            return False
        if size is not None and any(m.kind == Kind.DIMENSION and m.name == size for m in t.meanings):
            st.sort_size = True
            st.singular_target = st.singular_target or not (a.next_t and a.next_t.plural)
            return True
        end = t.end
    return False


def _ranks_metric_after_value(st: State, a: _Around) -> bool:
    """ "the most <value> <metric>": the value filters, the metric ranks."""
    t = a.next_t
    then = st.items[a.next_k + 1] if t is not None and a.next_k + 1 < len(st.items) else None
    if (
        t is None
        or then is None
        or then.kind != ItemKind.TERM
        or then.start != t.end
        or st.use_of(then)
        or not then.has(Kind.METRIC)
        or not t.has(Kind.VALUE, Kind.BOOLEAN)
        or t.has(Kind.TABLE)
    ):
        return False
    st.set_use(then, Use.SORT_METRIC)
    st.sort_metric = then.named(Kind.METRIC)
    st.sort_size = False
    return True


def _ranks_by_count(st: State, a: _Around) -> bool:
    """ "the most <entities>", "the most <value> ...": ranked by how many; but "spends the most on
    <value>" ranks by the metric said before."""
    t = a.next_t
    if t is None:
        return False
    tables = [x for x in tables_of_item(st, t) if x in st.vocab.count_metric]
    metric_before = a.prev_t is not None and a.prev_t.has(Kind.METRIC)
    if not tables or not (t.has(Kind.TABLE) or (t.has(Kind.VALUE, Kind.BOOLEAN) and not metric_before)):
        return False
    st.sort_count_table = tables[0]
    st.sort_size = False
    if t.has(Kind.TABLE) and not t.has(*FILTERING):
        st.set_use(t, Use.COUNT_SUBJECT)
    return True


def _ranks_metric_before(st: State, a: _Around) -> bool:
    """ "<metric> ... the most": ranked by the metric said before, if any."""
    if a.prev_t is not None and a.prev_t.has(Kind.METRIC):
        st.sort_metric = st.sort_metric or a.prev_t.named(Kind.METRIC)
        st.set_use(a.prev_t, st.use_of(a.prev_t) or Use.SORT_METRIC)
        st.sort_size = False
    return True


# What a superlative ranks by; the first rule that applies decides (each returns True when it did).
SUPERLATIVE_RULES: tuple[Callable[[State, _Around], bool], ...] = (
    _ranks_next_metric,
    _sorts_by_age,
    _sorts_by_size,
    _sorts_by_number,
    _ranks_metric_after_value,
    _ranks_by_count,
    _ranks_metric_before,
)


def bind_super(st: State, k: int, it: Item) -> None:
    """A superlative sets the ranking's direction (``_note_superlative``), then the first of
    ``SUPERLATIVE_RULES`` decides what it ranks by; it is always used."""
    _note_superlative(st, k, it)
    nxt, prev = after(st, k), before(st, k)
    if prev is not None and prev[1].quantity is not None and prev[1].quantity.offset is not None:
        prev = before(st, prev[0])  # "spent the third least": the word before the ordinal
    around = _Around(
        next_k=nxt[0] if nxt else k,
        next_t=nxt[1] if nxt and nxt[1].kind == ItemKind.TERM and not st.use_of(nxt[1]) else None,
        prev_t=prev[1] if prev and prev[1].kind == ItemKind.TERM else None,
    )
    for rule in SUPERLATIVE_RULES:
        if rule(st, around):
            break
    st.bind(it)


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
    p.offset = st.offset  # "the second ...": a place in the ranking, whichever way it is placed
    p.sort_metric = st.sort_metric
    if p.listing and not p.metrics:
        if st.superlative and not p.order_by and not st.partial:
            # "the biggest resource" with nothing to rank rows by: every row, unranked, is no answer
            said = next((x.text for x in st.items if x.kind == ItemKind.SUPER), "the most")
            p.problems.append(f"'{said}' by what? the rows listed here have nothing to rank them by")
            return
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
    by_date = st.sort_age and st.sort_metric is None
    by_size = st.sort_size and st.sort_metric is None and st.vocab.metric_format(field_name) != "gb"
    if (by_date or by_size) and field_name in p.metrics and _ranked_kind(st)[1] is not None:
        # "what is the cost of the oldest instance", "how much did the largest bucket cost": the word
        # ranks rows by their date or size, not by the amount asked (it read "oldest" as the cheapest)
        word = next((x.text for x in st.items if x.kind == ItemKind.SUPER), "that")
        p.problems.append(
            f"'{word}' ranks rows by their {'date' if by_date else 'size'}, and the "
            f"{field_name.replace('_', ' ')} asked is another number: ask for the {word} first, then its "
            f"{field_name.replace('_', ' ')}"
        )
        return
    grouped = [d for d in p.dimensions if d.grain is None]
    names = {d.name for d in grouped}
    own = [t for t, m in st.vocab.count_metric.items() if m == field_name]
    if any(set(st.vocab.label_dimensions.get(t, ("",))) <= names for t in own):
        # "top 5 buckets": each row counted by its own count is 1; any five would be "the top five"
        p.problems.append(f"the top {'ones' if st.limit is None else st.limit} by what? each row counts once")
        p.suggestions.extend(rank_suggestions(st, field_name))
        return
    if field_name not in p.metrics:
        p.metrics.append(field_name)
    series = [d for d in p.dimensions if d.grain is not None]
    if not grouped and not p.listing and series and not (p.cumulative or p.compare):
        # "the cheapest day last month", "top 3 weeks by cost": the periods of the series are ranked
        p.order_by.insert(0, OrderBy(field=field_name, direction=st.direction or "desc"))
        p.limit = (
            st.limit if st.limit is not None else (1 if st.superlative and not _plural_periods(st) else None)
        )
        return
    counted = field_name in st.vocab.count_metric.values()  # each row of a kind counts once: no ranking
    if not grouped and not p.listing and st.superlative and not st.partial and not series and not counted:
        grouped, kind = _ranked_kind(st)  # "the cheapest instance": the instances, each a row, ranked
        p.dimensions.extend(grouped)
        if kind is not None and not kind.plural and st.limit is None:
            st.limit = 1
    if not grouped and not p.listing:
        if st.limit is not None and st.limit > 1 and not series and not st.superlative:
            # "top 3 by cost" with nothing to rank: the top 3 of what? (it answered the grand total)
            end = "top" if (st.direction or "desc") == "desc" else "bottom"
            p.problems.append(f"the {end} {st.limit} of what? name what to rank (e.g. 'by service')")
            p.suggestions.extend(rank_suggestions(st, field_name))
            return
        if st.superlative and not st.partial and not series:
            # "what costs the most?": the most of what? ranking one total answers nothing
            p.problems.append(
                f"the {'highest' if (st.direction or 'desc') == 'desc' else 'lowest'} "
                f"{field_name.replace('_', ' ')} of what?"
            )
            p.suggestions.extend(rank_suggestions(st, field_name))
        return  # one number: nothing to rank
    if by_size and (p.filters or p.segments) and (sized := _size_of_group(st)):
        # "how many public buckets does the biggest account have": biggest by what? ranking by the
        # amount asked would rank the accounts by their public buckets, not by their size
        p.problems.append(
            f"'{sized}' by what? ranked by the {field_name.replace('_', ' ')} asked, only the rows its "
            "conditions pick would count; say which amount makes it the "
            f"{sized} (e.g. 'the {sized.split()[-1]} with the most ...')"
        )
        p.suggestions.append(f"{field_name.replace('_', ' ')} by {sized.split()[-1]}")
        return
    p.order_by.insert(0, OrderBy(field=field_name, direction=st.direction or "desc"))
    if st.limit is not None and st.limit > 1 and _totals_ranked_rows(st):
        # "total cost of the top 5 accounts": one sum over the ranked rows, which a ranking cannot
        # give (it lists each); listing them would answer another question
        p.problems.append(f"a total or average of only the top {st.limit}: I can list them, not add them up")
        p.suggestions.append(f"top {st.limit} by {field_name.replace('_', ' ')}")
        return
    if st.limit is not None:
        p.limit = st.limit
    elif st.singular_target or any(
        st.use_of(it) in (Use.WHICH, Use.RANKED) and not it.plural for it in st.items
    ):
        p.limit = 1


def _size_of_group(st: State) -> str | None:
    """ "the biggest account": a size word right before a group's noun (ranked or asked "which"),
    with no amount of its own; the words, or None."""
    for sup, noun in pairwise(st.items):
        if (
            sup.kind == ItemKind.SUPER
            and sup.text.lower() in SIZE_WORDS
            and noun.start == sup.end
            and noun.kind == ItemKind.TERM
            and st.use_of(noun) in (Use.RANKED, Use.WHICH)
        ):
            return f"{sup.text} {noun.text}"
    return None


def _ranked_kind(st: State) -> tuple[list[DimensionRef], Item | None]:
    """ "the cheapest instance", "the most expensive prod database", "which bucket cost the most": a
    value naming a kind of row (an enum value of a table whose rows have names), said right after a
    superlative or "which" (with other values between), is the rows ranked: one row each by their
    names, the value still filtering to that kind; the item, so a singular one ranks one row."""
    for k, it in enumerate(st.items):
        ranks = it.kind == ItemKind.SUPER or (it.kind == ItemKind.MARKER and Role.WHICH in it.roles)
        if not (ranks or (it.kind == ItemKind.TERM and it.direction is not None)):
            continue
        end = it.end
        found: tuple[list[DimensionRef], Item | None] = ([], None)
        for nxt in st.items[k + 1 :]:  # the last of the words said together is the noun: its kind
            if nxt.kind != ItemKind.TERM or nxt.start != end:
                break
            end = nxt.end
            table = kind_table(st, nxt.first(Kind.VALUE))
            if table is not None and not nxt.has(Kind.TABLE):
                found = ([DimensionRef(name=n) for n in st.vocab.label_dimensions[table]], nxt)
            if not nxt.has(Kind.METRIC, Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT):
                break
        if found[1] is not None:
            return found
    return [], None


def _totals_ranked_rows(st: State) -> bool:
    """ "total storage of the 10 largest volumes", "average size of the top 5 buckets": a word of
    summing or averaging, then "of", before the ranking word."""
    tokens = [t.text for t in st.reading.tokens]
    rank_at = next((it.start for it in st.items if it.kind == ItemKind.SUPER), None)
    rank_at = min((i for i, w in enumerate(tokens) if w in ("top", "bottom") or w.isdigit()), default=rank_at)
    if rank_at is None:
        return False
    said = tokens[:rank_at]
    if "of" in said and any(w in TOTAL_WORDS or (w,) in MEANS or w == "sum" for w in said):
        return True
    # "what did the top 5 accounts spend altogether", "... in total last month", "... combined"
    after = " ".join(tokens[rank_at:])
    return any(f" {w} " in f" {after} " for w in ("in total", "altogether", "combined", "all together"))


def _plural_periods(st: State) -> bool:
    """ "the cheapest days": every period in order; "the cheapest day": one."""
    return any(it.time is not None and it.time.grain is not None and it.text.endswith("s") for it in st.items)


def ask_ranking_within_groups(st: State) -> None:
    """ "top 3 services per region", "the most expensive account in each environment": a ranking
    within each group is not what an intent ranks (it ranks the whole answer), and answering would
    give the top pairs overall or drop the ranked rows; asked back, offering what can be ranked.

    Reads the items' uses and the ranking; writes problems and suggestions."""
    p = st.parts
    if st.direction is None and p.limit is None:
        return
    sup = next((k for k, it in enumerate(st.items) if it.kind == ItemKind.SUPER), None)
    said = st.items[sup + 1] if sup is not None and sup + 1 < len(st.items) else None
    which = any(st.use_of(it) == Use.WHICH for it in st.items)
    if (
        which
        and said is not None
        and said.kind == ItemKind.TERM
        and said.plural
        and st.use_of(said) == Use.GROUP
        and said.has(Kind.DIMENSION, Kind.TAG_KEY)
        and not said.has(Kind.TABLE, Kind.VALUE)
    ):
        # "which account has the most regions": how many different regions each has; the model
        # counts rows, so grouping by both would rank the largest single (account, region) pair
        word = st.items[sup].text if sup is not None else "most"
        p.problems.append(
            f"the {word} {said.text}: the model counts rows, not different {said.text}, so it cannot "
            f"rank by how many {said.text} each has; ask for the rows by both (by ... and {said.text})"
        )
        return
    ranked = None
    for it in st.items:
        use = st.use_of(it)
        if (
            it.kind == ItemKind.TERM
            and use in (Use.ENTITY, Use.RANKED)
            and it.has(Kind.TABLE, Kind.DIMENSION)
        ):
            ranked = it
        elif ranked is not None and it.kind == ItemKind.TERM and use == Use.GROUP:
            named = {m.name for m in ranked.meanings} & {m.name for m in it.meanings}
            if named:
                continue
            metric = (p.metrics or ["count"])[0].replace("_", " ")
            p.problems.append(
                f"the top '{ranked.text}' within each '{it.text}': I can rank the whole answer, not "
                "within each group"
            )
            p.suggestions.extend(
                (f"top {p.limit or 1} {ranked.text} by {metric}", f"{metric} by {ranked.text} and {it.text}")
            )
            return
    if not p.problems and (within := _rows_ranked_per_group(st)) is not None:
        rows, group = within
        p.problems.append(
            f"the top '{rows.text}' within each '{group.text}': I can rank the whole answer, not within "
            "each group"
        )
        before = [t.orig for t in st.reading.tokens[: group.start - 1]]
        while before and before[-1].lower() in ("in", "for", "of", "by"):
            before.pop()
        p.suggestions.append(" ".join(before))
        return
    series = next((d.grain for d in p.dimensions if d.grain is not None), None)
    if ranked is not None and series is not None and p.limit is not None:  # "the top service per month"
        p.problems.append(
            f"the top '{ranked.text}' within each {series.value}: I can rank the whole answer, not "
            "within each period"
        )


def _rows_ranked_per_group(st: State) -> tuple[Item, Item] | None:
    """ "the 4 biggest volumes per account", "the priciest database in each region": rows of a kind
    in a ranked question, then "per" or "each" and a group; the rows' and the group's words, or None."""
    tokens = st.reading.tokens
    rows: Item | None = None
    for it in st.items:
        if it.kind != ItemKind.TERM:
            continue
        if rows is None and names_a_kind(st, it):
            rows = it
        elif (
            rows is not None
            and it.start > 0
            and tokens[it.start - 1].text in ("per", "each")
            and it.has(Kind.DIMENSION, Kind.TAG_KEY, Kind.TABLE)
        ):
            return rows, it
    return None


def rank_named_rows(st: State) -> None:
    """ "who owns the most expensive account": the rows a superlative names ("account") are what is
    ranked, each shown with what was asked of it (its owner); ranking the owners instead would add up
    several accounts each. When what was asked is no column of those rows ("which region has the most
    expensive account": an account spans regions), asked back.

    Reads the superlative, the entity terms and the groupings; writes ``parts.dimensions`` or a problem."""
    p = st.parts
    if not st.superlative or not p.dimensions or p.limit is None:
        return
    sup = next((k for k, it in enumerate(st.items) if it.kind == ItemKind.SUPER), None)
    if sup is None:
        return
    following = st.items[sup + 1 :]
    for j, it in enumerate(following):
        if it.kind != ItemKind.TERM or it.plural:
            continue
        modifier = (
            j + 1 < len(following)
            and following[j + 1].kind == ItemKind.TERM
            and following[j + 1].start == it.end
        )
        # "which region has the most expensive instance": a value naming a kind of row names rows
        # too, unless it modifies the noun after it, or the ranking counts rows ("the most instances")
        counted = bool(p.order_by) and p.order_by[0].field in st.vocab.count_metric.values()
        single = it.has(Kind.VALUE) and not it.has(Kind.TABLE) and not counted and not modifier
        kind = kind_table(st, it.first(Kind.VALUE)) if single else None
        if kind is None and (st.use_of(it) != Use.ENTITY or not it.has(Kind.TABLE)):
            continue
        tables = {kind} if kind is not None else {m.name for m in it.all(Kind.TABLE)}
        labels = [n for t in sorted(tables) for n in st.vocab.label_dimensions.get(t, ())]
        shown = [d for d in p.dimensions if d.name not in labels]
        if not labels or not shown:
            return
        if all(reaches(st.vocab, t, [d.name for d in shown]) for t in tables):  # one value per ranked row
            p.dimensions = [*(DimensionRef(name=n) for n in labels), *shown]
        else:
            names = ", ".join(d.name for d in shown)
            p.problems.append(f"the {names} of the top '{it.text}': a '{it.text}' has more than one")
        return
