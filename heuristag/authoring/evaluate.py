"""`heuristag eval`: tag a gold bench, score it exactly like the bench's score.py, and show what misled.

Rule authors tune against numbers; the numbers must be the ones the bench's reference scorer prints
(``../shared/bench/score.py``, definitions in LABELS.md), so the metric is re-implemented here line for
line rather than imported (the package must not depend on a file outside it). Besides the figures, the
command shows where to look: the per-tag table, the worst documents with the contributions of every
wrong tag, a before/after comparison of two rule layers, and a self-contained HTML report.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.errors import HeuristagError, one_line

if TYPE_CHECKING:  # pragma: no cover - types only; the real imports are lazy
    from ..engine.result import Result
    from ..engine.scorer import TagScore
    from ..engine.tagger import Tagger

#: The metrics of score.py, in the order it prints them (and the order deltas are shown).
METRIC_KEYS = ("F1", "P", "R", "lenP", "lenF1", "top1", "empty", "avg_pred", "over3")
WORST_DEFAULT = 10


# ---------------------------------------------------------------- the metric (score.py, re-implemented)

@dataclass(frozen=True)
class TagCounts:
    """One tag's counts over the bench: gold support, times predicted, true positives."""

    support: int
    pred: int
    tp: int

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"support": self.support, "pred": self.pred, "tp": self.tp, "P": round(self.precision, 4),
                "R": round(self.recall, 4), "F1": round(self.f1, 4)}


@dataclass(frozen=True)
class Metrics:
    """Micro-averaged figures, rounded like score.py (4 places, avg_pred 3)."""

    docs: int
    P: float
    R: float
    F1: float
    lenP: float
    lenF1: float
    top1: float
    empty: float
    over3: int
    avg_pred: float
    per_tag: Mapping[str, TagCounts] = field(default_factory=dict)

    def as_dict(self, per_tag: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("F1", "P", "R", "lenP", "lenF1", "top1", "empty")}
        out.update(docs=self.docs, avg_pred=self.avg_pred, over3=self.over3)
        if per_tag:
            out["per_tag"] = {t: c.as_dict() for t, c in sorted(self.per_tag.items())}
        return out


def tag_names(tags: Iterable[Any] | None) -> list[str]:
    """Prediction or gold entries as names compared after ``.strip()`` (score.py's ``names``)."""
    out = []
    for t in tags or ():
        if isinstance(t, Mapping):
            t = t.get("name")
        if t is not None:
            out.append(str(t).strip())
    return out


def score_predictions(items: Iterable[tuple[Sequence[Any], Sequence[Any], Sequence[Any]]]) -> Metrics:
    """(gold, gold_also, predicted) per document -> Metrics, with exactly score.py's definitions.

    A document with no prediction passes an empty list; duplicates in a prediction count once for
    P/R (a set) but the list decides top-1 and over3, as in score.py.
    """
    tp = npred = ngold = ltp = top1 = empty = over3 = n = 0
    pt: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, pred, gold
    for gold, also, predicted in items:
        n += 1
        g = set(tag_names(gold))
        a = g | set(tag_names(also))
        p = tag_names(predicted)
        over3 += len(p) > 3
        ps = set(p)
        tp += len(ps & g)
        ltp += len(ps & a)
        npred += len(ps)
        ngold += len(g)
        top1 += bool(p) and p[0] in a
        empty += not p
        for t in ps:
            pt[t][1] += 1
        for t in g:
            pt[t][2] += 1
        for t in ps & g:
            pt[t][0] += 1
    prec = tp / npred if npred else 0.0
    rec = tp / ngold if ngold else 0.0
    lprec = ltp / npred if npred else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    lf1 = 2 * lprec * rec / (lprec + rec) if lprec + rec else 0.0
    per_tag = {t: TagCounts(support=v[2], pred=v[1], tp=v[0]) for t, v in sorted(pt.items())}
    return Metrics(docs=n, P=round(prec, 4), R=round(rec, 4), F1=round(f1, 4), lenP=round(lprec, 4),
                   lenF1=round(lf1, 4), top1=round(top1 / n, 4) if n else 0.0,
                   empty=round(empty / n, 4) if n else 0.0, over3=over3,
                   avg_pred=round(npred / n, 3) if n else 0.0, per_tag=per_tag)


# ---------------------------------------------------------------- the bench

@dataclass(frozen=True)
class BenchRecord:
    """One gold document: where it is, its id, its gold tags; ``raw`` is what the tagger reads."""

    line: int
    id: Any
    gold: tuple[str, ...]
    also: tuple[str, ...]
    description: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return str(self.id)


def load_bench(path: str | Path, encoding: str | None = None) -> list[BenchRecord]:
    """Read a JSONL bench. A line that is not a JSON object with a gold list stops the run (exit 2):
    there is nothing to score it against. Ids must be unique, as score.py keys documents by id."""
    from ..engine.textio import read_text_file

    where = str(path)
    records: list[BenchRecord] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(read_text_file(path, encoding).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HeuristagError(f"{where}:{n}", f"invalid JSON: {exc.msg} at column {exc.colno}") from None
        rec = _bench_record(raw, f"{where}:{n}", n)
        if rec.label in seen:
            raise HeuristagError(f"{where}:{n}", f"duplicate id {json.dumps(rec.id)} (also line {seen[rec.label]})")
        seen[rec.label] = n
        records.append(rec)
    if not records:
        raise HeuristagError(where, "no records in the bench")
    return records


def load_benches(paths: Sequence[str], encoding: str | None = None) -> list[BenchRecord]:
    """Several benches as one list, in the order given (tune and suggest learn from all of them)."""
    return [rec for path in paths for rec in load_bench(path, encoding)]


def add_bench_arguments(p: argparse.ArgumentParser, several: bool = True) -> None:
    """BENCH.jsonl [BENCH.jsonl ...] (one only, unless ``several``) plus the rule, vocabulary and encoding
    options of every authoring command."""
    from ..commands import add_encoding_option, add_rule_options

    p.add_argument("bench", nargs="+" if several else None,
                   help="JSONL records {id, description, readme, gold, gold_also}")
    add_rule_options(p)
    add_encoding_option(p)


def _bench_record(raw: Any, where: str, line: int) -> BenchRecord:
    if not isinstance(raw, dict):
        raise HeuristagError(where, f"record must be a JSON object, got {type(raw).__name__}")
    if "id" not in raw or isinstance(raw["id"], (dict, list, bool)) or raw["id"] is None:
        raise HeuristagError(where, "record has no usable \"id\" (a string or a number)")
    gold = _tag_list(raw.get("gold"), where, "gold", required=True)
    also = _tag_list(raw.get("gold_also"), where, "gold_also", required=False)
    desc = raw.get("description") if isinstance(raw.get("description"), str) else ""
    return BenchRecord(line=line, id=raw["id"], gold=gold, also=also, description=desc, raw=raw)


def _tag_list(value: Any, where: str, key: str, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list):
        raise HeuristagError(where, f"\"{key}\" must be a list of tag names"
                                    + ("" if value is not None else " (the record has none)"))
    if not all(isinstance(t, str) or (isinstance(t, dict) and isinstance(t.get("name"), str)) for t in value):
        raise HeuristagError(where, f"\"{key}\" must hold tag names")
    return tuple(tag_names(value))


@dataclass(frozen=True)
class Outcome:
    """What the tagger made of one record: the predicted names (stripped, best first) and the why."""

    record: BenchRecord
    predicted: tuple[str, ...]
    result: Result | None = None
    error: str | None = None

    @property
    def lenient_gold(self) -> frozenset[str]:
        return frozenset(self.record.gold) | frozenset(self.record.also)

    @property
    def missed(self) -> tuple[str, ...]:
        """Gold tags not predicted."""
        return tuple(t for t in self.record.gold if t not in self.predicted)

    @property
    def wrong(self) -> tuple[str, ...]:
        """Predicted tags no annotator found fitting (outside gold and gold_also)."""
        return tuple(t for t in self.predicted if t not in self.lenient_gold)

    @property
    def badness(self) -> int:
        return len(self.missed) + len(self.wrong)

    def tag_score(self, name: str) -> TagScore | None:
        """The ranking entry of a tag (by name), or None when nothing fired for it."""
        if self.result is None:
            return None
        from ..engine.vocabulary import tag_key

        key = tag_key(name)
        return next((s for s in self.result.ranking.scores if s.tag == key), None)


def run_bench(tagger: Tagger, records: Sequence[BenchRecord], where: str = "bench") -> list[Outcome]:
    """Tag every record; a record the tagger refuses (HeuristagError) is an empty prediction, kept."""
    from ..engine.request import from_record

    out = []
    for rec in _progress(records):
        try:
            result = tagger.tag_request(from_record(dict(rec.raw), f"{where}:{rec.line}"))
        except HeuristagError as exc:
            out.append(Outcome(rec, (), None, one_line(str(exc))))
            continue
        out.append(Outcome(rec, tuple(t.name.strip() for t in result.tags), result))
    return out


def _progress(items: Sequence[Any]) -> Iterable[Any]:
    """A progress bar on a terminal only: pipes and tests stay clean."""
    if len(items) < 200 or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc="tagging", unit="doc", leave=False, file=sys.stderr)


def without_descriptions(records: Sequence[BenchRecord]) -> list[BenchRecord]:
    """The bench as a catalogue without one-line descriptions sees it: the README alone."""
    from dataclasses import replace

    return [replace(r, description="", raw={**r.raw, "description": ""}) for r in records]


def metrics_by(outcomes: Sequence[Outcome], key: str) -> dict[str, Metrics]:
    """Metrics per value of a record field (``source``: hellogithub, awesome-go ...), values sorted;
    a record without the field is grouped under ``(none)``."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        value = o.record.raw.get(key)
        groups["(none)" if value is None else str(value)].append(o)
    return {k: metrics_of(groups[k]) for k in sorted(groups)}


def render_groups(key: str, groups: Mapping[str, Metrics]) -> list[str]:
    width = max([len(k) for k in groups] + [len(key)])
    lines = [f"{key:<{width}}  docs      F1    lenP    top1   empty"]
    for k, m in groups.items():
        lines.append(f"{k:<{width}}  {m.docs:4d}  {m.F1:.4f}  {m.lenP:.4f}  {m.top1:.4f}  {m.empty:.4f}")
    return lines


def metrics_of(outcomes: Iterable[Outcome]) -> Metrics:
    return score_predictions((o.record.gold, o.record.also, o.predicted) for o in outcomes)


# ---------------------------------------------------------------- evidence helpers

def samples(ts: TagScore, rule: str, limit: int = 3) -> list[str]:
    """A few matched texts of one rule, what a person needs to see why it fired."""
    return sorted({e.text for e in ts.evidence if e.rule == rule})[:limit]


def rule_points(ts: TagScore | None) -> dict[str, float]:
    """A tag's points per rule, summed over fields (the prior counts as a rule of its own)."""
    out: dict[str, float] = defaultdict(float)
    for rule, _field, points in ts.contributions if ts is not None else ():
        out[rule] += points
    return {r: round(p, 4) for r, p in out.items()}


def contribution_lines(ts: TagScore, limit: int = 3) -> list[str]:
    out = []
    for rule, fname, points in ts.contributions[:limit]:
        texts = ", ".join(repr(t) for t in samples(ts, rule))
        out.append(f"{points:+6.2f} {rule} [{fname}] {texts}".rstrip())
    return out


def missed_reason(o: Outcome, name: str) -> str:
    ts = o.tag_score(name)
    if ts is None:
        return "no evidence"
    if ts.score < ts.threshold:
        return f"score {ts.score:.2f} below threshold {ts.threshold:.2f}"
    return f"score {ts.score:.2f} reached threshold {ts.threshold:.2f} but lost to better tags"


# ---------------------------------------------------------------- text output

def render_metrics(m: Metrics) -> str:
    return (f"F1 {m.F1:.4f}  P {m.P:.4f}  R {m.R:.4f}  lenP {m.lenP:.4f}  lenF1 {m.lenF1:.4f}  "
            f"top1 {m.top1:.4f}  empty {m.empty:.4f}  avg_pred {m.avg_pred:.3f}  over3 {m.over3}  docs {m.docs}")


def render_per_tag(m: Metrics) -> list[str]:
    width = max([len(t) for t in m.per_tag] + [3])
    lines = [f"{'tag':<{width}}  support  pred    tp       P       R      F1"]
    for t, c in sorted(m.per_tag.items()):
        lines.append(f"{t:<{width}}  {c.support:7d}  {c.pred:4d}  {c.tp:4d}  {c.precision:.4f}  "
                     f"{c.recall:.4f}  {c.f1:.4f}")
    return lines


def worst(outcomes: Sequence[Outcome], n: int) -> list[Outcome]:
    """The documents with the most missed + wrong tags (failed records included), bench order on ties."""
    bad = [o for o in outcomes if o.badness or o.error]
    bad.sort(key=lambda o: (-o.badness, o.record.line))
    return bad[: max(0, n)]


def render_worst(outcomes: Sequence[Outcome], n: int) -> list[str]:
    lines = []
    for o in worst(outcomes, n):
        lines.append(f"{o.record.label}  (line {o.record.line})  gold: {', '.join(o.record.gold) or '-'}"
                     f"  predicted: {', '.join(o.predicted) or '-'}")
        if o.error:
            lines.append(f"    failed: {o.error}")
            continue
        for t in o.wrong:
            ts = o.tag_score(t)
            lines.append(f"    wrong {t}: score {ts.score:.2f}" if ts else f"    wrong {t}")
            lines.extend(f"        {c}" for c in (contribution_lines(ts) if ts else ()))
        for t in o.missed:
            lines.append(f"    missed {t}: {missed_reason(o, t)}")
    return lines


def render_eval_text(bench: str, m: Metrics, outcomes: Sequence[Outcome], worst_n: int) -> str:
    lines = [f"{bench}: {m.docs} documents", render_metrics(m), "", "per tag:", *render_per_tag(m)]
    if worst_n > 0:
        lines += ["", f"worst documents (most missed + wrong tags; top {worst_n}):", *render_worst(outcomes, worst_n)]
    failed = [o for o in outcomes if o.error]
    if failed:
        lines += ["", f"failed records ({len(failed)}, counted as empty predictions):"]
        lines += [f"  {o.record.label}: {o.error}" for o in failed]
    return "\n".join(lines)


@dataclass(frozen=True)
class CalibrationCheck:
    """How well the tagger's confidence (``--confidence``) matches how often its chosen tags are right."""

    ece: float
    chosen: int
    curve: str        # "fitted" (the pack has a calibration) or "default"

    def as_dict(self) -> dict[str, Any]:
        return {"ECE": self.ece, "chosen": self.chosen, "curve": self.curve}

    def render(self) -> str:
        return (f"confidence: ECE {self.ece:.4f} over {self.chosen} chosen tags (10 bins, right = in gold or "
                f"gold_also; {self.curve} curve)")


def calibration_check(tagger: Tagger, outcomes: Iterable[Outcome]) -> CalibrationCheck:
    from ..engine.calibrate import ece

    pairs = []
    for o in outcomes:
        if o.result is None:
            continue
        conf = tagger.confidence(o.result)
        pairs += [(conf[t.name], t.name.strip() in o.lenient_gold) for t in o.result.tags if t.name in conf]
    return CalibrationCheck(ece(pairs), len(pairs), "fitted" if tagger.rules.calibration is not None else "default")


def eval_json(m: Metrics, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    out = m.as_dict()
    out["failed"] = [{"id": o.record.id, "line": o.record.line, "error": o.error} for o in outcomes if o.error]
    return out


# ---------------------------------------------------------------- compare

@dataclass(frozen=True)
class RuleChange:
    tag: str
    rule: str
    before: float
    after: float


@dataclass(frozen=True)
class DocChange:
    """A document whose predicted tags differ between two rule sets, and the rules that moved."""

    record: BenchRecord
    before: tuple[str, ...]
    after: tuple[str, ...]
    rules: tuple[RuleChange, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.record.id, "gold": list(self.record.gold), "before": list(self.before),
                "after": list(self.after),
                "changes": [{"tag": c.tag, "rule": c.rule, "before": c.before, "after": c.after} for c in self.rules]}


def changed_rules(before: Outcome, after: Outcome) -> tuple[RuleChange, ...]:
    """For every tag predicted on either side, the rules whose points differ, biggest change first."""
    out = []
    for tag in dict.fromkeys(before.predicted + after.predicted + before.record.gold):
        b, a = rule_points(before.tag_score(tag)), rule_points(after.tag_score(tag))
        for rule in sorted(set(b) | set(a)):
            pb, pa = b.get(rule, 0.0), a.get(rule, 0.0)
            if abs(pb - pa) > 1e-6:
                out.append(RuleChange(tag, rule, pb, pa))
    out.sort(key=lambda c: (-abs(c.after - c.before), c.tag, c.rule))
    return tuple(out)


def compare_outcomes(before: Sequence[Outcome], after: Sequence[Outcome]) -> list[DocChange]:
    return [DocChange(b.record, b.predicted, a.predicted, changed_rules(b, a))
            for b, a in zip(before, after, strict=True) if b.predicted != a.predicted]


def metric_deltas(before: Metrics, after: Metrics) -> dict[str, float]:
    return {k: round(getattr(after, k) - getattr(before, k), 4) for k in METRIC_KEYS}


def render_compare_text(bench: str, mb: Metrics, ma: Metrics, changes: Sequence[DocChange],
                        max_rules: int = 8) -> str:
    lines = [f"{bench}: {mb.docs} documents, baseline -> compared rules", "metric      before    after    delta"]
    for k, d in metric_deltas(mb, ma).items():
        fmt = "{:8d}" if k == "over3" else "{:8.4f}"
        lines.append(f"{k:<9} {fmt.format(getattr(mb, k))} {fmt.format(getattr(ma, k))}  {d:+.4f}")
    tag_lines = []
    for t in sorted(set(mb.per_tag) | set(ma.per_tag)):
        fb = mb.per_tag.get(t, TagCounts(0, 0, 0)).f1
        fa = ma.per_tag.get(t, TagCounts(0, 0, 0)).f1
        if round(fb, 4) != round(fa, 4):
            tag_lines.append(f"  {t:<20} F1 {fb:.4f} -> {fa:.4f}  {fa - fb:+.4f}")
    if tag_lines:
        lines += ["", "tags whose F1 changed:", *tag_lines]
    lines += ["", f"documents whose tags changed: {len(changes)}"]
    for c in changes:
        lines.append(f"{c.record.label}  gold: {', '.join(c.record.gold) or '-'}")
        lines.append(f"    {', '.join(c.before) or '-'}  ->  {', '.join(c.after) or '-'}")
        for r in c.rules[:max_rules]:
            lines.append(f"    {r.tag}: {r.rule} {r.before:+.2f} -> {r.after:+.2f}")
        if len(c.rules) > max_rules:
            lines.append(f"    ... {len(c.rules) - max_rules} more rule changes")
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML report

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2330;max-width:1200px}
h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #dde;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 8px;border-bottom:1px solid #eef;text-align:left}
th{background:#f4f5f9}.num{text-align:right;font-variant-numeric:tabular-nums}
.t{display:inline-block;padding:0 6px;margin:1px 2px;border-radius:3px;background:#eef;font-size:13px}
.ok{background:#cdebd3}.also{background:#e5ecc4}.bad{background:#f7cfcf}.miss{background:#fde6c8}
.doc{border:1px solid #dde;border-radius:4px;padding:6px 10px;margin:8px 0}
.doc h3{font-size:15px;margin:2px 0}.doc .desc{color:#556;margin:2px 0}.err{color:#a00}
.ev{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#334}
svg text{font:12px system-ui,sans-serif}.legend span{margin-right:14px}
""".strip()


def render_html(bench: str, m: Metrics, outcomes: Sequence[Outcome], title: str = "heuristag eval") -> str:
    """One self-contained page: no scripts, no network, inline CSS and SVG only."""
    from html import escape

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}: {escape(bench)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}: {escape(bench)}</h1>",
        _html_metrics(m),
        "<h2>Precision and recall per tag</h2>", _html_chart(m),
        "<h2>Which tag was chosen instead of which</h2>", _html_confusion(outcomes),
        "<h2>Worst documents</h2>", _html_worst(outcomes),
        f"<h2>Documents ({len(outcomes)})</h2>",
        '<p class="legend"><span class="t ok">gold, predicted</span><span class="t miss">gold, missed</span>'
        '<span class="t also">predicted, acceptable (gold_also)</span><span class="t bad">predicted, wrong</span></p>',
        *(_html_doc(o) for o in outcomes),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _html_metrics(m: Metrics) -> str:
    from html import escape

    cells = "".join(f"<th>{escape(k)}</th>" for k in ("docs", *METRIC_KEYS))
    values = "".join(f'<td class="num">{getattr(m, k)}</td>' for k in ("docs", *METRIC_KEYS))
    return f'<table id="metrics"><tr>{cells}</tr><tr>{values}</tr></table>'


def _html_chart(m: Metrics) -> str:
    """Horizontal bars, precision and recall per tag, as inline SVG (id="per-tag-chart")."""
    from html import escape

    rows = sorted(m.per_tag.items())
    label_w, bar_w, row_h = 170, 300, 26
    height = max(1, len(rows)) * row_h + 30
    out = [f'<svg id="per-tag-chart" xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 260}" '
           f'height="{height}" role="img" aria-label="precision and recall per tag">',
           f'<rect x="{label_w}" y="2" width="10" height="10" fill="#3b6fd1"/>'
           f'<text x="{label_w + 14}" y="11">precision</text>'
           f'<rect x="{label_w + 90}" y="2" width="10" height="10" fill="#e08a2c"/>'
           f'<text x="{label_w + 104}" y="11">recall</text>']
    for i, (tag, c) in enumerate(rows):
        y = 24 + i * row_h
        p_w, r_w = round(bar_w * c.precision, 1), round(bar_w * c.recall, 1)
        out.append(
            f'<g class="tag-row" data-tag="{escape(tag)}"><title>{escape(tag)}: P {c.precision:.4f}, '
            f'R {c.recall:.4f}, F1 {c.f1:.4f} (support {c.support}, predicted {c.pred}, tp {c.tp})</title>'
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(tag)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{bar_w}" height="20" fill="#f1f2f6"/>'
            f'<rect class="bar-p" x="{label_w}" y="{y + 2}" width="{p_w}" height="10" fill="#3b6fd1"/>'
            f'<rect class="bar-r" x="{label_w}" y="{y + 12}" width="{r_w}" height="10" fill="#e08a2c"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">P {c.precision:.2f}  R {c.recall:.2f}  '
            f'F1 {c.f1:.2f}  gold {c.support}  predicted {c.pred}</text></g>')
    out.append("</svg>")
    return "".join(out)


def confusion(outcomes: Iterable[Outcome]) -> dict[tuple[str, str], list[Outcome]]:
    """(gold tag missed, wrong tag predicted in the same document) -> the documents where it happened."""
    pairs: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        for g in o.missed:
            for w in o.wrong:
                pairs[(g, w)].append(o)
    return pairs


def _html_confusion(outcomes: Sequence[Outcome], limit: int = 200) -> str:
    from html import escape

    pairs = sorted(confusion(outcomes).items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if not pairs:
        return '<table id="confusion"><tr><td>No document has both a missed gold tag and a wrong tag.</td></tr></table>'
    rows = ['<table id="confusion"><tr><th>gold tag missed</th><th>predicted instead</th>'
            '<th class="num">docs</th><th>which</th></tr>']
    for (g, w), docs in pairs[:limit]:
        links = " ".join(f'<a href="#{_anchor(o)}">{escape(o.record.label)}</a>' for o in docs[:12])
        rows.append(f'<tr><td><span class="t miss">{escape(g)}</span></td><td><span class="t bad">{escape(w)}'
                    f'</span></td><td class="num">{len(docs)}</td><td>{links}</td></tr>')
    wrong_alone = Counter(w for o in outcomes for w in o.wrong)
    rows.append("</table>")
    top = ", ".join(f"{escape(w)} ({n})" for w, n in wrong_alone.most_common(15))
    rows.append(f"<p>Wrong tags overall: {top or 'none'}</p>")
    return "".join(rows)


def _html_worst(outcomes: Sequence[Outcome], limit: int = 20) -> str:
    from html import escape

    items = [f'<li><a href="#{_anchor(o)}">{escape(o.record.label)}</a>: '
             f'{"failed" if o.error else f"{len(o.missed)} missed, {len(o.wrong)} wrong"}</li>'
             for o in worst(outcomes, limit)]
    return f'<ol id="worst">{"".join(items)}</ol>' if items else "<p>No document missed or got a wrong tag.</p>"


def _anchor(o: Outcome) -> str:
    from html import escape

    return escape(f"doc-{o.record.line}", quote=True)


def _html_doc(o: Outcome) -> str:
    from html import escape

    rec = o.record
    gold = "".join(f'<span class="t {"ok" if t in o.predicted else "miss"}">{escape(t)}</span>' for t in rec.gold)
    also = "".join(f'<span class="t">{escape(t)}</span>' for t in rec.also) or "-"
    pred = "".join(
        f'<span class="t {"ok" if t in rec.gold else ("also" if t in o.lenient_gold else "bad")}">{escape(t)}</span>'
        for t in o.predicted) or "<em>none</em>"
    status = "failed" if o.error else ("exact" if not o.badness and set(o.predicted) == set(rec.gold)
                                       else f"{len(o.missed)} missed, {len(o.wrong)} wrong")
    out = [f'<section class="doc" id="{_anchor(o)}" data-id="{escape(rec.label)}">',
           f"<h3>{escape(rec.label)} <small>({escape(status)})</small></h3>"]
    if rec.description:
        out.append(f'<p class="desc">{escape(rec.description[:300])}</p>')
    out.append(f"<div>gold: {gold or '-'} &nbsp; also: {also} &nbsp; predicted: {pred}</div>")
    if o.error:
        out.append(f'<p class="err">{escape(o.error)}</p>')
    else:
        out.append(_html_evidence(o))
    out.append("</section>")
    return "".join(out)


def _html_evidence(o: Outcome) -> str:
    from html import escape

    rows = []
    for t in dict.fromkeys(o.predicted + o.missed):
        ts = o.tag_score(t)
        if ts is None:
            rows.append(f"<tr><td>{escape(t)}</td><td colspan=3>no evidence</td></tr>")
            continue
        for rule, fname, points in ts.contributions[:6]:
            texts = ", ".join(samples(ts, rule))
            rows.append(f'<tr><td>{escape(t)} <small>{ts.score:.2f}/{ts.threshold:.2f}</small></td>'
                        f'<td class="num">{points:+.2f}</td><td class="ev">{escape(rule)} [{escape(fname)}]</td>'
                        f'<td class="ev">{escape(texts)}</td></tr>')
    if not rows:
        return ""
    return f"<details><summary>evidence</summary><table>{''.join(rows)}</table></details>"


# ---------------------------------------------------------------- the command

def register(sub: Any) -> None:
    from ..commands import examples

    p = sub.add_parser("eval", help="tag a gold JSONL bench and score it (same numbers as the bench's score.py)",
                       **examples("heuristag eval ../shared/bench/dev.jsonl --group-by source --no-description",
                                  "heuristag eval dev.jsonl --compare my_rules --html report.html",
                                  "heuristag eval dev.jsonl --min-f1 0.65 --json > metrics.json   # a CI gate"))
    add_bench_arguments(p, several=False)
    p.add_argument("--json", action="store_true", help="print the metrics (and per-tag table) as JSON")
    p.add_argument("--min-f1", type=_fraction, default=None, metavar="X",
                   help="exit 1 when F1 is below X (with --compare: the compared rules' F1)")
    p.add_argument("--compare", metavar="DIR", default=None,
                   help="also run these rules layered over the baseline and show what changed")
    p.add_argument("--compare-pack", action="store_true",
                   help="the --compare folder is a complete pack (what `heuristag tune -o` writes): compare it "
                        "alone against the baseline instead of layering it on top")
    p.add_argument("--html", metavar="FILE", default=None,
                   help="write a self-contained HTML report (with --compare: of the compared rules)")
    p.add_argument("--worst", type=int, default=WORST_DEFAULT, metavar="N",
                   help=f"how many worst documents to show (default {WORST_DEFAULT})")
    p.add_argument("--no-description", action="store_true",
                   help="blank every description: how the rules do on the README alone")
    p.add_argument("--group-by", metavar="FIELD", default=None,
                   help="also show the metrics per value of a record field, e.g. source")
    p.set_defaults(func=run_eval)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def run_eval(args: argparse.Namespace) -> int:
    from ..commands import make_tagger

    records = load_bench(args.bench, args.encoding)
    if args.no_description:
        records = without_descriptions(records)
    tagger = make_tagger(args)
    before = run_bench(tagger, records, args.bench)
    mb = metrics_of(before)
    final, outcomes = mb, before
    if args.compare:
        other = _compare_tagger(args, tagger)
        after = run_bench(other, records, args.bench)
        ma = metrics_of(after)
        changes = compare_outcomes(before, after)
        final, outcomes = ma, after
        if args.json:
            _print_json({"before": eval_json(mb, before), "after": eval_json(ma, after),
                         "delta": metric_deltas(mb, ma), "changed": [c.as_dict() for c in changes]})
        else:
            print(render_compare_text(args.bench, mb, ma, changes))
    elif args.json:
        data = {**eval_json(mb, before), "calibration": calibration_check(tagger, before).as_dict()}
        if args.group_by:
            data["groups"] = {k: m.as_dict(per_tag=False) for k, m in metrics_by(before, args.group_by).items()}
        _print_json(data)
    else:
        text = render_eval_text(args.bench, mb, before, args.worst).split("\n", 2)
        print("\n".join([*text[:2], calibration_check(tagger, before).render(), *text[2:]]))
        if args.group_by:
            print("\n" + "\n".join(render_groups(args.group_by, metrics_by(before, args.group_by))))
    if args.html:
        _write(args.html, render_html(args.bench, final, outcomes))
        print(f"heuristag: wrote {args.html}", file=sys.stderr)
    f1 = final.F1
    if args.min_f1 is not None and f1 < args.min_f1:
        print(f"heuristag: F1 {f1:.4f} is below --min-f1 {args.min_f1}", file=sys.stderr)
        return 1
    return 0


def _compare_tagger(args: argparse.Namespace, baseline: Tagger) -> Tagger:
    """The compared rules: layered exactly like the baseline, with the --compare folder on top (or, with
    --compare-pack, that folder alone: a tuned pack repeats every group of its input under the same name)."""
    from ..engine.tagger import Tagger

    if getattr(args, "compare_pack", False):
        return Tagger(rules_dirs=[args.compare], builtin_rules=False, vocabulary=baseline.vocabulary)

    return Tagger(rules_dirs=[*args.rules, args.compare], builtin_rules=not args.no_builtin_rules,
                  vocabulary=baseline.vocabulary, parser=baseline.parser)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise HeuristagError(path, f"cannot write: {exc.strerror or exc}") from None
