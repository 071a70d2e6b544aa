"""Why each tag was chosen (or nearly): scores and every piece of evidence, for people and machines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.result import Result
from ..engine.scorer import NO_EVIDENCE, NOT_IN_VOCABULARY, TagScore

if TYPE_CHECKING:  # pragma: no cover
    from ..engine.align import VocabularyAlignment
    from ..engine.matcher import Evidence


def why(result: Result, name: str, vocabulary: Any, rules: Any) -> TagScore:
    """The ranking entry of one tag, whatever its place: ``explain --why TAG``.

    A tag of the vocabulary that nothing spoke for has no entry in the ranking: it gets one with
    score 0 and "no evidence"; a name the vocabulary lacks gets "not in vocabulary" (it can never
    be chosen, whatever the rules say).
    """
    from ..engine.vocabulary import tag_key

    key = tag_key(name)
    found = next((s for s in result.ranking.scores if s.tag == key), None)
    if found is not None:
        return found
    reason = NO_EVIDENCE if vocabulary.get(name) is not None else NOT_IN_VOCABULARY
    return TagScore(key, 0.0, rules.threshold(key), (), (), reason)


def _shown(result: Result, runners_up: int, only: TagScore | None = None) -> list[tuple[TagScore, bool]]:
    if only is not None:
        return [(only, only.tag in result.ranking.chosen)]
    chosen = set(result.ranking.chosen)
    out = [(s, True) for k in result.ranking.chosen for s in result.ranking.scores if s.tag == k]
    others = [s for s in result.ranking.scores if s.tag not in chosen][: max(0, runners_up)]
    return out + [(s, False) for s in others]


def _aligned(alignment: VocabularyAlignment | None, tag: str) -> str | None:
    """How a tag's name came by its rules, unless it is simply the concept's own name."""
    a = alignment.get(tag) if alignment is not None else None
    if a is None or (a.how == "name" and a.concept == tag):
        return None
    if a.concept is None:
        return "no concept: matched by its own name"
    detail = f" {a.matched!r}" if a.matched else ""
    return f"rules of concept {a.concept!r} ({a.how}{detail})"


def render_text(result: Result, runners_up: int = 3, max_lines: int = 8,
                alignment: VocabularyAlignment | None = None, only: TagScore | None = None,
                kinds: frozenset[str] = frozenset()) -> str:
    """``kinds``: the tags that answer what the repository IS (marked ``kind``), cut against each other."""
    lines: list[str] = []
    for s, chosen in _shown(result, runners_up, only):
        mark = "+" if chosen else " "
        why = f"  ({s.reason})" if s.reason and s.reason != "chosen" else ""
        kind = "  kind" if s.tag in kinds else ""
        lines.append(f"{mark} {s.tag:<20} score {s.score:7.2f}  threshold {s.threshold:.2f}{kind}{why}")
        aligned = _aligned(alignment, s.tag)
        if aligned:
            lines.append(f"      {aligned}")
        for rule, fname, points in s.contributions[:max_lines]:
            samples = sorted({_sample(e) for e in s.evidence if e.rule == rule and e.field == fname})[:3]
            lines.append(f"      {points:+7.2f}  {rule:<36} {fname:<11} {', '.join(repr(t) for t in samples)}")
        if len(s.contributions) > max_lines:
            lines.append(f"      ... {len(s.contributions) - max_lines} more")
    if not lines:
        lines.append("  (no evidence for any tag of the vocabulary)")
    return "\n".join(lines)


def _sample(e: Evidence) -> str:
    """The matched text, marked where a feature clause lowered its weight (signals.yaml feature_clauses)."""
    return e.text if e.share == 1.0 else f"{e.text} (listed feature, x{e.share:g})"


def render_json(result: Result, runners_up: int = 3, alignment: VocabularyAlignment | None = None,
                only: TagScore | None = None, kinds: frozenset[str] = frozenset()) -> dict[str, Any]:
    tags = []
    for s, chosen in _shown(result, runners_up, only):
        a = alignment.get(s.tag) if alignment is not None else None
        tags.append({
            "tag": s.tag, "chosen": chosen, "reason": s.reason, "score": s.score, "threshold": s.threshold,
            "kind": s.tag in kinds,
            "alignment": a.as_dict() if a is not None else None,
            "contributions": [{"rule": r, "field": f, "points": p} for r, f, p in s.contributions],
            "evidence": [{"rule": e.rule, "field": e.field, "text": e.text, "position": e.position,
                          "weight": e.weight, "share": e.share} for e in s.evidence[:200]],
        })
    return {"id": result.id, "result": result.as_dict(), "tags": tags}
