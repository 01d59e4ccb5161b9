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
from compiler.plan import DimColumn, DimKey, FactFilter, FactQuery, ViewSource, dim_key
from compiler.render import view_definition_select
from compiler.resolve import typed_filter_value
from models.errors import IntentError
from models.semantic_model import Aggregation, Materialization, Measure, TimeDimension

VIEW_SCHEMA = "crq_mv"


@dataclass(frozen=True)
class ViewLayout:
    materialization: Materialization
    fact: FactQuery
    source: ViewSource
    fixed_filters: tuple[FactFilter, ...]

    @property
    def name(self) -> str:
        return self.materialization.name

    def decomposable(self, agg: Aggregation) -> bool:
        return agg != Aggregation.COUNT_DISTINCT


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
    return ViewLayout(mat, fact, source, filters)


def _decomposed(m: Measure) -> list[Measure]:
    """The stored parts of a measure: avg needs its sum and its count of non-null values."""
    if m.agg == Aggregation.AVG:
        return [
            m.model_copy(update={"name": f"{m.name}__sum", "agg": Aggregation.SUM}),
            m.model_copy(update={"name": f"{m.name}__count", "agg": Aggregation.COUNT}),
        ]
    return [m]


def layouts(catalog: Catalog) -> dict[str, ViewLayout]:
    """Every view's layout, computed once per model (kept with its catalog)."""
    if "view_layouts" not in catalog.memo:
        catalog.memo["view_layouts"] = {
            m.name: view_layout(m, catalog) for m in catalog.model.materializations
        }
    return catalog.memo["view_layouts"]  # type: ignore[return-value]


def view_select(layout: ViewLayout, catalog: Catalog) -> exp.Select:
    """The view's defining SELECT, values inlined: a view definition cannot hold bind parameters."""
    return view_definition_select(layout.fact, catalog, layout.materialization.timezone)


def definition_hash(layout: ViewLayout, catalog: Catalog) -> str:
    """Changes whenever the view's SQL would, so a view built from an older model is never used."""
    text = view_select(layout, catalog).sql(dialect="postgres")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def create_statements(layout: ViewLayout, catalog: Catalog) -> list[str]:
    """DDL for one view: drop, create (with data), and the unique index that allows concurrent refresh."""
    table = exp.Table(this=exp.to_identifier(layout.name), db=exp.to_identifier(VIEW_SCHEMA))
    drop = exp.Drop(this=table.copy(), kind="MATERIALIZED VIEW", exists=True)
    create = exp.Create(
        this=table.copy(),
        kind="VIEW",
        expression=view_select(layout, catalog),
        properties=exp.Properties(expressions=[exp.MaterializedProperty()]),
    )
    statements = [drop.sql(dialect="postgres"), create.sql(dialect="postgres", pretty=True)]
    keys = [c for _, c in layout.source.columns] + (
        [layout.source.time_column] if layout.source.time_column else []
    )
    if keys:
        index = exp.Create(
            this=exp.Index(
                this=exp.to_identifier(f"{layout.name}_key"),
                table=table.copy(),
                params=exp.IndexParameters(columns=[exp.Ordered(this=exp.column(k)) for k in keys]),
            ),
            kind="INDEX",
            unique=True,
        )
        statements.append(index.sql(dialect="postgres"))
    return statements
