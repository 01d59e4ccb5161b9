"""E130-E135: every name a metric, segment or verified query uses must resolve, and filters must fit.

A dangling reference would only surface when someone asks the one question that touches it; a segment
filter with a value outside the enum would silently return nothing. Both are cheap to catch here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from models.errors import Issue
from models.intent import Filter, Intent, Op
from models.semantic_model import Dimension, MetricType, SemanticModel
from semantic.expressions import ExpressionError, column_names, parse_expression
from semantic.rules._common import DimensionEntry, ModelIndex, make_issue, suggest
from semantic.source_map import Path, SourceMap

_ALL_OPS = frozenset(Op)
OPS_BY_KIND: dict[str, frozenset[Op]] = {
    "string": _ALL_OPS,
    "number": _ALL_OPS - {Op.CONTAINS},
    "time": _ALL_OPS - {Op.CONTAINS},
    "boolean": frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.IS_NULL, Op.IS_NOT_NULL}),
}
ENUM_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})
_KIND_WORDS = {
    "string": "a string (quote it)",
    "number": "a number",
    "boolean": "true or false",
    "time": "a date such as 2026-01-31",
}


def _measures(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    qualified = [f"{t.name}.{m.name}" for t in model.tables for m in t.measures]
    homes: dict[str, list[str]] = {}
    for table in model.tables:
        for measure in table.measures:
            homes.setdefault(measure.name, []).append(table.name)
    for mi, metric in enumerate(model.metrics):
        if metric.type != MetricType.SIMPLE or metric.measure is None:
            continue
        ref = metric.measure
        path: Path = ("metrics", mi, "measure")
        if "." in ref:
            if ref in qualified:
                continue
            table_name, _, name = ref.partition(".")
            if table_name not in {t.name for t in model.tables}:
                problem = f"unknown table '{table_name}' in measure '{ref}'"
            else:
                problem = f"table '{table_name}' has no measure '{name}'"
            yield make_issue(
                "E130", source, path, f"{problem}; write table.measure, {suggest(ref, qualified, 'measures')}"
            )
        elif ref not in homes:
            yield make_issue(
                "E130",
                source,
                path,
                f"unknown measure '{ref}'; write table.measure, "
                f"{suggest(ref, qualified + list(homes), 'measures')}",
            )
        elif len(homes[ref]) > 1:
            options = " or ".join(f"'{t}.{ref}'" for t in homes[ref])
            yield make_issue(
                "E130", source, path, f"measure '{ref}' exists in several tables; write {options}"
            )


def _metric_refs(model: SemanticModel, index: ModelIndex, source: SourceMap) -> Iterator[Issue]:
    names = list(index.metrics)
    for mi, metric in enumerate(model.metrics):
        if metric.type == MetricType.RATIO:
            for key in ("numerator", "denominator"):
                ref = getattr(metric, key)
                if ref is not None and ref not in index.metrics:
                    yield make_issue(
                        "E131",
                        source,
                        ("metrics", mi, key),
                        f"'{ref}' is not a metric; {suggest(ref, names, 'metrics')}",
                    )
        elif metric.type == MetricType.DERIVED and metric.expr is not None:
            try:
                tree = parse_expression(metric.expr)
            except ExpressionError:
                continue  # reported by the expressions rule
            for ref in column_names(tree):
                if ref not in index.metrics:
                    yield make_issue(
                        "E131",
                        source,
                        ("metrics", mi, "expr"),
                        f"'{ref}' in the expression is not a metric; {suggest(ref, names, 'metrics')}",
                    )


def _value_fits(value: object, kind: str) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "time":
        if isinstance(value, dt.date):
            return True
        if isinstance(value, str):
            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                return False
            return True
        return False
    return isinstance(value, str)


def _fix(value: object, kind: str) -> str:
    """How to make the value fit. A number or a boolean compared with a string dimension is most
    often a dimension whose ``type:`` was left out (string is the default), not a value to quote."""
    if kind == "string" and isinstance(value, bool):
        return "if its column holds true/false, declare `type: boolean` on the dimension"
    if kind == "string" and isinstance(value, int | float):
        return "if its column holds numbers, declare `type: number` on the dimension"
    return f"write {_KIND_WORDS[kind]}"


def _enum_hint(value: str, dim: Dimension) -> str:
    """Analysts often write the word people use ("production"); point them at the stored value."""
    for canonical, words in dim.value_synonyms.items():
        if value.lower() in (w.lower() for w in words):
            return f"'{value}' is a synonym of '{canonical}', write '{canonical}'"
    for group, spec in dim.groups.items():
        if value.lower() == group or value.lower() in (w.lower() for w in spec.synonyms):
            shown = ", ".join(spec.values)
            return f"'{value}' is the group '{group}', write op: in, value: [{shown}]"
    return suggest(value, list(dim.enum), "values")


def _filter_on_dimensions(
    flt: Filter, entries: Sequence[DimensionEntry], path: Path, source: SourceMap
) -> Iterator[Issue]:
    tag = ":" in flt.field
    kinds = list(dict.fromkeys("string" if tag else e.kind for e in entries))
    for kind in kinds:
        if flt.op not in OPS_BY_KIND[kind]:
            allowed = ", ".join(f"'{o.value}'" for o in Op if o in OPS_BY_KIND[kind])
            yield make_issue(
                "E133",
                source,
                path,
                f"operator '{flt.op.value}' does not apply to {kind} dimension '{flt.field}'; "
                f"use one of {allowed}",
                at=(*path, "op"),
            )
            return
    if flt.value is None:
        return
    values = flt.value if isinstance(flt.value, tuple) else (flt.value,)
    enum_dims = (
        []
        if tag or flt.op not in ENUM_OPS
        else [e.dim for e in entries if isinstance(e.dim, Dimension) and e.dim.enum]
    )
    for vi, value in enumerate(values):
        at = (*path, "value", vi) if isinstance(flt.value, tuple) else (*path, "value")
        wrong = next((k for k in kinds if not _value_fits(value, k)), None)
        if wrong is not None:
            yield make_issue(
                "E134",
                source,
                path,
                f"value {value!r} does not fit {wrong} dimension '{flt.field}'; {_fix(value, wrong)}",
                at=at,
            )
            continue
        for dim in enum_dims:
            if value not in dim.enum:
                yield make_issue(
                    "E134",
                    source,
                    path,
                    f"value '{value}' is not in the enum of '{flt.field}'; {_enum_hint(str(value), dim)}",
                    at=at,
                )
                break


def _filters(
    filters: Sequence[Filter], base: Path, index: ModelIndex, source: SourceMap, metrics_allowed: bool
) -> Iterator[Issue]:
    for fi, flt in enumerate(filters):
        path = (*base, fi)
        if metrics_allowed and flt.field in index.metrics:
            continue
        entries, problem = index.resolve_dimension(flt.field)
        if problem is not None:
            if metrics_allowed and "unknown dimension" in problem:
                choices = [*index.metrics, *index.dimension_choices()]
                problem = (
                    f"'{flt.field}' is neither a metric nor a dimension; "
                    f"{suggest(flt.field, choices, 'fields')}"
                )
            elif not metrics_allowed and flt.field in index.metrics:
                problem += "; a segment filters rows by dimensions only"
            yield make_issue("E132", source, path, problem, at=(*path, "field"))
            continue
        yield from _filter_on_dimensions(flt, entries, path, source)


def _intent(intent: Intent, base: Path, index: ModelIndex, source: SourceMap) -> Iterator[Issue]:
    metric_names = list(index.metrics)
    for k, metric in enumerate(intent.metrics):
        if metric not in index.metrics:
            yield make_issue(
                "E131",
                source,
                (*base, "metrics", k),
                f"'{metric}' is not a metric; {suggest(metric, metric_names, 'metrics')}",
            )
    for k, ref in enumerate(intent.dimensions):
        path = (*base, "dimensions", k)
        _, problem = index.resolve_dimension(ref.name)
        if problem is not None:
            at = (*path, "name") if (*path, "name") in source.positions else path
            yield make_issue("E132", source, path, problem, at=at)
    yield from _filters(intent.filters, (*base, "filters"), index, source, metrics_allowed=True)
    for k, segment in enumerate(intent.segments):
        if segment not in index.segments:
            yield make_issue(
                "E135",
                source,
                (*base, "segments", k),
                f"'{segment}' is not a segment; {suggest(segment, list(index.segments), 'segments')}",
            )
    selected = [*intent.metrics, *(str(d) for d in intent.dimensions), *(d.name for d in intent.dimensions)]
    for k, order in enumerate(intent.order_by):
        name = order.field
        if name in index.metrics or name in selected or index.resolve_dimension(name)[1] is None:
            continue
        choices = [*dict.fromkeys(selected)] or [*metric_names, *index.dimension_choices()]
        yield make_issue(
            "E132",
            source,
            (*base, "order_by", k),
            f"cannot order by '{name}': it is neither a metric nor a dimension; "
            f"{suggest(name, choices, 'fields')}",
            at=(*base, "order_by", k, "field"),
        )
    time_range = intent.time_range
    if time_range is not None and time_range.dimension is not None:
        name = time_range.dimension
        path = (*base, "time_range", "dimension")
        entries, problem = index.resolve_dimension(name)
        times = [n for n, es in index.dimensions.items() if any(e.is_time for e in es)]
        if problem is None and not any(e.is_time for e in entries):
            problem = f"'{name}' is not a time dimension; valid time dimensions: {', '.join(times)}"
        elif problem is not None:
            problem = f"unknown time dimension '{name}'; {suggest(name, times, 'time dimensions')}"
        if problem is not None:
            yield make_issue("E132", source, path, problem)
    if intent.previous is not None:
        yield from _intent(intent.previous, (*base, "previous"), index, source)


def references(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Metrics, segments and verified queries may only name things the model defines."""
    index = ModelIndex.build(model)
    yield from _measures(model, source)
    yield from _metric_refs(model, index, source)
    for si, segment in enumerate(model.segments):
        yield from _filters(
            segment.filters, ("segments", si, "filters"), index, source, metrics_allowed=False
        )
    for qi, query in enumerate(model.verified_queries):
        yield from _intent(query.intent, ("verified_queries", qi, "intent"), index, source)
