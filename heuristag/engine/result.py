"""The answer: the request's id with its JSON type, at most N tags from its vocabulary, and the why."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .matcher import Evidence
from .scorer import Ranking
from .vocabulary import Tag

FORMATS = ("objects", "ids", "names")


@dataclass(frozen=True)
class Result:
    id: Any
    tags: tuple[Tag, ...]
    ranking: Ranking
    truncated: bool = False

    @property
    def evidence(self) -> dict[str, tuple[Evidence, ...]]:
        """Evidence for each chosen tag (by vocabulary name), what the explainer prints."""
        by_key = {s.tag: s.evidence for s in self.ranking.scores}
        return {t.name: by_key.get(t.key, ()) for t in self.tags}

    def as_dict(self, fmt: str = "objects") -> dict[str, Any]:
        if fmt == "ids" and all(t.id is not None for t in self.tags):
            tags: list[Any] = [t.id for t in self.tags]
        elif fmt in ("names", "ids"):
            tags = [t.name for t in self.tags]
        else:
            tags = [t.as_json() for t in self.tags]
        return {"id": self.id, "tags": tags}

    def to_json(self, fmt: str = "objects", confidence: Mapping[str, float] | None = None) -> str:
        """One line, the expected JSON: ``{"id":"1650","tags":[{"id":17,"name":"ai"}]}``; with
        ``confidence`` (``Tagger.confidence``), a ``"confidence": {name: p}`` beside the tags."""
        data = self.as_dict(fmt)
        if confidence is not None:
            data["confidence"] = dict(confidence)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class RecordError:
    """A record of a batch that could not be tagged, as `heuristag batch` writes it: ``id`` is the
    record's own (None when it could not be read), ``line`` its 1-based line or position (None for a
    file of a folder, whose path is the id)."""

    id: Any
    error: str
    line: int | None = None
    truncated: bool = False

    def as_dict(self, fmt: str = "objects") -> dict[str, Any]:
        if self.line is None:
            return {"id": self.id, "error": self.error}
        return {"id": self.id, "line": self.line, "error": self.error}

    def to_json(self, fmt: str = "objects") -> str:
        return json.dumps(self.as_dict(fmt), ensure_ascii=False, separators=(",", ":"))
