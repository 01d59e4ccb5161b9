"""Say when a time range reaches before the data does, so a partial total is not read as a full one.

"Cost in 2025" over data that starts on 2025-12-20 is twelve days of cost: the number is right for
what exists, and the answer says what exists. The first day of data comes from the materialized views'
recorded spans, so the note costs no query.
"""

from __future__ import annotations

import dataclasses

from compiler.materializations import layout_of
from compiler.plan import DimKey, Plan, dim_key
from compiler.rewrites.context import RewriteContext, ViewState


def views_over(ctx: RewriteContext, key: DimKey) -> list[ViewState]:
    """The states of the existing views bucketed by the date ``key``: their recorded spans say which
    days the data covers, at no query's cost."""
    return [
        state
        for mat in ctx.catalog.model.materializations
        if ctx.views
        and (state := ctx.views.get(mat.name)) is not None
        and layout_of(mat.name, ctx.catalog).source.time_key == key
    ]


def data_coverage(plan: Plan, ctx: RewriteContext) -> Plan:
    if not ctx.views:
        return plan
    notes = list(plan.notes)
    for fact in plan.facts:
        tf = fact.time_filter
        if tf is None:
            continue
        firsts = [s.first_day for s in views_over(ctx, dim_key(tf.target)) if s.first_day is not None]
        if firsts and tf.start < min(firsts):
            note = f"{fact.table.name} data starts on {min(firsts)}, after the range's start ({tf.start})"
            if note not in notes:
                notes.append(note)
    return plan if len(notes) == len(plan.notes) else dataclasses.replace(plan, notes=tuple(notes))
