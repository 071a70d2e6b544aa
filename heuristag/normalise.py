"""The one text normalisation that rules and documents share, so a term and its text always meet."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s_\-\u2010-\u2015\u00a0\u3000]+")


def normalise(text: str) -> str:
    """NFKC, case-fold, hyphens/underscores as spaces, white space folded: 'Self_Hosted' == 'self hosted'."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def is_word_char(ch: str) -> bool:
    """Word boundaries are checked against ASCII letters and digits only: CJK text has no spaces."""
    return ch.isascii() and ch.isalnum()
