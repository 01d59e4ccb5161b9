"""Find time ranges ("last month", "since February", "Q1 2026") and grains ("monthly", "trend") in text.

Relative phrases become relative TimeRange kinds that the compiler resolves against the as-of date;
only dates the user spelled out are turned into calendar dates here. A month or day written without a
year ("since February", "from May 3") needs a year, which is the latest one not after ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from compiler.time_range import MONTHS_IN, months_earlier, resolve_time_range, shift
from models.intent import MIN_DATE, MONTHS, Grain, TimeRange
from runtime.mappers.english import NUMBER_WORDS

_UNIT = {
    "day": Grain.DAY,
    "week": Grain.WEEK,
    "month": Grain.MONTH,
    "quarter": Grain.QUARTER,
    "year": Grain.YEAR,
}
_ORDINAL = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
}
_EARLIEST = MIN_DATE

# Parts of a period ("the first ten days of April", "the second half of March", "the last week of
# May"): where a part is counted from, and how many days one unit of a part is. A week of a month is
# seven days counted from its first (or, from the end, its last) day, not a calendar week.
_PART_FROM_START = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "opening": 1,
    "initial": 1,
    "early": 1,
}
_PART_FROM_END = frozenset({"last", "final", "closing", "late"})
_PART_DAYS = {"day": 1, "week": 7}
_PERIOD_UNITS = {
    "this": "current",
    "current": "current",
    "last": "previous",
    "previous": "previous",
    "past": "previous",
}

_B = r"(?:^|(?<= ))"  # token boundaries in the space-joined text
_E = r"(?= |$)"
_MON = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"  # noqa: E501
_NUM = (
    r"(?:\d{1,4}|" + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True)) + ")"
)
_UNITS = r"(day|week|month|quarter|year)s?"
_IN = r"(?:(?:in|during|for|over|within|from|of|throughout|on|at|across) )?(?:the )?"
_YEAR = r"(?:19|20|21)\d\d"
_ORDINALS = "first|second|third|fourth|1st|2nd|3rd|4th"
_RELATIVE_YEAR = "last|previous|this|current"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}|{_MON} {_DAY}(?: {_YEAR})?|"
    rf"(?:the )?{_DAY} (?:of )?{_MON}(?: {_YEAR})?)"
)
_MONTH_YEAR = rf"(?:{_MON}(?: (?:of )?{_YEAR})?|{_YEAR}-\d{{2}})"
_TO = r"(?:and|to|until|till|through|thru|-|\.\.)"


@dataclass(frozen=True)
class TimePhrase:
    """A stretch of text (character offsets in the joined text) and what it says about time."""

    start: int
    end: int
    time_range: TimeRange | None = None
    grain: Grain | None = None
    auto_grain: bool = False  # "trend", "over time": a series at a grain that suits the range
    all_time: bool = False
    before_previous: Grain | None = None  # "the day before that": one <unit> before the previous range
    before_n: int = 1  # "the 30 days before that": how many of them
    period_before: bool = False  # "the one before that": the previous range's own period, one earlier
    periods: tuple[TimeRange, TimeRange] | None = None  # "from March to April": each named period
    to_date: bool = False  # "month to date", "ytd": a period up to today
    over_period: bool = False  # "week over week": each period against the one before


def _num(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def _latest_year(month: int, day: int, as_of: dt.date) -> int:
    return as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1


def _parse_date(text: str, as_of: dt.date) -> dt.date | None:
    s = text.strip().removeprefix("the ")
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s):
            a, b = int(m[1]), int(m[2])
            month, day = (a, b) if a <= 12 else (b, a)  # month first unless that cannot be
            return dt.date(int(m[3]), month, day)
        if m := re.fullmatch(rf"({_MON}) (\d{{1,2}})(?:st|nd|rd|th)?(?: ({_YEAR}))?", s):
            month, day = MONTHS[m[1]], int(m[2])
            return dt.date(int(m[3]) if m[3] else _latest_year(month, day, as_of), month, day)
        if m := re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MON})(?: ({_YEAR}))?", s):
            month, day = MONTHS[m[2]], int(m[1])
            return dt.date(int(m[3]) if m[3] else _latest_year(month, day, as_of), month, day)
    except ValueError:
        return None
    return None


def _month_span(text: str, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    s = text.strip()
    if m := re.fullmatch(rf"({_YEAR})-(\d{{2}})", s):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            return None
    elif m := re.fullmatch(rf"({_MON})(?: (?:of )?({_YEAR}))?", s):
        month = MONTHS[m[1]]
        year = int(m[2]) if m[2] else _latest_year(month, 1, as_of)
    else:
        return None
    start = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def _period_span(m: re.Match[str], as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    """The whole calendar period a part is taken of: a month (and year), this or last month, quarter
    or year, a quarter (and year), a year; groups 4-10 of the part-of-period rule."""
    if m[4]:
        return _month_span(m[4] + (f" {m[5]}" if m[5] else ""), as_of)
    if m[6]:
        unit = Grain(m[7])
        start, _ = resolve_time_range(TimeRange(kind=_PERIOD_UNITS[m[6]], unit=unit), as_of)  # type: ignore[arg-type]
    elif m[8]:
        start, _ = resolve_time_range(
            TimeRange(kind="quarter", quarter=int(m[8]), year=int(m[9]) if m[9] else None), as_of
        )
        unit = Grain.QUARTER
    else:
        start, unit = dt.date(int(m[10]), 1, 1), Grain.YEAR
    return start, shift(start, unit, 1) - dt.timedelta(days=1)


def _units_before(as_of: dt.date, n: int, unit: Grain) -> dt.date:
    """The day ``n`` units before ``as_of`` ("3 weeks ago", "over a year ago")."""
    if unit in (Grain.DAY, Grain.WEEK):
        return as_of - dt.timedelta(days=n * (7 if unit == Grain.WEEK else 1))
    return months_earlier(as_of, n * MONTHS_IN[unit])


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = "|".join(_WEEKDAYS)


def _latest_weekday(name: str, as_of: dt.date) -> dt.date:
    """The latest day with that name on or before ``as_of``."""
    return as_of - dt.timedelta(days=(as_of.weekday() - _WEEKDAYS.index(name)) % 7)


def _between(a: dt.date | None, b: dt.date | None) -> TimeRange | None:
    if a is None or b is None or a > b:
        return None
    return TimeRange(kind="between", start=a, end=b)


Builder = Callable[[re.Match[str], dt.date], TimePhrase | TimeRange | None]


def _rules() -> list[tuple[re.Pattern[str], Builder]]:
    rules: list[tuple[str, Builder]] = []

    def rule(pattern: str) -> Callable[[Builder], Builder]:
        def add(fn: Builder) -> Builder:
            rules.append((pattern, fn))
            return fn

        return add

    @rule(rf"(?:(?:between|from) )?(?:the )?({_DAY}) {_TO} (?:the )?({_DAY}) (?:of )?({_MON})(?: ({_YEAR}))?")
    @rule(rf"(?:(?:between|from) )?(?:the )?(\d{{1,2}})-(\d{{1,2}}) (?:of )?({_MON})(?: ({_YEAR}))?")
    @rule(rf"(?:(?:between|from) )?({_MON}) ({_DAY}) {_TO} (?:the )?({_DAY})(?: ({_YEAR}))?")
    def _days_of_month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "between 1 and 15 March 2026", "1-15 March", "March 1 to 15": days of one month."""
        month_first = not m[1][0].isdigit()
        mon, a, b = (m[1], m[2], m[3]) if month_first else (m[3], m[1], m[2])
        year = m[4]
        first = _parse_date(f"{mon} {a}" + (f" {year}" if year else ""), as_of)
        if first is None:
            return None
        try:
            last = first.replace(day=int(re.sub(r"\D", "", b)))
        except ValueError:
            return None
        return _between(first, last)

    @rule(
        rf"(?:(?:between|from) )?(?:the )?({_DAY}) {_TO} (?:the )?({_DAY}) of (?:the )?"
        r"(this|current|last|previous|past) month"
    )
    def _days_of_named_month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "from the 10th to the 20th of last month": days of the month said by its place."""
        start, _ = resolve_time_range(TimeRange(kind=_PERIOD_UNITS[m[3]], unit=Grain.MONTH), as_of)  # type: ignore[arg-type]
        try:
            return _between(*(start.replace(day=int(re.sub(r"\D", "", d))) for d in (m[1], m[2])))
        except ValueError:
            return None

    part = "|".join(sorted((*_PART_FROM_START, *_PART_FROM_END), key=len, reverse=True))
    period = (
        rf"(?:({_MON})(?: (?:of )?({_YEAR}))?|(this|current|last|previous|past) (month|quarter|year)"
        rf"|q([1-4])(?: (?:of )?({_YEAR}))?|({_YEAR}))"
    )

    @rule(rf"{_IN}(?:very )?({part})(?: ({_NUM}))? (day|week|half)s? of (?:the )?{period}")
    def _part_of_period(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "the first ten days of April", "the second half of March", "the last 2 weeks of May"."""
        span = _period_span(m, as_of)
        if span is None:
            return None
        start, end = span
        days = (end - start).days + 1
        which, n, unit = m[1], _num(m[2]) if m[2] else 1, m[3]
        if unit == "half":
            if m[2] or which not in ("first", "1st", "second", "2nd", "last", "final"):
                return None
            months = (end.year - start.year) * 12 + end.month - start.month + 1
            mid = start + dt.timedelta(days=days // 2)
            if months % 2 == 0:  # a year: whole months (a month or a quarter: days)
                mid = shift(start, Grain.MONTH, months // 2)
            first = which in ("first", "1st")
            return _between(start, mid - dt.timedelta(days=1)) if first else _between(mid, end)
        length = n * _PART_DAYS[unit]
        if length > days:
            return None
        if which in _PART_FROM_END:
            return _between(end - dt.timedelta(days=length - 1), end)
        nth = _PART_FROM_START[which]
        if m[2] and nth != 1:  # "the second ten days": not a way to say it
            return None
        first_day = start + dt.timedelta(days=(nth - 1) * length)
        last_day = first_day + dt.timedelta(days=length - 1)
        return _between(first_day, last_day) if last_day <= end else None

    @rule(
        rf"(?:(?:between|from) )?(?:(?:the )?(?:start|beginning) of ({_MONTH_YEAR})|({_DATE})) {_TO} "
        rf"(?:the )?end of ({_MONTH_YEAR})"
    )
    @rule(rf"(?:between|from) (?:the )?(?:start|beginning) of ({_MONTH_YEAR}) {_TO} ({_DATE})()")
    def _to_the_end_of(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "from Feb 1 through the end of April", "from the start of March to the end of April",
        "from the beginning of March to April 10": a day or a month's first day, to a month's last
        day or a day. (It read two ranges: "from Feb 1" and "through the end of April".)"""
        first_month = _month_span(m[1], as_of) if m[1] else None
        first = first_month[0] if first_month else _parse_date(m[2], as_of)
        if m.lastindex == 3 and m[3]:
            last_month = _month_span(m[3], as_of)
            last = last_month[1] if last_month else None
        else:
            last = _parse_date(m[2], as_of) if first_month else None
        if first is not None and last is not None and first > last and not re.search(_YEAR, m[0]):
            first = first.replace(year=first.year - 1)  # "from November to the end of February"
        return _between(first, last)

    @rule(rf"(?:between|from) ({_DATE}) {_TO} ({_DATE})")
    @rule(rf"({_DATE}) (?:to|until|till|through|thru|-|\.\.) ({_DATE})")
    def _date_range(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        return _between(_parse_date(m[1], as_of), _parse_date(m[2], as_of))

    @rule(r"(\d{4}-\d{1,2}-\d{1,2})\.\.(\d{4}-\d{1,2}-\d{1,2})")
    def _dotted(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        return _between(_parse_date(m[1], as_of), _parse_date(m[2], as_of))

    @rule(rf"(?:between|from) ({_MONTH_YEAR}) {_TO} ({_MONTH_YEAR})")
    @rule(rf"({_MONTH_YEAR}) (?:to|until|till|through|thru|-) ({_MONTH_YEAR})")
    def _month_range(m: re.Match[str], as_of: dt.date) -> TimePhrase | None:
        a, b = _month_span(m[1], as_of), _month_span(m[2], as_of)
        if a and b and a[0] > b[0] and not re.search(_YEAR, m[1]):
            a = (a[0].replace(year=a[0].year - 1), a[1].replace(year=a[1].year - 1))
        whole = _between(a[0], b[1]) if a and b else None
        if whole is None or a is None or b is None:
            return None
        months = tuple(TimeRange(kind="month", month=x[0].month, year=x[0].year) for x in (a, b))
        return TimePhrase(m.start(), m.end(), time_range=whole, periods=months)  # type: ignore[arg-type]

    @rule(
        r"(?:since|after|on or after|no earlier than|not before|starting|starting from|starting on|beginning|"
        rf"from) ({_DATE})"
    )
    def _since_date(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        d = _parse_date(m[1], as_of)
        if d is None:
            return None
        if m[0].startswith("after"):
            d += dt.timedelta(days=1)
        return TimeRange(kind="since", start=d)

    @rule(
        r"(?:before|until|till|up to|prior to|through|as of|on or before|no later than|not after|by) "
        rf"({_DATE})"
    )
    def _until_date(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        d = _parse_date(m[1], as_of)
        if d is None:
            return None
        # "until March 31", "through", "up to", "on or before", "by": the day itself counts; "before",
        # "prior to": it does not
        inclusive = m[0].startswith(
            ("up", "through", "until", "till", "as of", "on or", "no later", "not after", "by")
        )
        return _between(_EARLIEST, d - dt.timedelta(days=0 if inclusive else 1))

    @rule(rf"(?:before|until|till|prior to) ({_MONTH_YEAR})")
    def _until_month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        span = _month_span(m[1], as_of)
        return _between(_EARLIEST, span[0] - dt.timedelta(days=1)) if span else None

    @rule(rf"(?:through|thru|up to and including|up to) (?:the end of )?({_MONTH_YEAR})")
    def _through_month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "spend through May": every day up to the month's last, the month included."""
        span = _month_span(m[1], as_of)
        return _between(_EARLIEST, span[1]) if span else None

    @rule(rf"(?:in |during |for )?(?:the )?week (of|starting|beginning|starting on|beginning on) ({_DATE})")
    def _week_of(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "the week of June 3": its Monday-to-Sunday week; "the week starting June 3": seven days
        from that day."""
        d = _parse_date(m[2], as_of)
        if d is None:
            return None
        first = d if m[1] != "of" else d - dt.timedelta(days=d.weekday())
        return _between(first, first + dt.timedelta(days=6))

    @rule(rf"(?:since|from) (?:the )?(?:start|beginning) of ({_MONTH_YEAR})")
    @rule(rf"(?:since|after|starting|starting from|starting in|beginning|beginning of|from) ({_MONTH_YEAR})")
    def _since_month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        span = _month_span(m[1], as_of)
        if span is None:
            return None
        start = span[1] + dt.timedelta(days=1) if m[0].startswith("after") else span[0]
        return TimeRange(kind="since", start=start)

    @rule(rf"(?:before|prior to|until) ({_YEAR})")
    def _before_year(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        return _between(_EARLIEST, dt.date(int(m[1]) - 1, 12, 31))

    @rule(rf"(?:since|from|starting|starting in|after) ({_YEAR})")
    def _since_year(m: re.Match[str], as_of: dt.date) -> TimeRange:
        year = int(m[1]) + (1 if m[0].startswith("after") else 0)
        return TimeRange(kind="since", start=dt.date(year, 1, 1))

    @rule(rf"{_IN}(?:on )?({_DATE})")
    def _one_day(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        d = _parse_date(m[1], as_of)
        return _between(d, d)

    @rule(rf"{_IN}(?:(?:last|past|previous|prior|trailing|recent) )({_NUM}) {_UNITS}")
    @rule(rf"{_IN}({_NUM}) {_UNITS} (?:back|prior)")
    def _last_n(m: re.Match[str], as_of: dt.date) -> TimeRange:
        n, unit = _num(m[1]), _UNIT[m[2]]
        if unit == Grain.DAY or "trailing" in m[0]:
            return TimeRange(kind="trailing", unit=unit, n=n)
        return TimeRange(kind="previous", unit=unit, n=n)

    @rule(rf"{_IN}(?:last|past|previous|prior|trailing) ({_NUM}) hours?")
    def _hours(m: re.Match[str], as_of: dt.date) -> TimeRange:
        return TimeRange(kind="trailing", unit=Grain.DAY, n=max(1, -(-_num(m[1]) // 24)))

    @rule(rf"{_IN}(?:last|past|previous|prior) fortnight")
    def _fortnight(m: re.Match[str], as_of: dt.date) -> TimeRange:
        """ "the last fortnight": the last two full weeks, as "the past two weeks" is."""
        return TimeRange(kind="previous", unit=Grain.WEEK, n=2)

    @rule(rf"{_IN}(?:last|past|previous|prior|most recent) weekend")
    @rule(r"(?:over|on|during|at) the weekend")
    def _weekend(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "last weekend", "over the weekend": the latest Saturday and Sunday wholly before as-of (on
        a weekend day, the one before: this one is not over)."""
        saturday = as_of - dt.timedelta(days=(as_of.weekday() - 5) % 7 or 7)
        if saturday + dt.timedelta(days=1) >= as_of:
            saturday -= dt.timedelta(days=7)
        return _between(saturday, saturday + dt.timedelta(days=1))

    @rule(rf"{_IN}(?:last|past|previous|prior) (week|month|quarter|year)")
    def _last_unit(m: re.Match[str], as_of: dt.date) -> TimeRange:
        return TimeRange(kind="previous", unit=_UNIT[m[1]])

    @rule(rf"{_IN}(?:(?:this|current|present) )(week|month|quarter|year)(?: so far| to date)?")
    @rule(r"(?:so far )?(?:this|in the current) (week|month|quarter|year)(?: so far)?")
    @rule(rf"{_IN}(week|month|quarter|year)[ -]to[ -]date")
    def _this_unit(m: re.Match[str], as_of: dt.date) -> TimePhrase:
        said_to_date = "to date" in m[0] or "to-date" in m[0]
        return TimePhrase(
            m.start(), m.end(), time_range=TimeRange(kind="current", unit=_UNIT[m[1]]), to_date=said_to_date
        )

    @rule(r"(wtd|mtd|qtd|ytd)")
    def _to_date(m: re.Match[str], as_of: dt.date) -> TimePhrase:
        unit = {"w": Grain.WEEK, "m": Grain.MONTH, "q": Grain.QUARTER, "y": Grain.YEAR}[m[1][0]]
        return TimePhrase(m.start(), m.end(), time_range=TimeRange(kind="current", unit=unit), to_date=True)

    @rule(r"(?:so far )?today(?: so far)?")
    def _today(m: re.Match[str], as_of: dt.date) -> TimeRange:
        return TimeRange(kind="current", unit=Grain.DAY)

    @rule(rf"since (?:this )?({_WEEKDAY})\b(?!s)")
    def _since_weekday(m: re.Match[str], as_of: dt.date) -> TimeRange:
        """ "new resources since monday": from the latest such day up to today ("last monday" is left
        asked back: this week's or the week before's?)."""
        return TimeRange(kind="since", start=_latest_weekday(m[1], as_of))

    @rule(rf"on (?:this )?({_WEEKDAY})\b(?!s)")
    def _on_weekday(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "cost on tuesday": the latest such day, today included."""
        day = _latest_weekday(m[1], as_of)
        return _between(day, day)

    @rule(r"yesterday")
    def _yesterday(m: re.Match[str], as_of: dt.date) -> TimeRange:
        return TimeRange(kind="previous", unit=Grain.DAY)

    @rule(rf"{_IN}q([1-4])(?: (?:of )?({_YEAR}))?")
    @rule(rf"{_IN}({_YEAR}) q([1-4])")
    @rule(rf"{_IN}(first|second|third|fourth|1st|2nd|3rd|4th) (?:fiscal )?quarter(?: (?:of )?({_YEAR}))?")
    def _quarter(m: re.Match[str], as_of: dt.date) -> TimeRange:
        a, b = m[1], m[2]
        if a and re.fullmatch(_YEAR, a):
            a, b = b, a
        q = int(a) if a.isdigit() else _ORDINAL[a]
        return TimeRange(kind="quarter", quarter=q, year=int(b) if b else None)

    @rule(rf"{_IN}(?:q([1-4])|({_ORDINALS}) (?:fiscal )?quarter) (?:of )?(?:the )?({_RELATIVE_YEAR}) year")
    def _quarter_of_year(m: re.Match[str], as_of: dt.date) -> TimeRange:
        """ "Q4 last year", "the first quarter of this year": a quarter of the year named by its place."""
        q = int(m[1]) if m[1] else _ORDINAL[m[2]]
        return TimeRange(kind="quarter", quarter=q, year=as_of.year - (m[3] in ("last", "previous")))

    @rule(rf"{_IN}({_MON}) (?:of )?(?:the )?({_RELATIVE_YEAR}) year")
    def _month_of_year(m: re.Match[str], as_of: dt.date) -> TimeRange:
        """ "december last year", "may of this year": a month of the year named by its place."""
        return TimeRange(kind="month", month=MONTHS[m[1]], year=as_of.year - (m[2] in ("last", "previous")))

    @rule(
        rf"{_IN}(?:(first|second|1st|2nd) half|h([12]))"
        rf"(?: (?:of )?({_YEAR})| of (?:the |this )?(?:(last|previous) )?year)?"
    )
    def _half(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        half = 1 if (m[1] or "").startswith(("first", "1")) or m[2] == "1" else 2
        year = int(m[3]) if m[3] else (as_of.year if half == 1 or as_of.month > 6 else as_of.year - 1)
        if m[4]:  # "of last year"
            year = as_of.year - 1
        if half == 1:
            return _between(dt.date(year, 1, 1), dt.date(year, 6, 30))
        return _between(dt.date(year, 7, 1), dt.date(year, 12, 31))

    @rule(rf"{_IN}({_MON}) (?:and|&|\+) ({_MON})(?: (?:of )?({_YEAR}))?")
    def _two_months(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        a, b = MONTHS[m[1]], MONTHS[m[2]]
        if b != a + 1:
            return None  # not one stretch of time: left for the user to split
        year = int(m[3]) if m[3] else _latest_year(b, 1, as_of)
        end = dt.date(year + (b == 12), b % 12 + 1, 1) - dt.timedelta(days=1)
        return _between(dt.date(year, a, 1), end)

    @rule(r"(?:since|from) (?:the )?(?:start|beginning) of (?:the |this )?(week|month|quarter|year)")
    def _since_start(m: re.Match[str], as_of: dt.date) -> TimeRange:
        return TimeRange(kind="current", unit=_UNIT[m[1]])

    @rule(rf"{_IN}(?:({_YEAR})-(\d{{1,2}})|(\d{{1,2}})/({_YEAR}))")
    def _numeric_month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        year, month = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
        return TimeRange(kind="month", month=month, year=year) if 1 <= month <= 12 else None

    versus = r"(?:compared (?:with|to)|vs\.?|versus|against|and)"

    @rule(
        rf"(?:(?:in|for|during) )?(?:the )?(?:last|previous|past) (day|week|month|quarter|year) {versus} "
        r"(?:the )?(?:one|day|week|month|quarter|year) (?:before|prior)(?: (?:that|it))?"
    )
    def _last_vs_before(m: re.Match[str], as_of: dt.date) -> TimePhrase:
        """ "last month compared with the month before": both periods, side by side."""
        unit = _UNIT[m[1]]
        return TimePhrase(
            m.start(), m.end(), time_range=TimeRange(kind="previous", unit=unit, n=2), grain=unit
        )

    @rule(
        rf"(?:(?:in|for|during) )?this (week|month|quarter|year) {versus} (?:the )?(?:last|previous) "
        r"(week|month|quarter|year)"
    )
    def _this_vs_last(m: re.Match[str], as_of: dt.date) -> TimePhrase | None:
        """ "this month vs last month": last month and this one to date, side by side."""
        if m[1] != m[2]:
            return None
        unit = _UNIT[m[1]]
        start, _ = resolve_time_range(TimeRange(kind="previous", unit=unit), as_of)
        return TimePhrase(m.start(), m.end(), time_range=TimeRange(kind="since", start=start), grain=unit)

    @rule(r"(?:(?:on|in|during|for|over) )?(?:the )?(day|week|month|quarter|year) before (last|yesterday)")
    def _before_last(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "the week before last", "the day before yesterday": one period, skipping the latest."""
        if (m[2] == "yesterday") != (m[1] == "day"):
            return None
        return TimeRange(kind="previous", unit=_UNIT[m[1]], skip=1)

    @rule(rf"(over|more than|longer than|at least|upwards of) ({_NUM}) {_UNITS} ago")
    def _longer_ago(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "created over a year ago", "at least 90 days ago": everything before that day (before it, or
        on it too for "at least"), not the calendar period "a year ago" names."""
        day = _units_before(as_of, _num(m[2]), _UNIT[m[3]])
        end = day if m[1] in ("at least", "upwards of") else day - dt.timedelta(days=1)
        return _between(_EARLIEST, end) if end >= _EARLIEST else None

    @rule(rf"since ({_NUM}) {_UNITS} ago")
    def _since_ago(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        start = _units_before(as_of, _num(m[1]), _UNIT[m[2]])
        return TimeRange(kind="since", start=start) if start >= _EARLIEST else None

    @rule(rf"{_IN}({_NUM}) {_UNITS} ago")
    def _ago(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        """ "two weeks ago": the calendar week two weeks back (as "last week" is the one before this)."""
        n = _num(m[1])
        return TimeRange(kind="previous", unit=_UNIT[m[2]], skip=n - 1) if n >= 1 else None

    @rule(rf"{_IN}(?:(?:last|this past|past|previous) )?({_MON})(?: (?:of )?({_YEAR}))?")
    def _month(m: re.Match[str], as_of: dt.date) -> TimeRange | None:
        bare = m[0].strip()
        if m[1] == "may" and not m[2] and bare == "may" and not _month_may(m):
            return None  # "may" alone is a verb more often than a month
        if m[1] in ("mar", "jun", "dec", "jan", "oct", "nov", "aug", "sep", "apr", "jul", "feb") and not (
            m[2] or bare != m[1]
        ):
            return None
        return TimeRange(kind="month", month=MONTHS[m[1]], year=int(m[2]) if m[2] else None)

    @rule(rf"{_IN}(?:the years? )?({_YEAR}) (?:and|to|through|thru|until|-|&) ({_YEAR})")
    def _years(m: re.Match[str], as_of: dt.date) -> TimePhrase | None:
        """ "2025 and 2026", "2024 to 2026": whole years, the first through the last; each year named
        is a period of its own, for "change from 2025 to 2026" (as "from March to April" is)."""
        a, b = int(m[1]), int(m[2])
        whole = _between(dt.date(a, 1, 1), dt.date(b, 12, 31)) if a < b else None
        if whole is None:
            return None
        years = (TimeRange(kind="year", year=a), TimeRange(kind="year", year=b))
        return TimePhrase(m.start(), m.end(), time_range=whole, periods=years)

    @rule(rf"(?:in|during|for|of|throughout|within|calendar year|year|fy|the year) ({_YEAR})")
    @rule(rf"({_YEAR})$")
    def _year(m: re.Match[str], as_of: dt.date) -> TimeRange:
        return TimeRange(kind="year", year=int(m[1]))

    return [(re.compile(_B + p + _E), fn) for p, fn in rules]


def _grain_rules() -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], TimePhrase]]]:
    out: list[tuple[str, Callable[[re.Match[str]], TimePhrase]]] = []
    adjectives = {
        "daily": Grain.DAY,
        "weekly": Grain.WEEK,
        "monthly": Grain.MONTH,
        "quarterly": Grain.QUARTER,
        "yearly": Grain.YEAR,
        "annual": Grain.YEAR,
        "annually": Grain.YEAR,
        "nightly": Grain.DAY,
    }
    short = {"dod": Grain.DAY, "wow": Grain.WEEK, "mom": Grain.MONTH, "qoq": Grain.QUARTER, "yoy": Grain.YEAR}
    out.append(
        (
            r"(?:on )?(?:an? )?(daily|weekly|monthly|quarterly|yearly|annual|annually|nightly)(?: basis)?",
            lambda m: TimePhrase(m.start(), m.end(), grain=adjectives[m[1]]),
        )
    )
    out.append(
        (
            # "month over month", "week on week", "day by day": the same unit twice ("this year by
            # month" is a range and a grain, not a yearly series)
            r"(day|week|month|quarter|year)(?: |-)(?:over|on|by|to)(?: |-)(?:the )?\1",
            lambda m: TimePhrase(m.start(), m.end(), grain=_UNIT[m[1]], over_period=True),
        )
    )
    out.append(
        (
            r"(?:by|per|each|every|a|for each|for every|in each|broken down by|split by|grouped by|group by)"
            r" (?:the |calendar )?(day|week|month|quarter|year)",
            lambda m: TimePhrase(m.start(), m.end(), grain=_UNIT[m[1]]),
        )
    )
    out.append(
        (
            r"(?:(?:and|what about|how about|for|on|in) )?(?:the )?(day|week|month|quarter|year) "
            r"(?:before(?: (?:that|then|it))?|prior to (?:that|then|it))",
            lambda m: TimePhrase(m.start(), m.end(), before_previous=_UNIT[m[1]]),
        )
    )
    out.append(
        (  # "the 30 days before that", "the 2 weeks prior": that many <units> just before the previous range
            rf"(?:(?:and|what about|how about|for|on|in) )?(?:the )?({_NUM}) (day|week|month|quarter|year)s "
            r"(?:before (?:that|then|it)|prior to (?:that|then|it)|prior)",
            lambda m: TimePhrase(m.start(), m.end(), before_previous=_UNIT[m[2]], before_n=_num(m[1])),
        )
    )
    out.append(
        (  # "the one before that", "the period before": as long as the previous range, just before it
            r"(?:(?:and|what about|how about|for|on|in) )?(?:the )?(?:(?:one|period|time|span|stretch) "
            r"(?:before(?: (?:that|then|it))?|prior to (?:that|then|it))"
            r"|(?:previous|prior|preceding) (?:one|period))",
            lambda m: TimePhrase(m.start(), m.end(), period_before=True),
        )
    )
    out.append(
        (  # "in each of the last 3 months": a series; the range itself is read on its own
            r"(?:in |for |over )?(?:each|every one)(?= of the (?:last|past|previous) \S+ "
            r"(day|week|month|quarter|year)s)",
            lambda m: TimePhrase(m.start(), m.end(), grain=_UNIT[m[1]]),
        )
    )
    out.append(
        (  # "the cheapest day", "which month", "top 3 weeks": the periods are what is ranked, a series;
            # only the unit is the phrase, the ranking word stays to be read as one
            r"(?:cheapest|costliest|priciest|busiest|quietest|most expensive|least expensive|which|top"
            rf"(?: {_NUM})?|bottom(?: {_NUM})?|(?:the )?{_NUM}(?: most| least)?(?: expensive| costly)?)"
            r" (day|week|month|quarter)s?",
            lambda m: TimePhrase(m.start(1), m.end(), grain=_UNIT[m[1]]),
        )
    )
    out.append(
        (
            r"(dod|wow|mom|qoq|yoy)",
            lambda m: TimePhrase(m.start(), m.end(), grain=short[m[1]], over_period=True),
        )
    )
    out.append(
        (
            r"(?:over time|trends?|trending|trendline|time series|timeline|history|historical|historically|"
            r"evolution|evolved|evolving|progression|changed over time|changed)",
            lambda m: TimePhrase(m.start(), m.end(), auto_grain=True),
        )
    )
    out.append(
        (
            r"(?:of )?(?:all time|all-time|ever|since the beginning|since inception|lifetime)",
            lambda m: TimePhrase(m.start(), m.end(), all_time=True),
        )
    )
    return [(re.compile(_B + p + _E), fn) for p, fn in out]


_RULES = _rules()
_GRAIN_RULES = _grain_rules()


# after a leading "may", words of a request ("may I see", "may we get the cost"), not of a month's numbers
_MAY_ASKS = r"(?:i|we|you|they|it|he|she|someone|one|crq|the|a|an|this|that|these|those|please|be)\b"


def _month_may(m: re.Match[str]) -> bool:
    """A bare "may" that is the month: the question's last word, compared with a month ("April vs
    May", "compared to may", "may vs june"), or its first word before no one who may do something
    ("May spend by service", not "may I see ...")."""
    after = m.string[m.end() :].strip(" ?.!")
    first = not m.string[: m.start()].strip() and re.match(_MAY_ASKS, after) is None
    return (
        not after
        or first
        or m.string[: m.start()].endswith(("vs ", "vs. ", "versus ", "compared to ", "compared with "))
        or re.match(rf"(?:vs\.?|versus|compared (?:to|with)) {_MON}\b", after) is not None
    )  # "cost may vs june": compared with a month after it


def find_time_phrases(text: str, as_of: dt.date, taken: Callable[[int, int], bool]) -> list[TimePhrase]:
    """Every time phrase in ``text`` whose characters are not ``taken``, leftmost-longest, in order."""
    found: list[TimePhrase] = []
    used: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not taken(a, b) and all(b <= s or a >= e for s, e in used)

    candidates: list[tuple[int, int, TimePhrase]] = []
    for pattern, build in _RULES:
        for m in pattern.finditer(text):
            try:
                result = build(m, as_of)
            except ValueError:
                result = None
            if isinstance(result, TimeRange):
                candidates.append((m.start(), m.end(), TimePhrase(m.start(), m.end(), time_range=result)))
            elif isinstance(result, TimePhrase):
                candidates.append((m.start(), m.end(), result))
    for pattern, make in _GRAIN_RULES:
        for m in pattern.finditer(text):
            grain = make(m)
            candidates.append((grain.start, grain.end, grain))  # "the cheapest day": "day" alone
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    for a, b, phrase in candidates:
        if free(a, b):
            used.append((a, b))
            found.append(phrase)
    found.sort(key=lambda p: p.start)
    return found


__all__ = ["TimePhrase", "find_time_phrases"]
