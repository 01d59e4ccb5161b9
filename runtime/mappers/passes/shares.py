"""Percentages: the model's own ratio metric, or the share of a sum or a count (``Intent.share``)."""

from __future__ import annotations

import itertools

from models.intent import Filter, Op
from runtime.mappers.english import (
    DETERMINERS,
    PART_JOINERS,
    PLACE_PREPOSITIONS,
    QUESTION_OPENERS,
    RELATIVE_PRONOUNS,
    SHARE_VERBS,
    WHOLE_AFTER,
)
from runtime.mappers.kinds import ItemKind, Use
from runtime.mappers.passes.filters import merge_filters
from runtime.mappers.passes.queries import count_table, kind_keys, names_a_kind, reaches, table_candidates
from runtime.mappers.passes.state import State
from runtime.mappers.reading import Item
from runtime.mappers.vocabulary import Kind


def predicate_start(st: State) -> int | None:
    """Where the part starts in "what share of <whole> <verb> <part>" (a token index), or None.

    The whole is a noun phrase with its own modifiers ("instances in prod", "public buckets",
    "resources without an owner tag", "instances that are in prod"); the first verb after the
    percentage word that is not the noun phrase's own ("that are ...") ends it, and the rest is the
    part. A verb only inside a relative clause ("percentage of public resources that are encrypted")
    starts the part itself. The whole may also come first ("among prod instances, what percent are
    stopped"): the verb right after the percentage word starts the part all the same."""
    assert st.ratio_at is not None
    tokens = st.reading.tokens
    inside = {i for it in st.items if it.kind != ItemKind.MARKER for i in range(it.start, it.end)}
    verbs = [
        i
        for i in range(st.items[st.ratio_at].end, len(tokens))
        if tokens[i].text in SHARE_VERBS and i not in inside
    ]
    own = [i for i in verbs if i > 0 and tokens[i - 1].text in RELATIVE_PRONOUNS]
    main = [i for i in verbs if i not in own]
    return main[0] if main else (own[-1] if own else None)


def predicate_end(st: State, start: int) -> int:
    """Where the part said from ``start`` ends (a token index): "what percent are stopped of the
    instances in prod" names the whole after the part, after an "of" that follows it; else the end."""
    assert st.ratio_at is not None
    tokens = st.reading.tokens
    marker = st.items[st.ratio_at]
    if any(it.kind == ItemKind.TERM and marker.end <= it.start < start for it in st.items):
        return len(tokens)  # "what percent of <whole> are ...": the whole is already named
    inside = {i for it in st.items if it.kind != ItemKind.MARKER for i in range(it.start, it.end)}
    return next(
        (i for i in range(start + 1, len(tokens)) if tokens[i].text in WHOLE_AFTER and i not in inside),
        len(tokens),
    )


def part_span(st: State) -> tuple[int, int] | None:
    """The tokens ``[start, end)`` that say the part of "what percent of <whole> <verb> <part>" (see
    ``predicate_start``, ``predicate_end``), or None when there is no such verb or nothing outside
    the part names the whole ("what percent are stopped": of what is not said)."""
    start = predicate_start(st)
    if start is None:
        return None
    end = predicate_end(st, start)
    if not any(it.kind == ItemKind.TERM and not start <= it.start < end for it in st.items):
        return None
    return start, end


def share_owner(st: State) -> int | None:
    """Where "<value>'s share of ...", "<value> share of ..." names the part before the percentage
    word (the token index of the value), or None; "in prod, what percent ..." and "among prod
    instances what percent ..." name the whole there instead."""
    assert st.ratio_at is not None
    marker = st.items[st.ratio_at].start
    tokens = st.reading.tokens
    before = st.items[st.ratio_at - 1] if st.ratio_at > 0 else None
    if (
        before
        and before.kind == ItemKind.TERM
        and before.end == marker
        and not tokens[before.end - 1].pause
        and tokens[marker].text not in QUESTION_OPENERS
    ):
        adjective = st.items[st.ratio_at - 2] if st.ratio_at > 1 else None
        if (
            adjective is not None
            and adjective.kind == ItemKind.TERM
            and adjective.end == before.start
            and adjective.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT)
            and names_a_kind(st, before)
            and not names_a_kind(st, adjective)
        ):
            # "stopped instance rate": the instances are the whole, the stopped ones the part (it read
            # the instances as the part of the stopped resources: 87.9% for 16.9%)
            return adjective.start
        return before.start
    return None



def split_part(
    st: State, by_field: dict[str, list[Filter]], said_at: dict[Filter, int]
) -> tuple[dict[str, list[Filter]], dict[str, list[Filter]]]:
    """ "what share of <whole> <is / came from / are> <part>": conditions said after the verb that
    ends the whole define the part, those said before it (or before the percentage word) restrict the
    whole. "<value>'s share of <whole>": the value is the part, the rest the whole. With neither
    ("share of spend from prod"), conditions said after the thing the share is of define the part."""
    assert st.ratio_at is not None
    marker = st.items[st.ratio_at].start
    owner = share_owner(st)
    span = part_span(st)
    start, end = span if span else (None, len(st.reading.tokens))
    head: int | None
    both_values: tuple[int, int] | None = None
    if start is None and owner is None and (named_whole := _as_share_of(st)) is not None:
        return _part_before(st, by_field, said_at, named_whole)
    if start is not None:
        head = start - 1  # the part: what is said from the verb on
    elif owner is not None:
        head = len(st.reading.tokens)  # "ec2's share of cost in prod": prod's cost is the whole
    else:
        # the words naming the whole: the first term after the marker and the terms right after it
        after: list[Item] = []
        for it in st.items:
            if it.kind == ItemKind.TERM and it.start > marker and it.meanings:
                if after and it.start != after[-1].end:
                    break
                after.append(it)
            elif after:
                break
        heads = [
            it.start
            for it in st.items
            if it.kind == ItemKind.TERM
            and (st.use_of(it) in (Use.METRIC, Use.SORT_METRIC, Use.COUNT_SUBJECT) or it.has(Kind.TABLE))
        ]
        # "what share of <whole> ...": the first thing named after the word; "<whole> ... as a
        # percentage": the first metric or entity named
        head = after[-1].start if after else (heads[0] if heads else None)
        named = [h for h in heads if after and h >= after[-1].end]
        if after and named and after[0].has(Kind.VALUE, Kind.SEGMENT) and not after[0].has(Kind.METRIC):
            # "share of prod and staging in last month's cost", "percentage of ec2 instances in total
            # spend": values first, then the amount they are a share of: the values are the part
            head, end = after[0].start - 1, named[0]
        elif after and not named and not any(it.has(Kind.METRIC, Kind.TABLE) for it in after):
            both_values = (after[0].start, after[-1].end)
    if head is None:
        return by_field, {}
    whole: dict[str, list[Filter]] = {}
    part: dict[str, list[Filter]] = {}
    for name, fs in by_field.items():
        for f in fs:
            at = said_at.get(f, -1)
            (part if head < at < end or at == owner else whole).setdefault(name, []).append(f)
    said = len(part)  # the conditions the part is made of: one per field, one per segment
    if owner is not None:
        kinds = kind_keys(st.vocab)
        owned = {owner}
        k = next((k for k, it in enumerate(st.items) if it.start == owner), None)
        if k is not None and k > 0 and st.items[k - 1].end == owner and st.items[k].has(Kind.TABLE):
            owned.add(st.items[k - 1].start)  # "untagged resource rate": the segment before the rows' word
        for seg in list(st.parts.segments):
            if st.segment_at.get(seg, -1) in owned:
                # "unattached volume rate by region": the unattached ones of each region's volumes
                # (it was each region's share of all unattached volumes)
                st.parts.segments.remove(seg)
                for f in next(s for s in st.vocab.model.segments if s.name == seg).filters:
                    (whole if f.field in kinds else part).setdefault(f.field, []).append(f)
    for seg in list(st.parts.segments):
        if head < st.segment_at.get(seg, -1) < end:
            said += 1
            st.parts.segments.remove(seg)
            for f in next(s for s in st.vocab.model.segments if s.name == seg).filters:
                part.setdefault(f.field, []).append(f)
    place = trailing_place(st, part_positions(st, part, said_at, head, end)) if start is not None else None
    if place is not None and start is not None:
        # "what percent of instances are stopped in europe": of Europe's instances, or of all?
        st.parts.problems.append(
            "a percentage of which rows: does the place said last belong to the rows the percentage "
            "is of, or to the part? (say 'what percent of <rows> in <where> are <what>', or '... are "
            "<what> and in <where>')"
        )
        words = [t.text for t in st.reading.tokens]
        p, q = place
        st.parts.suggestions.extend(
            (
                " ".join(words[:start] + words[p:q] + words[start:p] + words[q:]),
                " ".join(words[:p] + ["and"] + words[p:]),
            )
        )
    if start is None and owner is None and both_values and part:
        ask_values_both_ways(st, *both_values)
    if start is None and owner is None and said > 1:
        # "percentage of instances in prod stopped", "share of spend in prod from ec2": with no verb
        # between them, which condition names the whole and which the part is a guess
        st.parts.problems.append(
            "a percentage of what, and which part? (say it with a verb: 'what percent of <rows> "
            "in <where> are <what>', 'what share of <amount> in <where> came from <what>')"
        )
    return whole, part


def _as_share_of(st: State) -> list[Item] | None:
    """ "<part> as a share of (all) <whole>": the terms that name the whole, or None when the words are
    not said that way. Only when something before the words says which rows or amount the part is."""
    assert st.ratio_at is not None
    marker = st.items[st.ratio_at]
    tokens = st.reading.tokens
    before = [t.text for t in tokens[max(0, marker.start - 2) : marker.start]]
    if "as" not in before or marker.end >= len(tokens) or tokens[marker.end].text != "of":
        return None
    if not any(it.kind == ItemKind.TERM and it.end <= marker.start for it in st.items):
        return None
    whole: list[Item] = []
    for it in st.items[st.ratio_at + 1 :]:
        if it.kind == ItemKind.MARKER and whole:
            break
        if it.kind == ItemKind.TERM:
            if whole and it.start != whole[-1].end:
                break
            whole.append(it)
    return whole or None


def _part_before(
    st: State, by_field: dict[str, list[Filter]], said_at: dict[Filter, int], named_whole: list[Item]
) -> tuple[dict[str, list[Filter]], dict[str, list[Filter]]]:
    """ "unencrypted volumes as a share of all volumes by environment": the whole is what the words
    after "of" name (the volumes), the part what the words before add to it (unencrypted); each
    group's part over that group's whole. It divided by the part's own total over every group."""
    assert st.ratio_at is not None
    marker = st.items[st.ratio_at].start
    whole_fields = {m.name for it in named_whole for m in it.meanings if m.kind in (Kind.VALUE, Kind.BOOLEAN)}
    whole: dict[str, list[Filter]] = {}
    part: dict[str, list[Filter]] = {}
    for name, fs in by_field.items():
        for f in fs:
            before = said_at.get(f, -1) < marker
            (part if before and f.field not in whole_fields else whole).setdefault(name, []).append(f)
    whole_segments = {m.name for it in named_whole for m in it.meanings if m.kind == Kind.SEGMENT}
    for seg in list(st.parts.segments):
        if st.segment_at.get(seg, len(st.reading.tokens)) < marker and seg not in whole_segments:
            st.parts.segments.remove(seg)
            for f in next(s for s in st.vocab.model.segments if s.name == seg).filters:
                if f.field not in whole_fields:
                    part.setdefault(f.field, []).append(f)
                else:
                    whole.setdefault(f.field, []).append(f)
    return whole, part


def ask_values_both_ways(st: State, first: int, last: int) -> None:
    """ "share of ec2 in prod", "percent of buckets in us-east-1": values on both sides of "in" and
    no verb. As in "the share of women in parliament", the second could be the whole (what share of
    prod is ec2), yet "percent of buckets in us-east-1" is as often the buckets' share that is there.
    Asked back, offering both with a verb ("what percent of buckets are in us-east-1", "what percent
    of resources in us-east-1 are buckets")."""
    tokens = [t for t in st.reading.tokens if t.text not in ("?", ".", "!")]

    def said(lo: int, hi: int) -> str:  # as typed, hyphens kept
        return "".join(
            ("-" if t.glued and i > lo else " ") + t.orig for i, t in enumerate(tokens) if lo <= i < hi
        )

    rows, rest = said(first, last).strip(), said(last, len(tokens)).strip()
    fields = [name for name in st.by_field if name not in st.vocab.metrics]
    table = next((t for t in table_candidates(st) if reaches(st.vocab, t, fields)), None)
    noun = table.replace("_", " ") if table else "rows"
    st.parts.problems.append(
        f"a percentage of which: of {rows}, those {rest}; or of the {noun} {rest}, the {rows}? (say it "
        "with a verb: 'what percent of <rows> are <what>')"
    )
    st.parts.suggestions.extend(
        (f"what percent of {rows} are {rest}", f"what percent of {noun} {rest} are {rows}")
    )


def part_positions(
    st: State, part: dict[str, list[Filter]], said_at: dict[Filter, int], head: int, end: int
) -> list[int]:
    """Where each condition of the part was said (token indexes, in order)."""
    at = {said_at.get(f, -1) for fs in part.values() for f in fs} | set(st.segment_at.values())
    return sorted(a for a in at if head < a < end)


def trailing_place(st: State, positions: list[int]) -> tuple[int, int] | None:
    """A condition of the part said after another one behind a preposition, with no "and" between
    them ("are stopped in europe", "was from ec2 in prod"): the place may say which rows the
    percentage is of as well as which of them count. Its tokens (from the preposition), or None."""
    tokens = st.reading.tokens
    inside = {i for it in st.items if it.kind != ItemKind.MARKER for i in range(it.start, it.end)}
    for a, b in itertools.pairwise(positions):
        between = [i for i in range(a + 1, b) if i not in inside]
        words = [tokens[i].text for i in between]
        if any(w in PART_JOINERS for w in words):
            continue
        at = next((i for i in between if tokens[i].text in PLACE_PREPOSITIONS), None)
        if at is not None:
            return at, next((it.end for it in st.items if it.start == b), b + 1)
    return None


def place_flags(st: State) -> None:
    """ "what percent of public buckets are encrypted": of two yes/no words the model has ratios of,
    the one said with the rows filters the whole and the one after the verb is the part, so the ratio
    is the part's ("encrypted share, where public"); a part with more than its flag ("... are public
    and in prod") is a share of the count instead. Without a verb to tell them apart, two flags are
    asked back."""
    flags = st.ratio_booleans
    if not flags or any(st.vocab.metrics[m].type == "ratio" for m in st.parts.metrics):
        return
    span = part_span(st)
    if span is None:
        if len(set(flags)) > 1:
            said = list(dict.fromkeys(flags))
            st.parts.problems.append(
                f"a percentage of which: {said[1]} among the rows where {said[0]}, or {said[0]} among "
                f"those where {said[1]}? (say '<rows> that are <flag>')"
            )
            st.parts.suggestions.extend(
                r.replace("_", " ") for b in said for r in st.vocab.ratio_of_boolean.get(b, [])
            )
        return
    start, end = span
    in_part = [b for b in flags if start <= st.flag_at.get(b, -1) < end]
    more = any(start <= st.said_at.get(f, -1) < end for fs in st.by_field.values() for f in fs) or any(
        start <= at < end for at in st.segment_at.values()
    )
    keep = in_part if len(set(in_part)) == 1 and not more else []
    for b in flags:
        if b not in keep:
            f = Filter(field=b, op=Op.EQ, value=True)
            st.by_field.setdefault(b, []).append(f)
            st.said_at.setdefault(f, st.flag_at.get(b, -1))
    st.ratio_booleans = keep


def make_share(st: State, part: dict[str, list[Filter]]) -> None:
    """A percentage the model has no ratio metric for: the share of a sum or a count."""
    p = st.parts
    kept, p.filters = p.filters, []
    merge_filters(st, part)
    part_filters, p.filters = p.filters, kept
    if not p.metrics:  # "what fraction of <entities> are <value>": a share of their count
        table = count_table(st)
        metric = st.vocab.count_metric.get(table) if table else None
        if metric is None:
            p.problems.append("a share or percentage of what (a cost, a count)?")
            return
        p.metrics.append(metric)
    if not part_filters and not p.dimensions and not st.grains:
        p.problems.append(
            "a share of what part? say which (e.g. '... that are <value>') or break it down ('by ...')"
        )
        return
    additive = {"sum", "count"} | ({"count_distinct"} if part_filters else set())
    for name in p.metrics:
        if st.vocab.metric_aggregation(name) not in additive:
            p.problems.append(f"a share of {name.replace('_', ' ')}, which does not add up across groups")
            p.suggestions.extend(
                m.name.replace("_", " ") for m in st.vocab.model.metrics if m.type == "ratio"
            )
            return
    p.share_part = part_filters


def pick_ratio(st: State, booleans: list[str]) -> None:
    p = st.parts
    ratios = [m for m in p.metrics if st.vocab.metrics[m].type == "ratio"]
    if ratios:
        return
    candidates = [r for b in booleans for r in st.vocab.ratio_of_boolean.get(b, [])]
    if candidates:
        p.metrics.insert(0, candidates[0])
        return
    p.problems.append("a share or percentage of something the model has no ratio for")
    p.suggestions.extend(m.name.replace("_", " ") for m in st.vocab.model.metrics if m.type == "ratio")


def split_share(st: State) -> None:
    """A percentage with no ratio metric of the model behind it is a share (``share``); its part is
    the conditions said after what it is a share of: moved from ``by_field`` to ``part``."""
    if st.ratio_requested:
        place_flags(st)
    st.share = (
        st.ratio_requested
        and not st.ratio_booleans
        and not any(st.vocab.metrics[m].type == "ratio" for m in st.parts.metrics)
    )
    if st.share:
        st.by_field, st.part = split_part(st, st.by_field, st.said_at)


def pick_model_ratio(st: State) -> None:
    """A percentage the model has a ratio metric for ("the encryption rate") asks for that metric.

    Reads ``ratio_requested``, ``share`` and ``ratio_booleans``; writes ``parts.metrics`` or a problem."""
    if st.ratio_requested and not st.share:
        pick_ratio(st, st.ratio_booleans)


def whole_head(st: State) -> Item | None:
    """The term right after "what percent of (the)", the rows the percentage is of, or None."""
    assert st.ratio_at is not None
    marker = st.items[st.ratio_at]
    tokens = st.reading.tokens
    for it in st.items[st.ratio_at + 1 :]:
        if it.kind == ItemKind.TERM:
            between = [t.text for t in tokens[marker.end : it.start]]
            if between[:1] == ["of"] and all(w in DETERMINERS for w in between[1:]):
                return it
            return None
    return None


def ask_share_of_groups(st: State) -> None:
    """ "what percent of accounts have public buckets", "what percent of regions ...": a percentage of
    groups (a dimension's values, or rows of a table the metric does not measure) is not a ratio of
    the rows the model measures; any answer would be the share of the buckets. Asked back, offering
    the count of those groups ("how many accounts have public buckets")."""
    if not st.ratio_requested or any(
        st.use_of(it) in (Use.METRIC, Use.SORT_METRIC) for it in st.items if it.kind == ItemKind.TERM
    ):
        return
    head = whole_head(st)
    if head is None or head.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT, Kind.METRIC):
        return
    measured = {t for m in st.parts.metrics for t in st.vocab.metric_tables.get(m, ())}
    tables = {m.name for m in head.all(Kind.TABLE)}
    if tables & measured:
        return
    rest = " ".join(t.text for t in st.reading.tokens[head.start :])
    st.parts.problems.append(
        f"a percentage of {head.text}: the model measures rows, not {head.text}, so it has no share "
        f"of them; ask how many (e.g. 'how many {rest}')"
    )
    st.parts.suggestions.extend((f"how many {rest}", f"how many {head.text}"))


def place_share(st: State) -> None:
    """The share's part, once the counted metric is chosen (``pick_count``): ``parts.share_part``;
    a percentage of groups rather than rows is asked back."""
    if st.share:
        make_share(st, st.part)
    p = st.parts
    if p.share_part:  # "what share was ec2 and s3": one part; by service, each would be 100% of itself
        fields = {f.field for f in p.share_part}
        p.dimensions = [d for d in p.dimensions if d.grain is not None or d.name not in fields]
    ask_share_of_groups(st)
