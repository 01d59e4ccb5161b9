"""The schema of the YAML semantic model that analysts own.

These pydantic classes are the single definition of the format: the loader validates YAML with them,
``crq schema`` prints their JSON Schema for editors, and the compiler and mappers read them. Checks that
need the whole model (references, cycles, expressions) live in ``semantic.rules``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.intent import Filter, Grain, Intent
from models.units import FAMILY, LEGACY_FORMATS, Unit

Name = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=63, description="lower_snake_case identifier")
]
_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Described(BaseModel):
    """Words the mappers use to recognise an object in a question."""

    model_config = _FROZEN
    description: str = ""
    synonyms: tuple[str, ...] = ()


class DimensionType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"


class ValueGroup(BaseModel):
    """A named set of dimension values, e.g. the region group "Europe"."""

    model_config = _FROZEN
    values: tuple[str, ...]
    synonyms: tuple[str, ...] = ()


class Dimension(Described):
    """A column to group and filter by.

    Exactly one source: ``column``; ``expr`` (SQL over this table's own columns); ``json`` (a column
    plus a key path); or ``tags`` (a jsonb column of key/value tags, referenced as ``<name>:<key>``).
    """

    name: Name
    column: str | None = None
    expr: str | None = None
    json_path: tuple[str, ...] = Field(
        default=(), alias="json", description="[column, key, key...] into a jsonb column"
    )
    tags: str | None = Field(default=None, description="jsonb column of tags; refer as <name>:<key>")
    type: DimensionType = DimensionType.STRING
    enum: tuple[str, ...] = Field(default=(), description="the complete list of values")
    sample_values: tuple[str, ...] = ()
    value_synonyms: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="other words for a value, e.g. prod: [production]"
    )
    groups: dict[str, ValueGroup] = Field(default_factory=dict)
    tag_keys: tuple[str, ...] = Field(default=(), description="known keys of a tags dimension")
    untagged: str | None = Field(
        default=None,
        description="tags dimensions: the boolean dimension of the same table that is true when a row "
        "has no tags at all, which 'not tagged' and 'without tags' filter by",
    )
    unit: Unit | None = Field(
        default=None, description="number dimensions: the unit of the values, so '1 TB' filters right"
    )
    applies_to: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="the rows that have a value, by values of enum dimensions of the same table (e.g. "
        "resource_type: [ec2:instance]); other rows have none. A word two dimensions share ('size') "
        "means the one that applies to the rows a question names, and a ranking leaves out the rows "
        "without a value",
    )


class TimeDimension(Described):
    name: Name
    column: str | None = None
    expr: str | None = None
    type: Literal["date", "timestamp"] = "date"
    grains: tuple[Grain, ...] = tuple(Grain)


class Aggregation(StrEnum):
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"


class Measure(Described):
    """An aggregation over one table; ``filter`` restricts the rows it aggregates.

    ``unit`` is the unit of what it aggregates (``cost_usd``: USD; a 0-100 ``cpu_pct``: percent; a 0-1
    ``cpu_ratio``: fraction); counts are in ``count``. Metrics over the measure inherit it.
    """

    name: Name
    agg: Aggregation
    expr: str | None = Field(default=None, description="column or expression; count defaults to rows")
    filter: str | None = None
    unit: Unit | None = Field(default=None, description="unit of the values; counts: count")

    @property
    def value_unit(self) -> Unit | None:
        """The declared unit; a count counts rows, so ``count`` when it declares none."""
        if self.unit is None and self.agg in (Aggregation.COUNT, Aggregation.COUNT_DISTINCT):
            return Unit.COUNT
        return self.unit


class Table(Described):
    name: Name
    schema_name: str | None = Field(default=None, alias="schema")
    table: str | None = Field(default=None, description="physical table name; defaults to name")
    primary_key: tuple[str, ...]
    columns: tuple[str, ...] = Field(
        default=(),
        description="the physical table's columns; when listed, `crq validate` checks every column the "
        "model names in this table against them, without a database (E192)",
    )
    default_time_dimension: str | None = None
    dimensions: tuple[Dimension, ...] = ()
    time_dimensions: tuple[TimeDimension, ...] = ()
    measures: tuple[Measure, ...] = ()

    @property
    def physical(self) -> str:
        return self.table or self.name


class JoinKey(BaseModel):
    model_config = _FROZEN
    from_column: str = Field(alias="from")
    to_column: str = Field(alias="to")


class Relationship(BaseModel):
    """An edge from ``from_table`` (the many side) to ``to_table`` (the one side)."""

    model_config = _FROZEN
    name: Name
    from_table: str = Field(alias="from")
    to_table: str = Field(alias="to")
    keys: tuple[JoinKey, ...] = Field(description="column pairs: from (this table) -> to (the other)")
    cardinality: Literal["many_to_one", "one_to_one"] = "many_to_one"


class MetricType(StrEnum):
    SIMPLE = "simple"
    RATIO = "ratio"
    DERIVED = "derived"


class Metric(Described):
    """What users ask for. simple: one measure; ratio: numerator / denominator metrics, recomputed
    after aggregation; derived: an arithmetic expression over other metrics."""

    name: Name
    type: MetricType = MetricType.SIMPLE
    measure: str | None = Field(default=None, description="table.measure (or measure if unique)")
    numerator: str | None = None
    denominator: str | None = None
    expr: str | None = None
    unit: Unit | None = Field(
        default=None,
        description="simple: its measure's (omit it); ratio: inferred (same units: fraction; per count: "
        "the numerator's) unless given; derived: give it",
    )
    format: Literal["number", "integer", "currency", "percent", "gb"] = Field(
        default="number",
        description="the spelling before units: without unit, currency means USD, gb GB, percent "
        "fraction (0-1), integer count; with unit, it follows the unit",
    )

    @model_validator(mode="after")
    def _fields_fit_type(self) -> Metric:
        fields = {
            MetricType.SIMPLE: ("measure",),
            MetricType.RATIO: ("numerator", "denominator"),
            MetricType.DERIVED: ("expr",),
        }
        need = fields[self.type]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type.value} metric needs {', '.join(missing)}")
        stray = [f for t, fs in fields.items() if t != self.type for f in fs if getattr(self, f) is not None]
        if stray:
            raise ValueError(
                f"a {self.type.value} metric does not take {', '.join(stray)}; remove it or set type to match"
            )
        return self


class Segment(Described):
    """A named filter, written as intent filters so it applies through joins like any other."""

    name: Name
    filters: tuple[Filter, ...]


class VerifiedQuery(BaseModel):
    model_config = _FROZEN
    question: str
    intent: Intent


class Materialization(Described):
    """A materialized view crq builds, refreshes and uses whenever it gives the base tables' answer.

    It holds the listed measures of one table, grouped by the listed dimensions (names as in intents,
    resolved from ``table`` like a query's) and, optionally, by ``time_dimension`` at ``grain``.
    ``filters`` are fixed: only queries with exactly these filters can use the view.
    """

    name: Name
    table: str
    measures: tuple[str, ...]
    dimensions: tuple[str, ...] = ()
    time_dimension: str | None = None
    grain: Grain = Grain.DAY
    timezone: str = Field(default="UTC", description="time zone of the time buckets (timestamp dims)")
    filters: tuple[Filter, ...] = ()
    refresh: Literal["manual", "on_load"] = Field(
        default="on_load", description="on_load: `crq sample load` and `crq mv refresh` refresh it"
    )
    max_staleness_hours: float = Field(
        default=24, gt=0, description="older than this since its last refresh, the view is not used"
    )


class SemanticModel(Described):
    version: Literal[1] = 1
    name: Name
    schema_name: str | None = Field(
        default=None, alias="schema", description="default database schema of the tables"
    )
    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...] = ()
    metrics: tuple[Metric, ...] = ()
    segments: tuple[Segment, ...] = ()
    verified_queries: tuple[VerifiedQuery, ...] = ()
    materializations: tuple[Materialization, ...] = ()

    @model_validator(mode="after")
    def _settle_units(self) -> SemanticModel:
        """Every metric's ``unit`` made explicit (declared, its measure's, inferred for a ratio, or what
        its legacy ``format`` implies) and its ``format`` made to follow it, so that readers of either
        agree. Broken references are left for the rules to report."""
        units = metric_units(self)
        settled = []
        for m in self.metrics:
            unit = units.get(m.name)
            fmt = m.format if "format" in m.model_fields_set else _FORMAT_OF.get(unit, "number")
            if unit == m.unit and fmt == m.format:
                settled.append(m)
                continue
            copy = m.model_copy(update={"unit": unit, "format": fmt})
            object.__setattr__(copy, "__pydantic_fields_set__", set(m.model_fields_set))
            settled.append(copy)
        object.__setattr__(self, "metrics", tuple(settled))
        return self

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


_FORMAT_OF: dict[Unit | None, Literal["number", "integer", "currency", "percent", "gb"]] = {
    Unit.USD: "currency",
    Unit.GB: "gb",
    Unit.FRACTION: "percent",
    Unit.PERCENT: "percent",
    Unit.COUNT: "integer",
}
"""The legacy ``format`` a unit implies, for readers that still look at it (the offline mapper)."""


def find_measure(model: SemanticModel, ref: str) -> Measure | None:
    """The measure ``table.measure`` (or a bare name, when exactly one table has it), or None."""
    table, _, name = ref.rpartition(".")
    found = [m for t in model.tables if not table or t.name == table for m in t.measures if m.name == name]
    return found[0] if len(found) == 1 else None


def metric_units(model: SemanticModel) -> dict[str, Unit | None]:
    """Each metric's unit: the one it declares; else a simple metric's measure's; else, for a ratio,
    ``fraction`` when both parts have the same unit and the numerator's when the denominator counts
    (cost per resource is USD); else what its ``format`` implies (None: a plain number)."""
    metrics = {m.name: m for m in model.metrics}
    out: dict[str, Unit | None] = {}

    def unit_of(name: str, seen: frozenset[str]) -> Unit | None:
        if name in out:
            return out[name]
        m = metrics.get(name)
        if m is None or name in seen:  # unknown or cyclic: reported by the rules
            return None
        seen = seen | {name}
        unit = m.unit
        if unit is None and m.type == MetricType.SIMPLE and m.measure:
            measure = find_measure(model, m.measure)
            unit = measure.value_unit if measure is not None else None
        if unit is None and m.type == MetricType.RATIO and m.numerator and m.denominator:
            num, den = unit_of(m.numerator, seen), unit_of(m.denominator, seen)
            if num is not None and num == den:
                unit = Unit.FRACTION
            elif num is not None and den == Unit.COUNT and FAMILY[num] != FAMILY[Unit.COUNT]:
                unit = num
        if unit is None and "format" in m.model_fields_set:
            unit = LEGACY_FORMATS[m.format]
        out[name] = unit
        return unit

    for name in metrics:
        unit_of(name, frozenset())
    return out
