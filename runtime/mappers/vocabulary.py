"""The words of one semantic model: every phrase an analyst wrote in the YAML, indexed for matching.

Built once per mapper. Everything the offline mapper knows about a particular estate comes from here
(names, synonyms, enums, value synonyms, groups, sample values, tag keys, short descriptions and the
values found in the data), so teaching it a word means editing YAML, never Python.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from compiler import catalog_for
from models.intent import Filter, Intent
from models.semantic_model import (
    Aggregation,
    Dimension,
    DimensionType,
    Metric,
    MetricType,
    SemanticModel,
    Table,
)
from models.units import Unit
from runtime.mappers.english import EVERYDAY, STOPWORDS, unit_kind
from runtime.mappers.tokens import Token, phrase_key, tokenize
from semantic.expressions import column_names, parse_expression


class Kind(StrEnum):
    METRIC = "metric"
    TABLE = "table"
    DIMENSION = "dimension"
    TAG_DIMENSION = "tag_dimension"
    TAG_KEY = "tag_key"
    TIME_DIMENSION = "time_dimension"
    VALUE = "value"
    BOOLEAN = "boolean"
    SEGMENT = "segment"


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a phrase can stand for. ``name`` is the model name (``tag:<key>`` for tag keys and tag
    values); ``value`` the dimension value of VALUE and BOOLEAN meanings."""

    kind: Kind
    name: str
    value: str | bool | None = None

    def __reduce__(self) -> tuple[type[Meaning], tuple[Kind, str, str | bool | None]]:
        """Unpickled through ``__init__``: a precompiled model holds thousands of meanings, and the
        dataclass's own ``__setstate__`` for slots is four times slower."""
        return (Meaning, (self.kind, self.name, self.value))


_PRIORITY = {
    Kind.METRIC: 0,
    Kind.SEGMENT: 1,
    Kind.VALUE: 2,
    Kind.BOOLEAN: 3,
    Kind.TAG_KEY: 4,
    Kind.DIMENSION: 5,
    Kind.TIME_DIMENSION: 6,
    Kind.TAG_DIMENSION: 7,
    Kind.TABLE: 8,
}
_DESCRIPTION_WORDS = 6  # a description this short reads like a phrase a user could type
# A model's phrases repeat (a synonym under each table that has the dimension, a word under each tag
# key): each text is split once (more than half the calls at 30x are repeats). Bounded: values too.
_key = lru_cache(maxsize=1 << 15)(phrase_key)


@dataclass
class Vocabulary:
    """Phrase index plus the few structural facts the mapper needs to put meanings together."""

    model: SemanticModel
    phrases: dict[tuple[str, ...], list[Meaning]] = field(default_factory=dict)
    max_len: int = 1
    dimension_tables: dict[str, list[str]] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    tag_dimensions: dict[str, Dimension] = field(default_factory=dict)
    time_dimension_tables: dict[str, list[str]] = field(default_factory=dict)
    count_metric: dict[str, str] = field(default_factory=dict)  # table -> its plain row-count metric
    metric_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    ratio_of_boolean: dict[str, list[str]] = field(default_factory=dict)  # boolean dim -> ratio metrics
    count_of_boolean: dict[str, str] = field(default_factory=dict)  # boolean dim -> metric counting its rows
    label_dimensions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> id + name dims
    number_dimensions: list[str] = field(default_factory=list)
    default_time: dict[str, str | None] = field(default_factory=dict)
    table_time_dimensions: dict[str, list[str]] = field(default_factory=dict)
    domain_words: frozenset[str] = frozenset()
    # the first words of values written in three or more (<ab> <cd> of <ab>-<cd>-1): built on first use
    # (``value_beginnings``), again for a vocabulary ``with_values``
    beginnings: dict[tuple[str, ...], frozenset[Meaning]] | None = field(
        default=None, repr=False, compare=False
    )
    # a word inside the model's longer phrases -> the names those phrases mean ("unit" in "business
    # unit"): next to a word of one of those names it only repeats what that word says
    inner_words: dict[str, set[str]] = field(default_factory=dict)
    known_values: dict[str, list[str]] = field(default_factory=dict)  # dimension -> values, for did-you-mean
    verified: dict[tuple[str, ...], Intent] = field(default_factory=dict)
    related: dict[str, set[str]] = field(default_factory=dict)  # dimensions whose values nest ("a" / "a:b")
    average_of: dict[str, str] = field(default_factory=dict)  # summed metric or number dimension -> its avg
    reach: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> tables it joins to-one: hops
    reached_by: dict[str, set[str]] = field(default_factory=dict)  # table -> tables that reach it
    segment_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)  # segment -> its fields' tables
    source_model: SemanticModel | None = None  # the model as given (``model`` is in canonical order)

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def build(cls, model: SemanticModel, values: Mapping[str, Sequence[str]] | None = None) -> Vocabulary:
        """The model's words (``base_vocabulary``, once per model object) and the values found in the
        data (``with_values``, once per mapper: each access scope has its own)."""
        return base_vocabulary(model).with_values(values or {})

    @classmethod
    def _build_base(cls, model: SemanticModel) -> Vocabulary:
        """Everything that does not depend on the data's values. ``model`` is read in an order of its
        own (``canonical_order``), so no reading depends on which table, dimension or metric the
        analyst happened to declare first."""
        model = canonical_order(model)
        v = cls(model)
        catalog = catalog_for(model)
        v.metrics = {m.name: m for m in model.metrics}
        for t in model.tables:
            v.default_time[t.name] = t.default_time_dimension
            v.table_time_dimensions[t.name] = [d.name for d in t.time_dimensions]
            # a table's name is a phrase only when the analyst gave no synonyms: "thing_costs" would
            # otherwise swallow "things cost the most"
            v._add_all(t.synonyms or (_words(t.name),), Meaning(Kind.TABLE, t.name))
            for d in t.dimensions:
                v._add_dimension(t.name, d)
            for td in t.time_dimensions:
                v.time_dimension_tables.setdefault(td.name, []).append(t.name)
                v._add(_words(td.name), Meaning(Kind.TIME_DIMENSION, td.name))
                v._add_all(td.synonyms, Meaning(Kind.TIME_DIMENSION, td.name))
        for t in model.tables:
            v.label_dimensions[t.name] = v._labels(t)
        for m in model.metrics:
            meaning = Meaning(Kind.METRIC, m.name)
            v._add(_words(m.name), meaning)
            v._add_all(m.synonyms, meaning)
            if m.description and len(m.description.split()) <= _DESCRIPTION_WORDS:
                v._add(m.description.rstrip("."), meaning)
            v.metric_tables[m.name] = tuple(dict.fromkeys(r.table.name for r in catalog.measures_of(m)))
            if m.type == MetricType.SIMPLE and m.measure:
                ref = catalog.measure(m.measure)
                if ref.measure.agg == Aggregation.COUNT and not ref.measure.filter and not ref.measure.expr:
                    v.count_metric.setdefault(ref.table.name, m.name)
        v._link_ratios(catalog)
        v._link_averages(catalog)
        v._reach_tables()
        v._tag_keys_named_like_dimensions()
        v._relate_dimensions()
        for s in model.segments:
            v._add(_words(s.name), Meaning(Kind.SEGMENT, s.name))
            v._add_all(s.synonyms, Meaning(Kind.SEGMENT, s.name))
            fields = (t for f in s.filters for t in v.tables_of(f.field))
            v.segment_tables[s.name] = tuple(dict.fromkeys(fields))
        for q in model.verified_queries:
            v.verified[_key(q.question)] = q.intent
        # words of the model's description and of its longer phrases ("internet" in "open to the
        # internet"): said on their own they belong to the domain, so they are not unknown
        v._add_inner_words(v.phrases, {})
        v.domain_words = (frozenset(_key(model.description)) | set(v.inner_words)) - STOPWORDS
        v.max_len = max((len(k) for k in v.phrases), default=1)
        for meanings in v.phrases.values():
            meanings.sort(key=lambda m: _PRIORITY[m.kind])
        return v

    def with_values(self, values: Mapping[str, Sequence[str]]) -> Vocabulary:
        """This vocabulary and the values found in the data; ``self`` is left as it was (a base is
        shared by every mapper of its model). A value only ever adds a phrase the model does not
        have, with that one meaning, so the words and the order of meanings of the model's own
        phrases stay as they were, and the result equals a build that read the values in turn."""
        if not values:
            return self
        v = dataclasses.replace(
            self,
            beginnings=None,
            phrases=dict(self.phrases),
            known_values={k: list(vs) for k, vs in self.known_values.items()},
            inner_words=dict(self.inner_words),
        )
        added: dict[tuple[str, ...], list[Meaning]] = {}
        for name, extra in values.items():
            v._add_known_values(name, extra, added)
        v._add_inner_words(added, {})
        v.domain_words = (frozenset(_key(v.model.description)) | set(v.inner_words)) - STOPWORDS
        v.max_len = max((v.max_len, *map(len, added)))
        return v

    def _add_inner_words(
        self, phrases: Mapping[tuple[str, ...], list[Meaning]], copied: dict[str, set[str]]
    ) -> None:
        """Words inside the model's longer phrases (``inner_words``); a set shared with a base
        vocabulary is copied before it changes (``copied``: the ones already copied)."""
        for key, meanings in phrases.items():
            if len(key) > 1:
                for w in key:
                    if w.isalpha() and len(w) > 3:
                        names = copied.get(w)
                        if names is None:
                            names = copied[w] = set(self.inner_words.get(w, ()))
                            self.inner_words[w] = names
                        names.update(m.name for m in meanings)

    def _add(self, text: str, meaning: Meaning) -> None:
        self._add_key(_key(text), meaning)

    def _add_key(self, key: tuple[str, ...], meaning: Meaning) -> None:
        if not key:
            return
        found = self.phrases.setdefault(key, [])
        if meaning not in found:
            found.append(meaning)

    def _add_all(self, texts: Iterable[str], meaning: Meaning) -> None:
        for text in texts:
            self._add(text, meaning)

    def _add_dimension(self, table: str, d: Dimension) -> None:
        self.dimension_tables.setdefault(d.name, []).append(table)
        if d.tags:
            if d.name not in self.tag_dimensions or _fuller(d) > _fuller(self.tag_dimensions[d.name]):
                self.tag_dimensions[d.name] = d
            self._add(_words(d.name), Meaning(Kind.TAG_DIMENSION, d.name))
            self._add_all(d.synonyms, Meaning(Kind.TAG_DIMENSION, d.name))
            tag_words = [*d.synonyms, d.name]
            for key in d.tag_keys:
                meaning = Meaning(Kind.TAG_KEY, f"{d.name}:{key}")
                for word in tag_words:
                    self._add(f"{key} {word}", meaning)
                    self._add(f"{word} {key}", meaning)
                if key not in STOPWORDS:
                    self._add(key, meaning)
            return
        if d.name not in self.dimensions or _fuller(d) > _fuller(self.dimensions[d.name]):
            self.dimensions[d.name] = d  # of two tables' dimensions of one name, the one that says more
        if d.type == DimensionType.BOOLEAN:
            self._add_boolean(d)
            return
        if d.type == DimensionType.NUMBER and d.name not in self.number_dimensions:
            self.number_dimensions.append(d.name)
        meaning = Meaning(Kind.DIMENSION, d.name)
        self._add(_words(d.name), meaning)
        self._add_all(d.synonyms, meaning)
        known = self.known_values.setdefault(d.name, [])
        for value in (*d.enum, *d.sample_values):
            self._add(value, Meaning(Kind.VALUE, d.name, value))
            if value not in known:
                known.append(value)
        for value, words in d.value_synonyms.items():
            self._add_all(words, Meaning(Kind.VALUE, d.name, value))
        for group, spec in d.groups.items():
            g = Meaning(Kind.VALUE, d.name, group)
            self._add(_words(group), g)
            self._add_all(spec.synonyms, g)

    def _add_boolean(self, d: Dimension) -> None:
        """Synonyms mean true; "un-", "non-" and "not" forms, and value_synonyms under ``false``, false."""
        yes = Meaning(Kind.BOOLEAN, d.name, True)
        no = Meaning(Kind.BOOLEAN, d.name, False)
        words = [_words(d.name).removeprefix("is ").removeprefix("has "), *d.synonyms]
        for w in words:
            self._add(w, yes)
            if " " not in w:
                for form in (f"un{w}", f"non{w}", f"non {w}", f"not {w}"):
                    self._add(form, no)
        for value, synonyms in d.value_synonyms.items():
            target = no if value.strip().lower() in ("false", "no", "0") else yes
            self._add_all(synonyms, target)

    def _add_known_values(
        self, name: str, extra: Sequence[str], added: dict[tuple[str, ...], list[Meaning]]
    ) -> None:
        """``added``: the phrases the values made, each new (so no list of the base changes)."""
        base = name.partition(":")[0]
        if base not in self.dimensions and base not in self.tag_dimensions:
            return
        known = self.known_values.setdefault(name, [])
        for value in extra:
            text = str(value).strip()
            if not text or len(text) > 80:
                continue
            # values found in the data never take a phrase the model already gives a meaning
            # (a tag value spelled like an environment or a table synonym stays the model's word)
            key = _key(text)
            if key and key not in self.phrases:
                self.phrases[key] = added[key] = [Meaning(Kind.VALUE, name, text)]
            if text not in known:
                known.append(text)

    def _labels(self, t: Table) -> tuple[str, ...]:
        """The dimensions that identify and name a row: primary key dims plus the one named like the table."""
        by_column = {d.column: d.name for d in t.dimensions if d.column}
        out = [by_column[c] for c in t.primary_key if c in by_column]
        table_words = {_key(w) for w in (*t.synonyms, _words(t.name))}
        for d in t.dimensions:
            named_like_table = table_words & {_key(s) for s in d.synonyms}
            if d.type == DimensionType.STRING and not d.tags and d.name not in out and named_like_table:
                out.append(d.name)
                break
        return tuple(out)

    def _link_ratios(self, catalog) -> None:  # type: ignore[no-untyped-def]
        """A ratio whose numerator counts rows where a yes/no dimension holds answers "what share are X";
        that numerator answers "how many are X" next to another such count."""
        for m in self.model.metrics:
            if m.type == MetricType.SIMPLE and m.measure:
                ref = catalog.measure(m.measure)
                if ref.measure.agg.value == "count" and ref.measure.filter:
                    cols = column_names(parse_expression(ref.measure.filter))
                    for d in ref.table.dimensions:
                        if (
                            d.type == DimensionType.BOOLEAN
                            and (d.column in cols or d.name in cols)
                            and len(cols) == 1
                        ):
                            self.count_of_boolean.setdefault(d.name, m.name)
        for m in self.model.metrics:
            if m.type != MetricType.RATIO or not m.numerator:
                continue
            num = self.metrics.get(m.numerator)
            if not num or not num.measure:
                continue
            ref = catalog.measure(num.measure)
            if not ref.measure.filter:
                continue
            cols = column_names(parse_expression(ref.measure.filter))
            for d in ref.table.dimensions:
                if d.type == DimensionType.BOOLEAN and (d.column in cols or d.name in cols):
                    self.ratio_of_boolean.setdefault(d.name, []).append(m.name)

    def _link_averages(self, catalog) -> None:  # type: ignore[no-untyped-def]
        """ "average <thing>": the metric that averages what a summed metric adds up, or what a number
        dimension holds, over the same table."""
        averages: dict[tuple[str, str], str] = {}
        sums: list[tuple[str, str, str]] = []
        for m in self.model.metrics:
            if m.type != MetricType.SIMPLE or not m.measure:
                continue
            ref = catalog.measure(m.measure)
            expr = " ".join((ref.measure.expr or "").lower().split())
            if not expr:
                continue
            if ref.measure.agg == Aggregation.AVG and not ref.measure.filter:
                averages.setdefault((ref.table.name, expr), m.name)
            elif ref.measure.agg == Aggregation.SUM and not ref.measure.filter:
                sums.append((m.name, ref.table.name, expr))
        for name, table, expr in sums:
            if (table, expr) in averages:
                self.average_of.setdefault(name, averages[(table, expr)])
        for t in self.model.tables:
            for d in t.dimensions:
                if d.type != DimensionType.NUMBER:
                    continue
                for key in {(d.column or "").lower(), d.name.lower()}:
                    if (t.name, key) in averages:
                        self.average_of.setdefault(d.name, averages[(t.name, key)])

    def _tag_keys_named_like_dimensions(self) -> None:
        """ "environment tag" means the tag whose key is a synonym of the environment dimension ("env"),
        a dimension of a table joined to the tag's (each inventory's tags name its own dimensions).

        Indexed by phrase key and table, so the work grows with the phrases added, not with tag keys x
        dimensions; phrases are put together from the keys of their words (a key never spans a space)."""
        named: dict[tuple[tuple[str, ...], str], set[tuple[str, ...]]] = {}  # (word, table) -> dim words
        for d in self.dimensions.values():
            words = {_key(w) for w in (_words(d.name), *d.synonyms)}
            for table in self.dimension_tables.get(d.name, ()):
                for key in words:
                    named.setdefault((key, table), set()).update(words)
        for tag_name, td in self.tag_dimensions.items():
            tag_words = {_key(w) for w in (*td.synonyms, _words(tag_name))}
            own = self.dimension_tables.get(tag_name, ())
            joined = {x for t in own for x in (*self.reach.get(t, {}), *self.reached_by.get(t, ()))}
            for tag_key in td.tag_keys:
                meaning = Meaning(Kind.TAG_KEY, f"{tag_name}:{tag_key}")
                words = {w for table in joined for w in named.get((_key(tag_key), table), ())}
                for w in words:
                    for t in tag_words:
                        self._add_key((*w, *t), meaning)
                        self._add_key((*t, *w), meaning)

    def _relate_dimensions(self) -> None:
        """Two enum dimensions are related when most values of one start with a value of the other
        ("a:b" under "a"): a follow-up that names one replaces a condition on the other.

        Each value is looked up by its possible parents (the text before each punctuation mark), so
        the work grows with the values, not with pairs of dimensions."""
        holders: dict[str, set[str]] = {}  # value -> the enum dimensions that have it
        enums = {n: d.enum for n, d in self.dimensions.items() if d.enum}
        for name, values in enums.items():
            for value in values:
                holders.setdefault(value, set()).add(name)
        for b, vb in enums.items():
            nested: dict[str, int] = {}  # a -> how many values of b nest under one of a's
            for x in vb:
                parents = {a for prefix in _parents(x) for a in holders.get(prefix, ()) if a != b}
                for a in parents:
                    nested[a] = nested.get(a, 0) + 1
            for a, count in nested.items():
                if count * 2 > len(vb):
                    self.related.setdefault(a, set()).add(b)
                    self.related.setdefault(b, set()).add(a)

    def _reach_tables(self) -> None:
        """Which tables each table joins to-one, in how many hops: what a metric on it can group by."""
        edges: dict[str, list[str]] = {}
        for r in self.model.relationships:
            edges.setdefault(r.from_table, []).append(r.to_table)
        for t in self.model.tables:
            depth = {t.name: 0}
            todo = deque([t.name])
            while todo:  # breadth first: the fewest hops
                here = todo.popleft()
                for there in edges.get(here, ()):
                    if there not in depth:
                        depth[there] = depth[here] + 1
                        todo.append(there)
            self.reach[t.name] = depth
            for there in depth:
                self.reached_by.setdefault(there, set()).add(t.name)

    def nested_value(self, parent_dim: str, parent_value: str, child_dim: str) -> str | None:
        """The one value of ``child_dim`` under ``parent_value`` ("a" -> "a:b"), if unique."""
        d = self.dimensions.get(child_dim)
        if d is None:
            return None
        under = [x for x in d.enum if nests_under(x, parent_value)]
        return under[0] if len(under) == 1 else None

    # --- lookups ----------------------------------------------------------------------------------

    def match(
        self, tokens: Sequence[Token], i: int, free: Sequence[bool], min_len: int = 1
    ) -> tuple[int, list[Meaning]]:
        """Longest phrase starting at token ``i`` over free tokens: (length, meanings) or (0, [])."""
        limit = min(self.max_len, len(tokens) - i)
        n = 0
        while n < limit and free[i + n]:
            n += 1
        for size in range(n, min_len - 1, -1):
            key = tuple(t.key for t in tokens[i : i + size])
            found = self.phrases.get(key)
            if found is None and size == 1 and tokens[i].text != tokens[i].key:
                found = self.phrases.get((tokens[i].text,))
            if found:
                return size, found
        return 0, []

    def value_beginnings(self) -> dict[tuple[str, ...], frozenset[Meaning]]:
        """Each strict beginning (two words or more) of a value phrase of three words or more, with the
        values it begins. Every question reads it, so it is indexed once, not scanned per question."""
        if self.beginnings is None:
            index: dict[tuple[str, ...], set[Meaning]] = {}
            for key, meanings in self.phrases.items():
                for m in meanings if len(key) > 2 else ():
                    if m.kind == Kind.VALUE:
                        for n in range(2, len(key)):
                            index.setdefault(key[:n], set()).add(m)
            self.beginnings = {k: frozenset(ms) for k, ms in index.items()}
        return self.beginnings

    def segment_filters(self, segment: str) -> tuple[Filter, ...]:
        return next((s.filters for s in self.model.segments if s.name == segment), ())

    def tables_of(self, dimension: str) -> list[str]:
        base = dimension.partition(":")[0]
        return self.dimension_tables.get(base) or self.time_dimension_tables.get(base) or []

    def is_everyday(self, tokens: Sequence[Token]) -> bool:
        return len(tokens) == 1 and (tokens[0].text in EVERYDAY or tokens[0].key in EVERYDAY)

    def metric_format(self, metric: str) -> str:
        m = self.metrics.get(metric)
        return m.format if m else "number"

    def field_unit(self, field: str) -> Unit | None:
        """The unit the model declares for a metric or a number dimension (None when it declares none)."""
        m = self.metrics.get(field)
        if m is not None:
            return m.unit
        d = self.dimensions.get(field)
        return d.unit if d is not None else None

    def dated_amounts(self) -> list[str]:
        """The metrics that sum an amount on a table with a default date: what a change between two
        periods is a change of when the question names no metric."""
        return [
            m.name
            for m in self.model.metrics
            if self.metric_aggregation(m.name) == "sum"
            and any(self.default_time.get(t) for t in self.metric_tables.get(m.name, ()))
        ]

    def metric_aggregation(self, metric: str) -> str | None:
        """How a simple metric aggregates its measure (sum, count, ...); None for ratios and derived."""
        m = self.metrics.get(metric)
        if m is None or m.type != "simple" or not m.measure:
            return None
        table, _, name = m.measure.rpartition(".")
        for t in self.model.tables:
            if not table or t.name == table:
                for measure in t.measures:
                    if measure.name == name:
                        return str(measure.agg.value)
        return None

    def unit_dimensions(self, kind: str) -> list[str]:
        """The number dimensions whose declared ``unit`` is of the kind ``kind`` (gb: any unit of data;
        currency: of money), read from the model rather than guessed from their words; the one number
        dimension when none declares one."""
        out = [n for n in self.number_dimensions if unit_kind(self.dimensions[n].unit) == kind]
        return out or (self.number_dimensions[:1] if len(self.number_dimensions) == 1 else [])

    def all_phrases_for(self, kind: Kind) -> list[str]:
        return sorted({" ".join(k) for k, ms in self.phrases.items() if any(m.kind == kind for m in ms)})


_BASES: dict[int, Vocabulary] = {}


def base_vocabulary(model: SemanticModel) -> Vocabulary:
    """The words of ``model`` without the data's values, built once per model object: every mapper
    of the model (one per access scope and day in the API) adds its values to the same base. A base
    read from a precompiled model (``runtime/model_artefact.py``) is handed in by ``remember_base``.

    Keyed by identity like ``compiler.catalog_for`` (a model is not hashable); each entry keeps its
    model alive through ``source_model``, and processes load a handful of models at most."""
    v = _BASES.get(id(model))
    if v is None or v.source_model is not model:
        v = Vocabulary._build_base(model)
        v.source_model = model
        remember_base(model, v)
    return v


def remember_base(model: SemanticModel, vocabulary: Vocabulary) -> None:
    """Use ``vocabulary`` (built by ``base_vocabulary`` for an equal model) as ``model``'s base."""
    if len(_BASES) > 16:
        _BASES.clear()
    vocabulary.source_model = model
    _BASES[id(model)] = vocabulary


def _words(name: str) -> str:
    return name.replace("_", " ")


def canonical_order(model: SemanticModel) -> SemanticModel:
    """The model with its lists in an order that depends on the model alone, never on the file: tables
    that others join to first (fewest tables reachable, then by name: accounts before the resources
    that belong to them, before the costs of those resources), everything else by name.

    Wherever the mapper still takes the first of several candidates (a table to count, a metric in
    a unit), the answer is then the same however the YAML was arranged."""
    edges: dict[str, list[str]] = {}
    for r in model.relationships:
        edges.setdefault(r.from_table, []).append(r.to_table)

    def reach(table: str) -> int:
        seen, todo = {table}, [table]
        while todo:
            for there in edges.get(todo.pop(), ()):
                if there not in seen:
                    seen.add(there)
                    todo.append(there)
        return len(seen)

    def by_name(items: Iterable[Any]) -> tuple[Any, ...]:
        return tuple(sorted(items, key=lambda x: x.name))

    tables = sorted(model.tables, key=lambda t: (reach(t.name), t.name))
    return model.model_copy(
        update={
            "tables": tuple(
                t.model_copy(
                    update={
                        "dimensions": by_name(t.dimensions),
                        "time_dimensions": by_name(t.time_dimensions),
                        "measures": by_name(t.measures),
                    }
                )
                for t in tables
            ),
            "relationships": by_name(model.relationships),
            "metrics": by_name(model.metrics),
            "segments": by_name(model.segments),
            "verified_queries": tuple(sorted(model.verified_queries, key=lambda q: q.question)),
            "materializations": by_name(model.materializations),
        }
    )


def _fuller(d: Dimension) -> tuple[int, ...]:
    """How much a dimension's definition says: of two tables' dimensions of one name, the mapper reads
    values and words from the one that says more."""
    return (
        len(d.enum),
        len(d.tag_keys),
        len(d.value_synonyms),
        len(d.groups),
        len(d.synonyms),
        len(d.sample_values),
        len(d.description),
    )


_NOT_LOWER_ALNUM = re.compile(r"[^a-z0-9]")


def nests_under(value: str, parent: str) -> bool:
    """ "a:b" under "a": the value starts with the parent, then a character that is not a lower-case
    letter or digit."""
    return (
        len(value) > len(parent)
        and value.startswith(parent)
        and _NOT_LOWER_ALNUM.fullmatch(value[len(parent)]) is not None
    )


def _parents(value: str) -> set[str]:
    """The values ``value`` would nest under: its text before each character that is not a lower-case
    letter or digit ("a" for "a:b", "x" and "x.y" for "x.y.z")."""
    return {value[: m.start()] for m in _NOT_LOWER_ALNUM.finditer(value)}


__all__ = [
    "Kind",
    "Meaning",
    "Vocabulary",
    "base_vocabulary",
    "canonical_order",
    "nests_under",
    "remember_base",
    "tokenize",
]
