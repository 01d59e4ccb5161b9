"""Decide, before reading a question for meaning, whether crq must decline it.

crq is read-only and answers from the semantic model: it never changes anything, never shows or
writes SQL on request, and never passes text that looks like SQL towards the database. Checks look
at the words as written so that no later interpretation can turn a refused request into a query.
"""

from __future__ import annotations

import re

from runtime.mappers.english import (
    CAUSE_PHRASES,
    CREATIVE_WORDS,
    INJECTION_MARKERS,
    LEADING_FILLERS,
    MESSAGE_WORDS,
    MUTATING_ANYWHERE,
    MUTATING_IMPERATIVE,
    MUTATING_WITH_TARGET,
    POLITE_PREFIXES,
    SCHEMA_PHRASES,
    SCHEMA_WORDS,
    TARGET_WORDS,
    WRITING_VERBS,
)
from runtime.mappers.tokens import Token

_SQL_SHAPE = re.compile(
    r"\b(select\s+.+\s+from|insert\s+into|update\s+\w+\s+set|delete\s+from|drop\s+(table|schema|database)|"
    r"alter\s+table|create\s+(table|index|schema)|truncate\s+table|grant\s+\w+\s+on)\b",
    re.IGNORECASE | re.DOTALL,
)


def refusal_reason(question: str, tokens: list[Token]) -> str | None:
    """One line saying why the question is declined, or None to go on."""
    raw = question.lower()
    if _SQL_SHAPE.search(question) or any(m in raw for m in INJECTION_MARKERS):
        return "refused: the question contains SQL or statement separators; ask in plain words instead"
    words = [t.text for t in tokens]
    if any(w in MUTATING_ANYWHERE for w in words):
        verb = next(w for w in words if w in MUTATING_ANYWHERE)
        return f"refused: crq only reads data; it cannot {verb.removesuffix('ing')} anything"
    head = [w for w in words if w not in POLITE_PREFIXES]
    if len(head) > 1 and head[0] == "make" and head[1] not in ("it", "that", "this", "them", "a", "me"):
        return "refused: crq only reads data; it cannot change anything"
    if head and head[0] in MUTATING_IMPERATIVE:
        return f"refused: crq only reads data; it cannot {head[0]} anything"
    if head and head[0] in MUTATING_WITH_TARGET and TARGET_WORDS & set(words[words.index(head[0]) :]):
        return f"refused: crq only reads data; it cannot {head[0]} anything"
    # "email"/"mail" are verbs only first ("email the owners ..."); later they are nouns ("owner email")
    verbs = [w for i, w in enumerate(head[:3]) if w in WRITING_VERBS and not (i and w in MESSAGE_WORDS)]
    if any(w in CREATIVE_WORDS for w in words) or (any(w in MESSAGE_WORDS for w in words) and verbs):
        return "refused: crq answers questions about the cloud inventory with numbers, not with writing"
    lead = [w for w in head if w not in LEADING_FILLERS]
    if any(tuple(lead[: len(p)]) == p for p in CAUSE_PHRASES):  # "why is it so expensive?": a cause
        return (
            "refused: crq answers with figures from the data, not with causes; ask for the figures "
            "that would show it (e.g. by service, by account, by month)"
        )
    text = " ".join(words)
    if any(w in SCHEMA_WORDS for w in words) or any(f" {p} " in f" {text} " for p in SCHEMA_PHRASES):
        return (
            "refused: crq does not show its SQL or the database schema on request; ask a question "
            "about the data instead"
        )
    return None


__all__ = ["refusal_reason"]
