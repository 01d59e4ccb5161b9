"""The binding pass: each recognised piece, left to right, binds to what it applies to, by kind."""

from __future__ import annotations

from runtime.mappers.kinds import ItemKind, QuantityKind
from runtime.mappers.passes.markers import bind_marker
from runtime.mappers.passes.ranking import bind_rank, bind_super
from runtime.mappers.passes.state import Binder, State
from runtime.mappers.passes.time import take_time
from runtime.mappers.reading import Item


def bind_quantity(st: State, k: int, it: Item) -> None:
    """ "top 5": a rank binds here; a comparison ("over $500") waits for ``bind_comparisons``."""
    if it.quantity is not None and it.quantity.kind == QuantityKind.RANK:
        bind_rank(st, k, it)


# What binds each kind of item; terms wait for the markers around them (``default_roles``), and
# units, unknown and ignored words are read when assembling.
ITEM_BINDERS: dict[ItemKind, Binder] = {
    ItemKind.TIME: take_time,
    ItemKind.QUANTITY: bind_quantity,
    ItemKind.SUPER: bind_super,
    ItemKind.MARKER: bind_marker,
}


def bind_items(st: State) -> None:
    """Left to right, so that a marker sees what earlier ones decided ("top 5 cheapest": the rank's
    direction, then the superlative's). Reads the items; writes the ranking, counting, grouping,
    share and time fields and the items' uses. A binder may rewrite a later item (``State.rewrite``),
    so each item is read afresh."""
    for k in range(len(st.items)):
        it = st.items[k]
        binder = ITEM_BINDERS.get(it.kind)
        if binder is not None:
            binder(st, k, it)
