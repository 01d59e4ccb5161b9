"""Load a semantic model from YAML and report every problem in it at once, located by file:line:col."""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from models.errors import Issue, ModelValidationError
from models.semantic_model import SemanticModel
from semantic.rules import RULES
from semantic.source_map import SourceMap, parse_yaml

DEFAULT_MODEL = Path(__file__).parent / "models" / "cloud_inventory.yaml"


def check_model_text(text: str, file: str = "<model>") -> tuple[SemanticModel | None, list[Issue]]:
    """Parse and validate; return the model (None if it cannot be built) and every issue found."""
    try:
        data, source = parse_yaml(text, file)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(e, "problem", None) or str(e)
        return None, [Issue("E001", f"YAML syntax error: {problem}", file, line, col)]
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
        text = path.read_text()
    except OSError as e:
        return None, [Issue("E000", f"cannot read the model: {e.strerror}", str(path), 0, 0)]
    return check_model_text(text, str(path))


def load_model(path: str | Path | None = None) -> SemanticModel:
    """The validated model; raises ModelValidationError listing every error."""
    return _load_cached(str(Path(path or DEFAULT_MODEL).resolve()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> SemanticModel:
    model, issues = check_model(path)
    errors = [i for i in issues if i.level == "error"]
    if errors or model is None:
        raise ModelValidationError(errors)
    return model


def _schema_issue(err: dict, source: SourceMap) -> Issue:  # type: ignore[type-arg]
    loc = tuple(err["loc"])
    line, col = source.locate(loc)
    where = source.describe(loc)
    if err["type"] == "extra_forbidden":
        field = str(loc[-1])
        allowed = _allowed_fields(loc[:-1])
        hint = difflib.get_close_matches(field, allowed, n=1)
        fix = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
        return Issue("E002", f"{where}: unknown field '{field}'{fix}", source.file, line, col)
    if err["type"] == "missing":
        where = source.describe(loc[:-1])
        return Issue("E003", f"{where}: missing required field '{loc[-1]}'", source.file, line, col)
    return Issue("E004", f"{where}: {err['msg']}", source.file, line, col)


def _allowed_fields(loc: tuple) -> list[str]:  # type: ignore[type-arg]
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
