"""Plain words for an intent: the "interpreted as ..." line users check an answer against.

One description for every path (a mapper's reading, an answer, a clarify's "I would answer"), generated
from the intent, so what the user reads is exactly what was computed; model names are kept as they are
(the words a user can type back, and what the SQL shows).
"""

from __future__ import annotations

import datetime as dt

from compiler.time_range import describe_time_range, previous_period, resolve_time_range
from models.intent import Filter, Intent, Op
from models.units import Unit
from models.units import label as unit_label

_OPS = {
    Op.EQ: "=",
    Op.NE: "≠",
    Op.LT: "<",
    Op.LTE: "≤",
    Op.GT: ">",
    Op.GTE: "≥",
    Op.IN: "in",
    Op.NOT_IN: "not in",
    Op.BETWEEN: "between",
    Op.CONTAINS: "contains",
}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st: how a rank is said in an answer."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe_filter(f: Filter) -> str:
    if f.op == Op.IS_NULL:
        return f"no {f.field}" if f.field.startswith("tag:") else f"{f.field} is empty"
    if f.op == Op.IS_NOT_NULL:
        return f"has {f.field}" if f.field.startswith("tag:") else f"{f.field} is set"
    value = f.value
    if isinstance(value, tuple):
        shown = " and ".join(map(str, value)) if f.op == Op.BETWEEN else ", ".join(map(str, value))
    else:
        shown = str(value).lower() if isinstance(value, bool) else str(value)
    if f.unit is not None:
        shown += "%" if f.unit == Unit.PERCENT else f" {unit_label(f.unit)}"
    return f"{f.field} {_OPS[f.op]} {shown}"


def describe_intent(intent: Intent, as_of: dt.date | None = None, readings: tuple[str, ...] = ()) -> str:
    """E.g. "cost by service, where environment = prod, last month (2026-05-01 to 2026-05-31), top 5".

    ``readings`` are what the compiler decided beyond the intent's words (``Plan.readings``: values
    side by side, the dates a ratio's facts share, which date a time range is on)."""
    by = ", ".join(str(d).replace("__", " by ") for d in intent.dimensions)
    if intent.count_groups is not None:
        counted = ", ".join(str(d).replace("__", " by ") for d in intent.count_groups.of)
        parts = [f"number of {counted}" + (f" per {by}" if by else "")]
    elif intent.average_groups is not None:  # an account with no cost rows is not averaged in as $0
        over = ", ".join(str(d).replace("__", " by ") for d in intent.average_groups.of)
        parts = [f"average {' and '.join(intent.metrics)} per {over}" + (f" by {by}" if by else "")]
        parts[0] += " (over those with rows)"
    else:
        parts = [" and ".join(intent.metrics) or "list of " + ", ".join(str(d) for d in intent.dimensions)]
    if intent.metrics and intent.dimensions and intent.count_groups is None and intent.average_groups is None:
        parts[0] += " by " + by
    if intent.units:
        parts[0] += ", " + ", ".join(f"{u.metric} in {unit_label(u.unit)}" for u in intent.units)
    if intent.cumulative is not None:
        parts[0] += ", as a running total"
    if intent.share is not None:
        part = " and ".join(describe_filter(f) for f in intent.share.part)
        parts[0] += f", the part where {part} as a percentage" if part else ", as a percentage of the total"
    conditions = [describe_filter(f) for f in intent.filters] + [f"segment {s}" for s in intent.segments]
    if conditions:
        parts.append("where " + " and ".join(conditions))
    if intent.time_range:
        words = describe_time_range(intent.time_range)
        if as_of is not None:
            try:
                start, end = resolve_time_range(intent.time_range, as_of)
                if str(start) not in words:  # a range given by its dates already says them
                    words += f" ({start} to {end})" if start != end else f" ({start})"
            except ValueError:
                pass
        if intent.time_range.dimension:
            joint = "" if words.startswith(("up to", "since")) else " in"
            words = f"{intent.time_range.dimension}{joint} {words}"
        parts.append(words)
        if intent.compare is not None:
            parts.append(_describe_compare(intent, as_of))
    parts.extend(readings)
    if intent.order_by and intent.order_by[0].field in {d.name for d in intent.dimensions}:
        o = intent.order_by[0]  # rows sorted by one of their own columns ("the oldest ..."): not a rank
        way = "descending" if o.direction == "desc" else "ascending"
        if intent.offset and intent.limit == 1:  # "the second oldest instance"
            parts.append(f"{ordinal(intent.offset + 1)} by {o.field} {way}")
        else:
            parts.append(
                f"first {intent.limit} by {o.field} {way}" if intent.limit else f"sorted by {o.field} {way}"
            )
    elif intent.order_by:
        o = intent.order_by[0]
        by = o.field
        if intent.count_groups is not None:
            by = "the count"  # named by its column or by what it counts
        elif intent.average_groups is not None and by in intent.metrics:
            by = f"average {by}"
        if intent.offset and intent.limit == 1:  # "the second most expensive service"
            way = "highest" if o.direction == "desc" else "lowest"
            parts.append(f"{ordinal(intent.offset + 1)} {way} by {by}")
        else:
            parts.append(
                ("top" if o.direction == "desc" else "bottom")
                + (f" {intent.limit}" if intent.limit else "")
                + (f" after the first {intent.offset}" if intent.offset else "")
                + f" by {by}"
            )
    elif intent.limit:
        parts.append(f"first {intent.limit}")
    return ", ".join(parts)


def _describe_compare(intent: Intent, as_of: dt.date | None) -> str:
    """E.g. "compared with the previous period (2026-04-01 to 2026-04-30), ranked by change"."""
    assert intent.compare is not None and intent.time_range is not None
    to = intent.compare.to
    words = "the previous period" if isinstance(to, str) else describe_time_range(to)
    if as_of is not None:
        try:
            if isinstance(to, str):
                start, end = previous_period(intent.time_range, *resolve_time_range(intent.time_range, as_of))
            else:
                start, end = resolve_time_range(to, as_of)
            dates = f"{start} to {end}" if start != end else f"{start}"
            if dates != words:  # "2026-05-01 to 2026-05-17" says its dates already
                words += f" ({dates})"
        except ValueError:
            pass
    out = f"compared with {words}"
    if intent.order_by and intent.order_by[0].field in intent.metrics:
        out += f", ranked by {intent.compare.rank_by.replace('_', ' ')}"
    return out


def interpreted_as(intent: Intent) -> str:
    """A mapper's reading of a question, before anything ran: "interpreted as: <description>"."""
    return "interpreted as: " + describe_intent(intent)


__all__ = ["describe_filter", "describe_intent", "interpreted_as", "ordinal"]
