"""The deterministic offline mapper: a question in plain English -> an Intent over the semantic model.

No network, no randomness, no language model: the same question, model and values always give the
same Mapping. Everything it knows about the estate comes from the model (see ``vocabulary.py``); the
Python only knows English ("by", "top 5", "excluding", "last month").

When it is not sure, it asks (status ``clarify``) rather than answering a different question; when it
dropped words or read a typo as a known word, it answers with ``complete=False`` and a note naming
them, so a hybrid mapper can double-check with the LLM, and the service asks the user back rather
than answer a reading of part of the question.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Mapping as MappingType
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from compiler import catalog_for
from compiler.resolve import resolve
from compiler.time_range import resolve_time_range
from models.errors import DatesDoNotOverlap, IntentError, PeriodBeforeDates, UserError
from models.intent import Cumulative, DimensionRef, Filter, Grain, Intent, MetricUnit, Op, OrderBy, Share
from models.responses import Mapping
from models.semantic_model import SemanticModel
from runtime.describe import describe_filter, interpreted_as
from runtime.mappers.average_groups import averaged_groups
from runtime.mappers.count_groups import count_lead, counted_groups
from runtime.mappers.english import (
    AMOUNT_WORDS,
    AND_WORDS,
    ASKING_OPENERS,
    BACK_REFERENCES,
    CONTINUING_OPENERS,
    COUNT_HEADS,
    HAVING_WORDS,
    HELP_PHRASES,
    HELP_WORDS,
    JUDGEMENT_FIGURES,
    JUDGEMENT_OPENERS,
    JUDGEMENT_PHRASES,
    JUDGEMENT_WORDS,
    KNOWN_WORDS,
    LIMIT_WORDS,
    LIST_INSTEAD,
    NUMBER_WORDS,
    PROJECTING_WORDS,
    RATE_PHRASES,
    RATIO_OF_WORDS,
    REVERSE_FILLER,
    TIME_LEFTOVERS,
    TIME_UNIT_LEADS,
    TIME_UNIT_SHORTHANDS,
    UNITS,
    VERB_MONTHS,
    ordinal_number,
)
from runtime.mappers.follow_ups import (
    adds_to_last,
    all_rows_question,
    asks_for_rows,
    conditions_as_columns,
    conditions_on_added,
    counts_no_rows,
    kept_without_kind,
    kind_fields,
    kind_questions,
    looks_like_follow_up,
    lost_ranking,
    lost_threshold,
    merge_follow_up,
    only_a_metric,
    points_back,
    ranked_rows_lost,
    ranked_rows_word,
    regroup_lost,
    series_dimension,
    unfit_units,
)
from runtime.mappers.interpretation import Parts, interpret
from runtime.mappers.kinds import Direction, ItemKind, QuantityKind, Role
from runtime.mappers.passes.queries import metrics_in_words, reaches, without_rate_series
from runtime.mappers.reading import Item, Reading, read_question
from runtime.mappers.refusals import refusal_reason
from runtime.mappers.senses import Senses, choose_senses, values_of
from runtime.mappers.spelling import Speller
from runtime.mappers.tokens import Token, phrase_key, singular, tokenize
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary

logger = logging.getLogger(__name__)
# Checking names does not depend on the date; a far as-of keeps explicit past dates valid.
_CHECK_AS_OF = dt.date(2199, 12, 31)


class OfflineMapper:
    """Reads questions with the vocabulary of one model; build once, call ``map`` many times."""

    name = "offline"

    def __init__(
        self,
        model: SemanticModel,
        values: MappingType[str, Sequence[str]] | None = None,
        as_of: dt.date | None = None,
    ):
        self.model = model
        self.as_of = as_of
        self.vocab = Vocabulary.build(model, values)
        value_words = {
            key[0]
            for key, meanings in self.vocab.phrases.items()
            if len(key) == 1 and all(m.kind in (Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT) for m in meanings)
        } - KNOWN_WORDS
        senses = {
            key[0]: frozenset((m.kind, m.name) for m in meanings)
            for key, meanings in self.vocab.phrases.items()
            if len(key) == 1 and meanings
        }
        self._speller = Speller(
            {w for key in self.vocab.phrases for w in key} | KNOWN_WORDS, VERB_MONTHS, value_words, senses
        )
        self._phrases = [" ".join(k) for k in self.vocab.phrases]
        self._catalog = catalog_for(model)
        self._local = threading.local()  # .checking: a suggested question is being checked (``_works``)

    def map(self, question: str, previous: Intent | None = None, *, as_of: dt.date | None = None) -> Mapping:
        """``as_of`` only dates phrases the user wrote without a year ("since February", "May 3");
        relative ranges stay relative for the compiler to resolve. Never raises: a reading that
        fails is a question to ask back, not an error page."""
        try:
            day = as_of or self.as_of or dt.date.today()
            mapping = self._map(question, previous, day)
            if (
                previous is None
                and _ON_AVERAGE.search(question)
                and (averaged := self._averaged_groups(question, day))
            ):
                # "on average, how much storage does each account have": each account's total averaged,
                # not the model's average size of a resource, per account
                return averaged
            if previous is None and mapping.status != "refused" and not (mapping.intent and mapping.complete):
                # "how many regions have ...", "average cost per account"
                return self._counted_groups(question, day) or self._averaged_groups(question, day) or mapping
            narrowed = self._threshold_scope(mapping.intent) if mapping.status == "answered" else None
            if narrowed is None and mapping.status == "answered":
                narrowed = self._threshold_on_other_rows(question, mapping.intent, day)
            answered = mapping.status == "answered"
            if narrowed is None and answered and _listing_held_to_count(mapping.intent, self.vocab):
                # "which european regions have no public databases" read as a list of databases, each
                # held to a count: every row counts 1, so the answer would be no data or every row
                narrowed = "a count held to a number, on a list of single rows: which groups should pass it?"
            if narrowed is None and mapping.status == "answered" and " their " in f" {question.lower()} ":
                narrowed = self._threshold_per_pair(mapping.intent)
            if narrowed is not None:
                return self._clarify(narrowed, self._examples())
            held = (
                self._held_per_group(question, mapping.intent)
                if previous is None and mapping.intent
                else None
            )
            if held is not None:
                # "how many accounts in each environment spent over 10k": each account is held to the
                # amount, not each environment's total; the groups counted per group, else asked back
                return self._counted_groups(question, day) or self._clarify(
                    f"each of the {held} held to that number, counted within each group: I would hold "
                    f"each group's total to it instead; ask for the {held} as a list",
                    self._examples(),
                )
            return mapping
        except (ValueError, KeyError, IndexError, TypeError, AssertionError) as e:
            # a bug in a pass: the user is asked to rephrase, and the log keeps what broke, to fix it
            logger.exception("offline mapper failed on a question", extra={"question": question[:300]})
            return self._clarify(
                f"I could not read that question ({type(e).__name__}); try rephrasing it", self._examples()
            )

    def _map(self, question: str, previous: Intent | None, as_of: dt.date) -> Mapping:
        text = _UNIT_IN_BRACKETS.sub(_unit_said, (question or "").strip())
        text = _SNAKE_NAME.sub(self._name_as_words, text)
        text = _SPENT_NOTHING.sub(r"\1 exactly $0", text)  # "which accounts spent nothing on eks"
        text = _ZERO_ROWS.sub(r"\1 no ", text)  # "accounts with zero public buckets"
        text = _OCCASION.sub("", text)  # "for the quarterly review": no series by quarter
        text = _MOST_RECENT.sub("newest ", text).replace("newest  ", "newest ")
        text = _COMPARE_AND.sub(r"\1\2 vs \3", text)  # "compare may and april cost": a change
        text = _CHANGED_VS.sub(_changed_between, text)  # "changed this quarter vs last quarter"
        text = _HALF_VS_HALF.sub(_halves_of_one_period, text)  # "first half vs second half of may"
        text = _H_VS_H.sub(lambda m: f"{m[1]} {m[4]} {m[2]} {m[3]} {m[4]}", text)  # "h1 vs h2 2025"
        if not text:
            return self._clarify(f"ask a question about {self._topic()}", self._examples())
        tokens = tokenize(text)
        reason = refusal_reason(text, tokens)
        if reason:
            return Mapping(status="refused", message=reason)
        negative = _NEGATIVE.search(text)
        if negative:  # words drop the sign ("top -3" would read as "top 3"): ask, do not guess
            return self._clarify(
                f"'{negative.group()}' is a negative number, and no count, limit or amount here can be "
                "one; ask without the minus sign",
                (_NEGATIVE.sub(lambda m: m.group()[1:], text),),
            )
        verified = self.vocab.verified.get(phrase_key(text))
        if verified is not None:
            return Mapping(status="answered", intent=verified, message=interpreted_as(verified))

        if previous is not None:
            text = _CHANGE_IT_TO.sub("", text)  # "change the period to Q1": Q1 instead, not a change in cost
            text = _BARE_MAY.sub(r"\1 in \2", text)  # "and May?": the month, in a follow-up
            text = _part_of_previous(_elided_unit(text, previous), previous, as_of)
            tokens = tokenize(text)
        distributed, split_fields = self._distributed(text, tokens)
        split_counts = distributed != text
        text = distributed
        reading = read_question(text, self.vocab, as_of)
        corrected = self._spelling(reading)
        read_as: list[str] = []
        if corrected:
            as_read, read_as = _corrected(text, reading.tokens, corrected)
            reading = read_question(as_read, self.vocab, as_of)
            tokens = list(reading.tokens)
        if previous is not None and (of_count := self._share_of_count(previous, reading, as_of)) is not None:
            return Mapping(status="answered", intent=of_count, message=interpreted_as(of_count))
        position = _ordinal_only(tokens) if previous is not None and previous.order_by else None
        if previous is not None and position is not None:
            # "most expensive account last month" -> "and the second?": the next row of that ranking;
            # after "top 3 services", the second of them (its place in the same ranking)
            last = previous.model_copy(update={"previous": None})
            intent = previous.model_copy(update={"limit": 1, "offset": position - 1, "previous": last})
            return Mapping(status="answered", intent=intent, message=interpreted_as(intent))
        if previous is not None and (ranked := self._ranking_only(reading, previous)) is not None:
            # "cost by service this month" -> "top 3 by cost", "the 3 most expensive": that answer ranked
            if isinstance(ranked, Mapping):
                return ranked
            ranked = self._ranked_groups_named(ranked)  # "cost by owner" -> "top 3": no "none" owner
            return Mapping(status="answered", intent=ranked, message=interpreted_as(ranked))
        if previous is not None and not previous.order_by and _reverse_only(tokens):
            first = next(iter(previous.metrics), None)
            return self._clarify(
                "the last answer was not ranked, so it has no way to turn; rank it first",
                self._answered(*((f"lowest {first.replace('_', ' ')} first",) if first else ())),
            )
        if previous is not None and previous.order_by and _reverse_only(tokens):
            # "sorted the other way", "reverse the order": the same ranking, each way turned
            last = previous.model_copy(update={"previous": None})
            turned = tuple(
                o.model_copy(update={"direction": "asc" if o.direction == "desc" else "desc"})
                for o in previous.order_by
            )
            intent = previous.model_copy(update={"order_by": turned, "offset": None, "previous": last})
            return Mapping(status="answered", intent=intent, message=interpreted_as(intent))
        if previous is not None and previous.limit is not None:
            limit = _new_limit(tokens)
            words = {t.text for t in tokens}
            way = previous.order_by[0].direction if previous.order_by else "desc"
            if limit is not None and not (
                "top" in words and way == "asc"
            ):  # "make it 10": the same ranking, a different length
                last = previous.model_copy(update={"previous": None})
                intent = previous.model_copy(update={"limit": limit, "offset": None, "previous": last})
                return Mapping(status="answered", intent=intent, message=interpreted_as(intent))
        if _counts_nothing_named(reading):  # "how many?", "how many is that?"
            return self._count_of_previous(previous, reading, read_as)
        if previous is not None:
            parts = _interpret(choose_senses(reading, self.vocab, previous), self.vocab, previous)
            if parts.having_none is not None:
                return self._map(_none_as_zero(tokens, parts.having_none), previous, as_of)
            if _had_none(previous, self.vocab) and any(
                it.kind == ItemKind.MARKER and Role.NEG in it.roles for it in reading.items
            ):
                # "which accounts have no public buckets" -> "and no public databases?": none of
                # either is a count of both kinds held to 0, which a follow-up would read as "not"
                return self._clarify(
                    "groups that have none of two kinds: ask it in full (e.g. 'which accounts have no "
                    "<these> and no <those>' as two questions)",
                    self._examples(),
                )
            # "who owns it?", "how many instances there?" after a ranked answer: about its rows
            ranked_back = previous.limit is not None and ranked_rows_word(tokens) is not None
            if ranked_back and not (self._usable(parts) or asks_for_rows(tokens, parts)):
                pointer = ranked_rows_word(tokens) or ""
                return self._clarify(
                    ranked_rows_lost(pointer, previous.limit or 0),
                    self._answered(*all_rows_question(previous, tokens, self.vocab, previous.time_range)),
                )
            if (looks_like_follow_up(tokens, parts, reading) or ranked_back) and (
                self._usable(parts) or asks_for_rows(tokens, parts)
            ):
                if parts.problems:
                    return self._clarify_parts(parts, as_of)
                if unfit := unfit_units(previous, parts, self.vocab):
                    return self._clarify(f"I am not sure what you mean: {unfit}", self._examples())
                counting = Role.COUNT in parts.markers and Role.RATIO not in parts.markers
                if (
                    counting
                    and counts_no_rows(reading)
                    and not _names_a_metric(reading)
                    and set(previous.metrics) & set(self.vocab.count_metric.values())  # a count before
                    and not (adds_to_last(tokens) and _plural_segment(reading))  # "add the number of
                    # running instances too": a count of other rows, not the last ones
                ):
                    parts.metrics = []  # "how many are prod?" after a count of accounts: still accounts
                intent = merge_follow_up(previous, parts, tokens, self.vocab, as_of)
                finer = [d for d in intent.dimensions if d not in previous.dimensions]
                kept = previous.dimensions and all(d in intent.dimensions for d in previous.dimensions)
                if (
                    previous.limit is not None
                    and intent.limit is not None
                    and finer
                    and kept
                    and not parts.limit
                    and (bool(intent.metrics) or not self._one_row_each(previous))  # else a column
                ):
                    # "top 3 services this year" -> "by month": the top 3 of each month or of the
                    # whole year, per month? The limit would cut the finer rows, not the services.
                    metric = intent.metrics[0].replace("_", " ") if intent.metrics else "count"
                    before = ", ".join(d.name for d in previous.dimensions) or "rows"
                    split = ", ".join(d.name for d in intent.dimensions)
                    return self._clarify(
                        f"the top {previous.limit} split by {', '.join(d.name for d in finer)}: I can rank "
                        "the whole answer, not within each group; ask without the top, or rank again",
                        (f"{metric} by {split}", f"top {previous.limit} {before} by {metric}"),
                    )
                if unfit := kept_without_kind(previous, parts, intent, self.vocab):
                    in_full = kind_questions(previous, parts, intent, self.vocab)
                    return self._clarify(unfit, self._answered(*in_full, every=True))
                if (
                    self._one_row_each(previous)
                    and Role.COUNT not in parts.markers
                    and tokens
                    and tokens[0].text in ASKING_OPENERS
                ):  # "are they running?": a column; "only public ones": those rows, ranked again
                    intent = conditions_as_columns(previous, intent)
                if lost := lost_ranking(previous, intent, tokens):
                    when = intent.time_range if parts.time_range is None else None
                    suggested = all_rows_question(previous, tokens, self.vocab, when)
                    return self._clarify(lost, self._answered(*suggested))
                if picked := lost_threshold(previous, intent, tokens, self.vocab):
                    return self._clarify(picked, self._examples())
                if cut := _amount_of_cut_rows(previous, parts, tokens, reading):
                    return self._clarify(cut, self._examples())
                if lost_groups := regroup_lost(previous, intent, tokens, parts, self.vocab):
                    return self._clarify(lost_groups, self._examples())
                if previous.average_groups and not intent.average_groups and (intent.compare or intent.share):
                    # "average cost per account last month" -> "compared with april": the totals were
                    # compared under the average's name
                    return self._clarify(
                        "an average of each group's total cannot be compared or shared: ask for each "
                        "period's average in turn, or compare the totals",
                        self._examples(),
                    )
                if narrowed := conditions_on_added(previous, parts, intent, tokens, self.vocab):
                    return self._clarify(narrowed[0], self._answered(*narrowed[1], every=True))
                intent = self._groups_no_longer_named(intent, previous)
                return self._answer(self._ranked_groups_named(intent, reading), parts, reading, read_as)
        parts = _interpret(choose_senses(reading, self.vocab), self.vocab)
        if parts.having_none is not None:  # "accounts with no public buckets": with exactly 0
            return self._map(_none_as_zero(tokens, parts.having_none), previous, as_of)
        split_kept = split_counts and (
            len(parts.metrics) < 2 or any(f.field in split_fields for f in parts.filters)
        )  # each count must have become a metric of its own, not a condition on both
        if split_kept and not parts.problems:
            return self._clarify(
                "two separate counts in one question, and the model has no metric for each; ask for them "
                "one at a time",
                self._examples(),
            )
        if previous is None and (
            self._dangling(tokens, reading)
            or parts.before_previous
            or parts.period_before
            or _only_a_grouping(reading)
        ):
            return self._clarify(
                "that continues an earlier question I do not have; ask it in full", self._examples()
            )
        if not parts.has_domain_words and not parts.metrics and not parts.dimensions:
            lowered = " ".join(t.text for t in tokens)
            if {t.text for t in tokens} & HELP_WORDS or any(p in lowered for p in HELP_PHRASES):
                return self._clarify(f"ask about {self._topic()}, for example:", self._examples())
            asked = next((t.text for t in tokens if t.text in AMOUNT_WORDS), None)
            if asked:  # "what's the total?": a number of something the question does not name
                return self._clarify(f"the {asked} of what?", self._examples())
            about_time = previous is not None and any(t.text in TIME_LEFTOVERS for t in tokens)
            if parts.time_range is None and Role.COUNT not in parts.markers and not about_time:
                return Mapping(status="refused", message=self._out_of_scope())
        if parts.problems:
            return self._clarify_parts(parts, as_of)
        said = [t.text for t in tokens]
        ratio_at = next((i for i, w in enumerate(said) if w in RATIO_OF_WORDS), None)
        if ratio_at is not None and "to" in said[ratio_at:]:
            # "ratio of <these> to <those>": two counts divided, which no share answers
            return self._clarify("a ratio of two counts: ask for both counts and divide", self._examples())
        if _STATE_IDIOM.search(" ".join(said)):
            # "are the instances up?": in which state? the model's states have names of their own
            return self._clarify("'up' or 'down': which state do you mean? name it", self._examples())
        if (held := _state_held_for(reading, tokens)) is not None:
            # "stopped for more than 30 days": how long a value has held, which no date of the model says
            state, rest = held
            return self._clarify(
                f"crq knows what is {state} now, not since when: the model has no date of that change. "
                "It can count them now, or by when they were created",
                self._answered(rest, f"{rest} by month created", every=True),
            )
        if [t.text for t in tokens[:2]] == ["how", "much"] and not _names_a_metric(reading):
            # "how much is in prod": an amount of what? a count of the rows would answer another question
            amounts = tuple(m.replace("_", " ") for m in self.vocab.dated_amounts()[:3])
            return self._clarify("how much of what? name the amount", amounts or self._examples())
        if (projected := _projected_rate(tokens)) is not None:
            rate = next((m.replace("_", " ") for m in parts.metrics), None)
            unit = projected.removesuffix("ly")  # "monthly": a month
            return self._clarify(
                f"a {projected} run rate is a projection (the average per day times the days of a "
                f"{unit}), which crq does not make; it can give the average per day, or each {unit}'s "
                "total",
                self._answered(*((f"{rate} last 30 days", f"{rate} by {unit}") if rate else ()), every=True),
            )
        if self._judgement(tokens, parts):
            dated = [
                m
                for m in parts.metrics
                if any(self.vocab.default_time.get(t) for t in self.vocab.metric_tables[m])
            ]
            return self._clarify(
                f"'{reading.question.strip().rstrip('?')}' asks how things stand, not for one number; "
                "which figure tells you?",
                tuple(f"{m.replace('_', ' ')} {when}" for m in dated[:1] for when in JUDGEMENT_FIGURES)
                or self._examples(),
            )
        if not parts.metrics and not parts.dimensions:
            return self._clarify(
                "what should I calculate? name a metric or something to list", self._examples()
            )
        intent = Intent(
            metrics=tuple(parts.metrics),
            dimensions=tuple(parts.dimensions),
            filters=tuple(parts.filters),
            segments=tuple(parts.segments),
            time_range=parts.time_range,
            order_by=tuple(parts.order_by),
            limit=parts.limit,
            offset=parts.offset if parts.order_by and parts.limit else None,
            share=Share(part=tuple(parts.share_part)) if parts.share_part is not None else None,
            compare=parts.compare,
            cumulative=Cumulative() if parts.cumulative else None,
            units=tuple(MetricUnit(metric=m, unit=u) for m, u in parts.units.items()),
        )
        intent = without_rate_series(intent, self.vocab)  # "average daily cost per day in may": one number
        if (picked := self._groups_with_rows(reading, intent)) is not None:
            return self._clarify(picked, self._examples())
        return self._answer(self._ranked_groups_named(intent, reading), parts, reading, read_as)

    def _groups_with_rows(self, reading: Reading, intent: Intent) -> str | None:
        """ "cost of accounts with public buckets", "how many resources are in accounts with an eks
        cluster": an amount asked of the groups (said before them) that some rows pick; the intent
        would measure those rows instead (the public buckets' cost, the eks clusters counted). Which
        groups have them, then an amount of only those, is two questions: asked back."""
        items = reading.items
        asked = False
        for k, it in enumerate(items[:-2]):
            if it.kind == ItemKind.MARKER and Role.COUNT in it.roles:
                asked = True
            if it.kind != ItemKind.TERM:
                continue
            if it.has(Kind.METRIC):
                asked = True
                continue
            groups = {m.name for m in it.all(Kind.TABLE)}
            with_, rows = items[k + 1], items[k + 2]
            if (
                not (asked and groups and it.plural)
                or with_.kind != ItemKind.MARKER
                or Role.WITH not in with_.roles
            ):
                continue
            named = rows.first(Kind.VALUE, Kind.SEGMENT, Kind.BOOLEAN)
            if rows.kind != ItemKind.TERM or named is None:
                continue
            measured = {t for m in intent.metrics for t in self.vocab.metric_tables.get(m, ())}
            if groups & measured:
                continue  # "instances with a public ip": the rows named are the rows measured
            end = rows.end
            for nxt in items[k + 3 :]:  # "public buckets": the words said together name the rows
                if nxt.kind != ItemKind.TERM or nxt.start != end:
                    break
                end = nxt.end
            said = " ".join(t.text for t in reading.tokens[rows.start : end])
            return (
                f"'{it.text} {with_.text} {said}': which {it.text} have {said}, then an amount of only "
                f"those {it.text}, is two questions (I would measure the {said} themselves); ask for the "
                f"{it.text} as a list first"
            )
        return None

    def _count_of_previous(
        self, previous: Intent | None, reading: Reading, read_as: Sequence[str]
    ) -> Mapping:
        """ "how many?" after a listing: the rows listed, counted (their conditions kept). With nothing
        listed before, or after numbers (how many of what: groups, rows?), it is asked back: never a
        count of everything, which is what the words alone would give."""
        table = self._listed_table(previous) if previous is not None else None
        if previous is None or table is None:
            return self._clarify("how many of what? name the rows to count", self._examples())
        last = previous.model_copy(update={"previous": None})
        intent = last.model_copy(
            update={
                "metrics": (self.vocab.count_metric[table],),
                "dimensions": (),
                "order_by": (),
                "limit": None,
                "previous": last,
            }
        )
        parts = _interpret(choose_senses(reading, self.vocab), self.vocab)
        return self._answer(intent, parts, reading, read_as)

    def _listed_table(self, previous: Intent) -> str | None:
        """The table whose rows a listing showed (its label columns first), if it has a count."""
        if previous.metrics or not previous.dimensions:
            return None
        names = tuple(d.name for d in previous.dimensions)
        for table, labels in self.vocab.label_dimensions.items():
            if labels and names[: len(labels)] == tuple(labels) and table in self.vocab.count_metric:
                return table
        return None

    @staticmethod
    def _judgement(tokens: Sequence[Token], parts: Parts) -> bool:
        """ "how are we doing on spend?": a question for a judgement that names no period, grouping or
        comparison would get the all-time total, a number that judges nothing; "are we spending too
        much?" asks for a judgement whatever it names. Both are asked back."""
        said = f" {' '.join(t.text for t in tokens)} "
        if any(f" {p} " in said for p in JUDGEMENT_PHRASES):
            return True
        return (
            bool(tokens)
            and tokens[0].text in JUDGEMENT_OPENERS
            and any(t.text in JUDGEMENT_WORDS for t in tokens)
            and not (parts.dimensions or parts.time_range or parts.compare or parts.all_time)
        )

    def _share_of_count(self, previous: Intent, reading: Reading, as_of: dt.date) -> Intent | None:
        """ "how many ebs volumes are unencrypted" -> "as a percentage of all volumes?": the last count
        as a share of the rows named (those rows' conditions the whole, the last count's others the
        part); with no rows named ("what percentage is that?"), of the rows of the kind counted, when
        one other condition made the count. None when the follow-up is not that, or the rows named
        are not a superset of the ones counted (a percentage of other rows)."""
        counts = set(self.vocab.count_metric.values())
        if len(previous.metrics) != 1 or previous.metrics[0] not in counts:
            return None
        if previous.share or previous.compare or previous.count_groups or previous.cumulative:
            return None
        if previous.average_groups:
            return None
        ratio = next(
            (it for it in reading.items if it.kind == ItemKind.MARKER and Role.RATIO in it.roles), None
        )
        if ratio is None:
            return None
        words = [t.text for t in reading.tokens[ratio.end :] if t.text not in ("?", ".", "!")]
        while words and words[0] in ("of", "all", "the", "our", "every", "total"):
            words.pop(0)
        grouped = {d.name for d in previous.dimensions}
        if len(words) > 1 and words[0] == "each":  # "as a share of each region's instances": per group
            named = self.vocab.phrases.get((singular(words[1]),)) or []
            if any(m.name in grouped for m in named):
                words = words[2:]
        if set(words) <= {"is", "was", "that", "this", "it", "are", "those", "them", "these"}:
            words = []  # "what percentage is that?": of the rows counted
        if any(t.text in ("what", "which") for t in reading.tokens[ratio.end :]):
            return None
        whole: Intent | None = None
        if words:
            whole = self._map(f"how many {' '.join(words)}", None, as_of).intent
            if whole is None or whole.metrics != previous.metrics or whole.dimensions or whole.count_groups:
                return None
            if whole.segments and not set(whole.segments) <= set(previous.segments):
                return None
            kept = list(whole.filters)
        else:
            kinds = kind_fields(self.vocab)
            kept = [f for f in previous.filters if f.field in kinds]
            if not kept or previous.segments:
                return None
        if any(f not in previous.filters for f in kept):
            return None  # "of all buckets" after a count of volumes: not the rows counted
        part = [f for f in previous.filters if f not in kept]
        segments = [s for s in previous.segments if s not in (whole.segments if whole is not None else ())]
        for name in segments:
            part.extend(next(s for s in self.model.segments if s.name == name).filters)
        if not part or (not words and len(part) > 1):
            return None
        last = previous.model_copy(update={"previous": None})
        return previous.model_copy(
            update={
                "filters": tuple(kept),
                "segments": tuple(s for s in previous.segments if s not in segments),
                "share": Share(part=tuple(part)),
                "previous": last,
            }
        )

    def _threshold_scope(self, intent: Intent | None) -> str | None:
        """Why a threshold on an amount cannot be answered as read, or None. An intent holds each of
        its groups to it (HAVING): with no groups, the one grand total is held to it ("how many
        instances in accounts with at least 100 instances" counted every instance, the total being
        over 100), and what picks the rows to count also picks the rows of every other amount ("cost
        of accounts with at least 50 instances": their instances' cost only). Which groups pass, then
        an amount of only those, is two questions an intent cannot nest: asked back."""
        held = [f for f in intent.filters if f.field in self.vocab.metrics] if intent is not None else []
        if intent is None or not held or intent.count_groups is not None:
            return None
        said = " and ".join(describe_filter(f) for f in held)
        if not intent.dimensions:
            return (
                f"{said} would hold the one grand total to it, not each group's: I can list the groups "
                "that pass it ('<groups> with ...') or count them ('how many <groups> ...'), not add up "
                "the amounts of only those groups"
            )
        counts = {f.field for f in held} & set(self.vocab.count_metric.values())
        others = [m for m in intent.metrics if m not in counts and m not in {f.field for f in held}]
        grouped = {d.name for d in intent.dimensions}
        split = [
            f
            for f in intent.filters
            if f.field in grouped and f.op == Op.IN and f.field in kind_fields(self.vocab)
        ]
        if counts and split:
            # "how many volumes do accounts with over 100 instances have": each kind's count held to
            # the number, the volumes' too, where one kind's count picks the groups
            return (
                f"{said} holds each of {describe_filter(split[0])} to the number, where one kind's count "
                "picks the groups; ask for the groups that pass first, then about them"
            )
        rows = [describe_filter(f) for f in intent.filters if f.field in kind_fields(self.vocab)]
        rows += [f"segment {s}" for s in intent.segments]
        if counts and others and rows:
            kinds = " and ".join(rows)
            return (
                f"{kinds} picks the rows {said} counts, but it would hold {', '.join(others)} to those rows "
                "too; ask for the groups that pass first, then their amount"
            )
        return None

    def _ranking_only(self, reading: Reading, previous: Intent) -> Intent | Mapping | None:
        """A follow-up that only ranks the last answer: a number of rows and a way ("top 3", "the 3
        cheapest", "bottom 2", "which account spent the most?", "the most expensive day"), with at
        most a metric the last answer has and words for its groups or its series' periods. Read as a
        new question it ranked the grand total or all time, every condition of the conversation gone.
        After a listing or a count (nothing grouped to rank) it is asked back. None for anything else."""
        rank: Item | None = None
        limit: int | None = None
        direction: Direction | None = None
        named: set[str] = set()
        plural = False
        grouped = {d.name for d in previous.dimensions if d.grain is None}
        grains = {d.grain for d in previous.dimensions if d.grain is not None}
        said_grains: set[Grain] = set()  # the groups the follow-up names ("which quarter ...")
        said_groups: set[str] = set()
        new_grains: list[Grain] = []  # groups it names that the last answer did not have
        new_groups: list[DimensionRef] = []
        for it in reading.items:
            q = it.quantity
            is_rank = q is not None and q.kind == QuantityKind.RANK
            if it.kind == ItemKind.QUANTITY and q is not None and is_rank and rank is None:
                if q.offset is not None:
                    return None
                rank, limit, direction = it, q.limit, q.direction
            elif it.kind == ItemKind.SUPER and rank is None:
                rank, direction = it, it.direction
            elif it.kind == ItemKind.MARKER and set(it.roles) <= _RANKING_MARKERS | {Role.WHICH}:
                continue
            elif it.kind == ItemKind.MARKER and set(it.text.split()) <= HAVING_WORDS:
                continue  # "which account has the most storage?"
            elif it.kind == ItemKind.TIME and it.time is not None and it.time.time_range is None:
                if it.time.grain is None:
                    return None
                plural = plural or it.text.lower().endswith("s")
                if it.time.grain in grains:
                    said_grains.add(it.time.grain)
                else:  # "which quarter was the most expensive?" after a monthly series: by quarter
                    new_grains.append(it.time.grain)
            elif it.kind == ItemKind.TERM and it.has(Kind.METRIC):
                named.add(it.named(Kind.METRIC))
                if it.direction is not None and rank is None:  # "the cheapest month"
                    rank, direction = it, it.direction
            elif it.kind == ItemKind.TERM and {m.name for m in it.meanings} & grouped:
                plural = plural or it.plural  # "which account ...": the groups asked already
                said_groups |= {m.name for m in it.meanings} & grouped
            elif it.kind == ItemKind.TERM and (refs := self._group_words(it)):
                plural = plural or it.plural  # "which account spent the most?" after a total: by account
                new_groups.extend(r for r in refs if r not in new_groups)
            else:
                return None  # anything else said: not only a ranking
        if rank is None:
            return None
        named |= set(metrics_in_words(self.vocab, reading.tokens[rank.start : rank.end]))  # "the 3 cheapest"
        if new_groups or new_grains:
            return self._ranked_anew(previous, named, new_groups, new_grains, limit, direction, plural)
        if not previous.metrics or not (previous.dimensions or previous.count_groups):
            if rank.kind == ItemKind.QUANTITY or named:
                return self._clarify(
                    "the last answer has nothing ranked to cut; ask it in full with the ranking (e.g. "
                    "'the 3 largest <rows> ...')",
                    self._examples(),
                )
            return None
        if len(named) > 1 or (named and not named <= set(previous.metrics)):
            return None  # another metric: a new question, read as one
        field = next(iter(named), previous.metrics[0])
        if limit is None and not plural:
            limit = 1  # "the most expensive day", "which account spent the most?"
        last = previous.model_copy(update={"previous": None})
        update: dict[str, object] = {
            "order_by": (OrderBy(field=field, direction=direction or "desc"),),
            "limit": limit,
            "offset": None,
            "previous": last,
        }
        if previous.compare is not None:  # ranked by the amount now, not by its change
            update["compare"] = previous.compare.model_copy(update={"rank_by": "amount"})
        if said_groups or said_grains:
            # "which quarter was the most expensive?" after cost by quarter and business unit: the
            # quarters' totals ranked; the top (quarter, unit) pair was named as if it were the quarter
            labels = {n for t in self.vocab.label_dimensions.values() if said_groups & set(t) for n in t}
            named_dims = tuple(
                d
                for d in previous.dimensions
                if (d.grain is None and d.name in said_groups | labels)
                or (d.grain is not None and d.grain in said_grains)
            )
            if named_dims and len(named_dims) < len(previous.dimensions):
                update["dimensions"] = named_dims
        return previous.model_copy(update=update)

    def _group_words(self, it: Item) -> list[DimensionRef]:
        """What a word groups by when a ranking names it ("which account", "which region"): a
        dimension or tag key, or a table's labels; none for a word that is also a value or a metric."""
        if it.has(Kind.VALUE, Kind.BOOLEAN, Kind.METRIC, Kind.SEGMENT):
            return []
        m = it.first(Kind.TAG_KEY, Kind.DIMENSION)
        table = it.first(Kind.TABLE)
        labels = self.vocab.label_dimensions.get(table.name, ()) if table is not None else ()
        if m is not None and not (labels and m.name in labels):
            return [DimensionRef(name=m.name)]
        return [DimensionRef(name=n) for n in labels]

    def _ranked_anew(
        self,
        previous: Intent,
        named: set[str],
        groups: list[DimensionRef],
        grains: list[Grain],
        limit: int | None,
        direction: Direction | None,
        plural: bool,
    ) -> Intent | None:
        """ "ec2 cost last month" -> "which account spent the most?", "monthly ec2 cost this year" ->
        "which quarter was the most expensive?", "average cost per account last month" -> "the 3 most
        expensive accounts": the same amount, conditions and period, by the groups the ranking names
        (read as a new question it ranked all time, every condition gone). None when the metric is
        another, or the groups do not fit the amount."""
        if not previous.metrics or len(named) > 1 or (named and not named <= set(previous.metrics)):
            return None
        if len(grains) > 1:
            return None
        field = next(iter(named), previous.metrics[0])
        dims = list(groups)
        if grains:
            series = series_dimension(previous, [field], self.vocab)
            if series is None:
                return None
            dims.insert(0, DimensionRef(name=series, grain=grains[0]))
        last = previous.model_copy(update={"previous": None})
        intent = previous.model_copy(
            update={
                "dimensions": tuple(dims),
                "order_by": (OrderBy(field=field, direction=direction or "desc"),),
                "limit": limit if limit is not None or plural else 1,
                "offset": None,
                "count_groups": None,
                "average_groups": None,
                "cumulative": None,
                "share": None,
                "compare": None,
                "previous": last,
            }
        )
        try:
            resolve(intent, self._catalog, _CHECK_AS_OF)
        except UserError:
            return None
        return self._ranked_groups_named(intent)

    def _name_as_words(self, m: re.Match[str]) -> str:
        """A name of the model written as in the YAML, with underscores (a data engineer's
        "avg(<name_with_underscores>) by region"), read as its words; any other word stays as written."""
        words = tuple(singular(w) for w in m[0].lower().split("_"))
        return m[0].replace("_", " ") if words in self.vocab.phrases else m[0]

    def _threshold_on_other_rows(self, question: str, intent: Intent | None, day: dt.date) -> str | None:
        """ "how many volumes do accounts with more than 20 unattached volumes have": the rows counted
        ("volumes") are not the rows the threshold counts ("unattached volumes"), but one count, held
        to the number, answers both (22 unattached volumes for 155 volumes). Asked back, as a
        threshold that picks groups for another amount is (``_threshold_scope``)."""
        counts = set(self.vocab.count_metric.values())
        if (
            intent is None
            or intent.count_groups is not None
            or not any(f.field in counts for f in intent.filters)
        ):
            return None
        reading = read_question(question, self.vocab, day)
        items = reading.items

        def run_after(k: int) -> tuple[Token, ...]:
            """The row words right after item ``k`` ("unattached volumes")."""
            out: list[Token] = []
            end = items[k].end
            for it in items[k + 1 :]:
                if it.kind != ItemKind.TERM or it.start != end:
                    break
                if not it.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT, Kind.TABLE):
                    break
                out += reading.tokens[it.start : it.end]
                end = it.end
            return tuple(out)

        counted = next(
            (
                run_after(k)
                for k, it in enumerate(items)
                if it.kind == ItemKind.MARKER and Role.COUNT in it.roles
            ),
            (),
        )
        held = next(
            (
                run_after(k)
                for k, it in enumerate(items)
                if it.kind == ItemKind.QUANTITY
                and it.quantity is not None
                and it.quantity.kind == QuantityKind.COMPARE
                and it.quantity.unit is None
            ),
            (),
        )
        if not counted or not held or [t.key for t in counted] == [t.key for t in held]:
            return None
        return (
            f"the rows counted ('{' '.join(t.orig for t in counted)}') are not the rows the number is "
            f"about ('{' '.join(t.orig for t in held)}'), and one count would answer both; ask for the "
            "groups that pass first, "
            "then about them"
        )

    def _threshold_per_pair(self, intent: Intent | None) -> str | None:
        """ "accounts with more than 100 instances and their owners": the threshold is each account's,
        but an intent holds each row of its answer to it, here each account and owner pair (one
        account of four passed). Asked back unless "their" names something each group has once (the
        accounts' business unit)."""
        if intent is None or intent.count_groups is not None:
            return None
        held = [f for f in intent.filters if f.field in self.vocab.metrics]
        groups = [d.name for d in intent.dimensions if d.grain is None]
        if not held or len(groups) < 2:
            return None
        table = next(
            (t for t, labels in self.vocab.label_dimensions.items() if labels and groups[0] in labels), None
        )
        rest = [g for g in groups if table is None or g not in self.vocab.label_dimensions[table]]
        if table is not None and reaches(self.vocab, table, rest):
            return None  # "... and their business units": one per account
        said = " and ".join(describe_filter(f) for f in held)
        return (
            f"{said} would hold each {groups[0].replace('_', ' ')} and {rest[-1].replace('_', ' ')} pair "
            "to the number, not each group named first; ask for the groups that pass as a list first"
        )

    def _held_per_group(self, question: str, intent: Intent) -> str | None:
        """A count of rows of one table asked first ("how many", "number of"), grouped, with an amount
        of another table held to a number ("how many accounts in each environment spent over 10k",
        "... have over 100 resources"): the amount is each counted row's, but the intent would hold
        each group's total to it. (Named as a metric instead, "cost and resource count by region
        where cost > 10000", the groups' totals are what is meant.)"""
        if not intent.dimensions or intent.count_groups is not None:
            return None
        for f in intent.filters:
            if f.field not in self.vocab.metrics:
                continue
            counted = {t for t, m in self.vocab.count_metric.items() if m in intent.metrics and m != f.field}
            if counted and not set(self.vocab.metric_tables.get(f.field, ())) & counted:
                # the words last: most answers are settled by the intent alone, without reading again
                return ", ".join(sorted(counted)) if count_lead(tokenize(question)) else None
        return None

    def _counted_groups(self, question: str, as_of: dt.date) -> Mapping | None:
        """ "how many accounts have more than 200 resources": the groups the rest of the question lists,
        counted (``count_groups.py``); None when the question does not read that way."""
        intent = counted_groups(question, self.vocab, lambda q: self._map(q, None, as_of))
        if intent is None:
            return None
        if intent.count_groups is not None:  # "how many owners have public buckets": no owner is none
            intent = self._named_groups_only(intent, intent.count_groups.of)
        try:
            resolve(intent, self._catalog, _CHECK_AS_OF)
        except UserError:
            return None
        return Mapping(status="answered", intent=intent, message=interpreted_as(intent))

    def _averaged_groups(self, question: str, as_of: dt.date) -> Mapping | None:
        """ "average cost per account last month": the groups' amounts the rest of the question
        reads, averaged over the groups (``average_groups.py``); None when it does not read that way
        or the compiler would not average its metrics (an average of averages)."""
        intent = averaged_groups(question, self.vocab, lambda q: self._map(q, None, as_of))
        if intent is None or intent.average_groups is None:
            return None
        intent = self._named_groups_only(intent, intent.average_groups.of)  # untagged is no team
        try:
            resolve(intent, self._catalog, _CHECK_AS_OF)
        except UserError:
            return None
        return Mapping(status="answered", intent=intent, message=interpreted_as(intent))

    def _distributed(self, text: str, tokens: Sequence[Token]) -> tuple[str, set[str]]:
        """ "the number of <a> and of <b> <things>": two counts, each of its own things ("the number of
        <a> <things> and the number of <b> <things>"). Said only when the count words are repeated; "the
        number of <a> and <b> <things>" stays one count of things that are both."""
        words = [t.text for t in tokens]
        for i in range(len(words) - 5):
            head = words[i : i + 2]
            if tuple(head) not in COUNT_HEADS:
                continue
            x = i + 2
            if words[x + 1] not in AND_WORDS:
                continue
            j = x + 2
            for again in (["of"], ["the", *head], head, ["of", "the"]):
                if words[j : j + len(again)] == again:
                    j += len(again)
                    break
            else:
                continue
            if j + 1 >= len(words) or not (
                self._kinds(tokens[x], Kind.BOOLEAN, Kind.VALUE)
                and self._kinds(tokens[j], Kind.BOOLEAN, Kind.VALUE)
                and self._kinds(tokens[j + 1], Kind.TABLE, Kind.VALUE, Kind.DIMENSION)
            ):
                continue
            count = "number of"  # "count of", "how many": the same thing, in the model's usual words
            thing = tokens[j + 1].orig
            parts = [
                *(t.orig for t in tokens[:i]),
                f"{count} {tokens[x].orig} {thing} and {count} {tokens[j].orig} {thing}",
                *(t.orig for t in tokens[j + 2 :]),
            ]
            fields = {m.name for t in (tokens[x], tokens[j]) for m in self._meanings(t)}
            return " ".join(parts), fields
        return text, set()

    def _meanings(self, token: Token) -> list[Meaning]:
        return self.vocab.phrases.get((token.key,)) or self.vocab.phrases.get((token.text,)) or []

    def _kinds(self, token: Token, *kinds: Kind) -> bool:
        return any(m.kind in kinds for m in self._meanings(token))

    def _dangling(self, tokens: Sequence[Token], reading: Reading) -> bool:
        """ "and for <value>?", "what about <value>?" with no earlier answer: only the change was said,
        and what it changes is unknown, so any reading would be a guess. The same for a question that
        points back ("break that down by region instead", "by account as well") and names nothing to
        calculate, count or list: a default metric would answer a question nobody asked."""
        words = [t.text for t in tokens]
        opener = max(
            (len(p.split()) for p in CONTINUING_OPENERS if words[: len(p.split())] == p.split()), default=0
        )
        asks = {Role.COUNT, Role.RATIO, Role.LIST, Role.WHICH, Role.AVG}
        if opener:
            return not any(
                (it.kind == ItemKind.TERM and any(m.kind == Kind.METRIC for m in it.meanings))
                or (it.kind == ItemKind.MARKER and asks & set(it.roles))
                for it in reading.items
                if it.start >= opener
            )
        if points_back(reading):  # "how many of those ...": whose rows?
            return True
        timed = {i for it in reading.items if it.kind == ItemKind.TIME for i in range(it.start, it.end)}
        said = f" {' '.join(w for i, w in enumerate(words) if i not in timed)} "
        if not any(f" {p} " in said for p in BACK_REFERENCES):
            return False
        items = reading.items
        grouped = {
            k + 1 for k, it in enumerate(items[:-1]) if it.kind == ItemKind.MARKER and Role.GROUP in it.roles
        }
        return not any(  # something of its own besides groupings: a metric, a value, a count, a share
            (
                it.kind == ItemKind.TERM
                and (k not in grouped or any(m.kind == Kind.METRIC for m in it.meanings))
            )
            or (it.kind == ItemKind.MARKER and (asks - {Role.LIST}) & set(it.roles))
            for k, it in enumerate(items)
        )

    def _ranked_groups_named(self, intent: Intent, reading: Reading | None = None) -> Intent:
        """ "which <tag key> has the most ...", "top 3 <tag key>s by ...", "the most common instance
        type", "which owners have more than 150 instances": the winners, or the groups that pass a
        threshold on a metric, are named, so rows whose tag (or other key looked up in a document) is
        missing, or that a dimension does not apply to (``applies_to``), are no contender; plain
        breakdowns keep them as their own group."""
        # "which instance types are most common": a superlative asked of the groups names winners,
        # however many; without one ("cost by owner, sorted by cost") it is a plain breakdown
        superlative = (
            reading is not None
            and any(it.kind == ItemKind.SUPER for it in reading.items)
            and any(it.kind == ItemKind.MARKER and Role.WHICH in it.roles for it in reading.items)
        )
        ranked = (
            (intent.limit is not None or superlative)
            and bool(intent.order_by)
            and intent.order_by[0].field in self.vocab.metrics
        )
        if not ranked and not any(f.field in self.vocab.metrics for f in intent.filters):
            return intent
        return self._named_groups_only(intent, intent.dimensions)

    def _groups_no_longer_named(self, intent: Intent, previous: Intent) -> Intent:
        """ "which owner has the most instances" -> "by team instead": the rows without an owner tag
        were left out because owners were named (``_ranked_groups_named``); grouped by team, they
        count again."""
        grouped = {d.name for d in intent.dimensions}
        if intent.count_groups is not None:
            grouped |= {d.name for d in intent.count_groups.of}
        gone = {f for f in self._left_out_for_naming(previous) if f not in grouped}
        earlier = previous.previous
        if earlier is not None:  # said in the question before ("with an owner tag"): still meant
            gone -= {f.field for f in earlier.filters if f.op == Op.IS_NOT_NULL} - self._left_out_for_naming(
                earlier
            )
        if not gone:
            return intent
        kept = tuple(f for f in intent.filters if not (f.op == Op.IS_NOT_NULL and f.field in gone))
        return intent.model_copy(update={"filters": kept})

    def _left_out_for_naming(self, intent: Intent) -> set[str]:
        """The fields whose missing values ``_ranked_groups_named`` leaves out of ``intent``."""
        said = tuple(f for f in intent.filters if f.op != Op.IS_NOT_NULL)
        named = self._ranked_groups_named(intent.model_copy(update={"filters": said}))
        return {f.field for f in named.filters[len(said) :]}

    def _named_groups_only(self, intent: Intent, dimensions: Sequence[DimensionRef]) -> Intent:
        """``intent`` without the group of rows that have no value of each of ``dimensions`` that can be
        missing (a tag, a key in a document, a dimension that applies to some rows only): no value is
        no group to name or count."""
        filtered = {f.field for f in intent.filters}
        conditions = [*intent.filters, *(f for s in intent.segments for f in self.vocab.segment_filters(s))]
        extra = []
        for d in dimensions:
            base = d.name.partition(":")[0]
            dim = self.vocab.dimensions.get(d.name)
            optional = (base in self.vocab.tag_dimensions and ":" in d.name) or bool(
                dim and (dim.json_path or (dim.applies_to and not _within(conditions, dim.applies_to)))
            )
            if d.grain is None and optional and d.name not in filtered:
                extra.append(Filter(field=d.name, op=Op.IS_NOT_NULL))
        if not extra:
            return intent
        return intent.model_copy(update={"filters": (*intent.filters, *extra)})

    def _spelling(self, reading: Reading) -> dict[int, str]:
        """Unknown words a typo away from exactly one known word ("resouces", "servcie"): token
        index -> the known word (``spelling.py`` says when a word is close enough).

        The answer then says which words were read differently; anything less certain stays unknown
        and is asked about."""
        out: dict[int, str] = {}
        for it in reading.items:
            if it.kind != ItemKind.UNKNOWN:
                continue
            token = reading.tokens[it.start]
            before = reading.tokens[it.start - 1].text if it.start else ""
            unit = TIME_UNIT_SHORTHANDS.get(token.text)
            if unit and (before in TIME_UNIT_LEADS or before.isdigit() or before in NUMBER_WORDS):
                out[it.start] = unit  # "last mo", "3 wks": the unit
                continue
            known = self._speller.correct(token.text, token.key)
            if known is None or not self._whole_is_known(reading.tokens, it.start, known):
                continue
            ending = token.text[len(token.key) :] if token.text.startswith(token.key) else ""
            plural = known + ending  # a plural typo is read as the plural of the known word
            out[it.start] = plural if ending and singular(plural) == known else known
        return out

    def _whole_is_known(self, tokens: Sequence[Token], i: int, known: str) -> bool:
        """A word glued to others by hyphens is corrected only when the whole, corrected, is a phrase
        of the vocabulary (a misspelt hyphenated value): never into two values of other dimensions
        that the word was not, and, for a caller whose mapper does not know the hyphenated value (a
        value of rows outside their scope), never into a name they may not see: it stays unknown."""
        lo, hi = i, i
        while lo > 0 and tokens[lo].glued:
            lo -= 1
        while hi + 1 < len(tokens) and tokens[hi + 1].glued:
            hi += 1
        if lo == hi:
            return True
        whole = tuple(known if j == i else tokens[j].key for j in range(lo, hi + 1))
        return whole in self.vocab.phrases

    # --- results ----------------------------------------------------------------------------------

    def _usable(self, parts: Parts) -> bool:
        return bool(
            parts.metrics
            or parts.dimensions
            or parts.filters
            or parts.segments
            or parts.time_range
            or parts.before_previous
            or parts.period_before
            or parts.compare
            or parts.cumulative
            or parts.order_by
            or parts.limit
            or parts.all_time
            or parts.problems
            or parts.rank
            or parts.pending_grains
            or parts.pending_units
        )

    def _answer(
        self,
        intent: Intent,
        parts: Parts,
        reading: Reading,
        read_as: Sequence[str] = (),
    ) -> Mapping:
        """The reading, with a note naming the words read as others (typos: answered, since
        ``spelling.py`` reads a word only as the one known word it is unmistakably close to) or
        ignored (marked incomplete: asked back, or sent to the LLM in hybrid mode)."""
        try:
            resolve(intent, self._catalog, _CHECK_AS_OF)
        except (DatesDoNotOverlap, PeriodBeforeDates):  # judged by the compile at the real as-of date
            pass
        except IntentError as e:
            return self._clarify(f"I could not build that query: {e}", tuple(e.choices[:8]))
        except UserError as e:
            return self._clarify(f"I could not build that query: {e}", self._examples())
        if not intent.metrics and parts.ignored:
            # a list with words left over is a guess at what to list: ask rather than dump rows
            unknown = ", ".join(dict.fromkeys(parts.ignored))
            message = f"I am not sure what to list (I did not understand: {unknown})"
            return self._clarify(message, self._examples())
        message = interpreted_as(intent)
        notes = []
        if read_as:
            message += f" (read {', '.join(read_as)})"
            notes.append(f"read {', '.join(read_as)}")
        if parts.ignored:
            ignored = list(dict.fromkeys(parts.ignored))
            message += f" (ignored: {', '.join(ignored)})"
            notes.append("did not understand " + ", ".join(f"'{w}'" for w in ignored))
        return Mapping(
            status="answered",
            intent=intent,
            message=message,
            complete=not parts.ignored,  # a typo read as a known word is answered, the note saying so
            note=f"I {' and '.join(notes)}" if notes else "",
        )

    def _clarify_parts(self, parts: Parts, as_of: dt.date | None = None) -> Mapping:
        suggestions = [s for s in dict.fromkeys(parts.suggestions) if self._works(s, as_of)]
        for problem in parts.problems:
            if problem.startswith("unknown word '"):
                word = problem.split("'")[1].lower()
                suggestions.extend(self._close(word))
        message = "I am not sure what you mean: " + "; ".join(dict.fromkeys(parts.problems))
        return self._clarify(message, tuple(dict.fromkeys(suggestions))[:8] or self._examples())

    def _works(self, suggestion: str, as_of: dt.date | None) -> bool:
        """A question suggested in place of the one asked ("... (as a list)") is offered only when it
        is answered whole, with the rows it lists: a suggestion that asks back, or answers with one
        number, would send the user round in circles."""
        if LIST_INSTEAD not in suggestion:
            return True
        if getattr(self._local, "checking", False):
            return False
        self._local.checking = True
        try:
            m = self.map(suggestion, as_of=as_of)
        finally:
            self._local.checking = False
        return m.status == "answered" and m.complete and m.intent is not None and bool(m.intent.dimensions)

    def _one_row_each(self, intent: Intent) -> bool:
        """A listing whose rows are the table's own rows (its key among the columns, no metric)."""
        names = {d.name for d in intent.dimensions}
        return not intent.metrics and any(
            labels and labels[0] in names for labels in self.vocab.label_dimensions.values()
        )

    def _answered(self, *questions: str, every: bool = False) -> tuple[str, ...]:
        """The first of the questions (``every``: all of them) that is answered whole when asked on
        its own (a suggestion must not ask back in turn), else the model's examples."""
        if getattr(self._local, "checking", False):
            return ()
        self._local.checking = True
        try:
            works = [q for q in questions if (m := self.map(q)).status == "answered" and m.complete]
        finally:
            self._local.checking = False
        return tuple(works if every else works[:1]) or self._examples()

    def _clarify(self, message: str, suggestions: Sequence[str]) -> Mapping:
        return Mapping(status="clarify", message=message, suggestions=tuple(suggestions), complete=False)

    def _close(self, word: str) -> list[str]:
        """Up to three phrases of the vocabulary that look like an unknown word, as suggestions."""
        close = process.extract(word, self._phrases, scorer=fuzz.ratio, score_cutoff=75, limit=3)
        return [phrase for phrase, _, _ in close]

    def _examples(self) -> tuple[str, ...]:
        """A few questions this model can answer, made from its own metrics and dimensions."""
        out: list[str] = []
        used: set[str] = set()
        formats: set[str] = set()
        for m in self.model.metrics:
            if not m.synonyms or len(out) >= 4 or m.format in formats:
                continue
            formats.add(m.format)
            tables = self.vocab.metric_tables.get(m.name, ())
            labels = {n for t in tables for n in self.vocab.label_dimensions.get(t, ())}
            dim = next(
                (
                    d.name
                    for t in self.model.tables
                    if t.name in tables
                    for d in t.dimensions
                    if self.vocab.dimensions.get(d.name, d).enum
                    and d.name not in labels
                    and d.name not in used
                ),
                None,
            )
            if dim:
                used.add(dim)
            when = " last month" if any(self.vocab.default_time.get(t) for t in tables) else ""
            out.append(
                f"{m.name.replace('_', ' ')} by {dim.replace('_', ' ')}{when}"
                if dim
                else m.name.replace("_", " ") + when
            )
        return tuple(out)

    def _topic(self) -> str:
        what = self.model.description.rstrip(".") or "the data in the semantic model"
        return what[0].lower() + what[1:]

    def _out_of_scope(self) -> str:
        return f"refused: that is outside what crq knows about ({self._topic()})"


def _corrected(text: str, tokens: Sequence[Token], known: MappingType[int, str]) -> tuple[str, list[str]]:
    """The question with the typos at these token indexes replaced, and what was read as what: a
    word glued to others by hyphens is shown whole, as the user wrote it. Token offsets count in the
    tokens' own text (without "'s" or punctuation), so each word is found again in the question."""
    starts = _starts_in(text, tokens)
    if starts is None:  # the question was normalised beyond finding its words: the words, re-joined
        text = "".join(("-" if t.glued else " " if i else "") + t.orig for i, t in enumerate(tokens))
        starts = _starts_in(text, tokens) or [t.start for t in tokens]

    def end(i: int) -> int:
        return starts[i] + len(tokens[i].orig)

    def fix(lo: int, hi: int) -> str:
        out, at = [], starts[lo]
        for i in range(lo, hi + 1):
            if i in known:
                out += [text[at : starts[i]], known[i]]
                at = end(i)
        return "".join([*out, text[at : end(hi)]])

    read_as: list[str] = []
    runs: list[tuple[int, int]] = []
    for i in sorted(known):
        lo, hi = i, i
        while lo > 0 and tokens[lo].glued:
            lo -= 1
        while hi + 1 < len(tokens) and tokens[hi + 1].glued:
            hi += 1
        if (lo, hi) not in runs:
            runs.append((lo, hi))
            read_as.append(f"'{text[starts[lo] : end(hi)]}' as '{fix(lo, hi)}'")
    last = len(tokens) - 1
    return text[: starts[0]] + fix(0, last) + text[end(last) :], read_as


def _starts_in(text: str, tokens: Sequence[Token]) -> list[int] | None:
    """Where each token's word starts in ``text``, found left to right; None if one is not there."""
    lowered, at, out = text.lower(), 0, []
    for t in tokens:
        found = lowered.find(t.orig.lower(), at)
        if found < 0:
            return None
        out.append(found)
        at = found + len(t.orig)
    return out


def _interpret(senses: Senses, vocab: Vocabulary, previous: Intent | None = None) -> Parts:
    """The question's parts, with a phrase left ambiguous by the rest of the question asked about;
    read as a follow-up of ``previous`` when given."""
    partial = previous is not None
    filtered = frozenset(f.field for f in previous.filters) if previous is not None else frozenset()
    before = previous.metrics if previous is not None else ()
    grouped = previous is not None and any(d.grain is None for d in previous.dimensions)
    parts = interpret(
        senses.reading,
        vocab,
        partial=partial,
        filtered_before=filtered,
        metrics_before=before,
        grouped_before=grouped,
    )
    parts.problems[:0] = senses.problems
    parts.suggestions[:0] = senses.suggestions
    return parts


# "change the period to Q1", "switch it to this month", "set the range to may": what follows replaces
# the part named; the verb is no request for a change over time
_CHANGE_IT_TO = re.compile(
    r"^(?:(?:ok|okay|now|and|please)[,\s]+)*(?:change|switch|set|make)\s+"
    r"(?:the\s+(?:period|time\s+range|time\s+frame|timeframe|range|dates?|month|quarter|year|filter)|it|that|this)"
    r"\s+to\s+(?=\S)",
    re.IGNORECASE,
)

# "and May?", "what about May": a month name that is also a verb, said as a follow-up's whole change
_BARE_MAY = re.compile(
    r"^((?:and|what about|how about|same for|now)\s+)(may)(?=\s*[?.!]*\s*$)", re.IGNORECASE
)

# "first half only", "the last week of it" in a follow-up: a part of the previous range
_PART_OF_IT = re.compile(
    # "first half", "the second week", "the first 10 days"; "the last week" (but "last week", "the last 2
    # weeks" alone are periods before today, unless said "of it")
    r"\b((?:the\s+)?(?:first|second|1st|2nd)\s+(?:(?:\d+|two|three|ten)\s+)?(?:half|weeks?|days?)"
    r"|the\s+(?:last|final)\s+(?:half|week|day)"
    r"|(?:the\s+)?(?:last|final)\s+(?:\d+|two|three|ten)\s+(?:weeks|days)(?=\s+of\s+(?:it|that|this|them)\b))"
    r"(?:\s+of\s+(?:it|that|this|them))?\b(?!\s+of\b)",
    re.IGNORECASE,
)


def _part_of_previous(text: str, previous: Intent, as_of: dt.date) -> str:
    """ "cost in May" -> "first half only": the first half of May, said in full, so the part is read
    as of that period; unchanged when the previous range is no period to name."""
    tr = previous.time_range
    if tr is None:
        return text
    period: str | None = None
    if tr.kind in ("previous", "current") and tr.n == 1 and not tr.skip and tr.unit in _NAMEABLE:
        period = f"{'last' if tr.kind == 'previous' else 'this'} {tr.unit.value}"
    elif tr.kind in ("month", "quarter", "year"):
        try:
            start, _ = resolve_time_range(tr, as_of)
        except ValueError:
            return text
        period = {
            "month": f"{start:%B} {start.year}",
            "quarter": f"q{(start.month - 1) // 3 + 1} {start.year}",
            "year": str(start.year),
        }[tr.kind]
    if period is None:
        return text
    return _PART_OF_IT.sub(lambda m: f"{m[1]} of {period}", text, count=1)


_NAMEABLE = (Grain.MONTH, Grain.QUARTER, Grain.YEAR)

# "storage (GB) per business unit", "cost (USD)": a unit in brackets says what to show the number in
_UNIT_IN_BRACKETS = re.compile(r"\(\s*([A-Za-z$€%]{1,12})\s*\)")


def _unit_said(m: re.Match[str]) -> str:
    return f" in {m[1]} " if m[1].lower() in UNITS or m[1] in UNITS else m[0]


# "how many instances are up / down / live": a state said in everyday words the model does not have
_STATE_IDIOM = re.compile(r"\b(?:is|are|was|were)\s+(?:up|down|live|alive|dead)\b(?!\s+(?:to|by|from|in)\b)")


# "for more than 30 days", "for over a week", "for 2 months": how long something has been so
_HELD_FOR = re.compile(
    r"^for\s+(?:(?:more|longer|less|fewer)\s+than\s+|over\s+|under\s+|at\s+(?:least|most)\s+)?"
    r"(?:\d+|a|an|one|two|three|six|ten)\s+(?:hour|day|week|month|quarter|year)s?\b"
)


def _state_held_for(reading: Reading, tokens: Sequence[Token]) -> tuple[str, str] | None:
    """A value or segment followed by how long it has held ("instances stopped for more than 30
    days", "volumes unattached for over a week"): the words of the value, and the question without
    the duration. A model knows a resource's state now and when it was created, not when its state
    last changed; reading the days as a grain or a count answered something else."""
    for it in reading.items:
        if it.kind != ItemKind.TERM or not it.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT):
            continue
        after = " ".join(t.text for t in tokens[it.end :])
        if m := _HELD_FOR.match(after):
            before = " ".join(t.text for t in tokens[: it.end])
            rest = " ".join(t.text for t in tokens[it.end :])[m.end() :].strip()
            return it.text, f"{before} {rest}".strip()
    return None


def _names_a_metric(reading: Reading) -> bool:
    return any(it.kind == ItemKind.TERM and it.has(Kind.METRIC) for it in reading.items)


def _only_a_grouping(reading: Reading) -> bool:
    """ "per region", "by service" with nothing else: how to split an answer not asked for (a follow-up
    of one that was asked back, or of nothing); a default count would answer what nobody asked."""
    grouping = [it for it in reading.items if it.kind == ItemKind.MARKER and Role.GROUP in it.roles]
    terms = [it for it in reading.items if it.kind != ItemKind.MARKER]
    return bool(grouping) and all(
        it.kind == ItemKind.TERM and all(m.kind in (Kind.DIMENSION, Kind.TAG_KEY) for m in it.meanings)
        for it in terms
    )


def _projected_rate(tokens: Sequence[Token]) -> str | None:
    """The period of "annual run rate", "burn rate per month" (a rate over more than a day), or None."""
    said = f" {' '.join(t.text for t in tokens)} "
    if not any(f" {p} " in said for p in RATE_PHRASES):
        return None
    return next((unit for p, unit in PROJECTING_WORDS.items() if f" {p} " in said), None)


def _plural_segment(reading: Reading) -> bool:
    """A segment named in the plural ("running instances", "unattached volumes"): rows of their own."""
    return any(it.kind == ItemKind.TERM and it.plural and it.has(Kind.SEGMENT) for it in reading.items)


def _counts_nothing_named(reading: Reading) -> bool:
    """A count asked of nothing the question names: only counting words and filler."""
    counting = any(it.kind == ItemKind.MARKER and Role.COUNT in it.roles for it in reading.items)
    said = (ItemKind.TERM, ItemKind.UNKNOWN, ItemKind.QUANTITY, ItemKind.TIME)
    named = any(it.kind in said for it in reading.items)
    return counting and not named


# "last 30" with no unit after it (a unit word, or "full" and one)
_UNITLESS_LAST = re.compile(
    r"\b(?:last|past|previous)\s+\d{1,3}\b(?!\s*(?:full\s+|whole\s+|calendar\s+)?"
    r"(?:day|week|month|quarter|year|d|w|m|q|y)s?\b)",
    re.IGNORECASE,
)


def _elided_unit(text: str, previous: Intent) -> str:
    """ "now last 30" after "the last 7 days": the follow-up counts in the unit the previous range
    counted in (said again, so the answer reads "the last 30 days"); without such a range, or after
    a ranking, unchanged."""
    tr = previous.time_range
    if tr is None or tr.unit is None or tr.kind not in ("trailing", "previous") or previous.limit:
        return text  # after a ranking, "the last 10" may be its bottom ten
    return _UNITLESS_LAST.sub(lambda m: f"{m[0]} {tr.unit.value}s", text)  # type: ignore[union-attr]


# a minus sign (or a dash typed for one) right before a number that is not part of a word, name or date
_NEGATIVE = re.compile(r"(?<![\w.\-−–])[-−–]\d+(?:\.\d+)?")


def _new_limit(tokens: Sequence[Token]) -> int | None:
    """ "make it 10", "show 20 instead", "top 3 then": only a new number of rows, nothing else."""
    numbers = [t.text for t in tokens if t.text.isdigit() or t.text in NUMBER_WORDS]
    if len(numbers) != 1 or any(t.text not in LIMIT_WORDS and t.text != numbers[0] for t in tokens):
        return None
    n = int(numbers[0]) if numbers[0].isdigit() else NUMBER_WORDS[numbers[0]]
    return n if 1 <= n <= 100_000 else None


# what may stand beside a ranking in a follow-up that only ranks the last answer ("show the top 3 by")
_RANKING_MARKERS = frozenset({Role.GROUP, Role.SORT, Role.LIST})

# "spent nothing", "cost nothing": an amount of 0 (the word was dropped: the groups that did spend)
_SPENT_NOTHING = re.compile(r"\b(spent|spend|spends|cost|costs|costed)\s+nothing\b", re.IGNORECASE)

# "for the quarterly review I need monthly cost ...", "for my weekly report": the occasion the answer
# is for, not a series by quarter or week
_OCCASION = re.compile(
    r"\b(?:for|in|at)\s+(?:the|my|our|a|this|next)\s+(?:daily|weekly|monthly|quarterly|yearly|annual)\s+"
    r"(?:review|report|meeting|update|sync|standup|stand-up|slide|deck|presentation)s?\b",
    re.IGNORECASE,
)

# "on average, how much does each account ...", "average total storage per account": an average of the
# groups' totals, not the model's average of a row
_ON_AVERAGE = re.compile(
    r"\bon\s+average\b|\b(?:average|avg|mean)\s+(?:of\s+)?(?:the\s+)?(?:total|sum|overall|combined)\b",
    re.IGNORECASE,
)

# "the 10 most recently created resources", "the 5 most recent instances": the newest
_MOST_RECENT = re.compile(
    r"\bmost\s+recent(?:ly\s+(?:created|launched|added|provisioned|deployed)|\s+(?=[a-z]))", re.IGNORECASE
)

# "accounts with zero public buckets", "regions that have 0 eks clusters": none of them, as "no" says
_ZERO_ROWS = re.compile(r"\b(with|have|has|had|having)\s+(?:zero|0)\s+(?=[a-z])", re.IGNORECASE)

# "compare may and april cost", "compare cost in april and may by service": one period against the
# other (read as both months added up, or one of them dropped)
_MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|q[1-4])"
)
_COMPARE_AND = re.compile(
    rf"^\s*compare\s+(.*?\b)?({_MONTH_WORD})\s+(?:and|with|to)\s+({_MONTH_WORD})\b", re.IGNORECASE
)

# "how has spend changed this quarter versus last quarter": a change from the earlier period to the later
# (it was each period's amount side by side)
_PERIOD = r"(?:this|last|previous) (?:week|month|quarter|year)"
_CHANGED_VS = re.compile(
    rf"\b(chang\w*|gr[eo]w\w*|increas\w*|decreas\w*|dropp?\w*|ris\w*|rose|fell|fall\w*)\b(.*?)\b"
    rf"({_PERIOD})\s+(?:vs\.?|versus|compared (?:to|with))\s+({_PERIOD})\b",
    re.IGNORECASE,
)

def _changed_between(m: re.Match[str]) -> str:
    """ "changed this quarter versus last quarter" -> "change from last quarter to this quarter"."""
    verb = "change" if m[1].lower().startswith("chang") else m[1]
    return f"{verb}{m[2]}from {m[4]} to {m[3]}"


# "first half vs second half of may": the first half is of May too (it was read as a half-year)
_HALF_VS_HALF = re.compile(
    r"\b(first|second|1st|2nd) half\s+(vs\.?|versus|compared (?:to|with)|and)\s+(the )?(first|second|1st|2nd)"
    r" half\s+(of|in)\s+((?:the\s+)?\w+(?:\s+(?:19|20)\d\d)?)",
    re.IGNORECASE,
)
_H_VS_H = re.compile(r"\b(h[12])\s+(vs\.?|versus|and)\s+(h[12])\s+((?:19|20)\d\d)\b", re.IGNORECASE)


def _halves_of_one_period(m: re.Match[str]) -> str:
    period = f"{m[5]} {m[6]}"
    return f"{m[1]} half {period} {m[2]} {m[3] or ''}{m[4]} half {period}"


# a model name written as in the YAML, with underscores
_SNAKE_NAME = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")

# "sorted the other way", "reverse the order", "flip it", "the other way round"
_REVERSE_SAID = re.compile(
    r"\b(?:other\s+way|reverse[ds]?|reversing|flip(?:ped)?|opposite\s+(?:order|way))\b"
)


def _reverse_only(tokens: Sequence[Token]) -> bool:
    """Only "the other way" round (a follow-up turning the last ranking), nothing else said."""
    said = " ".join(t.text for t in tokens if t.text not in ("?", ".", "!"))
    m = _REVERSE_SAID.search(said)
    if m is None:
        return False
    rest = (said[: m.start()] + " " + said[m.end() :]).split()
    return all(w in REVERSE_FILLER for w in rest)


def _had_none(intent: Intent, vocab: Vocabulary) -> bool:
    """The groups with none of some rows: a count held to exactly 0."""
    counts = set(vocab.count_metric.values())
    return any(f.field in counts and f.op == Op.EQ and f.value == 0 for f in intent.filters)


def _listing_held_to_count(intent: Intent | None, vocab: Vocabulary) -> bool:
    """A listing of rows (no metric) with a condition on a count: each row is one, so no list answers."""
    counts = set(vocab.count_metric.values())
    return intent is not None and not intent.metrics and any(f.field in counts for f in intent.filters)


def _amount_of_cut_rows(
    previous: Intent, parts: Parts, tokens: Sequence[Token], reading: Reading
) -> str | None:
    """ "the 5 largest buckets in prod" -> "how much storage in total?", "how many accounts spent more
    than 20k" -> "total storage": an amount alone, of rows the last answer cut to a top N or picked by
    a condition on groups. An intent cannot keep to those rows: the amount would be every bucket's,
    or the groups ranked again by the new amount (other groups), or the count repeated. Asked back;
    "and storage?" adds a column beside the same rows."""
    if previous.limit is None and previous.count_groups is None:
        return None
    if tokens and tokens[0].text in ("and", "plus", "also", "with"):
        return None
    if not only_a_metric(list(tokens), parts, reading):
        return None
    if set(parts.metrics) <= set(previous.metrics):
        return None  # "top 3 regions by cost last month" -> "cost this month": the same ranking, then
    what = "the top rows the last answer kept" if previous.limit is not None else "the groups it counted"
    return (
        f"an amount of {what} alone: I can only compute it over every row that matches; ask it in full "
        "(e.g. for all of them, or name the ones you mean), or say 'and <amount>' to add it beside them"
    )


def _none_as_zero(tokens: Sequence[Token], span: tuple[int, int]) -> str:
    """The question with the words saying "none" (tokens ``span``) as "exactly 0": "which accounts
    have no public buckets" -> "which accounts have exactly 0 public buckets", "accounts without eks
    clusters" -> "accounts with exactly 0 eks clusters", "don't have any" -> "have exactly 0"."""
    said = {t.text for t in tokens[span[0] : span[1]]}
    verb = "have" if said & {"have", "has", "had"} else "with" if said & {"with", "without"} else ""
    words = [t.orig for t in tokens[: span[0]]] + [verb, "exactly", "0"] + [t.orig for t in tokens[span[1] :]]
    return " ".join(w for w in words if w)


def _ordinal_only(tokens: Sequence[Token]) -> int | None:
    """ "and the second?", "what about the 3rd one": only a position in the last ranking, or None."""
    words = [t.text for t in tokens if t.text not in ("?", ".", "!")]
    said = [w for w in words if w not in LIMIT_WORDS | {"and", "one", "place", "spot"}]
    if len(said) != 1:
        return None
    n = ordinal_number(said[0])
    return n if n is not None and 1 < n <= 1000 else None


def _within(conditions: Sequence[Filter], applies_to: MappingType[str, Sequence[str]]) -> bool:
    """The conditions keep only rows a dimension applies to ("running ec2 instances" and the
    instance type): every field it depends on is held to its values."""
    held = {f.field: set(values_of(f)) for f in conditions if f.op in (Op.EQ, Op.IN)}
    return all(field in held and held[field] <= set(values) for field, values in applies_to.items())


__all__ = ["OfflineMapper"]


def _smoke() -> None:  # pragma: no cover - a manual check: python -m runtime.mappers.offline "question"
    import sys

    from semantic import load_model

    mapper = OfflineMapper(load_model())
    for q in sys.argv[1:]:
        m = mapper.map(q)
        print(q, "->", m.status, m.message)
        if m.intent:
            print("   ", m.intent.model_dump(exclude_defaults=True))


if __name__ == "__main__":  # pragma: no cover
    _smoke()
