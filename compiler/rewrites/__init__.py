"""Plan -> plan passes, one per file, applied in the order of REWRITES.

Each pass is pure and returns the plan unchanged when it does not apply.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.plan import Plan
from compiler.rewrites.context import RewriteContext, ViewState
from compiler.rewrites.data_coverage import data_coverage
from compiler.rewrites.materialized_views import materialized_views
from compiler.rewrites.scoping import scoping

Rewrite = Callable[[Plan, RewriteContext], Plan]

# scoping first: a view may answer only with the caller's scope applied to its columns
REWRITES: tuple[Rewrite, ...] = (scoping, data_coverage, materialized_views)

__all__ = ["REWRITES", "Rewrite", "RewriteContext", "ViewState", "apply_rewrites"]


def apply_rewrites(plan: Plan, ctx: RewriteContext, rewrites: tuple[Rewrite, ...] = REWRITES) -> Plan:
    for rewrite in rewrites:
        plan = rewrite(plan, ctx)
    return plan
