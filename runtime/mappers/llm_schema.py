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

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from models.intent import Grain, Intent, Op
from models.responses import Status
from models.semantic_model import SemanticModel

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
    props["filters"] = {
        "type": "array",
        "description": "conditions; on a metric they filter groups (HAVING)",
        "items": _filter_schema(fields),
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
    if time_dims:
        time_props["dimension"] = _nullable(_enum(time_dims, "null: each table's default date"))
    props["time_range"] = _nullable(_obj(time_props))
    props["order_by"] = {
        "type": "array",
        "items": _obj({"field": _enum(fields), "direction": _enum(["asc", "desc"])}),
    }
    props["limit"] = {"type": ["integer", "null"]}
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
    return _obj(props)


def _filter_schema(fields: list[str]) -> dict[str, Any]:
    return _obj(
        {
            "field": _enum(fields),
            "op": _enum([o.value for o in Op]),
            "value": {
                "anyOf": [*_SCALAR, {"type": "array", "items": {"anyOf": _SCALAR}}, {"type": "null"}],
                "description": "a list for in / not in / between [low, high]; "
                "null for is null / is not null; dates as YYYY-MM-DD",
            },
        }
    )


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
    """The ``response_format`` argument of ``chat.completions.create``."""
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": reply_schema(model)},
    }


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


# --- reading the reply --------------------------------------------------------------------------------


def parse_reply(text: str | None) -> Reply:
    """JSON text -> ``Reply``; raises ``ReplyError`` with a message meant for the model's repair."""
    if not text or not text.strip():
        raise ReplyError("the reply was empty; answer with one JSON object that follows the schema")
    try:
        data = json.loads(_strip_fences(text))
    except json.JSONDecodeError as e:
        raise ReplyError(
            f"the reply is not valid JSON ({e.msg} at line {e.lineno} column {e.colno}); "
            "answer with one complete JSON object that follows the schema"
        ) from None
    if not isinstance(data, dict):
        raise ReplyError(
            "the reply must be a JSON object with status, follow_up, intent, message and suggestions"
        )
    status = data.get("status")
    if status not in STATUSES:
        raise ReplyError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
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
        suggestions=tuple(str(s) for s in suggestions if str(s).strip()),
        follow_up=bool(data.get("follow_up")),
    )


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
    }
    share = data.get("share")
    if isinstance(share, dict):
        clean["share"] = {"part": [_filter(f) for f in share.get("part") or []]}
    try:
        return Intent.model_validate(clean)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()[:5])
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


def intent_to_json(intent: Intent, model: SemanticModel) -> dict[str, Any]:
    """An intent in the reply's full shape (every property present, null or [] when unused), for
    few-shot examples and the conversation context: the model sees exactly what it must write."""
    data = intent.model_dump(mode="json", exclude={"previous", "timezone"})
    props = intent_schema(model)["properties"]
    out: dict[str, Any] = {}
    for name in props:
        value = data.get(name)
        if name == "time_range" and isinstance(value, dict):
            time_props = props["time_range"]["anyOf"][0]["properties"]
            value = {k: value.get(k) for k in time_props}
        elif name == "dimensions":
            value = [{"name": d["name"], "grain": d.get("grain")} for d in value or []]
        elif name == "filters":
            value = [{"field": f["field"], "op": f["op"], "value": f.get("value")} for f in value or []]
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
    "dimension_names",
    "intent_from_json",
    "intent_schema",
    "intent_to_json",
    "metric_names",
    "parse_reply",
    "reply_schema",
    "response_format",
    "segment_names",
    "strict_problems",
    "time_dimension_names",
]
