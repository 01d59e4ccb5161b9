"""Deterministic sample cloud inventory for demos, tests and benchmarks.

crq needs a realistic inventory to query without access to a real cloud account, and tests and
benchmarks need that inventory to be byte-for-byte identical on every machine.  Everything here is
therefore derived from ``random.Random(seed)`` with plain IEEE arithmetic (no ``hash()``, no libm
transcendental functions, no wall clock, no set iteration order), and numbers are formatted by us
before they reach PostgreSQL.

The load runs in a single transaction: the old ``inventory`` schema stays visible to other
sessions until the new one is committed, and a failed load leaves it untouched.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import psycopg.sql

from runtime.database import connect
from runtime.roles import OWN_SCHEMAS, grant_reader, owner_session

__all__ = [
    "BUSINESS_UNITS",
    "ENVIRONMENTS",
    "INSTANCE_TYPES",
    "PROGRESS_STEPS",
    "REGIONS",
    "RESOURCES_PER_SCALE",
    "SCHEMA",
    "SERVICES",
    "STATES",
    "TABLES",
    "TAG_VALUES",
    "load_sample",
    "sample_marker",
]

SCHEMA = "inventory"
TABLES: tuple[str, ...] = ("accounts", "resources", "resource_costs")

BUSINESS_UNITS: tuple[str, ...] = ("payments", "search", "platform", "data", "marketing", "security")
ENVIRONMENTS: tuple[str, ...] = ("prod", "staging", "dev", "sandbox")
REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
)
SERVICES: dict[str, str] = {
    "ec2": "ec2:instance",
    "ebs": "ebs:volume",
    "s3": "s3:bucket",
    "rds": "rds:db-instance",
    "lambda": "lambda:function",
    "elb": "elb:load-balancer",
    "dynamodb": "dynamodb:table",
    "eks": "eks:cluster",
}
STATES: dict[str, tuple[str, ...]] = {
    "ec2": ("running", "stopped"),
    "ebs": ("in-use", "available"),
    "s3": ("active",),
    "rds": ("available", "stopped"),
    "lambda": ("active",),
    "elb": ("active",),
    "dynamodb": ("active",),
    "eks": ("active",),
}
INSTANCE_TYPES: dict[str, tuple[str, ...]] = {
    "ec2": ("t3.micro", "t3.large", "m5.large", "m5.xlarge", "c6g.xlarge", "r6i.2xlarge"),
    "rds": ("db.t3.medium", "db.r6g.large", "db.r6g.xlarge"),
}
#: Services whose resources carry ``storage_gb``; it is NULL everywhere else.
STORAGE_SERVICES: tuple[str, ...] = ("ebs", "s3", "rds")
TAG_VALUES: dict[str, tuple[str, ...]] = {
    "owner": ("alice", "bob", "carol", "dave", "erin", "frank"),
    "team": ("core", "web", "ml", "ops", "billing"),
    "cost-center": ("cc-1001", "cc-1002", "cc-1003", "cc-1004"),
    "env": ENVIRONMENTS,
}
RESOURCES_PER_SCALE = 5000
#: Step names passed to the ``progress`` callback, in the order they run.
PROGRESS_STEPS: tuple[str, ...] = ("resources", "schema", "accounts", "resource_costs", "indexes", "analyze")

ProgressFn = Callable[[str, int, int], None]
T = TypeVar("T")

# --- distributions ----------------------------------------------------------------------------------
# Weights are relative; they only need to look plausible in dashboards, not match any real bill.
_ENV_WEIGHT = {"prod": 10.0, "staging": 4.0, "dev": 3.5, "sandbox": 1.5}
_BU_WEIGHT = {"payments": 1.2, "search": 1.1, "platform": 1.4, "data": 1.3, "marketing": 0.6, "security": 0.4}
_REGION_WEIGHTS = (45.0, 20.0, 15.0, 8.0, 7.0, 5.0)
_REGION_PRICE = {
    "us-east-1": 1.0,
    "us-west-2": 1.0,
    "eu-west-1": 1.08,
    "eu-central-1": 1.15,
    "ap-southeast-1": 1.18,
    "ap-northeast-1": 1.22,
}
_SERVICE_WEIGHT = {
    "ec2": 28.0,
    "ebs": 24.0,
    "s3": 10.0,
    "rds": 5.0,
    "lambda": 17.0,
    "elb": 6.0,
    "dynamodb": 8.0,
    "eks": 2.0,
}
_BU_SERVICE_BIAS: dict[str, dict[str, float]] = {
    "payments": {"rds": 1.6, "dynamodb": 1.3},
    "search": {"ec2": 1.3, "elb": 1.3},
    "platform": {"eks": 2.0, "ec2": 1.2},
    "data": {"s3": 2.0, "rds": 1.5, "dynamodb": 1.5},
    "marketing": {"lambda": 1.6, "s3": 1.3},
    "security": {"lambda": 1.4},
}
_ROLES: dict[str, tuple[str, ...]] = {
    "payments": ("api", "checkout", "ledger", "fraud", "billing", "gateway"),
    "search": ("indexer", "query", "crawler", "ranker", "api", "cache"),
    "platform": ("ingress", "ci-runner", "bastion", "vault", "monitoring", "mesh"),
    "data": ("etl", "warehouse", "spark", "airflow", "kafka", "ingest"),
    "marketing": ("web", "cms", "campaign", "analytics", "email"),
    "security": ("scanner", "siem", "auth", "audit", "waf"),
}
_BUCKET_PURPOSES = ("logs", "assets", "backups", "data-lake", "artifacts", "exports", "uploads", "tfstate")
_LAMBDA_VERBS = ("handler", "processor", "sync", "notifier", "resize", "cleanup", "cron", "webhook")
_TABLE_ENTITIES = ("orders", "sessions", "users", "events", "locks", "jobs", "profiles", "idempotency")
_CLUSTER_PURPOSES = ("main", "apps", "batch", "ml", "shared")
_PRIMARY_TEAM = {
    "payments": "billing",
    "search": "web",
    "platform": "ops",
    "data": "ml",
    "marketing": "web",
    "security": "core",
}
_PRIMARY_COST_CENTER = {
    "payments": "cc-1001",
    "search": "cc-1002",
    "platform": "cc-1003",
    "data": "cc-1004",
    "marketing": "cc-1002",
    "security": "cc-1003",
}

_EC2_TYPE_WEIGHTS = (22.0, 24.0, 20.0, 14.0, 12.0, 8.0)
_EC2_HOURLY = {
    "t3.micro": 0.0104,
    "t3.large": 0.0832,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "c6g.xlarge": 0.136,
    "r6i.2xlarge": 0.504,
}
_RDS_TYPE_WEIGHTS = (45.0, 35.0, 20.0)
_RDS_HOURLY = {"db.t3.medium": 0.068, "db.r6g.large": 0.225, "db.r6g.xlarge": 0.45}
_EBS_SIZES = (8, 20, 30, 50, 100, 200, 500, 1000, 2000)
_EBS_SIZE_WEIGHTS = (15.0, 15.0, 12.0, 15.0, 18.0, 12.0, 8.0, 4.0, 1.0)
_EBS_GB_MONTH = (0.08, 0.08, 0.08, 0.10, 0.125)  # mostly gp3, some gp2 and io1
_RDS_SIZES = (20, 50, 100, 200, 500, 1000, 2000)
_RDS_SIZE_WEIGHTS = (15.0, 20.0, 25.0, 20.0, 12.0, 6.0, 2.0)
_S3_MAGNITUDES = (0.5, 5.0, 50.0, 500.0, 5000.0, 50000.0)
_S3_MAGNITUDE_WEIGHTS = (10.0, 20.0, 30.0, 25.0, 12.0, 3.0)
_RUNNING_SHARE = {"prod": 0.93, "staging": 0.82, "dev": 0.7, "sandbox": 0.55}
_NO_TAGS_SHARE = {"prod": 0.02, "staging": 0.03, "dev": 0.05, "sandbox": 0.1}

# Weekend usage relative to weekdays: non-prod fleets are scaled down or switched off by schedulers.
_WEEKEND_FACTOR = {"prod": 0.93, "staging": 0.75, "dev": 0.6, "sandbox": 0.5}
_WEEKEND_SENSITIVITY = {
    "ec2": 1.0,
    "ebs": 0.0,
    "s3": 0.15,
    "rds": 0.3,
    "lambda": 1.5,
    "elb": 0.8,
    "dynamodb": 1.0,
    "eks": 0.0,
}

_CHUNK_ROWS = 50_000
_MAX_RESOURCES = 50_000_000


@dataclass(slots=True)
class _Account:
    account_id: str
    account_name: str
    business_unit: str
    environment: str
    owner_email: str


@dataclass(slots=True)
class _Resource:
    resource_id: str
    account_id: str
    region: str
    service: str
    name: str
    state: str
    instance_type: str | None
    storage_gb: str | None
    is_public: bool
    is_encrypted: bool
    created_at: str
    created_date: dt.date
    first_day: float  # share of the creation day the resource existed, billed pro rata
    tags: str
    # cost model, all in USD per day: cost = base * weekday(env, service) * trend * noise
    base: float
    noise: float
    trend: float
    weekend: float
    spike_rate: float


# --- small deterministic helpers ---------------------------------------------------------------------


def _cum(weights: Sequence[float]) -> list[float]:
    """Weighted draws bisect precomputed cumulative weights instead of re-summing every time."""
    out: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class _Rng:
    """Draws everything from ``random.Random(seed).random()`` alone.

    Python only promises that ``random()`` repeats for a given seed; ``choice``, ``choices``,
    ``sample`` and ``randrange`` have changed algorithms between releases before.  Deriving every
    draw from ``random()`` with our own arithmetic keeps samples identical across Python versions.
    """

    __slots__ = ("random",)

    def __init__(self, seed: int) -> None:
        self.random: Callable[[], float] = random.Random(seed).random

    def below(self, n: int) -> int:
        return min(int(self.random() * n), n - 1)

    def between(self, lo: int, hi: int) -> int:
        """Integer in ``[lo, hi)``."""
        return lo + self.below(hi - lo)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def weighted(self, items: Sequence[T], cum: Sequence[float]) -> T:
        return items[min(bisect.bisect(cum, self.random() * cum[-1]), len(items) - 1)]

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.random()

    def hex64(self) -> str:
        return f"{self.below(1 << 32):08x}{self.below(1 << 32):08x}"

    def distinct(self, n: int, k: int) -> list[int]:
        """``k`` distinct indices below ``n`` in draw order (the set is only used for membership)."""
        k = min(k, n)
        seen: set[int] = set()
        out: list[int] = []
        while len(out) < k:
            j = self.below(n)
            if j not in seen:
                seen.add(j)
                out.append(j)
        return out


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` proportionally with largest remainders, giving every slot at least one.

    Every account must exist with at least one resource even at tiny scales, and rounding each
    share independently would not add up to ``total``.
    """
    n = len(weights)
    total = max(total, n)
    wsum = sum(weights)
    shares = [total * w / wsum for w in weights]
    counts = [max(1, int(s)) for s in shares]
    diff = total - sum(counts)
    if diff > 0:
        order = sorted(range(n), key=lambda i: (counts[i] - shares[i], i))
        for k in range(diff):
            counts[order[k % n]] += 1
    else:
        order = sorted(range(n), key=lambda i: (shares[i] - counts[i], i))
        k = 0
        while diff < 0:
            i = order[k % n]
            if counts[i] > 1:
                counts[i] -= 1
                diff += 1
            k += 1
    return counts


def _next(counters: dict[str, int], key: str) -> int:
    n = counters.get(key, 0) + 1
    counters[key] = n
    return n


def _unique_name(taken: dict[str, int], base: str) -> str:
    """Suffix on collision the way people do, so names stay readable yet unique per account."""
    n = _next(taken, base)
    return base if n == 1 else f"{base}-{n}"


# --- generation ----------------------------------------------------------------------------------------


def _make_accounts(rng: _Rng) -> list[_Account]:
    accounts: list[_Account] = []
    used: set[str] = set()
    for bu in BUSINESS_UNITS:
        for env in ENVIRONMENTS:
            while True:
                account_id = f"{rng.between(10**11, 10**12):012d}"
                if account_id not in used:
                    used.add(account_id)
                    break
            accounts.append(_Account(account_id, f"{bu}-{env}", bu, env, f"{bu}-team@example.com"))
    return accounts


class _Generator:
    """Holds the per-load state (used ids, name counters) that resource generation needs."""

    def __init__(self, rng: _Rng, as_of: dt.date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.used_ids: set[str] = set()
        self.region_cum = _cum(_REGION_WEIGHTS)
        self.ec2_cum = _cum(_EC2_TYPE_WEIGHTS)
        self.rds_cum = _cum(_RDS_TYPE_WEIGHTS)
        self.ebs_cum = _cum(_EBS_SIZE_WEIGHTS)
        self.rds_size_cum = _cum(_RDS_SIZE_WEIGHTS)
        self.s3_cum = _cum(_S3_MAGNITUDE_WEIGHTS)

    def _hex_id(self, prefix: str) -> str:
        # Ids only need to be unique within the load; the set is used for membership, never iterated.
        while True:
            rid = f"{prefix}{self.rng.hex64()}"
            if rid not in self.used_ids:
                self.used_ids.add(rid)
                return rid

    def _created(self) -> tuple[str, dt.date, float]:
        rng = self.rng
        # A fresh slice of recent launches keeps "created in the last N days" questions interesting.
        age = rng.below(30) if rng.random() < 0.08 else rng.between(30, 730)
        day = self.as_of - dt.timedelta(days=age)
        secs = rng.below(86400)
        stamp = f"{day.isoformat()} {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}+00"
        return stamp, day, (86400 - secs) / 86400

    def _tags(self, acct: _Account, prefs: tuple[str, str, str]) -> str:
        rng = self.rng
        if rng.random() < _NO_TAGS_SHARE[acct.environment]:
            return "{}"
        primary_owner, primary_team, primary_cc = prefs
        tags: dict[str, str] = {}
        if rng.random() >= 0.15:
            tags["owner"] = primary_owner if rng.random() < 0.6 else rng.choice(TAG_VALUES["owner"])
        if rng.random() >= 0.10:
            tags["team"] = primary_team if rng.random() < 0.65 else rng.choice(TAG_VALUES["team"])
        if rng.random() >= 0.20:
            tags["cost-center"] = primary_cc if rng.random() < 0.85 else rng.choice(TAG_VALUES["cost-center"])
        if rng.random() >= 0.08:
            tags["env"] = acct.environment if rng.random() < 0.9 else rng.choice(ENVIRONMENTS)
        return json.dumps(tags, separators=(", ", ": "))

    def resource(
        self, acct: _Account, service: str, prefs: tuple[str, str, str], names: dict[str, int]
    ) -> _Resource:
        rng = self.rng
        env = acct.environment
        bu = acct.business_unit
        aid = acct.account_id
        prefix = acct.account_name
        region = rng.weighted(REGIONS, self.region_cum)
        price = _REGION_PRICE[region]
        role = rng.choice(_ROLES[bu])
        created_at, created_date, first_day = self._created()
        prod = env == "prod"
        instance_type: str | None = None
        storage: float | None = None
        public = False
        encrypted = True
        noise = 0.05
        trend = rng.uniform(-0.08, 0.15)
        spike_rate = 0.0
        weekend_sens = _WEEKEND_SENSITIVITY[service]

        if service == "ec2":
            running = rng.random() < _RUNNING_SHARE[env]
            state = "running" if running else "stopped"
            instance_type = rng.weighted(INSTANCE_TYPES["ec2"], self.ec2_cum)
            name = f"{prefix}-{role}-{_next(names, 'ec2:' + role):03d}"
            arn = f"arn:aws:ec2:{region}:{aid}:instance/{self._hex_id('i-0')}"
            public = rng.random() < 0.04
            encrypted = rng.random() < 0.8
            root_gb = rng.choice((8, 20, 30, 50, 100))
            if running:
                # On-demand price, bent by savings plans / data transfer per instance.
                base = _EC2_HOURLY[instance_type] * 24.0 * price * rng.uniform(0.7, 1.35)
                base += root_gb * 0.08 / 30.0
                noise = rng.uniform(0.02, 0.08)
            else:
                # Stopped instances keep paying for their root volume only.
                base = root_gb * 0.08 / 30.0 * price
                noise, trend, weekend_sens = 0.0, 0.0, 0.0
        elif service == "ebs":
            state = "in-use" if rng.random() < 0.85 else "available"
            size = rng.weighted(_EBS_SIZES, self.ebs_cum)
            storage = float(size)
            name = f"{prefix}-{role}-data-{_next(names, 'ebs:' + role):03d}"
            arn = f"arn:aws:ec2:{region}:{aid}:volume/{self._hex_id('vol-0')}"
            encrypted = rng.random() < (0.9 if prod else 0.82)
            base = size * rng.choice(_EBS_GB_MONTH) / 30.0 * price
            noise, trend = 0.002, 0.0
        elif service == "s3":
            state = "active"
            magnitude = rng.weighted(_S3_MAGNITUDES, self.s3_cum)
            storage = magnitude * rng.uniform(0.2, 2.0)
            purpose = rng.choice(_BUCKET_PURPOSES)
            name = _unique_name(names, f"{prefix}-{purpose}")
            arn = f"arn:aws:s3:::{name}"
            public = rng.random() < (0.08 if prod else 0.18)
            encrypted = rng.random() < (0.92 if prod else 0.85)
            base = storage * 0.023 / 30.0 * price + rng.uniform(0.005, 1.5)
            noise = 0.06
            trend = rng.uniform(0.0, 0.5)  # buckets mostly grow
            spike_rate = 0.01
        elif service == "rds":
            state = "available" if rng.random() < (0.95 if prod else 0.8) else "stopped"
            instance_type = rng.weighted(INSTANCE_TYPES["rds"], self.rds_cum)
            size = rng.weighted(_RDS_SIZES, self.rds_size_cum)
            storage = float(size)
            name = _unique_name(names, f"{prefix}-{role}-db")
            arn = f"arn:aws:rds:{region}:{aid}:db:{name}"
            public = rng.random() < 0.015
            encrypted = rng.random() < (0.92 if prod else 0.82)
            storage_cost = size * 0.115 / 30.0 * price
            if state == "available":
                multi_az = 2.0 if rng.random() < (0.6 if prod else 0.15) else 1.0
                base = _RDS_HOURLY[instance_type] * 24.0 * price * multi_az + storage_cost
                noise = 0.03
            else:
                base = storage_cost
                noise, trend, weekend_sens = 0.0, 0.0, 0.0
        elif service == "lambda":
            state = "active"
            name = _unique_name(names, f"{prefix}-{role}-{rng.choice(_LAMBDA_VERBS)}")
            arn = f"arn:aws:lambda:{region}:{aid}:function:{name}"
            public = rng.random() < 0.005
            base = rng.choice((0.01, 0.1, 0.1, 1.0, 1.0, 5.0, 20.0)) * rng.uniform(0.4, 1.6)
            noise = rng.uniform(0.25, 0.6)
            trend = rng.uniform(-0.2, 0.4)
            spike_rate = 0.02
        elif service == "elb":
            state = "active"
            kind = "app" if rng.random() < 0.8 else "net"
            name = _unique_name(names, f"{prefix}-{role}-{'alb' if kind == 'app' else 'nlb'}")
            arn = f"arn:aws:elasticloadbalancing:{region}:{aid}:loadbalancer/{kind}/{name}/{self._hex_id('')}"
            public = rng.random() < 0.45
            encrypted = rng.random() < 0.9
            base = 0.0225 * 24.0 * price + rng.uniform(0.05, 6.0)
            noise = 0.2
            spike_rate = 0.01
        elif service == "dynamodb":
            state = "active"
            name = _unique_name(names, f"{prefix}-{rng.choice(_TABLE_ENTITIES)}")
            arn = f"arn:aws:dynamodb:{region}:{aid}:table/{name}"
            encrypted = rng.random() < (0.9 if prod else 0.82)
            base = rng.choice((0.05, 0.5, 0.5, 3.0, 10.0, 40.0)) * rng.uniform(0.5, 1.5) * price
            noise = 0.3
            spike_rate = 0.015
        elif service == "eks":
            state = "active"
            name = _unique_name(names, f"{prefix}-{rng.choice(_CLUSTER_PURPOSES)}")
            arn = f"arn:aws:eks:{region}:{aid}:cluster/{name}"
            public = rng.random() < 0.1
            encrypted = rng.random() < 0.85
            base = 0.10 * 24.0  # control plane flat fee
            noise, trend = 0.0, 0.0
        else:  # pragma: no cover - SERVICES is closed
            raise AssertionError(service)

        weekend = 1.0 - (1.0 - _WEEKEND_FACTOR[env]) * weekend_sens
        weekend = max(weekend, 0.2)
        return _Resource(
            resource_id=arn,
            account_id=aid,
            region=region,
            service=service,
            name=name,
            state=state,
            instance_type=instance_type,
            storage_gb=None if storage is None else f"{storage:.2f}",
            is_public=public,
            is_encrypted=encrypted,
            created_at=created_at,
            created_date=created_date,
            first_day=first_day,
            tags=self._tags(acct, prefs),
            base=base,
            noise=noise,
            trend=trend,
            weekend=weekend,
            spike_rate=spike_rate,
        )


def _make_resources(
    rng: _Rng,
    accounts: Sequence[_Account],
    scale: float,
    as_of: dt.date,
    progress: ProgressFn | None = None,
) -> list[_Resource]:
    gen = _Generator(rng, as_of)
    weights = [
        _ENV_WEIGHT[a.environment] * _BU_WEIGHT[a.business_unit] * rng.uniform(0.85, 1.15) for a in accounts
    ]
    total = int(RESOURCES_PER_SCALE * scale + 0.5)
    counts = _allocate(total, weights)
    n_total = sum(counts)
    services = tuple(SERVICES)
    resources: list[_Resource] = []
    if progress is not None:
        progress("resources", 0, n_total)
    for idx, (acct, count) in enumerate(zip(accounts, counts, strict=True)):
        bias = _BU_SERVICE_BIAS[acct.business_unit]
        cum = _cum([_SERVICE_WEIGHT[s] * bias.get(s, 1.0) for s in services])
        prefs = (
            rng.choice(TAG_VALUES["owner"]),
            _PRIMARY_TEAM[acct.business_unit],
            _PRIMARY_COST_CENTER[acct.business_unit],
        )
        names: dict[str, int] = {}
        for k in range(count):
            # The first resource of each account cycles through the services so that every service
            # exists (three times over 24 accounts) however small the scale.
            service = services[idx % len(services)] if k == 0 else rng.weighted(services, cum)
            resources.append(gen.resource(acct, service, prefs, names))
        if progress is not None:
            progress("resources", len(resources), n_total)
    return resources


def _window(as_of: dt.date, days: int) -> tuple[dt.date, list[str], list[bool], list[float]]:
    start = as_of - dt.timedelta(days=days - 1)
    dates: list[str] = []
    weekend: list[bool] = []
    trend_t: list[float] = []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        dates.append(day.isoformat())
        weekend.append(day.weekday() >= 5)
        trend_t.append((i + 1) / days - 1.0)  # -1 .. 0: today's price is the resource's base price
    return start, dates, weekend, trend_t


def _start_index(res: _Resource, window_start: dt.date) -> int:
    return max(0, (res.created_date - window_start).days)


def _cost_row_total(resources: Sequence[_Resource], window_start: dt.date, days: int) -> int:
    return sum(days - _start_index(r, window_start) for r in resources)


def _cost_chunks(
    resources: Sequence[_Resource],
    rng: _Rng,
    as_of: dt.date,
    days: int,
    chunk_rows: int = _CHUNK_ROWS,
) -> Iterator[tuple[str, int]]:
    """Yield COPY text for ``resource_costs`` in chunks of roughly ``chunk_rows`` rows.

    This is the hot loop of a large load (tens of millions of rows), so per-resource constants are
    folded into a single multiplier per day up front and each row costs one ``random()``, a few
    float operations and one f-string.  Rows are sorted by resource, then date.
    """
    window_start, dates, is_weekend, trend_t = _window(as_of, days)
    rnd = rng.random
    parts: list[str] = []
    rows = 0
    for res in resources:
        s = _start_index(res, window_start)
        n = days - s
        mid = f"\t{res.resource_id}\t{res.account_id}\t{res.service}\t{res.region}\t"
        base, noise, trend, wk = res.base, res.noise, res.trend, res.weekend
        if noise == 0.0 and trend == 0.0 and wk == 1.0:
            tail = f"{mid}{base:.4f}\n"
            lines = [d + tail for d in dates[s:]]
            if res.created_date >= window_start:
                lines[0] = f"{dates[s]}{mid}{base * res.first_day:.4f}\n"
        else:
            lo = 1.0 - noise
            span = 2.0 * noise
            mult = [
                base * (wk if we else 1.0) * (1.0 + trend * t)
                for we, t in zip(is_weekend[s:], trend_t[s:], strict=True)
            ]
            lines = [f"{d}{mid}{m * (lo + span * rnd()):.4f}\n" for d, m in zip(dates[s:], mult, strict=True)]
            if res.spike_rate > 0.0:
                # Batch jobs, backfills, traffic bursts: a few days cost several times the usual.
                k = int(res.spike_rate * n + rnd())
                for j in rng.distinct(n, k):
                    factor = 2.0 + 3.0 * rnd()
                    lines[j] = f"{dates[s + j]}{mid}{mult[j] * factor * (lo + span * rnd()):.4f}\n"
            if res.created_date >= window_start:
                lines[0] = f"{dates[s]}{mid}{mult[0] * res.first_day * (lo + span * rnd()):.4f}\n"
        parts.append("".join(lines))
        rows += n
        if rows >= chunk_rows:
            yield "".join(parts), rows
            parts = []
            rows = 0
    if parts:
        yield "".join(parts), rows


def _copy_field(value: str | None) -> str:
    """Generated values never contain tabs, newlines or backslashes; only NULL needs care."""
    return "\\N" if value is None else value


def _accounts_text(accounts: Sequence[_Account]) -> str:
    return "".join(
        f"{a.account_id}\t{a.account_name}\t{a.business_unit}\t{a.environment}\t{a.owner_email}\n"
        for a in accounts
    )


def _resources_text(resources: Sequence[_Resource]) -> str:
    return "".join(
        f"{r.resource_id}\t{r.account_id}\t{r.region}\t{r.service}\t{SERVICES[r.service]}\t{r.name}\t"
        f"{r.state}\t{_copy_field(r.instance_type)}\t{_copy_field(r.storage_gb)}\t"
        f"{'t' if r.is_public else 'f'}\t{'t' if r.is_encrypted else 'f'}\t{r.created_at}\t{r.tags}\n"
        for r in resources
    )


# --- database ----------------------------------------------------------------------------------------

# Constraints and indexes come after COPY: building them once over sorted-ish data is much cheaper
# than maintaining them row by row, and the tables are created in the same transaction so
# COPY ... FREEZE can skip later hint-bit rewrites.
_DDL = """
DROP SCHEMA IF EXISTS inventory CASCADE;
CREATE SCHEMA inventory;
CREATE TABLE inventory.accounts (
    account_id    text NOT NULL,
    account_name  text NOT NULL,
    business_unit text NOT NULL,
    environment   text NOT NULL,
    owner_email   text NOT NULL
);
CREATE TABLE inventory.resources (
    resource_id   text NOT NULL,
    account_id    text NOT NULL,
    region        text NOT NULL,
    service       text NOT NULL,
    resource_type text NOT NULL,
    name          text NOT NULL,
    state         text NOT NULL,
    instance_type text NULL,
    storage_gb    numeric(12,2) NULL,
    is_public     boolean NOT NULL,
    is_encrypted  boolean NOT NULL,
    created_at    timestamptz NOT NULL,
    tags          jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE inventory.resource_costs (
    usage_date  date NOT NULL,
    resource_id text NOT NULL,
    account_id  text NOT NULL,
    service     text NOT NULL,
    region      text NOT NULL,
    cost_usd    numeric(14,4) NOT NULL
);
"""

_POST_LOAD: tuple[str, ...] = (
    "ALTER TABLE inventory.accounts ADD PRIMARY KEY (account_id), ADD UNIQUE (account_name)",
    (
        "ALTER TABLE inventory.resources ADD PRIMARY KEY (resource_id),"
        " ADD FOREIGN KEY (account_id) REFERENCES inventory.accounts (account_id)"
    ),
    "CREATE INDEX ON inventory.resources (account_id)",
    "CREATE INDEX ON inventory.resources (service)",
    "ALTER TABLE inventory.resource_costs ADD PRIMARY KEY (usage_date, resource_id)",
    "CREATE INDEX ON inventory.resource_costs (resource_id)",
    "CREATE INDEX ON inventory.resource_costs (account_id, usage_date)",
    (
        "ALTER TABLE inventory.resource_costs"
        " ADD FOREIGN KEY (resource_id) REFERENCES inventory.resources (resource_id),"
        " ADD FOREIGN KEY (account_id) REFERENCES inventory.accounts (account_id)"
    ),
)


def _validate(seed: int, scale: float, as_of: dt.date, days: int) -> dt.date:
    """Reject bad input before touching the database so a typo can never drop the old data."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise TypeError(f"scale must be a number, got {type(scale).__name__}")
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    if RESOURCES_PER_SCALE * scale > _MAX_RESOURCES:
        raise ValueError(f"scale {scale!r} is too large")
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()  # a datetime would otherwise leak its time into date arithmetic
    if not isinstance(as_of, dt.date):
        raise TypeError(f"as_of must be a datetime.date, got {type(as_of).__name__}")
    if as_of - dt.timedelta(days=730 + days) < dt.date(1900, 1, 1):
        raise ValueError(f"as_of {as_of} is too early")
    return as_of


def load_sample(
    conninfo: str,
    *,
    seed: int = 42,
    scale: float = 1,
    as_of: dt.date,
    days: int = 180,
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """Drops and recreates schema `inventory`, fills it, returns row counts per table.

    ``scale`` 1 is about 5,000 resources; every account and every service is present at any scale.
    ``resource_costs`` covers ``as_of - days + 1`` .. ``as_of`` (each resource from its creation
    day).  ``progress(step, done, total)`` is called with the names in ``PROGRESS_STEPS`` so a UI can
    draw progress without this module knowing about it.  Anything raised, including from
    ``progress``, rolls the whole load back.
    """
    as_of = _validate(seed, scale, as_of, days)

    def report(step: str, done: int, total: int) -> None:
        if progress is not None:
            progress(step, done, total)

    rng = _Rng(seed)
    # Costs get their own stream so the hot loop does not share state with resource generation.
    cost_rng = _Rng(rng.below(1 << 53))
    accounts = _make_accounts(rng)
    resources = _make_resources(rng, accounts, scale, as_of, progress)
    window_start = as_of - dt.timedelta(days=days - 1)
    cost_total = _cost_row_total(resources, window_start, days)

    with connect(conninfo, autocommit=True) as conn:
        owner_session(conn, (SCHEMA, *OWN_SCHEMAS))  # built by the owner role, readable by the reader
        with conn.transaction(), conn.cursor() as cur:
            counts = _fill(cur, accounts, resources, cost_rng, as_of, days, cost_total, report)
            # what was loaded, so tests and tools can tell whether a reload is needed
            marker = sample_marker(seed=seed, scale=scale, as_of=as_of, days=days)
            cur.execute(
                psycopg.sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                    psycopg.sql.Identifier(SCHEMA), psycopg.sql.Literal(marker)
                )
            )
            grant_reader(conn, [SCHEMA])
    return counts


def _fill(
    cur: psycopg.Cursor[Any],
    accounts: Sequence[_Account],
    resources: Sequence[_Resource],
    cost_rng: _Rng,
    as_of: dt.date,
    days: int,
    cost_total: int,
    report: ProgressFn,
) -> dict[str, int]:
    """Create the tables, COPY the rows in, then constraints, indexes and statistics; rows per table."""
    counts: dict[str, int] = {}
    report("schema", 0, 1)
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cur.execute(_DDL)
    report("schema", 1, 1)

    report("accounts", 0, len(accounts))
    with cur.copy("COPY inventory.accounts FROM STDIN WITH (FREEZE)") as copy:
        copy.write(_accounts_text(accounts))
    counts["accounts"] = len(accounts)
    report("accounts", len(accounts), len(accounts))

    with cur.copy("COPY inventory.resources FROM STDIN WITH (FREEZE)") as copy:
        for i in range(0, len(resources), _CHUNK_ROWS):
            copy.write(_resources_text(resources[i : i + _CHUNK_ROWS]))
    counts["resources"] = len(resources)

    report("resource_costs", 0, cost_total)
    done = 0
    with cur.copy("COPY inventory.resource_costs FROM STDIN WITH (FREEZE)") as copy:
        for text, n in _cost_chunks(resources, cost_rng, as_of, days):
            copy.write(text)
            done += n
            report("resource_costs", done, cost_total)
    counts["resource_costs"] = done

    report("indexes", 0, len(_POST_LOAD))
    for i, stmt in enumerate(_POST_LOAD, 1):
        cur.execute(stmt)
        report("indexes", i, len(_POST_LOAD))

    report("analyze", 0, len(TABLES))
    for i, table in enumerate(TABLES, 1):
        cur.execute(
            psycopg.sql.SQL("ANALYZE {}.{}").format(
                psycopg.sql.Identifier(SCHEMA), psycopg.sql.Identifier(table)
            )
        )
        report("analyze", i, len(TABLES))

    return counts

def sample_marker(*, seed: int, scale: float, as_of: dt.date, days: int) -> str:
    """The comment `load_sample` leaves on the schema: the parameters that identify its rows."""
    return f"crq sample seed={seed} scale={float(scale):g} as_of={as_of.isoformat()} days={days}"
