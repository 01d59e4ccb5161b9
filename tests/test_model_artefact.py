"""The precompiled model (runtime/model_artefact.py): loaded instead of the YAML, it maps and compiles
every question exactly as the YAML does; it is used only for the YAML bytes and the crq code it was
built from; a damaged, foreign or crafted one is refused (the CLI rebuilds it, the API's container
says why and reads the YAML); an invalid YAML still reports file:line. And the offline mapper's words
are built once per model: each mapper adds its own values without changing what others see.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_offline_mapper as fixtures
from test_declaration_order import CONVERSATIONS
from test_model_size import model_size_text

from compiler import compile as compile_intent
from models.errors import ModelValidationError, UserError
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime import model_artefact as artefact
from runtime.aws import api
from runtime.mappers.offline import OfflineMapper
from runtime.mappers.vocabulary import Vocabulary, base_vocabulary
from runtime.model_artefact import ArtefactRefused
from semantic.loader import DEFAULT_MODEL, check_model_bytes

CRQ = str(Path(sys.executable).parent / "crq")
AS_OF = fixtures.AS_OF


@pytest.fixture(autouse=True)
def fresh_process() -> Iterator[None]:
    """Each test starts as a new process would: nothing loaded yet."""
    artefact._LOADED.clear()
    yield
    artefact._LOADED.clear()


def _yaml_model(data: bytes) -> SemanticModel:
    model, issues = check_model_bytes(data, "model.yaml")
    assert model is not None and [i for i in issues if i.level == "error"] == []
    return model


def _from_artefact(data: bytes, tmp_path: Path) -> SemanticModel:
    """The model as a process that finds the artefact reads it: unpickled, its words handed over."""
    yaml_path = tmp_path / "model.yaml"
    yaml_path.write_bytes(data)
    target, header = artefact.build_artefact(yaml_path)
    assert target == tmp_path / "model.crqm" and header.source == hashlib.sha256(data).hexdigest()
    loaded = artefact.load_for_container(yaml_path, warn=pytest.fail)
    assert loaded.origin == "artefact" and loaded.artefact == target
    return loaded.model


def _compiled(intent: Intent, model: SemanticModel) -> tuple[str, dict[str, Any]] | str:
    try:
        c = compile_intent(intent, model, as_of=AS_OF, views={})
    except UserError as e:
        return f"{type(e).__name__}: {e}"
    return c.sql, c.params


def _readings(mapper: OfflineMapper, conversations: list[tuple[str | None, str]]) -> dict[Any, Any]:
    """Each question's whole Mapping and, when answered, its SQL and parameters."""
    out = {}
    for first, question in conversations:
        previous = mapper.map(first, as_of=AS_OF).intent if first else None
        m = mapper.map(question, previous, as_of=AS_OF)
        out[(first, question)] = (m.model_dump(), _compiled(m.intent, mapper.model) if m.intent else None)
    return out


def test_the_shipped_models_artefact_maps_and_compiles_every_question_as_its_yaml(tmp_path: Path) -> None:
    data = DEFAULT_MODEL.read_bytes()
    from_yaml, from_artefact = _yaml_model(data), _from_artefact(data, tmp_path)
    assert from_artefact is not from_yaml and from_artefact == from_yaml
    assert from_artefact.model_dump_json() == from_yaml.model_dump_json()
    expected = _readings(OfflineMapper(from_yaml, fixtures.VALUES), CONVERSATIONS)
    got = _readings(OfflineMapper(from_artefact, fixtures.VALUES), CONVERSATIONS)
    assert len(got) > 600 and sum(1 for m, sql in got.values() if isinstance(sql, tuple)) > 400
    assert got == expected


def test_a_larger_models_artefact_reads_its_verified_questions_as_its_yaml(tmp_path: Path) -> None:
    data = model_size_text(10, copies_first=True).encode()
    from_yaml, from_artefact = _yaml_model(data), _from_artefact(data, tmp_path)
    assert from_artefact == from_yaml
    questions = [(None, q.question) for q in from_yaml.verified_queries]
    questions += [(None, q.question.lower().rstrip("?")) for q in from_yaml.verified_queries]  # not verbatim
    expected = _readings(OfflineMapper(from_yaml, fixtures.VALUES), questions)
    got = _readings(OfflineMapper(from_artefact, fixtures.VALUES), questions)
    assert len(got) == len(set(questions)) > 150 and got == expected


def test_the_cli_cache_is_used_for_the_same_yaml_and_rebuilt_when_it_changes(tmp_path: Path) -> None:
    home, path = tmp_path / "home", tmp_path / "model.yaml"
    path.write_bytes(DEFAULT_MODEL.read_bytes())
    first = artefact.load_cached(path, home)
    assert first.origin == "yaml"
    (cached,) = (home / "models").glob("*.crqm")
    artefact._LOADED.clear()  # a second process
    second = artefact.load_cached(path, home)
    assert (second.origin, second.artefact) == ("artefact", cached) and second.model == first.model

    path.write_bytes(DEFAULT_MODEL.read_bytes().replace(b"Number of resources", b"How many resources"))
    artefact._LOADED.clear()
    edited = artefact.load_cached(path, home)
    assert edited.origin == "yaml" and edited.model != first.model
    assert {m.description for m in edited.model.metrics} >= {"How many resources."}
    with pytest.raises(ArtefactRefused, match=r"another version of model\.yaml"):  # the old one is stale
        artefact.read_artefact(cached, path.read_bytes(), artefact._cache_key(home / "models"))
    assert len(list((home / "models").glob("*.crqm"))) == 2
    artefact._LOADED.clear()
    assert artefact.load_cached(path, home).origin == "artefact"


def _signed(blob: bytes, key: bytes | None, edit: Any) -> bytes:
    """``blob`` with its header changed by ``edit`` and a digest that matches again."""
    magic, line, _digest, payload = blob.split(b"\n", 3)
    header = json.loads(line)
    edit(header)
    line = json.dumps(header, sort_keys=True).encode() + b"\n"
    return magic + b"\n" + line + artefact._digest(key, line, payload).encode() + b"\n" + payload


class _Exploit:
    def __reduce__(self) -> tuple[Any, ...]:
        return (print, ("this must never run",))


def test_a_damaged_foreign_or_crafted_artefact_is_refused_and_the_cli_rebuilds_it(tmp_path: Path) -> None:
    data = DEFAULT_MODEL.read_bytes()
    home = tmp_path / "home"
    artefact.load_cached(DEFAULT_MODEL, home)
    (cached,) = (home / "models").glob("*.crqm")
    key = artefact._cache_key(home / "models")
    assert key is not None and (home / "models" / ".key").stat().st_mode & 0o077 == 0
    good = cached.read_bytes()
    model, base = artefact.parse_artefact(good, data, key)
    other_key = b"k" * 32
    crafted = pickle.dumps((model, _Exploit()), protocol=5)
    magic, line, _digest, _payload = good.split(b"\n", 3)
    cases = {
        "it is not a crq model artefact": b"\x80\x05garbage",
        "it is damaged (no header)": artefact.MAGIC + b"x" * 5000,
        "its digest does not match": good[:-40] + bytes(b ^ 1 for b in good[-40:]),  # a damaged payload
        "it was built elsewhere": _signed(good, None, lambda h: h.update(signed=False)),  # `crq build`'s
        "its digest does not match: it is damaged, or was not built here": _signed(good, other_key, id),
        "it was built by another version of crq": _signed(good, key, lambda h: h.update(code="0" * 64)),
        "it has format 99": _signed(good, key, lambda h: h.update(format=99)),
        "is not part of a model": magic
        + b"\n"
        + line
        + b"\n"
        + artefact._digest(key, line + b"\n", crafted).encode()
        + b"\n"
        + crafted,
    }
    for reason, blob in cases.items():
        with pytest.raises(ArtefactRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
            artefact.parse_artefact(blob, data, key)
        cached.write_bytes(blob)
        artefact._LOADED.clear()
        loaded = artefact.load_cached(DEFAULT_MODEL, home)
        assert loaded.origin == "yaml" and loaded.model == model, reason  # rebuilt from the YAML
        assert cached.read_bytes() == good  # and written again
    # a deployment's artefact (unsigned) is never taken for the CLI's, nor the CLI's for a deployment's
    with pytest.raises(ArtefactRefused, match="belongs to a CLI's cache"):
        artefact.parse_artefact(good, data)
    assert isinstance(base, Vocabulary) and base.source_model is model


def test_an_invalid_yaml_reports_file_line_and_leaves_no_artefact(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(DEFAULT_MODEL.read_text().replace("agg: sum", "agg: summ", 1))
    line = (
        path.read_text().splitlines().index(next(x for x in path.read_text().splitlines() if "summ" in x)) + 1
    )
    with pytest.raises(ModelValidationError) as raised:
        artefact.load_cached(path, tmp_path / "home")
    assert [(i.file, i.line) for i in raised.value.issues] == [(str(path), line)]
    assert "did you mean 'sum'?" in raised.value.issues[0].message
    assert list((tmp_path / "home" / "models").glob("*.crqm")) == []
    p = subprocess.run([CRQ, "build", str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.startswith(f"{path}:{line}:"), p.stderr
    assert not path.with_suffix(".crqm").exists()


def test_crq_build_writes_the_artefact_beside_the_yaml(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_bytes(DEFAULT_MODEL.read_bytes())
    p = subprocess.run([CRQ, "build", str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    target = tmp_path / "inventory.crqm"
    assert p.stdout.startswith(f"{target}: ") and f"from {path}" in p.stdout
    assert target.stat().st_mode & 0o444 == 0o444  # readable where it is deployed
    model, _ = artefact.read_artefact(target, path.read_bytes())
    assert model == _yaml_model(path.read_bytes())
    other = tmp_path / "elsewhere" / "x.crqm"
    p = subprocess.run(
        [CRQ, "build", str(path), "--out", str(other)], capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr
    assert artefact.read_artefact(other, path.read_bytes())[0] == model


def test_the_container_loads_a_matching_artefact_and_says_why_it_refuses_a_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(DEFAULT_MODEL.read_bytes())
    monkeypatch.setenv("CRQ_MODEL", str(path))
    assert artefact.load_for_container(path).origin == "yaml"  # none there: the YAML, no warning
    artefact._LOADED.clear()
    artefact.build_artefact(path)
    warnings: list[str] = []
    monkeypatch.setattr(api.logger, "warning", warnings.append)
    model = api._model()
    assert artefact._LOADED[next(iter(artefact._LOADED))].origin == "artefact" and warnings == []

    path.write_bytes(DEFAULT_MODEL.read_bytes().replace(b"Number of resources", b"How many resources"))
    artefact._LOADED.clear()
    edited = api._model()
    assert edited != model and {m.description for m in edited.metrics} >= {"How many resources."}
    assert warnings == [
        f"model artefact {tmp_path / 'model.crqm'} not used: it was built from another version of model.yaml "
        f"(the YAML changed since); reading {path} instead (run `crq build {path}`)"
    ]


def test_each_mapper_adds_its_own_values_to_the_models_words_without_changing_them(
    model: SemanticModel,
) -> None:
    base = base_vocabulary(model)
    before = pickle.dumps(base)
    alone = OfflineMapper(model, {"account_name": ["zz-only-mine"]})
    other = OfflineMapper(model, {"account_name": ["yy-other-scope"]})
    assert base_vocabulary(model) is base and pickle.dumps(base) == before  # built once, never changed
    assert alone.vocab.phrases.get(("zz", "only", "mine")) and not other.vocab.phrases.get(
        ("zz", "only", "mine")
    )
    assert "zz-only-mine" not in other.vocab.known_values["account_name"]
    m = alone.map("cost of account zz-only-mine last month", as_of=AS_OF)
    assert m.status == "answered" and m.intent is not None
    assert [(f.field, f.value) for f in m.intent.filters] == [("account_name", "zz-only-mine")]
    assert other.map("cost of account zz-only-mine last month", as_of=AS_OF).intent != m.intent


def test_parsing_types_every_scalar_as_pyyaml_does() -> None:
    """The parser skips resolving plain words (semantic/source_map.py): every other scalar is still
    typed as PyYAML's safe loader types it (but a plain '=', crq's string where PyYAML fails)."""
    import yaml

    from semantic.source_map import parse_yaml

    scalars = ["word", "Words with spaces", "yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null",
               "", "0", "-1", "+3", "0x1F", "0o17", "1_000", ".5", "-.inf", ".NaN", "1e3", "2026-06-17",
               "2026-06-17 10:00:00", "'quoted'", '"yes"', "'0'", "!!str 12", "tag:x", "<not merge",
               "&anchorless", "*", "Tuesday", "Null", "NULL", "~x", "ytd", "offline", "trueish"]  # fmt: skip
    text = "values:\n" + "".join(
        f"  - {s}\n" if s else "  -\n" for s in scalars if s not in ("&anchorless", "*")
    )
    text += "keys:\n  yes: 1\n  1: one\n  2026-01-01: day\n  word: 2\n"
    expected = yaml.safe_load(text)
    got, _ = parse_yaml(text, "x.yaml")
    assert got == expected
    assert [type(v) for v in got["values"]] == [type(v) for v in expected["values"]]  # type: ignore[index]


def test_the_cli_reads_the_model_from_its_cache_on_the_next_run(tmp_path: Path) -> None:
    """End to end: `crq prompt` writes the cache, and the next run uses what the cache holds (here a
    description only the cached model has, signed with the CRQ_HOME's key, stands for it)."""
    import os

    home, path = tmp_path / "home", tmp_path / "model.yaml"
    path.write_bytes(DEFAULT_MODEL.read_bytes())
    env = {**os.environ, "CRQ_HOME": str(home)}

    def prompt() -> str:
        p = subprocess.run([CRQ, "prompt", "--show", "--model", str(path)], capture_output=True, text=True,
                           env=env, timeout=120)  # fmt: skip
        assert p.returncode == 0, p.stderr
        return p.stdout

    assert "resource_count (count): Number of resources." in prompt()
    (cached,) = (home / "models").glob("*.crqm")
    key = artefact._cache_key(home / "models")
    model, _ = artefact.parse_artefact(cached.read_bytes(), path.read_bytes(), key)
    metrics = tuple(
        m.model_copy(update={"description": "Only in the cache."}) if m.name == "resource_count" else m
        for m in model.metrics
    )
    marked = model.model_copy(update={"metrics": metrics})
    cached.write_bytes(
        artefact.artefact_bytes(marked, base_vocabulary(marked), path.read_bytes(), str(path), key)
    )
    assert "resource_count (count): Only in the cache." in prompt()
    path.write_bytes(path.read_bytes() + b"\n# edited\n")  # another YAML: read again, not the cache
    assert "resource_count (count): Number of resources." in prompt()
    assert len(list((home / "models").glob("*.crqm"))) == 2
