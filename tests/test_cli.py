"""The `crq` command as users run it: a real process, real exit codes, one clear line per error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CRQ = str(Path(sys.executable).parent / "crq")
SHIPPED = Path(__file__).parent.parent / "semantic" / "models" / "cloud_inventory.yaml"


def crq(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([CRQ, *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode:
        raise AssertionError(proc.stderr)
    return proc


def test_compile_from_flags_prints_sql_and_params() -> None:
    p = crq(
        "compile",
        "--metric",
        "cost",
        "--by",
        "region",
        "--where",
        "environment = prod",
        "--last",
        "30 days",
        "--as-of",
        "2026-06-17",
        check=True,
    )
    assert "SUM(resource_costs.cost_usd) AS cost" in p.stdout
    assert "accounts.environment = %(environment)s" in p.stdout
    assert '"usage_date_start": "2026-05-19"' in p.stdout and '"environment": "prod"' in p.stdout


def test_compile_from_an_intent_file_equals_the_flags(tmp_path: Path) -> None:
    intent = {
        "metrics": ["cost"],
        "dimensions": ["region"],
        "time_range": "last 30 days",
        "filters": [{"field": "environment", "value": "prod"}],
    }
    f = tmp_path / "intent.json"
    f.write_text(json.dumps(intent))
    from_file = crq("compile", "--intent", str(f), "--as-of", "2026-06-17", "--json", check=True)
    from_flags = crq(
        "compile",
        "-m",
        "cost",
        "-b",
        "region",
        "-w",
        "environment=prod",
        "--last",
        "30 days",
        "--as-of",
        "2026-06-17",
        "--json",
        check=True,
    )
    assert json.loads(from_file.stdout) == json.loads(from_flags.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compile", "-m", "cots"], "metrics: unknown metric 'cots'; did you mean 'cost'?"),
        (["compile", "-m", "cost", "-b", "regoin"], "did you mean 'region'?"),
        (
            ["compile", "-m", "cost", "-w", "environment = prdo"],
            "'prdo' is not a value of environment; did you mean",
        ),
        (["compile", "-m", "cost", "-w", "environment ~ prod"], "--where: cannot read"),
        (["compile", "-m", "cost", "--time", "next blue moon"], "cannot read time range"),
        (["compile", "-m", "resource_count", "-b", "usage_date"], "count them more than once"),
        (["compile", "-m", "cost", "--as-of", "yesterday"], "--as-of: 'yesterday' is not a date"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(args: list[str], message: str) -> None:
    p = crq(*args)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1


def test_query_runs_on_the_database_and_reports_truncation(sample_url: str) -> None:
    p = crq(
        "query",
        "-m",
        "resource_count",
        "-b",
        "service",
        "--database-url",
        sample_url,
        "--json",
        "--row-cap",
        "3",
        check=True,
    )
    out = json.loads(p.stdout)
    assert out["status"] == "answered" and out["truncated"] is True and len(out["rows"]) == 3
    assert out["columns"] == ["service", "resource_count"]
    assert all(isinstance(r[1], int) for r in out["rows"])


def test_validate_the_shipped_model_and_against_the_database(sample_url: str) -> None:
    assert crq("validate", check=True).returncode == 0
    assert crq("validate", str(SHIPPED), "--database-url", sample_url, check=True).returncode == 0


def test_validate_reports_every_problem_with_file_line(tmp_path: Path) -> None:
    broken = (
        SHIPPED.read_text().replace("column: region", "column: regoin", 1).replace("agg: sum", "agg: summ", 1)
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    p = crq("validate", str(path))
    assert p.returncode == 2
    assert f"{path}:" in p.stderr and "agg" in p.stderr


def test_validate_against_a_database_finds_missing_columns(tmp_path: Path, sample_url: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(SHIPPED.read_text().replace("column: region", "column: regoin", 1))
    p = crq("validate", str(path), "--database-url", sample_url)
    assert p.returncode == 2
    assert "regoin" in p.stderr and "region" in p.stderr


def test_schema_is_json_schema_of_the_model() -> None:
    schema = json.loads(crq("schema", check=True).stdout)
    assert schema["title"] == "SemanticModel"
    assert {"tables", "metrics", "relationships"} <= set(schema["properties"])


def test_db_url_prints_the_url_in_use(sample_url: str) -> None:
    assert crq("db", "url", "--database-url", sample_url, check=True).stdout.strip() == sample_url


ASK_KEYS = {"question", "status", "intent", "sql", "params", "columns", "rows", "truncated", "answer", "message",
            "materialization", "timings_ms"}


def test_ask_json_is_one_object_per_question_as_one_conversation(sample_url: str) -> None:
    p = crq("ask", "--json", "--database-url", sample_url, "--as-of", "2026-06-17",
            "How many running EC2 instances per region?", "now only in prod", "delete all stopped instances",
            check=True)
    first, follow_up, refused = (json.loads(line) for line in p.stdout.splitlines())
    assert set(first) >= ASK_KEYS and "explain" not in first
    assert first["status"] == "answered" and first["columns"] == ["region", "resource_count"]
    assert all(isinstance(r[1], int) for r in first["rows"]) and len(first["rows"]) == 6
    assert "interpreted as" in first["answer"]
    assert follow_up["status"] == "answered"
    assert {"field": "environment", "op": "=", "value": "prod"} in follow_up["intent"]["filters"]
    assert sum(r[1] for r in follow_up["rows"]) < sum(r[1] for r in first["rows"])
    assert refused["status"] == "refused" and refused["sql"] is None and refused["rows"] == []


def test_ask_explain_names_the_view_and_why_the_others_were_not_used(sample_url: str) -> None:
    from runtime.materialized_views import ViewManager
    from semantic import load_model

    ViewManager(sample_url, load_model()).create()
    p = crq("ask", "--json", "--explain", "--database-url", sample_url, "--as-of", "2026-06-17",
            "cost by service in the last 30 days", check=True)
    out = json.loads(p.stdout)
    assert out["materialization"] == "daily_cost_by_service"
    assert out["explain"]["daily_cost_by_service"] == "used"
    assert out["explain"]["monthly_cost"].startswith("time range 2026-05-19..2026-06-17 is not aligned")
    assert out["explain"]["resource_inventory"] == "holds resources; this query reads resource_costs"
    base = json.loads(crq("query", "-m", "cost", "-b", "service", "--last", "30 days", "--as-of", "2026-06-17",
                          "--database-url", sample_url, "--json", "--no-views", check=True).stdout)
    assert base["materialization"] is None
    assert sorted(base["rows"]) == sorted(out["rows"])


def test_prompt_reports_the_fixed_prompt_size_and_shows_it() -> None:
    size = crq("prompt", check=True).stdout
    assert "tokens fixed per call (estimate" in size
    shown = crq("prompt", "--show", check=True)
    assert "avg_daily_cost" in shown.stdout and "tokens fixed per call" in shown.stderr


def test_serve_says_at_once_when_the_database_has_no_inventory(pg_url: str, sample_url: str) -> None:
    """A developer who starts `crq serve` on a database without the model's tables is told so, and
    how to load the sample, before the first question fails; on the sample's database, nothing."""
    import os

    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS crq_no_inventory")
        admin.execute("CREATE DATABASE crq_no_inventory")
    empty = psycopg.conninfo.make_conninfo(pg_url, dbname="crq_no_inventory")

    def first_lines(url: str) -> list[str]:
        env = {**os.environ, "CRQ_AUTH": "none"}
        process = subprocess.Popen([CRQ, "serve", "--port", "0", "--database-url", url], env=env,
                                   stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        try:
            assert process.stderr is not None
            while not lines or "crq API on" not in lines[-1]:
                line = process.stderr.readline()
                assert line or process.poll() is None, ("crq serve stopped", lines)
                lines.append(line.rstrip())
        finally:
            process.terminate()
            process.wait(10)
        return [line for line in lines if line.startswith("warning: the database")]

    assert first_lines(empty) == [
        "warning: the database has no inventory.accounts, inventory.resources, inventory.resource_costs: "
        "every question will fail until the inventory is there (`crq sample load` loads the sample)"
    ]
    assert first_lines(sample_url) == []
