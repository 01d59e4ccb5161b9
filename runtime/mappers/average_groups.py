"""Averaging groups: "average cost per account last month", "avg number of instances per region by
environment", "which environment has the highest average spend per account".

The model's averages are averages over rows (a volume's size) or over days (daily cost); an average
of each group's total is none of them, so the plain reading asks back ("'average' of what?"). Read
without its average word the question is the groups' totals ("cost per account last month"); the
average of those is the same reading with the group after "per" moved from ``dimensions`` to
``average_groups.of`` (the compiler nests the grouped query and averages its rows, beside the number
of groups). Only over groups a question names after "per" and only of sums and counts; a period said
as a rate ("average monthly cost per account") is left asked back: over months or over accounts?
"""

from __future__ import annotations

from collections.abc import Callable

from models.intent import AverageGroups, Intent
from models.responses import Mapping
from runtime.mappers.english import AVERAGE_PER, MEANS
from runtime.mappers.tokens import tokenize
from runtime.mappers.vocabulary import Vocabulary

_MEAN_WORDS = frozenset(w for (w,) in MEANS if w != "typical")  # "typical" is a median as often as not
_EACH = frozenset({"each", "every"})


def averaged_groups(question: str, vocab: Vocabulary, read: Callable[[str], Mapping]) -> Intent | None:
    """The intent averaging the groups the question names after "per", or None when it does not read
    that way: not one average word, no "per <group>" after it, the rest is not a whole reading of
    amounts per group, or it groups by a period too. Whether its metrics average over groups (sums
    and counts) is the compiler's check, which the caller runs."""
    tokens = tokenize(question)
    means = [i for i, t in enumerate(tokens) if t.text in _MEAN_WORDS]
    if len(means) != 1:
        return None
    mean = means[0]
    said = {mean}
    adverb = mean > 0 and tokens[mean - 1].text == "on"  # "on average, how much does each account ..."
    if adverb:
        said.add(mean - 1)
    # the group: after "per", or after "each" when "on average" says what is averaged
    leads = AVERAGE_PER | (_EACH if adverb else frozenset())
    pers = [i for i, t in enumerate(tokens) if (i > mean or adverb) and t.text in leads]
    if len(pers) != 1 or pers[0] + 1 >= len(tokens):
        return None
    at = pers[0] + 1
    size, _ = vocab.match(tokens, at, [True] * len(tokens))  # a dimension, a table, a kind's noun
    if not size:
        return None
    rest = read(" ".join(t.orig for i, t in enumerate(tokens) if i not in said))
    intent = rest.intent
    if rest.status != "answered" or not rest.complete or intent is None or not intent.metrics:
        return None
    if intent.share or intent.compare or intent.cumulative or intent.count_groups:
        return None
    # the groups are what "per <group>" adds to the reading without it (a table's noun: its id and name)
    gone = range(pers[0], at + size)
    plain = read(" ".join(t.orig for i, t in enumerate(tokens) if i not in said and i not in gone)).intent
    if (
        plain is None
        or not set(plain.dimensions) <= set(intent.dimensions)
        or plain.metrics != intent.metrics
    ):
        return None
    added = [d for d in intent.dimensions if d not in plain.dimensions]
    if not added:
        return None
    of = added[:1]  # one key: the id, not id and name
    if of[0].grain is not None:  # "per day on average": the model's own average per period says it
        return None
    if any(f.field == of[0].name for f in intent.filters):
        return None  # "volumes per instance": two kinds side by side, not groups to average over
    others = tuple(d for d in intent.dimensions if d not in added)
    if any(d.grain is not None for d in others):  # "average monthly cost per account": over which?
        return None
    return intent.model_copy(update={"dimensions": others, "average_groups": AverageGroups(of=tuple(of))})


__all__ = ["averaged_groups"]
