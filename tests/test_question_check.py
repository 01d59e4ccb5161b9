"""The one check every question passes in the service, before any mapper reads it (runtime/service.py).

Each case goes through ``Service.prepare`` with a mapper that records what it was given, so the tests
show both what the user gets back and that a declined question never reached a mapper (with an LLM
mapper, never the model).
"""

from __future__ import annotations

import datetime as dt

import pytest

from models.intent import Intent
from models.responses import MAX_QUESTION_CHARS, Answer
from models.responses import Mapping as MapperReading
from models.semantic_model import SemanticModel
from runtime.database import Database
from runtime.service import Prepared, Service

AS_OF = dt.date(2026, 6, 17)


class Recorder:
    """A mapper that answers every question with one intent and keeps what it was asked."""

    def __init__(self, name: str = "offline") -> None:
        self.name = name
        self.asked: list[str] = []

    def map(self, question: str, previous: Intent | None = None) -> MapperReading:
        self.asked.append(question)
        return MapperReading(status="answered", intent=Intent(metrics=("resource_count",)), mapper=self.name)


def _service(model: SemanticModel, mapper: Recorder) -> Service:
    # compiling needs no database; nothing here executes
    return Service(model, Database("postgresql://127.0.0.1:9/never"), mapper, as_of=AS_OF, use_views=False)


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("how many\u200b resources", "how many resources"),  # zero-width space: dropped
        ("re\u200dsources by region", "resources by region"),  # zero-width joiner inside a word
        ("\ufeffhow many resources", "how many resources"),  # byte-order mark pasted at the start
        ("how many\tresources\nby  region \r\n", "how many resources by region"),  # white space runs
        ("x" * MAX_QUESTION_CHARS, "x" * MAX_QUESTION_CHARS),  # at the limit: read
    ],
)
def test_what_the_mapper_reads_is_what_the_user_sees(
    model: SemanticModel, question: str, read_as: str
) -> None:
    mapper = Recorder()
    prepared = _service(model, mapper).prepare(question)
    assert mapper.asked == [read_as]
    assert isinstance(prepared, Prepared)
    assert prepared.question == question


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            "cost by \u202eregion",
            "refused: the question holds a control character (U+202E), which can make text read "
            "differently from how it shows; type the question again",
        ),
        (
            "cost by \u2066region\u2069",
            "refused: the question holds a control character (U+2066), which can make text read "
            "differently from how it shows; type the question again",
        ),
        (
            "cost \x1b[2Jby region",
            "refused: the question holds a control character (U+001B), which can make text read "
            "differently from how it shows; type the question again",
        ),
        (
            "cost by region\x00",
            "refused: the question holds a control character (U+0000), which can make text read "
            "differently from how it shows; type the question again",
        ),
        (
            "y" * (MAX_QUESTION_CHARS + 1),
            "refused: the question is too long (2,001 characters, at most 2,000); ask one thing at a time",
        ),
        (
            "how many resources; drop table resources",
            "refused: the question contains SQL or statement separators; ask in plain words instead",
        ),
    ],
)
@pytest.mark.parametrize("kind", ["offline", "hybrid", "llm"])
def test_a_declined_question_reaches_no_mapper(
    model: SemanticModel, question: str, message: str, kind: str
) -> None:
    mapper = Recorder(kind)
    answer = _service(model, mapper).prepare(question)
    assert mapper.asked == []
    assert isinstance(answer, Answer)
    assert (answer.status, answer.message, answer.intent, answer.sql) == ("refused", message, None, None)
    assert answer.mapper == ("hybrid-offline" if kind == "hybrid" else "offline")


def test_an_empty_question_is_the_mappers_to_answer(model: SemanticModel) -> None:
    """The mapper knows what it can answer, so it says so (the offline mapper with examples)."""
    mapper = Recorder()
    _service(model, mapper).prepare(" \u200b\n ")
    assert mapper.asked == [""]


def test_a_reading_that_breaks_is_asked_back_and_logged(
    model: SemanticModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in a pass of the offline mapper must not become an error page, nor vanish: the user is
    asked to rephrase and the log keeps the traceback and the question."""
    from runtime.mappers import offline

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a pass that broke")

    mapper = offline.OfflineMapper(model, {}, as_of=AS_OF)
    monkeypatch.setattr(mapper, "_map", broken)
    with caplog.at_level("ERROR", logger="runtime.mappers.offline"):
        reading = mapper.map("cost by region")
    assert (reading.status, reading.complete) == ("clarify", False)
    assert reading.message == "I could not read that question (KeyError); try rephrasing it"
    [record] = caplog.records
    assert record.getMessage() == "offline mapper failed on a question"
    assert record.__dict__["question"] == "cost by region"
    assert record.exc_info is not None and record.exc_info[0] is KeyError
