"""Conditions and metrics from the terms' uses: gathered by field, then merged into the intent's
filters (several values of one field: ``IN`` and, unless summed, one row each).
"""

from __future__ import annotations

import itertools

from models.intent import DimensionRef, Filter, Op
from runtime.mappers.english import OTHERS_PHRASES
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.state import FILTERING, State
from runtime.mappers.reading import Item
from runtime.mappers.senses import best_fit, values_of
from runtime.mappers.vocabulary import Kind, Meaning


def filter_from(st: State, m: Meaning, negated: bool) -> Filter | None:
    if m.kind == Kind.BOOLEAN:
        return Filter(field=m.name, op=Op.EQ, value=(not m.value) if negated else bool(m.value))
    if m.kind == Kind.VALUE:
        return Filter(field=m.name, op=Op.NE if negated else Op.EQ, value=str(m.value))
    if m.kind == Kind.TAG_KEY:
        return Filter(field=m.name, op=Op.IS_NULL if negated else Op.IS_NOT_NULL)
    return None


def boolean_for_untagged(st: State, it: Item) -> str | None:
    """The flag "not tagged" filters by: the ``untagged`` boolean the model declares on the tags
    dimension ``it`` names (several tables' tags: the one the rest of the question fits); None when the
    model declares none, and the negation is then left unread."""
    names = {m.name for m in it.all(Kind.TAG_DIMENSION)}
    found = list(
        dict.fromkeys(
            d.untagged
            for t in st.vocab.model.tables
            for d in t.dimensions
            if d.name in names and d.untagged is not None
        )
    )
    if len(found) > 1:
        found = best_fit({n: st.vocab.tables_of(n) for n in found}, st.items, st.vocab)
    return found[0] if len(found) == 1 else None


def add_segment(st: State, name: str, negated: bool) -> None:
    if not negated:
        if name not in st.parts.segments:
            st.parts.segments.append(name)
        return
    seg = next(s for s in st.vocab.model.segments if s.name == name)
    if len(seg.filters) != 1:
        st.parts.problems.append(f"cannot exclude '{name}', which combines several conditions")
        return
    f = seg.filters[0]
    flipped = {
        Op.EQ: Op.NE,
        Op.NE: Op.EQ,
        Op.IN: Op.NOT_IN,
        Op.NOT_IN: Op.IN,
        Op.IS_NULL: Op.IS_NOT_NULL,
        Op.IS_NOT_NULL: Op.IS_NULL,
    }.get(f.op)
    if flipped is None:
        st.parts.problems.append(f"cannot exclude '{name}'")
        return
    if isinstance(f.value, bool) and f.op == Op.EQ:
        st.parts.filters.append(Filter(field=f.field, op=Op.EQ, value=not f.value))
    else:
        st.parts.filters.append(Filter(field=f.field, op=flipped, value=f.value))


def merge_filters(st: State, by_field: dict[str, list[Filter]]) -> None:
    p = st.parts
    compare = bool(Role.COMPARE in p.markers)
    summed = bool(p.markers & {Role.SUM, Role.OR})
    for name, fs in by_field.items():
        # "dev and sandbox accounts: resource count by service": values that describe the rows named
        # after them, with another grouping asked for, only say which rows count (summed); "cost of
        # ec2 and s3 by region", alone, or compared, each value is a row
        grouped = bool(st.grains) or any(d.name != name for d in p.dimensions)
        grouped = grouped and _describe_rows(st, fs)
        pos = list(dict.fromkeys(f.value for f in fs if f.op == Op.EQ))
        neg = list(dict.fromkeys(f.value for f in fs if f.op == Op.NE))
        other = [f for f in fs if f.op not in (Op.EQ, Op.NE)]
        if fs and isinstance(fs[0].value, bool):
            if len({f.value for f in fs}) > 1:  # "encrypted vs unencrypted": side by side
                if not any(d.name == name for d in p.dimensions):
                    p.dimensions.append(DimensionRef(name=name))
                continue
            p.filters.append(fs[0])
            continue
        if len(pos) == 1:
            p.filters.append(Filter(field=name, op=Op.EQ, value=pos[0]))
        elif len(pos) > 1:
            p.filters.append(Filter(field=name, op=Op.IN, value=tuple(pos)))  # type: ignore[arg-type]
            side_by_side = compare or not (summed or grouped)
            if side_by_side and not any(d.name == name for d in p.dimensions):
                p.dimensions.append(DimensionRef(name=name))
        if len(neg) == 1:
            p.filters.append(Filter(field=name, op=Op.NE, value=neg[0]))
        elif len(neg) > 1:
            p.filters.append(Filter(field=name, op=Op.NOT_IN, value=tuple(neg)))  # type: ignore[arg-type]
        for f in other:
            if f not in p.filters:
                p.filters.append(f)


def _describe_rows(st: State, fs: list[Filter]) -> bool:
    """The last of these values is said right before a word for rows ("dev and sandbox accounts")."""
    last = max((st.said_at.get(f, -1) for f in fs), default=-1)
    k = next((k for k, it in enumerate(st.items) if it.start == last), None)
    if k is None or k + 1 >= len(st.items):
        return False
    nxt = st.items[k + 1]
    return nxt.kind == ItemKind.TERM and nxt.start == st.items[k].end and nxt.has(Kind.TABLE)


def ask_contradictions(st: State) -> None:
    """ "prod vs non-prod cost": a value and its negation on one field match no row, and "prod and
    everything else" names the other values no filter can; either would answer with nothing or with
    prod alone. Asked back, offering the breakdown by that field (each value a row).

    Reads ``parts.filters`` and the words; writes problems and suggestions."""
    p = st.parts
    text = f" {' '.join(t.text for t in st.reading.tokens)} "
    others = next((o for o in OTHERS_PHRASES if f" {o} " in text), None)
    what = p.metrics[0].replace("_", " ") if p.metrics else "count"
    for f in p.filters:
        if f.op not in (Op.EQ, Op.IN):
            continue
        kept = set(values_of(f))
        dropped = {
            v for g in p.filters if g.field == f.field and g.op in (Op.NE, Op.NOT_IN) for v in values_of(g)
        }
        if kept & dropped:
            v = sorted(kept & dropped, key=str)[0]
            p.problems.append(f"'{v}' and 'not {v}' together match nothing")
        elif others:
            named = ", ".join(sorted(map(str, kept)))
            p.problems.append(f"'{others}' besides {named}: no filter names the rest")
        else:
            continue
        p.suggestions.append(f"{what} by {f.field.replace('_', ' ')}")
        return


def ask_or_across_fields(st: State) -> None:
    """ "public or unencrypted resources": rows that meet one condition or another of two fields. The
    conditions of an intent all hold together, so either reading would drop rows or count the wrong
    ones; asked back ("or" between values of one field, "prod or staging", is one condition).

    Reads the "or" markers and the conditions beside them; writes a problem and suggestions."""
    conditions = (Use.FILTER, Use.NEGATED, Use.SEGMENT)
    segment_fields = {seg.name: {f.field for f in seg.filters} for seg in st.vocab.model.segments}

    def fields_of(x: Item) -> set[str]:
        out: set[str] = set()
        for m in x.meanings:
            if m.kind == Kind.SEGMENT:
                out |= segment_fields.get(m.name, set())
            elif m.kind in (Kind.VALUE, Kind.BOOLEAN, Kind.TAG_KEY):
                out.add(m.name)
        return out

    for k, it in enumerate(st.items):
        if it.kind != ItemKind.MARKER or Role.OR not in it.roles:
            continue
        left = next((x for x in reversed(st.items[:k]) if x.kind == ItemKind.TERM), None)
        right = next((x for x in st.items[k + 1 :] if x.kind == ItemKind.TERM), None)
        if left is None or right is None:
            continue
        if st.use_of(left) not in conditions or st.use_of(right) not in conditions:
            continue
        if st.use_of(left) == st.use_of(right) == Use.NEGATED:
            # "missing an owner or team tag": either one missing (a compliance check), or neither
            # there? an intent holds both conditions, so only "neither" can be answered; asked back
            tokens = st.reading.tokens
            both = [t.orig for t in tokens[: it.start]] + ["and"] + [t.orig for t in tokens[it.end :]]
            st.parts.problems.append(
                f"'{left.text} or {right.text}' after a negation: missing either one, or both? I can count "
                "the rows missing both, or those missing each one"
            )
            st.parts.suggestions.append(" ".join(both))
            return
        a, b = fields_of(left), fields_of(right)
        if not a or not b or a & b:
            continue
        st.parts.problems.append(
            f"'{left.text} or {right.text}': rows that are one or the other; I can filter by conditions "
            "that all hold, so ask for each"
        )
        st.parts.suggestions.extend((left.text, right.text))
        return


def ask_having_none(st: State) -> None:
    """ "which accounts have no public <rows>", "accounts without public <rows>", "regions that don't
    have any eks clusters": groups that have none of some rows. A condition on the rows would keep
    the groups that have some other rows (or negate both words), never the groups with none; the
    words saying "none" are marked (``Parts.having_none``) for the mapper to read the question again
    with "exactly 0", a count per group held to 0, where groups with none count as 0. A table's rows
    that have none of another kind's (no groups to count in) are asked back.

    Reads the items' uses; writes ``having_none``, or problems and suggestions."""
    p = st.parts
    subject: Item | None = None
    for k, it in enumerate(st.items):
        use = st.use_of(it)
        if it.kind == ItemKind.TERM and use in (Use.ENTITY, Use.WHICH) and it.has(Kind.TABLE):
            subject = it
        elif it.kind == ItemKind.TERM and use == Use.WHICH and it.has(Kind.DIMENSION, Kind.TAG_KEY):
            subject = it  # "which regions have no eks clusters": groups with none of those rows
        elif (
            it.kind == ItemKind.TERM
            and use in (Use.GROUP, Use.UNPLACED, Use.QUALIFIER)
            and (use != Use.QUALIFIER or it.plural)  # "sandbox accounts": the accounts, qualified
            and it.has(Kind.DIMENSION, Kind.TAG_KEY)
            and (neg := _negation_after(st, k)) is not None
            and not {t.text for t in st.reading.tokens[it.end : neg.start]} - _RELATIVES - _HAVE
        ):
            subject = it  # "regions with no eks clusters", "which sandbox accounts have no eks clusters"
        if subject is None or it.kind != ItemKind.MARKER or Role.NEG not in it.roles:
            continue
        own = {m.name for m in subject.all(Kind.TABLE)}  # (a dimension's groups own no rows)
        none_said = bool(set(it.text.split()) & _NONE)  # "no", "without": not "except", "other than"
        after: list[Item] = []
        end = it.end
        for x in st.items[k + 1 : k + 4]:  # the words right after "no", up to a preposition
            if x.kind == ItemKind.MARKER and Role.WITH in x.roles and x.text in _HAVE and not after:
                end = x.end  # "don't have any": the verb after the negation
                none_said = True
                continue
            if x.kind != ItemKind.TERM or {t.text for t in st.reading.tokens[end : x.start]} - {"any", "the"}:
                break
            after.append(x)
            end = x.end
        rows = next(  # a noun for rows of another kind
            (
                x
                for x in after
                if (
                    (x.has(Kind.TABLE) and not {m.name for m in x.all(Kind.TABLE)} & own)
                    or any(not set(st.vocab.tables_of(m.name)) & own for m in x.all(Kind.VALUE))
                    or any(not _segment_tables(st, m.name) & own for m in x.all(Kind.SEGMENT))
                )
            ),
            None,
        )
        if rows is None:
            continue
        said = " ".join(x.text for x in after)
        grouped = {m.name for m in subject.meanings if m.kind in (Kind.DIMENSION, Kind.TAG_KEY)}
        if grouped and none_said and not any(m.name in grouped for x in after for m in x.meanings):
            p.having_none = (it.start, after[0].start)
            return
        if grouped and not own:
            continue  # "services except s3": the groups' own values left out
        p.problems.append(
            f"'{subject.text}' with no {said}: I count or list rows that exist, not the {subject.text} "
            "that have none"
        )
        p.suggestions.append(f"{said} by {subject.text}")
        return


_HAVE = frozenset({"have", "has", "had"})


def _negation_after(st: State, k: int) -> Item | None:
    """The negation right after item ``k``, or after a verb of having there ("regions that have no
    eks clusters": it was read as every region's resources but eks clusters)."""
    nxt = k + 1
    between = st.items[nxt] if nxt < len(st.items) else None
    if (
        between is not None
        and between.kind == ItemKind.MARKER
        and set(between.text.split()) <= _HAVE | _RELATIVES
    ):
        nxt += 1  # "that have", "which has"
    if nxt < len(st.items) and Role.NEG in st.items[nxt].roles:
        return st.items[nxt]
    return None


_NONE = frozenset({"no", "without", "none", "zero"})
_RELATIVES = frozenset({"that", "which", "who", "where"})


def _segment_tables(st: State, name: str) -> set[str]:
    """The tables a segment's conditions are on."""
    segment = next((s for s in st.vocab.model.segments if s.name == name), None)
    return {t for f in (segment.filters if segment else ()) for t in st.vocab.tables_of(f.field)}


def ask_metric_of_metric(st: State) -> None:
    """ "cost of storage", "spend on storage", "storage spend": one metric said "of", "on" or right
    before another is one of them for some rows the other word describes (storage services), not both
    metrics side by side; asked back.

    Reads the metric terms; writes problems and suggestions."""
    p = st.parts
    metrics = [
        it
        for it in st.items
        if it.kind == ItemKind.TERM
        and st.use_of(it) == Use.METRIC
        and it.first(Kind.METRIC) is not None
        and it.named(Kind.METRIC) in p.metrics  # still asked for once a derived metric absorbed its base
    ]
    for a, b in itertools.pairwise(metrics):
        if a.named(Kind.METRIC) == b.named(Kind.METRIC):
            continue  # "spend money": two words for one metric
        gap = [t.text for t in st.reading.tokens[a.end : b.start]]
        if gap in ([], ["of"], ["of", "the"], ["for"], ["on"], ["on", "the"]):  # "storage spend"
            said = " ".join(t.orig for t in st.reading.tokens[a.start : b.end])
            p.problems.append(f"'{said}': the {a.text} of which rows?")
            p.suggestions.append(f"{a.text} and {b.text}")
            return


def segment_side_by_side(st: State) -> None:
    """ "unattached volumes vs in-use volumes": a segment that keeps some values of a dimension and
    a value of it said beside the segment, with a word of comparing, are one row each; grouped by
    that dimension, the compiler puts both values in one condition instead of an empty answer.

    Reads ``parts.segments``, ``parts.filters`` and ``parts.markers``; writes ``parts.dimensions``."""
    p = st.parts
    if Role.COMPARE not in p.markers or not p.segments:
        return
    kept = {
        f.field: values_of(f)
        for seg in st.vocab.model.segments
        if seg.name in p.segments
        for f in seg.filters
        if f.op in (Op.EQ, Op.IN)
    }
    for f in p.filters:
        if f.field not in kept or f.op not in (Op.EQ, Op.IN) or any(d.name == f.field for d in p.dimensions):
            continue
        if not set(values_of(f)) & set(kept[f.field]):
            p.dimensions.append(DimensionRef(name=f.field))


def absorb_metrics(st: State) -> None:
    """ "<derived metric words> <value> <base metric>": the derived metric is built from the base one, so
    the base one is part of it, not a second metric.

    Reads ``parts.metrics``, where each metric was said and ``coordinated``; writes ``parts.metrics``."""
    from compiler import catalog_for

    p = st.parts
    if len(p.metrics) < 2:
        return
    catalog = catalog_for(st.vocab.model)
    spans: dict[str, Item] = {}
    for it in st.items:
        if st.use_of(it) == Use.METRIC:
            spans.setdefault(it.named(Kind.METRIC), it)
    keep = []
    coordinated = {name for name, _ in st.coordinated}
    for name in p.metrics:
        absorbed = False
        if name in coordinated:
            keep.append(name)
            continue
        for other in p.metrics:
            if other == name or name not in catalog.metric_dependencies(catalog.metric(other))[1:]:
                continue
            a, b = spans.get(other), spans.get(name)
            if (
                a
                and b
                and not any(
                    x.kind == ItemKind.MARKER and set(x.roles) & {Role.AND, Role.OR, Role.COMPARE}
                    for x in st.items
                    if min(a.start, b.start) < x.start < max(a.start, b.start)
                )
            ):
                absorbed = True
        if not absorbed:
            keep.append(name)
    p.metrics = keep


def undo_degenerate_groups(st: State) -> None:
    """ "instances of each type": grouping by a dimension the question fixes to one value gives one
    row; the word meant another dimension it names, when exactly one other does."""
    p = st.parts
    fixed = {f.field for f in p.filters if f.op == Op.EQ}
    for i, d in enumerate(p.dimensions):
        if d.grain is not None or d.name not in fixed:
            continue
        said = next(
            (
                it
                for it in st.items
                if it.kind == ItemKind.TERM
                and st.use_of(it)
                and any(m.name == d.name for m in it.all(Kind.DIMENSION))
            ),
            None,
        )
        if said is None:
            continue
        words = {t.key for t in st.reading.tokens[said.start : said.end]}
        others = [
            name
            for name, dim in st.vocab.dimensions.items()
            if name != d.name
            and name not in fixed
            and words & {w for phrase in (name.replace("_", " "), *dim.synonyms) for w in phrase.split()}
        ]
        if len(others) == 1:
            p.dimensions[i] = DimensionRef(name=others[0])


def two_kinds_joined(st: State) -> None:
    """ "<kind>s and <other kind>s" naming values of two different dimensions ("lambdas and
    dynamodb tables") means either kind, which no single filter says; both at once would be a
    plausible wrong number (usually zero), so ask.

    Reads the "and" markers and their neighbours; writes problems and suggestions."""
    for k, it in enumerate(st.items[1:-1], start=1):
        if it.kind != ItemKind.MARKER or Role.AND not in it.roles:
            continue
        a, b = st.items[k - 1], st.items[k + 1]
        if a.kind != ItemKind.TERM or b.kind != ItemKind.TERM or a.end != it.start or b.start != it.end:
            continue
        va, vb = a.first(Kind.VALUE), b.first(Kind.VALUE)
        if not (va and vb and a.plural and b.plural) or va.name == vb.name:
            continue
        if a.has(Kind.BOOLEAN, Kind.METRIC) or b.has(Kind.BOOLEAN, Kind.METRIC):
            continue
        st.parts.problems.append(
            f"'{a.text}' ({va.name.replace('_', ' ')}) and '{b.text}' ({vb.name.replace('_', ' ')}) are "
            "values of different things; ask for each, or for a breakdown"
        )
        st.parts.suggestions.extend((f"{a.text} count", f"{b.text} count"))


def split_counts(st: State, by_field: dict[str, list[Filter]], said_at: dict[Filter, int]) -> None:
    """ "how many are encrypted and how many are public": one count per yes/no word, each the
    model's metric that counts those rows, not one count of the rows that are both."""
    asked = [x for x in st.items if x.kind == ItemKind.MARKER and Role.COUNT in x.roles]
    flags = sorted(
        (said_at.get(f, 0), name)
        for name, fs in by_field.items()
        for f in fs
        if f.value is True and f.op == Op.EQ and name in st.vocab.count_of_boolean
    )
    if len(asked) < 2 or len(flags) < 2 or len(flags) != len(asked):
        return
    for _, name in flags:
        by_field.pop(name, None)
        metric = st.vocab.count_of_boolean[name]
        if metric not in st.parts.metrics:
            st.parts.metrics.append(metric)
    st.count_requested = False


def collect_conditions(st: State) -> None:
    """The terms' uses become parts: metrics in the order said, segments, and conditions gathered by
    field (``by_field``, with where each was said in ``said_at``) to be merged later; a yes/no word the
    model has a ratio of, in a question about that ratio, is recorded in ``ratio_booleans`` instead."""
    p = st.parts
    named_metrics = [
        it.named(Kind.METRIC)
        for it in st.items
        if it.kind == ItemKind.TERM and st.use_of(it) in (Use.METRIC, Use.SORT_METRIC)
    ]
    for it in st.items:
        if it.kind != ItemKind.TERM:
            continue
        if st.use_of(it) in (Use.METRIC, Use.SORT_METRIC):
            for metric in it.all(Kind.METRIC)[:1]:
                if metric.name not in p.metrics:
                    p.metrics.append(metric.name)
        elif st.use_of(it) in (Use.FILTER, Use.NEGATED, Use.HAS_TAG) or (
            st.use_of(it) == Use.NONE and it.has(*FILTERING)
        ):
            negated = st.use_of(it) == Use.NEGATED
            if it.has(Kind.SEGMENT) and not it.has(Kind.VALUE):
                add_segment(st, it.named(Kind.SEGMENT), negated)
                st.segment_at.setdefault(it.named(Kind.SEGMENT), it.start)
                continue
            m = it.first(Kind.VALUE, Kind.BOOLEAN, Kind.TAG_KEY)
            if m is None and it.has(Kind.TAG_DIMENSION) and negated:
                no_tags = boolean_for_untagged(st, it)
                if no_tags:
                    st.by_field.setdefault(no_tags, []).append(Filter(field=no_tags, op=Op.EQ, value=True))
                else:  # never the rows with and without tags alike, called the untagged ones
                    keys = [
                        k
                        for m in it.all(Kind.TAG_DIMENSION)
                        for k in st.vocab.tag_dimensions[m.name].tag_keys
                    ]
                    p.problems.append(f"which rows have no '{it.text}' (the model does not say; name a key)")
                    p.suggestions.extend(f"without {k} {it.text}" for k in keys[:3])
                continue
            if m is None:
                continue
            ratios = st.vocab.ratio_of_boolean.get(m.name, []) if m.kind == Kind.BOOLEAN else []
            if ratios and (
                set(ratios) & set(named_metrics)
                or (
                    st.ratio_requested
                    and (not m.value) == negated  # the complement is a share of the count, below
                    and all(st.vocab.metric_aggregation(n) == "count" for n in named_metrics)
                )
            ):  # "the encryption rate", "what percentage are encrypted": the model's own ratio
                if (not m.value) != negated:
                    names = ", ".join(st.vocab.ratio_of_boolean[m.name])
                    p.problems.append(
                        f"the model has {names} (the share where {m.name} is true), not "
                        f"its complement; ask for that and subtract from 100%"
                    )
                    p.suggestions.extend(r.replace("_", " ") for r in st.vocab.ratio_of_boolean[m.name])
                st.ratio_booleans.append(m.name)
                st.flag_at.setdefault(m.name, it.start)
                continue
            f = filter_from(st, m, negated)
            if f is not None:
                st.by_field.setdefault(f.field, []).append(f)
                st.said_at.setdefault(f, it.start)
        elif st.use_of(it) == Use.SEGMENT:
            add_segment(st, it.named(Kind.SEGMENT), False)
            st.segment_at.setdefault(it.named(Kind.SEGMENT), it.start)


def add_implied_metrics(st: State) -> None:
    """Metrics named inside other phrases ("the 5 cheapest") follow the ones named outright.

    Reads ``implied_metrics``; writes ``parts.metrics``."""
    for name in st.implied_metrics:
        if name not in st.parts.metrics:
            st.parts.metrics.append(name)


def order_coordinated(st: State) -> None:
    """ "total and average daily <noun>": each coordinated metric goes before the one it was said
    with, in the order they were said.

    Reads ``coordinated``; writes ``parts.metrics``."""
    metrics = st.parts.metrics
    for name, anchor in st.coordinated:
        if name in metrics and anchor in metrics and metrics.index(name) > metrics.index(anchor):
            metrics.remove(name)
        if name not in metrics:
            metrics.insert(metrics.index(anchor) if anchor in metrics else len(metrics), name)


def split_flag_counts(st: State) -> None:
    """``split_counts`` on the conditions gathered so far.

    Reads ``by_field``, ``said_at`` and the count markers; writes ``parts.metrics``, takes those
    conditions out of ``by_field`` and clears ``count_requested``."""
    split_counts(st, st.by_field, st.said_at)


def place_filters(st: State) -> None:
    """The gathered conditions (the share's part taken out) become the intent's filters.

    Reads ``by_field`` and ``parts.markers``; writes ``parts.filters`` (and ``parts.dimensions`` for
    values side by side)."""
    merge_filters(st, st.by_field)
