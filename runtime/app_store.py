"""The chat API's own state in PostgreSQL (schema ``crq_app``, written as the ``crq_api`` role).

Conversations and jobs each keep one connection as the API role, opened on first use (one per Lambda
container or worker thread), creating their tables on the way (the API's shared known-values cache
uses the conversations' one): the role can touch schema ``crq_app`` and nothing else, so nothing here
can read or change the inventory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Self

import psycopg
from psycopg import sql

from models.errors import DatabaseError
from runtime.database import UrlSource, first_line, login
from runtime.roles import APP_ROLE, APP_SCHEMA


def owner_key(subject: str) -> str:
    """What is stored of a caller: enough to tell callers apart, nothing to recover who they are."""
    return hashlib.sha256(f"crq-conversation:{subject}".encode()).hexdigest()


def app_sql(statement: str) -> sql.Composed:
    """A statement over the app schema, written with ``{s}`` where the schema goes."""
    return sql.SQL(statement).format(s=sql.Identifier(APP_SCHEMA))


class AppStore:
    """One autocommit connection as the API role; ``ddl`` runs once per connection, then ``purge``
    (expired rows go when a container starts: cheap, each table has an index on its expiry).
    ``sharing(other)`` makes a store use another's connection instead of logging in again."""

    ddl: Sequence[sql.Composed] = ()
    purge: sql.Composed | None = None
    what = "the app store"

    def __init__(self, url: str | UrlSource):
        self._source: UrlSource = url if callable(url) else (lambda _refresh: url)
        self._conn: psycopg.Connection[Any] | None = None
        self._owner: AppStore | None = None

    def sharing(self, owner: AppStore) -> Self:
        """Run on ``owner``'s connection (opened by it when needed; this store's ``ddl`` and ``purge``
        then run on it once), and leave closing it to ``owner``: a login is the dearest part of a
        first request (connect, TLS, authentication, crq's role check), and the known-values cache
        and the conversations are written as the same role on the same server."""
        self._owner = owner
        return self

    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._conn = None
        if self._conn is None:
            conn = self._owner.connection() if self._owner else login(self._source, APP_ROLE)
            try:
                for statement in self.ddl:
                    conn.execute(statement)
                if self.purge is not None:
                    conn.execute(self.purge, self.purge_params())
            except psycopg.Error as e:
                if self._owner is None:
                    conn.close()
                raise DatabaseError(f"cannot prepare {self.what}: {first_line(e)}") from None
            self._conn = conn
        return self._conn

    def purge_params(self) -> dict[str, Any]:
        return {}

    def run(self, query: sql.Composed, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """One statement in its own transaction (autocommit): one round trip. A connection that broke
        since the last call (an idle timeout, a failover) is remade once: every statement here is
        safe to send twice, or fenced so that a second one changes nothing."""
        for last_try in (False, True):
            conn = self.connection()
            try:
                try:
                    cur = conn.execute(query, params)
                except psycopg.errors.UniqueViolation:  # two writers raced for one key: once more
                    cur = conn.execute(query, params)
                return cur.fetchall() if cur.description else []
            except psycopg.OperationalError as e:
                if conn.broken and not last_try:
                    continue
                raise DatabaseError(f"{self.what} failed: {first_line(e)}") from None
            except psycopg.Error as e:
                raise DatabaseError(f"{self.what} failed: {first_line(e)}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None and self._owner is None:
            self._conn.close()
        self._conn = None
