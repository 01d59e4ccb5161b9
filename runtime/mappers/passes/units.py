""" "in TB", "in thousands of dollars": the unit each metric is shown in."""

from __future__ import annotations

from models.units import FAMILY, Unit, units_of
from runtime.mappers.english import NUMBER_SCALED, SHOW_UNITS, UNIT_SAID
from runtime.mappers.kinds import ItemKind, QuantityKind
from runtime.mappers.passes.state import State
from runtime.mappers.reading import Item


def place_units(st: State) -> None:
    """ "total storage in TB", "cost in thousands of dollars": each metric whose declared unit is of
    the family of the unit said is shown in it (``Intent.units``); the model decides which metrics a
    unit fits. A unit that fits none of them is asked back, naming the units that would.

    Reads the unit items and the metrics; writes ``parts.units``, ``parts.pending_units``, the filters'
    units or a problem."""
    p = st.parts
    for f in p.filters:
        if f.field in st.vocab.metrics and f.unit is None and _said_bare(st, f.value) is False:
            p.amounts_scaled.add((f.field, f.value))
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
    if p.units:
        # a number compared with a metric shown in another unit stays in the unit it was said in, or,
        # said without one, in the metric's own unit: "accounts with more than 20k spend last month in
        # thousands" is over 20,000 dollars, never over 20,000 thousands
        for f in p.filters:
            if f.field in p.units and f.unit is None and id(f) not in st.unit_said:
                _ask_bare_number(st, f.field, f.value, p.units[f.field])
        p.filters = [
            f.model_copy(update={"unit": st.unit_said.get(id(f)) or st.vocab.field_unit(f.field)})
            if f.field in p.units and f.unit is None
            else f
            for f in p.filters
        ]


def _ask_bare_number(st: State, metric: str, value: object, shown: Unit) -> None:
    """ "regions with total storage over 250 in TB": a number said bare ("250", not "250k", "$250" or
    "250 GB") beside the unit a metric is shown in may be in either unit; asked back, with both
    readings written out, when both can be."""
    own = st.vocab.field_unit(metric)
    it = _quantity_of(st, value)
    if it is None or own is None or not _said_bare(st, value):
        return
    said = st.reading.tokens[it.start : it.end]
    words = [t.orig for t in st.reading.tokens]
    a, b = (UNIT_SAID.get(u, u.value) for u in (own, shown))
    st.parts.problems.append(
        f"'{' '.join(t.orig for t in said)}' with {metric.replace('_', ' ')} shown in {b}: is the "
        f"number in {a} or in {b}? say the unit"
    )
    st.parts.suggestions.extend(" ".join([*words[: it.end], u, *words[it.end :]]) for u in (a, b))


def _quantity_of(st: State, value: object) -> Item | None:
    """The comparison item that said ``value``."""
    return next(
        (
            it
            for it in st.items
            if it.kind == ItemKind.QUANTITY
            and it.quantity is not None
            and it.quantity.kind == QuantityKind.COMPARE
            and it.quantity.value == value
        ),
        None,
    )


def _said_bare(st: State, value: object) -> bool | None:
    """Whether the comparison that said ``value`` wrote it bare (no unit, scale or currency: "250");
    None when no comparison said it."""
    it = _quantity_of(st, value)
    if it is None or it.quantity is None:
        return None
    said = st.reading.tokens[it.start : it.end]
    return it.quantity.written is None and not any(NUMBER_SCALED.search(t.text) for t in said)
