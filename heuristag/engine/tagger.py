"""The library entry point: rules compiled once, then Request -> Document -> Evidence -> Ranking -> Result."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .align import ConceptIndex, VocabularyAlignment, align, concept_index
from .document import Document, extract
from .errors import require_positive
from .matcher import Evidence, Matcher
from .normalise import normalise
from .parsers import resolve as resolve_parser
from .relabel import NAME_WEIGHT, name_groups, name_only, scoring_keys, vocabulary_rules
from .request import DEFAULT_MAX_TAGS, Request, from_readme
from .result import Result
from .rules import RuleSet, load_rules
from .scorer import Ranking, score
from .vocabulary import Tag, Vocabulary, builtin_vocabulary, load_vocabulary_file, parse_vocabulary

#: How close a fuzzy hit of a name-only tag in a short field must be.
FUZZY_MIN_RATIO = 90.0
_SHORT_FIELDS = ("title", "description", "headings")


@dataclass(frozen=True)
class VocabularyRules:
    """What one vocabulary is tagged with: its alignment, its own rule set and their compiled matcher."""

    alignment: VocabularyAlignment
    rules: RuleSet                     # keyed by scoring keys (relabel.scoring_keys)
    matcher: Matcher
    name_only: tuple[tuple[str, Tag], ...]   # (scoring key, entry) of entries with no concept
    keys: Mapping[str, str]            # entry key -> scoring key
    entries: Mapping[str, str]         # scoring key -> entry key

    @cached_property
    def allowed(self) -> frozenset[str]:
        """The scoring keys, built once (a README's scoring asks for them)."""
        return frozenset(self.entries)

    @cached_property
    def same_keys(self) -> bool:
        """Are the scoring keys the entries' own keys (most vocabularies)? Asked once, not per README."""
        return all(k == v for k, v in self.entries.items())

    def to_entries(self, ranking: Ranking) -> Ranking:
        """A ranking in scoring keys as the caller's keys (the same object when they are one)."""
        if self.same_keys:
            return ranking
        back = self.entries
        scores = tuple(replace(s, tag=back[s.tag], evidence=tuple(e._replace(tag=back[e.tag]) for e in s.evidence))
                       for s in ranking.scores)
        return Ranking(scores, tuple(back[k] for k in ranking.chosen))


class Tagger:
    """Holds a compiled rule set and a default vocabulary; ``tag`` is a pure function of its inputs."""

    def __init__(self, rules: RuleSet | None = None, *, rules_dirs: Sequence[str | Path] = (),
                 builtin_rules: bool = True, vocabulary: Vocabulary | list | str | os.PathLike | None = None,
                 parser: str | None = None) -> None:
        #: the Markdown backend (parsers.py): None reads HEURISTAG_PARSER, else the fast one when installed
        self.parser = resolve_parser(parser)
        self.rules = rules if rules is not None else load_rules(rules_dirs, builtin=builtin_rules)
        self.vocabulary = self._vocab(vocabulary) if vocabulary is not None else builtin_vocabulary()
        self._index: ConceptIndex | None = None
        self._compiled: dict[int, tuple[tuple[Tag, ...], VocabularyRules]] = {}
        self._matchers: dict[tuple, Matcher] = {}
        self.matcher_for(self.vocabulary)  # compile now: rule errors surface at construction

    @staticmethod
    def _vocab(v: Vocabulary | list | str | os.PathLike | None) -> Vocabulary | None:
        """A Vocabulary, a list as in a prompt, or the path of any vocabulary file the CLI reads."""
        if v is None or isinstance(v, Vocabulary):
            return v
        if isinstance(v, (str, os.PathLike)):
            return load_vocabulary_file(v)
        return parse_vocabulary(v, "vocabulary")

    def concepts(self) -> ConceptIndex:
        """Every concept of the rule set by every spelling alignment tries (built on first use)."""
        if self._index is None:
            self._index = concept_index(self.rules)
        return self._index

    def compiled_for(self, vocabulary: Vocabulary) -> VocabularyRules:
        """Align a vocabulary and compile its rules, once: cached by the vocabulary's fingerprint, and
        the matcher by what it is built from, so vocabularies that differ only in ids share one."""
        cached = self._compiled.get(vocabulary.fingerprint)
        if cached is not None and (cached[0] is vocabulary.tags or cached[0] == vocabulary.tags):
            return cached[1]
        alignment = align(vocabulary, self.concepts())
        keys = scoring_keys(alignment)
        rules = vocabulary_rules(self.rules, alignment, keys)
        extra = name_groups(vocabulary, alignment, self.rules, keys)
        # what the matcher is built from: vocabularies that differ only in ids, or are renamings of
        # one another, share it
        signature = (tuple(sorted((keys[a.key], a.concept or "") for a in alignment.entries)),
                     tuple((g.tag, g.name, g.terms) for g in extra))
        matcher = self._matchers.get(signature)
        if matcher is None:
            matcher = Matcher(rules, extra)
            _bounded(self._matchers)[signature] = matcher
        compiled = VocabularyRules(alignment, rules, matcher,
                                   tuple((keys[t.key], t) for t in name_only(vocabulary, alignment)),
                                   MappingProxyType(keys), MappingProxyType({v: k for k, v in keys.items()}))
        _bounded(self._compiled)[vocabulary.fingerprint] = (vocabulary.tags, compiled)
        return compiled

    def matcher_for(self, vocabulary: Vocabulary) -> Matcher:
        """The compiled matcher for a vocabulary: only its concepts' rules, under its names."""
        return self.compiled_for(vocabulary).matcher

    def rules_for(self, vocabulary: Vocabulary) -> RuleSet:
        """The rule set a vocabulary is scored with, keyed by its scoring keys (``evidence`` too)."""
        return self.compiled_for(vocabulary).rules

    def alignment_for(self, vocabulary: Vocabulary) -> VocabularyAlignment:
        return self.compiled_for(vocabulary).alignment

    def document(self, request: Request) -> Document:
        return extract(_scrub(request.readme), _scrub(request.description), self.rules.boilerplate_headings,
                       self.parser)

    def evidence(self, doc: Document, vocabulary: Vocabulary) -> list[Evidence]:
        """Every piece of evidence, tagged with scoring keys (the concepts' own for aligned entries)."""
        compiled = self.compiled_for(vocabulary)
        found = compiled.matcher.match(doc)
        if compiled.name_only:
            found.extend(_fuzzy_names(doc, compiled.name_only, found))
        return found

    def score_evidence(self, evidence: list[Evidence], vocabulary: Vocabulary, max_tags: int) -> Ranking:
        """``evidence`` of this vocabulary scored, as a ranking of the vocabulary's own tag keys."""
        compiled = self.compiled_for(vocabulary)
        return compiled.to_entries(score(evidence, compiled.rules, compiled.allowed, max_tags))

    def rank(self, doc: Document, vocabulary: Vocabulary, max_tags: int) -> Ranking:
        return self.score_evidence(self.evidence(doc, vocabulary), vocabulary, max_tags)

    def tag_request(self, request: Request) -> Result:
        vocabulary = request.vocabulary or self.vocabulary
        doc = self.document(request)
        ranking = self.rank(doc, vocabulary, request.max_tags)
        tags = tuple(t for t in (vocabulary.get(k) for k in ranking.chosen) if t is not None)
        return Result(id=request.id, tags=tags, ranking=ranking, truncated=doc.truncated)

    def confidence(self, result: Result) -> dict[str, float]:
        """P(right) of each chosen tag, by vocabulary name: the pack's calibration curve for its score
        (calibrate.py), or the monotone default score / (score + threshold) when the pack has none."""
        from .calibrate import confidence_of

        by_key = {s.tag: s for s in result.ranking.scores}
        return {t.name: confidence_of(self.rules.calibration, t.key, by_key[t.key].score, by_key[t.key].threshold)
                for t in result.tags if t.key in by_key}

    def tag(self, readme: str | bytes, description: str | bytes = "", *,
            vocabulary: Vocabulary | list | str | os.PathLike | None = None,
            id: Any = None, max_tags: int = DEFAULT_MAX_TAGS, encoding: str | None = None) -> Result:
        """Tag one README: ``Tagger().tag(text, description="...", id="42").to_json()``.

        ``readme`` and ``description`` may be bytes, decoded as a file is (UTF-8, BOM, legacy CJK
        detection, or ``encoding`` when given); anything but text or bytes is a TypeError naming the
        parameter.
        """
        readme = _text_argument("readme", readme, encoding)
        description = _text_argument("description", description if description is not None else "", encoding)
        if isinstance(max_tags, bool) or not isinstance(max_tags, int):
            raise TypeError(f"max_tags must be an int, got {type(max_tags).__name__}")
        require_positive("max_tags", max_tags)
        request = from_readme(readme, description=description, id=id,
                              vocabulary=self._vocab(vocabulary), max_tags=max_tags)
        return self.tag_request(request)

    def tag_many(self, records: Iterable[Any], *, workers: int = 1, fmt: str = "objects") -> Iterator[Any]:
        """Tag JSONL-style records (dicts, or lines as str/bytes) lazily, in input order: a Result or a
        RecordError per record, the same answers `heuristag batch` writes (see many.py; imported here
        lazily, as it runs the batch machinery on top of this engine)."""
        from ..running.many import tag_many

        return tag_many(records, self, workers=workers, fmt=fmt)


#: Lone UTF-16 surrogates: no file decodes to them, but a JSON "\\ud800" escape (a batch record, the
#: library API) does, and RE2 and the output cannot encode them (found by fuzz/fuzz_inputs.py).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(text: str) -> str:
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _text_argument(name: str, value: Any, encoding: str | None = None) -> str:
    """Library callers pass str or bytes; bytes are decoded like a file, so a GBK README works the same."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        from .textio import decode_bytes

        return decode_bytes(bytes(value), name, encoding)
    raise TypeError(f"{name} must be str or bytes, got {type(value).__name__}")


def _fuzzy_names(doc: Document, tags: Sequence[tuple[str, Tag]], exact: list[Evidence]) -> list[Evidence]:
    """rapidfuzz on the short fields only, for rule-less tags: catches 'HTTP-Clients', 'httpclient'."""
    from rapidfuzz import fuzz  # lazy: only vocabularies with rule-less tags need it

    have = {(e.tag, e.field) for e in exact}
    out = []
    for fname in _SHORT_FIELDS:
        text = normalise(doc.field_text(fname))[:2000]
        if not text:
            continue
        for key, t in tags:
            phrase = normalise(t.name)
            if len(phrase) < 4 or (key, fname) in have:
                continue
            ratio = fuzz.partial_ratio(phrase, text)
            if ratio >= FUZZY_MIN_RATIO:
                out.append(Evidence(key, f"{t.key}/name~fuzzy", fname, phrase, 0,
                                    round(NAME_WEIGHT * ratio / 100.0, 3)))
    return out


def _bounded(cache: dict) -> dict:
    """A per-vocabulary cache that cannot grow without bound (a batch may carry many vocabularies)."""
    if len(cache) > 64:
        cache.clear()
    return cache


_default: Tagger | None = None


def default_tagger() -> Tagger:
    """The Tagger with built-in rules and vocabulary, built on first use."""
    global _default
    if _default is None:
        _default = Tagger()
    return _default


def tag(readme: str, description: str = "", **kwargs: Any) -> Result:
    """Module-level shortcut with a lazily built default Tagger (built-in rules and vocabulary)."""
    return default_tagger().tag(readme, description, **kwargs)


def tag_many(records: Iterable[Any], *, workers: int = 1, fmt: str = "objects") -> Iterator[Any]:
    """``Tagger.tag_many`` with the default Tagger: ``for answer in heuristag.tag_many(rows, workers=2)``."""
    return default_tagger().tag_many(records, workers=workers, fmt=fmt)
