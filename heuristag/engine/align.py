"""Align a caller's vocabulary to the pack's concepts: which concept's rules each name borrows, and why.

Rules describe concepts (the seed's 90 tags, the files in ``concepts/``, a user's own tag files), each
with a name and ``aliases`` in English, Chinese and Japanese. A caller brings their own names
(``kubernetes``, ``数据库``, ``machine-learning``). Each name is aligned once per vocabulary to at most
one concept, by the strongest evidence found, in this order:

1. ``name``: the name is the concept's (``tag_key``: case and stray spaces aside);
2. ``alias``: the name is one of the concept's Latin-script aliases (``kubernetes`` -> k8s);
3. ``normalised``: equal after NFKC, case, separators and plurals (``Web_Apps`` -> web-app);
4. ``translation``: a Chinese or Japanese alias, traditional and simplified folded (``資料庫`` -> database);
5. ``entry alias`` / ``entry description``: the entry's own ``aliases``, or a description that is just
   a name, aligned by steps 1-4;
6. ``fuzzy``: a misspelling of a Latin name or alias (rapidfuzz ratio >= 90, 8+ characters, not a
   longer word built on it: 'preact' is not react);
7. ``description words``: names and aliases of concepts found in the entry's description;
8. otherwise ``name only``: the entry is matched by its own name, as before alignment existed.

Everything here is a pure function of (rule set, vocabulary): the same inputs align the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .rules import RuleSet
from .vocabulary import Tag, Vocabulary, tag_key

NAME = "name"
ALIAS = "alias"
NORMALISED = "normalised"
TRANSLATION = "translation"
ENTRY_ALIAS = "entry alias"
ENTRY_DESCRIPTION = "entry description"
FUZZY = "fuzzy"
DESCRIPTION_WORDS = "description words"
NAME_ONLY = "name only"
#: Strongest first: the order in which evidence is tried (and the order `vocab check` explains).
HOW = (NAME, ALIAS, NORMALISED, TRANSLATION, ENTRY_ALIAS, ENTRY_DESCRIPTION, FUZZY, DESCRIPTION_WORDS, NAME_ONLY)
#: Alignments through the pack's own names and aliases: the concept's rules are used as they are (a
#: pack author who gives a concept an alias gives it the keywords too; a short Chinese alias such as
#: 库 would be a poor substring term). The weaker ones also match the caller's own name.
TRUSTED = frozenset({NAME, ALIAS, NORMALISED, TRANSLATION})

FUZZY_CUTOFF = 90.0
FUZZY_MIN_CHARS = 8
#: A description this short (in words) may itself be a name: "Kubernetes", "数据库".
_NAME_LIKE_WORDS = 3

_SEPARATORS = re.compile(r"(?:[^\w+#]|_)+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True)
class Alignment:
    """One vocabulary entry and the concept whose rules it borrows (``None``: its own name only)."""

    key: str                  # the entry's tag key (what evidence and scores are keyed by)
    name: str                 # the entry's name, verbatim
    concept: str | None       # a key of RuleSet.tags
    how: str                  # one of HOW
    matched: str = ""         # the string that decided: an alias, an entry alias, a description phrase

    def describe(self) -> str:
        """``'数据库' -> database (translation: '数据库')``, or ``'foo' -> name only``."""
        if self.concept is None:
            return f"{self.name!r} -> {NAME_ONLY}"
        detail = f": {self.matched!r}" if self.matched and self.how != NAME else ""
        return f"{self.name!r} -> {self.concept} ({self.how}{detail})"

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "concept": self.concept, "how": self.how, "matched": self.matched}


@dataclass(frozen=True)
class VocabularyAlignment:
    """Every entry's alignment, in the vocabulary's order."""

    entries: tuple[Alignment, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {a.key: a for a in self.entries})

    def get(self, key: str) -> Alignment | None:
        return self._by_key.get(key)  # type: ignore[attr-defined]

    @property
    def concepts(self) -> frozenset[str]:
        return frozenset(a.concept for a in self.entries if a.concept is not None)

    def warnings(self) -> list[str]:
        """Two names sharing one concept score alike: usually a duplicate the caller did not mean."""
        shared: dict[str, list[str]] = {}
        for a in self.entries:
            if a.concept is not None:
                shared.setdefault(a.concept, []).append(a.name)
        return [f"{', '.join(repr(n) for n in names)} all align to concept {concept!r}: they will score alike"
                for concept, names in shared.items() if len(names) > 1]


# ---------------------------------------------------------------- normalised forms

def _singular(word: str) -> str:
    """English plural to singular, crudely but the same on both sides: 'libraries' == 'library'."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def _simplified(text: str) -> str:
    """Traditional Chinese (and Taiwan terms) as simplified: '資料庫' -> '数据库'."""
    if not _HAN.search(text):
        return text
    import zhconv  # lazy: only names in Han script need it

    return zhconv.convert(text, "zh-cn")


def normal_form(text: str) -> str:
    """What two spellings of one name share: NFKC, case, no separators, singular words, simplified Han."""
    folded = _simplified(unicodedata.normalize("NFKC", text).casefold())
    return "".join(_singular(w) for w in _SEPARATORS.split(folded) if w)


def _words(text: str) -> list[str]:
    folded = _simplified(unicodedata.normalize("NFKC", text).casefold())
    return [_singular(w) for w in _SEPARATORS.split(folded) if w]


def is_latin(text: str) -> bool:
    return bool(_LATIN.search(text.casefold())) and not _HAN.search(text)


# ---------------------------------------------------------------- the concept index

@dataclass(frozen=True)
class ConceptIndex:
    """A rule set's concepts by every spelling alignment tries; built once per rule set.

    Chinese and Japanese aliases are looked up as written first; their traditional-to-simplified
    normal forms (zhconv, whose tables take ~0.2 s to load) are built only when a name needs them.
    """

    names: Mapping[str, str]                      # tag_key(name) -> concept
    aliases: Mapping[str, tuple[str, str]]        # tag_key(Latin alias) -> (concept, alias)
    normal: Mapping[str, tuple[str, str]]         # normal form of a Latin name or alias -> (concept, it)
    written: Mapping[str, tuple[str, str]]        # tag_key(non-Latin alias) -> (concept, alias)
    fuzzy_choices: tuple[str, ...]                # Latin normal forms long enough to fuzz against

    @cached_property
    def translations(self) -> dict[str, tuple[str, str]]:
        """Normal form of a non-Latin alias -> (concept, alias), first concept by key winning."""
        out: dict[str, tuple[str, str]] = {}
        for concept, alias in self.written.values():
            out.setdefault(normal_form(alias), (concept, alias))
        return out


def concept_index(rules: RuleSet) -> ConceptIndex:
    """Names win over aliases and concepts are visited in key order, so a clash resolves the same way."""
    names: dict[str, str] = {}
    aliases: dict[str, tuple[str, str]] = {}
    normal: dict[str, tuple[str, str]] = {}
    written: dict[str, tuple[str, str]] = {}
    for key in sorted(rules.tags):
        names.setdefault(key, key)
        names.setdefault(tag_key(rules.tags[key].name), key)
        normal.setdefault(normal_form(key), (key, key))
    for key in sorted(rules.tags):
        for alias in rules.tags[key].aliases:
            if not alias.strip():
                continue
            if is_latin(alias):
                aliases.setdefault(tag_key(alias), (key, alias))
                normal.setdefault(normal_form(alias), (key, alias))
            else:
                written.setdefault(tag_key(alias), (key, alias))
    choices = tuple(sorted(f for f in normal if len(f) >= FUZZY_MIN_CHARS and f.isascii()))
    return ConceptIndex(names, aliases, normal, written, choices)


# ---------------------------------------------------------------- aligning one entry

def _direct(text: str, index: ConceptIndex) -> tuple[str, str, str] | None:
    """Steps 1-4 for one string: (concept, how, matched) or None."""
    key = tag_key(text)
    if key in index.names:
        return index.names[key], NAME, text
    if key in index.aliases:
        concept, alias = index.aliases[key]
        return concept, ALIAS, alias
    if key in index.written:
        concept, alias = index.written[key]
        return concept, TRANSLATION, alias
    form = normal_form(text)
    if form in index.normal:
        concept, spelled = index.normal[form]
        return concept, NORMALISED, spelled
    if form in index.translations:
        concept, alias = index.translations[form]
        return concept, TRANSLATION, alias
    return None


def _typo_of(form: str, choice: str) -> bool:
    """A misspelling, not another word built on the name: 'kubernets' is Kubernetes, but 'preact',
    'ipython' and 'visionos' are things of their own, and 'blogger' is not a logger."""
    if abs(len(form) - len(choice)) > 2:
        return False
    contained = form in choice or choice in form
    return not contained or abs(len(form) - len(choice)) == 1


def _fuzzy(texts: Iterable[str], index: ConceptIndex) -> tuple[str, str, str] | None:
    from rapidfuzz import fuzz, process  # lazy: most vocabularies align before this step

    for text in texts:
        form = normal_form(text)
        if len(form) < FUZZY_MIN_CHARS or not form.isascii() or not index.fuzzy_choices:
            continue
        for choice, _score, _i in process.extract(form, index.fuzzy_choices, scorer=fuzz.ratio,
                                                  score_cutoff=FUZZY_CUTOFF, limit=3):
            if _typo_of(form, choice):
                concept, spelled = index.normal[choice]
                return concept, FUZZY, spelled
    return None


def _description_words(description: str, index: ConceptIndex) -> tuple[str, str, str] | None:
    """The concept whose names or aliases the description mentions most (then first, then by key)."""
    words = _words(description)
    if not words:
        return None
    found: dict[str, list[tuple[int, str]]] = {}
    for n in range(min(4, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            hit = index.normal.get("".join(words[i:i + n]))
            if hit is not None:
                found.setdefault(hit[0], []).append((i, hit[1]))
    folded = "".join(words)
    if _HAN.search(folded):
        for form, (concept, alias) in index.translations.items():
            pos = folded.find(form)
            if pos >= 0:
                found.setdefault(concept, []).append((pos, alias))
    if not found:
        return None
    concept = min(found, key=lambda c: (-len({m for _, m in found[c]}), min(found[c])[0], c))
    return concept, DESCRIPTION_WORDS, min(found[concept])[1]


def align_tag(tag: Tag, index: ConceptIndex) -> Alignment:
    """One entry's alignment: the first step of the module's order that finds a concept."""
    hit = _direct(tag.name, index)
    if hit is None:
        for alias in tag.aliases:
            direct = _direct(alias, index)
            if direct is not None:
                hit = (direct[0], ENTRY_ALIAS, alias)
                break
    desc = tag.description
    if hit is None and desc and len(desc.split()) <= _NAME_LIKE_WORDS:
        direct = _direct(desc, index)
        if direct is not None:
            hit = (direct[0], ENTRY_DESCRIPTION, desc)
    if hit is None:
        hit = _fuzzy((tag.name, *tag.aliases), index)
    if hit is None and desc:
        hit = _description_words(desc, index)
    if hit is None:
        return Alignment(tag.key, tag.name, None, NAME_ONLY)
    concept, how, matched = hit
    return Alignment(tag.key, tag.name, concept, how, matched)


def align(vocabulary: Vocabulary, index: ConceptIndex) -> VocabularyAlignment:
    return VocabularyAlignment(tuple(align_tag(t, index) for t in vocabulary))
