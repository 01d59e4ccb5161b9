"""Say when a ranking of periods includes one the data covers only in part.

"The cheapest month this year", asked on June 17, ranks seventeen days of June against whole months:
June wins, and the number is right for what exists but answers nothing. The same holds for the first
period when the data starts inside it. The ranking stands (the rows are what exists); the answer
says which period is partial, from the range itself and the materialized views' recorded spans, so
the note costs no query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from compiler.plan import DimKey, FactQuery, Plan, dim_key
from compiler.rewrites.context import RewriteContext
from compiler.rewrites.data_coverage import views_over
from compiler.time_range import period_start, shift
from models.intent import Grain


def partial_periods(plan: Plan, ctx: RewriteContext) -> Plan:
    metrics = {m.name for m in plan.metrics}
    if not plan.order_by or plan.order_by[0][0] not in metrics:
        return plan  # a series in time order: each period reads as what it is
    notes = list(plan.notes)
    for fact in plan.facts:
        for dim in fact.dimensions:
            if dim.grain is None or dim.grain == Grain.DAY:
                continue
            first, last = _span(fact, dim_key(dim.target), ctx)
            if first is None or last is None:
                continue
            unit = dim.grain.value
            if first != period_start(first, dim.grain):
                notes.append(
                    f"the first {unit} ({period_start(first, dim.grain)}) has data only from {first}"
                )
            if last != shift(period_start(last, dim.grain), dim.grain, 1) - dt.timedelta(days=1):
                notes.append(f"the last {unit} ({period_start(last, dim.grain)}) has data only to {last}")
    notes = list(dict.fromkeys(notes))
    if len(notes) == len(plan.notes):
        return plan
    notes.append("a partial period is ranked with whole ones")
    return dataclasses.replace(plan, notes=tuple(notes))


def _span(fact: FactQuery, key: DimKey, ctx: RewriteContext) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day the series' periods can hold: the range, narrowed to the days the data
    covers (from the views over that date); None where neither says."""
    tf = fact.time_filter
    first = tf.start if tf is not None and dim_key(tf.target) == key else None
    last = tf.end if tf is not None and dim_key(tf.target) == key else None
    for state in views_over(ctx, key):
        if state.first_day is not None:
            first = state.first_day if first is None else max(first, state.first_day)
        if state.last_day is not None:
            last = state.last_day if last is None else min(last, state.last_day)
    return first, last
