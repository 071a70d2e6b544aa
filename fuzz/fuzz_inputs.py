"""Coverage-guided fuzzing (atheris/libFuzzer) of every input heuristag reads from a user.

Each target feeds raw bytes through the same code path the CLI or the library uses for that input and
asserts the one contract every input has: either a valid answer (at most N tags, each from the
vocabulary, JSON that round-trips strictly, the same answer when asked twice) or a clean
``HeuristagError`` whose message is one non-empty line. Any other exception is a finding; so is an
input that takes longer than libFuzzer's ``-timeout`` (a hang).

Targets (``--target=NAME`` or ``HEURISTAG_FUZZ_TARGET``), each with its seeds in ``fuzz/corpus/NAME``:

- ``prompt``  the bytes of a file given to ``heuristag tag``: decoded like every file, prompt detection,
              ``from_prompt`` (also forced, as ``--prompt yes`` does), then tagging.
- ``readme``  README bytes: decoded like a file (textio), then ``Tagger.tag`` with the built-in pack.
- ``rules``   a user rule folder of one or two YAML files (split at a line ``---8<---``), read and
              checked like ``--rules DIR``, layered over a base pack or alone, compiled, then used.
- ``vocab``   a vocabulary file in every format ``--tags`` reads (the first byte picks .json, .yaml,
              .txt or no suffix), then a Tagger with it.
- ``jsonl``   a JSONL batch input: every line through the batch record path; one output line per
              record, no "internal error" record.

Run for hours (new inputs go to the first, scratch, corpus folder; the seeds stay untouched)::

    mkdir -p /tmp/fuzz-readme && nice -n 10 .venv/bin/python fuzz/fuzz_inputs.py --target=readme \\
        -timeout=20 -max_len=8192 -artifact_prefix=/tmp/fuzz-readme- /tmp/fuzz-readme fuzz/corpus/readme
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports(include=["heuristag"]):
    # every module, lazy imports included, so all of heuristag is instrumented for coverage
    import heuristag.commands  # noqa: F401 - imported for instrumentation
    import heuristag.engine.document
    import heuristag.engine.matcher
    import heuristag.engine.scorer
    import heuristag.engine.yamlload  # noqa: F401 - imported for instrumentation
    import heuristag.running.batch as batch
    from heuristag.engine.errors import HeuristagError
    from heuristag.engine.request import DEFAULT_MAX_TAGS, Request, from_prompt, from_readme, looks_like_prompt
    from heuristag.engine.result import FORMATS, Result
    from heuristag.engine.rules import add_layer, load_rules, rule_files
    from heuristag.engine.tagger import Tagger
    from heuristag.engine.textio import decode_bytes
    from heuristag.engine.vocabulary import Vocabulary, load_vocabulary_file, parse_vocabulary
    from heuristag.running.outputs import CSV_COLUMNS, csv_row

HERE = Path(__file__).resolve().parent
PACK = HERE / "pack"
TARGETS = ("prompt", "readme", "rules", "vocab", "jsonl")
#: The separator that splits a `rules` input into two rule files of one folder.
SPLIT = b"\n---8<---\n"
#: First byte of a `vocab` input -> the file name the bytes are written to (the suffix picks the format).
VOCAB_NAMES = ("tags.json", "tags.yaml", "tags.yml", "tags.txt", "tags")
SCRATCH = Path(tempfile.mkdtemp(prefix="heuristag-fuzz-"))


class Finding(AssertionError):
    """The contract broke: an answer that is not valid, or an error that is not one clean line."""


# ---------------------------------------------------------------- the contract


def clean_error(exc: HeuristagError) -> None:
    message = str(exc)
    if not message.strip() or len(message.splitlines()) != 1:
        raise Finding(f"HeuristagError message is not one non-empty line: {message!r}")


def _reject_constant(name: str) -> Any:
    raise Finding(f"output JSON contains {name}, which is not JSON")


def check_result(result: Result, request: Request, vocabulary: Vocabulary) -> None:
    """At most N tags, each from the vocabulary, once; JSON that parses strictly back to the same value."""
    if request.max_tags < 1:
        raise Finding(f"request asks for {request.max_tags} tags")
    if len(result.tags) > request.max_tags:
        raise Finding(f"{len(result.tags)} tags for at most {request.max_tags}")
    keys = [t.key for t in result.tags]
    if len(set(keys)) != len(keys):
        raise Finding(f"a tag is output twice: {keys}")
    for t in result.tags:
        if vocabulary.get(t.name) != t:
            raise Finding(f"tag {t!r} is not the vocabulary's")
    if result.id != request.id:
        raise Finding(f"id {result.id!r} is not the request's {request.id!r}")
    for fmt in FORMATS:
        line = result.to_json(fmt)
        if "\n" in line or "\r" in line:
            raise Finding(f"output is not one line: {line!r}")
        line.encode("utf-8")  # what the CLI prints: a lone surrogate would be a UnicodeEncodeError there
        back = json.loads(line, parse_constant=_reject_constant)
        if back != result.as_dict(fmt):
            raise Finding(f"JSON does not round-trip: {line!r}")


def answer(tagger: Tagger, request: Request) -> Result:
    """Tag twice: the same request must give the same bytes (no state leaks between calls)."""
    vocabulary = request.vocabulary or tagger.vocabulary
    first = tagger.tag_request(request)
    check_result(first, request, vocabulary)
    second = tagger.tag_request(request)
    if second.to_json() != first.to_json():
        raise Finding(f"not deterministic: {first.to_json()} then {second.to_json()}")
    return first


def clean(work: Any, *args: Any, **kwargs: Any) -> Any:
    """``work(...)``'s value, or None after a clean HeuristagError; anything else propagates (a finding)."""
    try:
        return work(*args, **kwargs)
    except HeuristagError as exc:
        clean_error(exc)
        return None


# ---------------------------------------------------------------- taggers, built once

_TAGGERS: dict[str, Tagger] = {}


def builtin_tagger() -> Tagger:
    if "builtin" not in _TAGGERS:
        _TAGGERS["builtin"] = Tagger()
    return _TAGGERS["builtin"]


def pack_tagger() -> Tagger:
    if "pack" not in _TAGGERS:
        _TAGGERS["pack"] = Tagger(rules=load_rules([PACK], builtin=False),
                                  vocabulary=load_vocabulary_file(PACK / "vocab.json"))
    return _TAGGERS["pack"]


# ---------------------------------------------------------------- targets


def fuzz_prompt(data: bytes) -> None:
    """A file given to `heuristag tag FILE`: decoded, prompt detected (or forced), parsed, tagged."""
    text = clean(decode_bytes, data, "prompt.txt")
    if text is None:
        return
    tagger = pack_tagger()
    forced = clean(from_prompt, text, "prompt.txt")  # --prompt yes
    if forced is not None:
        if forced.vocabulary is None or not 1 <= forced.max_tags <= len(forced.vocabulary):
            raise Finding(f"prompt gave max_tags {forced.max_tags} for {forced.vocabulary!r}")
        answer(tagger, forced)
    if looks_like_prompt(text):  # --prompt auto
        if forced is not None:
            answer(tagger, forced)
    else:
        request = from_readme(text, id="prompt.txt", vocabulary=tagger.vocabulary,
                              max_tags=min(DEFAULT_MAX_TAGS, len(tagger.vocabulary)))
        answer(tagger, request)


def fuzz_readme(data: bytes) -> None:
    """README bytes as a file is read (BOMs, UTF-8, legacy detection), tagged with the built-in pack."""
    text = clean(decode_bytes, data, "README.md")
    if text is None:
        return
    tagger = builtin_tagger()
    first = tagger.tag(text, id="README.md")
    request = from_readme(text, id="README.md", vocabulary=tagger.vocabulary)
    check_result(first, request, tagger.vocabulary)
    if tagger.tag(text, id="README.md").to_json() != first.to_json():
        raise Finding("not deterministic")
    # the same bytes as the one-line description of an empty README
    answer(tagger, from_readme("x", description=text, id=7, vocabulary=tagger.vocabulary))


def _write_rule_folder(data: bytes) -> Path:
    folder = SCRATCH / "rules"
    tags = folder / "tags"
    tags.mkdir(parents=True, exist_ok=True)
    for old in (*folder.glob("*.yaml"), *tags.glob("*.yaml")):
        old.unlink()
    first, _, second = data.partition(SPLIT)
    (folder / "a.yaml").write_bytes(first)
    if second:
        (tags / "b.yaml").write_bytes(second)
    return folder


def fuzz_rules(data: bytes) -> None:
    """A user's --rules folder: read, schema-checked, layered (over the base pack, or alone), compiled, used."""
    over_base = not data[:1] or data[0] & 1
    folder = _write_rule_folder(data[1:])
    base = pack_tagger().rules if over_base else None
    rules = clean(load_rules, [folder], builtin=False) if base is None else \
        clean(add_layer, base, rule_files(folder), check=True)
    if rules is None:
        return
    names = [r.name for r in rules.tags.values()]
    vocabulary = clean(parse_vocabulary, names + ["database", "cli"], "rule tags") if names else None
    vocabulary = vocabulary or pack_tagger().vocabulary
    tagger = clean(Tagger, rules=rules, vocabulary=vocabulary)
    if tagger is None:
        return
    readme = data[1:].decode("utf-8", "replace").replace("\x00", " ")  # the rules' own words match
    answer(tagger, from_readme(readme, description=" ".join(names)[:300], id="r",
                               vocabulary=vocabulary, max_tags=min(3, len(vocabulary))))


def fuzz_vocab(data: bytes) -> None:
    """A --tags file in any format, then a Tagger with it over the base pack, then a README of its names."""
    name = VOCAB_NAMES[data[0] % len(VOCAB_NAMES)] if data else VOCAB_NAMES[0]
    path = SCRATCH / name
    path.write_bytes(data[1:])
    vocabulary = clean(load_vocabulary_file, path)
    if vocabulary is None:
        return
    if not len(vocabulary) or len(vocabulary.keys) != len(vocabulary):
        raise Finding(f"vocabulary of {len(vocabulary)} tags with {len(vocabulary.keys)} keys")
    tagger = Tagger(rules=pack_tagger().rules, vocabulary=vocabulary)
    names = [t.name for t in vocabulary]
    readme = "# " + " ".join(names[:3]) + "\n\n" + "\n".join(f"- {n}" for n in names[:200])
    for n in (1, DEFAULT_MAX_TAGS, 1000):
        answer(tagger, from_readme(readme, description=names[-1], id=1, vocabulary=vocabulary, max_tags=min(
            n, len(vocabulary))))


def fuzz_jsonl(data: bytes) -> None:
    """A JSONL batch input, through the batch loop itself: one output line per record, none an internal error."""
    path = SCRATCH / "in.jsonl"
    path.write_bytes(data)
    tagger = builtin_tagger()
    spec = batch.TaggerSpec()
    source = batch.JsonlSource(str(path), max_line_bytes=4096)
    sink = _Sink()
    try:
        stats = clean(batch.run_batch, source, sink, spec, tagger, workers=1)
    finally:
        source.close()
    if stats is None:
        return
    lines = sink.getvalue().split(b"\n")
    if lines[-1] != b"":
        raise Finding("output does not end with a newline")
    pieces = data.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    expected = sum(1 for piece in pieces if not (piece + b"\n").isspace())  # blank lines are no records
    out = lines[:-1]
    if not stats.read == stats.written == len(out) == expected:
        raise Finding(f"{expected} records: {stats.read} read, {stats.written} written, {len(out)} lines out")
    for raw in out:
        record = json.loads(raw, parse_constant=_reject_constant)
        if not isinstance(record, dict) or set(record) not in ({"id", "tags"}, {"id", "line", "error"}):
            raise Finding(f"output line {raw!r} is neither a result nor an error record")
        if "error" in record:
            if "internal error" in record["error"] or len(record["error"].splitlines()) != 1:
                raise Finding(f"error record {raw!r}")
        elif len(record["tags"]) > DEFAULT_MAX_TAGS:
            raise Finding(f"more than {DEFAULT_MAX_TAGS} tags: {raw!r}")
        _check_csv_row(raw)


def _check_csv_row(raw: bytes) -> None:
    """The CSV writer turns every record line into exactly one row of the four columns."""
    import csv
    import io

    row = csv_row(raw)
    cells = list(csv.reader(io.StringIO(row.decode("utf-8"), newline="")))
    if len(cells) != 1 or len(cells[0]) != len(CSV_COLUMNS) or not row.endswith(b"\r\n"):
        raise Finding(f"CSV row {row!r} for {raw!r}")


class _Sink:
    """An in-memory binary sink with the file methods run_batch uses."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, b: bytes) -> int:
        self._parts.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


FUZZERS = {"prompt": fuzz_prompt, "readme": fuzz_readme, "rules": fuzz_rules, "vocab": fuzz_vocab,
           "jsonl": fuzz_jsonl}


def _target(argv: list[str]) -> tuple[str, list[str]]:
    target = os.environ.get("HEURISTAG_FUZZ_TARGET", "")
    rest = []
    for arg in argv:
        if arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if target not in FUZZERS:
        sys.exit(f"fuzz_inputs.py: choose a target with --target=NAME or HEURISTAG_FUZZ_TARGET "
                 f"({', '.join(TARGETS)}), got {target!r}")
    return target, rest


def main() -> None:
    target, argv = _target(sys.argv)
    fuzzer = FUZZERS[target]
    if target in ("readme", "jsonl"):
        builtin_tagger()
    pack_tagger()
    if not any(a.startswith("-timeout=") for a in argv):
        argv.append("-timeout=20")  # a hang is a finding: no input may take longer
    atheris.Setup(argv, fuzzer)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
