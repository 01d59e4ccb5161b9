"""Jobs on AWS: the SQS queue, the S3 results bucket and a long-polling worker.

``SqsQueue`` sends a job's id (the message carries nothing else: the job is a row in PostgreSQL);
``S3Results`` keeps results too large for the jobs table and hands out presigned URLs; ``SqsWorker``
is ``crq jobs worker``: the same ``JobRunner`` as the jobs Lambda, as a long-polling consumer for
ECS/Fargate, for work that outgrows Lambda's 15 minutes. On SIGTERM it gives its job back (released
in the table, its message made visible again at once) so that another worker picks it up.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.errors import CrqError, UserError
from runtime.jobs import FINISHED, GaveUp, JobRunner, QueueUnavailable, RetryLater, UnknownJob

if TYPE_CHECKING:
    from runtime.aws.api import Container

log = logging.getLogger("crq.jobs")

PRESIGNED_URL_SECONDS = 900


def job_message(job_id: str) -> str:
    return json.dumps({"job_id": job_id})


def job_id_from(body: str) -> str:
    """The job id a message carries; UnknownJob for anything else (a poison message)."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        raise UnknownJob("the message is not JSON") from None
    job_id = data.get("job_id") if isinstance(data, dict) else None
    if not isinstance(job_id, str) or not 0 < len(job_id) <= 64:
        raise UnknownJob("the message carries no job_id")
    return job_id


def client(service: str, endpoint_url: str | None = None) -> Any:
    """A boto3 client; ``endpoint_url`` (or $AWS_ENDPOINT_URL, which boto3 reads) for moto or LocalStack."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint_url) if endpoint_url else boto3.client(service)


@dataclass
class SqsQueue:
    url: str
    sqs: Any

    def send(self, job_id: str) -> None:
        try:
            self.sqs.send_message(QueueUrl=self.url, MessageBody=job_message(job_id))
        except Exception as e:  # botocore's ClientError, EndpointConnectionError, ...
            log.warning("cannot send job %s to SQS: %s", job_id, type(e).__name__)
            raise QueueUnavailable("the job queue is unavailable; try again shortly") from None


@dataclass
class S3Results:
    bucket: str
    prefix: str
    s3: Any

    def put(self, job_id: str, body: bytes) -> str:
        key = f"{self.prefix}{job_id}.json"
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        except Exception as e:
            raise CrqError(f"cannot store the result in s3://{self.bucket}: {type(e).__name__}") from None
        return key

    def url(self, location: str) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": location}, ExpiresIn=PRESIGNED_URL_SECONDS
            )
        )


@dataclass
class SqsWorker:
    """Long-polls the queue and runs each job with ``runner``; ``stop()`` (SIGTERM) gives the
    in-flight job back to the queue at once."""

    url: str
    sqs: Any
    runner: JobRunner
    wait_s: int = 20
    stopping: threading.Event = field(default_factory=threading.Event)
    gave_back: bool = False
    _receipt: str | None = None

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                reply = self.sqs.receive_message(
                    QueueUrl=self.url, MaxNumberOfMessages=1, WaitTimeSeconds=self.wait_s
                )
            except Exception as e:
                log.warning("cannot receive from SQS: %s", type(e).__name__)
                self.stopping.wait(1.0)
                continue
            for message in reply.get("Messages", ()):
                self.handle(message)

    def handle(self, message: dict[str, Any]) -> None:
        """One message: deleted once its job is finished; otherwise left to come back after the
        visibility timeout (after maxReceiveCount deliveries SQS moves it to the dead-letter queue)."""
        self._receipt = message["ReceiptHandle"]
        try:
            state = self.runner.process(job_id_from(message["Body"]))
        except (RetryLater, GaveUp, UnknownJob) as e:
            log.info("message back to the queue: %s", e)
            return
        except Exception:
            log.exception("job message failed")
            return
        finally:
            self._receipt = None
        if state in FINISHED:  # not when the job was given back by stop() or taken over by another
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def stop(self) -> None:
        """Stop polling; the job running now goes back (its claim released, its message visible
        again), so that a worker that is not shutting down runs it."""
        self.stopping.set()
        receipt = self._receipt
        if self.runner.release_current() and receipt:
            self.gave_back = True
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=0
                )
            except Exception as e:
                log.warning("cannot return the message (%s); it comes back later", type(e).__name__)


def attach_jobs(container: Container, endpoint: str | None, worker: bool = True) -> SqsWorker | None:
    """Give ``crq serve`` (or an operator's command) jobs: with ``endpoint`` (moto, LocalStack, or
    AWS itself) SQS at $CRQ_JOBS_QUEUE_URL and S3 at $CRQ_RESULTS_BUCKET there, consumed by an
    ``SqsWorker`` thread when ``worker``; without, the in-process queue calling the same runner."""
    from runtime.jobs import LocalQueue

    if endpoint is None:
        container.queue = LocalQueue(container.runner)
        return None
    url = os.environ.get("CRQ_JOBS_QUEUE_URL")
    if not url:
        raise UserError("--aws-endpoint needs $CRQ_JOBS_QUEUE_URL, the jobs queue's URL there")
    sqs = client("sqs", endpoint)
    container.queue = SqsQueue(url, sqs)
    if bucket := os.environ.get("CRQ_RESULTS_BUCKET"):
        prefix = os.environ.get("CRQ_RESULTS_PREFIX", "results/")
        container.results = S3Results(bucket, prefix, client("s3", endpoint))
    if not worker:
        return None
    consumer = SqsWorker(url, sqs, container.runner, wait_s=5)
    threading.Thread(target=consumer.run, name="crq-jobs", daemon=True).start()
    return consumer
