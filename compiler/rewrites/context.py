"""What rewrite passes may know besides the plan: the model's catalog and the database's view states.

The compiler stays pure: the runtime reads view states (refresh time, size, definition hash) from the
database and passes them in; without them no view is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from compiler.catalog import Catalog
from models.access import Scope


@dataclass(frozen=True)
class ViewState:
    """A materialized view as the database has it."""

    name: str
    definition_hash: str
    refreshed_at: dt.datetime | None
    rows: int | None = None
    bytes: int | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    """The span of data in a time-bucketed view, so a range reaching past it needs no aligned end."""


@dataclass(frozen=True)
class RewriteContext:
    catalog: Catalog
    views: Mapping[str, ViewState] | None = None
    now: dt.datetime | None = None
    scope: Scope | None = None
    """The caller's access scope (None: the compiler is not asked on anyone's behalf, e.g. the CLI)."""
