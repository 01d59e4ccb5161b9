"""Intent mappers: question (+ the conversation so far) -> Mapping. The only place meaning is decided."""

from __future__ import annotations

from typing import Protocol

from models.intent import Intent
from models.responses import Mapping


class IntentMapper(Protocol):
    def map(self, question: str, previous: Intent | None = None) -> Mapping:
        """Read ``question``; ``previous`` is the last answered intent of the conversation, if any."""
        ...


__all__ = ["IntentMapper"]
