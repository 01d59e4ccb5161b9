"""The offline mapper's readings, as data: every case in ``tests/mapper_cases/*.yaml`` is compared whole.

A case is a question (optionally after a previous question, whose intent is the previous turn) and
the whole reading it must get: the status, and for an answer the full intent, whether the reading is
complete and the note that says what was read differently. Nothing is compared key by key, so an
extra filter, a missing one or another grain fails the case; ``test_mutations_fail_the_cases``
checks exactly that on the mapper's own intents.

A case whose current reading is wrong says so with ``known_wrong: <why>``: its expected reading is
the right one, it is expected to fail (strictly, so a fix shows up), and it is not in the pass count.

Adding a case: write the question and what it must mean; ``python tests/test_mapper_cases.py FILE``
prints the mapper's current reading of each case of FILE in the file format, to review (never to
paste unread: a wrong reading copied into a case is a wrong reading enshrined).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import compile
from models.intent import Filter, Grain, Intent, Op
from models.responses import Mapping
from runtime.mappers.offline import OfflineMapper
from semantic import load_model

CASES_DIR = Path(__file__).parent / "mapper_cases"
AS_OF = dt.date(2026, 6, 17)
# values the runtime would find in the data at start-up
VALUES = {
    "tag:owner": ["alice", "bob", "carol"],
    "tag:team": ["core", "web", "ml"],
    "tag:cost-center": ["cc-1001", "cc-1002"],
    "account_name": ["payments-prod", "search-staging", "data-sandbox", "search-prod"],
}
_KEYS = {"question", "previous", "status", "complete", "note", "suggestions", "intent", "known_wrong", "follows"}
_STATUSES = ("answered", "clarify", "refused")


@dataclass(frozen=True)
class Case:
    """One question and the whole reading it must get."""

    file: str
    question: str
    expected: dict[str, Any]
    previous: str | None = None
    known_wrong: str = ""
    id: str = field(default="", compare=False)


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    """Every case of every file, checked for shape so a typo in a case file is an error, not a pass."""
    out: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        for i, raw in enumerate(yaml.safe_load(path.read_text()) or []):
            where = f"{path.name}[{i}]"
            unknown = set(raw) - _KEYS
            if unknown or "question" not in raw:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)} or no question")
            status = raw.get("status", "answered")
            if status not in _STATUSES or (status == "answered") != ("intent" in raw):
                raise ValueError(
                    f"{where}: status {status!r} with{'' if 'intent' in raw else 'out'} an intent"
                )
            expected: dict[str, Any] = {"status": status}
            if status == "answered":
                expected["complete"] = raw.get("complete", True)
                expected["note"] = raw.get("note", "")
                if raw.get("suggestions"):
                    expected["suggestions"] = raw["suggestions"]
                expected["intent"] = raw["intent"]
                if raw.get("previous"):  # answered as a follow-up, unless the case says it asks anew
                    expected["follows"] = raw.get("follows", True)
            previous = raw.get("previous")
            label = (
                f"{path.stem}: {previous} -> {raw['question']}"
                if previous
                else f"{path.stem}: {raw['question']}"
            )
            out.append(
                Case(path.name, raw["question"], expected, previous, raw.get("known_wrong", ""), label)
            )
    return out


def reading(m: Mapping, previous: str | None = None) -> dict[str, Any]:
    """The whole of what a case compares: status, and for an answer the reading (complete, the note,
    the question as read when typos were corrected) and the full intent."""
    out: dict[str, Any] = {"status": m.status}
    if m.status == "answered" and m.intent is not None:
        out["complete"] = m.complete
        out["note"] = m.note
        if m.suggestions:
            out["suggestions"] = list(m.suggestions)
        out["intent"] = m.intent.model_dump(mode="json", exclude_defaults=True, exclude={"previous"})
        if previous:
            out["follows"] = m.intent.previous is not None
    return out


def diff(expected: dict[str, Any], got: dict[str, Any]) -> str:
    """A unified diff of the two readings as YAML, the way the case files write them."""

    def lines(x: dict[str, Any]) -> list[str]:
        return yaml.safe_dump(x, sort_keys=False, allow_unicode=True).splitlines()

    return "\n".join(difflib.unified_diff(lines(expected), lines(got), "expected", "got", lineterm=""))


CASES = load_cases()


@pytest.fixture(scope="module")
def mapper() -> OfflineMapper:
    return OfflineMapper(load_model(), VALUES)


def ask(mapper: OfflineMapper, case: Case) -> Mapping:
    previous = None
    if case.previous:
        first = mapper.map(case.previous, as_of=AS_OF)
        assert first.status == "answered", f"the previous question was not answered: {first.message}"
        previous = first.intent
    return mapper.map(case.question, previous, as_of=AS_OF)


def _params() -> Iterator[Any]:
    for c in CASES:
        marks = [pytest.mark.xfail(reason=c.known_wrong, strict=True)] if c.known_wrong else []
        yield pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_case(mapper: OfflineMapper, case: Case) -> None:
    m = ask(mapper, case)
    got = reading(m, case.previous)
    assert got == case.expected, "\n" + diff(case.expected, got)
    if m.status == "answered":
        assert m.intent is not None and m.message.startswith("interpreted as: ")
        compiled = compile(m.intent, mapper.model, as_of=AS_OF)  # an answer must compile
        assert compiled.sql.lstrip().upper().startswith(("SELECT", "WITH"))
    elif m.status == "clarify":
        assert m.suggestions and not m.complete, m
    else:
        assert m.intent is None and m.message and "\n" not in m.message


def test_cases_are_unique() -> None:
    keys = [(c.previous, c.question) for c in CASES]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]


# --- mutations: the cases must notice a wrong intent ------------------------------------------------

SPURIOUS = Filter(field="region", op=Op.NE, value="x")


def _append_filter(i: Intent) -> Intent | None:
    return i.model_copy(update={"filters": (*i.filters, SPURIOUS)})


def _drop_filter(i: Intent) -> Intent | None:
    return i.model_copy(update={"filters": i.filters[:-1]}) if i.filters else None


def _other(grain: Grain) -> Grain:
    return Grain.WEEK if grain != Grain.WEEK else Grain.MONTH


def _change_grain(i: Intent) -> Intent | None:
    """The first grouping by a time grain grouped by another grain."""
    dims = list(i.dimensions)
    for n, d in enumerate(dims):
        if d.grain is not None:
            dims[n] = d.model_copy(update={"grain": _other(d.grain)})
            return i.model_copy(update={"dimensions": tuple(dims)})
    return None


def _change_range_grain(i: Intent) -> Intent | None:
    """A time range counted in another unit ("last month" -> "last week")."""
    r = i.time_range
    if r is None or r.unit is None:
        return None
    return i.model_copy(update={"time_range": r.model_copy(update={"unit": _other(r.unit)})})


def _answer_instead(m: Mapping) -> Mapping | None:
    """A question that was asked back or refused answered all the same (with the first metric of
    the model, a plausible number)."""
    if m.status == "answered":
        return None
    return Mapping(status="answered", intent=Intent(metrics=("cost",)), message="interpreted as: cost")


def _on_intent(mutate: Callable[[Intent], Intent | None]) -> Callable[[Mapping], Mapping | None]:
    def on_mapping(m: Mapping) -> Mapping | None:
        changed = mutate(m.intent) if m.intent is not None else None
        return m.model_copy(update={"intent": changed}) if changed not in (None, m.intent) else None

    return on_mapping


MUTATIONS: dict[str, Callable[[Mapping], Mapping | None]] = {
    "append a filter region != 'x'": _on_intent(_append_filter),
    "drop the last filter": _on_intent(_drop_filter),
    "change a grouping's grain": _on_intent(_change_grain),
    "change the time range's grain": _on_intent(_change_range_grain),
    "answer instead of asking back or refusing": _answer_instead,
}


def mutation_scores(mapper: OfflineMapper) -> dict[str, tuple[int, int]]:
    """Per mutation: (cases that fail with the mutated reading, cases it applies to), over the cases
    that pass today; a mutation that changes nothing in a case does not apply to it. The key "any"
    counts the cases that at least one mutation applies to, and those that every applicable
    mutation fails."""
    mapped = [(c, ask(mapper, c)) for c in CASES if not c.known_wrong]
    scores: dict[str, tuple[int, int]] = {}
    every: dict[int, bool] = {}
    for name, mutate in MUTATIONS.items():
        killed = applied = 0
        for n, (case, m) in enumerate(mapped):
            changed = mutate(m)
            if changed is None:
                continue
            applied += 1
            failed = reading(changed, case.previous) != case.expected
            killed += failed
            every[n] = every.get(n, True) and failed
        scores[name] = (killed, applied)
    scores["any"] = (sum(every.values()), len(mapped))
    return scores


@pytest.fixture(scope="module")
def scores(mapper: OfflineMapper) -> dict[str, tuple[int, int]]:
    return mutation_scores(mapper)


def test_mutations_fail_the_cases(scores: dict[str, tuple[int, int]]) -> None:
    """Each mutation of the mapped readings must fail at least 95% of the cases it applies to (with
    whole comparisons: all of them), and every case must be failed by each mutation that applies to
    it (at least 95% of all cases); a partial comparison lets wrong readings through."""
    for name, (killed, applied) in scores.items():
        assert applied, name
        assert killed / applied >= 0.95, (name, killed, applied)


def test_the_mutations_apply_to_enough_cases(scores: dict[str, tuple[int, int]]) -> None:
    """Each mutation is measured on more than a handful of cases."""
    assert {name: applied >= 10 for name, (_, applied) in scores.items()} == dict.fromkeys(
        [*MUTATIONS, "any"], True
    )


def _current(path: Path) -> None:  # pragma: no cover - a tool for writing cases
    mapper = OfflineMapper(load_model(), VALUES)
    for c in load_cases(path.parent):
        if c.file != path.name:
            continue
        got = reading(ask(mapper, c), c.previous)
        entry: dict[str, Any] = {"question": c.question}
        if c.previous:
            entry["previous"] = c.previous
        entry.update({k: v for k, v in got.items() if k != "follows"})
        print(yaml.safe_dump([entry], sort_keys=False, allow_unicode=True), end="")
        if got != c.expected:
            print("# differs from the case:\n# " + diff(c.expected, got).replace("\n", "\n# "))


if __name__ == "__main__":  # pragma: no cover
    import sys

    for arg in sys.argv[1:]:
        _current(Path(arg))
