"""The compiler's one entry point: intent + model -> CompiledQuery (SQL text, params, plan)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from compiler.catalog import catalog_for
from compiler.plan import Plan, plan
from compiler.render import render
from compiler.resolve import resolve
from compiler.rewrites import RewriteContext, ViewState, apply_rewrites
from models.access import Scope
from models.errors import AccessDenied, TimeRangeError
from models.intent import MAX_DATE, MIN_DATE, Intent
from models.semantic_model import SemanticModel


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, object]
    plan: Plan


def compile(
    intent: Intent,
    model: SemanticModel,
    *,
    as_of: dt.date,
    timezone: str = "UTC",
    views: Mapping[str, ViewState] | None = None,
    now: dt.datetime | None = None,
    scope: Scope | None = None,
) -> CompiledQuery:
    """Deterministic: the same intent, model, as-of, time zone, view states and scope give the same SQL.

    ``views`` (read from the database by the runtime) lets the compiler answer from materialized views
    that are fresh at ``now``; without it only base tables are used. ``scope`` (the caller's, from the
    access policy) restricts every fact query to the caller's rows; None compiles for no one in
    particular (CLI, tests) and leaves the SQL exactly as it was.
    Raises IntentError / TimeRangeError / QueryRefused (all UserError) for queries it will not run, and
    AccessDenied before anything else for a scope that denies everything.
    """
    if scope is not None and scope.denied:  # before the intent is read: a denied caller learns nothing
        raise AccessDenied("you are in no group of the access policy, so no data can be shown to you")
    if not MIN_DATE <= as_of <= MAX_DATE:
        raise TimeRangeError(f"as-of {as_of} is outside {MIN_DATE}..{MAX_DATE}")
    catalog = catalog_for(model)
    resolved = resolve(intent, catalog, as_of, timezone)
    logical = apply_rewrites(plan(resolved), RewriteContext(catalog, views, now, scope))
    sql, params = render(logical, catalog)
    return CompiledQuery(sql, params, logical)
