"""Fuzzing model files: whatever a file holds, validation returns a model or located issues.

Never an exception, never more than a second of CPU time, never more than a bounded amount of memory:
the properties a CI job validating analysts' pull requests relies on. Inputs are random YAML-ish text
(anchors, aliases, tags, deep nesting, long scalars), random bytes, random data dumped as YAML, and
mutations of the shipped model, so that the rules also see models the schema accepts but no one wrote.
"""

from __future__ import annotations

import gc
import re
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.errors import Issue
from models.semantic_model import SemanticModel
from semantic.loader import DEFAULT_MODEL, MAX_MODEL_BYTES, check_model, check_model_text

SHIPPED = DEFAULT_MODEL.read_text()
MAX_PEAK_MB = 64
FUZZ = settings(
    max_examples=60,
    deadline=None,  # wall-clock deadlines fail on a busy machine; CPU time is asserted instead
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

FRAGMENTS = [
    *"[]{},:-?&*!|>'\"#%@`\\\t\n",
    ": ",
    "- ",
    "? ",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "<<: ",
    "<<: *a",
    "!!int ",
    "!!str ",
    "!!set ",
    "!!binary ",
    "!!bool ",
    "!!timestamp ",
    "!!python/object:os.system ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "|\n  ",
    ">-\n  ",
    "  ",
    "name: ",
    "tables: ",
    "metrics: ",
    "expr: ",
    "schema: ",
    "json: ",
    "2026-13-45",
    "9" * 120,
    "1" * 5000,
    "0x" + "f" * 300,
    ".inf",
    "~",
    "yes",
    "=",
    "\x00",
    "\x85",
    "\ufeff",
    "\u2028",
    "\ud800",
    "é",
    "%(x)s",
    "'(((('",
    "NOT NOT NOT ",
    "pg_catalog",
]
soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=120).map("".join)
deep = st.builds(
    lambda opener, n, closed: opener * n + (opener.replace("[", "]").replace("{", "}") * n if closed else ""),
    st.sampled_from(["[", "{", "- ", "{a: ", "[a, ", "? "]),
    st.integers(0, 30_000),
    st.booleans(),
)
blocks = st.integers(0, 1_500).map(lambda n: "".join(" " * i + "a:\n" for i in range(n)))
long_scalars = st.builds(
    lambda key, n: f"name: x\ntables: []\n{key}: " + "a" * n + "\n",
    st.sampled_from(["description", "name", "schema"]),
    st.integers(0, MAX_MODEL_BYTES + 100),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.dates())
trees = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=40,
)
dumped = st.builds(
    lambda data, flow: yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True), trees, st.booleans()
)


@st.composite
def mutated(draw: st.DrawFn, base: str = SHIPPED) -> str:
    """The shipped model with a few random edits: deletions, duplications, insertions of fragments."""
    text = base
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 200)))
        edit = draw(st.sampled_from(["delete", "duplicate", "insert", "replace"]))
        piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)))
        text = {
            "delete": text[:i] + text[j:],
            "duplicate": text[:j] + text[i:j] + text[j:],
            "insert": text[:i] + piece + text[i:],
            "replace": text[:i] + piece + text[j:],
        }[edit]
    return text


@st.composite
def line_mutated(draw: st.DrawFn) -> str:
    """The shipped model with one line's value swapped for a value taken from another line.

    Keeps the YAML well formed far more often than character edits, so the rules see odd models.
    """
    lines = SHIPPED.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    donor = draw(st.sampled_from(lines)).partition(": ")[2]
    value = draw(st.sampled_from([donor or "x\n", "[]\n", "{}\n", "-1\n", "'%s'\n", "pg_toast\n", "''\n"]))
    key, colon, _ = lines[i].partition(": ")
    lines[i] = key + colon + value if colon else value
    return "".join(lines)


def located(result: tuple[SemanticModel | None, list[Issue]]) -> None:
    model, issues = result
    assert model is not None or issues, "no model and no issue"
    for issue in issues:
        assert re.fullmatch(r"E\d{3}", issue.code), issue
        assert issue.line >= 1 and issue.col >= 1, issue
        assert issue.message and "\n" not in issue.message, issue


def bounded(check: Callable[[], tuple[SemanticModel | None, list[Issue]]]) -> None:
    """Runs ``check`` once, timed, and once under tracemalloc (which slows it) for its memory peak.

    The cyclic garbage collector is off while timing: its pauses grow with the whole test process's
    heap (hypothesis keeps a lot), not with the input.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        result = check()
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    located(result)
    assert elapsed < 1.0, f"{elapsed:.2f} s of CPU"
    tracemalloc.start()
    try:
        check()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK_MB * 2**20, f"{peak / 2**20:.0f} MB"


@FUZZ
@given(st.one_of(soup, deep, blocks, long_scalars, dumped))
def test_random_yaml(text: str) -> None:
    bounded(lambda: check_model_text(text, "m.yaml"))


@FUZZ
@given(st.one_of(mutated(), line_mutated()))
def test_mutations_of_the_shipped_model(text: str) -> None:
    bounded(lambda: check_model_text(text, "m.yaml"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "model.yaml"


@FUZZ
@given(st.one_of(st.binary(max_size=2_000), mutated().map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_random_bytes_from_a_file(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    bounded(lambda: check_model(scratch))
