"""Property tests: random intents drawn from the semantic model itself.

The golden cases cover what we thought of; these cover combinations nobody wrote down. Strategies are
derived from the shipped model (its metrics, the dimensions each fact table can reach through to-one
relationships, enum values, groups and synonyms, time grains, segments), so they stay meaningful when
the model grows.

1. Valid intents either compile to SQL that PostgreSQL plans (EXPLAIN) and runs (read-only), or are
   refused with a UserError for a legitimate reason; refusals must stay rare (else the strategy, or
   the compiler, is too strict) and no other exception may ever escape the compiler.
2. Invalid intents (unknown names, wrong value types, grains on non-time dimensions, operators that do
   not fit the type, future time ranges, ...) always raise a UserError with a message naming the
   problem, never anything else (a KeyError or a database error would reach the user as a crash).
3. Metamorphic checks that need no hand-written answer: a multi-fact query's metric columns equal
   each metric asked for alone (the FULL JOIN neither loses, duplicates nor mixes groups), and LIMIT n
   returns the first n rows of the unlimited query (top-N is deterministic).

Known compiler bugs are kept out of the random strategies and pinned instead by the strict xfail tests
at the end, so that this file stays green and each fix shows up as an XPASS to clean up.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from compiler import compile
from models.errors import IntentError, QueryRefused, TimeRangeError, UserError
from models.intent import Grain, Intent
from models.semantic_model import DimensionType, MetricType, SemanticModel
from semantic import load_model

AS_OF = dt.date(2026, 6, 17)
MAX_EXAMPLES = 100
# Refusals of random valid intents have legitimate causes (e.g. a segment whose filters a fact cannot
# reach); more than this share means the generator or the compiler has drifted.
MAX_REFUSED_SHARE = 0.15
TIMEZONES = ("UTC", "America/Los_Angeles", "Asia/Kolkata", "Europe/Berlin", "Pacific/Chatham",
             "America/St_Johns", "Australia/Lord_Howe", "Pacific/Kiritimati")
# Examples hit a real database, so they are slow and large by hypothesis' standards; no example
# database is kept (database=None) so runs never depend on, or write, local state.
# Locally every run explores new examples; in CI (CI=true) the examples are fixed, so a submission
# cannot fail by the luck of the draw (a failure prints the seed and the shrunk intent either way).
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
IN_CI = bool(os.environ.get("CI"))
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=SLOW_OK,
                    derandomize=IN_CI)
METAMORPHIC = settings(SETTINGS, max_examples=40)

ALL_OPS = ("=", "!=", "in", "not in", "<", "<=", ">", ">=", "between", "is null", "is not null", "contains")
EQUALITY_OPS = ("=", "!=", "in", "not in", "is null", "is not null")
# Tags are free-form: besides the model's known keys, keys with the punctuation real clouds use.
EXTRA_TAG_KEYS = ("project", "app.kubernetes.io/name", "aws:createdBy", "cost center", "user@example.com")
METRIC_OPS = ("=", "!=", "<", "<=", ">", ">=", "between")


# --- what the model offers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DimInfo:
    """One dimension as an intent can name it (``tag:key`` for tags), with the values it takes."""

    name: str
    table: str
    kind: str  # "enum", "string", "number", "boolean", "time"
    values: tuple[str, ...] = ()
    grains: tuple[Grain, ...] = ()


@dataclass
class ModelInfo:
    model: SemanticModel
    metrics: list[str]
    metric_tables: dict[str, frozenset[str]]
    reach: dict[str, frozenset[str]]
    dims: dict[str, list[DimInfo]]
    defaults: dict[str, str | None]
    segment_fields: dict[str, frozenset[str]]
    table_order: list[str] = field(default_factory=list)

    def dims_reachable_from(self, facts: frozenset[str]) -> list[DimInfo]:
        """Dimensions every fact can reach without fan-out; duplicates by name keep the first."""
        common = frozenset.intersection(*(self.reach[f] for f in facts))
        seen: dict[str, DimInfo] = {}
        for table in self.table_order:
            if table in common:
                for d in self.dims[table]:
                    seen.setdefault(d.name, d)
        return list(seen.values())


def _reach(model: SemanticModel) -> dict[str, frozenset[str]]:
    edges: dict[str, set[str]] = {t.name: set() for t in model.tables}
    for r in model.relationships:
        edges[r.from_table].add(r.to_table)
    out = {}
    for start in edges:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[start] = frozenset(seen)
    return out


def _metric_tables(model: SemanticModel) -> dict[str, frozenset[str]]:
    metrics = {m.name: m for m in model.metrics}
    measure_table = {ms.name: t.name for t in model.tables for ms in t.measures}

    def tables(name: str) -> frozenset[str]:
        m = metrics[name]
        if m.type == MetricType.SIMPLE:
            table, _, measure = (m.measure or "").rpartition(".")
            return frozenset({table or measure_table[measure]})
        if m.type == MetricType.RATIO:
            return tables(m.numerator or "") | tables(m.denominator or "")
        used = [w for w in re.findall(r"[a-z_][a-z0-9_]*", m.expr or "") if w in metrics]
        return frozenset().union(*(tables(w) for w in used))

    return {name: tables(name) for name in metrics}


def _enum_values(model: SemanticModel, name: str) -> tuple[str, ...]:
    """Enum values with group names and synonyms, from any table that declares them for this name."""
    for t in model.tables:
        for d in t.dimensions:
            if d.name == name and d.enum:
                words = [*d.enum, *d.groups, *(s for g in d.groups.values() for s in g.synonyms)]
                words += [s for syns in d.value_synonyms.values() for s in syns]
                return tuple(dict.fromkeys(words))
    return ()


def _dim_infos(model: SemanticModel, table_name: str) -> list[DimInfo]:
    table = model.table(table_name)
    out: list[DimInfo] = []
    for d in table.dimensions:
        if d.tags:
            out += [DimInfo(f"{d.name}:{k}", table.name, "string") for k in (*d.tag_keys, *EXTRA_TAG_KEYS)]
        elif d.type == DimensionType.NUMBER:
            out.append(DimInfo(d.name, table.name, "number"))
        elif d.type == DimensionType.BOOLEAN:
            out.append(DimInfo(d.name, table.name, "boolean"))
        elif values := _enum_values(model, d.name):
            out.append(DimInfo(d.name, table.name, "enum", values))
        else:
            out.append(DimInfo(d.name, table.name, "string", d.sample_values))
    out += [DimInfo(td.name, table.name, "time", grains=td.grains) for td in table.time_dimensions]
    return out


def model_info(model: SemanticModel) -> ModelInfo:
    return ModelInfo(
        model=model,
        metrics=[m.name for m in model.metrics],
        metric_tables=_metric_tables(model),
        reach=_reach(model),
        dims={t.name: _dim_infos(model, t.name) for t in model.tables},
        defaults={t.name: t.default_time_dimension for t in model.tables},
        segment_fields={s.name: frozenset(f.field for f in s.filters) for s in model.segments},
        table_order=[t.name for t in model.tables],
    )


INFO = model_info(load_model())


# --- strategies for valid intents ------------------------------------------------------------------------

DATES = st.dates(min_value=dt.date(2023, 1, 1), max_value=AS_OF)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


def numbers() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(-10, 5000), st.floats(-10, 5000, allow_nan=False, allow_infinity=False))


def number_lists(min_size: int, max_size: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(numbers(), min_size=min_size, max_size=max_size)  # ints and floats mixed


def scalar_values(dim: DimInfo) -> st.SearchStrategy[Any]:
    if dim.kind == "enum":
        return st.sampled_from(dim.values)
    if dim.kind == "boolean":
        return st.sampled_from([True, False, "yes", "no", "true", "false", "1", "0"])
    if dim.kind == "number":
        return numbers()
    if dim.kind == "time":
        return st.one_of(DATES, DATES.map(dt.date.isoformat))
    return st.one_of(st.sampled_from(dim.values), TEXT) if dim.values else TEXT


@st.composite
def dim_filters(draw: st.DrawFn, dim: DimInfo) -> dict[str, Any]:
    ops = {"enum": (*EQUALITY_OPS, "contains"), "boolean": EQUALITY_OPS,
           "number": ALL_OPS[:-1], "time": ALL_OPS[:-1]}.get(dim.kind, ALL_OPS)
    op = draw(st.sampled_from(ops))
    if op in ("is null", "is not null"):
        return {"field": dim.name, "op": op}
    if op in ("in", "not in"):
        values = draw(number_lists(1, 3) if dim.kind == "number"
                      else st.lists(scalar_values(dim), min_size=1, max_size=3))
        return {"field": dim.name, "op": op, "value": values}
    if op == "between":
        values = draw(number_lists(2, 2) if dim.kind == "number"
                      else st.lists(scalar_values(dim), min_size=2, max_size=2))
        return {"field": dim.name, "op": op, "value": values}
    if op == "contains":
        return {"field": dim.name, "op": op, "value": draw(TEXT.filter(bool))}
    return {"field": dim.name, "op": op, "value": draw(scalar_values(dim))}


@st.composite
def time_ranges(draw: st.DrawFn, dimension: str | None) -> dict[str, Any]:
    kind = draw(st.sampled_from(["between", "since", "current", "previous", "trailing", "month", "quarter",
                                 "year"]))
    tr: dict[str, Any] = {"kind": kind}
    if kind == "between":
        a, b = sorted([draw(DATES), draw(st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31)))])
        tr |= {"start": a, "end": b}
    elif kind == "since":
        tr["start"] = draw(DATES)
    elif kind in ("current", "previous", "trailing"):
        tr["unit"] = draw(st.sampled_from(list(Grain)))
        tr["n"] = draw(st.integers(1, 40))
    elif kind == "month":
        tr["month"] = draw(st.integers(1, 12))
        tr["year"] = draw(st.none() | st.integers(2020, 2025))
    elif kind == "quarter":
        tr["quarter"] = draw(st.integers(1, 4))
        tr["year"] = draw(st.none() | st.integers(2020, 2025))
    else:
        tr["year"] = draw(st.integers(2020, 2026))
    if dimension:
        tr["dimension"] = dimension
    return tr


@st.composite
def valid_intents(draw: st.DrawFn, info: ModelInfo = INFO) -> dict[str, Any]:
    """An intent that names only things the model has, with dimensions every fact can reach."""
    listing = draw(st.integers(0, 9)) == 0
    if listing:
        root = draw(st.sampled_from(info.table_order))
        metrics: list[str] = []
        facts = frozenset({root})
    else:
        first = draw(st.sampled_from(info.metrics))
        # Further metrics only where a common table (the one the dimensions come from) stays reachable.
        compatible = [m for m in info.metrics
                      if frozenset.intersection(*(info.reach[f] for f in info.metric_tables[first]
                                                  | info.metric_tables[m]))]
        metrics = list(dict.fromkeys([first, *draw(st.lists(st.sampled_from(compatible), max_size=2))]))
        facts = frozenset().union(*(info.metric_tables[m] for m in metrics))
    available = info.dims_reachable_from(facts)
    chosen = draw(st.lists(st.sampled_from(available), min_size=1 if listing else 0, max_size=3,
                           unique_by=lambda d: d.name))
    dimensions = []
    used_names = []
    for d in chosen:
        # "table.dim" pins the table; unqualified names pick the nearest one. Both must work.
        qualify = draw(st.integers(0, 4)) == 0
        name = f"{d.table}.{d.name}" if qualify else d.name
        grain = draw(st.none() | st.sampled_from(d.grains)) if d.kind == "time" else None
        dimensions.append(f"{name}__{grain.value}" if grain else name)
        used_names.append(name)
    filters = draw(st.lists(st.sampled_from(available).flatmap(dim_filters), max_size=3))
    if metrics and draw(st.booleans()):
        op = draw(st.sampled_from(METRIC_OPS))
        value: Any = draw(number_lists(2, 2)) if op == "between" else draw(numbers())
        filters.append({"field": draw(st.sampled_from(metrics)), "op": op, "value": value})
    names = {d.name for d in available}
    segments = draw(st.lists(st.sampled_from([s for s, fs in info.segment_fields.items() if fs <= names]
                                             or [""]), max_size=1))
    intent: dict[str, Any] = {"metrics": metrics, "dimensions": dimensions, "filters": filters,
                              "segments": [s for s in segments if s]}
    time_dims = [d.name for d in available if d.kind == "time"]
    dated = any(info.defaults[f] for f in facts) and not listing
    if (time_dims or dated) and draw(st.booleans()):
        dimension = draw(st.sampled_from(time_dims)) if time_dims and (not dated or draw(st.booleans())) else None
        intent["time_range"] = draw(time_ranges(dimension))
    orderable = [*metrics, *used_names]
    if orderable and draw(st.booleans()):
        intent["order_by"] = [{"field": f, "direction": draw(st.sampled_from(["asc", "desc"]))}
                              for f in draw(st.lists(st.sampled_from(orderable), min_size=1, max_size=2,
                                                     unique=True))]
        intent["limit"] = draw(st.none() | st.integers(1, 50))
    if draw(st.booleans()):
        intent["timezone"] = draw(st.sampled_from(TIMEZONES))
    return intent


# --- running ------------------------------------------------------------------------------------------


def explain_and_run(conn: psycopg.Connection[Any], sql: str, params: dict[str, object]) -> None:
    """PostgreSQL must accept the statement as is: plan it, then run it where writes are impossible."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute("SET LOCAL statement_timeout = 20000")
        conn.execute("EXPLAIN " + sql, params)
        conn.execute(sql, params).fetchall()


def test_valid_intents_compile_and_run(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Every valid intent compiles to SQL PostgreSQL runs, or is refused for a reason a user can act on."""
    outcomes: Counter[str] = Counter()
    refusals: list[str] = []

    @SETTINGS
    @given(raw=valid_intents())
    def check(raw: dict[str, Any]) -> None:
        intent = Intent.model_validate(raw)
        try:
            query = compile(intent, model, as_of=AS_OF)
        except UserError as e:
            assert str(e).strip(), "a refusal must say why"
            outcomes["refused"] += 1
            refusals.append(f"{type(e).__name__}: {e}")
            return
        explain_and_run(conn, query.sql, query.params)
        outcomes["ran"] += 1

    check()
    total = sum(outcomes.values())
    assert total >= MAX_EXAMPLES // 2
    assert outcomes["refused"] <= MAX_REFUSED_SHARE * total, "\n".join(refusals)


# --- metamorphic: combining facts and limiting rows change nothing else ------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(Decimal("0.0001"))
    return value


def run_rows(conn: psycopg.Connection[Any], raw: dict[str, Any], model: SemanticModel) -> list[tuple[Any, ...]]:
    query = compile(Intent.model_validate(raw), model, as_of=AS_OF)
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        return [tuple(_number(v) for v in row) for row in conn.execute(query.sql, query.params).fetchall()]


@st.composite
def multi_fact_intents(draw: st.DrawFn, info: ModelInfo = INFO) -> dict[str, Any]:
    """Metrics of at least two fact tables, with dimensions and filters all of them reach; no HAVING,
    order or limit, so each metric's column can be checked against the metric asked for alone."""
    pairs = [(a, b) for a in info.metrics for b in info.metrics
             if a < b and len(info.metric_tables[a] | info.metric_tables[b]) >= 2]
    metrics = list(dict.fromkeys([*draw(st.sampled_from(pairs)),
                                  *draw(st.lists(st.sampled_from(info.metrics), max_size=1))]))
    facts = frozenset().union(*(info.metric_tables[m] for m in metrics))
    available = info.dims_reachable_from(facts)
    chosen = draw(st.lists(st.sampled_from(available), max_size=2, unique_by=lambda d: d.name))
    dimensions = [f"{d.name}__{draw(st.sampled_from(d.grains)).value}" if d.kind == "time" else d.name
                  for d in chosen]
    filters = draw(st.lists(st.sampled_from(available).flatmap(dim_filters), max_size=2))
    intent: dict[str, Any] = {"metrics": metrics, "dimensions": dimensions, "filters": filters}
    if any(info.defaults[f] for f in facts) and draw(st.booleans()):
        intent["time_range"] = draw(time_ranges(None))
    return intent


def test_multi_fact_columns_equal_single_metric_answers(model: SemanticModel,
                                                         conn: psycopg.Connection[Any]) -> None:
    """The FULL JOIN + COALESCE + MAX combination must neither lose, duplicate nor mix up groups: each
    metric column equals that metric asked for alone (missing groups show as NULL), NULL keys included."""

    @METAMORPHIC
    @given(raw=multi_fact_intents())
    def check(raw: dict[str, Any]) -> None:
        try:
            combined = run_rows(conn, raw, model)
        except UserError:
            return
        width = len(raw["dimensions"])
        keys = [row[:width] for row in combined]
        assert len(keys) == len(set(keys)), "a group appears twice"
        for i, metric in enumerate(raw["metrics"]):
            single = {**raw, "metrics": [metric]}
            if not any(INFO.defaults[f] for f in INFO.metric_tables[metric]):
                single.pop("time_range", None)  # a range without dimension skips undated facts
            alone = {row[:width]: row[width] for row in run_rows(conn, single, model)}
            got = {row[:width]: row[width + i] for row in combined}
            assert set(alone) <= set(got), f"{metric}: groups lost"
            assert {k: got[k] for k in alone} == alone, f"{metric}: values differ"
            assert all(got[k] is None for k in set(got) - set(alone)), f"{metric}: invented values"

    check()


def test_limit_returns_a_prefix_of_the_ordered_answer(model: SemanticModel, conn: psycopg.Connection[Any]) -> None:
    """Top-N must be stable: with the dimensions as tie-breakers, a limit of n is a prefix of the same
    query without it, at least n rows long; rows past the n-th are there only because they tie with
    it on the ranked fields (a ranked cut keeps every row tied with its last)."""

    @METAMORPHIC
    @given(raw=valid_intents(), n=st.integers(1, 20))
    # drawn in CI: ranked by a tag, whose column is tag_owner (5,000 rows tie on no owner at the cut)
    @example(
        raw={"metrics": ["resource_count", "total_storage_gb"],
             "dimensions": ["accounts.account_id", "resources.tag:owner"],
             "order_by": [{"field": "resources.tag:owner", "direction": "asc"}]},
        n=1,
    )
    def check(raw: dict[str, Any], n: int) -> None:
        raw = {**raw, "limit": None}
        try:
            names, full = run_named(conn, raw, model)
        except UserError:
            return
        _, got = run_named(conn, {**raw, "limit": n}, model)
        assert got == full[: len(got)]
        assert len(got) >= min(n, len(full))
        if len(got) > n:
            # the ranked fields' columns, as the compiler names them ("tag:owner" is tag_owner)
            plan = compile(Intent.model_validate(raw), model, as_of=AS_OF).plan
            fields = [alias for alias, _ in plan.order_by]
            ranked = [names.index(f) for f in fields if f in names]
            assert ranked, (names, fields)
            assert all([r[i] for i in ranked] == [got[n - 1][i] for i in ranked] for r in got[n:])

    check()


def run_named(
    conn: psycopg.Connection[Any], raw: dict[str, Any], model: SemanticModel
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """``run_rows``, with the answer's column names."""
    query = compile(Intent.model_validate(raw), model, as_of=AS_OF)
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        cur = conn.execute(query.sql, query.params)
        names = [d.name for d in cur.description or ()]
        return names, [tuple(_number(v) for v in row) for row in cur.fetchall()]


# --- invalid intents ---------------------------------------------------------------------------------------

UNKNOWN = st.from_regex(r"zz[a-z_]{1,8}", fullmatch=True)
Mutation = Callable[[dict[str, Any]], dict[str, Any]]


def _time_dims() -> list[str]:
    return [d.name for ds in INFO.dims.values() for d in ds if d.kind == "time"]


def _non_time(kind: str | None = None) -> list[DimInfo]:
    return [d for ds in INFO.dims.values() for d in ds if d.kind != "time" and (kind is None or d.kind == kind)]


MISTAKES = (
    "unknown_metric", "unknown_dimension", "unknown_filter_field", "unknown_segment", "grain_on_non_time",
    "unknown_grain_suffix", "bad_number", "bad_boolean", "bad_date", "bad_enum_value", "ordered_op_on_enum",
    "contains_on_number", "contains_on_time", "ordered_op_on_boolean", "metric_filter_bad_op",
    "metric_filter_text", "future_time_range", "time_range_on_non_time_dimension",
    "unknown_time_range_dimension", "unknown_timezone", "unknown_order_field", "empty_tag_key",
    "unknown_tag_dimension", "bad_tag_key",
)


@st.composite
def invalid_intents(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A random valid intent with one mistake of the given kind added."""
    base = draw(valid_intents())
    if not base["metrics"]:
        base["metrics"] = ["resource_count"]
        base.pop("time_range", None)
    word = draw(UNKNOWN)
    number_dim = draw(st.sampled_from(_non_time("number")))
    bool_dim = draw(st.sampled_from(_non_time("boolean")))
    enum_dim = draw(st.sampled_from(_non_time("enum")))
    time_dim = draw(st.sampled_from(_time_dims()))
    add_filter: dict[str, Any] | None = None
    if kind == "unknown_metric":
        base["metrics"] = [*base["metrics"], word]
    elif kind == "unknown_dimension":
        base["dimensions"] = [*base["dimensions"], word]
    elif kind == "unknown_filter_field":
        add_filter = {"field": word, "op": "=", "value": "x"}
    elif kind == "unknown_segment":
        base["segments"] = [word]
    elif kind == "grain_on_non_time":
        dim = draw(st.sampled_from(_non_time()))
        base["dimensions"] = [f"{dim.name}__{draw(st.sampled_from(list(Grain))).value}"]
    elif kind == "unknown_grain_suffix":
        base["dimensions"] = [f"{time_dim}__{draw(st.sampled_from(['hour', 'minute', 'decade']))}"]
    elif kind == "bad_number":
        add_filter = {"field": number_dim.name, "op": draw(st.sampled_from(["=", "<", ">="])),
                      "value": draw(st.sampled_from(["abc", "12abc", "", "nan", "inf", "1,5"]))}
    elif kind == "bad_boolean":
        add_filter = {"field": bool_dim.name, "op": "=", "value": draw(st.sampled_from(["maybe", "2", "", 7]))}
    elif kind == "bad_date":
        add_filter = {"field": time_dim, "op": draw(st.sampled_from(["=", "<", ">="])),
                      "value": draw(st.sampled_from(["2026-13-01", "yesterday", "17/06/2026", "", "2026-02-30"]))}
    elif kind == "bad_enum_value":
        add_filter = {"field": enum_dim.name, "op": draw(st.sampled_from(["=", "!=", "in"])), "value": word}
        if add_filter["op"] == "in":
            add_filter["value"] = [word]
    elif kind == "ordered_op_on_enum":
        add_filter = {"field": enum_dim.name, "op": draw(st.sampled_from(["<", "<=", ">", ">="])),
                      "value": enum_dim.values[0]}
    elif kind == "contains_on_number":
        add_filter = {"field": number_dim.name, "op": "contains", "value": "1"}
    elif kind == "contains_on_time":
        add_filter = {"field": time_dim, "op": "contains", "value": "2026"}
    elif kind == "ordered_op_on_boolean":
        add_filter = {"field": bool_dim.name, "op": draw(st.sampled_from(["<", ">=", "between", "contains"])),
                      "value": "true"}
        if add_filter["op"] == "between":
            add_filter["value"] = [False, True]
    elif kind == "metric_filter_bad_op":
        op = draw(st.sampled_from(["in", "not in", "contains", "is null", "is not null"]))
        add_filter = {"field": base["metrics"][0], "op": op}
        if op in ("in", "not in"):
            add_filter["value"] = [1, 2]
        elif op == "contains":
            add_filter["value"] = "1"
    elif kind == "metric_filter_text":
        add_filter = {"field": base["metrics"][0], "op": ">", "value": draw(st.sampled_from(["lots", "", "1e"]))}
    elif kind == "future_time_range":
        base["time_range"] = draw(st.sampled_from([
            {"kind": "year", "year": 2027}, {"kind": "since", "start": "2026-06-18"},
            {"kind": "between", "start": "2030-01-01", "end": "2030-12-31"},
            {"kind": "month", "month": 8, "year": 2026}, {"kind": "quarter", "quarter": 3, "year": 2026},
        ]))
        if not any(INFO.defaults[f] for m in base["metrics"] for f in INFO.metric_tables[m]):
            base["time_range"]["dimension"] = "created_at"
            base["metrics"] = ["resource_count"]
            base["dimensions"], base["filters"], base["segments"] = [], [], []
            base.pop("order_by", None)
    elif kind == "time_range_on_non_time_dimension":
        base["metrics"], base["dimensions"], base["filters"] = ["resource_count"], [], []
        base.pop("order_by", None)
        base["time_range"] = {"kind": "previous", "unit": "month",
                              "dimension": draw(st.sampled_from(["region", "service", "storage_gb", "is_public"]))}
    elif kind == "unknown_time_range_dimension":
        base["time_range"] = {"kind": "previous", "unit": "month", "dimension": word}
    elif kind == "unknown_timezone":
        base["timezone"] = draw(st.sampled_from(["Mars/Olympus", "UTC+25", "Europe/Nowhere", "utc ", "../etc"]))
    elif kind == "unknown_order_field":
        base["order_by"] = [{"field": word, "direction": "desc"}]
    elif kind == "empty_tag_key":
        base["dimensions"] = ["tag:"]
    elif kind == "unknown_tag_dimension":
        base["dimensions"] = [f"{word}:owner"]
    elif kind == "bad_tag_key":
        base["dimensions"] = [f"tag:{draw(st.sampled_from(['a;b', 'x' * 200, 'it' + chr(39) + 's', 'a%b']))}"]
    if add_filter is not None:
        base["filters"] = [*base["filters"], add_filter]
    return base


@pytest.mark.parametrize("kind", MISTAKES)
def test_invalid_intents_raise_user_errors(model: SemanticModel, kind: str) -> None:
    """A broken intent is explained (IntentError, TimeRangeError, QueryRefused), never a crash.

    One run per kind of mistake, so every kind is exercised whatever hypothesis favours; about a
    hundred examples in all.
    """

    @settings(SETTINGS, max_examples=max(4, MAX_EXAMPLES // len(MISTAKES)))
    @given(raw=invalid_intents(kind))
    def check(raw: dict[str, Any]) -> None:
        intent = Intent.model_validate(raw)
        with pytest.raises(UserError) as info:
            compile(intent, model, as_of=AS_OF)
        assert isinstance(info.value, (IntentError, TimeRangeError, QueryRefused)), info.value
        assert str(info.value).strip()

    check()


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        ({"metrics": ["costs"]}, IntentError, ["unknown metric", "did you mean 'cost'"]),
        ({"metrics": ["cost"], "dimensions": ["regoin"]}, IntentError, ["unknown dimension", "region"]),
        ({"metrics": ["cost"], "dimensions": ["region__month"]}, IntentError, ["not a time dimension"]),
        ({"metrics": ["cost"], "filters": [{"field": "storage_gb", "op": "<", "value": "big"}]}, IntentError,
         ["not a number"]),
        ({"metrics": ["cost"], "filters": [{"field": "environment", "op": "=", "value": "prdo"}]}, IntentError,
         ["not a value of environment", "prod"]),
        ({"metrics": ["resource_count"], "time_range": "last month"}, IntentError, ["no default time dimension"]),
        ({"metrics": ["cost"], "time_range": "2027"}, TimeRangeError, ["after the as-of date"]),
        ({"metrics": ["resource_count"], "dimensions": ["usage_date"]}, QueryRefused, ["more than once"]),
        ({"metrics": ["cost"], "timezone": "Mars/Olympus"}, IntentError, ["unknown time zone"]),
    ],
)
def test_error_messages_name_the_problem(model: SemanticModel, raw: dict[str, Any], error: type[UserError],
                                         words: list[str]) -> None:
    """The message is shown to a person as is, so it must say what is wrong and how to fix it."""
    with pytest.raises(error) as info:
        compile(Intent.model_validate(raw), model, as_of=AS_OF)
    for word in words:
        assert word in str(info.value)


# --- fixed compiler bugs: each of these once escaped as a crash or a wrong answer ---------------------------


def _compile_and_run(model: SemanticModel, conn: psycopg.Connection[Any], raw: dict[str, Any]) -> None:
    """Input must end in rows, a UserError, or (for values outside the schema) a validation error."""
    try:
        query = compile(Intent.model_validate(raw), model, as_of=AS_OF)
    except (UserError, ValidationError):
        return
    explain_and_run(conn, query.sql, query.params)


FIXED_BUGS = [
    pytest.param({"metrics": ["resource_count", "cost"], "dimensions": ["region", "region"]},
                 id="duplicate_dimension_multi_fact_ambiguous_column"),
    pytest.param({"metrics": ["resource_count"], "dimensions": ["tag:Owner", "tag:owner"]},
                 id="aliases_equal_after_case_folding"),
    pytest.param({"metrics": ["resource_count"],
                  "filters": [{"field": "storage_gb", "op": "in", "value": [100, 2.5]}]},
                 id="mixed_int_float_list_cannot_be_dumped"),
    pytest.param({"metrics": ["resource_count"],
                  "filters": [{"field": "resource_name", "op": "=", "value": "a\x00b"}]},
                 id="nul_character_in_text_value"),
    pytest.param({"metrics": ["cost"], "time_range": {"kind": "between", "start": "2026-01-01",
                                                      "end": "9999-12-31", "dimension": "created_at"}},
                 id="between_ending_9999_12_31_on_timestamp_overflows"),
    pytest.param({"metrics": ["resource_count"], "dimensions": ["created_at__month"], "timezone": "posixrules"},
                 id="timezone_python_accepts_but_postgres_rejects"),
    pytest.param({"metrics": ["resource_count"], "dimensions": ["tag:x.region", "region"]},
                 id="tag_key_with_dot_gets_alias_of_its_last_part"),
    pytest.param({"metrics": ["resource_count"], "dimensions": ["tag:a_b", "tag:a-b", "tag:a b"]},
                 id="fallback_alias_not_deduplicated"),
]


def test_fixed_qualified_tag_key_with_dot(model: SemanticModel) -> None:
    """Tag keys may contain '.' (app.kubernetes.io/name, emails); qualifying the tag dimension with its
    table must still work, as it does for keys without a dot."""
    for key in ("user@example.com", "app.kubernetes.io/name"):
        raw = {"metrics": ["cost"], "dimensions": [f"resources.tag:{key}"]}
        compile(Intent.model_validate(raw), model, as_of=AS_OF)


def test_fixed_listing_typo_is_reported_as_unknown_name(model: SemanticModel) -> None:
    """A misspelt dimension in a metric-less listing should get "unknown dimension ... did you mean",
    not QueryRefused "no single table reaches all of these dimensions"."""
    with pytest.raises(IntentError, match="did you mean 'region'"):
        compile(Intent.model_validate({"dimensions": ["regoin", "service"]}), model, as_of=AS_OF)


def test_fixed_error_names_the_right_filter(model: SemanticModel) -> None:
    """With a metric filter first, the bad dimension filter is filters[1]; the message says filters[0]."""
    raw = {"metrics": ["cost"], "filters": [{"field": "cost", "op": ">", "value": 5},
                                            {"field": "regoin", "op": "=", "value": "x"}]}
    with pytest.raises(IntentError, match=r"^filters\[1\]"):
        compile(Intent.model_validate(raw), model, as_of=AS_OF)


def test_fixed_listing_with_time_range_on_another_table(model: SemanticModel,
                                                           conn: psycopg.Connection[Any]) -> None:
    """"Accounts with resources created last month" is answerable from resources (which reaches both),
    and works as a created_at filter, but as a time range the root is chosen from the dimensions alone
    (accounts) and the query is refused with a misleading "count more than once" message."""
    raw = {"dimensions": ["account_name"],
           "time_range": {"kind": "previous", "unit": "month", "dimension": "created_at"}}
    query = compile(Intent.model_validate(raw), model, as_of=AS_OF)
    explain_and_run(conn, query.sql, query.params)


@pytest.mark.parametrize("raw", FIXED_BUGS)
def test_fixed_crash(model: SemanticModel, conn: psycopg.Connection[Any], raw: dict[str, Any]) -> None:
    """Each of these valid-looking intents once escaped as a non-UserError (psycopg or Python)."""
    _compile_and_run(model, conn, raw)


def test_fixed_nan_is_not_a_number(model: SemanticModel) -> None:
    """``storage_gb < NaN`` matches every row in PostgreSQL (NaN sorts above all numbers); refuse it."""
    with pytest.raises(IntentError):
        compile(Intent.model_validate({"metrics": ["resource_count"],
                                       "filters": [{"field": "storage_gb", "op": "<", "value": float("nan")}]}),
                model, as_of=AS_OF)
