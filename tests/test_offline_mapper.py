"""The offline mapper beyond single readings: determinism, speed, values passed in, the model's names
kept out of the Python, and a question asked mid-conversation.

What a question must mean is in ``tests/mapper_cases/*.yaml``, each case compared whole
(``tests/test_mapper_cases.py``); the lists here (``CASE_QUESTIONS``) are those cases' questions, which
``tests/test_declaration_order.py`` also maps with the model's declarations reordered.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from test_mapper_cases import AS_OF, VALUES, load_cases

from models.intent import Intent
from models.responses import Mapping
from runtime.mappers.offline import OfflineMapper
from runtime.mappers.spelling import Speller, max_edits
from semantic import load_model

__all__ = ["ACCOUNT", "AS_OF", "CASE_QUESTIONS", "VALUES", "F", "dump"]

# (question, None) or (previous question, question, None): the shapes test_declaration_order reads
CASE_QUESTIONS: list[tuple[str | None, ...]] = [
    (c.previous, c.question, None) if c.previous else (c.question, None) for c in load_cases()
]


@pytest.fixture(scope="module")
def mapper() -> OfflineMapper:
    return OfflineMapper(load_model(), VALUES)


def ask(mapper: OfflineMapper, question: str, previous: Intent | None = None) -> Mapping:
    return mapper.map(question, previous, as_of=AS_OF)


def dump(intent: Intent) -> dict[str, Any]:
    return intent.model_dump(mode="json", exclude_defaults=True, exclude={"previous"})


def F(field: str, value: Any = None, op: str = "=") -> dict[str, Any]:
    out: dict[str, Any] = {"field": field}
    if op != "=":
        out["op"] = op
    if value is not None:
        out["value"] = list(value) if isinstance(value, tuple) else value
    return out


def D(name: str, grain: str | None = None) -> dict[str, Any]:
    return {"name": name, "grain": grain} if grain else {"name": name}


ACCOUNT = [D("account_id"), D("account_name")]


def _conversation(mapper: OfflineMapper, case: tuple[str | None, ...]) -> Mapping:
    if len(case) == 3:
        return ask(mapper, str(case[1]), ask(mapper, str(case[0])).intent)
    return ask(mapper, str(case[0]))


def test_ignored_words_make_the_answer_incomplete(mapper: OfflineMapper) -> None:
    m = ask(mapper, "storage of orphaned volumes in TB")
    assert m.status == "answered" and not m.complete
    assert "ignored" in m.message


@pytest.mark.parametrize(
    ("word", "known"),
    [
        ("regoin", "region"),  # two letters swapped
        ("ergion", "region"),  # the first two swapped
        ("regin", "region"),  # a letter missing
        ("regionn", "region"),  # a letter doubled
        ("acount", "account"),  # as many edits from "amount", but a wrong letter is two letters off
        ("reservatoins", "reservation"),  # long words may carry two slips (here: a swap and a plural)
        ("monthy", None),  # "month" and "monthly" are as close: a tie is no reading
        ("amout", "amount"),  # a missing letter, not a wrong one ("about")
        ("stae", None),  # "state" and "stage" are one missing letter away each
        ("tga", None),  # too short
        ("stste", None),  # a wrong letter in a short word
        ("xegion", None),  # a wrong first letter
        ("region", None),  # already known
        ("us3", None),  # not a word
    ],
)
def test_speller(word: str, known: str | None) -> None:
    speller = Speller(["region", "account", "amount", "about", "count", "month", "monthly", "tag", "state",
                       "stage", "reservation"])
    assert speller.correct(word) == known


def test_longer_words_may_carry_more_edits() -> None:
    assert [max_edits("x" * n) for n in (3, 4, 7, 8, 12)] == [0, 1, 1, 2, 2]


def test_values_from_the_data_do_not_take_model_words() -> None:
    m = OfflineMapper(load_model(), {"tag:env": ["prod"], "tag:team": ["billing"]})
    got = dump(ask(m, "how many resources in prod").intent)  # type: ignore[arg-type]
    assert got["filters"] == [F("environment", "prod")]


def test_values_passed_in_are_vocabulary() -> None:
    without = OfflineMapper(load_model())
    with_values = OfflineMapper(load_model(), {"tag:owner": ["zoe"]})
    assert ask(without, "resources owned by zoe").status == "clarify"
    m = ask(with_values, "resources owned by zoe")
    assert m.status == "answered"
    assert F("tag:owner", "zoe") in dump(m.intent)["filters"]  # type: ignore[arg-type]


def test_deterministic(mapper: OfflineMapper) -> None:
    again = OfflineMapper(load_model(), VALUES)
    for case in CASE_QUESTIONS:
        assert _conversation(mapper, case) == _conversation(again, case)


def test_fast(mapper: OfflineMapper) -> None:
    questions = [str(case[0]) for case in CASE_QUESTIONS if len(case) == 2]
    start = time.perf_counter()
    for q in questions:
        ask(mapper, q)
    per_question_ms = (time.perf_counter() - start) * 1000 / len(questions)
    assert per_question_ms < 5


def test_python_names_nothing_from_the_sample_model() -> None:
    """Vocabulary lives in YAML: the mapper's code must not mention the sample model's names."""
    import pathlib

    model = load_model()
    names = (
        {m.name for m in model.metrics}
        | {t.name for t in model.tables}
        | {d.name for t in model.tables for d in (*t.dimensions, *t.time_dimensions)}
        | {v for t in model.tables for d in t.dimensions for v in d.enum}
    )
    names -= {"tag"}  # also the English word "tag" ("owner tag"), used generically for tag dimensions
    folder = pathlib.Path(__file__).parent.parent / "runtime" / "mappers"
    for path in folder.glob("*.py"):
        text = path.read_text()
        for name in names:
            assert f'"{name}"' not in text and f"'{name}'" not in text, (path.name, name)


@pytest.mark.parametrize(
    "first", ["Monthly cost trend for the last 3 months", "How many buckets are public?"]
)
def test_a_new_question_after_another_is_read_in_full(mapper: OfflineMapper, first: str) -> None:
    """A complete question asked mid-conversation is not a follow-up: it keeps every part it names
    (the interpreter once consumed the reading while testing it as a follow-up and lost 'by ...')."""
    question = "Resource count and total cost by business unit"
    alone = mapper.map(question)
    previous = mapper.map(first).intent
    after = mapper.map(question, previous)
    assert alone.intent is not None and after.intent is not None
    assert after.intent.model_dump(exclude={"previous"}) == alone.intent.model_dump(exclude={"previous"})
    assert [d.name for d in after.intent.dimensions] == ["business_unit"]


def test_key_value_tokens_keep_the_model_values_whole() -> None:
    from runtime.mappers.tokens import phrase_key, tokenize

    assert [t.text for t in tokenize("team=ml")] == ["team", "=", "ml"]
    assert [t.text for t in tokenize("at 10:30")] == ["at", "10:30"]  # a time of day stays one word
    assert phrase_key("a:b-c") == phrase_key("A:B-C")
    assert [t.glued for t in tokenize("cc-1003")] == [False, True]
