"""The default use of a term no marker took: a metric is asked for, a value filters, a dimension
groups (or is a column of a listing), a table is what is counted or listed.
"""

from __future__ import annotations

from runtime.mappers.english import (
    AND_WORDS,
    COLUMN_WORDS,
    COVERING_PREPOSITIONS,
    DEFINITE_ARTICLES,
    DETERMINERS,
    EACH_WORDS,
    LIST_JOINERS,
    OF_WORDS,
    PLACE_PREPOSITIONS,
)
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.queries import (
    add_group,
    adjacent_value_of,
    asks_for_other_metric,
    group_target,
    weak_value_ok,
)
from runtime.mappers.passes.state import FILTERING, State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


def default_role(st: State, k: int, it: Item) -> None:
    if it.has(Kind.METRIC):
        it.role = Use.METRIC
        return
    if it.has(Kind.SEGMENT) and not it.has(Kind.VALUE):
        it.role = Use.SEGMENT
        return
    if it.has(Kind.VALUE, Kind.BOOLEAN):
        if not weak_value_ok(st, k, it) and not it.has(Kind.DIMENSION, Kind.TABLE):
            it.role = Use.IGNORED_WEAK
            return
        if it.has(Kind.VALUE, Kind.BOOLEAN) and not it.weak:
            it.role = Use.FILTER
            return
        if it.weak and weak_value_ok(st, k, it):
            it.role = Use.FILTER
            return
    if it.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY) and adjacent_value_of(st, k, it):
        it.role = Use.QUALIFIER
        if it.has(Kind.TABLE):
            # "how many <value> <entities>": those are counted; "... in <value> <entities>": where
            target = st.qualified_tables if after_preposition(st, k) else st.entity_tables
            target.extend(x.name for x in it.all(Kind.TABLE))
        return
    if it.has(Kind.TIME_DIMENSION) and not it.has(Kind.DIMENSION):
        it.role = Use.TIME_HINT
        st.time_hint = st.time_hint or it.named(Kind.TIME_DIMENSION)
        return
    if it.has(Kind.DIMENSION, Kind.TAG_KEY) and it.weak and st.superlative and not st.parts.dimensions:
        refs = group_target(st, it)
        if refs:
            add_group(st, it, refs, role=Use.RANKED)  # "where do we spend the most" (where: a synonym)
            return
    if it.has(Kind.DIMENSION, Kind.TAG_KEY) and not it.weak:
        refs = group_target(st, it)
        prev_tok = st.reading.token_before(it)
        after_each = prev_tok is not None and prev_tok.text in EACH_WORDS
        of_something = after_preposition_word(st, it)
        if refs and is_column(st, it):
            it.role = Use.COLUMN
            st.columns.extend(r for r in refs if r not in st.columns)
            return
        plural_group = refs and (it.plural or after_each) and not of_something
        entity_rows = (
            asks_for_other_metric(st) and not st.parts.dimensions and (st.having or st.list_requested)
        )  # "<entities> that spent over ...", "show <entities> and ..."
        if refs and plural_group and (not it.has(Kind.TABLE) or entity_rows):
            add_group(st, it, refs)  # "<entities> that spent more than ...", "<dimension>s with ..."
            return
        if refs and st.direction is not None and not st.parts.dimensions and not of_something:
            add_group(st, it, refs, role=Use.RANKED)  # "the <entity> with the highest <metric>"
            return
    if it.has(Kind.TABLE):
        it.role = Use.ENTITY
        st.entity_tables.extend(x.name for x in it.all(Kind.TABLE))
        return
    if it.has(Kind.DIMENSION, Kind.TAG_KEY):
        if it.weak:
            it.role = Use.IGNORED_WEAK
            return
        it.role = Use.UNPLACED
        return
    if it.has(Kind.TAG_DIMENSION):
        it.role = Use.UNPLACED
        return
    it.role = Use.UNPLACED


def is_column(st: State, it: Item) -> bool:
    """In a question that computes nothing, a dimension that names or identifies rows ("the names
    of", "their region", "with its size") is a column of the listing."""
    if asks_for_other_metric(st) or st.count_requested or st.direction is not None or st.grains:
        return False
    before = st.reading.token_before(it)
    after = st.reading.tokens[it.end] if it.end < len(st.reading.tokens) else None
    m = it.first(Kind.DIMENSION, Kind.TAG_KEY)
    labels = {n for ls in st.vocab.label_dimensions.values() for n in ls}
    if m is not None and m.name in labels and not it.has(Kind.TABLE):
        return True
    if before is not None and before.text in COLUMN_WORDS:
        return True
    two_before = st.reading.tokens[it.start - 2] if it.start >= 2 else None
    if (
        before is not None
        and before.text in DEFINITE_ARTICLES
        and two_before is not None
        and two_before.text in AND_WORDS
    ):
        return True  # "list <entities> and the <dimension> they are in"
    if before is not None and before.text in LIST_JOINERS:  # "with their <column> and <column>"
        return any(x.role == Use.COLUMN and x.end == it.start - 1 for x in st.items)
    return (
        before is not None
        and before.text in DEFINITE_ARTICLES
        and after is not None
        and after.text in OF_WORDS
    )


def after_preposition_word(st: State, it: Item) -> bool:
    """ "of all accounts", "for our regions": the noun is what the number covers, not a grouping."""
    i = it.start - 1
    while i >= 0 and st.reading.tokens[i].text in DETERMINERS:
        i -= 1
    return i >= 0 and st.reading.tokens[i].text in COVERING_PREPOSITIONS


def after_preposition(st: State, k: int) -> bool:
    """Whether the noun phrase ending at item ``k`` ("<v1> and <v2> <entities>") follows in/of/for..."""
    j = k - 1
    while j >= 0:
        it = st.items[j]
        if (it.kind == ItemKind.TERM and it.has(*FILTERING)) or (
            it.kind == ItemKind.MARKER and set(it.roles) & {Role.AND, Role.OR}
        ):
            j -= 1
            continue
        break
    if j >= 0 and st.items[j].kind == ItemKind.MARKER and Role.COUNT in st.items[j].roles:
        return False  # "number of <value> <entities>": what is counted
    first = st.items[j + 1]
    before = st.reading.token_before(first)
    return before is not None and before.text in PLACE_PREPOSITIONS


def default_roles(st: State) -> None:
    """Every term no marker, rank or comparison took gets its default use (a metric is asked for, a
    value filters, a table is what is counted or listed). Reads the ranking, counting and having
    fields the binders wrote; writes ``Item.role``, groupings, entity tables and the time hint."""
    for k, it in enumerate(st.items):
        if it.kind == ItemKind.TERM and not it.role:
            default_role(st, k, it)
