"""Plan -> plan passes, one per file, applied in the order of REWRITES.

Each pass is pure and returns the plan unchanged when it does not apply. Materialized-view matching
and account scoping are added here by their issues.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.catalog import Catalog
from compiler.plan import Plan

Rewrite = Callable[[Plan, Catalog], Plan]

REWRITES: tuple[Rewrite, ...] = ()


def apply_rewrites(plan: Plan, catalog: Catalog, rewrites: tuple[Rewrite, ...] = REWRITES) -> Plan:
    for rewrite in rewrites:
        plan = rewrite(plan, catalog)
    return plan
