"""Judging answers by their rows, as users do: the comparison rules and the commands built on them."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runtime.evaluation import rows_match

CRQ = str(Path(sys.executable).parent / "crq")
MINI = Path(__file__).parent / "fixtures" / "eval" / "mini.yaml"


@pytest.mark.parametrize(("reference", "answer", "ordered", "percent", "expected"), [
    ([("a", 1)], [["a", 1.0]], False, False, True),
    ([("a", Decimal("1.004"))], [["a", 1.0]], False, False, True),  # 2 decimals
    ([("a", 1), ("b", 2)], [["b", 2], ["a", 1]], False, False, True),  # order-insensitive
    ([("a", 1), ("b", 2)], [["b", 2], ["a", 1]], True, False, False),  # unless ordered
    ([("a", 1)], [[1, "a", "extra"]], False, False, True),  # columns permuted, extra allowed
    ([("a", 1)], [["a"]], False, False, False),  # a missing column
    ([("a", 1)], [["a", 1], ["b", 2]], False, False, False),  # an extra row
    ([(50.0,)], [[0.5]], False, True, True),  # a percentage may come as a fraction
    ([(50.0,)], [[0.5]], False, False, False),
    ([("2026-05-01",)], [["2026-05-01T00:00:00"]], False, False, True),
    ([(None, 3)], [[None, 3]], False, False, True),
])
def test_rows_match(reference: list, answer: list, ordered: bool, percent: bool, expected: bool) -> None:
    assert rows_match(reference, answer, ordered, percent) is expected


def test_eval_scores_a_question_file_with_follow_ups_and_refusals(sample_url: str) -> None:
    p = subprocess.run([CRQ, "eval", str(MINI), "--database-url", sample_url, "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    verdicts = {v["id"]: v["ok"] for v in map(json.loads, p.stdout.splitlines())}
    assert verdicts == {"m1": True, "m2": True, "m3": True, "m4": True, "m5": False}  # m5's reference is wrong
    assert "score: 80.0% (4/5)" in p.stderr


def test_eval_refuses_a_database_without_the_sample(pg_url: str, tmp_path: Path) -> None:
    other = tmp_path / "q.yaml"
    other.write_text(MINI.read_text().replace("as_of: 2026-06-17", "as_of: 2025-01-31"))
    p = subprocess.run([CRQ, "eval", str(other), "--database-url", pg_url], capture_output=True, text=True)
    assert p.returncode == 2 and "does not hold the sample as of 2025-01-31" in p.stderr


def test_verified_queries_hold_and_a_broken_one_is_reported(sample_url: str, tmp_path: Path) -> None:
    ok = subprocess.run([CRQ, "test", "--database-url", sample_url, "--as-of", "2026-06-17"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "10 of 10 verified queries hold" in ok.stdout
    shipped = (Path(__file__).parent.parent / "semantic" / "models" / "cloud_inventory.yaml").read_text()
    wrong = shipped.replace('{"metrics": ["public_share"], "filters": [{"field": "resource_type", "value": '
                            '"s3:bucket"}]}', '{"metrics": ["encrypted_share"], "filters": [{"field": '
                            '"resource_type", "value": "s3:bucket"}]}')
    assert wrong != shipped
    model = tmp_path / "model.yaml"
    model.write_text(wrong)
    bad = subprocess.run([CRQ, "test", str(model), "--database-url", sample_url, "--as-of", "2026-06-17"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert (  # crq ask answers the question word for word as verified; the mapper alone reads it otherwise
        "FAIL What share of S3 buckets are public? | runs: ok; crq ask: as verified; mapper alone: reads it "
        "as another intent (rewordings may fail)\n"
        '       mapper alone: metrics: expected ["encrypted_share"], got ["public_share"]\n'
    ) in bad.stdout
