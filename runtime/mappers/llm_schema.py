"""The JSON Schema the language model must answer in, made from the semantic model, and its reading.

Why generated: with OpenAI structured outputs in strict mode the endpoint can only emit what the
schema allows, so making every metric, dimension, segment, grain and operator an ``enum`` means the
model cannot name something that does not exist. Adding a metric to the YAML adds it to the schema;
nothing here lists names by hand.

Strict mode's rules (https://platform.openai.com/docs/guides/structured-outputs): the root is an
object; every object has ``additionalProperties: false`` and lists all its properties in
``required``; optional values are expressed as a union with ``null``. ``strict_problems`` checks them,
so a model that breaks a rule fails in tests, not at the endpoint.

The reply::

    {"status": "answered" | "clarify" | "refused", "follow_up": bool,
     "intent": {...} | null, "message": str, "suggestions": [str]}

A property is left out when the model has nothing to offer for it (no segments: no ``segments``);
values of filters stay free text because their valid set depends on the field, and the compiler
checks them (its error goes back to the model for a repair).
"""

from __future__ import annotations

import difflib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, get_args

from pydantic import ValidationError

if TYPE_CHECKING:  # jsonschema (~100 ms to import) only for a reply that arrived: not at start-up
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as ValidationError_

from models.intent import (
    MAX_DIMENSIONS,
    MAX_FILTER_VALUES,
    MAX_FILTERS,
    MAX_METRICS,
    MAX_ORDER_BY,
    MAX_SEGMENTS,
    MAX_VALUE_CHARS,
    Grain,
    Intent,
    Op,
    RankBy,
)
from models.responses import Status
from models.semantic_model import SemanticModel
from models.units import FAMILY, Family

SCHEMA_NAME = "crq_intent"
STATUSES: tuple[Status, ...] = ("answered", "clarify", "refused")
TIME_KINDS = ("between", "since", "current", "previous", "trailing", "month", "quarter", "year")

# Strict mode accepts only these keywords here (validation keywords such as pattern, minimum or
# format are supported by some endpoints and not others, so none are used).
_ALLOWED_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "description"}
)
MAX_DEPTH = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000


class ReplyError(ValueError):
    """The reply is not usable as is (not JSON, wrong shape, an invalid intent); the message is written
    for the language model, which gets it back for a repair."""


@dataclass(frozen=True)
class Reply:
    status: Status
    intent: Intent | None
    message: str
    suggestions: tuple[str, ...]
    follow_up: bool


# --- names --------------------------------------------------------------------------------------------


def metric_names(model: SemanticModel) -> list[str]:
    return [m.name for m in model.metrics]


def dimension_names(model: SemanticModel) -> list[str]:
    """Every name a dimension can be referred to by: plain names, ``table.name`` where a name is on
    several tables (the compiler asks to qualify when two are equally near), and ``tag:<key>`` for each
    known tag key."""
    plain: dict[str, list[str]] = {}
    tags: list[str] = []
    for t in model.tables:
        for d in t.dimensions:
            if d.tags:
                tags.extend(f"{d.name}:{k}" for k in d.tag_keys)
            else:
                plain.setdefault(d.name, []).append(t.name)
        for td in t.time_dimensions:
            plain.setdefault(td.name, []).append(t.name)
    names = list(plain)
    names.extend(f"{table}.{name}" for name, tables in plain.items() if len(tables) > 1 for table in tables)
    names.extend(tags)
    return list(dict.fromkeys(names))


def time_dimension_names(model: SemanticModel) -> list[str]:
    return list(dict.fromkeys(td.name for t in model.tables for td in t.time_dimensions))


def segment_names(model: SemanticModel) -> list[str]:
    return [s.name for s in model.segments]


# --- schema -------------------------------------------------------------------------------------------


def _obj(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _enum(values: list[str], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "enum": values}
    if description:
        schema["description"] = description
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_SCALAR = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]


def intent_schema(model: SemanticModel) -> dict[str, Any]:
    """The ``intent`` object, with names as enums taken from ``model``."""
    metrics, dims, segments = metric_names(model), dimension_names(model), segment_names(model)
    fields = list(dict.fromkeys([*dims, *metrics]))
    grains = [g.value for g in Grain]
    props: dict[str, Any] = {}
    if metrics:
        props["metrics"] = {"type": "array", "items": _enum(metrics), "description": "what to compute"}
    props["dimensions"] = {
        "type": "array",
        "description": "what to group by (or to list, without metrics)",
        "items": _obj(
            {
                "name": _enum(dims),
                "grain": _nullable(_enum(grains, "only for time dimensions")),
            }
        ),
    }
    units = unit_names(model)
    props["filters"] = {
        "type": "array",
        "description": "conditions; on a metric they filter groups (HAVING)",
        "items": _filter_schema(fields, units),
    }
    convertible = [m.name for m in model.metrics if m.unit is not None and m.unit.value in units]
    if convertible:
        props["units"] = {
            "type": "array",
            "description": "metrics in another unit of their kind; [] for the model's",
            "items": _obj({"metric": _enum(convertible), "unit": _enum(units)}),
        }
    if segments:
        props["segments"] = {"type": "array", "items": _enum(segments), "description": "named filters"}
    time_dims = time_dimension_names(model)
    time_props: dict[str, Any] = {
        "kind": _enum(list(TIME_KINDS)),
        "unit": _nullable(_enum(grains)),
        "n": {"type": ["integer", "null"]},
        "skip": {"type": ["integer", "null"], "description": "previous only: recent units to pass over"},
        "start": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
        "end": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
        "month": {"type": ["integer", "null"], "description": "1-12"},
        "quarter": {"type": ["integer", "null"], "description": "1-4"},
        "year": {"type": ["integer", "null"]},
    }
    earlier_props = dict(time_props)  # an earlier period is a range of the same date: no dimension
    if time_dims:
        time_props["dimension"] = _nullable(_enum(time_dims, "null: each table's default date"))
    props["time_range"] = _nullable(_obj(time_props))
    props["order_by"] = {
        "type": "array",
        "items": _obj({"field": _enum(fields), "direction": _enum(["asc", "desc"])}),
    }
    props["limit"] = {"type": ["integer", "null"]}
    props["offset"] = {"type": ["integer", "null"], "description": "ranked rows skipped before limit"}
    props["share"] = _nullable(
        _obj(
            {
                "part": {
                    "type": "array",
                    "items": _filter_schema(dims),
                    "description": "empty: each row as a percentage of the total over all rows; "
                    "else the percentage of each row's amount that meets these conditions",
                }
            },
            "metrics as percentages; null for amounts",
        )
    )
    props["compare"] = _nullable(
        _obj(
            {
                "to": _nullable(_obj(earlier_props, "null: the period just before")),
                "rank_by": _enum(list(get_args(RankBy))),
            },
            "time_range vs an earlier period; null: no comparison",
        )
    )
    props["cumulative"] = {"type": "boolean", "description": "running total along the time dimension"}
    props["count_groups"] = _nullable(
        _obj(
            {"of": {"type": "array", "items": _enum(dims)}},
            "how many groups of these (time dimensions by their finest grain); null: show the groups",
        )
    )
    props["average_groups"] = _nullable(
        _obj(
            {"of": {"type": "array", "items": _enum(dims)}},
            "each group's sum or count of these, averaged over the groups; null: not an average of groups",
        )
    )
    return _obj(props)


def unit_names(model: SemanticModel) -> list[str]:
    """The units of the kinds the model's metrics and number dimensions have (a count has only one,
    so none are offered for it): what a question may name a number in or ask a metric in."""
    families = {FAMILY[m.unit] for m in model.metrics if m.unit is not None}
    families |= {FAMILY[d.unit] for t in model.tables for d in t.dimensions if d.unit is not None}
    return [u.value for u, f in FAMILY.items() if f in families and f != Family.COUNT]


def _filter_schema(fields: list[str], units: list[str] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "field": _enum(fields),
        "op": _enum([o.value for o in Op]),
        "value": {
            "anyOf": [*_SCALAR, {"type": "array", "items": {"anyOf": _SCALAR}}, {"type": "null"}],
            "description": "a list for in / not in / between [low, high]; "
            "null for is null / is not null; dates as YYYY-MM-DD",
        },
    }
    if units:  # free text, not an enum: the enum budget goes to names; crq checks it (case aside)
        props["unit"] = {
            "type": ["string", "null"],
            "description": "the number's unit, e.g. TB, percent; null: the field's own",
        }
    return _obj(props)


def reply_schema(model: SemanticModel) -> dict[str, Any]:
    """The whole reply; this is what goes into ``response_format.json_schema.schema``."""
    return _obj(
        {
            "status": _enum(list(STATUSES)),
            "follow_up": {
                "type": "boolean",
                "description": "true when the question changes the previous intent",
            },
            "intent": _nullable(intent_schema(model)),
            "message": {"type": "string", "description": "for clarify and refused: what to tell the user"},
            "suggestions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "questions to offer",
            },
        }
    )


def response_format(model: SemanticModel) -> dict[str, Any]:
    """The ``response_format`` argument of ``chat.completions.create`` for the whole model."""
    return response_format_for(reply_schema(model))


def response_format_for(schema: dict[str, Any]) -> dict[str, Any]:
    """``response_format`` for an already built reply schema (e.g. of one question's part of the model)."""
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": schema}}


def enum_value_count(schema: Any) -> int:
    """Enum values in a schema, all enums together: what strict mode limits (``MAX_ENUM_VALUES``)."""
    if isinstance(schema, dict):
        own = len(schema["enum"]) if isinstance(schema.get("enum"), list) else 0
        return own + sum(enum_value_count(v) for k, v in schema.items() if k != "enum")
    if isinstance(schema, list):
        return sum(enum_value_count(v) for v in schema)
    return 0


def strict_problems(schema: dict[str, Any]) -> list[str]:
    """Where ``schema`` breaks OpenAI's strict-mode rules; empty when it follows them all."""
    problems: list[str] = []
    totals = {"properties": 0, "enum": 0}
    if schema.get("type") != "object":
        problems.append("$: the root must be an object")

    def walk(node: Any, path: str, depth: int) -> None:
        if not isinstance(node, dict):
            problems.append(f"{path}: not a schema object")
            return
        for key in node:
            if key not in _ALLOWED_KEYWORDS:
                problems.append(f"{path}: keyword '{key}' is not allowed in strict mode")
        if depth > MAX_DEPTH:
            problems.append(f"{path}: nested deeper than {MAX_DEPTH} levels")
        if "enum" in node:
            values = node["enum"]
            if not values:
                problems.append(f"{path}: empty enum")
            totals["enum"] += len(values)
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if "object" in types:
            props = node.get("properties", {})
            totals["properties"] += len(props)
            if node.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            if sorted(node.get("required", [])) != sorted(props):
                problems.append(f"{path}: every property must be required")
            for name, sub in props.items():
                walk(sub, f"{path}.{name}", depth + 1)
        if "array" in types:
            if "items" not in node:
                problems.append(f"{path}: array without items")
            else:
                walk(node["items"], f"{path}[]", depth + 1)
        for i, sub in enumerate(node.get("anyOf", [])):
            walk(sub, f"{path}|{i}", depth)

    walk(schema, "$", 1)
    if totals["properties"] > MAX_PROPERTIES:
        problems.append(f"$: {totals['properties']} properties, more than {MAX_PROPERTIES}")
    if totals["enum"] > MAX_ENUM_VALUES:
        problems.append(f"$: {totals['enum']} enum values, more than {MAX_ENUM_VALUES}")
    return problems


# --- checking a reply against the schema sent ----------------------------------------------------------

# What the local check adds to the schema sent, per intent property: strict mode has no size keywords
# that every endpoint accepts, so the endpoint cannot be told; crq checks them itself (the same caps
# as the Intent model, reported first, before thousands of items are looked at).
_ITEM_CAPS = {
    "metrics": MAX_METRICS,
    "dimensions": MAX_DIMENSIONS,
    "filters": MAX_FILTERS,
    "part": MAX_FILTERS,
    "segments": MAX_SEGMENTS,
    "order_by": MAX_ORDER_BY,
    "units": MAX_METRICS,
}


def with_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """The reply schema as crq checks it: the intent's size caps added (``maxItems``, ``maxLength``;
    ``strict_problems`` would reject them in what is sent), and ``required`` dropped: an endpoint
    that leaves a property out means what its null would mean (``intent_from_json`` reads it so),
    while a property the schema does not declare, a name outside an enum or a value of the wrong
    type is still an error."""

    def walk(node: Any, name: str = "") -> Any:
        if isinstance(node, list):
            return [walk(v, name) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if "array" in types and name in _ITEM_CAPS:
            out["maxItems"] = _ITEM_CAPS[name]  # before "items": reported before each item is checked
        if "array" in types and name == "value":
            out["maxItems"] = MAX_FILTER_VALUES
        if "string" in types and name == "value":
            out["maxLength"] = MAX_VALUE_CHARS
        for key, value in node.items():
            if key == "required":
                continue  # an omitted property reads as null or empty, as strict mode's null would
            if key == "properties":
                out[key] = {k: walk(v, k) for k, v in value.items()}
            elif key in ("items", "anyOf"):
                out[key] = walk(value, name)
            else:
                out[key] = value
        return out

    limited: dict[str, Any] = walk(schema)
    return limited


@lru_cache(maxsize=32)
def _validator(schema_text: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(with_limits(json.loads(schema_text)))


def schema_errors(data: Any, schema: dict[str, Any], limit: int = 3) -> list[str]:
    """Where ``data`` breaks ``schema`` (with the size caps), in short lines a model can act on; at
    most ``limit``, and never the whole offending value (a 1 MB string is quoted by its first words)."""
    oversized = _oversized(data)
    if oversized:  # said at once: the validator would look at every one of 8,000 filters first
        return oversized
    from jsonschema.exceptions import best_match, relevance

    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = [best_match([e]) for e in itertools.islice(validator.iter_errors(data), 20)]
    errors.sort(key=relevance)
    return list(dict.fromkeys(_describe(e) for e in errors if e is not None))[:limit]


def _oversized(data: Any) -> list[str]:
    """The intent's lists over their caps, found without walking their items."""
    intent = data.get("intent") if isinstance(data, dict) else None
    if not isinstance(intent, dict):
        return []
    lists = {name: intent.get(name) for name in _ITEM_CAPS}
    share = intent.get("share")
    lists["part"] = share.get("part") if isinstance(share, dict) else None
    problems = [
        f"$.intent.{'share.part' if name == 'part' else name}: {len(value)} items, at most {_ITEM_CAPS[name]}"
        for name, value in lists.items()
        if isinstance(value, list) and len(value) > _ITEM_CAPS[name]
    ]
    return problems[:3]


def _describe(e: ValidationError_) -> str:
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
    kind = e.validator
    value: Any = e.instance  # jsonschema types these "or Unset"; a reported error always has them
    rule: Any = e.validator_value
    if kind == "enum":
        words = str(value)
        close = difflib.get_close_matches(words, [str(v) for v in rule], n=1) if len(words) < 200 else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{where}: {clip(repr(value), 80)} is not one of the {len(rule)} allowed values{hint}"
    if kind == "additionalProperties":
        schema: Any = e.schema
        extra = sorted(set(value) - set(schema.get("properties", {}))) if isinstance(value, dict) else []
        return f"{where}: properties not in the schema: {clip(', '.join(map(repr, extra)), 120)}"
    if kind == "required":
        missing = [r for r in rule if isinstance(value, dict) and r not in value]
        return f"{where}: missing {', '.join(missing[:5])}"
    if kind == "type":
        wanted = " or ".join(rule) if isinstance(rule, list) else rule
        return f"{where}: must be {wanted}, not {_json_type(value)}"
    if kind == "maxItems":
        return f"{where}: {len(value)} items, at most {rule}"
    if kind == "maxLength":
        return f"{where}: a text of {len(value)} characters, at most {rule}"
    if kind == "anyOf":
        return f"{where}: {clip(repr(value), 60)} matches none of the allowed shapes"
    return f"{where}: breaks the schema ({kind})"


def _json_type(value: Any) -> str:
    tests: tuple[tuple[str, Callable[[Any], bool]], ...] = (
        ("null", lambda v: v is None),
        ("a boolean", lambda v: isinstance(v, bool)),
        ("an integer", lambda v: isinstance(v, int)),
        ("a number", lambda v: isinstance(v, float)),
        ("a string", lambda v: isinstance(v, str)),
        ("an array", lambda v: isinstance(v, list)),
        ("an object", lambda v: isinstance(v, dict)),
    )
    for kind, test in tests:
        if test(value):
            return kind
    return type(value).__name__


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[: max(0, limit - 30)]}... [{len(text) - limit + 30:,} more characters]"


# --- reading the reply --------------------------------------------------------------------------------


def parse_reply(text: str | None, schema: dict[str, Any] | None = None) -> Reply:
    """JSON text -> ``Reply``; raises ``ReplyError`` with a message meant for the model's repair.

    With ``schema`` (what the mapper sent), the reply must follow it exactly: names in the enums
    (``"tag:owner\\n"`` is not ``"tag:owner"``), no property it does not declare, no string where a
    number belongs, within the intent's size caps. Suggestions that are not strings are dropped
    first: they only decorate a clarify and are not worth a repair."""
    if not isinstance(text, str) or not text.strip():
        raise ReplyError("the reply was empty; answer with one JSON object that follows the schema")
    try:
        data = json.loads(_strip_fences(text), parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        raise ReplyError(
            f"the reply is not valid JSON ({e.msg} at line {e.lineno} column {e.colno}); "
            "answer with one complete JSON object that follows the schema"
        ) from None
    except RecursionError:
        raise ReplyError("the reply is nested too deeply to be the intent; follow the schema") from None
    except ValueError as e:  # NaN/Infinity, or an integer of thousands of digits
        raise ReplyError(f"the reply is not usable JSON ({clip(str(e), 100)}); follow the schema") from None
    if not isinstance(data, dict):
        raise ReplyError(
            "the reply must be a JSON object with status, follow_up, intent, message and suggestions"
        )
    if isinstance(data.get("suggestions"), list):
        data["suggestions"] = [s for s in data["suggestions"] if isinstance(s, str)]
    if schema is not None:
        problems = schema_errors(data, schema)
        if problems:
            raise ReplyError("the reply does not follow the schema: " + "; ".join(problems))
    status = data.get("status")
    if status not in STATUSES:
        raise ReplyError(f"status must be one of {', '.join(STATUSES)}, not {clip(repr(status), 60)}")
    message = data.get("message") or ""
    suggestions = data.get("suggestions") or []
    if not isinstance(message, str) or not isinstance(suggestions, list):
        raise ReplyError("message must be a string and suggestions a list of strings")
    raw_intent = data.get("intent")
    intent = None
    if status == "answered":
        if not isinstance(raw_intent, dict):
            raise ReplyError("status 'answered' needs an intent object; use status 'clarify' to ask back")
        intent = intent_from_json(raw_intent)
    return Reply(
        status=status,
        intent=intent,
        message=message.strip(),
        suggestions=tuple(s for s in suggestions if s.strip()),
        follow_up=data.get("follow_up") is True,
    )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def intent_from_json(data: dict[str, Any]) -> Intent:
    """The reply's intent object -> ``Intent``: nulls mean "not given", lists become tuples."""
    tr = data.get("time_range")
    clean: dict[str, Any] = {
        "metrics": data.get("metrics") or [],
        "dimensions": [
            {k: v for k, v in d.items() if v is not None} if isinstance(d, dict) else d
            for d in data.get("dimensions") or []
        ],
        "filters": [_filter(f) for f in data.get("filters") or []],
        "segments": data.get("segments") or [],
        "time_range": {k: v for k, v in tr.items() if v is not None} if isinstance(tr, dict) else tr,
        "order_by": data.get("order_by") or [],
        "limit": data.get("limit"),
        "units": data.get("units") or [],
    }
    if data.get("offset") is not None:  # absent from replies recorded before it existed
        clean["offset"] = data["offset"]
    share = data.get("share")
    if isinstance(share, dict):
        clean["share"] = {"part": [_filter(f) for f in share.get("part") or []]}
    if data.get("cumulative") is True:
        clean["cumulative"] = {}
    for nested in ("count_groups", "average_groups"):
        groups = data.get(nested)
        if isinstance(groups, dict):
            clean[nested] = {"of": groups.get("of") or []}
    compare = data.get("compare")
    if isinstance(compare, dict):
        to = compare.get("to")  # null: the period just before time_range
        earlier = (
            {k: v for k, v in to.items() if v is not None} if isinstance(to, dict) else "previous_period"
        )
        clean["compare"] = {"to": earlier, "rank_by": compare.get("rank_by") or "change"}
    try:
        return Intent.model_validate(clean)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {clip(err['msg'], 160)}" for err in e.errors()[:5]
        )
        raise ReplyError(f"the intent is not valid: {problems}") from None


def _filter(f: Any) -> Any:
    if not isinstance(f, dict):
        return f
    out = dict(f)
    if isinstance(out.get("value"), list):
        out["value"] = tuple(out["value"])
    return out


def _strip_fences(text: str) -> str:
    """Endpoints without strict mode sometimes wrap JSON in a Markdown fence; take what is inside."""
    s = text.strip()
    if s.startswith("```"):
        s = s.split("\n", 1)[1] if "\n" in s else ""
        s = s.rsplit("```", 1)[0]
    return s


def intent_to_json(
    intent: Intent, model: SemanticModel, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An intent in the reply's full shape (every property present, null or [] when unused), for
    few-shot examples and the conversation context: the model sees exactly what it must write.
    ``schema`` is ``intent_schema(model)`` when the caller has it already (one per prompt, not one
    per example)."""
    data = intent.model_dump(mode="json", exclude={"previous", "timezone"})
    props = (schema or intent_schema(model))["properties"]
    out: dict[str, Any] = {}
    for name in props:
        value = data.get(name)
        if name == "time_range" and isinstance(value, dict):
            time_props = props["time_range"]["anyOf"][0]["properties"]
            value = {k: value.get(k) for k in time_props}
        elif name == "dimensions":
            value = [{"name": d["name"], "grain": d.get("grain")} for d in value or []]
        elif name == "filters":
            value = [
                {"field": f["field"], "op": f["op"], "value": f.get("value"), "unit": f.get("unit")}
                for f in value or []
            ]
        elif name == "cumulative":
            value = value is not None
        elif name == "units":
            value = value or []
        elif name in ("count_groups", "average_groups") and isinstance(value, dict):
            value = {"of": [d["name"] for d in value["of"]]}  # a grain is not in the schema's enum
        elif name == "compare" and isinstance(value, dict):
            to = value["to"]
            earlier_props = props["compare"]["anyOf"][0]["properties"]["to"]["anyOf"][0]["properties"]
            value = {
                "to": {k: to.get(k) for k in earlier_props} if isinstance(to, dict) else None,
                "rank_by": value["rank_by"],
            }
        elif name == "share" and isinstance(value, dict):
            value = {
                "part": [{"field": f["field"], "op": f["op"], "value": f.get("value")} for f in value["part"]]
            }
        out[name] = value
    return out


__all__ = [
    "SCHEMA_NAME",
    "Reply",
    "ReplyError",
    "clip",
    "dimension_names",
    "enum_value_count",
    "intent_from_json",
    "intent_schema",
    "intent_to_json",
    "metric_names",
    "parse_reply",
    "reply_schema",
    "response_format",
    "response_format_for",
    "schema_errors",
    "segment_names",
    "strict_problems",
    "time_dimension_names",
    "unit_names",
    "with_limits",
]
