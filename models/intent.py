"""The structured intent: what a question asks for, in the vocabulary of the semantic model.

Mappers (offline or LLM) produce it, the compiler consumes it. It never contains SQL: names refer to
the model, values become bound parameters.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from models.errors import TimeRangeError
from models.units import Unit


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)


class Op(StrEnum):
    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="
    BETWEEN = "between"
    IS_NULL = "is null"
    IS_NOT_NULL = "is not null"
    CONTAINS = "contains"


Scalar = str | int | float | bool | dt.date
Value = Scalar | tuple[Scalar, ...] | None

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class DimensionRef(BaseModel):
    """A dimension to group by; ``grain`` only for time dimensions.

    Accepts the shorthand string ``"name"`` or ``"name__grain"`` (as MetricFlow writes it).
    """

    model_config = _FROZEN
    name: str
    grain: Grain | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            name, sep, grain = data.rpartition("__")
            if sep and grain in Grain.__members__.values():
                return {"name": name, "grain": grain}
            return {"name": data}
        return data

    def __str__(self) -> str:
        return f"{self.name}__{self.grain}" if self.grain else self.name


class Filter(BaseModel):
    """A condition on a dimension (goes to WHERE) or on a metric (goes to HAVING).

    ``unit`` is the unit the value is written in ("over 2 TB": 2, TB; "below 5%": 5, percent); the
    compiler converts it to the unit of the metric (as shown) or number dimension. Without it the
    value is in the field's own unit, the model's, also when ``Intent.units`` shows the metric in
    another ("over 20000" on cost shown in thousand_USD is 20,000 USD).
    """

    model_config = _FROZEN
    field: str
    op: Op = Op.EQ
    value: Value = None
    unit: Unit | None = Field(default=None, exclude_if=lambda u: u is None)  # JSON as before units

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        if self.op in (Op.IS_NULL, Op.IS_NOT_NULL):
            if self.value is not None:
                raise ValueError(f"operator '{self.op}' takes no value")
        elif self.op in (Op.IN, Op.NOT_IN):
            if not isinstance(self.value, tuple) or not self.value:
                raise ValueError(f"operator '{self.op}' needs a non-empty list of values")
        elif self.op == Op.BETWEEN:
            if not isinstance(self.value, tuple) or len(self.value) != 2:
                raise ValueError("operator 'between' needs a list of two values [low, high]")
        elif self.value is None or isinstance(self.value, tuple):
            raise ValueError(f"operator '{self.op}' needs a single value")
        if self.unit is not None and self.op in (Op.IS_NULL, Op.IS_NOT_NULL, Op.CONTAINS):
            raise ValueError(f"operator '{self.op}' compares no number, so it takes no unit")
        return self


class MetricUnit(BaseModel):
    """Show ``metric`` in ``unit`` instead of the model's unit (total_storage_gb in TB)."""

    model_config = _FROZEN
    metric: str
    unit: Unit


class OrderBy(BaseModel):
    model_config = _FROZEN
    field: str
    direction: Literal["asc", "desc"] = "desc"


TimeKind = Literal["between", "since", "current", "previous", "trailing", "month", "quarter", "year"]

MONTHS: dict[str, int] = {
    name: i
    for i, month in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (month, month[:3])
} | {"sept": 9}
"""Month names and abbreviations to numbers; the mappers read the same names."""
_UNITS = {u: Grain(u) for u in ("day", "week", "month", "quarter", "year")}


class TimeRange(BaseModel):
    """A time range, absolute or relative to the query's as-of date; all ranges are inclusive.

    kinds: ``between`` (start..end), ``since`` (start..as-of), ``current`` (this <unit> to date),
    ``previous`` (the n full <unit>s before the current one: "last month", "last 3 weeks", "yesterday";
    with ``skip``, that many more recent <unit>s are passed over first: "the week before last" is
    previous week, skip 1),
    ``trailing`` (the last n days including as-of: "last 30 days"), ``month``/``quarter``/``year``
    (a named calendar period; without ``year``, the latest one not after as-of).
    ``dimension`` picks the time dimension; without it each metric uses its table's default.
    """

    model_config = _FROZEN
    kind: TimeKind
    unit: Grain | None = None
    n: Annotated[int, Field(ge=1, le=1000)] = 1
    skip: Annotated[int, Field(ge=0, le=1000)] = 0
    start: dt.date | None = None
    end: dt.date | None = None
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    quarter: Annotated[int, Field(ge=1, le=4)] | None = None
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    dimension: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            return parse_time_range(data).model_dump(exclude_defaults=True)
        return data

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Self:
        need: dict[str, tuple[str, ...]] = {
            "between": ("start", "end"),
            "since": ("start",),
            "current": ("unit",),
            "previous": ("unit",),
            "trailing": ("unit",),
            "month": ("month",),
            "quarter": ("quarter",),
            "year": ("year",),
        }
        missing = [f for f in need[self.kind] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"time range of kind '{self.kind}' needs {', '.join(missing)}")
        for day in (self.start, self.end):
            if day is not None and not MIN_DATE <= day <= MAX_DATE:
                raise ValueError(f"{day} is outside {MIN_DATE}..{MAX_DATE}")
        if self.skip and self.kind != "previous":
            raise ValueError(f"skip applies only to time ranges of kind 'previous', not '{self.kind}'")
        if self.kind == "between" and self.start and self.end and self.start > self.end:
            raise ValueError(f"time range starts after it ends ({self.start} > {self.end})")
        return self


_N = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
}


def _num(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def parse_time_range(text: str) -> TimeRange:
    """Parse the shorthand used by the CLI and tests ("last 30 days", "last month", "May 2026", ...)."""
    try:
        return _parse_time_range(text)
    except (ValidationError, ValueError) as e:  # a recognised phrase with an impossible value
        detail = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
        raise TimeRangeError(f"time range {text!r}: {detail}") from None


def _parse_time_range(text: str) -> TimeRange:
    s = " ".join(text.lower().replace(",", " ").split())
    if s in ("today",):
        return TimeRange(kind="current", unit=Grain.DAY)
    if s == "yesterday":
        return TimeRange(kind="previous", unit=Grain.DAY)
    if m := re.fullmatch(r"(?:this|current) (day|week|month|quarter|year)", s):
        return TimeRange(kind="current", unit=_UNITS[m[1]])
    if m := re.fullmatch(r"(week|month|quarter|year)[ -]to[ -]date", s):
        return TimeRange(kind="current", unit=_UNITS[m[1]])
    if m := re.fullmatch(r"(?:last|previous|past) (week|month|quarter|year)", s):
        return TimeRange(kind="previous", unit=_UNITS[m[1]])
    if s == "the day before yesterday":
        return TimeRange(kind="previous", unit=Grain.DAY, skip=1)
    if m := re.fullmatch(r"(?:the )?(week|month|quarter|year) before last", s):
        return TimeRange(kind="previous", unit=_UNITS[m[1]], skip=1)
    if m := re.fullmatch(rf"{_N} (day|week|month|quarter|year)s? ago", s):
        return TimeRange(kind="previous", unit=_UNITS[m[2]], skip=_num(m[1]) - 1)
    if m := re.fullmatch(rf"(?:last|past|previous|trailing)? ?{_N} days?", s):
        return TimeRange(kind="trailing", unit=Grain.DAY, n=_num(m[1]))
    if m := re.fullmatch(rf"(?:last|past|previous)? ?{_N} (week|month|quarter|year)s?", s):
        return TimeRange(kind="previous", unit=_UNITS[m[2]], n=_num(m[1]))
    if m := re.fullmatch(r"q([1-4])(?: (\d{4}))?", s):
        return TimeRange(kind="quarter", quarter=int(m[1]), year=int(m[2]) if m[2] else None)
    if m := re.fullmatch(r"(\d{4})", s):
        return TimeRange(kind="year", year=int(m[1]))
    if (m := re.fullmatch(r"([a-z]+)(?: (\d{4}))?", s)) and m[1] in MONTHS:
        return TimeRange(kind="month", month=MONTHS[m[1]], year=int(m[2]) if m[2] else None)
    if m := re.fullmatch(r"since (\d{4}-\d{2}-\d{2})", s):
        return TimeRange(kind="since", start=dt.date.fromisoformat(m[1]))
    if m := re.fullmatch(r"(?:between|from) (\d{4}-\d{2}-\d{2}) (?:and|to|until) (\d{4}-\d{2}-\d{2})", s):
        return TimeRange(kind="between", start=dt.date.fromisoformat(m[1]), end=dt.date.fromisoformat(m[2]))
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:\.\.| to )(\d{4}-\d{2}-\d{2})", s):
        return TimeRange(kind="between", start=dt.date.fromisoformat(m[1]), end=dt.date.fromisoformat(m[2]))
    raise TimeRangeError(
        f"cannot read time range {text!r}; try 'last 30 days', 'last month', 'this year', 'May 2026', "
        "'Q1 2026', 'since 2026-02-01' or '2026-01-01..2026-01-31'"
    )


class Share(BaseModel):
    """Metrics shown as a percentage of a whole instead of as amounts.

    Without ``part``: each row's percentage of the total over all rows ("spend by service as a
    percentage"). With ``part``: the percentage of each row's amount that meets these dimension filters
    ("what share of spend came from prod"). Only additive metrics (sums and counts) have shares.
    """

    model_config = _FROZEN
    part: tuple[Filter, ...] = ()


CompareTo = Literal["previous_period"]
RankBy = Literal["change", "percent_change", "amount", "previous"]


class Compare(BaseModel):
    """Each metric now (the intent's ``time_range``) against an earlier period, per group.

    ``to`` is ``previous_period`` (the period of the same length just before: the month before a
    month, the 3 full months before "last 3 months", as many days before a span of days) or a named
    time range ("March 2026"). Each metric gains ``<metric>_previous``, ``<metric>_change`` (now minus
    then) and ``<metric>_change_pct`` (the change in percent of then); a group without data in one of
    the periods has no change (NULL), never a division error. Ranking by a compared metric ranks by
    ``rank_by``: its change (default), its percent change, its amount now, or its previous amount.
    """

    model_config = _FROZEN
    to: CompareTo | TimeRange = "previous_period"
    rank_by: RankBy = "change"


class Cumulative(BaseModel):
    """Each metric also as a running total along the time dimension the intent groups by.

    ``<metric>_cumulative`` adds up the amounts of the time buckets so far (within the time range), per
    group of the other dimensions: "cumulative cost by day in May", "how many resources existed at the
    end of each month" (by creation month). Only sums and counts add up.
    """

    model_config = _FROZEN


# How much one intent may ask for, whoever wrote it (a mapper, the LLM, an API caller, a file). Real
# questions stay far below; the caps bound compile time, bound parameters and what a hostile reply can
# make crq do. Documented in docs/mappers.md ("Limits of an intent").
MAX_METRICS = 20
MAX_DIMENSIONS = 20
MAX_FILTERS = 50  # in ``filters``, and again in ``share.part``
MAX_FILTER_VALUES = 1000  # in one filter's list (in, not in)
MAX_VALUE_CHARS = 1000  # one text value
MAX_SEGMENTS = 20
MAX_ORDER_BY = 20
_LIST_CAPS = {
    "metrics": MAX_METRICS,
    "dimensions": MAX_DIMENSIONS,
    "filters": MAX_FILTERS,
    "segments": MAX_SEGMENTS,
    "order_by": MAX_ORDER_BY,
}


class CountGroups(BaseModel):
    """Count groups instead of showing them: "how many accounts have more than 1,000 resources".

    The query groups by ``of`` (and by the intent's ``dimensions``), keeps the groups that meet the
    intent's metric filters (a filter on a metric is a condition on each group, SQL's HAVING), and
    counts them, per group of the intent's ``dimensions``. The count is the column ``<of>_count``
    (``account_name_count``); without metric filters every group with rows counts ("how many regions
    have a public bucket": filter the buckets, count the regions). The metrics only decide which
    groups count, so they are not shown; ``order_by`` may name the count or a dimension.
    """

    model_config = _FROZEN
    of: Annotated[tuple[DimensionRef, ...], Field(min_length=1, max_length=MAX_DIMENSIONS)]


class AverageGroups(BaseModel):
    """Each metric as the average of its groups' amounts: "average cost per account last month".

    The query groups by ``of`` (and by the intent's ``dimensions``), computes each metric per group
    (metric filters hold each group, as HAVING), then averages those amounts per group of the
    intent's ``dimensions``: the column ``<metric>_average``, beside ``<of>_count``, the number of
    groups averaged. Groups with no rows are not among them (an account with no cost rows is no
    account at $0), which the count says. Only sums and counts: an average of averages or of ratios
    weighs each group alike whatever its size, a different number from the one the words suggest.
    """

    model_config = _FROZEN
    of: Annotated[tuple[DimensionRef, ...], Field(min_length=1, max_length=MAX_DIMENSIONS)]


def _too_big(message: str) -> PydanticCustomError:
    """An error whose message is exactly ``message`` (no "Value error, " in front of it)."""
    return PydanticCustomError("too_big", message)


def _check_filters(raw: Any, where: str) -> None:
    """Counts and sizes of raw filters, before pydantic builds thousands of objects to find out."""
    if not isinstance(raw, list | tuple):
        return
    if len(raw) > MAX_FILTERS:
        raise _too_big(f"at most {MAX_FILTERS} {where} per intent, not {len(raw)}")
    for i, f in enumerate(raw):
        value = f.get("value") if isinstance(f, dict) else getattr(f, "value", None)
        field = f.get("field") if isinstance(f, dict) else getattr(f, "field", None)
        values = value if isinstance(value, list | tuple) else (value,)
        if len(values) > MAX_FILTER_VALUES:
            raise _too_big(
                f"{where}[{i}] on {str(field)[:60]!r}: at most {MAX_FILTER_VALUES} values, not {len(values)}"
            )
        for v in values:
            if isinstance(v, str) and len(v) > MAX_VALUE_CHARS:
                raise _too_big(
                    f"{where}[{i}] on {str(field)[:60]!r}: a value of {len(v)} characters; "
                    f"at most {MAX_VALUE_CHARS}"
                )


class Intent(BaseModel):
    """What to compute: metrics, grouped by dimensions, filtered, over a time range, ordered, limited.

    ``previous`` carries the previous turn's intent so that a follow-up ("now only in prod") can be
    understood and explained; the compiler ignores it. Sizes are capped (``_LIST_CAPS``,
    ``MAX_FILTER_VALUES``, ``MAX_VALUE_CHARS``) for every writer of an intent; the error names the
    field and the limit.
    """

    model_config = _FROZEN
    metrics: tuple[str, ...] = ()
    dimensions: tuple[DimensionRef, ...] = ()
    filters: tuple[Filter, ...] = ()
    segments: tuple[str, ...] = ()
    time_range: TimeRange | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    offset: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, exclude_if=lambda o: o is None
    )
    """Ranked rows skipped before ``limit`` ("the second most expensive service": order by cost, skip
    1, limit 1; with a limit of 1, every row tied at that place); only with ``order_by`` and
    ``limit``. Left out of JSON when None, as before it."""
    timezone: str | None = None
    share: Share | None = None
    compare: Compare | None = None
    cumulative: Cumulative | None = None
    count_groups: CountGroups | None = Field(default=None, exclude_if=lambda c: c is None)  # JSON as before
    average_groups: AverageGroups | None = Field(default=None, exclude_if=lambda a: a is None)
    units: tuple[MetricUnit, ...] = Field(default=(), exclude_if=lambda u: not u)
    """Metrics shown in another unit than the model's; ``{"total_storage_gb": "TB"}`` is short for
    ``[{"metric": "total_storage_gb", "unit": "TB"}]``. The compiler converts in SQL and checks the
    unit fits (TB for a cost is an error)."""
    previous: Intent | None = None

    @field_validator("metrics", "dimensions", "filters", "segments", "order_by", mode="before")
    @classmethod
    def _at_most(cls, value: Any, info: Any) -> Any:
        cap = _LIST_CAPS[info.field_name]
        if isinstance(value, list | tuple) and len(value) > cap:
            raise _too_big(f"at most {cap} {info.field_name} per intent, not {len(value)}")
        if info.field_name == "filters":
            _check_filters(value, "filters")
        return value

    @field_validator("units", mode="before")
    @classmethod
    def _units_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = [{"metric": k, "unit": v} for k, v in value.items()]
        if isinstance(value, list | tuple) and len(value) > MAX_METRICS:
            raise _too_big(f"at most {MAX_METRICS} units per intent, not {len(value)}")
        return value

    @field_validator("share", mode="before")
    @classmethod
    def _share_part_at_most(cls, value: Any) -> Any:
        part = value.get("part") if isinstance(value, dict) else getattr(value, "part", None)
        _check_filters(part, "share.part filters")
        return value
