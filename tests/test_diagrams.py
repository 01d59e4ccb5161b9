"""The infrastructure diagrams (docs/infra_*.puml, docs/infra_*.mmd) and their renders in docs/img/.

A render is older than its source when the source's sha256 differs from the one recorded in
docs/img/infra_diagrams.json when `make diagrams` rendered it: hashes, not modification times, which a
fresh `git clone` sets to the checkout's time for every file. No renderer runs here (they need Java,
Graphviz and a browser; `make diagrams` has them): the renders are checked as files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "docs" / "img" / "infra_diagrams.json"

_spec = importlib.util.spec_from_file_location("crq_diagrams", ROOT / "deploy" / "tools" / "diagrams.py")
assert _spec and _spec.loader
diagrams = sys.modules["crq_diagrams"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(diagrams)

SOURCES = diagrams.sources()

# what the architecture must show (issue 11), as words each source and each SVG render must contain
ARCHITECTURE = ["CloudFront", "demo UI", "API Gateway", "JWT authorizer", "chat Lambda", "lib layer", "app layer",
                "jobs Lambda", "SQS jobs queue", "dead-letter queue", "Aurora PostgreSQL", "writer", "reader",
                "Secrets Manager", "CloudWatch", "X-Ray", "VPC endpoint", "ECS/Fargate"]
SEQUENCE = ["POST /v1/chat", "JWT authorizer", "GetSecretValue", "Intent", "bound parameters", "crq_reader",
            "statement_timeout", "SendMessage", "GET /v1/jobs/{id}", "202", "200", "EMF metrics"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    assert MANIFEST.exists(), "docs/img/infra_diagrams.json missing: run `make diagrams`"
    return dict(json.loads(MANIFEST.read_text())["diagrams"])


def test_every_source_has_its_renders_and_nothing_else_is_recorded(manifest: dict[str, Any]) -> None:
    names = {p.name for p in SOURCES}
    assert {"infra_architecture.puml", "infra_architecture.mmd", "infra_sequence.puml", "infra_sequence.mmd"} <= names
    assert set(manifest) == {diagrams.rel(p) for p in SOURCES}, "run `make diagrams`"
    for source in SOURCES:
        expected = {diagrams.rel(p) for p in diagrams.renders(source).values()}
        assert set(manifest[diagrams.rel(source)]["renders"]) == expected
    on_disk = {diagrams.rel(p) for p in (ROOT / "docs" / "img").glob("infra_*") if p != MANIFEST}
    recorded = {path for entry in manifest.values() for path in entry["renders"]}
    assert on_disk == recorded, f"renders of no source: {sorted(on_disk - recorded)}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_render_is_older_than_its_source(manifest: dict[str, Any], source: Path) -> None:
    entry = manifest[diagrams.rel(source)]
    assert entry["sha256"] == sha256(source), (
        f"{diagrams.rel(source)} changed since docs/img/ was rendered from it: run `make diagrams`")
    for path, digest in entry["renders"].items():
        assert (ROOT / path).exists(), f"{path} missing: run `make diagrams`"
        assert sha256(ROOT / path) == digest, f"{path} is not the render `make diagrams` recorded: run it again"


def _text(svg: Path) -> str:
    """Every piece of text an SVG shows (PlantUML's <text>, Mermaid's HTML labels), one line of each."""
    root = ET.fromstring(svg.read_text())
    assert root.tag.endswith("}svg") or root.tag == "svg", svg
    return re.sub(r"\s+", " ", " ".join(t.strip() for t in root.itertext() if t.strip()))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_renders_are_whole_and_show_what_the_source_says(source: Path) -> None:
    wanted = ARCHITECTURE if "architecture" in source.name else SEQUENCE
    text = source.read_text()
    assert [w for w in wanted if w not in text] == [], diagrams.rel(source)
    out = diagrams.renders(source)
    shown = _text(out["svg"])
    assert [w for w in wanted if w not in shown] == [], f"{diagrams.rel(out['svg'])} lacks them"
    assert not [m for m in diagrams.FAILURE_MARKS if m in shown]
    png = out["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 800 and height >= 400, (out["png"].name, width, height)


def test_the_readme_shows_the_architecture() -> None:
    readme = (ROOT / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\((docs/img/infra_[^)]+\.png)\)", readme)
    assert images and all((ROOT / image).exists() for image in images), images
