"""``tag_many``: the batch machinery as a library call, streaming a Result (or error record) per record.

Records are what a JSONL line holds: a dict ``{id, description, readme, vocabulary?, prompt?}``, or the
line itself as str or bytes (parsed as `heuristag batch` parses it). Every record gives exactly one
answer, in input order: a ``Result``, or a ``RecordError`` equal to the error record `heuristag batch`
writes for the same line (its ``line`` is the record's 1-based position). ``workers > 1`` forks worker
processes that inherit the Tagger; where fork is not available (Windows) the records are tagged in this
process, with the same answers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from typing import Any

from ..engine.errors import require_positive
from ..engine.result import FORMATS, RecordError, Result


def tag_many(records: Iterable[Any], tagger: Any = None, *, workers: int = 1,
             fmt: str = "objects") -> Iterator[Result | RecordError]:
    """Tag ``records`` lazily, in input order; ``fmt`` is what ``to_json()`` of each answer defaults to
    in the CLI (kept here so an answer's JSON is the CLI's line: ``answer.to_json(fmt)``)."""
    require_positive("workers", workers)
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if tagger is None:
        from ..engine.tagger import default_tagger

        tagger = default_tagger()
    return _stream(records, tagger, workers, fmt)


def _stream(records: Iterable[Any], tagger: Any, workers: int, fmt: str) -> Iterator[Result | RecordError]:
    from . import batch

    spec = batch.TaggerSpec(fmt=fmt, parser=tagger.parser)
    items = (_item(n, record) for n, record in enumerate(records, start=1))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        state = batch._State(spec, tagger)
        for item in items:
            yield batch.answer_item(item, state)
        return
    pool = batch._make_pool(workers, spec, tagger, "fork")
    try:
        for answers in batch._outcomes_from_pool(items, pool, workers, batch._answer_chunk):
            yield from answers
        pool.close()
        pool.join()
    finally:
        pool.terminate()


def _item(n: int, record: Any) -> Any:
    from .batch import Item

    where = f"line {n}"
    if isinstance(record, str):
        record = record.encode("utf-8", "surrogatepass")
    if isinstance(record, (bytes, bytearray, memoryview)):
        return Item(n, where, data=bytes(record))
    return Item(n, where, record=record, in_memory=True)
