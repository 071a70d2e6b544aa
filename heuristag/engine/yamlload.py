"""Safe YAML loading that remembers the line of every key, so errors can name file:line:key."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import HeuristagError, one_line

try:  # libyaml is several times faster; rule loading is part of every cold start
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python PyYAML build
    _Loader = yaml.SafeLoader

#: Rule files are small; a document of more nodes than this is hostile or a mistake.
MAX_NODES = 200_000

Path_ = tuple  # a key path such as ("keywords", 0, "weight")


def load_yaml(text: str, where: str) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document with safe types only; return it and a map key path -> 1-based line.

    Anchors and aliases are refused: rule files never need them and they are how a "billion laughs"
    document makes a few lines expand into gigabytes.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[tuple, int] = {}
        _walk(node, (), lines, set(), where)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"{where}:{mark.line + 1}" if mark is not None else where
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            found = re.search(r"'(tag:[^']*|![^']*)'", problem)
            problem = f"tag {found.group(1) if found else ''} refused: heuristag reads plain data (safe loading only)"
        if mark is not None and _indented_with_tab(text, mark.line):
            problem += " (a tab indents this line: YAML indents with spaces only)"
        raise HeuristagError(place, f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no mark, only a position
        line = text.count("\n", 0, max(0, exc.position)) + 1
        char = _codepoint(exc.character)
        raise HeuristagError(f"{where}:{line}", f"invalid YAML: character #x{char:04x} is not allowed "
                                                 f"({exc.reason})") from None
    except yaml.YAMLError as exc:
        raise HeuristagError(where, f"invalid YAML: {one_line(str(exc))}") from None
    except RecursionError:  # the pure-Python loader has no depth limit of its own
        raise HeuristagError(where, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return data, lines


def _codepoint(character: Any) -> int:
    return character if isinstance(character, int) else ord(str(character)[:1] or "\0")


def _indented_with_tab(text: str, line: int) -> bool:
    lines = text.splitlines()
    return 0 <= line < len(lines) and "\t" in lines[line][: len(lines[line]) - len(lines[line].lstrip())]


def _walk(node: Any, path: tuple, lines: dict[tuple, int], seen: set[int], where: str) -> None:
    if id(node) in seen:
        raise HeuristagError(f"{where}:{node.start_mark.line + 1}",
                             "YAML anchors/aliases are not allowed: plain data only (anchor defined here)")
    seen.add(id(node))
    if len(seen) > MAX_NODES:
        raise HeuristagError(where, f"document has more than {MAX_NODES:,} nodes")
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                lines[path + (key.value,)] = key.start_mark.line + 1
                _walk(value, path + (key.value,), lines, seen, where)
            else:
                _walk(key, path, lines, seen, where)
                _walk(value, path, lines, seen, where)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, seen, where)


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """Line of the deepest known prefix of ``path``."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None
