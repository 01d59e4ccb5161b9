""" "in TB", "in thousands of dollars": the unit each metric is shown in."""

from __future__ import annotations

from models.units import FAMILY, units_of
from runtime.mappers.english import (
    SHOW_UNITS,
)
from runtime.mappers.kinds import ItemKind
from runtime.mappers.passes.state import State


def place_units(st: State) -> None:
    """ "total storage in TB", "cost in thousands of dollars": each metric whose declared unit is of
    the family of the unit said is shown in it (``Intent.units``); the model decides which metrics a
    unit fits. A unit that fits none of them is asked back, naming the units that would.

    Reads the unit items and the metrics; writes ``parts.units``, ``parts.pending_units``, the filters'
    units or a problem."""
    p = st.parts
    for it in st.items:
        if it.kind != ItemKind.UNIT:
            continue
        unit = SHOW_UNITS[" ".join(t.text for t in st.reading.tokens[it.start + 1 : it.end])]
        declared = {m: st.vocab.field_unit(m) for m in p.metrics}
        fit = [m for m, u in declared.items() if u is not None and FAMILY[u] == FAMILY[unit]]
        st.bind(it)
        if not p.metrics and st.partial:  # "and in TB?": the previous question's metrics
            p.pending_units.append((it.text, unit))
            continue
        if not fit:
            fits = list(
                dict.fromkeys(x for u in declared.values() if u is not None for x in units_of(FAMILY[u]))
            )
            what = ", ".join(p.metrics) or "the rows listed"
            p.problems.append(
                f"'{it.text}': {unit.value} is not a unit of {what}"
                + (f"; it can be shown in {', '.join(fits)}" if fits else "")
            )
            continue
        for m in fit:
            if declared[m] != unit:
                p.units[m] = unit
    if p.units:  # a number said with its unit stays in it when the metric is shown in another one
        p.filters = [
            f.model_copy(update={"unit": st.unit_said[id(f)]})
            if f.field in p.units and f.unit is None and id(f) in st.unit_said
            else f
            for f in p.filters
        ]
