"""The default use of a term no marker took: a metric is asked for, a value filters, a dimension
groups (or is a column of a listing), a table is what is counted or listed.
"""

from __future__ import annotations

from collections.abc import Callable

from runtime.mappers.english import (
    AND_WORDS,
    BREAKDOWN_NOUNS,
    COLUMN_WORDS,
    COVERING_PREPOSITIONS,
    DEFINITE_ARTICLES,
    DETERMINERS,
    EACH_WORDS,
    LIST_JOINERS,
    OF_WORDS,
    PLACE_PREPOSITIONS,
    TAGGING_FILLERS,
    TAGGING_WORDS,
)
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.queries import (
    add_group,
    adjacent_value_of,
    asks_for_other_metric,
    group_target,
    own_column,
    weak_value_ok,
)
from runtime.mappers.passes.state import FILTERING, State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


def _metric(st: State, k: int, it: Item) -> bool:
    """A metric's words ask for that metric."""
    if not it.has(Kind.METRIC):
        return False
    st.set_use(it, Use.METRIC)
    return True


def _segment(st: State, k: int, it: Item) -> bool:
    """A segment's words (not also a value) select the segment's rows."""
    if not it.has(Kind.SEGMENT) or it.has(Kind.VALUE):
        return False
    st.set_use(it, Use.SEGMENT)
    return True


def _value(st: State, k: int, it: Item) -> bool:
    """A value filters, unless it is an everyday word said away from its dimension's name (then it
    is left for ``weak_word`` to ask about, or, when it also names a dimension or table, for the
    rules after this one)."""
    if not it.has(Kind.VALUE, Kind.BOOLEAN):
        return False
    ok = weak_value_ok(st, k, it)
    if not ok and not it.has(Kind.DIMENSION, Kind.TABLE):
        st.set_use(it, Use.IGNORED_WEAK)
        return True
    if not it.weak or ok:
        st.set_use(it, Use.FILTER)
        return True
    return False


def _qualifier(st: State, k: int, it: Item) -> bool:
    """ "the <value> <dimension>", "<value> <entities>": the word only says what the value is; a table
    word so qualified is what is counted ("how many <value> <entities>") or where ("in <value> ...")."""
    if not it.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY) or not adjacent_value_of(st, k, it):
        return False
    refs = group_target(st, it) if it.has(Kind.TABLE) and it.plural else None
    if (
        refs
        and not after_preposition(st, k)
        and (_amount_per_row(st) or _count_of_other_rows(st, it))
        and not (st.parts.dimensions or st.count_requested)
    ):
        add_group(st, it, refs)  # "prod accounts that spent over $10k": each prod account's amount
        return True
    st.set_use(it, Use.QUALIFIER)
    if it.has(Kind.TABLE):
        target = st.qualified_tables if after_preposition(st, k) else st.entity_tables
        target.extend(x.name for x in it.all(Kind.TABLE))
    return True


def _amount_per_row(st: State) -> bool:
    """An amount (not a count of rows) is compared with a number: "<entities> that spent over $10k",
    "<entities> with more than 100 TB" hold it to each of those entities, which are the groups."""
    return any(m is not None or unit is not None for m, _, _, unit, _ in st.having) and any(
        (m or "") not in st.vocab.count_metric.values() for m, *_ in st.having
    )


def _count_of_other_rows(st: State, it: Item) -> bool:
    """A count of another table's rows is compared with a number: "which prod accounts have more than
    100 instances", "sandbox accounts with no eks clusters" (read as "exactly 0") hold each of those
    entities to it, which are the groups (it listed each instance, each a count of 1)."""
    own = {m.name for m in it.all(Kind.TABLE)}
    counted = {t for t, m in st.vocab.count_metric.items() if any(h[0] == m for h in st.having)}
    return bool(counted) and not counted & own


def _tagged_key(st: State, k: int, it: Item) -> bool:
    """ "resources tagged owner", "tagged with env": a tag key right after a word of tagging, with no
    value after it, asks for the rows that have that tag (even when the key is also a dimension's
    word); read alone, "tagged" would count the rows with any tag."""
    if not it.has(Kind.TAG_KEY):
        return False
    j = it.start - 1
    if j >= 0 and st.reading.tokens[j].text in TAGGING_FILLERS:
        j -= 1
    if j < 0 or st.reading.tokens[j].text not in TAGGING_WORDS:
        return False
    keys = {m.name for m in it.all(Kind.TAG_KEY)}
    if any(m.kind == Kind.VALUE and m.name in keys for x in st.items for m in x.meanings):
        st.set_use(it, Use.QUALIFIER)  # "is bob tagged as owner": the key says what bob is
        return True
    st.set_use(it, Use.HAS_TAG)
    return True


def _time_hint(st: State, k: int, it: Item) -> bool:
    """A date's words ("created") say which date a range or series is on."""
    if not it.has(Kind.TIME_DIMENSION) or it.has(Kind.DIMENSION):
        return False
    st.set_use(it, Use.TIME_HINT)
    st.time_hint = st.time_hint or it.named(Kind.TIME_DIMENSION)
    return True


def _weak_ranked(st: State, k: int, it: Item) -> bool:
    """ "where do we spend the most" ("where": an everyday synonym of a dimension): ranked groups."""
    if not (it.has(Kind.DIMENSION, Kind.TAG_KEY) and it.weak and st.superlative and not st.parts.dimensions):
        return False
    refs = group_target(st, it)
    if not refs:
        return False
    add_group(st, it, refs, role=Use.RANKED)
    return True


def _dimension(st: State, k: int, it: Item) -> bool:
    """A dimension's words: a column of a listing ("with their region"), a grouping when plural,
    after "each" or before "breakdown" ("<dimension>s with ...", "a <dimension> breakdown of ..."), or
    ranked groups when the question ranks ("the <entity> with the highest <metric>"); not when it
    only says what a number covers ("of all accounts")."""
    if not it.has(Kind.DIMENSION, Kind.TAG_KEY) or it.weak:
        return False
    refs = group_target(st, it)
    prev_tok = st.reading.token_before(it)
    after_each = prev_tok is not None and prev_tok.text in EACH_WORDS
    next_tok = st.reading.tokens[it.end] if it.end < len(st.reading.tokens) else None
    breakdown = next_tok is not None and next_tok.text in BREAKDOWN_NOUNS  # "a service breakdown of ..."
    of_something = after_preposition_word(st, it)
    if refs and is_column(st, it):
        st.set_use(it, Use.COLUMN)
        refs = own_column(st, it, refs)  # "the accounts and their owners": the account's owner
        st.columns.extend(r for r in refs if r not in st.columns)
        return True
    plural_group = refs and (it.plural or after_each or breakdown) and not of_something
    entity_rows = (
        asks_for_other_metric(st) and not st.parts.dimensions and (st.having or st.list_requested)
    )  # "<entities> that spent over ...", "show <entities> and ..."
    if refs and plural_group and (not it.has(Kind.TABLE) or entity_rows):
        add_group(st, it, refs)
        return True
    if refs and st.direction is not None and not st.parts.dimensions and not of_something:
        add_group(st, it, refs, role=Use.RANKED)
        return True
    return False


def _entity(st: State, k: int, it: Item) -> bool:
    """A table's words name the rows counted or listed."""
    if not it.has(Kind.TABLE):
        return False
    st.set_use(it, Use.ENTITY)
    st.entity_tables.extend(x.name for x in it.all(Kind.TABLE))
    return True


def _unplaced(st: State, k: int, it: Item) -> bool:
    """Nothing in the question uses the words: an everyday word is left for ``weak_word``, anything
    else is named in the note (``unknowns``)."""
    st.set_use(it, Use.IGNORED_WEAK if it.has(Kind.DIMENSION, Kind.TAG_KEY) and it.weak else Use.UNPLACED)
    return True


# The default use of a term, first rule that decides wins (each returns True when it did).
DEFAULT_RULES: tuple[Callable[[State, int, Item], bool], ...] = (
    _metric,
    _segment,
    _value,
    _tagged_key,
    _qualifier,
    _time_hint,
    _weak_ranked,
    _dimension,
    _entity,
    _unplaced,
)


def default_role(st: State, k: int, it: Item) -> None:
    """The first of ``DEFAULT_RULES`` that decides the term's use."""
    for rule in DEFAULT_RULES:
        if rule(st, k, it):
            return


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
        return any(st.use_of(x) == Use.COLUMN and x.end == it.start - 1 for x in st.items)
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
    fields the binders wrote; writes the terms' uses, groupings, entity tables and the time hint."""
    for k, it in enumerate(st.items):
        if it.kind == ItemKind.TERM and not st.use_of(it):
            default_role(st, k, it)
