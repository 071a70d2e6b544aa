"""One pass over each field for every literal (Aho-Corasick), plus linear-time patterns and features."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import re2

from .automaton import Terms
from .document import FIELDS, Document
from .errors import HeuristagError, one_line
from .normalise import is_word_char, normalise, normalise_lines
from .rules import MAX_PATTERN_CHARS, FeatureRule, PatternRule, RuleSet, TermGroup

#: A field's matches beyond this many are ignored: saturation makes them worthless, and it bounds time.
MAX_MATCHES_PER_FIELD = 20_000
#: Fields read as running text: a hard-wrapped sentence is one sentence, so its line breaks fold away.
#: The others keep one line per code line, heading, badge or link (``normalise_lines``).
_PROSE = frozenset({"title", "description", "body"})


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
    #: The part of its rule's weight the hit carries: below 1 inside a description's feature clause
    #: ("supports A, B and C"), so a weight `tune` refits is scaled by it as the rule's own weight is.
    share: float = 1.0


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
        self.field_patterns = {f: field_patterns([pr for pr in self.patterns if f in pr[0].fields]) for f in FIELDS}
        self.features: tuple[FeatureRule, ...] = rules.features
        self.clauses = feature_clauses(rules)
        self.clause_share = rules.feature_clause_share

    def match(self, doc: Document) -> list[Evidence]:
        """All evidence in a document, in a fixed order (field, position, rule)."""
        out: list[Evidence] = []
        for fname in FIELDS:
            raw = doc.field_text(fname)
            if not raw:
                continue
            text = normalise(raw) if fname in _PROSE else normalise_lines(raw)
            found = self._literals(fname, text) if self.has_terms else []
            if fname == "description" and self.clauses is not None and found:
                found = _listed(found, text, self.clauses, self.clause_share)
            patterns = self.field_patterns[fname]
            if patterns.rules:
                found.extend(_pattern_evidence(fname, text, patterns))
            out.extend(found)
        for f in self.features:
            value = doc.features.get(f.feature)
            if value is None:
                continue
            if (f.min is None or value >= f.min) and (f.max is None or value <= f.max):
                out.append(Evidence(f.tag, f.name, "features", f"{f.feature}={value}", 0, f.weight))
        return out

    def _literals(self, fname: str, text: str) -> list[Evidence]:
        """Word-bounded matches, overlaps resolved leftmost-longest (数据库 wins over 数据)."""
        found = self.bounded(text)
        found.sort()  # no two keys share a start and a length, so the values are never compared
        out: list[Evidence] = []
        last_end = 0
        groups = self.groups
        for start, _minus_length, stop, (key, refs, _bs, _be) in found:
            if start < last_end:
                continue
            last_end = stop
            for gi in refs:
                g = groups[gi]
                if fname in g.fields:
                    out.append(Evidence(g.tag, g.name, fname, key, start, g.weight))
        return out

    def bounded(self, text: str) -> list[tuple[int, int, int, tuple]]:
        """Every term occurrence the word-boundary rule accepts, overlaps kept, as (start, -length, stop,
        value): what leftmost-longest then chooses from (and what `rules shadows` reads)."""
        found: list[tuple[int, int, int, tuple]] = []
        size = len(text)
        word = _word_chars(text)
        values = self.terms.values
        for i, start, stop in self.terms.spans(text):  # stop is exclusive
            value = values[i]
            if value[2] and start and text[start - 1] in word:
                continue
            if value[3] and stop < size and text[stop] in word:
                continue
            found.append((start, start - stop, stop, value))  # sorts as (start, longest first)
            if len(found) >= MAX_MATCHES_PER_FIELD:
                break
        return found


#: A pattern matches at most this many times per field (saturation makes more worthless).
MAX_PATTERN_MATCHES = 50
#: RE2's memory budget for a field's alternation. Bounded repeats such as ``[^.]{0,40}`` in forty
#: alternatives outgrow the default 8 MB DFA cache on a one-line description, and RE2 then falls back
#: to its NFA, 15x slower (0.32 ms against 0.02 ms a description, measured on the bench). A budget,
#: not an allocation: the cache fills only with the states the texts reach.
UNION_MAX_MEM = 64 << 20


@dataclass(frozen=True)
class FieldPatterns:
    """A field's patterns in rule order, one RE2 alternation of them and one RE2 Set of them.

    A field matches none of its patterns far more often than not (0.3 hits in 47 tries a README), so
    one search of the alternation stands for a search per pattern; when it does match, the Set says
    which patterns do in one more pass, and only those are searched for their matches (a description
    has 44 patterns, and a Python call per pattern cost more than RE2's scans).
    """

    rules: tuple[tuple[PatternRule, re2._Regexp], ...]
    union: re2._Regexp | None = None
    which: re2.Set | None = None


def field_patterns(patterns: list[tuple[PatternRule, re2._Regexp]]) -> FieldPatterns:
    """Both helpers, or neither: not when the alternation does not compile (too big), when there is
    nothing to gain, or when a pattern quotes with ``\\Q`` (its quote would run into the next one)."""
    rules = tuple(patterns)
    if len(rules) < 2 or any("\\Q" in p.regex for p, _rx in rules):
        return FieldPatterns(rules)
    options = re2.Options()
    options.log_errors = False
    options.max_mem = UNION_MAX_MEM
    try:
        union = re2.compile("|".join(f"(?:{p.regex})" for p, _rx in rules), options)
        which = re2.Set.SearchSet(options)
        for p, _rx in rules:
            which.Add(p.regex)
        which.Compile()
    except re2.error:
        return FieldPatterns(rules)
    return FieldPatterns(rules, union, which)


def _pattern_evidence(fname: str, text: str, patterns: FieldPatterns) -> list[Evidence]:
    """Each pattern's first MAX_PATTERN_MATCHES matches in a field, in rule order. ASCII text is searched
    as its bytes (offsets and matches are the same): the str path re-encodes the text for every
    pattern and maps every offset back, in Python."""
    data: str | bytes = text.encode("ascii") if text.isascii() else text
    if patterns.union is not None and patterns.union.search(data) is None:
        return []
    run = patterns.rules
    hits = patterns.which.Match(data) if patterns.which is not None else None
    if hits:  # None too when the Set's DFA runs out of memory (it has no fallback): then search them all
        run = tuple(patterns.rules[i] for i in sorted(hits))
    out = []
    for rule, rx in run:
        for n, m in enumerate(rx.finditer(data)):
            if n >= MAX_PATTERN_MATCHES:
                break
            found = m.group(0)
            found = found if isinstance(found, str) else found.decode("ascii")
            out.append(Evidence(rule.tag, rule.name, fname, found[:80], m.start(), rule.weight))
    return out


def feature_clauses(rules: RuleSet) -> re2._Regexp | None:
    """One RE2 alternation of the rule set's feature clauses; None when there are none or they weigh
    in full (share 1). Each is compiled alone first, so a bad one is named with its file."""
    if not rules.feature_clauses or rules.feature_clause_share == 1.0:
        return None
    for i, (regex, source) in enumerate(rules.feature_clauses):
        compile_pattern(regex, f"{source}: feature_clauses.patterns[{i}]")
    union = "|".join(f"(?:{regex})" for regex, _source in rules.feature_clauses)
    return compile_pattern(union, "feature_clauses")


def _listed(found: list[Evidence], text: str, clauses: re2._Regexp, share: float) -> list[Evidence]:
    """What a one-liner lists as features ("支持 A、B 等功能", "comes with user authentication") it does
    along the way; it is not what the project is: positive term hits inside a clause carry ``share``.
    Patterns keep their weight: they are written to read their own context ("a library for Go")."""
    data: str | bytes = text.encode("ascii") if text.isascii() else text
    spans = [m.span() for m in clauses.finditer(data)]
    if not spans:
        return found
    return [e._replace(weight=e.weight * share, share=share)
            if e.weight > 0 and any(a <= e.position < b for a, b in spans) else e for e in found]


_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


#: Non-ASCII characters classified so far in this process, and those of them that are word characters:
#: a CJK README has a thousand distinct ones, and ``is_word_char`` is Python. Both only grow (so a thread
#: never sees a character as classified before it is), up to _MAX_CLASSIFIED.
_CLASSIFIED: set[str] = set()
_WORD: set[str] = set()
_MAX_CLASSIFIED = 100_000
_ASCII = frozenset(map(chr, range(128)))


def _word_chars(text: str) -> frozenset[str] | set[str]:
    """The characters of ``text`` that are word characters (is_word_char), as one set to test against."""
    if text.isascii():
        return _ASCII_WORD
    chars = set(text)
    new = chars - _CLASSIFIED
    new -= _ASCII
    if new:
        if len(_CLASSIFIED) > _MAX_CLASSIFIED:
            return _ASCII_WORD | (chars & _WORD) | {ch for ch in new if is_word_char(ch)}
        _WORD.update(ch for ch in new if is_word_char(ch))
        _CLASSIFIED.update(new)
    return _ASCII_WORD | (chars & _WORD)
