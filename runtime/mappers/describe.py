"""Plain words for an intent: the "interpreted as ..." line users check an answer against."""

from __future__ import annotations

from compiler import describe_time_range
from models.intent import Filter, Intent, Op
from models.units import Unit, label


def _name(field: str) -> str:
    return field.replace("_", " ")


def _value(v: object) -> str:
    if isinstance(v, tuple):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _filter(f: Filter) -> str:
    name = _name(f.field)
    if f.op == Op.IS_NULL:
        return f"{name} missing"
    if f.op == Op.IS_NOT_NULL:
        return f"{name} present"
    if isinstance(f.value, bool) and f.op == Op.EQ:
        return name.removeprefix("is ") if f.value else f"not {name.removeprefix('is ')}"
    op = {Op.EQ: "=", Op.NE: "≠", Op.IN: "in", Op.NOT_IN: "not in", Op.CONTAINS: "contains"}.get(
        f.op, f.op.value
    )
    return f"{name} {op} {_with_unit(_value(f.value), f.unit)}"


def _with_unit(value: str, unit: Unit | None) -> str:
    """A number as the question wrote it: "1 TB", "5%"; the compiler converts it to the column's unit."""
    if unit is None:
        return value
    if unit == Unit.PERCENT:
        return ", ".join(f"{v}%" for v in value.split(", "))
    return f"{value} {label(unit)}"


# what a compared metric is ranked by (``Compare.rank_by``), in words
_RANKED_BY = {
    "change": "change in {}",
    "percent_change": "percent change in {}",
    "amount": "{}",
    "previous": "previous {}",
}


def describe_intent(intent: Intent) -> str:
    """E.g. "interpreted as: <metric> by <dimension>, where <dimension> = <value>, the last 30 days"."""
    shown = {u.metric: u.unit for u in intent.units}
    what = (
        " and ".join(_name(m) + (f" in {label(shown[m])}" if m in shown else "") for m in intent.metrics)
        if intent.metrics
        else "list of " + ", ".join(_name(d.name) for d in intent.dimensions)
    )
    parts = [what]
    groups = (
        [str(d).replace("__", " by ").replace("_", " ") for d in intent.dimensions] if intent.metrics else []
    )
    if groups:
        parts[0] += " by " + ", ".join(groups)
    if intent.count_groups is not None:  # the metrics only pick the groups that count
        counted = ", ".join(str(d).replace("__", " by ").replace("_", " ") for d in intent.count_groups.of)
        parts[0] = f"number of {counted}" + (f" per {', '.join(groups)}" if groups else "")
    if intent.cumulative is not None:
        parts[0] += ", as a running total"
    if intent.share is not None:
        part = " and ".join(_filter(f) for f in intent.share.part)
        parts[0] += f", the part where {part} as a percentage" if part else ", as a percentage of the total"
    conditions = [_filter(f) for f in intent.filters] + [f"segment {_name(s)}" for s in intent.segments]
    if conditions:
        parts.append("where " + " and ".join(conditions))
    if intent.time_range is not None:
        tr = intent.time_range
        when = describe_time_range(tr)
        parts.append(f"{_name(tr.dimension)} {when}" if tr.dimension else when)
    if intent.compare is not None:
        to = intent.compare.to
        parts.append(
            "compared with " + ("the period before" if isinstance(to, str) else describe_time_range(to))
        )
    if intent.order_by and intent.order_by[0].field in {d.name for d in intent.dimensions}:
        o = intent.order_by[0]  # rows sorted by one of their own columns ("the oldest ...")
        way = "descending" if o.direction == "desc" else "ascending"
        parts.append(
            f"first {intent.limit} by {_name(o.field)} {way}"
            if intent.limit
            else f"sorted by {_name(o.field)} {way}"
        )
    elif intent.order_by:
        o = intent.order_by[0]
        rank = f"top {intent.limit}" if o.direction == "desc" else f"bottom {intent.limit}"
        field = _name(o.field)
        if intent.compare is not None and o.field in intent.metrics:  # ranked by how it changed
            field = _RANKED_BY[intent.compare.rank_by].format(field)
        parts.append(
            f"{rank} by {field}"
            if intent.limit
            else f"sorted by {field} {'descending' if o.direction == 'desc' else 'ascending'}"
        )
    elif intent.limit:
        parts.append(f"first {intent.limit}")
    return "interpreted as: " + ", ".join(parts)


__all__ = ["describe_intent"]
