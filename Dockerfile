# The jobs worker for ECS/Fargate: `crq jobs worker`, the jobs Lambda's code as a long-polling SQS
# consumer, for work that outgrows Lambda's 15 minutes or its memory (docs/api.md, "Jobs").
#   docker build -t crq-worker .
#   docker run -e CRQ_JOBS_QUEUE_URL=... -e CRQ_DATABASE_SECRET_ARN=... -e CRQ_APP_DATABASE_SECRET_ARN=... crq-worker
# The task's role needs what the jobs Lambda's has (deploy/terraform/modules/crq/iam.tf). ECS sends
# SIGTERM on stop: the worker gives its job back to the queue at once (stopTimeout 30 s is plenty).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# the pinned versions first, so that a code change does not reinstall the dependencies
COPY constraints.txt ./
COPY pyproject.toml README.md ./
COPY models models
COPY semantic semantic
COPY compiler compiler
COPY runtime runtime
RUN pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /home/crq --create-home crq

USER 10001
WORKDIR /home/crq
STOPSIGNAL SIGTERM
ENTRYPOINT ["crq"]
CMD ["jobs", "worker"]
