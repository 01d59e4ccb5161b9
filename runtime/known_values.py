"""Dimension values found in the data, so the offline mapper recognises "payments-prod" or "alice".

Only dimensions without an enum are read (an enum already lists its values), and only small sets:
a dimension with thousands of values (names, ARNs) is not vocabulary. A caller limited by an access
scope gets only the values their rows hold (``scoped_values``): the vocabulary, the catalog and the
LLM prompt must not name another business unit's accounts.

Reading them scans the tables (a `SELECT DISTINCT` over the whole cost table, ~0.2 s at the sample's
scale and linear in the data), which a Lambda container would repeat at every cold start. The chat API
therefore keeps them in ``crq_app.known_values`` (``ValueCache``), one row per model, read by every
container and by `crq ask` (``shared_known_values``), and read again from the data when older than
``CRQ_VALUES_MAX_AGE_MINUTES`` (default 60; a new account name is recognised within that time, as it
was within a container's life before) or when a table of the model was made again since (its
identity in the catalog changed: `crq sample load`, a reload that drops or truncates it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable

from psycopg.types.json import Jsonb
from sqlglot import exp

from compiler import compile
from compiler.render import column, table_expression
from models.access import Scope
from models.errors import DatabaseError, UserError
from models.intent import DimensionRef, Intent
from models.semantic_model import SemanticModel
from runtime.app_store import AppStore, app_sql
from runtime.database import Database, UrlSource

MAX_VALUES = 200
DEFAULT_MAX_AGE = dt.timedelta(hours=1)
logger = logging.getLogger(__name__)


def max_age_from_env() -> dt.timedelta:
    return dt.timedelta(minutes=float(os.environ.get("CRQ_VALUES_MAX_AGE_MINUTES") or 60))


def shared_known_values(
    model: SemanticModel,
    db: Database,
    cache: ValueCache,
    warn: Callable[[str, str], None] = lambda what, error: logger.warning("%s: %s", what, error),
) -> dict[str, list[str]]:
    """``known_values`` through ``cache``: the stored row when it is fresh, else read from the data
    and stored for the next process. A login that cannot use the app schema (``warn`` hears why)
    reads them from the data, as before there was a cache."""
    try:
        version = cache.data_version(model)
        if (values := cache.fresh(model, version)) is not None:
            return values
    except DatabaseError as e:  # no app store (a read-only login): each process reads its own
        warn("known-values cache unavailable", str(e))
        return known_values(model, db)
    values = known_values(model, db)
    try:
        cache.store(model, values, version)
    except DatabaseError as e:
        warn("known-values cache not written", str(e))
    return values


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


class ValueCache(AppStore):
    """``known_values`` shared by the API's containers: one row per model (a hash of the validated
    model, so an edited model never reads another's values), written as the API role."""

    ddl = (
        app_sql(
            "CREATE TABLE IF NOT EXISTS {s}.known_values (model text PRIMARY KEY, "
            "read_at timestamptz NOT NULL, values_ jsonb NOT NULL)"
        ),
        app_sql("ALTER TABLE {s}.known_values ADD COLUMN IF NOT EXISTS data_version text"),
    )
    what = "the known-values cache"

    def __init__(self, url: str | UrlSource, max_age: dt.timedelta = DEFAULT_MAX_AGE):
        super().__init__(url)
        self.max_age = max_age

    def data_version(self, model: SemanticModel) -> str:
        """The identity of the model's tables in the catalog (oid and file): loading the data again
        by dropping, creating or truncating them changes it; adding rows does not (``max_age`` covers
        that). Read from the catalog, which any login may read."""
        names = sorted({(t.schema_name or model.schema_name or "public", t.physical) for t in model.tables})
        rows = self.run(
            app_sql(
                "SELECT coalesce(string_agg(coalesce(c.oid || ':' || c.relfilenode, '-'), ',' "
                "ORDER BY t.i), '') "
                "FROM unnest(%(schemas)s::text[], %(tables)s::text[]) WITH ORDINALITY AS t(s, n, i) "
                "LEFT JOIN pg_namespace ns ON ns.nspname = t.s "
                "LEFT JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.n"
            ),
            {"schemas": [s for s, _ in names], "tables": [n for _, n in names]},
        )
        return hashlib.sha256(str(rows[0][0]).encode()).hexdigest()

    def fresh(self, model: SemanticModel, version: str | None = None) -> dict[str, list[str]] | None:
        """The values stored for this model, unless older than ``max_age`` or read from tables that
        were made again since (``version``: ``data_version``, read now when not given)."""
        rows = self.run(
            app_sql(
                "SELECT values_ FROM {s}.known_values WHERE model = %(m)s AND read_at > now() - %(age)s "
                "AND data_version = %(d)s"
            ),
            {"m": _model_key(model), "age": self.max_age, "d": version or self.data_version(model)},
        )
        return {str(k): [str(v) for v in vs] for k, vs in rows[0][0].items()} if rows else None

    def store(self, model: SemanticModel, values: dict[str, list[str]], version: str | None = None) -> None:
        """``version``: the ``data_version`` read before the values were (a reload meanwhile makes
        the row stale at once rather than fresh for an hour)."""
        self.run(
            app_sql(
                "INSERT INTO {s}.known_values (model, read_at, values_, data_version) "
                "VALUES (%(m)s, now(), %(v)s, %(d)s) ON CONFLICT (model) DO UPDATE SET "
                "read_at = excluded.read_at, values_ = excluded.values_, data_version = excluded.data_version"
            ),
            {"m": _model_key(model), "v": Jsonb(values), "d": version or self.data_version(model)},
        )


def _model_key(model: SemanticModel) -> str:
    """An edited model (or another MAX_VALUES) never reads values stored for another."""
    return hashlib.sha256(f"{MAX_VALUES}:{model.model_dump_json()}".encode()).hexdigest()
