"""Where each value of a YAML document came from, so that every issue can name file:line:col.

Model files are untrusted input (analysts edit them, CI validates pull requests), so the data is built
here from libyaml's events rather than by PyYAML's composer and constructor: the composer recurses in C
(60 KB of ``[`` overflows the stack) and shares aliased nodes, so a few hundred bytes of nested aliases
expand into billions of values in any walk over the tree. Building from events enforces the limits below
as it goes, each refused where the file crosses it, and is faster than the composer, the constructor and
a walk recording positions together (2.7 ms instead of 4.0 ms for the shipped model). Anything a model
has no use for is refused: aliases, merge keys, tags other than plain scalars', a second document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

Path = tuple[str | int, ...]

MAX_DEPTH = 64  # the shipped model nests 8 levels; deep nesting only serves to exhaust the stack
MAX_NODES = 250_000  # about what 3 MB of a realistic model holds (the shipped 16 KB holds 1,400)
MAX_INT_CHARS = 100  # longer integers trip Python's int/str conversion limit (ValueError)
_YAML = "tag:yaml.org,2002:"
_STR, _INT, _SEQ, _MAP, _MERGE, _VALUE = (_YAML + t for t in ("str", "int", "seq", "map", "merge", "value"))
# what a scalar may be; !!set, !!omap, a custom tag and the like are refused (E007)
_SCALAR_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary"))


@dataclass(frozen=True)
class SourceMap:
    """Maps a path into the parsed document (keys and list indexes) to its 1-based line and column."""

    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    names: dict[Path, str] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def describe(self, loc: Path) -> str:
        """'tables[resources].dimensions[region]' reads better than a list index."""
        parts: list[str] = []
        for i, key in enumerate(loc):
            if isinstance(key, int) and parts:
                name = self.names.get(tuple(loc[: i + 1]))
                parts[-1] += f"[{name or key}]"
            else:
                parts.append(str(key))
        return ".".join(parts) or "model"


class _Marked(Protocol):
    """PyYAML's Mark or libyaml's: both say where."""

    line: int
    column: int


class ModelFileError(Exception):
    """A model file crq refuses to read, with the issue code and where (the loader makes it an Issue)."""

    def __init__(self, code: str, message: str, mark: _Marked | None):
        super().__init__(message)
        assert mark is not None  # a parser marks every event; the stubs allow None
        self.code = code
        self.message = message
        self.line = mark.line + 1
        self.col = mark.column + 1


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
# The first characters of a plain scalar that the safe loader may read as other than a string (a
# number, a bool, null, a date, merge, value): most scalars of a model are words and skip resolving
# (a third of parsing). Only while the loader resolves by first character alone, as PyYAML's does.
_MAYBE_TYPED = frozenset(k for k in _Loader.yaml_implicit_resolvers if k)
_WORDS_ARE_STRINGS = not _Loader.yaml_path_resolvers and None not in _Loader.yaml_implicit_resolvers


def parse_yaml(text: str, file: str) -> tuple[object, SourceMap]:
    """Parse once: libyaml's events are built into data while each value's position is recorded.

    Raises yaml.YAMLError for malformed YAML and ModelFileError for YAML crq refuses to read.
    """
    loader = _Loader(text)
    try:
        return _compose(loader, file)
    finally:
        loader.dispose()


def build_source_map(text: str, file: str) -> SourceMap:
    return parse_yaml(text, file)[1]


_NO_KEY = object()


@dataclass(slots=True)
class _Open:
    """A list or dict being filled; a dict's key waits in ``key`` for its value."""

    value: list[object] | dict[object, object]
    path: Path
    mark: yaml.Mark
    key: object = _NO_KEY
    key_text: str = ""
    key_mark: _Marked | None = None


def _compose(loader: yaml.SafeLoader | yaml.CSafeLoader, file: str) -> tuple[object, SourceMap]:
    """The single document's data and each value's position by path (a mapping value's is its key's)."""
    source = SourceMap(file)
    stack: list[_Open] = []
    root: object = None
    count = documents = 0
    while True:
        event: Any = loader.get_event()  # narrowed by `kind is ...` below, which mypy does not follow
        kind = type(event)
        if kind is SequenceEndEvent or kind is MappingEndEvent:
            stack.pop()
            continue
        if kind is StreamEndEvent:
            return root, source
        if kind is AliasEvent:
            raise ModelFileError(
                "E007",
                f"YAML alias *{event.anchor} is not allowed in a model; write the value out",
                event.start_mark,
            )
        if kind is DocumentStartEvent and (documents := documents + 1) > 1:
            raise ComposerError(
                "expected a single document in the stream",
                None,
                "but found another document",
                event.start_mark,
            )
        if kind is not ScalarEvent and kind is not SequenceStartEvent and kind is not MappingStartEvent:
            continue  # the start of the stream or document, the end of the document
        count += 1
        if count > MAX_NODES:
            raise ModelFileError(
                "E005", f"the model has more than {MAX_NODES:,} YAML values", event.start_mark
            )
        parent = stack[-1] if stack else None
        is_key = parent is not None and type(parent.value) is dict and parent.key is _NO_KEY
        if parent is None:
            path: Path = ()
        elif type(parent.value) is list:
            path = (*parent.path, len(parent.value))
        else:
            path = parent.path if is_key else (*parent.path, parent.key_text)
        if kind is ScalarEvent:
            value: object = _scalar(loader, event, path, source)
        elif event.tag not in (None, "!", _SEQ if kind is SequenceStartEvent else _MAP):
            raise ModelFileError("E007", _tag_not_allowed(event.tag), event.start_mark)
        elif len(stack) == MAX_DEPTH:
            raise ModelFileError("E008", f"the YAML nests deeper than {MAX_DEPTH} levels", event.start_mark)
        else:
            value = [] if kind is SequenceStartEvent else {}
        if parent is None:
            root = value
            source.positions[()] = (event.start_mark.line + 1, event.start_mark.column + 1)
        elif is_key:
            if kind is not ScalarEvent:  # a list or dict as a key: PyYAML refuses it the same way
                raise ConstructorError(
                    "while constructing a mapping", parent.mark, "found unhashable key", event.start_mark
                )
            parent.key, parent.key_text, parent.key_mark = value, event.value, event.start_mark
        else:
            _place(parent, value, event, path, source)
        if kind is not ScalarEvent:
            stack.append(_Open(value, path, event.start_mark))  # type: ignore[arg-type]  # the [] or {} above


def _place(parent: _Open, value: object, event: yaml.NodeEvent, path: Path, source: SourceMap) -> None:
    """Put ``value`` into its list, or under its key, and record where it is."""
    mark: _Marked | None = event.start_mark
    if isinstance(parent.value, list):
        parent.value.append(value)
    else:
        parent.value[parent.key] = value
        mark = parent.key_mark  # "line 12: name: foo" reads better than the value's column
        if parent.key_text == "name" and type(event) is ScalarEvent:
            source.names[parent.path] = event.value
        parent.key = _NO_KEY
    assert mark is not None  # a parser marks every event
    source.positions[path] = (mark.line + 1, mark.column + 1)


def _scalar(
    loader: yaml.SafeLoader | yaml.CSafeLoader, event: ScalarEvent, path: Path, source: SourceMap
) -> object:
    """The scalar's value, typed as PyYAML's safe loader types it, and plain Python errors located."""
    tag = event.tag
    if tag is None and _WORDS_ARE_STRINGS:
        value: str = event.value
        if not event.implicit[0] or (value and value[0] not in _MAYBE_TYPED):  # quoted, or a word
            return value
    if tag is None or tag == "!":
        # Resolver.resolve is unannotated in PyYAML's stubs
        tag = loader.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    if tag in (_STR, _VALUE):  # a plain "=" (op: =) is the string, not PyYAML's unloadable !!value
        return event.value
    if tag == _MERGE:
        raise ModelFileError(
            "E007", "YAML merge keys (<<) are not allowed in a model; write the keys out", event.start_mark
        )
    if tag not in _SCALAR_TAGS:
        raise ModelFileError("E007", _tag_not_allowed(tag), event.start_mark)
    if tag == _INT and len(event.value) > MAX_INT_CHARS:
        raise ModelFileError(
            "E004",
            f"{source.describe(path)}: an integer of {len(event.value)} characters; at most {MAX_INT_CHARS}",
            event.start_mark,
        )
    try:
        # libyaml's marks serve as well as PyYAML's, which are the only ones the stubs name
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)  # type: ignore[arg-type]
        return loader.construct_object(node)
    except (ValueError, KeyError, AttributeError, IndexError) as e:  # 2026-13-45, !!bool maybe, !!int ""
        reason = f" ({e})" if isinstance(e, ValueError) else ""
        raise ModelFileError(
            "E004",
            f"{source.describe(path)}: {event.value[:40]!r} is not a valid {tag.rsplit(':', 1)[-1]}{reason}",
            event.start_mark,
        ) from None


def _tag_not_allowed(tag: str) -> str:
    return f"YAML tag {tag.replace(_YAML, '!!')} is not allowed in a model"
