"""E120 an expression is rejected, E121 an aggregation has nothing to aggregate.

Expressions are pasted into generated SQL, so they must pass the same allowlist the compiler applies;
checking them at load time turns a runtime failure (or a refused query) into a located model error.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from models.errors import Issue
from models.semantic_model import Aggregation, MetricType, SemanticModel
from semantic.rules._common import expression_problem, make_issue
from semantic.source_map import Path, SourceMap

NEEDS_EXPR = (Aggregation.SUM, Aggregation.AVG, Aggregation.MIN, Aggregation.MAX, Aggregation.COUNT_DISTINCT)


def _is_aggregate(text: str) -> bool:
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except SqlglotError:
        return False
    return tree is not None and tree.find(exp.AggFunc) is not None


def _check(text: str | None, path: Path, source: SourceMap, hint: str) -> Iterator[Issue]:
    if text is None:
        return
    problem = expression_problem(text)
    if problem is None:
        return
    if _is_aggregate(text):
        problem = f"it must not aggregate; {hint}"
    yield make_issue("E120", source, path, f"invalid expression {text!r}: {problem}")


def expressions(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Every expression must be per-row column arithmetic that the compiler accepts."""
    per_row = "write a per-row expression; aggregation happens in measures"
    for ti, table in enumerate(model.tables):
        for di, dim in enumerate(table.dimensions):
            yield from _check(dim.expr, ("tables", ti, "dimensions", di, "expr"), source, per_row)
        for di, tdim in enumerate(table.time_dimensions):
            yield from _check(tdim.expr, ("tables", ti, "time_dimensions", di, "expr"), source, per_row)
        for mi, measure in enumerate(table.measures):
            base: Path = ("tables", ti, "measures", mi)
            yield from _check(
                measure.expr,
                (*base, "expr"),
                source,
                f"agg: {measure.agg.value} already aggregates, so write only the column",
            )
            yield from _check(
                measure.filter,
                (*base, "filter"),
                source,
                "a filter keeps or drops single rows; write a per-row condition",
            )
            if measure.agg in NEEDS_EXPR and measure.expr is None:
                yield make_issue(
                    "E121",
                    source,
                    base,
                    f"agg: {measure.agg.value} needs expr, the column or expression to aggregate "
                    "(only count can count rows without one)",
                    at=(*base, "agg"),
                )
    for mi, metric in enumerate(model.metrics):
        if metric.type == MetricType.DERIVED:
            yield from _check(
                metric.expr,
                ("metrics", mi, "expr"),
                source,
                "a derived metric combines other metrics by arithmetic only",
            )
