"""Confidence: from a chosen tag's score to the probability that it is right, and how well that holds.

A score is a sum of weights, comparable within a document but not a probability. `heuristag tune` fits
a monotone map from score to "the share of chosen tags with that score that an annotator found fitting"
(lenient correctness: gold or gold_also) by isotonic regression (pool-adjacent-violators, exact and
pure Python), per tag when the tag was chosen often enough with both outcomes, otherwise one curve
shared by every tag. The curves are data in the pack (``calibration:`` in a calibration.yaml), read
like any rule file. Without one, ``default_confidence`` applies: score / (score + threshold), which is
monotone in the score, 0.5 at the tag's threshold, and never 0 or 1.

Expected calibration error (``ece``): chosen tags in 10 equal bins of confidence; the mean over bins,
weighted by their size, of |share right - mean confidence|.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import HeuristagError

#: A tag gets its own curve when chosen at least this many times, right and wrong at least 5 times each.
MIN_PER_TAG = 30
MIN_EACH_OUTCOME = 5
ECE_BINS = 10


@dataclass(frozen=True)
class Curve:
    """A non-decreasing piecewise-linear map: knots (score, probability), flat beyond both ends."""

    scores: tuple[float, ...]
    probabilities: tuple[float, ...]

    def __call__(self, score: float) -> float:
        xs, ys = self.scores, self.probabilities
        if score <= xs[0]:
            return ys[0]
        if score >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, score)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 + (y1 - y0) * (score - x0) / (x1 - x0) if x1 > x0 else y1

    def as_data(self) -> dict[str, list[float]]:
        return {"scores": list(self.scores), "probabilities": list(self.probabilities)}


@dataclass(frozen=True)
class Calibration:
    shared: Curve
    tags: Mapping[str, Curve] = field(default_factory=lambda: MappingProxyType({}))
    method: str = "isotonic"

    def confidence(self, tag: str, score: float) -> float:
        return self.tags.get(tag, self.shared)(score)


def default_confidence(score: float, threshold: float) -> float:
    """Without a fitted curve: 0.5 at the threshold, rising towards 1 with the score."""
    if score <= 0:
        return 0.0
    return score / (score + threshold) if threshold > 0 else 1.0


def confidence_of(calibration: Calibration | None, tag: str, score: float, threshold: float) -> float:
    value = calibration.confidence(tag, score) if calibration is not None else default_confidence(score, threshold)
    return round(min(1.0, max(0.0, value)), 3)


# ---------------------------------------------------------------- fitting

def isotonic(points: Iterable[tuple[float, bool]]) -> Curve:
    """Pool-adjacent-violators over (score, right) sorted by score; one knot per pooled block at its
    mean score, its probability the block's share right with one pseudo-count each way (so a block of
    three right answers says 0.8, not 1.0)."""
    same: dict[float, list[float]] = {}   # equal scores are one block from the start
    for score, right in points:
        g = same.setdefault(score, [0.0, 0.0, 0.0])
        g[0] += score
        g[1] += float(right)
        g[2] += 1.0
    blocks: list[list[float]] = []   # [sum of scores, right, n]
    for score in sorted(same):
        blocks.append(list(same[score]))
        while len(blocks) > 1 and _rate(blocks[-2]) >= _rate(blocks[-1]):
            s, r, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += r
            blocks[-1][2] += n
    if not blocks:
        return Curve((0.0,), (0.5,))
    xs = tuple(round(b[0] / b[2], 4) for b in blocks)
    ys = tuple(round((b[1] + 1) / (b[2] + 2), 4) for b in blocks)
    return _dedupe(xs, ys)


def _rate(block: list[float]) -> float:
    return block[1] / block[2]


def _dedupe(xs: tuple[float, ...], ys: tuple[float, ...]) -> Curve:
    """Knots with equal (rounded) scores keep the last one; probabilities made non-decreasing."""
    out_x: list[float] = []
    out_y: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        y = max(y, out_y[-1]) if out_y else y
        if out_x and x == out_x[-1]:
            out_y[-1] = y
        else:
            out_x.append(x)
            out_y.append(y)
    return Curve(tuple(out_x), tuple(out_y))


def fit_calibration(points: Sequence[tuple[str, float, bool]]) -> Calibration:
    """(tag, score, right) for every chosen tag of a bench -> a shared curve and per-tag curves where
    the data allows."""
    shared = isotonic((s, r) for _, s, r in points)
    by_tag: dict[str, list[tuple[float, bool]]] = {}
    for tag, s, r in points:
        by_tag.setdefault(tag, []).append((s, r))
    tags = {}
    for tag in sorted(by_tag):
        pts = by_tag[tag]
        right = sum(r for _, r in pts)
        if len(pts) >= MIN_PER_TAG and min(right, len(pts) - right) >= MIN_EACH_OUTCOME:
            tags[tag] = isotonic(pts)
    return Calibration(shared, MappingProxyType(tags))


def ece(pairs: Iterable[tuple[float, bool]], bins: int = ECE_BINS) -> float:
    """Expected calibration error of (confidence, right) pairs, equal-width bins over [0, 1]."""
    sums: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(bins)]   # confidence, right, n
    total = 0
    for conf, right in pairs:
        b = min(bins - 1, max(0, int(conf * bins)))
        sums[b][0] += conf
        sums[b][1] += float(right)
        sums[b][2] += 1
        total += 1
    if not total:
        return 0.0
    return round(sum(abs(s[1] - s[0]) for s in sums if s[2]) / total, 4)


# ---------------------------------------------------------------- as data in the pack

def calibration_data(cal: Calibration, documents: int, metric: str) -> dict[str, Any]:
    return {"method": cal.method, "documents": documents, "correct": "lenient", "fitted_for": metric,
            "shared": cal.shared.as_data(), "tags": {t: c.as_data() for t, c in sorted(cal.tags.items())}}


def render_calibration_yaml(cal: Calibration, documents: int, metric: str, schema: str | None = None) -> str:
    """calibration.yaml: one flow line per curve, so a diff shows which curve moved; ``schema``: the
    relative path of schema.json for editors, when the pack has one."""
    import json

    data = calibration_data(cal, documents, metric)
    lines = [f"# yaml-language-server: $schema={schema}"] if schema else []
    lines += ["# Written by `heuristag tune`: P(a chosen tag is right | its score), isotonic regression on the",
             f"# {documents} labelled documents it was tuned on (right: in gold or gold_also). Data, not rules:",
             "# `heuristag tag --confidence` reads it; delete it to get the default score / (score + threshold).",
             "calibration:",
             f"  method: {data['method']}",
             f"  documents: {documents}",
             f"  correct: {data['correct']}",
             f"  fitted_for: {metric}",
             f"  shared: {json.dumps(data['shared'])}",
             "  tags:" + ("" if data["tags"] else " {}")]
    lines += [f"    {json.dumps(t)}: {json.dumps(c)}" for t, c in data["tags"].items()]
    return "\n".join(lines) + "\n"


def parse_calibration(data: Any, where: str) -> Calibration:
    """The ``calibration:`` mapping of a rule file (already schema-checked for user files)."""
    if not isinstance(data, Mapping) or "shared" not in data:
        raise HeuristagError(where, "calibration: needs a 'shared' curve")
    shared = _curve(data["shared"], f"{where}: calibration.shared")
    tags = {}
    for tag, curve in (data.get("tags") or {}).items():
        from .vocabulary import tag_key

        tags[tag_key(str(tag))] = _curve(curve, f"{where}: calibration.tags.{tag}")
    return Calibration(shared, MappingProxyType(dict(sorted(tags.items()))), str(data.get("method", "isotonic")))


def _curve(data: Any, where: str) -> Curve:
    if not isinstance(data, Mapping):
        raise HeuristagError(where, "a curve is {scores: [...], probabilities: [...]}")
    xs, ys = data.get("scores"), data.get("probabilities")
    if not isinstance(xs, list) or not isinstance(ys, list) or not xs or len(xs) != len(ys):
        raise HeuristagError(where, "scores and probabilities must be lists of the same, non-zero length")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs + ys):
        raise HeuristagError(where, "scores and probabilities must be numbers")
    if any(b < a for a, b in zip(xs, xs[1:], strict=False)) or any(b < a for a, b in zip(ys, ys[1:], strict=False)):
        raise HeuristagError(where, "scores and probabilities must both be non-decreasing")
    if not all(0 <= y <= 1 for y in ys):
        raise HeuristagError(where, "probabilities must lie in [0, 1]")
    return Curve(tuple(float(x) for x in xs), tuple(float(y) for y in ys))
