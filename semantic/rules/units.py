"""E180-E183: units that contradict what they describe.

A unit decides how a number is shown, what "5%" or "1 TB" in a question means and what the compiler may
convert it to, so a wrong one gives a plausible wrong number (a 0-100 column shown as 3180%). The schema
checks each unit is a known name (E004, with a did-you-mean); these rules check that it fits: a count
counts rows, a simple metric has its measure's unit, an explicit ``format`` agrees with the unit, and
only number dimensions have one.
"""

from __future__ import annotations

from collections.abc import Iterator

from models.errors import Issue
from models.semantic_model import (
    Aggregation,
    DimensionType,
    MetricType,
    SemanticModel,
    find_measure,
)
from models.units import FAMILY, LEGACY_FORMATS, Unit
from semantic.rules._common import make_issue
from semantic.source_map import SourceMap

_COUNTS = (Aggregation.COUNT, Aggregation.COUNT_DISTINCT)


def units(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    for ti, table in enumerate(model.tables):
        for mi, measure in enumerate(table.measures):
            if measure.agg in _COUNTS and measure.unit not in (None, Unit.COUNT):
                path = ("tables", ti, "measures", mi)
                yield make_issue(
                    "E180",
                    source,
                    path,
                    f"a {measure.agg.value} counts rows, so its unit is count, not {measure.unit}; "
                    "remove unit, or aggregate a column (sum, avg) if the values have a unit",
                    at=(*path, "unit"),
                )
        for di, dim in enumerate(table.dimensions):
            if dim.unit is not None and dim.type != DimensionType.NUMBER:
                path = ("tables", ti, "dimensions", di)
                yield make_issue(
                    "E183",
                    source,
                    path,
                    f"only number dimensions have a unit; remove unit, or declare `type: number` if the "
                    f"values are numbers in {dim.unit}",
                    at=(*path, "unit"),
                )
    for mi, metric in enumerate(model.metrics):
        where = ("metrics", mi)
        declared = "unit" in metric.model_fields_set
        if declared and metric.type == MetricType.SIMPLE and metric.measure:
            found = find_measure(model, metric.measure)
            own = found.value_unit if found is not None else None
            if own is not None and own != metric.unit:
                yield make_issue(
                    "E181",
                    source,
                    where,
                    f"its measure {metric.measure} is in {own}, so the metric is too; remove unit (an "
                    f"intent may ask for the metric in another unit: units)",
                    at=(*where, "unit"),
                )
        implied = LEGACY_FORMATS.get(metric.format) if "format" in metric.model_fields_set else None
        if implied is not None and metric.unit is not None and FAMILY[implied] != FAMILY[metric.unit]:
            yield make_issue(
                "E182",
                source,
                where,
                f"format: {metric.format} does not fit its unit {metric.unit} ({FAMILY[metric.unit]}); "
                "remove format: the unit decides how numbers are shown",
                at=(*where, "format"),
            )
