"""E170-E179: a materialized view must name a table, its measures and dimensions the way a query would.

A view is built by the compiler from these names and matched against queries by what they resolve to,
so a typo here would only surface when `crq mv create` fails, or worse, a view would silently never
match (a grain the time dimension does not offer, a time zone PostgreSQL reads differently from Python)
or serve only queries nobody asks (a count_distinct it cannot re-aggregate). Dimension names resolve
from the view's table exactly as the compiler resolves a query's: the table's own dimensions and those
of tables it reaches through to-one relationships, nearest first. semantic/ must not import compiler/,
so that lookup is re-done here on the model alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterator

from sqlglot import exp

from models.errors import Issue
from models.intent import Grain
from models.semantic_model import (
    Aggregation,
    Dimension,
    Materialization,
    Measure,
    SemanticModel,
    TimeDimension,
)
from semantic.expressions import ExpressionError, parse_expression
from semantic.rules._common import DimensionEntry, ModelIndex, make_issue, suggest
from semantic.rules.references import _filter_on_dimensions
from semantic.source_map import Path, SourceMap
from semantic.time_zones import MISREAD_ZONES, is_time_zone, time_zones


@dataclasses.dataclass(frozen=True)
class _Reach:
    """How a table reaches every other table through to-one joins: hops, and whether two paths tie."""

    depth: dict[str, int]
    tied: frozenset[str]


_Edges = dict[str, list[tuple[str, str]]]  # table -> (relationship, table it joins to-one)


def _edges(model: SemanticModel) -> _Edges:
    edges: _Edges = {}
    for rel in model.relationships:
        edges.setdefault(rel.from_table, []).append((rel.name, rel.to_table))
    return edges


def _reach(edges: _Edges, start: str) -> _Reach:
    """Breadth first along relationships (many side -> one side), like the compiler's join planner."""
    depth = {start: 0}
    path: dict[str, tuple[str, ...] | None] = {start: ()}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for rel_name, there in edges.get(here, ()):
            prior = path[here]
            via = None if prior is None else (*prior, rel_name)
            if there not in depth:
                depth[there] = depth[here] + 1
                path[there] = via
                queue.append(there)
            elif depth[there] == depth[here] + 1 and path[there] != via:
                path[there] = None
    return _Reach(depth, frozenset(t for t, p in path.items() if p is None))


def _resolve(
    ref: str, table: str, model: SemanticModel, index: ModelIndex, reach: _Reach
) -> tuple[DimensionEntry | None, str | None]:
    """The one dimension ``ref`` means from ``table``, or why there is none (worded like the compiler)."""
    entries, problem = index.resolve_dimension(ref)
    if problem is not None:
        return None, problem
    reachable = [e for e in entries if e.table.name in reach.depth]
    if not reachable:
        owners = list(dict.fromkeys(e.table.name for e in entries))
        edges = _edges(model)
        fan_out = any(table in _reach(edges, o).depth for o in owners)
        how = "only through a one-to-many join" if fan_out else "through no relationship"
        return None, (
            f"'{ref}' is on {', '.join(owners)}, which {table} reaches {how}; a view of {table} cannot "
            f"group or filter by it. Use a dimension of {table} or of a table it joins many-to-one"
        )
    tied = [e.table.name for e in reachable if e.table.name in reach.tied]
    if tied:
        return None, (
            f"'{ref}' is on {', '.join(dict.fromkeys(tied))}, which {table} reaches along two join paths of "
            "the same length, so the view could not tell which join to use; remove or merge one of the "
            "relationships"
        )
    reachable.sort(key=lambda e: reach.depth[e.table.name])
    nearest = reach.depth[reachable[0].table.name]
    close = [e for e in reachable if reach.depth[e.table.name] == nearest]
    if len({e.table.name for e in close}) > 1:
        choices = " or ".join(f"'{e.table.name}.{e.dim.name}'" for e in close)
        return None, f"'{ref}' is ambiguous from {table}; qualify it as {choices}"
    return reachable[0], None


def _reachable_choices(index: ModelIndex, reach: _Reach, time: bool) -> list[str]:
    """The names a view of this table may list, for did-you-mean: only what it can actually reach."""
    out: list[str] = []
    for name in index.dimension_choices():
        bare = name.partition(":")[0]
        entries = [e for e in index.dimensions.get(bare, []) if e.table.name in reach.depth]
        if any(e.is_time == time for e in entries):
            out.append(name)
    return out


def _distinct_is_held(
    measure_expr: str | None,
    has_filter: bool,
    grouped: list[DimensionEntry],
    table: str,
    time: tuple[DimensionEntry, Grain] | None,
) -> bool:
    """Whether a count_distinct counts a plain column the view groups by as is (then the compiler
    counts distinct view values, which is exact at any coarser grouping); mirrors
    compiler/materializations.py ``_distinct_dimension``."""
    if has_filter or not measure_expr:
        return False
    try:
        tree = parse_expression(measure_expr)
    except ExpressionError:
        return False  # reported by the expressions rule
    if not isinstance(tree, exp.Column):
        return False
    candidates = [(e, True) for e in grouped]
    if time is not None:
        entry, grain = time
        as_is = grain == Grain.DAY and isinstance(entry.dim, TimeDimension) and entry.dim.type == "date"
        candidates.append((entry, as_is))
    return any(
        as_is
        and e.table.name == table
        and not (isinstance(e.dim, Dimension) and e.dim.tags)
        and e.dim.column == tree.name
        for e, as_is in candidates
    )


def column_name(name: str) -> str:
    """The view column of a member, as compiler/materializations.py ``column_name`` writes it."""
    return re.sub(r"\W+", "_", name.replace(".", "__")).strip("_")


def _column_clashes(
    mat: Materialization,
    stored: list[tuple[int, str]],
    measures: dict[str, Measure],
    grouped: list[DimensionEntry],
    table: str,
    time: tuple[DimensionEntry, Grain] | None,
    base: Path,
    source: SourceMap,
) -> Iterator[Issue]:
    """Two members stored under one column name would make `crq mv create` fail (DuplicateColumn):
    names are flattened ('tag:cost-center' and 'tag:cost_center' both become tag_cost_center)."""
    columns: dict[str, str] = {}
    if time is not None:
        columns |= dict.fromkeys(("first_day", "last_day"), "the span of data crq records for a time view")
    members: list[tuple[str, str, Path]] = [
        (column_name(ref), f"dimension '{ref}'", (*base, "dimensions", k)) for k, ref in stored
    ]
    if time is not None:
        time_column = f"{column_name(mat.time_dimension or '')}__{mat.grain.value}"
        members.append((time_column, f"time_dimension '{mat.time_dimension}'", (*base, "time_dimension")))
    for k, name in enumerate(mat.measures):
        m = measures.get(name)
        if m is None or name in mat.measures[:k]:
            continue  # unknown or repeated: reported as E171
        if m.agg == Aggregation.COUNT_DISTINCT and _distinct_is_held(
            m.expr, m.filter is not None, grouped, table, time
        ):
            continue  # counted from a dimension column, stores nothing
        parts = [f"{name}__sum", f"{name}__count"] if m.agg == Aggregation.AVG else [name]
        members += [(c, f"measure '{name}'", (*base, "measures", k)) for c in parts]
    for column, what, path in members:
        if column in columns:
            yield make_issue(
                "E177",
                source,
                base,
                f"{what} would be stored in view column '{column}', which already holds {columns[column]}; "
                "drop or rename one of them (a view column is the name with '.' as '__', other "
                "punctuation as '_')",
                at=path,
            )
        else:
            columns[column] = what


def _view(
    vi: int, mat: Materialization, model: SemanticModel, index: ModelIndex, edges: _Edges, source: SourceMap
) -> Iterator[Issue]:
    """Every check of one view, in the order its fields are read; an unknown table stops the rest,
    since nothing else can be resolved without it."""
    base: Path = ("materializations", vi)
    if mat.table not in index.tables:
        yield make_issue(
            "E170",
            source,
            base,
            f"unknown table '{mat.table}' (the one table whose measures the view holds); "
            f"{suggest(mat.table, list(index.tables), 'tables')}",
            at=(*base, "table"),
        )
        return
    table = index.tables[mat.table][1]
    reach = _reach(edges, table.name)

    measures = {m.name: m for m in table.measures}
    seen_measures: set[str] = set()
    for k, name in enumerate(mat.measures):
        path = (*base, "measures", k)
        if name in seen_measures:
            yield make_issue("E171", source, base, f"measure '{name}' is listed twice; list it once", at=path)
        elif name not in measures:
            others = [t.name for t in model.tables if any(m.name == name for m in t.measures)]
            where = f" (it is a measure of {', '.join(others)}; a view holds one table)" if others else ""
            yield make_issue(
                "E171",
                source,
                base,
                f"table '{table.name}' has no measure '{name}'{where}; "
                f"{suggest(name, list(measures), 'measures of ' + table.name)}",
                at=path,
            )
        seen_measures.add(name)

    grouped: list[DimensionEntry] = []
    stored: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, str], str] = {}
    for k, ref in enumerate(mat.dimensions):
        path = (*base, "dimensions", k)
        entry, problem = _resolve(ref, table.name, model, index, reach)
        if problem is not None:
            if "unknown dimension" in problem:
                problem = (
                    f"unknown dimension '{ref}' for a view of {table.name}; "
                    f"{suggest(ref, _reachable_choices(index, reach, time=False), 'dimensions')}"
                )
            yield make_issue("E172", source, base, problem, at=path)
            continue
        assert entry is not None
        if entry.is_time:
            yield make_issue(
                "E173",
                source,
                base,
                f"'{ref}' is a time dimension; remove it from dimensions and set time_dimension: {ref} "
                "with a grain instead",
                at=path,
            )
            continue
        key = (entry.table.name, entry.dim.name, ref.partition(":")[2])
        if key in seen:
            yield make_issue(
                "E172",
                source,
                base,
                f"'{ref}' is the same dimension as '{seen[key]}', listed before; list it once",
                at=path,
            )
            continue
        seen[key] = ref
        grouped.append(entry)
        stored.append((k, ref))

    time: tuple[DimensionEntry, Grain] | None = None
    grain_path = (*base, "grain")
    if mat.time_dimension is not None:
        path = (*base, "time_dimension")
        entry, problem = _resolve(mat.time_dimension, table.name, model, index, reach)
        if problem is not None and "unknown dimension" in problem:
            times = _reachable_choices(index, reach, time=True)
            problem = (
                f"unknown time dimension '{mat.time_dimension}'; "
                f"{suggest(mat.time_dimension, times, f'time dimensions reachable from {table.name}')}"
            )
        elif problem is None and entry is not None and not entry.is_time:
            times = _reachable_choices(index, reach, time=True)
            valid = ", ".join(times) or "none (this table reaches no time dimension)"
            problem = (
                f"'{mat.time_dimension}' is not a time dimension; list it under dimensions, or set "
                f"time_dimension to one of: {valid}"
            )
        if problem is not None:
            yield make_issue("E174", source, base, problem, at=path)
        elif entry is not None and isinstance(entry.dim, TimeDimension):
            time = (entry, mat.grain)
            if mat.grain not in entry.dim.grains:
                offered = ", ".join(g.value for g in entry.dim.grains)
                yield make_issue(
                    "E175",
                    source,
                    base,
                    f"time dimension '{mat.time_dimension}' does not offer grain '{mat.grain.value}', so no "
                    f"query could use the view; valid grains: {offered}",
                    at=grain_path if grain_path in source.positions else path,
                )
    elif grain_path in source.positions:
        yield make_issue(
            "E175",
            source,
            base,
            "grain without time_dimension has no effect; set time_dimension or remove grain",
            at=grain_path,
        )

    if not is_time_zone(mat.timezone):
        tz_path = (*base, "timezone")
        if mat.timezone in MISREAD_ZONES:
            problem = (
                f"time zone '{mat.timezone}' means one thing to Python and another to PostgreSQL (a fixed "
                "offset, or a file), so buckets and query ranges would disagree; use a region name such as "
                "Europe/Berlin"
            )
        else:
            hint = suggest(mat.timezone, sorted(time_zones()), "zones")
            if not hint.startswith("did you mean"):  # 600 names help nobody; an example does
                hint = "use an IANA name such as Europe/Berlin or America/New_York"
            problem = f"unknown time zone '{mat.timezone}'; {hint}"
        yield make_issue("E176", source, base, problem, at=tz_path if tz_path in source.positions else base)

    for fi, flt in enumerate(mat.filters):
        path = (*base, "filters", fi)
        if flt.field in index.metrics:
            yield make_issue(
                "E178",
                source,
                path,
                f"'{flt.field}' is a metric; a view's filters select rows by dimensions, so filter on a "
                "dimension (or leave metric conditions to the queries)",
                at=(*path, "field"),
            )
            continue
        entry, problem = _resolve(flt.field, table.name, model, index, reach)
        if problem is not None:
            if "unknown dimension" in problem:
                problem = (
                    f"unknown dimension '{flt.field}' for a view of {table.name}; "
                    f"{suggest(flt.field, _reachable_choices(index, reach, time=False), 'dimensions')}"
                )
            yield make_issue("E178", source, path, problem, at=(*path, "field"))
            continue
        assert entry is not None
        yield from _filter_on_dimensions(flt, [entry], path, source)

    if mat.time_dimension is not None and time is None:
        return  # which column the view groups by is unknown until the time dimension is fixed
    yield from _column_clashes(mat, stored, measures, grouped, table.name, time, base, source)
    for k, name in enumerate(mat.measures):
        m = measures.get(name)
        if m is None or m.agg != Aggregation.COUNT_DISTINCT:
            continue
        if _distinct_is_held(m.expr, m.filter is not None, grouped, table.name, time):
            continue
        grouping = [*mat.dimensions, *([f"{mat.time_dimension} by {mat.grain.value}"] if time else [])]
        issue = make_issue(
            "E179",
            source,
            base,
            f"measure '{name}' is count_distinct, which cannot be re-aggregated: the view only serves "
            f"queries grouped by exactly its dimensions ({', '.join(grouping) or 'none'}); to serve coarser "
            f"queries, group the view by the counted column itself or move '{name}' to a view of its own",
            at=(*base, "measures", k),
        )
        yield dataclasses.replace(issue, level="warning")


def materializations(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Every view resolves against its table, and its name is its own."""
    index = ModelIndex.build(model)
    edges = _edges(model)
    first: dict[str, int] = {}
    for vi, mat in enumerate(model.materializations):
        base: Path = ("materializations", vi)
        if mat.name in first:
            line, _ = source.locate(("materializations", first[mat.name], "name"))
            yield make_issue(
                "E177",
                source,
                base,
                f"duplicate materialization name '{mat.name}' (first defined on line {line}); each view is "
                "one object in schema crq_mv, so rename or remove one of them",
                at=(*base, "name"),
            )
        else:
            first[mat.name] = vi
        if mat.name in index.tables:
            yield make_issue(
                "E177",
                source,
                base,
                f"materialization '{mat.name}' has the name of a table; `crq explain` and the SQL name views "
                f"and tables alike (FROM crq_mv.{mat.name} AS {mat.name}), so rename the view, e.g. "
                f"'{mat.name}_mv'",
                at=(*base, "name"),
            )
        yield from _view(vi, mat, model, index, edges, source)
