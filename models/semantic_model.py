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
    """An aggregation over one table; ``filter`` restricts the rows it aggregates."""

    name: Name
    agg: Aggregation
    expr: str | None = Field(default=None, description="column or expression; count defaults to rows")
    filter: str | None = None


class Table(Described):
    name: Name
    schema_name: str | None = Field(default=None, alias="schema")
    table: str | None = Field(default=None, description="physical table name; defaults to name")
    primary_key: tuple[str, ...]
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
    format: Literal["number", "integer", "currency", "percent", "gb"] = "number"

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

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)
