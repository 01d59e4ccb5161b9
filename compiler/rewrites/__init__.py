"""Plan -> plan passes, one per file, applied in the order of REWRITES.

Each pass is pure and returns the plan unchanged when it does not apply. Materialized-view matching
and account scoping are added here by their issues.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.plan import Plan
from compiler.rewrites.context import RewriteContext, ViewState
from compiler.rewrites.data_coverage import data_coverage
from compiler.rewrites.materialized_views import materialized_views

Rewrite = Callable[[Plan, RewriteContext], Plan]

REWRITES: tuple[Rewrite, ...] = (data_coverage, materialized_views)

__all__ = ["REWRITES", "Rewrite", "RewriteContext", "ViewState", "apply_rewrites"]


def apply_rewrites(plan: Plan, ctx: RewriteContext, rewrites: tuple[Rewrite, ...] = REWRITES) -> Plan:
    for rewrite in rewrites:
        plan = rewrite(plan, ctx)
    return plan
