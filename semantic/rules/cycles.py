"""E150 a cycle of relationships, E151 a cycle of metrics.

The join planner walks relationships from the many side to the one side; a cycle means some table is
both above and below another, so join paths are ambiguous and fan-out reasoning breaks. A metric that
(indirectly) refers to itself can never be computed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from models.errors import Issue
from models.semantic_model import MetricType, SemanticModel
from semantic.expressions import ExpressionError, column_names, parse_expression
from semantic.rules._common import make_issue
from semantic.source_map import Path, SourceMap

MAX_CYCLES = 20


def _reach(edges: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """For each node, every node reachable from it; lets the cycle search skip dead ends."""
    out: dict[str, set[str]] = {}
    for start in edges:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        out[start] = seen
    return out


def simple_cycles(order: Sequence[str], edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each elementary cycle once, starting at its earliest node in ``order`` (so reports are stable)."""
    rank = {n: i for i, n in enumerate(order)}
    reach = _reach(edges)
    cycles: list[list[str]] = []
    for start in order:
        if start not in reach.get(start, set()):
            continue
        path = [start]
        stack = [iter(edges.get(start, ()))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
            elif nxt == start:
                cycles.append([*path, start])
                if len(cycles) >= MAX_CYCLES:
                    return cycles
            elif nxt not in path and rank.get(nxt, -1) > rank[start] and start in reach.get(nxt, set()):
                path.append(nxt)
                stack.append(iter(edges.get(nxt, ())))
    return cycles


def _relationship_cycles(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    tables = {t.name for t in model.tables}
    edges: dict[str, list[str]] = {}
    first_edge: dict[tuple[str, str], int] = {}
    for ri, rel in enumerate(model.relationships):
        a, b = rel.from_table, rel.to_table
        if a == b or a not in tables or b not in tables:
            continue  # self-references and unknown tables are the relationships rule's business
        edges.setdefault(a, [])
        if b not in edges[a]:
            edges[a].append(b)
        first_edge.setdefault((a, b), ri)
    for cycle in simple_cycles([t.name for t in model.tables], edges):
        ri = first_edge[(cycle[0], cycle[1])]
        yield make_issue(
            "E150",
            source,
            ("relationships", ri),
            f"relationships form a cycle {' -> '.join(cycle)}; a relationship points from the many side to "
            "the one side, so a cycle makes join paths ambiguous: remove one of them (a 1:1 link needs a "
            "single relationship with cardinality: one_to_one)",
            at=("relationships", ri, "to"),
        )


def _metric_cycles(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    metrics = {m.name for m in model.metrics}
    edges: dict[str, list[str]] = {}
    where: dict[tuple[str, str], Path] = {}
    for mi, metric in enumerate(model.metrics):
        refs: list[tuple[str, str]] = []
        if metric.type == MetricType.RATIO:
            refs = [(key, getattr(metric, key)) for key in ("numerator", "denominator")]
        elif metric.type == MetricType.DERIVED and metric.expr is not None:
            try:
                refs = [("expr", name) for name in column_names(parse_expression(metric.expr))]
            except ExpressionError:
                continue  # reported by the expressions rule
        for key, ref in refs:
            if ref in metrics:
                edges.setdefault(metric.name, [])
                if ref not in edges[metric.name]:
                    edges[metric.name].append(ref)
                where.setdefault((metric.name, ref), ("metrics", mi, key))
    for cycle in simple_cycles(list(dict.fromkeys(m.name for m in model.metrics)), edges):
        at = where[(cycle[0], cycle[1])]
        text = " -> ".join(cycle)
        if len(cycle) == 2:
            message = (
                f"metric '{cycle[0]}' refers to itself ({text}), so it can never be computed; "
                "point it at other metrics"
            )
        else:
            message = (
                f"metrics refer to each other in a cycle {text}, so none of them can be computed; "
                "break the cycle by pointing one of them at a simple metric"
            )
        yield make_issue("E151", source, at[:2], message, at=at)


def cycles(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Relationships and metric references must both form acyclic graphs."""
    yield from _relationship_cycles(model, source)
    yield from _metric_cycles(model, source)
