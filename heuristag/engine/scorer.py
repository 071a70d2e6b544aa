"""Evidence -> per-tag scores -> at most N tags, deterministically, with the reason for every tag.

Four short stages, each a pure function: ``collect`` (evidence grouped by tag, field and rule),
``tag_points`` (a tag's points from its fields: saturation, field weights, capped negatives),
``relations`` (implied/suppressed tags lend or take a share), ``select`` (priors, thresholds, the
relative cut, the N slots and the fallback). ``Params`` overrides any number of the rule set at
scoring time, so `heuristag tune` can re-score cached evidence without matching documents again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .matcher import Evidence
from .rules import DEFAULT_SCORING, RuleSet

#: Why a tag was or was not chosen (``TagScore.reason``; ``explain`` prints it).
CHOSEN = "chosen"
FALLBACK = "chosen by fallback"
BELOW_THRESHOLD = "below threshold"
BELOW_CUT = "below relative_cut"
BEYOND_SLOTS = "beyond max tags"
NO_EVIDENCE = "no evidence"
NOT_IN_VOCABULARY = "not in vocabulary"
REASONS = (CHOSEN, FALLBACK, BELOW_THRESHOLD, BELOW_CUT, BEYOND_SLOTS, NO_EVIDENCE, NOT_IN_VOCABULARY)

_EMPTY: Mapping[str, float] = MappingProxyType({})

#: tag -> field -> rule -> [weight, count, share]: the strongest hit's weight and share (Evidence.share)
Hits = dict[str, dict[str, dict[str, list[float]]]]
Contribution = tuple[str, str, float]   # (rule, field, points)


@dataclass(frozen=True)
class TagScore:
    tag: str                          # key
    score: float
    threshold: float
    evidence: tuple[Evidence, ...]    # sorted: strongest contribution first
    contributions: tuple[tuple[str, str, float], ...]   # (rule, field, points), strongest first
    reason: str = ""                  # one of REASONS


@dataclass(frozen=True)
class Ranking:
    """Every tag with evidence, best first (ties by tag key), and the ones chosen."""

    scores: tuple[TagScore, ...]
    chosen: tuple[str, ...]


@dataclass(frozen=True)
class Params:
    """Numbers that replace the rule set's at scoring time; empty mappings keep the rules' own.

    ``weights`` maps a rule name (``Evidence.rule``) to the evidence weight it should carry, signed
    as in ``Evidence`` (a negative group's weight is negative).
    """

    weights: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    thresholds: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    priors: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    field_weights: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    scoring: Mapping[str, float] = field(default_factory=lambda: _EMPTY)


NO_PARAMS = Params()


@dataclass(frozen=True)
class Knobs:
    """The scoring numbers in force for one call: the rule set's, with ``Params`` laid over them."""

    field_weights: Mapping[str, float]
    repeat_bonus: float
    body_cap: float
    field_cap: float
    relative_cut: float
    kind_cut: float
    fallback: float
    fallback_alone: float
    threshold: float
    weights: Mapping[str, float]

    @classmethod
    def of(cls, rules: RuleSet, params: Params = NO_PARAMS) -> Knobs:
        sc = {**rules.scoring, **params.scoring}
        fw = {**rules.field_weights, **params.field_weights} if params.field_weights else rules.field_weights
        return cls(field_weights=fw, repeat_bonus=float(sc["repeat_bonus"]), body_cap=float(sc["body_cap"]),
                   field_cap=float(sc["field_cap"]), relative_cut=float(sc["relative_cut"]),
                   kind_cut=float(sc.get("kind_cut", DEFAULT_SCORING["kind_cut"])),
                   fallback=float(sc.get("fallback", 0.0)),
                   fallback_alone=float(sc.get("fallback_alone", DEFAULT_SCORING["fallback_alone"])),
                   threshold=float(sc["threshold"]),
                   weights=params.weights)


def _saturate(x: float, cap: float) -> float:
    """Smoothly bounded: many small hits approach ``cap`` but never pass it."""
    return cap * (1.0 - math.exp(-x / cap)) if cap > 0 and x > 0 else x


def collect(evidence: Iterable[Evidence], allowed: frozenset[str] | None) -> tuple[Hits, dict[str, list[Evidence]]]:
    """Evidence of allowed tags grouped by tag, field and rule: each rule keeps its strongest weight
    and its count, which is all the later stages need (and what `tune` caches per document)."""
    hits: Hits = {}
    by_tag: dict[str, list[Evidence]] = {}
    for ev in evidence:
        tag, rule, fname, _text, _position, weight, share = ev
        if allowed is not None and tag not in allowed:
            continue
        by_tag.setdefault(tag, []).append(ev)
        rules_hit = hits.setdefault(tag, {}).setdefault(fname, {})
        slot = rules_hit.get(rule)
        if slot is None:
            rules_hit[rule] = [weight, 1, share]
        else:
            if weight > slot[0] if weight > 0 else weight < slot[0]:
                slot[0], slot[2] = weight, share
            slot[1] += 1
    return hits, by_tag


def supported(hits: Hits, needs_support: frozenset[str]) -> Hits:
    """Drop what generic words alone say: a rule marked ``needs_support`` counts for a tag only when
    another of the tag's rules also speaks for it, or the rule itself fires in two fields (``wiki`` in a
    title is not yet a web app; ``wiki`` in the title and the description, or with "self-hosted", is).
    Two generic rules do not vouch for each other: 系统 in the description and a github.io link are two
    weak words, not one strong one."""
    if not needs_support:
        return hits
    out = hits
    for tag, fields in hits.items():
        generic = {r for f in fields.values() for r, (w, *_) in f.items() if w > 0 and r in needs_support}
        if not generic:
            continue
        if any(w > 0 and r not in needs_support for f in fields.values() for r, (w, *_) in f.items()):
            continue
        alone = {r for r in generic if len(_places(f for f, rs in fields.items() if r in rs)) < 2}
        if not alone:
            continue
        if out is hits:
            out = dict(hits)
        out[tag] = {fname: {r: v for r, v in f.items() if r not in alone} for fname, f in fields.items()}
    return out


def _places(fields: Iterable[str]) -> set[str]:
    """Fields as independent places: the title is also the first heading, so the two count once."""
    return {"title" if f == "headings" else f for f in fields}


def field_points(fname: str, rules_hit: Mapping[str, list[float]], knobs: Knobs,
                 out: list[Contribution]) -> tuple[float, bool]:
    """One field's points for one tag: each rule once (a little more when repeated), saturated, times
    the field's weight; features add as they are. Appends the contributions; returns (points, positive)."""
    weights = knobs.weights
    if fname == "features":
        total = 0.0
        positive = False
        for rule in sorted(rules_hit):
            w = weights.get(rule, rules_hit[rule][0])
            out.append((rule, fname, w))
            total += w
            positive |= w > 0
        return total, positive
    weight = knobs.field_weights.get(fname, 0.0)
    bonus = knobs.repeat_bonus
    pos_points = []
    negatives = []
    raw = 0.0
    for rule in sorted(rules_hit):
        w, count, share = rules_hit[rule]
        if rule in weights:
            w = weights[rule] * share
        if w < 0:
            negatives.append((rule, w * weight))
        else:
            value = w * (1.0 + bonus * math.log(count))
            raw += value
            pos_points.append((rule, value))
    points = 0.0
    total = 0.0
    if raw > 0:
        cap = knobs.body_cap if fname == "body" else knobs.field_cap
        points = _saturate(raw, cap) * weight
        total += points
        for rule, value in pos_points:
            out.append((rule, fname, points * value / raw))
    # a negative phrase cancels what its own field says for the tag, never more: "deep
    # learning" in a README body must not outweigh "tutorial" in its title
    room = points
    for rule, pts in negatives:
        taken = max(pts, -room)
        room += taken
        if taken:
            out.append((rule, fname, taken))
            total += taken
    return total, points > 0


def tag_points(fields: Mapping[str, Mapping[str, list[float]]], knobs: Knobs) -> tuple[float, list[Contribution], bool]:
    """A tag's own points over its fields (before relations and prior): (total, contributions, positive)."""
    contributions: list[Contribution] = []
    total = 0.0
    positive = False
    for fname in sorted(fields):
        points, pos = field_points(fname, fields[fname], knobs, contributions)
        total += points
        positive |= pos
    return total, contributions, positive


Base = dict[str, tuple[float, list[Contribution], bool]]


def related_tags(rules: RuleSet) -> tuple[str, ...]:
    """The tags with relations, in key order: all ``relations`` visits (`tune` computes it once)."""
    return tuple(t for t in sorted(rules.tags) if rules.tags[t].implied_by or rules.tags[t].suppressed_by)


def relations(base: Base, rules: RuleSet, allowed: frozenset[str] | None,
              related: Iterable[str] | None = None) -> Base:
    """Related tags lend a share of their own (base) score: experts give them together; competing
    kinds (an app vs a library) take a share away. Tags are visited in key order and each sees the
    scores as lent so far. Returns a new mapping; ``base`` is not changed."""
    out = dict(base)
    for tag in related_tags(rules) if related is None else related:
        rule = rules.tags[tag]
        if not (rule.implied_by or rule.suppressed_by) or (allowed is not None and tag not in allowed):
            continue
        lent = [(other, share * out[other][0]) for other, share in rule.implied_by
                if other in out and out[other][0] > 0]
        if tag in out:
            lent += [(other, -share * out[other][0]) for other, share in rule.suppressed_by
                     if other in out and out[other][0] > 0]
        if not lent:
            continue
        total, contributions, positive = out.get(tag, (0.0, [], False))
        contributions = list(contributions)
        for other, points in lent:
            how = "implied-by" if points > 0 else "suppressed-by"
            contributions.append((f"{tag}/{how}:{other}", "implied", points))
            total += points
        out[tag] = (total, contributions, positive or any(p > 0 for _, p in lent))
    return out


def prior_of(tag: str, rules: RuleSet, params: Params) -> float:
    if tag in params.priors:
        return params.priors[tag]
    return rules.tags[tag].prior if tag in rules.tags else 0.0


def threshold_of(tag: str, rules: RuleSet, params: Params, knobs: Knobs) -> float:
    if tag in params.thresholds:
        return params.thresholds[tag]
    rule = rules.tags.get(tag)
    return rule.threshold if rule is not None and rule.threshold is not None else knobs.threshold


def totals(base: Base, rules: RuleSet, params: Params) -> dict[str, float]:
    """Final score per tag: base plus the tag's prior when anything spoke for it, rounded to 6 places."""
    out = {}
    for tag, (total, _contributions, positive) in base.items():
        out[tag] = round(total + prior_of(tag, rules, params), 6) if positive else round(total, 6)
    return out


def select(ordered: list[tuple[str, float, float]], knobs: Knobs, max_tags: int, positive: Mapping[str, bool],
           solid: Mapping[str, bool] | None = None,
           kinds: frozenset[str] = frozenset()) -> tuple[tuple[str, ...], dict[str, str]]:
    """(tag, score, threshold) best first -> the chosen tags and every tag's reason.

    Two questions, answered together: what the repository IS (the ``kinds``: library, CLI, app ...)
    and what it is ABOUT (every other tag). Each tag is cut against the best of its own question, since
    structure speaks more softly than subject words; an answer that would hold no kind gives its last
    slot to the best kind that qualifies. ``solid`` tells which tags have more than one word of
    evidence (see ``_solid_points``); without it every tag counts as solid."""
    reasons: dict[str, str] = {}
    best: dict[bool, float] = {}
    for tag, s, _threshold in ordered:
        best.setdefault(tag in kinds, s)
    passed: list[str] = []
    for tag, s, threshold in ordered:
        cut = knobs.kind_cut if tag in kinds else knobs.relative_cut
        if s <= 0 and not positive.get(tag):
            reasons[tag] = NO_EVIDENCE
        elif s < threshold or s <= 0:
            reasons[tag] = BELOW_THRESHOLD
        elif s < cut * best[tag in kinds]:
            reasons[tag] = BELOW_CUT
        else:
            passed.append(tag)
    chosen = passed[:max_tags]
    if max_tags > 0 and kinds and not any(t in kinds for t in chosen):
        kind = next((t for t in passed if t in kinds), None)
        if kind is not None:
            chosen = chosen[: max_tags - 1] + [kind]
    for tag in passed:
        reasons[tag] = CHOSEN if tag in chosen else BEYOND_SLOTS
    if not chosen and ordered and max_tags > 0:
        chosen = _fallback(ordered, knobs, solid, reasons)
    return tuple(chosen), reasons


def _fallback(ordered: list[tuple[str, float, float]], knobs: Knobs, solid: Mapping[str, bool] | None,
              reasons: dict[str, str]) -> list[str]:
    """An empty answer is the worst answer: the best tag may still speak at a share of its threshold,
    but one word alone ("wiki", "queue") must come closer to the threshold than real evidence."""
    for tag, s, threshold in ordered:
        alone = solid is not None and not solid.get(tag, False)
        share = max(knobs.fallback, knobs.fallback_alone) if alone else knobs.fallback
        if s > 0 and knobs.fallback > 0 and s >= share * threshold:
            reasons[tag] = FALLBACK
            return [tag]
    return []


def base_points(hits: Hits, knobs: Knobs, needs_support: frozenset[str] = frozenset()) -> Base:
    """Every tag's own points, before relations and priors (what `tune` keeps per document); generic
    words without support (``needs_support``) are dropped first."""
    hits = supported(hits, needs_support)
    return {tag: tag_points(hits[tag], knobs) for tag in sorted(hits)}


def _solid_points(contributions: Iterable[Contribution]) -> bool:
    """Evidence that is more than one word, read from a tag's own contributions: two of its rules
    gave points, or one rule did in two places."""
    positive = [(f, r) for r, f, p in contributions if p > 0]
    return len({r for _f, r in positive}) >= 2 or len(_places(f for f, _r in positive)) >= 2


def solid_tags_of(base: Base) -> dict[str, bool]:
    """Which tags have more than one word of evidence (``_solid_points``), from their own points."""
    return {tag: _solid_points(b[1]) for tag, b in base.items()}


def rank_hits(hits: Hits, rules: RuleSet, allowed: frozenset[str] | None, max_tags: int,
              params: Params = NO_PARAMS, knobs: Knobs | None = None,
              extra_thresholds: Mapping[str, float] | None = None) -> tuple[Base, dict[str, float], list, tuple, dict]:
    """Grouped evidence -> (base, totals, ordered, chosen, reasons): the scorer without its dataclasses."""
    knobs = knobs or Knobs.of(rules, params)
    return rank_base(base_points(hits, knobs, rules.needs_support), rules, allowed, max_tags, params, knobs,
                     extra_thresholds)


def rank_base(base: Base, rules: RuleSet, allowed: frozenset[str] | None, max_tags: int, params: Params,
              knobs: Knobs, extra_thresholds: Mapping[str, float] | None = None,
              related: Iterable[str] | None = None, solid: Mapping[str, bool] | None = None
              ) -> tuple[Base, dict[str, float], list, tuple, dict]:
    """``rank_hits`` from the tags' own points on: relations, priors, thresholds, selection. ``solid``
    (``solid_tags(base)``) may be passed by a caller that keeps it with the points (`tune` does)."""
    solid_tags = solid_tags_of(base) if solid is None else solid
    base = relations(base, rules, allowed, related)
    final = totals(base, rules, params)
    ordered = sorted(((tag, final[tag], (extra_thresholds or {}).get(tag, threshold_of(tag, rules, params, knobs)))
                      for tag in final), key=lambda x: (-x[1], x[0]))
    chosen, reasons = select(ordered, knobs, max_tags, {t: b[2] for t, b in base.items()}, solid_tags, rules.kinds)
    return base, final, ordered, chosen, reasons


def score(evidence: Iterable[Evidence], rules: RuleSet, allowed: frozenset[str] | None,
          max_tags: int, extra_thresholds: dict[str, float] | None = None,
          params: Params = NO_PARAMS) -> Ranking:
    """Points per tag: in each field, each rule counts once (a little more when repeated), saturated,
    times the field's weight; negatives subtract; features add as they are. Allowed tags only."""
    hits, by_tag = collect(evidence, allowed)
    base, _final, ordered, chosen, reasons = rank_hits(hits, rules, allowed, max_tags, params,
                                                       extra_thresholds=extra_thresholds)
    results = []
    for tag, total, threshold in ordered:
        contributions = list(base[tag][1])
        prior = prior_of(tag, rules, params) if base[tag][2] else 0.0
        if prior:
            contributions.append((f"{tag}/prior", "prior", prior))
        contributions.sort(key=lambda c: (-abs(c[2]), c[0], c[1]))
        evs = sorted(by_tag.get(tag, ()), key=lambda e: (e.field, e.position, e.rule))
        results.append(TagScore(tag, total, threshold, tuple(evs),
                                tuple((r, f, round(p, 4)) for r, f, p in contributions), reasons[tag]))
    return Ranking(tuple(results), chosen)
