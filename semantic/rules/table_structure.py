"""E110-E119: the shape of each table, its primary key and its dimensions.

The schema accepts each field on its own; these checks catch combinations that the compiler and the
mappers would otherwise misread: a dimension with two sources, a group listing a value the enum does not
have (a mapper would filter on a value that never matches), an enum on a boolean, and so on.
"""

from __future__ import annotations

from collections.abc import Iterator

from models.errors import Issue
from models.semantic_model import Dimension, DimensionType, SemanticModel, Table
from semantic.rules._common import key_path, make_issue, suggest
from semantic.source_map import Path, SourceMap

SOURCES = "column, expr, json or tags"


def _primary_key(table: Table, base: Path, source: SourceMap) -> Iterator[Issue]:
    if not table.primary_key:
        yield make_issue(
            "E110",
            source,
            (*base, "primary_key"),
            f"table '{table.name}' has an empty primary key; list the column(s) that identify one row "
            "(relationships and fan-out checks rely on it)",
        )
    seen: set[str] = set()
    for i, column in enumerate(table.primary_key):
        if column in seen:
            yield make_issue(
                "E111",
                source,
                (*base, "primary_key", i),
                f"column '{column}' appears twice in the primary key; list each column once",
            )
        seen.add(column)


def _default_time_dimension(table: Table, base: Path, source: SourceMap) -> Iterator[Issue]:
    name = table.default_time_dimension
    valid = [t.name for t in table.time_dimensions]
    if name is None or name in valid:
        return
    if not valid:
        fix = "the table has no time_dimensions; add one or remove default_time_dimension"
    elif name in {d.name for d in table.dimensions}:
        fix = f"'{name}' is a dimension, not a time dimension; valid time dimensions: {', '.join(valid)}"
    else:
        fix = suggest(name, valid, "time dimensions")
    yield make_issue(
        "E112",
        source,
        (*base, "default_time_dimension"),
        f"'{name}' is not a time dimension of table '{table.name}'; {fix}",
    )


def _sources(dim: Dimension, base: Path, source: SourceMap) -> Iterator[Issue]:
    present = [
        (key, path)
        for key, path, value in (
            ("column", (*base, "column"), dim.column),
            ("expr", (*base, "expr"), dim.expr),
            ("json", key_path(source, base, "json", "json_path"), dim.json_path),
            ("tags", (*base, "tags"), dim.tags),
        )
        if value
    ]
    if not present:
        yield make_issue(
            "E113", source, base, f"dimension '{dim.name}' has no source; give exactly one of {SOURCES}"
        )
    elif len(present) > 1:
        keys = ", ".join(k for k, _ in present)
        yield make_issue(
            "E113",
            source,
            base,
            f"dimension '{dim.name}' has {len(present)} sources ({keys}); keep exactly one of {SOURCES}",
            at=present[1][1],
        )
    if dim.json_path and len(dim.json_path) < 2:
        yield make_issue(
            "E114",
            source,
            key_path(source, base, "json", "json_path"),
            f"json needs a column and at least one key, e.g. [{dim.json_path[0]}, some_key]; "
            "to use the whole column, write column: instead",
        )
    if dim.tag_keys and not dim.tags:
        yield make_issue(
            "E115",
            source,
            (*base, "tag_keys"),
            "tag_keys only apply to a tags dimension; remove tag_keys or set tags: <jsonb column>",
        )


def _untagged(dim: Dimension, table: Table, base: Path, source: SourceMap) -> Iterator[Issue]:
    """``untagged`` names the flag "not tagged" filters by: a boolean of the same table, on a tags
    dimension (anywhere else nothing would read it, and a wrong flag would filter the wrong rows)."""
    if dim.untagged is None:
        return
    at = (*base, "untagged")
    if not dim.tags:
        yield make_issue(
            "E118",
            source,
            at,
            "untagged only applies to a tags dimension; remove untagged or set tags: <jsonb column>",
        )
        return
    booleans = [d.name for d in table.dimensions if d.type == DimensionType.BOOLEAN]
    if dim.untagged not in booleans:
        fix = (
            suggest(dim.untagged, booleans, "boolean dimensions")
            if booleans
            else (
                f"table '{table.name}' has no boolean dimension; add one (e.g. expr: "
                f"\"{dim.tags} = '{{}}'::jsonb\", type: boolean) or remove untagged"
            )
        )
        yield make_issue(
            "E118",
            source,
            at,
            f"untagged '{dim.untagged}' is not a boolean dimension of table '{table.name}'; {fix}",
        )


def _applies_to(dim: Dimension, table: Table, base: Path, source: SourceMap) -> Iterator[Issue]:
    """``applies_to`` names rows by values of another enum dimension of the same table: a mapper
    chooses between two dimensions by it and leaves rows without a value out of a ranking, so a
    value that never occurs would silently choose wrong."""
    enums = {d.name: d for d in table.dimensions if d.enum and d.name != dim.name}
    for field, values in dim.applies_to.items():
        at = (*base, "applies_to", field)
        other = enums.get(field)
        if other is None:
            yield make_issue(
                "E119",
                source,
                at,
                f"applies_to '{field}' is not another dimension of table '{table.name}' with an enum; "
                f"{suggest(field, list(enums), 'dimensions with an enum')}",
            )
            continue
        if not values:
            yield make_issue("E119", source, at, f"applies_to '{field}' lists no values; list at least one")
        for i, value in enumerate(values):
            if value not in other.enum:
                yield make_issue(
                    "E119",
                    source,
                    (*at, i),
                    f"applies_to value '{value}' is not in the enum of '{field}'; "
                    f"{suggest(value, list(other.enum), 'values')}",
                )


def _values(dim: Dimension, base: Path, source: SourceMap) -> Iterator[Issue]:
    if dim.enum and dim.type in (DimensionType.BOOLEAN, DimensionType.NUMBER):
        yield make_issue(
            "E117",
            source,
            (*base, "enum"),
            f"a {dim.type.value} dimension cannot have an enum; remove enum, or make the "
            "dimension type: string",
        )
        return
    if not dim.enum:
        return
    enum = list(dim.enum)

    def outside(value: str, path: Path, what: str) -> Iterator[Issue]:
        if value not in enum:
            yield make_issue(
                "E116",
                source,
                path,
                f"{what} '{value}' is not in the enum of '{dim.name}'; {suggest(value, enum, 'values')}",
            )

    for group, spec in dim.groups.items():
        for i, value in enumerate(spec.values):
            yield from outside(value, (*base, "groups", group, "values", i), f"group '{group}' value")
    for value in dim.value_synonyms:
        yield from outside(value, (*base, "value_synonyms", value), "value_synonyms key")
    for i, value in enumerate(dim.sample_values):
        yield from outside(value, (*base, "sample_values", i), "sample value")
    seen: set[str] = set()
    for i, value in enumerate(dim.enum):
        if value in seen:
            yield make_issue(
                "E116",
                source,
                (*base, "enum", i),
                f"value '{value}' appears twice in the enum; list each value once",
            )
        seen.add(value)


def table_structure(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Each table must be something the compiler can join and each dimension something it can select."""
    for ti, table in enumerate(model.tables):
        base: Path = ("tables", ti)
        yield from _primary_key(table, base, source)
        yield from _default_time_dimension(table, base, source)
        for di, dim in enumerate(table.dimensions):
            path = (*base, "dimensions", di)
            yield from _sources(dim, path, source)
            yield from _values(dim, path, source)
            yield from _untagged(dim, table, path, source)
            yield from _applies_to(dim, table, path, source)
        for di, tdim in enumerate(table.time_dimensions):
            path = (*base, "time_dimensions", di)
            present = [k for k in ("column", "expr") if getattr(tdim, k)]
            if len(present) != 1:
                problem = "has no source" if not present else "has 2 sources (column, expr)"
                yield make_issue(
                    "E113",
                    source,
                    path,
                    f"time dimension '{tdim.name}' {problem}; give exactly one of column or expr",
                    at=(*path, "expr") if present else None,
                )
