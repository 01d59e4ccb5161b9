"""E140-E144: each relationship must be a real to-one edge between two tables.

The compiler only joins along relationships and trusts their cardinality to rule out fan-out (double
counting). An edge whose ``to`` columns are not the whole primary key of the to-table can match several
rows, so a many_to_one that is not really to-one would silently inflate every sum joined through it.
"""

from __future__ import annotations

from collections.abc import Iterator

from models.errors import Issue
from models.semantic_model import Relationship, SemanticModel, Table
from semantic.rules._common import make_issue, suggest
from semantic.source_map import Path, SourceMap


def _columns(columns: tuple[str, ...]) -> str:
    return "[" + ", ".join(columns) + "]"


def _to_side(rel: Relationship, to: Table, base: Path, source: SourceMap) -> Iterator[Issue]:
    if not to.primary_key:
        return  # reported by table_structure
    pk = list(to.primary_key)
    used: list[str] = []
    for k, key in enumerate(rel.keys):
        if key.to_column not in pk:
            yield make_issue(
                "E142",
                source,
                base,
                f"'{key.to_column}' is not in the primary key of '{to.name}' {_columns(to.primary_key)}; "
                f"a relationship must join to the whole primary key of its to-table so that each row finds "
                f"at most one match; {suggest(key.to_column, pk, 'key columns')}",
                at=(*base, "keys", k, "to"),
            )
        used.append(key.to_column)
    missing = [c for c in pk if c not in used]
    if missing and any(c in pk for c in used):
        yield make_issue(
            "E142",
            source,
            base,
            f"the keys cover only part of the primary key of '{to.name}' {_columns(to.primary_key)}, so a "
            f"row may match several; add key pairs for {', '.join(missing)}",
            at=(*base, "keys"),
        )


def relationships(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Relationships must connect known tables through the one side's primary key."""
    tables = {t.name: t for t in reversed(model.tables)}
    names = [t.name for t in model.tables]
    for ri, rel in enumerate(model.relationships):
        base: Path = ("relationships", ri)
        for side, name in (("from", rel.from_table), ("to", rel.to_table)):
            if name not in tables:
                yield make_issue(
                    "E140",
                    source,
                    base,
                    f"unknown {side} table '{name}'; {suggest(name, names, 'tables')}",
                    at=(*base, side),
                )
        if not rel.keys:
            yield make_issue(
                "E141",
                source,
                base,
                "keys is empty; list the column pairs to join on, e.g. [{from: account_id, to: account_id}]",
                at=(*base, "keys"),
            )
        if rel.from_table == rel.to_table:
            yield make_issue(
                "E144",
                source,
                base,
                f"relationship from table '{rel.from_table}' to itself; crq does not join a "
                "table to itself, so remove it",
                at=(*base, "to"),
            )
            continue
        to = tables.get(rel.to_table)
        if to is not None and rel.keys:
            yield from _to_side(rel, to, base, source)
        frm = tables.get(rel.from_table)
        if rel.cardinality == "one_to_one" and frm is not None and rel.keys and frm.primary_key:
            from_columns = [k.from_column for k in rel.keys]
            if sorted(set(from_columns)) != sorted(frm.primary_key):
                yield make_issue(
                    "E143",
                    source,
                    base,
                    f"one_to_one needs the from columns {_columns(tuple(from_columns))} to be the "
                    f"primary key of '{frm.name}' {_columns(frm.primary_key)}; otherwise several "
                    f"'{frm.name}' rows share one target, so use cardinality: many_to_one",
                    at=(*base, "cardinality"),
                )
