"""Data never controls the terminal (issue 8, item B).

Tag values are written by anyone who can tag a cloud resource, and they reach result rows, answer
text, notes, suggestions and the question echo. Printed by crq they must show as themselves: rich
markup ('[/dim]', '[link=...]') stays literal text, and control characters (ESC sequences that clear
the screen or open OSC 8 hyperlinks, C1 controls, DEL, bidi overrides, newlines inside a value) are
written out as visible escapes. Every case goes through the real print path.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from psycopg.types.json import Jsonb
from rich.console import Console

from models.responses import Answer
from runtime import cli

CRQ = str(Path(sys.executable).parent / "crq")
SHIPPED = Path(__file__).parent.parent.parent / "semantic" / "models" / "cloud_inventory.yaml"

# one payload of each kind, and exactly how crq must print it
MARKUP = "[/dim][link=http://evil.example]click[/link]"
ESCAPES = "\x1b[2J\x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\"
OTHERS = "\u202eevil\u2066\x9b31m\x7f\tend\nnext"
PAYLOAD = MARKUP + ESCAPES + OTHERS
SHOWN = MARKUP + r"\x1b[2J\x1b]8;;http://evil\x1b\here\x1b]8;;\x1b\\u202eevil\u2066\x9b31m\x7f\x09end\x0anext"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def crq(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_")}
    return subprocess.run([CRQ, *args], capture_output=True, text=True, timeout=120, env={**clean, **env})


def lines(*printed: str) -> str:
    return "".join(f"{line}\n" for line in printed)


def test_visible_escapes_every_control_character_and_nothing_else() -> None:
    assert cli.visible(PAYLOAD) == SHOWN
    assert cli.visible("a\nb", lines=True) == "a\nb"
    assert cli.visible("naïve café €5 — ok") == "naïve café €5 — ok"
    every = "".join(
        map(chr, [*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    )
    assert not RAW.search(cli.visible(every))
    assert cli.visible(every).count("\\") == len(every)


ANSWER = Answer(
    question=f"Q {PAYLOAD}",
    status="answered",
    sql="SELECT\n  1",
    params={"tag_owner": PAYLOAD},
    columns=[f"tag_{PAYLOAD}", "resource_count"],
    rows=[[PAYLOAD, 1], [None, 2.5]],
    answer=f"A {PAYLOAD}",
    message=f"M {PAYLOAD}",
    materialization=f"view_{PAYLOAD}",
    explain={f"v_{PAYLOAD}": f"why {PAYLOAD}"},
)


EXPECTED_ANSWER = lines(
    f"Q: Q {SHOWN}",
    f"A {SHOWN}",
    f"note: M {SHOWN}",
    "┏" + "━" * 140 + "┳━━━━━━━━━━━━━━━━┓",
    f"┃ tag_{SHOWN} ┃ resource_count ┃",
    "┡" + "━" * 140 + "╇━━━━━━━━━━━━━━━━┩",
    f"│ {SHOWN}     │ 1              │",
    "│ " + " " * 138 + " │ 2.50           │",
    "└" + "─" * 140 + "┴────────────────┘",
    f"answered from materialized view view_{SHOWN}",
    f"view v_{SHOWN}: why {SHOWN}",
    "SQL:",
    "SELECT",
    "  1",
    "params: " + json.dumps({"tag_owner": PAYLOAD}),  # JSON's own escapes: ASCII only
    "",
)


def test_an_answer_prints_its_data_literally(capsys: pytest.CaptureFixture[str]) -> None:
    cli._print_answer(ANSWER, explain=True)
    printed = capsys.readouterr().out
    assert not RAW.search(printed.replace("\n", ""))
    assert printed == EXPECTED_ANSWER


def test_a_clarification_prints_its_data_literally(capsys: pytest.CaptureFixture[str]) -> None:
    cli._print_answer(
        Answer(question=PAYLOAD, status="clarify", message=f"clarify: {PAYLOAD}", suggestions=[PAYLOAD])
    )
    assert capsys.readouterr().out == f"Q: {SHOWN}\nclarify: {SHOWN}\n  - {SHOWN}\n\n"


def test_on_a_real_terminal_only_crqs_own_styles_are_escape_sequences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(
        cli,
        "out",
        Console(file=terminal, force_terminal=True, color_system="truecolor", width=160, soft_wrap=True),
    )
    cli._print_answer(ANSWER, explain=True)
    printed = terminal.getvalue()
    assert "\x1b[2m" in printed  # crq's dim labels are still dim
    assert all(m.group() == "\x1b" for m in RAW.finditer(printed.replace("\n", "")))
    assert re.findall(r"\x1b(?!\[[0-9;]*m)", printed) == []  # every ESC starts a colour (SGR), nothing else
    assert "\x1b]8" not in printed and "\x1b[2J" not in printed
    assert re.sub(r"\x1b\[[0-9;]*m", "", printed) == EXPECTED_ANSWER


def test_the_view_status_table(capsys: pytest.CaptureFixture[str]) -> None:
    status = SimpleNamespace(
        name=f"v{MARKUP}\x1b[2J\u202e",
        usable=True,
        built=True,
        current=True,
        rows=3,
        bytes=None,
        refreshed_at=None,
        refresh_seconds=None,
        staleness_hours=None,
        max_staleness_hours=1,
    )
    cli._print_status([status])
    assert capsys.readouterr().out == lines(
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓",
        "┃ view                                                       ┃ state  ┃ rows ┃ size ┃ last refresh ┃ refresh s ┃ stale h (max) ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩",
        r"│ v[/dim][link=http://evil.example]click[/link]\x1b[2J\u202e │ usable │ 3    │      │              │           │               │",
        "└────────────────────────────────────────────────────────────┴────────┴──────┴──────┴──────────────┴───────────┴───────────────┘",
    )


def test_an_error_line_is_one_line_with_its_data_literal(tmp_path: Path) -> None:
    model = tmp_path / "tagged.yaml"
    model.write_text(MODEL)
    p = crq("compile", "--model", str(model), "-m", f"count{PAYLOAD}")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == f"crq: metrics: unknown metric 'count{SHOWN}' (valid: resource_count)\n"


def test_validate_issue_lines(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    broken = 'measure: "resources.resource_count\\e[2J[/dim]\\u202e"'  # YAML's own escapes: ESC, U+202E
    model.write_text(SHIPPED.read_text().replace("measure: resources.resource_count", broken, 1))
    p = crq("validate", str(model))
    assert (p.returncode, p.stdout) == (2, "")
    issue, total = p.stderr.splitlines()
    assert re.fullmatch(
        re.escape(str(model))
        + r":\d+:\d+: "
        + re.escape(
            r"error E130: metrics[resource_count].measure: table 'resources' has no measure "
            r"'resource_count\x1b[2J[/dim]\u202e'; write table.measure, did you mean "
            "'resources.resource_count'?"
        ),
        issue,
    )
    assert total == "1 error(s)"


def test_usage_text(tmp_path: Path) -> None:
    line = {
        "ts": "2026-06-17T09:30:00.000+00:00",
        "model": f"{MARKUP}{ESCAPES}\u202e\x9b\x7f\t",
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "cached_tokens": 0,
        "cost_usd": None,
        "latency_ms": 1.0,
        "outcome": "ok",
        "error": None,
        "purpose": "map",
        "attempt": 1,
    }
    (tmp_path / "usage.jsonl").write_text(json.dumps(line) + "\n")
    p = crq("usage", CRQ_HOME=str(tmp_path))
    assert (p.returncode, p.stderr) == (0, "")
    model = MARKUP + r"\x1b[2J\x1b]8;;http://evil\x1b\here\x1b]8;;\x1b\\u202e\x9b\x7f\x09"
    assert p.stdout == lines(
        "day         model                     calls failed    prompt    cached   output    cost USD",
        f"2026-06-17  {model}      1      0         1         0        1    0.0000+?",
        f"all days    {model}      1      0         1         0        1    0.0000+?",
        "total                                     1      0         1         0        1    0.0000+?",
    )


# --- end to end: the payload is a tag value in a real database -----------------------------------------

SCHEMA = "crq_output_test"
# a letter first, so that any collation sorts them alike
OWNERS = {
    "r1": "a[/dim]",
    "r2": "b[link=http://evil.example]click[/link]",
    "r3": "c" + ESCAPES,
    "r4": "d" + OTHERS,
}
MODEL = f"""
version: 1
name: tagged
description: Resources and their tags.
schema: {SCHEMA}
tables:
  - name: resources
    description: Resources and their tags.
    synonyms: [resource, resources]
    primary_key: [resource_id]
    dimensions:
      - name: resource_id
        column: resource_id
        description: The resource's id.
      - name: tag
        tags: tags
        description: A resource tag, as tag:<key>.
        synonyms: [tag, tags]
        tag_keys: [owner]
    measures:
      - name: resource_count
        agg: count
        description: Number of resources.
metrics:
  - name: resource_count
    measure: resources.resource_count
    format: integer
    description: Number of resources.
    synonyms: [how many, number of, count]
"""


@pytest.fixture
def tagged(sample_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A schema of its own (the shared sample stays as it is) whose owner tags hold the payloads."""
    with psycopg.connect(sample_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"CREATE TABLE {SCHEMA}.resources (resource_id text PRIMARY KEY, tags jsonb NOT NULL)")
        for rid, owner in OWNERS.items():
            conn.execute(f"INSERT INTO {SCHEMA}.resources VALUES (%s, %s)", (rid, Jsonb({"owner": owner})))
        conn.execute(  # questions run as the reader role where there is one
            f"DO $$ BEGIN IF to_regrole('crq_reader') IS NOT NULL THEN "
            f"GRANT USAGE ON SCHEMA {SCHEMA} TO crq_reader; "
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO crq_reader; END IF; END $$"
        )
    model = tmp_path / "tagged.yaml"
    model.write_text(MODEL)
    yield sample_url, model
    with psycopg.connect(sample_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def test_query_prints_tag_values_from_the_database_literally(tagged: tuple[str, Path]) -> None:
    url, model = tagged
    p = crq("query", "--model", str(model), "--database-url", url, "-m", "resource_count", "-b", "tag:owner")
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == EXPECTED_QUERY


def test_ask_prints_the_question_and_tag_values_literally(tagged: tuple[str, Path]) -> None:
    url, model = tagged
    p = crq(
        "ask",
        "--model",
        str(model),
        "--database-url",
        url,
        "resource count by owner tag \x1b\u202e",  # refused (runtime/service.py), and shown escaped
        "resource count by owner tag",
        "now only owner a[/dim]",
    )
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == EXPECTED_ASK


def test_json_escapes_every_control_character(tagged: tuple[str, Path]) -> None:
    url, model = tagged
    p = crq("ask", "--json", "--model", str(model), "--database-url", url, "resource count by owner tag")
    assert (p.returncode, p.stderr) == (0, "")
    assert not RAW.search(p.stdout.replace("\n", "")) and p.stdout.count("\n") == 1
    answer = json.loads(p.stdout)
    assert sorted(answer["rows"]) == sorted([owner, 1] for owner in OWNERS.values())
    assert r"\u001b[2J" in p.stdout and r"\u202e" in p.stdout and r"\u009b" in p.stdout


COUNTS = (
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓",
    "┃ tag_owner                                         ┃ resource_count ┃",
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩",
    "│ a[/dim]                                           │ 1              │",
    "│ b[link=http://evil.example]click[/link]           │ 1              │",
    r"│ c\x1b[2J\x1b]8;;http://evil\x1b\here\x1b]8;;\x1b\ │ 1              │",
    r"│ d\u202eevil\u2066\x9b31m\x7f\x09end\x0anext       │ 1              │",
    "└───────────────────────────────────────────────────┴────────────────┘",
    "SQL:",
    "SELECT",
    "  resources.tags ->> %(tag_key_owner)s AS tag_owner,",
    "  COUNT(*) AS resource_count",
    f"FROM {SCHEMA}.resources AS resources",
    "GROUP BY",
    "  resources.tags ->> %(tag_key_owner)s",
    "ORDER BY",
    "  tag_owner",
    'params: {"tag_key_owner": "owner"}',
    "",
)
EXPECTED_QUERY = lines(
    "4 rows of resource count by tag_owner (interpreted as resource_count by tag:owner).", *COUNTS
)
EXPECTED_ASK = lines(
    r"Q: resource count by owner tag \x1b\u202e",
    "refused: the question holds a control character (U+001B), which can make text read differently from how "
    "it shows; type the question again",
    "",
    "Q: resource count by owner tag",
    "4 rows of resource count by tag_owner (interpreted as resource_count by tag:owner).",
    *COUNTS,
    "Q: now only owner a[/dim]",
    "1 row of resource count by tag_owner (interpreted as resource_count by tag:owner, where tag:owner = a[/dim]).",
    "┏━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓",
    "┃ tag_owner ┃ resource_count ┃",
    "┡━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩",
    "│ a[/dim]   │ 1              │",
    "└───────────┴────────────────┘",
    "SQL:",
    "SELECT",
    "  resources.tags ->> %(tag_key_owner)s AS tag_owner,",
    "  COUNT(*) AS resource_count",
    f"FROM {SCHEMA}.resources AS resources",
    "WHERE",
    "  resources.tags ->> %(tag_key_owner)s = %(tag_owner)s",
    "GROUP BY",
    "  resources.tags ->> %(tag_key_owner)s",
    "ORDER BY",
    "  tag_owner",
    'params: {"tag_key_owner": "owner", "tag_owner": "a[/dim]"}',
    "",
)
