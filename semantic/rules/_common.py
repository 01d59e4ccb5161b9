"""Helpers shared by the rules: naming and locating objects, did-you-mean, and a name index of the model.

Every rule words its messages the same way (``<object>: <problem>; <fix>``) so that an analyst reading a
list of issues can scan them; keeping the wording helpers here is what keeps them consistent.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from models.errors import Issue
from models.semantic_model import Dimension, SemanticModel, Table, TimeDimension
from semantic.expressions import ExpressionError, parse_expression
from semantic.source_map import Path, SourceMap

MAX_CHOICES = 25


def describe(path: Path, source: SourceMap) -> str:
    """Name an object the way the loader's schema errors do, so both kinds of issue read alike."""
    return source.describe(tuple(path))


def make_issue(code: str, source: SourceMap, where: Path, message: str, at: Path | None = None) -> Issue:
    """An issue about the object at ``where``, positioned at ``at`` (the offending key) when given."""
    line, col = source.locate(tuple(at if at is not None else where))
    return Issue(code, f"{describe(where, source)}: {message}", source.file, line, col)


def quote_list(names: Iterable[str]) -> str:
    shown = list(names)
    text = ", ".join(shown[:MAX_CHOICES])
    return text + (", ..." if len(shown) > MAX_CHOICES else "")


def suggest(name: str, choices: Sequence[str], what: str = "choices") -> str:
    """'did you mean ...?' when something close exists, else the list to choose from."""
    unique = list(dict.fromkeys(choices))
    close = difflib.get_close_matches(name, unique, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if not unique:
        return f"there are no {what}"
    return f"valid {what}: {quote_list(unique)}"


def key_path(source: SourceMap, base: Path, alias: str, name: str) -> Path:
    """The path of a field that YAML may spell by its alias (``json``) or its python name (``json_path``)."""
    if (*base, name) in source.positions and (*base, alias) not in source.positions:
        return (*base, name)
    return (*base, alias)


def expression_problem(text: str) -> str | None:
    """Why an expression is rejected, or None when it is fine."""
    try:
        parse_expression(text)
    except ExpressionError as e:
        return str(e)
    return None


AnyDimension = Dimension | TimeDimension


@dataclass(frozen=True)
class DimensionEntry:
    """One dimension or time dimension, with where it lives in the YAML."""

    table: Table
    dim: AnyDimension
    path: Path

    @property
    def is_time(self) -> bool:
        return isinstance(self.dim, TimeDimension)

    @property
    def kind(self) -> str:
        """'string', 'number', 'boolean' or 'time': what decides which filter operators make sense."""
        if isinstance(self.dim, TimeDimension):
            return "time"
        return self.dim.type.value


@dataclass
class ModelIndex:
    """Names of the model, first definition wins (duplicates are unique_names' business)."""

    tables: dict[str, tuple[int, Table]] = field(default_factory=dict)
    dimensions: dict[str, list[DimensionEntry]] = field(default_factory=dict)
    metrics: dict[str, int] = field(default_factory=dict)
    segments: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, model: SemanticModel) -> ModelIndex:
        index = cls()
        for ti, table in enumerate(model.tables):
            index.tables.setdefault(table.name, (ti, table))
            for di, dim in enumerate(table.dimensions):
                entry = DimensionEntry(table, dim, ("tables", ti, "dimensions", di))
                index.dimensions.setdefault(dim.name, []).append(entry)
            for di, tdim in enumerate(table.time_dimensions):
                entry = DimensionEntry(table, tdim, ("tables", ti, "time_dimensions", di))
                index.dimensions.setdefault(tdim.name, []).append(entry)
        for mi, metric in enumerate(model.metrics):
            index.metrics.setdefault(metric.name, mi)
        for si, segment in enumerate(model.segments):
            index.segments.setdefault(segment.name, si)
        return index

    def dimension_choices(self) -> list[str]:
        """How an intent may refer to each dimension: tags dimensions by '<name>:<key>'."""
        out: list[str] = []
        for name, entries in self.dimensions.items():
            tags = [e for e in entries if isinstance(e.dim, Dimension) and e.dim.tags]
            if not tags:
                out.append(name)
                continue
            keys = [k for e in tags if isinstance(e.dim, Dimension) for k in e.dim.tag_keys]
            out.extend(f"{name}:{k}" for k in dict.fromkeys(keys or ["<key>"]))
        return out

    def resolve_dimension(self, ref: str) -> tuple[list[DimensionEntry], str | None]:
        """The dimensions a reference (``name``, ``table.name``, ``tags:key``) means, or why it means none."""
        name, colon, key = ref.partition(":")
        table_name, dot, bare = name.rpartition(".")
        if not dot:
            table_name, bare = "", name
        if table_name and table_name not in self.tables:
            return [], f"unknown table '{table_name}'; {suggest(table_name, list(self.tables), 'tables')}"
        entries = [e for e in self.dimensions.get(bare, []) if not table_name or e.table.name == table_name]
        if not entries:
            where = f" of table '{table_name}'" if table_name else ""
            if not table_name and ref in self.metrics:
                return [], f"'{ref}' is a metric, not a dimension"
            choices = self.dimension_choices()
            if table_name:
                table = self.tables[table_name][1]
                names = {d.name for d in table.dimensions} | {d.name for d in table.time_dimensions}
                choices = [c for c in choices if c.split(":")[0] in names]
            unqualified = ref[len(table_name) + 1 :] if table_name else ref
            return [], f"unknown dimension '{ref}'{where}; {suggest(unqualified, choices, 'dimensions')}"
        tagged = [e for e in entries if isinstance(e.dim, Dimension) and e.dim.tags]
        example = next((k for e in tagged if isinstance(e.dim, Dimension) for k in e.dim.tag_keys), "owner")
        if colon:
            if not tagged:
                return [], (
                    f"'{bare}' is not a tags dimension, so ':{key}' cannot follow it; write '{bare}' alone"
                )
            if not key:
                return [], f"a tag key is missing after '{bare}:'; write e.g. '{bare}:{example}'"
            return tagged, None
        if tagged:
            return [], (
                f"'{bare}' is a tags dimension; refer to one tag as '{bare}:<key>', e.g. '{bare}:{example}'"
            )
        return entries, None
