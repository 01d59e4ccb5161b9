"""Which mapper answers: offline, llm (offline as its fallback) or hybrid (offline first).

Why hybrid: most questions use the model's own words, which the offline mapper reads exactly, for
free and in microseconds. Only when it did not understand every word (``complete`` false) or did not
answer does a question cost an LLM call; ``HybridMapper.saved_calls`` counts the calls it avoided.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from contextlib import AbstractContextManager

from models.errors import UserError
from models.intent import Intent
from models.responses import Mapping
from models.semantic_model import SemanticModel
from runtime.mappers import IntentMapper
from runtime.mappers.llm import LLMMapper, LLMUnavailable, offline_instead, refused_by_rules
from runtime.mappers.offline import OfflineMapper
from runtime.mappers.settings import LLMSettings
from runtime.usage import UsageLog, count


class HybridMapper:
    """Offline when it answered and understood the whole question, else the LLM.

    When the LLM is unavailable the offline reading already at hand is returned, with a note, instead
    of asking the offline mapper a second time; if it is not complete, the service asks the user back
    (the rule lives there, not here, because ``complete`` is also what sends a question to the LLM).
    """

    name = "hybrid"

    def __init__(self, offline: IntentMapper, llm: LLMMapper):
        self.offline = offline
        self.llm = llm
        self.saved_calls = 0
        self.llm_questions = 0
        self._lock = threading.Lock()

    def map(self, question: str, previous: Intent | None = None) -> Mapping:
        reason = refused_by_rules(question)
        if reason:  # declined before either mapper reads it: the LLM never sees it
            return Mapping(status="refused", message=reason, mapper="hybrid-offline")
        first = self.offline.map(question, previous)
        if first.status == "answered" and first.complete:
            with self._lock:
                self.saved_calls += 1
            count("hybrid.saved_calls")
            return first.model_copy(update={"mapper": "hybrid-offline"})
        with self._lock:
            self.llm_questions += 1
        try:
            second = self.llm.map_llm(question, previous)
        except LLMUnavailable as e:
            return offline_instead(first, e.kind, "hybrid-offline")
        return second.model_copy(update={"mapper": "hybrid-llm"})


def build_mapper(
    model: SemanticModel,
    values: MappingType[str, Sequence[str]] | None,
    settings: LLMSettings,
    as_of: dt.date | None = None,
    *,
    usage_log: UsageLog | None = None,
    stage: Callable[[str], AbstractContextManager[object]] | None = None,
) -> IntentMapper:
    """The mapper ``settings.mapper`` asks for; raises ``UserError`` when the LLM is asked for but not
    configured (a silent switch to offline would hide a typo in the environment)."""
    offline = OfflineMapper(model, values, as_of=as_of)
    if settings.mapper == "offline":
        return offline
    if not settings.llm_configured:
        raise UserError(
            f"CRQ_MAPPER={settings.mapper} needs CRQ_LLM_MODEL (and CRQ_LLM_BASE_URL for an "
            "endpoint other than OpenAI's)"
        )
    llm = LLMMapper(
        model,
        settings,
        fallback=offline,
        usage_log=usage_log or UsageLog(),
        as_of=as_of,
        values=values,
        stage=stage,
    )
    if settings.mapper == "llm":
        return llm
    return HybridMapper(offline, llm)


__all__ = ["HybridMapper", "build_mapper"]
