"""Issue 17, the analyst's workflow, replayed point by point on a model with an extra table.

tests/fixtures/analyst/ holds the analyst's model (accounts and resources of the sample, plus a daily
CPU table that lists its columns) and the SQL that creates and fills that table from the sample. Each
test replays one friction point of the issue through the `crq` command, as an analyst meets it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from models.intent import Intent
from runtime import embedded

ROOT = Path(__file__).resolve().parent.parent
CRQ = str(Path(sys.executable).parent / "crq")
FIX = Path(__file__).parent / "fixtures" / "analyst"
MODEL = FIX / "model.yaml"
AS_OF = "2026-06-17"
LAST_WEEK = (dt.date(2026, 6, 8), dt.date(2026, 6, 14))


def crq(*args: str | Path, env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CRQ, *map(str, args)], capture_output=True, text=True, timeout=120, env=env, **kw)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRQ_", "OPENAI_"))}
    return env | {"CRQ_HOME": str(home)}


@pytest.fixture
def cpu_url(sample_url: str) -> str:
    """The sample plus the analyst's table analyst.instance_cpu_daily (recreated: a few thousand rows)."""
    with psycopg.connect(sample_url, autocommit=True) as conn:
        conn.execute((FIX / "instance_cpu.sql").read_text())
    return sample_url


def _one(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _wait(condition: Any, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


# --- item 8: the database ------------------------------------------------------------------------------


def test_a_killed_crq_no_longer_leaves_every_later_command_running_postgres(tmp_path: Path) -> None:
    """A crq killed without its exit handlers stayed in the server's list of users, so the server
    outlived it and every later command (here `crq test`) left postgres running. The next command now
    drops dead users and stops the server when it exits."""
    home = tmp_path / "home"
    env = _env(home)
    killed = subprocess.run(
        [sys.executable, "-c", "import os; from runtime.database import embedded_url; embedded_url(); "
         "os.kill(os.getpid(), 9)"],
        env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    assert embedded.state(home).running  # the server outlived the killed process...
    dead = json.loads((home / "pgdata" / embedded.HANDLES).read_text())
    assert len(dead) == 1 and not embedded._alive(dead[0])  # ...which is still listed as a user
    test = crq("test", MODEL, "--as-of", AS_OF, env=env)
    assert test.returncode == 1  # an empty database: the verified queries fail, and crq still cleans up
    assert not embedded.state(home).running
    assert json.loads((home / "pgdata" / embedded.HANDLES).read_text()) == []


def test_sigterm_stops_the_embedded_server_the_command_started(tmp_path: Path) -> None:
    """`timeout` and CI runners send SIGTERM; Python's default skipped the exit handlers."""
    home = tmp_path / "home"
    shell = subprocess.Popen([CRQ, "db", "shell"], env=_env(home), stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait(lambda: shell.pid in embedded.state(home).users)  # started, and the server knows its user
        shell.send_signal(signal.SIGTERM)
        assert shell.wait(60) == 143
    finally:
        shell.kill()
    _wait(lambda: not embedded.state(home).running)


def test_db_start_keeps_the_server_for_psql_and_later_commands_until_db_stop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = _env(home)
    data = home / "pgdata"
    start = crq("db", "start", env=env)
    assert start.returncode == 0, start.stderr
    url = start.stdout.strip()
    pid = embedded.state(home).pid
    assert start.stderr == (
        f"the embedded PostgreSQL in {data} is kept running by `crq db start` (pid {pid}); "
        "`crq db stop` stops it\n"
    )
    assert url.startswith("postgresql://postgres:@/postgres?host=")
    # it outlived `crq db start`; `crq db url` prints the URL in use, without a warning
    assert (crq("db", "url", env=env).stdout, crq("db", "url", env=env).stderr) == (url + "\n", "")
    psql = subprocess.run(
        [str(embedded.psql_path()), url, "-Atc", "SELECT 40 + 2"], capture_output=True, text=True
    )
    assert (psql.returncode, psql.stdout) == (0, "42\n")  # the shipped psql, from outside crq
    shell = crq("db", "shell", "-c", "SELECT 40 + 2 AS answer", env=env)
    assert (shell.returncode, shell.stdout) == (0, " answer \n--------\n     42\n(1 row)\n\n")
    failing = crq("db", "shell", "-c", "SELECT nonsense", env=env)
    assert failing.returncode == 1 and 'column "nonsense" does not exist' in failing.stderr
    assert crq("db", "status", env=env).stderr == f"the embedded PostgreSQL in {data} is kept running by " \
        f"`crq db start` (pid {pid})\n"  # fmt: skip
    assert embedded.state(home).pid == pid  # no command in between stopped or restarted it
    # stop while a crq command uses it: released, and that command stops it when it exits
    user = subprocess.Popen([CRQ, "db", "shell"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait(lambda: user.pid in embedded.state(home).users)
        released = crq("db", "stop", env=env)
        assert released.stderr == (
            f"released; crq process(es) {user.pid} still use the embedded PostgreSQL, which stops when they exit\n"
        )
        assert embedded.state(home).running and not embedded.state(home).held
        assert user.communicate(b"", timeout=60) == (None, None) and user.returncode == 0
    finally:
        user.kill()
    assert not embedded.state(home).running
    assert crq("db", "stop", env=env).stderr == f"the embedded PostgreSQL in {data} is not running\n"
    alone = crq("db", "url", env=env)  # starts it for its own lifetime only, and says so
    assert alone.stdout == url + "\n" and "stops when this command exits; `crq db start`" in alone.stderr
    assert not embedded.state(home).running


# --- item 9: flags and validation ----------------------------------------------------------------------


def test_segment_and_time_dimension_flags_give_the_intent_files_query(cpu_url: str, tmp_path: Path) -> None:
    flags = ["-m", "avg_cpu", "-s", "production", "--segment", "busy_days", "--last", "week",
             "--time-dimension", "usage_date"]  # fmt: skip
    intent = tmp_path / "intent.json"
    intent.write_text(json.dumps({
        "metrics": ["avg_cpu"], "segments": ["production", "busy_days"],
        "time_range": {"kind": "previous", "unit": "week", "dimension": "usage_date"},
    }))  # fmt: skip
    common = ["--model", MODEL, "--as-of", AS_OF, "--json"]
    by_flags = crq("compile", *flags, *common)
    assert by_flags.returncode == 0, by_flags.stderr
    assert json.loads(by_flags.stdout) == json.loads(crq("compile", "--intent", intent, *common).stdout)
    explained = json.loads(crq("explain", *flags, *common, "--database-url", cpu_url).stdout)
    assert explained == {"sql": json.loads(by_flags.stdout)["sql"], "materialization": None, "views": {}}
    answer = json.loads(crq("query", *flags, *common, "--database-url", cpu_url).stdout)
    expected = _one(
        cpu_url,
        "SELECT AVG(c.cpu_avg) FROM analyst.instance_cpu_daily c "
        "JOIN inventory.resources r ON r.resource_id = c.resource_id "
        "JOIN inventory.accounts a ON a.account_id = r.account_id "
        "WHERE a.environment = 'prod' AND c.cpu_avg > 50 AND c.usage_date BETWEEN %s AND %s",
        LAST_WEEK,
    )
    assert expected[0][0] is not None
    assert (answer["columns"], [[round(float(v), 6) for v in r] for r in answer["rows"]]) == (
        ["avg_cpu"], [[round(float(expected[0][0]), 6)]],
    )  # fmt: skip
    assert Intent.model_validate(answer["intent"]) == Intent.model_validate_json(intent.read_text())


@pytest.mark.parametrize(
    ("flags", "intent"),
    [
        (["-b", "service", "--share"], {"dimensions": [{"name": "service"}], "share": {}}),
        (["--last", "month", "--compare"], {"time_range": {"kind": "previous", "unit": "month"}, "compare": {}}),
        (["-b", "usage_date__day", "--last", "week", "--cumulative", "--timezone", "Europe/Paris"],
         {"dimensions": [{"name": "usage_date", "grain": "day"}], "cumulative": {},
          "time_range": {"kind": "previous", "unit": "week"}, "timezone": "Europe/Paris"}),
    ],
)  # fmt: skip
def test_the_other_intent_flags_give_the_intent_files_sql(
    flags: list[str], intent: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "intent.json"
    path.write_text(json.dumps({"metrics": ["cost"], **intent}))
    by_flags = crq("compile", "-m", "cost", *flags, "--as-of", AS_OF, "--json")
    assert by_flags.returncode == 0, by_flags.stderr
    assert json.loads(by_flags.stdout) == json.loads(
        crq("compile", "--intent", path, "--as-of", AS_OF, "--json").stdout
    )


def test_time_dimension_needs_a_time_range() -> None:
    p = crq("compile", "-m", "cost", "--time-dimension", "usage_date")
    assert (p.returncode, p.stderr) == (
        2, "crq: --time-dimension names the date a time range applies to: add --last or --time\n"
    )  # fmt: skip


def _broken(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = MODEL.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "model.yaml"
    path.write_text(text)
    return path


def _at(path: Path, needle: str, offset: int = 0) -> str:
    """``file:line:col`` of the first ``needle`` in the file (col of the needle + offset)."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return f"{path}:{n}:{line.index(needle) + 1 + offset}"
    raise AssertionError(needle)


def test_a_number_compared_with_an_untyped_dimension_says_declare_type_number(tmp_path: Path) -> None:
    path = _broken(
        tmp_path, ("{name: daily_cpu, column: cpu_avg, type: number,", "{name: daily_cpu, column: cpu_avg,")
    )
    p = crq("validate", path)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == (
        f"{_at(path, 'value: 50')}: error E134: segments[busy_days].filters[0]: value 50 does not fit string "
        "dimension 'daily_cpu'; "
        "if its column holds numbers, declare `type: number` on the dimension\n1 error(s)\n"
    )


def test_plain_validate_finds_a_missing_relationship_key_among_declared_columns(tmp_path: Path) -> None:
    """Every problem in one run: the misspelt key (E192, from the table's columns:) beside another."""
    path = _broken(
        tmp_path,
        ("keys: [{from: resource_id, to: resource_id}]}", "keys: [{from: instance_id, to: resource_id}]}"),
        ("measure: instance_cpu.avg_cpu\n", "measure: instance_cpu.avg_cpuu\n"),
    )
    p = crq("validate", path)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == (
        f"{_at(path, 'from: instance_id')}: error E192: relationships[cpu_resource].keys[0].from: column "
        "'instance_id' is not among the declared columns of 'analyst.instance_cpu_daily'; valid columns: "
        "usage_date, resource_id, cpu_avg, running_hours\n"
        f"{_at(path, 'measure: instance_cpu.avg_cpuu')}: error E130: metrics[avg_cpu].measure: table "
        "'instance_cpu' has no measure 'avg_cpuu'; write table.measure, did you mean 'instance_cpu.avg_cpu'?\n"
        "2 error(s)\n"
    )


def test_validate_with_a_database_reports_its_columns_beside_the_models_errors(
    cpu_url: str, tmp_path: Path
) -> None:
    """Before, the database was asked only once the model had no other error."""
    path = _broken(
        tmp_path,
        ("{name: region, column: region,", "{name: region, column: regoin,"),
        ("measure: instance_cpu.avg_cpu\n", "measure: instance_cpu.avg_cpuu\n"),
    )
    p = crq("validate", path, "--database-url", cpu_url)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == (
        f"{_at(path, 'column: regoin')}: error E191: tables[resources].dimensions[region]: column 'regoin' "
        "does not exist in table 'inventory.resources'; did you mean 'region'?\n"
        f"{_at(path, 'measure: instance_cpu.avg_cpuu')}: error E130: metrics[avg_cpu].measure: table "
        "'instance_cpu' has no measure 'avg_cpuu'; write table.measure, did you mean 'instance_cpu.avg_cpu'?\n"
        "2 error(s)\n"
    )
    # without a database the misspelt column cannot be seen, and validate says which tables it did not check
    plain = crq("validate", MODEL)
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, (
        f"{MODEL}: ok\nnote: columns of accounts, resources not checked: they list no `columns:`; "
        "`crq validate --database-url URL` checks them against the database\n"), "")  # fmt: skip
    assert crq("validate", MODEL, "--database-url", cpu_url).stdout == f"{MODEL}: ok\n"


# --- item 10: crq test and crq ask agree ---------------------------------------------------------------


def test_crq_test_reports_each_check_and_ask_answers_a_verified_question_as_verified(cpu_url: str) -> None:
    p = crq("test", MODEL, "--database-url", cpu_url, "--as-of", AS_OF)
    lines = p.stdout.splitlines()
    assert p.returncode == 1
    assert lines[0] == (
        "ok   Average CPU of prod instances last week | runs: ok; crq ask: as verified; mapper alone: as verified"
    )
    # the model has no words for "instance hours": ask answers it word for word, the mapper alone cannot
    assert lines[1].startswith(
        "FAIL Instance hours by instance type this month | runs: ok; crq ask: as verified; mapper alone: "
    )
    assert lines[-1] == "1 of 2 verified queries hold"
    asked = json.loads(crq("ask", "--json", "--model", MODEL, "--database-url", cpu_url, "--as-of", AS_OF,
                           "Instance hours by instance type this month").stdout)  # fmt: skip
    verified = yaml.safe_load(MODEL.read_text())["verified_queries"][1]["intent"]
    assert (asked["status"], Intent.model_validate(asked["intent"])) == (
        "answered",
        Intent.model_validate(verified),
    )
    expected = _one(
        cpu_url,
        "SELECT r.instance_type, SUM(c.running_hours) FROM analyst.instance_cpu_daily c "
        "JOIN inventory.resources r ON r.resource_id = c.resource_id "
        "WHERE c.usage_date BETWEEN '2026-06-01' AND '2026-06-17' GROUP BY 1",
    )
    assert sorted((r[0], float(r[1])) for r in asked["rows"]) == sorted((k, float(v)) for k, v in expected)


def test_a_fail_line_shows_expected_against_got(cpu_url: str, tmp_path: Path) -> None:
    path = _broken(tmp_path, ('"time_range": {"kind": "previous", "unit": "week"}}',
                              '"time_range": {"kind": "previous", "unit": "month"}}'))  # fmt: skip
    p = crq("test", path, "--database-url", cpu_url, "--as-of", AS_OF)
    assert p.stdout.splitlines()[:2] == [
        "FAIL Average CPU of prod instances last week | runs: ok; crq ask: as verified; mapper alone: reads it "
        "as another intent (rewordings may fail)",
        '       mapper alone: time_range: expected {"kind": "previous", "unit": "month"}, '
        'got {"kind": "previous", "unit": "week"}',
    ]


def test_crq_test_reports_when_ask_itself_reads_a_verified_question_otherwise(
    cpu_url: str, tmp_path: Path
) -> None:
    """Two entries with one question: ask can answer only one of them word for word."""
    twice = (
        '  - question: "Average CPU of prod instances last week"\n'
        '    intent: {"metrics": ["running_hours"], "time_range": {"kind": "previous", "unit": "week"}}\n'
    )
    path = _broken(tmp_path, ("verified_queries:\n", "verified_queries:\n" + twice))
    lines = crq("test", path, "--database-url", cpu_url, "--as-of", AS_OF).stdout.splitlines()
    assert lines[:3] == [
        "FAIL Average CPU of prod instances last week | runs: ok; crq ask: reads it as another intent; "
        "mapper alone: reads it as another intent (rewordings may fail)",
        '       crq ask: metrics: expected ["running_hours"], got ["avg_cpu"]',
        '       crq ask: filters: expected (none), got [{"field": "environment", "value": "prod"}, '
        '{"field": "resource_type", "value": "ec2:instance"}]',
    ]


# --- item 11: docs that match the output ---------------------------------------------------------------


def test_an_incomplete_reading_shows_in_json_as_the_mapper_docs_say(sample_url: str) -> None:
    p = crq("ask", "--json", "--database-url", sample_url, "--as-of", AS_OF, "cost by servce last month")
    answer = json.loads(p.stdout)
    assert "complete" not in answer
    assert (answer["status"], answer["message"], answer["suggestions"]) == (
        "answered",
        "I read 'servce' as 'service'",
        [],
    )
    incomplete = json.loads(
        crq(
            "ask", "--json", "--database-url", sample_url, "--as-of", AS_OF, "how many buckets are stale"
        ).stdout
    )
    assert (incomplete["status"], incomplete["message"]) == (
        "clarify",
        "I did not understand 'stale', so I am not sure what you mean (I would answer: resource_count, "
        "where resource_type = s3:bucket)",
    )
    doc = " ".join((ROOT / "docs" / "mappers.md").read_text().split())
    assert "it is not a field of the answer" in doc and '`"status": "clarify"`' in doc
    assert "(\"I read 'servce' as 'service'\")" in doc


def test_the_materializations_example_in_the_reference_is_a_view_of_the_shipped_model() -> None:
    doc = (ROOT / "docs" / "semantic-model.md").read_text()
    section = doc.split("## Materializations", 1)[1].split("\n## ", 1)[0]
    assert "**When a view is worth adding.**" in section
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])["materializations"][0]
    shipped = yaml.safe_load((ROOT / "semantic" / "models" / "cloud_inventory.yaml").read_text())
    view = next(v for v in shipped["materializations"] if v["name"] == example["name"])
    assert example == {k: view[k] for k in example}


# --- format versions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("version: 2", "version: the model is written for format version 2, and this crq reads version 1; "
                       "upgrade crq, or write the model for version 1"),
        ('version: "1"', "version: '1' is not a format version; write version: 1 (or leave it out)"),
    ],
)  # fmt: skip
def test_a_version_crq_does_not_read_is_explained(tmp_path: Path, line: str, message: str) -> None:
    path = _broken(tmp_path, ("version: 1\n", line + "\n"))
    p = crq("validate", path)
    assert (p.returncode, p.stderr) == (2, f"{_at(path, 'version')}: error E004: {message}\n1 error(s)\n")


def test_a_model_without_version_reads_as_version_1(tmp_path: Path) -> None:
    from semantic import load_model

    path = _broken(tmp_path, ("version: 1\n", ""))
    assert load_model(path).version == load_model(MODEL).version == 1
    assert load_model(path).model_dump() == load_model(MODEL).model_dump()
