"""A Reading -> the parts of an Intent, decided from each piece and its neighbours.

Markers bind first ("by" takes the dimensions after it, "not" the value after it, "top 5" the entity
after it), then every piece left unbound gets its default role (a metric is asked for, a value
filters, a table is what is counted or listed). What could not be placed is recorded, so the mapper
can ask instead of guessing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from compiler.time_range import resolve_time_range
from models.intent import MIN_DATE, Compare, DimensionRef, Filter, Grain, Op, OrderBy, TimeRange
from models.units import FAMILY, Unit, units_of
from runtime.mappers.english import (
    AGE_WORDS,
    AGENT_VERBS,
    AUXILIARIES,
    AVERAGE_PER,
    CHANGE_WORDS,
    COLUMN_WORDS,
    COVERING_PREPOSITIONS,
    DAY_WORDS,
    DETERMINERS,
    EACH_WORDS,
    GENERIC_RANK_WORDS,
    HAVING_BREAKS,
    HAVING_WORDS,
    LIST_INSTEAD,
    MARKERS,
    MEANS,
    PLACE_PREPOSITIONS,
    PLAIN_GROUP_WORDS,
    PLAIN_TOTAL,
    POSTFIX_NEGATIONS,
    RATE_SUPERLATIVES,
    RATE_WORDS,
    SHOW_UNITS,
    SIZE_QUESTION,
    SIZE_WORDS,
    SPAN_FOLLOWERS,
    SPAN_WORDS,
    STOPWORDS,
    TIME_LEFTOVERS,
    TOTAL_WORDS,
    TRUE_SUPERLATIVES,
    UNITS,
    VALUE_PREPOSITIONS,
    WHICH_FILLERS,
    unit_kind,
)
from runtime.mappers.kinds import ItemKind, QuantityKind, Role, Use
from runtime.mappers.reading import SEPARATORS, Item, Reading
from runtime.mappers.senses import best_fit
from runtime.mappers.time_phrases import TimePhrase
from runtime.mappers.tokens import phrase_key, singular
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary

_GRAIN_NAMES = frozenset(g.value for g in Grain)  # "day", "week", ...: periods, never a date of its own
_GROUPABLE = (Kind.DIMENSION, Kind.TAG_KEY, Kind.TIME_DIMENSION, Kind.TABLE, Kind.TAG_DIMENSION)
_FILTERING = (Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT)
# units whose numbers mean the same on a field that declares no unit ("over $500" is 500 of it)
_PLAIN_UNITS = frozenset({Unit.USD})
_RATE_ADJECTIVES = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}


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
    rank: tuple[str, int | None] | None = None  # (direction, limit) even when there is nothing to rank yet
    pending_grains: list[Grain | None] = field(default_factory=list)  # a series asked for without a metric
    sort_metric: str | None = None
    share_part: list[Filter] | None = None  # metrics as percentages (see Intent.share)
    before_previous: Grain | None = None  # a follow-up's "the <unit> before that"
    period_before: bool = False  # a follow-up's "the one before that": the previous range's period
    compare: Compare | None = None  # "how did ... change": each metric against an earlier period
    cumulative: bool = False  # "running total": each metric also added up along the series
    units: dict[str, Unit] = field(default_factory=dict)  # "in TB": metrics shown in another unit
    pending_units: list[tuple[str, Unit]] = field(default_factory=list)  # a follow-up's "in TB", no metric


class _Interpreter:
    def __init__(self, reading: Reading, vocab: Vocabulary, partial: bool = False):
        self.partial = partial  # a possible follow-up: do not fill in a default metric or listing
        self.r = reading
        self.v = vocab
        self.items = reading.items
        self.p = Parts()
        self.sort_metric: str | None = None
        self.sort_count_table: str | None = None
        self.sort_size = False
        self.sort_age = False  # "the oldest <entities>": rows sorted by their date
        self.direction: str | None = None
        self.superlative = False  # "most", "highest": something is ranked
        self.direction_said = False
        self.generic_rank = False  # the direction came from "top"/"first", which only say "the first N"
        self.limit: int | None = None
        self.singular_target = False
        self.count_requested = False
        self.count_default: str | None = None
        self.count_tables: list[str] = []
        self.ratio_requested = False
        self.ratio_at: int | None = None  # the item index of the first "percentage", "share", ...
        self.segment_at: dict[str, int] = {}
        self.list_requested = False
        # metric|None(count), op, value, the kind of number (currency, gb, ...), the unit as written
        self.having: list[tuple[str | None, Op, object, str | None, Unit | None]] = []
        self.unit_said: dict[int, Unit] = {}  # id of a filter -> the unit its number was said in
        self.entity_tables: list[str] = []
        self.columns: list[DimensionRef] = []  # "... with their <dimension>": shown, not grouped by
        self.which_refs: list[DimensionRef] = []
        self.which_tables: list[str] = []
        self.qualified_tables: list[str] = []  # "in <value> <entities>": where, not what
        self.time_hint: str | None = None
        self.rates: dict[int, str] = {}  # comparison item -> the per-period average it compares
        self.implied_metrics: list[str] = []  # named inside other phrases ("the 5 cheapest")
        self.coordinated: list[tuple[str, str]] = []  # ("total" and) "average cost": (metric, anchor)
        self.grains: list[Grain | None] = []  # None: choose from the time range
        # "how did <metric> change ...": the words that ask for a change, and every range said
        self.changes = [it for it in self.items if it.kind == ItemKind.MARKER and Role.CHANGE in it.roles] + [
            it
            for k, it in enumerate(self.items[1:-1], start=1)
            if it.kind == ItemKind.MARKER
            and Role.COMPARE in it.roles
            and _a_range(self.items[k - 1])
            and (_a_range(self.items[k + 1]) or _the_one_before(self.items[k + 1]))
        ]  # "<metric> in April vs March", "in May vs the month before": now and then
        self.ranges: list[tuple[int, TimePhrase]] = []
        self.compare_to: TimeRange | None = None  # the earlier period, when one is named
        self.change_percent = False  # "in percent": ranked by the percent change

    # --- helpers ----------------------------------------------------------------------------------

    def read_totals(self) -> None:
        """Words that name a number to add up: "their total size" (a total adds numbers, so a word that
        also names a text dimension means the number dimension whose synonyms use it, summed), and a
        number dimension in a question about a percentage ("what percentage of our storage (GB)")."""
        shares = any(x.kind == ItemKind.MARKER and Role.RATIO in x.roles for x in self.items)
        for it in self.items:
            number = [
                m for m in it.meanings if m.kind == Kind.DIMENSION and m.name in self.v.number_dimensions
            ]
            if shares and it.kind == ItemKind.TERM and number and len(number) == len(it.meanings):
                metric = self.sum_metric_of(number[0].name)  # "what percentage of our storage (GB) ..."
                if metric is not None:
                    it.meanings = [Meaning(Kind.METRIC, metric)]
                    continue
            before = self.r.token_before(it)
            if it.kind != ItemKind.TERM or before is None or before.text not in TOTAL_WORDS:
                continue
            if it.has(Kind.METRIC) or not it.has(Kind.DIMENSION) or it.end - it.start != 1:
                continue
            word = self.r.tokens[it.start].key
            totals: dict[str, str] = {}  # number dimension whose words use it -> the metric summing it
            for name in self.v.number_dimensions:
                d = self.v.dimensions[name]
                phrases = (d.name.replace("_", " "), *d.synonyms)
                words = {w for phrase in phrases for w in phrase.lower().split()}
                metric = self.sum_metric_of(name)
                if word in words and metric is not None:
                    totals[name] = metric
            fits = best_fit({n: self.v.tables_of(n) for n in totals}, self.items, self.v)
            if len(fits) == 1:
                it.meanings = [Meaning(Kind.METRIC, totals[fits[0]])]

    def after(self, k: int, skip: tuple[Role, ...] = ()) -> tuple[int, Item] | None:
        j = k + 1
        while j < len(self.items):
            it = self.items[j]
            if it.kind == ItemKind.MARKER and set(it.roles) & set(skip):
                j += 1
                continue
            return j, it
        return None

    def before(self, k: int) -> tuple[int, Item] | None:
        return (k - 1, self.items[k - 1]) if k > 0 else None

    def subject_before(self, k: int) -> Item | None:
        """The term a comparison is about: "<subject> with over ...", "<subject> having ..."."""
        j = k - 1
        while j >= 0 and self.items[j].kind == ItemKind.MARKER and set(self.items[j].roles) <= {Role.WITH}:
            j -= 1
        if j == k - 1 or j < 0 or self.items[j].kind != ItemKind.TERM:
            return None
        return self.items[j]

    def sum_metric_of(self, dim: str) -> str | None:
        """The metric that sums a number dimension (the one that shares its average)."""
        avg = self.v.average_of.get(dim)
        if avg is None:
            return None
        for name, a in self.v.average_of.items():
            if a == avg and name != dim and name in self.v.metrics:
                return name
        return None

    def tables_of_item(self, it: Item) -> list[str]:
        out: list[str] = []
        for m in it.meanings:
            if m.kind == Kind.TABLE:
                out.append(m.name)
            elif m.kind in (Kind.VALUE, Kind.BOOLEAN, Kind.DIMENSION, Kind.TAG_KEY):
                out.extend(self.v.tables_of(m.name))
        return list(dict.fromkeys(out))

    def tables_of_meaning(self, m: Meaning) -> list[str]:
        if m.kind == Kind.SEGMENT:
            seg = next(s for s in self.v.model.segments if s.name == m.name)
            return [t for f in seg.filters for t in self.v.tables_of(f.field)]
        return self.v.tables_of(m.name)

    def adjacent_value_of(self, k: int, it: Item) -> bool:
        """A dimension word next to one of its values only names what the value is ("the <v> <dim>")."""
        dims = {m.name for m in it.meanings if m.kind in (Kind.DIMENSION, Kind.TAG_KEY)}
        tables = {m.name for m in it.meanings if m.kind == Kind.TABLE}
        for j in (k - 1, k + 1):
            if 0 <= j < len(self.items):
                other = self.items[j]
                if other.kind != ItemKind.TERM or abs(other.start - it.start) > 4:
                    continue
                for m in other.meanings:
                    if m.kind == Kind.VALUE and m.name in dims:
                        return True
                    if j == k - 1 and m.kind in _FILTERING and set(self.tables_of_meaning(m)) & tables:
                        return True  # "<value> <entities>": the entities that have the value
        return False

    def weak_value_ok(self, k: int, it: Item) -> bool:
        if not it.weak:
            return True
        dims = {m.name for m in it.meanings if m.kind == Kind.VALUE}
        for j in (k - 1, k + 1):
            if 0 <= j < len(self.items):
                other = self.items[j]
                if other.kind == ItemKind.TERM and any(
                    m.kind == Kind.DIMENSION and m.name in dims for m in other.meanings
                ):
                    return True
        return False

    # --- binding ----------------------------------------------------------------------------------

    def run(self) -> Parts:
        p = self.p
        for it in self.items:
            if it.kind == ItemKind.TERM:
                p.has_domain_words = True
            p.markers.update(it.roles)
        for it in self.items:
            if it.kind == ItemKind.TERM and it.direction and it.has(Kind.METRIC):
                self.direction = self.direction or it.direction
                self.direction_said = True
                self.sort_metric = self.sort_metric or it.first(Kind.METRIC).name  # type: ignore[union-attr]
        self.read_totals()
        self.bind_rates()
        for k, it in enumerate(self.items):
            if it.kind == ItemKind.MARKER and Role.AVG in it.roles:
                words = tuple(t.key for t in self.r.tokens[it.start : it.end])
                if words in MEANS:
                    self.bind_rate_average(k, it)
        for k, it in enumerate(self.items):
            if it.kind == ItemKind.TIME:
                self.take_time(k, it)
            elif it.kind == ItemKind.QUANTITY and it.quantity and it.quantity.kind == QuantityKind.RANK:
                self.bind_rank(k, it)
            elif it.kind == ItemKind.SUPER:
                self.bind_super(k, it)
            elif it.kind == ItemKind.MARKER:
                self.bind_marker(k, it)
        self.bind_coordination()
        for k, it in enumerate(self.items):
            if it.kind == ItemKind.QUANTITY and it.quantity and it.quantity.kind == QuantityKind.COMPARE:
                self.bind_compare(k, it)
        for k, it in enumerate(self.items):
            if it.kind == ItemKind.TERM and not it.role:
                self.default_role(k, it)
        self.size_sort_listing()
        self.assemble()
        return p

    def size_sort_listing(self) -> None:
        """Rows sorted by their size ("the biggest <entities> by <size metric>"), not a ranked total."""
        if not (self.sort_size and self.sort_metric and not self.p.dimensions and not self.count_requested):
            return
        if self.v.metric_format(self.sort_metric) != "gb" or not self.unit_dimension("gb"):
            return
        if any(it.kind == ItemKind.TERM and it.role == Use.METRIC for it in self.items):
            return
        for it in self.items:
            if it.role == Use.SORT_METRIC:
                it.role = Use.SIZE_SORT
        self.sort_metric = None

    def bind_rates(self) -> None:
        """ "averaging over 2,000 a day": a comparison on the metric that averages per day (its words are
        "average" + "daily"), not on each day's total."""
        for k, it in enumerate(self.items[:-1]):
            q, nxt = it.quantity, self.items[k + 1]
            if it.kind != ItemKind.QUANTITY or q is None or q.kind != QuantityKind.COMPARE:
                continue
            if nxt.kind != ItemKind.TIME or not nxt.time:
                continue
            tp = nxt.time
            first = self.r.tokens[nxt.start].text if nxt.start < len(self.r.tokens) else ""
            if tp.grain is None or tp.time_range is not None or first not in RATE_WORDS:
                continue
            metric = self.rate_metric(tp.grain)
            if metric is None or (q.unit and self.v.metric_format(metric) != q.unit):
                continue
            nxt.kind, nxt.bound = ItemKind.MARKER, True
            self.rates[k] = metric
            for x in self.items:
                if x.kind == ItemKind.UNKNOWN and x.text.lower().startswith(("averag", "avg")):
                    x.kind, x.bound = ItemKind.MARKER, True

    def rate_metric(self, grain: Grain) -> str | None:
        """The metric whose words are "average" + the grain's adjective ("average daily")."""
        adjective = _RATE_ADJECTIVES.get(grain.value)
        for mean in MEANS:
            for key in ((*mean, adjective), (adjective, *mean)):
                found = self.v.phrases.get(key) or []
                metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
                if metric:
                    return metric
        return None

    def bind_rate_average(self, k: int, it: Item) -> None:
        """ "<metric> per day on average", "on average a day": the metric that averages per period, when
        the question names a metric of the same kind (both money, say)."""
        for j in (k - 1, k + 1):
            if not 0 <= j < len(self.items):
                continue
            per = self.items[j]
            tp = per.time
            if per.kind != ItemKind.TIME or tp is None or tp.grain is None or tp.time_range is not None:
                continue
            first = self.r.tokens[per.start].text
            if first not in RATE_WORDS and first != _RATE_ADJECTIVES.get(tp.grain.value):
                continue
            metric = self.rate_metric(tp.grain)
            named = [x for x in self.items if x.kind == ItemKind.TERM and not x.role and x.has(Kind.METRIC)]
            fmt = self.v.metric_format(metric) if metric else None
            same = [x for x in named if any(self.v.metric_format(m.name) == fmt for m in x.all(Kind.METRIC))]
            if metric is None or len(same) != 1:
                continue
            same[0].meanings = [Meaning(Kind.METRIC, metric)]
            same[0].role = Use.METRIC
            per.kind, per.bound = ItemKind.MARKER, True
            it.bound = True
            return

    def take_time(self, k: int, it: Item) -> None:
        tp = it.time
        assert tp is not None
        if tp.time_range is not None:
            self.ranges.append((k, tp))
            two = self.p.time_range is not None and self.p.time_range != tp.time_range
            if two and not self.changes:  # with a change, the two are now and then (``read_change``)
                if not self.other_date(k, tp):  # "<entities> launched since March ... last week"
                    self.p.problems.append(f"two time ranges ('{it.text}' and another); ask for one")
                return
            self.p.time_range = tp.time_range
            if tp.grain is not None:  # "last month vs the month before": a series over the range
                self.grains.append(tp.grain)
        elif tp.grain is not None:
            self.grains.append(tp.grain)
        elif tp.auto_grain:
            self.grains.append(None)
        elif tp.all_time:
            self.p.all_time = True
        elif tp.before_previous is not None:
            self.p.before_previous = tp.before_previous
        elif tp.period_before and not any(c.end == it.start for c in self.changes):
            self.p.period_before = True  # (after "vs" it is the period a change is measured from)

    def other_date(self, k: int, tp: TimePhrase) -> bool:
        """Two ranges, one said right after a word for another date ("instances launched since March
        cost last week"): that one is a filter on that date, the other the metrics' own time range.
        False when neither or both are said so (which range is which is then a guess)."""
        assert tp.time_range is not None
        first = next(((j, x) for j, x in self.ranges if x.time_range == self.p.time_range), None)
        if first is None:
            return False
        dated = [self.date_said_before(j) for j in (first[0], k)]
        if (dated[0] is None) == (dated[1] is None):
            return False
        kept, moved, name = (tp, first[1], dated[0]) if dated[0] else (first[1], tp, dated[1])
        assert kept.time_range is not None and moved.time_range is not None and name is not None
        filters = self.date_filters(name, moved.time_range)
        if not filters:
            return False
        self.p.filters.extend(filters)
        self.p.time_range = kept.time_range
        if self.time_hint == name:  # the date word went to the filter, not to the time range
            self.time_hint = None
        return True

    def date_said_before(self, k: int) -> str | None:
        """The time dimension a word just before item ``k`` names ("launched", "created")."""
        if k == 0:
            return None
        prev = self.items[k - 1]
        if prev.kind != ItemKind.TERM or prev.end != self.items[k].start or not prev.has(Kind.TIME_DIMENSION):
            return None
        if singular(prev.text.lower()) in _GRAIN_NAMES:  # "the same days last month": a period, not a date
            return None
        prev.role, prev.bound = Use.DATED, True
        return prev.first(Kind.TIME_DIMENSION).name  # type: ignore[union-attr]

    def date_filters(self, name: str, tr: TimeRange) -> list[Filter]:
        """A range as conditions on a date: from its first day ("since March": ``>=``), or between its
        days; relative ranges are dated against the question's day."""
        if tr.kind == "since" and tr.start is not None:
            return [Filter(field=name, op=Op.GTE, value=tr.start.isoformat())]
        if tr.kind == "between" and tr.start == MIN_DATE and tr.end is not None:  # "before May"
            return [Filter(field=name, op=Op.LTE, value=tr.end.isoformat())]
        if tr.kind == "between" and tr.start is not None and tr.end is not None:
            return [Filter(field=name, op=Op.BETWEEN, value=(tr.start.isoformat(), tr.end.isoformat()))]
        if self.r.as_of is None:
            return []
        from models.errors import UserError

        try:
            start, end = resolve_time_range(tr, self.r.as_of)
        except UserError:  # a range in the future: no filter, the two ranges are asked back
            return []
        if tr.kind in ("current", "trailing"):  # up to the question's day: from the first day
            return [Filter(field=name, op=Op.GTE, value=start.isoformat())]
        return [Filter(field=name, op=Op.BETWEEN, value=(start.isoformat(), end.isoformat()))]

    def bind_marker(self, k: int, it: Item) -> None:
        roles = it.roles
        if Role.COUNT in roles:
            nxt = self.after(k)
            if nxt and nxt[1].kind == ItemKind.IGNORED and nxt[1].text.lower() in UNITS:
                # "how many TB of ...": an amount in a unit, not a number of rows
                written = UNITS[nxt[1].text.lower()]
                metric = self.metric_in_unit(unit_kind(written) or "")
                if metric:
                    self.p.metrics.append(metric)
                    if self.v.field_unit(metric) not in (None, written):
                        self.p.units[metric] = written  # "how many TB of <storage>": shown in TB
                    nxt[1].kind, nxt[1].bound = ItemKind.MARKER, True  # the unit chose the metric
                    it.bound = True
                    return
            self.count_requested = True
            self.count_default = self.count_default or it.default_metric
            if (
                nxt
                and nxt[1].kind == ItemKind.TERM
                and nxt[1].start == it.end
                and not nxt[1].has(Kind.TABLE, Kind.METRIC, *_FILTERING)
                and nxt[1].has(Kind.DIMENSION, Kind.TAG_KEY)
            ):
                name = nxt[1].first(Kind.DIMENSION, Kind.TAG_KEY).name  # type: ignore[union-attr]
                self.p.problems.append(f"the model counts rows, not distinct values of {name}")
                self.p.suggestions.extend(
                    f"{m.replace('_', ' ')} by {name.replace('_', ' ')}"
                    for t, m in self.v.count_metric.items()
                    if t in self.v.tables_of(name)
                )
                nxt[1].role = Use.UNPLACED
            if nxt and nxt[1].kind == ItemKind.TERM:
                self.count_tables.extend(self.tables_of_item(nxt[1]))
                if nxt[1].has(Kind.TABLE) and not nxt[1].has(Kind.METRIC, *_FILTERING) and not nxt[1].role:
                    nxt[1].role = Use.COUNT_SUBJECT
                    self.entity_tables.extend(x.name for x in nxt[1].all(Kind.TABLE))
            it.bound = True
        if Role.RATIO in roles:
            self.ratio_requested = True
            self.ratio_at = k if self.ratio_at is None else self.ratio_at
            it.bound = True
        if Role.AVG in roles:
            self.bind_average(k, it)
        if Role.NEG in roles:
            self.bind_negation(k, it)
        if Role.POSTNEG in roles:
            self.bind_negation(k, it, postfix_only=True)
        if Role.WITH in roles:
            nxt = self.after(k)
            if (
                nxt
                and nxt[1].kind == ItemKind.TERM
                and not nxt[1].role
                and nxt[1].has(Kind.TAG_KEY)
                and not nxt[1].has(Kind.VALUE, Kind.DIMENSION)
                and not self.adjacent_value_of(nxt[0], nxt[1])
            ):
                nxt[1].role = Use.HAS_TAG  # "with an owner tag"; "with team <value>" is a value instead
            it.bound = True
        if Role.GROUP in roles:
            self.bind_group(k, it)
        if Role.WHICH in roles:
            self.bind_which(k, it)
        if Role.SORT in roles:
            nxt = self.after(k, skip=(Role.GROUP,))
            if nxt and nxt[1].kind == ItemKind.TERM and nxt[1].has(Kind.METRIC):
                nxt[1].role = Use.SORT_METRIC
                self.sort_metric = nxt[1].first(Kind.METRIC).name  # type: ignore[union-attr]
                self.direction = self.direction or "desc"
            it.bound = True
        if Role.ASC in roles or Role.DESC in roles:
            self.direction = "asc" if Role.ASC in roles else "desc"
            self.direction_said = True
            it.bound = True
        if Role.INSTEAD in roles:
            self.p.replaced_dimensions = True
        if roles and set(roles) <= {
            Role.CHANGE,
            Role.CUMULATIVE,
            Role.AND,
            Role.OR,
            Role.COMPARE,
            Role.SUM,
            Role.LIST,
            Role.ALSO,
            Role.ONLY,
            Role.EXISTS,
            Role.INSTEAD,
            Role.ALL_TIME,
        }:
            it.bound = True
            if Role.ALL_TIME in roles:
                self.p.all_time = True
            if Role.LIST in roles:
                self.list_requested = True

    def bind_coordination(self) -> None:
        """ "total and average daily <metric noun>": a word before "and" that, with the noun of the
        metric after it, is another metric's phrase ("total <noun>") asks for that metric as well."""
        for k, it in enumerate(self.items):
            if it.kind != ItemKind.MARKER or Role.AND not in it.roles or it.start == 0:
                continue
            nxt = self.after(k)
            if (
                not nxt
                or nxt[1].kind != ItemKind.TERM
                or nxt[1].start != it.end
                or not nxt[1].has(Kind.METRIC)
            ):
                continue
            prev = self.before(k)
            word_item = prev[1] if prev and prev[1].end == it.start else None
            one_word = word_item is not None and word_item.end - word_item.start == 1
            value_word = one_word and word_item.kind == ItemKind.TERM and not word_item.has(Kind.METRIC)  # type: ignore[union-attr]
            if word_item is not None and not ((word_item.kind == ItemKind.MARKER and one_word) or value_word):
                continue  # "<metric> and <metric>" is already two metrics
            word = (self.r.tokens[it.start - 1].key,)
            anchor = nxt[1].first(Kind.METRIC).name  # type: ignore[union-attr]
            for t in self.items[nxt[0] :]:
                if t.kind != ItemKind.TERM or (not t.has(Kind.METRIC) and not t.has(*_FILTERING)):
                    break
                metric = self.coordinated_metric(word, t, anchor) if t.has(Kind.METRIC) else None
                if metric is not None:
                    self.coordinated.append((metric, anchor))
                    if word_item is not None:
                        word_item.bound = True
                        if value_word:  # "public and encrypted counts": a count each, not a condition
                            word_item.role = Use.METRIC_WORD
                    break

    def coordinated_metric(self, word: tuple[str, ...], it: Item, anchor: str) -> str | None:
        """The metric that ``word`` and the end of ``it``'s phrase name together ("total" + noun),
        or, for a word that only means "the whole amount", the end of the phrase alone ("total" +
        noun); never the metric the phrase already names."""
        tokens = self.r.tokens[it.start : it.end]
        for i in range(len(tokens)):
            rest = tuple(x.key for x in tokens[i:])
            for key in ((*word, *rest), rest if word[0] in PLAIN_TOTAL else ()):
                found = self.v.phrases.get(key) or [] if key else []
                metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
                if metric is not None and metric != anchor:
                    return metric
        return None

    def bind_average(self, k: int, it: Item) -> None:
        """ "average <values> <thing>": the metric that averages the thing, found through the words
        ("average" + a noun is a metric's synonym) or through the model (the average over the column a
        summed metric adds up, or over a number dimension). Values and entities in between filter."""
        words = tuple(t.key for t in self.r.tokens[it.start : it.end])
        if words not in MEANS:
            return  # a median is not an average
        if k + 1 in self.rates:  # "average over 2,000 a day": the rate's metric
            it.bound = True
            return
        if it.bound:  # bound to a rate before ("<metric> per day on average")
            return
        j = k + 1
        while j < len(self.items):
            nxt = self.items[j]
            if nxt.kind != ItemKind.TERM or nxt.role:
                return
            metric = self.average_named(words, nxt)
            if metric is not None:
                nxt.meanings = [Meaning(Kind.METRIC, metric)]
                nxt.role = Use.METRIC
                it.bound = True
                return
            if nxt.has(Kind.METRIC) or not nxt.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT, Kind.TABLE):
                return
            j += 1
        # "how big is the average <entity>": the size in the model's unit of size
        size_dim = self.unit_dimension("gb")
        said = [x for x in self.items if x.kind == ItemKind.UNKNOWN and x.text.lower() in SIZE_QUESTION]
        if size_dim in self.v.average_of and said:
            self.implied_metrics.append(self.v.average_of[size_dim])  # type: ignore[index]
            it.bound = True
            for x in said:
                x.kind, x.bound = ItemKind.MARKER, True

    def average_named(self, words: tuple[str, ...], it: Item) -> str | None:
        tokens = self.r.tokens[it.start : it.end]
        for said in (words, *(w for w in MEANS if w != words)):
            for i in range(len(tokens)):
                found = self.v.phrases.get((*said, *(t.key for t in tokens[i:]))) or []
                metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
                if metric is not None:
                    return metric
        for m in it.meanings:
            if m.kind in (Kind.METRIC, Kind.DIMENSION) and m.name in self.v.average_of:
                return self.v.average_of[m.name]
        return None

    def bind_negation(self, k: int, it: Item, postfix_only: bool = False) -> None:
        j = len(self.items) if postfix_only else k + 1
        negated_any = False
        while j < len(self.items):
            nxt = self.items[j]
            if nxt.kind == ItemKind.MARKER and set(nxt.roles) & {Role.AND, Role.OR, Role.WITH, Role.EXISTS}:
                j += 1
                continue
            if nxt.kind != ItemKind.TERM or nxt.role:
                break
            if nxt.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT, Kind.TAG_KEY) and not (
                nxt.has(Kind.DIMENSION) and not nxt.has(Kind.VALUE)
            ):
                nxt.role = Use.NEGATED
                negated_any = True
                j += 1
                continue
            if (
                nxt.has(Kind.DIMENSION, Kind.TABLE)
                and not nxt.has(Kind.METRIC)
                and self.adjacent_value_of(j, nxt)
            ):
                nxt.role = Use.QUALIFIER
                j += 1
                continue
            if nxt.has(Kind.TAG_DIMENSION) and not negated_any:
                nxt.role = Use.NEGATED
                negated_any = True
            break
        if not negated_any and it.text.lower() in POSTFIX_NEGATIONS and k > 0:
            prev = self.items[k - 1]  # "where the owner tag is missing"
            if (
                prev.kind == ItemKind.TERM
                and not prev.role
                and prev.has(Kind.TAG_KEY)
                and it.start - prev.end <= 2
            ):
                prev.role = Use.NEGATED
                negated_any = True
        it.bound = negated_any

    def group_target(self, it: Item) -> list[DimensionRef] | None:
        """The dimensions an item names when grouped by: a dimension, a tag key, a time dimension, or
        a table (its identifying and naming dimensions)."""
        m = it.first(Kind.TAG_KEY, Kind.DIMENSION, Kind.TIME_DIMENSION, Kind.TAG_DIMENSION)
        if m is not None and m.kind == Kind.DIMENSION and it.has(Kind.TABLE):
            table = it.first(Kind.TABLE).name  # type: ignore[union-attr]
            labels = self.v.label_dimensions.get(table, ())
            if m.name in labels:
                return [DimensionRef(name=n) for n in labels]
        if m is not None:
            return [DimensionRef(name=m.name)]
        t = it.first(Kind.TABLE)
        if t is not None and self.v.label_dimensions.get(t.name):
            return [DimensionRef(name=n) for n in self.v.label_dimensions[t.name]]
        return None

    def entity_target(self, it: Item) -> list[DimensionRef] | None:
        """For "which <value words> ...": values name rows of a table, grouped by that table's labels."""
        target = self.group_target(it)
        if target is not None:
            return target
        for m in it.meanings:
            if m.kind in (Kind.VALUE, Kind.BOOLEAN):
                tables = self.v.tables_of(m.name)
                if len(tables) == 1 and self.v.label_dimensions.get(tables[0]):
                    return [DimensionRef(name=n) for n in self.v.label_dimensions[tables[0]]]
        return None

    def add_group(self, it: Item, refs: list[DimensionRef], role: Use = Use.GROUP) -> None:
        it.role = role
        for ref in refs:
            if ref.name.partition(":")[0] in self.v.tag_dimensions and ":" not in ref.name:
                keys = self.v.tag_dimensions[ref.name].tag_keys
                self.p.problems.append(f"which {ref.name} key? (e.g. {', '.join(keys[:4])})")
                self.p.suggestions.extend(f"by {k} {ref.name}" for k in keys[:4])
                continue
            if ref.name in self.v.time_dimension_tables and ref.grain is None:
                self.time_hint = self.time_hint or ref.name
                self.grains.append(Grain.DAY if it.text.lower() in DAY_WORDS else None)
                continue
            if ref not in self.p.dimensions:
                self.p.dimensions.append(ref)

    def bind_group(self, k: int, it: Item) -> None:
        after = self.r.tokens[it.end].text if it.end < len(self.r.tokens) else ""
        if it.text.lower() in SPAN_WORDS and after in SPAN_FOLLOWERS:
            # "across the org", "across all accounts": everything, counted once, not a breakdown
            nxt = self.after(k)
            if (
                nxt
                and nxt[1].kind == ItemKind.TERM
                and not nxt[1].role
                and not nxt[1].has(*_FILTERING, Kind.METRIC)
            ):
                nxt[1].role = Use.SCOPE
            it.bound = True
            return
        j = k + 1
        while j < len(self.items):
            nxt = self.items[j]
            if nxt.kind == ItemKind.TIME and nxt.time and nxt.time.grain:
                it.bound = True
                return
            if nxt.kind != ItemKind.TERM or nxt.role:
                return
            if nxt.has(Kind.METRIC) and not nxt.has(Kind.DIMENSION, Kind.TAG_KEY, Kind.TIME_DIMENSION):
                nxt.role = Use.SORT_METRIC
                self.sort_metric = nxt.first(Kind.METRIC).name  # type: ignore[union-attr]
                it.bound = True
                return
            if nxt.has(*_FILTERING) and not nxt.has(Kind.TAG_KEY):
                entity = self.items[j + 1] if j + 1 < len(self.items) else None
                if (
                    entity is not None
                    and entity.kind == ItemKind.TERM
                    and entity.start == nxt.end
                    and not entity.role
                    and entity.has(Kind.TABLE)
                    and not entity.has(*_FILTERING, Kind.METRIC)
                ):
                    j += 1  # "each <value> <entity>": the entities, of that value, each
                    continue
                refs = self.rows_of_kind(it, nxt)
                if refs:  # "cost by <kind>", "of each <kind>": one row per <kind>, of that kind only
                    self.add_group(nxt, refs, role=Use.RANKED_VALUE)
                    nxt.role = Use.NONE  # its value still filters
                    it.bound = True
                return  # "owned by alice": a value, not a grouping
            if self.qualifies_dimension(j, nxt):  # "per account environment": the account's environment
                j += 1
                continue
            refs = self.group_target(nxt)
            if refs is None:
                return
            self.add_group(nxt, refs)
            it.bound = True
            listed = self.items[j + 1] if j + 1 < len(self.items) else None
            if (  # "by account, region": a list of groupings
                self.r.tokens[nxt.end - 1].pause
                and listed is not None
                and listed.kind == ItemKind.TERM
                and not listed.role
                and listed.has(*_GROUPABLE)
                and not listed.has(Kind.METRIC, *_FILTERING)
            ):
                j += 1
                continue
            following = self.after(j)
            if following and following[1].kind == ItemKind.MARKER and set(following[1].roles) & {Role.AND}:
                after_and = self.after(following[0])
                if (
                    after_and
                    and after_and[1].kind == ItemKind.TERM
                    and after_and[1].has(*_GROUPABLE)
                    and not after_and[1].has(Kind.METRIC, *_FILTERING)
                ):
                    following[1].bound = True
                    j = after_and[0]
                    continue
            return

    def rows_of_kind(self, marker: Item, it: Item) -> list[DimensionRef] | None:
        """ "by <kind>", "each <kind>": a grouping word before a value of a listed kind (an enum value
        of a table whose rows have names) asks for one row per thing of that kind; None after a verb
        of doing ("owned by <someone>"), or when a metric averages per thing ("average <metric> per
        <kind>"; "average <metric> by <kind>" is still one row each)."""
        before = self.r.token_before(marker)
        if before is not None and (before.text in AGENT_VERBS or before.text.endswith("ed")):
            return None
        averaged = any(
            (x.kind == ItemKind.MARKER and Role.AVG in x.roles)
            or (
                x.kind == ItemKind.TERM
                and any(self.v.metric_aggregation(m.name) == "avg" for m in x.all(Kind.METRIC))
            )
            for x in self.items
        )
        if averaged and marker.text.lower() in AVERAGE_PER:
            return None
        if not self.asks_for_other_metric():
            return None  # "list each <kind>": a listing has one row each already
        noun = next(
            (x for x in self.items if x.start == it.end and x.kind in (ItemKind.TERM, ItemKind.UNKNOWN)), None
        )
        if noun is not None and not self.r.tokens[it.end - 1].pause:
            return None  # "by <kind> <noun>": the noun says what to group by, not the kind
        value = it.first(Kind.VALUE)
        dim = self.v.dimensions.get(value.name) if value is not None else None
        tables = self.v.tables_of(value.name) if value is not None else []
        if dim is None or not dim.enum or len(set(tables)) != 1 or not self.v.label_dimensions.get(tables[0]):
            return None
        return [DimensionRef(name=n) for n in self.v.label_dimensions[tables[0]]]

    def qualifies_dimension(self, j: int, it: Item) -> bool:
        """ "<entity> <dimension>" said together, without a comma: the dimension of that entity, so the
        entity word only qualifies it."""
        nxt = self.items[j + 1] if j + 1 < len(self.items) else None
        if (
            nxt is None
            or nxt.kind != ItemKind.TERM
            or nxt.role
            or nxt.start != it.end
            or self.r.tokens[it.end - 1].pause
            or not it.has(Kind.TABLE)
            or it.has(*_FILTERING, Kind.METRIC)
            or not nxt.has(Kind.DIMENSION)
            or nxt.has(Kind.TABLE, Kind.METRIC, *_FILTERING)
        ):
            return False
        tables = {m.name for m in it.all(Kind.TABLE)}
        own = [m for m in nxt.all(Kind.DIMENSION) if tables & set(self.v.dimension_tables.get(m.name, ()))]
        if not own:
            return False
        it.role = Use.QUALIFIER
        return True

    def bind_which(self, k: int, it: Item) -> None:
        nxt = self.after(k)
        if nxt is None:
            return
        target = nxt[1]
        gap = {t.text for t in self.r.tokens[it.end : target.start]}
        if gap & AUXILIARIES:
            return  # "what did their <entities> cost": what is asked is the amount, not which rows
        before = self.r.tokens[it.start - 1].text if it.start > 0 else ""
        listed = any(
            x.kind == ItemKind.TERM and x.end <= it.start and x.has(Kind.TABLE, Kind.VALUE)
            for x in self.items
        )
        if (
            before == "and"
            and listed
            and target.kind == ItemKind.TERM
            and not target.role
            and not self.asks_for_other_metric()
            and not self.count_requested
            and self.direction is None
        ):
            refs = self.group_target(target)
            if refs:  # "list <entities> and which <dimension> each is in": a column of the list
                target.role = Use.COLUMN
                self.columns.extend(r for r in refs if r not in self.columns)
                it.bound = True
                return
        if target.kind == ItemKind.QUANTITY and target.quantity and target.quantity.kind == QuantityKind.RANK:
            return  # "which 10 <entities>": the rank binds
        if target.kind != ItemKind.TERM or target.role or target.has(Kind.METRIC):
            return
        if target.has(*_FILTERING) and not target.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY):
            return  # "which <value words> are <yes/no word>": a listing
        if target.has(Kind.TIME_DIMENSION) and not target.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY):
            return  # "what <time dimension synonym> ...": a date condition, not a grouping
        refs = self.group_target(target)
        if refs is None:
            return
        self.add_group(target, refs, role=Use.WHICH)
        labels = {n for ls in self.v.label_dimensions.values() for n in ls}
        if target.has(Kind.TABLE) or all(r.name in labels for r in refs):
            self.which_refs.extend(refs)
            self.which_tables.extend(t for r in refs for t in self.v.tables_of(r.name))
        self.singular_target = self.singular_target or not target.plural
        it.bound = True

    def bind_rank(self, k: int, it: Item) -> None:
        q = it.quantity
        assert q is not None
        self.limit = q.limit
        generic = bool({t.text for t in self.r.tokens[it.start : it.end]} & GENERIC_RANK_WORDS)
        if q.direction and not (generic and self.direction_said):  # "top 5 cheapest <entities>": asc
            self.direction = q.direction
            self.direction_said = True
            self.generic_rank = generic
        if q.size:
            self.sort_size = True
        if any(t.text in AGE_WORDS for t in self.r.tokens[it.start : it.end]):
            self.sort_age = True
        metric = self.metric_in_words(it)
        if metric is not None and self.sort_metric is None:
            # "the 5 cheapest <entities>": the ranking word names the metric it ranks by
            self.sort_metric = metric
            self.implied_metrics.append(metric)
            self.sort_size = False
        j = k + 1
        while j < len(self.items):
            nxt = self.items[j]
            if nxt.kind == ItemKind.SUPER:
                self.direction = nxt.direction
                self.direction_said = True
                nxt.bound = True
                j += 1
                continue
            if nxt.kind != ItemKind.TERM or nxt.role:
                break
            if nxt.has(Kind.METRIC) and not nxt.has(Kind.DIMENSION):
                nxt.role = Use.SORT_METRIC
                self.sort_metric = nxt.first(Kind.METRIC).name  # type: ignore[union-attr]
                j += 1
                continue
            refs = self.entity_target(nxt)
            if refs is not None:
                self.add_group(nxt, refs, role=Use.RANKED if not nxt.has(*_FILTERING) else Use.RANKED_VALUE)
                if nxt.role == Use.RANKED_VALUE:
                    nxt.role = Use.NONE  # its value still filters
            break
        it.bound = True

    def metric_in_words(self, it: Item) -> str | None:
        """The metric a word inside a number phrase stands for ("cheapest" in "the 5 cheapest")."""
        for tok in self.r.tokens[it.start : it.end]:
            found = self.v.phrases.get((tok.key,)) or self.v.phrases.get((tok.text,)) or []
            metric = next((m.name for m in found if m.kind == Kind.METRIC), None)
            if metric is not None:
                return metric
        return None

    def bind_super(self, k: int, it: Item) -> None:
        following = self.after(k, skip=(Role.AVG,))
        ranks_metric = (
            following is not None and following[1].kind == ItemKind.TERM and following[1].has(Kind.METRIC)
        )
        if not self.direction_said or (
            self.generic_rank and ranks_metric and it.text.lower() in TRUE_SUPERLATIVES
        ):  # "the 3 accounts with the lowest spend"; "top 10 <entities> by lowest <metric>": lowest first
            self.direction = it.direction
            self.direction_said = True
            self.generic_rank = False
        if it.text.lower() in TRUE_SUPERLATIVES:
            self.superlative = True
        if it.text.lower() in SIZE_WORDS:
            self.sort_size = True
        if it.text.lower() in AGE_WORDS:
            self.sort_age = True
        nxt = self.after(k)
        prev = self.before(k)
        if nxt and nxt[1].kind == ItemKind.TERM and not nxt[1].role:
            t = nxt[1]
            if t.has(Kind.METRIC):
                t.role = Use.SORT_METRIC
                self.sort_metric = t.first(Kind.METRIC).name  # type: ignore[union-attr]
                self.sort_size = False
                it.bound = True
                return
            tables = [x for x in self.tables_of_item(t) if x in self.v.count_metric]
            if self.sort_age:
                self.singular_target = self.singular_target or not t.plural
                it.bound = True  # "the oldest <entities>": sorted by their date
                return
            if self.sort_size and self.unit_dimension("gb"):
                it.bound = True  # "the biggest <entities>": sorted by size, not by how many
                return
            metric_before = prev is not None and prev[1].kind == ItemKind.TERM and prev[1].has(Kind.METRIC)
            then = self.items[nxt[0] + 1] if nxt[0] + 1 < len(self.items) else None
            if (  # "the most <value> <metric>": the value filters, the metric ranks
                then is not None
                and then.kind == ItemKind.TERM
                and then.start == t.end
                and not then.role
                and then.has(Kind.METRIC)
                and t.has(Kind.VALUE, Kind.BOOLEAN)
                and not t.has(Kind.TABLE)
            ):
                then.role = Use.SORT_METRIC
                self.sort_metric = then.first(Kind.METRIC).name  # type: ignore[union-attr]
                self.sort_size = False
                it.bound = True
                return
            if tables and (t.has(Kind.TABLE) or (t.has(Kind.VALUE, Kind.BOOLEAN) and not metric_before)):
                # "the most <entities>", "the most <value> ..."; but "spends the most on <value>"
                # ranks by the metric said before
                self.sort_count_table = tables[0]
                self.sort_size = False
                if t.has(Kind.TABLE) and not t.has(*_FILTERING):
                    t.role = Use.COUNT_SUBJECT
                it.bound = True
                return
        if prev and prev[1].kind == ItemKind.TERM and prev[1].has(Kind.METRIC):
            self.sort_metric = self.sort_metric or prev[1].first(Kind.METRIC).name  # type: ignore[union-attr]
            prev[1].role = prev[1].role or Use.SORT_METRIC
            self.sort_size = False
        it.bound = True

    def bind_compare(self, k: int, it: Item) -> None:
        q = it.quantity
        assert q is not None
        if k in self.rates:
            if self.rates[k] not in self.implied_metrics:
                self.implied_metrics.append(self.rates[k])
            self.having.append((self.rates[k], Op(q.op), q.value, q.unit, q.written))
            return
        prev = self.before(k)
        nxt = self.after(k)
        op = Op(q.op)
        value: object = q.value
        prev_t = prev[1] if prev and prev[1].kind == ItemKind.TERM else None
        next_t = nxt[1] if nxt and nxt[1].kind == ItemKind.TERM else None
        grouped = (
            bool(self.p.dimensions)
            or any(x.kind == ItemKind.MARKER and Role.GROUP in x.roles for x in self.items)
            or any(x.kind == ItemKind.MARKER and Role.WHICH in x.roles and x.bound for x in self.items[:k])
        )  # "which <entities> have ...": grouped only when "which" took a dimension, not a value
        unit_dim = self.unit_dimension(q.unit) if q.unit in ("gb",) or q.size else None
        if q.unit is None and q.size:
            unit_dim = self.unit_dimension("gb")
        if (
            prev_t is not None
            and prev_t.has(Kind.DIMENSION)
            and prev_t.first(Kind.DIMENSION).name in self.v.number_dimensions
        ):  # type: ignore[union-attr]
            prev_t.role = Use.COMPARED
            self.p.filters.append(self.compared(prev_t.first(Kind.DIMENSION).name, op, value, q.written))  # type: ignore[union-attr]
            return
        subject = self.subject_before(k)
        if unit_dim and subject is not None:
            metric_next = next_t is not None and next_t.has(Kind.METRIC) and not next_t.role
            named = next_t.first(Kind.METRIC) if metric_next and next_t is not None else None
            if named is not None and self.v.metric_format(named.name) != q.unit:
                metric_next = False
            if subject.has(*_FILTERING) and not subject.has(Kind.METRIC) and (metric_next or next_t is None):
                # "<entities> with at least 300 GB (of <metric>)": each row's own size
                if metric_next:
                    next_t.role = Use.COMPARED  # type: ignore[union-attr]
                self.p.filters.append(self.compared(unit_dim, op, value, q.written))
                return
            total = self.sum_metric_of(unit_dim)
            if (
                total is not None
                and subject.has(Kind.DIMENSION, Kind.TAG_KEY)
                and not subject.has(Kind.METRIC, Kind.TABLE, *_FILTERING)
                and subject.plural
            ):
                # "<groups> with over 300,000 GB": the groups' total
                if metric_next:
                    next_t.role = Use.COMPARED  # type: ignore[union-attr]
                if total not in self.implied_metrics:
                    self.implied_metrics.append(total)
                self.having.append((total, op, value, q.unit, q.written))
                return
        if next_t is not None and q.unit is None and not next_t.has(Kind.METRIC):
            tables = [x for x in self.tables_of_item(next_t) if x in self.v.count_metric]
            if tables and next_t.has(Kind.TABLE, Kind.VALUE, Kind.BOOLEAN):
                if next_t.has(Kind.TABLE) and not next_t.has(*_FILTERING):
                    next_t.role = Use.COUNT_SUBJECT
                self.having.append((self.v.count_metric[tables[0]], op, value, None, None))
                return
        metric_t = (
            prev_t
            if prev_t is not None and prev_t.has(Kind.METRIC)
            else (next_t if next_t is not None and next_t.has(Kind.METRIC) else None)
        )
        if metric_t is not None:
            metric = metric_t.first(Kind.METRIC).name  # type: ignore[union-attr]
            if unit_dim and not grouped and self.v.metric_format(metric) == q.unit:
                metric_t.role = Use.COMPARED
                self.p.filters.append(self.compared(unit_dim, op, value, q.written))
                return
            self.having.append((metric, op, value, q.unit, q.written))
            return
        if unit_dim and (q.unit == "gb" or q.size):
            self.p.filters.append(self.compared(unit_dim, op, value, q.written))
            return
        self.having.append((None, op, value, q.unit, q.written))

    def compared(self, field: str, op: Op, value: object, written: Unit | None) -> Filter:
        """A comparison of ``field`` with a number as written: its unit goes on the filter when it is not
        the one the model declares for the field ("over 1 TB" on a GB column: 1, TB), so the compiler
        converts it. A field without a declared unit takes the number as it is, unless the unit said
        is of another kind than the field's numbers, which only a declared unit could convert."""
        declared = self.v.field_unit(field)
        if written is None or declared == written:
            f = Filter(field=field, op=op, value=value)  # type: ignore[arg-type]
            if written is not None:
                self.unit_said[id(f)] = written  # said in the model's unit: kept if the metric is converted
            return f
        if declared is None and written in _PLAIN_UNITS:
            return Filter(field=field, op=op, value=value)  # type: ignore[arg-type]
        return Filter(field=field, op=op, value=value, unit=written)  # type: ignore[arg-type]

    # --- defaults ---------------------------------------------------------------------------------

    def default_role(self, k: int, it: Item) -> None:
        if it.has(Kind.METRIC):
            it.role = Use.METRIC
            return
        if it.has(Kind.SEGMENT) and not it.has(Kind.VALUE):
            it.role = Use.SEGMENT
            return
        if it.has(Kind.VALUE, Kind.BOOLEAN):
            if not self.weak_value_ok(k, it) and not it.has(Kind.DIMENSION, Kind.TABLE):
                it.role = Use.IGNORED_WEAK
                return
            if it.has(Kind.VALUE, Kind.BOOLEAN) and not it.weak:
                it.role = Use.FILTER
                return
            if it.weak and self.weak_value_ok(k, it):
                it.role = Use.FILTER
                return
        if it.has(Kind.DIMENSION, Kind.TABLE, Kind.TAG_KEY) and self.adjacent_value_of(k, it):
            it.role = Use.QUALIFIER
            if it.has(Kind.TABLE):
                # "how many <value> <entities>": those are counted; "... in <value> <entities>": where
                target = self.qualified_tables if self.after_preposition(k) else self.entity_tables
                target.extend(x.name for x in it.all(Kind.TABLE))
            return
        if it.has(Kind.TIME_DIMENSION) and not it.has(Kind.DIMENSION):
            it.role = Use.TIME_HINT
            self.time_hint = self.time_hint or it.first(Kind.TIME_DIMENSION).name  # type: ignore[union-attr]
            return
        if it.has(Kind.DIMENSION, Kind.TAG_KEY) and it.weak and self.superlative and not self.p.dimensions:
            refs = self.group_target(it)
            if refs:
                self.add_group(it, refs, role=Use.RANKED)  # "where do we spend the most" (where: a synonym)
                return
        if it.has(Kind.DIMENSION, Kind.TAG_KEY) and not it.weak:
            refs = self.group_target(it)
            prev_tok = self.r.token_before(it)
            after_each = prev_tok is not None and prev_tok.text in EACH_WORDS
            of_something = self.after_preposition_word(it)
            if refs and self.is_column(it):
                it.role = Use.COLUMN
                self.columns.extend(r for r in refs if r not in self.columns)
                return
            plural_group = refs and (it.plural or after_each) and not of_something
            entity_rows = (
                self.asks_for_other_metric()
                and not self.p.dimensions
                and (self.having or self.list_requested)
            )  # "<entities> that spent over ...", "show <entities> and ..."
            if plural_group and (not it.has(Kind.TABLE) or entity_rows):
                self.add_group(it, refs)  # "<entities> that spent more than ...", "<dimension>s with ..."
                return
            if refs and self.direction is not None and not self.p.dimensions and not of_something:
                self.add_group(it, refs, role=Use.RANKED)  # "the <entity> with the highest <metric>"
                return
        if it.has(Kind.TABLE):
            it.role = Use.ENTITY
            self.entity_tables.extend(x.name for x in it.all(Kind.TABLE))
            return
        if it.has(Kind.DIMENSION, Kind.TAG_KEY):
            if it.weak:
                it.role = Use.IGNORED_WEAK
                return
            it.role = Use.UNPLACED
            return
        if it.has(Kind.TAG_DIMENSION):
            it.role = Use.UNPLACED
            return
        it.role = Use.UNPLACED

    def which_one(self) -> bool:
        """ "which of those is ...", "which one has ...": a single winner is asked for."""
        for it in self.items:
            if it.kind == ItemKind.MARKER and Role.WHICH in it.roles:
                following = [t.text for t in self.r.tokens[it.end : it.end + 4]]
                following = [w for w in following if w not in WHICH_FILLERS][:1]
                if following in (["one"], ["is"], ["was"], ["has"], ["had"]) or it.text.lower().endswith(
                    "one"
                ):
                    return True
        return False

    def is_column(self, it: Item) -> bool:
        """In a question that computes nothing, a dimension that names or identifies rows ("the names
        of", "their region", "with its size") is a column of the listing."""
        if self.asks_for_other_metric() or self.count_requested or self.direction is not None or self.grains:
            return False
        before = self.r.token_before(it)
        after = self.r.tokens[it.end] if it.end < len(self.r.tokens) else None
        m = it.first(Kind.DIMENSION, Kind.TAG_KEY)
        labels = {n for ls in self.v.label_dimensions.values() for n in ls}
        if m is not None and m.name in labels and not it.has(Kind.TABLE):
            return True
        if before is not None and before.text in COLUMN_WORDS:
            return True
        two_before = self.r.tokens[it.start - 2] if it.start >= 2 else None
        if (
            before is not None
            and before.text == "the"
            and two_before is not None
            and two_before.text == "and"
        ):
            return True  # "list <entities> and the <dimension> they are in"
        if before is not None and before.text in ("and", "&"):  # "with their <column> and <column>"
            return any(x.role == Use.COLUMN and x.end == it.start - 1 for x in self.items)
        return (
            before is not None and before.text == "the" and after is not None and after.text in ("of", "for")
        )

    def after_preposition_word(self, it: Item) -> bool:
        """ "of all accounts", "for our regions": the noun is what the number covers, not a grouping."""
        i = it.start - 1
        while i >= 0 and self.r.tokens[i].text in DETERMINERS:
            i -= 1
        return i >= 0 and self.r.tokens[i].text in COVERING_PREPOSITIONS

    def rank_suggestions(self, metric: str) -> list[str]:
        tables = self.v.metric_tables.get(metric, ())
        out = []
        for name, d in self.v.dimensions.items():
            if d.enum and any(t in tables for t in self.v.dimension_tables.get(name, [])):
                out.append(
                    f"top 5 {(d.synonyms or (name.replace('_', ' '),))[0]} by {metric.replace('_', ' ')}"
                )
        return out[:4]

    def after_preposition(self, k: int) -> bool:
        """Whether the noun phrase ending at item ``k`` ("<v1> and <v2> <entities>") follows in/of/for..."""
        j = k - 1
        while j >= 0:
            it = self.items[j]
            if (it.kind == ItemKind.TERM and it.has(*_FILTERING)) or (
                it.kind == ItemKind.MARKER and set(it.roles) & {Role.AND, Role.OR}
            ):
                j -= 1
                continue
            break
        if j >= 0 and self.items[j].kind == ItemKind.MARKER and Role.COUNT in self.items[j].roles:
            return False  # "number of <value> <entities>": what is counted
        first = self.items[j + 1]
        before = self.r.token_before(first)
        return before is not None and before.text in PLACE_PREPOSITIONS

    def asks_for_other_metric(self) -> bool:
        """Some metric other than counting rows is asked for, so a plural table word is a grouping."""
        named = any(it.kind == ItemKind.TERM and it.has(Kind.METRIC) for it in self.items)
        return named or any(m is not None for m, *_ in self.having)

    # --- assembling -------------------------------------------------------------------------------

    def filter_from(self, m: Meaning, negated: bool) -> Filter | None:
        if m.kind == Kind.BOOLEAN:
            return Filter(field=m.name, op=Op.EQ, value=(not m.value) if negated else bool(m.value))
        if m.kind == Kind.VALUE:
            return Filter(field=m.name, op=Op.NE if negated else Op.EQ, value=str(m.value))
        if m.kind == Kind.TAG_KEY:
            return Filter(field=m.name, op=Op.IS_NULL if negated else Op.IS_NOT_NULL)
        return None

    def assemble(self) -> None:
        p = self.p
        self.read_change()
        by_field: dict[str, list[Filter]] = {}
        said_at: dict[Filter, int] = {}  # where each condition was said: a share's part comes after its whole
        ratio_booleans: list[str] = []
        named_metrics = [
            it.first(Kind.METRIC).name
            for it in self.items  # type: ignore[union-attr]
            if it.kind == ItemKind.TERM and it.role in (Use.METRIC, Use.SORT_METRIC)
        ]
        for it in self.items:
            if it.kind != ItemKind.TERM:
                continue
            if it.role in (Use.METRIC, Use.SORT_METRIC):
                for m in it.all(Kind.METRIC)[:1]:
                    if m.name not in p.metrics:
                        p.metrics.append(m.name)
            elif it.role in (Use.FILTER, Use.NEGATED, Use.HAS_TAG) or (
                it.role == Use.NONE and it.has(*_FILTERING)
            ):
                negated = it.role == Use.NEGATED
                if it.has(Kind.SEGMENT) and not it.has(Kind.VALUE):
                    self.add_segment(it.first(Kind.SEGMENT).name, negated)  # type: ignore[union-attr]
                    self.segment_at.setdefault(it.first(Kind.SEGMENT).name, it.start)  # type: ignore[union-attr]
                    continue
                m = it.first(Kind.VALUE, Kind.BOOLEAN, Kind.TAG_KEY)
                if m is None and it.has(Kind.TAG_DIMENSION) and negated:
                    no_tags = self.boolean_for_untagged()
                    if no_tags:
                        by_field.setdefault(no_tags, []).append(Filter(field=no_tags, op=Op.EQ, value=True))
                    continue
                if m is None:
                    continue
                ratios = self.v.ratio_of_boolean.get(m.name, []) if m.kind == Kind.BOOLEAN else []
                if ratios and (
                    set(ratios) & set(named_metrics)
                    or (
                        self.ratio_requested
                        and (not m.value) == negated  # the complement is a share of the count, below
                        and all(self.v.metric_aggregation(n) == "count" for n in named_metrics)
                    )
                ):  # "the encryption rate", "what percentage are encrypted": the model's own ratio
                    if (not m.value) != negated:
                        ratios = ", ".join(self.v.ratio_of_boolean[m.name])
                        p.problems.append(
                            f"the model has {ratios} (the share where {m.name} is true), not "
                            f"its complement; ask for that and subtract from 100%"
                        )
                        p.suggestions.extend(r.replace("_", " ") for r in self.v.ratio_of_boolean[m.name])
                    ratio_booleans.append(m.name)
                    continue
                f = self.filter_from(m, negated)
                if f is not None:
                    by_field.setdefault(f.field, []).append(f)
                    said_at.setdefault(f, it.start)
            elif it.role == Use.SEGMENT:
                self.add_segment(it.first(Kind.SEGMENT).name, False)  # type: ignore[union-attr]
                self.segment_at.setdefault(it.first(Kind.SEGMENT).name, it.start)  # type: ignore[union-attr]
        for name in self.implied_metrics:
            if name not in p.metrics:
                p.metrics.append(name)
        for name, anchor in self.coordinated:  # in the order they were said
            if name in p.metrics and anchor in p.metrics and p.metrics.index(name) > p.metrics.index(anchor):
                p.metrics.remove(name)
            if name not in p.metrics:
                p.metrics.insert(p.metrics.index(anchor) if anchor in p.metrics else len(p.metrics), name)
        self.two_kinds_joined()
        self.split_counts(by_field, said_at)
        share = (
            self.ratio_requested
            and not ratio_booleans
            and not any(self.v.metrics[m].type == "ratio" for m in p.metrics)
        )
        part: dict[str, list[Filter]] = {}
        if share:
            by_field, part = self.split_part(by_field, said_at)
        self.merge_filters(by_field)
        self.segment_side_by_side()
        self.absorb_metrics()
        if self.ratio_requested and not share:
            self.pick_ratio(ratio_booleans)
        for metric, op, value, unit, written in self.having:
            if metric is None:
                metric = self.metric_for_unit(unit)
                if metric is None:
                    p.problems.append("a number without saying what it compares (e.g. '<metric> over 100')")
                    continue
            if metric not in p.metrics and (p.metrics or not self.count_table()):
                p.metrics.append(metric)
            p.filters.append(self.compared(metric, op, value, written))
        self.count_of_haves()
        self.pick_count()
        if share:
            self.make_share(part)
        other_having = [
            f for f in p.filters if f.field in self.v.metrics and f.field != (p.metrics or [""])[0]
        ]
        counting = self.count_requested or (p.metrics and self.v.metric_aggregation(p.metrics[0]) == "count")
        if counting and other_having and not p.dimensions:
            p.problems.append(
                "counting rows by a condition on another metric needs a breakdown; ask for the list instead"
            )
            p.suggestions.append(list_instead(self.r.question))
        self.undo_degenerate_groups()
        self.pick_listing()
        self.place_grains()
        self.place_order()
        self.place_time_dimension()
        self.place_change()
        self.unused_date_words()
        self.place_units()

    def place_units(self) -> None:
        """ "total storage in TB", "cost in thousands of dollars": each metric whose declared unit is of
        the family of the unit said is shown in it (``Intent.units``); the model decides which metrics a
        unit fits. A unit that fits none of them is asked back, naming the units that would."""
        p = self.p
        for it in self.items:
            if it.kind != ItemKind.UNIT:
                continue
            unit = SHOW_UNITS[" ".join(t.text for t in self.r.tokens[it.start + 1 : it.end])]
            declared = {m: self.v.field_unit(m) for m in p.metrics}
            fit = [m for m, u in declared.items() if u is not None and FAMILY[u] == FAMILY[unit]]
            it.bound = True
            if not p.metrics and self.partial:  # "and in TB?": the previous question's metrics
                p.pending_units.append((it.text, unit))
                continue
            if not fit:
                fits = list(
                    dict.fromkeys(x for u in declared.values() if u is not None for x in units_of(FAMILY[u]))
                )
                what = ", ".join(p.metrics) or "the rows listed"
                p.problems.append(
                    f"'{it.text}': {unit.value} is not a unit of {what}"
                    + (f"; it can be shown in {', '.join(fits)}" if fits else "")
                )
                continue
            for m in fit:
                if declared[m] != unit:
                    p.units[m] = unit
        if p.units:  # a number said with its unit stays in it when the metric is shown in another one
            p.filters = [
                f.model_copy(update={"unit": self.unit_said[id(f)]})
                if f.field in p.units and f.unit is None and id(f) in self.unit_said
                else f
                for f in p.filters
            ]

    def unused_date_words(self) -> None:
        """ "how many new <entities>": a date word ("new", "created") with no range and no series says
        something the intent would not do; ask since when rather than count every one."""
        p = self.p
        if p.time_range is not None or self.grains or self.sort_age or self.partial or p.all_time:
            return
        rows = (Kind.TABLE, Kind.VALUE, Kind.BOOLEAN)
        for k, it in enumerate(self.items):
            if it.kind != ItemKind.TERM or it.role != Use.TIME_HINT:
                continue
            nxt = self.items[k + 1] if k + 1 < len(self.items) else None
            prev = self.items[k - 1] if k > 0 else None
            before_rows = (
                nxt is not None and nxt.kind == ItemKind.TERM and nxt.start == it.end and nxt.has(*rows)
            )
            then = self.items[k + 2] if before_rows and k + 2 < len(self.items) else None
            if then is not None and nxt is not None and then.start == nxt.end and then.role == Use.METRIC:
                before_rows = False  # "provisioned database storage": the word goes with the amount
            last = nxt is None and all(t.text in STOPWORDS for t in self.r.tokens[it.end :])
            after_rows = last and prev is not None and prev.kind == ItemKind.TERM and prev.has(*rows)
            if before_rows or after_rows:  # "new <entities>", "<entities> were created"; not "<x> storage"
                p.problems.append(
                    f"'{it.text}' since when? say a time range (e.g. '{it.text} ... this month')"
                )
                p.suggestions.extend(("this month", "last 30 days", "this year"))

    def read_change(self) -> None:
        """What a change or a running total asks of the rest of the question, before the parts are
        placed: "from March to April" is then and now, not one range; "vs last quarter" compares this
        quarter so far with the same days of the last; "week over week change" is last week against the
        week before, not a weekly series; "in percent" ranks by the percent change, it is no share; a
        running total ("to date" each day) runs along a series."""
        p = self.p
        to_date = any(tp.to_date for _, tp in self.ranges)
        over = [it.time for it in self.items if it.kind == ItemKind.TIME and it.time and it.time.over_period]
        series = [g for g in self.grains if g is not None]
        p.cumulative = bool(
            any(it.kind == ItemKind.MARKER and Role.CUMULATIVE in it.roles for it in self.items)
            or (to_date and series)
        )
        if p.cumulative and not self.grains:
            self.grains.append(None)  # "cumulative cost this year": along a series that suits the range
        if not self.changes:
            return
        self.change_percent = self.ratio_requested or any(
            it.kind == ItemKind.SUPER and it.text.lower() in RATE_SUPERLATIVES for it in self.items
        )  # "in percent", "grew fastest": relative to where it started
        self.ratio_requested = False  # "change in percent": the percent change, not a share
        named = any(
            it.kind == ItemKind.TERM and it.role in (Use.METRIC, Use.SORT_METRIC) for it in self.items
        )
        if not named and not self.count_requested and not self.implied_metrics and not self.partial:
            # "which accounts grew the most": what changes between periods is an amount on dated rows;
            # when the model has exactly one, that is it
            amounts = self.v.dated_amounts()
            if len(amounts) == 1:
                self.implied_metrics.append(amounts[0])
            else:
                p.problems.append("a change in what? name the metric")
                p.suggestions.extend(a.replace("_", " ") for a in amounts[:4])
        for tp in over:  # "week over week change": last week against the one before, one row
            assert tp is not None and tp.grain is not None
            if tp.grain in self.grains:
                self.grains.remove(tp.grain)
            if p.time_range is None:
                p.time_range = TimeRange(kind="previous", unit=tp.grain)
        for _, tp in self.ranges:  # "last month vs the month before", "this month vs last": one row
            if tp.grain is not None and tp.time_range is not None:
                if tp.grain in self.grains:
                    self.grains.remove(tp.grain)
                kind = "previous" if tp.time_range.kind == "previous" else "current"
                p.time_range = TimeRange(kind=kind, unit=tp.grain)
        ranges = [(k, tp) for k, tp in self.ranges if tp.time_range is not None]
        if len(ranges) > 2:
            p.problems.append("a change between which two periods? (e.g. 'April vs March')")
        elif len(ranges) == 1 and ranges[0][1].periods:  # "from March to April": then, now
            then, now = ranges[0][1].periods
            p.time_range, self.compare_to = now, then
        elif len(ranges) == 2:
            (_, a), (kb, b) = ranges
            before_b = self.items[kb - 1] if kb > 0 else None
            b_is_then = (
                before_b is not None and before_b.kind == ItemKind.MARKER and Role.COMPARE in before_b.roles
            )
            now, then = (a, b) if b_is_then else (b, a)  # "April vs March"; "from March to April"
            p.time_range, self.compare_to = now.time_range, then.time_range
            if _just_before(then.time_range, now.time_range):  # "May vs the previous month": April
                self.compare_to = None
        elif len(ranges) == 1:
            k, tp = ranges[0]
            before = self.items[k - 1] if k > 0 else None
            tr = tp.time_range
            assert tr is not None
            if before is not None and before.kind == ItemKind.MARKER and Role.COMPARE in before.roles:
                if tr.kind == "previous" and tr.n == 1 and not tr.skip and tr.unit is not None:
                    p.time_range = TimeRange(kind="current", unit=tr.unit)  # "vs last quarter": so far
                else:  # "change vs March": against it, but now is which period?
                    said = " ".join(t.orig for t in self.r.tokens[before.start : self.items[k].end])
                    p.problems.append(f"a change {said}: from then to which period? (e.g. 'April vs March')")

    def place_change(self) -> None:
        """The comparison itself, once metrics and order are placed: ranked by the change (the
        largest drops first after "fell the most"), or by the percent change when said."""
        p = self.p
        if not self.changes:
            return
        if p.time_range is None and not self.partial:  # a follow-up keeps the range it follows
            p.problems.append("a change over which period? (e.g. 'last month', 'from March to April')")
            p.suggestions.extend(("last month", "this quarter", "week over week"))
            return
        rank_by = "percent_change" if self.change_percent else "change"
        p.compare = Compare(to=self.compare_to or "previous_period", rank_by=rank_by)
        if not any(CHANGE_WORDS.get(x.text.lower()) == "asc" for x in self.changes):
            return
        flip = {"asc": "desc", "desc": "asc"}  # "fell the most": the largest drop first
        if p.order_by and p.order_by[0].field in p.metrics:
            first = p.order_by[0]
            p.order_by[0] = first.model_copy(update={"direction": flip[first.direction]})
        if p.rank is not None:
            p.rank = (flip[p.rank[0]], p.rank[1])

    def place_time_dimension(self) -> None:
        """A time range applies to each metric's default date unless the question names another
        ("created in the last 30 days")."""
        p = self.p
        if p.time_range is None or p.time_range.dimension:
            return
        hint = self.time_hint
        # the metrics a condition compares come first ("<entities> that averaged under 5 ..."): the
        # range is most likely on their dates
        compared = [f.field for f in p.filters if f.field in self.v.metrics]
        tables = list(
            dict.fromkeys(t for m in (*compared, *p.metrics) for t in self.v.metric_tables.get(m, ()))
        )
        if not tables and (t := self.count_table()):
            tables = [t]
        if hint is None:
            undated = [t for t in tables if not self.v.default_time.get(t)]
            if tables and len(undated) == len(tables):
                own = list(dict.fromkeys(d for t in undated for d in self.v.table_time_dimensions.get(t, [])))
                p.problems.append(
                    "which date the time range applies to" + (f" (e.g. {', '.join(own)})" if own else "")
                )
                p.suggestions.extend(own)
            return
        if any(self.v.default_time.get(t) != hint for t in tables) or not tables:
            p.time_range = p.time_range.model_copy(update={"dimension": hint})

    def boolean_for_untagged(self) -> str | None:
        found = [
            name
            for name, d in self.v.dimensions.items()
            if d.type == "boolean" and any("tag" in s for s in (*d.synonyms, d.name))
        ]
        if len(found) > 1:
            found = best_fit({n: self.v.tables_of(n) for n in found}, self.items, self.v)
        return found[0] if len(found) == 1 else None

    def add_segment(self, name: str, negated: bool) -> None:
        if not negated:
            if name not in self.p.segments:
                self.p.segments.append(name)
            return
        seg = next(s for s in self.v.model.segments if s.name == name)
        if len(seg.filters) != 1:
            self.p.problems.append(f"cannot exclude '{name}', which combines several conditions")
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
            self.p.problems.append(f"cannot exclude '{name}'")
            return
        if isinstance(f.value, bool) and f.op == Op.EQ:
            self.p.filters.append(Filter(field=f.field, op=Op.EQ, value=not f.value))
        else:
            self.p.filters.append(Filter(field=f.field, op=flipped, value=f.value))

    def merge_filters(self, by_field: dict[str, list[Filter]]) -> None:
        p = self.p
        compare = bool(Role.COMPARE in p.markers)
        summed = bool(p.markers & {Role.SUM, Role.OR})
        for name, fs in by_field.items():
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
                if (compare or not summed) and not any(d.name == name for d in p.dimensions):
                    p.dimensions.append(DimensionRef(name=name))
            if len(neg) == 1:
                p.filters.append(Filter(field=name, op=Op.NE, value=neg[0]))
            elif len(neg) > 1:
                p.filters.append(Filter(field=name, op=Op.NOT_IN, value=tuple(neg)))  # type: ignore[arg-type]
            for f in other:
                if f not in p.filters:
                    p.filters.append(f)

    def segment_side_by_side(self) -> None:
        """ "unattached volumes vs in-use volumes": a segment that keeps some values of a dimension and
        a value of it said beside the segment, with a word of comparing, are one row each; grouped by
        that dimension, the compiler puts both values in one condition instead of an empty answer."""
        p = self.p
        if Role.COMPARE not in p.markers or not p.segments:
            return
        kept = {
            f.field: f.value if isinstance(f.value, tuple) else (f.value,)
            for seg in self.v.model.segments
            if seg.name in p.segments
            for f in seg.filters
            if f.op in (Op.EQ, Op.IN)
        }
        for f in p.filters:
            if (
                f.field not in kept
                or f.op not in (Op.EQ, Op.IN)
                or any(d.name == f.field for d in p.dimensions)
            ):
                continue
            said = f.value if isinstance(f.value, tuple) else (f.value,)
            if not set(said) & set(kept[f.field]):
                p.dimensions.append(DimensionRef(name=f.field))

    def absorb_metrics(self) -> None:
        """ "<derived metric words> <value> <base metric>": the derived metric is built from the base one, so
        the base one is part of it, not a second metric."""
        from compiler import catalog_for

        p = self.p
        if len(p.metrics) < 2:
            return
        catalog = catalog_for(self.v.model)
        spans = {}
        for it in self.items:
            if it.role == Use.METRIC:
                spans.setdefault(it.first(Kind.METRIC).name, it)  # type: ignore[union-attr]
        keep = []
        coordinated = {name for name, _ in self.coordinated}
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
                        for x in self.items
                        if min(a.start, b.start) < x.start < max(a.start, b.start)
                    )
                ):
                    absorbed = True
            if not absorbed:
                keep.append(name)
        p.metrics = keep

    def undo_degenerate_groups(self) -> None:
        """ "instances of each type": grouping by a dimension the question fixes to one value gives one
        row; the word meant another dimension it names, when exactly one other does."""
        p = self.p
        fixed = {f.field for f in p.filters if f.op == Op.EQ}
        for i, d in enumerate(p.dimensions):
            if d.grain is not None or d.name not in fixed:
                continue
            said = next(
                (
                    it
                    for it in self.items
                    if it.kind == ItemKind.TERM
                    and it.role
                    and any(m.name == d.name for m in it.all(Kind.DIMENSION))
                ),
                None,
            )
            if said is None:
                continue
            words = {t.key for t in self.r.tokens[said.start : said.end]}
            others = [
                name
                for name, dim in self.v.dimensions.items()
                if name != d.name
                and name not in fixed
                and words & {w for phrase in (name.replace("_", " "), *dim.synonyms) for w in phrase.split()}
            ]
            if len(others) == 1:
                p.dimensions[i] = DimensionRef(name=others[0])

    def two_kinds_joined(self) -> None:
        """ "<kind>s and <other kind>s" naming values of two different dimensions ("lambdas and
        dynamodb tables") means either kind, which no single filter says; both at once would be a
        plausible wrong number (usually zero), so ask."""
        for k, it in enumerate(self.items[1:-1], start=1):
            if it.kind != ItemKind.MARKER or Role.AND not in it.roles:
                continue
            a, b = self.items[k - 1], self.items[k + 1]
            if a.kind != ItemKind.TERM or b.kind != ItemKind.TERM or a.end != it.start or b.start != it.end:
                continue
            va, vb = a.first(Kind.VALUE), b.first(Kind.VALUE)
            if not (va and vb and a.plural and b.plural) or va.name == vb.name:
                continue
            if a.has(Kind.BOOLEAN, Kind.METRIC) or b.has(Kind.BOOLEAN, Kind.METRIC):
                continue
            self.p.problems.append(
                f"'{a.text}' ({va.name.replace('_', ' ')}) and '{b.text}' ({vb.name.replace('_', ' ')}) are "
                "values of different things; ask for each, or for a breakdown"
            )
            self.p.suggestions.extend((f"{a.text} count", f"{b.text} count"))

    def split_counts(self, by_field: dict[str, list[Filter]], said_at: dict[Filter, int]) -> None:
        """ "how many are encrypted and how many are public": one count per yes/no word, each the
        model's metric that counts those rows, not one count of the rows that are both."""
        asked = [x for x in self.items if x.kind == ItemKind.MARKER and Role.COUNT in x.roles]
        flags = sorted(
            (said_at.get(f, 0), name)
            for name, fs in by_field.items()
            for f in fs
            if f.value is True and f.op == Op.EQ and name in self.v.count_of_boolean
        )
        if len(asked) < 2 or len(flags) < 2 or len(flags) != len(asked):
            return
        for _, name in flags:
            by_field.pop(name, None)
            metric = self.v.count_of_boolean[name]
            if metric not in self.p.metrics:
                self.p.metrics.append(metric)
        self.count_requested = False

    def split_part(
        self, by_field: dict[str, list[Filter]], said_at: dict[Filter, int]
    ) -> tuple[dict[str, list[Filter]], dict[str, list[Filter]]]:
        """ "what share of <whole> <is / came from / are> <part>": conditions said after the thing the
        share is of define the part; those said before it (or inside it) restrict the whole."""
        assert self.ratio_at is not None
        marker = self.items[self.ratio_at].start
        after = []  # the words naming the whole: the first term after the marker and the terms right after it
        for it in self.items:
            if it.kind == ItemKind.TERM and it.start > marker and it.meanings:
                if after and it.start != after[-1].end:
                    break
                after.append(it)
            elif after:
                break
        heads = [
            it.start
            for it in self.items
            if it.kind == ItemKind.TERM
            and (it.role in (Use.METRIC, Use.SORT_METRIC, Use.COUNT_SUBJECT) or it.has(Kind.TABLE))
        ]
        # "what share of <whole> ...": the first thing named after the word; "<whole> ... as a
        # percentage": the first metric or entity named
        head = after[-1].start if after else (heads[0] if heads else None)
        if head is None:
            return by_field, {}
        whole: dict[str, list[Filter]] = {}
        part: dict[str, list[Filter]] = {}
        before = self.items[self.ratio_at - 1] if self.ratio_at > 0 else None
        owner = before.start if before and before.kind == ItemKind.TERM and before.end == marker else None
        for name, fs in by_field.items():
            for f in fs:
                at = said_at.get(f, -1)  # "<value>'s share of ...", "<value> share of ...": the part
                (part if at > head or at == owner else whole).setdefault(name, []).append(f)
        for seg in list(self.p.segments):
            if self.segment_at.get(seg, -1) > head:
                self.p.segments.remove(seg)
                for f in next(s for s in self.v.model.segments if s.name == seg).filters:
                    part.setdefault(f.field, []).append(f)
        return whole, part

    def make_share(self, part: dict[str, list[Filter]]) -> None:
        """A percentage the model has no ratio metric for: the share of a sum or a count."""
        p = self.p
        kept, p.filters = p.filters, []
        self.merge_filters(part)
        part_filters, p.filters = p.filters, kept
        if not p.metrics:  # "what fraction of <entities> are <value>": a share of their count
            table = self.count_table()
            metric = self.v.count_metric.get(table) if table else None
            if metric is None:
                p.problems.append("a share or percentage of what (a cost, a count)?")
                return
            p.metrics.append(metric)
        if not part_filters and not p.dimensions and not self.grains:
            p.problems.append(
                "a share of what part? say which (e.g. '... that are <value>') or break it down ('by ...')"
            )
            return
        additive = {"sum", "count"} | ({"count_distinct"} if part_filters else set())
        for name in p.metrics:
            if self.v.metric_aggregation(name) not in additive:
                p.problems.append(f"a share of {name.replace('_', ' ')}, which does not add up across groups")
                p.suggestions.extend(
                    m.name.replace("_", " ") for m in self.v.model.metrics if m.type == "ratio"
                )
                return
        p.share_part = part_filters

    def pick_ratio(self, booleans: list[str]) -> None:
        p = self.p
        ratios = [m for m in p.metrics if self.v.metrics[m].type == "ratio"]
        if ratios:
            return
        candidates = [r for b in booleans for r in self.v.ratio_of_boolean.get(b, [])]
        if candidates:
            p.metrics.insert(0, candidates[0])
            return
        p.problems.append("a share or percentage of something the model has no ratio for")
        p.suggestions.extend(m.name.replace("_", " ") for m in self.v.model.metrics if m.type == "ratio")

    def metric_for_unit(self, unit: str | None) -> str | None:
        fmt = unit or "number"
        for m in self.p.metrics:
            if self.v.metric_format(m) == fmt:
                return m
        if unit is None and len(self.p.metrics) == 1:
            return self.p.metrics[0]
        table = self.count_table() if unit is None else None
        if table in self.v.count_metric:
            return self.v.count_metric[table]  # type: ignore[index]
        return self.metric_in_unit(fmt)

    def metric_in_unit(self, fmt: str) -> str | None:
        """The simple metric an amount in a unit means: of several in that format, those that add up
        (a total, not an average), then the one the rest of the question fits; None when two still do."""
        found = [m.name for m in self.v.model.metrics if m.format == fmt and m.type == "simple"]
        totals = [n for n in found if self.v.metric_aggregation(n) in ("sum", "count")] or found
        if len(totals) > 1:
            tables = {n: self.v.metric_tables.get(n, ()) for n in totals}
            totals = best_fit(tables, self.items, self.v, metrics=True)
        return totals[0] if len(totals) == 1 else None

    def unit_dimension(self, unit_kind: str) -> str | None:
        """The number dimension measured in ``unit_kind``; of several (one per inventory), the one the
        rest of the question fits; None when two still do."""
        names = self.v.unit_dimensions(unit_kind)
        if len(names) > 1:
            names = best_fit({n: self.v.tables_of(n) for n in names}, self.items, self.v)
        return names[0] if len(names) == 1 else None

    def count_table(self, prefer: str | None = None) -> str | None:
        """The table whose rows a count or listing is about: named tables first, then the table the
        model ties to the counting phrase (a synonym of a count metric), then the tables of the values and
        yes/no words used; one that reaches every dimension asked about wins."""
        candidates = self.table_candidates(prefer)
        for t in candidates:
            if self.reaches_all(t):
                return t
        return candidates[0] if candidates else None

    def reaches_all(self, table: str) -> bool:
        from compiler import catalog_for
        from models.errors import UserError

        catalog = catalog_for(self.v.model)
        names = [d.name for d in self.p.dimensions] + [
            f.field for f in self.p.filters if f.field not in self.v.metrics
        ]
        try:
            for n in names:
                catalog.resolve_dimension(n, catalog.tables[table], "dimensions")
        except UserError:
            return False
        return True

    def table_candidates(self, prefer: str | None = None) -> list[str]:
        out: list[str] = []
        explicit = [
            t for t in (*self.entity_tables, *(t for t in self.count_tables if t in self.entity_tables))
        ]
        if self.sort_count_table:
            explicit.append(self.sort_count_table)
        for t in explicit:
            if t in self.v.count_metric or t in self.v.label_dimensions:
                out.append(t)
        if prefer:
            out.append(prefer)
        out.extend(t for t in self.count_tables if t in self.v.count_metric)
        seen: list[str] = []
        shared: list[str] = []  # tables of dimensions that several tables share
        for it in self.items:
            if it.kind == ItemKind.TERM and it.role in (
                Use.FILTER,
                Use.NEGATED,
                Use.NONE,
                Use.RANKED_VALUE,
                Use.QUALIFIER,
                Use.SEGMENT,
            ):
                m = it.first(Kind.SEGMENT, Kind.VALUE, Kind.BOOLEAN)
                if m is not None:
                    tables = self.tables_of_meaning(m)
                    (seen if len(set(tables)) == 1 else shared).extend(tables)
        seen.extend(shared)
        if self.time_hint:
            seen.extend(self.v.tables_of(self.time_hint))  # "what was created last week?"
        out.extend(t for t in seen if t in self.v.count_metric)
        out.extend(
            t for t in self.qualified_tables if t in self.v.count_metric or t in self.v.label_dimensions
        )
        return list(dict.fromkeys(out))

    def pick_count(self) -> None:
        p = self.p
        if p.metrics and not self.count_requested:
            return
        if (
            not p.metrics
            and not self.count_requested
            and self.direction is None
            and not self.grains
            and self.which_refs
            and p.dimensions == self.which_refs
            and not self.having
            and self.count_table(prefer=self.which_tables[0]) in self.which_tables
        ):
            # "which accounts are in <value>?": the rows themselves, not a count per row
            self.columns.extend(self.which_refs)
            p.dimensions = []
            return
        labels = {n for ls in self.v.label_dimensions.values() for n in ls}
        if (
            not p.metrics
            and not self.count_requested
            and self.direction is None
            and not self.grains
            and not self.having
            and self.columns
            and p.dimensions
            and all(d.name in labels and d.grain is None for d in p.dimensions)
        ):
            # "show every <entity> with its <columns>": the rows, not a count per row
            p.dimensions.extend(c for c in self.columns if c not in p.dimensions)
            self.columns = []
            return
        needs_count = self.count_requested or (
            not p.metrics
            and (
                p.dimensions
                or self.grains
                or self.sort_count_table
                or (self.direction and not self.sort_size and not self.sort_age)
                or (self.p.time_range and not self.list_requested and not self.time_hint)
            )
        )
        if not needs_count:
            return
        if self.sort_size and not p.metrics and not self.count_requested and self.unit_dimension("gb"):
            return  # "the 10 largest <entities>": a listing sorted by size
        if self.sort_age and not p.metrics and not self.count_requested:
            return  # "the 3 newest <entities>": a listing sorted by date
        if (
            self.partial
            and not self.count_requested
            and not self.entity_tables
            and not self.sort_count_table
            and not self.qualified_tables
        ):
            return
        default_table = next((t for t, m in self.v.count_metric.items() if m == self.count_default), None)
        table = self.count_table(prefer=default_table)
        metric = self.v.count_metric.get(table) if table else None
        if metric is None and self.sort_count_table:
            metric = self.v.count_metric.get(self.sort_count_table)
        metric = metric or self.count_default
        if metric is None and self.v.count_metric and not p.metrics:
            metric = self.fallback_count()
        if metric is None:
            if not p.metrics:
                p.problems.append("what to count")
            return
        if metric not in p.metrics:
            p.metrics.insert(0, metric)

    def count_of_haves(self) -> None:
        """ "how many <entities> had <metric> ...": the metric named after a word of having is what is
        counted when it is a count itself ("had <n> days with ..."); a count of the entities beside it
        would be an unrelated number (all of them, whatever the range). When it is an amount, counting
        the entities that have it is a count of groups, which is asked back."""
        p = self.p
        counting = next(
            (
                it
                for it in self.items
                if (it.kind == ItemKind.MARKER and Role.COUNT in it.roles)
                or (
                    it.kind == ItemKind.TERM
                    and it.role == Use.METRIC
                    and self.is_count(it.first(Kind.METRIC))
                )
            ),
            None,
        )
        if counting is None:
            return
        subject_end = counting.end
        if counting.kind == ItemKind.MARKER:
            subject = next(
                (x for x in self.items if x.kind == ItemKind.TERM and x.start >= counting.end), None
            )
            subject_end = subject.end if subject is not None else counting.end
        for it in self.items:
            if it.kind != ItemKind.TERM or it.role != Use.METRIC or it.start < subject_end or it is counting:
                continue
            between = [t.text for t in self.r.tokens[subject_end : it.start]]
            have = max((i for i, w in enumerate(between) if w in HAVING_WORDS), default=None)
            if have is None or set(between[have + 1 :]) & HAVING_BREAKS:
                continue
            metric = it.first(Kind.METRIC).name  # type: ignore[union-attr]
            if self.is_count(it.first(Kind.METRIC)):
                self.count_requested = False
                if counting.kind == ItemKind.TERM:
                    p.metrics = [m for m in p.metrics if m != counting.first(Kind.METRIC).name]  # type: ignore[union-attr]
            else:
                p.problems.append(
                    f"counting rows by whether they have {metric.replace('_', ' ')} is a count of groups; "
                    "ask for the list instead"
                )
                p.suggestions.append(list_instead(self.r.question))
            return

    def is_count(self, m: Meaning | None) -> bool:
        return m is not None and self.v.metric_aggregation(m.name) in ("count", "count_distinct")

    def fallback_count(self) -> str | None:
        from compiler import catalog_for
        from models.errors import UserError

        catalog = catalog_for(self.v.model)
        names = [d.name for d in self.p.dimensions] + [f.field for f in self.p.filters]
        for table, metric in self.v.count_metric.items():
            try:
                for n in names:
                    catalog.resolve_dimension(n, catalog.tables[table], "dimensions")
            except UserError:
                continue
            return metric
        return None

    def pick_listing(self) -> None:
        p = self.p
        if p.metrics:
            p.listing = False
            return
        if self.partial and not self.entity_tables and not self.qualified_tables:
            return
        table = self.count_table()
        if table is None:
            if p.dimensions:
                p.listing = True
            return
        labels = self.v.label_dimensions.get(table, ())
        if not labels:
            return
        p.listing = True
        dims = [DimensionRef(name=n) for n in labels]
        for d in (*p.dimensions, *self.columns):
            if d not in dims:
                dims.append(d)
        if self.sort_size and (unit_dim := self.unit_dimension("gb")):
            dims.append(DimensionRef(name=unit_dim))
            p.order_by.append(OrderBy(field=unit_dim, direction=self.direction or "desc"))
        elif self.sort_age:
            own = self.v.table_time_dimensions.get(table, [])
            when = self.time_hint if self.time_hint in own else (own[0] if len(own) == 1 else None)
            if when is None:
                p.problems.append("oldest or newest by which date" + (f" ({', '.join(own)})" if own else ""))
                p.suggestions.extend(own)
            else:
                if not any(d.name == when for d in dims):
                    dims.append(DimensionRef(name=when))
                p.order_by.append(OrderBy(field=when, direction=self.direction or "asc"))
                if self.limit is None and self.singular_target:
                    p.limit = 1
        p.dimensions = dims

    def place_grains(self) -> None:
        p = self.p
        if not self.grains:
            return
        dim = self.time_dimension_for_series()
        if dim is None and self.partial and not p.metrics:
            p.pending_grains = list(self.grains)  # "monthly" as a follow-up: the previous metric decides
            return
        if dim is None:
            p.problems.append("which date to put the series on")
            return
        for g in dict.fromkeys(self.grains):
            grain = g or self.auto_grain()
            ref = DimensionRef(name=dim, grain=grain)
            if not any(d.name == dim for d in p.dimensions):
                p.dimensions.insert(0, ref)

    def time_dimension_for_series(self) -> str | None:
        if self.time_hint:
            return self.time_hint
        tables = [t for m in self.p.metrics for t in self.v.metric_tables.get(m, ())]
        table = self.count_table()
        if table:
            tables.append(table)
        for t in tables:
            if self.v.default_time.get(t):
                return self.v.default_time[t]
        for t in tables:
            own = self.v.table_time_dimensions.get(t, [])
            if len(own) == 1:
                self.time_hint = own[0]
                return own[0]
        return None

    def auto_grain(self) -> Grain:
        tr = self.p.time_range
        if tr is None:
            return Grain.MONTH
        if tr.kind in ("current", "previous", "trailing") and tr.unit in (Grain.DAY, Grain.WEEK):
            return Grain.DAY if tr.n * (7 if tr.unit == Grain.WEEK else 1) <= 62 else Grain.WEEK
        if tr.kind in ("current", "previous") and tr.unit == Grain.MONTH:
            return Grain.DAY if tr.n == 1 else (Grain.WEEK if tr.n <= 3 else Grain.MONTH)
        if tr.kind == "month":
            return Grain.DAY
        if tr.kind == "between" and tr.start and tr.end:
            days = (tr.end - tr.start).days
            return Grain.DAY if days <= 62 else (Grain.WEEK if days <= 190 else Grain.MONTH)
        if tr.kind == "quarter" or (tr.unit == Grain.QUARTER and tr.n == 1):
            return Grain.WEEK
        return Grain.MONTH

    def place_order(self) -> None:
        p = self.p
        wants_order = self.direction is not None or self.limit is not None
        if not wants_order:
            return
        singular = self.singular_target or self.which_one()
        p.rank = (self.direction or "desc", self.limit or (1 if singular and self.superlative else None))
        p.sort_metric = self.sort_metric
        if p.listing and not p.metrics:
            if self.limit:
                p.limit = self.limit
            return
        field_name = self.sort_metric
        if field_name is None and self.sort_count_table in self.v.count_metric:
            field_name = self.v.count_metric[self.sort_count_table]  # type: ignore[index]
        if field_name is None and p.metrics:
            field_name = p.metrics[0]
        if field_name is None:
            return
        if field_name not in p.metrics:
            p.metrics.append(field_name)
        grouped = [d for d in p.dimensions if d.grain is None]
        if not grouped and not p.listing:
            if self.superlative and not self.partial and not any(d.grain for d in p.dimensions):
                # "what costs the most?": the most of what? ranking one total answers nothing
                p.problems.append(
                    f"the {'highest' if (self.direction or 'desc') == 'desc' else 'lowest'} "
                    f"{field_name.replace('_', ' ')} of what?"
                )
                p.suggestions.extend(self.rank_suggestions(field_name))
            return  # one number: nothing to rank
        p.order_by.insert(0, OrderBy(field=field_name, direction=self.direction or "desc"))
        if self.limit is not None:
            p.limit = self.limit
        elif self.singular_target or any(
            it.role in (Use.WHICH, Use.RANKED) and not it.plural for it in self.items
        ):
            p.limit = 1


def list_instead(question: str) -> str:
    """The question asked for the rows instead of their count: its first count phrase ("how many")
    left out and a list asked for once, however often it was suggested before."""
    text = " ".join(question.replace(LIST_INSTEAD, " ").split()).strip(" ?")
    lowered = f" {text.lower()} "
    for phrase in sorted(MARKERS["count"], key=len, reverse=True):
        at = lowered.find(f" {phrase} ")
        if at >= 0:
            text = (text[:at] + text[at + len(phrase) :]).strip()
            break
    return f"{' '.join(text.split())} {LIST_INSTEAD}"


def interpret(reading: Reading, vocab: Vocabulary, partial: bool = False) -> Parts:
    """Read ``reading`` into parts. The interpreter marks items as it binds them, so it works on a
    copy: the mapper reads the same question twice (as a follow-up, then as a new question)."""
    reading = copy.deepcopy(reading)
    parts = _Interpreter(reading, vocab, partial).run()
    _collect_unknowns(reading, parts, vocab)
    parts.ignored.extend(unaccounted(reading, parts, vocab))
    return parts


def unaccounted(reading: Reading, parts: Parts, vocab: Vocabulary) -> list[str]:
    """Words the reading neither used, nor knows as filler, nor already asked about or noted: every
    word of a question must do one of these, so a word that slipped through every pass is named in
    the note (the reading is then incomplete) rather than dropped without a trace."""
    noted = {w.lower() for w in parts.ignored} | {
        w.lower() for problem in parts.problems for w in problem.split("'")[1::2]
    }
    used: set[int] = set()
    for it in reading.items:
        dropped = (
            it.kind == ItemKind.TERM
            and it.role in (Use.UNPLACED, Use.IGNORED_WEAK)
            and not _names_a_shown_dimension(it, parts)
        ) or (it.kind in (ItemKind.MARKER, ItemKind.SUPER) and not it.bound)
        if not dropped and it.kind not in (ItemKind.UNKNOWN, ItemKind.IGNORED):
            used.update(range(it.start, it.end))

    def repeats_a_neighbour(i: int) -> bool:  # "the <value> unit", "internet-exposed"
        names = vocab.inner_words.get(reading.tokens[i].key, set())
        return any(
            it.kind == ItemKind.TERM
            and (it.end == i or it.start == i + 1)
            and names & {m.name for m in it.meanings}
            for it in reading.items
        )

    out: list[str] = []
    for i, t in enumerate(reading.tokens):
        filler = (
            t.text in STOPWORDS
            or t.key in STOPWORDS
            or t.text in SEPARATORS
            or t.text in PLAIN_GROUP_WORDS
            or not t.text[:1].isalnum()
            or repeats_a_neighbour(i)
        )
        if i not in used and not filler and t.text not in noted and t.orig.lower() not in noted:
            out.append(t.orig)
    return out


def _collect_unknowns(reading: Reading, parts: Parts, vocab: Vocabulary) -> None:
    """Unknown words in a position that usually restricts the answer make the mapper ask; others are
    noted as ignored."""
    items = reading.items

    def averages() -> list[str]:  # the model's averages, offered when an average was not understood
        return [
            m.name.replace("_", " ")
            for m in vocab.model.metrics
            if any(w in " ".join((m.name, m.description, *m.synonyms)).lower() for w in ("average", "avg"))
        ]

    for k, it in enumerate(items):
        if it.kind == ItemKind.UNKNOWN:
            prev_tok = reading.token_before(it)
            nxt = items[k + 1] if k + 1 < len(items) else None
            value_like = any(ch.isdigit() or ch in ".:_/@" for ch in it.text) or (
                it.start > 0 and it.text[:1].isupper() and not it.text.isupper() and len(it.text) > 2
            )
            after_preposition = prev_tok is not None and prev_tok.text in VALUE_PREPOSITIONS
            if prev_tok is not None and not after_preposition and it.start >= 2:
                # "spend on data transfer": an everyday word between the preposition and the unknown
                two_back = reading.tokens[it.start - 2]
                after_preposition = prev_tok.text in STOPWORDS and two_back.text in VALUE_PREPOSITIONS
            next_tok = reading.tokens[it.end] if it.end < len(reading.tokens) else None
            spelled_out = any(t is not None and t.text in SEPARATORS for t in (prev_tok, next_tok))
            modifier = (
                nxt is not None
                and nxt.start == it.end
                and nxt.kind == ItemKind.TERM
                and nxt.role
                in ("metric", "entity", "filter", "count_subject", "ranked", "which", "group", "qualifier")
            )
            if it.text.lower() == "than":
                parts.problems.append("a comparison without a number I could read")
            elif it.text.lower() in TIME_LEFTOVERS:
                parts.problems.append(f"the time range around '{it.text}'")
                parts.suggestions.extend(("last month", "last 30 days", "this year", "since 2026-01-01"))
            elif modifier and nxt is not None and (kinds := _kinds_of(nxt, nxt.text, vocab)):
                # "idle instances": a kind of row the model does not know; name the kinds it does
                parts.problems.append(
                    f"unknown word '{it.text}': the model knows no such '{nxt.text}'; "
                    f"it knows {', '.join(kinds)}"
                )
                parts.suggestions.extend(kinds)
            elif (value_like or after_preposition) and not spelled_out and (named := _valued(items, vocab)):
                # "in frankfurt": a value the model does not know; say what values it does know of
                parts.problems.append(
                    f"unknown word '{it.text}': not a value the model knows (it knows values of {named})"
                )
            elif value_like or after_preposition or modifier or spelled_out:  # "foo=bar": a condition
                parts.problems.append(f"unknown word '{it.text}'")
            else:
                parts.ignored.append(it.text)
        elif (
            it.kind == ItemKind.TERM
            and it.role in (Use.UNPLACED,)
            and not _names_a_shown_dimension(it, parts)
        ):
            parts.ignored.append(it.text)
        elif it.kind == ItemKind.TERM and it.role == Use.IGNORED_WEAK:
            _weak_word(reading, it, parts, vocab)
        elif (
            it.kind == ItemKind.MARKER
            and not it.bound
            and set(it.roles)
            & {
                Role.AVG,
                Role.RATIO,
                Role.NEG,
                Role.POSTNEG,
                Role.WITH,
                Role.GROUP,
                Role.WHICH,
                Role.COUNT,
                Role.SORT,
            }
        ):
            if Role.AVG in it.roles:
                parts.problems.append(f"'{it.text}' of what? the model has no such average")
                parts.suggestions.extend(averages())
            elif set(it.roles) & {Role.NEG, Role.POSTNEG}:
                parts.problems.append(f"what '{it.text}' applies to")
            elif set(it.roles) & {Role.GROUP} and it.text.lower() not in PLAIN_GROUP_WORDS:
                parts.ignored.append(it.text)
        elif it.kind == ItemKind.IGNORED or (it.kind in (ItemKind.UNIT, ItemKind.SUPER) and not it.bound):
            parts.ignored.append(it.text)


def _valued(items: list[Item], vocab: Vocabulary, most: int = 4) -> str:
    """The dimensions with known values that the question's metrics reach, as the likely meanings of
    a value it does not know ("region, service, ...")."""
    tables = {
        t
        for it in items
        if it.kind == ItemKind.TERM
        for m in it.meanings
        if m.kind == Kind.METRIC
        for t in vocab.metric_tables.get(m.name, ())
    }
    hops: dict[str, int] = {}  # each table the metrics reach, nearest first
    for t in tables:
        for r, n in vocab.reach.get(t, {t: 0}).items():
            hops[r] = min(n, hops.get(r, n))
    far = len(vocab.model.tables) + 1
    named = [
        (min((hops.get(t, far) for t in vocab.tables_of(n)), default=far), n.replace("_", " "))
        for n, values in vocab.known_values.items()
        if values and ":" not in n
    ]
    near = [name for h, name in sorted(named, key=lambda x: x[0]) if h < far or not hops]
    return ", ".join(near[:most])


def _kinds_of(it: Item, noun: str, vocab: Vocabulary, most: int = 4) -> list[str]:
    """The model's words for kinds of the rows ``it`` names (segments and yes/no dimensions on its
    tables), each said with the noun, as likely meanings of an unknown word said before it: "idle
    instances" -> "running instances", "public instances"."""
    tables: set[str] = set()
    for m in it.meanings:
        tables.update([m.name] if m.kind == Kind.TABLE else vocab.tables_of(m.name))
    key = singular(noun.lower())
    out: list[str] = []
    for s in vocab.model.segments:
        if not tables & set(vocab.segment_tables.get(s.name, ())):
            continue
        said = [p for p in (*s.synonyms, s.name.replace("_", " "))]
        own = next((p for p in said if key in phrase_key(p)), None)  # "running instances"
        single = next((p for p in said if " " not in p), None)  # "untagged"
        if own or single:
            out.append(own or f"{single} {noun}")
    out += [
        f"{(d.synonyms or (name.replace('_', ' '),))[0]} {noun}"
        for name, d in vocab.dimensions.items()
        if d.type == "boolean" and tables & set(vocab.tables_of(name))
    ]
    return list(dict.fromkeys(out))[:most]


def _a_range(it: Item) -> bool:
    return it.kind == ItemKind.TIME and it.time is not None and it.time.time_range is not None


def _the_one_before(it: Item) -> bool:
    return it.kind == ItemKind.TIME and it.time is not None and it.time.period_before


def _just_before(then: TimeRange | None, now: TimeRange | None) -> bool:
    """ "<period> compared with the previous <unit>": the one before that period, not the one before
    today (which, for last month, is the month itself)."""
    if then is None or now is None or then.kind != "previous" or then.n != 1 or then.skip:
        return False
    unit = {"month": Grain.MONTH, "quarter": Grain.QUARTER, "year": Grain.YEAR}.get(now.kind, now.unit)
    return unit == then.unit


def _names_a_shown_dimension(it: Item, parts: Parts) -> bool:
    """A word naming a dimension the answer shows or filters on anyway ("the names of the public
    buckets" in a listing, "carol's resources (owner tag)" beside the filter on that tag): the word
    is used, not dropped."""
    shown = {d.name for d in parts.dimensions} | {f.field for f in parts.filters}
    return any(m.kind in (Kind.DIMENSION, Kind.TAG_KEY) and m.name in shown for m in it.meanings)


def _weak_word(reading: Reading, it: Item, parts: Parts, vocab: Vocabulary) -> None:
    """An everyday word that is also a model value and was not said next to its dimension's name.
    Right before another word that is not filler it may well be that value ("the <value> team's
    accounts": a value of some unit dimension), so ask, naming the value; otherwise it is English
    filler (a stop word) or, when it is not, a word left out that the note names."""
    if _names_a_shown_dimension(it, parts):
        return
    tokens = reading.tokens
    value = it.first(Kind.VALUE, Kind.BOOLEAN)
    nxt = tokens[it.end] if it.end < len(tokens) else None
    modifies = (
        value is not None
        and nxt is not None
        and not tokens[it.end - 1].pause
        and nxt.text not in STOPWORDS
        and nxt.key not in STOPWORDS
        and nxt.text[:1].isalnum()
        # a time phrase next ("what did marketing cost us last month") is not a thing a value names
        and not any(x.start == it.end and x.time is not None for x in reading.items)
    )
    if modifies:
        assert value is not None
        dimension = vocab.dimensions.get(value.name)
        said = dimension.synonyms[0] if dimension and dimension.synonyms else value.name.replace("_", " ")
        shown = value.value if value.kind == Kind.VALUE else it.text
        parts.problems.append(
            f"'{it.text}' before '{nxt.orig}' may mean the {said} {shown}; "
            f"say 'the {shown} {said}' if it does"
        )
        after = next((x for x in reading.items if x.start == it.end), None)
        unread = (
            after is None or after.kind == ItemKind.UNKNOWN or after.role in (Use.UNPLACED, Use.IGNORED_WEAK)
        )
        rest = tokens[it.end + 1 :] if unread else tokens[it.end :]  # "data team": "data business unit"
        words = [t.orig for t in tokens[: it.start]] + [f"{shown} {said}"] + [t.orig for t in rest]
        parts.suggestions.append(" ".join(words))
    elif it.text.lower() not in STOPWORDS and tokens[it.start].key not in STOPWORDS:
        parts.ignored.append(it.text)


__all__ = ["Parts", "interpret"]
