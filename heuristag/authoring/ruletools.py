"""`heuristag rules check|stats`: lint rule files, and measure every rule against a gold bench.

`check` catches what the loader accepts but a rule author did not mean: a tag that is not in the
vocabulary (its rules can never be output), a term that can never match or matches everything, the
same keyword voting for two tags, patterns RE2 refuses. Every finding is one ``path:line: level:
message`` line, so editors and CI can jump to it.

`stats` is Snorkel's LFAnalysis for our rules: how often each rule (and each of its terms) fires,
how often the documents it fires on really carry its tag, and how often it was the rule that decided
a tag. Rules that fire on a third of all documents are too broad; rules that never fire are dead.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.errors import HeuristagError

if TYPE_CHECKING:  # pragma: no cover
    from ..engine.tagger import Tagger
    from ..engine.vocabulary import Vocabulary
    from .evaluate import Outcome

SCHEMA_LINE = "# yaml-language-server: $schema="
BROAD_DEFAULT = 0.30
TERMS_DEFAULT = 5
_WHERE_LINE = re.compile(r"^(.*):(\d+)$")


# ---------------------------------------------------------------- rules check

@dataclass(frozen=True)
class Finding:
    """One problem in a rule file, printed as ``path:line: level: message``."""

    path: str
    line: int
    level: str      # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"


@dataclass
class _CheckState:
    """What one check run has seen across files: keyword terms by tag, to spot cross-tag duplicates."""

    vocabulary: Vocabulary
    header_root: Path | None = None   # files under it (the built-in pack) must carry the schema line
    keywords: dict[str, tuple[str, str, int]] = field(default_factory=dict)   # term -> (tag, path, line)
    findings: list[Finding] = field(default_factory=list)


def from_error(exc: HeuristagError, path: str, level: str = "error") -> Finding:
    """A HeuristagError whose ``where`` is ``file`` or ``file:line`` as a Finding."""
    m = _WHERE_LINE.match(exc.where or "")
    if m:
        return Finding(m.group(1), int(m.group(2)), level, exc.message)
    return Finding(exc.where or path, 1, level, exc.message)


def check_paths(paths: Sequence[str | Path], vocabulary: Vocabulary) -> list[Finding]:
    """Check every rule file of the given folders (or files), in load order."""
    from ..engine.rules import builtin_dir, rule_files

    state = _CheckState(vocabulary, header_root=builtin_dir().resolve())
    seen: set[Path] = set()
    for p in paths:
        for f in rule_files(Path(p)):
            if f.resolve() not in seen:
                seen.add(f.resolve())
                check_file(f, state)
    return state.findings


def check_file(path: Path, state: _CheckState) -> None:
    """Header, YAML, schema, then the checks the schema cannot express."""
    from ..engine.rules import SETTINGS_KEYS, validate
    from ..engine.yamlload import load_yaml

    where = str(path)
    add = state.findings.append
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        add(Finding(where, 1, "error", f"rule file is not UTF-8 (invalid byte at offset {exc.start})"))
        return
    except OSError as exc:
        add(Finding(where, 1, "error", f"cannot read: {exc.strerror or exc}"))
        return
    if not text.startswith(SCHEMA_LINE) and _needs_header(path, state):
        add(Finding(where, 1, "warning", f"first line should be '{SCHEMA_LINE}...' so editors complete the keys"))
    try:
        data, lines = load_yaml(text, where)
    except HeuristagError as exc:
        add(from_error(exc, where))
        return
    if data is None:
        add(Finding(where, 1, "warning", "empty rule file"))
        return
    if not isinstance(data, dict):
        add(Finding(where, 1, "error", f"a rule file must be a mapping of keys, got {type(data).__name__}"))
        return
    state.findings.extend(from_error(e, where) for e in validate(data, lines, where))
    if "tag" in data:
        _check_tag_file(path, data, lines, state)
    elif any(k in data for k in SETTINGS_KEYS):
        _check_signals(where, data, lines, state)
    elif "calibration" in data:
        _check_calibration(where, data, state)
    else:
        add(Finding(where, 1, "error", "neither a tag file (no 'tag' key) nor a signals file"))


def _check_calibration(where: str, data: dict, state: _CheckState) -> None:
    """A calibration.yaml of `heuristag tune`: curves that parse (the schema checked the types)."""
    from ..engine.calibrate import parse_calibration

    try:
        parse_calibration(data["calibration"], where)
    except HeuristagError as exc:
        state.findings.append(from_error(exc, where))


def _needs_header(path: Path, state: _CheckState) -> bool:
    """Only the built-in pack must name its schema; a user's file is free to leave the line out."""
    root = state.header_root
    return root is not None and path.resolve().is_relative_to(root)


def _line(lines: dict, path: tuple) -> int:
    from ..engine.yamlload import line_of

    return line_of(lines, path) or 1


def _check_vocab_tag(name: Any, where: str, line: int, state: _CheckState, what: str,
                     effect: str = "its rules can never be output") -> None:
    if isinstance(name, str) and state.vocabulary.get(name) is None:
        state.findings.append(Finding(where, line, "error", f"{what} {name!r} is not in the vocabulary"
                                                            f"{did_you_mean(name, state.vocabulary)}: {effect}"))


def did_you_mean(name: str, vocabulary: Vocabulary) -> str:
    """`` (did you mean 'linter'?)`` for the closest vocabulary names, or nothing when none is close."""
    from rapidfuzz import fuzz, process, utils

    names = sorted({t.name.strip() for t in vocabulary})
    close = process.extract(name.strip(), names, scorer=fuzz.ratio, processor=utils.default_process,
                            score_cutoff=70, limit=2)
    ranked = sorted(close, key=lambda m: (-m[1], m[0]))
    return f" (did you mean {' or '.join(repr(m[0]) for m in ranked)}?)" if ranked else ""


def _check_relations(data: dict, where: str, lines: dict, state: _CheckState) -> None:
    """Every tag named by ``implied_by``/``suppressed_by`` must exist, or the relation silently never acts."""
    for key in ("implied_by", "suppressed_by"):
        value = data.get(key)
        if not isinstance(value, dict):
            continue
        for other in value:
            line = _line(lines, (key, other))
            _check_vocab_tag(other, where, line, state, f"{key} tag",
                             effect="this relation never takes effect")


def _check_tag_file(path: Path, data: dict, lines: dict, state: _CheckState) -> None:
    from ..engine.vocabulary import tag_key

    where = str(path)
    name = data.get("tag")
    _check_vocab_tag(name, where, _line(lines, ("tag",)), state, "tag")
    if not isinstance(name, str):
        return
    entry = state.vocabulary.get(name)
    ident = data.get("id")
    if entry is not None and ident is not None and entry.id is not None and str(entry.id) != str(ident):
        state.findings.append(Finding(where, _line(lines, ("id",)), "error",
                                      f"id {ident} disagrees with the vocabulary: {name.strip()!r} is {entry.id}"))
    if path.parent.name == "tags" and path.stem != name.strip():
        state.findings.append(Finding(where, 1, "warning", f"file name {path.name!r} does not match its tag "
                                                           f"{name.strip()!r} (expected {name.strip()}.yaml)"))
    _check_relations(data, where, lines, state)
    key = tag_key(name)
    seen: _Seen = {}
    for section in ("keywords", "negative"):
        for gi, group in _items(data.get(section)):
            if not isinstance(group, dict):
                continue
            scope = (key, _field_set(group))
            for ti, term in _items(group.get("terms")):
                line = _line(lines, (section, gi, "terms", ti))
                norm = _check_term(term, where, line, scope, seen, state)
                if norm and section == "keywords":
                    _check_cross_tag(norm, term, key, where, line, state)
    for pi, pattern in _items(data.get("patterns")):
        if isinstance(pattern, dict):
            _check_regex(pattern.get("regex"), where, _line(lines, ("patterns", pi, "regex")), state)


def _check_signals(where: str, data: dict, lines: dict, state: _CheckState) -> None:
    from ..engine.vocabulary import tag_key

    seen: _Seen = {}
    for si, signal in _items(data.get("signals")):
        if not isinstance(signal, dict):
            continue
        _check_vocab_tag(signal.get("tag"), where, _line(lines, ("signals", si, "tag")), state, "signal tag")
        scope = (tag_key(str(signal.get("tag", ""))), _field_set(signal))
        for ti, term in _items(signal.get("terms")):
            _check_term(term, where, _line(lines, ("signals", si, "terms", ti)), scope, seen, state)
        if "regex" in signal:
            _check_regex(signal.get("regex"), where, _line(lines, ("signals", si, "regex")), state)
    for fi, feature in _items(data.get("features")):
        if isinstance(feature, dict):
            _check_vocab_tag(feature.get("tag"), where, _line(lines, ("features", fi, "tag")), state, "feature tag")


def _items(value: Any) -> Iterable[tuple[int, Any]]:
    """Enumerate a list; anything else (a schema error, already reported) yields nothing."""
    return enumerate(value) if isinstance(value, list) else ()


#: (tag key, normalised term) -> where it was first seen in this file: (line, fields, term as written)
_Seen = dict[tuple[str, str], list[tuple[int, frozenset[str], str]]]


def _field_set(entry: dict) -> frozenset[str]:
    from ..engine.rules import ALL_FIELDS

    fields = entry.get("fields")
    return frozenset(f for f in fields if isinstance(f, str)) if isinstance(fields, list) and fields else ALL_FIELDS


def _check_term(term: Any, where: str, line: int, scope: tuple[str, frozenset[str]], seen: _Seen,
                state: _CheckState) -> str:
    """Report a term that can never match, matches nearly anything, or repeats within the file.

    A repeat is the same normalised term for the same tag in a field where the first one counts too:
    it fires twice. (signals.yaml may list ``crates.io`` for badges and again for links: not a repeat.)
    """
    from ..engine.normalise import normalise

    if not isinstance(term, str):
        return ""
    norm = normalise(term)
    add = state.findings.append
    if not norm:
        add(Finding(where, line, "error", f"term {term!r} normalises to nothing (spaces, '-' and '_' are "
                                          "folded away): it can never match"))
        return ""
    if len(norm) == 1 and norm.isascii():
        add(Finding(where, line, "warning", f"term {term!r} is a single ASCII character: it fires on every "
                                            "lone letter or digit"))
    tag, fields = scope
    earlier = next((e for e in seen.get((tag, norm), ()) if e[1] & fields), None)
    if earlier is not None:
        same = "" if earlier[2] == term else f", as {earlier[2]!r} once normalised"
        add(Finding(where, line, "warning", f"duplicate term {term!r} (line {earlier[0]}{same}): it counts twice"))
    seen.setdefault((tag, norm), []).append((line, fields, term))
    return norm


def _check_cross_tag(norm: str, term: str, key: str, where: str, line: int, state: _CheckState) -> None:
    first = state.keywords.get(norm)
    if first is None:
        state.keywords[norm] = (key, where, line)
    elif first[0] != key:
        state.findings.append(Finding(where, line, "warning", f"keyword term {term!r} is also a keyword of tag "
                                                              f"{first[0]!r} ({first[1]}:{first[2]})"))


def _check_regex(regex: Any, where: str, line: int, state: _CheckState) -> None:
    from ..engine.matcher import compile_pattern

    if not isinstance(regex, str) or not regex:
        return
    try:
        compile_pattern(regex, where)
    except HeuristagError as exc:
        state.findings.append(Finding(where, line, "error", exc.message))
        return
    if _has_uppercase_literal(regex):
        state.findings.append(Finding(where, line, "warning", f"pattern {regex[:60]!r} has upper-case letters, "
                                                              "but it runs on case-folded text: they never match"))


def _has_uppercase_literal(regex: str) -> bool:
    """Upper-case letters outside escapes (\\S, \\p{Han}) and group names, in a pattern without (?i)."""
    if "(?i" in regex:
        return False
    stripped = re.sub(r"\\[pP]\{[^}]*\}|\\[pP][A-Za-z]|\\.|\(\?P?<[^>]*>|\[\[:[a-z]+:\]\]", "", regex)
    return any("A" <= ch <= "Z" for ch in stripped)


def exit_code(findings: Sequence[Finding], strict: bool) -> int:
    if any(f.level == "error" for f in findings):
        return 2
    if strict and findings:
        return 1
    return 0


# ---------------------------------------------------------------- rules stats

@dataclass(frozen=True)
class RuleInfo:
    """A rule as the author wrote it (merged across layers): its tag, sign and terms."""

    name: str
    tag: str
    kind: str           # keywords, negative, pattern, signal, feature, name
    weight: float
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class TermStat:
    docs: int
    coverage: float
    precision: float
    lenient_precision: float

    def as_dict(self) -> dict[str, Any]:
        return {"docs": self.docs, "coverage": self.coverage, "precision": self.precision,
                "lenient_precision": self.lenient_precision}


@dataclass(frozen=True)
class RuleStat:
    """One rule over the bench: coverage, empirical precision, how often it decided its tag."""

    rule: str
    tag: str
    kind: str
    weight: float
    docs: int
    coverage: float
    precision: float
    lenient_precision: float
    decided: int
    decided_correct: int
    flags: tuple[str, ...]
    terms: tuple[tuple[str, TermStat], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "kind": self.kind, "weight": self.weight, "docs": self.docs,
                "coverage": self.coverage, "precision": self.precision,
                "lenient_precision": self.lenient_precision, "decided": self.decided,
                "decided_correct": self.decided_correct, "flags": list(self.flags),
                "terms": {t: s.as_dict() for t, s in self.terms}}


@dataclass
class _Tally:
    docs: int = 0
    tp: int = 0
    ltp: int = 0

    def add(self, in_gold: bool, in_lenient: bool) -> None:
        self.docs += 1
        self.tp += in_gold
        self.ltp += in_lenient


def known_rules(tagger: Tagger) -> dict[str, RuleInfo]:
    """Every rule that could fire for the tagger's vocabulary (rule-less tags: their own name)."""
    compiled = tagger.compiled_for(tagger.vocabulary)
    allowed = tagger.vocabulary.keys
    entry = compiled.entries  # scoring key -> the vocabulary's own key, which outcomes are in
    out: dict[str, RuleInfo] = {}
    for g in compiled.matcher.groups:
        kind = ("name" if g.source == "vocabulary" else "signal" if "/signal:" in g.name
                else "negative" if g.weight < 0 else "keywords")
        _add_rule(out, RuleInfo(g.name, entry.get(g.tag, g.tag), kind, g.weight, _normal_terms(g.terms)), allowed)
    for p, _rx in compiled.matcher.patterns:
        kind = "signal" if "/signal:" in p.name else "pattern"
        _add_rule(out, RuleInfo(p.name, entry.get(p.tag, p.tag), kind, p.weight, ()), allowed)
    for f in compiled.matcher.features:
        _add_rule(out, RuleInfo(f.name, entry.get(f.tag, f.tag), "feature", f.weight, (f.feature,)), allowed)
    return out


def _normal_terms(terms: Iterable[str]) -> tuple[str, ...]:
    from ..engine.normalise import normalise

    return tuple(dict.fromkeys(n for n in (normalise(t) for t in terms) if n))


def _add_rule(out: dict[str, RuleInfo], info: RuleInfo, allowed: frozenset[str]) -> None:
    if info.tag not in allowed:
        return
    old = out.get(info.name)
    if old is not None:  # the same name in two layers: one rule with both term lists
        info = RuleInfo(info.name, info.tag, old.kind, max(old.weight, info.weight, key=abs),
                        tuple(dict.fromkeys(old.terms + info.terms)))
    out[info.name] = info


def _deciding_rule(outcome: Outcome, key: str) -> str | None:
    """The rule with the largest (positive) contribution to a chosen tag; ties by rule name."""
    from .evaluate import rule_points

    ts = next((s for s in outcome.result.ranking.scores if s.tag == key), None) if outcome.result else None
    points = {r: p for r, p in rule_points(ts).items() if not r.endswith("/prior") and p > 0}
    if not points:
        return None
    return min(points, key=lambda r: (-points[r], r))


def rule_stats(outcomes: Sequence[Outcome], rules: dict[str, RuleInfo],
               broad: float = BROAD_DEFAULT) -> list[RuleStat]:
    """Tally every rule and term over the bench outcomes (failed records fire nothing)."""
    from ..engine.vocabulary import tag_key

    n = len(outcomes)
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    terms: dict[str, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    decided: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tag_of: dict[str, str] = {}
    for o in outcomes:
        if o.result is None:
            continue
        gold = {tag_key(t) for t in o.record.gold}
        lenient = gold | {tag_key(t) for t in o.record.also}
        fired: dict[str, set[str]] = defaultdict(set)
        for s in o.result.ranking.scores:
            for e in s.evidence:
                fired[e.rule].add(e.text.split("=", 1)[0] if e.field == "features" else e.text)
                tag_of.setdefault(e.rule, e.tag)
        for rule, texts in fired.items():
            tag = tag_of[rule]
            tallies[rule].add(tag in gold, tag in lenient)
            for t in texts:
                terms[rule][t].add(tag in gold, tag in lenient)
        for key in o.result.ranking.chosen:
            rule = _deciding_rule(o, key)
            if rule is not None:
                decided[rule][0] += 1
                decided[rule][1] += key in gold
                tag_of.setdefault(rule, key)
    names = sorted(set(rules) | set(tallies), key=lambda r: (rules[r].tag if r in rules else tag_of[r], r))
    return [_rule_stat(r, rules.get(r), tag_of.get(r, ""), tallies.get(r, _Tally()), terms.get(r, {}),
                       decided.get(r, [0, 0]), n, broad) for r in names]


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _rule_stat(name: str, info: RuleInfo | None, tag: str, t: _Tally, terms: dict[str, _Tally],
               decided: list[int], n: int, broad: float) -> RuleStat:
    coverage = _ratio(t.docs, n)
    flags = []
    if t.docs == 0:
        flags.append("never-fires")
    elif coverage > broad:
        flags.append("broad")
    term_stats = {term: TermStat(x.docs, _ratio(x.docs, n), _ratio(x.tp, x.docs), _ratio(x.ltp, x.docs))
                  for term, x in terms.items()}
    for term in info.terms if info else ():
        term_stats.setdefault(term, TermStat(0, 0.0, 0.0, 0.0))
    ordered = tuple(sorted(term_stats.items(), key=lambda kv: (-kv[1].docs, kv[0])))
    return RuleStat(rule=name, tag=info.tag if info else tag, kind=info.kind if info else "dynamic",
                    weight=info.weight if info else 0.0, docs=t.docs, coverage=coverage,
                    precision=_ratio(t.tp, t.docs), lenient_precision=_ratio(t.ltp, t.docs),
                    decided=decided[0], decided_correct=decided[1], flags=tuple(flags), terms=ordered)


def render_stats_text(bench: str, n: int, stats: Sequence[RuleStat], broad: float, terms_n: int) -> str:
    width = max([len(s.rule) for s in stats] + [4])
    broad_rules = [s for s in stats if "broad" in s.flags]
    dead = [s for s in stats if "never-fires" in s.flags]
    lines = [f"{bench}: {n} documents, {len(stats)} rules; {len(broad_rules)} fire on more than "
             f"{broad:.0%} of documents, {len(dead)} never fire",
             "precision: share of the documents a rule fires on whose gold (lenP: gold + gold_also) has its tag; "
             "a negative rule (sign -) wants it low",
             f"{'rule':<{width}}  sign  docs  cover    prec    lenP  decided  right  flags"]
    for s in stats:
        if s.docs == 0 and not s.decided:
            continue
        lines.append(f"{s.rule:<{width}}  {'-' if s.weight < 0 else '+':>4}  {s.docs:4d}  {s.coverage:.3f}  "
                     f"{s.precision:.4f}  {s.lenient_precision:.4f}  {s.decided:7d}  {s.decided_correct:5d}  "
                     f"{' '.join(s.flags)}".rstrip())
        fired = [(t, x) for t, x in s.terms if x.docs][:terms_n]
        if fired and terms_n > 0:
            shown = ", ".join(f"{t!r} {x.docs} ({x.precision:.2f})" for t, x in fired)
            lines.append(f"{'':<{width}}    terms: {shown}")
    if broad_rules:
        lines += ["", f"broad rules (fire on more than {broad:.0%} of documents):"]
        lines += [f"  {s.rule}  {s.coverage:.1%}  precision {s.precision:.4f}" for s in broad_rules]
    if dead:
        lines += ["", f"rules that never fire ({len(dead)}):"]
        lines += [f"  {s.rule}" for s in dead]
    return "\n".join(lines)


def stats_json(n: int, stats: Sequence[RuleStat], broad: float) -> dict[str, Any]:
    return {"docs": n, "broad_threshold": broad, "rules": {s.rule: s.as_dict() for s in stats},
            "broad": [s.rule for s in stats if "broad" in s.flags],
            "never_fired": [s.rule for s in stats if "never-fires" in s.flags]}


# ---------------------------------------------------------------- the commands

def register(sub: Any) -> None:
    from ..commands import add_encoding_option, add_rule_options, examples
    from .evaluate import add_bench_arguments
    from .shadows import run_shadows

    p = sub.add_parser("rules", help="tools for rule authors: check rule files, measure rules on a bench",
                       **examples("heuristag rules check my_rules --strict",
                                  "heuristag rules stats ../shared/bench/dev.jsonl --rules my_rules",
                                  "heuristag rules schema > schema.json"))
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION", parser_class=type(p))
    rsub.required = True

    c = rsub.add_parser("check", help="validate rule files: schema, vocabulary, terms, patterns", **examples(
        "heuristag rules check                              # the built-in pack",
        "heuristag rules check my_rules --tags my_tags.json --strict",
        "heuristag rules check my_rules/tags/cli.yaml       # one file"))
    c.add_argument("dirs", nargs="*", metavar="DIR", help="rule folders or files (default: the built-in pack)")
    c.add_argument("--tags", metavar="VOCAB", help="vocabulary to check tags and ids against (default: built-in)")
    c.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    add_encoding_option(c)
    c.set_defaults(func=run_check)

    s = rsub.add_parser("stats", help="coverage, empirical precision and decisions of every rule on a gold bench",
                        **examples("heuristag rules stats ../shared/bench/dev.jsonl",
                                   "heuristag rules stats dev.jsonl --rules my_rules --broad 0.2 --terms 10",
                                   "heuristag rules stats dev.jsonl --json > stats.json"))
    add_bench_arguments(s, several=False)
    s.add_argument("--json", action="store_true", help="machine-readable statistics")
    s.add_argument("--broad", type=float, default=BROAD_DEFAULT, metavar="SHARE",
                   help=f"flag rules firing on more than this share of documents (default {BROAD_DEFAULT})")
    s.add_argument("--terms", type=int, default=TERMS_DEFAULT, metavar="N",
                   help=f"terms shown per rule in the text output (default {TERMS_DEFAULT})")
    s.set_defaults(func=run_stats)

    h = rsub.add_parser("shadows", help="terms that hide another tag's shorter term (the longest match wins)",
                        **examples("heuristag rules shadows --tag ui        # what hides ui's terms, what ui's hide",
                                   "heuristag rules shadows --rules my_rules --json",
                                   "heuristag rules shadows --tags my_tags.json"))
    add_rule_options(h)
    h.add_argument("--tag", metavar="TAG", help="only the pairs where this tag hides or is hidden")
    h.add_argument("--json", action="store_true", help="a JSON list of {term, tags, hides, of}")
    h.set_defaults(func=run_shadows)

    m = rsub.add_parser("schema", help="print the JSON Schema of rule files, for an editor's YAML completion",
                        **examples("heuristag rules schema > my_rules/schema.json   # then start a rule file with:",
                                   "# yaml-language-server: $schema=../schema.json",
                                   "heuristag rules check my_rules --strict          # the same schema, checked"))
    m.set_defaults(func=run_schema)


def run_schema(args: argparse.Namespace) -> int:
    """The schema the loader validates against, byte for byte: what ships is what is checked."""
    import sys

    from ..engine.rules import builtin_dir

    sys.stdout.buffer.write((builtin_dir() / "schema.json").read_bytes())
    sys.stdout.buffer.flush()
    return 0


def _vocabulary(path: str | None, encoding: str | None) -> Vocabulary:
    from ..engine.vocabulary import builtin_vocabulary, load_vocabulary_file

    return load_vocabulary_file(path, encoding) if path else builtin_vocabulary()


def run_check(args: argparse.Namespace) -> int:
    import sys

    from ..engine.rules import builtin_dir

    dirs = args.dirs or [builtin_dir()]
    findings = sorted(check_paths(dirs, _vocabulary(args.tags, args.encoding)), key=_finding_order)
    for f in findings:
        print(f)
    errors = sum(f.level == "error" for f in findings)
    print(f"heuristag: rules check: {errors} error(s), {len(findings) - errors} warning(s)", file=sys.stderr)
    return exit_code(findings, args.strict)


def _finding_order(f: Finding) -> tuple:
    return (f.path, f.line, f.level, f.message)


def run_stats(args: argparse.Namespace) -> int:
    import sys

    from ..commands import make_tagger
    from .evaluate import load_bench, run_bench

    if not 0.0 <= args.broad <= 1.0:
        raise HeuristagError("--broad", f"must be a share between 0 and 1, got {args.broad}")
    records = load_bench(args.bench, args.encoding)
    tagger = make_tagger(args)
    outcomes = run_bench(tagger, records, args.bench)
    stats = rule_stats(outcomes, known_rules(tagger), args.broad)
    if args.json:
        print(json.dumps(stats_json(len(outcomes), stats, args.broad), ensure_ascii=False, indent=1))
    else:
        print(render_stats_text(args.bench, len(outcomes), stats, args.broad, args.terms))
    for o in outcomes:
        if o.error:
            print(f"heuristag: warning: {o.record.label}: {o.error} (counted as firing nothing)", file=sys.stderr)
    return 0
