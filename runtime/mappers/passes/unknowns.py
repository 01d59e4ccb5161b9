"""What the interpretation did not understand: asked back where it could change the answer, named
in the note otherwise, so no word is dropped without a trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from runtime.mappers.english import (
    AVERAGE_WORDS,
    COMPARATIVES,
    PLAIN_GROUP_WORDS,
    STOPWORDS,
    TIME_LEFTOVERS,
    VALUE_PREPOSITIONS,
)
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.queries import describes_next_word
from runtime.mappers.passes.state import Parts, State
from runtime.mappers.reading import SEPARATORS, Item
from runtime.mappers.tokens import phrase_key, singular
from runtime.mappers.vocabulary import Kind, Vocabulary


def unaccounted(st: State) -> list[str]:
    """Words the reading neither used, nor knows as filler, nor already asked about or noted: every
    word of a question must do one of these, so a word that slipped through every pass is named in
    the note (the reading is then incomplete) rather than dropped without a trace."""
    reading, parts, vocab = st.reading, st.parts, st.vocab
    noted = {w.lower() for w in parts.ignored} | {
        w.lower() for problem in parts.problems for w in problem.split("'")[1::2]
    }
    used: set[int] = set()
    for it in reading.items:
        dropped = (
            it.kind == ItemKind.TERM
            and st.use_of(it) in (Use.UNPLACED, Use.IGNORED_WEAK)
            and not names_a_shown_dimension(it, parts)
        ) or (it.kind in (ItemKind.MARKER, ItemKind.SUPER) and not st.is_bound(it))
        if not dropped and it.kind not in (ItemKind.UNKNOWN, ItemKind.IGNORED):
            used.update(range(it.start, it.end))

    def repeats_a_neighbour(i: int) -> bool:  # "the <value> unit", "internet-exposed"
        names = vocab.inner_words.get(reading.tokens[i].key, set())
        return any(
            it.kind == ItemKind.TERM
            and (it.end == i or it.start == i + 1)
            and names & {m.name for m in it.meanings}
            for it in reading.items
        )

    out: list[str] = []
    for i, t in enumerate(reading.tokens):
        filler = (
            t.text in STOPWORDS
            or t.key in STOPWORDS
            or t.text in SEPARATORS
            or t.text in PLAIN_GROUP_WORDS
            or not t.text[:1].isalnum()
            or repeats_a_neighbour(i)
        )
        if i not in used and not filler and t.text not in noted and t.orig.lower() not in noted:
            out.append(t.orig)
    return out


def collect_unknowns(st: State) -> None:
    """Unknown words in a position that usually restricts the answer make the mapper ask; others are
    noted as ignored."""
    reading, parts, vocab = st.reading, st.parts, st.vocab
    items = reading.items

    def averages() -> list[str]:
        """The model's averages, offered when an average was not understood: metrics whose measure
        aggregates by ``avg``, or that the model's own words (name, synonyms) call an average. Never
        its prose: a description is written for people and may say "average" of anything."""
        return [
            m.name.replace("_", " ")
            for m in vocab.model.metrics
            if vocab.metric_aggregation(m.name) == "avg"
            or any(
                w in words.lower().split()
                for words in (m.name.replace("_", " "), *m.synonyms)
                for w in AVERAGE_WORDS
            )
        ]

    for k, it in enumerate(items):
        if it.kind == ItemKind.UNKNOWN:
            prev_tok = reading.token_before(it)
            nxt = items[k + 1] if k + 1 < len(items) else None
            value_like = any(ch.isdigit() or ch in ".:_/@" for ch in it.text) or (
                it.start > 0 and it.text[:1].isupper() and not it.text.isupper() and len(it.text) > 2
            )
            after_preposition = prev_tok is not None and prev_tok.text in VALUE_PREPOSITIONS
            if prev_tok is not None and not after_preposition and it.start >= 2:
                # "spend on data transfer": an everyday word between the preposition and the unknown
                two_back = reading.tokens[it.start - 2]
                after_preposition = prev_tok.text in STOPWORDS and two_back.text in VALUE_PREPOSITIONS
            next_tok = reading.tokens[it.end] if it.end < len(reading.tokens) else None
            spelled_out = any(t is not None and t.text in SEPARATORS for t in (prev_tok, next_tok))
            modifier = (
                nxt is not None
                and nxt.start == it.end
                and nxt.kind == ItemKind.TERM
                and st.use_of(nxt)
                in (
                    Use.METRIC,
                    Use.ENTITY,
                    Use.FILTER,
                    Use.COUNT_SUBJECT,
                    Use.RANKED,
                    Use.WHICH,
                    Use.GROUP,
                    Use.QUALIFIER,
                )
            )
            if k == 0 and _measure_not_modelled(st):
                # "cpu usage of instances", "memory per cluster": what is asked for is no measure of
                # the model, and the count of the rows filled in for it would answer another question
                named = ", ".join(m.name.replace("_", " ") for m in vocab.model.metrics[:6])
                parts.problems.append(f"'{it.text}' is no measure of the model (it has {named}, ...)")
            elif it.text.lower() in COMPARATIVES:
                parts.problems.append("a comparison without a number I could read")
            elif it.text.lower() in TIME_LEFTOVERS:
                parts.problems.append(f"the time range around '{it.text}'")
                parts.suggestions.extend(("last month", "last 30 days", "this year", "since 2026-01-01"))
            elif modifier and nxt is not None and (kinds := kinds_of(nxt, nxt.text, vocab)):
                # "idle instances": a kind of row the model does not know; name the kinds it does
                parts.problems.append(
                    f"unknown word '{it.text}': the model knows no such '{nxt.text}'; "
                    f"it knows {', '.join(kinds)}"
                )
                parts.suggestions.extend(kinds)
            elif (value_like or after_preposition) and not spelled_out and (named := valued(items, vocab)):
                # "in frankfurt": a value the model does not know; say what values it does know of
                parts.problems.append(
                    f"unknown word '{it.text}': not a value the model knows (it knows values of {named})"
                )
            elif value_like or after_preposition or modifier or spelled_out:  # "foo=bar": a condition
                parts.problems.append(f"unknown word '{it.text}'")
            else:
                parts.ignored.append(it.text)
        elif (
            it.kind == ItemKind.TERM
            and st.use_of(it) in (Use.UNPLACED,)
            and not names_a_shown_dimension(it, parts)
        ):
            parts.ignored.append(it.text)
        elif it.kind == ItemKind.TERM and st.use_of(it) == Use.IGNORED_WEAK:
            weak_word(st, it)
        elif (
            it.kind == ItemKind.MARKER
            and not st.is_bound(it)
            and set(it.roles)
            & {
                Role.AVG,
                Role.RATIO,
                Role.NEG,
                Role.POSTNEG,
                Role.WITH,
                Role.GROUP,
                Role.WHICH,
                Role.COUNT,
                Role.SORT,
            }
        ):
            if Role.AVG in it.roles:
                if set(parts.metrics) & {a.replace(" ", "_") for a in averages()}:
                    st.bind(it)  # "spend per day on average": the metric asked for is that average
                    continue
                parts.problems.append(f"'{it.text}' of what? the model has no such average")
                parts.suggestions.extend(averages())
            elif set(it.roles) & {Role.NEG, Role.POSTNEG}:
                parts.problems.append(f"what '{it.text}' applies to")
            elif set(it.roles) & {Role.GROUP} and it.text.lower() not in PLAIN_GROUP_WORDS:
                parts.ignored.append(it.text)
        elif it.kind == ItemKind.IGNORED or (
            it.kind in (ItemKind.UNIT, ItemKind.SUPER) and not st.is_bound(it)
        ):
            parts.ignored.append(it.text)


def _measure_not_modelled(st: State) -> bool:
    """The question opens with an unknown word and asks for nothing the model has: no metric, no word
    for counting, listing or asking which; only the count of the rows named, filled in by default."""
    asking = {Role.COUNT, Role.LIST, Role.WHICH, Role.RATIO, Role.AVG, Role.SORT}
    items = st.reading.items
    if st.count_requested or st.list_requested or not st.parts.metrics:
        return False
    if not set(st.parts.metrics) <= set(st.vocab.count_metric.values()):
        return False
    return not any(
        (it.kind == ItemKind.TERM and it.has(Kind.METRIC))
        or (it.kind == ItemKind.MARKER and asking & set(it.roles))
        or it.kind == ItemKind.SUPER
        for it in items
    )


def valued(items: Sequence[Item], vocab: Vocabulary, most: int = 4) -> str:
    """The dimensions with known values that the question's metrics reach, as the likely meanings of
    a value it does not know ("region, service, ...")."""
    tables = {
        t
        for it in items
        if it.kind == ItemKind.TERM
        for m in it.meanings
        if m.kind == Kind.METRIC
        for t in vocab.metric_tables.get(m.name, ())
    }
    hops: dict[str, int] = {}  # each table the metrics reach, nearest first
    for t in tables:
        for r, n in vocab.reach.get(t, {t: 0}).items():
            hops[r] = min(n, hops.get(r, n))
    far = len(vocab.model.tables) + 1
    named = [
        (min((hops.get(t, far) for t in vocab.tables_of(n)), default=far), n.replace("_", " "))
        for n, values in vocab.known_values.items()
        if values and ":" not in n
    ]
    near = [name for h, name in sorted(named, key=lambda x: x[0]) if h < far or not hops]
    return ", ".join(near[:most])


def kinds_of(it: Item, noun: str, vocab: Vocabulary, most: int = 4) -> list[str]:
    """The model's words for kinds of the rows ``it`` names (segments and yes/no dimensions on its
    tables), each said with the noun, as likely meanings of an unknown word said before it: "idle
    instances" -> "running instances", "public instances"."""
    tables: set[str] = set()
    for m in it.meanings:
        tables.update([m.name] if m.kind == Kind.TABLE else vocab.tables_of(m.name))
    key = singular(noun.lower())
    out: list[str] = []
    for s in vocab.model.segments:
        if not tables & set(vocab.segment_tables.get(s.name, ())):
            continue
        said = [p for p in (*s.synonyms, s.name.replace("_", " "))]
        own = next((p for p in said if key in phrase_key(p)), None)  # "running instances"
        single = next((p for p in said if " " not in p), None)  # "untagged"
        if own or single:
            out.append(own or f"{single} {noun}")
    out += [
        f"{(d.synonyms or (name.replace('_', ' '),))[0]} {noun}"
        for name, d in vocab.dimensions.items()
        if d.type == "boolean" and tables & set(vocab.tables_of(name))
    ]
    return list(dict.fromkeys(out))[:most]


def names_a_shown_dimension(it: Item, parts: Parts) -> bool:
    """A word naming a dimension the answer shows or filters on anyway ("the names of the public
    buckets" in a listing, "carol's resources (owner tag)" beside the filter on that tag): the word
    is used, not dropped."""
    shown = {d.name for d in parts.dimensions} | {f.field for f in parts.filters}
    return any(m.kind in (Kind.DIMENSION, Kind.TAG_KEY) and m.name in shown for m in it.meanings)


def weak_word(st: State, it: Item) -> None:
    """An everyday word that is also a model value and was not said next to its dimension's name.
    Right before another word that is not filler it may well be that value ("the <value> team's
    accounts": a value of some unit dimension), so ask, naming the value; otherwise it is English
    filler (a stop word) or, when it is not, a word left out that the note names."""
    reading, parts, vocab = st.reading, st.parts, st.vocab
    if names_a_shown_dimension(it, parts):
        return
    tokens = reading.tokens
    value = it.first(Kind.VALUE, Kind.BOOLEAN)
    nxt = tokens[it.end] if it.end < len(tokens) else None
    if value is not None and describes_next_word(st, it):
        assert nxt is not None
        dimension = vocab.dimensions.get(value.name)
        said = dimension.synonyms[0] if dimension and dimension.synonyms else value.name.replace("_", " ")
        shown = value.value if value.kind == Kind.VALUE else it.text
        parts.problems.append(
            f"'{it.text}' before '{nxt.orig}' may mean the {said} {shown}; "
            f"say 'the {shown} {said}' if it does"
        )
        after = next((x for x in reading.items if x.start == it.end), None)
        unread = (
            after is None
            or after.kind == ItemKind.UNKNOWN
            or st.use_of(after) in (Use.UNPLACED, Use.IGNORED_WEAK)
        )
        rest = tokens[it.end + 1 :] if unread else tokens[it.end :]  # "data team": "data business unit"
        words = [t.orig for t in tokens[: it.start]] + [f"{shown} {said}"] + [t.orig for t in rest]
        parts.suggestions.append(" ".join(words))
    elif it.text.lower() not in STOPWORDS and tokens[it.start].key not in STOPWORDS:
        parts.ignored.append(it.text)


def ask_about_unknowns(st: State) -> None:
    """Unknown words where they usually restrict the answer become problems, others are noted."""
    collect_unknowns(st)
    one_named_by_a_table_word(st)


# "the billing account", "this storage region": one row of a dimension, named by a determiner
_ONE_OF = frozenset({"the", "this", "that", "our", "my", "their"})


def one_named_by_a_table_word(st: State) -> None:
    """ "cost of the billing account": one account, named by a word the model knows only as a table's
    ("billing" is a word of the cost table), so both words were taken as the rows measured and the
    answer was the grand total. A singular dimension noun after "the <table word>" names one of its
    rows the model cannot tell: ask which."""
    reading, items = st.reading, st.reading.items
    for first, noun in pairwise(items):
        before = reading.token_before(first)
        if (
            before is not None
            and before.text in _ONE_OF
            and noun.start == first.end
            and first.kind == noun.kind == ItemKind.TERM
            and not noun.plural
            and all(m.kind == Kind.TABLE for m in first.meanings)
            and noun.has(Kind.DIMENSION)
            and st.use_of(first) == st.use_of(noun) == Use.ENTITY
        ):
            dimension = noun.named(Kind.DIMENSION).replace("_", " ")
            st.parts.problems.append(
                f"'the {first.text} {noun.text}': which {noun.text}? the model knows no {dimension} by "
                f"the word '{first.text}'; name it"
            )
            st.parts.suggestions.extend(f"{m.replace('_', ' ')} by {noun.text}" for m in st.parts.metrics[:1])


def name_unaccounted(st: State) -> None:
    """Last: every word no pass used, knew as filler or already named goes into ``parts.ignored``."""
    st.parts.ignored.extend(unaccounted(st))
