"""The two database roles crq uses, and who may be which.

Questions (and eval reference SQL) run as ``crq_reader``: USAGE and SELECT on the model's schemas and on
crq's own view schemas, nothing else, read-only by default. Loading the sample and building views run
as ``crq_owner``, which owns crq's schemas and nothing outside them. Neither is a superuser or a member
of ``pg_read_server_files`` / ``pg_write_server_files`` / ``pg_execute_server_program``, so even a
statement that got past every other guard could not read files or run programs on the server.

A URL that logs in as a privileged role (the embedded database's ``postgres``, a local superuser) is
never used for questions as is: ``Database`` logs in as ``crq_reader`` on the same server instead
(which works where the server trusts local logins, as the embedded one does), and the set-up commands
``SET ROLE crq_owner`` before they create anything. docs/database-roles.md has the same GRANTs as plain
SQL for a managed database (Aurora), where an administrator creates the roles with passwords.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from compiler.materializations import VIEW_SCHEMA

READER_ROLE = "crq_reader"
OWNER_ROLE = "crq_owner"
APP_ROLE = "crq_api"  # the chat API's own state (conversations): schema crq_app and nothing else
APP_SCHEMA = "crq_app"
META_SCHEMA = "crq"  # what crq records about its views
# crq's own schemas: view metadata and the views themselves
OWN_SCHEMAS = (META_SCHEMA, VIEW_SCHEMA)

# membership in any of these lets a role touch the server's files or programs, or read or write
# anything (pg_read_all_data would read every caller's conversations)
PRIVILEGED_ROLES = (
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_read_all_data",
    "pg_write_all_data",
    "rds_superuser",
)

# both the login (session_user) and the role in effect (current_user): a superuser login with
# "-c role=crq_reader" in its options acts as the reader, but one set_config('role', ...) away
_WHO = sql.SQL(
    "SELECT r.rolname, r.rolsuper, ARRAY(SELECT p.rolname FROM pg_roles p WHERE p.rolname = ANY(%s) "
    "AND pg_has_role(r.oid, p.oid, 'MEMBER') ORDER BY 1) FROM pg_roles r "
    "WHERE r.rolname IN (session_user, current_user) ORDER BY r.rolname = session_user DESC"
)


@dataclass(frozen=True)
class Privileges:
    role: str
    superuser: bool
    memberships: tuple[str, ...]

    @property
    def privileged(self) -> bool:
        return self.superuser or bool(self.memberships)

    def describe(self) -> str:
        """'postgres is a superuser', 'etl is a member of pg_read_server_files'."""
        if self.superuser:
            return f"{self.role} is a superuser"
        return f"{self.role} is a member of {', '.join(self.memberships)}"


def privileges(conn: psycopg.Connection[Any]) -> Privileges:
    """The session's privileges: the login's if it is privileged, else the role in effect's."""
    found = [Privileges(r[0], bool(r[1]), tuple(r[2])) for r in conn.execute(_WHO, (list(PRIVILEGED_ROLES),))]
    if not found:  # both always have a pg_roles row; be strict if they somehow do not
        return Privileges("?", True, ())
    return next((p for p in found if p.privileged), found[-1])


def setup_statements(database: str, schemas: Iterable[str] = ()) -> list[sql.Composed]:
    """Create the two roles if missing and grant what each needs; safe to run again."""
    reader, owner, app = sql.Identifier(READER_ROLE), sql.Identifier(OWNER_ROLE), sql.Identifier(APP_ROLE)
    statements: list[sql.Composed] = [
        sql.SQL(
            "DO $$ BEGIN "
            "IF to_regrole({owner_name}) IS NULL THEN CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEDB "
            "NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; "
            "IF to_regrole({reader_name}) IS NULL THEN CREATE ROLE {reader} LOGIN NOSUPERUSER NOCREATEDB "
            "NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT; END IF; "
            "IF to_regrole({app_name}) IS NULL THEN CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB "
            "NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT; END IF; END $$"
        ).format(
            owner=owner,
            reader=reader,
            app=app,
            owner_name=sql.Literal(OWNER_ROLE),
            reader_name=sql.Literal(READER_ROLE),
            app_name=sql.Literal(APP_ROLE),
        ),
        sql.SQL("GRANT CONNECT ON DATABASE {db} TO {app}").format(db=sql.Identifier(database), app=app),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(sql.Identifier(APP_SCHEMA), app),
        sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(reader),
        sql.SQL("GRANT CONNECT ON DATABASE {db} TO {reader}").format(
            db=sql.Identifier(database), reader=reader
        ),
        sql.SQL("GRANT CONNECT, CREATE ON DATABASE {db} TO {owner}").format(
            db=sql.Identifier(database), owner=owner
        ),
    ]
    statements += grant_statements(schemas)
    return statements


def grant_statements(schemas: Iterable[str]) -> list[sql.Composed]:
    """USAGE and SELECT on each schema's current tables and views, for the reader."""
    reader = sql.Identifier(READER_ROLE)
    out: list[sql.Composed] = []
    for schema in schemas:
        out.append(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), reader))
        out.append(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sql.Identifier(schema), reader)
        )
    return out


def password_statements(passwords: Mapping[str, str]) -> list[sql.Composed]:
    """Set a role's password (managed databases log in with one; the embedded one trusts local logins)."""
    return [
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
        for role, password in passwords.items()
    ]


def _one(cur: psycopg.Cursor[Any]) -> Any:
    """The value of a query that always returns one row of one column."""
    row = cur.fetchone()
    assert row is not None
    return row[0]


def setup(conn: psycopg.Connection[Any], schemas: Iterable[str], passwords: Mapping[str, str]) -> None:
    """`crq db setup`: create the roles, grant the model's schemas, set passwords, in one transaction."""
    database = _one(conn.execute("SELECT current_database()"))
    schemas = [s for s in schemas if _schema_exists(conn, s)]
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('crq roles'))")
        for statement in setup_statements(database, schemas) + password_statements(passwords):
            conn.execute(statement)


def ensure_roles(conn: psycopg.Connection[Any], schemas: Iterable[str] = ()) -> None:
    """Create the roles and grants when missing (an administrator's connection, autocommit).

    Cheap when everything is in place (one query), so the embedded database can call it at each start.
    An advisory lock keeps two processes starting at once from creating a role twice.
    """
    schemas = [s for s in schemas if _schema_exists(conn, s)]
    if _in_place(conn, schemas):
        return
    setup(conn, schemas, {})


def _schema_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    return bool(_one(conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (_quoted(schema),))))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_place(conn: psycopg.Connection[Any], schemas: list[str]) -> bool:
    row = conn.execute(
        "SELECT to_regrole(%(reader)s) IS NOT NULL AND to_regrole(%(owner)s) IS NOT NULL "
        "AND to_regnamespace(%(app)s) IS NOT NULL "
        "AND has_database_privilege(%(owner)s, current_database(), 'CREATE') "
        "AND coalesce(bool_and(has_schema_privilege(%(reader)s, s, 'USAGE')), true) "
        "FROM unnest(%(schemas)s::text[]) AS s",
        {
            "reader": READER_ROLE,
            "owner": OWNER_ROLE,
            "app": APP_SCHEMA,
            "schemas": [_quoted(s) for s in schemas],
        },
    ).fetchone()
    return bool(row and row[0])


def become_owner(conn: psycopg.Connection[Any], schemas: Iterable[str] = OWN_SCHEMAS) -> None:
    """Make an administrator's session act as crq_owner, after handing it crq's existing schemas.

    Databases built before the roles existed hold crq's schemas owned by the administrator; the owner
    role could neither refresh those views nor replace them, so ownership moves to it first.
    """
    ensure_roles(conn)
    with conn.transaction():
        for schema in schemas:
            if not _schema_exists(conn, schema):
                continue
            conn.execute(
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(
                    sql.Identifier(schema), sql.Identifier(OWNER_ROLE)
                )
            )
            relations = conn.execute(
                "SELECT c.relkind, c.oid::regclass::text FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'm', 'v', 'S', 'p') "
                "AND c.relowner <> to_regrole(%s)",
                (schema, OWNER_ROLE),
            ).fetchall()
            for kind, name in relations:
                conn.execute(
                    sql.SQL("ALTER {} {} OWNER TO {}").format(
                        sql.SQL(_KINDS[kind]), sql.SQL(name), sql.Identifier(OWNER_ROLE)
                    )
                )
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(OWNER_ROLE)))


_KINDS = {"r": "TABLE", "p": "TABLE", "m": "MATERIALIZED VIEW", "v": "VIEW", "S": "SEQUENCE"}


def owner_session(conn: psycopg.Connection[Any], schemas: Iterable[str] = OWN_SCHEMAS) -> None:
    """Prepare a set-up connection: an administrator becomes crq_owner; any other role is used as is
    (it is the URL of the owner role itself, as on Aurora)."""
    if privileges(conn).privileged:
        become_owner(conn, schemas)


def grant_reader(conn: psycopg.Connection[Any], schemas: Iterable[str]) -> None:
    """Let the reader see what the owner just built, when the reader role exists in this database."""
    if not _one(conn.execute("SELECT to_regrole(%s) IS NOT NULL", (READER_ROLE,))):
        return
    for statement in grant_statements(schemas):
        conn.execute(statement)
