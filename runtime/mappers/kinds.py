"""The closed sets of names the offline mapper's passes share, as enums rather than strings.

``ItemKind`` is what the reading recognised a piece of the question as; ``Role`` what an English
marker word can do (``english.MARKERS`` lists the phrases of each); ``Use``
what the interpretation decided a piece is for. They are ``StrEnum`` so that a misspelt name fails at
import time (``Role.AVGG``) instead of silently never matching, while messages and logs still print
plain words.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Direction = Literal["asc", "desc"]  # a ranking's direction, as the intent says it


class ItemKind(StrEnum):
    """What the reading recognised: model words, a time phrase, a number, an English marker, ..."""

    TERM = "term"  # words of the model's vocabulary (``Item.meanings`` says what they may mean)
    TIME = "time"  # a time phrase (``Item.time``)
    QUANTITY = "quantity"  # a number phrase: "top 5", "over $500" (``Item.quantity``)
    MARKER = "marker"  # an English word that shapes the question ("by", "not", "how many")
    SUPER = "super"  # a superlative ("cheapest", "most"; ``Item.direction``)
    UNIT = "unit"  # "in TB": the unit to show a number in
    IGNORED = "ignored"  # a word known to change nothing ("GB" said after a number)
    UNKNOWN = "unknown"  # a word nobody recognised


class QuantityKind(StrEnum):
    """What a number phrase says: a comparison ("over $500") or a rank ("top 5")."""

    COMPARE = "compare"  # op, value and unit
    RANK = "rank"  # a limit and a direction (None when not said)


class Role(StrEnum):
    """What an English marker can do; one marker phrase may have several (``Item.roles``)."""

    GROUP = "group"  # "by", "per", "each"
    NEG = "neg"  # "not", "without"
    POSTNEG = "postneg"  # "absent", "unset": said after what it negates
    WITH = "with"
    COUNT = "count"  # "how many", "number of"
    RATIO = "ratio"  # "percentage", "share"
    LIST = "list"  # "list", "show"
    WHICH = "which"
    CHANGE = "change"  # "how did ... change", "grew"
    CUMULATIVE = "cumulative"  # "running total"
    COMPARE = "compare"  # "vs", "compared with"
    AND = "and"
    OR = "or"
    INSTEAD = "instead"
    ALSO = "also"
    SUM = "sum"  # "combined", "in total"
    ONLY = "only"
    AVG = "avg"  # "average", "mean"
    SORT = "sort"  # "sorted by", "ranked by"
    ASC = "asc"
    DESC = "desc"
    ALL_TIME = "all_time"
    EXISTS = "exists"


class Use(StrEnum):
    """What the interpretation decided a term is for; ``NONE`` (falsy) until a pass decides."""

    NONE = ""
    METRIC = "metric"  # a metric asked for
    SORT_METRIC = "sort_metric"  # the metric the answer is ranked by
    SIZE_SORT = "size_sort"  # a size metric that only sorts a listing of rows
    FILTER = "filter"  # a value that restricts the rows
    NEGATED = "negated"  # a value or tag excluded ("not <value>")
    HAS_TAG = "has_tag"  # "with an owner tag"
    SEGMENT = "segment"  # a named segment
    GROUP = "group"  # grouped by
    RANKED = "ranked"  # grouped by, and the groups ranked
    RANKED_VALUE = "ranked_value"  # grouped by the rows of a value's kind (the value still filters)
    WHICH = "which"  # "which <dimension>": grouped by
    COLUMN = "column"  # shown beside a listing, not grouped by
    QUALIFIER = "qualifier"  # only names what a neighbouring value is ("the <value> <dimension>")
    ENTITY = "entity"  # the rows counted or listed
    COUNT_SUBJECT = "count_subject"  # what "how many" counts
    COMPARED = "compared"  # the field a number is compared with
    TIME_HINT = "time_hint"  # the date a time range applies to
    DATED = "dated"  # the date a second range filters on ("launched since March")
    SCOPE = "scope"  # "across all accounts": everything, not a breakdown
    METRIC_WORD = "metric_word"  # a word naming another metric ("public and encrypted counts")
    IGNORED_WEAK = "ignored_weak"  # an everyday word not said next to its dimension
    UNPLACED = "unplaced"  # understood, but nothing in the question could use it


__all__ = ["Direction", "ItemKind", "QuantityKind", "Role", "Use"]
