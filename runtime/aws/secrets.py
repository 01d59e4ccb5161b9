"""Credentials from AWS Secrets Manager, cached per container, fetched again when they stop working.

``CRQ_DATABASE_SECRET_ARN`` names an RDS secret for the reader role (JSON: username, password, host,
port, dbname; and optionally ``reader_host``, the cluster's reader endpoint);
``CRQ_APP_DATABASE_SECRET_ARN`` the API role's (conversations, on the writer; without it the reader's
login is used, which works only when that login may act as both, as an administrator's does);
``CRQ_LLM_API_KEY_SECRET_ARN`` a secret holding the LLM key (the plain string, or JSON with
``api_key``). Values are cached for ``CRQ_SECRET_MAX_AGE_S`` (default 300 s) by Powertools
Parameters; a refused login asks for the secret again at once (the password was rotated), see
``runtime.database.Database``. Secret values are never logged: only the secret's name appears in
messages.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from psycopg.conninfo import make_conninfo

from models.errors import DatabaseError
from runtime.database import UrlSource

DEFAULT_MAX_AGE_S = 300


@dataclass
class Secrets:
    """One per container: the Secrets Manager client is built once, on first use."""

    env: Mapping[str, str]

    @cached_property
    def _provider(self) -> Any:
        import boto3
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=boto3.client("secretsmanager"))

    @property
    def max_age(self) -> int:
        return int(self.env.get("CRQ_SECRET_MAX_AGE_S") or DEFAULT_MAX_AGE_S)

    def get(self, arn: str, refresh: bool = False) -> str:
        try:
            value = self._provider.get(arn, max_age=self.max_age, force_fetch=refresh)
        except Exception as e:  # botocore's errors carry an error code, never the value
            code = re.search(r"\((\w+)\)", str(e))
            reason = code[1] if code else type(e).__name__
            raise DatabaseError(f"cannot read secret {arn.rsplit(':', 1)[-1]}: {reason}") from None
        return value.decode() if isinstance(value, bytes) else str(value)

    def database_urls(self) -> tuple[UrlSource, UrlSource | None]:
        """The reader's URL source and, when it is a replica, the writer's as its fallback."""
        arn = self.env.get("CRQ_DATABASE_SECRET_ARN")
        read_url = self.env.get("CRQ_DATABASE_READ_URL")
        if not arn:
            from runtime.database import database_url

            writer = database_url()
            return ((lambda _r: read_url), (lambda _r: writer)) if read_url else ((lambda _r: writer), None)

        def writer_url(refresh: bool) -> str:
            return self._url(arn, refresh, reader=False)

        def reader_url(refresh: bool) -> str:
            return read_url or self._url(arn, refresh, reader=True)

        has_reader = bool(read_url) or "reader_host" in self._secret_json(arn, False)
        return (reader_url, writer_url) if has_reader else (writer_url, None)

    def app_url(self) -> UrlSource | None:
        """Where conversations are written: the API role's own secret or URL, when it has one."""
        if arn := self.env.get("CRQ_APP_DATABASE_SECRET_ARN"):
            return lambda refresh: self._url(arn, refresh, reader=False)
        if url := self.env.get("CRQ_APP_DATABASE_URL"):
            return lambda _refresh: url
        return None

    def _secret_json(self, arn: str, refresh: bool) -> dict[str, Any]:
        try:
            data = json.loads(self.get(arn, refresh))
        except ValueError:
            raise DatabaseError(f"secret {arn.rsplit(':', 1)[-1]} is not the JSON of an RDS secret") from None
        if not isinstance(data, dict):
            raise DatabaseError(f"secret {arn.rsplit(':', 1)[-1]} is not the JSON of an RDS secret")
        return data

    def _url(self, arn: str, refresh: bool, reader: bool) -> str:
        s = self._secret_json(arn, refresh)
        missing = [k for k in ("username", "password", "host") if not s.get(k)]
        if missing:
            raise DatabaseError(f"secret {arn.rsplit(':', 1)[-1]} lacks {', '.join(missing)}")
        return make_conninfo(
            host=s["reader_host"] if reader and s.get("reader_host") else s["host"],
            port=str(s.get("port") or 5432),
            dbname=s.get("dbname") or "postgres",
            user=s["username"],
            password=s["password"],
            sslmode=self.env.get("CRQ_DATABASE_SSLMODE") or "require",
        )

    def llm_env(self) -> Mapping[str, str]:
        """The environment the LLM settings read, with the key from its secret when one is named."""
        arn = self.env.get("CRQ_LLM_API_KEY_SECRET_ARN")
        if not arn:
            return self.env
        raw = self.get(arn)
        try:
            parsed = json.loads(raw)
            key = parsed.get("api_key") if isinstance(parsed, dict) else raw
        except ValueError:
            key = raw
        return {**self.env, "CRQ_LLM_API_KEY": str(key or "")}


def secrets_from_env() -> Secrets:
    return Secrets(dict(os.environ))
