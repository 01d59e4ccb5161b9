"""What the interpretation's passes share: the ``Parts`` they produce and the ``State`` they work on.

Every pass is a function ``(State) -> None`` listed in ``interpretation.PASSES``. A pass reads what the
earlier passes decided and writes its own fields; the docstring of each says which.

The reading (``reading.Reading`` and its ``Item``s) is immutable: it says what the question's words
are, and nothing a pass decides is written into it. Where the decisions live instead:

- an item's use (``uses``: ``use_of``/``set_use``) and whether a marker, symbol or unit found what it
  applies to (``bound``: ``is_bound``/``bind``) are here, keyed by the item's first token
  (``Item.start``: unique within a reading, and kept when an item is rewritten). Many passes decide
  and read them for most items, so a dict and a set are the cheapest place, and never stale.
- what a word *is* (its meanings, its kind) stays on the item, where every reader looks
  (``it.has(...)``, ``it.kind``). The few passes that change it build a new reading with that one
  item replaced (``rewrite``) and assign it to ``reading``: ``words.read_totals``, ``bind_rates`` and
  ``bind_rate_averages`` (a term that names the metric summing or averaging it) and ``bind_rates``,
  ``markers.bind_average`` and ``markers.bind_count`` (a word used up, now a bound marker). All run
  while binding; ``binding.bind_items``, whose binders may rewrite a later item, reads ``items[k]``
  afresh, and no pass keeps an item across a rewrite of it.

The passes mutate this one state rather than return a new one because a question runs ~40 passes in
well under a millisecond: copying ~45 fields per pass would cost more than the reading itself. The
state belongs to one ``interpret`` call; the reading it was given never changes, so the mapper
interprets one reading twice (as a follow-up, then as a new question) without copying it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from models.intent import Compare, DimensionRef, Filter, Grain, Op, OrderBy, TimeRange
from models.units import Unit
from runtime.mappers.kinds import Direction, ItemKind, Role, Use
from runtime.mappers.reading import Item, Reading
from runtime.mappers.time_phrases import TimePhrase
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary

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
    offset: int | None = None  # "the second most expensive": ranked rows skipped (Intent.offset)
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
    before_n: int = 1  # "the 30 days before that": how many <units>
    period_before: bool = False  # a follow-up's "the one before that": the previous range's period
    compare: Compare | None = None  # "how did ... change": each metric against an earlier period
    cumulative: bool = False  # "running total": each metric also added up along the series
    units: dict[str, Unit] = field(default_factory=dict)  # "in TB": metrics shown in another unit
    pending_units: list[tuple[str, Unit]] = field(default_factory=list)  # a follow-up's "in TB", no metric
    # (metric, number) of a comparison said with its scale or currency ("over $50k"): an amount in the
    # metric's own unit whatever unit it is shown in
    amounts_scaled: set[tuple[str, object]] = field(default_factory=set)
    # "accounts with no public buckets": the tokens (start, end) of the words saying "none", to be
    # read again as "exactly 0" (each group's count held to 0, groups with none counted)
    having_none: tuple[int, int] | None = None
    auto_series: bool = False  # a series whose grain nobody said ("running total"): the range's


# a comparison to place on a metric: metric (None: the one the unit fits), op, value, the kind of number
# (currency, gb, ...), the unit as written
Having = tuple[str | None, Op, object, str | None, Unit | None]


@dataclass
class State:
    """One interpretation in progress. Inputs first (never reassigned), then the working fields,
    grouped by the concern that writes them; ``parts`` is the result."""

    # --- inputs ---------------------------------------------------------------------------------
    reading: Reading  # replaced, never changed, by the passes that rewrite an item (``rewrite``)
    vocab: Vocabulary
    partial: bool = False  # a possible follow-up: do not fill in a default metric or listing
    filtered_before: frozenset[str] = frozenset()  # a follow-up: the fields the last question filtered by
    metrics_before: tuple[str, ...] = ()  # a follow-up: the metrics the last question asked for
    grouped_before: bool = False  # a follow-up: the last question had groups (not only a series)
    parts: Parts = field(default_factory=Parts)

    # --- what each item is for (every binding pass; keyed by ``Item.start``) -----------------------
    uses: dict[int, Use] = field(default_factory=dict)  # a term's use; absent: ``Use.NONE``
    bound: set[int] = field(default_factory=set)  # markers, symbols and units that found their target

    # --- ranking (ranking.py, markers.py: sort/asc/desc; words.py: directions) ---------------------
    sort_metric: str | None = None  # the metric ranked by
    sort_count_table: str | None = None  # "the most <entities>": ranked by how many
    sort_size: bool = False  # "the biggest <entities>": rows sorted by their size
    sort_age: bool = False  # "the oldest <entities>": rows sorted by their date
    sort_columns: tuple[str, ...] = ()  # "list buckets sorted by name": the dimensions the words may be
    direction: Direction | None = None
    superlative: bool = False  # "most", "highest": something is ranked
    direction_said: bool = False
    generic_rank: bool = False  # the direction came from "top"/"first", which only say "the first N"
    limit: int | None = None
    offset: int | None = None  # "the third largest": rows ranked before it
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
    flag_at: dict[str, int] = field(default_factory=dict)  # where each of ``ratio_booleans`` was said
    share: bool = False  # a percentage the model has no ratio metric for: a share of a sum or count
    part: dict[str, list[Filter]] = field(default_factory=dict)  # the share's part, by field

    @property
    def items(self) -> tuple[Item, ...]:
        return self.reading.items

    def use_of(self, it: Item) -> Use:
        """What a pass decided ``it`` is for (``Use.NONE``, falsy, until one does)."""
        return self.uses.get(it.start, Use.NONE)

    def set_use(self, it: Item, use: Use) -> None:
        self.uses[it.start] = use

    def is_bound(self, it: Item) -> bool:
        """Whether the marker (symbol, unit) ``it`` found what it applies to."""
        return it.start in self.bound

    def bind(self, it: Item, bound: bool = True) -> None:
        if bound:
            self.bound.add(it.start)
        else:
            self.bound.discard(it.start)

    def rewrite(
        self, it: Item, *, kind: ItemKind | None = None, meanings: tuple[Meaning, ...] | None = None
    ) -> Item:
        """A new reading with ``it`` replaced by a copy of another ``kind`` or with other ``meanings``;
        its position, use and whether it is bound stay. Returns the copy (``it`` is now stale)."""
        items = self.reading.items
        k = next(j for j, x in enumerate(items) if x.start == it.start)
        old = items[k]
        new = replace(
            old,
            kind=old.kind if kind is None else kind,
            meanings=old.meanings if meanings is None else meanings,
        )
        self.reading = replace(self.reading, items=(*items[:k], new, *items[k + 1 :]))
        return new

    @classmethod
    def start(
        cls,
        reading: Reading,
        vocab: Vocabulary,
        partial: bool = False,
        filtered_before: frozenset[str] = frozenset(),
        metrics_before: tuple[str, ...] = (),
        grouped_before: bool = False,
    ) -> State:
        """A state for ``reading``, with the words that ask for a change found up front: which time
        phrase is "now" and which "then" depends on them from the first time phrase on."""
        items = reading.items
        changes = [it for it in items if it.kind == ItemKind.MARKER and Role.CHANGE in it.roles] + [
            it
            for k, it in enumerate(items[1:-1], start=1)
            if it.kind == ItemKind.MARKER
            and Role.COMPARE in it.roles
            and a_range(items[k - 1])
            and (
                a_range(items[k + 1])
                or the_one_before(items[k + 1])
                or _just_before(items[k + 1], items[k - 1])
            )
        ]  # "<metric> in April vs March", "in May vs the month before": now and then
        opening = (
            items[0]
            if items and items[0].kind == ItemKind.MARKER and Role.COMPARE in items[0].roles
            else None
        )
        ranges = [it for it in items if a_range(it)]
        if (
            opening is not None
            and len(ranges) == 1
            and not changes
            and any(it.start > ranges[0].start and _just_before(it, ranges[0]) for it in items)
        ):
            changes.append(opening)  # "compare last week's cost with the week before"
        return cls(
            reading,
            vocab,
            partial,
            filtered_before=filtered_before,
            metrics_before=metrics_before,
            grouped_before=grouped_before,
            changes=changes,
        )


Pass = Callable[[State], None]
"""A step of the interpretation (see ``interpretation.PASSES``)."""

Binder = Callable[[State, int, Item], None]
"""Binds the item at an index to what it applies to (an entry of a dispatch table)."""


def a_range(it: Item) -> bool:
    return it.kind == ItemKind.TIME and it.time is not None and it.time.time_range is not None


_NAMED_PERIODS = {"month": Grain.MONTH, "quarter": Grain.QUARTER, "year": Grain.YEAR}


def period_unit(tr: TimeRange | None) -> Grain | None:
    """The unit a range is one of ("last week": a week; "in May": a month), or None."""
    return None if tr is None else tr.unit or _NAMED_PERIODS.get(tr.kind)


def _just_before(it: Item, now: Item) -> bool:
    """ "the week before" said after "last week": the period of the same unit just before it."""
    unit = period_unit(now.time.time_range if now.time is not None else None)
    return (
        it.kind == ItemKind.TIME
        and it.time is not None
        and unit is not None
        and it.time.before_previous == unit
    )


def the_one_before(it: Item) -> bool:
    return it.kind == ItemKind.TIME and it.time is not None and it.time.period_before


__all__ = [
    "FILTERING",
    "GRAIN_NAMES",
    "GROUPABLE",
    "PLAIN_UNITS",
    "Binder",
    "Parts",
    "Pass",
    "State",
    "period_unit",
]
