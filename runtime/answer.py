"""A short answer for an intent's rows, ending with its reading (``runtime.describe``)."""

from __future__ import annotations

import decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from compiler.plan import compare_aliases, cumulative_alias, share_alias
from compiler.resolve import average_alias
from models.intent import Intent
from models.semantic_model import SemanticModel
from models.units import FAMILY, Family, Unit, display_format
from models.units import label as unit_label
from runtime.describe import ordinal


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
    if intent.average_groups is not None and columns:  # each average, then the number of groups averaged
        over = [_group_noun(str(d)) for d in intent.average_groups.of]
        for m in intent.metrics:
            fmt = formats.get(m, "number")  # an average of counts is no whole number
            formats[average_alias(m)] = "number" if fmt == "integer" else fmt
            compared_labels[average_alias(m)] = f"average {m.replace('_', ' ')} per {', '.join(over)}"
        formats[columns[-1]] = "integer"
        compared_labels[columns[-1]] = f"number of {', '.join(map(_plural, over))}"
    dims = [c for c in columns if c not in formats]
    labels = {c: c.replace("_", " ") for c in columns}
    labels |= {u.metric: f"{u.metric.replace('_', ' ')} ({unit_label(u.unit)})" for u in intent.units}
    if intent.share is not None:
        labels |= {share_alias(m): f"share of {m.replace('_', ' ')}" for m in intent.metrics}
    labels |= compared_labels
    metrics = [{"label": labels[c], "index": i} for i, c in enumerate(columns) if c in formats]
    shown = [[format_value(v, formats.get(columns[i], "number")) for i, v in enumerate(r)] for r in rows]
    order = ranked = None
    at: int | None = None  # the column ranked by
    first = intent.order_by[0].field if intent.order_by else None
    if intent.count_groups is not None and first in {d.name for d in intent.count_groups.of}:
        first = columns[-1]  # ranked by the count, named by what it counts
    if intent.average_groups is not None and first in intent.metrics:
        first = average_alias(first)  # ranked by the average, named by its metric
    if intent.order_by and first in formats and first in columns:
        order = "highest" if intent.order_by[0].direction == "desc" else "lowest"
        if intent.offset and intent.limit == 1:
            order = f"{ordinal(intent.offset + 1)} {order}"  # "s3 has the 2nd highest cost"
        field = first  # the metric the rows are ranked by, not the first one asked
        if intent.share is not None and share_alias(field) in columns:
            field = share_alias(field)
        if intent.compare is not None and field in intent.metrics:  # ranked by its change (or rank_by)
            field = compare_aliases(field)[_RANKED_COLUMN[intent.compare.rank_by]]
        at = columns.index(field)
        ranked = {"label": labels[field], "index": at}
    # "which region fell the most" when every change is a rise: the lowest change is still a rise
    rises_only = (
        intent.compare is not None
        and intent.compare.rank_by in ("change", "percent_change")
        and order == "lowest"
        and isinstance(at, int)
        and all(isinstance(r[at], (int, float, decimal.Decimal)) and r[at] > 0 for r in rows)
    )
    return (
        _template()
        .render(
            cut=_tied_at_cut(intent, columns, rows, at, formats),
            rows=shown,
            dimensions=dims,
            metrics=metrics,
            limit=intent.limit,
            place=f"{ordinal(intent.offset + 1)} place" if intent.offset else "first",
            order=order,
            ranked=ranked,
            truncated=truncated,
            reading="interpreted as " + reading,
            rises_only=bool(rows) and rises_only,
        )
        .strip()
    )


def _group_noun(dimension: str) -> str:
    """A dimension said as the thing its groups are: ``account_id`` and ``account_name`` an account,
    ``tag:team`` a team."""
    name, by, grain = dimension.removeprefix("tag:").partition("__")
    return name.removesuffix("_id").removesuffix("_name").replace("_", " ") + (f" by {grain}" if by else "")


def _plural(noun: str) -> str:
    """English plurals of the nouns dimensions are named by (accounts, business units, entities);
    of "<noun> by <grain>", the noun's."""
    head, by, grain = noun.partition(" by ")
    if head.endswith(("s", "x", "ch", "sh")):
        head += "es"
    elif head.endswith("y") and head[-2:-1] not in ("a", "e", "i", "o", "u"):
        head = head[:-1] + "ies"
    else:
        head += "s"
    return head + by + grain


def _tied_at_cut(
    intent: Intent, columns: list[str], rows: list[tuple[Any, ...]], at: int | None, formats: dict[str, str]
) -> dict[str, object] | None:
    """More rows than the top N asked for: the compiler kept every row tied with the N-th (FETCH ...
    WITH TIES), so the answer says where the tie starts rather than leave "top 3" showing five rows
    unexplained. Rows tie when they agree on every ranked column shown."""
    limit = intent.limit
    if limit is None or limit < 2 or intent.offset or len(rows) <= limit:
        return None
    keys = [columns.index(o.field) for o in intent.order_by if o.field in columns]
    if at is not None and at not in keys:  # ranked by a change or share, shown under another name
        keys.insert(0, at)
    if not keys:
        return None
    last = [rows[-1][i] for i in keys]
    start = len(rows)
    while start > 0 and [rows[start - 1][i] for i in keys] == last:
        start -= 1
    value = format_value(rows[-1][keys[0]], formats.get(columns[keys[0]], "number"))
    return {"tied": len(rows) - start, "place": f"{ordinal(start + 1)} place", "asked": limit, "value": value}
