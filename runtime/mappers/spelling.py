"""Typos forgiven, visibly: an unknown word one or two slips away from exactly one known word.

The known words are the model's vocabulary (names, synonyms, values, tag keys) and the English
words the mapper reads (time words, markers). A word is read as another only when

* both are at least ``MIN_LENGTH`` letters long: a short word is too close to too many others (but a
  word of ``MIN_LENGTH`` letters that is a shorter known word with one letter doubled, "mayy", is it,
  and a three-letter word that is a known word with a double letter written once, "wek", too); a
  word of exactly ``MIN_LENGTH`` letters becomes a value only by two letters swapped: one letter more
  or less makes another English word too often ("pods" is not "prods");
* they are at most ``max_edits`` apart, counting a swap of two neighbours, a missing, extra or
  wrong letter as one edit (optimal string alignment, ``rapidfuzz.distance.OSA``); long words may
  have two;
* in a word shorter than ``_SHORT`` letters, the slip is a missing, extra or swapped letter, not a
  wrong one: a wrong letter in a short word makes another word too often ("user" and "used");
* they start with the same letter (or with the first two letters swapped): people rarely miss the
  first letter, and without it "acount" would be as close to "count" as to "account";
* no other known word is as close: candidates are ranked by those edits, then by letters missing
  or extra (``Indel``, where a wrong letter counts two), and a tie on both is no reading at all,
  unless the two are one word and its plural ("weks": week, weeks), read in the typo's number.

An unknown word of ``_ABBREVIATED`` letters with no such typo may be an abbreviation of exactly one
known word (again counting a word and its plural as one, read as the singular): a word of consonants
after its first letter, those of the known word in order, from the same first letter to the same
last consonant (acct for account, rgn for region). Only consonants,
because an English word the model does not know (end, cap) would otherwise be read as a model
word with those letters (encrypted, capacity); a vowel-first word needs four letters (amt is
too little to go on). A word that abbreviates two known words alike is no reading.

The answer says which words it read as which ("I read '<typo>' as '<word>'"), so nothing is
answered on a guess the user cannot see.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, Levenshtein

from runtime.mappers.tokens import singular

MIN_LENGTH = 4
_SHORT = 6  # shorter words may not carry a wrong letter
_LONG = 8  # from this length on, two edits are allowed


def max_edits(word: str) -> int:
    """How many edits a word of this length may carry and still be read as a known word."""
    if len(word) < MIN_LENGTH:
        return 0
    return 1 if len(word) < _LONG else 2


_ABBREVIATED = range(3, 6)  # lengths of a word that may abbreviate a longer one
_VOWELS = frozenset("aeiouy")


def _skeleton(word: str) -> str:
    """The first letter and the consonants after it: what an abbreviation keeps ("account": "accnt")."""
    return word[:1] + "".join(ch for ch in word[1:] if ch not in _VOWELS)


def _abbreviates(short: str, word: str) -> bool:
    if len(word) < len(short) + 2 or short[0] != word[0]:
        return False
    inner, full = _skeleton(short), _skeleton(word)
    if inner != short or inner[-1] != full[-1]:
        return False
    rest = iter(full)
    return all(ch in rest for ch in inner)  # in order, each after the one before


def _one_of_a_double_dropped(word: str) -> set[str]:
    """ "week" -> {"wek"}: the word with one letter of each doubled pair left out."""
    return {word[:i] + word[i + 1 :] for i in range(1, len(word)) if word[i] == word[i - 1]}


def _same_start(word: str, candidate: str) -> bool:
    """The same first letter, or the first two swapped ("ergion"): a swap keeps the length ("part" is
    not "apart" with its first letters swapped, but with one missing)."""
    return word[0] == candidate[0] or (
        len(word) == len(candidate) and len(word) > 1 and word[1] + word[0] == candidate[:2]
    )


class Speller:
    """The known words of one vocabulary; ``correct`` a word to the single closest of them."""

    def __init__(
        self,
        words: Iterable[str],
        doubled: Iterable[str] = (),
        values: Iterable[str] = (),
        senses: Mapping[str, Hashable] | None = None,
    ):
        """``doubled``: short words read only from a doubled letter ("mayy" for "may", which is
        not a known word because it is a verb too: "mary" must not become a month). ``values``: the
        known words that only name values, which a four-letter word becomes only by a swap (a value
        read wrongly is a wrong filter; "totl" may become "total", "pods" not "prods")."""
        self.known = frozenset(words)
        self._values = frozenset(values)
        self._senses = dict(senses or {})  # what each word means: two as close that mean one thing tie not
        self._doubled = self.known | frozenset(doubled)
        self._candidates = sorted(w for w in self.known if len(w) >= MIN_LENGTH and w.isalpha())
        self._short = [w for w in self._candidates if len(w) == MIN_LENGTH]

    def correct(self, word: str, *forms: str) -> str | None:
        """The known word that ``word`` (or one of its other ``forms``, such as its singular) is a
        typo of, or None when it is known, too short, too far, or as close to two known words."""
        word = word.lower()
        if not word.isalpha() or word in self.known:
            return None
        if len(word) == MIN_LENGTH:  # a short known word with one letter doubled ("mayy", "tagg")
            undoubled = {word[:i] + word[i + 1 :] for i in range(1, len(word)) if word[i] == word[i - 1]}
            if len(known := undoubled & self._doubled) == 1:
                return known.pop()
        if len(word) == MIN_LENGTH - 1:  # a double letter written once ("wek" for "week")
            found = {c for c in self._short if _one_of_a_double_dropped(c) >= {word}}
            if len(found) == 1:
                return found.pop()
        budget = max_edits(word)
        if not budget:
            return self._abbreviation(word, *forms)
        best: dict[str, tuple[int, int]] = {}
        for form in dict.fromkeys((word, *(f.lower() for f in forms if f))):
            for cand, edits, _ in process.extract(
                form, self._candidates, scorer=OSA.distance, score_cutoff=budget, limit=None
            ):
                indel = Indel.distance(form, cand)
                wrong_letter = indel == 2 and Levenshtein.distance(form, cand) == 1
                if not _same_start(form, cand) or (wrong_letter and len(form) < _SHORT):
                    continue
                swapped = len(form) == len(cand) and sorted(form) == sorted(cand)
                if len(word) == MIN_LENGTH and not swapped and cand in self._values:
                    continue  # four letters, one more or less: "pods" is a word of its own, not "prods"
                rank = (int(edits), int(indel))
                best[cand] = min(best.get(cand, rank), rank)
        if not best:
            return self._abbreviation(word, *forms)
        ranked = sorted(best.items(), key=lambda kv: (kv[1], kv[0]))
        tied = [cand for cand, rank in ranked if rank == ranked[0][1]]
        senses = {self._senses.get(c) for c in tied}
        if len(tied) > 1 and len(senses) == 1 and None not in senses:
            # "expensve": "expense" or "expensive", words for one thing: the nearer, else the longer
            return min(tied, key=lambda c: (Levenshtein.distance(word, c), -len(c), c))
        if len({singular(c) for c in tied}) > 1:
            return None  # two known words are as close: asking beats guessing
        if len(tied) > 1:  # one word and its plural ("weks": week, weeks): the number the typo has
            plural = singular(word) != word
            return next((c for c in tied if (singular(c) != c) == plural), tied[0])
        return tied[0]

    def _abbreviation(self, word: str, *forms: str) -> str | None:
        """The one known word (a word and its plural count as one) that ``word``, or its singular
        among ``forms``, abbreviates; the caller puts a plural ending back, as for a typo."""
        for form in dict.fromkeys((word, *(f.lower() for f in forms if f))):
            if len(form) not in _ABBREVIATED or (form[0] in _VOWELS and len(form) < 4):
                continue
            found = [c for c in self._candidates if _abbreviates(form, c)]
            if len({singular(c) for c in found}) == 1:
                return min(found, key=len)
        return None


__all__ = ["MIN_LENGTH", "Speller", "max_edits"]
