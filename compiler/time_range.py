"""Resolve a (possibly relative) time range to inclusive calendar dates against the as-of date.

Periods are calendar aligned and weeks start on Monday; "last N <unit>s" means the N full periods
before the current one, while "last N days" includes the as-of day.
"""

from __future__ import annotations

import datetime as dt

from models.errors import TimeRangeError
from models.intent import MIN_DATE, Grain, TimeRange

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


MONTHS_IN: dict[Grain, int] = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}
"""How many calendar months a period of each month-based unit spans."""


def period_start(day: dt.date, unit: Grain) -> dt.date:
    """The first day of the period of ``unit`` that contains ``day``."""
    if unit == Grain.DAY:
        return day
    if unit == Grain.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if unit == Grain.MONTH:
        return day.replace(day=1)
    if unit == Grain.QUARTER:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def shift(start: dt.date, unit: Grain, n: int) -> dt.date:
    """Move a period start by ``n`` periods (negative: back in time)."""
    if unit == Grain.DAY:
        return start + dt.timedelta(days=n)
    if unit == Grain.WEEK:
        return start + dt.timedelta(weeks=n)
    months = MONTHS_IN[unit] * n
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def resolve_time_range(tr: TimeRange, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive (start, end) dates of ``tr``; raises TimeRangeError when it lies in the future, or
    so far back that its start is not a date ("1000 full years ending 1001 years ago" from 1900)."""
    try:
        start, end = _bounds(tr, as_of)
    except (ValueError, OverflowError):  # datetime's own message ("year -100 is out of range") is no help
        raise TimeRangeError(
            f"time_range: {describe_time_range(tr)} as of {as_of} starts before the year 1"
        ) from None
    assert start is not None and end is not None
    if start > as_of:
        raise TimeRangeError(
            f"time_range: {describe_time_range(tr)} starts on {start}, after the as-of date "
            f"{as_of}; there is no data for it yet"
        )
    return start, end if tr.kind == "between" else min(end, as_of)


def previous_period(tr: TimeRange, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before ``start..end`` (``tr`` resolved): a calendar period
    steps back by whole periods (April -> March, Q2 -> Q1, the last 3 full months -> the 3 before), a
    period to date by one period to the same day (June 1-17 -> May 1-17, clamped to the shorter
    month's end), trailing months by as many months, whole months given by their dates (2025-12-01 to
    2025-12-31) by as many calendar months, and any other span by as many days."""
    try:
        unit, n = _calendar_step(tr)
        if unit is not None and tr.kind == "current":
            prev_start = shift(start, unit, -1)
            return prev_start, min(prev_start + (end - start), start - dt.timedelta(days=1))
        if unit is not None:
            return shift(start, unit, -n), start - dt.timedelta(days=1)
        if tr.kind == "trailing" and tr.unit in MONTHS_IN:
            prev_end = start - dt.timedelta(days=1)
            return _months_back(prev_end, tr.n * MONTHS_IN[tr.unit]), prev_end
        after = end + dt.timedelta(days=1)
        if start.day == 1 and after.day == 1:  # whole months given by their dates: as many months before
            months = (after.year - start.year) * 12 + after.month - start.month
            return shift(start, Grain.MONTH, -months), start - dt.timedelta(days=1)
        days = end - start + dt.timedelta(days=1)
        return start - days, start - dt.timedelta(days=1)
    except (ValueError, OverflowError):
        raise TimeRangeError(
            f"compare: the period before {describe_time_range(tr)} ({start} to {end}) "
            "starts before the year 1"
        ) from None


def _calendar_step(tr: TimeRange) -> tuple[Grain | None, int]:
    """The calendar unit a range is made of and how many of them, or None for spans of days."""
    if tr.kind in ("month", "quarter", "year"):
        return Grain(tr.kind), 1
    if tr.kind in ("previous", "current"):
        return tr.unit or Grain.DAY, tr.n
    return None, 0


def _bounds(tr: TimeRange, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    if tr.kind == "between":
        start, end = tr.start, tr.end
    elif tr.kind == "since":
        start, end = tr.start, as_of
    elif tr.kind == "current":
        start, end = period_start(as_of, tr.unit or Grain.DAY), as_of
    elif tr.kind == "previous":
        unit = tr.unit or Grain.DAY
        current = period_start(as_of, unit)
        start = shift(current, unit, -(tr.n + tr.skip))
        end = shift(current, unit, -tr.skip) - dt.timedelta(days=1)
    elif tr.kind == "trailing":
        unit = tr.unit or Grain.DAY
        if unit in (Grain.DAY, Grain.WEEK):
            start = as_of - dt.timedelta(days=tr.n * (7 if unit == Grain.WEEK else 1) - 1)
        else:
            start = _months_back(as_of, tr.n * MONTHS_IN[unit])
        end = as_of
    elif tr.kind == "month":
        assert tr.month is not None
        year = tr.year if tr.year is not None else (as_of.year if tr.month <= as_of.month else as_of.year - 1)
        start = dt.date(year, tr.month, 1)
        end = shift(start, Grain.MONTH, 1) - dt.timedelta(days=1)
    elif tr.kind == "quarter":
        assert tr.quarter is not None
        first_month = 3 * (tr.quarter - 1) + 1
        year = (
            tr.year if tr.year is not None else (as_of.year if first_month <= as_of.month else as_of.year - 1)
        )
        start = dt.date(year, first_month, 1)
        end = shift(start, Grain.QUARTER, 1) - dt.timedelta(days=1)
    else:
        assert tr.year is not None
        start, end = dt.date(tr.year, 1, 1), dt.date(tr.year, 12, 31)
    return start, end


def _months_back(day: dt.date, months: int) -> dt.date:
    """The day after the same calendar day ``months`` earlier (clamped to month ends)."""
    return months_earlier(day, months) + dt.timedelta(days=1)


def months_earlier(day: dt.date, months: int) -> dt.date:
    """The same calendar day ``months`` earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    last = (shift(dt.date(year, month, 1), Grain.MONTH, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def describe_time_range(tr: TimeRange) -> str:
    """Plain words for the answer's "interpreted as" line."""
    unit = tr.unit.value if tr.unit else "day"
    if tr.kind == "between":
        if tr.start == MIN_DATE:  # "created before June 2025", "over a year ago": no start said
            return f"up to {tr.end}"
        return f"{tr.start} to {tr.end}"
    if tr.kind == "since":
        return f"since {tr.start}"
    if tr.kind == "current":
        return "today" if unit == "day" else f"this {unit} to date"
    if tr.kind == "previous" and tr.skip:
        if tr.n == 1 and tr.skip == 1:
            return "the day before yesterday" if unit == "day" else f"the {unit} before last"
        span = f"{tr.n} full {unit}s"
        return f"{span} ending {tr.skip + 1} {unit}s ago" if tr.n > 1 else f"{tr.skip + 1} {unit}s ago"
    if tr.kind == "previous":
        if unit == "day" and tr.n == 1:
            return "yesterday"
        return f"last {unit}" if tr.n == 1 else f"the last {tr.n} full {unit}s"
    if tr.kind == "trailing":
        return f"the last {tr.n} {unit}s"
    if tr.kind == "month":
        return _MONTH_NAMES[(tr.month or 1) - 1] + (f" {tr.year}" if tr.year else "")
    if tr.kind == "quarter":
        return f"Q{tr.quarter}" + (f" {tr.year}" if tr.year else "")
    return str(tr.year)
