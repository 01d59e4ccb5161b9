"""Conversations kept in PostgreSQL, so a follow-up works whichever Lambda container receives it.

A conversation belongs to the caller who started it (stored as a hash of their identity, never the
identity itself) and expires ``ttl`` after its last turn (default 24 hours,
``CRQ_CONVERSATION_TTL_HOURS``; expired ones are deleted when a container starts); an unknown,
expired or someone else's id reads as not found. Only the last answered intent and a short history
are kept, written as the ``crq_api`` role, which can touch schema ``crq_app`` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from models.api import Conversation, Turn
from models.errors import DatabaseError
from models.intent import Intent
from models.responses import Answer
from runtime.database import UrlSource, first_line, login
from runtime.roles import APP_ROLE, APP_SCHEMA

DEFAULT_TTL = dt.timedelta(hours=24)
MAX_TURNS = 50  # the history a conversation keeps; older turns are dropped

_DDL = tuple(
    sql.SQL(statement).format(s=sql.Identifier(APP_SCHEMA))
    for statement in (
        "CREATE TABLE IF NOT EXISTS {s}.conversations (id text PRIMARY KEY, owner text NOT NULL, "
        "created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, last_intent jsonb)",
        "CREATE TABLE IF NOT EXISTS {s}.turns (conversation_id text NOT NULL "
        "REFERENCES {s}.conversations (id) ON DELETE CASCADE, n integer NOT NULL, question text NOT NULL, "
        "status text NOT NULL, answer text NOT NULL, request_id text NOT NULL, "
        "at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (conversation_id, n))",
        "CREATE INDEX IF NOT EXISTS conversations_expiry ON {s}.conversations (expires_at)",
    )
)


_PURGE = sql.SQL("DELETE FROM {}.conversations WHERE expires_at <= now()").format(sql.Identifier(APP_SCHEMA))


def owner_key(subject: str) -> str:
    """What is stored of a caller: enough to tell callers apart, nothing to recover who they are."""
    return hashlib.sha256(f"crq-conversation:{subject}".encode()).hexdigest()


class ConversationStore:
    """One connection as the API role, opened on first use (one per Lambda container)."""

    def __init__(self, url: str | UrlSource, ttl: dt.timedelta = DEFAULT_TTL):
        self._source: UrlSource = url if callable(url) else (lambda _refresh: url)
        self.ttl = ttl
        self._conn: psycopg.Connection[Any] | None = None

    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._conn = None
        if self._conn is None:
            conn = login(self._source, APP_ROLE)
            try:
                for statement in _DDL:
                    conn.execute(statement)
                # expired conversations go once per container start: cheap (an index on expires_at)
                conn.execute(_PURGE)
            except psycopg.Error as e:
                conn.close()
                raise DatabaseError(
                    f"cannot prepare the conversation store: {first_line(e)}"
                ) from None
            self._conn = conn
        return self._conn

    def _run(self, query: sql.Composable | str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        conn = self.connection()
        try:  # one statement, its own transaction (autocommit): one round trip
            try:
                cur = conn.execute(query, params)
            except psycopg.errors.UniqueViolation:  # two turns of one conversation at once took one n
                cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []
        except psycopg.Error as e:
            raise DatabaseError(f"the conversation store failed: {first_line(e)}") from None

    def previous(self, conversation_id: str, subject: str) -> Intent | bool | None:
        """The last answered intent of a live conversation the caller owns; False when there is none."""
        rows = self._run(
            sql.SQL(
                "SELECT last_intent FROM {}.conversations WHERE id = %(id)s AND owner = %(owner)s "
                "AND expires_at > now()"
            ).format(sql.Identifier(APP_SCHEMA)),
            {"id": conversation_id, "owner": owner_key(subject)},
        )
        if not rows:
            return False
        return Intent.model_validate(rows[0][0]) if rows[0][0] else None

    def record(self, conversation_id: str | None, subject: str, answer: Answer, request_id: str) -> str:
        """Append a turn (starting the conversation if needed); the conversation's id."""
        cid = conversation_id or secrets.token_urlsafe(16)
        intent = (
            Jsonb(answer.intent.model_dump(mode="json"))
            if answer.status == "answered" and answer.intent
            else None
        )
        s = sql.Identifier(APP_SCHEMA)
        self._run(
            sql.SQL(
                "WITH c AS (INSERT INTO {s}.conversations AS c (id, owner, expires_at, last_intent) "
                "VALUES (%(id)s, %(owner)s, now() + %(ttl)s, %(intent)s) ON CONFLICT (id) DO UPDATE SET "
                "expires_at = EXCLUDED.expires_at, "
                "last_intent = coalesce(EXCLUDED.last_intent, c.last_intent) "
                "WHERE c.owner = EXCLUDED.owner RETURNING id), "
                "t AS (INSERT INTO {s}.turns (conversation_id, n, question, status, answer, request_id) "
                "SELECT c.id, coalesce((SELECT max(n) FROM {s}.turns WHERE conversation_id = c.id), 0) + 1, "
                "%(question)s, %(status)s, %(answer)s, %(request_id)s FROM c RETURNING n) "
                # the history keeps the last MAX_TURNS turns (the DELETE sees the rows before t's)
                "DELETE FROM {s}.turns WHERE conversation_id = %(id)s AND n <= (SELECT n FROM t) - %(keep)s"
            ).format(s=s),
            {
                "id": cid,
                "owner": owner_key(subject),
                "ttl": self.ttl,
                "intent": intent,
                "question": answer.question,
                "status": answer.status,
                "answer": answer.answer or answer.message,
                "request_id": request_id,
                "keep": MAX_TURNS,
            },
        )
        return cid

    def get(self, conversation_id: str, subject: str) -> Conversation | None:
        s = sql.Identifier(APP_SCHEMA)
        head = self._run(
            sql.SQL(
                "SELECT created_at, expires_at FROM {s}.conversations "
                "WHERE id = %(id)s AND owner = %(owner)s AND expires_at > now()"
            ).format(s=s),
            {"id": conversation_id, "owner": owner_key(subject)},
        )
        if not head:
            return None
        turns = self._run(
            sql.SQL(
                "SELECT question, status, answer, request_id, at FROM {s}.turns "
                "WHERE conversation_id = %(id)s ORDER BY n"
            ).format(s=s),
            {"id": conversation_id},
        )
        return Conversation(
            conversation_id=conversation_id,
            created_at=head[0][0],
            expires_at=head[0][1],
            turns=[Turn(question=q, status=st, answer=a, request_id=r, at=at) for q, st, a, r, at in turns],
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
