"""E101 duplicate names, E102 metric named like a dimension.

Intents refer to everything by name, so a second definition under the same name would silently shadow
the first (or make the compiler pick one at random). Metrics and dimensions share a namespace because an
intent filter or order_by field may be either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from models.errors import Issue
from models.semantic_model import SemanticModel
from semantic.rules._common import make_issue
from semantic.source_map import Path, SourceMap


def _duplicates(
    source: SourceMap, items: Sequence[tuple[str, Path]], scope: str, kind: str, note: str = ""
) -> Iterator[Issue]:
    first: dict[str, Path] = {}
    for name, path in items:
        if name not in first:
            first[name] = path
            continue
        line, _ = source.locate(first[name] + ("name",))
        yield make_issue(
            "E101",
            source,
            path,
            f"duplicate {kind} name '{name}' {scope} (first defined on line {line}{note}); "
            "rename or remove one of them",
            at=(*path, "name"),
        )


def unique_names(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Every name an intent can use must mean exactly one thing in its namespace."""
    yield from _duplicates(
        source, [(t.name, ("tables", i)) for i, t in enumerate(model.tables)], "in the model", "table"
    )
    for ti, table in enumerate(model.tables):
        scope = f"in table '{table.name}'"
        dims = [(d.name, ("tables", ti, "dimensions", i)) for i, d in enumerate(table.dimensions)]
        dims += [(d.name, ("tables", ti, "time_dimensions", i)) for i, d in enumerate(table.time_dimensions)]
        yield from _duplicates(
            source, dims, scope, "dimension", note="; dimensions and time_dimensions share one namespace"
        )
        yield from _duplicates(
            source,
            [(m.name, ("tables", ti, "measures", i)) for i, m in enumerate(table.measures)],
            scope,
            "measure",
        )
    for collection, kind in (
        ("metrics", "metric"),
        ("segments", "segment"),
        ("relationships", "relationship"),
    ):
        objects = getattr(model, collection)
        yield from _duplicates(
            source, [(o.name, (collection, i)) for i, o in enumerate(objects)], "in the model", kind
        )

    dimension_homes: dict[str, list[str]] = {}
    for table in model.tables:
        for dim_name in [d.name for d in table.dimensions] + [d.name for d in table.time_dimensions]:
            dimension_homes.setdefault(dim_name, []).append(table.name)
    for mi, metric in enumerate(model.metrics):
        tables = dimension_homes.get(metric.name)
        if tables:
            homes = list(dict.fromkeys(tables))
            owners = ("table " if len(homes) == 1 else "tables ") + ", ".join(f"'{t}'" for t in homes)
            yield make_issue(
                "E102",
                source,
                ("metrics", mi),
                f"metric '{metric.name}' has the name of a dimension of {owners}; metrics and "
                "dimensions share one namespace in intents (filters, order_by), so rename the metric "
                "or the dimension",
                at=("metrics", mi, "name"),
            )
