"""Parsing and vetting of the small SQL expressions analysts may write in YAML.

An expression is plain column arithmetic, comparisons, CASE, casts and an allowlist of functions over
the columns of one table (or, in derived metrics, over other metrics). Anything else, subqueries,
DDL, other tables, unknown functions, is rejected, so a model can never smuggle SQL into a query.
Names must be plain (``SQL_NAME``): sqlglot writes some of them back verbatim (``EXTRACT("..." FROM x)``
becomes raw text), and a ``%`` would be read by psycopg as a placeholder. Size and nesting are capped
so that parsing, and rendering the query later, never exhaust Python's recursion limit.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")  # 63: PostgreSQL truncates longer names
MAX_LENGTH = 1000  # characters; the shipped model's longest expression has 29
MAX_DEPTH = 32  # levels of the parsed tree: parsing and rendering recurse per level
_TOO_DEEP = f"nests deeper than {MAX_DEPTH} levels; split it into simpler dimensions or measures"

ALLOWED_FUNCTIONS = frozenset(
    {
        "abs",
        "ceil",
        "floor",
        "round",
        "coalesce",
        "nullif",
        "greatest",
        "least",
        "lower",
        "upper",
        "trim",
        "length",
        "substring",
        "split_part",
        "concat",
        "date_trunc",
        "extract",
        "jsonb_typeof",
        "jsonb_array_length",
        "position",
        "left",
        "right",
    }
)

_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Var,
    exp.Coalesce,
    exp.Nullif,
    exp.Abs,
    exp.Ceil,
    exp.Floor,
    exp.Round,
    exp.Greatest,
    exp.Least,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Length,
    exp.Substring,
    exp.Concat,
    exp.DateTrunc,
    exp.TimestampTrunc,
    exp.Extract,
    exp.JSONExtract,
    exp.JSONExtractScalar,
    exp.JSONBExtract,
    exp.JSONBExtractScalar,
    exp.JSONBContains,
    exp.JSONPath,
    exp.JSONPathRoot,
    exp.JSONPathKey,
    exp.Anonymous,
    exp.StrPosition,
    exp.Left,
    exp.Right,
    exp.SplitPart,
    exp.DPipe,
    exp.Distinct,
)


class ExpressionError(ValueError):
    """The expression does not parse or uses something outside the allowlist."""


@lru_cache(maxsize=1024)
def parse_expression(text: str) -> exp.Expr:
    """Parse and vet one expression; cached because the compiler asks for the same ones repeatedly.

    Callers must ``.copy()`` before changing the result.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"is {len(text)} characters long; at most {MAX_LENGTH}")
    try:
        parsed = sqlglot.parse(text, read="postgres")
    except ParseError as e:
        first = e.errors[0]["description"] if e.errors else str(e)
        raise ExpressionError(f"does not parse as SQL: {first}") from None
    except TokenError as e:
        detail = e.__cause__ if isinstance(e.__cause__, TokenError) else e
        raise ExpressionError(
            f"does not parse as SQL: {detail} (is a quote or comment not closed?)"
        ) from None
    except RecursionError:
        raise ExpressionError(_TOO_DEEP) from None
    if len(parsed) != 1 or parsed[0] is None:
        raise ExpressionError("must be a single expression (no ';')")
    tree = parsed[0]
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(_TOO_DEEP)
    for node in tree.walk():
        if isinstance(node, exp.Identifier | exp.Var) and not SQL_NAME.fullmatch(str(node.this)):
            raise ExpressionError(
                f"name {str(node.this)!r} is not allowed; write names with letters, digits and "
                "underscores only (at most 63)"
            )
        if isinstance(node, exp.Anonymous):
            if str(node.this).lower() not in ALLOWED_FUNCTIONS:
                raise ExpressionError(
                    f"function {node.this}() is not allowed; allowed: {', '.join(sorted(ALLOWED_FUNCTIONS))}"
                )
        elif isinstance(node, exp.Column) and node.table:
            raise ExpressionError(
                f"column {node.sql('postgres')} must not name a table; write the bare column of this table"
            )
        elif not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(
                f"{node.key.upper()} is not allowed in an expression: "
                f"{node.sql('postgres')!r}; use column arithmetic, comparisons, CASE "
                "and allowed functions only"
            )
    return tree


def _depth(tree: exp.Expr) -> int:
    """Levels of the tree, counted without recursion (the tree may be too deep to recurse)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        todo.extend((child, level + 1) for child in node.iter_expressions())
    return deepest


def column_names(tree: exp.Expr) -> list[str]:
    """The bare column names an expression reads, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for col in tree.find_all(exp.Column):
        seen.setdefault(col.name, None)
    return list(seen)
