"""The larger models of benchmarks/model_size.py, and start-up that grows linearly with the model.

Start-up is checked by the work it does, not by the clock (tests assert no timings): the number of
Python calls that loading and validating, building the offline mapper and the first compile make,
counted by cProfile, must grow like the model's size (the first compile: hardly at all). A quadratic
pass (every dimension against every other) multiplies them by the size ratio once more.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import pstats
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

from compiler import compile as compile_intent
from models.intent import DimensionRef, Intent
from runtime.mappers.offline import OfflineMapper
from semantic.loader import DEFAULT_MODEL, check_model_text

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = ROOT / "benchmarks" / "model_size.py"
AS_OF = dt.date(2026, 6, 17)


@cache
def model_size_text(n: int, *, copies_first: bool = False) -> str:
    """The benchmark's generated model of size ``n``, written by the benchmark in a subprocess: imported
    here, its literals would join the pool Hypothesis draws examples from (every non-test module
    imported in the session), changing the examples of the property tests that run after."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.yaml"
        flags = ["--copies-first"] if copies_first else []
        subprocess.run([sys.executable, str(BENCHMARK), "--write-model", str(path), "--size", str(n), *flags],
                       check=True, timeout=120)
        return path.read_text()


def test_size_one_is_the_shipped_model() -> None:
    assert yaml.safe_load(model_size_text(1)) == yaml.safe_load(DEFAULT_MODEL.read_text())


@pytest.mark.parametrize("copies_first", [False, True])
def test_a_larger_model_is_valid_and_each_copy_names_its_own(copies_first: bool) -> None:
    model, issues = check_model_text(model_size_text(10, copies_first=copies_first))
    assert model is not None and issues == []
    shipped = yaml.safe_load(DEFAULT_MODEL.read_text())
    assert len(model.tables) == 3 * 10
    assert len(model.metrics) == len(shipped["metrics"]) + 9 * (len(shipped["metrics"]) + 5)
    assert len(model.verified_queries) == 10 * len(shipped["verified_queries"])
    assert len(model.materializations) == 10 * len(shipped["materializations"])
    assert (model.tables[0].name == "accounts") is not copies_first
    shipped_tables = {t["name"] for t in shipped["tables"]}
    providers = sorted({t.name.split("_")[0] for t in model.tables} - {"accounts", "resources", "resource"})
    assert len(providers) == 9
    for provider in providers:
        tables = [t for t in model.tables if t.name.startswith(f"{provider}_")]
        assert {t.table for t in tables} == shipped_tables  # the same physical tables
        for t in tables:
            names = [d.name for d in (*t.dimensions, *t.time_dimensions)]
            assert all(n.startswith(f"{provider}_") for n in names), names
        regions = next(d for t in tables for d in t.dimensions if d.name == f"{provider}_region")
        assert all(v.startswith(f"{provider}-") for v in regions.enum)  # its own values
    names = Counter(m.name for m in model.metrics) + Counter(v.name for v in model.materializations)
    assert max(names.values()) == 1


def _calls(fn: Callable[[], object]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    try:
        fn()
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined, no-any-return]


def test_start_up_grows_linearly_with_the_model() -> None:
    texts = {n: model_size_text(n) for n in (3, 10)}
    growth = len(texts[10]) / len(texts[3])  # 3.6
    intent = Intent(metrics=("cost",), dimensions=(DimensionRef(name="service"),))
    work: dict[str, dict[int, int]] = {"load": {}, "mapper": {}, "compile": {}}
    compile_intent(intent, check_model_text(texts[3])[0], as_of=AS_OF, views={})  # imports, caches
    for n, text in texts.items():
        work["load"][n] = _calls(lambda text=text: check_model_text(text))  # type: ignore[misc]
        model = check_model_text(text)[0]
        work["mapper"][n] = _calls(lambda model=model: OfflineMapper(model, {}))  # type: ignore[misc]
        fresh = check_model_text(text)[0]
        work["compile"][n] = _calls(  # type: ignore[misc]
            lambda fresh=fresh: compile_intent(intent, fresh, as_of=AS_OF, views={})
        )
    ratios = {k: round(v[10] / v[3], 2) for k, v in work.items()}
    assert ratios["load"] <= 1.25 * growth and ratios["mapper"] <= 1.25 * growth, (ratios, growth)
    # the first compile resolves what its question needs (one table's views), not the whole model
    assert ratios["compile"] <= 1.5, ratios


def test_the_benchmark_prints_its_figures_and_summary_line() -> None:
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "model_size.py"), "--sizes", "1,3", "--runs", "1", "--no-ask",
         "--cold-sizes", "1", "--cold-runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    lines = p.stdout.strip().splitlines()
    assert lines[0].split() == ["figure", "1x", "3x"]
    assert any(line.startswith("reply schema enum values") for line in lines)
    keys = [part.split("=")[0] for part in lines[-1].split()]
    assert keys == ["size3_mapper_build_ms", "size3_load_ms", "size3_prompt_tokens", "size3_enum_values",
                    "size3_ask_s", "size3_ask_first_s", "size3_artefact_load_ms", "size1_cold_start_yaml_ms",
                    "size1_cold_start_artefact_ms"]
    assert any(line.startswith("load from artefact, ms") for line in lines)
    assert all(part.split("=")[1] != "-" for part in lines[-1].split() if "artefact" in part or "cold" in part)
