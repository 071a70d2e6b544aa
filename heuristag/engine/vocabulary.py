"""The tag vocabulary: which tags may be output, with their ids and verbatim names."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .builtin import builtin_dir
from .errors import HeuristagError


def tag_key(name: str) -> str:
    """The key rules and vocabularies meet on: names differ in case and stray spaces in the wild."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Tag:
    """One vocabulary entry. ``name`` is kept verbatim (``"declarative-gui "`` keeps its space).

    ``description`` and ``aliases`` are what people write for an LLM ("infra": "servers, CI, 运维"):
    they help align the name to a concept and add terms, and are never output.
    """

    name: str
    id: int | str | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return tag_key(self.name)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name} if self.id is not None else {"name": self.name}


@dataclass(frozen=True)
class Vocabulary:
    """An ordered, validated set of tags; order is the caller's, lookups are by key."""

    tags: tuple[Tag, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {t.key: t for t in self.tags})
        # computed once: the tagger caches an alignment per vocabulary and looks it up per document
        object.__setattr__(self, "_fingerprint", hash(self.tags))

    @property
    def fingerprint(self) -> int:
        """A hash of every entry (name, id, description, aliases): the key of per-vocabulary caches."""
        return self._fingerprint  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[Tag]:
        return iter(self.tags)

    def __len__(self) -> int:
        return len(self.tags)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and tag_key(key) in self._by_key  # type: ignore[attr-defined]

    def get(self, name: str) -> Tag | None:
        return self._by_key.get(tag_key(name))  # type: ignore[attr-defined]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._by_key)  # type: ignore[attr-defined]

    @property
    def has_ids(self) -> bool:
        return all(t.id is not None for t in self.tags)


def parse_vocabulary(data: Any, where: str) -> Vocabulary:
    """Build a vocabulary from a JSON/YAML value: a list of ``{id, name}`` objects or of names."""
    if isinstance(data, dict) and isinstance(data.get("tags"), list):
        data = data["tags"]
    if not isinstance(data, list):
        raise HeuristagError(where, f"vocabulary must be a list of tags, got {type(data).__name__}")
    if not data:
        raise HeuristagError(where, "vocabulary is empty")
    tags: list[Tag] = []
    seen_names: dict[str, int] = {}
    seen_ids: dict[Any, int] = {}
    for i, entry in enumerate(data):
        place = f"{where}: tag #{i + 1}"
        if isinstance(entry, str):
            name, ident = entry, None
        elif isinstance(entry, dict):
            if "name" not in entry:
                raise HeuristagError(place, "entry has no 'name'")
            if "id" not in entry:
                raise HeuristagError(place, f"entry {_short(entry)} has no 'id'")
            name, ident = entry["name"], entry["id"]
            if isinstance(ident, bool) or not isinstance(ident, (int, str)):
                raise HeuristagError(place, f"'id' must be a number or a string, got {_short(ident)}")
        else:
            raise HeuristagError(place, f"entry must be an object or a name, got {_short(entry)}")
        if not isinstance(name, str) or not name.strip():
            raise HeuristagError(place, f"'name' must be a non-empty string, got {_short(name)}")
        description, aliases = _extras(entry, place) if isinstance(entry, dict) else ("", ())
        key = tag_key(name)
        if key in seen_names:
            raise HeuristagError(place, f"duplicate name {name!r} (also tag #{seen_names[key]})")
        seen_names[key] = i + 1
        if ident is not None:
            if ident in seen_ids:
                raise HeuristagError(place, f"duplicate id {ident!r} (also tag #{seen_ids[ident]})")
            seen_ids[ident] = i + 1
        tags.append(Tag(name=name, id=ident, description=description, aliases=aliases))
    return Vocabulary(tuple(tags))


def load_vocabulary_file(path: str | Path, encoding: str | None = None) -> Vocabulary:
    """Read a vocabulary file: a JSON list, a YAML list, or one tag name per line.

    ``.json`` files are always JSON and ``.yaml``/``.yml`` always YAML, so a file that is not a list
    says so instead of becoming one odd tag name; other files are sniffed. YAML goes through the same
    safe loader as rule files: no Python tags, no anchors (a "billion laughs" vocabulary is refused).
    """
    where = str(path)
    from .textio import read_text_file  # local import: textio imports nothing of ours, keep it light

    text = read_text_file(path, encoding)
    stripped = text.strip()
    if not stripped:
        raise HeuristagError(where, "vocabulary is empty")
    suffix = Path(where).suffix.lower()
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and stripped[0] in "[{\""):
        try:
            return parse_vocabulary(json.loads(stripped), where)
        except json.JSONDecodeError as exc:
            line = exc.lineno + text[: len(text) - len(text.lstrip())].count("\n")
            raise HeuristagError(f"{where}:{line}", f"invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise HeuristagError(where, "invalid JSON: nested too deeply") from None
    if suffix in (".yaml", ".yml") or stripped.startswith("- ") or "\n- " in stripped:
        from .yamlload import load_yaml

        data, _lines = load_yaml(text, where)
        return parse_vocabulary(data, where)
    names = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return parse_vocabulary(names, where)


def builtin_vocabulary() -> Vocabulary:
    """The seed prompt's 90 tags, shipped with the rules."""
    data = json.loads((builtin_dir() / "vocabulary.json").read_text("utf-8"))
    return parse_vocabulary(data, "built-in vocabulary")


def _extras(entry: dict[str, Any], place: str) -> tuple[str, tuple[str, ...]]:
    """An entry's optional ``description`` (a string) and ``aliases`` (a list of names)."""
    description = entry.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise HeuristagError(place, f"'description' must be a string, got {_short(description)}")
    aliases = entry.get("aliases", ())
    if aliases is None:
        aliases = ()
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, (list, tuple)) or not all(isinstance(a, str) for a in aliases):
        raise HeuristagError(place, f"'aliases' must be a list of names, got {_short(aliases)}")
    return description.strip(), tuple(dict.fromkeys(a.strip() for a in aliases if a.strip()))


def names_of(tags: Iterable[Tag]) -> list[str]:
    return [t.name for t in tags]


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
