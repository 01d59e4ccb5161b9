"""Lookups over a validated semantic model, built once per model and shared by every compile.

The join graph only has to-one edges (relationship from the many side to the one side), so any path
found here can be joined without multiplying the rows of the table it starts from.
"""

from __future__ import annotations

import difflib
from collections import deque
from dataclasses import dataclass
from functools import cached_property

from models.errors import IntentError, QueryRefused
from models.semantic_model import (
    Dimension,
    Measure,
    Metric,
    MetricType,
    Relationship,
    SemanticModel,
    Table,
    TimeDimension,
)
from semantic.expressions import column_names, parse_expression

AnyDimension = Dimension | TimeDimension


@dataclass(frozen=True)
class DimensionTarget:
    """Where a dimension name leads from one starting table: the path of joins and the dimension."""

    table: Table
    dimension: AnyDimension
    path: tuple[Relationship, ...]
    tag_key: str | None = None


@dataclass(frozen=True)
class MeasureRef:
    table: Table
    measure: Measure

    @property
    def alias(self) -> str:
        return f"{self.table.name}__{self.measure.name}"


class Catalog:
    """Indexes of one model; immutable after construction."""

    def __init__(self, model: SemanticModel):
        self.model = model
        self.tables = {t.name: t for t in model.tables}
        self.metrics = {m.name: m for m in model.metrics}
        self.segments = {s.name: s for s in model.segments}
        self.materializations = {m.name: m for m in model.materializations}
        self.dimensions: dict[str, list[tuple[Table, AnyDimension]]] = {}
        self.tag_dimensions: dict[str, list[tuple[Table, Dimension]]] = {}
        for t in model.tables:
            every: list[AnyDimension] = [*t.dimensions, *t.time_dimensions]
            for d in every:
                if isinstance(d, Dimension) and d.tags:
                    self.tag_dimensions.setdefault(d.name, []).append((t, d))
                else:
                    self.dimensions.setdefault(d.name, []).append((t, d))
        self._edges: dict[str, list[Relationship]] = {}
        for r in model.relationships:
            self._edges.setdefault(r.from_table, []).append(r)
        self._paths: dict[str, dict[str, tuple[Relationship, ...] | None]] = {}
        self.memo: dict[str, object] = {}  # derived per-model data other stages compute once

    # --- names -----------------------------------------------------------------------------------

    @cached_property
    def dimension_names(self) -> list[str]:
        names = set(self.dimensions)
        names.update(f"{n}:<key>" for n in self.tag_dimensions)
        return sorted(names)

    def candidates(self, name: str) -> list[tuple[Table, AnyDimension]]:
        """Every table/dimension pair a dimension reference could mean, before choosing by distance."""
        bare = split_reference(name)[2]
        if ":" in bare:
            return list(self.tag_dimensions.get(bare.partition(":")[0], []))
        return list(self.dimensions.get(bare, []))

    def metric(self, name: str, field: str = "metrics") -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            raise IntentError(
                field, f"unknown metric '{name}'{_did_you_mean(name, self.metrics)}", sorted(self.metrics)
            ) from None

    def measure(self, ref: str) -> MeasureRef:
        table_name, _, measure_name = ref.rpartition(".")
        tables = [self.tables[table_name]] if table_name else list(self.tables.values())
        for t in tables:
            for m in t.measures:
                if m.name == measure_name:
                    return MeasureRef(t, m)
        raise KeyError(ref)  # validation guarantees this cannot happen for a loaded model

    def measures_of(self, metric: Metric) -> list[MeasureRef]:
        """The measures a metric needs, through ratios and derived expressions, in a stable order."""
        out: dict[str, MeasureRef] = {}
        for name in self.metric_dependencies(metric):
            m = self.metrics[name]
            if m.type == MetricType.SIMPLE and m.measure:
                ref = self.measure(m.measure)
                out.setdefault(ref.alias, ref)
        return list(out.values())

    def metric_dependencies(self, metric: Metric) -> list[str]:
        """The metric and every metric it is built from (depth first, each once)."""
        seen: dict[str, None] = {}

        def visit(m: Metric) -> None:
            if m.name in seen:
                return
            seen[m.name] = None
            if m.type == MetricType.RATIO:
                visit(self.metrics[m.numerator or ""])
                visit(self.metrics[m.denominator or ""])
            elif m.type == MetricType.DERIVED:
                for n in column_names(parse_expression(m.expr or "")):
                    visit(self.metrics[n])

        visit(metric)
        return list(seen)

    # --- joins -----------------------------------------------------------------------------------

    def paths_from(self, start: str) -> dict[str, tuple[Relationship, ...] | None]:
        """Shortest to-one path from ``start`` to every reachable table; None where two paths tie."""
        if start in self._paths:
            return self._paths[start]
        best: dict[str, tuple[Relationship, ...] | None] = {start: ()}
        depth = {start: 0}
        queue = deque([start])
        while queue:
            here = queue.popleft()
            path = best[here]
            for rel in self._edges.get(here, ()):
                there = rel.to_table
                d = depth[here] + 1
                if there not in depth:
                    depth[there] = d
                    best[there] = None if path is None else (*path, rel)
                    queue.append(there)
                elif depth[there] == d and best[there] != (None if path is None else (*path, rel)):
                    best[there] = None  # two different shortest paths: ambiguous
        self._paths[start] = best
        return best

    def resolve_dimension(self, name: str, start: Table, field: str) -> DimensionTarget:
        """Find dimension ``name`` (``table.dim``, ``dim`` or ``tagdim:key``) from table ``start``.

        Unqualified names pick the nearest table that has them, so "region" means the cost table's
        own region for cost and the resources' region for resource counts.
        """
        tag_key: str | None = None
        qualifier, _, bare = split_reference(name)
        candidates: list[tuple[Table, AnyDimension]]
        if ":" in bare:
            bare, _, tag_key = bare.partition(":")
            if not tag_key.strip():
                raise IntentError(field, f"'{name}' needs a tag key after ':', e.g. {bare}:owner")
            candidates = list(self.tag_dimensions.get(bare, []))
            if not candidates:
                raise IntentError(
                    field,
                    f"unknown tag dimension '{bare}'{_did_you_mean(bare, self.tag_dimensions)}",
                    sorted(self.tag_dimensions),
                )
        else:
            candidates = list(self.dimensions.get(bare, []))
            if not candidates:
                hint = _did_you_mean(bare, [*self.dimensions, *self.tag_dimensions])
                raise IntentError(field, f"unknown dimension '{name}'{hint}", self.dimension_names)
        if qualifier:
            candidates = [c for c in candidates if c[0].name == qualifier]
            if not candidates:
                owners = [
                    t.name for t, _ in self.dimensions.get(bare, []) + self.tag_dimensions.get(bare, [])
                ]
                raise IntentError(
                    field, f"table '{qualifier}' has no dimension '{bare}'", [f"{o}.{bare}" for o in owners]
                )
        paths = self.paths_from(start.name)
        reachable = [(t, d) for t, d in candidates if t.name in paths]
        if not reachable:
            on = ", ".join(sorted({t.name for t, _ in candidates}))
            raise QueryRefused(
                f"{field}: '{name}' is on {on}, which {start.name} reaches only through a one-to-many "
                f"join; grouping or filtering {start.name}'s numbers by it would count them more than once. "
                f"Ask for a metric of {on} instead."
            )
        tied = [f"{t.name}.{bare}" for t, _ in reachable if paths[t.name] is None]
        if tied:
            raise IntentError(
                field,
                f"'{name}' can be reached from {start.name} along two join paths; "
                "qualify it or add a direct relationship",
                tied,
            )
        reachable.sort(key=lambda c: len(paths[c[0].name] or ()))
        nearest = len(paths[reachable[0][0].name] or ())
        if len(reachable) > 1 and len(paths[reachable[1][0].name] or ()) == nearest:
            choices = [f"{t.name}.{bare}" for t, _ in reachable if len(paths[t.name] or ()) == nearest]
            raise IntentError(field, f"'{name}' is ambiguous from {start.name}; qualify it", choices)
        table, dim = reachable[0]
        path = paths[table.name] or ()
        return DimensionTarget(table, dim, path, tag_key)


def split_reference(name: str) -> tuple[str, str, str]:
    """``table.dim``, ``dim``, ``tagdim:key`` or ``table.tagdim:key`` -> (table, ".", rest); the tag key
    may itself contain dots and colons."""
    head, colon, key = name.partition(":")
    qualifier, dot, dim = head.rpartition(".")
    return qualifier, dot, dim + colon + key


def _did_you_mean(name: str, choices: object) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)  # type: ignore[call-overload]
    return f"; did you mean '{close[0]}'?" if close else ""


_CATALOGS: dict[int, Catalog] = {}


def catalog_for(model: SemanticModel) -> Catalog:
    """One Catalog per model object, so repeated compiles pay for the indexes once.

    Keyed by identity (models hold dicts, so they are not hashable); the Catalog keeps the model
    alive, and the cache is bounded because processes load a handful of models at most.
    """
    cat = _CATALOGS.get(id(model))
    if cat is None or cat.model is not model:
        if len(_CATALOGS) > 16:
            _CATALOGS.clear()
        cat = _CATALOGS[id(model)] = Catalog(model)
    return cat
