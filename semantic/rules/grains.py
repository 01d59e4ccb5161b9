"""E160 no grains, E161 a grain listed twice, E162 a verified query asks for a grain that is not offered.

Grains are what a mapper may choose from when a question says "per month"; an empty list would make the
time dimension impossible to group by, and a verified query using a grain the model withholds would
teach the mappers an answer the compiler refuses. Only day..year exist, so a ``date`` time dimension
cannot be given a sub-day grain in the first place.
"""

from __future__ import annotations

from collections.abc import Iterator

from models.errors import Issue
from models.intent import Intent
from models.semantic_model import SemanticModel, TimeDimension
from semantic.rules._common import ModelIndex, make_issue
from semantic.source_map import Path, SourceMap


def _intent_grains(intent: Intent, base: Path, index: ModelIndex, source: SourceMap) -> Iterator[Issue]:
    for k, ref in enumerate(intent.dimensions):
        if ref.grain is None:
            continue
        entries, problem = index.resolve_dimension(ref.name)
        if problem is not None:
            continue  # unknown dimension: reported by the references rule
        path = (*base, "dimensions", k)
        at = (*path, "grain") if (*path, "grain") in source.positions else path
        times = [e.dim for e in entries if isinstance(e.dim, TimeDimension)]
        if not times:
            yield make_issue(
                "E162",
                source,
                path,
                f"'{ref.name}' is not a time dimension, so it takes no grain; write '{ref.name}'",
                at=at,
            )
            continue
        offered = list(dict.fromkeys(g for t in times for g in t.grains))
        if ref.grain not in offered:
            yield make_issue(
                "E162",
                source,
                path,
                f"time dimension '{ref.name}' does not offer grain '{ref.grain.value}'; "
                f"valid grains: {', '.join(g.value for g in offered)}",
                at=at,
            )
    if intent.previous is not None:
        yield from _intent_grains(intent.previous, (*base, "previous"), index, source)


def grains(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Each time dimension offers a non-empty set of grains, and verified queries stay within it."""
    for ti, table in enumerate(model.tables):
        for di, tdim in enumerate(table.time_dimensions):
            path: Path = ("tables", ti, "time_dimensions", di, "grains")
            if not tdim.grains:
                yield make_issue(
                    "E160",
                    source,
                    path,
                    f"time dimension '{tdim.name}' has no grains; list at least one of "
                    "day, week, month, quarter, year (or omit grains to offer them all)",
                )
            seen: set[str] = set()
            for gi, grain in enumerate(tdim.grains):
                if grain in seen:
                    yield make_issue(
                        "E161",
                        source,
                        (*path, gi),
                        f"grain '{grain.value}' is listed twice; list each grain once",
                    )
                seen.add(grain)
    index = ModelIndex.build(model)
    for qi, query in enumerate(model.verified_queries):
        yield from _intent_grains(query.intent, ("verified_queries", qi, "intent"), index, source)
