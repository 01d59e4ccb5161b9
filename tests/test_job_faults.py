"""Jobs on SQS and S3 (moto's server over real HTTP on 127.0.0.1) and the faults of the issue's table,
each on the real database: the jobs Lambda with partial batch failures, the DLQ, large results in S3,
a refused send, a worker killed mid-job, a worker told to stop, a connection killed mid-query, a
database or secret unreachable at cold start, and 100 jobs under random faults."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from conftest import AS_OF
from test_api import POLICY, V2, as_request, call, container
from test_jobs import INTENT, _same, poll, tables_locked

from models.errors import DatabaseError
from models.intent import Intent
from runtime.aws import api
from runtime.aws import jobs as jobs_lambda
from runtime.aws.queue import S3Results, SqsQueue, SqsWorker
from runtime.jobs import JobRunner, JobSettings

EVENTS = Path(__file__).parent / "fixtures" / "aws" / "events"
CRQ = str(Path(sys.executable).parent / "crq")
QUERY = {"intent": INTENT, "as_of": str(AS_OF)}


AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL": moto_url}.items():
        monkeypatch.setenv(name, value)
    return {**AWS_ENV, "AWS_ENDPOINT_URL": moto_url}


@dataclasses.dataclass
class Queues:
    sqs: Any
    url: str
    arn: str
    dlq_url: str


def make_queues(visibility_s: int = 1, max_receives: int = 3) -> Queues:
    """A jobs queue and its dead-letter queue, as deploy/terraform makes them (smaller timeouts)."""
    sqs = boto3.client("sqs")
    name = f"crq-jobs-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(visibility_s),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
    })["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queues(sqs, url, arn, dlq)


def sqs_container(url: str, q: Queues, **settings: Any) -> api.Container:
    c = container(url)
    c.job_settings = dataclasses.replace(JobSettings(max_attempts=3), **settings)
    c.queue = SqsQueue(q.url, q.sqs)
    assert c.known_values
    return c


def bodies(sqs: Any, url: str, wait_s: int = 0) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s)
    return [m["Body"] for m in got.get("Messages", ())]


# --- the jobs Lambda, driven as its event source mapping drives it -------------------------------------

_TEMPLATE = json.loads((EVENTS / "sqsEvent.json").read_text())["Records"][0]


class Context:
    function_name = "crq-jobs"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crq-jobs"
    aws_request_id = "jobs-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


def record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    """AWS's sample SQS record carrying a real message received from the queue."""
    r = copy.deepcopy(_TEMPLATE)
    r.update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"], body=message["Body"],
             md5OfBody=message["MD5OfBody"], eventSourceARN=arn, awsRegion="us-east-1", messageAttributes={})
    r["attributes"]["ApproximateReceiveCount"] = message["Attributes"]["ApproximateReceiveCount"]
    return r


def lambda_round(q: Queues) -> tuple[int, set[str]]:
    """One poll of the event source mapping: receive a batch, invoke the handler, delete what it did
    not report failed (ReportBatchItemFailures). Returns (records, failed message ids)."""
    got = q.sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                AttributeNames=["ApproximateReceiveCount"])
    messages = got.get("Messages", [])
    if not messages:
        return 0, set()
    try:
        result = jobs_lambda.handler({"Records": [record(m, q.arn) for m in messages]}, Context())
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    except BatchProcessingError:  # every record failed: the invocation fails, the whole batch comes back
        failed = {m["MessageId"] for m in messages}
    for m in messages:
        if m["MessageId"] not in failed:
            q.sqs.delete_message(QueueUrl=q.url, ReceiptHandle=m["ReceiptHandle"])
    return len(messages), failed


def test_the_jobs_lambda_runs_a_batch_and_reports_only_the_poison_messages(aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=30)
    c = sqs_container(sample_url, q)
    api.use_container(c)
    try:
        _, chat, _ = call(as_request(V2, "POST", "/v1/chat", {"question": "Top 5 accounts by cost last month",
                                                               "as_of": str(AS_OF), "async": True}))
        _, query, _ = call(as_request(V2, "POST", "/v1/query", {**QUERY, "async": True}))
        for poison in ("not json", json.dumps({"job_id": "no-such-job"})):
            q.sqs.send_message(QueueUrl=q.url, MessageBody=poison)
        got = q.sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    AttributeNames=["ApproximateReceiveCount"])["Messages"]
        assert len(got) == 4
        result = jobs_lambda.handler({"Records": [record(m, q.arn) for m in got]}, Context())
        poison_ids = {m["MessageId"] for m in got if "no-such-job" in m["Body"] or m["Body"] == "not json"}
        assert result == {"batchItemFailures": [{"itemIdentifier": i} for i in
                                                [m["MessageId"] for m in got if m["MessageId"] in poison_ids]]}
        for accepted, path, body in ((chat, "/v1/chat", {"question": "Top 5 accounts by cost last month",
                                                          "as_of": str(AS_OF)}), (query, "/v1/query", QUERY)):
            done = poll(V2, accepted["status_url"], timeout=1)
            _, sync, _ = call(as_request(V2, "POST", path, body))
            assert done["status"] == "done" and _same(done["answer"]) == _same(sync)
    finally:
        api.use_container(None)


def test_poison_messages_end_in_the_dead_letter_queue_and_block_nothing(aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=1, max_receives=2)
    c = sqs_container(sample_url, q)
    api.use_container(c)
    try:
        q.sqs.send_message(QueueUrl=q.url, MessageBody="{malformed")
        _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {**QUERY, "async": True}))
        q.sqs.send_message(QueueUrl=q.url, MessageBody=json.dumps({"job_id": "unknown-job"}))
        dead: list[str] = []
        deadline = time.monotonic() + 20
        while len(dead) < 2 and time.monotonic() < deadline:
            lambda_round(q)
            dead += bodies(q.sqs, q.dlq_url)
        assert sorted(dead) == sorted(["{malformed", json.dumps({"job_id": "unknown-job"})])
        assert poll(V2, accepted["status_url"], timeout=1)["status"] == "done"
    finally:
        api.use_container(None)


def test_a_result_over_the_inline_limit_is_kept_in_s3_behind_a_presigned_url(aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=30)
    s3 = boto3.client("s3")
    bucket = f"crq-results-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    c = sqs_container(sample_url, q, inline_bytes=1000)
    c.results = S3Results(bucket, "results/", s3)
    api.use_container(c)
    try:
        question = {"question": "cost by account last month", "as_of": str(AS_OF)}
        _, accepted, _ = call(as_request(V2, "POST", "/v1/chat", {**question, "async": True}))
        lambda_round(q)
        done = poll(V2, accepted["status_url"], timeout=1)
        _, sync, _ = call(as_request(V2, "POST", "/v1/chat", question))
        assert done["status"] == "done" and done["answer"]["rows"] == [] and len(sync["rows"]) > 10
        assert done["result_url"].startswith(aws["AWS_ENDPOINT_URL"] + f"/{bucket}/results/{accepted['job_id']}.json?")
        with urllib.request.urlopen(done["result_url"], timeout=10) as reply:
            whole = json.loads(reply.read())
        assert _same(whole) == _same({k: v for k, v in sync.items() if k not in ("conversation_id", "request_id")})
        assert _same({**done["answer"], "rows": whole["rows"]}) == _same(sync)
    finally:
        api.use_container(None)


def test_when_sqs_refuses_a_job_the_caller_gets_503_and_no_job_is_left_queued(
        aws: dict[str, str], sample_url: str) -> None:
    q = make_queues()
    c = sqs_container(sample_url, q)
    c.queue = SqsQueue(q.url + "-gone", q.sqs)  # a queue that does not exist: every send fails
    api.use_container(c)
    try:
        with psycopg.connect(sample_url) as conn:
            before = conn.execute("SELECT count(*) FROM crq_app.jobs").fetchone()
        status, body, headers = call(as_request(V2, "POST", "/v1/chat", {"question": "Top 5 accounts by cost last month",
                                                                          "as_of": str(AS_OF), "async": True}))
        assert (status, headers["Retry-After"]) == (503, "5")
        assert body["error"] == {"code": "queue_unavailable", "request_id": "req-1",
                                 "message": "the job queue is unavailable; try again shortly"}
        with psycopg.connect(sample_url) as conn:
            assert conn.execute("SELECT count(*) FROM crq_app.jobs").fetchone() == before
            turn = conn.execute("SELECT status, answer FROM crq_app.turns WHERE request_id = 'req-1' "
                                "ORDER BY at DESC LIMIT 1").fetchone()
        assert turn == ("error", "the job queue is unavailable; try again shortly")
    finally:
        api.use_container(None)


def test_a_job_whose_database_stays_down_is_failed_with_the_reason_and_its_message_dead_lettered(
        aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=1, max_receives=3)
    c = sqs_container(sample_url, q)
    api.use_container(c)
    try:
        _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {**QUERY, "async": True}))
        runner = c.runner
        down = dataclasses.replace(runner, service_for=_unreachable)
        c.__dict__["runner"] = down  # the jobs Lambda's container, its database gone
        dead: list[str] = []
        deadline = time.monotonic() + 20
        while not dead and time.monotonic() < deadline:
            lambda_round(q)
            dead = bodies(q.sqs, q.dlq_url)
        assert dead == [json.dumps({"job_id": accepted["job_id"]})]
        failed = poll(V2, accepted["status_url"], timeout=1)
        assert (failed["status"], failed["attempts"]) == ("failed", 3)
        assert failed["error"] == {"code": "unavailable", "message": "the database could not answer (3 attempts)"}
    finally:
        api.use_container(None)


def _unreachable(as_of: Any, timezone: str) -> Any:
    raise DatabaseError("cannot connect to the database: connection refused")


# --- workers in their own processes: killed, or told to stop -----------------------------------------


def _worker(env: dict[str, str], url: str, q: Queues, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CRQ, "jobs", "worker", "--wait", "1", "--database-url", url],
        env={**os.environ, **env, "CRQ_JOBS_QUEUE_URL": q.url, "CRQ_ACCESS_FILE": "", **extra},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _state(url: str, job_id: str) -> tuple[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT status, attempts FROM crq_app.jobs WHERE id = %s", (job_id,)).fetchone()
    assert row is not None
    return row[0], row[1]


def _wait_for(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_worker_killed_mid_job_leaves_it_to_the_next_delivery_which_completes_it_once(
        aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=3)
    c = sqs_container(sample_url, q)
    api.use_container(c)
    try:
        with tables_locked(sample_url):
            _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {**QUERY, "async": True}))
            job_id = accepted["job_id"]
            # its lease: 3 s of timeout + 0.5 s of margin, over by the message's second return
            worker = _worker(aws, sample_url, q, CRQ_JOB_TIMEOUT_S="3", CRQ_JOB_LEASE_MARGIN_S="0.5")
            _wait_for(lambda: _state(sample_url, job_id) == ("running", 1))
            worker.kill()  # SIGKILL: no goodbye, the message stays in flight until its timeout
            worker.wait(10)
        successor = SqsWorker(q.url, q.sqs, c.runner, wait_s=1)
        threading.Thread(target=successor.run, daemon=True).start()
        try:
            done = poll(V2, accepted["status_url"], timeout=30)
        finally:
            successor.stopping.set()
        _, sync, _ = call(as_request(V2, "POST", "/v1/query", QUERY))
        assert (done["status"], done["attempts"]) == ("done", 2)
        assert _same(done["answer"]) == _same(sync)
        time.sleep(3.5)  # past the visibility timeout: nothing comes back, nothing went to the DLQ
        assert bodies(q.sqs, q.url) == [] and bodies(q.sqs, q.dlq_url) == []
    finally:
        api.use_container(None)


def test_a_worker_told_to_stop_gives_its_job_back_at_once(aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=600)  # without the give-back the message would be gone for 10 minutes
    c = sqs_container(sample_url, q)
    api.use_container(c)
    try:
        with tables_locked(sample_url):
            _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {**QUERY, "async": True}))
            worker = _worker(aws, sample_url, q)
            _wait_for(lambda: _state(sample_url, accepted["job_id"]) == ("running", 1))
            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            _, err = worker.communicate(timeout=20)
            assert worker.returncode == 0, err
            assert time.monotonic() - started < 10
            assert "crq jobs worker stopped: its job went back to the queue" in err
            assert _state(sample_url, accepted["job_id"]) == ("queued", 0)
        got = q.sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]
        assert [m["Body"] for m in got] == [json.dumps({"job_id": accepted["job_id"]})]
        q.sqs.change_message_visibility(QueueUrl=q.url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
        lambda_round(q)
        done = poll(V2, accepted["status_url"], timeout=5)
        assert (done["status"], done["attempts"]) == ("done", 1)
    finally:
        api.use_container(None)


# --- faults of synchronous requests ------------------------------------------------------------------


def _reader_backends(url: str, waiting: bool = True) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE usename = 'crq_reader' AND state = 'active' "
                            "AND (NOT %s OR wait_event_type = 'Lock')", (waiting,)).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("kills", [1, 2])
def test_a_connection_killed_mid_query_is_retried_once_then_503(sample_url: str, kills: int) -> None:
    c = container(sample_url)
    assert c.known_values
    api.use_container(c)
    result: dict[str, Any] = {}
    try:
        with tables_locked(sample_url):
            asking = threading.Thread(target=lambda: result.update(
                reply=call(as_request(V2, "POST", "/v1/query", QUERY))))
            asking.start()
            killed: set[int] = set()
            for _ in range(kills):  # the query waits on the lock; its connection is killed under it
                _wait_for(lambda: len(set(_reader_backends(sample_url)) - killed) == 1)
                pid = (set(_reader_backends(sample_url)) - killed).pop()
                with psycopg.connect(sample_url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                killed.add(pid)
        asking.join(30)
        status, body, _ = result["reply"]
        if kills == 1:
            c2 = container(sample_url)
            api.use_container(c2)
            _, sync, _ = call(as_request(V2, "POST", "/v1/query", QUERY))
            assert status == 200 and _same(body) == _same(sync)
        else:
            assert (status, body["error"]["code"]) == (503, "database_unavailable")
    finally:
        api.use_container(None)


class Forwarder:
    """A TCP port that forwards to the database's socket when up, and refuses connections when down:
    a database host that goes away and comes back."""

    def __init__(self, url: str) -> None:
        info = psycopg.conninfo.conninfo_to_dict(url)
        self.target = f"{info['host']}/.s.PGSQL.{info.get('port') or 5432}"
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.server: socket.socket | None = None

    def up(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def down(self) -> None:
        if self.server:
            self.server.close()

    def _accept(self, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = server.accept()
                upstream = socket.socket(socket.AF_UNIX)
                upstream.connect(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)


def test_a_database_unreachable_at_cold_start_is_a_503_and_the_next_request_tries_again(
        sample_url: str, model: Any) -> None:
    if "host=/" not in sample_url:
        pytest.skip("the forwarder reaches the embedded database's unix socket")
    gate = Forwarder(sample_url)
    info = psycopg.conninfo.conninfo_to_dict(sample_url)
    via = psycopg.conninfo.make_conninfo(host="127.0.0.1", port=str(gate.port), user=info.get("user") or "postgres",
                                         dbname=info.get("dbname") or "postgres", connect_timeout="2")
    api.use_container(container(via))
    try:
        status, body, _ = call(as_request(V2, "POST", "/v1/query", QUERY))
        assert (status, body["error"]["code"]) == (503, "database_unavailable")
        gate.up()
        status, body, _ = call(as_request(V2, "POST", "/v1/query", QUERY))
        assert status == 200 and body["status"] == "answered"
    finally:
        gate.down()
        api.use_container(None)


def test_secrets_manager_unreachable_at_cold_start_is_a_503_and_the_next_request_tries_again(
        aws: dict[str, str], sample_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = boto3.client("secretsmanager")
    name = f"crq-db-{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}"
    monkeypatch.setenv("CRQ_DATABASE_SECRET_ARN", name)
    monkeypatch.setenv("CRQ_APP_DATABASE_URL", sample_url)
    monkeypatch.setenv("CRQ_DATABASE_SSLMODE", "disable")
    monkeypatch.setenv("CRQ_ACCESS_FILE", str(POLICY))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    api.use_container(None)
    try:
        status, body, headers = call(as_request(V2, "POST", "/v1/query", QUERY))
        assert (status, headers["Retry-After"]) == (503, "5")
        assert body["error"] == {"code": "unavailable", "request_id": "req-1",
                                 "message": "crq cannot reach its database just now; try again shortly"}
        assert arn not in json.dumps(body)
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws["AWS_ENDPOINT_URL"])  # Secrets Manager is back
        info = psycopg.conninfo.conninfo_to_dict(sample_url)
        secrets.create_secret(Name=name, SecretString=json.dumps({
            "username": info.get("user") or "postgres", "password": "unused", "host": info["host"],
            "dbname": info.get("dbname") or "postgres"}))
        status, body, _ = call(as_request(V2, "POST", "/v1/query", QUERY))
        assert status == 200 and body["status"] == "answered", body
    finally:
        api.use_container(None)
        secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


# --- 100 jobs under random faults ----------------------------------------------------------------------

INTENTS = [
    {"metrics": ["cost"], "dimensions": ["region"], "time_range": {"kind": "previous", "unit": "month"}},
    {"metrics": ["resource_count"], "dimensions": ["service"]},
    {"metrics": ["cost"], "dimensions": ["business_unit"], "time_range": {"kind": "trailing", "n": 7, "unit": "day"}},
]


class Crash(BaseException):
    """A worker dying between claiming a job and finishing it (not an Exception: nothing catches it)."""


def test_a_hundred_jobs_under_random_faults_all_end_none_twice(aws: dict[str, str], sample_url: str) -> None:
    rng = random.Random(20261205)
    q = make_queues(visibility_s=1, max_receives=4)
    settings = {"lease_margin_s": 0.2, "timeout_s": 2, "max_attempts": 4}
    front = sqs_container(sample_url, q, **settings)
    api.use_container(front)
    expected = []
    for intent in INTENTS:
        _, sync, _ = call(as_request(V2, "POST", "/v1/query", {"intent": intent, "as_of": str(AS_OF)}))
        expected.append(_same(sync))
    finished: Counter[str] = Counter()
    lock = threading.Lock()
    workers = []
    for _ in range(3):
        c = sqs_container(sample_url, q, **settings)
        runner: JobRunner = c.runner
        store_finish = runner.store.finish

        def finish(job: Any, result: Any, location: Any, store_finish: Any = store_finish) -> bool:
            ok = store_finish(job, result, location)
            with lock:
                finished[job.id] += ok
            return ok

        def service_for(as_of: Any, timezone: str, real: Any = runner.service_for) -> Any:
            fault = rng.random()
            if fault < 0.1:
                raise DatabaseError("injected: the database went away")
            if fault < 0.15:
                raise Crash  # the worker thread dies here; its job's lease runs out
            return real(as_of, timezone)

        runner.store.finish = finish  # type: ignore[method-assign]
        runner.service_for = service_for
        workers.append(SqsWorker(q.url, q.sqs, runner, wait_s=1))

    def work(worker: SqsWorker) -> None:
        while not worker.stopping.is_set():
            with contextlib.suppress(Crash):
                worker.run()

    def sweeper() -> None:
        while not workers[0].stopping.is_set():
            jobs_lambda.sweep(front.jobs, front.queue, dataclasses.replace(front.job_settings, resend_after_s=3))
            # connections killed now and then, under queries or between them
            with contextlib.suppress(Exception), psycopg.connect(sample_url, autocommit=True) as admin:
                pids = _reader_backends(sample_url, waiting=False)
                if pids and rng.random() < 0.3:
                    admin.execute("SELECT pg_terminate_backend(%s)", (rng.choice(pids),))
            time.sleep(0.5)

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in workers]
    threads.append(threading.Thread(target=sweeper, daemon=True))
    try:
        submitted = []
        for i in range(100):
            which = i % len(INTENTS)
            _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {"intent": INTENTS[which], "as_of": str(AS_OF),
                                                                        "async": True}))
            submitted.append((accepted["job_id"], which))
            if rng.random() < 0.2:  # a duplicate delivery
                q.sqs.send_message(QueueUrl=q.url, MessageBody=json.dumps({"job_id": accepted["job_id"]}))
            if rng.random() < 0.05:  # a poison message among them
                q.sqs.send_message(QueueUrl=q.url, MessageBody="poison")
        for t in threads:
            t.start()
        ids = [job_id for job_id, _ in submitted]

        def states() -> Counter[str]:
            with psycopg.connect(sample_url) as conn:
                rows = conn.execute("SELECT status FROM crq_app.jobs WHERE id = ANY(%s)", (ids,)).fetchall()
            return Counter(r[0] for r in rows)

        _wait_for(lambda: states()["done"] + states()["failed"] == 100, timeout=120)
    finally:
        for w in workers:
            w.stopping.set()
    final = states()
    outcomes = []
    for job_id, which in submitted:
        _, status, _ = call(as_request(V2, "GET", f"/v1/jobs/{job_id}"))
        if status["status"] == "done":
            assert _same(status["answer"]) == expected[which]
            assert finished[job_id] == 1, (job_id, finished[job_id])  # stored once, never twice
        else:
            assert status["error"]["code"] in ("unavailable", "worker_lost") and status["error"]["message"]
        outcomes.append(status["status"])
    assert sum(final.values()) == 100 and final["done"] >= 80, final
    print(f"100 jobs under faults: {dict(final)}, stored results {sum(finished.values())}")
    api.use_container(None)


# --- crq serve runs jobs: in-process, or on SQS at --aws-endpoint ----------------------------------------


@contextlib.contextmanager
def crq_serve(url: str, env: dict[str, str], *options: str) -> Iterator[str]:
    """`crq serve` as a developer starts it; yields its base URL."""
    process = subprocess.Popen([CRQ, "serve", "--port", "0", "--database-url", url, *options],
                               env={**os.environ, **env, "CRQ_AUTH": "none"}, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = ""
        while "crq API on" not in line:
            line = process.stderr.readline()
            assert line or process.poll() is None, "crq serve stopped"
        yield line.split("crq API on ", 1)[1].split()[0].removesuffix("/v1")
    finally:
        process.terminate()
        process.wait(10)


def _http(method: str, url: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=30) as reply:
        return reply.status, json.loads(reply.read())


@pytest.mark.parametrize("on_sqs", [False, True], ids=["in-process", "sqs"])
def test_crq_serve_runs_jobs(aws: dict[str, str], sample_url: str, on_sqs: bool) -> None:
    env, options = {}, ()
    if on_sqs:
        q = make_queues(visibility_s=30)
        env, options = {**aws, "CRQ_JOBS_QUEUE_URL": q.url}, ("--aws-endpoint", aws["AWS_ENDPOINT_URL"])
    with crq_serve(sample_url, env, *options) as base:
        status, accepted = _http("POST", f"{base}/v1/query", {**QUERY, "async": True})
        assert status == 202
        deadline = time.monotonic() + 30
        while (job := _http("GET", base + accepted["status_url"])[1])["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        _, sync = _http("POST", f"{base}/v1/query", QUERY)
    assert job["status"] == "done" and _same(job["answer"]) == _same(sync)
    if on_sqs:
        assert bodies(q.sqs, q.url) == []  # consumed and deleted by the server's worker


def test_the_worker_image_installs_every_package_and_runs_the_worker_as_a_non_root_user() -> None:
    """No docker here: what can be checked of the Dockerfile without building it."""
    import tomllib

    root = Path(__file__).parent.parent
    lines = [ln.split() for ln in (root / "Dockerfile").read_text().splitlines() if ln and not ln.startswith("#")]
    copied = {words[1] for words in lines if words[0] == "COPY"}
    packages = {p.rstrip("*") for p in tomllib.loads((root / "pyproject.toml").read_text())
                ["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied and all((root / c).exists() for c in copied), (packages, copied)
    assert lines[0][:2] == ["FROM", "python:3.12-slim-bookworm"]
    user = [words for words in lines if words[0] == "USER"]
    assert user == [["USER", "10001"]]
    assert ["ENTRYPOINT", '["crq"]'] in lines and ["CMD", '["jobs",', '"worker"]'] in lines
    ignored = (root / ".dockerignore").read_text().split()
    assert not packages & set(ignored)


def test_an_operator_lists_shows_and_retries_failed_jobs_and_sweeps_lost_ones(
        aws: dict[str, str], sample_url: str) -> None:
    q = make_queues(visibility_s=30)
    c = sqs_container(sample_url, q, timeout_s=0.3)
    api.use_container(c)
    env = {**os.environ, **aws, "CRQ_JOBS_QUEUE_URL": q.url}

    def crq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CRQ, "jobs", *args, "--database-url", sample_url], env=env, capture_output=True,
                              text=True, timeout=60)

    try:
        with tables_locked(sample_url):  # the job times out at 0.3 s: failed for good
            _, accepted, _ = call(as_request(V2, "POST", "/v1/query", {**QUERY, "async": True}))
            lambda_round(q)
        job_id = accepted["job_id"]
        assert poll(V2, accepted["status_url"], timeout=1)["status"] == "failed"
        listed = crq("list", "--status", "failed")
        assert listed.returncode == 0 and job_id in listed.stdout and "query_timeout" in listed.stdout
        shown = json.loads(crq("show", job_id).stdout)
        assert (shown["id"], shown["state"], shown["attempts"], shown["intent"]) == (
            job_id, "failed", 1, Intent.model_validate(INTENT).model_dump(mode="json"))
        assert shown["error"]["code"] == "query_timeout" and shown["scope"]["unrestricted"] is True
        retried = crq("retry", job_id, "--aws-endpoint", aws["AWS_ENDPOINT_URL"])
        assert retried.returncode == 0 and f"{job_id}: queued again" in retried.stderr
        assert _state(sample_url, job_id) == ("queued", 0)
        c.job_settings = dataclasses.replace(c.job_settings, timeout_s=300)
        c.__dict__.pop("runner")  # the next container: the long timeout again
        lambda_round(q)
        assert poll(V2, accepted["status_url"], timeout=1)["status"] == "done"
        again = crq("retry", job_id, "--aws-endpoint", aws["AWS_ENDPOINT_URL"])
        assert f"{job_id}: not a failed job; left alone" in again.stderr
        # a job whose message was lost (a crash between the row and the send): the sweep sends it
        lost = c.jobs.create(owner="someone", question="", conversation_id=None, request_id="r", as_of=AS_OF,
                             timezone="UTC", intent=c.jobs.get(job_id).intent, scope=c.jobs.get(job_id).scope, sql="")
        with psycopg.connect(sample_url, autocommit=True) as admin:
            admin.execute("UPDATE crq_app.jobs SET submitted_at = now() - interval '1 hour' WHERE id = %s", (lost.id,))
        swept = crq("sweep", "--aws-endpoint", aws["AWS_ENDPOINT_URL"])
        assert swept.returncode == 0 and "1 job(s) sent again, 0 failed for good" in swept.stderr, swept.stderr
        assert bodies(q.sqs, q.url, wait_s=1) == [json.dumps({"job_id": lost.id})]
        assert crq("show", "no-such-job").returncode == 2
    finally:
        api.use_container(None)
