"""Plain words for an intent ("interpreted as ...") and a short answer for its rows.

The reading is generated from the intent, not written by the mapper, so what the user sees is exactly
what was computed.
"""

from __future__ import annotations

import datetime as dt
import decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from compiler.plan import compare_aliases, cumulative_alias, share_alias
from compiler.time_range import describe_time_range, previous_period, resolve_time_range
from models.intent import Filter, Intent, Op
from models.semantic_model import SemanticModel
from models.units import FAMILY, Family, Unit, display_format
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
    else:
        parts = [" and ".join(intent.metrics) or "list of " + ", ".join(str(d) for d in intent.dimensions)]
    if intent.metrics and intent.dimensions and intent.count_groups is None:
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
            words = f"{intent.time_range.dimension} in {words}"
        parts.append(words)
        if intent.compare is not None:
            parts.append(_describe_compare(intent, as_of))
    parts.extend(readings)
    if intent.order_by:
        o = intent.order_by[0]
        by = o.field
        if intent.count_groups is not None and by not in {d.name for d in intent.dimensions}:
            by = "the count"  # named by its column or by what it counts
        parts.append(
            ("top" if o.direction == "desc" else "bottom")
            + (f" {intent.limit}" if intent.limit else "")
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
            words += f" ({start} to {end})" if start != end else f" ({start})"
        except ValueError:
            pass
    out = f"compared with {words}"
    if intent.order_by and intent.order_by[0].field in intent.metrics:
        out += f", ranked by {intent.compare.rank_by.replace('_', ' ')}"
    return out


def _compared_columns(intent: Intent, formats: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Formats and labels of a comparison's columns: then and the change in the metric's own format,
    the change in percent as a percentage."""
    fmts: dict[str, str] = {}
    labels: dict[str, str] = {}
    for m in intent.metrics:
        _, then, change, pct = compare_aliases(m)
        words = m.replace("_", " ")
        fmt = formats.get(m, "number")
        fmts |= {then: fmt, change: fmt, pct: "share"}
        labels |= {then: f"previous {words}", change: f"change in {words}", pct: f"change in {words} (%)"}
    return fmts, labels


_RANKED_COLUMN = {"amount": 0, "previous": 1, "change": 2, "percent_change": 3}


_SCALED_USD = {Unit.THOUSAND_USD.value: "k", Unit.MILLION_USD.value: "M"}
_DATA = {u.value for u, f in FAMILY.items() if f == Family.DATA}
_DURATIONS = {u.value for u, f in FAMILY.items() if f == Family.DURATION}


def format_value(value: Any, fmt: str = "number") -> str:
    """``value`` as answers print it. ``fmt``: a unit's display format (``models.units.display_format``:
    currency, gb, integer, percent for fractions, share for percentage points, or the unit's name)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, decimal.Decimal)):
        number = float(value)
        if fmt == "currency":
            return f"${number:,.2f}"
        if fmt == "percent":
            return f"{number * 100:.1f}%"
        if fmt == "share":  # already in percent
            return f"{number:.1f}%"
        if fmt == "gb":
            return f"{number:,.1f} GB"
        if fmt in _SCALED_USD:
            return f"${number:,.2f}{_SCALED_USD[fmt]}"
        if fmt in _DATA:  # other data sizes: small amounts of large units keep three decimals
            return f"{number:,.{1 if abs(number) >= 1 or number == 0 else 3}f} {fmt}"
        if fmt in _DURATIONS:
            return f"{number:,.1f} {fmt}"
        if fmt == "integer" or (number == int(number) and isinstance(value, int)):
            return f"{number:,.0f}"
        return f"{number:,.2f}"
    return str(value)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=False,
        keep_trailing_newline=False,
    )
    return env.get_template("answer.txt.j2")


def load_templates() -> None:
    """Parse and compile the answer template now rather than in the first answer (~10 ms): for
    SnapStart's ``before_snapshot``, so that a restored container finds it compiled."""
    _template()


def answer_text(
    intent: Intent,
    model: SemanticModel,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    truncated: bool,
    reading: str,
) -> str:
    formats: dict[str, str] = {m.name: display_format(m.unit) for m in model.metrics}
    formats |= {u.metric: display_format(u.unit) for u in intent.units}
    if intent.share is not None:
        formats |= {share_alias(m): "share" for m in intent.metrics}
    compared_formats, compared_labels = _compared_columns(intent, formats) if intent.compare else ({}, {})
    if intent.cumulative is not None:
        compared_formats |= {cumulative_alias(m): formats.get(m, "number") for m in intent.metrics}
        compared_labels |= {
            cumulative_alias(m): f"running total of {m.replace('_', ' ')}" for m in intent.metrics
        }
    formats |= compared_formats
    if intent.count_groups is not None and columns:  # the count, after the dimensions it is counted by
        counted = ", ".join(str(d).replace("__", " by ").replace("_", " ") for d in intent.count_groups.of)
        formats[columns[-1]] = "integer"
        compared_labels[columns[-1]] = f"number of {counted}"
    dims = [c for c in columns if c not in formats]
    labels = {c: c.replace("_", " ") for c in columns}
    labels |= {u.metric: f"{u.metric.replace('_', ' ')} ({unit_label(u.unit)})" for u in intent.units}
    if intent.share is not None:
        labels |= {share_alias(m): f"share of {m.replace('_', ' ')}" for m in intent.metrics}
    labels |= compared_labels
    metrics = [{"label": labels[c], "index": i} for i, c in enumerate(columns) if c in formats]
    shown = [[format_value(v, formats.get(columns[i], "number")) for i, v in enumerate(r)] for r in rows]
    order = ranked = None
    first = intent.order_by[0].field if intent.order_by else None
    if intent.count_groups is not None and first in {d.name for d in intent.count_groups.of}:
        first = columns[-1]  # ranked by the count, named by what it counts
    if intent.order_by and first in formats and first in columns:
        order = "highest" if intent.order_by[0].direction == "desc" else "lowest"
        field = first  # the metric the rows are ranked by, not the first one asked
        if intent.share is not None and share_alias(field) in columns:
            field = share_alias(field)
        if intent.compare is not None and field in intent.metrics:  # ranked by its change (or rank_by)
            field = compare_aliases(field)[_RANKED_COLUMN[intent.compare.rank_by]]
        ranked = {"label": labels[field], "index": columns.index(field)}
    return (
        _template()
        .render(
            rows=shown,
            dimensions=dims,
            metrics=metrics,
            limit=intent.limit,
            order=order,
            ranked=ranked,
            truncated=truncated,
            reading="interpreted as " + reading,
        )
        .strip()
    )
