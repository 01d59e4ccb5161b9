"""The one place the stages are wired: question -> mapping -> compile -> execute -> answer.

Entry points (CLI, later the Lambda handler and local server) stay thin and call this.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from compiler import CompiledQuery, compile
from compiler.rewrites import ViewState
from models.access import Scope
from models.errors import AccessDenied, DatabaseError, UserError
from models.intent import Intent
from models.responses import MAX_QUESTION_CHARS, Answer
from models.responses import Mapping as MapperReading
from models.semantic_model import SemanticModel
from runtime.answer import answer_text
from runtime.database import Database
from runtime.describe import describe_intent
from runtime.json_values import json_value
from runtime.mappers import IntentMapper
from runtime.mappers.refusals import refusal_reason
from runtime.mappers.tokens import tokenize
from runtime.materialized_views import read_states

if TYPE_CHECKING:
    from runtime.mappers.settings import LLMSettings
    from runtime.usage import UsageLog

VIEW_STATE_TTL = 30.0
# zero-width characters, dropped: invisible, they would split or join words the user sees whole
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
# C0 and C1 controls (white space aside), DEL, directional marks, embeddings, overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Prepared:
    """A question read and compiled but not run yet: the API runs it now or hands it to a job."""

    question: str
    intent: Intent
    compiled: CompiledQuery
    timings: dict[str, float]
    note: str = ""
    mapper: str | None = None


class Service:
    def __init__(
        self,
        model: SemanticModel,
        database: Database,
        mapper: IntentMapper | None,
        as_of: dt.date | None = None,
        timezone: str = "UTC",
        use_views: bool = True,
        stage: Callable[[str], AbstractContextManager[object]] | None = None,
    ):
        self.model = model
        self.database = database
        self.mapper = mapper
        self.as_of = as_of or dt.datetime.now(dt.UTC).date()
        self.timezone = timezone
        self.use_views = use_views and bool(model.materializations)
        self._views: tuple[float, Mapping[str, ViewState]] | None = None
        # wraps each stage (map, compile, execute): the Lambda handler makes them X-Ray subsegments
        self.stage = stage or (lambda _name: nullcontext())

    def views(self) -> Mapping[str, ViewState] | None:
        """The database's view states, re-read at most every VIEW_STATE_TTL seconds."""
        if not self.use_views:
            return None
        if self._views is None or time.monotonic() - self._views[0] > VIEW_STATE_TTL:
            self._views = (time.monotonic(), read_states(self.database))
        return self._views[1]

    def compile(self, intent: Intent, scope: Scope | None = None) -> CompiledQuery:
        return compile(
            intent,
            self.model,
            as_of=self.as_of,
            timezone=self.timezone,
            views=self.views(),
            now=dt.datetime.now(dt.UTC),
            scope=scope,
        )

    def run(
        self,
        intent: Intent,
        question: str = "",
        timings: dict[str, float] | None = None,
        scope: Scope | None = None,
        timeout_ms: int | None = None,
    ) -> Answer:
        """Compile and execute an intent; user errors become a ``clarify`` answer, not an exception.
        ``scope`` (the caller's access scope) limits every row read; a caller it denies raises
        AccessDenied, which is not a question to ask back."""
        prepared = self.prepare_intent(intent, question, timings, scope)
        return prepared if isinstance(prepared, Answer) else self.execute(prepared, timeout_ms)

    def prepare_intent(
        self,
        intent: Intent,
        question: str = "",
        timings: dict[str, float] | None = None,
        scope: Scope | None = None,
        mapping: MapperReading | None = None,
    ) -> Answer | Prepared:
        """Compile an intent without running it: the API decides whether it runs now or as a job."""
        timings = dict(timings or {})
        start = time.perf_counter()
        try:
            with self.stage("compile"):
                compiled = self.compile(intent, scope)
        except AccessDenied:
            raise
        except UserError as e:
            return Answer(
                question=question,
                status="clarify",
                intent=intent,
                message="; ".join(m for m in (mapping.note if mapping else "", str(e)) if m),
                mapper=mapping.mapper if mapping else None,
                timings_ms=timings,
            )
        timings["compile"] = round((time.perf_counter() - start) * 1000, 3)
        note, mapper = (mapping.note, mapping.mapper) if mapping else ("", None)
        return Prepared(question, intent, compiled, timings, note, mapper)

    def execute(self, prepared: Prepared, timeout_ms: int | None = None) -> Answer:
        """Run a prepared query; ``timeout_ms`` shortens the statement timeout (the API's sync budget)."""
        start = time.perf_counter()
        intent, compiled, timings = prepared.intent, prepared.compiled, dict(prepared.timings)
        with self.stage("execute"):
            result = self.database.execute(compiled.sql, compiled.params, timeout_ms=timeout_ms)
        timings["execute"] = round(result.elapsed_ms, 3)
        reading = describe_intent(intent, self.as_of, compiled.plan.readings)
        notes = "; ".join(m for m in (prepared.note, *compiled.plan.notes) if m)
        text = answer_text(intent, self.model, result.columns, result.rows, result.truncated, reading)
        if result.truncated:
            text += f" Only the first {self.database.row_cap} rows are shown."
        if prepared.mapper is not None:  # asked in words: the whole time since the question came in
            before = sum(prepared.timings.values())  # map and compile
            timings["total"] = round(before + (time.perf_counter() - start) * 1000, 3)
        return Answer(
            question=prepared.question,
            status="answered",
            intent=intent,
            sql=compiled.sql,
            params={k: json_value(v) for k, v in compiled.params.items()},
            columns=result.columns,
            rows=[[json_value(v) for v in row] for row in result.rows],
            truncated=result.truncated,
            answer=text,
            message=notes,
            mapper=prepared.mapper,
            materialization=", ".join(compiled.plan.materializations) or None,
            explain=dict(compiled.plan.view_report),
            timings_ms=timings,
        )

    def ask(self, question: str, previous: Intent | None = None, scope: Scope | None = None) -> Answer:
        """Map, compile and run (``prepare`` then ``execute``)."""
        prepared = self.prepare(question, previous, scope)
        return prepared if isinstance(prepared, Answer) else self.execute(prepared)

    def prepare(
        self, question: str, previous: Intent | None = None, scope: Scope | None = None
    ) -> Answer | Prepared:
        """Map and compile. A reading the mapper marks incomplete (words it ignored or read as others)
        is asked back, not answered: a number for half a question is the confident wrong answer users
        cannot spot. The rule is here, not in a mapper, because hybrid mode needs the incomplete
        reading itself to decide to ask the LLM."""
        if self.mapper is None:
            raise ValueError("this Service was built without an intent mapper")
        start = time.perf_counter()
        with self.stage("map"):
            checked = check_question(question, self.mapper)
            mapping = checked if isinstance(checked, MapperReading) else self.mapper.map(checked, previous)
        timings = {"map": round((time.perf_counter() - start) * 1000, 3)}
        if mapping.status != "answered" or mapping.intent is None:
            return Answer(
                question=question,
                status=mapping.status,
                message=mapping.message,
                suggestions=list(mapping.suggestions),
                mapper=mapping.mapper,
                timings_ms=timings,
            )
        if not mapping.complete:
            unsure = mapping.note or "I did not understand all of the question"
            return Answer(
                question=question,
                status="clarify",
                message=f"{unsure}, so I am not sure what you mean "
                f"(I would answer: {describe_intent(mapping.intent)})",
                suggestions=list(mapping.suggestions),
                mapper=mapping.mapper,
                timings_ms=timings,
            )
        return self.prepare_intent(mapping.intent, question, timings, scope, mapping)

    def conversation(self, questions: list[str]) -> Iterator[Answer]:
        """Questions in order, each follow-up seeing the last answered intent, or nothing after a
        question asked back or declined (what a follow-up to it means is unknown: the answer before
        it would be a guess). A database failure is that question's ``error`` (the message says what
        failed), and the next question still runs on the last answer."""
        previous: Intent | None = None
        for q in questions:
            try:
                answer = self.ask(q, previous)
            except DatabaseError as e:
                answer = Answer(question=q, status="error", message=str(e))
            if answer.status == "answered":
                previous = answer.intent
            elif answer.status in ("clarify", "refused"):
                previous = None
            yield answer


def build_service(
    model: SemanticModel,
    database: Database,
    *,
    values: Mapping[str, Sequence[str]] | None,
    as_of: dt.date | None = None,
    timezone: str = "UTC",
    llm: LLMSettings | None = None,
    use_views: bool = True,
    usage_log: UsageLog | None = None,
    stage: Callable[[str], AbstractContextManager[object]] | None = None,
) -> Service:
    """A service with the mapper ``llm`` (default: the environment's ``CRQ_MAPPER``) asks for, built the
    same way by every entry point: the CLI, the Lambda handlers and ``crq serve``. ``values`` are the
    ones the caller's rows hold (``runtime.known_values``)."""
    from runtime.mappers.factory import build_mapper  # the mappers: only for a service that reads words
    from runtime.mappers.settings import LLMSettings

    day = as_of or dt.datetime.now(dt.UTC).date()
    settings = llm or LLMSettings.from_env()
    mapper = build_mapper(model, values, settings, as_of=day, usage_log=usage_log, stage=stage)
    return Service(model, database, mapper, as_of=day, timezone=timezone, use_views=use_views, stage=stage)


def check_question(question: str, mapper: IntentMapper) -> str | MapperReading:
    """The one check every question passes before any mapper reads it: the question as it will be
    read, or the reading that declines it. Zero-width characters go and runs of white space become
    one space, so what is read is what the user sees; other control and bidi characters are refused
    (they make text read differently from how it shows, and no question needs one); a question over
    MAX_QUESTION_CHARS is refused; and the refusal rules (a change, SQL, writing) run here, so with an
    LLM mapper a refused question never reaches the model. Named after the rules' home, the offline
    mapper ("hybrid-offline" in hybrid mode)."""
    name = "hybrid-offline" if getattr(mapper, "name", "") == "hybrid" else "offline"
    text = " ".join(_INVISIBLE.sub("", question or "").split())
    if not text:  # the mapper says what it can answer
        return text
    if len(text) > MAX_QUESTION_CHARS:
        return MapperReading(
            status="refused",
            message=f"refused: the question is too long ({len(text):,} characters, at most "
            f"{MAX_QUESTION_CHARS:,}); ask one thing at a time",
            mapper=name,
        )
    if control := _CONTROL.search(text):
        return MapperReading(
            status="refused",
            message=f"refused: the question holds a control character (U+{ord(control[0]):04X}), which can "
            "make text read differently from how it shows; type the question again",
            mapper=name,
        )
    reason = refusal_reason(text, tokenize(text))
    return MapperReading(status="refused", message=reason, mapper=name) if reason else text
