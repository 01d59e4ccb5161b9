"""Parsing and vetting of the small SQL expressions analysts may write in YAML.

An expression is plain column arithmetic, comparisons, CASE, casts and an allowlist of functions over
the columns of one table (or, in derived metrics, over other metrics). Anything else, subqueries,
DDL, other tables, unknown functions, is rejected, so a model can never smuggle SQL into a query.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

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
def parse_expression(text: str) -> exp.Expression:
    """Parse and vet one expression; cached because the compiler asks for the same ones repeatedly.

    Callers must ``.copy()`` before changing the result.
    """
    try:
        parsed = sqlglot.parse(text, read="postgres")
    except ParseError as e:
        first = e.errors[0]["description"] if e.errors else str(e)
        raise ExpressionError(f"does not parse as SQL: {first}") from None
    if len(parsed) != 1 or parsed[0] is None:
        raise ExpressionError("must be a single expression (no ';')")
    tree = parsed[0]
    for node in tree.walk():
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


def column_names(tree: exp.Expression) -> list[str]:
    """The bare column names an expression reads, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for col in tree.find_all(exp.Column):
        seen.setdefault(col.name, None)
    return list(seen)
