"""Unit conversion: the exact factor from one unit to another, checked against the units' family.

Factors come from pint (its SI prefixes for TB = 10^12 B and binary ones for TiB = 2^40 B; USD is
defined here, as pint has no currency, and thousands of dollars are pint's ``kiloUSD``), computed
with ``fractions.Fraction`` so that GB -> TiB is the exact 1000^3 / 1024^4 and not a float. The
registry is built on first use (about 0.3 s) and each factor is cached: compiling a query that
converts nothing never imports pint.

Why the compiler converts in SQL (``render``), as a multiplication by bound parameters, rather than
after fetching: the converted number is then the one that metric filters (HAVING), ranking, LIMIT,
comparisons and running totals see, every caller (CLI, API, jobs, the page) receives the same rows,
and a materialized view that holds the measure still answers, since the factor applies to the
re-aggregated amount exactly as to the base table's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from models.errors import IntentError
from models.units import FAMILY, PINT_NAME, Unit, units_of


@dataclass(frozen=True)
class Conversion:
    """A metric shown in ``to`` instead of its own ``unit``: amount * numerator / denominator."""

    metric: str
    unit: Unit
    to: Unit
    factor: Fraction


@cache
def _registry() -> Any:
    import pint  # only when a query converts: importing and building the registry costs ~0.3 s

    registry: Any = pint.UnitRegistry(non_int_type=Fraction, cache_folder=None)
    registry.define("USD = [currency]")
    return registry


@cache
def factor(unit: Unit, to: Unit) -> Fraction:
    """How many ``to`` one ``unit`` is (GB -> TB: 1/1000); both must be of one family."""
    if FAMILY[unit] != FAMILY[to]:
        raise ValueError(f"{unit} ({FAMILY[unit]}) does not convert to {to} ({FAMILY[to]})")
    if unit == to:
        return Fraction(1)
    registry = _registry()
    magnitude = registry.Quantity(Fraction(1), PINT_NAME[unit]).to(PINT_NAME[to]).magnitude
    return Fraction(magnitude)


def conversion(metric: str, unit: Unit | None, to: Unit, field: str) -> Conversion:
    """``metric`` (in ``unit``) shown in ``to``; an IntentError naming ``field`` and the units the
    metric does convert to when ``to`` is of another family (TB for a cost) or the metric has none."""
    if unit is None:
        raise IntentError(
            field,
            f"{metric} is a plain number without a unit, so it cannot be shown in {to}; declare its unit "
            "in the model (unit:) to convert it",
        )
    if FAMILY[unit] != FAMILY[to]:
        raise IntentError(
            field,
            f"{metric} is in {unit} ({FAMILY[unit]}), which does not convert to {to} ({FAMILY[to]})",
            units_of(FAMILY[unit]),
        )
    return Conversion(metric, unit, to, factor(unit, to))


def convert_value(value: Any, unit: Unit, to: Unit) -> Any:
    """A number written in ``unit`` as the same amount in ``to`` (Decimal in, Decimal out)."""
    f = factor(unit, to)
    if f == 1:
        return value
    return Decimal(value) * f.numerator / f.denominator


__all__ = ["Conversion", "conversion", "convert_value", "factor"]
