"""The LLM mapper's prompt: a fixed system message made from the semantic model, then the question.

Why this order: OpenAI-compatible providers cache the longest prompt prefix they have seen recently
(OpenAI from 1024 tokens, billed at a discount). Everything that depends only on the model (the
instructions, metrics, dimensions with their synonyms and values, segments, verified queries as
few-shot examples) is the system message and stays byte-identical across questions; what changes
(today's date, the previous intent, the question) comes after it, in the user message.

Why a part of the model for large ones (``PromptBuilder``): a model ten times the shipped one makes
a 39,000-token prompt and a reply schema of 1,900 enum values, beyond strict mode's 1,000. When the
whole model's prompt and schema fit the caps (8,000 estimated tokens, 500 enum values by default,
``LLMSettings.prompt_tokens`` / ``enum_values``) it is sent whole, byte-identical for every question,
as above. Otherwise each question gets the part it needs, chosen in this order until the caps are
reached (``PromptBuilder.choose``):

1. what the previous turn's intent uses (a follow-up must be able to keep it);
2. the metrics, dimensions and segments whose names, synonyms or values (enum values, value synonyms,
   value groups, sample values, values found in the data) the question mentions, best matches first
   (a match scores its length in words, over the tables it names, so a provider's region beats
   the bare region);
3. the tables those live on, best-scoring first, each with the tables it joins to: all their
   dimensions, metrics and segments, so the model sees the context of what was mentioned;
4. only when the question mentions nothing at all: the tables in declaration order.

Then the verified queries whose names are all in the part, most words in common with the question
first, as examples. The part is rendered in declaration order (the same part gives the same prompt,
so providers still cache it), and the prompt says it is a part. The schema is built from the same
part, so the model cannot name what it was not shown; the compiler still checks against the whole.

The text itself is ``runtime/templates/llm_prompt.j2`` so that wording can change without code.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from compiler.catalog import catalog_for
from models.intent import Intent
from models.semantic_model import Aggregation, Dimension, Metric, SemanticModel, Table
from runtime.mappers.llm_schema import (
    enum_value_count,
    intent_schema,
    intent_to_json,
    metric_names,
    reply_schema,
    response_format_for,
    strict_problems,
)
from runtime.mappers.tokens import phrase_key

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


def system_prompt(
    model: SemanticModel, values: Mapping[str, Sequence[str]] | None = None, *, partial: bool = False
) -> str:
    """The fixed part: instructions and the model. Deterministic for a given model and values.
    ``partial`` says (in the prompt) that ``model`` is the part of a larger model a question needs."""
    context = _context(model, values or {})
    text = _environment().get_template("llm_prompt.j2").render(**context, partial=partial)
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


def prompt_size(
    model: SemanticModel,
    values: Mapping[str, Sequence[str]] | None = None,
    *,
    question: str | None = None,
    previous: Intent | None = None,
) -> PromptSize:
    """How big the fixed part of the prompt is for ``model``, without calling anything: the whole
    model's, or with ``question`` what that question is sent (the whole model when it fits the default
    caps, else its part)."""
    if question is not None:
        return prompt_builder(model, values).for_question(question, previous).size
    return _size(system_prompt(model, values), reply_schema(model))


def _size(system: str, schema: dict[str, Any]) -> PromptSize:
    text = json.dumps(schema, separators=(",", ":"))
    return PromptSize(len(system), len(text), estimate_tokens(system), estimate_tokens(text))


def question_schema(
    model: SemanticModel,
    question: str,
    values: Mapping[str, Sequence[str]] | None = None,
    previous: Intent | None = None,
) -> dict[str, Any]:
    """The reply schema ``question`` is sent (see ``PromptBuilder``), with the default caps."""
    return prompt_builder(model, values).for_question(question, previous).schema


def strict_mode_warnings(
    model: SemanticModel, values: Mapping[str, Sequence[str]] | None = None, caps: PromptCaps | None = None
) -> list[str]:
    """What ``crq validate`` and ``crq prompt`` warn about: the whole model's reply schema breaks a
    provider's strict-mode limits (``strict_problems``: enum values, properties, depth), or its prompt
    is over the cap; each question is then sent only its part of the model."""
    caps = caps or PromptCaps()
    schema = reply_schema(model)
    problems = [p.removeprefix("$: ") for p in strict_problems(schema)]
    out = [
        f"the LLM reply schema of the whole model breaks OpenAI's strict mode ({p}); each question is sent "
        f"the part of the model it needs (at most {caps.enum_values} enum values)"
        for p in problems
    ]
    enums = enum_value_count(schema)
    if not problems and enums > caps.enum_values:
        out.append(
            f"the whole model's reply schema has {enums:,} enum values, more than crq sends at once "
            f"({caps.enum_values}); each question is sent the part of the model it needs"
        )
    if enums <= caps.enum_values:  # the prompt is rendered only when the schema alone fits
        tokens = _size(system_prompt(model, values), schema).fixed_tokens
        if tokens > caps.tokens:
            out.append(
                f"the whole model's prompt is ~{tokens:,} tokens, more than crq sends at once "
                f"(~{caps.tokens:,}); each question is sent the part of the model it needs"
            )
    return out


# --- the part of a large model a question needs --------------------------------------------------------


@dataclass(frozen=True)
class PromptCaps:
    """What one call may send: the fixed prompt (system message and reply schema) in estimated tokens,
    the reply schema's enum values (OpenAI's strict mode allows 1,000 in all), and examples shown."""

    tokens: int = 8000
    enum_values: int = 500
    examples: int = 10


@dataclass(frozen=True)
class QuestionPrompt:
    """What one question is sent: the system message and the reply schema made from the same model
    (the whole one, or its part for this question: ``whole`` False, ``tables`` shown)."""

    system: str
    schema: dict[str, Any]
    whole: bool
    tables: tuple[str, ...]
    metrics: tuple[str, ...]

    @property
    def response_format(self) -> dict[str, Any]:
        return response_format_for(self.schema)

    @property
    def size(self) -> PromptSize:
        return _size(self.system, self.schema)

    @property
    def enum_values(self) -> int:
        return enum_value_count(self.schema)


@dataclass(frozen=True)
class _Unit:
    """One thing a prompt can show: a dimension (of one table), a metric or a segment, with the
    tables it needs shown too."""

    kind: str  # "metric", "time" (dimension), "dimension", "segment": the order a table's are given room
    name: str
    tables: tuple[str, ...]
    home: str  # the table it is listed under when tables are added whole


@dataclass
class _Choice:
    units: list[int] = field(default_factory=list)
    required: int = 0  # the first ``required`` units stay whatever the caps say


class PromptBuilder:
    """The prompt and reply schema per question, within ``caps``; see the module docstring.

    Built once per model (and known values): the whole model's prompt when it fits, else an index of
    every phrase that names something (names, synonyms, values), matched against each question's words.
    Thread-safe; the last questions' prompts are cached (repairs and repeated questions reuse them).
    """

    def __init__(
        self,
        model: SemanticModel,
        values: Mapping[str, Sequence[str]] | None = None,
        caps: PromptCaps | None = None,
    ):
        self.model = model
        self.values: Mapping[str, Sequence[str]] = values or {}
        self.caps = caps or PromptCaps()
        self.catalog = catalog_for(model)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], QuestionPrompt] = OrderedDict()
        schema = reply_schema(model)
        self.whole: QuestionPrompt | None = None
        if enum_value_count(schema) <= self.caps.enum_values:  # the render only when it may fit
            system = system_prompt(model, self.values)
            prompt = QuestionPrompt(
                system, schema, True, tuple(t.name for t in model.tables), tuple(metric_names(model))
            )
            if prompt.size.fixed_tokens <= self.caps.tokens:
                self.whole = prompt
        self._index_built = False

    # --- per question ------------------------------------------------------------------------------

    def for_question(self, question: str, previous: Intent | None = None) -> QuestionPrompt:
        """The prompt for ``question`` (the whole model's when it fits the caps)."""
        if self.whole is not None:
            return self.whole
        key = (" ".join(phrase_key(question)), previous.model_dump_json() if previous else "")
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        prompt = self._build(question, previous)
        with self._lock:
            self._cache[key] = prompt
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return prompt

    def _build(self, question: str, previous: Intent | None) -> QuestionPrompt:
        """The longest prefix of the chosen units that fits the caps, then examples while they fit.
        Sizes are estimated per unit (``_cost``) and checked by rendering: one or two renders a
        question, a bisection only when an estimate was short."""
        choice = self.choose(question, previous)
        budget = self.caps.tokens * CHARS_PER_TOKEN

        def render(n_units: int, examples: Sequence[int] = ()) -> QuestionPrompt:
            return self._render(choice.units[:n_units], examples)

        def fits(p: QuestionPrompt) -> bool:
            return p.size.fixed_tokens <= self.caps.tokens and p.enum_values <= self.caps.enum_values

        chars, enums = self._base
        tables: set[str] = set()
        n = 0
        for n, u in enumerate(choice.units, start=1):
            unit = self._units[u]
            extra = [t for t in unit.tables if t not in tables]
            cost = self._cost[u][0] + sum(self._table_cost[t] for t in extra)
            if n > choice.required and (
                chars + cost > budget * _ESTIMATE_MARGIN or enums + self._cost[u][1] > self.caps.enum_values
            ):
                n -= 1
                break
            chars, enums = chars + cost, enums + self._cost[u][1]
            tables.update(extra)
        best = render(n)
        if not fits(best):  # the estimate was short: bisect between what must stay and it
            low, high = choice.required, n - 1
            while low < high:
                mid = (low + high + 1) // 2
                if fits(render(mid)):
                    low = mid
                else:
                    high = mid - 1
            n, best = low, render(low)
        room = budget - best.size.system_chars - best.size.schema_chars
        examples: list[int] = []
        for i in self._examples(question, best):
            if len(examples) == self.caps.examples:
                break
            if self._example_cost[i] <= room:
                examples.append(i)
                room -= self._example_cost[i]
        while examples:
            trial = render(n, examples)
            if fits(trial):
                return trial
            examples.pop()
        return best

    def _render(self, unit_ids: Sequence[int], examples: Sequence[int]) -> QuestionPrompt:
        return self._render_part(self.part(unit_ids, examples))

    def _render_part(self, part: SemanticModel) -> QuestionPrompt:
        schema = reply_schema(part)
        tables = tuple(t.name for t in part.tables)
        return QuestionPrompt(
            system_prompt(part, self.values, partial=True), schema, False, tables, tuple(metric_names(part))
        )

    def part(self, unit_ids: Sequence[int], examples: Sequence[int] = ()) -> SemanticModel:
        """The model cut down to these units (their tables, with every time dimension of a table
        shown) and these verified queries; relationships between the tables kept, views dropped."""
        self._index()
        shown: dict[str, set[str]] = {}
        metrics: set[str] = set()
        segments: set[str] = set()
        for i in unit_ids:
            u = self._units[i]
            for t in u.tables:
                shown.setdefault(t, set())
            if u.kind == "dimension":
                shown[u.home].add(u.name)
            elif u.kind == "metric":
                metrics.add(u.name)
            elif u.kind == "segment":
                segments.add(u.name)  # time dimensions come with their table
        tables = tuple(
            t.model_copy(update={"dimensions": tuple(d for d in t.dimensions if d.name in shown[t.name])})
            for t in self.model.tables
            if t.name in shown
        )
        return self.model.model_copy(
            update={
                "tables": tables,
                "relationships": tuple(
                    r for r in self.model.relationships if r.from_table in shown and r.to_table in shown
                ),
                "metrics": tuple(m for m in self.model.metrics if m.name in metrics),
                "segments": tuple(s for s in self.model.segments if s.name in segments),
                "verified_queries": tuple(self.model.verified_queries[i] for i in sorted(examples)),
                "materializations": (),
            }
        )

    def choose(self, question: str, previous: Intent | None = None) -> _Choice:
        """The units in the order they are given room (see the module docstring)."""
        self._index()
        order: dict[int, None] = dict.fromkeys(self._units_of(previous))
        required = len(order)
        scores = self._scores(question)
        table_scores = self._table_scores(question)
        for u, score in scores.items():
            home = self._units[u].home
            table_scores[home] = table_scores.get(home, 0) + score
        for u in list(order):
            table_scores.setdefault(self._units[u].home, 0)
        ranked = sorted(table_scores, key=lambda t: (-table_scores[t], self._table_order[t]))
        top = table_scores[ranked[0]] if ranked else 0
        # the tables the question is about: at least half the best score (a word every provider's
        # copy shares, such as a lifecycle state, does not make all of them relevant)
        relevant = [t for t in ranked if table_scores[t] >= top / 2]
        # then other tables a phrase of their own names (a word shared by 30 tables is not enough)
        others = [t for t in ranked if t not in relevant and table_scores[t] >= _WEAK]
        matched = sorted(
            (u for u in scores if scores[u] >= _WEAK or u in order), key=lambda u: (-scores[u], u)
        )

        def mentioned_on(tables: list[str]) -> None:
            rank = {t: r for r, t in enumerate(tables)}
            for u in sorted(
                (u for u in matched if self._units[u].home in rank), key=lambda u: rank[self._units[u].home]
            ):
                order.setdefault(u)

        def tables_whole(tables: list[str]) -> None:
            for t in tables:
                for g in self._joined[t]:
                    for u in sorted(self._homed[g], key=lambda u: (_KINDS.index(self._units[u].kind), u)):
                        order.setdefault(u)

        mentioned_on(relevant)
        mentioned_on(others)
        tables_whole(relevant)
        tables_whole(others)
        if not ranked:  # nothing mentioned: the model's first tables, as declared
            tables_whole([t.name for t in self.model.tables])
        return _Choice(list(order), required)

    # --- what the question mentions --------------------------------------------------------------------

    def mentioned_metrics(self, question: str) -> set[str]:
        """Metrics the question names (by name or synonym), reading its words left to right and taking
        the longest phrase at each point ("how many accounts" is account_count, not "how many")."""
        self._index()
        keys = phrase_key(question)
        out: set[str] = set()
        i = 0
        while i < len(keys):
            for n in range(min(self._longest, len(keys) - i), 0, -1):
                units = self._phrases.get(keys[i : i + n])
                if units:
                    out.update(self._units[u].name for u in units if self._units[u].kind == "metric")
                    i += n
                    break
            else:
                i += 1
        return out

    def related_metrics(self, a: str, b: str) -> bool:
        """Whether two metrics measure the same quantity: a measure in common, or counts of the same
        table, or aggregates of the same expression on the same table (cost and avg_daily_cost;
        resource_count and public_count; total_storage_gb and avg_storage_gb)."""
        return bool(self._quantities(a) & self._quantities(b))

    def _quantities(self, name: str) -> set[tuple[str, ...]]:
        metric: Metric | None = self.catalog.metrics.get(name)
        if metric is None:
            return set()
        out: set[tuple[str, ...]] = set()
        for ref in self.catalog.measures_of(metric):
            if ref.measure.agg in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT):
                out.add((ref.table.name, "count"))
            else:
                out.add((ref.table.name, "of", ref.measure.expr or ""))
        return out

    def _matches(self, question: str) -> list[tuple[str, ...]]:
        """The phrases of the index the question holds, leaving out those inside a longer one (the
        metric in "azure <metric>" is azure's, not every provider's)."""
        keys = phrase_key(question)
        spans = [
            (i, n)
            for i in range(len(keys))
            for n in range(1, min(self._longest, len(keys) - i) + 1)
            if keys[i : i + n] in self._phrases or keys[i : i + n] in self._table_phrases
        ]
        return [
            keys[i : i + n]
            for i, n in spans
            if not any(j <= i and i + n <= j + m and m > n for j, m in spans)
        ]

    def _scores(self, question: str) -> dict[int, float]:
        """Each unit the question's phrases name, scored by their length in words divided by the
        number of tables the phrase names something on: "gcp region" (one table) counts for more than
        the bare name (two), or a state every provider's copy shares (thirty)."""
        scores: dict[int, float] = {}
        for key in self._matches(question):
            units = self._phrases.get(key, ())
            if units:
                weight = len(key) / len({self._units[u].home for u in units})
                for u in units:
                    scores[u] = scores.get(u, 0) + weight
        return scores

    def _table_scores(self, question: str) -> dict[str, float]:
        scores: dict[str, float] = {}
        for key in self._matches(question):
            tables = self._table_phrases.get(key, ())
            for t in tables:
                scores[t] = scores.get(t, 0) + len(key) / len(tables)
        return scores

    def _units_of(self, intent: Intent | None) -> list[int]:
        """The units an intent uses: metrics, dimensions (every table that has the name), segments."""
        if intent is None:
            return []
        out: list[int] = []
        for name in sorted(_names_of(intent)):
            out.extend(self._by_name.get(name, ()))
        return out

    def _examples(self, question: str, prompt: QuestionPrompt) -> list[int]:
        """Verified queries usable as examples of this part (every name they use is in its schema),
        most words in common with the question first."""
        props = prompt.schema["properties"]["intent"]["anyOf"][0]["properties"]
        allowed = set(props.get("metrics", {}).get("items", {}).get("enum", []))
        allowed.update(props["dimensions"]["items"]["properties"]["name"]["enum"])
        allowed.update(props.get("segments", {}).get("items", {}).get("enum", []))
        words = set(phrase_key(question))
        ranked: list[tuple[int, int]] = []
        for i, vq in enumerate(self.model.verified_queries):
            if _names_of(vq.intent) <= allowed:
                ranked.append((-len(words & set(phrase_key(vq.question))), i))
        return [i for _, i in sorted(ranked)]

    def _unit_cost(self, u: _Unit) -> tuple[int, int]:
        """(characters of prompt and schema, enum values) one unit adds, estimated from its text."""
        if u.kind == "metric":
            m = self.catalog.metrics[u.name]
            # named in metrics, filters, order_by and units
            return 12 + len(m.name) + len(m.format) + len(m.description) + _words(m.synonyms) + 4 * (
                len(m.name) + 3
            ), 4
        if u.kind == "segment":
            s = self.catalog.segments[u.name]
            return 8 + len(s.name) + len(s.description) + _words(s.synonyms) + len(s.name) + 3, 1
        table = self.catalog.tables[u.home]
        if u.kind == "time":
            return 0, 6  # listed with its table (``_table_cost``)
        d = next(d for d in table.dimensions if d.name == u.name)
        text = 16 + len(d.name) + len(u.home) + len(d.description) + _words(d.synonyms)
        if d.tags:
            keys = [f"{d.name}:{k}" for k in d.tag_keys]
            known = sum(
                _words(list(self.values.get(k, ()))[:MAX_VALUES_SHOWN]) + 20 for k in keys if k in self.values
            )
            return text + known + sum(6 * (len(k) + 3) for k in keys), 5 * len(keys)
        values = list(d.enum) or [*d.sample_values, *list(self.values.get(d.name, ()))]
        text += _words(values[:MAX_VALUES_SHOWN]) + _words(
            [*d.value_synonyms, *(w for ws in d.value_synonyms.values() for w in ws)]
        )
        text += sum(len(g) + _words(v.values) + _words(v.synonyms) + 8 for g, v in d.groups.items())
        # named in dimensions, filters, order_by, share.part, count_groups.of and average_groups.of
        return text + 5 * (len(d.name) + 3), 5

    # --- the index ---------------------------------------------------------------------------------------

    def _index(self) -> None:
        with self._lock:
            if not self._index_built:
                self._build_index()
                self._index_built = True

    def _build_index(self) -> None:
        model, catalog = self.model, self.catalog
        self._table_order = {t.name: i for i, t in enumerate(model.tables)}
        self._units: list[_Unit] = []
        self._homed: dict[str, list[int]] = {t.name: [] for t in model.tables}
        self._by_name: dict[str, list[int]] = {}
        self._phrases: dict[tuple[str, ...], list[int]] = {}
        self._table_phrases: dict[tuple[str, ...], list[str]] = {}

        def add(unit: _Unit, phrases: Sequence[str], *names: str) -> None:
            i = len(self._units)
            self._units.append(unit)
            self._homed[unit.home].append(i)
            for name in (unit.name, *names):
                self._by_name.setdefault(name, []).append(i)
            for text in (unit.name.replace("_", " "), *phrases):
                key = phrase_key(str(text).replace("_", " "))
                if key and i not in self._phrases.get(key, ()):
                    self._phrases.setdefault(key, []).append(i)

        for t in model.tables:
            for text in (t.name.replace("_", " "), *t.synonyms):
                key = phrase_key(text)
                if key:
                    self._table_phrases.setdefault(key, []).append(t.name)
            for d in t.dimensions:
                unit = _Unit("dimension", d.name, (t.name,), t.name)
                if d.tags:
                    keys = [f"{d.name}:{k}" for k in d.tag_keys]
                    known = [v for k in keys for v in list(self.values.get(k, ()))[:_KNOWN_VALUES]]
                    add(unit, [*d.synonyms, *d.tag_keys, *known], *keys, f"{t.name}.{d.name}")
                    continue
                add(unit, _dimension_phrases(d, self.values.get(d.name)), f"{t.name}.{d.name}")
            for td in t.time_dimensions:
                add(_Unit("time", td.name, (t.name,), t.name), td.synonyms, f"{t.name}.{td.name}")
        for m in model.metrics:
            tables = tuple(dict.fromkeys(ref.table.name for ref in catalog.measures_of(m)))
            add(_Unit("metric", m.name, tables, tables[0]), m.synonyms)
        for s in model.segments:
            tables = tuple(
                dict.fromkeys(pair[0].name for f in s.filters for pair in catalog.candidates(f.field)[:1])
            ) or (model.tables[0].name,)
            add(_Unit("segment", s.name, tables, tables[0]), s.synonyms)
        self._cost = [self._unit_cost(u) for u in self._units]
        self._table_cost = {t.name: _table_cost(t) for t in model.tables}
        shape = intent_schema(model)
        self._example_cost = [
            len(vq.question)
            + len(json.dumps(intent_to_json(vq.intent, model, shape), separators=(", ", ": ")))
            + 120
            for vq in model.verified_queries
        ]
        empty = self._render_part(
            model.model_copy(
                update={
                    "tables": (),
                    "metrics": (),
                    "segments": (),
                    "verified_queries": (),
                    "relationships": (),
                }
            )
        )
        self._base = (empty.size.system_chars + empty.size.schema_chars, empty.enum_values)
        self._longest = max((len(k) for k in (*self._phrases, *self._table_phrases)), default=1)
        self._joined = {
            t.name: [t.name, *(n for n, path in catalog.paths_from(t.name).items() if path)]
            for t in model.tables
        }


_ESTIMATE_MARGIN = 0.97  # estimates run a little short (qualified names, separators): leave room
_KINDS = ("metric", "time", "dimension", "segment")  # a table's units, most needed first
_WEAK = 0.5  # a unit or table scoring less is not given room beyond the relevant tables
_KNOWN_VALUES = 200  # values found in the data, per dimension, that the index matches questions on


def _words(words: Sequence[str]) -> int:
    return sum(len(w) + 2 for w in words)


def _table_cost(t: Table) -> int:
    """The table's line, its time dimensions' lines and their names in the schema."""
    text = 40 + len(t.name) + len(t.description) + len(t.default_time_dimension or "")
    for td in t.time_dimensions:
        text += (
            60
            + len(td.name)
            + len(t.name)
            + len(td.description)
            + _words(td.synonyms)
            + 6 * (len(td.name) + 3)
        )
    return text


def _dimension_phrases(d: Dimension, known: Sequence[str] | None) -> list[str]:
    phrases = [*d.synonyms, *d.enum, *d.sample_values, *list(known or ())[:_KNOWN_VALUES]]
    for value, words in d.value_synonyms.items():
        phrases.extend([value, *words])
    for group, g in d.groups.items():
        phrases.extend([group, *g.synonyms])
    return phrases


def _names_of(intent: Intent) -> set[str]:
    """Every name of the model an intent uses."""
    names = {*intent.metrics, *intent.segments, *(d.name for d in intent.dimensions)}
    names.update(f.field for f in intent.filters)
    names.update(o.field for o in intent.order_by)
    if intent.share is not None:
        names.update(f.field for f in intent.share.part)
    for nested in (intent.count_groups, intent.average_groups):
        if nested is not None:
            names.update(d.name for d in nested.of)
    if intent.time_range is not None and intent.time_range.dimension:
        names.add(intent.time_range.dimension)
    return names


_BUILDERS: dict[tuple[int, int], PromptBuilder] = {}
_BUILDERS_LOCK = threading.Lock()


def prompt_builder(
    model: SemanticModel, values: Mapping[str, Sequence[str]] | None = None, caps: PromptCaps | None = None
) -> PromptBuilder:
    """One builder per model, values and caps object (by identity, as ``catalog_for``)."""
    key = (id(model), id(values))
    with _BUILDERS_LOCK:
        builder = _BUILDERS.get(key)
        if builder is None or builder.model is not model or (caps is not None and builder.caps != caps):
            if len(_BUILDERS) > 16:
                _BUILDERS.clear()
            builder = _BUILDERS[key] = PromptBuilder(model, values, caps)
    return builder


# --- the template's context -------------------------------------------------------------------------


def _context(model: SemanticModel, values: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    shape = intent_schema(model)
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
                    "intent": intent_to_json(vq.intent, model, shape),
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
        said = f" ({', '.join(g.synonyms)})" if g.synonyms else ""
        entry["groups"].append(f"{group}{said} = {', '.join(g.values)}")
    entry["value_synonyms"] = list(dict.fromkeys(entry["value_synonyms"]))
    entry["groups"] = list(dict.fromkeys(entry["groups"]))


def _add_values(entry: dict[str, Any], values: Sequence[str]) -> None:
    merged = list(dict.fromkeys([*entry["shown"], *values]))
    entry["shown"] = merged[:MAX_VALUES_SHOWN]
    entry["more_values"] = entry["more_values"] or len(merged) > MAX_VALUES_SHOWN


__all__ = [
    "CHARS_PER_TOKEN",
    "PromptBuilder",
    "PromptCaps",
    "PromptSize",
    "QuestionPrompt",
    "build_messages",
    "estimate_tokens",
    "prompt_builder",
    "prompt_size",
    "question_schema",
    "strict_mode_warnings",
    "system_prompt",
    "user_prompt",
]
