"""Compile-time benchmark: crq's compiler per intent, the CLI's cold start, and MetricFlow side by side.

    .venv/bin/python benchmarks/compile.py [--n 300] [--no-peer]

Prints a table, then exactly one last line:
    compile_median_ms=X compile_p99_ms=Y metricflow_median_ms=Z speedup=R
X, Y: crq over all intents in benchmarks/intents.yaml. Z: MetricFlow's warm median over the 8 queries of
shared/peers/metricflow/queries.yaml (from its run.sh, run now, in this process's session). R: Z divided
by crq's median over the same 8 intents. The peer is found at $CRQ_SHARED, else ../shared; without it Z
and R are printed as "nan".
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler import compile  # noqa: E402
from models.intent import Intent  # noqa: E402
from semantic import load_model  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile, as the peer benchmark computes its p95."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def time_crq(n: int) -> tuple[dict[str, list[float]], dict[str, str]]:
    spec = yaml.safe_load((ROOT / "benchmarks" / "intents.yaml").read_text())
    as_of = dt.date.fromisoformat(str(spec["as_of"]))
    model = load_model()
    cases = [(c["id"], c.get("peer"), Intent.model_validate(c["intent"])) for c in spec["intents"]]
    peers = {cid: peer for cid, peer, _ in cases if peer}
    samples: dict[str, list[float]] = {cid: [] for cid, _, _ in cases}
    for _, _, intent in cases:  # warm-up: import-time work and the per-model catalog
        compile(intent, model, as_of=as_of)
    gc.collect()
    for _ in range(n):  # round-robin, like the peer, so slow spells spread over all intents
        for cid, _, intent in cases:
            start = time.perf_counter()
            compile(intent, model, as_of=as_of)
            samples[cid].append((time.perf_counter() - start) * 1000)
    return samples, peers


def cli_cold_start(runs: int = 5) -> float:
    crq = Path(sys.executable).parent / "crq"
    cmd = [str(crq), "compile", "-m", "cost", "--by", "region", "--last", "30 days", "--as-of", "2026-06-17"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def metricflow(shared: Path) -> dict | None:
    run = shared / "peers" / "metricflow" / "run.sh"
    if not run.exists():
        return None
    proc = subprocess.run(["bash", str(run), "-q", "--cold-n", "0"], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"MetricFlow peer failed: {proc.stderr.strip()[-400:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="timed compiles per intent")
    ap.add_argument("--no-peer", action="store_true", help="skip MetricFlow")
    args = ap.parse_args()

    samples, peers = time_crq(args.n)
    print(f"{'intent':8} {'median_ms':>10} {'p99_ms':>8}")
    for cid, values in samples.items():
        print(f"{cid:8} {statistics.median(values):10.3f} {percentile(values, 99):8.3f}")
    every = [v for values in samples.values() for v in values]
    median, p99 = statistics.median(every), percentile(every, 99)
    peer_median = statistics.median([v for cid in peers for v in samples[cid]])
    print(
        f"crq: median {median:.3f} ms, p99 {p99:.3f} ms over {len(samples)} intents x {args.n}; "
        f"median over the 8 peer intents {peer_median:.3f} ms"
    )
    print(f"CLI cold start (crq compile, median of 5): {cli_cold_start():.0f} ms")

    shared = Path(os.environ.get("CRQ_SHARED") or ROOT.parent / "shared")
    mf = None if args.no_peer else metricflow(shared)
    if mf is None:
        mf_median, speedup = float("nan"), float("nan")
        print("MetricFlow: skipped (peer not found or --no-peer)")
    else:
        mf_median = float(mf["warm_median_ms"])
        speedup = mf_median / peer_median
        per_query = ", ".join(f"{q}={v['warm_median_ms']:.2f}" for q, v in mf["queries"].items())
        print(f"MetricFlow {mf['metricflow_version']} warm medians (ms): {per_query}")
    print(
        f"compile_median_ms={median:.3f} compile_p99_ms={p99:.3f} "
        f"metricflow_median_ms={mf_median:.3f} speedup={speedup:.1f}"
    )


if __name__ == "__main__":
    main()
