"""The compiler: a pure function from an intent and a semantic model to parameterized PostgreSQL.

intent -> resolve -> ResolvedQuery -> plan -> Plan -> rewrites -> render -> (sql, params)
"""

from compiler.catalog import Catalog, catalog_for
from compiler.compile import CompiledQuery, compile
from compiler.plan import Plan
from compiler.resolve import ResolvedQuery
from compiler.time_range import describe_time_range, resolve_time_range

__all__ = [
    "Catalog",
    "CompiledQuery",
    "Plan",
    "ResolvedQuery",
    "catalog_for",
    "compile",
    "describe_time_range",
    "resolve_time_range",
]
