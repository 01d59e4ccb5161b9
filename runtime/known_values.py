"""Dimension values found in the data, so the offline mapper recognises "payments-prod" or "alice".

Only dimensions without an enum are read (an enum already lists its values), and only small sets:
a dimension with thousands of values (names, ARNs) is not vocabulary. A caller limited by an access
scope gets only the values their rows hold (``scoped_values``): the vocabulary, the catalog and the
LLM prompt must not name another business unit's accounts.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from compiler import compile
from compiler.render import column, table_expression
from models.access import Scope
from models.errors import DatabaseError, UserError
from models.intent import DimensionRef, Intent
from models.semantic_model import SemanticModel
from runtime.database import Database

MAX_VALUES = 200


def known_values(model: SemanticModel, db: Database) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table in model.tables:
        source = table_expression(table, model.schema_name)
        for d in table.dimensions:
            if d.tags:
                for key in d.tag_keys:
                    col = exp.JSONExtractScalar(
                        this=column(d.tags, table.name), expression=exp.Placeholder(this="key")
                    )
                    values = _distinct(db, col, source, {"key": key})
                    if values is not None:
                        out[f"{d.name}:{key}"] = values
            elif d.column and not d.enum and d.type == "string" and d.name not in out:
                values = _distinct(db, column(d.column, table.name), source, {})
                if values is not None:
                    out[d.name] = values
    return out


def _distinct(
    db: Database, col: exp.Expression, source: exp.Table, params: dict[str, object]
) -> list[str] | None:
    query = exp.Select(expressions=[col], distinct=exp.Distinct()).from_(source.copy(), copy=False)
    query.set("where", exp.Where(this=exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null()))))
    query.set("limit", exp.Limit(expression=exp.Literal.number(MAX_VALUES + 1)))
    try:
        result = db.execute(query.sql(dialect="postgres"), params)
    except DatabaseError:
        return None
    if len(result.rows) > MAX_VALUES:
        return None
    return sorted(str(r[0]) for r in result.rows)


def scoped_values(
    model: SemanticModel, db: Database, values: dict[str, list[str]], scope: Scope, as_of: dt.date
) -> dict[str, list[str]]:
    """``values`` read again through the compiler with the caller's scope: a listing of each dimension,
    so the scope's joins and filters are the ones every answer gets. A dimension the scope refuses (its
    table cannot reach the scope's dimensions) or that fails to read is left out."""
    out: dict[str, list[str]] = {}
    for name in values:
        intent = Intent(dimensions=(DimensionRef.model_validate(name),), limit=MAX_VALUES + 1)
        try:
            compiled = compile(intent, model, as_of=as_of, scope=scope)
            rows = db.execute(compiled.sql, compiled.params).rows
        except (UserError, DatabaseError):
            continue
        found = sorted(str(r[0]) for r in rows if r[0] is not None)
        if len(rows) <= MAX_VALUES and found:
            out[name] = found
    return out
