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
from models.errors import TimeRangeError
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
) -> CompiledQuery:
    """Deterministic: the same intent, model, as-of, time zone and view states give the same SQL.

    ``views`` (read from the database by the runtime) lets the compiler answer from materialized views
    that are fresh at ``now``; without it only base tables are used.
    Raises IntentError / TimeRangeError / QueryRefused (all UserError) for queries it will not run.
    """
    if not MIN_DATE <= as_of <= MAX_DATE:
        raise TimeRangeError(f"as-of {as_of} is outside {MIN_DATE}..{MAX_DATE}")
    catalog = catalog_for(model)
    resolved = resolve(intent, catalog, as_of, timezone)
    logical = apply_rewrites(plan(resolved), RewriteContext(catalog, views, now))
    sql, params = render(logical, catalog)
    return CompiledQuery(sql, params, logical)
