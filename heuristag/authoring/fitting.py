"""Fit a rule pack's numbers to gold labels: cached evidence, re-scored, searched one number at a time.

Matching is the slow part of tagging (~20 ms a document) and does not depend on any number of the pack,
so each document is matched once (``cache_documents``) and only the scorer runs again, through the
``Params`` hook of scorer.py, for each candidate value. A number only changes the documents where its
rule fired (a tag's threshold and prior: where the tag has evidence or is implied), so a candidate
re-scores those and updates the bench totals by difference. The metric is score.py's micro F1 (or
lenient F1) computed from the same counts as evaluate.py; the objective subtracts a penalty for every
unit a number moves from the input pack, so a move must be paid for by documents it gets right.

The search is plain deterministic coordinate ascent: numbers in a fixed order, a fixed ladder of
step sizes, values on a 0.01 grid, ties kept at the current value. No randomness, no set iteration:
the same inputs give the same numbers on any machine and hash seed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from ..engine.rules import RuleSet
from ..engine.scorer import (
    Base,
    Hits,
    Knobs,
    Params,
    base_points,
    collect,
    rank_base,
    rank_hits,
    related_tags,
    solid_tags_of,
    supported,
    tag_points,
)
from .evaluate import BenchRecord
from .packnumbers import FIELD, PRIOR, SCORING, THRESHOLD, WEIGHT, Knob

METRICS = ("f1", "lenient-f1")
DEFAULT_PARTS = 3        # inner validation parts of every fit (see Search.consistent)
DEFAULT_REPLICATE = 0    # parts that must gain for a move to be accepted (2 asks for a replicated gain)
DEFAULT_CHECKS = 3       # parts of each fit's inner check (guarded_fit): each is predicted by a search on the rest


def deal(labels: Sequence[str], parts: int, salt: str) -> list[int]:
    """Each label's part: a shuffle by SHA-256 of (salt, label, occurrence), dealt round-robin.

    Independent of PYTHONHASHSEED and of the order of the labels beyond the labels themselves.
    """
    seen: dict[str, int] = {}
    keys = []
    for label in labels:
        n = seen.get(label, 0)
        seen[label] = n + 1
        keys.append(hashlib.sha256(f"{salt}\0{label}\0{n}".encode()).hexdigest())
    order = sorted(range(len(labels)), key=lambda i: (keys[i], i))
    out = [0] * len(labels)
    for position, i in enumerate(order):
        out[i] = position % parts
    return out


@dataclass(frozen=True)
class CachedDoc:
    """One gold document, matched once: grouped evidence and what the scorer needs to re-rank it."""

    record: BenchRecord
    hits: Hits
    allowed: frozenset[str]
    names: Mapping[str, str]      # tag key -> vocabulary name, stripped (what score.py compares)
    max_tags: int
    gold: frozenset[str]
    also: frozenset[str]          # gold | gold_also
    rules_hit: frozenset[str]
    tags_hit: frozenset[str]
    error: str | None = None


def cache_documents(tagger: Any, records: Sequence[BenchRecord], progress: Callable[[Iterable], Iterable]
                    ) -> list[CachedDoc]:
    """Match every record once. A record the tagger refuses stays, as an empty prediction (as in eval)."""
    from ..engine.errors import HeuristagError, one_line
    from ..engine.request import from_record

    out = []
    for rec in progress(records):
        gold, also = frozenset(rec.gold), frozenset(rec.gold) | frozenset(rec.also)
        try:
            request = from_record(dict(rec.raw), f"record {rec.label}")
            vocabulary = request.vocabulary or tagger.vocabulary
            evidence = tagger.evidence(tagger.document(request), vocabulary)
        except HeuristagError as exc:
            out.append(CachedDoc(rec, {}, frozenset(), MappingProxyType({}), 0, gold, also, frozenset(),
                                 frozenset(), one_line(str(exc))))
            continue
        hits, _ = collect(evidence, vocabulary.keys)
        hits = supported(hits, tagger.rules.needs_support)   # fixed by the evidence alone: drop once, here
        rules = frozenset(r for fields in hits.values() for rs in fields.values() for r in rs)
        names = MappingProxyType({t.key: t.name.strip() for t in vocabulary})
        out.append(CachedDoc(rec, hits, vocabulary.keys, names, request.max_tags, gold, also, rules,
                             frozenset(hits)))
    return out


def params_of(values: Mapping[Knob, float]) -> Params:
    parts: dict[str, dict[str, float]] = {WEIGHT: {}, THRESHOLD: {}, PRIOR: {}, FIELD: {}, SCORING: {}}
    for (kind, key), v in values.items():
        parts[kind][key] = v
    return Params(weights=parts[WEIGHT], thresholds=parts[THRESHOLD], priors=parts[PRIOR],
                  field_weights=parts[FIELD], scoring=parts[SCORING])


Pick = tuple[str, float, float]   # a chosen tag: (key, score, threshold)


def predict(doc: CachedDoc, rules: RuleSet, params: Params, knobs: Knobs) -> tuple[tuple[str, ...], list[Pick]]:
    """The names the tagger would output for this document under these numbers, and the chosen tags' scores."""
    if doc.error is not None or not doc.hits:
        return (), []
    _base, _final, ordered, chosen, _reasons = rank_hits(doc.hits, rules, doc.allowed, doc.max_tags, params, knobs)
    scores = {tag: (s, t) for tag, s, t in ordered}
    picks = [(k, *scores[k]) for k in chosen if k in doc.names]
    return tuple(doc.names[k] for k, _, _ in picks), picks


def chosen_points(docs: Sequence[CachedDoc], rules: RuleSet, values: Mapping[Knob, float]
                  ) -> list[tuple[str, float, float, bool]]:
    """(tag, score, threshold, right) for every chosen tag: what calibration is fitted and judged on."""
    params = params_of(values)
    knobs = Knobs.of(rules, params)
    out = []
    for d in docs:
        for key, score, threshold in predict(d, rules, params, knobs)[1]:
            out.append((key, score, threshold, doc_name_right(d, key)))
    return out


def doc_name_right(doc: CachedDoc, key: str) -> bool:
    """Lenient correctness, as lenP counts it: the tag's name is in gold or gold_also."""
    return doc.names[key] in doc.also


Counts = tuple[int, int, int]   # true positives, lenient true positives, predicted (as sets, like score.py)


def counts(doc: CachedDoc, predicted: Sequence[str]) -> Counts:
    ps = set(predicted)
    return len(ps & doc.gold), len(ps & doc.also), len(ps)


def metric_value(metric: str, tp: int, ltp: int, npred: int, ngold: int) -> float:
    """score.py's F1 or lenient F1 from bench totals, unrounded (the search compares these)."""
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    if metric == "lenient-f1":
        p = ltp / npred if npred else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class KnobSpec:
    """A tunable number: where it may go, the steps tried, and what one unit of move costs."""

    knob: Knob
    start: float
    low: float
    high: float
    steps: tuple[float, float, float]
    unit: float


_FINE = (0.1, 0.05, 0.02)
SCORING_SPECS = {  # name: (low, high, steps, unit); the schema has no bounds for these, so these are ours
    "threshold": (0.5, 20.0, (1.0, 0.5, 0.25), 1.0),
    "relative_cut": (0.0, 0.95, _FINE, 0.1),
    "repeat_bonus": (0.0, 1.0, _FINE, 0.1),
    "body_cap": (1.0, 30.0, (2.0, 1.0, 0.5), 2.0),
    "field_cap": (1.0, 30.0, (2.0, 1.0, 0.5), 2.0),
    "fallback": (0.0, 1.0, _FINE, 0.1),
    "fallback_alone": (0.0, 1.0, _FINE, 0.1),
    "kind_cut": (0.0, 0.95, _FINE, 0.1),
}


#: scoring knobs that change no tag's own points, only the ranking (thresholds, cuts, the fallback)
RANKING_ONLY = frozenset({"threshold", "relative_cut", "kind_cut", "fallback", "fallback_alone"})


def moves_field(knob: Knob, fname: str) -> bool:
    """Whether a field weight or a scoring knob changes the points of this field (scorer.field_points:
    features add as they are; the body has its own cap)."""
    kind, key = knob
    if kind == FIELD:
        return fname == key
    if key == "body_cap":
        return fname == "body"
    if key == "field_cap":
        return fname not in ("body", "features")
    return key == "repeat_bonus" and fname != "features"


def knob_spec(knob: Knob, start: float) -> KnobSpec:
    """Ranges inside rules/schema.json's limits: weights keep their sign within [-10, 10], thresholds
    stay positive, priors within [-10, 10], field weights within [0, 10]."""
    kind, key = knob
    coarse = (1.0, 0.5, 0.25)
    if kind == WEIGHT:
        low, high = (0.0, 10.0) if start >= 0 else (-10.0, 0.0)
        return KnobSpec(knob, start, low, high, coarse, 1.0)
    if kind == THRESHOLD:
        return KnobSpec(knob, start, 0.5, 20.0, coarse, 1.0)
    if kind == PRIOR:
        return KnobSpec(knob, start, -10.0, 10.0, coarse, 1.0)
    if kind == FIELD:
        return KnobSpec(knob, start, 0.0, 10.0, (0.5, 0.25, 0.1), 1.0)
    low, high, steps, unit = SCORING_SPECS[key]
    return KnobSpec(knob, start, low, high, steps, unit)


def _clip(spec: KnobSpec, value: float) -> float:
    # the start may lie outside our range (a hand-set number): never move it further out
    low, high = min(spec.low, spec.start), max(spec.high, spec.start)
    return round(min(high, max(low, value)), 2) + 0.0


class Search:
    """Coordinate ascent of (metric - penalty) over some documents of a cache.

    Each document keeps its tags' own points (``scorer.base_points``) under the current numbers, so a
    candidate weight re-scores one tag of the documents where its rule fired and reruns only the
    cheap later stages (``scorer.rank_base``); thresholds and priors reuse the points as they are.
    """

    def __init__(self, docs: Sequence[CachedDoc], rules: RuleSet, specs: Sequence[KnobSpec], metric: str,
                 penalty: float, start: Mapping[Knob, float] | None = None, z: float = 2.0,
                 parts: int = DEFAULT_PARTS, replicate: int = DEFAULT_REPLICATE, seed: int = 0) -> None:
        self.z = z
        self.docs = list(docs)
        self.rules = rules
        self.specs = list(specs)
        self.metric = metric
        self.related = related_tags(rules)
        self.rule_tag = {r: tag for d in self.docs for tag, fields in d.hits.items() for rs in fields.values()
                         for r in rs}
        self.values: dict[Knob, float] = {s.knob: s.start for s in self.specs}
        self.values.update(start or {})
        self.moved = sum(abs(self.values[s.knob] - s.start) / s.unit for s in self.specs)
        self.ngold = sum(len(d.gold) for d in self.docs)
        params = self.params = params_of(self.values)
        knobs = Knobs.of(rules, params)
        self.base = [base_points(d.hits, knobs) for d in self.docs]
        self.solid = [solid_tags_of(b) for b in self.base]    # kept with the points: rank_base needs both
        self.per_doc = [self._counts(i, self.base[i], self.solid[i], params, knobs) for i in range(len(self.docs))]
        self.totals = [sum(c[i] for c in self.per_doc) for i in range(3)]
        # one unit of move costs `penalty` true positives' worth of F1 at the starting point
        self.lam = penalty * 2.0 / max(1, self.totals[2] + self.ngold)
        self.retag: dict[Knob, dict[int, tuple[str, ...]]] = {}    # global knob -> doc -> tags re-scored
        self.affected = self._index()
        # inner validation parts of the fitted documents (a SHA-256 deal of their ids, as the folds): a
        # move is accepted only when no part where it changes an answer loses and `replicate` parts gain
        self.part = deal([d.record.label for d in self.docs], max(1, parts), f"{seed}\0inner")
        self.parts = max(1, parts)
        self.replicate = min(replicate, self.parts)
        self.part_gold = [sum(len(d.gold) for i, d in enumerate(self.docs) if self.part[i] == h)
                          for h in range(self.parts)]

    def _part_metric(self, h: int, changed: Mapping[int, Counts]) -> tuple[float, float]:
        """The metric of part ``h`` before and after the documents in ``changed`` take their new counts."""
        before = [sum(c[j] for i, c in enumerate(self.per_doc) if self.part[i] == h) for j in range(3)]
        after = list(before)
        for i, c in changed.items():
            if self.part[i] == h:
                for j in range(3):
                    after[j] += c[j] - self.per_doc[i][j]
        return (metric_value(self.metric, *before, self.part_gold[h]),
                metric_value(self.metric, *after, self.part_gold[h]))

    def consistent(self, changed: Mapping[int, Counts]) -> bool:
        """True when the inner parts agree with the move: it lowers the metric of no part where it changes
        an answer, and raises it in at least ``replicate`` of them (the gain is seen in independent samples,
        not in one corner of the documents). With one part only the first condition can bite."""
        if self.parts == 1 or not changed:
            return True
        gains = 0
        for h in sorted({self.part[i] for i in changed}):
            old, new = self._part_metric(h, changed)
            if new < old:
                return False
            gains += new > old
        return gains >= self.replicate

    def _counts(self, i: int, base: Base, solid: Mapping[str, bool], params: Params, knobs: Knobs) -> Counts:
        d = self.docs[i]
        if d.error is not None or not d.hits:
            return 0, 0, 0
        chosen = rank_base(base, self.rules, d.allowed, d.max_tags, params, knobs, related=self.related,
                           solid=solid)[3]
        return counts(d, [d.names[k] for k in chosen if k in d.names])

    def _index(self) -> dict[Knob, tuple[int, ...] | None]:
        """Which documents each number can change (None: all of them)."""
        by_rule: dict[str, list[int]] = {}
        by_tag: dict[str, list[int]] = {}
        for i, d in enumerate(self.docs):
            for r in sorted(d.rules_hit):
                by_rule.setdefault(r, []).append(i)
            lent = set(d.tags_hit)
            for tag, rule in self.rules.tags.items():
                if any(o in d.tags_hit for o, _ in rule.implied_by):
                    lent.add(tag)
            for t in sorted(lent):
                by_tag.setdefault(t, []).append(i)
        out: dict[Knob, tuple[int, ...] | None] = {}
        for s in self.specs:
            kind, key = s.knob
            if kind == WEIGHT:
                out[s.knob] = tuple(by_rule.get(key, ()))
            elif kind in (THRESHOLD, PRIOR):
                out[s.knob] = tuple(by_tag.get(key, ()))
            elif kind == SCORING and key in RANKING_ONLY:
                out[s.knob] = None
            else:   # a field weight or a cap: the documents, and their tags, with points in those fields
                retag = {i: tags for i, d in enumerate(self.docs)
                         if (tags := tuple(t for t in sorted(d.hits)
                                           if any(moves_field(s.knob, f) for f in d.hits[t])))}
                self.retag[s.knob] = retag
                out[s.knob] = tuple(retag)
        return out

    def _params_with(self, knob: Knob, value: float) -> Params:
        """The current numbers with one changed (Params fields are named by the knob kinds)."""
        kind, key = knob
        return replace(self.params, **{kind: {**getattr(self.params, kind), key: value}})

    def metric_of(self, totals: Sequence[int]) -> float:
        return metric_value(self.metric, totals[0], totals[1], totals[2], self.ngold)

    def objective(self) -> float:
        return round(self.metric_of(self.totals) - self.lam * self.moved, 12)

    def _try(self, spec: KnobSpec, value: float
             ) -> tuple[float, list[int], dict[int, Counts], dict[int, tuple[Base, Mapping[str, bool]]]]:
        """Objective with one number changed, the new counts of the documents whose answer changes, and
        the new points (with their solid flags) of every document it touches."""
        params = self._params_with(spec.knob, value)
        knobs = Knobs.of(self.rules, params)
        kind, key = spec.knob
        which = self.affected[spec.knob]
        totals = list(self.totals)
        changed: dict[int, Counts] = {}
        bases: dict[int, tuple[Base, Mapping[str, bool]]] = {}
        for i in range(len(self.docs)) if which is None else which:
            hits = self.docs[i].hits
            if kind == WEIGHT:
                tag = self.rule_tag[key]
                base = dict(self.base[i])
                base[tag] = tag_points(hits[tag], knobs)
                solid = {**self.solid[i], **solid_tags_of({tag: base[tag]})}
            elif spec.knob in self.retag:
                base = dict(self.base[i])
                for tag in self.retag[spec.knob][i]:
                    base[tag] = tag_points(hits[tag], knobs)
                solid = {**self.solid[i], **solid_tags_of({t: base[t] for t in self.retag[spec.knob][i]})}
            else:   # thresholds, priors, ranking-only knobs: the points stay as they are
                base, solid = self.base[i], self.solid[i]
            bases[i] = base, solid
            c = self._counts(i, base, solid, params, knobs)
            old = self.per_doc[i]
            if c != old:
                changed[i] = c
                for j in range(3):
                    totals[j] += c[j] - old[j]
        moved = self.moved + (abs(value - spec.start) - abs(self.values[spec.knob] - spec.start)) / spec.unit
        return round(self.metric_of(totals) - self.lam * moved, 12), totals, changed, bases

    def step(self, spec: KnobSpec, size: float) -> bool:
        """Move one number by ``size`` while that helps, up first, then down; True when it moved."""
        if self.affected[spec.knob] == ():
            return False
        best = self.objective()
        for direction in (1.0, -1.0):
            moved = False
            while True:
                current = self.values[spec.knob]
                value = _clip(spec, current + direction * size)
                if value == current:
                    break
                obj, totals, changed, bases = self._try(spec, value)
                # a gain must beat chance: when m documents change, luck alone moves about sqrt(m) of them
                if obj <= best + self.lam * self.z * math.sqrt(len(changed)) or not self.consistent(changed):
                    break
                best = obj
                self.moved += (abs(value - spec.start) - abs(current - spec.start)) / spec.unit
                self.values[spec.knob] = value
                self.params = self._params_with(spec.knob, value)
                self.totals = totals
                for i, c in changed.items():
                    self.per_doc[i] = c
                for i, (base, solid) in bases.items():
                    self.base[i], self.solid[i] = base, solid
                moved = True
            if moved:
                return True
        return False

    def run(self, sweeps: int = 2, tick: Callable[[int], Any] = lambda n: None) -> dict[Knob, float]:
        for level in range(3):
            for sweep in range(sweeps):
                moved = False
                for spec in self.specs:
                    moved |= self.step(spec, spec.steps[level])
                    tick(1)
                if not moved:
                    tick(len(self.specs) * (sweeps - 1 - sweep))
                    break
        return dict(self.values)


def total_ticks(specs: Sequence[KnobSpec], sweeps: int = 2) -> int:
    return 3 * sweeps * len(specs)


# ---------------------------------------------------------------- the guarded fit

@dataclass(frozen=True)
class Gate:
    """What the inner check of one fit saw: its documents, each predicted by a search on the other half."""

    before: float      # the metric under the input numbers
    after: float       # the metric of the two half-fits, each on the half it did not see
    z: float           # (after - before) / the spread the same per-document changes with random signs give
    passed: bool


def guarded_fit(docs: Sequence[CachedDoc], rules: RuleSet, specs: Sequence[KnobSpec], metric: str, penalty: float,
                *, z: float, parts: int, replicate: int = DEFAULT_REPLICATE, seed: int = 0,
                checks: int = DEFAULT_CHECKS, tick: Callable[[int], Any] = lambda n: None
                ) -> tuple[dict[Knob, float], Gate]:
    """Search these documents only when searching demonstrably helps documents the search did not see.

    The documents are dealt into ``checks`` parts (SHA-256 of the ids; 2: halves); a search on the other
    parts predicts each part, and the gain over the input numbers on those unseen predictions must exceed
    ``z`` times its sign-flip standard deviation (each document's change of the metric, taken with a
    random sign, is what chance alone gives). Then the search runs on all documents; otherwise the input
    numbers stay. The check judges searches that saw (checks - 1) / checks of the documents, standing in
    for the one that will see them all: with halves, a pack whose gains need many documents to show (a
    flat one: many numbers, each moved by a few documents) looks worse than its fit is; 3 parts cost
    half as much again as halves and judge searches on two thirds.
    """
    start = {s.knob: s.start for s in specs}
    checks = max(2, min(checks, len(docs)))
    part = deal([d.record.label for d in docs], checks, f"{seed}\0gate")
    unseen: dict[int, tuple[str, ...]] = {}
    for h in range(checks):
        values = Search([d for d, p in zip(docs, part, strict=True) if p != h], rules, specs, metric, penalty,
                        z=z, parts=parts, replicate=replicate, seed=seed).run(tick=tick)
        params = params_of(values)
        knobs = Knobs.of(rules, params)
        unseen.update((i, predict(d, rules, params, knobs)[0]) for i, d in enumerate(docs) if part[i] == h)
    params = params_of(start)
    knobs = Knobs.of(rules, params)
    old = [counts(d, predict(d, rules, params, knobs)[0]) for d in docs]
    new = [counts(d, unseen[i]) for i, d in enumerate(docs)]
    gate = _gate(metric, old, new, sum(len(d.gold) for d in docs), z)
    if not gate.passed:
        tick(total_ticks(specs))
        return start, gate
    search = Search(docs, rules, specs, metric, penalty, z=z, parts=parts, replicate=replicate, seed=seed)
    return search.run(tick=tick), gate


def _gate(metric: str, old: Sequence[Counts], new: Sequence[Counts], ngold: int, z: float) -> Gate:
    totals = [sum(c[j] for c in old) for j in range(3)]
    after = [sum(c[j] for c in new) for j in range(3)]
    before_m, after_m = metric_value(metric, *totals, ngold), metric_value(metric, *after, ngold)
    # each document's own effect: the metric if only it took its new answer
    effects = [metric_value(metric, *(totals[j] + b[j] - a[j] for j in range(3)), ngold) - before_m
               for a, b in zip(old, new, strict=True) if a != b]
    spread = math.sqrt(sum(e * e for e in effects))
    score = (after_m - before_m) / spread if spread else 0.0
    return Gate(round(before_m, 4), round(after_m, 4), round(score, 2), score > z)
