"""The LLM mapper's prompt: a fixed system message made from the semantic model, then the question.

Why this order: OpenAI-compatible providers cache the longest prompt prefix they have seen recently
(OpenAI from 1024 tokens, billed at a discount). Everything that depends only on the model (the
instructions, metrics, dimensions with their synonyms and values, segments, verified queries as
few-shot examples) is the system message and stays byte-identical across questions; what changes
(today's date, the previous intent, the question) comes after it, in the user message.

The text itself is ``runtime/templates/llm_prompt.j2`` so that wording can change without code.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from models.intent import Intent
from models.semantic_model import Dimension, SemanticModel
from runtime.mappers.llm_schema import intent_to_json, reply_schema

MAX_VALUES_SHOWN = 30
CHARS_PER_TOKEN = 4

Message = dict[str, str]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("runtime", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=StrictUndefined,
        autoescape=False,  # plain text for a language model, not HTML
    )


def system_prompt(model: SemanticModel, values: Mapping[str, Sequence[str]] | None = None) -> str:
    """The fixed part: instructions and the model. Deterministic for a given model and values."""
    text = _environment().get_template("llm_prompt.j2").render(**_context(model, values or {}))
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def user_prompt(question: str, previous: Intent | None, model: SemanticModel, as_of: dt.date) -> str:
    """The changing part: today's date (relative periods are resolved by crq, but "since March"
    needs a year), the previous intent of the conversation, then the question."""
    lines = [f"Today is {as_of.isoformat()} ({as_of.strftime('%A')})."]
    if previous is not None:
        prev = json.dumps(intent_to_json(previous, model), separators=(", ", ": "))
        lines.append(f"Previous intent of this conversation: {prev}")
    else:
        lines.append("This is the first question of the conversation.")
    lines.append(f"Question: {question.strip()}")
    return "\n".join(lines)


def build_messages(
    model: SemanticModel,
    question: str,
    previous: Intent | None,
    as_of: dt.date,
    values: Mapping[str, Sequence[str]] | None = None,
    *,
    system: str | None = None,
) -> list[Message]:
    """``system`` lets a mapper pass its prompt rendered once instead of rendering it per question."""
    return [
        {"role": "system", "content": system if system is not None else system_prompt(model, values)},
        {"role": "user", "content": user_prompt(question, previous, model, as_of)},
    ]


def estimate_tokens(text: str) -> int:
    """An ESTIMATE: about 4 characters per token, which is what OpenAI documents for English text with
    its tokenizers; names and JSON tokenize a little worse, so expect the real count within ~25%.
    (tiktoken would be exact but downloads its vocabulary at run time, which crq must not need.)"""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class PromptSize:
    """Sizes of what one call sends, in characters and estimated tokens (see ``estimate_tokens``)."""

    system_chars: int
    schema_chars: int
    system_tokens: int
    schema_tokens: int

    @property
    def fixed_tokens(self) -> int:
        """The cacheable part of every call: system prompt plus the response schema."""
        return self.system_tokens + self.schema_tokens

    def __str__(self) -> str:
        return (
            f"~{self.fixed_tokens} tokens fixed per call (estimate, {CHARS_PER_TOKEN} chars/token): "
            f"system prompt ~{self.system_tokens}, response schema ~{self.schema_tokens}, "
            "plus the question and previous intent"
        )


def prompt_size(model: SemanticModel, values: Mapping[str, Sequence[str]] | None = None) -> PromptSize:
    """How big the fixed part of the prompt is for ``model``, without calling anything."""
    system = system_prompt(model, values)
    schema = json.dumps(reply_schema(model), separators=(",", ":"))
    return PromptSize(len(system), len(schema), estimate_tokens(system), estimate_tokens(schema))


# --- the template's context -------------------------------------------------------------------------


def _context(model: SemanticModel, values: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    dims: dict[str, dict[str, Any]] = {}
    tag_names: list[str] = []
    for t in model.tables:
        for d in t.dimensions:
            if d.tags:
                tag_names.extend(f"{d.name}:{k}" for k in d.tag_keys)
                for k in d.tag_keys:
                    known = values.get(f"{d.name}:{k}")
                    if known:
                        entry = _entry(dims, f"{d.name}:{k}", t.name, d.description, ())
                        _add_values(entry, known)
                continue
            entry = _entry(dims, d.name, t.name, d.description, d.synonyms)
            if d.type != "string":
                entry["kind"] = "yes/no" if d.type == "boolean" else d.type.value
            _describe_values(entry, d, values.get(d.name))
        for td in t.time_dimensions:
            entry = _entry(dims, td.name, t.name, td.description, td.synonyms)
            entry["kind"] = f"date; grains {', '.join(g.value for g in td.grains)}"
    qualified = [f"{t}.{n}" for n, e in dims.items() if len(e["tables"]) > 1 for t in e["tables"]]
    examples = [
        {
            "question": vq.question,
            "reply": json.dumps(
                {
                    "status": "answered",
                    "follow_up": False,
                    "intent": intent_to_json(vq.intent, model),
                    "message": "",
                    "suggestions": [],
                },
                separators=(", ", ": "),
            ),
        }
        for vq in model.verified_queries
    ]
    description = model.description.rstrip(".")
    return {
        "model": model,
        "topic": (description[0].lower() + description[1:]) if description else model.name.replace("_", " "),
        "metrics": model.metrics,
        "dimensions": list(dims.values()),
        "tag_names": tag_names,
        "qualified": qualified,
        "tables": [
            {"name": t.name, "description": t.description, "default_time": t.default_time_dimension}
            for t in model.tables
        ],
        "segments": model.segments,
        "examples": examples,
    }


def _entry(
    dims: dict[str, dict[str, Any]], name: str, table: str, description: str, synonyms: Sequence[str]
) -> dict[str, Any]:
    """One line per dimension name, however many tables have it (they are one concept)."""
    entry = dims.setdefault(
        name,
        {
            "name": name,
            "tables": [],
            "description": description,
            "synonyms": [],
            "kind": "",
            "shown": [],
            "more_values": False,
            "value_synonyms": [],
            "groups": [],
        },
    )
    entry["tables"].append(table)
    entry["description"] = entry["description"] or description
    entry["synonyms"] = list(dict.fromkeys([*entry["synonyms"], *synonyms]))
    return entry


def _describe_values(entry: dict[str, Any], d: Dimension, known: Sequence[str] | None) -> None:
    if d.enum:
        entry["shown"] = list(d.enum)
    elif d.sample_values or known:
        _add_values(entry, [*d.sample_values, *(known or ())])
    for value, words in d.value_synonyms.items():
        if words:
            entry["value_synonyms"].append(f"{value} = {', '.join(words)}")
    for group, g in d.groups.items():
        words = f" ({', '.join(g.synonyms)})" if g.synonyms else ""
        entry["groups"].append(f"{group}{words} = {', '.join(g.values)}")
    entry["value_synonyms"] = list(dict.fromkeys(entry["value_synonyms"]))
    entry["groups"] = list(dict.fromkeys(entry["groups"]))


def _add_values(entry: dict[str, Any], values: Sequence[str]) -> None:
    merged = list(dict.fromkeys([*entry["shown"], *values]))
    entry["shown"] = merged[:MAX_VALUES_SHOWN]
    entry["more_values"] = entry["more_values"] or len(merged) > MAX_VALUES_SHOWN


__all__ = [
    "CHARS_PER_TOKEN",
    "PromptSize",
    "build_messages",
    "estimate_tokens",
    "prompt_size",
    "system_prompt",
    "user_prompt",
]
