"""Rule files: load YAML safely, validate with file:line:key errors, and layer user rules over built-ins."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .builtin import builtin_dir
from .calibrate import Calibration, parse_calibration
from .document import _BOILERPLATE_DEFAULT, FIELDS
from .errors import HeuristagError
from .normalise import normalise
from .vocabulary import tag_key

ALL_FIELDS = frozenset(FIELDS)
#: Where a keyword counts when its group names no fields: prose, not code or URLs, where words such as
#: "database" or "android" appear as configuration keys and paths far more than as the subject.
DEFAULT_FIELDS = ALL_FIELDS - {"code", "links"}
MAX_PATTERN_CHARS = 1000
#: The keys of a file that is not a tag file: signals.yaml, relations.yaml.
SETTINGS_KEYS = ("signals", "features", "field_weights", "scoring", "boilerplate_headings", "stand_in",
                 "feature_clauses")

#: The one set of defaults: a pack that leaves out ``field_weights`` or ``scoring`` gets exactly these,
#: which are also the built-in pack's values (docs/RULES_GUIDE.md tabulates them; a test keeps the three equal).
DEFAULT_FIELD_WEIGHTS = MappingProxyType({
    "title": 4.0, "description": 3.0, "headings": 0.5, "badges": 0.7, "links": 0.7, "code": 0.7, "body": 0.5,
})
DEFAULT_SCORING = MappingProxyType({
    "threshold": 4.0,        # score a tag needs to be chosen, unless its file says otherwise
    "relative_cut": 0.3,     # drop tags scoring below this share of the best tag
    "repeat_bonus": 0.25,    # a group seen n times in a field counts (1 + bonus * ln n) times
    "body_cap": 8.0,         # saturation of each field's summed weight (before the field weight)
    "field_cap": 8.0,
    "fallback": 0.4,         # when no tag reaches its threshold, the best one may still answer at this share of it
    "fallback_alone": 0.5,   # ... or at this share when its evidence is one rule in one place
    "kind_cut": 0.4,         # a kind tag (kind: true) needs this share of the best kind tag's score
})


@dataclass(frozen=True)
class TermGroup:
    """Synonyms that vote for one tag with one weight in some fields (negative weight: against)."""

    tag: str            # tag key
    name: str           # "database/core": shown by explain and stats
    terms: tuple[str, ...]
    weight: float
    fields: frozenset[str] = ALL_FIELDS
    source: str = ""
    needs_support: bool = False   # a generic word: counts only beside other evidence (scorer.supported)


@dataclass(frozen=True)
class PatternRule:
    tag: str
    name: str
    regex: str
    weight: float
    fields: frozenset[str] = ALL_FIELDS
    source: str = ""


@dataclass(frozen=True)
class FeatureRule:
    """A document count within [min, max] (features of Document) votes for a tag."""

    tag: str
    name: str
    feature: str
    weight: float
    min: float | None = None
    max: float | None = None
    source: str = ""


@dataclass(frozen=True)
class TagRules:
    tag: str                      # key
    name: str                     # as written in the file
    id: int | None = None
    threshold: float | None = None
    prior: float = 0.0
    groups: tuple[TermGroup, ...] = ()
    patterns: tuple[PatternRule, ...] = ()
    implied_by: tuple[tuple[str, float], ...] = ()   # (other tag key, share of its score)
    suppressed_by: tuple[tuple[str, float], ...] = ()  # (competing tag key, share subtracted)
    source: str = ""
    aliases: tuple[str, ...] = ()  # other names of the concept (any language): what vocabularies align on
    kind: bool = False            # answers what the repository IS (a library, a CLI, an app), not what it is about


@dataclass(frozen=True)
class RuleSet:
    """Every rule in force, immutable; compiled once by the matcher and reused for every document."""

    tags: Mapping[str, TagRules] = field(default_factory=lambda: MappingProxyType({}))
    signals: tuple[TermGroup | PatternRule, ...] = ()
    features: tuple[FeatureRule, ...] = ()
    field_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_FIELD_WEIGHTS)
    scoring: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SCORING)
    boilerplate_headings: tuple[str, ...] = _BOILERPLATE_DEFAULT
    sources: tuple[str, ...] = ()
    needs_support: frozenset[str] = frozenset()   # names of the groups marked needs_support
    kinds: frozenset[str] = frozenset()           # keys of the tags marked kind: true
    #: (concept, other concept, share): the concept's keywords may stand in for the other's when a
    #: vocabulary has the other but not it (heuristag/relabel.py); sorted, later layers override.
    stand_ins: tuple[tuple[str, str, float], ...] = ()
    calibration: Calibration | None = None   # score -> P(right), fitted by `heuristag tune` (calibrate.py)
    #: (regex, source file): a description's feature clauses, whose hits weigh ``feature_clause_share``
    feature_clauses: tuple[tuple[str, str], ...] = ()
    feature_clause_share: float = 1.0

    def all_groups(self) -> Iterable[TermGroup]:
        for key in sorted(self.tags):
            yield from self.tags[key].groups
        yield from (s for s in self.signals if isinstance(s, TermGroup))

    def all_patterns(self) -> Iterable[PatternRule]:
        for key in sorted(self.tags):
            yield from self.tags[key].patterns
        yield from (s for s in self.signals if isinstance(s, PatternRule))

    def threshold(self, tag: str) -> float:
        rules = self.tags.get(tag)
        if rules is not None and rules.threshold is not None:
            return rules.threshold
        return float(self.scoring["threshold"])


# ---------------------------------------------------------------- validation

@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads((builtin_dir() / "schema.json").read_text("utf-8"))


def validate(data: Any, lines: dict[tuple, int], where: str) -> list[HeuristagError]:
    """Schema errors as HeuristagErrors naming file:line and the key path."""
    import jsonschema  # lazy: only user rule files and `rules check` pay for it

    validator = jsonschema.Draft202012Validator(schema())
    errors: list[HeuristagError] = []
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted((k for k in err.instance if k not in allowed), key=repr):
                errors.append(HeuristagError(_place(where, lines, path + (extra,)),
                                             f"{_dotted(path + (extra,))}: unknown key"))
            continue
        message = err.message if len(err.message) < 160 else err.message[:157] + "..."
        errors.append(HeuristagError(_place(where, lines, path), f"{_dotted(path) or 'document'}: {message}"))
    return errors


def _place(where: str, lines: dict[tuple, int], path: tuple) -> str:
    from .yamlload import line_of

    line = line_of(lines, path)
    return f"{where}:{line}" if line else where


def _dotted(path: tuple) -> str:
    """``keywords[0].weight``; a key that is not printable text (a YAML key spanning lines) is quoted,
    so the message stays one line."""
    out = ""
    for p in path:
        key = p if isinstance(p, str) and p.isprintable() else repr(p)
        out += f"[{p}]" if isinstance(p, int) else (f".{key}" if out else key)
    return out


# ---------------------------------------------------------------- loading

def read_rule_file(path: Path, text: str | None = None, check: bool = True) -> tuple[dict[str, Any], dict]:
    """Parse and (optionally) schema-check one rule file; raise the first error."""
    where = str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise HeuristagError(where, "rule file is not UTF-8") from None
        except OSError as exc:
            raise HeuristagError(where, f"cannot read: {exc.strerror or exc}") from None
    from .yamlload import load_yaml  # lazy: the built-in pack usually comes from the parsed-rules cache

    data, lines = load_yaml(text, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise HeuristagError(f"{where}:1", f"a rule file must be a mapping of keys, got {type(data).__name__}")
    if check:
        errors = validate(data, lines, where)
        if errors:
            raise errors[0]
        check_patterns(data, lines, where)
    return data, lines


def check_patterns(data: dict[str, Any], lines: dict[tuple, int], where: str) -> None:
    """Compile every regex of a user file now, so a bad one is reported at its file:line and key."""
    from .matcher import compile_pattern  # lazy: matcher imports this module

    for section in ("patterns", "signals"):
        for i, entry in enumerate(data.get(section) or ()):
            if isinstance(entry, dict) and isinstance(entry.get("regex"), str):
                path = (section, i, "regex")
                compile_pattern(entry["regex"], f"{_place(where, lines, path)}: {_dotted(path)}")


def _fields(entry: dict[str, Any]) -> frozenset[str]:
    return frozenset(entry["fields"]) if entry.get("fields") else DEFAULT_FIELDS


def _groups(tag: str, entries: list[dict[str, Any]], kind: str, source: str, sign: float) -> tuple[TermGroup, ...]:
    out = []
    for i, e in enumerate(entries or ()):
        label = e.get("name") or f"{kind}{i + 1}"
        out.append(TermGroup(tag=tag, name=f"{tag}/{'-' if sign < 0 else ''}{label}",
                             terms=tuple(str(t) for t in e["terms"]), weight=sign * float(e["weight"]),
                             fields=_fields(e), source=source, needs_support=bool(e.get("needs_support"))))
    return tuple(out)


def _relation(data: dict[str, Any], key: str, source: str) -> tuple[tuple[str, float], ...]:
    """``implied_by``/``suppressed_by`` as sorted (tag key, share); a key YAML read as null or a number is an error."""
    pairs = (data.get(key) or {}).items()
    for k, _ in pairs:
        if not isinstance(k, str):
            raise HeuristagError(source, f"{key}: tag names must be text, got {k!r}")
    return tuple(sorted((tag_key(k), float(v)) for k, v in pairs))


def tag_rules_from(data: dict[str, Any], source: str) -> TagRules:
    if "tag" not in data:
        raise HeuristagError(source, "a tag rule file needs a 'tag' key")
    name = str(data["tag"])
    key = tag_key(name)
    groups = _groups(key, data.get("keywords") or [], "keywords", source, 1.0)
    groups += _groups(key, data.get("negative") or [], "negative", source, -1.0)
    patterns = tuple(
        PatternRule(tag=key, name=f"{key}/{p.get('name') or f'pattern{i + 1}'}", regex=p["regex"],
                    weight=float(p["weight"]), fields=_fields(p), source=source)
        for i, p in enumerate(data.get("patterns") or ())
    )
    implied = _relation(data, "implied_by", source)
    suppressed = _relation(data, "suppressed_by", source)
    aliases = tuple(str(a) for a in data.get("aliases") or ())
    return TagRules(tag=key, name=name, id=data.get("id"), threshold=data.get("threshold"),
                    prior=float(data.get("prior", 0.0)), groups=groups, patterns=patterns,
                    implied_by=implied, suppressed_by=suppressed, source=source, aliases=aliases,
                    kind=bool(data.get("kind", False)))


def _apply_signals(rs: RuleSet, data: dict[str, Any], source: str) -> RuleSet:
    signals: list[TermGroup | PatternRule] = list(rs.signals)
    for i, s in enumerate(data.get("signals") or ()):
        key = tag_key(s["tag"])
        label = f"signal:{s.get('name') or i + 1}"
        if "terms" in s:
            signals.append(TermGroup(tag=key, name=f"{key}/{label}", terms=tuple(map(str, s["terms"])),
                                     weight=float(s["weight"]), fields=_fields(s), source=source,
                                     needs_support=bool(s.get("needs_support"))))
        else:
            signals.append(PatternRule(tag=key, name=f"{key}/{label}", regex=s["regex"],
                                       weight=float(s["weight"]), fields=_fields(s), source=source))
    features = list(rs.features)
    for f in data.get("features") or ():
        key = tag_key(f["tag"])
        features.append(FeatureRule(tag=key, name=f"{key}/feature:{f.get('name') or f['feature']}",
                                    feature=f["feature"], weight=float(f["weight"]), min=f.get("min"),
                                    max=f.get("max"), source=source))
    field_weights = dict(rs.field_weights)
    for k, v in (data.get("field_weights") or {}).items():
        if k not in ALL_FIELDS:
            raise HeuristagError(source, f"field_weights.{k}: unknown field (known: {', '.join(FIELDS)})")
        field_weights[k] = float(v)
    scoring = dict(rs.scoring)
    for k, v in (data.get("scoring") or {}).items():
        if k not in DEFAULT_SCORING:
            raise HeuristagError(source, f"scoring.{k}: unknown setting (known: {', '.join(DEFAULT_SCORING)})")
        scoring[k] = float(v)
    stand_ins = {(a, b): share for a, b, share in rs.stand_ins}
    for concept, others in (data.get("stand_in") or {}).items():
        for other, share in (others or {}).items():
            if not isinstance(concept, str) or not isinstance(other, str):
                raise HeuristagError(source, f"stand_in: concept names must be text, got {concept!r}: {other!r}")
            stand_ins[(tag_key(concept), tag_key(other))] = float(share)
    clauses = data.get("feature_clauses") or {}
    added = tuple((str(r), source) for r in clauses.get("patterns") or ())
    rs = replace(rs, feature_clauses=rs.feature_clauses + added,
                 feature_clause_share=float(clauses.get("share", rs.feature_clause_share)))
    boiler = rs.boilerplate_headings
    if data.get("boilerplate_headings"):
        boiler = tuple(dict.fromkeys(boiler + tuple(normalise(h) for h in data["boilerplate_headings"])))
    return replace(rs, signals=tuple(signals), features=tuple(features),
                   field_weights=MappingProxyType(field_weights), scoring=MappingProxyType(scoring),
                   boilerplate_headings=boiler, stand_ins=tuple(sorted((a, b, v) for (a, b), v in stand_ins.items())))


def _merge_tag(old: TagRules | None, new: TagRules, mode: str) -> TagRules:
    if old is None or mode == "replace":
        return new
    return replace(old, threshold=new.threshold if new.threshold is not None else old.threshold,
                   prior=new.prior if new.prior else old.prior, id=new.id if new.id is not None else old.id,
                   groups=old.groups + new.groups, patterns=old.patterns + new.patterns,
                   implied_by=tuple(sorted(dict(old.implied_by + new.implied_by).items())),
                   suppressed_by=tuple(sorted(dict(old.suppressed_by + new.suppressed_by).items())),
                   source=f"{old.source}+{new.source}", aliases=tuple(dict.fromkeys(old.aliases + new.aliases)),
                   kind=new.kind or old.kind)


def rule_files(directory: Path) -> list[Path]:
    """A rules folder: signals.yaml and tag files in it or in its tags/ subfolder, sorted by name."""
    if not directory.exists():
        raise HeuristagError(str(directory), "no such rules folder")
    if directory.is_file():
        return [directory]
    files = sorted(p for p in directory.glob("*.yaml") if p.is_file())
    files += sorted(p for p in (directory / "tags").glob("*.yaml") if p.is_file())
    files += sorted(p for p in directory.glob("*.yml") if p.is_file())
    files += sorted(p for p in (directory / "tags").glob("*.yml") if p.is_file())
    return files


def concept_files(directory: Path) -> list[Path]:
    """A rules folder's concepts/ subfolder: concepts beyond the seed's tags, loaded like tag files.

    Kept apart from tags/ so that `rules check` against one vocabulary does not call them unknown;
    only the concepts a vocabulary aligns to ever take part in matching.
    """
    folder = directory / "concepts"
    if not directory.is_dir() or not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def _cache_dir() -> Path | None:
    if os.environ.get("HEURISTAG_NO_CACHE"):
        return None
    base = os.environ.get("HEURISTAG_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "heuristag")
    return Path(base)


@lru_cache(maxsize=1)
def _reader_code() -> bytes:
    """The code that turns rule files into data, part of the cache key: another version of heuristag
    sharing the cache folder never reads data this one parsed differently."""
    here = Path(__file__).parent
    return b"".join((here / name).read_bytes() for name in ("rules.py", "yamlload.py"))


def parse_trusted(files: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Parse the built-in pack, through a JSON cache keyed by the files' exact bytes.

    YAML parsing is most of a cold start (~0.1 s for 90 files); the parsed data, as plain JSON,
    loads in a few milliseconds. The key is a hash of every file's name and content and of the reading
    code, so an edited rule (or another heuristag) is never served stale; a cache that cannot be read
    or written is simply not used.
    """
    blobs = [(p, p.read_bytes()) for p in files]
    digest = hashlib.sha256(_reader_code())
    for p, blob in blobs:
        digest.update(f"{p.parent.name}/{p.name}".encode() + b"\0" + blob + b"\0")
    cache = _cache_dir()
    target = cache / f"rules-{digest.hexdigest()[:32]}.json" if cache else None
    if target is not None and target.is_file():
        try:
            stored = json.loads(target.read_text(encoding="utf-8"))
            return [(p, data) for p, data in zip(files, stored, strict=True)]
        except (OSError, ValueError):
            pass
    parsed = [(p, read_rule_file(p, blob.decode("utf-8"), check=False)[0]) for p, blob in blobs]
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps([d for _, d in parsed], ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, target)
        except OSError:
            pass
    return parsed


def add_layer(rs: RuleSet, files: Iterable[Path], check: bool = True) -> RuleSet:
    """Layer rule files over a rule set: a tag file extends that tag's rules (or replaces them)."""
    files = list(files)
    if not check:
        try:
            return _layer(rs, parse_trusted(files))
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # an edited built-in file the schema would refuse: check it, for the one-line error at its line
    return _layer(rs, ((p, read_rule_file(p, check=True)[0]) for p in files))


def _layer(rs: RuleSet, parsed: Iterable[tuple[Path, dict[str, Any]]]) -> RuleSet:
    tags = dict(rs.tags)
    sources = list(rs.sources)
    for path, data in parsed:
        source = str(path)
        sources.append(source)
        if "tag" in data:
            new = tag_rules_from(data, source)
            tags[new.tag] = _merge_tag(tags.get(new.tag), new, data.get("mode", "extend"))
            continue
        signals = any(k in data for k in SETTINGS_KEYS)
        if signals:
            rs = _apply_signals(rs, data, source)
        if "calibration" in data:
            rs = replace(rs, calibration=parse_calibration(data["calibration"], source))
        elif data and not signals:
            raise HeuristagError(f"{source}:1", "neither a tag file (no 'tag' key) nor a signals file")
    rs = replace(rs, tags=MappingProxyType(dict(sorted(tags.items()))), sources=tuple(sources))
    return replace(rs, needs_support=frozenset(g.name for g in rs.all_groups() if g.needs_support),
                   kinds=frozenset(k for k, t in rs.tags.items() if t.kind))


def load_rules(extra_dirs: Iterable[str | Path] = (), builtin: bool = True) -> RuleSet:
    """The rule set in force: built-in rules (trusted, checked by the test suite) plus user layers (checked)."""
    rs = RuleSet()
    if builtin:
        rs = add_layer(rs, rule_files(builtin_dir()) + concept_files(builtin_dir()), check=False)
    for d in extra_dirs:
        rs = add_layer(rs, rule_files(Path(d)) + concept_files(Path(d)), check=True)
    return rs
