"""The numbers of a rule pack, where they sit in its YAML text, and how to write new ones back.

`heuristag tune` must hand a person a diff of numbers, not a re-dumped file: so instead of loading
and dumping YAML (which re-wraps flow lists, drops or moves comments and re-quotes strings), it asks
the YAML composer where each numeric scalar starts and ends and replaces exactly those characters.
Every other byte of the file is copied as it is, by construction. The composer is PyYAML's pure-Python
safe one (its marks are indices into the decoded text, which is what slicing needs); the data itself
comes from the same safe loader as any rule file.

Each number is named by what it tunes, in the terms of ``scorer.Params``: a rule's weight (by the rule
name evidence carries, signed as in ``Evidence``), a tag's threshold or prior, a field weight, or a
scoring knob.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..engine.errors import HeuristagError
from ..engine.vocabulary import tag_key

#: What a number tunes: (kind, key). Kinds match the fields of ``scorer.Params``.
WEIGHT, THRESHOLD, PRIOR, FIELD, SCORING = "weights", "thresholds", "priors", "field_weights", "scoring"
KINDS = (FIELD, SCORING, THRESHOLD, PRIOR, WEIGHT)
Knob = tuple[str, str]


@dataclass(frozen=True)
class Number:
    """One plain numeric scalar of a rule file: what it tunes, its key path and where its text is."""

    file: str            # path relative to the layer root, with '/' separators
    path: tuple          # key path, e.g. ("keywords", 0, "weight")
    knob: Knob           # (kind, key): ("weights", "database/core"), ("scoring", "threshold") ...
    sign: float          # the knob's value is sign * the number written (negative groups: -1)
    value: float         # the number as written
    token: str           # its text in the file
    start: int           # character offsets of the token in the file's text
    end: int

    @property
    def knob_value(self) -> float:
        return self.sign * self.value

    @property
    def dotted(self) -> str:
        out = ""
        for p in self.path:
            out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
        return out


@dataclass(frozen=True)
class PackFile:
    """A rule file's exact text (newlines as in the file) and its numbers."""

    root: Path           # the layer folder (or the file itself when a layer is one file)
    rel: str
    text: str
    numbers: tuple[Number, ...]


_NUMERIC_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def read_text_exact(path: Path) -> str:
    """The file as text with its own newlines (CRLF stays CRLF), so offsets index what is written back."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise HeuristagError(str(path), "rule file is not UTF-8") from None
    except OSError as exc:
        raise HeuristagError(str(path), f"cannot read: {exc.strerror or exc}") from None


def numbers_of(text: str, rel: str, where: str) -> tuple[Number, ...]:
    """Every tunable number of one rule file, in file order."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise HeuristagError(where, f"invalid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(node, yaml.MappingNode):
        return ()
    root = _mapping(node)
    out: list[Number] = []
    if "tag" in root:
        _tag_numbers(root, text, rel, out)
    else:
        _signal_numbers(root, text, rel, out)
    return tuple(sorted(out, key=lambda n: n.start))


def _mapping(node: yaml.MappingNode) -> dict[str, Any]:
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: Any) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _number(node: Any, text: str, rel: str, path: tuple, knob: Knob, sign: float = 1.0) -> Number | None:
    """A plain (unquoted) int or float scalar; anything else (quoted, null, a list) is not tuned."""
    if not isinstance(node, yaml.ScalarNode) or node.tag not in _NUMERIC_TAGS or node.style is not None:
        return None
    token = text[node.start_mark.index:node.end_mark.index]
    try:
        value = float(yaml.safe_load(token))
    except (yaml.YAMLError, TypeError, ValueError):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return Number(rel, path, knob, sign, value, token, node.start_mark.index, node.end_mark.index)


def _items(node: Any) -> list[Any]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _tag_numbers(root: dict[str, Any], text: str, rel: str, out: list[Number]) -> None:
    name = _scalar(root["tag"])
    if name is None:
        return
    key = tag_key(name)
    for field, kind in (("threshold", THRESHOLD), ("prior", PRIOR)):
        if field in root:
            _add(out, _number(root[field], text, rel, (field,), (kind, key)))
    for section, label, sign in (("keywords", "keywords", 1.0), ("negative", "negative", -1.0)):
        for i, entry in enumerate(_items(root.get(section))):
            if isinstance(entry, yaml.MappingNode):
                e = _mapping(entry)
                own = _scalar(e.get("name")) if "name" in e else None
                rule = f"{key}/{'-' if sign < 0 else ''}{own or f'{label}{i + 1}'}"
                _add(out, _number(e.get("weight"), text, rel, (section, i, "weight"), (WEIGHT, rule), sign))
    for i, entry in enumerate(_items(root.get("patterns"))):
        if isinstance(entry, yaml.MappingNode):
            e = _mapping(entry)
            own = _scalar(e.get("name")) if "name" in e else None
            rule = f"{key}/{own or f'pattern{i + 1}'}"
            _add(out, _number(e.get("weight"), text, rel, ("patterns", i, "weight"), (WEIGHT, rule)))


def _signal_numbers(root: dict[str, Any], text: str, rel: str, out: list[Number]) -> None:
    for i, entry in enumerate(_items(root.get("signals"))):
        if isinstance(entry, yaml.MappingNode):
            e = _mapping(entry)
            tag = _scalar(e.get("tag"))
            if tag is None:
                continue
            own = _scalar(e.get("name")) if "name" in e else None
            rule = f"{tag_key(tag)}/signal:{own or i + 1}"
            _add(out, _number(e.get("weight"), text, rel, ("signals", i, "weight"), (WEIGHT, rule)))
    for i, entry in enumerate(_items(root.get("features"))):
        if isinstance(entry, yaml.MappingNode):
            e = _mapping(entry)
            tag, feature = _scalar(e.get("tag")), _scalar(e.get("feature"))
            if tag is None or feature is None:
                continue
            own = _scalar(e.get("name")) if "name" in e else None
            rule = f"{tag_key(tag)}/feature:{own or feature}"
            _add(out, _number(e.get("weight"), text, rel, ("features", i, "weight"), (WEIGHT, rule)))
    for section, kind in (("field_weights", FIELD), ("scoring", SCORING)):
        node = root.get(section)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    _add(out, _number(v, text, rel, (section, k.value), (kind, k.value)))


def _add(out: list[Number], n: Number | None) -> None:
    if n is not None:
        out.append(n)


def read_pack_file(root: Path, path: Path) -> PackFile:
    rel = path.name if root == path else path.relative_to(root).as_posix()
    text = read_text_exact(path)
    return PackFile(root, rel, text, numbers_of(text, rel, str(path)))


def format_number(value: float, original: str) -> str:
    """The new value as a plain YAML number, in the original's style: ``5`` stays an int when it can,
    floats get at most two decimals, never an exponent (PyYAML would read ``1e3`` as a string)."""
    value = round(value, 2) + 0.0
    if value.is_integer() and "." not in original:
        return str(int(value))
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def rewrite(text: str, changes: Mapping[int, str], numbers: Iterable[Number]) -> str:
    """The text with the numbers whose start offset is in ``changes`` replaced by the given tokens."""
    out = []
    last = 0
    for n in sorted(numbers, key=lambda n: n.start):
        if n.start in changes:
            out.append(text[last:n.start])
            out.append(changes[n.start])
            last = n.end
    out.append(text[last:])
    return "".join(out)
