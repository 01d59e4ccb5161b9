"""The chat API, measured: cold start, warm latency through the handler, and a load test on `crq serve`.

    .venv/bin/python benchmarks/api.py [--clients 50] [--requests 40] [--warm 200] [--cold-runs 5]
                                       [--against OTHER_TREE] [--cold-only]

Uses the embedded PostgreSQL under $CRQ_HOME/bench-api (the seed-42 sample at scale 1 as of 2026-06-17,
views built; loaded once and reused). In one run:
  * cold start, each in a fresh process (medians of --cold-runs): import of the handler module +
    model load, and the same plus the first POST /v1/chat (connections, mapper build, query); beside
    them, in the same rounds, the library floor (a process importing only pydantic, psycopg, sqlglot
    and Powertools' event handler with its OpenAPI params module) and all the handler's libraries
    (every third-party module its import brings in), so crq's own part is a difference of two
    measured figures; wall clock and CPU time. Modules load from compiled bytecode, as the Lambda
    layers ship them (deploy/layers/build.py), kept in a private cache so nothing is written into the
    tree; the import is also timed from source, what a checkout without bytecode pays.
    With --against, another tree (e.g. `git worktree add /tmp/base <commit>`) is measured in the same
    rounds, alternating, with this process's interpreter; --cold-only stops after the cold start;
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
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
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
t0, c0 = time.perf_counter(), time.process_time()
from runtime.aws import api
if sys.argv[1] == "restored":  # SnapStart: the init ran before the snapshot; time what a restore leaves
    api.before_snapshot()
    t0, c0 = time.perf_counter(), time.process_time()
c = api.Container.from_env()
c.model
t1, c1 = time.perf_counter(), time.process_time()
if sys.argv[1] in ("request", "restored", "uncached"):
    api.use_container(c)
    class Ctx:
        function_name = "crq"; memory_limit_in_mb = 1024; aws_request_id = "cold"
        invoked_function_arn = "arn:aws:lambda:us-east-1:0:function:crq"
    from runtime.server import event_from
    body = json.dumps({"question": "Top 5 accounts by cost last month", "as_of": "2026-06-17"}).encode()
    r = api.handler(event_from("POST", "/v1/chat", {}, body, "127.0.0.1"), Ctx())
    assert r["statusCode"] == 200, r
t2, c2 = time.perf_counter(), time.process_time()
wall = {"import_and_model_ms": (t1 - t0) * 1000, "total_ms": (t2 - t0) * 1000}
cpu = {"cpu_import_and_model_ms": (c1 - c0) * 1000, "cpu_total_ms": (c2 - c0) * 1000}
print(json.dumps(wall | cpu))
"""


_TIMED = """
import importlib, json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
t1, c1 = time.perf_counter(), time.process_time()
wall, cpu = (t1 - t0) * 1000, (c1 - c0) * 1000
print(json.dumps({"import_and_model_ms": wall, "total_ms": wall,
                  "cpu_import_and_model_ms": cpu, "cpu_total_ms": cpu}))
"""
_THIRD_PARTY = """
import json, sys, sysconfig
before = set(sys.modules)
from runtime.aws import api
site = tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
print(json.dumps([m for m in sys.modules if m not in before and (getattr(sys.modules[m], "__file__", None)
                  or "").startswith(site)]))
"""
FLOOR = ["pydantic", "psycopg", "sqlglot", "aws_lambda_powertools.event_handler.openapi.params"]
CRQ_PACKAGES = ("models", "semantic", "compiler", "runtime")
# what each kind of fresh process runs, and its argument ("libraries": filled in per tree)
_KINDS = {
    "floor": (_TIMED, json.dumps(FLOOR)),
    "libraries": (_TIMED, ""),
    "import": (_TIMED, json.dumps(["runtime.aws.api"])),
    "import_source": (_TIMED, json.dumps(["runtime.aws.api"])),
    "model": (_COLD, "model"),
    "request": (_COLD, "request"),
    "uncached": (_COLD, "uncached"),
    "restored": (_COLD, "restored"),
}


def cold_start(url: str, trees: list[Path], runs: int = 5) -> dict[Path, dict[str, dict[str, float]]]:
    """Medians, per tree, of the wall-clock and CPU time of fresh processes:
      * floor: only pydantic, psycopg, sqlglot and Powertools' event handler with its OpenAPI params
        module imported (the libraries no handler of this API can do without);
      * libraries: every third-party module the handler's import brings in (Powertools' Logger and
        Metrics, PyYAML, Jinja2 too), imported in the same order without crq: import minus this is
        crq's own part, its modules and what they do on import (pydantic building crq's models);
      * import: the handler module; import_source: the same without bytecode for crq's modules;
      * model: import + model load; request: the same + the first request (the values the mapper knows
        from the data read from ``crq_app.known_values``, as every container but the first finds them);
        uncached: the same when they must be read from the tables (the first container, or after
        their max age); restored: the first request in a process where ``before_snapshot`` (what
        SnapStart snapshots) already ran, which is what a container restored from a snapshot still
        does (the restore itself is AWS's and not measured here).
    The kinds and the trees alternate within each round, the trees' order flipping every round, so a
    machine busy with other work, or a database whose caches the previous process warmed, favours none.

    Bytecode: Lambda runs the layers' precompiled .pyc (deploy/layers/build.py), so the processes read
    theirs from a private PYTHONPYCACHEPREFIX, filled by one untimed run of each kind first; the
    ``import_source`` kind writes and reads no bytecode for crq's modules, as a checkout run with
    PYTHONDONTWRITEBYTECODE does (the libraries' own .pyc are read in both cases)."""
    cache = Path(tempfile.mkdtemp(prefix="crq-bench-pyc-"))
    bytecode, libs_only = cache / "all", cache / "libraries"  # libs_only: the same less crq's modules
    skip = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    base = {k: v for k, v in os.environ.items() if k not in skip}
    base |= {"CRQ_DATABASE_URL": url, "CRQ_AUTH": "none"}
    libraries: dict[Path, str] = {}
    out: dict[Path, dict[str, list[tuple[float, float]]]] = {t: {k: [] for k in _KINDS} for t in trees}

    def run(tree: Path, code: str, arg: str, env: dict[str, str]) -> str:
        env = {**base, "PYTHONPATH": str(tree)} | env
        p = subprocess.run(
            [sys.executable, "-c", code, arg], capture_output=True, text=True, env=env, cwd=tree
        )
        if p.returncode:
            raise SystemExit(f"cold start ({tree}, {arg[:40]}) failed:\n{p.stderr[-2000:]}")
        return p.stdout.strip().splitlines()[-1]

    def once(tree: Path, kind: str) -> tuple[float, float]:
        code, arg = _KINDS[kind]
        env = {"PYTHONPYCACHEPREFIX": str(bytecode)}
        if kind == "import_source":
            env = {"PYTHONPYCACHEPREFIX": str(libs_only), "PYTHONDONTWRITEBYTECODE": "1"}
        if kind == "uncached":
            env["CRQ_VALUES_MAX_AGE_MINUTES"] = "0"
        result = json.loads(run(tree, code, libraries[tree] if kind == "libraries" else arg, env))
        key = "import_and_model_ms" if kind == "model" else "total_ms"
        return float(result[key]), float(result[f"cpu_{key}"])

    try:
        for tree in trees:  # the libraries; fill the bytecode cache (and the database's caches): untimed
            libraries[tree] = run(tree, _THIRD_PARTY, "", {"PYTHONDONTWRITEBYTECODE": "1"})
            for kind in _KINDS:
                if kind != "import_source":
                    once(tree, kind)
        shutil.copytree(bytecode, libs_only)
        for tree in trees:  # the cache mirrors absolute paths (the tree's .venv may be in it: kept)
            for package in CRQ_PACKAGES:
                shutil.rmtree(libs_only / tree.relative_to(tree.anchor) / package, ignore_errors=True)
        for run_ in range(runs):
            for kind in _KINDS:
                for tree in trees if run_ % 2 == 0 else trees[::-1]:  # neither always goes first
                    out[tree][kind].append(once(tree, kind))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {
        tree: {
            clock: {kind: statistics.median(times[i] for times in v) for kind, v in kinds.items()}
            for i, clock in enumerate(("wall clock", "CPU time of the process"))
        }
        for tree, kinds in out.items()
    }


def _print_cold(tree: Path, cold: dict[str, dict[str, float]], runs: int) -> None:
    for clock, ms in cold.items():
        print(
            f"cold start of {tree}, {clock} (fresh processes, medians of {runs}): library floor "
            f"{ms['floor']:.0f} ms, all the handler's libraries {ms['libraries']:.0f} ms; import of the "
            f"handler {ms['import']:.0f} ms (crq's own part {ms['import'] - ms['libraries']:.0f} ms; from "
            f"source {ms['import_source']:.0f} ms); import + model load {ms['model']:.0f} ms; + first POST "
            f"/v1/chat {ms['request']:.0f} ms (values from crq_app.known_values), {ms['uncached']:.0f} ms "
            f"(values read from the tables); after a SnapStart restore, the first POST /v1/chat "
            f"{ms['restored']:.0f} ms"
        )


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
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per kind (medians)")
    parser.add_argument("--against", type=Path, help="another tree to measure the cold start of, alternating")
    parser.add_argument("--cold-only", action="store_true", help="only the cold start")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from runtime.database import crq_home

    url = _database(crq_home() / "bench-api")
    trees = [ROOT] + ([args.against.resolve()] if args.against else [])
    colds = cold_start(url, trees, args.cold_runs)
    for tree in trees:
        _print_cold(tree, colds[tree], args.cold_runs)
    cold_model = colds[ROOT]["wall clock"]["model"]
    if args.cold_only:
        return
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
