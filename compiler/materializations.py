"""Materialized views declared in the model: their layout (which columns hold what) and their DDL.

A view is one fact table's measures, decomposed so they can be re-aggregated (avg is stored as sum
and count), grouped by its dimensions and, optionally, a time dimension at a grain. The same compiler
stages that answer queries build its defining SELECT, so a view and a base-table query can only differ
in how they group, never in what a dimension or measure means.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlglot import exp

from compiler.catalog import Catalog, MeasureRef
from compiler.dialect import CrqPostgres
from compiler.plan import DISTINCT_PREFIX, DimColumn, DimKey, FactFilter, FactQuery, ViewSource, dim_key
from compiler.render import column, identifier, view_definition_select
from compiler.resolve import typed_filter_value
from models.errors import IntentError
from models.intent import Grain
from models.semantic_model import Aggregation, Materialization, Measure, TimeDimension
from semantic.expressions import parse_expression

VIEW_SCHEMA = "crq_mv"


@dataclass(frozen=True)
class ViewLayout:
    materialization: Materialization
    fact: FactQuery
    source: ViewSource
    fixed_filters: tuple[FactFilter, ...]
    definition_hash: str

    @property
    def name(self) -> str:
        return self.materialization.name


def column_name(name: str) -> str:
    return re.sub(r"\W+", "_", name.replace(".", "__")).strip("_")


def view_layout(mat: Materialization, catalog: Catalog) -> ViewLayout:
    """Resolve a materialization's members exactly as a query from its table would resolve them."""
    table = catalog.tables[mat.table]
    field = f"materializations[{mat.name}]"
    dims: list[DimColumn] = []
    columns: list[tuple[DimKey, str]] = []
    for name in mat.dimensions:
        target = catalog.resolve_dimension(name, table, f"{field}.dimensions")
        if isinstance(target.dimension, TimeDimension):
            raise IntentError(f"{field}.dimensions", f"'{name}' is a time dimension; set time_dimension")
        alias = column_name(name)
        dims.append(DimColumn(alias, target, None))
        columns.append((dim_key(target), alias))
    time_key = time_column = None
    if mat.time_dimension:
        target = catalog.resolve_dimension(mat.time_dimension, table, f"{field}.time_dimension")
        time_column = f"{column_name(mat.time_dimension)}__{mat.grain.value}"
        dims.append(DimColumn(time_column, target, mat.grain))
        time_key = dim_key(target)
    measures: list[MeasureRef] = []
    measure_columns: list[tuple[str, tuple[str, ...]]] = []
    for name in mat.measures:
        ref = catalog.measure(f"{mat.table}.{name}")
        held = _distinct_dimension(ref.measure, dims)
        if held is not None:  # distinct values of a column the view groups by: counted from the view
            measure_columns.append((ref.alias, (DISTINCT_PREFIX + held,)))
            continue
        parts = _decomposed(ref.measure)
        measures += [MeasureRef(table, m) for m in parts]
        measure_columns.append((ref.alias, tuple(m.name for m in parts)))
    filters = tuple(
        FactFilter(t, f.op, typed_filter_value(f, t, catalog, f"{field}.filters"))
        for f in mat.filters
        for t in [catalog.resolve_dimension(f.field, table, f"{field}.filters")]
    )
    joins = tuple(
        dict.fromkeys(
            rel for t in [*(d.target for d in dims), *(f.target for f in filters)] for rel in t.path
        )
    )
    fact = FactQuery(table, joins, tuple(dims), tuple(measures), filters, None)
    source = ViewSource(
        mat.name,
        VIEW_SCHEMA,
        tuple(columns),
        time_key,
        time_column,
        mat.grain if mat.time_dimension else None,
        tuple(measure_columns),
    )
    select = view_definition_select(fact, catalog, mat.timezone, _time_bucket(fact))
    digest = hashlib.sha256(select.sql(dialect=CrqPostgres).encode()).hexdigest()[:16]
    return ViewLayout(mat, fact, source, filters, digest)


def _distinct_dimension(m: Measure, dims: list[DimColumn]) -> str | None:
    """The view column holding exactly the values a count_distinct measure counts, if there is one.

    A view row exists for a value of a grouped column iff some base row with those dimensions has it,
    so COUNT(DISTINCT view.column) over matching view rows equals the base count. Only for a plain
    column, unfiltered, grouped as is (a day bucket of a date column is the date itself).
    """
    if m.agg != Aggregation.COUNT_DISTINCT or m.filter or not m.expr:
        return None
    tree = parse_expression(m.expr)
    if not isinstance(tree, exp.Column):
        return None
    for d in dims:
        dim = d.target.dimension
        plain = not d.target.path and d.target.tag_key is None and dim.column == tree.name
        as_is = d.grain is None or (d.grain == Grain.DAY and getattr(dim, "type", "") == "date")
        if plain and as_is:
            return d.alias
    return None


def _decomposed(m: Measure) -> list[Measure]:
    """The stored parts of a measure: avg needs its sum and its count of non-null values."""
    if m.agg == Aggregation.AVG:
        return [
            m.model_copy(update={"name": f"{m.name}__sum", "agg": Aggregation.SUM}),
            m.model_copy(update={"name": f"{m.name}__count", "agg": Aggregation.COUNT}),
        ]
    return [m]


def layouts(catalog: Catalog) -> dict[str, ViewLayout]:
    """Every view's layout (for building views and listing them)."""
    return {m.name: layout_of(m.name, catalog) for m in catalog.model.materializations}


def layout_of(name: str, catalog: Catalog) -> ViewLayout:
    """One view's layout, computed the first time a query could use it and kept with its catalog: a
    query resolves only the views of the tables it reads, so the first one does not pay for every view
    of a large model."""
    memo: dict[str, ViewLayout] = catalog.memo.setdefault("view_layouts", {})  # type: ignore[assignment]
    if name not in memo:
        memo[name] = view_layout(catalog.materializations[name], catalog)
    return memo[name]


def view_select(layout: ViewLayout, catalog: Catalog) -> exp.Select:
    """The view's defining SELECT, values inlined: a view definition cannot hold bind parameters."""
    return view_definition_select(
        layout.fact, catalog, layout.materialization.timezone, _time_bucket(layout.fact)
    )


def _time_bucket(fact: FactQuery) -> DimColumn | None:
    return next((d for d in fact.dimensions if d.grain is not None), None)


def create_statements(layout: ViewLayout, catalog: Catalog) -> list[str]:
    """DDL for one view: drop, create (with data), and the unique index that allows concurrent refresh."""
    table = exp.Table(this=identifier(layout.name), db=identifier(VIEW_SCHEMA))
    drop = exp.Drop(tables=[table.copy()], kind="VIEW", materialized=True, exists=True)
    create = exp.Create(
        this=table.copy(),
        kind="VIEW",
        expression=view_select(layout, catalog),
        properties=exp.Properties(expressions=[exp.MaterializedProperty()]),
    )
    statements = [drop.sql(dialect=CrqPostgres), create.sql(dialect=CrqPostgres, pretty=True)]
    keys = [c for _, c in layout.source.columns] + (
        [layout.source.time_column] if layout.source.time_column else []
    )
    if keys:
        index = exp.Create(
            this=exp.Index(
                this=exp.to_identifier(f"{layout.name}_key"),
                table=table.copy(),
                params=exp.IndexParameters(columns=[exp.Ordered(this=column(k)) for k in keys]),
            ),
            kind="INDEX",
            unique=True,
        )
        statements.append(index.sql(dialect=CrqPostgres))
    return statements
