"""Dask, for catalogues that outgrow one machine: `heuristag batch INPUT --dask [ADDRESS]`, and ``tag_bag``.

The workers read the input themselves, in blocks cut at newlines (``dask.bytes.read_bytes``: a file, a
glob of them, or any fsspec URL the workers can open). A first pass counts each block's lines, so every
record keeps the line number a local batch gives it; the second tags each block with the very function
a local batch runs (batch.process), and the parent writes the blocks' lines in input order: the same
bytes as `heuristag batch` without --dask (``-o DIR``: one output per input file instead). Workers
build the Tagger from the ``TaggerSpec`` once per process (a RuleSet holds mappingproxies and does not
pickle); --rules and --tags paths must be readable on the workers. Needs ``pip install
'heuristag[dask]'``. The Python API: ``tag_bag`` (a bag of records) and ``tag_dataframe`` (a dataframe
with id / description / readme columns).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from ..engine.errors import HeuristagError, one_line
from .batch import BatchStats, Item, Outcome, TaggerSpec, _State, build_tagger, process

#: Bytes per block a worker reads and tags at once.
BLOCK_BYTES = 8 * 1024 * 1024

_STATES: dict[TaggerSpec, _State] = {}


def _state(spec: TaggerSpec) -> _State:
    """This worker process's Tagger for ``spec``, built on first use."""
    state = _STATES.get(spec)
    if state is None:
        try:
            state = _State(spec, build_tagger(spec))
        except Exception as exc:  # noqa: BLE001 - every record then says why, as in the local pool
            state = _State(spec, None, error=f"worker could not load the rules: {one_line(str(exc))}")
        _STATES[spec] = state
    return state


def count_lines(block: bytes) -> int:
    """Lines in a block, as ``readline`` finds them: the last may lack its newline."""
    return block.count(b"\n") + (1 if block and not block.endswith(b"\n") else 0)


def block_items(block: bytes, first_line: int, max_line_bytes: int) -> Iterator[Item]:
    """The Items a JsonlSource yields for these lines (blank lines are no records; long ones are errors)."""
    lineno = first_line - 1
    start = 0
    size = len(block)
    while start < size:
        end = block.find(b"\n", start)
        end = size if end < 0 else end + 1
        line = block[start:end]
        start = end
        lineno += 1
        content = len(line) - (1 if line.endswith(b"\n") else 0)
        if content > max_line_bytes:
            yield Item(lineno, f"line {lineno}", error=f"line {lineno}: line is {len(line):,} bytes; the limit "
                                                       f"is {max_line_bytes:,} (record skipped)")
        elif not line.isspace():
            yield Item(lineno, f"line {lineno}", data=line)


def tag_block(block: bytes, first_line: int, spec: TaggerSpec, max_line_bytes: int) -> list[Outcome]:
    state = _state(spec)
    return [process(item, state) for item in block_items(block, first_line, max_line_bytes)]


def connect(address: str | None, workers: int) -> Any:
    """A client of the scheduler at ``address``, or of a local cluster of ``workers`` processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise HeuristagError("--dask", "needs dask: pip install 'heuristag[dask]'") from None
    if address:
        try:
            return Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise HeuristagError("--dask", f"cannot reach the scheduler at {address}: {one_line(str(exc))}") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    return Client(cluster)


def run_dask(input_path: str, sink: BinaryIO, spec: TaggerSpec, client: Any, *, max_line_bytes: int,
             row: Callable[[bytes], bytes], block_bytes: int = BLOCK_BYTES) -> BatchStats:
    """Tag INPUT on the cluster and write its lines to ``sink`` in input order, its files one after
    another and numbered on across them (as a local batch of their concatenation)."""
    t0 = time.perf_counter()
    files = _read_blocks(input_path, block_bytes)
    blocks = [b for _path, file_blocks in files for b in file_blocks]
    futures = _tag_blocks(client, blocks, _first_lines(client, blocks), spec, max_line_bytes)
    counts = _Counts()
    try:
        counts.write(futures, sink, row)
    except KeyboardInterrupt:
        counts.interrupted = True
        client.cancel(futures)
    return counts.stats(time.perf_counter() - t0)


def run_dask_to_folder(input_path: str, folder: str, spec: TaggerSpec, client: Any, *, max_line_bytes: int,
                       row: Callable[[bytes], bytes], head: bytes, block_bytes: int = BLOCK_BYTES) -> BatchStats:
    """-o DIR: one output per input file (its name), each numbered from line 1 as a batch of that file."""
    import os

    t0 = time.perf_counter()
    files = _read_blocks(input_path, block_bytes)
    names = [os.path.basename(path) for path, _blocks in files]
    if len(set(names)) != len(names):
        raise HeuristagError(input_path, "two input files share a name: one output file each needs distinct names")
    plans = [(name, blocks, _tag_blocks(client, blocks, _first_lines(client, blocks), spec, max_line_bytes))
             for name, (_path, blocks) in zip(names, files, strict=True)]
    counts = _Counts()
    try:
        for name, _blocks, futures in plans:
            with open(os.path.join(folder, name), "wb") as sink:
                sink.write(head)
                counts.write(futures, sink, row)
    except KeyboardInterrupt:
        counts.interrupted = True
        for _name, _blocks, futures in plans:
            client.cancel(futures)
    except OSError as exc:
        raise HeuristagError(folder, f"cannot write: {exc.strerror or exc}") from None
    return counts.stats(time.perf_counter() - t0)


def _read_blocks(input_path: str, block_bytes: int) -> list[tuple[str, list[Any]]]:
    """(path, delayed blocks cut at newlines) per input file, in path order."""
    from dask.bytes import read_bytes

    try:
        _sample, per_file, paths = read_bytes(input_path, delimiter=b"\n", blocksize=block_bytes, sample=False,
                                              include_path=True)
    except (OSError, ValueError) as exc:
        raise HeuristagError(input_path, f"cannot read: {one_line(str(exc))}") from None
    if not per_file:
        raise HeuristagError(input_path, "no such file")
    return list(zip(paths, per_file, strict=True))


def _first_lines(client: Any, blocks: list[Any]) -> list[int]:
    """The line number each block starts at: a first pass counts every block's lines."""
    import dask

    starts, line = [], 1
    for n in client.gather(client.compute([dask.delayed(count_lines)(b) for b in blocks])):
        starts.append(line)
        line += n
    return starts


def _tag_blocks(client: Any, blocks: list[Any], starts: list[int], spec: TaggerSpec, max_line_bytes: int) -> list:
    import dask

    return client.compute([dask.delayed(tag_block)(b, s, spec, max_line_bytes)
                           for b, s in zip(blocks, starts, strict=True)])


class _Counts:
    """Writes blocks' outcomes in order and counts them for the summary."""

    def __init__(self) -> None:
        self.written = self.tagged = self.errors = self.truncated = 0
        self.interrupted = False

    def write(self, futures: list, sink: BinaryIO, row: Callable[[bytes], bytes]) -> None:
        for future in futures:
            batch = future.result()
            future.release()
            for outcome in batch:
                sink.write(row(outcome.line))
            sink.flush()
            self.written += len(batch)
            self.tagged += sum(o.ok for o in batch)
            self.errors += sum(not o.ok for o in batch)
            self.truncated += sum(o.truncated for o in batch)

    def stats(self, seconds: float) -> BatchStats:
        return BatchStats(read=self.written, written=self.written, tagged=self.tagged, errors=self.errors,
                          truncated=self.truncated, seconds=seconds, interrupted=self.interrupted,
                          exhausted=not self.interrupted)


def worker_spec(spec: TaggerSpec, parser: str | None) -> TaggerSpec:
    """Workers choose their own parser (either gives the same bytes) unless one was asked for."""
    return replace(spec, parser=parser or "auto")


def run_from_cli(args: Any, spec: TaggerSpec, sink: BinaryIO | None, row: Callable[[bytes], bytes],
                 workers: int, head: bytes = b"") -> BatchStats:
    """``sink`` None: -o names a folder, one output per input file."""
    client = connect(args.dask or None, workers)
    spec = worker_spec(spec, getattr(args, "parser", None))
    try:
        if sink is None:
            return run_dask_to_folder(args.input, args.output, spec, client, max_line_bytes=args.max_line_bytes,
                                      row=row, head=head)
        return run_dask(args.input, sink, spec, client, max_line_bytes=args.max_line_bytes, row=row)
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None and not args.dask:
            cluster.close()


# ---------------------------------------------------------------- the Python API

def tag_bag(bag: Any, spec: TaggerSpec | None = None) -> Any:
    """A dask bag of records (dicts as in JSONL) -> a bag of their JSON answers (str), in order.

    ``spec`` says which rules, vocabulary and format (default: the built-in ones, tags as objects);
    an error record is ``{"id": ..., "error": "record: ..."}``.
    """
    return bag.map_partitions(_tag_records, spec or TaggerSpec())


def _tag_records(records: Any, spec: TaggerSpec) -> list[str]:
    state = _state(spec)
    out = []
    for record in records:
        outcome = process(Item(0, "record", record=record, in_memory=True), state)
        out.append(outcome.line.decode("utf-8"))
    return out


#: The columns ``tag_dataframe`` gives, in order.
ANSWER_COLUMNS = ("id", "tags", "error", "json")


def tag_dataframe(frame: Any, spec: TaggerSpec | None = None) -> Any:
    """A dask dataframe with ``id``, ``readme`` and (optional) ``description`` columns -> a dask
    dataframe with the same index (so it joins back onto ``frame``) and the columns ANSWER_COLUMNS:

    - ``id``: the row's own id column, as it is in ``frame`` (same dtype);
    - ``tags``: the answer's tag list as JSON text (``[{"id":17,"name":"ai"}]``; ids or names with
      ``spec.fmt``), missing (NA) for an error;
    - ``error``: missing, or why the row could not be tagged (``record: record has no "readme"``);
    - ``json``: the whole answer line, what `heuristag batch` writes for the same record.

    The answer columns are pandas strings, so ``to_parquet`` stores them as such. Each row is a record as
    in JSONL; a missing value (None, NaN, NA) is a missing field, so a row without a description is
    tagged from its README alone. Other columns (``vocabulary``) are passed on as record fields. Note
    that dask's ``dataframe.convert-string`` (on by default) makes a column of mixed ids (7 and "r8")
    strings before any of this sees them.
    """
    import pandas as pd

    id_dtype = frame["id"].dtype if "id" in frame.columns else pd.StringDtype()
    meta = pd.DataFrame({"id": pd.Series(dtype=id_dtype),
                         **{name: pd.Series(dtype=pd.StringDtype()) for name in ANSWER_COLUMNS[1:]}})
    return frame.map_partitions(_tag_partition, spec or TaggerSpec(), meta=meta)


def _tag_partition(part: Any, spec: TaggerSpec) -> Any:
    """One pandas partition's rows tagged, as the rows of ANSWER_COLUMNS on the same index."""
    import json

    import pandas as pd

    tags, errors, lines = [], [], []
    for line in _tag_records((_row_record(row) for row in part.to_dict(orient="records")), spec):
        answer = json.loads(line)
        found = answer.get("tags")
        tags.append(None if found is None else json.dumps(found, ensure_ascii=False, separators=(",", ":")))
        errors.append(answer.get("error"))
        lines.append(line)
    ids = part["id"] if "id" in part.columns else pd.Series([None] * len(part), index=part.index, dtype="string")
    return pd.DataFrame({"id": ids, "tags": pd.Series(tags, index=part.index, dtype="string"),
                         "error": pd.Series(errors, index=part.index, dtype="string"),
                         "json": pd.Series(lines, index=part.index, dtype="string")})


def _row_record(row: dict) -> dict:
    """A dataframe row as a JSONL record: missing values (None, NaN, NA) are missing fields."""
    import pandas as pd

    return {k: v for k, v in row.items()
            if not (v is None or (isinstance(v, (float, type(pd.NA), type(pd.NaT))) and pd.isna(v)))}
