"""Readings do not depend on the order in which the model declares things.

The same model with its tables, dimensions, measures, relationships, metrics, segments, verified
queries and views in other orders must map every shipped question to the same intent; and a larger
model (benchmarks/model_size.py) whose copies are declared before the shipped tables must read the
shipped questions as the shipped model does, its verified queries must hold (`crq test`), and a
phrase the question cannot settle is asked about, naming the meanings.

The questions: the offline mapper tests' cases, the spent held-out sets v1-v5 and the shared dev set
(never the held-out v6).
"""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_offline_mapper as fixtures
import yaml
from test_model_size import model_size_text

from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.mappers.offline import OfflineMapper
from semantic.loader import DEFAULT_MODEL, check_model_text

ROOT = Path(__file__).resolve().parent.parent
CRQ = str(Path(sys.executable).parent / "crq")
AS_OF = fixtures.AS_OF
# the spent held-out sets and the shared dev set; never heldout_v6 (held out)
EVAL_FILES = [ROOT / "tests" / "eval" / f"heldout{v}_questions.yaml" for v in ("", "_v2", "_v3", "_v4", "_v5")]
DEV = Path(os.environ.get("CRQ_SHARED") or ROOT.parent / "shared") / "eval" / "dev_questions.yaml"


def _conversations() -> Iterator[tuple[str | None, str]]:
    """(earlier question or None, question): the mapper tests' cases and the question sets."""
    for name, value in vars(fixtures).items():
        if not name.isupper() or not isinstance(value, list):
            continue
        for case in value:
            if isinstance(case, tuple) and len(case) == 2 and isinstance(case[0], str):
                yield None, case[0]
            elif isinstance(case, tuple) and len(case) == 3 and all(isinstance(x, str) for x in case[:2]):
                yield case[0], case[1]
    yield from _question_sets()


def _question_sets() -> Iterator[tuple[str | None, str]]:
    for path in [*EVAL_FILES, *([DEV] if DEV.exists() else [])]:
        questions = yaml.safe_load(path.read_text())["questions"]
        by_id = {q["id"]: q["question"] for q in questions}
        for q in questions:
            yield by_id.get(q.get("followup_of")), q["question"]


CONVERSATIONS = list(dict.fromkeys(_conversations()))


def _readings(mapper: OfflineMapper) -> dict[tuple[str | None, str], tuple[str, Any]]:
    out = {}
    for first, question in CONVERSATIONS:
        previous: Intent | None = mapper.map(first, as_of=AS_OF).intent if first else None
        m = mapper.map(question, previous, as_of=AS_OF)
        out[(first, question)] = (m.status, fixtures.dump(m.intent) if m.intent else None)
    return out


def _model(data: dict[str, Any]) -> SemanticModel:
    model, issues = check_model_text(yaml.safe_dump(data, sort_keys=False))
    assert model is not None and not issues, issues
    return model


def _shuffled(data: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    out = copy.deepcopy(data)
    for key in ("tables", "relationships", "metrics", "segments", "verified_queries", "materializations"):
        rng.shuffle(out.get(key, []))
    for t in out["tables"]:
        for key in ("dimensions", "time_dimensions", "measures"):
            rng.shuffle(t.get(key, []))
    return out


def _reversed(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for key in ("tables", "relationships", "metrics", "segments", "verified_queries", "materializations"):
        out[key] = out.get(key, [])[::-1]
    for t in out["tables"]:
        for key in ("dimensions", "time_dimensions", "measures"):
            t[key] = t.get(key, [])[::-1]
    return out


@pytest.fixture(scope="module")
def shipped() -> dict[tuple[str | None, str], tuple[str, Any]]:
    data = yaml.safe_load(DEFAULT_MODEL.read_text())
    return _readings(OfflineMapper(_model(data), fixtures.VALUES))


def test_the_questions_are_many() -> None:
    assert len(CONVERSATIONS) > 600  # the fixtures and five question sets, not an empty loop


@pytest.mark.parametrize("order", ["reversed", "shuffled-1", "shuffled-2", "shuffled-3"])
def test_every_question_reads_the_same_in_any_declaration_order(
    shipped: dict[tuple[str | None, str], tuple[str, Any]], order: str
) -> None:
    data = yaml.safe_load(DEFAULT_MODEL.read_text())
    other = _reversed(data) if order == "reversed" else _shuffled(data, int(order.rsplit("-", 1)[1]))
    assert other != data  # the same things, declared in another order
    got = _readings(OfflineMapper(_model(other), fixtures.VALUES))
    changed = {k: (shipped[k], got[k]) for k in shipped if got[k] != shipped[k]}
    assert changed == {}


# --- a model 30 times larger, its copies declared first ------------------------------------------------


@pytest.fixture(scope="module")
def large_text() -> str:
    return model_size_text(30, copies_first=True)


@pytest.fixture(scope="module")
def large(large_text: str) -> OfflineMapper:
    model, issues = check_model_text(large_text)
    assert model is not None and not issues, issues[:5]
    assert model.tables[0].name != "accounts" and len(model.tables) == 90  # the shipped tables come last
    values = dict(fixtures.VALUES)
    for t in model.tables:  # every copy reads the same tables, so its tags and accounts have these values
        for d in t.dimensions:
            for key in d.tag_keys:
                values.setdefault(f"{d.name}:{key}", fixtures.VALUES.get(f"tag:{key}", []))
            if d.column == "account_name":
                values.setdefault(d.name, fixtures.VALUES["account_name"])
    return OfflineMapper(model.model_copy(update={"verified_queries": ()}), values)


def test_a_larger_model_declared_first_keeps_the_shipped_readings(
    large: OfflineMapper, shipped: dict[tuple[str | None, str], tuple[str, Any]]
) -> None:
    m = large.map("how many running ec2 instances per account", as_of=AS_OF)
    assert m.status == "answered", m.message
    assert fixtures.dump(m.intent) == {  # type: ignore[arg-type]
        "metrics": ["resource_count"],
        "dimensions": fixtures.ACCOUNT,
        "filters": [fixtures.F("state", "running"), fixtures.F("resource_type", "ec2:instance")],
    }
    asked = set(_question_sets())
    sets = {k: v for k, v in shipped.items() if k in asked}
    got = {}
    for first, question in sets:
        previous = large.map(first, as_of=AS_OF).intent if first else None
        r = large.map(question, previous, as_of=AS_OF)
        got[(first, question)] = (r.status, fixtures.dump(r.intent) if r.intent else None)
    changed = {k: (sets[k], got[k]) for k in sets if got[k] != sets[k]}
    assert len(sets) > 400 and changed == {}


def test_a_phrase_the_question_cannot_settle_is_asked_about_naming_its_meanings(large: OfflineMapper) -> None:
    m = large.map("how many are running", as_of=AS_OF)
    assert m.status == "clarify"
    assert "'running' can mean akamai state running or alibaba state running or 28 more; which one?" in m.message
    # the metric settles it: only the shipped resources' state is reachable from their count
    m = large.map("how many resources are running", as_of=AS_OF)
    assert (m.status, fixtures.dump(m.intent)) == (  # type: ignore[arg-type]
        "answered",
        {"metrics": ["resource_count"], "filters": [fixtures.F("state", "running")]},
    )
    m = large.map("how many azure resources are running", as_of=AS_OF)
    assert (m.status, fixtures.dump(m.intent)) == (  # type: ignore[arg-type]
        "answered",
        {"metrics": ["azure_resource_count"], "filters": [fixtures.F("azure_state", "running")]},
    )


def test_crq_test_passes_on_a_larger_model_declared_first(sample_url: str, tmp_path: Path) -> None:
    """At 10x (100 verified queries, each compiled, run and mapped): 30x runs 300 queries, ~50 s."""
    path = tmp_path / "model_x10.yaml"
    path.write_text(model_size_text(10, copies_first=True))
    p = subprocess.run(
        [CRQ, "test", str(path), "--database-url", sample_url, "--as-of", AS_OF.isoformat()],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "100 of 100 verified queries hold" in p.stdout
