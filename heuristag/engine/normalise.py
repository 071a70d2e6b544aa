"""The one text normalisation that rules and documents share, so a term and its text always meet."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s_\-\u2010-\u2015\u00a0\u3000]+")


#: What ``_SPACES`` matches besides white space; replaced one by one (``str.replace`` is C and much
#: faster than a regex over a whole README body), then ``split``/``join`` folds the white space.
_NON_ASCII_SPACES = "\u2010\u2011\u2012\u2013\u2014\u2015\u00a0\u3000"


def normalise(text: str) -> str:
    """NFKC, case-fold, hyphens/underscores as spaces, white space folded: 'Self_Hosted' == 'self hosted'.

    The same as ``_SPACES.sub(" ", ...).strip()`` (tests/test_matcher.py holds them equal), in C calls.
    """
    return " ".join(_fold(text).split())


def _fold(text: str) -> str:
    """NFKC, case-fold, hyphens, underscores and wide spaces as spaces; white space not yet folded."""
    # NFKC leaves ASCII as it is, and casefold is lower there: a third of the cost
    text = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    if "_" in text:
        text = text.replace("_", " ")
    if "-" in text:
        text = text.replace("-", " ")
    if not text.isascii():
        for ch in _NON_ASCII_SPACES:
            if ch in text:
                text = text.replace(ch, " ")
    return text


def normalise_lines(text: str) -> str:
    """``normalise`` line by line, empty lines dropped: for fields whose lines are units (code lines,
    headings, badges, links), so no term spans two of them and a pattern can anchor at a line's start."""
    if "\n" not in text:
        return normalise(text)
    return "\n".join(line for line in (" ".join(raw.split()) for raw in _fold(text).split("\n")) if line)


def normalise_by_pattern(text: str) -> str:
    """The definition ``normalise`` is checked against (one regex, slower)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


#: Scripts written without spaces between words: a term inside them needs no word boundary.
_UNSPACED = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
             (0xFF66, 0xFF9F), (0xFFA0, 0xFFDC), (0x20000, 0x3FFFF))


def is_word_char(ch: str) -> bool:
    """A letter or digit of a script that separates words by spaces (Latin with accents, Cyrillic, Greek...).

    "Rosé" is one word, so `ros` must not match inside it; CJK ideographs, kana and hangul are not
    word characters, because those scripts put no spaces between words and their terms match inside text.
    """
    if ch.isascii():
        return ch.isalnum()
    if not ch.isalnum():
        return False
    code = ord(ch)
    return not any(lo <= code <= hi for lo, hi in _UNSPACED)
