"""`heuristag suggest`: candidate terms for one tag, mined from labelled documents, as a rule file.

The tool proposes, a person decides: it counts, for every English word or phrase (1 to 3 words) and
every Chinese/Japanese character n-gram (2 to 6 characters) of a document's title, description,
headings and prose, how many documents with the tag in their gold contain it and how many others do,
and ranks the terms by lift (how many times more often they occur where the tag is gold). Each term
says its support (documents with the tag that contain it), its lift, and the share of those documents
the current rules miss, because a term that only fires where the rules already answer adds nothing.
Terms the tag's rules already have are left out, and so is any term fewer than ``--min-support``
documents contain (a phrase of one README is that README, not the tag).

``--negatives`` mines the other way round: terms of the documents where the tag is chosen but wrong,
against the documents where it is gold, as ``negative:`` groups.

The output is a rule file for the tag that `heuristag rules check` accepts and ``--rules`` layers as
it is (its groups extend the tag's rules), with a comment on each term.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.errors import HeuristagError
from ..engine.normalise import is_word_char, normalise
from .evaluate import BenchRecord, add_bench_arguments, load_benches

MINED_FIELDS = ("title", "description", "headings", "body")
MAX_CHARS = 20_000            # of each document's mined text: bounds time on huge READMEs
DEFAULT_TOP = 20
DEFAULT_MIN_SUPPORT = 3
MIN_LIFT = 2.0
#: (lowest lift, group name, weight): the strength a term's lift suggests, strongest first
TIERS = ((10.0, "suggested-strong", 2.5), (4.0, "suggested-supporting", 1.5), (MIN_LIFT, "suggested-weak", 0.5))

_STOP = frozenset(re.findall(r"\S+", """
a an and are as at be by can for from has have how i in into is it its of on or our so that the their this to
use used uses using was we what when which will with you your yours it's not no all any also more most other
some such than then there these they them very via just one two new get"""))
_BREAK = re.compile(r"[^\w\s.+#']|(?<!\w)[.']|[.'](?!\w)")


@dataclass(frozen=True)
class Candidate:
    term: str
    support: int        # documents of the positive side containing the term
    others: int         # documents of the other side containing it
    lift: float
    missed: float       # share of the supporting documents the current rules get wrong (keywords: not chosen)


def terms_of(text: str) -> set[str]:
    """Every candidate term of a text, normalised as the matcher normalises (so each can match)."""
    text = normalise(text[:MAX_CHARS])
    out: set[str] = set()
    for segment in _BREAK.split(text):
        words = [w for w in segment.split() if w]
        _word_grams(words, out)
    run: list[str] = []
    for ch in text + " ":
        if ch.isalnum() and not is_word_char(ch):
            run.append(ch)
            continue
        if len(run) >= 2:
            _char_grams("".join(run), out)
        run = []
    return out


def _word_grams(words: list[str], out: set[str]) -> None:
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i:i + n]
            if gram[0] in _STOP or gram[-1] in _STOP or not all(_is_word(w) for w in gram):
                continue
            if n == 1 and (len(gram[0]) < 3 or gram[0].isdigit()):
                continue
            out.add(" ".join(gram))


def _is_word(w: str) -> bool:
    return any(c.isalpha() for c in w) and all(is_word_char(c) or c in ".+#'" for c in w)


#: Chinese and Japanese function characters (particles, pronouns, "one", "of"): an n-gram that starts or
#: ends with one is a piece of a sentence, not a term ("建一", "的服务").
_STOP_CHARS = frozenset("的一个是了在和有这那我你他们也就都而及与或等之其为以于把被让从对很更最中上下里"
                        "のにはをがでともなたしてかやへよりこそれあ")


def _char_grams(run: str, out: set[str]) -> None:
    for n in (2, 3, 4, 5, 6):
        for i in range(len(run) - n + 1):
            gram = run[i:i + n]
            if gram[0] not in _STOP_CHARS and gram[-1] not in _STOP_CHARS:
                out.add(gram)


@dataclass(frozen=True)
class MinedDoc:
    record: BenchRecord
    terms: frozenset[str]
    predicted: frozenset[str]     # names the current rules choose


def mine_documents(tagger: Any, records: Sequence[BenchRecord]) -> list[MinedDoc]:
    from ..engine.errors import one_line
    from ..engine.request import from_record

    out = []
    for rec in records:
        try:
            request = from_record(dict(rec.raw), f"record {rec.label}")
            vocabulary = request.vocabulary or tagger.vocabulary
            doc = tagger.document(request)
            chosen = tagger.rank(doc, vocabulary, request.max_tags).chosen
        except HeuristagError as exc:
            print(f"heuristag: warning: {one_line(str(exc))}: skipped", file=sys.stderr)
            continue
        text = "\n".join(doc.field_text(f) for f in MINED_FIELDS)
        names = frozenset(t.name.strip() for t in (vocabulary.get(k) for k in chosen) if t is not None)
        out.append(MinedDoc(rec, frozenset(terms_of(text)), names))
    return out


def rank_terms(positive: Sequence[MinedDoc], other: Sequence[MinedDoc], known: set[str], *, top: int,
               min_support: int, missed: Any) -> list[Candidate]:
    """Terms by lift (then support, then the term), redundant ones dropped: a term found in exactly
    the same documents as a better-ranked one says nothing new."""
    from collections import Counter

    pos = Counter(t for d in positive for t in d.terms)
    neg = Counter(t for d in other for t in d.terms)
    n_pos, n_neg = max(1, len(positive)), len(other)
    scored = []
    for term, support in pos.items():
        if support < min_support or term in known or _inside_known(term, known):
            continue
        lift = (support / n_pos) / ((neg[term] + 0.5) / (n_neg + 1))
        if lift >= MIN_LIFT:
            # equal evidence: the shorter phrase is the more general, the longer CJK n-gram the more word-like
            size = -len(term) if not is_word_char(term[0]) else len(term)
            scored.append((-round(lift, 6), -support, size, term))
    scored.sort()
    out: list[Candidate] = []
    seen: set[tuple[frozenset, frozenset]] = set()
    for neg_lift, neg_support, _size, term in scored:
        docs = (frozenset(d.record.line for d in positive if term in d.terms),
                frozenset(d.record.line for d in other if term in d.terms))
        if docs in seen:
            continue
        seen.add(docs)
        hits = [d for d in positive if term in d.terms]
        share = sum(missed(d) for d in hits) / len(hits)
        out.append(Candidate(term, -neg_support, neg[term], round(-neg_lift, 1), round(share, 2)))
        if len(out) >= top:
            break
    return out


def _inside_known(term: str, known: set[str]) -> bool:
    """A CJK n-gram inside a known CJK term never fires where that term does (the longest match wins)."""
    return not is_word_char(term[0]) and any(term in k for k in known if k != term)


def known_terms(tagger: Any, key: str) -> set[str]:
    rules = tagger.rules.tags.get(key)
    terms = {normalise(t) for g in (rules.groups if rules else ()) for t in g.terms}
    if rules is not None:
        terms |= {normalise(rules.name), *(normalise(a) for a in rules.aliases)}
    return terms


def render_rule_file(name: str, candidates: Sequence[Candidate], *, negatives: bool, n_pos: int, n_docs: int,
                     benches: Iterable[str]) -> str:
    side = "where the tag is chosen but wrong" if negatives else "with the tag in their gold"
    lines = [f"# Candidate {'negative ' if negatives else ''}terms for {name.strip()!r}, mined by `heuristag suggest` "
             f"from {n_docs} labelled documents",
             f"# of {', '.join(benches)}, {n_pos} of them {side}.",
             "# Review every term: keep those that describe the tag, delete the rest, then `heuristag tune`.",
             "# support: documents " + ("where the tag is wrong" if negatives else "with the tag") +
             " that contain the term; lift: how many times more often than in the",
             "# other documents" + ("" if negatives else "; missed: share of those documents the current rules "
                                                          "do not tag") + ".",
             f"tag: {json.dumps(name, ensure_ascii=False)}"]
    section = "negative" if negatives else "keywords"
    groups = [(label, weight, [c for c in candidates if _tier(c.lift) == label]) for _, label, weight in TIERS]
    groups = [g for g in groups if g[2]]
    if not groups:
        lines.append(f"{section}: []   # no term reached support {DEFAULT_MIN_SUPPORT} and lift {MIN_LIFT:g}")
        return "\n".join(lines) + "\n"
    lines.append(f"{section}:")
    for label, weight, members in groups:
        lines += [f"  - name: {label}", f"    weight: {weight}", "    terms:"]
        for c in members:
            note = f"support {c.support}, elsewhere {c.others}, lift {c.lift:g}"
            if not negatives:
                note += f", missed {c.missed:.0%}"
            lines.append(f"      - {json.dumps(c.term, ensure_ascii=False)}   # {note}")
    return "\n".join(lines) + "\n"


def _tier(lift: float) -> str:
    return next(label for low, label, _ in TIERS if lift >= low)


# ---------------------------------------------------------------- the command

def register(sub: Any) -> None:
    from ..commands import examples

    p = sub.add_parser("suggest", help="mine candidate terms for a tag from labelled benches; print a rule file",
                       **examples(
                           "heuristag suggest ../shared/bench/train.jsonl ../shared/bench/dev.jsonl --tag database",
                           "heuristag suggest dev.jsonl --tag cli --top 30 > my_rules/tags/cli.yaml",
                           "heuristag suggest dev.jsonl --tag ai --negatives   # terms where 'ai' is chosen wrongly"))
    add_bench_arguments(p)
    p.add_argument("--tag", required=True, help="the tag to mine terms for (a vocabulary name)")
    p.add_argument("--top", type=int, default=DEFAULT_TOP, metavar="N", help=f"at most N terms (default {DEFAULT_TOP})")
    p.add_argument("--min-support", type=int, default=DEFAULT_MIN_SUPPORT, metavar="N",
                   help=f"a term must occur in at least N documents of the tag (default {DEFAULT_MIN_SUPPORT})")
    p.add_argument("--negatives", action="store_true",
                   help="terms of documents where the tag is chosen but wrong, as negative groups")
    p.set_defaults(func=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    from ..commands import make_tagger
    from ..engine.errors import require_positive

    require_positive("--top", args.top)
    require_positive("--min-support", args.min_support)
    records = load_benches(args.bench, args.encoding)
    tagger = make_tagger(args)
    tag = tagger.vocabulary.get(args.tag)
    if tag is None:
        raise HeuristagError("--tag", f"{args.tag!r} is not in the vocabulary")
    name = tag.name.strip()
    docs = mine_documents(tagger, records)
    gold = [d for d in docs if name in d.record.gold]
    if args.negatives:
        lenient = {d.record.line for d in docs if name in d.record.gold or name in d.record.also}
        positive = [d for d in docs if name in d.predicted and d.record.line not in lenient]
        other = gold
    else:
        positive = gold
        other = [d for d in docs if name not in d.record.gold]
    if not positive:
        what = "is chosen wrongly on" if args.negatives else "is in the gold of"
        raise HeuristagError("--tag", f"{tag.name!r} {what} no document of the benches: nothing to mine")
    candidates = rank_terms(positive, other, known_terms(tagger, tag.key), top=args.top,
                            min_support=args.min_support, missed=lambda d: name not in d.predicted)
    sys.stdout.write(render_rule_file(tag.name, candidates, negatives=args.negatives, n_pos=len(positive),
                                      n_docs=len(docs), benches=args.bench))
    return 0
