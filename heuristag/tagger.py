"""The library entry point: rules compiled once, then Request -> Document -> Evidence -> Ranking -> Result."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .document import Document, extract
from .errors import require_positive
from .matcher import Evidence, Matcher
from .normalise import normalise
from .request import DEFAULT_MAX_TAGS, Request, from_readme
from .result import Result
from .rules import RuleSet, TermGroup, load_rules
from .scorer import Ranking, score
from .vocabulary import Tag, Vocabulary, builtin_vocabulary, load_vocabulary_file, parse_vocabulary

#: Weight of a rule-less vocabulary tag's own name, and how close a fuzzy hit in a short field must be.
NAME_WEIGHT = 2.0
FUZZY_MIN_RATIO = 90.0
_SHORT_FIELDS = ("title", "description", "headings")


def name_rules(tags: Iterable[Tag]) -> list[TermGroup]:
    """A tag nobody wrote rules for is matched by its own name (`http-client` ~ 'http client')."""
    out = []
    for t in tags:
        phrase = normalise(t.name)
        if phrase:
            terms = tuple(dict.fromkeys([phrase, phrase.replace(" ", "")]))
            out.append(TermGroup(tag=t.key, name=f"{t.key}/name", terms=terms, weight=NAME_WEIGHT,
                                 source="vocabulary"))
    return out


class Tagger:
    """Holds a compiled rule set and a default vocabulary; ``tag`` is a pure function of its inputs."""

    def __init__(self, rules: RuleSet | None = None, *, rules_dirs: Sequence[str | Path] = (),
                 builtin_rules: bool = True, vocabulary: Vocabulary | list | str | os.PathLike | None = None) -> None:
        self.rules = rules if rules is not None else load_rules(rules_dirs, builtin=builtin_rules)
        self.vocabulary = self._vocab(vocabulary) if vocabulary is not None else builtin_vocabulary()
        self._matchers: dict[frozenset[str], Matcher] = {}
        self.matcher_for(self.vocabulary)  # compile now: rule errors surface at construction

    @staticmethod
    def _vocab(v: Vocabulary | list | str | os.PathLike | None) -> Vocabulary | None:
        """A Vocabulary, a list as in a prompt, or the path of any vocabulary file the CLI reads."""
        if v is None or isinstance(v, Vocabulary):
            return v
        if isinstance(v, (str, os.PathLike)):
            return load_vocabulary_file(v)
        return parse_vocabulary(v, "vocabulary")

    def matcher_for(self, vocabulary: Vocabulary) -> Matcher:
        """The compiled matcher for a vocabulary: shared unless it has tags without rules."""
        ruleless = frozenset(k for k in vocabulary.keys if k not in self.rules.tags)
        matcher = self._matchers.get(ruleless)
        if matcher is None:
            extra = name_rules(t for t in vocabulary if t.key in ruleless)
            matcher = Matcher(self.rules, extra)
            if len(self._matchers) > 64:
                self._matchers.clear()
            self._matchers[ruleless] = matcher
        return matcher

    def document(self, request: Request) -> Document:
        return extract(_scrub(request.readme), _scrub(request.description), self.rules.boilerplate_headings)

    def evidence(self, doc: Document, vocabulary: Vocabulary) -> list[Evidence]:
        matcher = self.matcher_for(vocabulary)
        found = matcher.match(doc)
        ruleless = [t for t in vocabulary if t.key not in self.rules.tags]
        if ruleless:
            found.extend(_fuzzy_names(doc, ruleless, found))
        return found

    def rank(self, doc: Document, vocabulary: Vocabulary, max_tags: int) -> Ranking:
        return score(self.evidence(doc, vocabulary), self.rules, vocabulary.keys, max_tags)

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


def _fuzzy_names(doc: Document, tags: list[Tag], exact: list[Evidence]) -> list[Evidence]:
    """rapidfuzz on the short fields only, for rule-less tags: catches 'HTTP-Clients', 'httpclient'."""
    from rapidfuzz import fuzz  # lazy: only vocabularies with rule-less tags need it

    have = {(e.tag, e.field) for e in exact}
    out = []
    for fname in _SHORT_FIELDS:
        text = normalise(doc.field_text(fname))[:2000]
        if not text:
            continue
        for t in tags:
            phrase = normalise(t.name)
            if len(phrase) < 4 or (t.key, fname) in have:
                continue
            ratio = fuzz.partial_ratio(phrase, text)
            if ratio >= FUZZY_MIN_RATIO:
                out.append(Evidence(t.key, f"{t.key}/name~fuzzy", fname, phrase, 0,
                                    round(NAME_WEIGHT * ratio / 100.0, 3)))
    return out


_default: Tagger | None = None


def tag(readme: str, description: str = "", **kwargs: Any) -> Result:
    """Module-level shortcut with a lazily built default Tagger (built-in rules and vocabulary)."""
    global _default
    if _default is None:
        _default = Tagger()
    return _default.tag(readme, description, **kwargs)
