"""E190 a table is missing from the database, E191 a column is missing from its table; E192 a column
missing from the table's own ``columns:`` list.

Not in RULES: it needs the database's catalog, which the runtime reads from information_schema and
passes in, so that semantic/ stays free of database drivers and the check stays a pure, testable
function. It catches the typos the other rules cannot: the model only knows the columns it names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from models.errors import Issue
from models.semantic_model import SemanticModel, Table
from semantic.expressions import ExpressionError, column_names, parse_expression
from semantic.rules._common import key_path, make_issue, suggest
from semantic.source_map import Path, SourceMap

Usage = tuple[str, Path, Path]  # column, object described, exact position


def qualified_name(model: SemanticModel, table: Table) -> str:
    """``schema.table`` as information_schema spells it, with the same defaults the compiler uses."""
    return f"{table.schema_name or model.schema_name or 'public'}.{table.physical}"


def _expr_usages(text: str | None, where: Path, at: Path) -> list[Usage]:
    if text is None:
        return []
    try:
        tree = parse_expression(text)
    except ExpressionError:
        return []  # reported by the expressions rule
    return [(name, where, at) for name in column_names(tree)]


def _table_usages(table: Table, base: Path, source: SourceMap) -> list[Usage]:
    uses: list[Usage] = [(c, base, (*base, "primary_key", i)) for i, c in enumerate(table.primary_key)]
    for di, dim in enumerate(table.dimensions):
        path = (*base, "dimensions", di)
        if dim.column:
            uses.append((dim.column, path, (*path, "column")))
        if dim.json_path:
            uses.append((dim.json_path[0], path, (*key_path(source, path, "json", "json_path"), 0)))
        if dim.tags:
            uses.append((dim.tags, path, (*path, "tags")))
        uses += _expr_usages(dim.expr, path, (*path, "expr"))
    for di, tdim in enumerate(table.time_dimensions):
        path = (*base, "time_dimensions", di)
        if tdim.column:
            uses.append((tdim.column, path, (*path, "column")))
        uses += _expr_usages(tdim.expr, path, (*path, "expr"))
    for mi, measure in enumerate(table.measures):
        path = (*base, "measures", mi)
        uses += _expr_usages(measure.expr, path, (*path, "expr"))
        uses += _expr_usages(measure.filter, path, (*path, "filter"))
    return uses


def database_columns(
    model: SemanticModel, source: SourceMap, columns: Mapping[str, Mapping[str, str]]
) -> Iterator[Issue]:
    """Every table and column the model uses must exist in the database it will query.

    ``columns`` maps "schema.table" to {column: data_type}. Issues come in file order, like the loader's.
    """
    yield from sorted(_issues(model, source, columns), key=lambda i: (i.line, i.col, i.code))


def declared_columns(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """E192: in a table that lists its ``columns:``, every column the model names (primary key,
    dimensions, time dimensions, measures, relationship keys) must be one of them. The same check as
    ``database_columns``, against the model's own declaration: plain `crq validate` catches a
    misspelt relationship key without a database."""
    declared = {qualified_name(model, t): dict.fromkeys(t.columns, "") for t in model.tables if t.columns}
    if not declared:
        return
    for issue in _issues(model, source, declared, declared_only=True):
        yield dataclasses.replace(
            issue,
            code="E192",
            message=issue.message.replace("does not exist in table", "is not among the declared columns of"),
        )


def undeclared_tables(model: SemanticModel) -> list[str]:
    """Tables whose columns only a database can check (they do not list ``columns:``)."""
    return [t.name for t in model.tables if not t.columns]


def _issues(
    model: SemanticModel,
    source: SourceMap,
    columns: Mapping[str, Mapping[str, str]],
    declared_only: bool = False,
) -> Iterator[Issue]:
    known = list(columns)
    usages: dict[str, list[Usage]] = {}
    qualified: dict[str, str] = {}
    for ti, table in enumerate(model.tables):
        base: Path = ("tables", ti)
        name = qualified_name(model, table)
        qualified.setdefault(table.name, name)
        if name not in columns:
            if declared_only:
                continue
            at = (*base, "table") if table.table else (*base, "name")
            yield make_issue(
                "E190",
                source,
                base,
                f"table '{name}' does not exist in the database; {suggest(name, known, 'tables')} "
                "(schema: and table: name the physical table)",
                at=at,
            )
            continue
        usages.setdefault(name, []).extend(_table_usages(table, base, source))
    for ri, rel in enumerate(model.relationships):
        for ki, key in enumerate(rel.keys):
            path: Path = ("relationships", ri, "keys", ki)
            for side, table_name, column in (
                ("from", rel.from_table, key.from_column),
                ("to", rel.to_table, key.to_column),
            ):
                home = qualified.get(table_name)
                if home is not None and home in columns:
                    usages[home].append((column, (*path, side), (*path, side)))
    for name, uses in usages.items():
        available = list(columns[name])
        for column, where, at in uses:
            if column not in columns[name]:
                yield make_issue(
                    "E191",
                    source,
                    where,
                    f"column '{column}' does not exist in table '{name}'; "
                    f"{suggest(column, available, 'columns')}",
                    at=at,
                )
