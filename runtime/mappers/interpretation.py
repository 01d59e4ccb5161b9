"""A Reading -> the parts of an Intent, decided from each piece and its neighbours, by ordered passes.

Markers bind first ("by" takes the dimensions after it, "not" the value after it, "top 5" the entity
after it), then every piece left unbound gets its default role (a metric is asked for, a value
filters, a table is what is counted or listed), then the parts are assembled. What could not be
placed is recorded, so the mapper can ask instead of guessing.

The passes live in ``runtime/mappers/passes/`` by concern and share one ``State`` (see
``passes/state.py`` for its fields, where the decisions about each item live, and why passes
mutate it). ``PASSES`` is the whole interpretation,
like sqlglot's optimizer ``RULES``: ``interpret`` runs exactly that tuple, in that order.
"""

from __future__ import annotations

from runtime.mappers.passes.binding import bind_items
from runtime.mappers.passes.comparisons import (
    ask_condition_of_other_rows,
    bind_comparisons,
    check_counted_conditions,
    count_of_haves,
    group_rows_held_to_amounts,
    place_having,
)
from runtime.mappers.passes.counting import ask_dropped_rows, pick_count, pick_listing
from runtime.mappers.passes.defaults import default_roles
from runtime.mappers.passes.filters import (
    absorb_metrics,
    add_implied_metrics,
    ask_contradictions,
    ask_having_none,
    ask_metric_of_metric,
    ask_or_across_fields,
    collect_conditions,
    order_coordinated,
    place_filters,
    segment_side_by_side,
    split_flag_counts,
    two_kinds_joined,
    undo_degenerate_groups,
)
from runtime.mappers.passes.markers import bind_coordination
from runtime.mappers.passes.queries import list_instead
from runtime.mappers.passes.ranking import (
    ask_ranking_within_groups,
    place_order,
    rank_named_rows,
    size_sort_listing,
)
from runtime.mappers.passes.shares import pick_model_ratio, place_share, split_share
from runtime.mappers.passes.state import Parts, Pass, State
from runtime.mappers.passes.time import (
    each_or_average,
    place_change,
    place_grains,
    place_time_dimension,
    read_change,
    unused_date_words,
)
from runtime.mappers.passes.units import place_units
from runtime.mappers.passes.unknowns import ask_about_unknowns, name_unaccounted, unaccounted
from runtime.mappers.passes.words import (
    bind_rate_averages,
    bind_rates,
    note_words,
    read_directions,
    read_totals,
)
from runtime.mappers.reading import Reading
from runtime.mappers.vocabulary import Vocabulary

# Binding: the items' uses, from the most specific reading of a word to its default.
# Order coupling (each needs what the earlier ones produced):
# - read_directions before bind_items: a metric-superlative ("cheapest") sets the direction that a
#   later "top 5" must not override (``generic_rank``).
# - read_totals, bind_rates, bind_rate_averages before bind_items: they rewrite a term's meaning to
#   the metric that sums or averages ("their total size", "over 2,000 a day", "per day on average")
#   and mark the time phrase a rate used as a bound marker, so take_time does not read it as a series
#   and bind_average skips an average already bound.
# - bind_items before bind_coordination: "and" looks at metrics the markers left unbound.
# - bind_coordination, bind_items before bind_comparisons: whether the question groups ("by",
#   "which" that took a dimension) decides between a condition per row and one per group.
# - bind_comparisons before default_roles: a term a comparison took ("compared", "count_subject")
#   keeps that use; ``having`` tells default_roles that a plural table word is a grouping.
# - default_roles before size_sort_listing: it needs to know no term was asked for as a metric.
BINDING: tuple[Pass, ...] = (
    note_words,
    read_directions,
    read_totals,
    bind_rates,
    bind_rate_averages,
    bind_items,
    bind_coordination,
    bind_comparisons,
    default_roles,
    size_sort_listing,
)

# Assembling: the uses become the parts of an intent.
# Order coupling:
# - read_change first: a change turns "from March to April" into now and then, and "in percent" into
#   a percent change (it clears ``ratio_requested``, which collect_conditions, split_share and
#   pick_model_ratio read).
# - collect_conditions, then add_implied_metrics, order_coordinated: metrics in the order said.
# - split_flag_counts before split_share and place_filters: one count per yes/no word takes those
#   conditions out of ``by_field``; split_share then moves the share's part out of it, and only
#   what is left is merged into filters.
# - place_filters before ask_contradictions, segment_side_by_side and undo_degenerate_groups (they
#   read the filters).
# - absorb_metrics before ask_metric_of_metric, pick_model_ratio and place_having (a derived metric
#   absorbs its base one first, so they see the metrics asked for).
# - place_having before count_of_haves and pick_count: a count is only added when no metric is asked.
# - group_rows_held_to_amounts right after place_having, before place_grains and place_order: it
#   reads the amount filters place_having wrote and only groups when nothing else does.
# - pick_count before place_share: a share of a count needs the counted metric.
# - check_counted_conditions, undo_degenerate_groups before pick_listing: a listing is chosen only
#   when no metric remains, with the groupings final.
# - place_grains before each_or_average: "cost per day by day" is grouped by the period, no question.
# - pick_listing before place_grains and place_order: a listing sorts rows, a series needs a metric's
#   date; place_order before place_time_dimension and place_change (it adds the sorted-by metric,
#   whose date the range applies to, and place_change flips the order a fall asks for).
# - place_units last but for the notes: it reads the final metrics and filters.
ASSEMBLY: tuple[Pass, ...] = (
    read_change,
    collect_conditions,
    add_implied_metrics,
    order_coordinated,
    two_kinds_joined,
    split_flag_counts,
    split_share,
    place_filters,
    ask_contradictions,
    ask_or_across_fields,
    ask_having_none,
    segment_side_by_side,
    absorb_metrics,
    ask_metric_of_metric,
    pick_model_ratio,
    place_having,
    group_rows_held_to_amounts,
    count_of_haves,
    pick_count,
    ask_dropped_rows,
    place_share,
    check_counted_conditions,
    undo_degenerate_groups,
    pick_listing,
    ask_condition_of_other_rows,
    place_grains,
    each_or_average,
    place_order,
    rank_named_rows,
    ask_ranking_within_groups,
    place_time_dimension,
    place_change,
    unused_date_words,
    place_units,
)

# Notes: what was not understood, once every part is placed (``unaccounted`` reads the problems
# ``ask_about_unknowns`` wrote, so it names each word once).
NOTES: tuple[Pass, ...] = (ask_about_unknowns, name_unaccounted)

PASSES: tuple[Pass, ...] = (*BINDING, *ASSEMBLY, *NOTES)


def interpret(
    reading: Reading,
    vocab: Vocabulary,
    partial: bool = False,
    filtered_before: frozenset[str] = frozenset(),
    metrics_before: tuple[str, ...] = (),
    grouped_before: bool = False,
) -> Parts:
    """Read ``reading`` into parts by running ``PASSES``. The reading is immutable and what the passes
    decide lives in the state, so the mapper can interpret one reading twice (as a follow-up, then as
    a new question) without copying it. ``filtered_before``: the fields the question a follow-up
    follows filtered by, ``metrics_before`` the metrics it asked for, ``grouped_before`` whether it
    grouped."""
    state = State.start(reading, vocab, partial, filtered_before, metrics_before, grouped_before)
    for step in PASSES:
        step(state)
    return state.parts


__all__ = ["ASSEMBLY", "BINDING", "NOTES", "PASSES", "Parts", "interpret", "list_instead", "unaccounted"]
