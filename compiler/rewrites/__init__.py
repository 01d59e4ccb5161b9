"""Plan -> plan passes, one per file, applied in the order of REWRITES.

Each pass is pure and returns the plan unchanged when it does not apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from compiler.plan import Plan
from compiler.rewrites.context import RewriteContext, ViewState
from compiler.rewrites.data_coverage import data_coverage
from compiler.rewrites.materialized_views import materialized_views
from compiler.rewrites.partial_periods import partial_periods
from compiler.rewrites.scoping import scoping
from compiler.rewrites.zero_groups import zero_groups

Rewrite = Callable[[Plan, RewriteContext], Plan]

# scoping first: a view may answer only with the caller's scope applied to its columns; zero_groups
# before the views, which must then hold the columns of the conditions it moves
REWRITES: tuple[Rewrite, ...] = (scoping, data_coverage, partial_periods, zero_groups, materialized_views)

__all__ = ["REWRITES", "Rewrite", "RewriteContext", "ViewState", "apply_rewrites"]


def apply_rewrites(plan: Plan, ctx: RewriteContext, rewrites: tuple[Rewrite, ...] = REWRITES) -> Plan:
    for rewrite in rewrites:
        plan = rewrite(plan, ctx)
    if plan.compare is None:
        return plan
    # a comparison's earlier period is an ordinary query over another range: it is rewritten on its
    # own (scoped, matched to the view that fits its range), and reported with the period now
    earlier = apply_rewrites(plan.compare, ctx, rewrites)
    return dataclasses.replace(
        plan,
        compare=earlier,
        notes=tuple(dict.fromkeys(plan.notes + earlier.notes)),
        materializations=tuple(dict.fromkeys(plan.materializations + earlier.materializations)),
        view_report=_both_reports(plan.view_report, earlier.view_report),
    )


Report = tuple[tuple[str, str], ...]


def _both_reports(now: Report, earlier: Report) -> Report:
    """One line per view; where the two periods differ, both reasons."""
    a, b = dict(now), dict(earlier)
    return tuple(
        (name, a[name] if a.get(name) == b.get(name) else f"now {a.get(name)}; earlier period {b.get(name)}")
        for name in sorted(a.keys() | b.keys())
    )
