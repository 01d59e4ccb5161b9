"""Conversations kept in PostgreSQL, so a follow-up works whichever Lambda container receives it.

A conversation belongs to the caller who started it (stored as a hash of their identity, never the
identity itself) and expires ``ttl`` after its last turn (default 24 hours,
``CRQ_CONVERSATION_TTL_HOURS``; expired ones are deleted when a container starts); an unknown,
expired or someone else's id reads as not found. Only the last answered intent and a short history
are kept, written as the ``crq_api`` role, which can touch schema ``crq_app`` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Literal

from psycopg.types.json import Jsonb

from models.api import Conversation, Turn
from models.intent import Intent
from models.responses import Answer
from runtime.app_store import AppStore, app_sql, owner_key
from runtime.database import UrlSource

DEFAULT_TTL = dt.timedelta(hours=24)
MAX_TURNS = 50  # the history a conversation keeps; older turns are dropped

class ConversationStore(AppStore):
    """Conversations and their turns (one connection as the API role per Lambda container)."""

    ddl = tuple(
        app_sql(statement)
        for statement in (
            "CREATE TABLE IF NOT EXISTS {s}.conversations (id text PRIMARY KEY, owner text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, "
            "last_intent jsonb)",
            "CREATE TABLE IF NOT EXISTS {s}.turns (conversation_id text NOT NULL "
            "REFERENCES {s}.conversations (id) ON DELETE CASCADE, n integer NOT NULL, "
            "question text NOT NULL, status text NOT NULL, answer text NOT NULL, request_id text NOT NULL, "
            "at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (conversation_id, n))",
            "CREATE INDEX IF NOT EXISTS conversations_expiry ON {s}.conversations (expires_at)",
        )
    )
    purge = app_sql("DELETE FROM {s}.conversations WHERE expires_at <= now()")
    what = "the conversation store"

    def __init__(self, url: str | UrlSource, ttl: dt.timedelta = DEFAULT_TTL):
        super().__init__(url)
        self.ttl = ttl

    def previous(self, conversation_id: str, subject: str) -> Intent | Literal[False] | None:
        """The last answered intent of a live conversation the caller owns; False when there is none."""
        rows = self.run(
            app_sql(
                "SELECT last_intent FROM {s}.conversations WHERE id = %(id)s AND owner = %(owner)s "
                "AND expires_at > now()"
            ),
            {"id": conversation_id, "owner": owner_key(subject)},
        )
        if not rows:
            return False
        return Intent.model_validate(rows[0][0]) if rows[0][0] else None

    def record(self, conversation_id: str | None, subject: str, answer: Answer, request_id: str) -> str:
        """Append a turn (starting the conversation if needed); the conversation's id."""
        intent = answer.intent if answer.status == "answered" else None
        text = answer.answer or answer.message
        return self._append(
            conversation_id, subject, answer.question, answer.status, text, intent, request_id
        )

    def record_job(
        self, conversation_id: str | None, subject: str, question: str, intent: Intent, request_id: str
    ) -> str:
        """Append the turn of a question that became a job: its intent is already the one a follow-up
        builds on; its answer comes with ``complete`` when the job ends."""
        return self._append(conversation_id, subject, question, "queued", "", intent, request_id)

    def complete(self, conversation_id: str, request_id: str, status: str, text: str) -> None:
        """A job's turn gets its outcome (the conversation may have expired meanwhile: then nothing)."""
        self.run(
            app_sql(
                "UPDATE {s}.turns SET status = %(status)s, answer = %(answer)s "
                "WHERE conversation_id = %(id)s AND request_id = %(request_id)s"
            ),
            {"id": conversation_id, "request_id": request_id, "status": status, "answer": text},
        )

    def _append(
        self,
        conversation_id: str | None,
        subject: str,
        question: str,
        status: str,
        text: str,
        intent: Intent | None,
        request_id: str,
    ) -> str:
        cid = conversation_id or secrets.token_urlsafe(16)
        self.run(
            app_sql(
                "WITH c AS (INSERT INTO {s}.conversations AS c (id, owner, expires_at, last_intent) "
                "VALUES (%(id)s, %(owner)s, now() + %(ttl)s, %(intent)s) ON CONFLICT (id) DO UPDATE SET "
                "expires_at = EXCLUDED.expires_at, "
                # a question asked back or declined leaves nothing to follow: "break that down by region"
                # after it must not break down the answer before it (an error keeps the last answer)
                "last_intent = CASE WHEN %(status)s IN ('clarify', 'refused') THEN NULL "
                "ELSE coalesce(EXCLUDED.last_intent, c.last_intent) END "
                "WHERE c.owner = EXCLUDED.owner RETURNING id), "
                "t AS (INSERT INTO {s}.turns (conversation_id, n, question, status, answer, request_id) "
                "SELECT c.id, coalesce((SELECT max(n) FROM {s}.turns WHERE conversation_id = c.id), 0) + 1, "
                "%(question)s, %(status)s, %(answer)s, %(request_id)s FROM c RETURNING n) "
                # the history keeps the last MAX_TURNS turns (the DELETE sees the rows before t's)
                "DELETE FROM {s}.turns WHERE conversation_id = %(id)s AND n <= (SELECT n FROM t) - %(keep)s"
            ),
            {
                "id": cid,
                "owner": owner_key(subject),
                "ttl": self.ttl,
                "intent": Jsonb(intent.model_dump(mode="json")) if intent else None,
                "question": question,
                "status": status,
                "answer": text,
                "request_id": request_id,
                "keep": MAX_TURNS,
            },
        )
        return cid

    def get(self, conversation_id: str, subject: str) -> Conversation | None:
        head = self.run(
            app_sql(
                "SELECT created_at, expires_at FROM {s}.conversations "
                "WHERE id = %(id)s AND owner = %(owner)s AND expires_at > now()"
            ),
            {"id": conversation_id, "owner": owner_key(subject)},
        )
        if not head:
            return None
        turns = self.run(
            app_sql(
                "SELECT question, status, answer, request_id, at FROM {s}.turns "
                "WHERE conversation_id = %(id)s ORDER BY n"
            ),
            {"id": conversation_id},
        )
        return Conversation(
            conversation_id=conversation_id,
            created_at=head[0][0],
            expires_at=head[0][1],
            turns=[Turn(question=q, status=st, answer=a, request_id=r, at=at) for q, st, a, r, at in turns],
        )

