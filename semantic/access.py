"""Load an access policy and report every problem in it at once, located by file:line:col (codes A0xx).

A policy decides what people may see, so it is checked as strictly as a model: names and values against
the semantic model (with a did-you-mean), reachability of each dimension from every table, and repeated
keys (YAML would silently keep the last one, so a group could lose or gain rows unnoticed). A policy with
any error is not returned: half a policy might show someone rows that are not theirs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from yaml.events import MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent

from compiler.catalog import Catalog, DimensionTarget, catalog_for, split_reference
from compiler.resolve import typed_filter_value
from models.access import (
    AccessPolicy,
    AccessPolicyFile,
    Condition,
    GroupPolicy,
    RowFilter,
    Scope,
    ScopeValue,
    Unreachable,
)
from models.errors import IntentError, Issue, PolicyValidationError, QueryRefused
from models.intent import Filter, Op
from models.semantic_model import Dimension, SemanticModel, TimeDimension
from semantic.source_map import ModelFileError, SourceMap, parse_yaml
from semantic.source_map import Path as YamlPath

MAX_POLICY_BYTES = 1024 * 1024  # a policy of a thousand groups is 100 KB


def policy_schema() -> dict[str, object]:
    """The JSON Schema of the policy YAML, for editors (``# yaml-language-server: $schema=...``)."""
    return AccessPolicyFile.model_json_schema(by_alias=True)


def load_policy(path: str | Path, model: SemanticModel) -> AccessPolicy:
    """The validated policy; raises PolicyValidationError listing every error."""
    policy, issues = check_policy(path, model)
    errors = [i for i in issues if i.level == "error"]
    if errors or policy is None:
        raise PolicyValidationError(errors)
    return policy


def check_policy(path: str | Path, model: SemanticModel) -> tuple[AccessPolicy | None, list[Issue]]:
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_POLICY_BYTES + 1)
    except OSError as e:
        return None, [Issue("A000", f"cannot read the access policy: {e.strerror}", str(path), 0, 0)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return None, [
            Issue("A001", "the access policy is not UTF-8 text; save it as UTF-8", str(path), line, 1)
        ]
    return check_policy_text(text, str(path), model)


def check_policy_text(text: str, file: str, model: SemanticModel) -> tuple[AccessPolicy | None, list[Issue]]:
    """Parse and validate; the policy (None when there is any error) and every issue found."""
    if len(text) > MAX_POLICY_BYTES:
        return None, [
            Issue("A001", f"the access policy is larger than {MAX_POLICY_BYTES // 1024} KB", file, 1, 1)
        ]
    try:
        data, source = parse_yaml(text, file)
    except ModelFileError as e:
        return None, [Issue("A001", e.message, file, e.line, e.col)]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [
            Issue("A001", f"YAML syntax error: {getattr(e, 'problem', None) or e}", file, line, col)
        ]
    if not isinstance(data, dict):
        return None, [Issue("A001", "an access policy is a YAML mapping with 'groups'", file, 1, 1)]
    issues = _repeated_keys(text, file)
    try:
        parsed = AccessPolicyFile.model_validate(data)
    except ValidationError as e:
        issues += _schema_issues(e.errors(), source)
        return None, sorted(issues, key=lambda i: (i.line, i.col, i.code))
    catalog = catalog_for(model)
    groups: list[tuple[str, RowFilter | None]] = []
    for name, group in parsed.groups.items():
        rule, found = _check_group(name, group, catalog, source)
        issues += found
        groups.append((name, rule))
    issues.sort(key=lambda i: (i.line, i.col, i.code))
    if any(i.level == "error" for i in issues):
        return None, issues
    return AccessPolicy(tuple(groups)), issues


# --- structure -----------------------------------------------------------------------------------------


def _repeated_keys(text: str, file: str) -> list[Issue]:
    """A key written twice in one mapping (YAML keeps the last silently): A007 at the second one."""
    issues: list[Issue] = []
    # per open collection: (keys seen, None in a list; whether the next scalar is a key)
    frames: list[tuple[set[str] | None, bool]] = []
    for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            frames.pop()
            continue
        if not isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)):
            continue
        seen, is_key = frames[-1] if frames else (None, False)
        if seen is not None:
            if is_key and isinstance(event, ScalarEvent):
                if event.value in seen:
                    mark = event.start_mark
                    assert mark is not None  # the parser marks every event
                    issues.append(
                        Issue(
                            "A007",
                            f"'{event.value}' is written twice here; YAML would keep only the last",
                            file,
                            mark.line + 1,
                            mark.column + 1,
                        )
                    )
                seen.add(event.value)
            frames[-1] = (seen, not is_key)
        if isinstance(event, MappingStartEvent):
            frames.append((set(), True))
        elif isinstance(event, SequenceStartEvent):
            frames.append((None, False))
    return issues


_VALUE_TYPES = frozenset({"str", "int", "float", "bool"})
"""How pydantic names the members of ScopeValue in an error's location."""


def _schema_issues(errors: list[ErrorDetails], source: SourceMap) -> list[Issue]:
    """One issue per place: a value that fits no member of the value union is one problem, not four,
    and a list whose only item is wrong is not also reported as empty."""
    issues: dict[YamlPath, Issue] = {}
    for err in errors:
        loc: YamlPath = tuple(err["loc"])
        kind = err["type"]
        if loc and loc[-1] == "[key]":  # a mapping key that failed validation: a group name
            loc, kind = loc[:-1], "group_name"
        elif len(loc) > 1 and loc[-1] in _VALUE_TYPES and isinstance(loc[-2], int):
            loc, kind = loc[:-1], "value_type"
        nested = any(len(o["loc"]) > len(loc) and tuple(o["loc"][: len(loc)]) == loc for o in errors)
        if loc in issues or (kind == "too_short" and nested):
            continue
        located = loc if loc in source.positions or not loc else (*loc[:-1], str(loc[-1]))
        line, col = source.locate(located)
        code, message = _SCHEMA_ISSUES.get(kind, _wrong_value)(err, loc, source)
        issues[loc] = Issue(code, message, source.file, line, col)
    return list(issues.values())


def _where(loc: YamlPath, source: SourceMap) -> str:
    return source.describe(loc) if loc else "policy"


def _unknown_field(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    field = str(loc[-1])
    cls = AccessPolicyFile if len(loc) == 1 else GroupPolicy
    allowed = sorted(cls.model_fields)
    hint = difflib.get_close_matches(field, allowed, n=1)
    fix = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
    return "A002", f"{_where(loc[:-1], source)}: unknown field '{field}'{fix}"


def _missing(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    return "A003", f"{_where(loc[:-1], source)}: missing required field '{loc[-1]}'"


def _group_name(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    if not isinstance(loc[-1], str):
        return "A005", f"groups: {loc[-1]!r} is not text; quote the group name ('{loc[-1]}')"
    return "A005", (
        f"groups: '{loc[-1]}' is not a group name: use letters, digits and . _ : @ / + = - (no spaces), "
        "starting with a letter or digit, at most 128 characters"
    )


def _empty_list(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    return "A006", f"{_where(loc, source)}: an empty list allows no rows; list values or remove the line"


def _not_a_list(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    return "A004", f"{_where(loc, source)}: must be a list of values, e.g. [{err['input']}]"


def _value_type(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    return "A004", f"{_where(loc, source)}: {err['input']} is not text, a number or true/false"


def _wrong_value(err: ErrorDetails, loc: YamlPath, source: SourceMap) -> tuple[str, str]:
    return "A004", f"{_where(loc, source)}: {err['msg']}"


_SCHEMA_ISSUES: dict[str, Callable[[ErrorDetails, YamlPath, SourceMap], tuple[str, str]]] = {
    "extra_forbidden": _unknown_field,
    "missing": _missing,
    "group_name": _group_name,
    "too_short": _empty_list,
    "tuple_type": _not_a_list,
    "value_type": _value_type,
}
"""pydantic's error type (or what the location says it is about) -> the issue code and a message in
the policy's words; anything else is A004 with pydantic's message."""


# --- meaning: against the semantic model ---------------------------------------------------------------


def _check_group(
    name: str, group: GroupPolicy, catalog: Catalog, source: SourceMap
) -> tuple[RowFilter | None, list[Issue]]:
    """The group's row filter (None: all rows) and its issues."""
    at = ("groups", name)

    def issue(code: str, path: YamlPath, message: str) -> Issue:
        line, col = source.locate(path)
        return Issue(code, f"{source.describe(path)}: {message}", source.file, line, col)

    if group.all:
        if group.where or group.unreachable_tables:
            extra = "where" if group.where else "unreachable_tables"
            return None, [issue("A011", (*at, extra), "a group with `all: true` sees every row; remove this")]
        return None, []
    if not group.where:
        return None, [issue("A010", at, "the group allows nothing; give it `where` or `all: true`")]
    issues: list[Issue] = []
    conditions: list[Condition] = []
    for dim, values in group.where.items():
        path = (*at, "where", dim)
        try:
            target = _owner_target(dim, catalog)
        except IntentError as e:
            issues.append(issue("A012", path, _message(e)))
            continue
        if isinstance(target.dimension, TimeDimension):
            issues.append(
                issue("A013", path, f"{dim} is a time dimension; a scope says whose rows, not when")
            )
            continue
        canonical: list[ScopeValue] = []
        for i, v in enumerate(values):
            try:
                f = Filter(field=dim, op=Op.IN, value=(v,))
                # object: numbers come back as Decimal, which the declared Value type does not list yet
                typed: object = typed_filter_value(f, target, catalog, source.describe((*path, i)))
            except IntentError as e:
                line, col = source.locate((*path, i))
                issues.append(Issue("A014", str(e), source.file, line, col))
                continue
            assert isinstance(typed, tuple)
            canonical += [str(t) if isinstance(t, Decimal) else t for t in typed]
        conditions.append((dim, tuple(dict.fromkeys(canonical))))
        unreachable = []
        for table in catalog.model.tables:
            try:
                catalog.resolve_dimension(dim, table, dim)
            except QueryRefused:
                unreachable.append(table.name)
            except IntentError as e:  # two join paths, or two tables at the same distance
                issues.append(issue("A016", path, f"from {table.name}: {_message(e)}"))
        if unreachable and group.unreachable_tables is None:
            tables = ", ".join(unreachable)
            issues.append(
                issue(
                    "A015",
                    path,
                    f"{tables} cannot reach {dim} through to-one joins, so this group's rows of {tables} "
                    "are undefined; add `unreachable_tables: deny` to refuse its questions about them, "
                    "or `all` to show all their rows",
                )
            )
    if issues:
        return None, issues
    return RowFilter(tuple(conditions), group.unreachable_tables or Unreachable.DENY), []


def _message(e: IntentError) -> str:
    return str(e).removeprefix(f"{e.field}: ")


def _owner_target(dim: str, catalog: Catalog) -> DimensionTarget:
    """``dim`` resolved from a table that declares it: raises IntentError when the name itself is wrong
    (unknown, with a did-you-mean; a qualifier without it; a tag dimension without key)."""
    qualifier, _, bare = split_reference(dim)
    owners = catalog.candidates(dim)
    if not owners:
        names = [*catalog.dimensions, *catalog.tag_dimensions]
        close = difflib.get_close_matches(bare.partition(":")[0], names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise IntentError(dim, f"unknown dimension '{dim}'{hint}")
    start = catalog.tables.get(qualifier) or owners[0][0]
    return catalog.resolve_dimension(dim, start, dim)


# --- the catalog endpoint ------------------------------------------------------------------------------


def visible_values(scope: Scope, model: SemanticModel) -> dict[str, tuple[str, ...]]:
    """The values of each enumerable dimension the caller may see: a dimension their scope restricts
    shows only the values their groups list; one any of their groups leaves open shows its whole enum;
    a denied caller sees none. Pure: the runtime's catalog endpoint calls it per request."""
    catalog = catalog_for(model)
    out: dict[str, tuple[str, ...]] = {}
    for name, owners in catalog.dimensions.items():
        enum = next((d.enum for _, d in owners if isinstance(d, Dimension) and d.enum), ())
        if not enum:
            continue
        if scope.unrestricted:
            out[name] = enum
            continue
        allowed: set[object] = set()
        for rule in scope.allows:
            listed = [values for dim, values in rule.where if split_reference(dim)[2] == name]
            if not listed:
                allowed = set(enum)
                break
            allowed.update(*listed)
        out[name] = tuple(v for v in enum if v in allowed)
    return out


if __name__ == "__main__":  # python -m semantic.access > semantic/access_policy.schema.json
    import json

    print(json.dumps(policy_schema(), indent=2))
