"""Who is asking, and which rows they may see: the access policy format, callers and their scopes.

``AccessPolicyFile`` is the single definition of the YAML format (``semantic.access`` validates files
with it and prints its JSON Schema); ``AccessPolicy`` is a validated policy, with every value already
in the model's spelling. ``AccessPolicy.scope_for(caller)`` gives a ``Scope``: the rows any of the
caller's groups allows. The compiler adds a scope to every fact query it emits (``compile(scope=...)``).

Nothing here knows the semantic model; checking names and values against it is ``semantic.access``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

GROUP_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$"
"""Group names as identity providers send them (``payments-team``, ``okta:finops``): no spaces, so a
name cannot differ from the claim by invisible whitespace."""

GroupName = Annotated[
    str, Field(pattern=GROUP_NAME_PATTERN, description="a group name from the caller's token")
]
ScopeValue = str | int | float | bool
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Unreachable(StrEnum):
    """What a group sees of a table that cannot reach one of its dimensions (accounts has no region)."""

    DENY = "deny"
    """Nothing: questions about that table are refused for the group (the default for scopes)."""
    ALL = "all"
    """Every row of that table: for tables the policy owner decides are not sensitive."""


class GroupPolicy(BaseModel):
    """One group's rows: ``all: true`` (everything), or ``where`` (AND across dimensions, OR in a list)."""

    model_config = _FROZEN
    description: str = ""
    all: StrictBool = Field(default=False, description="true: the group sees every row of every table")
    where: dict[str, Annotated[tuple[ScopeValue, ...], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="dimension (named as in intents) -> the values whose rows the group sees",
    )
    unreachable_tables: Unreachable | None = Field(
        default=None,
        description="required when a table cannot reach a `where` dimension: deny (refuse its "
        "questions) or all (show all its rows)",
    )


class AccessPolicyFile(BaseModel):
    """The access policy YAML (``CRQ_ACCESS_FILE``): groups mapped to the rows they may see."""

    model_config = _FROZEN
    version: Literal[1] = 1
    description: str = ""
    groups: dict[GroupName, GroupPolicy] = Field(
        description="group name -> its rows; a caller sees the rows of any of their groups",
        json_schema_extra={"additionalProperties": False},  # names outside the pattern are errors
    )


@dataclass(frozen=True)
class Caller:
    """Who is asking, as the runtime's authentication says: a subject and the groups it belongs to."""

    subject: str
    groups: tuple[str, ...] = ()


Condition = tuple[str, tuple[ScopeValue, ...]]
"""(dimension, the values allowed): rows whose dimension has one of the values."""


@dataclass(frozen=True)
class RowFilter:
    """The rows one group may see: every condition holds (AND); each condition is a list (OR)."""

    where: tuple[Condition, ...]
    unreachable_tables: Unreachable = Unreachable.DENY

    def __post_init__(self) -> None:
        # an empty filter would admit every row: "everything" must be said with Scope(unrestricted=True)
        if not self.where or any(not values for _, values in self.where):
            raise ValueError("a row filter needs at least one dimension, each with at least one value")

    def describe(self) -> str:
        return " and ".join(f"{name} in [{', '.join(map(str, values))}]" for name, values in self.where)


@dataclass(frozen=True)
class Scope:
    """The rows one caller may see: those any of ``allows`` admits, or all when ``unrestricted``.

    Neither means nothing at all (``denied``): the compiler raises AccessDenied rather than guess.
    A Scope is hashable and compares by content, so it can key caches and is part of a Plan's equality.
    """

    allows: tuple[RowFilter, ...] = ()
    unrestricted: bool = False
    groups: tuple[str, ...] = ()
    """The caller's groups that the policy names (for explain and audit logs)."""

    @property
    def denied(self) -> bool:
        return not self.unrestricted and not self.allows

    def describe(self) -> str:
        if self.unrestricted:
            return "all rows"
        if self.denied:
            return "no rows"
        parts = [f.describe() for f in self.allows]
        return parts[0] if len(parts) == 1 else " or ".join(f"({p})" for p in parts)


    def to_json(self) -> dict[str, object]:
        """The scope as JSON, to travel with work done later on the caller's behalf (a job)."""
        return {
            "unrestricted": self.unrestricted,
            "groups": list(self.groups),
            "allows": [
                {
                    "where": [[name, list(values)] for name, values in f.where],
                    "unreachable": f.unreachable_tables.value,
                }
                for f in self.allows
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scope:
        allows = tuple(
            RowFilter(
                tuple((str(name), tuple(values)) for name, values in f["where"]),
                Unreachable(f["unreachable"]),
            )
            for f in data.get("allows", ())
        )
        return cls(allows, bool(data.get("unrestricted")), tuple(data.get("groups", ())))


UNRESTRICTED = Scope(unrestricted=True)


@dataclass(frozen=True)
class AccessPolicy:
    """A validated policy: each group's rows (None: all rows), values in the model's spelling."""

    groups: tuple[tuple[str, RowFilter | None], ...]

    def scope_for(self, caller: Caller) -> Scope:
        """The union of the caller's groups: rows any of them allows. A caller in no group of the
        policy gets a Scope that denies everything, never an unrestricted one."""
        mine = sorted(set(caller.groups))
        rules = dict(self.groups)
        matched = [g for g in mine if g in rules]
        if any(rules[g] is None for g in matched):
            return Scope(unrestricted=True, groups=tuple(matched))
        allows = [rules[g] for g in matched]
        return Scope(allows=_merged([f for f in allows if f is not None]), groups=tuple(matched))


def _merged(filters: list[RowFilter]) -> tuple[RowFilter, ...]:
    """Equivalent, shorter: filters that differ in one dimension's values become one (payments-team
    and search-team: ``business_unit in [payments, search]`` rather than two alternatives)."""

    def shape(f: RowFilter) -> tuple[object, ...]:
        return (f.unreachable_tables, *(name for name, _ in f.where))

    out: list[RowFilter] = []
    for f in dict.fromkeys(filters):
        for i, g in enumerate(out):
            if shape(g) != shape(f):
                continue
            differ = [j for j, (a, b) in enumerate(zip(g.where, f.where, strict=True)) if a != b]
            if len(differ) <= 1:
                where = list(g.where)
                for j in differ:
                    name, values = g.where[j]
                    where[j] = (name, tuple(dict.fromkeys((*values, *f.where[j][1]))))
                out[i] = RowFilter(tuple(where), g.unreachable_tables)
                break
        else:
            out.append(f)
    return tuple(out)
