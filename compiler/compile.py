"""The compiler's one entry point: intent + model -> CompiledQuery (SQL text, params, plan)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compiler.catalog import catalog_for
from compiler.plan import Plan, plan
from compiler.render import render
from compiler.resolve import resolve
from compiler.rewrites import apply_rewrites
from models.intent import Intent
from models.semantic_model import SemanticModel


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, object]
    plan: Plan


def compile(intent: Intent, model: SemanticModel, *, as_of: dt.date, timezone: str = "UTC") -> CompiledQuery:
    """Deterministic: the same intent, model, as-of and time zone give the same SQL text and params.

    Raises IntentError / TimeRangeError / QueryRefused (all UserError) for queries it will not run.
    """
    catalog = catalog_for(model)
    resolved = resolve(intent, catalog, as_of, timezone)
    logical = apply_rewrites(plan(resolved), catalog)
    sql, params = render(logical, catalog)
    return CompiledQuery(sql, params, logical)
