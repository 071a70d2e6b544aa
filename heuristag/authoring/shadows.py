"""Terms that hide other tags' terms: where a longer term contains a shorter one, only the longer fires.

The matcher resolves overlapping matches leftmost-longest across every tag at once, so adding
``admin ui`` to web-app silently takes ``ui`` away from the ui tag wherever the phrase occurs. That is
often what the author wants (``react native`` is not the web ``react``), but it is invisible in a rule
file: `heuristag rules shadows` lists every such pair, so an author sees what a new term takes away.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

from ..engine.matcher import Matcher


@dataclass(frozen=True)
class Shadow:
    """``term`` (of ``tags``) contains ``hidden`` (of ``hidden_tags``, none of them in ``tags``)."""

    term: str
    tags: tuple[str, ...]
    hidden: str
    hidden_tags: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"term": self.term, "tags": list(self.tags), "hides": self.hidden, "of": list(self.hidden_tags)}

    def describe(self) -> str:
        return f"{'/'.join(self.tags)}: {self.term!r} hides {self.hidden!r} of {'/'.join(self.hidden_tags)}"


def shadows(matcher: Matcher, tag: str | None = None) -> list[Shadow]:
    """Every term containing, at word boundaries as the matcher reads them, a term of another tag;
    with ``tag``, only the pairs where that tag hides or is hidden. Sorted, so the output is stable."""
    out = []
    for outer, value in zip(matcher.terms.keys, matcher.terms.values, strict=True):
        tags = _tags(matcher, value[1])
        for start, _minus_length, stop, inner in matcher.bounded(outer):
            if stop - start == len(outer):
                continue
            hidden = tuple(t for t in _tags(matcher, inner[1]) if t not in tags)
            if hidden and (tag is None or tag in tags or tag in hidden):
                out.append(Shadow(outer, tags, inner[0], hidden))
    return sorted(set(out), key=lambda s: (s.tags, s.term, s.hidden))


def _tags(matcher: Matcher, refs: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(sorted({matcher.groups[r].tag for r in refs}))


def run_shadows(args: argparse.Namespace) -> int:
    """`heuristag rules shadows`: the pairs for the rules and vocabulary the other commands would use."""
    import json

    from ..commands import make_tagger
    from ..engine.errors import HeuristagError
    from ..engine.vocabulary import tag_key

    tagger = make_tagger(args)
    compiled = tagger.compiled_for(tagger.vocabulary)
    scoring = {entry: key for key, entry in compiled.entries.items()}
    wanted = None
    if args.tag is not None:
        wanted = scoring.get(tag_key(args.tag))
        if wanted is None:
            raise HeuristagError("--tag", f"{args.tag!r} is not a tag of the vocabulary")
    found = [_renamed(s, compiled.entries) for s in shadows(compiled.matcher, wanted)]
    if args.json:
        print(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=1))
    else:
        print("\n".join(s.describe() for s in found) or "no term hides another tag's term")
    return 0


def _renamed(shadow: Shadow, names: Mapping[str, str]) -> Shadow:
    """Scoring keys (``database#2``) back to the vocabulary's own tag keys."""
    return Shadow(shadow.term, tuple(names.get(t, t) for t in shadow.tags), shadow.hidden,
                  tuple(names.get(t, t) for t in shadow.hidden_tags))
