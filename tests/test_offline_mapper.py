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
    m = ask(mapper, "how many buckets are stale")
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
        ("weks", "weeks"),  # as close to "week": one word and its plural, read in the typo's number
        ("wek", "week"),  # a double letter written once
        ("stagess", None),  # "stage" and "states" differ as words, not in number
        ("rgn", "region"),  # an abbreviation: the consonants of one known word, in order
        ("acct", "account"),  # a vowel first, then consonants; the last is the word's last
        ("accts", None),  # "accounts" is no known word here (the caller also tries the singular)
        ("mnth", "month"),  # "monthly" ends in another consonant
        ("cnt", "count"),
        ("amt", None),  # a vowel first: three letters are too few
        ("end", None),  # a vowel after the first letter: an English word, not an abbreviation
        ("stg", None),  # "storage" and "staging": two words it could shorten
        ("rg", None),  # too short to abbreviate anything
    ],
)
def test_speller(word: str, known: str | None) -> None:
    speller = Speller(
        [
            "region",
            "account",
            "amount",
            "about",
            "count",
            "month",
            "monthly",
            "tag",
            "state",
            "stage",
            "reservation",
            "week",
            "weeks",
            "states",
            "encrypted",
            "storage",
            "staging",
        ]
    )
    assert speller.correct(word) == known


def test_a_four_letter_word_becomes_a_value_only_by_a_swap() -> None:
    """ "pods" is one letter short of the value "prods" but a word of its own: a four-letter word
    becomes a value only by two letters swapped; other known words it may become by a letter more or
    less ("totl")."""
    speller = Speller(["prods", "total", "cost"], values=["prods"])
    assert [speller.correct(w) for w in ("pods", "totl", "cots", "rpods")] == [None, "total", "cost", "prods"]


def test_two_candidates_that_mean_one_thing_are_no_tie() -> None:
    speller = Speller(
        ["expense", "expensive", "expenses"], senses={"expense": 1, "expensive": 1, "expenses": 1}
    )
    assert speller.correct("expensve") == "expensive"
    assert Speller(["expense", "expensive"]).correct("expensve") is None


def test_an_abbreviation_is_read_from_the_singular_too() -> None:
    """The model's words are singular: "accts" is read through its singular "acct" (the mapper puts
    the plural ending back)."""
    assert Speller(["account"]).correct("accts", "acct") == "account"


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
    """Vocabulary lives in YAML: the mapper's code (its passes included) must not mention the sample
    model's names."""
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
    files = sorted(folder.rglob("*.py"))
    assert any(path.parent.name == "passes" for path in files)
    for path in files:
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


# --- a model with one more table, as an analyst adds it (issue 17) ----------------------------------

_CPU_TABLE = """
  - name: instance_cpu
    description: Daily CPU utilization of each EC2 instance.
    synonyms: [cpu utilization]
    primary_key: [usage_date, resource_id]
    dimensions:
      - name: resource_id
        column: resource_id
        description: The instance.
    time_dimensions:
      - name: usage_date
        column: usage_date
        type: date
        description: The day measured.
    measures:
      - name: avg_cpu
        agg: avg
        expr: cpu_percent
        description: Average CPU utilization in percent.
"""
_CPU_METRIC = """
  - name: avg_cpu
    measure: instance_cpu.avg_cpu
    description: Average CPU utilization.
    synonyms: [cpu, average cpu, cpu usage]
"""
_CPU_JOIN = "\n  - {name: cpu_resource, from: instance_cpu, to: resources, keys: [{from: resource_id, to: resource_id}]}"


@pytest.fixture(scope="module")
def cpu_mapper() -> OfflineMapper:
    """The shipped model plus a daily CPU table whose only date is its own usage date."""
    from pathlib import Path

    from semantic.loader import check_model_text

    text = (Path(__file__).parent.parent / "semantic/models/cloud_inventory.yaml").read_text()
    text = text.replace("\nrelationships:\n", _CPU_TABLE + "\nrelationships:" + _CPU_JOIN + "\n", 1)
    text = text.replace("\nmetrics:\n", "\nmetrics:" + _CPU_METRIC, 1)
    model, issues = check_model_text(text)
    assert model is not None and not [i for i in issues if i.severity == "error"], issues
    return OfflineMapper(model, VALUES)


def test_lowest_after_top_ranks_lowest_first(cpu_mapper: OfflineMapper) -> None:
    """ "top 10 instances by lowest cpu": "top" says how many, "lowest" which end (issue 17, item 5)."""
    m = ask(cpu_mapper, "top 10 instances by lowest cpu during usage date last month")
    assert m.status == "answered" and m.intent is not None, m.message
    assert [o.model_dump(mode="json") for o in m.intent.order_by] == [
        {"field": "avg_cpu", "direction": "asc"}
    ]
    assert m.intent.limit == 10


def test_a_range_clarify_offers_the_dates_of_the_metric(cpu_mapper: OfflineMapper) -> None:
    """A range on a table with no default date asks which date, offering the dates its metric can use,
    not another table's (issue 17, item 6)."""
    for question in (
        "average cpu by instance type last week",
        "how many instances averaged under 5 cpu last week",
    ):
        m = ask(cpu_mapper, question)
        assert m.status == "clarify", m
        assert m.suggestions[0] == "usage_date", (question, m.suggestions)


def test_by_a_kind_of_row_is_one_row_each(cpu_mapper: OfflineMapper) -> None:
    """ "avg cpu by instance": a value naming a kind of row after "by" is a breakdown per row, of that
    kind, not a filter with the "by" dropped (issue 17, item 7)."""
    m = ask(cpu_mapper, "avg cpu by instance during usage date last week")
    assert m.status == "answered" and m.intent is not None, m.message
    assert dump(m.intent) == {
        "metrics": ["avg_cpu"],
        "dimensions": [D("resource_id"), D("resource_name")],
        "filters": [F("resource_type", "ec2:instance")],
        "time_range": {"kind": "previous", "unit": "week", "dimension": "usage_date"},
    }


@pytest.mark.parametrize(
    ("question", "said", "suggestion"),
    [
        # an everyday word that is a value, before a noun: the value is named, and the question
        # with the value said with its dimension is offered
        (
            "cost of the data group's accounts",
            ["'data'", "business unit"],
            "cost of the data business unit accounts",
        ),
        # an unknown word before the rows it would restrict: the kinds of those rows the model knows
        ("how many idle instances are there", ["'idle'", "running instances"], "running instances"),
        ("list the zombie volumes", ["'zombie'", "unattached volumes"], "unattached volumes"),
    ],
)
def test_a_word_not_understood_is_asked_about_by_name(
    mapper: OfflineMapper, question: str, said: list[str], suggestion: str
) -> None:
    m = ask(mapper, question)
    assert m.status == "clarify", m
    assert all(s in m.message for s in said), m.message
    assert suggestion in m.suggestions, m.suggestions


def test_a_list_instead_suggestion_works_and_is_said_once(mapper: OfflineMapper) -> None:
    """The "(as a list)" question a clarify offers answers with the rows, and asking it again never
    grows a second "(as a list)" (issue 17, item 2)."""
    for question in (
        "how many resources had cost last week",
        "how many accounts had cost last week",
    ):
        m = ask(mapper, question)
        assert m.status == "clarify" and len(m.suggestions) == 1, m
        (instead,) = m.suggestions
        assert instead.count("(as a list)") == 1, instead
        answer = ask(mapper, instead)
        assert answer.status == "answered" and answer.complete and answer.intent is not None, answer
        assert answer.intent.dimensions, answer.intent
    from runtime.mappers.interpretation import list_instead

    assert (
        list_instead("resources cost over 5 (as a list) (as a list)") == "resources cost over 5 (as a list)"
    )


@pytest.mark.parametrize(
    ("first", "follow_up", "word", "suggested"),
    [
        (
            "the 10 largest buckets",
            "how many of them are public?",
            "them",
            "how many of the s3 buckets are public",
        ),
        ("cheapest region last month", "how many instances there?", "there", "how many instances by region"),
        (
            "most expensive account last month",
            "its cost by service",
            "its",
            "cost by service by account name last month",
        ),
    ],
)
def test_a_follow_up_about_ranked_rows_is_asked_back_with_a_full_question(
    mapper: OfflineMapper, first: str, follow_up: str, word: str, suggested: str
) -> None:
    """An intent cannot say "among the previous top N": the follow-up is asked back, saying which word
    points at the ranked rows, and suggests the question asked about all of them, which is answered."""
    previous = ask(mapper, first)
    assert previous.intent is not None and previous.intent.limit is not None, previous
    m = mapper.map(follow_up, previous.intent)
    assert m.status == "clarify" and m.message.startswith(f"'{word}' means the "), m
    assert m.suggestions == (suggested,), m
    again = ask(mapper, suggested)
    assert again.status == "answered" and again.complete and again.intent is not None, again
    assert again.intent.limit is None, again.intent


def test_another_kind_after_a_segment_of_one_kind_is_asked_back(mapper: OfflineMapper) -> None:
    """ "how many running instances" -> "and databases?": the segment's state is not kept half (a
    count of running databases, 0); asked back, suggesting the questions in full, which are answered."""
    previous = ask(mapper, "how many running instances")
    m = mapper.map("and databases?", previous.intent)
    assert m.status == "clarify" and m.message.startswith("'running instances' ("), m
    assert "state = running" in m.message and "resource_type = rds:db-instance" in m.message, m
    assert m.suggestions == ("resource count of rds instances", "resource count of rds instances by state")
    for suggested in m.suggestions:
        again = ask(mapper, suggested)
        assert again.status == "answered" and again.complete and again.intent is not None, again
        assert dump(again.intent)["filters"] == [F("resource_type", "rds:db-instance")], again.intent


# --- units: the model's declared unit decides what a number means (issue 13, item 3) ---------------


def _cpu_mapper_in(unit: str) -> tuple[OfflineMapper, Any]:
    """The CPU model above with its measure declared in ``unit`` (a 0-100 or a 0-1 column)."""
    from pathlib import Path

    from semantic.loader import check_model_text

    text = (Path(__file__).parent.parent / "semantic/models/cloud_inventory.yaml").read_text()
    table = _CPU_TABLE.replace("expr: cpu_percent\n", f"expr: cpu_percent\n        unit: {unit}\n", 1)
    text = text.replace("\nrelationships:\n", table + "\nrelationships:" + _CPU_JOIN + "\n", 1)
    text = text.replace("\nmetrics:\n", "\nmetrics:" + _CPU_METRIC, 1)
    model, issues = check_model_text(text)
    assert model is not None and not [i for i in issues if i.severity == "error"], issues
    return OfflineMapper(model, VALUES), model


@pytest.mark.parametrize(
    ("unit", "condition", "bound"),
    [
        ("percent", {"field": "avg_cpu", "op": "<", "value": 5}, "5"),  # already the column's unit
        ("fraction", {"field": "avg_cpu", "op": "<", "value": 5, "unit": "percent"}, "0.05"),
    ],
)
def test_a_percent_is_written_as_said_and_the_model_unit_converts_it(
    unit: str, condition: dict[str, Any], bound: str
) -> None:
    """ "below 5%" is 5 percent on the filter; the compiler makes it 5 on a 0-100 column and 0.05 on
    a 0-1 one. The mapper never divides by 100 itself (it once did, whatever the column held)."""
    from decimal import Decimal

    from compiler import compile

    mapper, model = _cpu_mapper_in(unit)
    m = ask(mapper, "instances with avg cpu below 5% during usage date last week")
    assert m.status == "answered" and m.complete and m.intent is not None, m.message
    assert dump(m.intent) == {  # each instance's average, the instances listed
        "metrics": ["avg_cpu"],
        "dimensions": [{"name": "resource_id"}, {"name": "resource_name"}],
        "filters": [{"field": "resource_type", "value": "ec2:instance"}, condition],
        "time_range": {"kind": "previous", "unit": "week", "dimension": "usage_date"},
    }
    assert compile(m.intent, model, as_of=AS_OF).params["avg_cpu"] == Decimal(bound)


def test_a_unit_no_metric_of_the_question_has_is_asked_back_with_the_units_that_fit(
    mapper: OfflineMapper,
) -> None:
    m = ask(mapper, "cost by region in terabytes")
    assert m.status == "clarify"
    assert m.message == (
        "I am not sure what you mean: 'in terabytes': TB is not a unit of cost; it can be shown in USD, "
        "thousand_USD, million_USD"
    )


# --- the four kinds of issue 13 (items 3-6), mapped and run against SQL written by hand --------------

_RES_COSTS = "inventory.resource_costs c JOIN inventory.resources r ON r.resource_id = c.resource_id"
_READ_AND_RUN = [
    (  # units: shown in TB (decimal: GB / 1000)
        "total storage by region in TB",
        "SELECT region, SUM(storage_gb) / 1000 FROM inventory.resources GROUP BY region",
    ),
    (  # a number in TiB on a GB column: 1 TiB = 1024^4 / 1000^3 GB (1 TB would count 1,000 GB too)
        "how many volumes are 1 tebibyte or larger",
        "SELECT count(*) FROM inventory.resources WHERE resource_type = 'ebs:volume'"
        " AND storage_gb >= 1099511627776 / 1e9",
    ),
    (  # counting groups: the accounts kept by a condition on each, counted
        "how many accounts have more than 200 resources",
        "SELECT count(*) FROM (SELECT account_id FROM inventory.resources GROUP BY account_id"
        " HAVING count(*) > 200) g",
    ),
    (  # two dates: the creation date filtered, the cost's own date in last week
        "what did instances launched since March cost last week",
        f"SELECT SUM(c.cost_usd) FROM {_RES_COSTS} WHERE r.resource_type = 'ec2:instance'"
        " AND r.created_at >= TIMESTAMPTZ '2026-03-01 00:00:00+00'"
        " AND c.usage_date BETWEEN DATE '2026-06-08' AND DATE '2026-06-14'",
    ),
    (  # side by side: a segment (state = available) beside a value it leaves out, one row each
        "unattached volumes vs in-use volumes cost",
        f"SELECT r.state, SUM(c.cost_usd) FROM {_RES_COSTS} WHERE r.resource_type = 'ebs:volume'"
        " AND r.state IN ('available', 'in-use') GROUP BY r.state",
    ),
]


@pytest.mark.parametrize(("question", "reference"), _READ_AND_RUN, ids=[q for q, _ in _READ_AND_RUN])
def test_the_reading_gives_the_hand_written_answer(
    mapper: OfflineMapper, conn: Any, question: str, reference: str
) -> None:
    """Each reading, compiled and run on the sample, has exactly the rows of SQL written by hand from
    what the question means (not only the intent the cases name: the numbers the user would see)."""
    from test_compiler_execution import describe_difference, normalize, run_read_only

    from compiler import compile

    m = ask(mapper, question)
    assert m.status == "answered" and m.complete and m.intent is not None, m.message
    query = compile(m.intent, mapper.model, as_of=AS_OF)
    got = normalize(run_read_only(conn, query.sql, query.params), ordered=False)
    want = normalize(run_read_only(conn, reference), ordered=False)
    assert want and all(v not in (None, 0) for row in want for v in row[-1:]), "the reference proves nothing"
    assert got == want, describe_difference(got, want) + f"\n{query.sql}\n{query.params}"


def test_an_average_not_understood_offers_the_models_averages_from_its_fields() -> None:
    """ "average temperature": the averages offered are the metrics the model declares as averages (a
    measure aggregated by avg, or "average"/"avg" in the metric's name or synonyms), never ones whose
    description merely says "average" (issue 14, item 4: no guesses from YAML prose)."""
    from pathlib import Path

    from semantic.loader import check_model_text

    shipped = load_model()
    m = ask(OfflineMapper(shipped, VALUES), "average temperature by region")
    assert (m.status, m.suggestions) == ("clarify", ("avg daily cost", "avg storage gb", "cost per resource"))

    text = (Path(__file__).parent.parent / "semantic/models/cloud_inventory.yaml").read_text()
    for old, new in (
        ("Number of cloud accounts.", "Not an average, the number of cloud accounts."),  # prose only
        ("- name: avg_storage_gb\n    measure:", "- name: storage_per_resource\n    measure:"),  # avg measure
        ("synonyms: [average storage, average size, mean storage]", "synonyms: [storage each]"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    model, issues = check_model_text(text)
    assert model is not None and not [i for i in issues if i.severity == "error"], issues
    m = ask(OfflineMapper(model, VALUES), "average temperature by region")
    assert (m.status, m.suggestions) == (
        "clarify",
        ("avg daily cost", "cost per resource", "storage per resource"),
    )


def test_not_tagged_filters_by_the_flag_the_model_declares() -> None:
    """ "instances with no label": the tags dimension's ``untagged`` names the flag to filter by (issue
    14, item 4: an explicit field, not "tag" found in a boolean's synonyms). Without the field, the
    same words are not read as that filter; renamed, the filter follows the declaration."""
    from pathlib import Path

    from semantic.loader import check_model_text

    question = "how many instances have no label"
    instances = F("resource_type", "ec2:instance")
    m = ask(OfflineMapper(load_model(), VALUES), question)
    assert m.status == "answered" and m.intent is not None, m
    assert dump(m.intent) == {
        "metrics": ["resource_count"],
        "filters": [instances, F("is_untagged", True)],
    }

    shipped = (Path(__file__).parent.parent / "semantic/models/cloud_inventory.yaml").read_text()

    def mapped(text: str) -> Mapping:
        model, issues = check_model_text(text)
        assert model is not None and not [i for i in issues if i.severity == "error"], issues
        return ask(OfflineMapper(model, VALUES), question)

    undeclared = mapped(shipped.replace("        untagged: is_untagged\n", "", 1))
    assert (undeclared.status, undeclared.message, undeclared.suggestions) == (
        "clarify",
        "I am not sure what you mean: which rows have no 'label' (the model does not say; name a key)",
        ("without owner label", "without team label", "without cost-center label"),
    )

    renamed = shipped.replace("name: is_untagged", "name: bare", 1).replace(
        "untagged: is_untagged", "untagged: bare", 1
    )
    renamed = renamed.replace("{field: is_untagged,", "{field: bare,")
    m = mapped(renamed)
    assert m.intent is not None and dump(m.intent) == {
        "metrics": ["resource_count"],
        "filters": [instances, F("bare", True)],
    }, m


def test_a_tag_value_said_after_its_tag_is_the_tags_even_when_a_dimension_has_it_too() -> None:
    """ "env tag dev": "dev" is a value of the env tag in the data and of the environment dimension;
    said right after the tag's key and tag word, it is the tag's."""
    values = {**VALUES, "tag:env": ["dev", "prod", "sandbox", "staging"]}
    m = ask(
        OfflineMapper(load_model(), values), "how many resources have env tag dev but live in prod accounts"
    )
    assert m.status == "answered" and m.intent is not None, m
    assert dump(m.intent) == {
        "metrics": ["resource_count"],
        "filters": [F("tag:env", "dev"), F("environment", "prod")],
    }
