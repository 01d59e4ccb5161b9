"""English markers bind to the words they apply to: one binder per role, in ``MARKER_BINDERS``."""

from __future__ import annotations

from collections.abc import Callable

from models.intent import DimensionRef
from runtime.mappers.english import (
    AGE_WORDS,
    AGENT_VERBS,
    AND_WORDS,
    AUXILIARIES,
    AVERAGE_PER,
    MEANS,
    NEGATING_PREFIXES,
    PAST_PARTICIPLE_ENDING,
    PLAIN_TOTAL,
    POSSESSIVES,
    POSTFIX_NEGATIONS,
    SIZE_QUESTION,
    SIZE_WORDS,
    SPAN_FOLLOWERS,
    SPAN_WORDS,
    UNITS,
    VALUE_PREPOSITIONS,
    unit_kind,
)
from runtime.mappers.kinds import ItemKind, QuantityKind, Role, Use
from runtime.mappers.passes.defaults import after_preposition
from runtime.mappers.passes.queries import (
    add_group,
    adjacent_value_of,
    after,
    asks_for_other_metric,
    before,
    group_target,
    head_noun_meanings,
    kind_table,
    metric_in_unit,
    own_column,
    tables_of_item,
    unit_dimension,
)
from runtime.mappers.passes.state import FILTERING, GROUPABLE, State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind, Meaning


def bind_coordination(st: State) -> None:
    """ "total and average daily <metric noun>": a word before "and" that, with the noun of the
    metric after it, is another metric's phrase ("total <noun>") asks for that metric as well.

    Reads the "and" markers and the terms around them; writes ``coordinated`` and marks the word before
    "and" used."""
    for k, it in enumerate(st.items):
        if it.kind != ItemKind.MARKER or Role.AND not in it.roles or it.start == 0:
            continue
        nxt = after(st, k)
        if not nxt or nxt[1].kind != ItemKind.TERM or nxt[1].start != it.end or not nxt[1].has(Kind.METRIC):
            continue
        prev = before(st, k)
        word_item = prev[1] if prev and prev[1].end == it.start else None
        one_word = word_item is not None and word_item.end - word_item.start == 1
        value_word = one_word and word_item.kind == ItemKind.TERM and not word_item.has(Kind.METRIC)  # type: ignore[union-attr]
        if word_item is not None and not ((word_item.kind == ItemKind.MARKER and one_word) or value_word):
            continue  # "<metric> and <metric>" is already two metrics
        word = (st.reading.tokens[it.start - 1].key,)
        anchor = nxt[1].named(Kind.METRIC)
        for t in st.items[nxt[0] :]:
            if t.kind != ItemKind.TERM or (not t.has(Kind.METRIC) and not t.has(*FILTERING)):
                break
            metric = coordinated_metric(st, word, t, anchor) if t.has(Kind.METRIC) else None
            if metric is not None:
                st.coordinated.append((metric, anchor))
                if word_item is not None:
                    st.bind(word_item)
                    if value_word:  # "public and encrypted counts": a count each, not a condition
                        st.set_use(word_item, Use.METRIC_WORD)
                break


def coordinated_metric(st: State, word: tuple[str, ...], it: Item, anchor: str) -> str | None:
    """The metric that ``word`` and the end of ``it``'s phrase name together ("total" + noun),
    or, for a word that only means "the whole amount", the end of the phrase alone ("total" +
    noun); never the metric the phrase already names."""
    tokens = st.reading.tokens[it.start : it.end]
    for i in range(len(tokens)):
        rest = tuple(x.key for x in tokens[i:])
        for key in ((*word, *rest), rest if word[0] in PLAIN_TOTAL else ()):
            found = st.vocab.phrases.get(key) or [] if key else []
            metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
            if metric is not None and metric != anchor:
                return metric
    return None


def bind_average(st: State, k: int, it: Item) -> None:
    """ "average <values> <thing>": the metric that averages the thing, found through the words
    ("average" + a noun is a metric's synonym) or through the model (the average over the column a
    summed metric adds up, or over a number dimension). Values and entities in between filter."""
    words = tuple(t.key for t in st.reading.tokens[it.start : it.end])
    if words not in MEANS:
        return  # a median is not an average
    if k + 1 in st.rates:  # "average over 2,000 a day": the rate's metric
        st.bind(it)
        return
    if st.is_bound(it):  # bound to a rate before ("<metric> per day on average")
        return
    j = k + 1
    while j < len(st.items):
        nxt = st.items[j]
        if nxt.kind != ItemKind.TERM or st.use_of(nxt):
            return
        metric = average_named(st, words, nxt)
        if metric is not None:
            st.set_use(st.rewrite(nxt, meanings=(Meaning(Kind.METRIC, metric),)), Use.METRIC)
            st.bind(it)
            return
        if nxt.has(Kind.METRIC) or not nxt.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT, Kind.TABLE):
            return
        j += 1
    # "how big is the average <entity>": the size in the model's unit of size
    size_dim = unit_dimension(st, "gb")
    said = [x for x in st.items if x.kind == ItemKind.UNKNOWN and x.text.lower() in SIZE_QUESTION]
    if size_dim in st.vocab.average_of and said:
        st.implied_metrics.append(st.vocab.average_of[size_dim])
        st.bind(it)
        for x in said:
            st.bind(st.rewrite(x, kind=ItemKind.MARKER))


def average_named(st: State, words: tuple[str, ...], it: Item) -> str | None:
    tokens = st.reading.tokens[it.start : it.end]
    for said in (words, *(w for w in MEANS if w != words)):
        for i in range(len(tokens)):
            found = st.vocab.phrases.get((*said, *(t.key for t in tokens[i:]))) or []
            metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
            if metric is not None:
                return metric
    for m in it.meanings:
        if m.kind in (Kind.METRIC, Kind.DIMENSION) and m.name in st.vocab.average_of:
            return st.vocab.average_of[m.name]
    return None


def bind_negation(st: State, k: int, it: Item, postfix_only: bool = False) -> None:
    j = len(st.items) if postfix_only else k + 1
    negated_any = False
    last = it
    while j < len(st.items):
        nxt = st.items[j]
        if nxt.kind == ItemKind.MARKER and set(nxt.roles) & {Role.AND, Role.OR, Role.WITH, Role.EXISTS}:
            last = nxt
            j += 1
            continue
        if nxt.kind != ItemKind.TERM or st.use_of(nxt):
            break
        gap = {t.text for t in st.reading.tokens[last.end : nxt.start]}
        if negated_any and gap & VALUE_PREPOSITIONS:
            break  # "missing the team tag in staging": "in staging" says where, it is not negated
        prefix = st.reading.tokens[it.start].text in NEGATING_PREFIXES
        if negated_any and prefix and nxt.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT):
            break  # "non-prod instances": the instances are not negated, only prod
        then = st.items[j + 1] if j + 1 < len(st.items) else None
        if (  # "not tagged owner=bob": "tagged" introduces the tag's value, which is what is negated
            nxt.has(Kind.BOOLEAN)
            and then is not None
            and then.kind == ItemKind.TERM
            and any(":" in m.name for m in then.all(Kind.VALUE))
            and nxt.end == then.start
        ):
            st.set_use(nxt, Use.QUALIFIER)
            last = nxt
            j += 1
            continue
        said = {m.name for m in last.all(Kind.VALUE)} if st.use_of(last) == Use.NEGATED else set()
        if then is not None and then.kind == ItemKind.TERM:  # "not in cost center cc-1003": the key
            said |= {m.name for m in then.all(Kind.VALUE)}  # names what the value after it is
        if said and nxt.has(Kind.TAG_KEY) and {m.name for m in nxt.all(Kind.TAG_KEY)} & said:
            st.set_use(nxt, Use.QUALIFIER)  # "excluding the ml team": "team" says what ml is
            last = nxt
            j += 1
            continue
        if nxt.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT, Kind.TAG_KEY) and not (
            nxt.has(Kind.DIMENSION) and not nxt.has(Kind.VALUE)
        ):
            st.set_use(nxt, Use.NEGATED)
            negated_any = True
            last = nxt
            j += 1
            continue
        if nxt.has(Kind.DIMENSION, Kind.TABLE) and not nxt.has(Kind.METRIC) and adjacent_value_of(st, j, nxt):
            st.set_use(nxt, Use.QUALIFIER)
            if nxt.has(Kind.TABLE):  # "non-prod accounts": the accounts are what is counted or listed
                target = st.qualified_tables if after_preposition(st, j) else st.entity_tables
                target.extend(x.name for x in nxt.all(Kind.TABLE))
            last = nxt
            j += 1
            continue
        if nxt.has(Kind.TAG_DIMENSION) and not negated_any:
            st.set_use(nxt, Use.NEGATED)
            negated_any = True
        break
    if not negated_any and it.text.lower() in POSTFIX_NEGATIONS and k > 0:
        prev = st.items[k - 1]  # "where the owner tag is missing"
        if (
            prev.kind == ItemKind.TERM
            and not st.use_of(prev)
            and prev.has(Kind.TAG_KEY)
            and it.start - prev.end <= 2
        ):
            st.set_use(prev, Use.NEGATED)
            negated_any = True
    st.bind(it, negated_any)


def _binds_span(st: State, k: int, it: Item) -> bool:
    """ "across the org", "across all accounts": everything, counted once, not a breakdown."""
    next_word = st.reading.tokens[it.end].text if it.end < len(st.reading.tokens) else ""
    if it.text.lower() not in SPAN_WORDS or next_word not in SPAN_FOLLOWERS:
        return False
    scope = after(st, k)
    if (
        scope
        and scope[1].kind == ItemKind.TERM
        and not st.use_of(scope[1])
        and not scope[1].has(*FILTERING, Kind.METRIC)
    ):
        st.set_use(scope[1], Use.SCOPE)
    st.bind(it)
    return True


def _next_listed(st: State, j: int, grouped: Item) -> int | None:
    """After a grouping at ``j``, the index of the next one of a list ("by account, region", "by
    account and region"; the "and" is used), or None when the list ends."""
    listed = st.items[j + 1] if j + 1 < len(st.items) else None
    if (
        st.reading.tokens[grouped.end - 1].pause
        and listed is not None
        and listed.kind == ItemKind.TERM
        and not st.use_of(listed)
        and listed.has(*GROUPABLE)
        and not listed.has(Kind.METRIC, *FILTERING)
    ):
        return j + 1
    following = after(st, j)
    if following and following[1].kind == ItemKind.MARKER and Role.AND in following[1].roles:
        after_and = after(st, following[0])
        if (
            after_and
            and after_and[1].kind == ItemKind.TERM
            and after_and[1].has(*GROUPABLE)
            and not after_and[1].has(Kind.METRIC, *FILTERING)
        ):
            st.bind(following[1])
            return after_and[0]
    return None


def _listing_asked(st: State) -> bool:
    """A word asking for the rows themselves ("list", "show"), anywhere in the question: sorting words
    are bound before the listing is chosen (``pick_listing``)."""
    return any(i.kind == ItemKind.MARKER and Role.LIST in i.roles for i in st.items)


def _sorts_listing(st: State, k: int, it: Item) -> bool:
    """ "list volumes by size", "list buckets by creation date": a list of rows "by" a number or a
    date of their own is sorted by it (a count per distinct size or per creation day answers no
    one); "list instances by region" still groups."""
    if not _listing_asked(st) or k + 1 >= len(st.items):
        return False
    nxt = st.items[k + 1]
    if nxt.kind != ItemKind.TERM or st.use_of(nxt) or nxt.has(Kind.METRIC, Kind.VALUE):
        return False
    own = [
        m.name
        for m in nxt.meanings
        if (m.kind == Kind.DIMENSION and m.name in st.vocab.number_dimensions)
        or m.kind == Kind.TIME_DIMENSION
    ]
    if not own or len(own) != len(
        [m for m in nxt.meanings if m.kind in (Kind.DIMENSION, Kind.TIME_DIMENSION)]
    ):
        return False
    st.set_use(nxt, Use.COLUMN)
    st.sort_columns = tuple(own)
    st.bind(it)
    return True


def bind_group(st: State, k: int, it: Item) -> None:
    """ "by <dimension>", "per <grain>", "by <metric>" (a ranking), "by <kind>" (one row per thing of
    that kind), a list of groupings; the marker is used when it found one. Writes groupings
    (``add_group``), the items' uses and ``sort_metric``."""
    if _binds_span(st, k, it):
        return
    if _sorts_listing(st, k, it):
        return
    j: int | None = k + 1
    while j is not None and j < len(st.items):
        nxt = st.items[j]
        if nxt.kind == ItemKind.TIME and nxt.time and nxt.time.grain:
            st.bind(it)  # "by month": the time phrase is the series
            return
        if nxt.kind != ItemKind.TERM or st.use_of(nxt):
            return
        if nxt.has(Kind.METRIC) and not nxt.has(Kind.DIMENSION, Kind.TAG_KEY, Kind.TIME_DIMENSION):
            st.set_use(nxt, Use.SORT_METRIC)  # "top 5 accounts by cost"
            st.sort_metric = nxt.named(Kind.METRIC)
            st.bind(it)
            return
        if nxt.has(*FILTERING) and not nxt.has(Kind.TAG_KEY):
            entity = st.items[j + 1] if j + 1 < len(st.items) else None
            if (
                entity is not None
                and entity.kind == ItemKind.TERM
                and entity.start == nxt.end
                and not st.use_of(entity)
                and entity.has(Kind.TABLE)
                and not entity.has(*FILTERING, Kind.METRIC)
            ):
                j += 1  # "each <value> <entity>": the entities, of that value, each
                continue
            own = {m.name for m in nxt.meanings if m.kind == Kind.VALUE}
            if (
                entity is not None
                and entity.kind == ItemKind.TERM
                and entity.start == nxt.end
                and not st.use_of(entity)
                and own & {m.name for m in entity.meanings if m.kind == Kind.DIMENSION}
            ):
                # "per EU region": each region of that group, the group still filtering; it was one
                # total for Europe, the "per" dropped
                add_group(
                    st,
                    entity,
                    [DimensionRef(name=n) for n in sorted(own & {m.name for m in entity.meanings})],
                )
                st.bind(it)
                j = _next_listed(st, j + 1, entity)  # "by eu region and service"
                continue
            refs = rows_of_kind(st, it, nxt)
            if refs:  # "cost by <kind>", "of each <kind>": one row per <kind>, of that kind only
                add_group(st, nxt, refs, role=Use.RANKED_VALUE)
                st.set_use(nxt, Use.NONE)  # its value still filters
                st.bind(it)
            else:
                _rows_of_described_kind(st, it, j)
            return  # "owned by alice": a value, not a grouping
        if qualifies_dimension(st, j, nxt):  # "per account environment": the account's environment
            j += 1
            continue
        refs = group_target(st, nxt)
        if refs is None:
            return
        add_group(st, nxt, refs)
        st.bind(it)
        j = _next_listed(st, j, nxt)


def _rows_of_described_kind(st: State, marker: Item, j: int) -> None:
    """ "cost per running instance", "cost per public bucket", "storage per unattached volume": a
    kind of row said with words that describe it (values, yes/no words, or a segment whose last word
    is the kind) is one row per thing of that kind, as "cost per instance" is; the describing words
    still filter. Never the total of them all, which drops "per"."""
    k = j
    while True:
        nxt = st.items[k]
        refs = rows_of_kind(st, marker, nxt) if k > j else None
        if refs is None and nxt.has(Kind.SEGMENT):
            last = st.reading.tokens[nxt.end - 1]
            kind = Item(ItemKind.TERM, nxt.end - 1, nxt.end, last.orig, meanings=head_noun_meanings(st, nxt))
            refs = rows_of_kind(st, marker, kind)
        if refs:
            add_group(st, nxt, refs, role=Use.RANKED_VALUE)
            st.set_use(nxt, Use.NONE)  # what it names still filters
            st.bind(marker)
            return
        after_it = st.items[k + 1] if k + 1 < len(st.items) else None
        if (
            after_it is None
            or after_it.kind != ItemKind.TERM
            or after_it.start != nxt.end
            or st.use_of(after_it)
            or not after_it.has(*FILTERING)
        ):
            return
        k += 1


def rows_of_kind(st: State, marker: Item, it: Item) -> list[DimensionRef] | None:
    """ "by <kind>", "each <kind>": a grouping word before a value of a listed kind (an enum value
    of a table whose rows have names) asks for one row per thing of that kind; None after a verb
    of doing ("owned by <someone>"), or when a metric averages per thing ("average <metric> per
    <kind>"; "average <metric> by <kind>" is still one row each)."""
    before = st.reading.token_before(marker)
    if before is not None and (before.text in AGENT_VERBS or before.text.endswith(PAST_PARTICIPLE_ENDING)):
        return None
    averaged = any(
        (x.kind == ItemKind.MARKER and Role.AVG in x.roles)
        or (
            x.kind == ItemKind.TERM
            and any(st.vocab.metric_aggregation(m.name) == "avg" for m in x.all(Kind.METRIC))
        )
        for x in st.items
    )
    if averaged and marker.text.lower() in AVERAGE_PER:
        return None
    if not asks_for_other_metric(st):
        return None  # "list each <kind>": a listing has one row each already
    noun = next(
        (x for x in st.items if x.start == it.end and x.kind in (ItemKind.TERM, ItemKind.UNKNOWN)), None
    )
    if noun is not None and not st.reading.tokens[it.end - 1].pause:
        return None  # "by <kind> <noun>": the noun says what to group by, not the kind
    table = kind_table(st, it.first(Kind.VALUE))
    if table is None:
        return None
    return [DimensionRef(name=n) for n in st.vocab.label_dimensions[table]]


def qualifies_dimension(st: State, j: int, it: Item) -> bool:
    """ "<entity> <dimension>" said together, without a comma: the dimension of that entity, so the
    entity word only qualifies it."""
    nxt = st.items[j + 1] if j + 1 < len(st.items) else None
    if (
        nxt is None
        or nxt.kind != ItemKind.TERM
        or st.use_of(nxt)
        or nxt.start != it.end
        or st.reading.tokens[it.end - 1].pause
        or not it.has(Kind.TABLE)
        or it.has(*FILTERING, Kind.METRIC)
        or not nxt.has(Kind.DIMENSION)
        or nxt.has(Kind.TABLE, Kind.METRIC, *FILTERING)
    ):
        return False
    tables = {m.name for m in it.all(Kind.TABLE)}
    own = [m for m in nxt.all(Kind.DIMENSION) if tables & set(st.vocab.dimension_tables.get(m.name, ()))]
    if not own:
        return False
    st.set_use(it, Use.QUALIFIER)
    return True


def bind_which(st: State, k: int, it: Item) -> None:
    nxt = after(st, k)
    if nxt is None:
        return
    target = nxt[1]
    gap = {t.text for t in st.reading.tokens[it.end : target.start]}
    if gap & AUXILIARIES:
        return  # "what did their <entities> cost": what is asked is the amount, not which rows
    before = st.reading.tokens[it.start - 1].text if it.start > 0 else ""
    listed = any(
        x.kind == ItemKind.TERM and x.end <= it.start and x.has(Kind.TABLE, Kind.VALUE) for x in st.items
    )
    if (
        before in AND_WORDS
        and listed
        and target.kind == ItemKind.TERM
        and not st.use_of(target)
        and not asks_for_other_metric(st)
        and not st.count_requested
        and st.direction is None
    ):
        refs = group_target(st, target)
        if refs:  # "list <entities> and which <dimension> each is in": a column of the list
            st.set_use(target, Use.COLUMN)
            st.columns.extend(r for r in refs if r not in st.columns)
            st.bind(it)
            return
    if target.kind == ItemKind.QUANTITY and target.quantity and target.quantity.kind == QuantityKind.RANK:
        return  # "which 10 <entities>": the rank binds
    if target.kind != ItemKind.TERM or st.use_of(target) or target.has(Kind.METRIC):
        return
    if target.has(*FILTERING) and not target.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY):
        return  # "which <value words> are <yes/no word>": a listing
    if target.has(Kind.TIME_DIMENSION) and not target.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY):
        return  # "what <time dimension synonym> ...": a date condition, not a grouping
    refs = group_target(st, target)
    if refs is None:
        return
    add_group(st, target, refs, role=Use.WHICH)
    labels = {n for ls in st.vocab.label_dimensions.values() for n in ls}
    if target.has(Kind.TABLE) or all(r.name in labels for r in refs):
        st.which_refs.extend(refs)
        st.which_tables.extend(t for r in refs for t in st.vocab.tables_of(r.name))
    st.singular_target = st.singular_target or not target.plural
    st.bind(it)


def bind_count(st: State, k: int, it: Item) -> bool:
    """ "how many <entities>": a count is asked for, of the rows the next term names; "how many TB
    of ...": an amount in that unit instead (True: the marker is used up, no other role applies)."""
    nxt = after(st, k)
    if nxt and nxt[1].kind == ItemKind.IGNORED and nxt[1].text.lower() in UNITS:
        # "how many TB of ...": an amount in a unit, not a number of rows
        written = UNITS[nxt[1].text.lower()]
        metric = metric_in_unit(st, unit_kind(written) or "")
        if metric:
            st.parts.metrics.append(metric)
            if st.vocab.field_unit(metric) not in (None, written):
                st.parts.units[metric] = written  # "how many TB of <storage>": shown in TB
            st.bind(st.rewrite(nxt[1], kind=ItemKind.MARKER))  # the unit chose the metric
            st.bind(it)
            return True
    st.count_requested = True
    st.count_default = st.count_default or it.default_metric
    if (
        nxt
        and nxt[1].kind == ItemKind.TERM
        and nxt[1].start == it.end
        and not nxt[1].has(Kind.TABLE, Kind.METRIC, *FILTERING)
        and nxt[1].has(Kind.DIMENSION, Kind.TAG_KEY)
    ):
        name = nxt[1].named(Kind.DIMENSION, Kind.TAG_KEY)
        st.parts.problems.append(f"the model counts rows, not distinct values of {name}")
        st.parts.suggestions.extend(
            f"{m.replace('_', ' ')} by {name.replace('_', ' ')}"
            for t, m in st.vocab.count_metric.items()
            if t in st.vocab.tables_of(name)
        )
        st.set_use(nxt[1], Use.UNPLACED)
    if nxt and nxt[1].kind == ItemKind.TERM:
        st.count_tables.extend(tables_of_item(st, nxt[1]))
        if nxt[1].has(Kind.TABLE) and not nxt[1].has(Kind.METRIC, *FILTERING) and not st.use_of(nxt[1]):
            st.set_use(nxt[1], Use.COUNT_SUBJECT)
            st.entity_tables.extend(x.name for x in nxt[1].all(Kind.TABLE))
    st.bind(it)
    return False


def bind_ratio(st: State, k: int, it: Item) -> None:
    """ "percentage", "share": a share or the model's ratio is asked for (decided when assembling)."""
    st.ratio_requested = True
    st.ratio_at = k if st.ratio_at is None else st.ratio_at
    st.bind(it)


def bind_postfix_negation(st: State, k: int, it: Item) -> None:
    """ "where the owner tag is missing": the negation said after what it negates."""
    bind_negation(st, k, it, postfix_only=True)


def bind_with(st: State, k: int, it: Item) -> None:
    """ "with an owner tag": rows that have the tag; "with team <value>" is a value instead; "with
    their owners", "with its region": each row's value shown beside it, a column, not a condition."""
    nxt = after(st, k)
    said = st.reading.tokens[it.end].text if it.end < len(st.reading.tokens) else ""
    if (
        said in POSSESSIVES
        and nxt
        and nxt[1].kind == ItemKind.TERM
        and not st.use_of(nxt[1])
        and nxt[1].has(Kind.TAG_KEY, Kind.DIMENSION)
        and not nxt[1].has(Kind.VALUE, Kind.METRIC, Kind.TABLE)
    ):
        refs = group_target(st, nxt[1])
        if refs:
            st.set_use(nxt[1], Use.COLUMN)
            refs = own_column(st, nxt[1], refs)  # "accounts with their owner": the account's owner
            st.columns.extend(r for r in refs if r not in st.columns)
            st.list_requested = True
            st.bind(it)
            return
    if (
        nxt
        and nxt[1].kind == ItemKind.TERM
        and not st.use_of(nxt[1])
        and nxt[1].has(Kind.TAG_KEY)
        and not nxt[1].has(Kind.VALUE, Kind.DIMENSION)
        and not adjacent_value_of(st, nxt[0], nxt[1])
    ):
        st.set_use(nxt[1], Use.HAS_TAG)
    st.bind(it)


def bind_sort(st: State, k: int, it: Item) -> None:
    """ "sorted by <metric>": the metric ranked by, largest first unless said otherwise; "rank
    <entities> by <metric>" / "by how many ...": the entities ranked by what follows their "by"."""
    nxt = after(st, k, skip=(Role.GROUP,))
    listing = _listing_asked(st)
    if listing and nxt and nxt[1].kind == ItemKind.TERM and nxt[1].text.lower() in SIZE_WORDS:
        # "list the public buckets sorted by size": each row by its own size, as "biggest first" sorts
        v = st.vocab
        sized = [m for m in v.metrics if (v.metric_format(m), v.metric_aggregation(m)) == ("gb", "sum")]
        if len(sized) == 1:
            st.set_use(nxt[1], Use.SORT_METRIC)
            st.sort_metric, st.sort_size = sized[0], True
            st.direction = st.direction or "desc"
            st.bind(it)
            return
    columns = (Kind.DIMENSION, Kind.TIME_DIMENSION)
    term = nxt[1] if nxt and nxt[1].kind == ItemKind.TERM else None
    if listing and term is not None and term.has(*columns) and not term.has(Kind.METRIC):
        # "list the buckets sorted by name": the rows by a column of their own (which of the
        # dimensions the word may be is chosen with the rows listed, ``pick_listing``)
        st.set_use(term, Use.COLUMN)
        st.sort_columns = tuple(m.name for m in term.meanings if m.kind in columns)
        st.bind(it)
        return
    if nxt and nxt[1].kind == ItemKind.TERM and nxt[1].has(Kind.METRIC):
        st.set_use(nxt[1], Use.SORT_METRIC)
        st.sort_metric = nxt[1].named(Kind.METRIC)
        st.direction = st.direction or "desc"
        if listing and st.vocab.metric_format(st.sort_metric) == "gb":
            st.sort_size = True  # "list the buckets sorted by storage": rows by their own size
        st.bind(it)
        return
    by = after(st, nxt[0]) if nxt and nxt[1].kind == ItemKind.TERM else None
    if by is None or by[1].kind != ItemKind.MARKER or Role.GROUP not in by[1].roles:
        return  # nothing said to rank by: left unbound, so the reading says it was not understood
    what = after(st, by[0])
    if what and what[1].kind == ItemKind.TERM and what[1].has(Kind.METRIC):
        st.set_use(what[1], Use.SORT_METRIC)
        st.sort_metric = what[1].named(Kind.METRIC)
    elif not (what and what[1].kind == ItemKind.MARKER and Role.COUNT in what[1].roles):
        return
    st.bind(by[1])  # "rank X by": a ranking, not a grouping by what follows
    st.direction = st.direction or "desc"
    st.superlative = True
    st.bind(it)


def bind_direction(st: State, k: int, it: Item) -> None:
    """ "ascending", "largest first": the direction, said outright (ascending wins when both are);
    "largest first", "smallest first" also say what rows are sorted by: their size."""
    st.direction = "asc" if Role.ASC in it.roles else "desc"
    st.direction_said = True
    if st.reading.tokens[it.start].text in SIZE_WORDS:
        st.sort_size = True
    elif {t.text for t in st.reading.tokens[it.start : it.end]} & {*AGE_WORDS, "latest", "recent"}:
        st.sort_age = True  # "newest first", "most recent first": rows by their date
    st.bind(it)


def bind_instead(st: State, k: int, it: Item) -> None:
    """A follow-up's "instead": its groupings replace the previous question's."""
    st.parts.replaced_dimensions = True


# What each marker role binds, in this order (a marker with several roles runs each binder; a
# binder returning True uses the marker up). Roles in ``PLAIN_ROLES`` only need to be recognised.
MARKER_BINDERS: dict[Role, Callable[[State, int, Item], bool | None]] = {
    Role.COUNT: bind_count,
    Role.RATIO: bind_ratio,
    Role.AVG: bind_average,
    Role.NEG: bind_negation,
    Role.POSTNEG: bind_postfix_negation,
    Role.WITH: bind_with,
    Role.GROUP: bind_group,
    Role.WHICH: bind_which,
    Role.SORT: bind_sort,
    Role.ASC: bind_direction,
    Role.DESC: bind_direction,
    Role.INSTEAD: bind_instead,
}
# roles that say something about the whole question (read by later passes from ``parts.markers``)
PLAIN_ROLES = frozenset(
    {
        Role.CHANGE,
        Role.CUMULATIVE,
        Role.AND,
        Role.OR,
        Role.COMPARE,
        Role.SUM,
        Role.LIST,
        Role.ALSO,
        Role.ONLY,
        Role.EXISTS,
        Role.INSTEAD,
        Role.ALL_TIME,
    }
)


def bind_marker(st: State, k: int, it: Item) -> None:
    """Runs the binder of each of the marker's roles (``MARKER_BINDERS``); a marker whose roles are
    all plain is used by being there ("all time", "list" also set their flag)."""
    for role, binder in MARKER_BINDERS.items():
        if role in it.roles and binder(st, k, it):
            return
    if it.roles and set(it.roles) <= PLAIN_ROLES:
        st.bind(it)
        if Role.ALL_TIME in it.roles:
            st.parts.all_time = True
        if Role.LIST in it.roles:
            st.list_requested = True
