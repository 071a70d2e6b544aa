"""A vocabulary's own rule set: one copy of its aligned concepts' rules per entry, and nothing else.

Only the vocabulary's concepts take part, so a term of a concept the caller did not ask for cannot win
the longest match and hide theirs ("game engine" is not taken from `game` by a game-engine rule the
vocabulary lacks). Each entry is scored under a scoring key (its concept's own key, so any spelling of
the vocabulary scores alike; the tagger maps answers back to the caller's names). Signals, features
and relations follow their concept to those keys, or drop out with it. For a vocabulary of concept
names (the seed's 90 tags) the result is the rule set itself without the concepts it does not name,
so its answers are the ones it always had.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from .align import HOW, TRUSTED, VocabularyAlignment
from .normalise import normalise
from .rules import FeatureRule, PatternRule, RuleSet, TagRules, TermGroup
from .vocabulary import Tag, Vocabulary

#: Weight of an entry's own name or alias used as a term (a rule-less tag's name, as before alignment).
NAME_WEIGHT = 2.0


def scoring_keys(alignment: VocabularyAlignment) -> dict[str, str]:
    """Entry key -> the key its evidence is scored under: its concept's own key (a second name of the
    same concept gets ``concept#2``), or its own key when it has no concept.

    The scorer visits tags in key order (relations lend shares in that order) and breaks ties by key,
    so scoring under concept keys makes a vocabulary and its renaming (``数据库`` for ``database``)
    score exactly alike; answers are mapped back to the caller's names afterwards. When two entries share
    a concept, the closer alignment (then the smaller key) takes the concept's key, whatever the order of
    the vocabulary: ``database`` before ``データベース``, so their tie is always broken the same way.
    """
    out: dict[str, str] = {}
    entries = sorted(alignment.entries, key=lambda a: (HOW.index(a.how), a.key))
    for a in entries:
        if a.concept is not None and a.concept not in out.values():
            out[a.key] = a.concept
    taken = set(out.values()) | {a.key for a in entries if a.concept is None}
    for a in entries:
        if a.key in out:
            continue
        if a.concept is None:
            out[a.key] = a.key
            continue
        n = 2
        while f"{a.concept}#{n}" in taken:
            n += 1
        out[a.key] = f"{a.concept}#{n}"
        taken.add(out[a.key])
    return out


def callers_of(alignment: VocabularyAlignment, keys: Mapping[str, str]) -> dict[str, list[str]]:
    """concept -> the scoring keys of the entries aligned to it, in vocabulary order (usually one)."""
    out: dict[str, list[str]] = {}
    for a in alignment.entries:
        if a.concept is not None:
            out.setdefault(a.concept, []).append(keys[a.key])
    return out


def _relation(pairs: tuple[tuple[str, float], ...], callers: Mapping[str, list[str]]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, share) for other, share in pairs for k in callers.get(other, ())))


def _as(rules: TagRules, key: str, callers: Mapping[str, list[str]]) -> TagRules:
    """A concept's rules relabelled to one scoring key (unchanged when the key is the concept's own)."""
    groups = tuple(replace(g, tag=key) for g in rules.groups) if key != rules.tag else rules.groups
    patterns = tuple(replace(p, tag=key) for p in rules.patterns) if key != rules.tag else rules.patterns
    return replace(rules, tag=key, groups=groups, patterns=patterns,
                   implied_by=_relation(rules.implied_by, callers),
                   suppressed_by=_relation(rules.suppressed_by, callers))


def _follow(items: Iterable[TermGroup | PatternRule | FeatureRule], callers: Mapping[str, list[str]],
            concepts: frozenset[str], own: frozenset[str]) -> list:
    """Signals and features of an aligned concept, once per scoring key; those of a name-only
    vocabulary tag (``own``) stay as they are; the rest drop out."""
    out = []
    for item in items:
        if item.tag in callers:
            out.extend(item if k == item.tag else replace(item, tag=k) for k in callers[item.tag])
        elif item.tag in own and item.tag not in concepts:
            out.append(item)
    return out


def stand_ins(rules: RuleSet, present: frozenset[str]) -> dict[str, list[tuple[str, float]]]:
    """other concept -> [(concept standing in, share)]: the relations table's pairs whose concept the
    vocabulary lacks and whose other concept it has."""
    out: dict[str, list[tuple[str, float]]] = {}
    for concept, other, share in rules.stand_ins:
        if concept not in present and other in present and concept in rules.tags:
            out.setdefault(other, []).append((concept, share))
    return out


def _with_stand_ins(rules: TagRules, helpers: list[tuple[TagRules, float]]) -> TagRules:
    """A concept's rules plus, at a share of their weight, the keywords of absent concepts standing in
    for it (those it does not have itself); its negative terms that are theirs stop counting ('game
    engine' is against `game` only because game-engine would take it)."""
    mine = {normalise(t) for g in rules.groups if g.weight > 0 for t in g.terms}
    borrowed = []
    for helper, share in helpers:
        for g in helper.groups:
            new = tuple(t for t in g.terms if normalise(t) not in mine)  # what it already says counts once
            if g.weight > 0 and new:
                borrowed.append(replace(g, tag=rules.tag, name=f"{g.name}~stand-in", terms=new,
                                        weight=round(g.weight * share, 4)))
    theirs = {normalise(t) for g in borrowed for t in g.terms}
    own = []
    for g in rules.groups:
        if g.weight < 0:
            g = replace(g, terms=tuple(t for t in g.terms if normalise(t) not in theirs))
        if g.terms:
            own.append(g)
    return replace(rules, groups=(*own, *borrowed))


def vocabulary_rules(rules: RuleSet, alignment: VocabularyAlignment, keys: Mapping[str, str]) -> RuleSet:
    """The rule set a vocabulary is matched and scored with, keyed by its scoring keys."""
    callers = callers_of(alignment, keys)
    concepts = frozenset(rules.tags)
    helped = stand_ins(rules, alignment.concepts)
    tags = {}
    for a in alignment.entries:
        if a.concept is not None:
            own = rules.tags[a.concept]
            if a.concept in helped:
                own = _with_stand_ins(own, [(rules.tags[c], share) for c, share in helped[a.concept]])
            tags[keys[a.key]] = _as(own, keys[a.key], callers)
    own_names = frozenset(keys[a.key] for a in alignment.entries if a.concept is None)
    return replace(rules, tags=MappingProxyType(dict(sorted(tags.items()))),
                   signals=tuple(_follow(rules.signals, callers, concepts, own_names)),
                   features=tuple(_follow(rules.features, callers, concepts, own_names)))


def _terms(phrases: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for p in phrases:
        phrase = normalise(p)
        if phrase:
            out += [phrase, phrase.replace(" ", "")]
    return tuple(dict.fromkeys(out))


def name_groups(vocabulary: Vocabulary, alignment: VocabularyAlignment, rules: RuleSet,
                keys: Mapping[str, str]) -> list[TermGroup]:
    """Terms from the caller's own words: a name-only entry's name (``http-client`` ~ 'http client'),
    the name of an entry aligned on weak evidence, and every entry's ``aliases``; never a term its
    concept already has, so a well-aligned entry scores exactly as its concept."""
    out = []
    for tag in vocabulary:
        a = alignment.get(tag.key)
        if a is None:
            continue
        own = () if a.concept is not None and a.how in TRUSTED else (tag.name,)
        terms = _terms((*own, *tag.aliases))
        if terms and a.concept is not None:
            known = {normalise(t) for g in rules.tags[a.concept].groups for t in g.terms}
            terms = tuple(t for t in terms if t not in known)
        if terms:
            out.append(TermGroup(tag=keys[tag.key], name=f"{tag.key}/name", terms=terms, weight=NAME_WEIGHT,
                                 source="vocabulary"))
    return out


def name_only(vocabulary: Vocabulary, alignment: VocabularyAlignment) -> list[Tag]:
    """Entries with no concept: the tagger also fuzzy-matches their names in the short fields."""
    return [t for t in vocabulary if (a := alignment.get(t.key)) is not None and a.concept is None]
