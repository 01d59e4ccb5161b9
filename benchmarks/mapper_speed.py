"""The offline mapper's time per question, optionally side by side with another checkout.

    .venv/bin/python benchmarks/mapper_speed.py [--base PATH] [--runs 7]

Maps every question of the mapper cases (``tests/mapper_cases/*.yaml``, follow-ups after their
previous question) and of the shared dev set ($CRQ_SHARED, else ../shared) with one warm mapper, each
question ``--runs`` times, and takes each question's median. With ``--base``, the same questions (this
checkout's) are mapped by the mapper of the checkout at PATH (e.g. ``git archive HEAD`` unpacked into
/tmp), in its own process, in the same run. Last line:
    mapper_median_ms=X mapper_p90_ms=Y [base_median_ms=Z ratio=R]      (R = X / Z)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# run in the checkout being measured: questions on stdin as JSON, per-question medians out as JSON
_TIMER = """
import datetime as dt, json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from runtime.mappers.offline import OfflineMapper
from semantic import load_model
values = {"tag:owner": ["alice", "bob", "carol"], "tag:team": ["core", "web", "ml"],
          "tag:cost-center": ["cc-1001", "cc-1002"],
          "account_name": ["payments-prod", "search-staging", "data-sandbox", "search-prod"]}
mapper = OfflineMapper(load_model(), values, as_of=dt.date(2026, 6, 17))
runs = int(sys.argv[2])
out = []
for previous, question in json.load(sys.stdin):
    before = mapper.map(previous).intent if previous else None
    mapper.map(question, before)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        mapper.map(question, before)
        times.append(time.perf_counter() - start)
    out.append(statistics.median(times) * 1000)
print(json.dumps(out))
"""


def questions() -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for path in sorted((ROOT / "tests/mapper_cases").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()) or []:
            out.append((case.get("previous"), case["question"]))
    shared = Path(os.environ.get("CRQ_SHARED") or ROOT.parent / "shared") / "eval/dev_questions.yaml"
    if shared.exists():
        spec = yaml.safe_load(shared.read_text())
        by_id = {q["id"]: q["question"] for q in spec["questions"]}
        out += [(by_id.get(q.get("followup_of")), q["question"]) for q in spec["questions"]]
    return out


def timed(checkout: Path, qs: list[tuple[str | None, str]], runs: int) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", _TIMER, str(checkout), str(runs)],
        input=json.dumps(qs),
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
    )
    return [float(x) for x in json.loads(done.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, help="another checkout to time side by side")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    qs = questions()
    now = timed(ROOT, qs, args.runs)
    median, p90 = statistics.median(now), sorted(now)[int(0.9 * len(now))]
    print(f"{len(qs)} questions, {args.runs} runs each: median {median:.3f} ms, p90 {p90:.3f} ms")
    line = f"mapper_median_ms={median:.3f} mapper_p90_ms={p90:.3f}"
    if args.base:
        base = timed(args.base, qs, args.runs)
        base_median, base_p90 = statistics.median(base), sorted(base)[int(0.9 * len(base))]
        print(f"base {args.base}: median {base_median:.3f} ms, p90 {base_p90:.3f} ms")
        line += f" base_median_ms={base_median:.3f} ratio={median / base_median:.2f}"
    print(line)


if __name__ == "__main__":
    main()
