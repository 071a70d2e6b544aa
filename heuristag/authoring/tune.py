"""`heuristag tune`: fit a rule pack's numbers to labelled benches and write the pack back, numbers only.

The loop a rule author runs: edit terms by hand, then let `tune` fit the weights, thresholds, priors,
field weights and scoring knobs (fitting.py), cross-validated so overfitting shows: per fold, the metric
on the folds it fitted and on the one it did not see, before and after. The final numbers are fitted on
all documents and written into a copy of every file of the input pack where only those numbers differ
(packnumbers.py), so the change is a diff a person can review. ``--dry-run`` prints that diff instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.calibrate import Calibration, confidence_of, ece, fit_calibration, render_calibration_yaml
from ..engine.errors import HeuristagError
from ..engine.rules import RuleSet, concept_files, rule_files
from ..engine.scorer import Knobs
from .evaluate import BenchRecord, Metrics, add_bench_arguments, load_benches, score_predictions
from .fitting import (
    DEFAULT_CHECKS,
    DEFAULT_PARTS,
    DEFAULT_REPLICATE,
    METRICS,
    SCORING_SPECS,
    CachedDoc,
    Gate,
    KnobSpec,
    chosen_points,
    deal,
    guarded_fit,
    knob_spec,
    params_of,
    predict,
    total_ticks,
)
from .packnumbers import KINDS, Knob, Number, PackFile, format_number, read_pack_file, rewrite

DEFAULT_FOLDS = 5
ECE_TEXT = "10 bins, right = in gold or gold_also"
CALIBRATION_FILE = "calibration.yaml"
DEFAULT_PENALTY = 0.25
DEFAULT_SIGNIFICANCE = 2.0


# ---------------------------------------------------------------- the pack as files

@dataclass(frozen=True)
class Layer:
    """One input rule folder (the built-in pack or a --rules DIR) and its files, in load order."""

    root: Path
    label: str
    files: tuple[PackFile, ...]
    extra: tuple[Path, ...]      # non-YAML files copied as they are (schema.json, vocabulary.json)


def read_layers(rule_dirs: Sequence[str], builtin: bool) -> list[Layer]:
    from ..engine.builtin import builtin_dir

    roots = ([(builtin_dir(), "builtin")] if builtin else []) + [(Path(d), Path(d).name or "rules") for d in rule_dirs]
    layers = []
    for root, label in roots:
        paths = rule_files(root) + concept_files(root)
        extra = tuple(sorted(p for p in root.glob("*.json") if p.is_file())) if root.is_dir() else ()
        layers.append(Layer(root, label, tuple(read_pack_file(root, p) for p in paths), extra))
    return layers


def all_numbers(layers: Sequence[Layer]) -> list[tuple[int, Number]]:
    return [(i, n) for i, layer in enumerate(layers) for f in layer.files for n in f.numbers]


def knob_specs(layers: Sequence[Layer], rules: RuleSet) -> tuple[list[KnobSpec], list[Knob]]:
    """The numbers tune may move, in a fixed order (global knobs first), and those it must leave
    alone: a knob written in several places with different values, or one the rule set does not use."""
    where: dict[Knob, list[float]] = {}
    for _, n in all_numbers(layers):
        where.setdefault(n.knob, []).append(n.knob_value)
    used = _used_rules(rules)
    specs, fixed = [], []
    for knob in sorted(where, key=lambda k: (KINDS.index(k[0]), k[1])):
        values = where[knob]
        unknown_setting = knob[0] == "scoring" and knob[1] not in SCORING_SPECS   # a key the scorer never reads
        if len(set(values)) > 1 or (knob[0] == "weights" and knob[1] not in used) or unknown_setting:
            fixed.append(knob)
        else:
            specs.append(knob_spec(knob, values[0]))
    return specs, fixed


def _used_rules(rules: RuleSet) -> set[str]:
    return {g.name for g in rules.all_groups()} | {p.name for p in rules.all_patterns()} | \
        {f.name for f in rules.features}


# ---------------------------------------------------------------- folds

def fold_of(records: Sequence[BenchRecord], folds: int, seed: int) -> list[int]:
    """Each record's fold: a shuffle by SHA-256 of (seed, id, occurrence), dealt round-robin
    (fitting.deal), so independent of PYTHONHASHSEED and of the order of the benches' lines."""
    return deal([rec.label for rec in records], folds, str(seed))


# ---------------------------------------------------------------- fitting

@dataclass(frozen=True)
class FoldReport:
    fold: int
    fitted: tuple[Metrics, Metrics]     # before, after
    held_out: tuple[Metrics, Metrics]
    gate: Gate                          # the inner check of this fold's fit


def evaluate_docs(docs: Sequence[CachedDoc], rules: RuleSet, values: Mapping[Knob, float]) -> Metrics:
    """evaluate.py's Metrics of these documents under these numbers (its rounding, its definitions)."""
    params = params_of(values)
    knobs = Knobs.of(rules, params)
    return score_predictions((d.record.gold, d.record.also, predict(d, rules, params, knobs)[0]) for d in docs)


def metric_of(m: Metrics, metric: str) -> float:
    return m.lenF1 if metric == "lenient-f1" else m.F1


@dataclass(frozen=True)
class TuneResult:
    folds: tuple[FoldReport, ...]
    pooled: tuple[Metrics, Metrics]     # every document predicted by the fit that did not see it
    final: tuple[Metrics, Metrics]
    start: Mapping[Knob, float]
    values: Mapping[Knob, float]
    calibration: Calibration
    ece_held_out: tuple[float, float]   # default curve, fitted curve: on documents neither saw
    chosen: int                         # chosen tags the final calibration was fitted on
    gate: Gate                          # the inner check of the final fit


def fit_curves(docs: Sequence[CachedDoc], rules: RuleSet, values: Mapping[Knob, float]) -> Calibration:
    return fit_calibration([(k, s, r) for k, s, _t, r in chosen_points(docs, rules, values)])


def judged(points: Sequence[tuple[str, float, float, bool]], cal: Calibration | None) -> list[tuple[float, bool]]:
    return [(confidence_of(cal, k, s, t), r) for k, s, t, r in points]


def tune(docs: Sequence[CachedDoc], rules: RuleSet, specs: Sequence[KnobSpec], *, folds: int, seed: int,
         metric: str, penalty: float, significance: float = DEFAULT_SIGNIFICANCE, parts: int = DEFAULT_PARTS,
         replicate: int = DEFAULT_REPLICATE, checks: int = DEFAULT_CHECKS, bar: Any = None) -> TuneResult:
    start = {s.knob: s.start for s in specs}
    tick = bar.update if bar is not None else (lambda n: None)
    assignment = fold_of([d.record for d in docs], folds, seed) if folds > 1 else [0] * len(docs)
    reports = []
    pooled_after: dict[int, tuple[str, ...]] = {}
    held_points: list[tuple[str, float, float, bool]] = []
    fold_cal: list[tuple[Calibration, int, int]] = []
    for k in range(folds if folds > 1 else 0):
        fit = [d for d, f in zip(docs, assignment, strict=True) if f != k]
        held = [(i, d) for i, (d, f) in enumerate(zip(docs, assignment, strict=True)) if f == k]
        values, gate = guarded_fit(fit, rules, specs, metric, penalty, z=significance, parts=parts,
                                   replicate=replicate, seed=seed, checks=checks, tick=tick)
        params = params_of(values)
        knobs = Knobs.of(rules, params)
        for i, d in held:
            pooled_after[i] = predict(d, rules, params, knobs)[0]
        held_docs = [d for _, d in held]
        cal = fit_curves(fit, rules, values)
        points = chosen_points(held_docs, rules, values)
        held_points += [(k_, s_, t_, r_) for k_, s_, t_, r_ in points]
        fold_cal.append((cal, len(held_points) - len(points), len(held_points)))
        reports.append(FoldReport(k + 1, (evaluate_docs(fit, rules, start), evaluate_docs(fit, rules, values)),
                                  (evaluate_docs(held_docs, rules, start), evaluate_docs(held_docs, rules, values)),
                                  gate))
    values, gate = guarded_fit(docs, rules, specs, metric, penalty, z=significance, parts=parts,
                               replicate=replicate, seed=seed, checks=checks, tick=tick)
    fitted_pairs = [pair for cal, a, b in fold_cal for pair in judged(held_points[a:b], cal)]
    ece_held = (ece(judged(held_points, None)), ece(fitted_pairs))
    final_points = chosen_points(docs, rules, values)
    calibration = fit_calibration([(k, s, r) for k, s, _t, r in final_points])
    before_all = evaluate_docs(docs, rules, start)
    pooled = (before_all, score_predictions((d.record.gold, d.record.also, pooled_after.get(i, ()))
                                            for i, d in enumerate(docs))) if reports else (before_all, before_all)
    return TuneResult(tuple(reports), pooled, (before_all, evaluate_docs(docs, rules, values)), start, values,
                      calibration, ece_held, len(final_points), gate)


# ---------------------------------------------------------------- output

@dataclass(frozen=True)
class Change:
    layer: int
    file: str
    number: Number
    new: str


def changes_of(layers: Sequence[Layer], values: Mapping[Knob, float]) -> list[Change]:
    out = []
    for i, n in all_numbers(layers):
        if n.knob not in values:
            continue
        new = values[n.knob] * n.sign
        if new != n.value:
            out.append(Change(i, n.file, n, format_number(new, n.token)))
    return out


def layer_dirs(layers: Sequence[Layer], out: Path) -> list[Path]:
    """One layer: OUT itself. Several: OUT/1-builtin, OUT/2-<name> ..., layered in that order."""
    if len(layers) == 1:
        return [out]
    return [out / f"{i + 1}-{layer.label}" for i, layer in enumerate(layers)]


def write_pack(layers: Sequence[Layer], changes: Sequence[Change], out: Path) -> list[Path]:
    """Every file of every layer into OUT, the changed numbers rewritten, all other bytes as they were."""
    by_file: dict[tuple[int, str], dict[int, str]] = {}
    for c in changes:
        by_file.setdefault((c.layer, c.file), {})[c.number.start] = c.new
    written = []
    for i, (layer, target) in enumerate(zip(layers, layer_dirs(layers, out), strict=True)):
        for f in layer.files:
            path = target / f.rel
            text = rewrite(f.text, by_file.get((i, f.rel), {}), f.numbers)
            _write_bytes(path, text.encode("utf-8"))
            written.append(path)
        for extra in layer.extra:
            _write_bytes(target / extra.name, extra.read_bytes())
            written.append(target / extra.name)
    return written


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise HeuristagError(str(path), f"cannot write: {exc.strerror or exc}") from None


def render_diff(layers: Sequence[Layer], changes: Sequence[Change]) -> list[str]:
    many = len(layers) > 1
    lines = []
    for c in changes:
        where = f"{layers[c.layer].label}/{c.file}" if many else c.file
        lines.append(f"{where}  {c.number.dotted} ({c.number.knob[1]})  {c.number.token} -> {c.new}")
    return lines


def gate_text(gate: Gate, name: str) -> str:
    verdict = "fitted" if gate.passed else "kept the input numbers"
    return f"(inner check {name} {gate.before:.4f} -> {gate.after:.4f}, z {gate.z:.2f}: {verdict})"


def render_report(result: TuneResult, metric: str, n_docs: int) -> list[str]:
    name = "lenF1" if metric == "lenient-f1" else "F1"

    def pair(ms: tuple[Metrics, Metrics]) -> str:
        return f"{name} {metric_of(ms[0], metric):.4f} -> {metric_of(ms[1], metric):.4f}"

    lines = []
    total = len(result.folds)
    for r in result.folds:
        lines.append(f"fold {r.fold}/{total}: fitted {r.fitted[0].docs} docs {pair(r.fitted)}   "
                     f"held out {r.held_out[0].docs} docs {pair(r.held_out)}   {gate_text(r.gate, name)}")
    if result.folds:
        fb = sum(metric_of(r.fitted[0], metric) for r in result.folds) / total
        fa = sum(metric_of(r.fitted[1], metric) for r in result.folds) / total
        lines.append(f"all folds: fitted (mean) {name} {fb:.4f} -> {fa:.4f}   held out (pooled, {n_docs} docs, "
                     f"each predicted by the fit that did not see it) {pair(result.pooled)}")
    lines.append(f"final fit on all {n_docs} docs: {pair(result.final)}   {gate_text(result.gate, name)}")
    if result.folds:
        lines.append(f"confidence: expected calibration error on held-out folds (chosen tags, {ECE_TEXT}) "
                     f"{result.ece_held_out[1]:.4f} (default curve: {result.ece_held_out[0]:.4f})")
    per_tag = ", ".join(sorted(result.calibration.tags)) or "none"
    lines.append(f"calibration fitted on {result.chosen} chosen tags: shared curve, own curves for {per_tag}")
    return lines


# ---------------------------------------------------------------- the command

def register(sub: Any) -> None:
    from ..commands import examples

    p = sub.add_parser("tune", help="fit the pack's numbers to labelled benches; write the pack back, numbers only",
                       **examples(
                           "heuristag tune ../shared/bench/train.jsonl ../shared/bench/dev.jsonl -o tuned/",
                           "heuristag tune dev.jsonl --rules my_rules --no-builtin-rules -o my_rules_tuned --dry-run",
                           "heuristag tag README.md --rules tuned --no-builtin-rules   # use the tuned pack"))
    add_bench_arguments(p)
    p.add_argument("-o", "--output", metavar="OUT_DIR", default=None,
                   help="where to write the tuned pack (required unless --dry-run)")
    p.add_argument("--folds", type=int, default=DEFAULT_FOLDS, metavar="K",
                   help=f"cross-validation folds, at least 2 (default {DEFAULT_FOLDS})")
    p.add_argument("--metric", choices=METRICS, default="f1", help="what to maximise (default f1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fold shuffle (default 0)")
    p.add_argument("--penalty", type=float, default=DEFAULT_PENALTY, metavar="X",
                   help="cost of moving a number one unit from the input pack, in true positives' worth of "
                        f"the metric (default {DEFAULT_PENALTY}); 0 fits freely")
    p.add_argument("--significance", type=float, default=DEFAULT_SIGNIFICANCE, metavar="Z",
                   help="a move must gain more than penalty x Z x sqrt(documents whose answer it changes) true "
                        f"positives, a share of what chance alone gives (default {DEFAULT_SIGNIFICANCE:g})")
    p.add_argument("--inner-folds", type=int, default=DEFAULT_PARTS, metavar="K",
                   help="inner validation parts of every fit: a move is accepted only when it lowers the metric "
                        "of no part where it changes an answer and raises it in --replicate of them "
                        f"(default {DEFAULT_PARTS}; 1 turns the check off)")
    p.add_argument("--replicate", type=int, default=DEFAULT_REPLICATE, metavar="R",
                   help=f"inner parts a move must raise the metric of (default {DEFAULT_REPLICATE})")
    p.add_argument("--check-folds", type=int, default=DEFAULT_CHECKS, metavar="K",
                   help="parts of every fit's inner check: a search on the other K-1 parts predicts each part, and "
                        "the fit goes ahead only when that gain on unseen documents beats --significance times "
                        f"chance (default {DEFAULT_CHECKS}; 2: halves)")
    p.add_argument("--dry-run", action="store_true", help="print the diff (file, key path, old -> new); write nothing")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.set_defaults(func=run_tune)


def _check_args(args: argparse.Namespace, n_docs: int) -> None:
    if args.folds < 2:
        raise HeuristagError("--folds", f"must be at least 2, got {args.folds}")
    if args.folds > n_docs:
        raise HeuristagError("--folds", f"{args.folds} folds need at least {args.folds} documents, "
                                        f"the benches have {n_docs}")
    if not 2 <= args.check_folds <= n_docs:
        raise HeuristagError("--check-folds", f"must be between 2 and the number of documents ({n_docs}), "
                                              f"got {args.check_folds}")
    if args.inner_folds < 1:
        raise HeuristagError("--inner-folds", f"must be at least 1, got {args.inner_folds}")
    if not 0 <= args.replicate <= args.inner_folds:
        raise HeuristagError("--replicate", f"must be between 0 and --inner-folds, got {args.replicate}")
    for flag, value in (("--penalty", args.penalty), ("--significance", args.significance)):
        if not value >= 0 or value == float("inf"):
            raise HeuristagError(flag, f"must be a finite number >= 0, got {value}")
    if args.output is None and not args.dry_run:
        raise HeuristagError("-o", "give OUT_DIR for the tuned pack (or --dry-run to see the diff)")


def _check_output(out: Path, layers: Sequence[Layer]) -> None:
    if out.exists() and not out.is_dir():
        raise HeuristagError(str(out), "exists and is not a folder")
    target = out.resolve()
    for layer in layers:
        root = layer.root.resolve()
        if target == root or root in target.parents or target in root.parents:
            raise HeuristagError(str(out), f"overlaps the input rules {layer.root}: write the tuned pack elsewhere")


def _progress_bar(enabled: bool, total: int, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True, mininterval=0.2,
                leave=False)


def _each(items: Sequence[Any], enabled: bool, desc: str) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="doc", file=sys.stderr, leave=False, mininterval=0.2)


def run_tune(args: argparse.Namespace) -> int:
    from ..commands import make_tagger
    from .fitting import cache_documents

    records = load_benches(args.bench, args.encoding)
    _check_args(args, len(records))
    layers = read_layers(args.rules, not args.no_builtin_rules)
    if args.output is not None:
        _check_output(Path(args.output), layers)
    tagger = make_tagger(args)
    specs, fixed = knob_specs(layers, tagger.rules)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    docs = cache_documents(tagger, records, lambda rs: _each(rs, progress, "matching"))
    print(f"heuristag tune: {len(docs)} documents, {len(specs)} numbers to fit ({len(fixed)} left as they are), "
          f"metric {args.metric}, {args.folds} folds, seed {args.seed}, penalty {args.penalty:g}, "
          f"significance {args.significance:g}, inner folds {args.inner_folds}, replicate {args.replicate}, "
          f"check folds {args.check_folds}")
    bar = _progress_bar(progress, (args.folds + 1) * (args.check_folds + 1) * total_ticks(specs), "fitting")
    try:
        result = tune(docs, tagger.rules, specs, folds=args.folds, seed=args.seed, metric=args.metric,
                      penalty=args.penalty, significance=args.significance, parts=args.inner_folds,
                      replicate=args.replicate, checks=args.check_folds, bar=bar)
    finally:
        if bar is not None:
            bar.close()
    for line in render_report(result, args.metric, len(docs)):
        print(line)
    changes = changes_of(layers, result.values)
    print(f"{len(changes)} numbers changed")
    if args.dry_run:
        for line in render_diff(layers, changes):
            print(line)
        return 0
    out = Path(args.output)
    written = write_pack(layers, changes, out)
    dirs = layer_dirs(layers, out)
    target = dirs[-1] / CALIBRATION_FILE
    schema = "schema.json" if (dirs[-1] / "schema.json").is_file() else None
    text = render_calibration_yaml(result.calibration, len(docs), args.metric, schema)
    _write_bytes(target, text.encode("utf-8"))
    if target not in written:
        written.append(target)
    print(f"wrote {len(written)} files to {out}; use: heuristag tag --no-builtin-rules "
          + " ".join(f"--rules {d}" for d in dirs) + " ...")
    return 0
