"""Question text -> a left-to-right list of recognised pieces (``Item``), before any interpretation.

Passes run from the most specific to the least, each on the words the earlier ones left: long model
phrases that contain time words ("<metric> per day"), time phrases, numbers, every other model phrase,
generic English markers, and last the words nobody recognised. Keeping positions lets the
interpretation look at neighbours ("by" + dimension, "not" + value, "top 5" + entity).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from models.units import Unit
from runtime.mappers.english import (
    BUT_NOT_EXCEPTING,
    COMPARATIVES,
    COPULAS,
    DETERMINERS,
    EACH_WORDS,
    EARLY_MARKERS,
    EVERY_WORDS,
    EXCEPTING_BUT,
    FUNCTION_WORDS,
    INVERTING_WORDS,
    KNOWN_WORDS,
    MARKERS,
    MINUS_WORDS,
    NEGATING_PREFIXES,
    NO_WORDS,
    SHOW_UNITS,
    STOPWORDS,
    SUPERLATIVES,
    TAGGING_FILLERS,
    TAGGING_WORDS,
    TIME_LEFTOVERS,
    TIME_PHRASE_WORDS,
    UNIT_PREPOSITIONS,
    UNITS,
    VERB_OPENER_FOLLOWERS,
    WHO_WORDS,
    YES_WORDS,
    doer_nouns,
    ordinal_number,
)
from runtime.mappers.kinds import Direction, ItemKind, Role
from runtime.mappers.quantities import Quantity, find_quantities
from runtime.mappers.time_phrases import TimePhrase, find_time_phrases
from runtime.mappers.tokens import Token, joined, phrase_key, tokenize
from runtime.mappers.vocabulary import Kind, Meaning, Vocabulary

_MARKER_INDEX: dict[tuple[str, ...], tuple[Role, ...]] = {}
for _role, _phrases in MARKERS.items():
    for _p in _phrases:
        _k = tuple(_p.split())
        _MARKER_INDEX[_k] = (*_MARKER_INDEX.get(_k, ()), _role)
_MARKER_LEN = max(len(k) for k in _MARKER_INDEX)
_EARLY = tuple(sorted((tuple(p.split()) for p in EARLY_MARKERS), key=len, reverse=True))
_EARLY_FIRST = frozenset(p[0] for p in _EARLY)
SEPARATORS = frozenset({"=", ":"})
_COUNT_PHRASES = frozenset(tuple(p.split()) for p in (*MARKERS[Role.COUNT], "total number"))

_SHOW_LONGEST = max(len(p.split()) for p in SHOW_UNITS)  # words in the longest unit phrase


@dataclass(frozen=True, slots=True)
class Item:
    """One recognised piece of the question, spanning tokens ``start``..``end`` (exclusive). Immutable:
    what the interpretation decides about it is kept in its state (``passes/state.py``)."""

    kind: ItemKind
    start: int  # unique within a reading: items never share a token, and none is empty
    end: int
    text: str
    meanings: tuple[Meaning, ...] = ()
    roles: tuple[Role, ...] = ()  # what a marker can do
    time: TimePhrase | None = None
    quantity: Quantity | None = None
    direction: Direction | None = None  # superlatives
    plural: bool = False
    weak: bool = False  # an everyday word that only counts next to its dimension
    default_metric: str | None = None  # a counting phrase the model ties to a metric ("how many")

    def has(self, *kinds: Kind) -> bool:
        return any(m.kind in kinds for m in self.meanings)

    def first(self, *kinds: Kind) -> Meaning | None:
        return next((m for m in self.meanings if m.kind in kinds), None)

    def named(self, *kinds: Kind) -> str:
        """The name of the first meaning of one of ``kinds``, for a caller that checked ``has(*kinds)``."""
        m = self.first(*kinds)
        assert m is not None, (self.text, kinds)
        return m.name

    def all(self, kind: Kind) -> list[Meaning]:
        return [m for m in self.meanings if m.kind == kind]


@dataclass(frozen=True)
class Reading:
    """The question's tokens and the pieces recognised in them, left to right; built once by
    ``read_question`` (``senses.choose_senses`` builds a narrowed copy), never changed after."""

    question: str
    tokens: tuple[Token, ...]
    items: tuple[Item, ...]
    as_of: dt.date | None = None  # the day relative phrases are read against (a range said as a filter)

    def token_before(self, item: Item) -> Token | None:
        return self.tokens[item.start - 1] if item.start > 0 else None


def read_question(question: str, vocab: Vocabulary, as_of: dt.date) -> Reading:
    tokens = tokenize(question)
    text = joined(tokens)
    free = [True] * len(tokens)
    items: list[Item] = []

    def span_of(a: int, b: int) -> tuple[int, int]:
        idx = [i for i, t in enumerate(tokens) if t.start >= a and t.end <= b]
        return (idx[0], idx[-1] + 1) if idx else (0, 0)

    def taken(a: int, b: int) -> bool:
        s, e = span_of(a, b)
        return s == e or not all(free[s:e])

    def claim(s: int, e: int) -> None:
        for i in range(s, e):
            free[i] = False

    def words(s: int, e: int) -> str:
        return " ".join(t.orig for t in tokens[s:e])

    def add_terms(min_len: int, only_time: bool) -> None:
        i = 0
        while i < len(tokens):
            if not free[i]:
                i += 1
                continue
            n, meanings = vocab.match(tokens, i, free, min_len=min_len)
            if n > 1 and not only_time:
                n, meanings = _right_headed(tokens, i, n, meanings, vocab, free, min_len)
            if n and (
                not only_time
                or any(t.key in TIME_PHRASE_WORDS or t.text in TIME_PHRASE_WORDS for t in tokens[i : i + n])
            ):
                items.append(_term(tokens, i, n, meanings, vocab))
                claim(i, i + n)
                i += n
            else:
                i += 1

    for it in _key_values(tokens, vocab, free):  # "<key>=<value>", "tag <key>:<value>": a condition
        items.append(it)
        claim(it.start, it.end)
    for it in _value_prefixes(tokens, vocab, free):  # "<ab> <cd>": the one value "ab-cd-1" they start
        items.append(it)
        claim(it.start, it.end)
    for it in _tag_then_value(tokens, vocab, free):  # "the <key> tag <value>": that tag's value
        items.append(it)
        claim(it.start, it.end)
    for it in _who_does(tokens, vocab, free):  # "who owns ...": the dimension of whoever does it
        items.append(it)
        claim(it.start, it.end)
    for it in _names_before_nouns(tokens, vocab, free):  # "the ab-cd-7 <noun>": a row named as written
        items.append(it)
        claim(it.start, it.end)
    for i in range(len(tokens) - 1):  # "in TB", "in thousands of dollars": the unit to show a number in
        if tokens[i].text not in UNIT_PREPOSITIONS or not free[i]:
            continue
        if tokens[i + 1].text in UNITS and UNITS[tokens[i + 1].text] == Unit.PERCENT and free[i + 1]:
            items.append(
                Item(ItemKind.MARKER, i, i + 2, words(i, i + 2), roles=(Role.RATIO,))
            )  # "in percent": a share
            claim(i, i + 2)
            continue
        for n in range(_SHOW_LONGEST, 0, -1):
            j = i + 1 + n
            if (
                j <= len(tokens)
                and " ".join(t.text for t in tokens[i + 1 : j]) in SHOW_UNITS
                and all(free[i:j])
            ):
                items.append(Item(ItemKind.UNIT, i, j, words(i, j)))
                claim(i, j)
                break
    for i in range(len(tokens)):  # "<word> total" phrases (english.EARLY_MARKERS), before model words
        if tokens[i].text not in _EARLY_FIRST:
            continue
        for phrase in _EARLY:
            n = len(phrase)
            if tuple(t.text for t in tokens[i : i + n]) == phrase and all(free[i : i + n]):
                items.append(Item(ItemKind.MARKER, i, i + n, words(i, i + n), roles=_MARKER_INDEX[phrase]))
                claim(i, i + n)
    add_terms(2, only_time=True)
    for tp in find_time_phrases(text, as_of, taken):
        s, e = span_of(tp.start, tp.end)
        items.append(Item(ItemKind.TIME, s, e, words(s, e), time=tp))
        claim(s, e)
    for q in find_quantities(text, taken):
        s, e = span_of(q.start, q.end)
        items.append(Item(ItemKind.QUANTITY, s, e, words(s, e), quantity=q))
        claim(s, e)
    add_terms(1, only_time=False)
    for it in _predicates(tokens, vocab, free):  # "<nouns> that are <adjective>": "<adjective> <nouns>"
        items.append(it)
        claim(it.start, it.end)
    i = 0
    while i < len(tokens):
        if not free[i]:
            i += 1
            continue
        n = _marker_at(tokens, i, free)
        if n:
            key = tuple(t.text for t in tokens[i : i + n])
            items.append(Item(ItemKind.MARKER, i, i + n, words(i, i + n), roles=_MARKER_INDEX[key]))
            claim(i, i + n)
            i += n
            continue
        tok = tokens[i]
        after = next((x for x in items if x.start == i + 1 and x.kind == ItemKind.TERM), None)
        if (
            tok.text in MINUS_WORDS
            and after is not None
            and after.has(Kind.VALUE, Kind.BOOLEAN, Kind.SEGMENT)
            and not after.has(Kind.METRIC)
        ):
            items.append(Item(ItemKind.MARKER, i, i + 1, tok.orig, roles=(Role.NEG,)))  # "cost less s3"
            claim(i, i + 1)
        elif (
            tok.text == EXCEPTING_BUT
            and any(t.text in EVERY_WORDS for t in tokens[max(0, i - 4) : i])
            and (i + 1 == len(tokens) or tokens[i + 1].text not in BUT_NOT_EXCEPTING)
        ):
            items.append(Item(ItemKind.MARKER, i, i + 1, tok.orig, roles=(Role.NEG,)))  # "all <x> but"
            claim(i, i + 1)
        elif tok.text in SEPARATORS:
            pass  # a "key=value" whose key or value the model does not know: the words speak for it
        elif tok.text in SUPERLATIVES:
            items.append(Item(ItemKind.SUPER, i, i + 1, tok.orig, direction=SUPERLATIVES[tok.text]))
        elif tok.text in TIME_LEFTOVERS or tok.text in COMPARATIVES:
            items.append(Item(ItemKind.UNKNOWN, i, i + 1, tok.orig))  # a time word or comparison nobody took
        elif tok.text in UNITS:
            items.append(Item(ItemKind.IGNORED, i, i + 1, tok.orig))  # "in TB": answers keep the model's unit
        elif tok.text not in STOPWORDS and tok.key not in STOPWORDS and tok.key not in vocab.domain_words:
            items.append(Item(ItemKind.UNKNOWN, i, i + 1, tok.orig))
        claim(i, i + 1)
        i += 1
    items.sort(key=lambda it: it.start)
    _read_inverted(items, tokens, vocab)
    _negated_tags(items, tokens, vocab)
    return Reading(question, tuple(tokens), tuple(items), as_of)


def _negated_tags(items: list[Item], tokens: Sequence[Token], vocab: Vocabulary) -> None:
    """ "not tagged team ml", "not tagged with owner alice": a negated "tagged" before a tag key
    negates that tag's condition; it is not the flag of rows with no tags at all (the analyst's
    phrase for that flag would otherwise add "and untagged" to a tag the rows then cannot have)."""
    flags = {d.untagged for d in vocab.tag_dimensions.values() if d.untagged}
    for k, it in enumerate(items[:-1]):
        if it.kind != ItemKind.TERM or tokens[it.start].text not in NO_WORDS | {"not"}:
            continue
        if not any(m.kind == Kind.BOOLEAN and m.name in flags for m in it.meanings):
            continue
        nxt = items[k + 1]
        if nxt.kind == ItemKind.MARKER and Role.WITH in nxt.roles and k + 2 < len(items):
            nxt = items[k + 2]  # "not tagged with team ml"
        gap = [t.text for t in tokens[it.end : nxt.start]]
        tag = nxt.has(Kind.TAG_KEY) or any(  # "team ml": a key and its value read as one
            m.kind == Kind.VALUE and m.name.partition(":")[0] in vocab.tag_dimensions and ":" in m.name
            for m in nxt.meanings
        )
        if nxt.kind == ItemKind.TERM and tag and gap in ([], ["with"], ["as"]):
            items[k] = Item(ItemKind.MARKER, it.start, it.end, it.text, roles=(Role.NEG,))


_SKIPPED_AFTER_OF = DETERMINERS | EACH_WORDS | {"a", "an", "this", "that"}
_NAMES_BETWEEN = 2  # "the owner of the <account name> account": values said between the two words


def _read_inverted(items: list[Item], tokens: list[Token], vocab: Vocabulary) -> None:
    """ "the owner of the <name> account" says the model's phrase "account owner" the other way round:
    the first term takes that phrase's meanings (alone it may name something else: a tag "owner"):
    it is replaced in ``items`` by a copy with those meanings. The second term stays what it is (the
    accounts, or the one the values between name)."""
    for k, it in enumerate(items):
        if it.kind != ItemKind.TERM or it.end >= len(tokens):
            continue
        doer = _doer(items[k - 1], it, tokens, vocab) if k else None
        own: tuple[str, ...]
        if doer:  # "who owns the <name> account": its owner, said with a verb
            j, named, own = it.end, 0, (doer,)
        elif tokens[it.end].text in INVERTING_WORDS:
            j, named = it.end + 1, 0
            own = tuple(t.key for t in tokens[it.start : it.end])
        else:
            continue
        for later in items[k + 1 :]:
            while j < later.start and tokens[j].text in _SKIPPED_AFTER_OF:
                j += 1
            if later.start == j and all(t.text in _SKIPPED_AFTER_OF for t in tokens[later.start : later.end]):
                j = later.end  # "each": a word to skip that is also a marker
                continue
            if doer and later.start == j and (later.kind == ItemKind.SUPER or later.has(Kind.METRIC)):
                j = later.end  # "who owns the most expensive account": the account is still what is owned
                continue
            if later.start != j or later.kind != ItemKind.TERM:
                break
            inverted = vocab.phrases.get(tuple(t.key for t in tokens[later.start : later.end]) + own)
            if inverted:
                items[k] = replace(it, meanings=tuple(inverted))
                break
            named += 1  # a value between them ("the <name> account"): look one further
            if named > _NAMES_BETWEEN or not later.has(Kind.VALUE):
                break
            j = later.end


def _right_headed(
    tokens: Sequence[Token],
    i: int,
    n: int,
    meanings: list[Meaning],
    vocab: Vocabulary,
    free: list[bool],
    min_len: int,
) -> tuple[int, list[Meaning]]:
    """The longest phrase at ``i`` (``n`` words), or one word shorter when its last word starts a
    longer phrase that reaches as far as the rest would: "<value> instance types" is the value and
    "instance types" (a compound noun, its head last), not "<value> instance" and "types"."""
    shorter, found = vocab.match(tokens, i, free[: i + n - 1] + [False] * (len(free) - i - n + 1), min_len)
    if shorter != n - 1:
        return n, meanings
    tail, _ = vocab.match(tokens, i + n - 1, free, min_len)
    if tail < 2:
        return n, meanings
    after, _ = vocab.match(tokens, i + n, free, min_len) if i + n < len(tokens) else (0, [])
    if i + n - 1 + tail < i + n + after or after == 0:
        return n, meanings  # the greedy reading covers more, or nothing follows it
    return shorter, found


def _doer(before: Item, it: Item, tokens: list[Token], vocab: Vocabulary) -> str | None:
    """The noun of the verb a "who" asks about ("who owns": "owner"), when ``it`` is that verb."""
    if before.kind != ItemKind.MARKER or before.end != it.start or it.end - it.start != 1:
        return None
    if tokens[before.start].text not in WHO_WORDS:
        return None
    return next((n for n in doer_nouns(tokens[it.start].text) if n and (n,) in vocab.phrases), None)


def _term(tokens: list[Token], i: int, n: int, meanings: Sequence[Meaning], vocab: Vocabulary) -> Item:
    span = tokens[i : i + n]
    text = " ".join(t.orig for t in span)
    plural = span[-1].text != span[-1].key
    # "cheapest": a metric and a direction
    direction = SUPERLATIVES[span[0].text] if n == 1 and span[0].text in SUPERLATIVES else None
    weak = vocab.is_everyday(span) and not any(t.orig.isupper() and len(t.orig) > 1 for t in span)
    # "search for public buckets": a value that opens the question before "for" is the verb
    weak = weak or (i == 0 and n == 1 and i + 1 < len(tokens) and tokens[1].text in VERB_OPENER_FOLLOWERS)
    key = tuple(t.text for t in span)
    count_metrics = [m for m in meanings if m.kind == Kind.METRIC and m.name in vocab.count_metric.values()]
    if (key in _COUNT_PHRASES or phrase_key(" ".join(key)) in _COUNT_PHRASES) and count_metrics:
        # "how many" / "number of" say "count something"; what is counted comes from the words after
        return Item(
            ItemKind.MARKER,
            i,
            i + n,
            text,
            roles=(Role.COUNT,),
            direction=direction,
            plural=plural,
            weak=weak,
            default_metric=count_metrics[0].name,
        )
    return Item(
        ItemKind.TERM, i, i + n, text, meanings=tuple(meanings), direction=direction, plural=plural, weak=weak
    )


def _key_values(tokens: list[Token], vocab: Vocabulary, free: list[bool]) -> list[Item]:
    """ "<key>=<value>" and "<key>:<value>" (tag syntax): a condition on the dimension or tag the key
    names, with the value read as that dimension's value (or, for a tag, taken as written)."""
    out: list[Item] = []
    for i, tok in enumerate(tokens):
        if tok.text not in SEPARATORS or not 0 < i < len(tokens) - 1 or not all(free[i - 1 : i + 2]):
            continue
        key = _key_before(tokens, i, vocab, free)
        if key is None:
            continue
        start, meanings = key
        tag_word = _tag_word_before(tokens, start, vocab, free)
        if tag_word is not None:
            start = tag_word
            meanings = [m for m in meanings if m.kind == Kind.TAG_KEY]
        if any(m.kind == Kind.TAG_DIMENSION for m in meanings):
            # "tag:<key>": the key written with its tag word; a value may follow ("tag:<key>=<value>")
            n, found = vocab.match(tokens, i + 1, free)
            tag_keys = [m for m in found if m.kind == Kind.TAG_KEY]
            after = i + 1 + n
            if tag_keys and not (after < len(tokens) and tokens[after].text in SEPARATORS):
                out.append(_spelled(tokens, start, after, tag_keys))
                _claim(free, start, after)
            continue
        values = [(m, _value_after(tokens, i + 1, m, vocab, free)) for m in meanings]
        first = next(((m, v) for m, v in values if v is not None), None)
        if first is None:
            continue
        end = first[1][0]
        # keys of one kind with this value (several inventories' "state=running"): the question decides
        same = [v[1] for m, v in values if v is not None and m.kind == first[0].kind and v[0] == end]
        out.append(_spelled(tokens, start, end, same))
        _claim(free, start, end)
    return out


def _value_prefixes(tokens: list[Token], vocab: Vocabulary, free: list[bool]) -> list[Item]:
    """ "instances in the <ab> <cd> region", "in <ab>-<cd>": two or more words that begin exactly one
    value of several words (<ab>-<cd>-1) and are no phrase of their own are that value; read as a
    group named <ab> plus a dropped word, the answer would cover the wrong values."""
    out: list[Item] = []
    begun = vocab.value_beginnings()
    i = 0
    while i < len(tokens) - 1:
        best: tuple[int, Meaning] | None = None
        whole, _ = vocab.match(tokens, i, free)
        for n in (3, 2):
            if whole >= n:
                break  # the whole value is written
            said = tuple(t.key for t in tokens[i : i + n])
            if len(said) < n or not all(free[i : i + n]) or said in vocab.phrases:
                continue
            found = begun.get(said, frozenset())
            if len(found) == 1:
                best = (n, next(iter(found)))
                break
        if best is None:
            i += 1
            continue
        n, meaning = best
        out.append(_spelled(tokens, i, i + n, [meaning]))
        _claim(free, i, i + n)
        i += n
    return out


def _tag_then_value(tokens: list[Token], vocab: Vocabulary, free: list[bool]) -> list[Item]:
    """ "<rows> with the <key> tag <value>", "<rows> tagged <key> <value>": a tag key said with its
    tag word, or right after a word of tagging, then one of the values that tag has in the data, is a
    condition on the tag, even when the key is also another dimension's word and the value one of its
    values (an environment named like the env tag's values)."""
    out: list[Item] = []
    i = 0
    while i < len(tokens):
        n, found = vocab.match(tokens, i, free)
        keys = [m for m in found if m.kind == Kind.TAG_KEY]
        j = i + n
        tag_word = (
            n > 1 and any(m.kind == Kind.TAG_DIMENSION for m in vocab.phrases.get((tokens[j - 1].key,), ()))
        ) or _tagging_before(tokens, i)
        if not keys or not tag_word:
            i += max(n, 1)
            continue
        for key in keys if j < len(tokens) else ():
            value = next(
                (
                    v
                    for v in sorted(vocab.known_values.get(key.name, ()), key=len, reverse=True)
                    if (k := phrase_key(v))
                    and tuple(t.key for t in tokens[j : j + len(k)]) == k
                    and all(free[j : j + len(k)])
                ),
                None,
            )
            if value is not None:
                end = j + len(phrase_key(value))
                out.append(_spelled(tokens, i, end, [Meaning(Kind.VALUE, key.name, value)]))
                _claim(free, i, end)
                j = end
                break
            written = _tag_value_written(tokens, i, j, key, vocab, free)
            if written is not None:  # "tagged <key> <a value not seen in the data>": as written
                out.append(_spelled(tokens, i, written[0], [written[1]]))
                _claim(free, i, written[0])
                j = written[0]
                break
        else:
            if _tagging_before(tokens, i) and all(free[i:j]):  # "tagged env": the tag's key, no value
                out.append(_spelled(tokens, i, j, keys))
                _claim(free, i, j)
        i = j
    return out


def _tag_value_written(
    tokens: list[Token], i: int, j: int, key: Meaning, vocab: Vocabulary, free: list[bool]
) -> tuple[int, Meaning] | None:
    """After "tagged <key>", the next word is the tag's value even when the data has no such value
    (taken as written), unless it is a word of another kind (a metric, a table, a grouping)."""
    if not _tagging_before(tokens, i) or not free[j]:
        return None
    _, found = vocab.match(tokens, j, free)
    if any(m.kind not in (Kind.VALUE, Kind.SEGMENT, Kind.BOOLEAN) for m in found):
        return None
    word = tokens[j].text
    if not found and (word in KNOWN_WORDS or word in STOPWORDS or word in TIME_PHRASE_WORDS):
        return None  # "tagged env last month": English, not a value
    return _value_after(tokens, j, key, vocab, free)


def _tagging_before(tokens: list[Token], i: int) -> bool:
    """ "tagged <key>", "labelled with <key>": a word of tagging right before token ``i``."""
    j = i - 1
    if j >= 0 and tokens[j].text in TAGGING_FILLERS:
        j -= 1
    return j >= 0 and tokens[j].text in TAGGING_WORDS


def _who_does(tokens: list[Token], vocab: Vocabulary, free: list[bool]) -> list[Item]:
    """ "who <verb>s": which of the dimension or tag key named by the doer of the verb ("leads" ->
    "leader"): a "which" marker and the term it asks about."""
    out: list[Item] = []
    for i in range(len(tokens) - 1):
        verb = tokens[i + 1].text
        if (
            tokens[i].text not in WHO_WORDS
            or not free[i]
            or not free[i + 1]
            or not verb.isalpha()
            or len(verb) < 3
        ):
            continue
        for noun in doer_nouns(verb):
            found = vocab.phrases.get((noun,)) if noun else None
            named = [m for m in found or () if m.kind in (Kind.TAG_KEY, Kind.DIMENSION)]
            if named:  # "who" asks which of them, as "which owners" does
                out.append(Item(ItemKind.MARKER, i, i + 1, tokens[i].orig, roles=(Role.WHICH,)))
                out.append(_spelled(tokens, i + 1, i + 2, named))
                break
    return out


def _ranks(word: str) -> bool:
    """An ordinal ("second", "2nd") or "runner" (of "runner-up"): a rank, never a row's name."""
    return word == "runner" or ordinal_number(word) is not None


def _names_before_nouns(tokens: list[Token], vocab: Vocabulary, free: list[bool]) -> list[Item]:
    """ "the ab-cd-7 <noun>": a hyphenated word the model does not know, right before a noun that names
    a kind of row (a value of a dimension, or the table), is that row's name, taken as written."""
    out: list[Item] = []
    i = 0
    while i < len(tokens):
        end = i + 1
        while end < len(tokens) and tokens[end].glued:
            end += 1
        run = tokens[i:end]
        if (
            end - i < 2
            or end >= len(tokens)
            or not all(free[i : end + 1])
            or tokens[i].glued
            or tokens[i].text in NEGATING_PREFIXES  # "non-ec2 resources": not a name, a negation
            or _ranks(tokens[i].text)  # "the second-largest account", "the runner-up account": a rank
        ):
            i = end
            continue
        n, _ = vocab.match(tokens, i, free)
        unknown = [  # "month-by-month" is English, not a name
            t
            for t in run
            if not t.text.isalpha()
            or ((t.key,) not in vocab.phrases and t.text not in KNOWN_WORDS and t.text not in STOPWORDS)
        ]
        name = _name_dimension(tokens, end, vocab, free)
        wordy = all(t.text.isalpha() for t in run) and any(
            (t.key,) in vocab.phrases or t.key in vocab.domain_words for t in run
        )  # "internet-exposed <entities>": words the model knows, hyphenated, not a name
        if n < end - i and unknown and name is not None and not wordy:
            out.append(_spelled(tokens, i, end, [Meaning(Kind.VALUE, name, "-".join(t.orig for t in run))]))
            _claim(free, i, end)
        i = end
    return out


def _predicates(tokens: list[Token], vocab: Vocabulary, free: list[bool]) -> list[Item]:
    """ "which <nouns> are <adjective>": an adjective said after its noun, joined to it by a copula,
    means what the model's phrase "<adjective> <noun>" means (a segment, say); the noun keeps its own
    meaning too."""
    out: list[Item] = []
    for i, tok in enumerate(tokens):
        if not free[i] or tok.key not in vocab.inner_words:
            continue
        j = i - 1
        while j >= 0 and tokens[j].text in COPULAS:
            j -= 1
        if j < 0 or j == i - 1:
            continue
        found = vocab.phrases.get((tok.key, tokens[j].key)) or vocab.phrases.get((tok.text, tokens[j].key))
        if found:
            out.append(_spelled(tokens, i, i + 1, list(found)))
            free[i] = False
    return out


def _name_dimension(tokens: list[Token], i: int, vocab: Vocabulary, free: list[bool]) -> str | None:
    """The name dimension of the table whose rows the noun at ``i`` names, if it names a kind of row."""
    _, found = vocab.match(tokens, i, free)
    tables: list[str] = []
    for m in found:
        if m.kind == Kind.TABLE:
            tables.append(m.name)
        elif m.kind in (Kind.VALUE, Kind.DIMENSION) and m.name in vocab.dimensions:
            tables.extend(vocab.dimension_tables.get(m.name, ()))
    for table in dict.fromkeys(tables):
        labels = vocab.label_dimensions.get(table, ())
        if len(labels) >= 2:
            return labels[-1]
    return None


def _spelled(tokens: list[Token], s: int, e: int, meanings: Sequence[Meaning]) -> Item:
    return Item(ItemKind.TERM, s, e, " ".join(t.orig for t in tokens[s:e]), meanings=tuple(meanings))


def _claim(free: list[bool], s: int, e: int) -> None:
    for j in range(s, e):
        free[j] = False


def _key_before(
    tokens: list[Token], i: int, vocab: Vocabulary, free: list[bool]
) -> tuple[int, list[Meaning]] | None:
    """The longest model phrase that ends right before token ``i`` and names something with values."""
    for size in range(min(vocab.max_len, i), 0, -1):
        span = tokens[i - size : i]
        if not all(free[i - size : i]) or any(t.text in SEPARATORS for t in span):
            continue
        found = vocab.phrases.get(tuple(t.key for t in span))
        if found is None and size == 1:
            found = vocab.phrases.get((span[0].text,))
        keys = [
            m
            for m in found or ()
            if m.kind in (Kind.TAG_KEY, Kind.BOOLEAN, Kind.TAG_DIMENSION)
            or (m.kind == Kind.DIMENSION and m.name not in vocab.number_dimensions)
        ]
        if keys:
            # a key that is both a dimension and a tag key: the tag when the key is written exactly as
            # the tag key ("<key>=<value>" is tag syntax); else the dimension when the value is one of
            # its values, the tag otherwise
            written = "-".join(t.text for t in span)
            keys.sort(
                key=lambda m: (
                    not (m.kind == Kind.TAG_KEY and m.name.split(":", 1)[-1].lower() == written),
                    m.kind != Kind.DIMENSION,
                    m.kind != Kind.BOOLEAN,
                )
            )
            return i - size, keys
    return None


def _tag_word_before(tokens: list[Token], start: int, vocab: Vocabulary, free: list[bool]) -> int | None:
    """ "tag <key>:<value>", "tag: <key>=<value>": where the tag word starts, if one is there."""
    j = start - 1
    if j >= 0 and tokens[j].text in SEPARATORS:
        j -= 1
    if j < 0 or not all(free[j:start]):
        return None
    found = vocab.phrases.get((tokens[j].key,)) or vocab.phrases.get((tokens[j].text,)) or []
    return j if any(m.kind == Kind.TAG_DIMENSION for m in found) else None


def _value_after(
    tokens: list[Token], i: int, key: Meaning, vocab: Vocabulary, free: list[bool]
) -> tuple[int, Meaning] | None:
    """The value of ``key`` written from token ``i``: (end, meaning) or None."""
    if tokens[i].text in SEPARATORS:
        return None
    if key.kind == Kind.BOOLEAN:
        word = tokens[i].text
        if word in YES_WORDS or word in NO_WORDS:
            return i + 1, Meaning(Kind.BOOLEAN, key.name, bool(key.value) == (word in YES_WORDS))
        return None
    n, found = vocab.match(tokens, i, free)
    for m in found:
        if m.kind == Kind.VALUE and m.name == key.name:
            return i + n, m
    for value in sorted(vocab.known_values.get(key.name, ()), key=len, reverse=True):
        k = phrase_key(value)
        if k and tuple(t.key for t in tokens[i : i + len(k)]) == k and all(free[i : i + len(k)]):
            return i + len(k), Meaning(Kind.VALUE, key.name, value)
    d = vocab.dimensions.get(key.name)
    if key.kind == Kind.TAG_KEY or (d is not None and not d.enum and d.type == "string"):
        # a value the model has not seen, spelled out: taken as written ("<key>=ab-12")
        end = i + 1
        while end < len(tokens) and tokens[end].glued and free[end]:
            end += 1
        if tokens[i].text in FUNCTION_WORDS and end == i + 1:
            return None  # "owner = the ..." is no value; "team=<filler word>" is one
        return end, Meaning(Kind.VALUE, key.name, "-".join(t.orig for t in tokens[i:end]))
    return None


def _marker_at(tokens: list[Token], i: int, free: list[bool]) -> int:
    for n in range(min(_MARKER_LEN, len(tokens) - i), 0, -1):
        if not all(free[i : i + n]):
            continue
        if tuple(t.text for t in tokens[i : i + n]) in _MARKER_INDEX:
            return n
    return 0


__all__ = ["Item", "Reading", "read_question"]
