"""Split a question into words that the model's phrases can be matched against.

The model's own phrases go through the same function, so "ab-cd-1", "AB cd 1" and "x-y" meet the YAML
halfway whatever their spelling, and plurals meet singulars through ``Token.key``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"[\w$#%<>=≤≥&][\w.:/@$%'<>=≤≥&-]*")
_TRAILING = ".:'-/"
_ISO_LIKE = re.compile(r"[\d./-]+")
# "=" or ":" with a word on each side, unless both sides are digits (a time of day, a ratio)
_SEPARATOR = re.compile(r"(?<=[^\W\d_])(?:==?|:)(?=\w)|(?<=\w)(?:==?|:)(?=[^\W\d_])")
_PLAIN = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")  # lower-case words and single spaces, nothing else
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")  # 5,000 -> 5000
# "state != running", "≠", "<>": the words' "not", so the condition is negated as "not" negates it
_NOT_EQUAL = re.compile(r"\s*(?:!=|≠|<>|=/=)\s*")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


@dataclass(frozen=True, slots=True)
class Token:
    """One word: ``text`` lower-cased, ``key`` its singular (for lookups), ``orig`` as typed."""

    text: str
    key: str
    orig: str
    start: int  # character offsets in the space-joined text of all tokens
    end: int
    glued: bool = False  # written joined to the previous token by a hyphen ("ab-12")
    pause: bool = False  # followed by a comma or semicolon ("by account, region")


def singular(word: str) -> str:
    """A crude singular, applied alike to model phrases and questions, so it only has to be consistent."""
    if len(word) <= 3 or not word.isalnum():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _pieces(raw: str) -> list[tuple[str, bool]]:
    """The words in one run of characters, each with whether a hyphen glued it to the one before."""
    word = raw.rstrip(_TRAILING)
    if word.lower().endswith("'s"):
        word = word[:-2]
    if not word:
        return []
    # "key=value", "key:value": the separator is a word of its own, between the key and the value
    sep = _SEPARATOR.search(word)
    if sep:
        left, right = word[: sep.start()], word[sep.end() :]
        return [*_pieces(left), (sep.group()[0], False), *_pieces(right)]
    # hyphens join words ("ab-cd-1", "x-y") but not the parts of a date or a number range
    if "-" in word and not _ISO_LIKE.fullmatch(word):
        return [(p, i > 0) for i, p in enumerate(q for q in word.split("-") if q)]
    return [(word, False)]


def tokenize(text: str) -> list[Token]:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _THOUSANDS.sub("", text)
    text = _NOT_EQUAL.sub(" not ", text)
    words: list[tuple[str, bool, bool]] = []
    for m in _TOKEN.finditer(text):
        pieces = _pieces(m.group())
        paused = text[m.end() : m.end() + 1] in (",", ";") or m.group().endswith((",", ";"))
        words.extend((w, glued, paused and i == len(pieces) - 1) for i, (w, glued) in enumerate(pieces))
    tokens: list[Token] = []
    pos = 0
    for w, glued, paused in words:
        low = w.lower()
        tokens.append(Token(low, singular(low), w, pos, pos + len(low), glued, paused))
        pos += len(low) + 1
    return tokens


def joined(tokens: list[Token]) -> str:
    """The text the regular expressions of time phrases and numbers run on (offsets match Token)."""
    return " ".join(t.text for t in tokens)


def phrase_key(text: str) -> tuple[str, ...]:
    if _PLAIN.fullmatch(text):  # most model phrases: exactly what tokenize gives them, without its passes
        return tuple(singular(w) for w in text.split(" "))
    return tuple(t.key for t in tokenize(text))
