"""E120-E121: expressions; E122-E124: the names the model writes into SQL.

Expressions are pasted into generated SQL, so they must pass the same allowlist the compiler applies;
checking them at load time turns a runtime failure (or a refused query) into a located model error.
Schema, table and column names are written as identifiers, so they are held to a plain form: a ``%``
would be read by psycopg as a placeholder and break every query that touches it (json keys likewise).
The query role gets USAGE only on the schemas the model's tables declare, so a table in PostgreSQL's
catalogs or in crq's own schemas would widen what a question can read: those schemas are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from models.errors import Issue
from models.semantic_model import Aggregation, MetricType, SemanticModel
from semantic.expressions import MAX_LENGTH, SQL_NAME, ExpressionError, parse_expression
from semantic.rules._common import expression_problem, key_path, make_issue
from semantic.source_map import Path, SourceMap

NEEDS_EXPR = (Aggregation.SUM, Aggregation.AVG, Aggregation.MIN, Aggregation.MAX, Aggregation.COUNT_DISTINCT)
# crq's own schemas: view metadata, the materialized views, the application's state
INTERNAL_SCHEMAS = frozenset({"crq", "crq_mv", "crq_app"})
_SYSTEM_SCHEMA = re.compile(r"pg_.*|information_schema", re.IGNORECASE)
_UNSAFE_KEY = re.compile(r"[%\x00-\x1f\x7f]")


def _is_aggregate(text: str) -> bool:
    if len(text) > MAX_LENGTH:
        return False  # refused for its length; parsing it would cost what the cap avoids
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except (SqlglotError, RecursionError):
        return False
    return tree.find(exp.AggFunc) is not None


def _check(text: str | None, path: Path, source: SourceMap, hint: str) -> Iterator[Issue]:
    if text is None:
        return
    problem = expression_problem(text)
    if problem is None:
        return
    if _is_aggregate(text):
        problem = f"it must not aggregate; {hint}"
    shown = text if len(text) <= 80 else f"{text[:60]}...{text[-10:]}"
    yield make_issue("E120", source, path, f"invalid expression {shown!r}: {problem}")


def _percent_literal(text: str) -> bool:
    """A derived metric's literals are written into the query as they are (a column's are bound)."""
    try:
        tree = parse_expression(text)
    except ExpressionError:
        return False  # reported as invalid
    return any(lit.is_string and "%" in lit.this for lit in tree.find_all(exp.Literal))


def _schemas(model: SemanticModel) -> Iterator[tuple[str, Path]]:
    if model.schema_name is not None:
        yield model.schema_name, ("schema",)
    for ti, table in enumerate(model.tables):
        if table.schema_name is not None:
            yield table.schema_name, ("tables", ti, "schema")


def _sql_names(model: SemanticModel, source: SourceMap) -> Iterator[tuple[str, Path]]:
    """Every schema, table and column name the model writes into SQL, with where it is."""
    yield from _schemas(model)
    for ti, table in enumerate(model.tables):
        base: Path = ("tables", ti)
        if table.table is not None:
            yield table.table, (*base, "table")
        for i, column in enumerate(table.primary_key):
            yield column, (*base, "primary_key", i)
        for kind in ("dimensions", "time_dimensions"):
            for di, dim in enumerate(getattr(table, kind)):
                if dim.column is not None:
                    yield dim.column, (*base, kind, di, "column")
        for di, dim in enumerate(table.dimensions):
            if dim.tags is not None:
                yield dim.tags, (*base, "dimensions", di, "tags")
            if dim.json_path:
                yield dim.json_path[0], (*key_path(source, (*base, "dimensions", di), "json", "json_path"), 0)
    for ri, rel in enumerate(model.relationships):
        for ki, pair in enumerate(rel.keys):
            yield pair.from_column, ("relationships", ri, "keys", ki, "from")
            yield pair.to_column, ("relationships", ri, "keys", ki, "to")


def _names(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Names must be plain identifiers, json keys free of placeholders, schemas the inventory's."""
    for name, path in _sql_names(model, source):
        if not SQL_NAME.fullmatch(name):
            yield make_issue(
                "E122",
                source,
                path,
                f"{name!r} is not a plain SQL name; use letters, digits and underscores, not starting with "
                "a digit, at most 63 characters (a view can rename the database's names)",
            )
    for ti, table in enumerate(model.tables):
        for di, dim in enumerate(table.dimensions):
            where = key_path(source, ("tables", ti, "dimensions", di), "json", "json_path")
            for ki, key in enumerate(dim.json_path[1:], start=1):
                if _UNSAFE_KEY.search(key):
                    yield make_issue(
                        "E123",
                        source,
                        (*where, ki),
                        f"json key {key!r} must not hold '%' or control characters",
                    )
    for schema, path in _schemas(model):
        if schema.lower() in INTERNAL_SCHEMAS or _SYSTEM_SCHEMA.fullmatch(schema):
            yield make_issue(
                "E124",
                source,
                path,
                f"schema '{schema}' cannot be queried: PostgreSQL's catalogs and crq's own schemas "
                f"({', '.join(sorted(INTERNAL_SCHEMAS))}) are not inventory; name the schema of your tables",
            )


def expressions(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Every expression must be per-row column arithmetic the compiler accepts, every name plain SQL."""
    yield from _names(model, source)
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
            if metric.expr is not None and _percent_literal(metric.expr):
                yield make_issue(
                    "E120",
                    source,
                    ("metrics", mi, "expr"),
                    "a '%' in a string literal would be read as a query placeholder; a derived metric "
                    "combines other metrics by arithmetic only",
                )
