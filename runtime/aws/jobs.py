"""The jobs Lambda's entry point: ``handler(event, context)`` for SQS batch events.

Each record carries one job id; ``JobRunner.process`` (runtime/jobs.py) claims the job, runs it with
the long timeout and stores the result. Records whose job must run again (a transient fault) or that
name no job (a poison message) are reported as partial batch failures (Powertools batch processing),
so only they come back, and after the queue's maxReceiveCount they go to the dead-letter queue; the
job of a message that used its last attempt is marked failed with the reason first. The container
(model, connections, S3 client) is the chat API's, built once per cold start. Each invocation also
sweeps, at most once a minute per container: jobs whose worker died or whose message was lost are
sent again.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from runtime.aws.api import container, logger, metrics
from runtime.aws.queue import job_id_from
from runtime.jobs import JobQueue, JobSettings, JobStore

processor = BatchProcessor(event_type=EventType.SQS)
SWEEP_EVERY_S = 60.0
_last_sweep = 0.0


def record_handler(record: SQSRecord) -> None:
    """One message: returns when its job is finished (or needs nothing), raises to have it back."""
    container().runner.process(job_id_from(record.body))


def sweep(store: JobStore, queue: JobQueue, settings: JobSettings) -> tuple[int, int]:
    """Send again the jobs whose worker died or whose message was lost; count the ones given up."""
    resend, failed = store.sweep(settings)
    for job_id in resend:
        queue.send(job_id)
        store.sent(job_id)
    if resend or failed:
        logger.warning("sweep", extra={"resent": resend, "failed": failed})
    return len(resend), len(failed)


def _sweep_if_due() -> None:
    global _last_sweep
    c = container()
    if c.queue is None or time.monotonic() - _last_sweep < SWEEP_EVERY_S:
        return
    _last_sweep = time.monotonic()
    try:
        sweep(c.runner.store, c.queue, c.job_settings)
    except Exception:  # the batch matters more than the sweep; the next invocation sweeps again
        logger.exception("sweep failed")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    """The jobs Lambda entry point (configured as ``runtime.aws.jobs.handler``, with
    ``ReportBatchItemFailures`` on its event source mapping)."""
    _sweep_if_due()
    metrics.add_metric(name="job_messages", unit=MetricUnit.Count, value=len(event.get("Records") or ()))
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
