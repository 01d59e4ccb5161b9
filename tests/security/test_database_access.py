"""Attacks on database access (issue 8, items 1-3), each run against the real database.

Every question and eval reference runs as the reader role, as one statement through the extended
protocol, in a read-only transaction; memory is bounded by the row cap; literals in view DDL mean the
same whatever ``standard_conforming_strings`` says. Each test proves nothing ran and nothing changed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from compiler import compile as compile_intent
from compiler.dialect import CrqPostgres
from models.errors import DatabaseError
from models.intent import DimensionRef, Intent
from models.semantic_model import SemanticModel
from runtime.database import Database
from runtime.materialized_views import ViewManager
from runtime.roles import OWNER_ROLE, PRIVILEGED_ROLES, READER_ROLE
from semantic import DEFAULT_MODEL, load_model

CRQ = str(Path(sys.executable).parent / "crq")
PAYLOAD_TABLE = "crq_pwned"


def _admin(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def _objects_named(url: str, name: str) -> list[tuple]:
    return _admin(
        url,
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = %s",
        (name,),
    )


@pytest.fixture
def clean(sample_url: str):
    """Fails the test if the attack left the payload table anywhere."""
    yield sample_url
    found = _objects_named(sample_url, PAYLOAD_TABLE)
    _admin(sample_url, f"DROP TABLE IF EXISTS inventory.{PAYLOAD_TABLE}, public.{PAYLOAD_TABLE}")
    assert found == []


def test_questions_run_as_the_reader_even_from_a_superuser_url(sample_url: str) -> None:
    assert _admin(sample_url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [(True,)]
    db = Database(sample_url)
    assert db.execute(
        "SELECT current_user, session_user, current_setting('default_transaction_read_only'), "
        "current_setting('transaction_read_only'), current_setting('standard_conforming_strings')",
        {},
    ).rows == [(READER_ROLE, READER_ROLE, "on", "on", "on")]


@pytest.mark.parametrize("role", [READER_ROLE, OWNER_ROLE])
def test_neither_role_is_privileged(sample_url: str, role: str) -> None:
    rows = _admin(
        sample_url,
        "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, "
        "ARRAY(SELECT p.rolname FROM pg_roles p WHERE pg_has_role(r.oid, p.oid, 'MEMBER') "
        "AND p.oid <> r.oid ORDER BY 1) FROM pg_roles r WHERE r.rolname = %s",
        (role,),
    )
    assert rows == [(False, False, False, False, [])]
    assert not set(rows[0][4]) & set(PRIVILEGED_ROLES)


def test_the_reader_may_read_only_crq_schemas(sample_url: str) -> None:
    ViewManager(sample_url, load_model()).create(["monthly_cost"])
    rows = _admin(
        sample_url,
        "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(%s, oid, 'USAGE') "
        "AND nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        (READER_ROLE,),
    )
    # public: PUBLIC's default USAGE, which holds nothing of crq's (docs/database-roles.md suggests revoking it)
    assert rows == [("crq",), ("crq_mv",), ("inventory",), ("public",)]
    writable = _admin(
        sample_url,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('crq', 'crq_mv', 'inventory') AND "
        "has_table_privilege(%s, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')",
        (READER_ROLE,),
    )
    assert writable == [(0,)]


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        # the simple protocol would run these as several statements, the second outside the transaction
        (f"COMMIT; CREATE TABLE inventory.{PAYLOAD_TABLE} (a int)", 'syntax error at or near "COMMIT"'),
        (
            f"SELECT 1; CREATE TABLE public.{PAYLOAD_TABLE} (a int)",
            "cannot insert multiple commands into a prepared statement",
        ),
        (f"CREATE TABLE inventory.{PAYLOAD_TABLE} (a int)", 'syntax error at or near "CREATE"'),
        ("DELETE FROM inventory.accounts", 'syntax error at or near "DELETE"'),
        (f"COPY (SELECT 1) TO PROGRAM 'touch /tmp/{PAYLOAD_TABLE}'", 'syntax error at or near "COPY"'),
        ("SET ROLE postgres", 'syntax error at or near "SET"'),
        # writes from inside one SELECT meet the read-only transaction and the role's missing grants
        (
            "WITH d AS (DELETE FROM inventory.accounts RETURNING 1) SELECT count(*) FROM d",
            "DECLARE CURSOR must not contain data-modifying statements in WITH",
        ),
        ("SELECT lo_create(0)", "cannot execute lo_create() in a read-only transaction"),
        ("SELECT set_config('role', 'postgres', false)", 'permission denied to set role "postgres"'),
        (
            "SELECT set_config('transaction_read_only', 'off', false)",
            "transaction read-write mode must be set before any query",
        ),
        ("SELECT pg_read_file('/etc/passwd')", "permission denied for function pg_read_file"),
        ("SELECT * FROM pg_authid", "permission denied for table pg_authid"),
    ],
)
def test_statements_that_are_not_one_read_are_refused(clean: str, statement: str, error: str) -> None:
    db = Database(clean)
    with pytest.raises(DatabaseError) as caught:
        db.execute(statement, {})
    assert str(caught.value) == f"the database rejected the query: {error}"
    assert db.execute("SELECT count(*) FROM inventory.accounts", {}).rows == [(24,)]  # still usable
    assert not Path(f"/tmp/{PAYLOAD_TABLE}").exists()


def test_an_eval_file_cannot_escape_the_read_only_guard(clean: str, tmp_path: Path) -> None:
    """The attack as reported: reference SQL in a `crq eval` file; the scorer runs it as given."""
    marker = tmp_path / "ran"
    questions = tmp_path / "evil.yaml"
    questions.write_text(
        yaml.safe_dump(
            {
                "as_of": "2026-06-17",
                "questions": [
                    {
                        "id": "e1",
                        "question": "How many accounts are there?",
                        "sql": f"COMMIT; CREATE TABLE public.{PAYLOAD_TABLE} (a int)",
                    },
                    {
                        "id": "e2",
                        "question": "How many accounts are there?",
                        "sql": f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
                    },
                    {
                        "id": "e3",
                        "question": "How many accounts are there?",
                        "sql": "select count(*) from inventory.accounts",
                    },
                ],
            }
        )
    )
    p = subprocess.run(
        [CRQ, "eval", str(questions), "--database-url", clean, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    verdicts = [json.loads(line) for line in p.stdout.splitlines()]
    assert [(v["id"], v["ok"]) for v in verdicts] == [("e1", False), ("e2", False), ("e3", True)], p.stderr
    assert 'syntax error at or near "COMMIT"' in verdicts[0]["why"]
    assert 'syntax error at or near "COPY"' in verdicts[1]["why"]
    assert not marker.exists()


def test_a_privileged_url_whose_reader_cannot_log_in_is_refused_not_used(sample_url: str) -> None:
    _admin(sample_url, f"ALTER ROLE {READER_ROLE} NOLOGIN")
    try:
        with pytest.raises(DatabaseError) as caught:
            Database(sample_url).execute("SELECT 1", {})
    finally:
        _admin(sample_url, f"ALTER ROLE {READER_ROLE} LOGIN")
    assert str(caught.value).startswith(
        f"crq does not work as a privileged role (postgres is a superuser) and could not log in as "
        f"{READER_ROLE} instead ("
    )
    assert 'role "crq_reader" is not permitted to log in' in str(caught.value)
    assert str(caught.value).endswith("or give the role's own URL (docs/database-roles.md)")


def test_a_privileged_reader_role_is_refused(sample_url: str) -> None:
    _admin(sample_url, f"GRANT pg_read_server_files TO {READER_ROLE}")
    try:
        with pytest.raises(DatabaseError) as caught:
            Database(sample_url).execute("SELECT 1", {})
    finally:
        _admin(sample_url, f"REVOKE pg_read_server_files FROM {READER_ROLE}")
    assert str(caught.value) == (
        f"refusing to connect: {READER_ROLE} is a member of pg_read_server_files; "
        "see docs/database-roles.md"
    )


def test_the_row_cap_bounds_memory_on_the_server_side(sample_url: str) -> None:
    """762k cost rows with --row-cap 1: only two rows leave the server (it was 175 MB of client memory)."""
    script = textwrap.dedent("""
        import json, resource, sys
        from runtime.database import Database
        db = Database(sys.argv[1], row_cap=1)
        db.execute("SELECT 1", {})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        r = db.execute("SELECT * FROM inventory.resource_costs", {})
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps({"rows": len(r.rows), "truncated": r.truncated, "grown_kb": grown}))
    """)
    p = subprocess.run(
        [sys.executable, "-c", script, sample_url], capture_output=True, text=True, timeout=120
    )
    out = json.loads(p.stdout)
    assert (out["rows"], out["truncated"]) == (1, True)
    assert out["grown_kb"] < 20_000, out  # a full download of 762k rows grows the process by ~175 MB


# a model value that, misread with standard_conforming_strings off, closes its string and runs a statement
EVIL = f"x\\'; CREATE TABLE public.{PAYLOAD_TABLE} (a int); --"


def _crafted_model() -> dict[str, Any]:
    """The shipped model with one view, "crafted", whose fixed filter holds EVIL."""
    data = yaml.safe_load(DEFAULT_MODEL.read_text())
    view = next(v for v in data["materializations"] if v["name"] == "resource_inventory")
    data["materializations"] = [
        {**view, "name": "crafted", "filters": [{"field": "account_name", "op": "=", "value": EVIL}]}
    ]
    return data


def test_view_literals_mean_the_same_with_standard_conforming_strings_off(
    sample_url: str, tmp_path: Path
) -> None:
    """A crafted model value once closed its string in view DDL and created an extra object."""
    data = _crafted_model()
    model_file = tmp_path / "crafted.yaml"
    model_file.write_text(yaml.safe_dump(data, sort_keys=False))
    env = {**os.environ, "PGOPTIONS": "-c standard_conforming_strings=off"}
    try:
        p = subprocess.run(
            [CRQ, "mv", "create", "crafted", "--model", str(model_file), "--database-url", sample_url],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert p.returncode == 0, p.stderr
        assert _objects_named(sample_url, PAYLOAD_TABLE) == []
        definition = _admin(sample_url, "SELECT definition FROM pg_matviews WHERE matviewname = 'crafted'")[
            0
        ][0]
        assert "'x\\''; CREATE TABLE public.crq_pwned (a int); --'::text" in definition  # one literal, intact
        assert _admin(sample_url, "SELECT matviewowner FROM pg_matviews WHERE matviewname = 'crafted'") == [
            (OWNER_ROLE,)
        ]
    finally:
        _admin(
            sample_url,
            f"DROP MATERIALIZED VIEW IF EXISTS crq_mv.crafted; DROP TABLE IF EXISTS public.{PAYLOAD_TABLE}; "
            "DELETE FROM crq.materializations WHERE name = 'crafted'",
        )


def test_every_session_reads_strings_the_standard_way_whatever_pgoptions_says(sample_url: str) -> None:
    script = (
        "import sys; from runtime.database import Database; "
        "print(Database(sys.argv[1]).execute(\"SELECT current_setting('standard_conforming_strings'), "
        "'a\\\\b'\", {}).rows)"
    )
    env = {**os.environ, "PGOPTIONS": "-c standard_conforming_strings=off"}
    p = subprocess.run(
        [sys.executable, "-c", script, sample_url], capture_output=True, text=True, env=env, timeout=60
    )
    assert p.stdout.strip() == "[('on', 'a\\\\b')]", p.stderr


def test_json_path_keys_are_bound_not_inlined(sample_url: str) -> None:
    """A json key from the model reaches the query as a parameter, whatever characters it holds
    (built without the validation rules, which may refuse odd keys: the compiler must not rely on them)."""
    data = yaml.safe_load(DEFAULT_MODEL.read_text())
    resources = next(t for t in data["tables"] if t["name"] == "resources")
    key = "o'wn\\er"
    resources["dimensions"].append({"name": "odd_key", "json": ["tags", key]})
    model = SemanticModel.model_validate(data)
    intent = Intent(metrics=("resource_count",), dimensions=(DimensionRef.model_validate("odd_key"),))
    compiled = compile_intent(intent, model, as_of=dt.date(2026, 6, 17))
    assert key not in compiled.sql and compiled.params["odd_key_key"] == key
    assert Database(sample_url).execute(compiled.sql, compiled.params).rows == [(None, 5000)]


def test_view_ddl_literals_alone_hold_under_standard_conforming_strings_off(sample_url: str) -> None:
    """The literal layer on its own: DDL text run through the simple protocol with the setting off.
    sqlglot's plain PostgreSQL rendering of the same literal is the control: it runs the payload."""
    from sqlglot import exp
    from sqlglot.dialects.postgres import Postgres

    from compiler.catalog import catalog_for
    from compiler.materializations import layouts, view_select

    data = _crafted_model()
    catalog = catalog_for(SemanticModel.model_validate(data))
    definition = view_select(layouts(catalog)["crafted"], catalog).sql(dialect=CrqPostgres)
    off = psycopg.conninfo.make_conninfo(sample_url, options="-c standard_conforming_strings=off")
    try:
        with psycopg.connect(off, autocommit=True) as conn:
            conn.execute(
                f"CREATE TEMP VIEW crafted AS {definition}"
            )  # simple protocol: a 2nd statement would run
            assert _objects_named(sample_url, PAYLOAD_TABLE) == []
            ours = exp.Literal.string(EVIL).sql(dialect=CrqPostgres)
            assert conn.execute(f"SELECT {ours}").fetchall() == [(EVIL,)]
            assert _objects_named(sample_url, PAYLOAD_TABLE) == []
            plain = exp.Literal.string(EVIL).sql(dialect=Postgres)
            conn.execute(f"SELECT {plain}")
            assert _objects_named(sample_url, PAYLOAD_TABLE) == [("public", PAYLOAD_TABLE)]
    finally:
        _admin(sample_url, f"DROP TABLE IF EXISTS public.{PAYLOAD_TABLE}")


def test_db_setup_creates_the_grants_a_managed_database_needs(pg_url: str) -> None:
    """`crq db setup` on a database where the roles exist but hold nothing: it grants exactly the model's
    schema, sets the reader's password from the environment and never prints it."""
    scratch = "crq_test_setup"
    _admin(pg_url, f"DROP DATABASE IF EXISTS {scratch}")
    _admin(pg_url, f"CREATE DATABASE {scratch}")
    other = psycopg.conninfo.make_conninfo(pg_url, dbname=scratch)
    _admin(
        other,
        "CREATE SCHEMA inventory; CREATE TABLE inventory.accounts (a int); CREATE SCHEMA other; "
        "CREATE TABLE other.secrets (s text)",
    )
    env = {**os.environ, "CRQ_READER_PASSWORD": "s3cret-'\\pw"}
    try:
        p = subprocess.run(
            [CRQ, "db", "setup", "--database-url", other], capture_output=True, text=True, timeout=60, env=env
        )
        assert p.returncode == 0, p.stderr
        assert (
            p.stdout
            == "roles crq_reader, crq_owner and crq_api ready; crq_reader may read inventory; passwords set for crq_reader\n"
        )
        assert "s3cret" not in p.stdout + p.stderr
        rows = _admin(
            other,
            "SELECT has_schema_privilege(%(r)s, 'inventory', 'USAGE'), "
            "has_table_privilege(%(r)s, 'inventory.accounts', 'SELECT'), "
            "has_schema_privilege(%(r)s, 'other', 'USAGE'), "
            "has_table_privilege(%(r)s, 'other.secrets', 'SELECT'), "
            "has_database_privilege(%(o)s, current_database(), 'CREATE'), "
            "(SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %(r)s)",
            {"r": READER_ROLE, "o": OWNER_ROLE},
        )
        assert rows == [(True, True, False, False, True, True)]
        assert Database(other).execute("SELECT count(*) FROM inventory.accounts", {}).rows == [(0,)]
        with pytest.raises(DatabaseError, match="permission denied for schema other"):
            Database(other).execute("SELECT * FROM other.secrets", {})
    finally:
        _admin(pg_url, f"ALTER ROLE {READER_ROLE} PASSWORD NULL")
        _admin(pg_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def test_a_superuser_login_acting_as_the_reader_is_still_a_superuser(sample_url: str) -> None:
    """'-c role=crq_reader' in a superuser URL's options makes current_user the reader, but the login
    stays the superuser, one set_config('role', 'none', false) away: crq logs in as the reader instead."""
    acting = psycopg.conninfo.make_conninfo(sample_url, options=f"-c role={READER_ROLE}")
    db = Database(acting)
    assert db.execute("SELECT session_user, current_user", {}).rows == [(READER_ROLE, READER_ROLE)]
    with pytest.raises(DatabaseError, match='permission denied to set role "postgres"'):
        db.execute("SELECT set_config('role', 'postgres', false)", {})


def test_a_malformed_url_is_refused_without_quoting_it() -> None:
    with pytest.raises(DatabaseError) as caught:
        Database("postgresql://u:s3cret%zz@localhost/db").execute("SELECT 1", {})
    assert str(caught.value) == "the database URL is malformed (check its user, password and host)"
