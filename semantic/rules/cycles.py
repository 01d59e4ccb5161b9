"""E150 a cycle of relationships, E151 a cycle of metrics, E152/E153 metrics nested too deep to compile.

The join planner walks relationships from the many side to the one side; a cycle means some table is
both above and below another, so join paths are ambiguous and fan-out reasoning breaks. A metric that
(indirectly) refers to itself can never be computed.

The compiler writes a ratio or derived metric by expanding the metrics it names, recursively, into one
SQL expression. A chain of 2,000 derived metrics has no cycle, yet every query naming its top overflows
Python's recursion limit; ten levels of ``m = n / n`` write the base aggregate 1,024 times. Both are
refused with the chain that causes them. Models are untrusted input, so nothing here recurses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from models.errors import Issue
from models.semantic_model import MetricType, SemanticModel
from semantic.expressions import ExpressionError, parse_expression
from semantic.rules._common import make_issue
from semantic.source_map import Path, SourceMap

MAX_CYCLES = 20
MAX_LEVELS = 20
MAX_SQL_DEPTH = 100  # levels of a metric's expanded SQL; sqlglot writes ~280 before the recursion limit
MAX_AGGREGATES = 1000


def _components(edges: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Each node's strongly connected component (Tarjan's, iteratively): nodes on a common cycle share one.

    Lets the cycle search skip dead ends in linear time; a chain of 2,000 metrics must not cost 2,000².
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    stack: list[str] = []
    for root in edges:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        work = [(root, iter(edges[root]))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    while (member := stack.pop()) != node:
                        component[member] = index[node]
                    component[node] = index[node]
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(edges.get(child, ()))))
            elif child not in component:  # still on the stack: part of the current component
                low[node] = min(low[node], index[child])
    return component


def simple_cycles(order: Sequence[str], edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each elementary cycle once, starting at its earliest node in ``order`` (so reports are stable)."""
    rank = {n: i for i, n in enumerate(order)}
    component = _components(edges)
    size = Counter(component.values())
    cycles: list[list[str]] = []
    for start in order:
        if size[component.get(start, -1)] < 2 and start not in edges.get(start, ()):  # -1: in no component
            continue  # on no cycle
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
            elif (
                nxt not in path and rank.get(nxt, -1) > rank[start] and component.get(nxt) == component[start]
            ):
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


@dataclass(frozen=True)
class _Mention:
    """A mention of another metric: ``key`` holds it, ``depth`` is how deep it sits in the SQL."""

    metric: str
    key: str
    depth: int


@dataclass(frozen=True)
class _Expanded:
    levels: int  # metrics along the longest chain, this one included
    sql_depth: int
    aggregates: int  # capped at MAX_AGGREGATES + 1
    longest: _Mention | None  # the next metric on the longest chain
    deepest: _Mention | None  # the next metric on the deepest SQL path


def _mentions(model: SemanticModel) -> dict[str, list[_Mention]]:
    """The metrics each metric mentions, once per mention, as the compiler expands them."""
    out: dict[str, list[_Mention]] = {}
    for metric in model.metrics:
        found: list[_Mention] = []
        if metric.type == MetricType.RATIO:  # CAST(numerator AS NUMERIC) / NULLIF(denominator, 0)
            found = [
                _Mention(metric.numerator or "", "numerator", 2),
                _Mention(metric.denominator or "", "denominator", 2),
            ]
        elif metric.type == MetricType.DERIVED and metric.expr is not None:
            try:
                tree = parse_expression(metric.expr)
            except ExpressionError:
                pass  # reported by the expressions rule
            else:  # each mention becomes CAST(<metric> AS NUMERIC)
                found = [_Mention(c.name, "expr", _ancestors(c) + 1) for c in tree.find_all(exp.Column)]
        out.setdefault(metric.name, found)  # the first of two same-named metrics, as the compiler's index
    return out


def _ancestors(node: exp.Expr) -> int:
    count = 0
    while node.parent is not None:
        node, count = node.parent, count + 1
    return count


def _positions(model: SemanticModel) -> dict[str, int]:
    """Each metric name's index, the first where a name repeats (duplicates are unique_names' business)."""
    out: dict[str, int] = {}
    for mi, metric in enumerate(model.metrics):
        out.setdefault(metric.name, mi)
    return out


def _metric_cycles(
    model: SemanticModel, mentions: dict[str, list[_Mention]], source: SourceMap
) -> Iterator[Issue]:
    position = _positions(model)
    edges = {
        name: list(dict.fromkeys(m.metric for m in ms if m.metric in mentions))
        for name, ms in mentions.items()
    }
    for cycle in simple_cycles(list(mentions), edges):
        mi = position[cycle[0]]
        key = next(m.key for m in mentions[cycle[0]] if m.metric == cycle[1])
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
        yield make_issue("E151", source, ("metrics", mi), message, at=("metrics", mi, key))


def _expand(mentions: dict[str, list[_Mention]]) -> dict[str, _Expanded]:
    """Every metric's expansion, depth first without recursion (the chains being checked may be long).

    Mentions of unknown metrics are left out (the references rule reports them), and so are mentions
    that close a cycle (the cycles rule reports those).
    """
    done: dict[str, _Expanded] = {}
    for top in mentions:
        todo, on_path = [top], set()
        while todo:
            name = todo[-1]
            if name in done:
                todo.pop()
            elif name not in on_path:
                on_path.add(name)
                todo.extend(
                    m.metric for m in mentions[name] if m.metric in mentions and m.metric not in on_path
                )
            else:
                todo.pop()
                on_path.discard(name)
                known = [m for m in mentions[name] if m.metric in done]
                longest = max(known, key=lambda r: done[r.metric].levels, default=None)
                deepest = max(known, key=lambda r: r.depth + done[r.metric].sql_depth, default=None)
                done[name] = _Expanded(
                    levels=1 + (done[longest.metric].levels if longest else 0),
                    sql_depth=deepest.depth + done[deepest.metric].sql_depth if deepest else 1,
                    aggregates=min(sum(done[r.metric].aggregates for r in known) or 1, MAX_AGGREGATES + 1),
                    longest=longest,
                    deepest=deepest,
                )
    return done


def _chain(name: str, expanded: dict[str, _Expanded], deepest: bool) -> str:
    chain = [name]
    step = expanded[name].deepest if deepest else expanded[name].longest
    while step is not None:
        chain.append(step.metric)
        step = expanded[step.metric].deepest if deepest else expanded[step.metric].longest
    shown = chain if len(chain) <= 8 else [*chain[:4], "...", *chain[-2:]]
    return " -> ".join(shown)


def _too_big(e: _Expanded) -> bool:
    return e.levels > MAX_LEVELS or e.sql_depth > MAX_SQL_DEPTH or e.aggregates > MAX_AGGREGATES


def _problem(name: str, expanded: dict[str, _Expanded]) -> tuple[str, str, _Mention | None]:
    """The code, message and offending mention of a metric that expands beyond a limit."""
    e = expanded[name]
    if e.levels > MAX_LEVELS:
        return (
            "E152",
            f"metric '{name}' is built on metrics {e.levels} levels deep ({_chain(name, expanded, False)}); "
            f"at most {MAX_LEVELS}: point it at metrics nearer to simple ones",
            e.longest,
        )
    if e.sql_depth > MAX_SQL_DEPTH:
        return (
            "E152",
            f"metric '{name}' expands into SQL nested {e.sql_depth} levels deep "
            f"({_chain(name, expanded, True)}); at most {MAX_SQL_DEPTH}: simplify the expressions",
            e.deepest,
        )
    return (
        "E153",
        f"metric '{name}' expands into more than {MAX_AGGREGATES} aggregates, since every mention of a "
        "metric repeats its SQL; mention fewer metrics, or each fewer times",
        None,
    )


def _metric_depth(
    model: SemanticModel, mentions: dict[str, list[_Mention]], source: SourceMap
) -> Iterator[Issue]:
    """Each metric over a limit, unless a metric over a limit mentions it (one issue per chain)."""
    expanded = _expand(mentions)
    over = {name for name, e in expanded.items() if _too_big(e)}
    mentioned = {m.metric for name in over for m in mentions[name]}
    for name, mi in _positions(model).items():
        if name in over and name not in mentioned:
            code, message, mention = _problem(name, expanded)
            at: Path = ("metrics", mi, mention.key) if mention else ("metrics", mi)
            yield make_issue(code, source, ("metrics", mi), message, at=at)


def cycles(model: SemanticModel, source: SourceMap) -> Iterator[Issue]:
    """Relationships and metric references must both form acyclic graphs, and metrics nest shallowly."""
    yield from _relationship_cycles(model, source)
    mentions = _mentions(model)
    yield from _metric_cycles(model, mentions, source)
    yield from _metric_depth(model, mentions, source)
