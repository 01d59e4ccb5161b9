"""Units of measure: what a number in a column means (USD, GB, hours, a fraction, percentage points).

A measure declares the unit of what it aggregates; a metric has its measure's unit, or one inferred for
a ratio, or one it declares. The unit decides three things: how an answer prints the number (``$``,
``GB``, ``%``), what a filter value written in another unit means (``5%`` is 5 on a 0-100 column and
0.05 on a 0-1 column), and which units the compiler may convert a metric to on request (GB to TB, not
to USD). Conversion factors come from pint (``compiler/units.py``); this module is pure data, so the
model's schema and its validation need no unit library.

Why the enum lists names rather than accepting any pint expression: the names are what the JSON
Schema, the LLM's strict schema and the docs can enumerate, and each one has a family (its physical
dimension) the compiler can check a requested conversion against.
"""

from __future__ import annotations

from enum import StrEnum


class Unit(StrEnum):
    """Units a measure, metric or number dimension may declare, and an intent may ask for."""

    USD = "USD"
    THOUSAND_USD = "thousand_USD"
    MILLION_USD = "million_USD"
    B = "B"
    KB = "KB"
    MB = "MB"
    GB = "GB"
    TB = "TB"
    PB = "PB"
    KIB = "KiB"
    MIB = "MiB"
    GIB = "GiB"
    TIB = "TiB"
    PIB = "PiB"
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    COUNT = "count"
    FRACTION = "fraction"
    PERCENT = "percent"

    @classmethod
    def _missing_(cls, value: object) -> Unit | None:
        """Case aside ("tb", "usd"): what a person or a language model writes is still the unit."""
        low = str(value).lower()
        return next((u for u in cls if u.value.lower() == low), None)


class Family(StrEnum):
    """A unit's dimension: only units of one family convert into each other."""

    MONEY = "money"
    DATA = "data size"
    DURATION = "duration"
    COUNT = "count"
    RATIO = "ratio"


FAMILY: dict[Unit, Family] = {
    **dict.fromkeys((Unit.USD, Unit.THOUSAND_USD, Unit.MILLION_USD), Family.MONEY),
    **dict.fromkeys(
        (Unit.B, Unit.KB, Unit.MB, Unit.GB, Unit.TB, Unit.PB),
        Family.DATA,
    ),
    **dict.fromkeys((Unit.KIB, Unit.MIB, Unit.GIB, Unit.TIB, Unit.PIB), Family.DATA),
    **dict.fromkeys((Unit.SECONDS, Unit.MINUTES, Unit.HOURS, Unit.DAYS), Family.DURATION),
    Unit.COUNT: Family.COUNT,
    Unit.FRACTION: Family.RATIO,
    Unit.PERCENT: Family.RATIO,
}

PINT_NAME: dict[Unit, str] = {
    Unit.USD: "USD",
    Unit.THOUSAND_USD: "kiloUSD",  # a scale of USD, with pint's own SI prefixes
    Unit.MILLION_USD: "megaUSD",
    Unit.B: "byte",
    Unit.KB: "kilobyte",  # decimal prefixes: 10^3 B ...
    Unit.MB: "megabyte",
    Unit.GB: "gigabyte",
    Unit.TB: "terabyte",
    Unit.PB: "petabyte",
    Unit.KIB: "kibibyte",  # ... binary prefixes: 2^10 B
    Unit.MIB: "mebibyte",
    Unit.GIB: "gibibyte",
    Unit.TIB: "tebibyte",
    Unit.PIB: "pebibyte",
    Unit.SECONDS: "second",
    Unit.MINUTES: "minute",
    Unit.HOURS: "hour",
    Unit.DAYS: "day",
    Unit.COUNT: "count",
    Unit.FRACTION: "dimensionless",
    Unit.PERCENT: "percent",
}
"""Each unit's name in pint's registry (``compiler/units.py`` defines USD, which pint has not)."""

LEGACY_FORMATS: dict[str, Unit | None] = {
    "currency": Unit.USD,
    "gb": Unit.GB,
    "percent": Unit.FRACTION,  # ``format: percent`` always showed the value times 100
    "integer": Unit.COUNT,
    "number": None,
}
"""What a metric's ``format`` (the spelling before units) implies when it declares no unit."""

DISPLAY: dict[Unit, str] = {
    Unit.USD: "currency",
    Unit.GB: "gb",
    Unit.COUNT: "integer",
    Unit.FRACTION: "percent",  # a fraction is shown times 100, as format: percent always was
    Unit.PERCENT: "share",  # percentage points are shown as they are, as shares are
}
"""How a unit's numbers are printed, in the vocabulary answers and the demo page share (``format`` in
``GET /v1/catalog``); units not listed print with their own name (``TB``, ``hours``)."""

LABEL: dict[Unit, str] = {Unit.THOUSAND_USD: "thousand USD", Unit.MILLION_USD: "million USD"}


def display_format(unit: Unit | None) -> str:
    """The answer format of ``unit`` ("number" for a plain number)."""
    if unit is None:
        return "number"
    return DISPLAY.get(unit, unit.value)


def label(unit: Unit) -> str:
    """The unit as a column label shows it: "TB", "thousand USD", "percent"."""
    return LABEL.get(unit, unit.value)


def units_of(family: Family) -> list[str]:
    return [u.value for u, f in FAMILY.items() if f == family]


__all__ = [
    "DISPLAY",
    "FAMILY",
    "LEGACY_FORMATS",
    "PINT_NAME",
    "Family",
    "Unit",
    "display_format",
    "label",
    "units_of",
]
