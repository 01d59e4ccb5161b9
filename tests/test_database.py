"""The executor's guarantees, on a real PostgreSQL: one read-only statement, statement timeout, row cap."""

from __future__ import annotations

import pytest

from models.errors import DatabaseError, QueryTimeout
from runtime.database import Database


def test_rows_and_columns_come_back_typed(sample_url: str) -> None:
    db = Database(sample_url)
    result = db.execute("SELECT count(*) AS n, %(x)s::int AS x FROM inventory.accounts", {"x": 7})
    assert result.columns == ["n", "x"]
    assert result.rows == [(24, 7)]
    assert result.truncated is False


def test_row_cap_fetches_one_more_to_know_and_reports_truncation(sample_url: str) -> None:
    db = Database(sample_url, row_cap=5)
    capped = db.execute("SELECT account_id FROM inventory.accounts ORDER BY 1", {})
    assert len(capped.rows) == 5 and capped.truncated
    exact = Database(sample_url, row_cap=24).execute("SELECT account_id FROM inventory.accounts", {})
    assert len(exact.rows) == 24 and not exact.truncated


def test_writes_are_refused_and_change_nothing(sample_url: str) -> None:
    """Only one read can be declared as a cursor; a write inside a read meets the read-only transaction.
    tests/security/test_database_access.py has the attacks on each layer."""
    db = Database(sample_url)
    with pytest.raises(DatabaseError, match='syntax error at or near "DELETE"'):
        db.execute("DELETE FROM inventory.accounts", {})
    with pytest.raises(DatabaseError, match="read-only transaction"):
        db.execute("SELECT lo_create(0)", {})
    assert db.execute("SELECT count(*) FROM inventory.accounts", {}).rows == [(24,)]


def test_statement_timeout_cancels_and_the_connection_stays_usable(sample_url: str) -> None:
    db = Database(sample_url, timeout_ms=50)
    with pytest.raises(QueryTimeout, match=r"longer than 0\.05 s"):
        db.execute("SELECT pg_sleep(2)", {})
    assert db.execute("SELECT 1", {}).rows == [(1,)]


def test_a_bad_url_is_a_clear_database_error() -> None:
    with pytest.raises(DatabaseError, match="cannot connect"):
        Database("postgresql://nobody@127.0.0.1:1/none").execute("SELECT 1", {})
