"""Async jobs, measured: time from submit (202) to done for a job at scale 1 and scale 20.

    .venv/bin/python benchmarks/jobs.py [--scales 1 20] [--reps 5]

The path is the production one, locally: the chat API's handler takes `POST /v1/query` with
`"async": true`, the job row goes to PostgreSQL and its id to SQS (moto's server on 127.0.0.1), a
worker (`SqsWorker`, what `crq jobs worker` runs; the jobs Lambda calls the same `JobRunner`) claims
and runs it, and the client polls `GET /v1/jobs/{id}` every 20 ms. The query is a base-table query
over the full history (180 days of cost by instance type and month: no materialized view has
instance_type, so the base tables answer at every scale). Printed side by side: the same query run
synchronously (with no budget), so the difference is the job's own cost (queue, claim, store, poll),
and what the API does with it under the default settings (answer at once, or 202 and why). Databases are the
embedded PostgreSQL under $CRQ_HOME/bench-<scale> (benchmarks/materialized.py's, loaded once).
The last line: `job_s1_submit_to_done_ms= job_s1_sync_ms= job_s20_submit_to_done_ms= job_s20_sync_ms=`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
sys.path.insert(0, str(Path(__file__).parent))

import boto3
from materialized import database
from moto.server import ThreadedMotoServer

from runtime.aws import api
from runtime.aws.queue import SqsQueue, SqsWorker
from runtime.server import LocalContext, event_from
from semantic import load_model

INTENT = {"metrics": ["cost"], "dimensions": ["instance_type", {"name": "usage_date", "grain": "month"}]}


def request(method: str, path: str, body: object = None) -> tuple[int, dict]:
    """One request through the handler, as `crq serve` makes it (a payload 2.0 event)."""
    data = json.dumps(body).encode() if body is not None else b""
    result = api.handler(event_from(method, path, {}, data, "127.0.0.1"), LocalContext())
    return result["statusCode"], json.loads(result["body"])


def measure(scale: float, reps: int, sqs: object, queue_url: str) -> tuple[float, float, int, str]:
    url = database(scale)
    c = api.Container(load_model(), url)
    c.queue = SqsQueue(queue_url, sqs)
    api.use_container(c)
    worker = SqsWorker(queue_url, sqs, c.runner, wait_s=1)
    threading.Thread(target=worker.run, daemon=True).start()
    body = {"intent": INTENT, "as_of": "2026-06-17"}
    status, first = request("POST", "/v1/query", body)  # with the defaults; also warms connections
    default = f"202 ({first['reason']})" if status == 202 else f"{status}"
    # the synchronous baseline may take as long as it takes: no budget, no plan-cost check
    c.job_settings = dataclasses.replace(c.job_settings, sync_budget_s=3600, plan_cost=math.inf)
    sync: list[float] = []
    job: list[float] = []
    answers = []

    def run_sync() -> None:
        start = time.perf_counter()
        status, answer = request("POST", "/v1/query", body)
        sync.append((time.perf_counter() - start) * 1000)
        assert status == 200 and not answer["materialization"], answer
        answers.append(answer)

    def run_job() -> None:
        start = time.perf_counter()
        status, accepted = request("POST", "/v1/query", {**body, "async": True})
        assert status == 202, accepted
        while (done := request("GET", accepted["status_url"])[1])["status"] not in ("done", "failed"):
            time.sleep(0.02)
        job.append((time.perf_counter() - start) * 1000)
        assert done["status"] == "done", done
        answers.append(done["answer"])

    for rep in range(reps):  # alternate which goes first, so that neither always finds warm caches
        for run in (run_sync, run_job) if rep % 2 == 0 else (run_job, run_sync):
            run()
    assert all(a["rows"] == answers[0]["rows"] for a in answers)
    rows = len(answers[0]["rows"])
    worker.stopping.set()
    api.use_container(None)
    return statistics.median(job), statistics.median(sync), rows, default


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 20])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    os.environ.setdefault("CRQ_AUTH", "none")
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.update(AWS_DEFAULT_REGION="us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    sqs = boto3.client("sqs", endpoint_url=f"http://{host}:{port}")
    queue_url = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    print(f"{'scale':>5} {'rows':>6} {'sync ms':>10} {'job submit->done ms':>20} {'job overhead ms':>16}  "
          "with the default settings")
    line = []
    for scale in args.scales:
        job, sync, rows, default = measure(scale, args.reps, sqs, queue_url)
        print(f"{scale:>5g} {rows:>6} {sync:>10.1f} {job:>20.1f} {job - sync:>16.1f}  {default}", flush=True)
        line += [f"job_s{scale:g}_submit_to_done_ms={job:.0f}", f"job_s{scale:g}_sync_ms={sync:.0f}"]
    server.stop()
    print(" ".join(line))


if __name__ == "__main__":
    main()
