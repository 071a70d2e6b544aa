"""One pass over each field for every literal (Aho-Corasick), plus linear-time patterns and features."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import re2

from .automaton import Terms
from .document import FIELDS, Document
from .errors import HeuristagError, one_line
from .normalise import is_word_char, normalise
from .rules import MAX_PATTERN_CHARS, FeatureRule, PatternRule, RuleSet, TermGroup

#: A field's matches beyond this many are ignored: saturation makes them worthless, and it bounds time.
MAX_MATCHES_PER_FIELD = 20_000


class Evidence(NamedTuple):
    """One reason for (or against) a tag: what matched, where, and what it weighs before field weighting.

    A NamedTuple rather than a frozen dataclass: just as immutable, and a document yields hundreds.
    """

    tag: str
    rule: str
    field: str
    text: str
    position: int
    weight: float


def compile_pattern(regex: str, where: str) -> re2._Regexp:
    """Compile a user pattern with RE2 (linear time, so no input can make it hang)."""
    if len(regex) > MAX_PATTERN_CHARS:
        raise HeuristagError(where, f"pattern is {len(regex)} characters; the limit is {MAX_PATTERN_CHARS}")
    try:
        options = re2.Options()
        options.log_errors = False
        return re2.compile(regex, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        # RE2's reason echoes the pattern, newlines and all: the error must stay one line
        raise HeuristagError(where, one_line(f"pattern {regex!r} does not compile (RE2 syntax, no "
                                             f"backreferences or lookaround): {reason}")) from None


class Matcher:
    """A RuleSet compiled once: an automaton over every normalised term, and compiled patterns."""

    def __init__(self, rules: RuleSet, extra_groups: Iterable[TermGroup] = (), automaton: str = "auto") -> None:
        self.rules = rules
        self.groups: list[TermGroup] = [*rules.all_groups(), *extra_groups]
        table: dict[str, list[int]] = {}
        for gi, group in enumerate(self.groups):
            for term in group.terms:
                key = normalise(term)
                if key:
                    refs = table.setdefault(key, [])
                    if gi not in refs:
                        refs.append(gi)
        self.terms = Terms({key: (key, tuple(refs), is_word_char(key[0]), is_word_char(key[-1]))
                            for key, refs in table.items()}, automaton)
        self.has_terms = bool(self.terms)
        self.patterns: list[tuple[PatternRule, re2._Regexp]] = [
            (p, compile_pattern(p.regex, f"{p.source}: {p.name}")) for p in rules.all_patterns()
        ]
        self.features: tuple[FeatureRule, ...] = rules.features

    def match(self, doc: Document) -> list[Evidence]:
        """All evidence in a document, in a fixed order (field, position, rule)."""
        out: list[Evidence] = []
        for fname in FIELDS:
            raw = doc.field_text(fname)
            if not raw:
                continue
            text = normalise(raw)
            if self.has_terms:
                out.extend(self._literals(fname, text))
            for rule, rx in self.patterns:
                if fname in rule.fields:
                    for n, m in enumerate(rx.finditer(text)):
                        if n >= 50:
                            break
                        out.append(Evidence(rule.tag, rule.name, fname, m.group(0)[:80], m.start(), rule.weight))
        for f in self.features:
            value = doc.features.get(f.feature)
            if value is None:
                continue
            if (f.min is None or value >= f.min) and (f.max is None or value <= f.max):
                out.append(Evidence(f.tag, f.name, "features", f"{f.feature}={value}", 0, f.weight))
        return out

    def _literals(self, fname: str, text: str) -> list[Evidence]:
        """Word-bounded matches, overlaps resolved leftmost-longest (数据库 wins over 数据)."""
        found: list[tuple[int, int, tuple]] = []
        last = len(text) - 1
        word = _word_chars(text)
        for start, end, value in self.terms.occurrences(text):
            if value[2] and start > 0 and text[start - 1] in word:
                continue
            if value[3] and end < last and text[end + 1] in word:
                continue
            found.append((start, end, value))
            if len(found) >= MAX_MATCHES_PER_FIELD:
                break
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        out: list[Evidence] = []
        last_end = -1
        groups = self.groups
        for start, end, (key, refs, _bs, _be) in found:
            if start <= last_end:
                continue
            last_end = end
            for gi in refs:
                g = groups[gi]
                if fname in g.fields:
                    out.append(Evidence(g.tag, g.name, fname, key, start, g.weight))
        return out


_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _word_chars(text: str) -> frozenset[str]:
    """The characters of ``text`` that are word characters (is_word_char), as one set to test against."""
    if text.isascii():
        return _ASCII_WORD
    return _ASCII_WORD | {ch for ch in set(text) if not ch.isascii() and is_word_char(ch)}
