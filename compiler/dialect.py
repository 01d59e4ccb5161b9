"""The PostgreSQL that crq emits: sqlglot's dialect, with string literals that cannot be misread.

Values never reach SQL text in queries (they are bound), but a materialized view's definition cannot
hold parameters, so its values are inlined as literals. sqlglot writes ``'a\\b'``, which PostgreSQL
reads as intended only while ``standard_conforming_strings`` is on; with it off the backslash escapes
the next character and a crafted value could close the string. An escape string (``E'a\\\\b'``) means
the same under either setting, so every literal holding a backslash is written that way.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.generators.postgres import PostgresGenerator


class CrqPostgres(Postgres):
    class Generator(PostgresGenerator):  # what Postgres.Generator names, as a class mypy can see
        def literal_sql(self, expression: exp.Literal) -> str:
            text = expression.this or ""
            if expression.is_string and "\\" in text:
                return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
            return super().literal_sql(expression)
