"""Evidence -> per-tag scores -> at most N tags, deterministically."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .matcher import Evidence
from .rules import RuleSet


@dataclass(frozen=True)
class TagScore:
    tag: str                          # key
    score: float
    threshold: float
    evidence: tuple[Evidence, ...]    # sorted: strongest contribution first
    contributions: tuple[tuple[str, str, float], ...]   # (rule, field, points), strongest first


@dataclass(frozen=True)
class Ranking:
    """Every tag with evidence, best first (ties by tag key), and the ones chosen."""

    scores: tuple[TagScore, ...]
    chosen: tuple[str, ...]


def _saturate(x: float, cap: float) -> float:
    """Smoothly bounded: many small hits approach ``cap`` but never pass it."""
    return cap * (1.0 - math.exp(-x / cap)) if cap > 0 and x > 0 else x


def score(evidence: Iterable[Evidence], rules: RuleSet, allowed: frozenset[str] | None,
          max_tags: int, extra_thresholds: dict[str, float] | None = None) -> Ranking:
    """Points per tag: in each field, each rule counts once (a little more when repeated), saturated,
    times the field's weight; negatives subtract; features add as they are. Allowed tags only."""
    bonus = float(rules.scoring["repeat_bonus"])
    fw = rules.field_weights
    # tag -> field -> rule -> [weight, count]
    hits: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(dict))
    by_tag: dict[str, list[Evidence]] = defaultdict(list)
    for ev in evidence:
        if allowed is not None and ev.tag not in allowed:
            continue
        by_tag[ev.tag].append(ev)
        slot = hits[ev.tag][ev.field].get(ev.rule)
        if slot is None:
            hits[ev.tag][ev.field][ev.rule] = [ev.weight, 1]
        else:
            slot[0] = max(slot[0], ev.weight) if ev.weight > 0 else min(slot[0], ev.weight)
            slot[1] += 1
    base: dict[str, tuple[float, list[tuple[str, str, float]], bool]] = {}
    for tag in sorted(hits):
        contributions: list[tuple[str, str, float]] = []
        total = 0.0
        positive = False
        for fname in sorted(hits[tag]):
            rules_hit = hits[tag][fname]
            weight = 1.0 if fname == "features" else fw.get(fname, 0.0)
            pos_points = []
            negatives = []
            raw = 0.0
            for rule in sorted(rules_hit):
                w, count = rules_hit[rule]
                if fname == "features":
                    contributions.append((rule, fname, w))
                    total += w
                    positive |= w > 0
                elif w < 0:
                    negatives.append((rule, w * weight))
                else:
                    value = w * (1.0 + bonus * math.log(count))
                    raw += value
                    pos_points.append((rule, value))
            field_points = 0.0
            if raw > 0:
                cap = float(rules.scoring["body_cap"] if fname == "body" else rules.scoring["field_cap"])
                field_points = _saturate(raw, cap) * weight
                total += field_points
                positive |= field_points > 0
                for rule, value in pos_points:
                    contributions.append((rule, fname, field_points * value / raw))
            # a negative phrase cancels what its own field says for the tag, never more: "deep
            # learning" in a README body must not outweigh "tutorial" in its title
            room = field_points
            for rule, points in negatives:
                taken = max(points, -room)
                room += taken
                if taken:
                    contributions.append((rule, fname, taken))
                    total += taken
        base[tag] = (total, contributions, positive)
    # related tags lend a share of their own (base) score: experts give them together; competing
    # kinds (an app vs a library) take a share away
    for tag in sorted(rules.tags):
        rule = rules.tags[tag]
        if not (rule.implied_by or rule.suppressed_by) or (allowed is not None and tag not in allowed):
            continue
        lent = [(other, share * base[other][0]) for other, share in rule.implied_by
                if other in base and base[other][0] > 0]
        if tag in base:
            lent += [(other, -share * base[other][0]) for other, share in rule.suppressed_by
                     if other in base and base[other][0] > 0]
        if not lent:
            continue
        total, contributions, positive = base.get(tag, (0.0, [], False))
        contributions = list(contributions)
        for other, points in lent:
            how = "implied-by" if points > 0 else "suppressed-by"
            contributions.append((f"{tag}/{how}:{other}", "implied", points))
            total += points
        base[tag] = (total, contributions, positive or any(p > 0 for _, p in lent))
    results: list[TagScore] = []
    for tag in sorted(base):
        total, contributions, positive = base[tag]
        if positive:
            prior = rules.tags[tag].prior if tag in rules.tags else 0.0
            if prior:
                contributions.append((f"{tag}/prior", "prior", prior))
                total += prior
        total = round(total, 6)
        threshold = (extra_thresholds or {}).get(tag, rules.threshold(tag))
        contributions.sort(key=lambda c: (-abs(c[2]), c[0], c[1]))
        evs = sorted(by_tag.get(tag, ()), key=lambda e: (e.field, e.position, e.rule))
        results.append(TagScore(tag, total, threshold, tuple(evs),
                                tuple((r, f, round(p, 4)) for r, f, p in contributions)))
    results.sort(key=lambda s: (-s.score, s.tag))
    chosen: list[str] = []
    cut = float(rules.scoring["relative_cut"])
    best = results[0].score if results else 0.0
    for s in results:
        if len(chosen) >= max_tags:
            break
        if s.score >= s.threshold and s.score > 0 and s.score >= cut * best:
            chosen.append(s.tag)
    fallback = float(rules.scoring.get("fallback", 0.0))
    if not chosen and results and max_tags > 0:
        # an empty answer is the worst answer: the best tag may still speak at a share of its threshold
        top = results[0]
        if top.score > 0 and fallback > 0 and top.score >= fallback * top.threshold:
            chosen.append(top.tag)
    return Ranking(tuple(results), tuple(chosen))
