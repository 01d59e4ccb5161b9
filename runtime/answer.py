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
    return f"{f.field} {_OPS[f.op]} {shown}"


def describe_intent(intent: Intent, as_of: dt.date | None = None) -> str:
    """E.g. "cost by service, where environment = prod, last month (2026-05-01 to 2026-05-31), top 5"."""
    parts = [" and ".join(intent.metrics) or "list of " + ", ".join(str(d) for d in intent.dimensions)]
    if intent.metrics and intent.dimensions:
        parts[0] += " by " + ", ".join(str(d).replace("__", " by ") for d in intent.dimensions)
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
                words += f" ({start} to {end})" if start != end else f" ({start})"
            except ValueError:
                pass
        if intent.time_range.dimension:
            words = f"{intent.time_range.dimension} in {words}"
        parts.append(words)
        if intent.compare is not None:
            parts.append(_describe_compare(intent, as_of))
    if intent.order_by:
        o = intent.order_by[0]
        parts.append(
            ("top" if o.direction == "desc" else "bottom")
            + (f" {intent.limit}" if intent.limit else "")
            + f" by {o.field}"
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


def format_value(value: Any, fmt: str = "number") -> str:
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


def answer_text(
    intent: Intent,
    model: SemanticModel,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    truncated: bool,
    reading: str,
) -> str:
    formats: dict[str, str] = {m.name: m.format for m in model.metrics}
    if intent.share is not None:
        formats |= {share_alias(m): "share" for m in intent.metrics}
    compared_formats, compared_labels = _compared_columns(intent, formats) if intent.compare else ({}, {})
    if intent.cumulative is not None:
        compared_formats |= {cumulative_alias(m): formats.get(m, "number") for m in intent.metrics}
        compared_labels |= {
            cumulative_alias(m): f"running total of {m.replace('_', ' ')}" for m in intent.metrics
        }
    formats |= compared_formats
    dims = [c for c in columns if c not in formats]
    labels = {c: c.replace("_", " ") for c in columns}
    if intent.share is not None:
        labels |= {share_alias(m): f"share of {m.replace('_', ' ')}" for m in intent.metrics}
    labels |= compared_labels
    metrics = [{"label": labels[c], "index": i} for i, c in enumerate(columns) if c in formats]
    shown = [[format_value(v, formats.get(columns[i], "number")) for i, v in enumerate(r)] for r in rows]
    order = ranked = None
    if intent.order_by and intent.order_by[0].field in formats and intent.order_by[0].field in columns:
        order = "highest" if intent.order_by[0].direction == "desc" else "lowest"
        field = intent.order_by[0].field  # the metric the rows are ranked by, not the first one asked
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
