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



_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster


def parse_yaml(text: str, file: str) -> tuple[object, SourceMap]:
    """Parse once: the node tree gives positions, the same tree is then constructed into data."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return data, _source_map(root, file)


def build_source_map(text: str, file: str) -> SourceMap:
    return parse_yaml(text, file)[1]


def _source_map(root: yaml.Node | None, file: str) -> SourceMap:
    """Record every node's start mark by path (keys point at the key, not the value)."""
    positions: dict[Path, tuple[int, int]] = {}
    names: dict[Path, str] = {}

    def walk(node: yaml.Node, path: Path) -> None:
        positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    child = path + (str(key.value),)
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
