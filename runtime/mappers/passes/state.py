"""What the interpretation's passes share: the ``Parts`` they produce and the ``State`` they work on.

Every pass is a function ``(State) -> None`` listed in ``interpretation.PASSES``. A pass reads what the
earlier passes decided and writes its own fields; the docstring of each says which. They mutate one
state rather than return a new one because they also mark the reading's items (``Item.role``,
``Item.bound``) that later passes look at by position, and because a question runs ~40 passes in well
under a millisecond budget: copying ~40 fields per pass would cost more than the reading itself. The
state belongs to one ``interpret`` call, which works on a copy of the reading, so nothing outside
sees it change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from models.intent import Compare, DimensionRef, Filter, Grain, Op, OrderBy, TimeRange
from models.units import Unit
from runtime.mappers.kinds import Direction, ItemKind, Role
from runtime.mappers.reading import Item, Reading
from runtime.mappers.time_phrases import TimePhrase
from runtime.mappers.vocabulary import Kind, Vocabulary

GRAIN_NAMES = frozenset(g.value for g in Grain)  # "day", "week", ...: periods, never a date of its own
GROUPABLE = (Kind.DIMENSION, Kind.TAG_KEY, Kind.TIME_DIMENSION, Kind.TABLE, Kind.TAG_DIMENSION)
FILTERING = (Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT)
# units whose numbers mean the same on a field that declares no unit ("over $500" is 500 of it)
PLAIN_UNITS = frozenset({Unit.USD})


@dataclass
class Parts:
    """What the question asks, in model names; ``problems`` and ``ignored`` say what was not understood."""

    metrics: list[str] = field(default_factory=list)
    dimensions: list[DimensionRef] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    time_range: TimeRange | None = None
    all_time: bool = False
    order_by: list[OrderBy] = field(default_factory=list)
    limit: int | None = None
    listing: bool = False
    problems: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    markers: set[Role] = field(default_factory=set)
    has_domain_words: bool = False
    replaced_dimensions: bool = False  # a follow-up that says "instead"
    rank: tuple[Direction, int | None] | None = (
        None  # (direction, limit) even when there is nothing to rank yet
    )
    pending_grains: list[Grain | None] = field(default_factory=list)  # a series asked for without a metric
    sort_metric: str | None = None
    share_part: list[Filter] | None = None  # metrics as percentages (see Intent.share)
    before_previous: Grain | None = None  # a follow-up's "the <unit> before that"
    period_before: bool = False  # a follow-up's "the one before that": the previous range's period
    compare: Compare | None = None  # "how did ... change": each metric against an earlier period
    cumulative: bool = False  # "running total": each metric also added up along the series
    units: dict[str, Unit] = field(default_factory=dict)  # "in TB": metrics shown in another unit
    pending_units: list[tuple[str, Unit]] = field(default_factory=list)  # a follow-up's "in TB", no metric


# a comparison to place on a metric: metric (None: the one the unit fits), op, value, the kind of number
# (currency, gb, ...), the unit as written
Having = tuple[str | None, Op, object, str | None, Unit | None]


@dataclass
class State:
    """One interpretation in progress. Inputs first (never reassigned), then the working fields,
    grouped by the concern that writes them; ``parts`` is the result."""

    # --- inputs ---------------------------------------------------------------------------------
    reading: Reading  # a copy: passes mark its items (role, bound, and a few rewrite their meanings)
    vocab: Vocabulary
    partial: bool = False  # a possible follow-up: do not fill in a default metric or listing
    parts: Parts = field(default_factory=Parts)

    # --- ranking (ranking.py, markers.py: sort/asc/desc; words.py: directions) ---------------------
    sort_metric: str | None = None  # the metric ranked by
    sort_count_table: str | None = None  # "the most <entities>": ranked by how many
    sort_size: bool = False  # "the biggest <entities>": rows sorted by their size
    sort_age: bool = False  # "the oldest <entities>": rows sorted by their date
    direction: Direction | None = None
    superlative: bool = False  # "most", "highest": something is ranked
    direction_said: bool = False
    generic_rank: bool = False  # the direction came from "top"/"first", which only say "the first N"
    limit: int | None = None
    singular_target: bool = False  # "the <entity> with ...": one row

    # --- counting and listing (markers.py: count/list; defaults.py; counting.py) -------------------
    count_requested: bool = False
    count_default: str | None = None  # the count metric a counting phrase names ("how many")
    count_tables: list[str] = field(default_factory=list)  # tables of what follows "how many"
    list_requested: bool = False
    entity_tables: list[str] = field(default_factory=list)  # tables named as what is counted or listed
    qualified_tables: list[str] = field(default_factory=list)  # "in <value> <entities>": where, not what
    columns: list[DimensionRef] = field(default_factory=list)  # "... with their <dimension>": shown
    which_refs: list[DimensionRef] = field(default_factory=list)  # "which <entities>": grouped by
    which_tables: list[str] = field(default_factory=list)

    # --- shares (markers.py: ratio; shares.py) --------------------------------------------------------
    ratio_requested: bool = False
    ratio_at: int | None = None  # the item index of the first "percentage", "share", ...
    segment_at: dict[str, int] = field(default_factory=dict)  # where each segment was said

    # --- comparisons (words.py: rates; comparisons.py) -----------------------------------------------
    having: list[Having] = field(default_factory=list)
    unit_said: dict[int, Unit] = field(default_factory=dict)  # id of a filter -> the unit its number had
    rates: dict[int, str] = field(default_factory=dict)  # comparison item -> the per-period average

    # --- metrics named inside other phrases (ranking.py, markers.py, time.py) ---------------------------
    implied_metrics: list[str] = field(default_factory=list)  # "the 5 cheapest": the metric ranked by
    coordinated: list[tuple[str, str]] = field(default_factory=list)  # ("total" and) "average cost"

    # --- time (time.py; defaults.py: time_hint) -----------------------------------------------------
    time_hint: str | None = None  # the time dimension a word names ("created")
    grains: list[Grain | None] = field(default_factory=list)  # None: choose from the time range
    changes: list[Item] = field(default_factory=list)  # the words that ask for a change (see ``start``)
    ranges: list[tuple[int, TimePhrase]] = field(default_factory=list)  # every range said, by item index
    compare_to: TimeRange | None = None  # the earlier period of a change, when one is named
    change_percent: bool = False  # "in percent": ranked by the percent change

    # --- assembly (filters.py, shares.py): conditions gathered before they are merged ---------------
    by_field: dict[str, list[Filter]] = field(default_factory=dict)
    said_at: dict[Filter, int] = field(default_factory=dict)  # where each condition was said
    ratio_booleans: list[str] = field(default_factory=list)  # yes/no fields the model has a ratio of
    share: bool = False  # a percentage the model has no ratio metric for: a share of a sum or count
    part: dict[str, list[Filter]] = field(default_factory=dict)  # the share's part, by field

    @property
    def items(self) -> list[Item]:
        return self.reading.items

    @classmethod
    def start(cls, reading: Reading, vocab: Vocabulary, partial: bool = False) -> State:
        """A state for ``reading``, with the words that ask for a change found up front: which time
        phrase is "now" and which "then" depends on them from the first time phrase on."""
        items = reading.items
        changes = [it for it in items if it.kind == ItemKind.MARKER and Role.CHANGE in it.roles] + [
            it
            for k, it in enumerate(items[1:-1], start=1)
            if it.kind == ItemKind.MARKER
            and Role.COMPARE in it.roles
            and a_range(items[k - 1])
            and (a_range(items[k + 1]) or the_one_before(items[k + 1]))
        ]  # "<metric> in April vs March", "in May vs the month before": now and then
        return cls(reading, vocab, partial, changes=changes)


Pass = Callable[[State], None]
"""A step of the interpretation (see ``interpretation.PASSES``)."""

Binder = Callable[[State, int, Item], None]
"""Binds the item at an index to what it applies to (an entry of a dispatch table)."""


def a_range(it: Item) -> bool:
    return it.kind == ItemKind.TIME and it.time is not None and it.time.time_range is not None


def the_one_before(it: Item) -> bool:
    return it.kind == ItemKind.TIME and it.time is not None and it.time.period_before


__all__ = ["FILTERING", "GRAIN_NAMES", "GROUPABLE", "PLAIN_UNITS", "Binder", "Parts", "Pass", "State"]
