"""Counting groups: "how many accounts have more than 200 resources", "how many regions have any public
bucket", "how many services cost more than $500 last month".

The question without its count words ("accounts have more than 200 resources") is a listing of groups
that meet a condition; the count of those groups is the same reading with the counted dimension moved
from ``dimensions`` to ``count_groups.of`` (the compiler nests the grouped query and counts its rows).
Which words count is ``english.GROUP_COUNT_LEADS``; which dimension the counted noun is comes from the
model's vocabulary (a dimension or tag key by its name or synonyms, or a table by its own dimensions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.intent import CountGroups, Filter, Intent, Op
from models.responses import Mapping
from runtime.mappers.english import GROUP_COUNT_LEADS
from runtime.mappers.tokens import Token, tokenize
from runtime.mappers.vocabulary import Kind, Vocabulary

_GROUPING = (Kind.DIMENSION, Kind.TAG_KEY, Kind.TABLE)
_LEADS = sorted((tuple(p.split()) for p in GROUP_COUNT_LEADS), key=len, reverse=True)


def count_lead(tokens: Sequence[Token]) -> int:
    """How many of the first words say "count" ("how many", "number of"); 0 when none do."""
    words = tuple(t.text for t in tokens)
    return next((n for n in map(len, _LEADS) if words[:n] in _LEADS), 0)


def counted_groups(question: str, vocab: Vocabulary, read: Callable[[str], Mapping]) -> Intent | None:
    """The intent counting the groups the question names, or None when it does not count groups: no
    count words first, the counted noun is no model word that groups by itself (what ``read`` makes of
    it alone: a table's noun is its id and name, a dimension's noun the dimension), the rest is not a whole
    reading that lists those groups. With no condition ("how many regions are we in"), the values some
    row of one count has, not counting rows without one."""
    tokens = tokenize(question)
    lead = count_lead(tokens)
    if not lead or lead >= len(tokens):
        return None
    size, meanings = vocab.match(tokens, lead, [True] * len(tokens))
    if not size or not any(m.kind in _GROUPING for m in meanings):
        return None
    alone = read(" ".join(t.orig for t in tokens[lead : lead + size])).intent
    if alone is None or not alone.dimensions or alone.filters or alone.segments:
        return None
    counted = {d.name for d in alone.dimensions}
    listed = read(" ".join(t.orig for t in tokens[lead:]))
    intent = listed.intent
    if listed.status != "answered" or not listed.complete or intent is None or not intent.metrics:
        return None
    if intent.order_by or intent.limit:
        return None
    if intent.share is not None or intent.compare is not None or intent.cumulative is not None:
        return None
    of = [d for d in alone.dimensions if d in intent.dimensions][:1]  # one key: the id, not id and name
    if not of:
        return None
    others = tuple(d for d in intent.dimensions if d.name not in counted)
    filters = intent.filters
    if not (intent.filters or intent.segments):
        # "how many regions are we in", "how many teams": the values that some row has, counted;
        # only over one count of rows, and never a row without a value as a group of its own
        if others or len(intent.metrics) != 1 or intent.metrics[0] not in vocab.count_metric.values():
            return None
        filters = (Filter(field=of[0].name, op=Op.IS_NOT_NULL),)
    return intent.model_copy(
        update={"dimensions": others, "filters": filters, "count_groups": CountGroups(of=tuple(of))}
    )


__all__ = ["count_lead", "counted_groups"]
