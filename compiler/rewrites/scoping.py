"""Restrict every fact query to the rows the caller may see (their access scope).

The scope becomes a condition on each fact's own rows, before aggregation, reached through the same
to-one joins the fact's dimensions take (``business_unit`` on resource_costs goes through accounts).
Everything after the WHERE then works on the caller's rows only: sums and counts, each side of a
multi-fact query, a share's window total and its FILTER part (a scoped caller's share is of their own
total, never the company's), HAVING and rankings. An intent filter on a value outside the scope is ANDed
with it, so it finds nothing rather than someone else's numbers.

This pass runs before view matching, which lets a view answer only when it holds the scope's
dimensions as columns. A table that cannot reach a group's dimension gets what the group's
``unreachable_tables`` says: nothing (the default), or all its rows; a table no group covers is refused.
"""

from __future__ import annotations

import dataclasses

from compiler.catalog import Catalog
from compiler.plan import FactFilter, FactQuery, Plan
from compiler.resolve import typed_filter_value
from compiler.rewrites.context import RewriteContext
from models.access import RowFilter, Scope, Unreachable
from models.errors import AccessDenied, QueryRefused
from models.intent import Filter, Op


def scoping(plan: Plan, ctx: RewriteContext) -> Plan:
    scope = ctx.scope
    if scope is None:
        return plan
    if scope.denied:
        raise AccessDenied("you are in no group of the access policy, so no data can be shown to you")
    if scope.unrestricted:
        return dataclasses.replace(plan, scope=scope)
    facts = tuple(_scoped(fact, scope, ctx.catalog) for fact in plan.facts)
    return dataclasses.replace(plan, facts=facts, scope=scope)


def _scoped(fact: FactQuery, scope: Scope, catalog: Catalog) -> FactQuery:
    alternatives: list[tuple[FactFilter, ...]] = []
    missing: list[str] = []
    for rule in scope.allows:
        filters = _filters(rule, fact, catalog)
        if isinstance(filters, tuple):
            alternatives.append(filters)
        elif rule.unreachable_tables == Unreachable.ALL:
            return fact  # this group sees every row of the table: the union does too
        else:
            missing.append(filters)
    if not alternatives:
        names = " or ".join(dict.fromkeys(missing))
        raise AccessDenied(
            f"your access is limited by {names}, which {fact.table.name} cannot be filtered by; "
            f"questions about {fact.table.name} are not answered for you"
        )
    joins = (rel for alt in alternatives for f in alt for rel in f.target.path)
    return dataclasses.replace(
        fact, joins=tuple(dict.fromkeys((*fact.joins, *joins))), scope=tuple(alternatives)
    )


def _filters(rule: RowFilter, fact: FactQuery, catalog: Catalog) -> tuple[FactFilter, ...] | str:
    """The rule as filters on ``fact``'s rows, or the first of its dimensions the fact's table cannot
    reach (values are typed as an intent's are: numbers as Decimal, synonyms and groups expanded)."""
    out = []
    for name, values in rule.where:
        try:
            target = catalog.resolve_dimension(name, fact.table, "access scope")
        except QueryRefused:
            return name
        value = typed_filter_value(
            Filter(field=name, op=Op.IN, value=values), target, catalog, "access scope"
        )
        out.append(FactFilter(target, Op.IN, value))
    return tuple(out)
