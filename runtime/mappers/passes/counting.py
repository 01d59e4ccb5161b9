"""Whether the answer counts rows, and of which table, or lists the rows themselves."""

from __future__ import annotations

from collections.abc import Callable

from models.intent import DimensionRef, OrderBy
from runtime.mappers.kinds import ItemKind, Role, Use
from runtime.mappers.passes.defaults import after_preposition_word
from runtime.mappers.passes.queries import count_table, unit_dimension
from runtime.mappers.passes.state import State
from runtime.mappers.vocabulary import Kind

# markers that ask for the rows themselves (or about them): a noun phrase said with one is no bare one
_ASKING = frozenset({Role.LIST, Role.WHICH, Role.COUNT, Role.SORT})


def _metric_asked(st: State) -> bool:
    """A metric is asked for and no count: nothing to add."""
    return bool(st.parts.metrics) and not st.count_requested


def _rows_of_which(st: State) -> bool:
    """ "which accounts are in <value>?": the rows themselves, not a count per row."""
    p = st.parts
    if (
        p.metrics
        or st.count_requested
        or st.direction is not None
        or st.grains
        or not st.which_refs
        or p.dimensions != st.which_refs
        or st.having
        or count_table(st, prefer=st.which_tables[0]) not in st.which_tables
    ):
        return False
    st.columns.extend(st.which_refs)
    p.dimensions = []
    return True


def _rows_with_columns(st: State) -> bool:
    """ "show every <entity> with its <columns>": the rows, not a count per row."""
    p = st.parts
    labels = {n for ls in st.vocab.label_dimensions.values() for n in ls}
    if (
        p.metrics
        or st.count_requested
        or st.direction is not None
        or st.grains
        or st.having
        or not st.columns
        or not p.dimensions
        or not all(d.name in labels and d.grain is None for d in p.dimensions)
    ):
        return False
    p.dimensions.extend(c for c in st.columns if c not in p.dimensions)
    st.columns = []
    return True


def _entities_with_rows(st: State) -> bool:
    """ "accounts with public buckets", "list accounts with public buckets": the rows named are of a
    kind the conditions are not on (the conditions are on rows that belong to them); those rows,
    counted per named row, say which ones have them (never the other rows listed, the named kind
    dropped)."""
    p = st.parts
    if p.metrics or p.dimensions or st.partial or st.count_requested or st.which_refs or st.columns:
        return False
    table = count_table(st)
    named = [t for t in dict.fromkeys(st.entity_tables) if t != table]
    if table is None or len(named) != 1 or not (p.filters or p.segments):
        return False
    if named[0] not in st.vocab.reach.get(table, {}) or table not in st.vocab.count_metric:
        return False
    first = next((it for it in st.items if it.kind == ItemKind.TERM), None)
    if first is None or named[0] not in {m.name for m in first.all(Kind.TABLE)}:
        return False  # the named kind opens the question ("buckets in prod accounts" does not)
    labels = st.vocab.label_dimensions.get(named[0], ())
    if not labels:
        return False
    p.dimensions = [DimensionRef(name=n) for n in labels]
    p.metrics.insert(0, st.vocab.count_metric[table])
    return True


def _bare_rows(st: State) -> bool:
    """ "public buckets in production", "ec2 instances running in us-west-2": rows named with no word
    asking to list, show or say which of them, nor to rank, group or sort them, are counted; the
    count is the answer people who type a bare noun phrase expect, and "list them" follows up."""
    p = st.parts
    if (
        p.metrics
        or p.dimensions
        or st.partial
        or st.count_requested
        or st.list_requested
        or st.which_refs
        or st.columns
        or st.grains
        or st.direction is not None
        or st.sort_size
        or st.sort_age
        or st.limit is not None
        or st.having
        or (not p.filters and not p.segments and not st.by_field)
        or any(it.kind == ItemKind.MARKER and set(it.roles) & _ASKING for it in st.items)
    ):
        return False
    return _the_count(st)


def _nothing_to_count(st: State) -> bool:
    """No count is asked for and nothing needs one (a grouping, a series, a ranking or a range of
    rows with no metric would)."""
    p = st.parts
    return not (
        st.count_requested
        or (
            not p.metrics
            and (
                p.dimensions
                or st.grains
                or st.sort_count_table
                or (st.direction and not st.sort_size and not st.sort_age)
                or (p.time_range and not st.list_requested and not st.time_hint)
            )
        )
    )


def _sorted_listing(st: State) -> bool:
    """ "the 10 largest <entities>", "the 3 newest <entities>": a listing sorted by size or date."""
    if st.parts.metrics or st.count_requested:
        return False
    return bool(st.sort_size and unit_dimension(st, "gb")) or st.sort_age


def _follow_up_without_rows(st: State) -> bool:
    """A possible follow-up that names no rows: the previous question decides."""
    return (
        st.partial
        and not st.count_requested
        and not st.entity_tables
        and not st.sort_count_table
        and not st.qualified_tables
    )


def _the_count(st: State) -> bool:
    """The count metric: the counting phrase's own table (or the table that reaches every dimension
    asked about), the table ranked by how many, the phrase's metric, or any count that reaches them."""
    p = st.parts
    default_table = next((t for t, m in st.vocab.count_metric.items() if m == st.count_default), None)
    table = count_table(st, prefer=default_table)
    metric = st.vocab.count_metric.get(table) if table else None
    if metric is None and st.sort_count_table:
        metric = st.vocab.count_metric.get(st.sort_count_table)
    metric = metric or st.count_default
    if metric is None and st.vocab.count_metric and not p.metrics:
        metric = fallback_count(st)
    if metric is None:
        if not p.metrics:
            p.problems.append("what to count")
        return True
    if metric not in p.metrics:
        p.metrics.insert(0, metric)
    return True


# Whether and what to count; the first rule that applies decides (each returns True when it did).
COUNT_RULES: tuple[Callable[[State], bool], ...] = (
    _metric_asked,
    _rows_of_which,
    _rows_with_columns,
    _entities_with_rows,
    _bare_rows,
    _nothing_to_count,
    _sorted_listing,
    _follow_up_without_rows,
    _the_count,
)


def pick_count(st: State) -> None:
    """Whether the answer counts rows, and with which count metric (``COUNT_RULES``): the counting
    phrase's own, the named table's, or one that reaches every dimension and filter asked about; for
    "which <entities> are in <value>" and "every <entity> with its <columns>", the rows themselves
    instead. Reads the ranking, counting, listing and time fields and the parts placed so far; writes
    ``parts.metrics`` (the count first) or moves ``which_refs`` and ``columns`` between the groupings
    and the columns."""
    for rule in COUNT_RULES:
        if rule(st):
            return


def fallback_count(st: State) -> str | None:
    from compiler import catalog_for
    from models.errors import UserError

    catalog = catalog_for(st.vocab.model)
    names = [d.name for d in st.parts.dimensions] + [f.field for f in st.parts.filters]
    for table, metric in st.vocab.count_metric.items():
        try:
            for n in names:
                catalog.resolve_dimension(n, catalog.tables[table], "dimensions")
        except UserError:
            continue
        return metric
    return None


def _one_named(st: State) -> bool:
    """The rows a superlative sorts are named in the singular ("the biggest bucket")."""
    sup = next((k for k, it in enumerate(st.items) if it.kind == ItemKind.SUPER), None)
    if sup is None:
        return st.singular_target
    after = next((it for it in st.items[sup + 1 :] if it.kind == ItemKind.TERM), None)
    return st.singular_target or (after is not None and not after.plural)


def pick_listing(st: State) -> None:
    """With no metric, the rows themselves: the table's label dimensions, the groupings and columns
    said, sorted by size or by date when asked ("the 10 largest <entities>", "the oldest <entity>").
    Reads the counting, ranking and time fields; writes ``parts.listing``, ``parts.dimensions``,
    ``parts.order_by`` and ``parts.limit``."""
    p = st.parts
    if p.metrics:
        p.listing = False
        return
    if st.partial and not st.entity_tables and not st.qualified_tables:
        return
    table = count_table(st)
    if table is None and st.sort_age and not st.sort_size:
        # "the 3 oldest resources": the table's noun read as its labels; the rows are that table's
        # ("the biggest resource" stays asked back: by storage, or by cost?)
        named = {d.name for d in p.dimensions}
        table = next((t for t, ls in st.vocab.label_dimensions.items() if ls and named == set(ls)), None)
    if table is None:
        if p.dimensions:
            p.listing = True
        return
    labels = st.vocab.label_dimensions.get(table, ())
    if not labels:
        return
    p.listing = True
    sorted_by = unit_dimension(st, "gb") if st.sort_size else None  # "the maximum bucket size": no group
    groups = [d for d in p.dimensions if d.grain is None and d.name not in (*labels, sorted_by)]
    dims = [DimensionRef(name=n) for n in labels]
    for d in (*p.dimensions, *st.columns):
        if d not in dims:
            dims.append(d)
    if st.sort_size and (unit_dim := unit_dimension(st, "gb")):
        if not any(d.name == unit_dim for d in dims):  # "biggest buckets by size": said twice, one column
            dims.append(DimensionRef(name=unit_dim))
        p.order_by.append(OrderBy(field=unit_dim, direction=st.direction or "desc"))
        if st.limit is None and _one_named(st):  # "the biggest bucket": one
            p.limit = 1
    elif st.sort_columns:
        reached = [n for n in st.sort_columns if table in st.vocab.reach and _reaches(st, table, n)]
        sorted_on = [n for n in reached if n in labels] or reached
        if len(sorted_on) != 1:
            p.problems.append("sorted by which column" + (f" ({', '.join(sorted_on)})" if sorted_on else ""))
        else:
            if not any(d.name == sorted_on[0] for d in dims):
                dims.append(DimensionRef(name=sorted_on[0]))
            way = st.direction or ("desc" if sorted_on[0] in st.vocab.number_dimensions else "asc")
            p.order_by.append(OrderBy(field=sorted_on[0], direction=way))
    elif st.sort_age:
        own = st.vocab.table_time_dimensions.get(table, [])
        when = st.time_hint if st.time_hint in own else (own[0] if len(own) == 1 else None)
        if when is None:
            p.problems.append("oldest or newest by which date" + (f" ({', '.join(own)})" if own else ""))
            p.suggestions.extend(own)
        else:
            if not any(d.name == when for d in dims):
                dims.append(DimensionRef(name=when))
            p.order_by.append(OrderBy(field=when, direction=st.direction or "asc"))
            if st.limit is None and st.singular_target:
                p.limit = 1
    p.dimensions = dims
    if p.limit is not None and groups and (st.sort_size or st.sort_age):
        # "the largest volume in each region": one row per group is a ranking within each group,
        # which a listing's limit cannot say (it would keep the largest overall)
        which = "largest" if st.sort_size else "oldest"
        group = groups[-1].name.replace("_", " ")
        p.problems.append(f"the {which} per {group}: I can rank the whole list, not within each group")
        p.suggestions.append(f"list them by {group}, {which} first")


def _reaches(st: State, table: str, dimension: str) -> bool:
    """Whether the rows of ``table`` have ``dimension``: their own or through a to-one join."""
    return bool(set(st.vocab.tables_of(dimension)) & set(st.vocab.reach.get(table, {table: 0})))


def ask_dropped_rows(st: State) -> None:
    """ "how many <state> accounts" where the state is one of resources: the count would be of the
    resources, the accounts named dropped; "list accounts and how many resources each has": the rows
    named, each given the count. A count of another kind of rows than the ones named, with those not
    grouped, is grouped by them when the question says "each", and asked back otherwise.

    Reads the entity terms, the metrics and the groupings; writes ``parts.dimensions`` or a problem."""
    p = st.parts
    counts = set(st.vocab.count_metric.values())
    if not p.metrics or not all(m in counts for m in p.metrics) or p.problems:
        return
    counted = {t for m in p.metrics for t in st.vocab.metric_tables.get(m, ())}
    shown = {d.name for d in p.dimensions}
    for it in st.items:
        if it.kind != ItemKind.TERM or st.use_of(it) != Use.ENTITY or not it.has(Kind.TABLE):
            continue
        if after_preposition_word(st, it):  # "across all our accounts": where, not what is counted
            continue
        tables = {m.name for m in it.all(Kind.TABLE)}
        labels = [n for t in sorted(tables) for n in st.vocab.label_dimensions.get(t, ())]
        if tables & counted or shown & set(labels) or not labels:
            continue
        each = any(
            x.kind == ItemKind.MARKER and Role.GROUP in x.roles and not st.is_bound(x) and x.start > it.end
            for x in st.items
        )
        if each and all(t in st.vocab.reach.get(c, {}) for t in tables for c in counted):
            p.dimensions.extend(DimensionRef(name=n) for n in labels)  # "... how many resources each has"
            return
        what = ", ".join(sorted(counted))
        p.problems.append(f"'{it.text}': the conditions say which {what} to count, not which {it.text}")
        p.suggestions.extend(m.replace("_", " ") + f" by {it.text}" for m in p.metrics[:1])
        return
