"""The crq error hierarchy.

Callers catch the branch they can act on; every message is meant to be shown to a person as is::

    CrqError                      anything crq raises on purpose
    ├── UserError                 bad input: the user can fix it (CLI exit code 2)
    │   ├── ModelValidationError  the semantic model YAML has problems (carries every issue)
    │   ├── IntentError           the intent names something wrong (field, valid choices)
    │   ├── TimeRangeError        a time range cannot be resolved
    │   └── QueryRefused          the query is well formed but crq will not answer it (fan-out, ...)
    └── DatabaseError             the database failed or is unreachable
        └── QueryTimeout          the statement timeout was hit
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CrqError(Exception):
    """Base of every error crq raises on purpose."""


class UserError(CrqError):
    """Bad input that the user can correct."""


@dataclass(frozen=True)
class Issue:
    """One problem found in a semantic model, located in its YAML file."""

    code: str
    message: str
    file: str = "<model>"
    line: int = 0
    col: int = 0
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.level} {self.code}: {self.message}"


class ModelValidationError(UserError):
    """The semantic model is invalid; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class IntentError(UserError):
    """The intent refers to something the model does not define, or combines things wrongly."""

    def __init__(self, field: str, message: str, choices: Sequence[str] = ()):
        self.field = field
        self.choices = tuple(choices)
        text = f"{field}: {message}"
        if choices:
            shown = ", ".join(self.choices[:25]) + (", ..." if len(self.choices) > 25 else "")
            text += f" (valid: {shown})"
        super().__init__(text)


class TimeRangeError(UserError):
    """A time range is malformed or empty."""


class PeriodBeforeDates(TimeRangeError):
    """A comparison's earlier period that would start before the first date crq reads. Depends on the
    as-of date (the length of "since January" grows with it), so the offline mapper's check of names,
    made at a far date, ignores it, as it ignores ``DatesDoNotOverlap``."""


class QueryRefused(UserError):
    """The query is well formed but its answer would not be trustworthy (e.g. it would double count)."""


class DatesDoNotOverlap(QueryRefused):
    """Two ranges of one question on one date that cannot be meant together: a filter that leaves no
    day of the time range (the answer would be empty), or a comparison of a period with itself (every
    change 0). Depends on the as-of date, so a check of names alone (the offline mapper's) ignores it."""


class DatabaseError(CrqError):
    """The database could not run the query."""


class QueryTimeout(DatabaseError):
    """The query ran longer than the statement timeout."""


class PolicyValidationError(UserError):
    """The access policy YAML has problems; ``issues`` lists every one (codes A001..), like a model's."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class AccessDenied(UserError):
    """The caller may not see the rows a query needs: no group of theirs is in the access policy, or
    their scope cannot be applied to a table the query reads. Never answered with unscoped numbers."""
