"""Load a semantic model from YAML and report every problem in it at once, located by file:line:col."""

from __future__ import annotations

import dataclasses
import difflib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from models.errors import Issue, ModelValidationError
from models.semantic_model import SemanticModel
from semantic.rules import RULES
from semantic.source_map import ModelFileError, SourceMap, parse_yaml

DEFAULT_MODEL = Path(__file__).parent / "models" / "cloud_inventory.yaml"
# Model files are untrusted input: read no more than this. The shipped model is 16 KB and one 30 times
# larger is 0.5 MB; parsing stays bounded anyway (source_map.MAX_NODES), this bounds reading.
MAX_MODEL_BYTES = 4 * 1024 * 1024


def check_model_text(text: str, file: str = "<model>") -> tuple[SemanticModel | None, list[Issue]]:
    """Parse and validate; return the model (None if it cannot be built) and every issue found."""
    model, issues = _check(text, file)
    return model, [_one_line(i) for i in issues]


def _check(text: str, file: str) -> tuple[SemanticModel | None, list[Issue]]:
    if len(text) > MAX_MODEL_BYTES:
        return None, [_too_large(file)]
    try:
        data, source = parse_yaml(text, file)
    except ModelFileError as e:
        return None, [Issue(e.code, e.message, file, e.line, e.col)]
    except yaml.YAMLError as e:
        return None, [_yaml_issue(e, text, file)]
    except UnicodeEncodeError as e:  # a lone surrogate, which no UTF-8 file holds
        return None, [_not_utf8(file, text[: e.start], f"character {text[e.start]!r}")]
    if not isinstance(data, dict):
        return None, [
            Issue("E001", "a semantic model is a YAML mapping with 'name' and 'tables'", file, 1, 1)
        ]
    try:
        model = SemanticModel.model_validate(data)
    except ValidationError as e:
        return None, [_schema_issue(err, source) for err in e.errors()]
    issues = [issue for rule in RULES for issue in rule(model, source)]
    return model, sorted(issues, key=lambda i: (i.line, i.col, i.code))


def check_model(path: str | Path) -> tuple[SemanticModel | None, list[Issue]]:
    path = Path(path)
    try:
        data = read_model_bytes(path)
    except OSError as e:
        return None, [Issue("E000", f"cannot read the model: {e.strerror}", str(path), 0, 0)]
    return check_model_bytes(data, str(path))


def read_model_bytes(path: str | Path) -> bytes:
    """The model file's bytes, at most MAX_MODEL_BYTES + 1 of them (a larger file is refused when
    checked); raises OSError. For callers that key something on the exact bytes they check."""
    with Path(path).open("rb") as f:
        return f.read(MAX_MODEL_BYTES + 1)  # /dev/zero must not be read until memory runs out


def check_model_bytes(data: bytes, file: str) -> tuple[SemanticModel | None, list[Issue]]:
    """``check_model_text`` of a file's bytes: UTF-8 or an issue that says where it is not."""
    if len(data) > MAX_MODEL_BYTES:
        return None, [_too_large(file)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:  # the bytes before the first bad one decode, so the column is exact
        return None, [_not_utf8(file, data[: e.start].decode("utf-8"), f"byte 0x{data[e.start]:02x}")]
    return check_model_text(text, file)


def load_model(path: str | Path | None = None) -> SemanticModel:
    """The validated model; raises ModelValidationError listing every error."""
    return _load_cached(str(Path(path or DEFAULT_MODEL).resolve()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> SemanticModel:
    return valid_model(*check_model(path))


def valid_model(model: SemanticModel | None, issues: list[Issue]) -> SemanticModel:
    """The model of a check, or ModelValidationError listing every error (warnings pass)."""
    errors = [i for i in issues if i.level == "error"]
    if errors or model is None:
        raise ModelValidationError(errors)
    return model


def _one_line(issue: Issue) -> Issue:
    """Messages quote the model's text: escape line breaks and other controls, so that each issue stays
    one line of output and a key such as "\\nm.yaml:1:1: error ..." cannot print a fake issue."""
    if issue.message.isprintable():
        return issue
    message = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in issue.message)
    return dataclasses.replace(issue, message=message)


def _too_large(file: str) -> Issue:
    return Issue("E005", f"the model is larger than {MAX_MODEL_BYTES // 1024 // 1024} MB", file, 1, 1)


def _line_col(before: str) -> tuple[int, int]:
    """The 1-based line and column of the character that follows ``before``."""
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def _not_utf8(file: str, before: str, what: str) -> Issue:
    return Issue("E006", f"the model is not UTF-8 text ({what}); save it as UTF-8", file, *_line_col(before))


def _yaml_issue(e: yaml.YAMLError, text: str, file: str) -> Issue:
    if isinstance(e, yaml.reader.ReaderError):  # a control character, at an offset into libyaml's UTF-8
        before = text.encode()[: e.position].decode("utf-8", "ignore")
        return Issue("E001", f"YAML syntax error: {str(e).splitlines()[0]}", file, *_line_col(before))
    mark = getattr(e, "problem_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(e, "problem", None) or str(e)
    return Issue("E001", f"YAML syntax error: {problem}", file, line, col)


def _schema_issue(err: ErrorDetails, source: SourceMap) -> Issue:
    loc = tuple(err["loc"])
    line, col = source.locate(loc)
    where = source.describe(loc)
    if err["type"] == "extra_forbidden":
        field = str(loc[-1])
        allowed = _allowed_fields(loc[:-1])
        hint = difflib.get_close_matches(field, allowed, n=1)
        fix = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
        return Issue("E002", f"{where}: unknown field '{field}'{fix}", source.file, line, col)
    if loc == ("version",):
        return Issue("E004", _version_problem(err["input"]), source.file, line, col)
    if err["type"] == "missing":
        where = source.describe(loc[:-1])
        return Issue("E003", f"{where}: missing required field '{loc[-1]}'", source.file, line, col)
    return Issue("E004", f"{where}: {err['msg']}{_enum_hint(err)}", source.file, line, col)


def _enum_hint(err: ErrorDetails) -> str:
    """'; did you mean ...?' for a value outside an enum (a unit, an aggregation), case aside."""
    given = err.get("input")
    if err["type"] != "enum" or not isinstance(given, str):
        return ""
    expected = str(err.get("ctx", {}).get("expected", "")).replace(" or ", ", ").split(", ")
    choices = {v.strip("'"): v.strip("'").lower() for v in expected}
    close = difflib.get_close_matches(given.lower(), list(choices.values()), n=1, cutoff=0.6)
    names = [name for name, low in choices.items() if close and low == close[0]]
    return f"; did you mean '{names[0]}'?" if names else ""


def _version_problem(value: object) -> str:
    """The format version is the one field that tells a newer model from a broken one."""
    current = SemanticModel.model_fields["version"].default
    if isinstance(value, int) and not isinstance(value, bool) and value > current:
        return (
            f"version: the model is written for format version {value}, and this crq reads version "
            f"{current}; upgrade crq, or write the model for version {current}"
        )
    return f"version: {value!r} is not a format version; write version: {current} (or leave it out)"


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str]:
    """The field names allowed at ``loc``, found by walking the pydantic classes along the path."""
    cls: type[BaseModel] = SemanticModel
    for key in loc:
        if isinstance(key, int):
            continue
        field = next((f for n, f in cls.model_fields.items() if key in (n, f.alias)), None)
        if field is None:
            return []
        inner = _model_class(field.annotation)
        if inner is None:
            return []
        cls = inner
    return sorted(f.alias or n for n, f in cls.model_fields.items())


def _model_class(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_class(arg)
        if found:
            return found
    return None
