"""Passes that rewrite what a word means before anything binds: "their total size" (the metric that
sums it), "over 2,000 a day" (the metric that averages per day), a superlative that names a metric.
"""

from __future__ import annotations

from runtime.mappers.english import (
    AVERAGE_PREFIXES,
    MEANS,
    RATE_ADJECTIVES,
    RATE_WORDS,
    TOTAL_WORDS,
    TRUE_SUPERLATIVES,
)
from runtime.mappers.kinds import ItemKind, QuantityKind, Role, Use
from runtime.mappers.passes.queries import rate_metric, sum_metric_of
from runtime.mappers.passes.state import State
from runtime.mappers.reading import Item
from runtime.mappers.senses import best_fit
from runtime.mappers.vocabulary import Kind, Meaning


def read_totals(st: State) -> None:
    """Words that name a number to add up: "their total size" (a total adds numbers, so a word that
    also names a text dimension means the number dimension whose synonyms use it, summed), and a
    number dimension in a question about a percentage ("what percentage of our storage (GB)").

    Reads the items and the model's number dimensions; rewrites those terms' meanings (a new reading,
    ``State.rewrite``), before any binder looks at them."""
    shares = any(x.kind == ItemKind.MARKER and Role.RATIO in x.roles for x in st.items)
    for it in st.items:
        number = [m for m in it.meanings if m.kind == Kind.DIMENSION and m.name in st.vocab.number_dimensions]
        if shares and it.kind == ItemKind.TERM and number and len(number) == len(it.meanings):
            metric = sum_metric_of(st, number[0].name)  # "what percentage of our storage (GB) ..."
            if metric is not None:
                st.rewrite(it, meanings=(Meaning(Kind.METRIC, metric),))
                continue
        before = st.reading.token_before(it)
        if it.kind != ItemKind.TERM or before is None or before.text not in TOTAL_WORDS:
            continue
        if it.has(Kind.METRIC) or not it.has(Kind.DIMENSION) or it.end - it.start != 1:
            continue
        word = st.reading.tokens[it.start].key
        totals: dict[str, str] = {}  # number dimension whose words use it -> the metric summing it
        for name in st.vocab.number_dimensions:
            d = st.vocab.dimensions[name]
            phrases = (d.name.replace("_", " "), *d.synonyms)
            words = {w for phrase in phrases for w in phrase.lower().split()}
            metric = sum_metric_of(st, name)
            if word in words and metric is not None:
                totals[name] = metric
        fits = best_fit({n: st.vocab.tables_of(n) for n in totals}, st.items, st.vocab)
        if len(fits) == 1:
            st.rewrite(it, meanings=(Meaning(Kind.METRIC, totals[fits[0]]),))


def bind_rates(st: State) -> None:
    """ "averaging over 2,000 a day": a comparison on the metric that averages per day (its words are
    "average" + "daily"), not on each day's total.

    Reads each comparison followed by a per-period phrase; writes ``rates`` and makes that phrase (and a
    word of averaging) a bound marker (a new reading, ``State.rewrite``), so take_time does not read it
    as a series."""
    for k in range(len(st.items) - 1):
        it, nxt = st.items[k], st.items[k + 1]
        q = it.quantity
        if it.kind != ItemKind.QUANTITY or q is None or q.kind != QuantityKind.COMPARE:
            continue
        if nxt.kind != ItemKind.TIME or not nxt.time:
            continue
        tp = nxt.time
        first = st.reading.tokens[nxt.start].text if nxt.start < len(st.reading.tokens) else ""
        if tp.grain is None or tp.time_range is not None or first not in RATE_WORDS:
            continue
        metric = rate_metric(st, tp.grain)
        if metric is None or (q.unit and st.vocab.metric_format(metric) != q.unit):
            continue
        st.bind(st.rewrite(nxt, kind=ItemKind.MARKER))
        st.rates[k] = metric
        for x in st.items:
            if x.kind == ItemKind.UNKNOWN and x.text.lower().startswith(AVERAGE_PREFIXES):
                st.bind(st.rewrite(x, kind=ItemKind.MARKER))


def bind_rate_average(st: State, k: int, it: Item) -> None:
    """ "<metric> per day on average", "on average a day": the metric that averages per period, when
    the question names a metric of the same kind (both money, say)."""
    for j in (k - 1, k + 1):
        if not 0 <= j < len(st.items):
            continue
        per = st.items[j]
        tp = per.time
        if per.kind != ItemKind.TIME or tp is None or tp.grain is None or tp.time_range is not None:
            continue
        first = st.reading.tokens[per.start].text
        if first not in RATE_WORDS and first != RATE_ADJECTIVES.get(tp.grain.value):
            continue
        metric = rate_metric(st, tp.grain)
        named = [x for x in st.items if x.kind == ItemKind.TERM and not st.use_of(x) and x.has(Kind.METRIC)]
        fmt = st.vocab.metric_format(metric) if metric else None
        same = [x for x in named if any(st.vocab.metric_format(m.name) == fmt for m in x.all(Kind.METRIC))]
        if metric is None or len(same) != 1:
            continue
        st.set_use(st.rewrite(same[0], meanings=(Meaning(Kind.METRIC, metric),)), Use.METRIC)
        st.bind(st.rewrite(per, kind=ItemKind.MARKER))
        st.bind(it)
        return


def note_words(st: State) -> None:
    """Reads the items; writes ``parts.has_domain_words`` (a follow-up without model words only
    adjusts the previous question) and ``parts.markers`` (every marker role said, for the merges)."""
    p = st.parts
    for it in st.items:
        if it.kind == ItemKind.TERM:
            p.has_domain_words = True
        p.markers.update(it.roles)


def read_directions(st: State) -> None:
    """A metric word that is also a superlative ("cheapest"): reads the terms; writes the ranking's
    direction and metric, before any marker binds, so "top 5" after it keeps that direction; a true
    superlative ("cheapest", not "cheaper") ranks something, as "most" does: "the cheapest instance"
    is one ranked row or a question back, never the total of every instance."""
    for it in st.items:
        if it.kind == ItemKind.TERM and it.direction and it.has(Kind.METRIC):
            st.direction = st.direction or it.direction
            st.direction_said = True
            st.sort_metric = st.sort_metric or it.named(Kind.METRIC)
            if it.text.lower() in TRUE_SUPERLATIVES:
                st.superlative = True


def bind_rate_averages(st: State) -> None:
    """ "<metric> per day on average": each "average" marker next to a per-period phrase; reads the
    items, rewrites the metric term it finds and marks both bound (``bind_average`` then skips it)."""
    for k in range(len(st.items)):
        it = st.items[k]
        if it.kind == ItemKind.MARKER and Role.AVG in it.roles:
            words = tuple(t.key for t in st.reading.tokens[it.start : it.end])
            if words in MEANS:
                bind_rate_average(st, k, it)
