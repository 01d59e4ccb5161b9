"""Hostile semantic model files: each ends in one located issue, quickly, never a crash.

Analysts edit model files and CI validates pull requests, so a model file is untrusted input. Each case
here once ended in a 3 GB process, a segfault, a RecursionError, an ``internal error`` or a model that
validated and then broke every query. Each now gives one issue with its code and file:line:col, in well
under a second of CPU time (CPU, not wall-clock time, so a busy machine does not fail the test).
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from models.errors import Issue
from semantic.loader import MAX_MODEL_BYTES, check_model, check_model_text

CRQ = str(Path(sys.executable).parent / "crq")
BASE = (Path(__file__).parent.parent / "fixtures" / "models" / "mutation_base.yaml").read_text()
FILE = "m.yaml"
EXPR = "expr: \"tags = '{}'::jsonb\""  # line 126, the is_untagged dimension


def mutate(n: int, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` on 1-based line ``n`` of the frozen copy of the shipped model."""
    lines = BASE.splitlines(keepends=True)
    assert lines[n - 1].count(old) == 1, f"line {n} no longer holds {old!r}: {lines[n - 1]!r}"
    lines[n - 1] = lines[n - 1].replace(old, new)
    return "".join(lines)


def metrics(lines: str) -> str:
    """The base model with ``lines`` as its first metrics (line 202 on)."""
    return mutate(201, "metrics:\n", "metrics:\n" + lines)


LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
DEEP_FLOW = "[" * 60_000
CHAIN = metrics(
    "".join(f"  - {{name: d{i}, type: derived, expr: d{i + 1} + 1}}\n" for i in range(2000))
    + "  - {name: d2000, type: derived, expr: cost + 1}\n"
)


def timed(check: Callable[[], tuple[object, list[Issue]]]) -> list[Issue]:
    """The issues ``check`` finds; it must take under a second of CPU, garbage collection aside (the
    collector's pauses grow with the whole test process's heap, not with the model)."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        _, issues = check()
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    assert elapsed < 1.0, f"took {elapsed:.2f} s of CPU"
    return issues


def assert_one(issues: list[Issue], code: str, line: int, col: int, words: str) -> None:
    assert [(i.code, i.line, i.col) for i in issues] == [(code, line, col)], [str(i) for i in issues]
    assert words in issues[0].message, issues[0].message


CASES: list[tuple[str, str, str, int, int, str]] = [
    # 1. aliases: a 324-byte "billion laughs" grew crq validate past 3 GB; a recursive one recursed
    ("billion-laughs", LAUGHS, "E007", 2, 8, "YAML alias *a is not allowed"),
    ("recursive-alias", "name: x\ntables: &a [*a]\n", "E007", 2, 13, "YAML alias *a is not allowed"),
    ("merge-key", "name: x\n<<: {tables: []}\n", "E007", 2, 1, "merge keys (<<) are not allowed"),
    ("set-tag-on-a-key", "name: x\n? !!set tables\n: []\n", "E007", 2, 3, "YAML tag !!set is not allowed"),
    # 2. nesting: 60 KB of [ segfaulted libyaml's composer; a few thousand levels overflowed Python
    ("deep-flow", DEEP_FLOW, "E008", 1, 65, "nests deeper than 64 levels"),
    ("deep-block", "".join(" " * i + "a:\n" for i in range(2000)), "E008", 65, 65, "deeper than 64"),
    ("deep-compact-sequence", "- " * 2000 + "x\n", "E008", 1, 129, "deeper than 64"),
    # 4. expressions and values that gave "internal error"
    (
        "unterminated-string",
        mutate(126, EXPR, 'expr: "tags = \'ab"'),
        "E120",
        126,
        9,
        "does not parse as SQL: Missing ' from 1:7",
    ),
    (
        "unterminated-identifier",
        mutate(126, EXPR, "expr: 'tags = \"ab'"),
        "E120",
        126,
        9,
        'does not parse as SQL: Missing " from 1:7',
    ),
    ("unterminated-comment", mutate(126, EXPR, "expr: 'tags /* ab'"), "E120", 126, 9, "comment not closed"),
    (
        "5000-nested-parentheses",
        mutate(126, EXPR, "expr: '" + "(" * 5000 + "tags" + ")" * 5000 + "'"),
        "E120",
        126,
        9,
        "is 10004 characters long; at most 1000",
    ),
    (
        "100-nested-parentheses",
        mutate(126, EXPR, "expr: '" + "(" * 100 + "tags" + ")" * 100 + "'"),
        "E120",
        126,
        9,
        "nests deeper than 32 levels",
    ),
    (
        "200-nested-nots",  # the parser recurses without parentheses too
        mutate(126, EXPR, "expr: '" + "NOT " * 200 + "is_public'"),
        "E120",
        126,
        9,
        "nests deeper than 32 levels",
    ),
    (
        "5000-digit-integer-in-expr",
        mutate(126, EXPR, "expr: '" + "1" * 5000 + " = 1'"),
        "E120",
        126,
        9,
        "is 5004 characters long; at most 1000",
    ),
    (
        "5000-digit-integer-in-yaml",
        mutate(3, "version: 1", "version: " + "1" * 5000),
        "E004",
        3,
        10,
        "version: an integer of 5000 characters; at most 100",
    ),
    (
        "date-that-does-not-exist",
        mutate(3, "version: 1", "version: 2026-13-45"),
        "E004",
        3,
        10,
        "'2026-13-45' is not a valid timestamp (month must be in 1..12)",
    ),
    (
        "2000-deep-chain-of-derived-metrics",
        CHAIN,
        "E152",
        202,
        31,
        "'d0' is built on metrics 2002 levels deep (d0 -> d1 -> d2 -> d3 -> ... -> d2000 -> cost); at most 20",
    ),
    (
        "deeply-nested-expansion",
        metrics(
            "".join(
                f"  - {{name: p{i}, type: derived, expr: '{'(' * 9}p{i + 1}{')' * 9} + 1'}}\n"
                for i in range(10)
            )
            + "  - {name: p10, type: derived, expr: cost + 1}\n"
        ),
        "E152",
        202,
        31,
        "'p0' expands into SQL nested 113 levels deep (p0 -> p1 -> p2 -> p3 -> ... -> p10 -> cost); at most 100",
    ),
    (
        "exponential-expansion",
        metrics(
            "".join(
                f"  - {{name: r{i}, type: ratio, numerator: r{i + 1}, denominator: r{i + 1}}}\n"
                for i in range(12)
            )
            + "  - {name: r12, type: derived, expr: cost + 1}\n"
        ),
        "E153",
        202,
        5,
        "'r0' expands into more than 1000 aggregates",
    ),
    # 4. placeholders: these validated, then psycopg read the '%' of every query as a placeholder
    (
        "json-key-with-placeholder",
        mutate(38, "column: owner_email", "json: [owner_email, 'a%(x)s']"),
        "E123",
        38,
        29,
        "json key 'a%(x)s' must not hold '%'",
    ),
    (
        "column-with-placeholder",
        mutate(38, "column: owner_email", "column: 'owner%s'"),
        "E122",
        38,
        9,
        "'owner%s' is not a plain SQL name",
    ),
    (
        "quoted-name-with-placeholder-in-expr",
        mutate(126, EXPR, "expr: '\"a%(x)s\" = 1'"),
        "E120",
        126,
        9,
        "name 'a%(x)s' is not allowed",
    ),
    (
        "literal-with-placeholder-in-derived-metric",
        mutate(
            255, "expr: cost / NULLIF(cost_days, 0)", "expr: \"cost / NULLIF(cost_days, length('%(x)s'))\""
        ),
        "E120",
        255,
        5,
        "a '%' in a string literal would be read as a query placeholder",
    ),
    (
        "sql-smuggled-through-extract",  # sqlglot wrote EXTRACT's quoted unit back as raw SQL text
        mutate(
            126, EXPR, "expr: 'extract(\"DAY FROM now()) + (SELECT 1) + extract(DAY\" from created_at) = 1'"
        ),
        "E120",
        126,
        9,
        "name 'DAY FROM NOW()) + (SELECT 1) + EXTRACT(DAY' is not allowed",
    ),
    # 5. schemas the query role must not be granted
    *[
        (
            f"schema-{s}",
            mutate(6, "schema: inventory", f"schema: {s}"),
            "E124",
            6,
            1,
            f"schema '{s}' cannot be queried",
        )
        for s in ("pg_catalog", "information_schema", "crq", "crq_mv", "crq_app", "PG_TOAST")
    ],
    (
        "table-schema-crq_mv",
        mutate(9, "  - name: accounts\n", "  - name: accounts\n    schema: crq_mv\n"),
        "E124",
        10,
        5,
        "tables[accounts].schema: schema 'crq_mv' cannot be queried",
    ),
    (
        "line-break-in-a-key",  # printed raw, it would add a fake issue line to crq validate's output
        '"\\nm.yaml:1:1: error E999": 1\nname: x\ntables: []\n',
        "E002",
        1,
        1,
        "\\nm.yaml:1:1: error E999: unknown field '\\nm.yaml:1:1: error E999'",
    ),
    # 3. text a file can never hold, handed over as a string
    (
        "more-than-250000-values",
        "name: x\ntables: [" + "a," * 250_000 + "a]\n",
        "E005",
        2,
        500_000,
        "the model has more than 250,000 YAML values",
    ),
    ("lone-surrogate", "name: x\ntables: []\ndescription: caf\ud800\n", "E006", 3, 17, "not UTF-8 text"),
    ("too-long", "#" * (MAX_MODEL_BYTES + 1), "E005", 1, 1, "larger than 4 MB"),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "col", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_hostile_model_gives_one_located_issue_quickly(
    text: str, code: str, line: int, col: int, words: str
) -> None:
    assert_one(timed(lambda: check_model_text(text, FILE)), code, line, col, words)


def test_reading_dev_zero_stops_at_the_size_cap() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    issues = timed(lambda: check_model("/dev/zero"))
    assert [str(i) for i in issues] == ["/dev/zero:1:1: error E005: the model is larger than 4 MB"]


def test_a_file_larger_than_the_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * MAX_MODEL_BYTES)
    assert [str(i) for i in timed(lambda: check_model(path))] == [
        f"{path}:1:1: error E005: the model is larger than 4 MB"
    ]


def test_a_file_that_is_not_utf8_is_located_at_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: x\n# é\ndescription: café\n".encode() + "dé\n".encode("latin-1"))
    assert [str(i) for i in timed(lambda: check_model(path))] == [
        f"{path}:4:2: error E006: the model is not UTF-8 text (byte 0xe9); save it as UTF-8"
    ]


def test_a_control_character_is_located_after_multibyte_text() -> None:
    issues = timed(lambda: check_model_text("name: x\ndescription: é€😀 \x01\n", FILE))
    assert_one(issues, "E001", 2, 18, "unacceptable character #x0001")


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (LAUGHS, "2:8: error E007", "YAML alias *a is not allowed"),
        (DEEP_FLOW, "1:65: error E008", "nests deeper than 64 levels"),
        (CHAIN, "202:31: error E152", "built on metrics 2002 levels deep"),
    ],
    ids=["billion-laughs", "deep-nesting", "2000-deep-chain"],
)
def test_crq_validate_reports_the_attack_and_exits_2(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    p = subprocess.run([CRQ, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines()[0].startswith(f"{path}:{where}: "), p.stderr
    assert words in p.stderr


def test_crq_validate_dev_zero_exits_2() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    p = subprocess.run([CRQ, "validate", "/dev/zero"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines()[0] == "/dev/zero:1:1: error E005: the model is larger than 4 MB"
