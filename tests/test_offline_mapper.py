"""The offline mapper: question -> intent, over the shipped model.

Each case names only the parts of the intent it is about; every answered intent must also compile,
because a reading the compiler rejects is no answer at all.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from compiler import compile
from models.intent import Intent
from models.responses import Mapping
from runtime.mappers.offline import OfflineMapper
from semantic import load_model

AS_OF = dt.date(2026, 6, 17)
VALUES = {
    "tag:owner": ["alice", "bob", "carol"],
    "tag:team": ["core", "web", "ml"],
    "tag:cost-center": ["cc-1001", "cc-1002"],
    "account_name": ["payments-prod", "search-staging", "data-sandbox", "search-prod"],
}


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
RESOURCE = [D("resource_id"), D("resource_name")]
LAST_MONTH = {"kind": "previous", "unit": "month"}

# question -> the parts of the intent that matter (filters compared as a set)
CASES: list[tuple[str, dict[str, Any]]] = [
    # counting and the count metric of the counted table
    ("How many resources are in the inventory?", {"metrics": ["resource_count"]}),
    ("How many resources do we have?", {"metrics": ["resource_count"], "filters": []}),
    ("How many accounts are there?", {"metrics": ["account_count"]}),
    (
        "How many accounts do we have in each environment?",
        {"metrics": ["account_count"], "dimensions": [D("environment")]},
    ),
    (
        "How many dev and sandbox accounts are there?",
        {"metrics": ["account_count"], "filters": [F("environment", ("dev", "sandbox"), "in")]},
    ),
    ("Count resources by service", {"metrics": ["resource_count"], "dimensions": [D("service")]}),
    (
        "How many EC2 instances are running?",
        {
            "metrics": ["resource_count"],
            "filters": [F("resource_type", "ec2:instance"), F("state", "running")],
        },
    ),
    (
        "how many vms are running in us-east-1",
        {
            "metrics": ["resource_count"],
            "filters": [F("resource_type", "ec2:instance"), F("state", "running"), F("region", "us-east-1")],
        },
    ),
    (
        "number of running instances per region",
        {"metrics": ["resource_count"], "dimensions": [D("region")], "segments": ["running_instances"]},
    ),
    (
        "How many S3 buckets are public?",
        {"metrics": ["resource_count"], "filters": [F("resource_type", "s3:bucket"), F("is_public", True)]},
    ),
    (
        "EC2 instances by state",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("state")],
            "filters": [F("resource_type", "ec2:instance")],
        },
    ),
    (
        "stopped instances by instance type",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("instance_type")],
            "filters": [F("state", "stopped"), F("resource_type", "ec2:instance")],
        },
    ),
    (
        "Show unencrypted EBS volumes by account",
        {
            "metrics": ["resource_count"],
            "dimensions": ACCOUNT,
            "filters": [F("is_encrypted", False), F("resource_type", "ebs:volume")],
        },
    ),
    (
        "How many instances are not running?",
        {"filters": [F("resource_type", "ec2:instance"), F("state", "running", "!=")]},
    ),
    (
        "How many m5.large instances are running?",
        {
            "filters": [
                F("instance_type", "m5.large"),
                F("resource_type", "ec2:instance"),
                F("state", "running"),
            ]
        },
    ),
    # storage, sizes and units
    (
        "Total EBS storage in GB by region",
        {"metrics": ["total_storage_gb"], "dimensions": [D("region")], "filters": [F("service", "ebs")]},
    ),
    (
        "How much storage do unattached volumes use?",
        {"metrics": ["total_storage_gb"], "segments": ["unattached_volumes"]},
    ),
    (
        "Total storage of RDS databases in the data business unit",
        {
            "metrics": ["total_storage_gb"],
            "filters": [F("resource_type", "rds:db-instance"), F("business_unit", "data")],
        },
    ),
    (
        "How many volumes are larger than 1 TB?",
        {
            "metrics": ["resource_count"],
            "filters": [F("resource_type", "ebs:volume"), F("storage_gb", 1000, ">")],
        },
    ),
    (
        "List the unattached EBS volumes bigger than 500 GB",
        {
            "metrics": [],
            "dimensions": RESOURCE,
            "filters": [F("state", "available"), F("resource_type", "ebs:volume"), F("storage_gb", 500, ">")],
        },
    ),
    (
        "list the 10 largest EBS volumes",
        {"dimensions": [*RESOURCE, D("storage_gb")], "order_by": [{"field": "storage_gb"}], "limit": 10},
    ),
    (
        "Average size of EBS volumes",
        {"metrics": ["avg_storage_gb"], "filters": [F("resource_type", "ebs:volume")]},
    ),
    # cost and time
    ("What was our total cloud spend last month?", {"metrics": ["cost"], "time_range": LAST_MONTH}),
    (
        "cost by service in the last 30 days",
        {
            "metrics": ["cost"],
            "dimensions": [D("service")],
            "time_range": {"kind": "trailing", "unit": "day", "n": 30},
        },
    ),
    (
        "Monthly cost trend for the last 3 months",
        {
            "dimensions": [D("usage_date", "month")],
            "time_range": {"kind": "previous", "unit": "month", "n": 3},
        },
    ),
    (
        "Daily EC2 spend this week",
        {
            "dimensions": [D("usage_date", "day")],
            "filters": [F("service", "ec2")],
            "time_range": {"kind": "current", "unit": "week"},
        },
    ),
    (
        "Weekly EC2 cost over the last 4 weeks",
        {"dimensions": [D("usage_date", "week")], "time_range": {"kind": "previous", "unit": "week", "n": 4}},
    ),
    (
        "Spend by business unit this year",
        {"dimensions": [D("business_unit")], "time_range": {"kind": "current", "unit": "year"}},
    ),
    (
        "Lambda cost per account in Q1 2026",
        {
            "dimensions": ACCOUNT,
            "filters": [F("service", "lambda")],
            "time_range": {"kind": "quarter", "quarter": 1, "year": 2026},
        },
    ),
    ("How much did we spend in the first quarter?", {"time_range": {"kind": "quarter", "quarter": 1}}),
    (
        "Monthly spend in eu-west-1 since February",
        {
            "dimensions": [D("usage_date", "month")],
            "filters": [F("region", "eu-west-1")],
            "time_range": {"kind": "since", "start": "2026-02-01"},
        },
    ),
    (
        "Which 10 resources cost the most in May 2026?",
        {
            "metrics": ["cost"],
            "dimensions": RESOURCE,
            "order_by": [{"field": "cost"}],
            "limit": 10,
            "time_range": {"kind": "month", "month": 5, "year": 2026},
        },
    ),
    (
        "cost between 2026-05-01 and 2026-05-15",
        {"time_range": {"kind": "between", "start": "2026-05-01", "end": "2026-05-15"}},
    ),
    (
        "Spend from March to May by service",
        {"time_range": {"kind": "between", "start": "2026-03-01", "end": "2026-05-31"}},
    ),
    ("Spend yesterday by service", {"time_range": {"kind": "previous", "unit": "day"}}),
    ("What is today's cost?", {"time_range": {"kind": "current", "unit": "day"}}),
    ("Month to date spend by account", {"time_range": {"kind": "current", "unit": "month"}}),
    ("Cost last quarter by business unit", {"time_range": {"kind": "previous", "unit": "quarter"}}),
    ("costs in 2025", {"time_range": {"kind": "year", "year": 2025}}),
    (
        "Average daily RDS cost over the last 7 days",
        {
            "metrics": ["avg_daily_cost"],
            "filters": [F("service", "rds")],
            "time_range": {"kind": "trailing", "unit": "day", "n": 7},
        },
    ),
    (
        "Daily cost for the payments-prod account last week",
        {
            "dimensions": [D("usage_date", "day")],
            "filters": [F("account_name", "payments-prod")],
            "time_range": {"kind": "previous", "unit": "week"},
        },
    ),
    (
        "Production spend by region last month",
        {"metrics": ["cost"], "dimensions": [D("region")], "filters": [F("environment", "prod")]},
    ),
    ("Cost in Asia Pacific this year", {"filters": [F("region", "asia_pacific")]}),
    # created_at: the time dimension named by a synonym
    (
        "How many resources were created in the last 30 days?",
        {
            "metrics": ["resource_count"],
            "time_range": {"kind": "trailing", "unit": "day", "n": 30, "dimension": "created_at"},
        },
    ),
    (
        "Resources created per month in 2026",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("created_at", "month")],
            "time_range": {"kind": "year", "year": 2026, "dimension": "created_at"},
        },
    ),
    (
        "How many instances were launched this month?",
        {"time_range": {"kind": "current", "unit": "month", "dimension": "created_at"}},
    ),
    # ranking
    (
        "Top 5 accounts by cost last month",
        {"metrics": ["cost"], "dimensions": ACCOUNT, "order_by": [{"field": "cost"}], "limit": 5},
    ),
    (
        "Which region has the highest spend this month?",
        {"metrics": ["cost"], "dimensions": [D("region")], "order_by": [{"field": "cost"}], "limit": 1},
    ),
    (
        "Which account has the most EC2 instances?",
        {
            "metrics": ["resource_count"],
            "dimensions": ACCOUNT,
            "filters": [F("resource_type", "ec2:instance")],
            "order_by": [{"field": "resource_count"}],
            "limit": 1,
        },
    ),
    (
        "Which region has the fewest resources?",
        {
            "metrics": ["resource_count"],
            "order_by": [{"field": "resource_count", "direction": "asc"}],
            "limit": 1,
        },
    ),
    ("bottom 3 regions by cost", {"order_by": [{"field": "cost", "direction": "asc"}], "limit": 3}),
    (
        "The 5 most expensive EC2 instances last month",
        {
            "metrics": ["cost"],
            "dimensions": RESOURCE,
            "filters": [F("resource_type", "ec2:instance")],
            "limit": 5,
        },
    ),
    (
        "the cheapest region last month",
        {"dimensions": [D("region")], "order_by": [{"field": "cost", "direction": "asc"}], "limit": 1},
    ),
    # comparisons on metrics (HAVING)
    (
        "Accounts that spent more than 5000 dollars last month",
        {"metrics": ["cost"], "dimensions": ACCOUNT, "filters": [F("cost", 5000, ">")]},
    ),
    (
        "accounts with more than 100 resources",
        {"metrics": ["resource_count"], "dimensions": ACCOUNT, "filters": [F("resource_count", 100, ">")]},
    ),
    ("services costing more than $10k last month", {"filters": [F("cost", 10000, ">")]}),
    # several metrics, several values
    (
        "Resource count and total cost by business unit",
        {"metrics": ["resource_count", "cost"], "dimensions": [D("business_unit")]},
    ),
    (
        "Compare EC2 and RDS cost last month",
        {"dimensions": [D("service")], "filters": [F("service", ("ec2", "rds"), "in")]},
    ),
    (
        "spend for ec2 and s3 combined last month",
        {"dimensions": [], "filters": [F("service", ("ec2", "s3"), "in")]},
    ),
    (
        "Cost of production vs staging last month",
        {"dimensions": [D("environment")], "filters": [F("environment", ("prod", "staging"), "in")]},
    ),
    # negation and tags
    ("Spend by environment excluding sandbox last month", {"filters": [F("environment", "sandbox", "!=")]}),
    ("cost by service except S3 this month", {"filters": [F("service", "s3", "!=")]}),
    ("spend outside of europe", {"filters": [F("region", "europe", "!=")]}),
    ("How many resources are missing an owner tag?", {"filters": [F("tag:owner", op="is null")]}),
    ("How many resources don't have an owner tag?", {"filters": [F("tag:owner", op="is null")]}),
    ("resources with an owner tag", {"filters": [F("tag:owner", op="is not null")]}),
    ("How many resources have no tags?", {"segments": ["untagged"]}),
    ("How many resources are tagged?", {"filters": [F("is_untagged", False)]}),
    ("Total cost of untagged resources last month", {"metrics": ["cost"], "segments": ["untagged"]}),
    ("Count of resources by team tag", {"metrics": ["resource_count"], "dimensions": [D("tag:team")]}),
    ("cost by cost center last month", {"dimensions": [D("tag:cost-center")]}),
    ("how many resources does bob own", {"filters": [F("tag:owner", "bob")]}),
    ("cost for cc-1002", {"filters": [F("tag:cost-center", "cc-1002")]}),
    ("spend in search prod", {"filters": [F("account_name", "search-prod")]}),
    # ratios
    (
        "What percentage of EBS volumes are encrypted?",
        {"metrics": ["encrypted_share"], "filters": [F("resource_type", "ebs:volume")]},
    ),
    (
        "What share of S3 buckets are public?",
        {"metrics": ["public_share"], "filters": [F("resource_type", "s3:bucket")]},
    ),
    ("encryption rate by service", {"metrics": ["encrypted_share"], "dimensions": [D("service")]}),
    ("Cost per resource by service", {"metrics": ["cost_per_resource"], "dimensions": [D("service")]}),
    # listing without a metric
    (
        "List the public S3 buckets in prod accounts",
        {
            "metrics": [],
            "dimensions": RESOURCE,
            "filters": [F("is_public", True), F("resource_type", "s3:bucket"), F("environment", "prod")],
        },
    ),
    (
        "List accounts in the payments business unit",
        {"metrics": [], "dimensions": ACCOUNT, "filters": [F("business_unit", "payments")]},
    ),
    ("which buckets are public?", {"metrics": [], "dimensions": RESOURCE}),
    (
        "Which accounts are in the sandbox environment?",
        {"metrics": [], "dimensions": ACCOUNT, "filters": [F("environment", "sandbox")]},
    ),
    ("What are the names of the stopped RDS databases?", {"metrics": [], "dimensions": RESOURCE}),
    (
        "give me a list of the EKS clusters in prod with their region",
        {"metrics": [], "dimensions": [*RESOURCE, D("region")]},
    ),
    (
        "what are the biggest RDS databases by storage",
        {"metrics": [], "dimensions": [*RESOURCE, D("storage_gb")], "order_by": [{"field": "storage_gb"}]},
    ),
    (
        "what was created last week?",
        {"metrics": [], "time_range": {"kind": "previous", "unit": "week", "dimension": "created_at"}},
    ),
    # more phrasing
    (
        "Which 5 accounts have the most public S3 buckets?",
        {
            "metrics": ["resource_count"],
            "dimensions": ACCOUNT,
            "limit": 5,
            "filters": [F("resource_type", "s3:bucket"), F("is_public", True)],
        },
    ),
    (
        "Show the 3 accounts with the lowest spend this year",
        {"order_by": [{"field": "cost", "direction": "asc"}], "limit": 3},
    ),
    (
        "Which owner has the most expensive resources?",
        {"metrics": ["cost"], "dimensions": [D("tag:owner")], "limit": 1},
    ),
    (
        "How much did resources tagged with team ml cost last month?",
        {"metrics": ["cost"], "dimensions": [], "filters": [F("is_untagged", False), F("tag:team", "ml")]},
    ),
    (
        "How many resources were created before 2026?",
        {
            "time_range": {
                "kind": "between",
                "start": "1900-01-01",
                "end": "2025-12-31",
                "dimension": "created_at",
            }
        },
    ),
    (
        "What is the average size of an S3 bucket in GB by region?",
        {"metrics": ["avg_storage_gb"], "dimensions": [D("region")]},
    ),
    (
        "What is the total cost for all accounts in the staging environment last month?",
        {"metrics": ["cost"], "dimensions": [], "filters": [F("environment", "staging")]},
    ),
    ("how many TB of EBS do we have", {"metrics": ["total_storage_gb"], "filters": [F("service", "ebs")]}),
    ("where are we spending the most?", {"dimensions": [D("region")], "limit": 1}),
    (
        "cost in april and may",
        {"time_range": {"kind": "between", "start": "2026-04-01", "end": "2026-05-31"}},
    ),
    ("spend since the start of the year", {"time_range": {"kind": "current", "unit": "year"}}),
    (
        "cost for the week of june 8",
        {"time_range": {"kind": "between", "start": "2026-06-08", "end": "2026-06-14"}},
    ),
]


def _same(expected: Any, actual: Any, key: str) -> bool:
    if key == "filters":
        return sorted(map(repr, expected)) == sorted(map(repr, actual))
    if key == "order_by":
        return [{"direction": "desc", **o} for o in expected] == [{"direction": "desc", **o} for o in actual]
    return bool(expected == actual)


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[q for q, _ in CASES])
def test_question_to_intent(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    m = ask(mapper, question)
    assert m.status == "answered", m.message
    got = dump(m.intent)  # type: ignore[arg-type]
    for key, want in expected.items():
        assert _same(want, got.get(key, [] if key != "time_range" else None), key), (key, got)
    assert m.message.startswith("interpreted as: ")


@pytest.mark.parametrize("question", [q for q, _ in CASES])
def test_every_answer_compiles(mapper: OfflineMapper, question: str) -> None:
    m = ask(mapper, question)
    assert m.intent is not None
    compiled = compile(m.intent, mapper.model, as_of=AS_OF)
    assert compiled.sql.lstrip().upper().startswith(("SELECT", "WITH"))


@pytest.mark.parametrize(
    "question",
    [
        "Terminate all stopped instances in dev",
        "delete unattached volumes",
        "please stop the dev instances",
        "can you start the sandbox instances",
        "create a new bucket",
        "update the owner tag to bob",
        "make all buckets private",
        "Show cost by region; DROP TABLE inventory.resources; --",
        "spend by region' OR 1=1",
        "cost by service UNION SELECT * FROM pg_user",
        "Show me the SQL for cost by region",
        "What tables are in the database?",
        "show me the schema",
        "What's the weather in Paris?",
        "Tell me a joke",
    ],
)
def test_refused(mapper: OfflineMapper, question: str) -> None:
    m = ask(mapper, question)
    assert m.status == "refused", m
    assert m.intent is None
    assert m.message and "\n" not in m.message


@pytest.mark.parametrize(
    "question",
    [
        "how many idle instances are there",  # 'idle' is not in the model
        "cost of the foo account",
        "how many users do we have",
        "how many regions",  # distinct values are not a metric
        "cost by tag",  # which tag key?
        "average spend by service",  # which average?
        "share of unencrypted volumes",  # only the encrypted share exists
        "How many EC2 instances last month?",  # resources have no default date
        "hello",
        "cost over the last few days",  # a time range it cannot read
        "what is costing us the most",  # the most of what?
        "how many resources cost more than 100 dollars last month",  # needs a per-resource breakdown
    ],
)
def test_clarify(mapper: OfflineMapper, question: str) -> None:
    m = ask(mapper, question)
    assert m.status == "clarify", m
    assert m.suggestions
    assert not m.complete


def test_ignored_words_make_the_answer_incomplete(mapper: OfflineMapper) -> None:
    m = ask(mapper, "storage of orphaned volumes in TB")
    assert m.status == "answered" and not m.complete
    assert "ignored" in m.message


def test_typos_one_letter_away_are_read_and_flagged(mapper: OfflineMapper) -> None:
    m = ask(mapper, "cost by servise last mnth")
    assert m.status == "answered" and not m.complete
    assert dump(m.intent)["dimensions"] == [D("service")]  # type: ignore[arg-type]
    assert "read 'servise' as 'service'" in m.message


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


FOLLOW_UPS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "cost by service last month",
        "now only in prod",
        {"dimensions": [D("service")], "filters": [F("environment", "prod")], "time_range": LAST_MONTH},
    ),
    (
        "cost by service in the last 30 days",
        "what about last month?",
        {"dimensions": [D("service")], "time_range": LAST_MONTH},
    ),
    (
        "What was our total cloud spend last month?",
        "and by region?",
        {"metrics": ["cost"], "dimensions": [D("region")], "time_range": LAST_MONTH},
    ),
    ("cost by service last month", "by region instead", {"dimensions": [D("region")]}),
    (
        "How many EC2 instances are running?",
        "what about RDS?",
        {"filters": [F("resource_type", "rds:db-instance"), F("state", "running")]},
    ),
    (
        "How many EC2 instances are running in each region?",
        "what about in Europe?",
        {
            "dimensions": [D("region")],
            "filters": [F("resource_type", "ec2:instance"), F("state", "running"), F("region", "europe")],
        },
    ),
    (
        "Top 5 accounts by cost last month",
        "show the bottom 5 instead",
        {"order_by": [{"field": "cost", "direction": "asc"}], "limit": 5},
    ),
    ("cost by region last month", "top 3", {"order_by": [{"field": "cost"}], "limit": 3}),
    ("cost by service this year", "monthly", {"dimensions": [D("usage_date", "month"), D("service")]}),
    ("cost by region last month", "exclude sandbox", {"filters": [F("environment", "sandbox", "!=")]}),
]


@pytest.mark.parametrize(
    ("first", "second", "expected"), FOLLOW_UPS, ids=[f"{a} -> {b}" for a, b, _ in FOLLOW_UPS]
)
def test_follow_up(mapper: OfflineMapper, first: str, second: str, expected: dict[str, Any]) -> None:
    m1 = ask(mapper, first)
    assert m1.status == "answered"
    m2 = ask(mapper, second, m1.intent)
    assert m2.status == "answered", m2.message
    got = dump(m2.intent)  # type: ignore[arg-type]
    for key, want in expected.items():
        assert _same(want, got.get(key, []), key), (key, got)
    assert m2.intent.previous is not None  # type: ignore[union-attr]
    compile(m2.intent, mapper.model, as_of=AS_OF)  # type: ignore[arg-type]


def test_deterministic(mapper: OfflineMapper) -> None:
    again = OfflineMapper(load_model(), VALUES)
    for q, _ in CASES:
        assert ask(mapper, q) == ask(again, q)


def test_fast(mapper: OfflineMapper) -> None:
    questions = [q for q, _ in (*CASES, *PARAPHRASES)]
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


# Paraphrases of the kinds of question the first held-out set showed missing (none of them copies):
# "key=value" tags, averages named through a dimension, listings with a size threshold, a ranking word
# that names the metric, superlatives over a tag, two metrics sharing a noun, and exclusion wordings.
NOT_NULL = "is not null"
PARAPHRASES: list[tuple[str, dict[str, Any]]] = [
    # key=value and key:value conditions
    (
        "how many resources have owner=alice",
        {"metrics": ["resource_count"], "filters": [F("tag:owner", "alice")]},
    ),
    (
        "cost by service for tag env:prod last month",
        {"metrics": ["cost"], "dimensions": [D("service")], "filters": [F("tag:env", "prod")]},
    ),
    (
        "count resources with tag:owner=bob",
        {"metrics": ["resource_count"], "filters": [F("tag:owner", "bob")]},
    ),
    (
        "resources tagged cost-center=cc-1002 by region",
        {"dimensions": [D("region")], "filters": [F("is_untagged", False), F("tag:cost-center", "cc-1002")]},
    ),
    (
        "list resources where team = web",
        {"metrics": [], "dimensions": RESOURCE, "filters": [F("tag:team", "web")]},
    ),
    (
        "EC2 instances with team:core per environment",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("environment")],
            "filters": [F("resource_type", "ec2:instance"), F("tag:team", "core")],
        },
    ),
    ("spend for owner=carol last month", {"metrics": ["cost"], "filters": [F("tag:owner", "carol")]}),
    (
        "how many resources carry team=ml, split by service",
        {"metrics": ["resource_count"], "dimensions": [D("service")], "filters": [F("tag:team", "ml")]},
    ),
    (
        "team:ml resources per service",
        {"metrics": ["resource_count"], "dimensions": [D("service")], "filters": [F("tag:team", "ml")]},
    ),
    ("resources excluding owner=alice", {"filters": [F("tag:owner", "alice", "!=")]}),
    (
        "region=eu-west-1 resource count by service",
        {"dimensions": [D("service")], "filters": [F("region", "eu-west-1")]},
    ),
    ("how many resources with environment=production", {"filters": [F("environment", "prod")]}),
    ("resources grouped by tag:team", {"metrics": ["resource_count"], "dimensions": [D("tag:team")]}),
    (
        "number of buckets with owner = zoe",
        {"filters": [F("resource_type", "s3:bucket"), F("tag:owner", "zoe")]},
    ),
    # an average named through what it averages
    ("average RDS storage", {"metrics": ["avg_storage_gb"], "filters": [F("service", "rds")]}),
    (
        "avg bucket size in europe",
        {"metrics": ["avg_storage_gb"], "filters": [F("resource_type", "s3:bucket"), F("region", "europe")]},
    ),
    (
        "mean capacity of S3 buckets in prod",
        {
            "metrics": ["avg_storage_gb"],
            "filters": [F("resource_type", "s3:bucket"), F("environment", "prod")],
        },
    ),
    (
        "What is the typical EBS volume size per region?",
        {
            "metrics": ["avg_storage_gb"],
            "dimensions": [D("region")],
            "filters": [F("resource_type", "ebs:volume")],
        },
    ),
    (
        "How big is the average database?",
        {"metrics": ["avg_storage_gb"], "filters": [F("resource_type", "rds:db-instance")]},
    ),
    (
        "the average size of unattached volumes",
        {"metrics": ["avg_storage_gb"], "segments": ["unattached_volumes"]},
    ),
    # listings with a threshold on a number dimension
    (
        "volumes of at least 500 GB",
        {
            "metrics": [],
            "dimensions": RESOURCE,
            "filters": [F("storage_gb", 500, ">="), F("resource_type", "ebs:volume")],
        },
    ),
    (
        "show EBS volumes that are 200 GB or smaller",
        {"metrics": [], "filters": [F("storage_gb", 200, "<="), F("resource_type", "ebs:volume")]},
    ),
    (
        "which databases have 500 GB or more storage",
        {"metrics": [], "filters": [F("storage_gb", 500, ">="), F("resource_type", "rds:db-instance")]},
    ),
    (
        "list the detached disks 2 TB or bigger",
        {
            "metrics": [],
            "filters": [
                F("storage_gb", 2000, ">="),
                F("state", "available"),
                F("resource_type", "ebs:volume"),
            ],
        },
    ),
    (
        "unattached volumes 1000 GB and up",
        {"metrics": [], "filters": [F("storage_gb", 1000, ">=")], "segments": ["unattached_volumes"]},
    ),
    (
        "list EBS volumes no bigger than 50 GB",
        {"metrics": [], "filters": [F("storage_gb", 50, "<="), F("resource_type", "ebs:volume")]},
    ),
    # a ranking word that names the metric
    (
        "the cheapest 3 regions last month",
        {
            "metrics": ["cost"],
            "dimensions": [D("region")],
            "order_by": [{"field": "cost", "direction": "asc"}],
            "limit": 3,
            "time_range": LAST_MONTH,
        },
    ),
    (
        "the 3 costliest services this year",
        {"metrics": ["cost"], "dimensions": [D("service")], "order_by": [{"field": "cost"}], "limit": 3},
    ),
    (
        "5 cheapest business units in April",
        {
            "metrics": ["cost"],
            "dimensions": [D("business_unit")],
            "order_by": [{"field": "cost", "direction": "asc"}],
            "time_range": {"kind": "month", "month": 4},
        },
    ),
    (
        "which 2 accounts were cheapest in March?",
        {
            "metrics": ["cost"],
            "dimensions": ACCOUNT,
            "order_by": [{"field": "cost", "direction": "asc"}],
            "limit": 2,
        },
    ),
    (
        "5 least expensive accounts in May",
        {
            "metrics": ["cost"],
            "dimensions": ACCOUNT,
            "order_by": [{"field": "cost", "direction": "asc"}],
            "limit": 5,
        },
    ),
    # a superlative over a tag names a tag value, never the rows without the tag
    (
        "which team has the fewest resources?",
        {
            "dimensions": [D("tag:team")],
            "filters": [F("tag:team", op=NOT_NULL)],
            "order_by": [{"field": "resource_count", "direction": "asc"}],
            "limit": 1,
        },
    ),
    (
        "top 3 owners by cost last month",
        {
            "metrics": ["cost"],
            "dimensions": [D("tag:owner")],
            "filters": [F("tag:owner", op=NOT_NULL)],
            "limit": 3,
        },
    ),
    (
        "which cost center spends the most?",
        {"dimensions": [D("tag:cost-center")], "filters": [F("tag:cost-center", op=NOT_NULL)], "limit": 1},
    ),
    (
        "who owns the most buckets?",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("tag:owner")],
            "filters": [F("resource_type", "s3:bucket"), F("tag:owner", op=NOT_NULL)],
            "limit": 1,
        },
    ),
    ("resources by owner", {"dimensions": [D("tag:owner")], "filters": []}),  # a breakdown keeps "no owner"
    # two metrics sharing one noun
    (
        "total and average storage by region",
        {"metrics": ["total_storage_gb", "avg_storage_gb"], "dimensions": [D("region")]},
    ),
    (
        "average and total storage of EBS volumes",
        {"metrics": ["avg_storage_gb", "total_storage_gb"], "filters": [F("resource_type", "ebs:volume")]},
    ),
    (
        "total and average daily spend for S3 in May",
        {"metrics": ["cost", "avg_daily_cost"], "filters": [F("service", "s3")]},
    ),
    (
        "overall and average daily spend per service this month",
        {"metrics": ["cost", "avg_daily_cost"], "dimensions": [D("service")]},
    ),
    (
        "RDS cost over the last 2 weeks: total and daily average",
        {"metrics": ["cost", "avg_daily_cost"], "filters": [F("service", "rds")]},
    ),
    # exclusions
    (
        "cost by region last month excluding payments",
        {"dimensions": [D("region")], "filters": [F("business_unit", "payments", "!=")]},
    ),
    ("resources by service leaving out sandbox", {"filters": [F("environment", "sandbox", "!=")]}),
    (
        "spend per account this year, not including the dev environment",
        {"dimensions": ACCOUNT, "filters": [F("environment", "dev", "!=")]},
    ),
    ("total cost last month setting aside marketing", {"filters": [F("business_unit", "marketing", "!=")]}),
    ("resource count by region, omitting us-east-1", {"filters": [F("region", "us-east-1", "!=")]}),
    (
        "EKS spend by business unit in May, without counting search",
        {
            "dimensions": [D("business_unit")],
            "filters": [F("service", "eks"), F("business_unit", "search", "!=")],
            "time_range": {"kind": "month", "month": 5},
        },
    ),
    ("cost by service aside from EC2", {"filters": [F("service", "ec2", "!=")]}),
]


@pytest.mark.parametrize(("question", "expected"), PARAPHRASES, ids=[q for q, _ in PARAPHRASES])
def test_paraphrase_to_intent(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    m = ask(mapper, question)
    assert m.status == "answered", m.message
    assert m.complete, m.message
    got = dump(m.intent)  # type: ignore[arg-type]
    for key, want in expected.items():
        assert _same(want, got.get(key, [] if key != "time_range" else None), key), (key, got)
    compiled = compile(m.intent, mapper.model, as_of=AS_OF)  # type: ignore[arg-type]
    assert compiled.sql.lstrip().upper().startswith(("SELECT", "WITH"))


PARAPHRASE_FOLLOW_UPS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "How large is the average EBS volume?",
        "what about for S3?",
        {"metrics": ["avg_storage_gb"], "filters": [F("resource_type", "s3:bucket")]},
    ),
    (
        "mean bucket size",
        "and for RDS?",
        {"metrics": ["avg_storage_gb"], "filters": [F("resource_type", "rds:db-instance")]},
    ),
    (
        "storage of unattached volumes by region",
        "what about attached ones?",
        {"segments": [], "filters": [F("resource_type", "ebs:volume"), F("state", "in-use")]},
    ),
    (
        "which owner has the most resources?",
        "and the fewest?",
        {
            "filters": [F("tag:owner", op=NOT_NULL)],
            "order_by": [{"field": "resource_count", "direction": "asc"}],
        },
    ),
]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    PARAPHRASE_FOLLOW_UPS,
    ids=[f"{a} -> {b}" for a, b, _ in PARAPHRASE_FOLLOW_UPS],
)
def test_paraphrase_follow_up(
    mapper: OfflineMapper, first: str, second: str, expected: dict[str, Any]
) -> None:
    test_follow_up(mapper, first, second, expected)


@pytest.mark.parametrize(
    "question",
    [
        "median bucket size",  # a median is not an average
        "average number of resources per account",  # no such average in the model
        "cost for foo=bar",  # a key the model does not know
        "and for RDS?",  # a follow-up with no earlier question to change
        "what about last month?",
    ],
)
def test_clarify_paraphrases(mapper: OfflineMapper, question: str) -> None:
    test_clarify(mapper, question)


def test_key_value_tokens_keep_the_model_values_whole() -> None:
    from runtime.mappers.tokens import phrase_key, tokenize

    assert [t.text for t in tokenize("team=ml")] == ["team", "=", "ml"]
    assert [t.text for t in tokenize("at 10:30")] == ["at", "10:30"]  # a time of day stays one word
    assert phrase_key("a:b-c") == phrase_key("A:B-C")
    assert [t.glued for t in tokenize("cc-1003")] == [False, True]


@pytest.mark.parametrize("question", ["Draft an email to the data team about their storage",
                                      "send a slack message with yesterday's spend",
                                      "email me the cost by region"])
def test_requests_to_write_or_send_messages_are_refused(mapper: OfflineMapper, question: str) -> None:
    """crq answers with data; writing or sending a message is neither a question nor read-only."""
    assert mapper.map(question).status == "refused"


EC2 = F("resource_type", "ec2:instance")
LAST_MONTH_RANGE = {"kind": "previous", "unit": "month"}


def _between(start: str, end: str) -> dict[str, Any]:
    return {"kind": "between", "start": start, "end": end}


# Kinds of question the second held-out set found missing, each in several wordings of our own.
MORE_KINDS: list[tuple[str, dict[str, Any]]] = [
    # everyday nouns for instances come from the model's value synonyms
    (
        "stopped machines per business unit",
        {"dimensions": [D("business_unit")], "filters": [EC2, F("state", "stopped")]},
    ),
    (
        "how many boxes are running in eu-west-1",
        {"metrics": ["resource_count"], "filters": [EC2, F("state", "running"), F("region", "eu-west-1")]},
    ),
    ("count virtual machines by region", {"dimensions": [D("region")], "filters": [EC2]}),
    ("cost of machines last month", {"metrics": ["cost"], "filters": [EC2], "time_range": LAST_MONTH_RANGE}),
    # "<key>=<value>" with a key spelled as a tag key: the tag, even when a dimension has that synonym
    ("how many resources have env=staging", {"filters": [F("tag:env", "staging")]}),
    (
        "resources tagged env=prod by service",
        {"dimensions": [D("service")], "filters": [F("is_untagged", False), F("tag:env", "prod")]},
    ),
    ("cost for env=dev last month", {"metrics": ["cost"], "filters": [F("tag:env", "dev")]}),
    ("cost for environment=prod", {"metrics": ["cost"], "filters": [F("environment", "prod")]}),
    # days of one month
    ("cost between 1 and 15 March 2026", {"time_range": _between("2026-03-01", "2026-03-15")}),
    ("spend from 3 to 9 May 2026", {"time_range": _between("2026-05-03", "2026-05-09")}),
    (
        "EC2 cost 1-15 April",
        {"filters": [F("service", "ec2")], "time_range": _between("2026-04-01", "2026-04-15")},
    ),
    ("cost from April 2 to 20", {"time_range": _between("2026-04-02", "2026-04-20")}),
    # "since the start of <month>"
    (
        "Lambda spend since the start of May",
        {"filters": [F("service", "lambda")], "time_range": {"kind": "since", "start": "2026-05-01"}},
    ),
    (
        "cost by service since the beginning of April",
        {"dimensions": [D("service")], "time_range": {"kind": "since", "start": "2026-04-01"}},
    ),
    # a name the model has never seen, written before the noun for its kind of row
    (
        "What did the web-prod-3 instance cost last month?",
        {"metrics": ["cost"], "filters": [F("resource_name", "web-prod-3"), EC2]},
    ),
    (
        "cost of the logs-archive-12 bucket this year",
        {"filters": [F("resource_name", "logs-archive-12"), F("resource_type", "s3:bucket")]},
    ),
    # "which single <entity>": the top one
    (
        "Which single account spent the most last month?",
        {"dimensions": ACCOUNT, "limit": 1, "order_by": [{"field": "cost"}]},
    ),
    ("the single biggest service by cost this quarter", {"dimensions": [D("service")], "limit": 1}),
    # two counts, the count words repeated
    (
        "number of public and of encrypted resources per region",
        {"metrics": ["public_count", "encrypted_count"], "dimensions": [D("region")]},
    ),
    (
        "Summarize the count of public and of encrypted resources by service",
        {"metrics": ["public_count", "encrypted_count"], "dimensions": [D("service")]},
    ),
    # a threshold on a per-day average
    (
        "regions averaging more than $500 a day last month",
        {"dimensions": [D("region")], "filters": [F("avg_daily_cost", 500, ">")]},
    ),
    (
        "which services average above $300 a day this quarter",
        {"dimensions": [D("service")], "filters": [F("avg_daily_cost", 300, ">")]},
    ),
    (
        "accounts spending over $1,000 per day this month",
        {"dimensions": ACCOUNT, "filters": [F("avg_daily_cost", 1000, ">")]},
    ),
    # a threshold on a group's total
    (
        "regions with over 5 TB of storage",
        {"metrics": ["total_storage_gb"], "dimensions": [D("region")], "filters": [F("total_storage_gb", 5000, ">")]},
    ),
    (
        "business units with more than 200,000 GB",
        {"dimensions": [D("business_unit")], "filters": [F("total_storage_gb", 200000, ">")]},
    ),
    (
        "environments with over 100000 GB provisioned",
        {"dimensions": [D("environment")], "filters": [F("total_storage_gb", 100000, ">")]},
    ),
    # ... and on each row's own size, counted per group
    (
        "buckets with at least 500 GB of storage by region",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("region")],
            "filters": [F("storage_gb", 500, ">="), F("resource_type", "s3:bucket")],
        },
    ),
    (
        "volumes with more than 100 GB of storage per environment",
        {
            "metrics": ["resource_count"],
            "dimensions": [D("environment")],
            "filters": [F("storage_gb", 100, ">"), F("resource_type", "ebs:volume")],
        },
    ),
    # "everything except <value>"
    (
        "What did everything except S3 cost last month?",
        {"metrics": ["cost"], "filters": [F("service", "s3", "!=")], "time_range": LAST_MONTH_RANGE},
    ),
    ("how much did everything but lambda cost this year", {"filters": [F("service", "lambda", "!=")]}),
    (
        "what did all but EC2 cost over the last 30 days",
        {"metrics": ["cost"], "filters": [F("service", "ec2", "!=")]},
    ),
    ("summarise cost by region", {"metrics": ["cost"], "dimensions": [D("region")]}),
]


@pytest.mark.parametrize(("question", "expected"), MORE_KINDS, ids=[q for q, _ in MORE_KINDS])
def test_more_kinds_to_intent(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


MORE_FOLLOW_UPS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Total provisioned storage per business unit",
        "split that by environment as well",
        {"metrics": ["total_storage_gb"], "dimensions": [D("business_unit"), D("environment")]},
    ),
    (
        "cost by service last month",
        "break it down by region too",
        {"dimensions": [D("service"), D("region")], "time_range": LAST_MONTH_RANGE},
    ),
    (
        "resource count by region",
        "split it by service",
        {"dimensions": [D("service")]},
    ),
]


@pytest.mark.parametrize(
    ("first", "second", "expected"), MORE_FOLLOW_UPS, ids=[f"{a} -> {b}" for a, b, _ in MORE_FOLLOW_UPS]
)
def test_more_follow_ups(mapper: OfflineMapper, first: str, second: str, expected: dict[str, Any]) -> None:
    test_follow_up(mapper, first, second, expected)


@pytest.mark.parametrize(
    "question",
    [
        "the count of public and of unencrypted resources by account",  # no metric counts the unencrypted
    ],
)
def test_two_counts_without_metrics_ask(mapper: OfflineMapper, question: str) -> None:
    test_clarify(mapper, question)


# --- shares, periods before the last one, age, totals of a size, "each <value> <entity>" ------------

PROD = F("environment", "prod")
SHARES_AND_MORE: list[tuple[str, dict[str, Any]]] = [
    # a share of a part: the conditions after the thing the share is of make the part
    ("What share of last month's spend came from production accounts?",
     {"metrics": ["cost"], "filters": [], "share": {"part": [PROD]}, "time_range": LAST_MONTH_RANGE}),
    ("what fraction of EC2 instances are running",
     {"metrics": ["resource_count"], "filters": [F("resource_type", "ec2:instance")],
      "share": {"part": [F("state", "running")]}}),
    ("what percentage of resources are in prod", {"metrics": ["resource_count"], "share": {"part": [PROD]}}),
    ("what proportion of our ec2 spend is in europe",
     {"metrics": ["cost"], "filters": [F("service", "ec2")],
      "share": {"part": [F("region", "europe")]}}),  # the group is expanded by the compiler
    ("what percentage of volumes are unencrypted",  # the complement of the model's ratio, as a share
     {"metrics": ["resource_count"], "filters": [F("resource_type", "ebs:volume")],
      "share": {"part": [F("is_encrypted", False)]}}),
    # a share of the total over the groups
    ("Break down the last 30 days of spend as a percentage per service",
     {"metrics": ["cost"], "dimensions": [D("service")], "share": {},
      "time_range": {"kind": "trailing", "unit": "day", "n": 30}}),
    ("share of resources by region", {"metrics": ["resource_count"], "dimensions": [D("region")], "share": {}}),
    # the model's own ratio still wins where it exists
    ("what percent of S3 buckets are public", {"metrics": ["public_share"], "share": []}),
    # periods counted back from the last one
    ("What did we spend on compute the week before last?",
     {"metrics": ["cost"], "time_range": {"kind": "previous", "unit": "week", "skip": 1}}),
    ("cost by service two months ago",
     {"dimensions": [D("service")], "time_range": {"kind": "previous", "unit": "month", "skip": 1}}),
    ("spend the day before yesterday", {"time_range": {"kind": "previous", "unit": "day", "skip": 1}}),
    # "-by-" series
    ("Month-by-month DynamoDB costs for the last six months",
     {"metrics": ["cost"], "dimensions": [D("usage_date", "month")], "filters": [F("service", "dynamodb")]}),
    ("Day-by-day load balancer spend this week", {"dimensions": [D("usage_date", "day")]}),
    # "sitting" is not a value
    ("Any RDS databases sitting stopped in staging? How many?",
     {"metrics": ["resource_count"],
      "filters": [F("resource_type", "rds:db-instance"), F("state", "stopped"), F("environment", "staging")]}),
    # a total of a size is the summed size, not a count by instance size
    ("For each region, give me the number of EBS volumes and their total size",
     {"metrics": ["resource_count", "total_storage_gb"], "dimensions": [D("region")]}),
    ("total size of EBS volumes by region", {"metrics": ["total_storage_gb"], "dimensions": [D("region")]}),
    # "each <value> <entity>": those entities, each
    ("Show each payments account with its resource count and what it spent last month",
     {"metrics": ["resource_count", "cost"], "dimensions": ACCOUNT, "filters": [F("business_unit", "payments")]}),
    ("cost for each prod account last month", {"dimensions": ACCOUNT, "filters": [PROD]}),
    # the oldest / newest rows, by their own date
    ("When was the oldest RDS database in payments-prod created?",
     {"metrics": [], "dimensions": [*RESOURCE, D("created_at")],
      "order_by": [{"field": "created_at", "direction": "asc"}], "limit": 1}),
    ("the 3 newest ec2 instances",
     {"metrics": [], "order_by": [{"field": "created_at", "direction": "desc"}], "limit": 3}),
]


@pytest.mark.parametrize(("question", "expected"), SHARES_AND_MORE, ids=[q for q, _ in SHARES_AND_MORE])
def test_shares_and_more_to_intent(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


BEFORE_THAT: list[tuple[str, str, dict[str, Any]]] = [
    ("What did we spend yesterday?", "and the day before that?",
     {"time_range": {"kind": "previous", "unit": "day", "skip": 1}}),
    ("cost by service last month", "what about the month before that",
     {"dimensions": [D("service")], "time_range": {"kind": "previous", "unit": "month", "skip": 1}}),
    ("cost today", "and the day before that", {"time_range": {"kind": "previous", "unit": "day"}}),
    ("cost in the last 7 days", "and the week before that",
     {"time_range": {"kind": "between", "start": "2026-06-04", "end": "2026-06-10"}}),
    ("count of EBS volumes by region", "restrict that to the unattached ones",
     {"filters": [F("resource_type", "ebs:volume"), F("state", "available")], "dimensions": [D("region")]}),
]


@pytest.mark.parametrize(("first", "second", "expected"), BEFORE_THAT,
                         ids=[f"{a} -> {b}" for a, b, _ in BEFORE_THAT])
def test_the_period_before_that(mapper: OfflineMapper, first: str, second: str, expected: dict[str, Any]) -> None:
    test_follow_up(mapper, first, second, expected)


@pytest.mark.parametrize("question", [
    "the day before that?",  # before what?
    "share of unencrypted volumes",  # a share of what whole? both readings are plausible
    "what percentage of average storage is in prod",  # an average has no parts that add up
])
def test_shares_and_periods_that_ask_back(mapper: OfflineMapper, question: str) -> None:
    test_clarify(mapper, question)


RANKS_RATES_AND_SIDES: list[tuple[str, dict[str, Any]]] = [
    # the metric said before "the most" ranks, even when a value follows
    ("which team spends the most on s3",
     {"metrics": ["cost"], "dimensions": [D("tag:team")], "order_by": [{"field": "cost"}], "limit": 1}),
    # "per day on average": the metric that averages per day
    ("what are we paying for lambda per day on average this month",
     {"metrics": ["avg_daily_cost"], "dimensions": [], "filters": [F("service", "lambda")]}),
    # both sides of a yes/no: side by side
    ("encrypted vs unencrypted volumes",
     {"metrics": ["resource_count"], "dimensions": [D("is_encrypted")], "filters": [F("resource_type", "ebs:volume")]}),
    # a grouping the question fixes to one value meant the other dimension the word names
    ("how many instances of each type",
     {"dimensions": [D("instance_type")], "filters": [F("resource_type", "ec2:instance")]}),
    # "and the <dimension> they are in" is a column of the listing
    ("show me unencrypted volumes and the region they are in",
     {"metrics": [], "dimensions": [*RESOURCE, D("region")]}),
]


@pytest.mark.parametrize(("question", "expected"), RANKS_RATES_AND_SIDES, ids=[q for q, _ in RANKS_RATES_AND_SIDES])
def test_ranks_rates_and_sides(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


def test_an_unknown_thing_after_an_everyday_word_is_asked_about(mapper: OfflineMapper) -> None:
    """ "spend on data transfer": the model has no such thing; the total cost would be a wrong answer."""
    test_clarify(mapper, "what did we spend on data transfer")


@pytest.mark.parametrize("second", ["make it 10", "show 10 instead", "what about the top 10", "top ten then"])
def test_a_new_length_keeps_the_ranking(mapper: OfflineMapper, second: str) -> None:
    test_follow_up(mapper, "top 5 accounts by spend this quarter", second,
                   {"limit": 10, "order_by": [{"field": "cost"}], "dimensions": ACCOUNT})


def test_a_bare_number_without_a_ranking_is_asked_about(mapper: OfflineMapper) -> None:
    first = ask(mapper, "cost by service")
    assert ask(mapper, "make it 10", first.intent).status == "clarify"


PERIODS_AND_LISTS: list[tuple[str, dict[str, Any]]] = [
    ("how much did we spend in each of the last 3 months",
     {"dimensions": [D("usage_date", "month")], "time_range": {"kind": "previous", "unit": "month", "n": 3}}),
    ("cost in the first half of the year",
     {"time_range": {"kind": "between", "start": "2026-01-01", "end": "2026-06-30"}}),
    ("spending last month compared with the month before",
     {"dimensions": [D("usage_date", "month")], "time_range": {"kind": "previous", "unit": "month", "n": 2}}),
    ("cost this month vs last month by service",
     {"dimensions": [D("usage_date", "month"), D("service")], "time_range": {"kind": "since", "start": "2026-05-01"}}),
    ("ec2 share of spend by month",
     {"dimensions": [D("usage_date", "month")], "share": {"part": [F("service", "ec2")]}}),
    ("show me every account with its business unit and environment",
     {"metrics": [], "dimensions": [*ACCOUNT, D("business_unit"), D("environment")]}),
    ("list public buckets with their region and account",
     {"metrics": [], "dimensions": [*RESOURCE, D("region"), *ACCOUNT]}),
]


@pytest.mark.parametrize(("question", "expected"), PERIODS_AND_LISTS, ids=[q for q, _ in PERIODS_AND_LISTS])
def test_periods_side_by_side_and_listing_columns(mapper: OfflineMapper, question: str,
                                                   expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("how many internet-exposed resources per account",  # known words hyphenated are not a name
     {"metrics": ["resource_count"], "dimensions": ACCOUNT, "filters": [F("is_public", True)]}),
    ("How many resources lack encryption across the org?",  # "across the <x>": all of it, once
     {"metrics": ["resource_count"], "dimensions": [], "filters": [F("is_encrypted", False)]}),
    ("total cost across all accounts last month", {"metrics": ["cost"], "dimensions": []}),
    ("cost across regions", {"dimensions": [D("region")]}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_scope_words_and_hyphenated_words(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("quarterly spend for 2025 and 2026",
     {"dimensions": [D("usage_date", "quarter")],
      "time_range": {"kind": "between", "start": "2025-01-01", "end": "2026-12-31"}}),
    ("cost for the period 1 march to 15 march",
     {"time_range": {"kind": "between", "start": "2026-03-01", "end": "2026-03-15"}}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_spans_of_years_and_periods(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("How is our storage split across environments, in percent?",
     {"metrics": ["total_storage_gb"], "dimensions": [D("environment")], "share": {}}),
    ("For the platform team, what did their resources cost last month?",  # the amount, not per resource
     {"metrics": ["cost"], "dimensions": [], "filters": [F("business_unit", "platform")]}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_percent_units_and_what_did(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    m = ask(mapper, question)
    assert m.status == "answered", m.message
    got = dump(m.intent)  # type: ignore[arg-type]
    for key, want in expected.items():
        assert _same(want, got.get(key, []), key), (key, got)


def test_counting_rows_by_another_metric_asks_for_a_breakdown(mapper: OfflineMapper) -> None:
    """ "how many accounts have more than 1,000 resources" would need a count of groups; a HAVING on
    the total is a different number."""
    test_clarify(mapper, "How many accounts have more than 1,000 resources?")


@pytest.mark.parametrize(("question", "expected"), [
    # "the most <value> <metric>": the value filters, the metric ranks
    ("which region had the most S3 spend last month",
     {"metrics": ["cost"], "dimensions": [D("region")], "filters": [F("service", "s3")],
      "order_by": [{"field": "cost"}], "limit": 1}),
    # "<yes/no word> and <yes/no word> counts": the model's count for each
    ("public and encrypted counts of volumes per region",
     {"metrics": ["public_count", "encrypted_count"], "dimensions": [D("region")],
      "filters": [F("resource_type", "ebs:volume")]}),
    # "burned" is spend (a synonym in the model), "burn rate" stays the daily average
    ("what did the payments unit burn yesterday", {"metrics": ["cost"], "filters": [F("business_unit", "payments")]}),
    ("burn rate by region", {"metrics": ["avg_daily_cost"], "dimensions": [D("region")]}),
    ("average allocated storage per database", {"metrics": ["avg_storage_gb"]}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_value_before_metric_counts_of_booleans_and_burn(mapper: OfflineMapper, question: str,
                                                         expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("cost by account environment", {"dimensions": [D("environment")]}),  # the account's environment
    ("cost by account, environment", {"dimensions": [*ACCOUNT, D("environment")]}),  # two groupings
    ("cost by region, service", {"dimensions": [D("region"), D("service")]}),
    ("Show me the EKS clusters in ap-northeast-1 and which account each is in",
     {"metrics": [], "dimensions": [*RESOURCE, *ACCOUNT],
      "filters": [F("resource_type", "eks:cluster"), F("region", "ap-northeast-1")]}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_commas_qualified_dimensions_and_which_columns(mapper: OfflineMapper, question: str,
                                                        expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("how many buckets are public and how many are encrypted",  # a count each, not one count of both
     {"metrics": ["public_count", "encrypted_count"], "filters": [F("resource_type", "s3:bucket")]}),
    ("how many public and how many encrypted buckets by region",  # the model counts each
     {"metrics": ["public_count", "encrypted_count"], "dimensions": [D("region")]}),
    ("per region, how many volumes are encrypted and how many are public",
     {"metrics": ["encrypted_count", "public_count"], "dimensions": [D("region")]}),
    ("how many public and encrypted buckets",  # one count of the buckets that are both
     {"metrics": ["resource_count"], "filters": [F("is_public", True), F("is_encrypted", True),
                                                 F("resource_type", "s3:bucket")]}),
    ("what share of storage gb is in prod",  # a share of a number: its sum
     {"metrics": ["total_storage_gb"], "share": {"part": [PROD]}}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_counts_of_each_and_shares_of_numbers(mapper: OfflineMapper, question: str, expected: dict[str, Any]) -> None:
    test_paraphrase_to_intent(mapper, question, expected)


def test_two_kinds_of_things_joined_by_and_are_asked_about(mapper: OfflineMapper) -> None:
    """Rows that are a lambda (service) and a DynamoDB table (resource type) at once do not exist: the
    AND would answer zero, a plausible wrong number."""
    test_clarify(mapper, "how many lambdas and dynamodb tables do we have")
    # values of one dimension are either of them; yes/no words are both at once
    test_paraphrase_to_intent(mapper, "cost of ec2 instances and rds databases",
                              {"filters": [F("resource_type", ["ec2:instance", "rds:db-instance"], "in")]})
