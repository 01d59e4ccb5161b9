"""Build, refresh and inspect the materialized views the model declares.

The DDL comes from the compiler (sqlglot, from the model); this module only runs it. Each build or
refresh is recorded in ``crq.materializations`` with the definition hash, so the compiler knows how
fresh a view is and never uses one built from an older definition of the model.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from compiler.catalog import catalog_for
from compiler.materializations import VIEW_SCHEMA, ViewLayout, create_statements, layouts
from compiler.plan import FIRST_DAY, LAST_DAY
from compiler.rewrites import ViewState
from models.errors import DatabaseError, UserError
from models.semantic_model import SemanticModel
from runtime.database import Database, connect, execute_one
from runtime.roles import META_SCHEMA, OWN_SCHEMAS, grant_reader, owner_session

META_TABLE = "materializations"

_META_DDL = sql.SQL(
    "CREATE SCHEMA IF NOT EXISTS {meta}; CREATE SCHEMA IF NOT EXISTS {views}; "
    "CREATE TABLE IF NOT EXISTS {meta}.{table} (name text PRIMARY KEY, definition_hash text NOT NULL, "
    "refreshed_at timestamptz NOT NULL, refresh_seconds double precision, "
    "rows bigint, bytes bigint); "
    "ALTER TABLE {meta}.{table} ADD COLUMN IF NOT EXISTS first_day date, "
    "ADD COLUMN IF NOT EXISTS last_day date"
).format(
    meta=sql.Identifier(META_SCHEMA), views=sql.Identifier(VIEW_SCHEMA), table=sql.Identifier(META_TABLE)
)


@dataclass(frozen=True)
class ViewStatus:
    name: str
    built: bool
    current: bool
    rows: int | None
    bytes: int | None
    refreshed_at: dt.datetime | None
    refresh_seconds: float | None
    staleness_hours: float | None
    max_staleness_hours: float

    @property
    def usable(self) -> bool:
        return self.built and self.current and (self.staleness_hours or 0) <= self.max_staleness_hours

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "built": self.built,
            "current": self.current,
            "usable": self.usable,
            "rows": self.rows,
            "bytes": self.bytes,
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "refresh_seconds": self.refresh_seconds,
            "staleness_hours": self.staleness_hours,
            "max_staleness_hours": self.max_staleness_hours,
        }


class ViewManager:
    def __init__(self, url: str, model: SemanticModel):
        self.url = url
        self.model = model
        self.catalog = catalog_for(model)
        self.layouts = layouts(self.catalog)

    def _select(self, names: Iterable[str] | None) -> list[ViewLayout]:
        if not names:
            return list(self.layouts.values())
        unknown = [n for n in names if n not in self.layouts]
        if unknown:
            raise UserError(
                f"unknown materialization {', '.join(unknown)} (valid: {', '.join(self.layouts)})"
            )
        return [self.layouts[n] for n in names]

    def plan(self, names: Iterable[str] | None = None) -> dict[str, list[str]]:
        """The DDL `create` would run, per view."""
        return {layout.name: create_statements(layout, self.catalog) for layout in self._select(names)}

    def create(
        self, names: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
    ) -> list[ViewStatus]:
        """(Re)build views from the current model, each in its own transaction."""
        chosen = self._select(names)  # before touching the database: a bad name changes nothing
        with self._connect() as conn, _database_errors():
            conn.execute(_META_DDL)
            for layout in chosen:
                if progress:
                    progress(layout.name)
                start = time.perf_counter()
                with conn.transaction():
                    for statement in create_statements(layout, self.catalog):
                        execute_one(conn, statement)
                    self._record(conn, layout, time.perf_counter() - start)
            grant_reader(conn, OWN_SCHEMAS)
        return self.status(names)

    def refresh(
        self, names: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
    ) -> list[ViewStatus]:
        """Refresh views (concurrently where a unique index allows); rebuild ones whose definition changed.

        Without names, views whose refresh policy is ``manual`` are left alone: they are refreshed only
        when named.
        """
        chosen = (
            self._select(names)
            if names
            else [layout for layout in self.layouts.values() if layout.materialization.refresh != "manual"]
        )
        current = {s.name: s for s in self.status([layout.name for layout in chosen])}
        with self._connect() as conn, _database_errors():
            conn.execute(_META_DDL)
            for layout in chosen:
                if progress:
                    progress(layout.name)
                status = current[layout.name]
                start = time.perf_counter()
                with conn.transaction():
                    if not status.built or not status.current:
                        for statement in create_statements(layout, self.catalog):
                            execute_one(conn, statement)
                    else:
                        concurrently = (
                            sql.SQL("CONCURRENTLY ") if self._has_unique_index(conn, layout) else sql.SQL("")
                        )
                        conn.execute(
                            sql.SQL("REFRESH MATERIALIZED VIEW {}{}.{}").format(
                                concurrently, sql.Identifier(VIEW_SCHEMA), sql.Identifier(layout.name)
                            )
                        )
                    self._record(conn, layout, time.perf_counter() - start)
            grant_reader(conn, OWN_SCHEMAS)
        return self.status(names)

    def status(
        self, names: Iterable[str] | None = None, states: dict[str, RecordedState] | None = None
    ) -> list[ViewStatus]:
        """Each view's state; ``states`` when the caller already read them (with its own connection)."""
        states = self.states() if states is None else states
        now = dt.datetime.now(dt.UTC)
        out = []
        for layout in self._select(names):
            state = states.get(layout.name)
            refreshed = state.refreshed_at if state else None
            out.append(
                ViewStatus(
                    name=layout.name,
                    built=state is not None,
                    current=state is not None and state.definition_hash == layout.definition_hash,
                    rows=state.rows if state else None,
                    bytes=state.bytes if state else None,
                    refreshed_at=refreshed,
                    refresh_seconds=state.refresh_seconds if state else None,
                    staleness_hours=round((now - refreshed).total_seconds() / 3600, 3) if refreshed else None,
                    max_staleness_hours=layout.materialization.max_staleness_hours,
                )
            )
        return out

    def states(self) -> dict[str, RecordedState]:
        """What the database holds, for the compiler: read through a read-only connection."""
        return read_states(Database(self.url))

    def _connect(self) -> psycopg.Connection[Any]:
        """A set-up connection acting as the owner role (runtime/roles.py)."""
        conn = connect(self.url, autocommit=True)
        with _database_errors():
            owner_session(conn)
        return conn

    @staticmethod
    def _has_unique_index(conn: psycopg.Connection[Any], layout: ViewLayout) -> bool:
        row = conn.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s "
            "AND i.indisunique",
            (VIEW_SCHEMA, layout.name),
        ).fetchone()
        return bool(row and row[0])

    @staticmethod
    def _record(conn: psycopg.Connection[Any], layout: ViewLayout, seconds: float) -> None:
        view = sql.SQL("{}.{}").format(sql.Identifier(VIEW_SCHEMA), sql.Identifier(layout.name))
        span = (
            sql.SQL("min({}), max({})").format(sql.Identifier(FIRST_DAY), sql.Identifier(LAST_DAY))
            if layout.source.time_column
            else sql.SQL("NULL::date, NULL::date")
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO {meta}.{table} "
                "(name, definition_hash, refreshed_at, refresh_seconds, rows, bytes, first_day, last_day) "
                "SELECT %(name)s, %(hash)s, now(), %(seconds)s, count(*), "
                "pg_total_relation_size(%(regclass)s::regclass), {span} FROM {view} "
                "ON CONFLICT (name) DO UPDATE SET definition_hash = EXCLUDED.definition_hash, "
                "refreshed_at = EXCLUDED.refreshed_at, refresh_seconds = EXCLUDED.refresh_seconds, "
                "rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, first_day = EXCLUDED.first_day, "
                "last_day = EXCLUDED.last_day"
            ).format(
                meta=sql.Identifier(META_SCHEMA), table=sql.Identifier(META_TABLE), view=view, span=span
            ),
            {
                "name": layout.name,
                "hash": layout.definition_hash,
                "seconds": round(seconds, 3),
                "regclass": f"{VIEW_SCHEMA}.{layout.name}",
            },
        )


@dataclass(frozen=True)
class RecordedState(ViewState):
    refresh_seconds: float | None = None


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as e:
        raise DatabaseError(f"the database refused: {str(e).strip().splitlines()[0]}") from None


def read_states(db: Database) -> dict[str, RecordedState]:
    """View states recorded in the database; empty when crq never built any there, or when this
    role may not read them (a role granted only the inventory still gets answers, from base tables)."""
    found = db.execute(  # CASE, not AND: PostgreSQL may evaluate AND's operands in any order
        "SELECT CASE WHEN has_schema_privilege('crq', 'USAGE') AND has_schema_privilege('crq_mv', 'USAGE') "
        "THEN coalesce(has_table_privilege(to_regclass('crq.materializations'), 'SELECT'), false) "
        "ELSE false END "
        "FROM pg_namespace WHERE nspname = 'crq' AND EXISTS "
        "(SELECT 1 FROM pg_namespace WHERE nspname = 'crq_mv')",
        {},
    )
    if not found.rows or not found.rows[0][0]:
        return {}
    # to_jsonb: a table written by an older crq lacks the newer columns; missing keys read as None
    result = db.execute(
        "SELECT to_jsonb(m) FROM crq.materializations m "
        "WHERE to_regclass('crq_mv.' || quote_ident(m.name)) IS NOT NULL "
        "AND has_table_privilege(to_regclass('crq_mv.' || quote_ident(m.name)), 'SELECT')",
        {},
    )
    states = {}
    for (row,) in result.rows:
        states[row["name"]] = RecordedState(
            name=row["name"],
            definition_hash=row["definition_hash"],
            refreshed_at=dt.datetime.fromisoformat(row["refreshed_at"]),
            rows=row.get("rows"),
            bytes=row.get("bytes"),
            refresh_seconds=row.get("refresh_seconds"),
            first_day=_day(row.get("first_day")),
            last_day=_day(row.get("last_day")),
        )
    return states


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
