"""Each interpretation pass on its own: a question, read and run through ``PASSES`` up to one pass, and
the whole state that pass leaves (every field that differs from a fresh state, every field of the
parts that differs from empty parts, and each item's use), compared exactly.

These pin what each pass reads and writes (``runtime/mappers/passes/``), so a change that moves work
between passes or breaks the order coupling written next to ``interpretation.PASSES`` fails here with
the pass named, not only as a different intent in the mapper cases.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest
from test_mapper_cases import AS_OF, VALUES

from models.intent import DimensionRef, Filter, Grain, Op, OrderBy, TimeRange
from models.units import Unit
from runtime.mappers import interpretation
from runtime.mappers.english import MARKERS
from runtime.mappers.interpretation import ASSEMBLY, BINDING, NOTES, PASSES, interpret
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.binding import ITEM_BINDERS
from runtime.mappers.passes.markers import MARKER_BINDERS, PLAIN_ROLES
from runtime.mappers.passes.state import Parts, State
from runtime.mappers.reading import Reading, read_question
from runtime.mappers.senses import choose_senses
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary
from semantic import load_model

_VOCAB: list[Vocabulary] = []


def vocab() -> Vocabulary:
    if not _VOCAB:
        _VOCAB.append(Vocabulary.build(load_model(), VALUES))
    return _VOCAB[0]


def reading(question: str) -> Reading:
    """The reading the offline mapper interprets for a new question (its senses chosen)."""
    return choose_senses(read_question(question, vocab(), AS_OF), vocab()).reading


def state_after(question: str, last: str) -> State:
    """The state once the pass named ``last`` has run (every pass before it too, in ``PASSES`` order)."""
    names = [p.__name__ for p in PASSES]
    assert last in names, f"no pass {last}; passes: {names}"
    st = State.start(reading(question), vocab())
    for p in PASSES[: names.index(last) + 1]:
        p(st)
    return st


def _plain(name: str, value: Any) -> Any:
    if name == "changes":  # the words asking for a change, by what they say
        return [it.text for it in value]
    if name == "ranges":  # item index -> the range said there
        return [(k, tp.time_range) for k, tp in value]
    if name == "unit_said":  # keyed by the filter's id: the units said, in order
        return list(value.values())
    return value


def changed_state(st: State) -> dict[str, Any]:
    """Every working field of ``st`` that differs from a fresh state of the same question."""
    fresh = State.start(reading(st.reading.question), st.vocab)
    skip = {"reading", "vocab", "parts", "uses", "bound"}  # the items' uses: ``uses(st)``
    return {
        f.name: _plain(f.name, getattr(st, f.name))
        for f in dataclasses.fields(State)
        if f.name not in skip
        and _plain(f.name, getattr(st, f.name)) != _plain(f.name, getattr(fresh, f.name))
    }


def changed_parts(st: State) -> dict[str, Any]:
    """Every field of the parts that differs from empty parts."""
    empty = Parts()
    return {
        f.name: getattr(st.parts, f.name)
        for f in dataclasses.fields(Parts)
        if getattr(st.parts, f.name) != getattr(empty, f.name)
    }


def uses(st: State) -> list[tuple[str, str, bool]]:
    """Each item: its words, what a pass decided it is for, and whether a marker found its target."""
    return [(it.text, st.use_of(it).value, st.is_bound(it)) for it in st.items]


def eq(field: str, value: object) -> Filter:
    return Filter(field=field, op=Op.EQ, value=value)  # type: ignore[arg-type]


LAST_MONTH = TimeRange(kind="previous", unit=Grain.MONTH)
MARCH = TimeRange(kind="month", month=3, year=2026)
APRIL = TimeRange(kind="month", month=4, year=2026)
LABELS = [DimensionRef(name="account_id"), DimensionRef(name="account_name")]
EC2 = eq("service", "ec2")
S3 = eq("service", "s3")
BUCKETS = eq("resource_type", "s3:bucket")
INSTANCES = eq("resource_type", "ec2:instance")
RUNNING = eq("state", "running")

# (question, the pass, each item's (words, use, bound), the state's changed fields, the parts' changed fields)
CASES: list[tuple[str, str, list[tuple[str, str, bool]], dict[str, Any], dict[str, Any]]] = [
    (  # a superlative that names a metric sets the ranking before anything binds
        "the cheapest service last month",
        "read_directions",
        [("cheapest", "", False), ("service", "", False), ("last month", "", False)],
        {"sort_metric": "cost", "direction": "asc", "direction_said": True, "superlative": True},
        {"has_domain_words": True},
    ),
    (  # "over 2,000 a day": the comparison is on the metric that averages per day; "a day" is used up
        "accounts averaging over 2,000 a day",
        "bind_rates",
        [("accounts", "", False), ("averaging", "", True), ("over 2000", "", False), ("a day", "", True)],
        {"rates": {2: "avg_daily_cost"}},
        {"has_domain_words": True},
    ),
    (  # the rank's limit and direction, the grouping it ranks, the metric "by" names, the range
        "top 5 accounts by cost last month",
        "bind_items",
        [
            ("top 5", "", True),
            ("accounts", "ranked", False),
            ("by", "", True),
            ("cost", "sort_metric", False),
            ("last month", "", False),
        ],
        {
            "sort_metric": "cost",
            "direction": "desc",
            "direction_said": True,
            "generic_rank": True,
            "limit": 5,
            "ranges": [(4, LAST_MONTH)],
        },
        {"dimensions": LABELS, "time_range": LAST_MONTH, "markers": {Role.GROUP}, "has_domain_words": True},
    ),
    (  # "by" groups, "excluding" negates the value after it
        "cost by service excluding ec2",
        "bind_items",
        [
            ("cost", "", False),
            ("by", "", True),
            ("service", "group", False),
            ("excluding", "", True),
            ("ec2", "negated", False),
        ],
        {},
        {
            "dimensions": [DimensionRef(name="service")],
            "markers": {Role.GROUP, Role.NEG},
            "has_domain_words": True,
        },
    ),
    (  # "how many": a count of the rows the words after it name
        "how many instances are running",
        "bind_items",
        [("how many", "", True), ("instances", "", False), ("running", "", False)],
        {"count_requested": True, "count_default": "resource_count", "count_tables": ["resources"]},
        {"markers": {Role.COUNT}, "has_domain_words": True},
    ),
    (  # "the most <entities>": ranked by how many
        "which account has the most buckets",
        "bind_items",
        [
            ("which", "", True),
            ("account", "which", False),
            ("has", "", True),
            ("most", "", True),
            ("buckets", "", False),
        ],
        {
            "sort_count_table": "resources",
            "direction": "desc",
            "superlative": True,
            "direction_said": True,
            "singular_target": True,
            "which_refs": LABELS,
            "which_tables": ["accounts", "accounts"],
        },
        {"dimensions": LABELS, "markers": {Role.WITH, Role.WHICH}, "has_domain_words": True},
    ),
    (  # "spends the most on <value>": ranked by the metric said before, the value still filters
        "which service spends the most on prod",
        "bind_items",
        [
            ("which", "", True),
            ("service", "which", False),
            ("spends", "sort_metric", False),
            ("most", "", True),
            ("prod", "", False),
        ],
        {
            "sort_metric": "cost",
            "direction": "desc",
            "superlative": True,
            "direction_said": True,
            "singular_target": True,
        },
        {"dimensions": [DimensionRef(name="service")], "markers": {Role.WHICH}, "has_domain_words": True},
    ),
    (  # "how many TB of ...": an amount shown in TB, no count (the count binder uses the marker up)
        "how many TB of storage do we have",
        "bind_items",
        [("how many", "", True), ("TB", "", True), ("storage", "", False), ("do we have", "", True)],
        {},
        {
            "metrics": ["total_storage_gb"],
            "markers": {Role.COUNT, Role.EXISTS},
            "has_domain_words": True,
            "units": {"total_storage_gb": Unit.TB},
        },
    ),
    (  # "total and average daily cost": "total" + the noun names another metric, said first
        "total and average daily cost",
        "bind_coordination",
        [("and", "", True), ("average daily cost", "", False)],
        {"coordinated": [("cost", "avg_daily_cost")]},
        {"markers": {Role.AND}, "has_domain_words": True},
    ),
    (  # a number after a metric: a condition on that metric (per group, placed when assembling)
        "accounts with cost over 1000",
        "bind_comparisons",
        [("accounts", "", False), ("with", "", True), ("cost", "", False), ("over 1000", "", False)],
        {"having": [("cost", Op.GT, 1000, None, None)]},
        {"markers": {Role.WITH}, "has_domain_words": True},
    ),
    (  # a size with nothing else named: each row's size, in the unit said
        "volumes bigger than 1 TB",
        "bind_comparisons",
        [("volumes", "", False), ("bigger than 1 TB", "", False)],
        {},
        {
            "filters": [Filter(field="storage_gb", op=Op.GT, value=1, unit=Unit.TB)],
            "has_domain_words": True,
        },
    ),
    (  # a number before rows: a condition on how many there are
        "accounts with more than 200 resources",
        "bind_comparisons",
        [
            ("accounts", "", False),
            ("with", "", True),
            ("more than 200", "", False),
            ("resources", "count_subject", False),
        ],
        {"having": [("resource_count", Op.GT, 200, None, None)]},
        {"markers": {Role.WITH}, "has_domain_words": True},
    ),
    (  # a size after plural groups: the groups' total size
        "regions with over 300,000 GB",
        "bind_comparisons",
        [("regions", "", False), ("with", "", True), ("over 300000 GB", "", False)],
        {
            "having": [("total_storage_gb", Op.GT, 300000, "gb", Unit.GB)],
            "implied_metrics": ["total_storage_gb"],
        },
        {"markers": {Role.WITH}, "has_domain_words": True},
    ),
    (  # a size after rows: each row's own size (said in the model's unit, kept if shown in another)
        "EBS volumes with at least 300 GB",
        "bind_comparisons",
        [("EBS volumes", "", False), ("with", "", True), ("at least 300 GB", "", False)],
        {"unit_said": [Unit.GB]},
        {
            "filters": [Filter(field="storage_gb", op=Op.GTE, value=300)],
            "markers": {Role.WITH},
            "has_domain_words": True,
        },
    ),
    (  # ... and the size metric after the number is what is compared, not a second metric asked for
        "EBS volumes with at least 300 GB of storage",
        "bind_comparisons",
        [
            ("EBS volumes", "", False),
            ("with", "", True),
            ("at least 300 GB", "", False),
            ("storage", "compared", False),
        ],
        {"unit_said": [Unit.GB]},
        {
            "filters": [Filter(field="storage_gb", op=Op.GTE, value=300)],
            "markers": {Role.WITH},
            "has_domain_words": True,
        },
    ),
    (  # in a listing, "their <dimension>" is a column, not a grouping
        "list instances and their region",
        "default_roles",
        [("list", "", True), ("instances", "filter", False), ("and", "", True), ("region", "column", False)],
        {"list_requested": True, "columns": [DimensionRef(name="region")]},
        {"markers": {Role.LIST, Role.AND}, "has_domain_words": True},
    ),
    (  # a date word says which date the range is on
        "buckets created last week",
        "default_roles",
        [("buckets", "filter", False), ("created", "time_hint", False), ("last week", "", False)],
        {"time_hint": "created_at", "ranges": [(2, TimeRange(kind="previous", unit=Grain.WEEK))]},
        {"time_range": TimeRange(kind="previous", unit=Grain.WEEK), "has_domain_words": True},
    ),
    (  # what no marker took: the metric is asked for, the values filter
        "cost of ec2 in us-east-1",
        "default_roles",
        [("cost", "metric", False), ("ec2", "filter", False), ("us east 1", "filter", False)],
        {},
        {"has_domain_words": True},
    ),
    (  # "from March to April" with a change: April now, March then
        "how did cost change from March to April",
        "read_change",
        [("cost", "metric", False), ("change", "", True), ("from March to April", "", False)],
        {
            "ranges": [(2, TimeRange(kind="between", start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 30)))],
            "compare_to": MARCH,
        },
        {"time_range": APRIL, "markers": {Role.CHANGE}, "has_domain_words": True},
    ),
    (  # two values of one field: IN, and (not summed) one row each
        "cost of ec2 and s3 by region",
        "place_filters",
        [
            ("cost", "metric", False),
            ("ec2", "filter", False),
            ("and", "", True),
            ("s3", "filter", False),
            ("by", "", True),
            ("region", "group", False),
        ],
        {"by_field": {"service": [EC2, S3]}, "said_at": {EC2: 2, S3: 4}},
        {
            "metrics": ["cost"],
            "dimensions": [DimensionRef(name="region"), DimensionRef(name="service")],
            "filters": [Filter(field="service", op=Op.IN, value=("ec2", "s3"))],
            "markers": {Role.AND, Role.GROUP},
            "has_domain_words": True,
        },
    ),
    (  # a percentage with no ratio metric: the share of cost whose part is ec2
        "what percentage of cost is ec2",
        "place_share",
        [("what percentage", "", True), ("cost", "metric", False), ("ec2", "filter", False)],
        {
            "ratio_requested": True,
            "ratio_at": 0,
            "said_at": {EC2: 5},
            "share": True,
            "part": {"service": [EC2]},
        },
        {"metrics": ["cost"], "markers": {Role.RATIO}, "has_domain_words": True, "share_part": [EC2]},
    ),
    (  # the rows before the verb (instances in prod) are the whole; only what the verb says is the part
        "what percent of instances in prod are stopped",
        "split_share",
        [
            ("what percent", "", True),
            ("instances", "filter", False),
            ("prod", "filter", False),
            ("stopped", "filter", False),
        ],
        {
            "ratio_requested": True,
            "ratio_at": 0,
            "by_field": {"resource_type": [INSTANCES], "environment": [eq("environment", "prod")]},
            "said_at": {INSTANCES: 3, eq("environment", "prod"): 5, eq("state", "stopped"): 7},
            "share": True,
            "part": {"state": [eq("state", "stopped")]},
        },
        {"markers": {Role.RATIO}, "has_domain_words": True},
    ),
    (  # of two flags with ratios, the one said with the rows filters the whole, the one after the verb is kept
        "what percent of public buckets are encrypted",
        "split_share",
        [
            ("what percent", "", True),
            ("public", "filter", False),
            ("buckets", "filter", False),
            ("encrypted", "filter", False),
        ],
        {
            "ratio_requested": True,
            "ratio_at": 0,
            "by_field": {"resource_type": [BUCKETS], "is_public": [eq("is_public", True)]},
            "said_at": {BUCKETS: 4, eq("is_public", True): 3},
            "ratio_booleans": ["is_encrypted"],
            "flag_at": {"is_public": 3, "is_encrypted": 6},
        },
        {"markers": {Role.RATIO}, "has_domain_words": True},
    ),
    (  # the count the counting phrase names, of the rows the values select
        "how many instances are running",
        "pick_count",
        [("how many", "", True), ("instances", "filter", False), ("running", "filter", False)],
        {
            "count_requested": True,
            "count_default": "resource_count",
            "count_tables": ["resources"],
            "by_field": {"resource_type": [INSTANCES], "state": [RUNNING]},
            "said_at": {INSTANCES: 2, RUNNING: 4},
        },
        {
            "metrics": ["resource_count"],
            "filters": [INSTANCES, RUNNING],
            "markers": {Role.COUNT},
            "has_domain_words": True,
        },
    ),
    (  # "the 3 oldest <entities>": a listing sorted by their date
        "the 3 oldest buckets",
        "pick_listing",
        [("the 3", "", True), ("oldest", "", True), ("buckets", "filter", False)],
        {
            "sort_age": True,
            "direction": "asc",
            "superlative": True,
            "direction_said": True,
            "limit": 3,
            "by_field": {"resource_type": [BUCKETS]},
            "said_at": {BUCKETS: 3},
        },
        {
            "dimensions": [
                DimensionRef(name="resource_id"),
                DimensionRef(name="resource_name"),
                DimensionRef(name="created_at"),
            ],
            "filters": [BUCKETS],
            "order_by": [OrderBy(field="created_at", direction="asc")],
            "listing": True,
            "has_domain_words": True,
        },
    ),
    (  # the rank becomes an order and a limit on the grouping
        "top 3 services by cost",
        "place_order",
        [
            ("top 3", "", True),
            ("services", "ranked", False),
            ("by", "", True),
            ("cost", "sort_metric", False),
        ],
        {
            "sort_metric": "cost",
            "direction": "desc",
            "direction_said": True,
            "generic_rank": True,
            "limit": 3,
        },
        {
            "metrics": ["cost"],
            "dimensions": [DimensionRef(name="service")],
            "order_by": [OrderBy(field="cost", direction="desc")],
            "limit": 3,
            "markers": {Role.GROUP},
            "has_domain_words": True,
            "rank": ("desc", 3),
            "sort_metric": "cost",
        },
    ),
    (  # "in TB": the metric measured in GB is shown in TB
        "storage in TB by region",
        "place_units",
        [("storage", "metric", False), ("in TB", "", True), ("by", "", True), ("region", "group", False)],
        {},
        {
            "metrics": ["total_storage_gb"],
            "dimensions": [DimensionRef(name="region")],
            "markers": {Role.GROUP},
            "has_domain_words": True,
            "units": {"total_storage_gb": Unit.TB},
        },
    ),
    (  # an unknown word after a preposition: a value the model does not know, asked back
        "cost in lisbon",
        "ask_about_unknowns",
        [("cost", "metric", False), ("lisbon", "", False)],
        {},
        {
            "metrics": ["cost"],
            "problems": [
                "unknown word 'lisbon': not a value the model knows "
                "(it knows values of region, service, account name, business unit)"
            ],
            "has_domain_words": True,
        },
    ),
    (  # a grouping word with nothing it could group by: named in the note, not dropped silently
        "storage cost split by flurble",
        "name_unaccounted",
        [
            ("storage", "metric", False),
            ("cost", "metric", False),
            ("split by", "", False),
            ("flurble", "", False),
        ],
        {},
        {
            "metrics": ["total_storage_gb", "cost"],
            "problems": [
                "'storage cost': the storage of which rows?",  # (ask_metric_of_metric)
                "unknown word 'flurble': not a value the model knows "
                "(it knows values of instance type, region, resource type, service)",
            ],
            "suggestions": ["storage and cost"],
            "ignored": ["split by"],
            "markers": {Role.GROUP},
            "has_domain_words": True,
        },
    ),
]


@pytest.mark.parametrize(
    ("question", "last", "used", "state", "parts"), CASES, ids=[f"{c[1]}:{c[0]}" for c in CASES]
)
def test_pass(
    question: str, last: str, used: list[tuple[str, str, bool]], state: dict[str, Any], parts: dict[str, Any]
) -> None:
    st = state_after(question, last)
    assert uses(st) == used
    assert changed_state(st) == state
    assert changed_parts(st) == parts


def test_rate_average_rewrites_the_metric() -> None:
    """ "per day on average": the metric term now means the metric that averages per day."""
    st = state_after("what are we paying for lambda per day on average this month", "bind_rate_averages")
    paying = next(it for it in st.items if it.text == "paying")
    assert (paying.meanings, st.use_of(paying)) == ((Meaning(Kind.METRIC, "avg_daily_cost"),), Use.METRIC)
    assert [(it.text, it.kind, st.is_bound(it)) for it in st.items if st.is_bound(it)] == [
        ("per day", ItemKind.MARKER, True),
        ("average", ItemKind.MARKER, True),
    ]


def test_changes_are_found_before_any_pass() -> None:
    """Which range is now and which then depends on the words asking for a change, from the first
    time phrase on: ``State.start`` finds them ("vs" only between two periods)."""
    assert [it.text for it in State.start(reading("cost in April vs March"), vocab()).changes] == ["vs"]
    assert [it.text for it in State.start(reading("how did cost change last month"), vocab()).changes] == [
        "change"
    ]
    assert State.start(reading("cost by service vs last month"), vocab()).changes == []


def test_interpret_runs_passes_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """``interpret`` runs exactly ``PASSES``, in order, and nothing else decides the parts."""
    ran: list[str] = []

    def recorded(p: Any) -> Any:
        def step(st: State) -> None:
            ran.append(p.__name__)
            p(st)

        step.__name__ = p.__name__
        return step

    question = "top 5 accounts by cost last month"
    expected = interpret(reading(question), vocab())
    monkeypatch.setattr(interpretation, "PASSES", tuple(recorded(p) for p in PASSES))
    assert interpret(reading(question), vocab()) == expected
    assert ran == [p.__name__ for p in PASSES]
    assert (*BINDING, *ASSEMBLY, *NOTES) == PASSES
    assert len(set(PASSES)) == len(PASSES)


def test_interpret_leaves_the_reading_alone() -> None:
    """The reading is immutable and the passes' decisions live in the state, so the mapper can read a
    question twice without copying it; a pass that rewrites an item ("per day on average": the metric
    that averages) builds a new reading and leaves the one it was given as it was."""
    for question in ("cost by service excluding ec2", "what are we paying for lambda per day on average"):
        r = reading(question)
        before = copy.deepcopy(r)
        first = interpret(r, vocab())
        assert r == before
        assert interpret(r, vocab()) == first
    for obj, name, value in (
        (r.items[0], "meanings", ()),
        (r.items[0], "kind", ItemKind.MARKER),
        (r, "items", ()),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, value)  # nothing can mark the reading


def test_rewrite_replaces_one_item() -> None:
    """``State.rewrite``: a new reading with one item replaced at its position; the item keeps its use
    and whether it is bound (both keyed by its first token), the reading the state started with stays."""
    r = reading("cost by service")
    st = State.start(r, vocab())
    service = st.items[2]
    st.set_use(service, Use.GROUP)
    st.bind(service)
    new = st.rewrite(service, kind=ItemKind.MARKER)
    assert st.items == (r.items[0], r.items[1], dataclasses.replace(service, kind=ItemKind.MARKER))
    assert st.items[2] is new and r.items[2] is service and service.kind == ItemKind.TERM
    assert (st.use_of(new), st.is_bound(new)) == (Use.GROUP, True)
    assert [it.start for it in st.items] == [it.start for it in r.items]


def test_every_marker_role_binds_or_is_plain() -> None:
    """Every role an English marker can have is in a dispatch table: one with a binder, or one that only
    needs to be recognised; the english.MARKERS table is keyed by exactly these roles."""
    assert set(MARKER_BINDERS) | PLAIN_ROLES == set(Role)
    assert set(MARKER_BINDERS) & PLAIN_ROLES == {Role.INSTEAD}  # a flag for follow-ups, and plain
    assert {Role(k) for k in MARKERS} == set(Role)
    assert set(ITEM_BINDERS) == {ItemKind.TIME, ItemKind.QUANTITY, ItemKind.SUPER, ItemKind.MARKER}
