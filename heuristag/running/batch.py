"""The `batch` sub-command: many documents in (JSONL or a folder), exactly one JSON line out per document.

Streaming by design: input is read one line (or one file) at a time and at most a bounded window of
chunks is in flight, so memory stays flat whatever the input size. Every record gets an output line, in
input order: the Result JSON, or ``{"id": ..., "line": N, "error": "..."}`` saying what went wrong and
where (id null when the record's own could not be read). The per-record function is the same in-process
and in the worker pool, so 1 or N workers give the same bytes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..engine.errors import HeuristagError, one_line, require_positive
from ..engine.parsers import resolve as resolve_parser
from ..engine.request import DEFAULT_MAX_TAGS, from_prompt, from_readme, from_record, looks_like_prompt
from ..engine.result import FORMATS, RecordError, Result
from ..engine.textio import MAX_FILE_BYTES, read_text_file
from . import resume
from .outputs import OUTPUT_FORMATS, header, output_format_for, row_writer

#: A JSONL line longer than this becomes an error record (it is skipped, never held whole in memory twice).
MAX_LINE_BYTES = MAX_FILE_BYTES
#: A chunk (the unit of work sent to a worker) closes at this many records or this many bytes.
CHUNK_RECORDS = 16
CHUNK_BYTES = 4 * 1024 * 1024
#: At most this many chunks per worker are queued or running: bounds memory, keeps workers busy.
WINDOW_PER_WORKER = 4
#: Read size while skipping the rest of an over-long line.
_SKIP_READ = 1 << 20


# ---------------------------------------------------------------- data between stages

@dataclass(frozen=True)
class TaggerSpec:
    """What a worker process needs to build the same Tagger as the parent: small and picklable."""

    rules_dirs: tuple[str, ...] = ()
    builtin_rules: bool = True
    tags: str | None = None
    fmt: str = "objects"
    encoding: str | None = None   # --encoding: input files and JSONL lines in this codec, not detected
    parser: str | None = None     # --parser, resolved by the parent (parsers.resolve), so workers agree
    confidence: bool = False      # --confidence: "confidence" beside "tags" (Tagger.confidence)


@dataclass(frozen=True)
class Item:
    """One input record before tagging. Exactly one of ``data``/``path``/``error`` says what to do."""

    lineno: int                 # 1-based line of a JSONL input; 0 for a file of a folder
    where: str                  # "line 17" or the file's relative path: the start of every error message
    data: bytes | None = None   # JSONL: the raw line, parsed in the worker (parsing is work too)
    path: str | None = None     # folder: the file to read, read in the worker
    rel: str | None = None      # folder: the id of a README file
    error: str | None = None    # a problem found while reading (an over-long line)
    record: Any = None          # tag_many: a record already in memory (any value: a dict, or not)
    in_memory: bool = False     # ... and ``record`` is it

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 256


@dataclass(frozen=True)
class Outcome:
    """One output line (without its newline) and whether it is a result or an error record."""

    line: bytes
    ok: bool
    truncated: bool = False


@dataclass(frozen=True)
class BatchStats:
    read: int            # records read from the input
    written: int         # lines written (== read unless interrupted)
    tagged: int
    errors: int
    truncated: int       # READMEs analysed up to MAX_README_CHARS only
    seconds: float
    interrupted: bool
    exhausted: bool      # the whole input was read
    estimated_total: int | None = None

    @property
    def exit_code(self) -> int:
        return 130 if self.interrupted else (1 if self.errors else 0)


# ---------------------------------------------------------------- sources

class JsonlSource:
    """JSONL records from a file or stdin, line by line; knows how far through the file it is."""

    def __init__(self, path: str, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.path = path
        self.where = "<stdin>" if path == "-" else path
        self.max_line_bytes = max_line_bytes
        self.bytes_read = 0
        self.total_bytes: int | None = None
        self._stream: BinaryIO | None = None

    def open(self) -> None:
        """Open now, so a missing input is an exit-2 error before any output file is created."""
        if self.path == "-":
            self._stream = sys.stdin.buffer
        else:
            if os.path.isdir(self.path):
                raise HeuristagError(self.where, "is a directory (a folder input is tagged file by file)")
            try:
                self._stream = open(self.path, "rb")  # noqa: SIM115 - closed by close()
            except FileNotFoundError:
                raise HeuristagError(self.where, "no such file or folder") from None
            except OSError as exc:
                raise HeuristagError(self.where, f"cannot read: {exc.strerror or exc}") from None
        self.total_bytes = _regular_size(self._stream)

    def close(self) -> None:
        if self._stream is not None and self.path != "-":
            self._stream.close()

    def __iter__(self) -> Iterator[Item]:
        if self._stream is None:
            self.open()
        assert self._stream is not None
        lines = _capped_lines(self._stream, self.max_line_bytes, self.where)
        for lineno, (line, nbytes) in enumerate(lines, start=1):
            self.bytes_read += nbytes
            if line is None:
                yield Item(lineno, f"line {lineno}", error=f"line {lineno}: line is {nbytes:,} bytes; the limit "
                                                           f"is {self.max_line_bytes:,} (record skipped)")
            elif not line.isspace():
                yield Item(lineno, f"line {lineno}", data=line)


def _regular_size(stream: BinaryIO) -> int | None:
    """The byte size of a regular file (a pipe has none): what the progress bar's ETA is based on."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    import stat

    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _capped_lines(stream: BinaryIO, cap: int, where: str) -> Iterator[tuple[bytes | None, int]]:
    """Lines of at most ``cap`` bytes; a longer one is skipped in pieces and yielded as (None, its size)."""
    while True:
        try:
            line = stream.readline(cap + 1)
        except OSError as exc:
            raise HeuristagError(where, f"cannot read: {exc.strerror or exc}") from None
        if not line:
            return
        if len(line) <= cap or line.endswith(b"\n"):
            yield line, len(line)
            continue
        skipped = len(line)
        del line
        while True:
            rest = stream.readline(_SKIP_READ)
            skipped += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        yield None, skipped


class FolderSource:
    """Every file of a folder tree (hidden ones excepted): a folder's files by name, then its sub-folders."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.where = root
        self.bytes_read = 0
        self.total_bytes: int | None = None

    def open(self) -> None:
        if not self.root.is_dir():
            raise HeuristagError(self.where, "no such folder")

    def close(self) -> None:
        pass

    def __iter__(self) -> Iterator[Item]:
        for path, error in walk_files(self.root):
            rel = path.relative_to(self.root).as_posix()
            if error is not None:
                yield Item(0, rel, rel=rel, error=f"{path}: cannot list this folder: {error}")
            else:
                yield Item(0, rel, path=str(path), rel=rel)


def walk_files(root: Path) -> Iterator[tuple[Path, str | None]]:
    """A sorted, deterministic walk that skips dot-files and dot-folders (.git, .DS_Store).

    A folder that cannot be listed is yielded with the reason, so it becomes an error line, not a gap.
    """
    failed: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=failed.append):
        while failed:
            exc = failed.pop(0)
            yield Path(exc.filename or dirpath), exc.strerror or str(exc)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name, None
    for exc in failed:
        yield Path(exc.filename or root), exc.strerror or str(exc)


def open_source(path: str, max_line_bytes: int = MAX_LINE_BYTES) -> JsonlSource | FolderSource:
    source: JsonlSource | FolderSource
    source = FolderSource(path) if path != "-" and os.path.isdir(path) else JsonlSource(path, max_line_bytes)
    source.open()
    return source


# ---------------------------------------------------------------- one record (same code in every process)

@dataclass(frozen=True)
class _State:
    spec: TaggerSpec
    tagger: Any
    error: str | None = None


def build_tagger(spec: TaggerSpec) -> Any:
    """The Tagger a spec describes, built exactly as `heuristag tag` builds it."""
    from ..commands import make_tagger

    args = argparse.Namespace(rules=list(spec.rules_dirs), no_builtin_rules=not spec.builtin_rules, tags=spec.tags,
                              encoding=spec.encoding, parser=spec.parser)
    return make_tagger(args)


def process(item: Item, state: _State) -> Outcome:
    """Tag one item into its output line; every failure becomes an error record, so nothing is dropped."""
    answer = answer_item(item, state)
    if isinstance(answer, Result) and state.spec.confidence:
        line = answer.to_json(state.spec.fmt, state.tagger.confidence(answer))
    else:
        line = answer.to_json(state.spec.fmt)
    return Outcome(_encode(line), isinstance(answer, Result), answer.truncated)


def answer_item(item: Item, state: _State) -> Result | RecordError:
    """The Result of one item, or the error record saying what went wrong and where."""
    if item.error is not None:
        return _error(item, item.error)
    if state.error is not None:
        return _error(item, f"{item.where}: {state.error}")
    if item.in_memory:
        return _guarded(item, _record_id(item.record), lambda: _tag_record(item.record, item.where, state))
    if item.data is not None:
        return _process_line(item, state)
    return _guarded(item, item.rel, lambda: _tag_file(item, state))


def _process_line(item: Item, state: _State) -> Result | RecordError:
    data: bytes | str = item.data or b""
    try:
        if state.spec.encoding is not None and isinstance(data, bytes):
            data = data.decode(state.spec.encoding)
        record = json.loads(data, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        if state.spec.encoding is not None:
            return _error(item, f"{item.where}: not valid {state.spec.encoding} (invalid byte at offset "
                                f"{exc.start})")
        return _error(item, f"{item.where}: not UTF-8 (invalid byte at offset {exc.start})")
    except RecursionError:
        return _error(item, f"{item.where}: invalid JSON: nested too deeply")
    except json.JSONDecodeError as exc:
        return _error(item, f"{item.where}: invalid JSON: {exc.msg} at column {exc.colno}")
    except ValueError as exc:  # NaN/Infinity, integers over the digit limit
        return _error(item, f"{item.where}: invalid JSON: {exc}")
    return _guarded(item, _record_id(record), lambda: _tag_record(record, item.where, state))


def _tag_record(record: Any, where: str, state: _State) -> Result:
    tagger = state.tagger
    max_tags = min(DEFAULT_MAX_TAGS, len(tagger.vocabulary))
    request = from_record(record, where, vocabulary=tagger.vocabulary, max_tags=max_tags)
    return tagger.tag_request(request)


def _tag_file(item: Item, state: _State) -> Result:
    """A README (id = its relative path) or a seed-style prompt (its own id, as `heuristag tag` does)."""
    tagger = state.tagger
    text = read_text_file(item.path or "", state.spec.encoding)
    if looks_like_prompt(text):
        request = from_prompt(text, item.where)
    else:
        request = from_readme(text, id=item.rel, vocabulary=tagger.vocabulary,
                              max_tags=min(DEFAULT_MAX_TAGS, len(tagger.vocabulary)))
    return tagger.tag_request(request)


def _guarded(item: Item, ident: Any, work: Callable[[], Result]) -> Result | RecordError:
    """Run one record's work; a user error or even a bug becomes that record's error line."""
    where = item.where
    try:
        return work()
    except HeuristagError as exc:
        return _error(item, str(exc), ident)
    except RecursionError:
        return _error(item, f"{where}: input nested too deeply to analyse", ident)
    except MemoryError:
        return _error(item, f"{where}: out of memory while tagging this record", ident)
    except Exception as exc:  # noqa: BLE001 - one bad record must never stop a batch of a million
        return _error(item, f"{where}: internal error: {type(exc).__name__}: {exc}", ident)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _record_id(record: Any) -> Any:
    """The record's own id when it has a usable one, else None (its line is in the error record)."""
    if isinstance(record, dict) and "id" in record:
        value = record["id"]
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
    return None


def _error(item: Item, message: str, ident: Any = None) -> RecordError:
    """A JSONL line's error carries the record's own id (None when it could not be read: a line number
    never poses as an id) and the line; a folder's carries the file's path as its id."""
    if not item.lineno:  # a folder's file (its path is its id), or a record of a dask bag (its own id)
        return RecordError(item.rel if item.rel is not None else ident, one_line(message))
    return RecordError(ident, one_line(message), item.lineno)


def _encode(line: str) -> bytes:
    """UTF-8; a lone surrogate (from a ``\\ud800`` escape in the input) is written back as that escape."""
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return line.encode("utf-8", "backslashreplace")


# ---------------------------------------------------------------- worker pool

_STATE: _State | None = None


def _init_worker(spec: TaggerSpec) -> None:
    """Build the Tagger once per process (inherited as is after a fork); Ctrl-C is the parent's business."""
    global _STATE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _STATE is not None and _STATE.spec == spec:
        return
    try:
        _STATE = _State(spec, build_tagger(spec))
    except Exception as exc:  # noqa: BLE001 - a raising initializer makes Pool respawn workers forever
        _STATE = _State(spec, None, error=f"worker could not load the rules: {one_line(str(exc))}")


def _run_chunk(chunk: list[Item]) -> list[Outcome]:
    assert _STATE is not None
    return [process(item, _STATE) for item in chunk]


def _answer_chunk(chunk: list[Item]) -> list[Result | RecordError]:
    """tag_many's unit of work: the Results themselves travel back (they pickle; a Tagger does not)."""
    assert _STATE is not None
    return [answer_item(item, _STATE) for item in chunk]


def start_method() -> str:
    """'fork' on Linux (workers start in milliseconds and inherit the compiled rules), else 'spawn'."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return "fork" if sys.platform.startswith("linux") and "fork" in methods else "spawn"


def _make_pool(workers: int, spec: TaggerSpec, tagger: Any, method: str | None) -> Any:
    import multiprocessing

    global _STATE
    method = method or start_method()
    if method == "fork":
        _STATE = _State(spec, tagger)  # the children inherit it: no rule loading at all
    ctx = multiprocessing.get_context(method)
    return ctx.Pool(workers, initializer=_init_worker, initargs=(spec,))


def chunks(items: Iterable[Item], max_records: int = CHUNK_RECORDS,
           max_bytes: int = CHUNK_BYTES) -> Iterator[list[Item]]:
    """Group items into chunks closed by count or by size, whichever comes first."""
    chunk: list[Item] = []
    size = 0
    for item in items:
        chunk.append(item)
        size += item.size
        if len(chunk) >= max_records or size >= max_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _outcomes_in_process(source: Iterable[Item], state: _State) -> Iterator[list[Outcome]]:
    for item in source:
        yield [process(item, state)]


def _outcomes_from_pool(source: Iterable[Item], pool: Any, workers: int,
                        work: Callable[[list[Item]], list[Any]] = _run_chunk) -> Iterator[list[Any]]:
    """Submit chunks with at most WINDOW_PER_WORKER * workers in flight; yield results in input order.

    (``Pool.imap`` would read the whole input ahead into its task queue: memory would grow with it.)
    """
    window = WINDOW_PER_WORKER * workers
    pending: deque[Any] = deque()
    watch = _WorkerWatch(pool)
    done = 0
    for chunk in chunks(source):
        pending.append(pool.apply_async(work, (chunk,)))
        while len(pending) >= window:
            batch = watch.wait(pending.popleft(), done)
            done += len(batch)
            yield batch
    while pending:
        batch = watch.wait(pending.popleft(), done)
        done += len(batch)
        yield batch


class _WorkerWatch:
    """A Pool whose worker dies (OOM killer, a crash in C code) loses that worker's chunk and would
    wait for it forever: notice the death and stop with a clear error instead of hanging.

    Workers only ever end when the pool does (no maxtasksperchild), so a worker that exited, or a
    pid the pool did not start with (its replacement), means a death.
    """

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        # now, before any task: the pool forgets a dead worker within 0.1 s
        self.first = {proc.pid: proc for proc in self._workers()}

    def _workers(self) -> list[Any]:
        return list(getattr(self.pool, "_pool", ()))  # private, but stable since Python 3.0

    def wait(self, result: Any, done: int) -> list[Outcome]:
        import multiprocessing

        while True:
            try:
                return result.get(timeout=0.5)
            except multiprocessing.TimeoutError:
                self._check(done)

    def _check(self, done: int) -> None:
        dead = [p.exitcode for p in self.first.values() if p.exitcode is not None]
        replaced = any(p.pid not in self.first for p in self._workers())
        if not dead and not replaced:
            return
        code = dead[0] if dead else None
        how = "" if code is None else f" (killed by signal {-code})" if code < 0 else f" (exit code {code})"
        raise HeuristagError("batch", f"a worker process died{how} after {done} records were written; its "
                                      "records are lost: try fewer --workers, or --workers 1")


# ---------------------------------------------------------------- Ctrl-C, progress, the main loop

class _Interrupts:
    """SIGINT raises KeyboardInterrupt as usual, except while a line is being written: then it waits.

    That is what keeps the output made of complete lines whenever Ctrl-C comes.
    """

    def __init__(self) -> None:
        self._deferring = False
        self._pending = False
        self._previous: Any = None

    def install(self) -> None:
        import threading

        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self._deferring:
            self._pending = True
        else:
            raise KeyboardInterrupt

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt


class _Progress:
    """A tqdm bar in records/s; with a file input, total and ETA estimated from the bytes read so far."""

    def __init__(self, enabled: bool, source: JsonlSource | FolderSource | _Skipping) -> None:
        self.source = source
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(unit="rec", file=sys.stderr, dynamic_ncols=True, smoothing=0.05, mininterval=0.2)

    def update(self, done: int, read: int, n: int) -> None:
        if self.bar is None:
            return
        total = self.source.total_bytes
        if total and self.source.bytes_read:
            estimate = max(done + n, read, int(read * total / self.source.bytes_read))
            if estimate != self.bar.total:
                self.bar.total = estimate
        self.bar.update(n)

    def close(self, exhausted: bool, read: int) -> None:
        if self.bar is not None:
            if exhausted:
                self.bar.total = read
                self.bar.refresh()
            self.bar.close()


class _Counting:
    """Wraps a source to count records read and notice when it ran dry."""

    def __init__(self, source: Iterable[Item]) -> None:
        self.source = source
        self.read = 0
        self.exhausted = False

    def __iter__(self) -> Iterator[Item]:
        for item in self.source:
            self.read += 1
            yield item
        self.exhausted = True


def run_batch(source: JsonlSource | FolderSource | _Skipping, sink: BinaryIO, spec: TaggerSpec, tagger: Any, *,
              workers: int = 1, progress: bool = False, start: str | None = None,
              row: Callable[[bytes], bytes] | None = None) -> BatchStats:
    """Tag every record of ``source`` and write one line each to ``sink``, in input order.

    Never raises KeyboardInterrupt: an interrupt ends the run with complete lines written and
    ``interrupted`` set. ``tagger`` is the parent's (already validated) Tagger for ``spec``. ``row``
    turns a record's JSON line into what is written (default: the line and a newline; CSV: outputs.py).
    """
    encode_row = row or (lambda line: line + b"\n")
    t0 = time.perf_counter()
    counted = _Counting(source)
    interrupts = _Interrupts()
    written = tagged = errors = truncated = 0
    interrupted = False
    pool = None
    bar: _Progress | None = None
    interrupts.install()
    try:
        if workers > 1:
            sink.flush()  # nothing buffered may be duplicated into the forked children
            pool = _make_pool(workers, spec, tagger, start)
            batches = _outcomes_from_pool(counted, pool, workers)
        else:
            batches = _outcomes_in_process(counted, _State(spec, tagger))
        bar = _Progress(progress, source)  # after the fork: tqdm starts a monitor thread
        for batch in batches:
            with interrupts.deferred():  # lines and counts stay in step whenever Ctrl-C comes
                for outcome in batch:
                    sink.write(encode_row(outcome.line))
                sink.flush()
                written += len(batch)
                ok = sum(o.ok for o in batch)
                tagged += ok
                errors += len(batch) - ok
                truncated += sum(o.truncated for o in batch)
            bar.update(written - len(batch), counted.read, len(batch))
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if pool is not None:
            pool.terminate()
        interrupts.restore()
        if bar is not None:
            bar.close(counted.exhausted, counted.read)
        _safe_flush(sink)
    estimate = None
    total, done = source.total_bytes, source.bytes_read
    if interrupted and not counted.exhausted and total and done:
        estimate = max(counted.read, int(counted.read * total / done))
    return BatchStats(read=counted.read, written=written, tagged=tagged, errors=errors, truncated=truncated,
                      seconds=time.perf_counter() - t0, interrupted=interrupted, exhausted=counted.exhausted,
                      estimated_total=estimate)


def _safe_flush(sink: BinaryIO) -> None:
    with suppress(OSError, ValueError):
        sink.flush()


def summary(stats: BatchStats) -> str:
    """The one line on stderr at the end of a batch."""
    plural = "s" if stats.errors != 1 else ""
    counts = f"{stats.tagged} tagged, {stats.errors} error{plural} in {stats.seconds:.1f} s"
    if stats.truncated:
        from ..engine.document import MAX_README_CHARS, MAX_README_LINES

        counts += (f" ({stats.truncated} analysed up to their first {MAX_README_CHARS:,} characters"
                   f" or {MAX_README_LINES:,} lines)")
    if not stats.interrupted:
        return f"heuristag: {stats.written} records, {counts}"
    if stats.exhausted:
        of = f"{stats.read}"
    elif stats.estimated_total:
        of = f"about {stats.estimated_total}"
    else:
        of = f"at least {stats.read}"
    return f"heuristag: interrupted after {stats.written} of {of} records: {counts}"


# ---------------------------------------------------------------- the command

def default_workers() -> int:
    """CPUs this process may run on (the affinity mask in a container), else os.cpu_count()."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def register(sub: Any) -> None:
    from ..commands import add_confidence_option, add_encoding_option, add_rule_options, examples

    p = sub.add_parser("batch", help="tag a JSONL file (or a folder of READMEs/prompts): one JSON line per record",
                       **examples("heuristag batch repos.jsonl -o tagged.jsonl --workers 2",
                                  "heuristag batch docs/readmes/ -o tagged.csv          # a folder; CSV by extension",
                                  "zcat huge.jsonl.gz | heuristag batch - --format names > tagged.jsonl"))
    p.add_argument("input", metavar="INPUT",
                   help="JSONL of {id, description, readme, vocabulary?, prompt?} records ('-' for stdin), "
                        "or a folder of README/prompt files")
    p.add_argument("-o", "--output", default="-", metavar="OUT.jsonl", help="where to write ('-': stdout, the default)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (default: the CPU count); the output is the same for any N")
    add_rule_options(p)
    add_encoding_option(p)
    p.add_argument("--format", choices=FORMATS, default="objects",
                   help="tags as vocabulary objects, ids or names (JSONL output; CSV has both names and ids)")
    p.add_argument("--output-format", choices=OUTPUT_FORMATS, default=None,
                   help="jsonl, or csv (id, tags, tag_ids, error; UTF-8 with BOM, CRLF, for spreadsheets); "
                        "default: csv when OUT ends in .csv, else jsonl")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.add_argument("--dask", nargs="?", const="", default=None, metavar="SCHEDULER",
                   help="tag on a Dask cluster (the scheduler's address, e.g. tcp://10.0.0.5:8786; none: a local "
                        "cluster of --workers processes); INPUT is a JSONL file, a glob of them or a URL the workers "
                        "read; the output is the same bytes; -o DIR: one output per input file (needs heuristag[dask])")
    p.add_argument("--resume", action="store_true",
                   help="OUT was left by an interrupted run of this same command: keep its complete records, "
                        "drop a torn last line, tag the rest (refused when input, rules or options differ; "
                        "the fingerprint is OUT.heuristag-resume.json)")
    add_confidence_option(p)
    p.add_argument("--max-line-bytes", type=int, default=MAX_LINE_BYTES, metavar="N",
                   help=f"a longer JSONL line becomes an error record (default {MAX_LINE_BYTES:,})")
    p.set_defaults(func=run)


def spec_from_args(args: argparse.Namespace, output_format: str = "jsonl") -> TaggerSpec:
    fmt = "objects" if output_format == "csv" else getattr(args, "format", "objects")  # CSV needs names and ids
    return TaggerSpec(rules_dirs=tuple(args.rules), builtin_rules=not args.no_builtin_rules,
                      tags=args.tags, fmt=fmt, encoding=getattr(args, "encoding", None),
                      parser=resolve_parser(getattr(args, "parser", None)),
                      confidence=getattr(args, "confidence", False))


def run(args: argparse.Namespace) -> int:
    require_positive("--workers", args.workers)
    require_positive("--max-line-bytes", args.max_line_bytes)
    workers = default_workers() if args.workers is None else args.workers
    to_file = args.output not in ("-", "")
    if args.dask is not None:
        return _run_dask(args, workers)
    if args.resume and not (to_file and args.input != "-"):
        raise HeuristagError("--resume", "needs -o FILE and an INPUT file or folder (stdin cannot be read again)")
    source = open_source(args.input, args.max_line_bytes)
    try:
        if isinstance(source, JsonlSource) and (args.encoding or "").startswith(("utf-16", "utf-32")):
            raise HeuristagError("--encoding", f"a JSONL input is split at newline bytes, so {args.encoding} "
                                               "cannot be read line by line: convert it to UTF-8")
        output_format = output_format_for(args.output, args.output_format)
        if args.confidence and output_format == "csv":
            raise HeuristagError("--confidence", "CSV output has no confidence column: write JSONL")
        spec = spec_from_args(args, output_format)
        tagger = build_tagger(spec)
        made_by = _fingerprint(args, spec, output_format) if to_file and args.input != "-" else None
        start = resume.resume_point(args.output, made_by, output_format == "csv") if args.resume else None
        if start is not None and start.offset == 0:
            start = None  # not even a CSV header: start again
        with _open_sink(args.output, args.input, append_at=start.offset if start else None) as sink:
            if made_by is not None:
                resume.write(args.output, made_by, complete=False)
            if start is None:
                sink.write(header(output_format))
            else:
                print(f"heuristag: resuming {args.output} after {start.records} complete records", file=sys.stderr)
            progress = sys.stderr.isatty() if args.progress is None else args.progress
            items = _Skipping(source, start.records) if start else source
            stats = run_batch(items, sink, spec, tagger, workers=workers, progress=progress,
                              row=row_writer(output_format))
        if made_by is not None and stats.exhausted and not stats.interrupted:
            resume.write(args.output, made_by, complete=True)
    finally:
        source.close()
    print(summary(stats), file=sys.stderr)
    if start is not None and start.errors and stats.exit_code == 0:
        return 1  # records that failed before the resume count too
    return stats.exit_code


def _run_dask(args: argparse.Namespace, workers: int) -> int:
    """--dask: the workers read INPUT themselves (dask.py); the output and its summary as without."""
    if args.resume:
        raise HeuristagError("--resume", "is not available with --dask (run the remaining records without --dask)")
    if args.input == "-" or os.path.isdir(args.input):
        raise HeuristagError("--dask", "needs INPUT to be a JSONL file, a glob of them or a URL, not stdin or a folder")
    from .dask import run_from_cli

    output_format = output_format_for(args.output, args.output_format)
    spec = spec_from_args(args, output_format)
    build_tagger(spec)  # bad rules are one error here, not one per record on the workers
    if os.path.isdir(args.output):
        stats = run_from_cli(args, spec, None, row_writer(output_format), workers, head=header(output_format))
    else:
        with _open_sink(args.output, args.input) as sink:
            sink.write(header(output_format))
            stats = run_from_cli(args, spec, sink, row_writer(output_format), workers)
    print(summary(stats), file=sys.stderr)
    return stats.exit_code


def _fingerprint(args: argparse.Namespace, spec: TaggerSpec, output_format: str) -> dict:
    """What makes this command's output bytes (resume.py): not --workers, not --parser."""
    from ..engine.builtin import builtin_dir

    rule_paths = [*spec.rules_dirs, *([spec.tags] if spec.tags else [])]
    options = {"format": spec.fmt, "output_format": output_format, "encoding": spec.encoding,
               "max_line_bytes": args.max_line_bytes, "rules_dirs": list(spec.rules_dirs), "tags": spec.tags,
               "builtin_rules": spec.builtin_rules}
    return resume.fingerprint(args.input, rule_paths, str(builtin_dir()) if spec.builtin_rules else None, options)


class _Skipping:
    """A source without its first ``n`` records: those a resumed run finds already written."""

    def __init__(self, source: JsonlSource | FolderSource, n: int) -> None:
        self.source = source
        self.n = n

    @property
    def total_bytes(self) -> int | None:
        return self.source.total_bytes

    @property
    def bytes_read(self) -> int:
        return self.source.bytes_read

    def __iter__(self) -> Iterator[Item]:
        items = iter(self.source)
        for _ in itertools.islice(items, self.n):
            pass
        yield from items


@contextmanager
def _open_sink(output: str, input_path: str, append_at: int | None = None) -> Iterator[BinaryIO]:
    """stdout, or OUT: new, or (``append_at``) cut after its complete records and written on from there."""
    if output in ("-", ""):
        yield sys.stdout.buffer
        return
    if input_path != "-" and os.path.exists(output) and os.path.exists(input_path) \
            and os.path.samefile(output, input_path):
        raise HeuristagError(output, "the output file is the input file")
    try:
        if append_at is None:
            sink = open(output, "wb")  # noqa: SIM115 - closed below
        else:
            sink = open(output, "r+b")  # noqa: SIM115 - closed below
            sink.truncate(append_at)
            sink.seek(append_at)
    except OSError as exc:
        raise HeuristagError(output, f"cannot write: {exc.strerror or exc}") from None
    try:
        yield sink
    finally:
        sink.close()
