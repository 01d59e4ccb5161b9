"""Where each value of a YAML document came from, so that every issue can name file:line:col."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]


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

    def path_of_named(self, collection: Path, name: str) -> Path:
        """The path of the list item under ``collection`` whose ``name`` is ``name`` (else the list)."""
        i = 0
        while collection + (i,) in self.positions:
            if self.names.get(collection + (i,)) == name:
                return collection + (i,)
            i += 1
        return collection


def build_source_map(text: str, file: str) -> SourceMap:
    """Compose the YAML (no object construction) and record every node's start mark by path."""
    positions: dict[Path, tuple[int, int]] = {}
    names: dict[Path, str] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)

    def walk(node: yaml.Node, path: Path) -> None:
        positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    child = path + (key.value,)
                    walk(value, child)
                    # point at the key, not the value: "line 12: name: foo" reads better
                    positions[child] = (key.start_mark.line + 1, key.start_mark.column + 1)
                    if key.value == "name" and isinstance(value, yaml.ScalarNode):
                        names[path] = value.value
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return SourceMap(file, positions, names)
