"""`heuristag vocab check VOCAB`: how each name of a vocabulary aligns to the pack's concepts, and why.

A caller's tag list borrows the rules of the concepts its names align to (heuristag/align.py). This
command shows that mapping before any document is tagged: one line per entry (the concept and the
evidence, or "name only"), then warnings for names that will score alike. A malformed vocabulary is
a one-line error (exit 2); warnings exit 1 with ``--strict``, as ``rules check`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from typing import Any

from ..engine.align import NAME_ONLY, VocabularyAlignment, normal_form


def alignment_warnings(alignment: VocabularyAlignment) -> list[str]:
    """Names that share a concept, and name-only names that are one name spelled two ways."""
    out = alignment.warnings()
    spelled: dict[str, list[str]] = {}
    for a in alignment.entries:
        if a.concept is None:
            spelled.setdefault(normal_form(a.name), []).append(a.name)
    out += [f"{', '.join(repr(n) for n in names)} are one name spelled {len(names)} ways: they will score alike"
            for names in spelled.values() if len(names) > 1]
    return out


def _cells(text: str) -> int:
    """Terminal columns: CJK characters take two, so the arrows line up under Chinese names too."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_text(alignment: VocabularyAlignment) -> list[str]:
    width = min(30, max((_cells(a.name) for a in alignment.entries), default=0))
    lines = []
    for a in alignment.entries:
        pad = " " * max(0, width - _cells(a.name))
        if a.concept is None:
            lines.append(f"{a.name}{pad}  -> {NAME_ONLY}")
            continue
        detail = f" {a.matched!r}" if a.matched and a.how != "name" else ""
        lines.append(f"{a.name}{pad}  -> {a.concept:<20} ({a.how}{detail})")
    return lines


def register(sub: Any) -> None:
    from ..commands import add_encoding_option, add_rule_options, examples

    p = sub.add_parser("vocab", help="tools for vocabularies: how their names align to the pack's concepts",
                       **examples("heuristag vocab check my_tags.json",
                                  "heuristag vocab check topics.txt --rules my_rules --strict"))
    vsub = p.add_subparsers(dest="vocab_command", metavar="ACTION", parser_class=type(p))
    vsub.required = True
    c = vsub.add_parser("check", help="print the concept each name aligned to and why, or 'name only'", **examples(
        "heuristag vocab check my_tags.json                  # one line per name: concept (how 'matched')",
        "heuristag vocab check topics.txt --rules my_rules   # with your own concepts layered in",
        "heuristag vocab check tags.yaml --json --strict     # machine-readable; exit 1 on warnings"))
    c.add_argument("vocabulary", metavar="VOCAB",
                   help="vocabulary file: JSON list of {id, name[, description, aliases]}, YAML list, "
                        "or one name a line")
    add_rule_options(c, tags=False)
    c.add_argument("--json", action="store_true", help="one JSON object: alignments and warnings")
    c.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    add_encoding_option(c)
    c.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from ..engine.tagger import Tagger
    from ..engine.vocabulary import load_vocabulary_file

    vocabulary = load_vocabulary_file(args.vocabulary, args.encoding)
    tagger = Tagger(rules_dirs=args.rules, builtin_rules=not args.no_builtin_rules, vocabulary=vocabulary)
    alignment = tagger.alignment_for(vocabulary)
    warnings = alignment_warnings(alignment)
    if args.json:
        print(json.dumps({"alignments": [a.as_dict() for a in alignment.entries], "warnings": warnings},
                         ensure_ascii=False, indent=1))
    else:
        print("\n".join(render_text(alignment)))
        for w in warnings:
            print(f"heuristag: warning: {args.vocabulary}: {w}", file=sys.stderr)
    aligned = sum(a.concept is not None for a in alignment.entries)
    print(f"heuristag: vocab check: {aligned} of {len(alignment.entries)} name(s) aligned to a concept, "
          f"{len(warnings)} warning(s)", file=sys.stderr)
    return 1 if warnings and args.strict else 0
