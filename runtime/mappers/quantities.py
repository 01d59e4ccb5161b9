"""Find numbers that constrain or rank: "more than 100", "over $5k", "bigger than 1 TB", "top 5".

What a comparison applies to (a metric, or a number dimension) is decided by the mapper from the
words around it; this module only reads the operator, the number and its unit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from compiler.units import factor
from models.units import FAMILY, Unit
from runtime.mappers.english import (
    COMPARATORS,
    NUMBER_WORDS,
    ORDINAL_PATTERN,
    UNITS,
    ordinal_number,
    unit_kind,
)
from runtime.mappers.kinds import Direction, QuantityKind

_B = r"(?:^|(?<= ))"
_E = r"(?= |$)"
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "bn": 1e9, "b": 1e9, "billion": 1e9}
_WORD_NUM = "|".join(
    sorted((w for w in NUMBER_WORDS if w not in ("a", "an") and " " not in w), key=len, reverse=True)
)
_NUMBER = (
    rf"(\$ ?)?(\d+(?:\.\d+)?|{_WORD_NUM})(?: ?(k|thousand|mm|m|million|bn|billion)(?![a-z]))?"
    rf"(?: ?({'|'.join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))})(?![a-z]))?"
)
_OPS = "|".join(
    re.escape(p) for p, _ in sorted(COMPARATORS, key=lambda c: -len(c[0])) if not p.startswith("or ")
)
_OP_OF = dict(COMPARATORS)
# "<number> or <word>": the bound is included ("1000 GB or larger", "50 or fewer")
_TRAILING = {
    **dict.fromkeys(("more", "above", "over", "higher", "greater", "larger", "bigger", "up", "beyond"), ">="),
    **dict.fromkeys(("less", "fewer", "below", "under", "lower", "smaller", "cheaper"), "<="),
}
_SIZE_WORDS = frozenset({"larger", "bigger", "smaller"})
_TOP_WORDS = r"(top|first|highest|largest|biggest|greatest|bottom|lowest|smallest|cheapest|least|fewest)"
_RANK_WORDS = (
    r"(most|least|highest|lowest|largest|biggest|smallest|cheapest|costliest|priciest|top|fewest|"
    r"greatest|heaviest|busiest)"
)
# "the second oldest": superlatives after an ordinal that are not ranking words of a number phrase
_ORDINAL_SUPERLATIVES = ("oldest", "newest", "latest", "earliest", "youngest", "longest", "shortest")
_DESC = {
    "top",
    "first",
    "highest",
    "largest",
    "biggest",
    "greatest",
    "most",
    "costliest",
    "priciest",
    "heaviest",
    "busiest",
}


@dataclass(frozen=True)
class Quantity:
    """``kind``: "compare" (op, value, unit) or "rank" (limit n, direction, or None when not said)."""

    kind: QuantityKind
    start: int
    end: int
    op: str = ""
    value: float | tuple[float, float] = 0.0
    unit: str | None = None  # the kind of number, as metric formats say it: currency, gb, percent
    written: Unit | None = None  # the unit as written ("2 TB": TB); the compiler converts from it
    limit: int | None = None
    offset: int | None = None  # ranked rows skipped first ("the second most": limit 1, offset 1)
    direction: Direction | None = None
    size: bool = False  # said with a size word ("bigger than", "largest")


def _number(
    dollar: str | None, digits: str, scale: str | None, unit: str | None
) -> tuple[float, str | None, Unit | None]:
    """The number as written (a scale word is part of the number: "5k" is 5000), its kind and its unit:
    the unit is not applied here, so "2 TB" stays 2 in TB and the compiler converts it."""
    value = float(digits) if digits[0].isdigit() else float(NUMBER_WORDS[digits])
    if scale:
        value *= _SCALE[scale]
    written = UNITS[unit] if unit else (Unit.USD if dollar else None)
    return value, unit_kind(written), written


def _tidy(v: float) -> float:
    return int(v) if float(v).is_integer() else round(v, 9)


def find_quantities(text: str, taken: Callable[[int, int], bool]) -> list[Quantity]:
    found: list[Quantity] = []
    used: list[tuple[int, int]] = []

    def claim(a: int, b: int) -> bool:
        if taken(a, b) or any(not (b <= s or a >= e) for s, e in used):
            return False
        used.append((a, b))
        return True

    between = re.compile(rf"{_B}between {_NUMBER} and {_NUMBER}{_E}")
    for m in between.finditer(text):
        lo, unit_a, written_a = _number(m[1], m[2], m[3], m[4])
        hi, unit_b, written_b = _number(m[5], m[6], m[7], m[8])
        if written_a and written_b and written_a != written_b:
            if FAMILY[written_a] != FAMILY[written_b]:
                continue  # "between 5% and 2 TB": no one range
            # "between 500 GB and 2 TB": both in the smaller unit (500 to 2,000 GB), whose numbers are
            # exact decimals where the larger one's may not be (300 GB is 0.2728... TiB)
            if factor(written_a, written_b) < 1:
                hi, written_b = float(hi * factor(written_b, written_a)), written_a
            else:
                lo, written_a = float(lo * factor(written_a, written_b)), written_b
        if lo > hi:
            continue
        if claim(m.start(), m.end()):
            found.append(
                Quantity(
                    QuantityKind.COMPARE,
                    m.start(),
                    m.end(),
                    "between",
                    (_tidy(lo), _tidy(hi)),
                    unit_a or unit_b,
                    written=written_a or written_b,
                )
            )
    compare = re.compile(rf"{_B}({_OPS}) {_NUMBER}{_E}")
    for m in compare.finditer(text):
        value, unit, written = _number(m[2], m[3], m[4], m[5])
        if claim(m.start(), m.end()):
            size = any(w in m[1] for w in ("bigger", "larger", "smaller"))
            found.append(
                Quantity(
                    QuantityKind.COMPARE,
                    m.start(),
                    m.end(),
                    _OP_OF[m[1]],
                    _tidy(value),
                    unit,
                    written=written,
                    size=size,
                )
            )
    trailing = re.compile(
        rf"{_B}{_NUMBER} (?:and|or) ({'|'.join(_TRAILING)}){_E}|{_B}{_NUMBER} (plus|\+){_E}"
    )
    for m in trailing.finditer(text):
        groups = m.groups()[:5] if m[5] else m.groups()[5:]
        value, unit, written = _number(*groups[:4])
        op = _TRAILING.get(groups[4], ">=")
        if claim(m.start(), m.end()):
            size = groups[4] in _SIZE_WORDS
            found.append(
                Quantity(
                    QuantityKind.COMPARE,
                    m.start(),
                    m.end(),
                    op,
                    _tidy(value),
                    unit,
                    written=written,
                    size=size,
                )
            )
    top = re.compile(rf"{_B}(?:the )?{_TOP_WORDS} (\d+|{_WORD_NUM}){_E}")
    for m in top.finditer(text):
        if claim(m.start(), m.end()):
            found.append(
                Quantity(
                    QuantityKind.RANK,
                    m.start(),
                    m.end(),
                    limit=_count(m[2]),
                    direction="desc" if m[1] in _DESC else "asc",
                    size=m[1] in ("largest", "biggest", "smallest"),
                )
            )
    ranked = re.compile(rf"{_B}(?:the )?(\d+|{_WORD_NUM}) {_RANK_WORDS}{_E}")
    for m in ranked.finditer(text):
        if claim(m.start(), m.end()):
            found.append(
                Quantity(
                    QuantityKind.RANK,
                    m.start(),
                    m.end(),
                    limit=_count(m[1]),
                    direction="desc" if m[2] in _DESC else "asc",
                    size=m[2] in ("largest", "biggest", "smallest"),
                )
            )
    # "the second most expensive", "2nd largest", "third costliest": one row, after the ones before it
    ordinal = re.compile(
        rf"{_B}(?:the )?({ORDINAL_PATTERN})"
        rf"(?= (?:{_RANK_WORDS}|{'|'.join(_ORDINAL_SUPERLATIVES)}|[a-z]+iest)(?: |$))"
    )
    for m in ordinal.finditer(text):
        n = ordinal_number(m[1]) or 0
        if 1 < n <= 1000 and claim(m.start(), m.end()):
            # the ranking word after it is read as it would be alone ("highest", "oldest")
            found.append(Quantity(QuantityKind.RANK, m.start(), m.end(), limit=1, offset=n - 1))
    counted = re.compile(
        rf"{_B}(?:which|what|the|list|show|name|give me|list the|show the|show me the|"
        rf"find the|what are the|which are the|get the) (\d+|{_WORD_NUM})(?= [a-z])"
    )
    for m in counted.finditer(text):
        if claim(m.start(), m.end()):
            found.append(Quantity(QuantityKind.RANK, m.start(), m.end(), limit=_count(m[1])))
    single = re.compile(
        rf"{_B}(?:which|what|the|name the|show the|find the) (?:single|sole|one single)(?= [a-z])"
    )
    for m in single.finditer(text):  # "which single <entity>": one row
        if claim(m.start(), m.end()):
            found.append(Quantity(QuantityKind.RANK, m.start(), m.end(), limit=1))
    limit = re.compile(
        rf"{_B}(?:limit|limited to|limit to|only|just|max|at most) (\d+)(?: rows| results)?{_E}"
    )
    for m in limit.finditer(text):
        if claim(m.start(), m.end()):
            found.append(Quantity(QuantityKind.RANK, m.start(), m.end(), limit=_count(m[1])))
    found.sort(key=lambda q: q.start)
    return found


def _count(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


__all__ = ["Quantity", "find_quantities"]
