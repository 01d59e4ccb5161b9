"""What the stages hand back to callers: the mapper's reading of a question and the final answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.intent import Intent

Status = Literal["answered", "clarify", "refused"]


class Mapping(BaseModel):
    """A mapper's result. ``answered`` carries an intent; ``clarify`` and ``refused`` a message and,
    for clarify, suggestions the user can pick from. ``complete`` says the mapper understood every
    part of the question (hybrid mode asks the LLM only when it did not)."""

    model_config = ConfigDict(frozen=True)
    status: Status
    intent: Intent | None = None
    message: str = ""
    suggestions: tuple[str, ...] = ()
    complete: bool = True
    mapper: str = "offline"


class Answer(BaseModel):
    """One answered (or declined) question; the JSON line of ``crq ask --json`` and the chat API body."""

    model_config = ConfigDict(frozen=True)
    question: str
    status: Status
    intent: Intent | None = None
    sql: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    truncated: bool = False
    answer: str = ""
    message: str = ""
    suggestions: list[str] = Field(default_factory=list)
    materialization: str | None = None
    explain: dict[str, str] = Field(default_factory=dict, description="view -> 'used' or why not")
    timings_ms: dict[str, float] = Field(default_factory=dict)
