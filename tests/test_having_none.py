"""Groups that have none of some rows: "which accounts don't have any eks clusters", "regions with no
public databases", "environments without unattached volumes".

Asked back before ("I count or list rows that exist"); now read as each group's count held to 0, where
the compiler counts groups with none as 0 (rewrites/zero_groups). Each answer is checked whole against
NOT EXISTS over the sample data, the way an analyst would write it.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from conftest import AS_OF

from models.semantic_model import SemanticModel
from runtime.database import Database
from runtime.json_values import json_value
from runtime.mappers.offline import OfflineMapper
from runtime.service import Service

CASES = [
    (
        "which accounts don't have any eks clusters?",
        "SELECT a.account_id, a.account_name, 0 FROM inventory.accounts a WHERE NOT EXISTS ("
        " SELECT 1 FROM inventory.resources r WHERE r.account_id = a.account_id"
        " AND r.resource_type = 'eks:cluster') ORDER BY 1",
    ),
    (
        "accounts without public buckets",
        "SELECT a.account_id, a.account_name, 0 FROM inventory.accounts a WHERE NOT EXISTS ("
        " SELECT 1 FROM inventory.resources r WHERE r.account_id = a.account_id"
        " AND r.resource_type = 's3:bucket' AND r.is_public) ORDER BY 1",
    ),
    (
        "which regions have no running instances",  # every region has some: no row, not a wrong one
        "SELECT g.region, 0 FROM (SELECT DISTINCT region FROM inventory.resources) g WHERE NOT EXISTS ("
        " SELECT 1 FROM inventory.resources r WHERE r.region = g.region"
        " AND r.resource_type = 'ec2:instance' AND r.state = 'running') ORDER BY 1",
    ),
    (
        "how many accounts have no public buckets",
        "SELECT count(*) FROM inventory.accounts a WHERE NOT EXISTS ("
        " SELECT 1 FROM inventory.resources r WHERE r.account_id = a.account_id"
        " AND r.resource_type = 's3:bucket' AND r.is_public)",
    ),
]


@pytest.mark.parametrize(("question", "reference"), CASES, ids=[c[0] for c in CASES])
def test_groups_with_none_are_answered(
    question: str, reference: str, model: SemanticModel, sample_url: str
) -> None:
    with psycopg.connect(sample_url) as conn:
        expected: list[tuple[Any, ...]] = conn.execute(reference).fetchall()  # type: ignore[arg-type]
    service = Service(model, Database(sample_url), OfflineMapper(model, {}, as_of=AS_OF), as_of=AS_OF)
    answer = service.ask(question)
    assert answer.status == "answered", answer.message
    assert [tuple(r) for r in answer.rows] == [tuple(json_value(v) for v in r) for r in expected]
    assert "groups with none counted as 0" in answer.answer
