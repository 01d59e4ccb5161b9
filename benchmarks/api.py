"""The chat API, measured: cold start, warm latency through the handler, and a load test on `crq serve`.

    .venv/bin/python benchmarks/api.py [--clients 50] [--requests 40] [--warm 200]

Uses the embedded PostgreSQL under $CRQ_HOME/bench-api (the seed-42 sample at scale 1 as of 2026-06-17,
views built; loaded once and reused). In one run:
  * cold start, each in a fresh `python -I`-like process (median of 5): import of the handler module +
    model load, and the same plus the first POST /v1/chat (connections, mapper build, query);
  * warm POST /v1/chat through the handler in this process: p50/p95 for questions a view answers and for
    questions only the base tables answer (each --warm times, interleaved);
  * load: `crq serve` in its own process, --clients concurrent clients x --requests each, mixed questions
    and follow-ups; errors, p50/p95/p99 and requests per second.
Last line:
    api_cold_start_ms= api_warm_p50_ms= api_warm_p95_ms= load_errors= load_rps= load_p95_ms=
(cold start = import + model load; warm = view-answered questions.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 6, 17)
VIEW_QUESTIONS = [  # answered from a materialized view (checked below, not assumed)
    "cost by service last month",
    "How many running EC2 instances per region?",
    "monthly cost for the last 3 months",
    "cost by region this year",
]
BASE_QUESTIONS = [  # answered from the base tables
    "Top 5 accounts by cost last month",
    "cost of untagged resources in prod last month",
    "total cost by resource name last week, top 10",
]
FOLLOW_UPS = ["make it 3", "now only in prod", "and by region?"]


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _database(home: Path) -> str:
    """The embedded database with the sample and views, kept alive by this process."""
    os.environ["CRQ_HOME"] = str(home)
    from runtime.database import database_url
    from runtime.materialized_views import ViewManager
    from runtime.sample import load_sample, sample_marker
    from semantic import load_model

    url = database_url()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        marker = conn.execute(
            "SELECT obj_description(to_regnamespace('inventory'), 'pg_namespace')"
        ).fetchone()
    if not marker or marker[0] != sample_marker(seed=42, scale=1, as_of=AS_OF, days=180):
        load_sample(url, seed=42, scale=1, as_of=AS_OF, days=180)
        ViewManager(url, load_model()).create()
    elif not all(s.usable for s in ViewManager(url, load_model()).status()):
        ViewManager(url, load_model()).refresh()
    return url


_COLD = """
import json, os, sys, time
t0 = time.perf_counter()
from runtime.aws import api
if sys.argv[1] == "restored":  # SnapStart: the init ran before the snapshot; time what a restore leaves
    api.before_snapshot()
    t0 = time.perf_counter()
c = api.Container.from_env()
c.model
t1 = time.perf_counter()
if sys.argv[1] in ("request", "restored", "uncached"):
    api.use_container(c)
    class Ctx:
        function_name = "crq"; memory_limit_in_mb = 1024; aws_request_id = "cold"
        invoked_function_arn = "arn:aws:lambda:us-east-1:0:function:crq"
    from runtime.server import event_from
    body = json.dumps({"question": "Top 5 accounts by cost last month", "as_of": "2026-06-17"}).encode()
    r = api.handler(event_from("POST", "/v1/chat", {}, body, "127.0.0.1"), Ctx())
    assert r["statusCode"] == 200, r
t2 = time.perf_counter()
print(json.dumps({"import_and_model_ms": (t1 - t0) * 1000, "total_ms": (t2 - t0) * 1000}))
"""


def cold_start(url: str, runs: int = 5) -> dict[str, float]:
    """Medians of: import + model load; the same + the first request (the values the mapper knows
    from the data read from ``crq_app.known_values``, as every container but the first finds them);
    the same when they must be read from the tables (the first container, or after their max age);
    and the first request in a process where ``before_snapshot`` (what SnapStart snapshots) already
    ran, which is what a container restored from a snapshot still does (the restore itself is AWS's and
    not measured here)."""
    env = {**os.environ, "CRQ_DATABASE_URL": url, "CRQ_AUTH": "none", "PYTHONPATH": str(ROOT)}
    kinds: dict[str, list[float]] = {"model": [], "request": [], "uncached": [], "restored": []}
    for _ in range(runs):
        for kind, out in kinds.items():
            run_env = {**env, "CRQ_VALUES_MAX_AGE_MINUTES": "0"} if kind == "uncached" else env
            p = subprocess.run(
                [sys.executable, "-c", _COLD, kind], capture_output=True, text=True, env=run_env, cwd=ROOT
            )
            if p.returncode:
                raise SystemExit(f"cold start ({kind}) failed:\n{p.stderr[-2000:]}")
            result = json.loads(p.stdout.strip().splitlines()[-1])
            out.append(result["import_and_model_ms"] if kind == "model" else result["total_ms"])
    return {kind: statistics.median(values) for kind, values in kinds.items()}


def warm(url: str, n: int) -> dict[str, list[float]]:
    from runtime.aws import api
    from runtime.server import event_from
    from semantic import load_model

    os.environ["CRQ_AUTH"] = "none"
    api.use_container(api.Container(load_model(), url))

    class Ctx:
        function_name, memory_limit_in_mb, aws_request_id = "crq", 1024, "warm"
        invoked_function_arn = "arn:aws:lambda:us-east-1:0:function:crq"

    def ask(question: str) -> tuple[float, dict]:
        body = json.dumps({"question": question, "as_of": AS_OF.isoformat()}).encode()
        event = event_from("POST", "/v1/chat", {}, body, "127.0.0.1")
        start = time.perf_counter()
        r = api.handler(event, Ctx())
        ms = (time.perf_counter() - start) * 1000
        assert r["statusCode"] == 200, r
        return ms, json.loads(r["body"])

    for q in VIEW_QUESTIONS + BASE_QUESTIONS:  # warm-up, and check each question is what it claims
        _, answer = ask(q)
        assert answer["status"] == "answered", (q, answer["status"], answer["message"])
        assert bool(answer["materialization"]) == (q in VIEW_QUESTIONS), (q, answer["materialization"])
    times: dict[str, list[float]] = {"view": [], "base": []}
    for i in range(n):
        times["view"].append(ask(VIEW_QUESTIONS[i % len(VIEW_QUESTIONS)])[0])
        times["base"].append(ask(BASE_QUESTIONS[i % len(BASE_QUESTIONS)])[0])
    return times


def load(url: str, clients: int, requests: int) -> tuple[int, float, list[float]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CRQ_AUTH": "none"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "crq"), "serve", "--port", str(port), "--database-url", url],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        errors = [0]
        kinds: dict[str, int] = {}
        lock = threading.Lock()

        def client(k: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conversation = None
            for i in range(requests):
                follow = conversation is not None and i % 3 != 0
                question = (
                    FOLLOW_UPS[i % len(FOLLOW_UPS)]
                    if follow
                    else (VIEW_QUESTIONS + BASE_QUESTIONS)[
                        (k + i) % (len(VIEW_QUESTIONS) + len(BASE_QUESTIONS))
                    ]
                )
                body = {"question": question, "as_of": AS_OF.isoformat()}
                if follow:
                    body["conversation_id"] = conversation
                start = time.perf_counter()
                try:
                    conn.request("POST", "/v1/chat", json.dumps(body), {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    answer = json.loads(r.read())
                    ok = r.status == 200 and answer["status"] in ("answered", "clarify")
                    conversation = answer.get("conversation_id") if ok else None
                    kind = (
                        ""
                        if ok
                        else f"{r.status} {answer.get('status') or answer.get('error', {}).get('code')}"
                    )
                except (OSError, http.client.HTTPException, ValueError) as e:
                    ok, kind = False, type(e).__name__
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ms = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(ms)
                    errors[0] += not ok
                    if kind:
                        kinds[kind] = kinds.get(kind, 0) + 1

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        if kinds:
            print("load errors by kind:", ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())))
        return errors[0], len(latencies) / elapsed, latencies
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warm", type=int, default=200)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from runtime.database import crq_home

    url = _database(crq_home() / "bench-api")
    cold = cold_start(url)
    cold_model = cold["model"]
    print(
        f"cold start (fresh process, median of 5): import + model load {cold_model:.0f} ms; "
        f"+ first POST /v1/chat {cold['request']:.0f} ms (values from crq_app.known_values), "
        f"{cold['uncached']:.0f} ms (values read from the tables); after a SnapStart restore, the first "
        f"POST /v1/chat {cold['restored']:.0f} ms"
    )
    times = warm(url, args.warm)
    for kind, values in times.items():
        print(
            f"warm POST /v1/chat, {kind}-answered: p50 {_percentile(values, 0.5):.2f} ms, "
            f"p95 {_percentile(values, 0.95):.2f} ms (n={len(values)})"
        )
    errors, rps, latencies = load(url, args.clients, args.requests)
    print(
        f"load on crq serve: {args.clients} clients x {args.requests} requests, {errors} errors, "
        f"{rps:.0f} req/s, p50 {_percentile(latencies, 0.5):.1f} ms, "
        f"p95 {_percentile(latencies, 0.95):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms"
    )
    print(
        f"api_cold_start_ms={cold_model:.0f} api_warm_p50_ms={_percentile(times['view'], 0.5):.2f} "
        f"api_warm_p95_ms={_percentile(times['view'], 0.95):.2f} load_errors={errors} load_rps={rps:.0f} "
        f"load_p95_ms={_percentile(latencies, 0.95):.1f}"
    )


if __name__ == "__main__":
    main()
