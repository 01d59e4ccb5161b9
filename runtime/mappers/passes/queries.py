"""Questions the passes ask of the reading, the model and the state so far (neighbours, tables,
units, the table a count is about), and the small writers several passes share (``add_group``,
``compared``). Every pass module may import these; they import no pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.intent import DimensionRef, Filter, Grain, Intent, Op
from models.units import Unit
from runtime.mappers.english import (
    DAY_WORDS,
    LIST_INSTEAD,
    MARKERS,
    MEANS,
    PRONOUN_VALUES,
    RATE_ADJECTIVES,
    STOPWORDS,
    VALUE_PREPOSITIONS,
)
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.state import FILTERING, PLAIN_UNITS, State
from runtime.mappers.reading import Item
from runtime.mappers.senses import best_fit
from runtime.mappers.tokens import Token
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary


def after(st: State, k: int, skip: tuple[Role, ...] = ()) -> tuple[int, Item] | None:
    """The item after index ``k`` (and its index), passing over markers with one of the ``skip`` roles."""
    j = k + 1
    while j < len(st.items):
        it = st.items[j]
        if it.kind == ItemKind.MARKER and set(it.roles) & set(skip):
            j += 1
            continue
        return j, it
    return None


def before(st: State, k: int) -> tuple[int, Item] | None:
    """The item right before index ``k`` (and its index)."""
    return (k - 1, st.items[k - 1]) if k > 0 else None


def subject_before(st: State, k: int) -> Item | None:
    """The term a comparison is about: "<subject> with over ...", "<subject> having ..."."""
    j = k - 1
    while j >= 0 and st.items[j].kind == ItemKind.MARKER and set(st.items[j].roles) <= {Role.WITH}:
        j -= 1
    if j == k - 1 or j < 0 or st.items[j].kind != ItemKind.TERM:
        return None
    return st.items[j]


def sum_metric_of(st: State, dim: str) -> str | None:
    """The metric that sums a number dimension (the one that shares its average)."""
    avg = st.vocab.average_of.get(dim)
    if avg is None:
        return None
    for name, a in st.vocab.average_of.items():
        if a == avg and name != dim and name in st.vocab.metrics:
            return name
    return None


def tables_of_item(st: State, it: Item) -> list[str]:
    out: list[str] = []
    for m in it.meanings:
        if m.kind == Kind.TABLE:
            out.append(m.name)
        elif m.kind in (Kind.VALUE, Kind.BOOLEAN, Kind.DIMENSION, Kind.TAG_KEY):
            out.extend(st.vocab.tables_of(m.name))
    return list(dict.fromkeys(out))


def tables_of_meaning(st: State, m: Meaning) -> list[str]:
    if m.kind == Kind.SEGMENT:
        seg = next(s for s in st.vocab.model.segments if s.name == m.name)
        return [t for f in seg.filters for t in st.vocab.tables_of(f.field)]
    return st.vocab.tables_of(m.name)


def kind_keys(vocab: Vocabulary) -> set[str]:
    """The fields whose values are kinds of rows: those some dimension's ``applies_to`` names."""
    return {key for dim in vocab.dimensions.values() for key in dim.applies_to}


def names_a_kind(st: State, it: Item) -> bool:
    """A word for a kind of rows ("instance", "buckets"): a value of a field whose values are kinds."""
    fields = kind_keys(st.vocab)
    return any(m.kind == Kind.VALUE and m.name in fields for m in it.meanings)


def metrics_in_words(vocab: Vocabulary, tokens: Sequence[Token]) -> list[str]:
    """The metrics words inside a number phrase stand for ("cheapest" in "the 5 cheapest"), in order."""
    out: list[str] = []
    for tok in tokens:
        found = vocab.phrases.get((tok.key,)) or vocab.phrases.get((tok.text,)) or []
        out += [m.name for m in found if m.kind == Kind.METRIC and m.name not in out]
    return out


def kind_table(st: State, value: Meaning | None) -> str | None:
    """The table whose rows a value names as a kind of row ("instances"): a value of an enum
    dimension of one table whose rows have names; None for any other value."""
    if value is None:
        return None
    dim = st.vocab.dimensions.get(value.name)
    tables = set(st.vocab.tables_of(value.name))
    if dim is None or not dim.enum or len(tables) != 1:
        return None
    table = next(iter(tables))
    return table if st.vocab.label_dimensions.get(table) else None


def head_noun_meanings(st: State, it: Item) -> tuple[Meaning, ...]:
    """What the last word of a term means alone: the kind of row a segment names ("running
    instances": instances)."""
    last = st.reading.tokens[it.end - 1]
    return tuple(st.vocab.phrases.get((last.key,)) or st.vocab.phrases.get((last.text,)) or ())


def adjacent_value_of(st: State, k: int, it: Item) -> bool:
    """A dimension word next to one of its values only names what the value is ("the <v> <dim>")."""
    dims = {m.name for m in it.meanings if m.kind in (Kind.DIMENSION, Kind.TAG_KEY)}
    tables = {m.name for m in it.meanings if m.kind == Kind.TABLE}
    for j in (k - 1, k + 1):
        if 0 <= j < len(st.items):
            other = st.items[j]
            if other.kind != ItemKind.TERM or abs(other.start - it.start) > 4:
                continue
            for m in other.meanings:
                if m.kind == Kind.VALUE and m.name in dims:
                    return True
                if j == k - 1 and m.kind in FILTERING and set(tables_of_meaning(st, m)) & tables:
                    return True  # "<value> <entities>": the entities that have the value
    return False


def describes_next_word(st: State, it: Item) -> bool:
    """The word right after ``it`` is one ``it`` may describe ("the data group"): said without a
    pause, no filler, and no time phrase ("what did marketing cost us last month")."""
    tokens = st.reading.tokens
    nxt = tokens[it.end] if it.end < len(tokens) else None
    return (
        nxt is not None
        and not tokens[it.end - 1].pause
        and nxt.text not in STOPWORDS
        and nxt.key not in STOPWORDS
        and nxt.text[:1].isalnum()
        and not any(x.start == it.end and x.time is not None for x in st.reading.items)
    )


def weak_value_ok(st: State, k: int, it: Item) -> bool:
    """An everyday word that is a value counts as the value next to its dimension's name, or in a
    follow-up of a question that filtered by that dimension ("and for data?" after "... the payments
    business unit": the business unit data)."""
    if not it.weak:
        return True
    dims = {m.name for m in it.meanings if m.kind == Kind.VALUE}
    if dims & st.filtered_before:
        return True
    tokens = st.reading.tokens
    said = [t.text for t in tokens[max(0, it.start - 2) : it.start]]
    ends = not describes_next_word(st, it)  # "in data", "in data last month"; not "of the data group"
    if ends and said[-1:] == ["the"] and said[-2:-1] and said[-2] in VALUE_PREPOSITIONS:
        return True  # "in the us"
    if ends and said[-1:] and said[-1] in VALUE_PREPOSITIONS and it.text.lower() not in PRONOUN_VALUES:
        return True  # "resources in data" (not "for us": a pronoun)
    # "payments and data", "payments vs search", "data or search": joined to another value of the
    # same dimension said plainly
    joining = {Role.AND, Role.OR, Role.COMPARE}
    joined = [
        x
        for x in (st.items[k - 1] if k else None, st.items[k + 1] if k + 1 < len(st.items) else None)
        if x is not None and x.kind == ItemKind.MARKER and set(x.roles) & joining
    ]
    if joined and any(
        other is not it
        and other.kind == ItemKind.TERM
        and not other.weak
        and {m.name for m in other.meanings if m.kind == Kind.VALUE} & dims
        for other in st.items
    ):
        return True
    for j in (k - 1, k + 1):
        if 0 <= j < len(st.items):
            other = st.items[j]
            if other.kind == ItemKind.TERM and any(
                m.kind == Kind.DIMENSION and m.name in dims for m in other.meanings
            ):
                return True
    return False


def rate_metric(st: State, grain: Grain) -> str | None:
    """The metric whose words are "average" + the grain's adjective ("average daily")."""
    return vocab_rate_metric(st.vocab, grain)


def vocab_rate_metric(vocab: Vocabulary, grain: Grain) -> str | None:
    adjective = RATE_ADJECTIVES.get(grain.value)
    if adjective is None:
        return None
    for mean in MEANS:
        for key in ((*mean, adjective), (adjective, *mean)):
            found = vocab.phrases.get(key) or []
            metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
            if metric:
                return metric
    return None


def without_rate_series(intent: Intent, vocab: Vocabulary) -> Intent:
    """ "average daily cost per day in may", or "what is the average per day?" after a daily series:
    an average per day split by day is each day's own amount (31 rows, not the one average asked
    for), so the split by the rate's own grain goes; a running total of an average adds nothing up
    and goes with it."""
    rates = {g for g in Grain if (m := vocab_rate_metric(vocab, g)) and m in intent.metrics}
    if not rates:
        return intent
    dims = tuple(d for d in intent.dimensions if d.grain not in rates)
    if len(dims) == len(intent.dimensions):
        return intent
    return intent.model_copy(update={"dimensions": dims, "cumulative": None})


def group_target(st: State, it: Item) -> list[DimensionRef] | None:
    """The dimensions an item names when grouped by: a dimension, a tag key, a time dimension, or
    a table (its identifying and naming dimensions)."""
    m = it.first(Kind.TAG_KEY, Kind.DIMENSION, Kind.TIME_DIMENSION, Kind.TAG_DIMENSION)
    if m is not None and m.kind == Kind.DIMENSION and it.has(Kind.TABLE):
        table = it.named(Kind.TABLE)
        labels = st.vocab.label_dimensions.get(table, ())
        if m.name in labels:
            return [DimensionRef(name=n) for n in labels]
    if m is not None:
        return [DimensionRef(name=m.name)]
    t = it.first(Kind.TABLE)
    if t is not None and st.vocab.label_dimensions.get(t.name):
        return [DimensionRef(name=n) for n in st.vocab.label_dimensions[t.name]]
    return None


def own_column(st: State, it: Item, refs: list[DimensionRef]) -> list[DimensionRef]:
    """ "the accounts and their owners": a tag key of other rows (the resources' owner tag) that is
    also a word of one dimension of the rows listed ("account owner") is that dimension: their own
    column, not every tag value of everything under them."""
    before = [x for x in st.items if x.kind == ItemKind.TERM and x.end <= it.start and x.has(Kind.TABLE)]
    table = before[-1].named(Kind.TABLE) if before else None  # the rows "their" stands for
    if table is None or not it.has(Kind.TAG_KEY) or any(table in st.vocab.tables_of(r.name) for r in refs):
        return refs
    words = {t.key for t in st.reading.tokens[it.start : it.end]} | {
        t.text for t in st.reading.tokens[it.start : it.end]
    }
    names = {n for w in words for n in st.vocab.inner_words.get(w, set())}
    own = sorted(n for n in names if n in st.vocab.dimensions and table in st.vocab.tables_of(n))
    return [DimensionRef(name=own[0])] if len(own) == 1 else refs


def entity_target(st: State, it: Item) -> list[DimensionRef] | None:
    """For "which <value words> ...": values name rows of a table, grouped by that table's labels."""
    target = group_target(st, it)
    if target is not None:
        return target
    for m in it.meanings:
        if m.kind in (Kind.VALUE, Kind.BOOLEAN):
            tables = st.vocab.tables_of(m.name)
            if len(tables) == 1 and st.vocab.label_dimensions.get(tables[0]):
                return [DimensionRef(name=n) for n in st.vocab.label_dimensions[tables[0]]]
    return None


def add_group(st: State, it: Item, refs: list[DimensionRef], role: Use = Use.GROUP) -> None:
    st.set_use(it, role)
    for ref in refs:
        if ref.name.partition(":")[0] in st.vocab.tag_dimensions and ":" not in ref.name:
            keys = st.vocab.tag_dimensions[ref.name].tag_keys
            st.parts.problems.append(f"which {ref.name} key? (e.g. {', '.join(keys[:4])})")
            st.parts.suggestions.extend(f"by {k} {ref.name}" for k in keys[:4])
            continue
        if ref.name in st.vocab.time_dimension_tables and ref.grain is None:
            st.time_hint = st.time_hint or ref.name
            st.grains.append(Grain.DAY if it.text.lower() in DAY_WORDS else None)
            continue
        if ref not in st.parts.dimensions:
            st.parts.dimensions.append(ref)


def compared(st: State, field: str, op: Op, value: object, written: Unit | None) -> Filter:
    """A comparison of ``field`` with a number as written: its unit goes on the filter when it is not
    the one the model declares for the field ("over 1 TB" on a GB column: 1, TB), so the compiler
    converts it. A field without a declared unit takes the number as it is, unless the unit said
    is of another kind than the field's numbers, which only a declared unit could convert."""
    declared = st.vocab.field_unit(field)
    if written is None or declared == written:
        f = Filter(field=field, op=op, value=value)  # type: ignore[arg-type]
        if written is not None:
            st.unit_said[id(f)] = written  # said in the model's unit: kept if the metric is converted
        return f
    if declared is None and written in PLAIN_UNITS:
        return Filter(field=field, op=op, value=value)  # type: ignore[arg-type]
    return Filter(field=field, op=op, value=value, unit=written)  # type: ignore[arg-type]


def asks_for_other_metric(st: State) -> bool:
    """Some metric other than counting rows is asked for, so a plural table word is a grouping."""
    named = any(it.kind == ItemKind.TERM and it.has(Kind.METRIC) for it in st.items)
    return named or any(m is not None for m, *_ in st.having)


def metric_for_unit(st: State, unit: str | None) -> str | None:
    fmt = unit or "number"
    for m in st.parts.metrics:
        if st.vocab.metric_format(m) == fmt:
            return m
    if unit is None and len(st.parts.metrics) == 1:
        return st.parts.metrics[0]
    table = count_table(st) if unit is None else None
    if (
        unit is None
        and not st.parts.metrics
        and len(st.metrics_before) == 1
        and table in st.vocab.count_metric
    ):
        labels = st.vocab.label_dimensions.get(table or "", ())
        if labels and all(d.name in labels for d in st.parts.dimensions):
            # "cost by account" -> "only accounts over 20k": the groups named are held to the amount
            # asked before, not counted (each account counts one)
            return st.metrics_before[0]
    if table in st.vocab.count_metric:
        return st.vocab.count_metric[table]
    return metric_in_unit(st, fmt)


def metric_in_unit(st: State, fmt: str) -> str | None:
    """The simple metric an amount in a unit means: of several in that format, those that add up
    (a total, not an average), then the one the rest of the question fits; None when two still do."""
    found = [m.name for m in st.vocab.model.metrics if m.format == fmt and m.type == "simple"]
    totals = [n for n in found if st.vocab.metric_aggregation(n) in ("sum", "count")] or found
    if len(totals) > 1:
        tables = {n: st.vocab.metric_tables.get(n, ()) for n in totals}
        totals = best_fit(tables, st.items, st.vocab, metrics=True)
    return totals[0] if len(totals) == 1 else None


def unit_dimension(st: State, unit_kind: str) -> str | None:
    """The number dimension measured in ``unit_kind``; of several (one per inventory), the one the
    rest of the question fits; None when two still do."""
    names = st.vocab.unit_dimensions(unit_kind)
    if len(names) > 1:
        names = best_fit({n: st.vocab.tables_of(n) for n in names}, st.items, st.vocab)
    return names[0] if len(names) == 1 else None


def count_table(st: State, prefer: str | None = None) -> str | None:
    """The table whose rows a count or listing is about: named tables first, then the table the
    model ties to the counting phrase (a synonym of a count metric), then the tables of the values and
    yes/no words used; one that reaches every dimension asked about wins."""
    candidates = table_candidates(st, prefer)
    for t in candidates:
        if reaches_all(st, t):
            return t
    return candidates[0] if candidates else None


def reaches_all(st: State, table: str) -> bool:
    names = [d.name for d in st.parts.dimensions] + [
        f.field for f in st.parts.filters if f.field not in st.vocab.metrics
    ]
    return reaches(st.vocab, table, names)


def reaches(vocab: Vocabulary, table: str, names: Sequence[str]) -> bool:
    """Whether every dimension of ``names`` can be read from ``table``'s rows, once each (itself, or
    a join that does not fan out)."""
    from compiler import catalog_for
    from models.errors import UserError

    catalog = catalog_for(vocab.model)
    try:
        for n in names:
            catalog.resolve_dimension(n, catalog.tables[table], "dimensions")
    except UserError:
        return False
    return True


def table_candidates(st: State, prefer: str | None = None) -> list[str]:
    out: list[str] = []
    explicit = [t for t in (*st.entity_tables, *(t for t in st.count_tables if t in st.entity_tables))]
    if st.sort_count_table:
        explicit.append(st.sort_count_table)
    for t in explicit:
        if t in st.vocab.count_metric or t in st.vocab.label_dimensions:
            out.append(t)
    if prefer:
        out.append(prefer)
    out.extend(t for t in st.count_tables if t in st.vocab.count_metric)
    seen: list[str] = []
    shared: list[str] = []  # tables of dimensions that several tables share
    for it in st.items:
        if it.kind == ItemKind.TERM and st.use_of(it) in (
            Use.FILTER,
            Use.NEGATED,
            Use.NONE,
            Use.RANKED_VALUE,
            Use.QUALIFIER,
            Use.SEGMENT,
        ):
            m = it.first(Kind.SEGMENT, Kind.VALUE, Kind.BOOLEAN)
            if m is not None:
                tables = tables_of_meaning(st, m)
                (seen if len(set(tables)) == 1 else shared).extend(tables)
    seen.extend(shared)
    if st.time_hint:
        seen.extend(st.vocab.tables_of(st.time_hint))  # "what was created last week?"
    out.extend(t for t in seen if t in st.vocab.count_metric)
    out.extend(t for t in st.qualified_tables if t in st.vocab.count_metric or t in st.vocab.label_dimensions)
    return list(dict.fromkeys(out))


def is_count(st: State, m: Meaning | None) -> bool:
    return m is not None and st.vocab.metric_aggregation(m.name) in ("count", "count_distinct")


def list_instead(question: str) -> str:
    """The question asked for the rows instead of their count: its first count phrase ("how many")
    left out and a list asked for once, however often it was suggested before."""
    text = " ".join(question.replace(LIST_INSTEAD, " ").split()).strip(" ?")
    lowered = f" {text.lower()} "
    for phrase in sorted(MARKERS[Role.COUNT], key=len, reverse=True):
        at = lowered.find(f" {phrase} ")
        if at >= 0:
            text = (text[:at] + text[at + len(phrase) :]).strip()
            break
    return f"{' '.join(text.split())} {LIST_INSTEAD}"
