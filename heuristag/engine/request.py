"""Adapters: every way a user hands us work (seed prompt, README + flags, JSON record) -> one Request."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import HeuristagError, require_positive
from .vocabulary import Vocabulary, parse_vocabulary

#: The most tags a request may ask for; "at most 1000 tags" is clamped to the vocabulary's size.
DEFAULT_MAX_TAGS = 3

# The sign is captured so "at most -2 tags" is refused rather than read as 2.
_AT_MOST = re.compile(r"at\s{1,20}most[^\w+\-]{0,3}\s{0,20}([+\-]?\d{1,9})\s{0,20}tags?", re.IGNORECASE)
_ASSIGN = re.compile(r"assign\W{0,5}\s{0,20}(?:\"\s{0,5})?at\s{1,20}most", re.IGNORECASE)
_EXPECTED = re.compile(r"expected\s{1,20}json", re.IGNORECASE)
_ONLY_FROM = re.compile(r"only\s{1,20}from\s{1,20}the\s{1,20}tags?\s{1,20}list", re.IGNORECASE)
_TAGS_LIST = re.compile(r"tags?\s{1,20}list|list\s{1,20}of\s{1,20}tags|tags\s{0,20}:", re.IGNORECASE)
_HEADER = re.compile(r"^[^\n<#\[!]{0,60}\bprompts?\b[^\n]{0,20}$", re.IGNORECASE)
# Where a README begins on the description's own line: an HTML tag, a heading, an image or badge.
_README_START = re.compile(r"\s(?=<[A-Za-z!/]|#{1,6}\s|!\[|\[!\[)")
_OPENER = re.compile(r"[\[{]")
#: How much of a prompt's end is searched for the instruction (the README before it can be huge).
_TAIL_WINDOW = 200_000


@dataclass(frozen=True)
class Request:
    """One tagging job. ``id`` keeps its JSON type: "1650" stays a string, 7 stays a number."""

    id: Any
    description: str
    readme: str
    vocabulary: Vocabulary | None = None
    max_tags: int = DEFAULT_MAX_TAGS


def looks_like_prompt(text: str) -> bool:
    """A seed-style prompt ends with an instruction naming 'at most N tags' and a tags list."""
    tail = text[-_TAIL_WINDOW:]
    for assign in _ASSIGN.finditer(tail):
        # the seed's own instruction ('Assign "at most 3 tags"', then the expected JSON or "only from the
        # tags list" close behind): a broken list or JSON after it is an error, not a README to tag
        at_most = _AT_MOST.search(tail, assign.start(), assign.end() + 40)
        near = tail[assign.start(): assign.start() + 2000]
        if at_most and (_EXPECTED.search(near) or _ONLY_FROM.search(near)):
            return True
    m = _ASSIGN.search(tail) or _AT_MOST.search(tail)
    return bool(m and _EXPECTED.search(tail, m.start()) and "[" in tail[m.start():])


def from_prompt(text: str, where: str = "prompt") -> Request:
    """Parse the seed's prompt: header, description + README, then the instruction with N, id, vocabulary."""
    tail_start = max(0, len(text) - _TAIL_WINDOW)
    tail = text[tail_start:]
    # the last instruction wins: a README may itself quote an "assign at most" sentence
    assign = _last(_ASSIGN.finditer(tail)) or _last(_AT_MOST.finditer(tail))
    if assign is None:
        raise HeuristagError(where, "not a tagging prompt: no 'Assign \"at most N tags\"' instruction found")
    instruction = tail[assign.start():]
    body = text[: tail_start + assign.start()]
    where = f"{where}:{body.count(chr(10)) + 1}"  # errors below are about the instruction: name its line

    at_most = _AT_MOST.search(instruction)
    if not at_most:
        raise HeuristagError(where, "the instruction does not say 'at most N tags'")
    max_tags = int(at_most.group(1))
    if max_tags < 1:
        raise HeuristagError(where, f"'at most {max_tags} tags' asks for no tags at all")

    expected_at = _EXPECTED.search(instruction, at_most.end())
    if not expected_at:
        raise HeuristagError(where, "no 'expected json' with an id in the instruction")
    brace = instruction.find("{", expected_at.end())
    if brace < 0:
        raise HeuristagError(where, "no expected JSON object after 'expected json'")
    expected, end = _decode_json_at(instruction, brace, where, "expected JSON")
    if not isinstance(expected, dict):
        raise HeuristagError(where, "the expected JSON is not an object")
    if "id" not in expected:
        raise HeuristagError(where, f"the expected JSON {json.dumps(expected)[:60]} has no \"id\"")
    ident = expected["id"]
    if isinstance(ident, (dict, list)) or ident is None or isinstance(ident, bool):
        raise HeuristagError(where, f"the expected JSON's id must be a string or a number, got {json.dumps(ident)}")

    list_word = _TAGS_LIST.search(instruction, end)
    opener = _OPENER.search(instruction, list_word.end() if list_word else end)
    bracket = opener.start() if opener else -1
    if bracket < 0:
        raise HeuristagError(where, "no tags list in the instruction (expected '... tags list I provide: [...]')")
    vocab_data, _ = _decode_json_at(instruction, bracket, where, "tags list")
    vocabulary = parse_vocabulary(vocab_data, f"{where}: tags list")

    description, readme = split_prompt_body(body)
    return Request(id=ident, description=description, readme=readme, vocabulary=vocabulary,
                   max_tags=min(max_tags, len(vocabulary)))


def split_prompt_body(body: str) -> tuple[str, str]:
    """Separate the optional header line, the one-line description and the README text.

    The seed joins description and README on one line ("... English UI. <p align=...>"), so the
    description ends where the first HTML tag, heading or image of the README begins.
    """
    text = body.strip().strip('"').rstrip(", \n\t\"'").strip()
    first, _, rest = text.partition("\n")
    if _HEADER.match(first.strip()):
        text = rest.lstrip().lstrip('"')
        first, _, rest = text.partition("\n")
    if first[:1] in "<#!" or first.startswith("[!["):
        return "", text
    cut = _README_START.search(first)
    if cut:
        return first[: cut.start()].strip(), (first[cut.start():].strip() + "\n" + rest).strip()
    return first.strip(), rest


def from_readme(readme: str, *, description: str = "", id: Any = None,
                vocabulary: Vocabulary | None = None, max_tags: int = DEFAULT_MAX_TAGS) -> Request:
    """A README (file or stdin) plus flags."""
    require_positive("--max-tags", max_tags)
    if vocabulary is not None:
        max_tags = min(max_tags, len(vocabulary))
    return Request(id=id, description=description or "", readme=readme, vocabulary=vocabulary, max_tags=max_tags)


def from_record(record: Any, where: str = "record", vocabulary: Vocabulary | None = None,
                max_tags: int = DEFAULT_MAX_TAGS) -> Request:
    """A JSON record ``{"id", "description", "readme", "vocabulary"?, "prompt"?}``; other fields ignored."""
    if not isinstance(record, dict):
        raise HeuristagError(where, f"record must be a JSON object, got {type(record).__name__}")
    if "prompt" in record:
        prompt = record["prompt"]
        if not isinstance(prompt, str):
            raise HeuristagError(f"{where}: prompt", "must be a string")
        req = from_prompt(prompt, f"{where}: prompt")
        if "id" in record and _valid_id(record["id"]):
            req = Request(id=record["id"], description=req.description, readme=req.readme,
                          vocabulary=req.vocabulary, max_tags=req.max_tags)
        return req
    if "id" not in record:
        raise HeuristagError(where, "record has no \"id\"")
    if not _valid_id(record["id"]):
        raise HeuristagError(f"{where}: id", f"must be a string or a number, got {json.dumps(record['id'])[:40]}")
    readme = record.get("readme")
    if readme is None:
        raise HeuristagError(where, "record has no \"readme\"")
    if not isinstance(readme, str):
        raise HeuristagError(f"{where}: readme", f"must be a string, got {type(readme).__name__}")
    description = record.get("description") or ""
    if not isinstance(description, str):
        raise HeuristagError(f"{where}: description", f"must be a string, got {type(description).__name__}")
    if record.get("vocabulary") is not None:
        vocabulary = parse_vocabulary(record["vocabulary"], f"{where}: vocabulary")
    return from_readme(readme.replace("\x00", " "), description=description.replace("\x00", " "),
                       id=record["id"], vocabulary=vocabulary, max_tags=max_tags)


def _last(matches: Iterator[re.Match[str]]) -> re.Match[str] | None:
    found = None
    for found in matches:  # noqa: B007 - we want the last one
        pass
    return found


def _valid_id(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _decode_json_at(text: str, start: int, where: str, what: str) -> tuple[Any, int]:
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise HeuristagError(where, f"the {what} is not valid JSON: {exc.msg} at character {exc.pos - start}") from None
    except RecursionError:  # thousands of nested brackets: hostile, and not a tag list anyway
        raise HeuristagError(where, f"the {what} is nested too deeply") from None
    return value, end
