"""The `tag` and `explain` sub-commands: one README or prompt in, the expected JSON (and why) out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .engine.errors import require_positive
from .engine.request import DEFAULT_MAX_TAGS, Request, from_prompt, from_readme, looks_like_prompt
from .engine.result import FORMATS
from .engine.textio import read_text_file


def examples(*lines: str) -> dict[str, Any]:
    """``add_parser`` keywords that end a command's --help with worked examples, kept as written."""
    return {"epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def add_rule_options(p: argparse.ArgumentParser, tags: bool = True) -> None:
    p.add_argument("--rules", action="append", default=[], metavar="DIR",
                   help="a folder (or file) of YAML rules layered over the built-in ones; repeatable")
    p.add_argument("--no-builtin-rules", action="store_true", help="use only the --rules given")
    if tags:
        p.add_argument("--tags", metavar="VOCAB", help="vocabulary file: JSON list of {id, name}, YAML list, "
                                                       "or one name per line (default: the built-in 90 tags)")
    from .engine.parsers import add_parser_option

    add_parser_option(p)


def encoding_name(value: str) -> str:
    """argparse type for --encoding: an unknown codec is a usage error before any file is read."""
    from .engine.errors import HeuristagError
    from .engine.textio import check_encoding

    try:
        return check_encoding(value, "--encoding")
    except HeuristagError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def add_encoding_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoding", type=encoding_name, default=None, metavar="NAME",
                   help="read input files (and --tags) in this encoding, e.g. latin-1, gbk, shift_jis "
                        "(default: UTF-8 or UTF-16 with a BOM, else a legacy CJK/Windows-1252 encoding only "
                        "when detection is sure)")


def add_confidence_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--confidence", action="store_true",
                   help='add "confidence": {tag name: P(right)} beside "tags" (the pack\'s calibration from '
                        "`heuristag tune`, else score / (score + threshold))")


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a README or a seed-style prompt ('-' for stdin)")
    p.add_argument("--description", default="", help="the repository's one-line description")
    p.add_argument("--id", dest="ident", default=None,
                   help="the id to echo (a number stays a number); default: a prompt's own id, else the file "
                        "name as given ('-' for stdin)")
    p.add_argument("--max-tags", type=int, default=None, help=f"at most N tags (default {DEFAULT_MAX_TAGS}, "
                                                               "or the prompt's N)")
    p.add_argument("--prompt", choices=("auto", "yes", "no"), default="auto",
                   help="treat the input as a seed-style prompt (default: detect)")
    add_encoding_option(p)


def register(sub: Any) -> None:
    p = sub.add_parser("tag", help="tag one README or prompt and print the expected JSON", **examples(
        "heuristag tag examples/prompt.txt                   # a seed-style prompt: id, N, vocabulary inside",
        "heuristag tag README.md --description 'Fast JSON parser' --id 42 --format names",
        "curl -s https://.../README.md | heuristag tag - --tags my_tags.json --max-tags 5"))
    add_input_options(p)
    add_rule_options(p)
    p.add_argument("--format", choices=FORMATS, default="objects", help="tags as vocabulary objects, ids or names")
    p.add_argument("--explain", action="store_true", help="also print the evidence (to stderr)")
    add_confidence_option(p)
    p.set_defaults(func=run_tag)

    e = sub.add_parser("explain", help="show every chosen tag and the best runners-up with their evidence", **examples(
        "heuristag explain examples/README.md                # chosen tags, runners-up, the evidence of each",
        "heuristag explain README.md --runners-up 10 --json  # a \"reason\" per tag: chosen, or why not",
        "heuristag explain README.md --rules my_rules --why database  # one tag: chosen, or why not"))
    add_input_options(e)
    add_rule_options(e)
    e.add_argument("--json", action="store_true", help="machine-readable evidence")
    e.add_argument("--runners-up", type=int, default=3, help="how many tags below the chosen to show")
    e.add_argument("--why", metavar="TAG", default=None,
                   help="show only this tag, chosen or not, with the reason (below threshold, below relative_cut, "
                        "beyond max tags, chosen by fallback, no evidence, not in vocabulary)")
    e.set_defaults(func=run_explain)


def make_tagger(args: argparse.Namespace):
    from .engine.tagger import Tagger
    from .engine.vocabulary import load_vocabulary_file

    encoding = getattr(args, "encoding", None)
    vocabulary = load_vocabulary_file(args.tags, encoding) if getattr(args, "tags", None) else None
    return Tagger(rules_dirs=args.rules, builtin_rules=not args.no_builtin_rules, vocabulary=vocabulary,
                  parser=getattr(args, "parser", None))


def parse_id(raw: str | None, fallback: str) -> Any:
    """``--id 42`` is the number 42, ``--id '"42"'`` the string; no --id: the file name."""
    if raw is None:
        return fallback
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else raw


def build_request(args: argparse.Namespace, tagger: Any) -> Request:
    text = read_text_file(args.file, args.encoding)
    where = "<stdin>" if args.file == "-" else args.file
    is_prompt = args.prompt == "yes" or (args.prompt == "auto" and looks_like_prompt(text))
    if is_prompt:
        req = from_prompt(text, where)
        changes: dict[str, Any] = {}
        if args.ident is not None:
            changes["id"] = parse_id(args.ident, where)
        if args.description:
            changes["description"] = args.description
        if args.max_tags is not None:
            changes["max_tags"] = _max_tags(args.max_tags, len(req.vocabulary or tagger.vocabulary))
        if getattr(args, "tags", None):
            changes["vocabulary"] = tagger.vocabulary
        if changes:
            from dataclasses import replace

            req = replace(req, **changes)
        return req
    max_tags = DEFAULT_MAX_TAGS if args.max_tags is None else args.max_tags
    fallback = "-" if args.file == "-" else args.file
    return from_readme(text, description=args.description, id=parse_id(args.ident, fallback),
                       vocabulary=tagger.vocabulary, max_tags=_max_tags(max_tags, len(tagger.vocabulary)))


def _max_tags(n: int, size: int) -> int:
    require_positive("--max-tags", n)
    return min(n, size)


def unused_rule_warnings(tagger: Any, vocabulary: Any, rule_dirs: list[str]) -> list[str]:
    """Warnings for rules in the user's --rules folders that cannot take effect with this vocabulary.

    A rule file for a tag the vocabulary lacks (a typo, or another vocabulary's tag) is ignored by
    the scorer; saying so, with the file and the tag, beats a silent no-op. Built-in rules are
    written for the built-in vocabulary and are not checked here.
    """
    from pathlib import Path

    from .engine.rules import rule_files

    user = {str(f) for d in rule_dirs for f in rule_files(Path(d))}
    concepts = tagger.alignment_for(vocabulary).concepts
    out: list[str] = []
    for rules in tagger.rules.tags.values():
        parts = rules.source.split("+")
        mine = [src for src in parts if src in user]
        if not mine:
            continue
        tag = vocabulary.get(rules.tag)
        if tag is None and rules.tag not in concepts:
            out.append(f"{mine[-1]}: rules for tag {rules.name!r}, which the vocabulary does not have: ignored")
        elif tag is not None and tag.id is not None and len(mine) == len(parts) and rules.id not in (None, tag.id):
            out.append(f"{mine[-1]}: tag {rules.name!r} has id {rules.id} here but {tag.id!r} in the vocabulary, "
                       "which wins")
    for rule in (*tagger.rules.signals, *tagger.rules.features):
        if rule.source in user and rule.tag not in vocabulary:
            out.append(f"{rule.source}: {rule.name!r} is for tag {rule.tag!r}, which the vocabulary does not "
                       "have: ignored")
    return list(dict.fromkeys(out))


def _warn(args: argparse.Namespace, tagger: Any, request: Request, truncated: bool) -> None:
    """Warnings go to stderr, one line each; the answer on stdout is unaffected (exit 0)."""
    from .engine.document import MAX_README_CHARS, MAX_README_LINES

    lines = unused_rule_warnings(tagger, request.vocabulary or tagger.vocabulary, args.rules) if args.rules else []
    if truncated:
        lines.append(f"{args.file}: README analysed up to its first {MAX_README_CHARS:,} characters "
                     f"or {MAX_README_LINES:,} lines")
    for line in lines:
        print(f"heuristag: warning: {line}", file=sys.stderr)


def run_tag(args: argparse.Namespace) -> int:
    tagger = make_tagger(args)
    request = build_request(args, tagger)
    result = tagger.tag_request(request)
    _warn(args, tagger, request, result.truncated)
    print(result.to_json(args.format, tagger.confidence(result) if args.confidence else None))
    if args.explain:
        from .authoring.explain import render_text

        vocabulary = request.vocabulary or tagger.vocabulary
        print(render_text(result, runners_up=3, alignment=tagger.alignment_for(vocabulary),
                          kinds=kind_keys(tagger, vocabulary)), file=sys.stderr)
    return 0


def kind_keys(tagger: Any, vocabulary: Any) -> frozenset[str]:
    """The vocabulary's tags whose concept is a kind (``kind: true``): what explain marks ``kind``."""
    alignment = tagger.alignment_for(vocabulary)
    kinds = tagger.rules.kinds
    return frozenset(t.key for t in vocabulary if (a := alignment.get(t.key)) is not None and a.concept in kinds)


def run_explain(args: argparse.Namespace) -> int:
    from .authoring.explain import render_json, render_text, why

    tagger = make_tagger(args)
    request = build_request(args, tagger)
    result = tagger.tag_request(request)
    _warn(args, tagger, request, result.truncated)
    vocabulary = request.vocabulary or tagger.vocabulary
    alignment = tagger.alignment_for(vocabulary)
    only = why(result, args.why, vocabulary, tagger.rules) if args.why else None
    kinds = kind_keys(tagger, vocabulary)
    if args.json:
        print(json.dumps(render_json(result, runners_up=args.runners_up, alignment=alignment, only=only,
                                     kinds=kinds), ensure_ascii=False, indent=1))
    else:
        print(result.to_json())
        print(render_text(result, runners_up=args.runners_up, alignment=alignment, only=only, kinds=kinds))
    return 0
