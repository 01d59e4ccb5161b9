"""Which meaning a phrase has in this question, when the model gives it several of one kind.

A model of several inventories gives each its own state dimension with the same state words (a value
every inventory's resources can have), its own environment, its own tags. Which one a question means
is decided by the question, never by which was declared first in the YAML:

0. applying to the rows the question names: of two dimensions, the one whose ``applies_to`` holds a
   value the question (or, in a follow-up, the previous question) names ("size" of volumes is their
   storage, of instances their instance type);
1. reachable from the question's metrics: a meaning on a table every metric's fact table reaches
   through to-one joins (for a follow-up that names no metric, the previous question's metrics);
2. consistent with the rest of the question: one table reaches both the meaning and what the other
   phrases name ("running ec2 instances per account": the state of the resources that the "ec2
   instances" are, which belong to the accounts);
3. of what is left, the nearest to the metric (fewest joins, as the compiler resolves names);
4. values that nest ("a" and "a:b", the value under it) name the same rows: the outer one;
5. a word that is a dimension's declared synonym and also a tag key ("env"): the dimension, which the
   analyst declared it to mean (the tag is "env tag");
6. if two meanings of one kind still remain, the question is ambiguous: the mapper asks back,
   naming them (a dimension and a tag key count as one kind: both are something to group by).

Only phrases with two meanings of one kind are narrowed; every other phrase keeps its meanings
for the interpretation to choose a role from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from models.intent import Filter, Intent, Op
from runtime.mappers.english import NEGATING_PREFIXES
from runtime.mappers.kinds import ItemKind, Role
from runtime.mappers.reading import Item, Reading
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary, nests_under

_SHOWN = 2  # meanings named when asking back; the rest are counted


@dataclasses.dataclass(frozen=True)
class Senses:
    """The reading with each ambiguous phrase narrowed, and what remained ambiguous."""

    reading: Reading
    problems: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()


def choose_senses(reading: Reading, vocab: Vocabulary, previous: Intent | None = None) -> Senses:
    """The reading with each ambiguous phrase's meanings narrowed: a new reading, whose items are
    copies of the narrowed ones (``reading`` itself is immutable and left as it is)."""
    items = list(reading.items)
    terms = [k for k, it in enumerate(items) if it.kind == ItemKind.TERM and it.meanings]
    open_ = [k for k in terms if _competing(items[k].meanings)]
    if not open_:
        return Senses(reading)
    named = _rows_named(reading, [k for k in terms if k not in open_], previous, vocab)
    for k in open_:
        items[k] = _with(items[k], _applicable(items[k].meanings, named, vocab))
    open_ = [k for k in open_ if _competing(items[k].meanings)]
    anchors = _anchors([items[k] for k in terms], vocab, previous)
    context = [_footprint(items[k].meanings, vocab) for k in terms if k not in open_]
    if previous is not None:
        context.extend(_previous_footprints(previous, vocab))
    progress = True
    while progress and open_:  # a phrase settled by the others settles the ones that depend on it
        progress = False
        for k in list(open_):
            items[k] = it = _with(items[k], _narrowed(items[k].meanings, anchors, context, vocab))
            if not _competing(it.meanings):
                open_.remove(k)
                context.append(_footprint(it.meanings, vocab))
                progress = True
    problems: list[str] = []
    suggestions: list[str] = []
    for k in open_:
        narrowed = _declared(_outermost(_nearest(items[k].meanings, anchors, vocab), vocab))
        items[k] = it = _with(items[k], narrowed)
        for names in _competing(it.meanings).values():
            shown = [_describe(m) for m in sorted(names, key=_sort_key)]
            more = f" or {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
            problems.append(f"'{it.text}' can mean {' or '.join(shown[:_SHOWN])}{more}; which one?")
            suggestions.extend(shown[:_SHOWN])
    return Senses(dataclasses.replace(reading, items=tuple(items)), tuple(problems), tuple(suggestions))


def _with(it: Item, meanings: Sequence[Meaning]) -> Item:
    return dataclasses.replace(it, meanings=tuple(meanings))


def best_fit(
    candidates: Mapping[str, Iterable[str]],
    items: Sequence[Item],
    vocab: Vocabulary,
    *,
    metrics: bool = False,
) -> list[str]:
    """Of several model names that could stand for something the question leaves unsaid (the size
    dimension of "bigger than 1 TB", the metric of "over 5,000 dollars"), each given with its tables,
    those that fit the question best by steps 1 and 2, in the given order."""
    terms = [it for it in items if it.kind == ItemKind.TERM and it.meanings]
    anchors = [] if metrics else _anchors(terms, vocab, None)
    context = [f for f in (_footprint(it.meanings, vocab) for it in terms) if f]
    scores = {n: _score(set(tables), metrics, anchors, context, vocab) for n, tables in candidates.items()}
    top = max(scores.values(), default=None)
    return [n for n in candidates if scores[n] == top]


# --- what competes --------------------------------------------------------------------------------


# Kinds that compete as one: a word that is both a dimension's synonym and a tag key ("env") names
# two things to group or filter by, whichever kind the YAML (or the data) made each
_COMPETES_AS = {Kind.TAG_KEY: Kind.DIMENSION}


def _competing(meanings: Sequence[Meaning]) -> dict[Kind, list[Meaning]]:
    """The kinds in which a phrase names two or more different things (one meaning per name)."""
    by_kind: dict[Kind, dict[str, Meaning]] = {}
    for m in meanings:
        by_kind.setdefault(_COMPETES_AS.get(m.kind, m.kind), {}).setdefault(m.name, m)
    return {k: list(ms.values()) for k, ms in by_kind.items() if len(ms) > 1}


def _tables(m: Meaning, vocab: Vocabulary) -> set[str]:
    if m.kind == Kind.METRIC:
        return set(vocab.metric_tables.get(m.name, ()))
    if m.kind == Kind.TABLE:
        return {m.name}
    if m.kind == Kind.SEGMENT:
        return set(vocab.segment_tables.get(m.name, ()))
    return set(vocab.tables_of(m.name))


def _footprint(meanings: Iterable[Meaning], vocab: Vocabulary) -> set[str]:
    return {t for m in meanings if m.kind != Kind.METRIC for t in _tables(m, vocab)}


def _previous_footprints(previous: Intent, vocab: Vocabulary) -> list[set[str]]:
    names = [d.name for d in previous.dimensions] + [f.field for f in previous.filters]
    out = [set(vocab.tables_of(n)) for n in names if n not in vocab.metrics]
    return [f for f in out if f]


def _anchors(terms: Sequence[Item], vocab: Vocabulary, previous: Intent | None) -> list[str]:
    """The metrics the question names without doubt; a follow-up that names none keeps the previous."""
    named = []
    for it in terms:
        metrics = {m.name for m in it.meanings if m.kind == Kind.METRIC}
        if len(metrics) == 1:
            named.append(metrics.pop())
    if not named and previous is not None:
        named = [m for m in previous.metrics if m in vocab.metrics]
    return list(dict.fromkeys(named))


# --- narrowing ------------------------------------------------------------------------------------


def _rows_named(
    reading: Reading, terms: Sequence[int], previous: Intent | None, vocab: Vocabulary
) -> dict[str, set[str]]:
    """Field -> the values the question names its rows by (a value said after "not" or "non-" names
    the rows it is not, so it is left out); a follow-up adds the previous question's equalities."""
    named: dict[str, set[str]] = {}
    for k in terms:
        it = reading.items[k]
        before = reading.items[k - 1] if k else None
        token = reading.token_before(it)
        negated = (before is not None and before.kind == ItemKind.MARKER and Role.NEG in before.roles) or (
            token is not None and token.text in NEGATING_PREFIXES
        )
        if negated:
            continue
        for m in it.all(Kind.VALUE):
            named.setdefault(m.name, set()).add(str(m.value))
        for m in it.all(Kind.SEGMENT):  # "running instances": the segment's own conditions
            _add_equalities(named, vocab.segment_filters(m.name))
    if previous is not None:
        _add_equalities(named, [f for f in previous.filters if f.field not in named])
    return named


def _add_equalities(named: dict[str, set[str]], filters: Iterable[Filter]) -> None:
    for f in filters:
        if f.op in (Op.EQ, Op.IN):
            named.setdefault(f.field, set()).update(str(v) for v in values_of(f))


def _applicable(
    meanings: Sequence[Meaning], named: Mapping[str, set[str]], vocab: Vocabulary
) -> Sequence[Meaning]:
    """Step 0: of two dimensions, drop those that hold no value for the rows named (``applies_to``),
    unless that would drop them all."""
    dims = [m for m in meanings if m.kind == Kind.DIMENSION]
    if len(dims) < 2:
        return meanings

    def applies(m: Meaning) -> bool:
        dim = vocab.dimensions.get(m.name)
        rules = dim.applies_to if dim is not None else {}
        return all(not named.get(f) or named[f] & set(vs) for f, vs in rules.items())

    kept = [m for m in meanings if m.kind != Kind.DIMENSION or applies(m)]
    return kept if any(m.kind == Kind.DIMENSION for m in kept) else meanings


def values_of(f: Filter) -> tuple[object, ...]:
    """The values a condition names: one for = and !=, each of them for in and not in."""
    return f.value if isinstance(f.value, tuple) else (f.value,)


def _reached(m: Meaning, metric: str, vocab: Vocabulary) -> int | None:
    """Joins from each of the metric's fact tables to the meaning, summed; None if one cannot reach it."""
    return _depth(_tables(m, vocab), metric, vocab)


def _covered(fact: str, context: Sequence[set[str]], vocab: Vocabulary) -> int:
    """How many of the other phrases a query from ``fact`` could group or filter by."""
    reach = vocab.reach.get(fact, {})
    return sum(1 for c in context if any(t in reach for t in c))


def _depth(tables: set[str], metric: str, vocab: Vocabulary) -> int | None:
    total = 0
    for fact in vocab.metric_tables.get(metric, ()):
        depths = [d for t, d in vocab.reach.get(fact, {}).items() if t in tables]
        if not depths:
            return None
        total += min(depths)
    return total


def _score(
    tables: set[str], metric: bool, anchors: Sequence[str], context: Sequence[set[str]], vocab: Vocabulary
) -> tuple[int, int]:
    """(reachable from every metric the question names, how many of the other phrases one fact table
    reaches together with it). A metric is its own fact table."""
    if metric:
        return 1, max((_covered(f, context, vocab) for f in tables), default=0)
    ok = int(all(_depth(tables, a, vocab) is not None for a in anchors))
    facts = {f for a in anchors for f in vocab.metric_tables.get(a, ())}
    if not facts:  # no metric named: any table that reaches it could be what is counted or listed
        facts = {f for t in tables for f in vocab.reached_by.get(t, ())}
    return ok, max((_covered(f, context, vocab) for f in facts), default=0)


def _narrowed(
    meanings: Sequence[Meaning], anchors: Sequence[str], context: Sequence[set[str]], vocab: Vocabulary
) -> list[Meaning]:
    """The meanings that fit the question best (steps 1 and 2); all of them when none fits better."""
    scores = [_score(_tables(m, vocab), m.kind == Kind.METRIC, anchors, context, vocab) for m in meanings]
    top = max(scores)
    return [m for m, s in zip(meanings, scores, strict=True) if s == top]


def _nearest(meanings: Sequence[Meaning], anchors: Sequence[str], vocab: Vocabulary) -> Sequence[Meaning]:
    """Within each kind, the meanings fewest joins away from the metrics (step 3)."""
    if not anchors:
        return meanings
    distance: dict[Meaning, int] = {}
    for m in meanings:
        ds = [_reached(m, a, vocab) for a in anchors]
        if m.kind != Kind.METRIC and all(d is not None for d in ds):
            distance[m] = sum(ds)  # type: ignore[arg-type]
    out = []
    for m in meanings:
        same = [x for x in meanings if x.kind == m.kind and x in distance]
        if m in distance and distance[m] > min(distance[x] for x in same):
            continue
        out.append(m)
    return out


def _outermost(meanings: Sequence[Meaning], vocab: Vocabulary) -> list[Meaning]:
    """Values of related dimensions, one nested in the other ("a" and "a:b"): the outer one (step 4)."""
    values = [m for m in meanings if m.kind == Kind.VALUE and isinstance(m.value, str)]
    inner = {
        m
        for m in values
        for o in values
        if o.name in vocab.related.get(m.name, ()) and nests_under(str(m.value), str(o.value))
    }
    return [m for m in meanings if m not in inner]


def _declared(meanings: Sequence[Meaning]) -> Sequence[Meaning]:
    """A word that is one dimension's declared synonym and also a tag key ("env"): the dimension
    (step 5). The analyst wrote down what the word means; a tag key is a name found in the data, and
    stays reachable as "env tag"."""
    dims = [m for m in meanings if m.kind == Kind.DIMENSION]
    if len({m.name for m in dims}) != 1 or not any(m.kind == Kind.TAG_KEY for m in meanings):
        return meanings
    return [m for m in meanings if m.kind != Kind.TAG_KEY]


def _describe(m: Meaning) -> str:
    name = m.name.replace("_", " ")
    if m.kind == Kind.VALUE:
        return f"{name} {m.value}"
    if m.kind == Kind.BOOLEAN:
        return name.removeprefix("is ") if m.value else f"not {name.removeprefix('is ')}"
    return name


def _sort_key(m: Meaning) -> tuple[str, str]:
    return (m.name, str(m.value))


__all__ = ["Senses", "best_fit", "choose_senses", "values_of"]
