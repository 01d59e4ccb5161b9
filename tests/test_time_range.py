"""Relative time ranges resolve to the calendar dates a person means, on awkward as-of dates too.

A wrong date range gives a plausible but wrong number, the worst kind of error for crq, so every kind
of range is pinned against as-of dates where off-by-one mistakes hide: month ends, a leap day, year
boundaries, Mondays and Sundays (weeks start on Monday). Expected dates are written out by hand.

Reference weekdays: 2024-02-29 Thu, 2024-03-31 Sun, 2025-12-31 Wed, 2026-01-01 Thu, 2026-03-31 Tue,
2026-06-15 Mon, 2026-06-17 Wed, 2026-06-21 Sun.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from compiler.time_range import describe_time_range, period_start, resolve_time_range, shift
from models.errors import TimeRangeError
from models.intent import Grain, TimeRange, parse_time_range

D = dt.date


def tr(spec: str | dict[str, Any]) -> TimeRange:
    return parse_time_range(spec) if isinstance(spec, str) else TimeRange.model_validate(spec)


# (as_of, range, first day, last day)
RESOLVED: list[tuple[dt.date, str | dict[str, Any], dt.date, dt.date]] = [
    # --- the product's as-of, a Wednesday in mid-June ---
    (D(2026, 6, 17), "today", D(2026, 6, 17), D(2026, 6, 17)),
    (D(2026, 6, 17), "yesterday", D(2026, 6, 16), D(2026, 6, 16)),
    (D(2026, 6, 17), "this week", D(2026, 6, 15), D(2026, 6, 17)),
    (D(2026, 6, 17), "last week", D(2026, 6, 8), D(2026, 6, 14)),
    (D(2026, 6, 17), "last 2 weeks", D(2026, 6, 1), D(2026, 6, 14)),
    (D(2026, 6, 17), "this month", D(2026, 6, 1), D(2026, 6, 17)),
    (D(2026, 6, 17), "last month", D(2026, 5, 1), D(2026, 5, 31)),
    (D(2026, 6, 17), "last 3 months", D(2026, 3, 1), D(2026, 5, 31)),
    (D(2026, 6, 17), "this quarter", D(2026, 4, 1), D(2026, 6, 17)),
    (D(2026, 6, 17), "last quarter", D(2026, 1, 1), D(2026, 3, 31)),
    (D(2026, 6, 17), "this year", D(2026, 1, 1), D(2026, 6, 17)),
    (D(2026, 6, 17), "last year", D(2025, 1, 1), D(2025, 12, 31)),
    (D(2026, 6, 17), "last 30 days", D(2026, 5, 19), D(2026, 6, 17)),
    (D(2026, 6, 17), "7 days", D(2026, 6, 11), D(2026, 6, 17)),
    (D(2026, 6, 17), {"kind": "previous", "unit": "day", "n": 7}, D(2026, 6, 10), D(2026, 6, 16)),
    (D(2026, 6, 17), {"kind": "trailing", "unit": "week", "n": 2}, D(2026, 6, 4), D(2026, 6, 17)),
    (D(2026, 6, 17), {"kind": "trailing", "unit": "month", "n": 1}, D(2026, 5, 18), D(2026, 6, 17)),
    (D(2026, 6, 17), {"kind": "trailing", "unit": "quarter", "n": 1}, D(2026, 3, 18), D(2026, 6, 17)),
    (D(2026, 6, 17), {"kind": "trailing", "unit": "year", "n": 1}, D(2025, 6, 18), D(2026, 6, 17)),
    (D(2026, 6, 17), "may", D(2026, 5, 1), D(2026, 5, 31)),
    (D(2026, 6, 17), "june", D(2026, 6, 1), D(2026, 6, 17)),
    (D(2026, 6, 17), "july", D(2025, 7, 1), D(2025, 7, 31)),
    (D(2026, 6, 17), "February 2024", D(2024, 2, 1), D(2024, 2, 29)),
    (D(2026, 6, 17), "Q2", D(2026, 4, 1), D(2026, 6, 17)),
    (D(2026, 6, 17), "Q3", D(2025, 7, 1), D(2025, 9, 30)),
    (D(2026, 6, 17), "Q4 2025", D(2025, 10, 1), D(2025, 12, 31)),
    (D(2026, 6, 17), "2025", D(2025, 1, 1), D(2025, 12, 31)),
    (D(2026, 6, 17), "2026", D(2026, 1, 1), D(2026, 6, 17)),
    (D(2026, 6, 17), "since 2026-02-01", D(2026, 2, 1), D(2026, 6, 17)),
    # an explicit range keeps its end even past as-of: it is what was asked
    (D(2026, 6, 17), "2026-06-01..2026-06-30", D(2026, 6, 1), D(2026, 6, 30)),
    # --- a leap day (Thursday) ---
    (D(2024, 2, 29), "this month", D(2024, 2, 1), D(2024, 2, 29)),
    (D(2024, 2, 29), "last month", D(2024, 1, 1), D(2024, 1, 31)),
    (D(2024, 2, 29), "this week", D(2024, 2, 26), D(2024, 2, 29)),
    (D(2024, 2, 29), "last 29 days", D(2024, 2, 1), D(2024, 2, 29)),
    (D(2024, 2, 29), {"kind": "trailing", "unit": "month", "n": 1}, D(2024, 1, 30), D(2024, 2, 29)),
    (D(2024, 2, 29), {"kind": "trailing", "unit": "year", "n": 1}, D(2023, 3, 1), D(2024, 2, 29)),
    (D(2024, 2, 29), "february", D(2024, 2, 1), D(2024, 2, 29)),
    (D(2024, 2, 29), "march", D(2023, 3, 1), D(2023, 3, 31)),
    (D(2024, 2, 29), "Q1", D(2024, 1, 1), D(2024, 2, 29)),
    (D(2025, 3, 1), "last month", D(2025, 2, 1), D(2025, 2, 28)),
    (D(2025, 2, 28), {"kind": "trailing", "unit": "year", "n": 1}, D(2024, 2, 29), D(2025, 2, 28)),
    # --- month end with a shorter previous month ---
    (D(2026, 3, 31), "last month", D(2026, 2, 1), D(2026, 2, 28)),
    (D(2026, 3, 31), {"kind": "trailing", "unit": "month", "n": 1}, D(2026, 3, 1), D(2026, 3, 31)),
    (D(2026, 3, 31), {"kind": "trailing", "unit": "month", "n": 2}, D(2026, 2, 1), D(2026, 3, 31)),
    (D(2026, 3, 31), "this quarter", D(2026, 1, 1), D(2026, 3, 31)),
    (D(2026, 3, 31), "last quarter", D(2025, 10, 1), D(2025, 12, 31)),
    # --- year end (Wednesday) and the day after (Thursday) ---
    (D(2025, 12, 31), "this week", D(2025, 12, 29), D(2025, 12, 31)),
    (D(2025, 12, 31), "last week", D(2025, 12, 22), D(2025, 12, 28)),
    (D(2025, 12, 31), "this quarter", D(2025, 10, 1), D(2025, 12, 31)),
    (D(2025, 12, 31), "last 2 quarters", D(2025, 4, 1), D(2025, 9, 30)),
    (D(2025, 12, 31), "this year", D(2025, 1, 1), D(2025, 12, 31)),
    (D(2025, 12, 31), "december", D(2025, 12, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "today", D(2026, 1, 1), D(2026, 1, 1)),
    (D(2026, 1, 1), "yesterday", D(2025, 12, 31), D(2025, 12, 31)),
    (D(2026, 1, 1), "this week", D(2025, 12, 29), D(2026, 1, 1)),
    (D(2026, 1, 1), "last week", D(2025, 12, 22), D(2025, 12, 28)),
    (D(2026, 1, 1), "last month", D(2025, 12, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "last 3 months", D(2025, 10, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "last quarter", D(2025, 10, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "last year", D(2025, 1, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "this year", D(2026, 1, 1), D(2026, 1, 1)),
    (D(2026, 1, 1), "december", D(2025, 12, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), "Q1", D(2026, 1, 1), D(2026, 1, 1)),
    (D(2026, 1, 1), "Q4", D(2025, 10, 1), D(2025, 12, 31)),
    (D(2026, 1, 1), {"kind": "trailing", "unit": "month", "n": 1}, D(2025, 12, 2), D(2026, 1, 1)),
    (D(2026, 1, 1), "last 10 days", D(2025, 12, 23), D(2026, 1, 1)),
    # --- a Monday: the week has just started ---
    (D(2026, 6, 15), "this week", D(2026, 6, 15), D(2026, 6, 15)),
    (D(2026, 6, 15), "last week", D(2026, 6, 8), D(2026, 6, 14)),
    (D(2026, 6, 15), {"kind": "previous", "unit": "week", "n": 3}, D(2026, 5, 25), D(2026, 6, 14)),
    # --- Sundays: the week is complete but still "this week" ---
    (D(2026, 6, 21), "this week", D(2026, 6, 15), D(2026, 6, 21)),
    (D(2026, 6, 21), "last week", D(2026, 6, 8), D(2026, 6, 14)),
    (D(2024, 3, 31), "this week", D(2024, 3, 25), D(2024, 3, 31)),
    (D(2024, 3, 31), "last 2 weeks", D(2024, 3, 11), D(2024, 3, 24)),
    (D(2024, 3, 31), "this month", D(2024, 3, 1), D(2024, 3, 31)),
    (D(2024, 3, 31), "last month", D(2024, 2, 1), D(2024, 2, 29)),
    # --- long spans ---
    (D(2026, 6, 17), {"kind": "previous", "unit": "month", "n": 18}, D(2024, 12, 1), D(2026, 5, 31)),
    (D(2026, 6, 17), {"kind": "previous", "unit": "year", "n": 1000}, D(1026, 1, 1), D(2025, 12, 31)),
]


@pytest.mark.parametrize(("as_of", "spec", "start", "end"), RESOLVED,
                         ids=[f"{a}-{s if isinstance(s, str) else '-'.join(map(str, s.values()))}"
                              for a, s, _, _ in RESOLVED])
def test_resolve(as_of: dt.date, spec: str | dict[str, Any], start: dt.date, end: dt.date) -> None:
    """Each relative range gives exactly the hand-computed inclusive dates."""
    assert resolve_time_range(tr(spec), as_of) == (start, end)


@pytest.mark.parametrize(
    ("as_of", "spec"),
    [
        (D(2026, 6, 17), "2027"),
        (D(2026, 6, 17), "since 2026-06-18"),
        (D(2026, 6, 17), "2026-07-01..2026-07-31"),
        (D(2026, 6, 17), "august 2026"),
        (D(2026, 6, 17), "Q3 2026"),
        (D(2025, 12, 31), "January 2026"),
        (D(2025, 12, 31), "2026"),
    ],
)
def test_future_ranges_are_refused(as_of: dt.date, spec: str) -> None:
    """A range that starts after as-of has no data yet; saying so beats answering zero."""
    with pytest.raises(TimeRangeError, match="after the as-of date"):
        resolve_time_range(tr(spec), as_of)


def test_ranges_never_end_after_as_of_except_explicit_ones() -> None:
    """Relative ranges are clipped to as-of, so "this year" never claims days that have not happened."""
    as_of = D(2026, 6, 17)
    for kind, extra in [("current", {"unit": u}) for u in Grain] + [("year", {"year": 2026}),
                                                                    ("quarter", {"quarter": 2}),
                                                                    ("month", {"month": 6})]:
        start, end = resolve_time_range(TimeRange.model_validate({"kind": kind, **extra}), as_of)
        assert start <= end == as_of, kind


# --- parsing ---------------------------------------------------------------------------------------


PHRASES: list[tuple[str, dict[str, Any]]] = [
    ("today", {"kind": "current", "unit": Grain.DAY}),
    ("yesterday", {"kind": "previous", "unit": Grain.DAY, "n": 1}),
    ("this week", {"kind": "current", "unit": Grain.WEEK}),
    ("current month", {"kind": "current", "unit": Grain.MONTH}),
    ("month to date", {"kind": "current", "unit": Grain.MONTH}),
    ("Year-To-Date", {"kind": "current", "unit": Grain.YEAR}),
    ("quarter to date", {"kind": "current", "unit": Grain.QUARTER}),
    ("last week", {"kind": "previous", "unit": Grain.WEEK, "n": 1}),
    ("previous quarter", {"kind": "previous", "unit": Grain.QUARTER, "n": 1}),
    ("past year", {"kind": "previous", "unit": Grain.YEAR, "n": 1}),
    ("last 30 days", {"kind": "trailing", "unit": Grain.DAY, "n": 30}),
    ("past 7 days", {"kind": "trailing", "unit": Grain.DAY, "n": 7}),
    ("trailing 90 days", {"kind": "trailing", "unit": Grain.DAY, "n": 90}),
    ("14 days", {"kind": "trailing", "unit": Grain.DAY, "n": 14}),
    ("last ten days", {"kind": "trailing", "unit": Grain.DAY, "n": 10}),
    ("a day", {"kind": "trailing", "unit": Grain.DAY, "n": 1}),
    ("last 3 months", {"kind": "previous", "unit": Grain.MONTH, "n": 3}),
    ("last two weeks", {"kind": "previous", "unit": Grain.WEEK, "n": 2}),
    ("past 2 quarters", {"kind": "previous", "unit": Grain.QUARTER, "n": 2}),
    ("12 months", {"kind": "previous", "unit": Grain.MONTH, "n": 12}),
    ("Q1", {"kind": "quarter", "quarter": 1, "year": None}),
    ("q4 2025", {"kind": "quarter", "quarter": 4, "year": 2025}),
    ("2025", {"kind": "year", "year": 2025}),
    ("May", {"kind": "month", "month": 5, "year": None}),
    ("May 2026", {"kind": "month", "month": 5, "year": 2026}),
    ("sept 2025", {"kind": "month", "month": 9, "year": 2025}),
    ("Dec, 2025", {"kind": "month", "month": 12, "year": 2025}),
    ("  LAST   MONTH ", {"kind": "previous", "unit": Grain.MONTH, "n": 1}),
    ("since 2026-02-01", {"kind": "since", "start": D(2026, 2, 1)}),
    ("between 2026-01-01 and 2026-01-31", {"kind": "between", "start": D(2026, 1, 1), "end": D(2026, 1, 31)}),
    ("from 2026-01-01 to 2026-01-31", {"kind": "between", "start": D(2026, 1, 1), "end": D(2026, 1, 31)}),
    ("from 2026-01-01 until 2026-01-31", {"kind": "between", "start": D(2026, 1, 1), "end": D(2026, 1, 31)}),
    ("2026-01-01..2026-01-31", {"kind": "between", "start": D(2026, 1, 1), "end": D(2026, 1, 31)}),
    ("2026-01-01 to 2026-01-31", {"kind": "between", "start": D(2026, 1, 1), "end": D(2026, 1, 31)}),
]


@pytest.mark.parametrize(("phrase", "expected"), PHRASES, ids=[p for p, _ in PHRASES])
def test_parse_time_range(phrase: str, expected: dict[str, Any]) -> None:
    """The shorthand phrases map to the structured range they name."""
    got = parse_time_range(phrase)
    for key, value in expected.items():
        assert getattr(got, key) == value, key
    assert got.dimension is None


@pytest.mark.parametrize("phrase", ["next week", "last fortnight", "recently", "Q5", "2026-01-01", "",
                                    "since yesterday", "last -3 days", "smarch 2026"])
def test_unreadable_phrases_raise_time_range_error(phrase: str) -> None:
    """Unknown wording is a TimeRangeError whose message shows phrases that work."""
    with pytest.raises(TimeRangeError, match="try 'last 30 days'"):
        parse_time_range(phrase)


@pytest.mark.parametrize("phrase", ["since 2026-02-30", "last 0 days", "2026-03-01..2026-02-01", "q1 1800",
                                    "last 1001 days"])
def test_readable_but_invalid_phrases_are_rejected(phrase: str) -> None:
    """Phrases that parse but name an impossible range are rejected, not silently adjusted.

    Callers (CLI, mappers) catch UserError, so it must be TimeRangeError, not a bare ValueError.
    """
    with pytest.raises(TimeRangeError):
        parse_time_range(phrase)


def test_time_range_fields_must_fit_kind() -> None:
    """A structured range missing what its kind needs is rejected at validation, with the field named."""
    with pytest.raises(ValidationError, match="needs unit"):
        TimeRange.model_validate({"kind": "previous"})
    with pytest.raises(ValidationError, match="needs start, end"):
        TimeRange.model_validate({"kind": "between"})
    with pytest.raises(ValidationError, match="starts after it ends"):
        TimeRange.model_validate({"kind": "between", "start": "2026-02-01", "end": "2026-01-01"})


# --- helpers and descriptions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "unit", "start"),
    [
        (D(2026, 6, 17), Grain.DAY, D(2026, 6, 17)),
        (D(2026, 6, 17), Grain.WEEK, D(2026, 6, 15)),
        (D(2026, 6, 15), Grain.WEEK, D(2026, 6, 15)),
        (D(2026, 6, 21), Grain.WEEK, D(2026, 6, 15)),
        (D(2026, 1, 1), Grain.WEEK, D(2025, 12, 29)),
        (D(2024, 2, 29), Grain.MONTH, D(2024, 2, 1)),
        (D(2026, 6, 17), Grain.QUARTER, D(2026, 4, 1)),
        (D(2026, 12, 31), Grain.QUARTER, D(2026, 10, 1)),
        (D(2026, 6, 17), Grain.YEAR, D(2026, 1, 1)),
    ],
)
def test_period_start(day: dt.date, unit: Grain, start: dt.date) -> None:
    """Periods are calendar aligned; weeks start on Monday (ISO), also across a year boundary."""
    assert period_start(day, unit) == start


@pytest.mark.parametrize(
    ("start", "unit", "n", "moved"),
    [
        (D(2026, 1, 1), Grain.MONTH, -1, D(2025, 12, 1)),
        (D(2026, 1, 1), Grain.MONTH, -13, D(2024, 12, 1)),
        (D(2026, 10, 1), Grain.QUARTER, 1, D(2027, 1, 1)),
        (D(2026, 1, 1), Grain.YEAR, -2, D(2024, 1, 1)),
        (D(2026, 6, 15), Grain.WEEK, -1, D(2026, 6, 8)),
        (D(2024, 3, 1), Grain.DAY, -1, D(2024, 2, 29)),
    ],
)
def test_shift(start: dt.date, unit: Grain, n: int, moved: dt.date) -> None:
    assert shift(start, unit, n) == moved


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("today", "today"),
        ("yesterday", "yesterday"),
        ("this month", "this month to date"),
        ("last month", "last month"),
        ("last 3 months", "the last 3 full months"),
        ("last 30 days", "the last 30 days"),
        ("May 2026", "May 2026"),
        ("Q1", "Q1"),
        ("2025", "2025"),
        ("since 2026-02-01", "since 2026-02-01"),
        ("2026-01-01..2026-01-31", "2026-01-01 to 2026-01-31"),
    ],
)
def test_describe_time_range(spec: str, words: str) -> None:
    """The "interpreted as" line tells the user which reading was taken (full months vs trailing days)."""
    assert describe_time_range(parse_time_range(spec)) == words


# --- periods that skip the latest ones ("the week before last", "two months ago") -------------------------

SKIPPED: list[tuple[dt.date, str | dict[str, Any], dt.date, dt.date, str]] = [
    (D(2026, 6, 17), "week before last", D(2026, 6, 1), D(2026, 6, 7), "the week before last"),
    (D(2026, 6, 15), "the week before last", D(2026, 6, 1), D(2026, 6, 7), "the week before last"),  # a Monday
    (D(2026, 6, 17), "the day before yesterday", D(2026, 6, 15), D(2026, 6, 15), "the day before yesterday"),
    (D(2026, 3, 1), "the day before yesterday", D(2026, 2, 27), D(2026, 2, 27), "the day before yesterday"),
    (D(2026, 3, 31), "2 months ago", D(2026, 1, 1), D(2026, 1, 31), "the month before last"),
    (D(2026, 1, 10), "3 months ago", D(2025, 10, 1), D(2025, 10, 31), "3 months ago"),
    (D(2026, 6, 17), "3 days ago", D(2026, 6, 14), D(2026, 6, 14), "3 days ago"),
    (D(2026, 2, 1), "two quarters ago", D(2025, 7, 1), D(2025, 9, 30), "the quarter before last"),
    (D(2026, 6, 17), {"kind": "previous", "unit": "month", "n": 2, "skip": 1}, D(2026, 3, 1), D(2026, 4, 30),
     "2 full months ending 2 months ago"),
]


@pytest.mark.parametrize(("as_of", "spec", "start", "end", "words"), SKIPPED, ids=[str(s[1]) for s in SKIPPED])
def test_skipped_periods(as_of: dt.date, spec: str | dict[str, Any], start: dt.date, end: dt.date,
                         words: str) -> None:
    t = tr(spec)
    assert resolve_time_range(t, as_of) == (start, end)
    assert describe_time_range(t) == words


def test_skip_applies_only_to_previous_periods() -> None:
    with pytest.raises(ValidationError, match="skip applies only"):
        TimeRange(kind="current", unit=Grain.WEEK, skip=1)


@pytest.mark.parametrize(
    ("as_of", "saturday"),
    [
        (dt.date(2026, 6, 15), dt.date(2026, 6, 13)),  # Monday: the weekend just over
        (dt.date(2026, 6, 17), dt.date(2026, 6, 13)),  # Wednesday
        (dt.date(2026, 6, 19), dt.date(2026, 6, 13)),  # Friday
        (dt.date(2026, 6, 20), dt.date(2026, 6, 13)),  # Saturday: this weekend is not over
        (dt.date(2026, 6, 21), dt.date(2026, 6, 13)),  # Sunday: nor is it on its last day
    ],
)
@pytest.mark.parametrize("words", ["last weekend", "over the weekend", "the past weekend"])
def test_the_weekend_is_the_latest_saturday_and_sunday_wholly_before_as_of(
    as_of: dt.date, saturday: dt.date, words: str
) -> None:
    from runtime.mappers.time_phrases import find_time_phrases

    (phrase,) = find_time_phrases(f"cost {words}", as_of, lambda a, b: False)
    assert phrase.time_range == TimeRange(kind="between", start=saturday, end=saturday + dt.timedelta(days=1))
