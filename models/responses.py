"""What the stages hand back to callers: the mapper's reading of a question and the final answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.intent import Intent

MAX_QUESTION_CHARS = 2000
"""The longest question crq reads (the service refuses longer ones for every mapper and entry point)."""

MappingStatus = Literal["answered", "clarify", "refused"]
"""What a mapper can make of a question."""
Status = Literal[MappingStatus, "error"]
"""An answer's status: the mapper's, or ``error`` when the question could not be run (the database
failed or timed out). Never ``refused`` for that: a refusal says the question was wrong, an error says
crq was, and callers (exit codes, retries) must tell them apart."""


class Mapping(BaseModel):
    """A mapper's result. ``answered`` carries an intent; ``clarify`` and ``refused`` a message and,
    for clarify, suggestions the user can pick from. ``complete`` says the mapper understood every
    part of the question (hybrid mode asks the LLM only when it did not; the service asks the user
    back rather than answer a reading that is not complete). ``note`` is what the user must be told
    about the reading beyond the intent itself (words ignored or read as others, the LLM was
    unavailable); ``message`` is the whole account, the intent's description included."""

    model_config = ConfigDict(frozen=True)
    status: MappingStatus
    intent: Intent | None = None
    message: str = ""
    suggestions: tuple[str, ...] = ()
    complete: bool = True
    mapper: str = "offline"
    note: str = ""


class Answer(BaseModel):
    """One answered (or declined) question; the JSON line of ``crq ask --json`` and the chat API body.

    ``message`` holds the mapper's note and the compiler's notes for an answer, and why for anything
    else; ``mapper`` names the mapper that read the question (None for an intent given directly)."""

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
    mapper: str | None = None
    materialization: str | None = None
    explain: dict[str, str] = Field(default_factory=dict, description="view -> 'used' or why not")
    timings_ms: dict[str, float] = Field(default_factory=dict)
