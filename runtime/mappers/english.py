"""Generic English the offline mapper knows on its own: function words and question scaffolding.

Nothing here names anything in a semantic model. Words that mean something in a particular estate
(metrics, dimensions, values) come from the model's YAML through ``vocabulary.py``; this module only
knows how English questions are put together ("by", "top 5", "excluding", "how many").
"""

from __future__ import annotations

import re

from models.intent import NUMBER_WORDS as BASIC_NUMBER_WORDS
from models.units import FAMILY, Family, Unit
from runtime.mappers.kinds import Direction, Role


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


# How a metric changed between two periods (the intent's ``compare``): word -> the way the change of
# interest goes, so "grew the most" ranks the largest increases first and "fell the most" the largest
# drops; None for a change either way.
CHANGE_WORDS: dict[str, str | None] = {
    **dict.fromkeys(_phrases("change, changes, difference, delta, period over period"), None),
    **dict.fromkeys(
        _phrases(
            "grew, grow, grown, growing, growth, increase, increased, increases, increasing, rose, risen, "
            "rise, rising, jumped, jump, spiked, climbed, went up, gone up, go up"
        ),
        "desc",
    ),
    **dict.fromkeys(
        _phrases(
            "fell, fall, fallen, falling, dropped, decrease, decreased, decreases, decreasing, declined, "
            "decline, shrank, shrunk, went down, gone down, go down"
        ),
        "asc",
    ),
}
# Words that ask for a running total along a time series (the intent's ``cumulative``).
CUMULATIVE_PHRASES: tuple[str, ...] = _phrases(
    "running total, running totals, running sum, cumulative, cumulatively, cumulative total, cumulative sum, "
    "accumulated, cumulated"
)

# Markers: phrase -> role. Matched (longest first) on the words the model's vocabulary left over.
MARKERS: dict[Role, tuple[str, ...]] = {
    Role.GROUP: _phrases(
        "by, per, for each, for every, each, every, in each, in every, by each, per each, split by, split "
        "out by, broken down by, broken out by, break down by, breakdown by, grouped by, group by, bucketed "
        "by, across, across each, segmented by, sliced by, by their, per their, by its, split that by, "
        "split it by, split this by, split them by, split that out by, split it out by, split this out by, "
        "break that down by, break it down by, break this down by, break that out by, break it out by, "
        "divide that by, divide it by, group it by, group that by, group this by, group them by, also by, "
        "as well by, and by"
    ),
    Role.NEG: _phrases(
        "not, no, non, without, everything but, everything except, all but, anything but, "
        "excluding, exclude, excludes, excluded, except, except for, other than, "
        "apart from, but not, missing, lacking, lack, lacks, isn't, aren't, don't, doesn't, didn't, wasn't, "
        "weren't, haven't, hasn't, never, outside, outside of, minus, ignoring, ignore, leaving out, w/o, "
        "does not, do not, are not, is not, has no, have no, with no, not in, nor, that aren't, that are "
        "not, which are not, leave out, filter out, skip, skipping, not counting, without counting, not "
        "including, excluding any, leaving aside, leave aside, setting aside, set aside, aside from, "
        "omitting, omit, disregarding, disregard, discounting, exclusive of, barring, save for, but "
        "excluding, but without"
    ),
    Role.POSTNEG: _phrases("absent, unset, not set, empty, blank, null, is null, are null"),
    Role.WITH: _phrases(
        "with, having, has, have, that have, which have, with a, with an, tagged with, carrying, containing, "
        "that has, which has, carry, carries, bearing, that carry, which carry"
    ),
    Role.COUNT: _phrases(
        "how many, number of, count, count of, total number of, the number of, # of, counts, counting, count "
        "the, tally, tally of, total count of, total count"
    ),
    Role.RATIO: _phrases(
        "percentage, percent, pct, %, share, fraction, proportion, ratio, rate, what percentage, what share, "
        "what fraction, what proportion, what percent, how much of, portion"
    ),
    Role.LIST: _phrases(
        "list, listing, show, display, give, find, enumerate, get, return, fetch, identify, what are, which "
        "are, show me, give me, list all, list out, pull, print, lookup, look up, locate, see, view, "
        "search for, look for"
    ),
    Role.WHICH: _phrases(
        "which, what, which of the, what are the, which are the, which one of the, name the, which one, what "
        "one"
    ),
    Role.CHANGE: tuple(CHANGE_WORDS),
    Role.CUMULATIVE: CUMULATIVE_PHRASES,
    Role.COMPARE: _phrases(
        "compare, comparing, comparison, vs, versus, against, relative to, side by side, compared to, "
        "compared with, each of, respectively, difference between"
    ),
    Role.AND: _phrases("and, &, plus, as well as, along with, together with"),
    Role.OR: _phrases("or, either, and/or"),
    Role.INSTEAD: _phrases("instead, rather, instead of, rather than, switch to, change to"),
    Role.ALSO: _phrases("also, too, as well, additionally, in addition"),
    Role.SUM: _phrases(
        "combined, together, altogether, in total, all together, in aggregate, summed, aggregate, total of, "
        "across all, for all, over all"
    ),
    Role.ONLY: _phrases(
        "only, just, solely, exclusively, limit to, restrict to, restricted to, filter to, filtered to, "
        "limited to, narrow to, focus on"
    ),
    Role.AVG: _phrases("average, avg, mean, typical, median"),
    Role.SORT: _phrases(
        "sorted by, ordered by, order by, sort by, ranked by, rank by, rank, ranking, ranked, sort, sorted, "
        "order, ordered"
    ),
    Role.ASC: _phrases(
        "ascending, asc, increasing, smallest first, lowest first, oldest first, earliest first"
    ),
    Role.DESC: _phrases(
        "descending, desc, decreasing, largest first, highest first, biggest first, newest first, "
        "latest first, most recent first"
    ),
    Role.ALL_TIME: _phrases(
        "all time, ever, all-time, of all time, since the beginning, since inception, any time, anytime, "
        "whole period, entire period, lifetime"
    ),
    Role.EXISTS: _phrases(
        "exist, exists, existing, there, are there, is there, do we have, we have, do i have, we own, we run"
    ),
}

# Verbs whose "by" names who did it ("owned by <someone>", "run by <team>"), not a breakdown; past
# participles ending in -ed count too.
AGENT_VERBS = _words("run made built held kept paid spent used driven written done taken")

# After an average, "per <kind>" says what it averages over, not one row each.
AVERAGE_PER = _words("per")

# Words of having between counted rows and a metric ("how many <entities> had <metric>").
HAVING_WORDS = _words("had have has having with")
# Between a word of having and a metric, words that start another request ("how many resources it has
# and what it cost"): the metric is then asked for beside the count, not what the rows have.
HAVING_BREAKS = _words("and or plus what how which")

# Superlatives: word -> direction; "size" words prefer a size dimension when nothing else is compared.
SUPERLATIVES: dict[str, Direction] = {
    **dict.fromkeys(
        _words("""
most highest largest biggest greatest top maximum max costliest priciest heaviest more higher larger
bigger worst leading fastest quickest
"""),
        "desc",
    ),
    **dict.fromkeys(
        _words("""
least lowest smallest fewest minimum min cheapest bottom less lower smaller fewer cheaper best slowest
"""),
        "asc",
    ),
}
TRUE_SUPERLATIVES = _words("""
biggest bottom cheapest costliest fewest greatest highest largest least lowest max maximum min
minimum most priciest smallest top fastest quickest slowest leading
""")
# Superlatives of speed: with a change ("grew fastest"), the change is ranked in percent.
RATE_SUPERLATIVES = _words("fastest quickest slowest")
# Rank words that only say "the first N" ("top 10 <entities> by lowest <metric>"): a superlative said
# with the metric decides the direction.
GENERIC_RANK_WORDS = _words("top first")
# Superlatives of age: they sort rows by their own date ("the oldest <entity>").
AGE_WORDS: dict[str, Direction] = {"oldest": "asc", "earliest": "asc", "newest": "desc", "youngest": "desc"}
SUPERLATIVES |= AGE_WORDS
TRUE_SUPERLATIVES |= frozenset(AGE_WORDS)
SIZE_WORDS = frozenset({"largest", "biggest", "smallest", "larger", "bigger", "smaller", "heaviest", "size"})

# Comparison operators (longest phrase wins), each followed by a number.
COMPARATORS: tuple[tuple[str, str], ...] = tuple(
    (phrase, op)
    for op, phrases in {
        ">=": _phrases(
            "more than or equal to, greater than or equal to, at least, no less than, not less than, no "
            "fewer than, minimum of, or more, >=, ≥, no smaller than, not smaller than, no lower than, not "
            "lower than, larger than or equal to, bigger than or equal to, a minimum of"
        ),
        "<=": _phrases(
            "less than or equal to, at most, no more than, not more than, up to, maximum of, or less, or "
            "fewer, <=, ≤, no larger than, not larger than, no bigger than, not bigger than, no greater "
            "than, not greater than, no higher than, not higher than, smaller than or equal to, a maximum of"
        ),
        ">": _phrases(
            "more than, greater than, higher than, larger than, bigger than, over, above, exceeding, "
            "exceeds, exceed, in excess of, north of, >"
        ),
        "<": _phrases(
            "less than, fewer than, lower than, smaller than, under, below, beneath, cheaper than, <"
        ),
        "=": _phrases("equal to, equals, exactly, ="),
    }.items()
    for phrase in phrases
)

# Words before a noun whose groups are counted ("how many accounts have more than 200 resources"):
# the count of the groups a condition keeps (``Intent.count_groups``), tried when the plain reading is
# not whole.
GROUP_COUNT_LEADS: tuple[str, ...] = _phrases(
    "how many, the number of, number of, count of, count the, count, total number of, the total number of"
)

# Ordinals before a ranking word ("the second most expensive", "third costliest"): the rank said
ORDINAL_WORDS: dict[str, int] = {
    w: i + 2
    for i, w in enumerate(_phrases("second, third, fourth, fifth, sixth, seventh, eighth, ninth, tenth"))
}
ORDINAL_PATTERN = rf"(?:{'|'.join(ORDINAL_WORDS)}|\d+(?:st|nd|rd|th))"  # one word: "second", "2nd"


def ordinal_number(word: str) -> int | None:
    """The place an ordinal says ("second" 2, "3rd" 3), or None for any other word."""
    if word in ORDINAL_WORDS:
        return ORDINAL_WORDS[word]
    return int(word[:-2]) if re.fullmatch(ORDINAL_PATTERN, word) else None


# Units people write after a number ("over 2 TB", "below 5%", "more than 300 dollars"): word -> the
# unit (``models.units.Unit``). The mapper puts it on the filter as written and the compiler converts
# it to the unit the model declares for the column, so no factor lives here.
UNITS: dict[str, Unit] = {
    **dict.fromkeys(_phrases("$, dollar, dollars, usd, buck, bucks, us dollar, us dollars, us$"), Unit.USD),
    **dict.fromkeys(_phrases("kb, kilobyte, kilobytes"), Unit.KB),
    **dict.fromkeys(_phrases("mb, megabyte, megabytes, megs"), Unit.MB),
    **dict.fromkeys(_phrases("gb, gigabyte, gigabytes, gig, gigs"), Unit.GB),
    **dict.fromkeys(_phrases("tb, terabyte, terabytes, tera"), Unit.TB),
    **dict.fromkeys(_phrases("pb, petabyte, petabytes"), Unit.PB),
    **dict.fromkeys(_phrases("kib, kibibyte, kibibytes"), Unit.KIB),
    **dict.fromkeys(_phrases("mib, mebibyte, mebibytes"), Unit.MIB),
    **dict.fromkeys(_phrases("gib, gibibyte, gibibytes"), Unit.GIB),
    **dict.fromkeys(_phrases("tib, tebibyte, tebibytes"), Unit.TIB),
    **dict.fromkeys(_phrases("pib, pebibyte, pebibytes"), Unit.PIB),
    **dict.fromkeys(_phrases("%, percent, pct"), Unit.PERCENT),
}

# Units a number is asked in ("total storage in TB", "cost in thousands of dollars", "in k$"): the
# words after "in" / "as" -> the unit of the intent's ``units``. Which metric a unit fits is the
# model's (its declared units); these words only name the unit.
SHOW_UNITS: dict[str, Unit] = {
    **{w: u for w, u in UNITS.items() if u not in (Unit.PERCENT,)},
    **dict.fromkeys(
        _phrases(
            "thousands of dollars, thousand dollars, thousands of usd, thousand usd, thousands, thousand, "
            "k$, $k, k, k usd, usd k, kusd, thousands of us dollars, thousand us dollars"
        ),
        Unit.THOUSAND_USD,
    ),
    **dict.fromkeys(
        _phrases(
            "millions of dollars, million dollars, millions of usd, million usd, millions, million, m$, $m, "
            "$mm, mm, m usd, musd, millions of us dollars, million us dollars"
        ),
        Unit.MILLION_USD,
    ),
    **dict.fromkeys(_phrases("seconds, secs"), Unit.SECONDS),
    **dict.fromkeys(_phrases("minutes, mins"), Unit.MINUTES),
    **dict.fromkeys(_phrases("hours, hrs"), Unit.HOURS),
    **dict.fromkeys(_phrases("days"), Unit.DAYS),
}

# "tagged env dev", "labelled with team ml": after a word of tagging, a key is the tag's key, even when
# it is also a word for a dimension ("env", the accounts' environment)
TAGGING_WORDS = _words("tagged labeled labelled")
TAGGING_FILLERS = _words("with as")
# How a suggested question writes a number's unit (a unit not listed: its own name, "TB", "GiB");
# "over 20 thousand dollars" reads back as 20,000 USD
UNIT_SAID: dict[Unit, str] = {
    Unit.USD: "dollars",
    Unit.THOUSAND_USD: "thousand dollars",
    Unit.MILLION_USD: "million dollars",
}
# a number written with its scale ("20k", "$5", "2.5m", "50 thousand") is an amount as it is; only a
# bare one ("over 250") could be in the unit a metric is shown in
NUMBER_SCALED = re.compile(
    r"^\$|^\d[\d.,]*(?:k|m|mm|bn|b)$|^(?:k|thousand|thousands|m|mm|million|millions|bn|billion)$"
)

# The kind of number a unit's family is, as the mapper matches it against metric formats
# ("over 5,000 dollars" compares a currency metric).
UNIT_KINDS: dict[Family, str] = {Family.MONEY: "currency", Family.DATA: "gb", Family.RATIO: "percent"}


def unit_kind(unit: Unit | None) -> str | None:
    """The metric format a unit's numbers compare with (currency, gb, percent); None for others."""
    return None if unit is None else UNIT_KINDS.get(FAMILY[unit])


NUMBER_WORDS: dict[str, int] = BASIC_NUMBER_WORDS | {  # the intent parser's words, and more
    "eleven": 11,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
    "couple": 2,
    "a couple of": 2,
    "dozen": 12,
}

# Words that carry no meaning of their own in a question about data.
STOPWORDS = _words("""
belong belongs belonging belonged
common popular frequent prevalent numerous usual typically generally
break down take takes taking took occupy occupies consume consumes consumed consuming account-wide
a an the of in on at for to from into onto is are was were be been being am do does did done have has
had having i me my mine we us our ours you your yours it its it's they them their theirs this that these
those there here what what's whats which who whom whose how when where why whether please pls kindly can
could would should will shall may might must let lets let's want wanted wanting need needs needed like
know tell show shows showing list listing give giving get getting got find see look display report
return print all any some each every both either total totals overall sum summed entire whole full
complete currently current right now presently so far as than then also too just only about around
roughly approximately exactly precisely really actually basically much many more most less least very
quite rather bit lot lots number numbers figure figures value values amount amounts data info
information detail details breakdown summary summarise summarize overview view stats statistics metric
metrics result
results answer answers table hey hi hello thanks thank ok okay yes sure again same still yet between
across within during over under up down out off by per with without via through thru throughout until
till while since ago before after among and or but nor not no if else whatever anything something
everything nothing one ones thing things currently existing exist exists present there's theres 've 'll
'd s r ur u do does doing we're i'm you're they're that's there're here's who's how's where's use used using
uses run runs own owned owns have having keep kept hold holds held holding provide provides
operate operates operated operating our whole company companies org's estate fleet cloud clouds exact
footprint everywhere anywhere
came come comes coming went go goes going contribute contributes contributed contributing attributable
originate originates originated sitting sit sits restrict restricted narrow narrowed period timeframe
split distribution mix drive drives drove driven driving allocated allotted whatsoever
live lives living reside resides residing tied trend trends trended trending add adds added
ballpark fine review reviews slide slides deck meeting
""")

# Single words that are also everyday English: when a model value is spelled like one of these (or like
# a stop word), the mapper only takes it as that value next to its dimension's name ("the <value>
# <dimension>") or in capitals, so that "show me the data" or "give us" does not become a filter.
EVERYDAY = STOPWORDS | _words("""
us it new name type kind size state status count general default main one ones other misc unknown none
platform
""")
# An everyday word that is a value counts after a preposition ("resources in data"), except these,
# which are pronouns there ("what it cost for us"); "in the us" is the value
PRONOUN_VALUES = _words("us it")

# Verbs that change things: a read-only query tool refuses them.
MUTATING_ANYWHERE = _words("""
delete deleting deletes terminate terminating terminates destroy destroying drop dropping truncate
insert inserting alter altering grant revoke purge wipe erase decommission deprovision kill shutdown
reboot rebooting
""")
MUTATING_IMPERATIVE = _words("""
remove stop start restart create update modify set attach detach encrypt decrypt tag untag retag rename
move migrate launch provision scale resize upgrade downgrade enable disable turn shut assign reassign
patch cleanup cancel pause resume spin rotate revoke allocate deallocate
""")
# Imperatives that change something when they say where to ("add an owner tag to every bucket"); alone
# they are a follow-up's ("add dev too")
MUTATING_WITH_TARGET = _words("add put apply append")
TARGET_WORDS = _words("to onto into")
POLITE_PREFIXES = _words("""
please can could would will you u kindly go ahead and let's lets i we want to need wanna like help me us
just now then ok okay also
""")

# Requests for the machinery rather than the data.
# Messages crq would have to write or send: requests for them are declined like prose.
MESSAGE_WORDS = _words("""
    email emails e-mail mail letter letters memo memos tweet tweets slack message messages
""")
WRITING_VERBS = _words("""
    draft write compose send email mail notify tell remind
""")

# Requests for writing rather than numbers: crq answers with data, never with prose it makes up.
CREATIVE_WORDS = _words("""
    haiku haikus poem poems poetry limerick sonnet song songs lyrics joke jokes story stories essay essays
    rap riddle recipe recipes
""")

SCHEMA_WORDS = frozenset({"sql", "schema", "ddl", "schemas", "columns", "column", "query text", "raw query"})
SCHEMA_PHRASES: tuple[str, ...] = (
    "show tables",
    "list tables",
    "list the tables",
    "what tables",
    "which tables",
    "table names",
    "database structure",
    "table structure",
    "show the query",
    "show me the query",
    "your prompt",
    "system prompt",
    "your instructions",
    "describe the database",
    "what columns",
    "list columns",
    "dump the",
    "select *",
    "select * from",
    "information_schema",
    "pg_catalog",
    "pg_tables",
)
INJECTION_MARKERS: tuple[str, ...] = (
    ";",
    "--",
    "/*",
    "*/",
    "1=1",
    "union select",
    "drop table",
    "pg_sleep",
    "xp_",
    "@@",
)

# Negations that follow what they negate: "where the owner tag is missing".
# "with their owners", "with its region": the rows' own values, shown as columns
POSSESSIVES = _words("their its his her")
# Words that are never a value written after "<key>=" (other filler words can be: "team=data")
FUNCTION_WORDS = _words("a an the and or of in on at for to by with is are was were be not no")
# After the question's first word, a sign that the word is a verb ("search for ..."), not a value
VERB_OPENER_FOLLOWERS = _words("for")
# A word glued before a value that negates it ("non-ec2"): never part of a name
NEGATING_PREFIXES = _words("non")
# "prod and everything else": the other values, which a filter cannot name; asked back
OTHERS_PHRASES: tuple[str, ...] = _phrases(
    "everything else, anything else, all the rest, the rest, all others, all the others, the others, "
    "all other"
)
POSTFIX_NEGATIONS = frozenset(
    {"missing", "absent", "unset", "not set", "empty", "blank", "lacking", "null", "is null", "are null"}
)

# After one of these words an unknown word is probably a value the model does not know ("in narnia").
VALUE_PREPOSITIONS = _words("""
in for from named called owned on at tagged labeled labelled under of with without by per excluding except
many each every than
""")

# Time words that, left over after the time phrases were read, mean a range was not understood.
TIME_LEFTOVERS = _words("""
last past previous since ago before after until till prior recent recently earlier later next upcoming
tomorrow week weeks month months quarter quarters year years
""")

# Words worth correcting a typo towards, besides the model's own ("montly" -> "monthly").
KNOWN_WORDS = frozenset(
    w
    for group in (*MARKERS.values(), SUPERLATIVES, UNITS, [p for p, _ in COMPARATORS], TIME_LEFTOVERS)
    for phrase in group
    for w in phrase.split()
) | _words("""
january february march april june july august september october november december today yesterday
daily weekly monthly quarterly yearly annual week month quarter year days weeks months quarters years
last past previous this current since between trend over time big large huge small tiny sized
""")

# Short ways to write a time unit, read as the unit only right after a word that counts or places
# periods ("last mo", "3 wks", "per yr"): alone, "mo" or "yr" could be anything
TIME_UNIT_SHORTHANDS = {
    "mo": "month",
    "mos": "months",
    "mth": "month",
    "mths": "months",
    "wk": "week",
    "wks": "weeks",
    "yr": "year",
    "yrs": "years",
    "qtr": "quarter",
    "qtrs": "quarters",
}
TIME_UNIT_LEADS = _words("last this past previous next per a each every by the")

# A month name that is also a verb: never a known word of its own ("mary" must not read as it), but
# its doubled-letter typo ("mayy") can only mean the month.
VERB_MONTHS = frozenset({"may"})

# Leading words that mark a follow-up to the previous question.
FOLLOW_UP_STARTS: tuple[str, ...] = _phrases(
    "and, what about, how about, now, only, same, also, instead, but, then, just, what if, ok, okay, and "
    "for, and in, same for, same but, same thing, now for, now by, now only, and by, and only, and what "
    "about, exclude, excluding, except, without, for, in, by, split, break, show that, do that, again, "
    "limit, restrict, filter, break it down, sort, order, top, make it, change it, but only, except for, "
    "rank, which of those, which of them, which one, of those, show them, only those, just those, same "
    "question, how about for, what about for, drill into, zoom in"
)

# Words that make a follow-up add to the previous question rather than replace part of it: "by region
# too" keeps the old grouping, "and by region?" replaces it; a follow-up that starts with one of
# ADDING_STARTS adds its metrics ("and the average?").
ALSO_WORDS: tuple[str, ...] = (*MARKERS[Role.ALSO], "plus", "on top of that", "besides")
# Words that point back at an earlier answer ("break that down by region instead", "by account as
# well"): with no earlier answer and nothing of its own to calculate, such a question is asked back.
BACK_REFERENCES: tuple[str, ...] = (
    "that",
    "it",
    "those",
    "them",
    "these",
    "same",
    "instead",
    "too",
    *ALSO_WORDS,
)
# "how many resources do they have": after "do they", a verb whose subject owns the rows named
POSSESSING_VERBS = _words("have has had own owns owned hold holds run runs use uses contain contains")
# "and the previous month?" after "cost in March": the one before that one (not "last month")
PRECEDING_WORDS = _words("previous prior preceding")
# "and eu-central-1 combined": the values joined into one total, not a row each
SUMMING_WORDS = _words("combined together altogether")
# "all services", "every region" in a follow-up: the condition on that dimension is lifted
EVERY_WORDS = _words("all every any")
# words for the whole estate: a follow-up that names only an amount with one of these asks for it anew
WHOLE_WORDS = _words(
    "all our overall whole entire company everything grand altogether estate everywhere fleet"
)
# "and the same days in May?": the previous range's days, moved into the period said
SAME_SPAN_PHRASES: tuple[str, ...] = _phrases("same days, same dates, same period, same stretch, same window")
ADDING_STARTS: tuple[str, ...] = _phrases("and, also, plus, as well, too, additionally")
# A follow-up that starts with one of these, or says one of ALSO_WORDS, widens a condition on values
# ("add dev too" after "prod vs staging ...": prod, staging and dev); "and dev?" alone replaces it.
WIDENING_STARTS: tuple[str, ...] = _phrases(
    "add, throw in"
)  # not "including": alone, "cost including dev" is no filter

# How a clarify suggests asking for the rows instead of counting them.
LIST_INSTEAD = "(as a list)"

# Marker phrases of several words read before the model's phrases, so that a word of the model inside
# them (a state named like the first word of "running total") does not take them apart.
EARLY_MARKERS: tuple[str, ...] = tuple(
    p for role in (Role.CUMULATIVE, Role.CHANGE) for p in MARKERS[role] if " " in p
)

# Function words the interpretation looks at around a phrase (what a word means depends on them).
DETERMINERS = _words("all the our my their these those any")  # "of all accounts"
COVERING_PREPOSITIONS = _words("of for on in from to across over")  # "the cost of <noun>": not a grouping
PLACE_PREPOSITIONS = _words("in from of for across within under on at inside to")  # "in <value> <noun>"
EACH_WORDS = _words("each every")
DAY_WORDS = _words("day date days dates")  # "by date": a daily series
SPAN_WORDS = _words("across")  # "across the org": everything, counted once
SPAN_FOLLOWERS = _words("the all our my entire whole")
WHICH_FILLERS = _words("of those them these the")  # "which of those is ...": a single winner
COLUMN_WORDS = _words("their its with plus including")  # "with their <dimension>": a column
# Grouping words that, with nothing to group by after them, are filler ("cost by" at the end).
PLAIN_GROUP_WORDS = _words("by per each every across")
SIZE_QUESTION = _words("big large sized huge")  # "how big is the average ..."
PLAIN_TOTAL = _words("total overall combined sum")  # "total and average <metric noun>"
AUXILIARIES = _words("did does do has have had will would can could should")  # "what did ... cost"
TOTAL_WORDS = _words("total combined aggregate overall summed cumulative")  # "their total size"
MEANS: tuple[tuple[str, ...], ...] = (("average",), ("avg",), ("mean",), ("typical",))  # arithmetic means
# "regions with total storage above 200000 GB", "accounts with average volume size over 200 GB": a
# number compared with a metric said with one of these is on the groups' total or average, never on
# each row's own size
AGGREGATE_SAID = _words("total combined aggregate overall summed sum average avg mean")
RATE_WORDS = _words("a an per each every")  # "2,000 a day"
# the adjective of each period ("average daily <metric>": the metric that averages per day)
RATE_ADJECTIVES = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}
COPULAS = _words("are is was were that which being been currently now still")  # "<nouns> that are <adj>"
# "what share of <whole> <verb> <part>": the verb after the whole starts the part ("what percent of
# instances in prod are stopped", "what share of spend in prod came from ec2")
SHARE_VERBS = _words("""
is are was were came come comes went go goes belong belongs belonged have has had lack lacks
""")
RELATIVE_PRONOUNS = _words("that which who")  # "<nouns> that are in prod are ...": the noun phrase's own verb
QUESTION_OPENERS = _words("what how")  # "what share ...": a question, not "<value> share of ..."
# "are they running?", "which of those are in prod?": a question about rows listed, not a filter
ASKING_OPENERS = _words("are is were was which what do does did who whose where how")
# "what percent of instances are stopped in europe": a place said after the part's word, not joined
# to it by one of these, may restrict the whole as well as the part
PART_JOINERS = _words("and & or plus but")
WHOLE_AFTER = _words("of")  # "what percent are stopped of the instances in prod": the whole said last

# Words the reading and the passes compare single tokens with (kept here so no pass spells English).
# a model phrase with one of these is read as time first ("<metric> per day")
TIME_PHRASE_WORDS = _words("""
day daily week weekly month monthly quarter quarterly year yearly annual date today yesterday trend time
""")
YES_WORDS = _words("true yes y 1")  # "<flag>=yes"
NO_WORDS = _words("false no n 0")
UNIT_PREPOSITIONS = _words("in into as")  # "in TB", "as a percentage": the unit to show a number in
COMPARATIVES = _words("than")  # "more than" with no number after it: a comparison not understood
WHO_WORDS = _words("who")  # "who owns ...": the doer of the verb
DEFINITE_ARTICLES = _words("the")
AND_WORDS = _words("and")  # "list <entities> and the <dimension> they are in"
LIST_JOINERS = _words("and &")  # "with their <column> and <column>"
OF_WORDS = _words("of for")  # "the <dimension> of ...": a column of the listing
BREAKDOWN_NOUNS = _words("breakdown breakdowns split distribution")  # "<dimension> breakdown": grouped by it
INVERTING_WORDS = _words("of")  # "the owner of the account": the model's "account owner" inverted
WHICH_ONE_WORDS = _words("one is was has had")  # "which one ...", "which of those is ...": one winner
WHICH_ONE_ENDING = "one"  # a which-marker phrase ending in it ("which one") asks for one winner
PAST_PARTICIPLE_ENDING = "ed"  # "owned by <someone>": a verb of doing, not a grouping
AVERAGE_PREFIXES = ("averag", "avg")  # "averaging", "avg": a word of averaging the reading did not place
# "<amount> per <period>" said with one of these is an average ("average cost per day", "daily spend
# per day" is no English); without one it may be each period's amount, and is asked back
AVERAGING_WORDS = _words("average averages averaged avg mean daily weekly monthly typical typically")
AVERAGE_WORDS = ("average", "avg")  # a word of a metric's name or synonyms: the model's averages, as hints


def doer_nouns(verb: str) -> tuple[str, ...]:
    """The nouns for whoever does ``verb`` ("leads" -> "leader"; "owns" -> "owner"; "manages" ->
    "manager", "managesr" is never a word so the second is empty when it does not apply)."""
    stem = verb[:-1] if verb.endswith("s") else verb
    return (f"{stem}er", f"{stem}r" if stem.endswith("e") else "")


# Conversation: how a follow-up opens, asking for help, and a follow-up that only changes the limit.
CONTINUING_OPENERS = (
    "and", "what about", "how about", "same", "same thing", "now", "also", "instead", "but", "only", "just",
    "exclude", "excluding", "except", "without", "minus",  # "exclude sandbox": from what?
)  # fmt: skip
# Words for the rows of the last answer ("how many of those are encrypted", "what did they cost"): a
# question with one builds on it, even when it names a metric of its own. The demonstratives always
# point back; the pronouns only with nothing before them in the question they could stand for ("how
# many resources ... and what they cost" is about its own resources).
# "all services but lambda", "every region but us-east-1": "but" a few words after "all" (one of
# EVERY_WORDS) excepts what follows it ("but not" is a marker of its own, "but only" no exception)
EXCEPTING_BUT = "but"
BUT_NOT_EXCEPTING = _words("only also just then")  # "all resources but only in prod": not an exception
# "why is us-east-1 so expensive?", "how come spend went up": a cause, which no figure states; said
# first, after fillers such as "and", "but", "so", "ok"
CAUSE_PHRASES: tuple[tuple[str, ...], ...] = (("why",), ("whyd",), ("how", "come"))
LEADING_FILLERS = _words("and but so ok okay then hmm")
# "total cost less s3": "less" right before a value takes it away (before a number or an amount it
# compares: "less than 5", "less expensive")
MINUS_WORDS = _words("less")
POINTING_BACK = _words("those these")
# "how much storage is that?", "what did that cost": "that" standing for the last answer, not the
# "that" of "volumes that are attached" (after "is", "was", "did", "does", or the question's last word)
THAT_BACK = "that"
THAT_AFTER = _words("is was did does")
PRONOUNS_BACK = _words("they them their")
# Words for the rows of a ranked or cut answer ("the 10 largest buckets" -> "how many of them are
# public?", "who owns it?", "how many instances there?"): an intent cannot say "among those N", so a
# follow-up with one either shows the same ranked rows again or is asked back. "there" next to a form
# of "to be" is no place ("how many are there", "is there"), see THERE_IS.
RANKED_BACK = PRONOUNS_BACK | POINTING_BACK | _words("theirs it its there")
THERE_IS = _words("is are was were be been")
# "by number of instances instead", "rather by storage": a question that says it replaces part of the
# last one is a follow-up, even when it names a metric of its own
REPLACING_WORDS = _words("instead rather")
WHICH_ROWS = _words("which")  # "which ones are sandbox?" after a count: the rows it counted
ONES = _words("ones")  # "the expensive ones": rows named before, in the question or the last answer
WEAK_FOLLOW_UP_STARTS = _words("for in by top limit")  # start a follow-up, or a question of its own
# "only the ones above 250 TB", "those over $1,000" after a grouping: the groups, not each row
GROUPS_BACK = _words("ones those")
# "what's the total?" with nothing named: a number of something, asked about rather than declined
AMOUNT_WORDS = _words("total sum average count number amount")
HELP_WORDS = _words("help hello hi hey example examples")
HELP_PHRASES = ("what can you", "how do i", "what do you know", "what can i ask", "how does this work")
# "ratio of stopped to running instances": one count over another, asked back
RATIO_OF_WORDS = _words("ratio ratios")
# "how are we doing on spend?", "how's storage looking": a judgement asked of a total, asked back
JUDGEMENT_OPENERS = _words("how how's hows")
JUDGEMENT_WORDS = _words("doing going looking faring shaping")
# "are we spending too much?", "is that a lot?": a judgement no figure makes alone (what is "too
# much" is the asker's), asked back whatever else the question names
# "annual run rate", "monthly burn rate": a rate over a period longer than a day is a projection (the
# average per day times the period's days), not the daily average of each period; asked back
RATE_PHRASES: tuple[str, ...] = _phrases("run rate, run-rate, burn rate, burn-rate")
PROJECTING_WORDS: dict[str, str] = {
    **dict.fromkeys(_phrases("weekly, per week, a week"), "weekly"),
    **dict.fromkeys(_phrases("monthly, per month, a month"), "monthly"),
    **dict.fromkeys(_phrases("quarterly, per quarter, a quarter"), "quarterly"),
    **dict.fromkeys(
        _phrases("annual, annualized, annualised, yearly, per year, a year, per annum"), "yearly"
    ),
}

JUDGEMENT_PHRASES: tuple[str, ...] = _phrases(
    "too much, too many, too high, too expensive, too costly, overspending, overspend, over budget, "
    "a lot, reasonable, acceptable, excessive, wasteful, worrying"
)
JUDGEMENT_FIGURES = ("by month", "last month", "this month")  # what is offered instead, for a dated metric
LIMIT_WORDS = _words("""
make it change to show give me how what about instead top the first just only now please then ok okay
let's lets see
""")  # "make it 10", "show 20 instead": only a new number of rows
# what may stand beside "the other way" in a follow-up that only turns the last ranking
REVERSE_FILLER = _words("""
and now then please can you could it the in into sort sorted sorting order ordered ordering rank ranked
show list round around them that instead same but
""")
COUNT_HEADS = (("number", "of"), ("count", "of"), ("how", "many"))  # "the number of <a> and of <b>"
