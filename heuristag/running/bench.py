"""The `bench` sub-command: how fast, where the time goes, how much memory, on a real JSONL bench.

A benchmark, not a test: it prints figures for a person (and the README's Performance section). Every
throughput figure goes through the same batch machinery users run; the per-stage split times each pure
stage function separately on each document.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.errors import HeuristagError, require_positive

#: Stages of the pipeline in the order a document goes through them.
STAGES = ("request", "parse", "match", "score", "result")
_SMALL_README = "# tinytool\n\nA small command line tool to rename files.\n\n```sh\npip install tinytool\n```\n"


@dataclass(frozen=True)
class BenchRecord:
    """One bench line: the raw bytes (for batch runs) and the parsed record (for per-stage timing)."""

    line: bytes
    record: Any


@dataclass(frozen=True)
class StageTimes:
    """Seconds per document for each stage, in STAGES order."""

    seconds: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.seconds)


@dataclass(frozen=True)
class ChildRun:
    """A `heuristag batch` run in a subprocess: how long, how many records, its peak RSS (MB)."""

    seconds: float
    records: int
    peak_mb: float
    code: int


def register(sub: Any) -> None:
    from ..commands import add_rule_options, examples

    p = sub.add_parser("bench", help="throughput, latency, stage split, cold start and memory on a JSONL bench",
                       **examples("heuristag bench ../shared/bench/dev.jsonl",
                                  "heuristag bench dev.jsonl --workers 2 --synthetic-mb 1024   # peak RSS on 1 GB",
                                  "heuristag bench dev.jsonl --limit 50 --repeat 1 --rules my_rules"))
    p.add_argument("bench_file", metavar="BENCH.jsonl", help="JSONL records as `heuristag batch` reads them")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="workers for the parallel run "
                                                                          "(default: the CPU count)")
    p.add_argument("--limit", type=int, default=None, metavar="K", help="use only the first K records")
    p.add_argument("--repeat", type=int, default=4, metavar="R",
                   help="throughput runs tag the records R times over (default 4): a few hundred documents are "
                        "too few to amortise pool start and one slow README")
    p.add_argument("--synthetic-mb", type=float, default=None, metavar="N",
                   help="also batch an N-MB JSONL made by repeating the records, and report its peak RSS")
    add_rule_options(p)
    p.set_defaults(func=run)


# ---------------------------------------------------------------- loading

def load_bench(path: str, limit: int | None) -> tuple[list[BenchRecord], int]:
    """The first ``limit`` records that parse as JSON objects, and how many lines were skipped."""
    if not os.path.isfile(path):
        raise HeuristagError(path, "no such file" if not os.path.exists(path) else "not a file")
    records: list[BenchRecord] = []
    skipped = 0
    with open(path, "rb") as f:
        for raw in f:
            if limit is not None and len(records) >= limit:
                break
            if raw.isspace():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                skipped += 1
                continue
            if not isinstance(record, dict):
                skipped += 1
                continue
            records.append(BenchRecord(raw.rstrip(b"\r\n") + b"\n", record))
    if not records:
        raise HeuristagError(path, "no JSON records to benchmark")
    return records, skipped


def write_jsonl(records: list[BenchRecord], path: Path) -> None:
    with open(path, "wb") as f:
        for r in records:
            f.write(r.line)


def _repeated_lines(records: list[BenchRecord]) -> Iterator[bytes]:
    """The records again and again, each round with new ids (``<id>~<round>``)."""
    for round_no in _forever():
        for r in records:
            yield json.dumps({**r.record, "id": f"{r.record.get('id')}~{round_no}"},
                             ensure_ascii=False).encode("utf-8") + b"\n"


def write_synthetic(records: list[BenchRecord], path: Path, megabytes: float) -> int:
    """Repeat the records with new ids until the file holds ``megabytes`` MB."""
    target = int(megabytes * 1024 * 1024)
    size = count = 0
    with open(path, "wb") as f:
        for line in _repeated_lines(records):
            if size >= target:
                break
            f.write(line)
            size += len(line)
            count += 1
    return count


def write_rounds(records: list[BenchRecord], path: Path, rounds: int) -> int:
    """The records ``rounds`` times over, so pool start and one slow README weigh less in throughput."""
    count = len(records) * rounds
    with open(path, "wb") as f:
        f.writelines(itertools.islice(_repeated_lines(records), count))
    return count


def _forever() -> Iterator[int]:
    n = 0
    while True:
        yield n
        n += 1


# ---------------------------------------------------------------- measurements

@dataclass(frozen=True)
class Throughput:
    """A batch run: records, wall seconds, and CPU seconds of this process and its (reaped) workers.

    CPU next to wall time shows whether N workers really ran at once: on a busy machine they do not.
    """

    records: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def batch_throughput(path: Path, spec: Any, tagger: Any, workers: int) -> Throughput:
    """A full batch run (pool start included) writing to /dev/null."""
    from .batch import JsonlSource, run_batch

    cpu0 = _cpu_seconds()
    source = JsonlSource(str(path))
    source.open()
    try:
        with open(os.devnull, "wb") as sink:
            stats = run_batch(source, sink, spec, tagger, workers=workers, progress=False)
    finally:
        source.close()
    if stats.interrupted:
        raise KeyboardInterrupt
    return Throughput(stats.written, stats.seconds, _cpu_seconds() - cpu0)


def _cpu_seconds() -> float:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_stages(records: list[BenchRecord], tagger: Any, fmt: str = "objects") -> list[StageTimes]:
    """Each stage timed on its own, per document: request adaptation (json + from_record), parse
    (document.extract: markdown normalise + the parser + field walk), match (matcher + fuzzy names),
    score (scorer.score), result (selection + JSON). Records the pipeline rejects are left out."""
    from ..engine.document import extract
    from ..engine.request import from_record
    from ..engine.result import Result

    clock = time.perf_counter
    out: list[StageTimes] = []
    for r in records:
        t0 = clock()
        try:
            request = from_record(json.loads(r.line), "bench", vocabulary=tagger.vocabulary)
        except (HeuristagError, ValueError):
            continue
        vocabulary = request.vocabulary or tagger.vocabulary
        t1 = clock()
        doc = extract(request.readme, request.description, tagger.rules.boilerplate_headings, tagger.parser)
        t2 = clock()
        evidence = tagger.evidence(doc, vocabulary)
        t3 = clock()
        ranking = tagger.score_evidence(evidence, vocabulary, request.max_tags)
        t4 = clock()
        tags = tuple(t for t in (vocabulary.get(k) for k in ranking.chosen) if t is not None)
        Result(id=request.id, tags=tags, ranking=ranking, truncated=doc.truncated).to_json(fmt)
        t5 = clock()
        out.append(StageTimes((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)))
    return out


def bare_markdown_seconds(records: list[BenchRecord]) -> float:
    """markdown-it-py alone (CommonMark preset, fresh parser) over the same READMEs: the floor to compare to."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    readmes = [r.record["readme"] for r in records if isinstance(r.record.get("readme"), str)]
    t0 = time.perf_counter()
    for text in readmes:
        md.parse(text)
    return time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: p99 of 230 values is the 228th smallest."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def cold_start(rule_args: list[str], workdir: Path, runs: int = 3) -> float:
    """Seconds from spawning `python -m heuristag tag small.md` to its first JSON line; best of ``runs``."""
    import subprocess

    readme = workdir / "small.md"
    readme.write_text(_SMALL_README, encoding="utf-8")
    best = math.inf
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "heuristag", "tag", str(readme), *rule_args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        _, err = proc.communicate()
        if proc.returncode != 0 or not first.startswith(b"{"):
            raise HeuristagError("cold start", f"`heuristag tag` failed: {err.decode('utf-8', 'replace')}")
        best = min(best, elapsed)
    return best


def bare_start(runs: int = 5) -> float:
    """Seconds for the interpreter alone to start and exit (``python -c pass``): what cold start is held to."""
    import subprocess

    best = math.inf
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def batch_subprocess(path: Path, rule_args: list[str], workers: int) -> ChildRun:
    """`heuristag batch` in a child process; its peak RSS is the largest of the batch process and its
    workers (wait4 reports the child's own and its reaped children's maximum)."""
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "heuristag", "batch", str(path), "-o", os.devnull,
                             "--workers", str(workers), "--no-progress", *rule_args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    code = proc.returncode
    if code not in (0, 1):
        raise HeuristagError("synthetic batch", err.decode("utf-8", "replace").strip() or f"exit code {code}")
    records = _count_from_summary(err.decode("utf-8", "replace"))
    return ChildRun(seconds, records, _rss_mb(usage.ru_maxrss), code)


def _count_from_summary(text: str) -> int:
    import re

    m = re.search(r"heuristag: (\d+) records", text)
    return int(m.group(1)) if m else 0


def _rss_mb(maxrss: int) -> float:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def peak_rss() -> tuple[float, float]:
    import resource

    return (_rss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
            _rss_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))


# ---------------------------------------------------------------- the report

def _say(line: str) -> None:
    print(line, flush=True)


def _rule_args(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for d in args.rules:
        out += ["--rules", d]
    if args.no_builtin_rules:
        out.append("--no-builtin-rules")
    if args.tags:
        out += ["--tags", args.tags]
    if getattr(args, "parser", None):
        out += ["--parser", args.parser]
    return out


def _load() -> str:
    """The 1-minute load average: figures taken on a busy machine should say so."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    import tempfile

    from .batch import build_tagger, default_workers, spec_from_args

    for flag, value in (("--workers", args.workers), ("--repeat", args.repeat), ("--limit", args.limit)):
        require_positive(flag, value)
    workers = default_workers() if args.workers is None else args.workers
    if args.synthetic_mb is not None and not 0 < args.synthetic_mb <= 100_000:
        raise HeuristagError("--synthetic-mb", f"must be between 0 and 100000, got {args.synthetic_mb}")
    records, skipped = load_bench(args.bench_file, args.limit)
    spec = spec_from_args(args)
    tagger, build_s = _timed(lambda: build_tagger(spec))
    size_mb = sum(len(r.line) for r in records) / 1e6
    _say(f"bench: {len(records)} records ({size_mb:.1f} MB) from {args.bench_file}"
         f"{f', {skipped} unreadable lines skipped' if skipped else ''}; {default_workers()} CPUs; "
         f"Python {sys.version.split()[0]}; load average {_load()}")
    _say(f"rules: {len(tagger.rules.tags)} tags compiled in {build_s * 1000:.0f} ms")
    with tempfile.TemporaryDirectory(prefix="heuristag-bench-") as tmp:
        work = Path(tmp)
        bench_path = work / "bench.jsonl"
        write_jsonl(records, bench_path)
        rounds_path = work / "rounds.jsonl"
        write_rounds(records, rounds_path, args.repeat)
        _report_throughput(rounds_path, spec, tagger, workers)
        _report_latency(records, tagger)
        cold, bare = cold_start(_rule_args(args), work), bare_start()
        _say(f"cold start: {cold * 1000:.0f} ms (`python -m heuristag tag` of a small README, process start to "
             f"first JSON line, best of 3), x{cold / bare:.1f} a bare `python -c pass` ({bare * 1000:.0f} ms)")
        if args.synthetic_mb:
            _report_synthetic(records, bench_path, work, args, workers)
    self_mb, children_mb = peak_rss()
    _say(f"peak RSS: {self_mb:.0f} MB this process, {children_mb:.0f} MB largest child (ru_maxrss)")
    return 0


def _report_throughput(path: Path, spec: Any, tagger: Any, workers: int) -> None:
    from dataclasses import replace

    from .batch import build_tagger

    one = batch_throughput(path, spec, tagger, 1)
    _say(f"throughput, 1 worker: {one.rate:,.1f} docs/s ({one.records} docs in {one.seconds:.2f} s, "
         f"CPU {one.cpu_seconds:.2f} s; `heuristag batch` machinery; parser {tagger.parser})")
    if tagger.parser != "markdown-it":
        reference_spec = replace(spec, parser="markdown-it")
        ref = batch_throughput(path, reference_spec, build_tagger(reference_spec), 1)
        cpu = ref.cpu_seconds / one.cpu_seconds if one.cpu_seconds > 0 else 0
        _say(f"throughput, 1 worker, markdown-it parser: {ref.rate:,.1f} docs/s ({ref.records} docs in "
             f"{ref.seconds:.2f} s, CPU {ref.cpu_seconds:.2f} s): the {tagger.parser} path is "
             f"x{one.rate / ref.rate if ref.rate else 0:.2f} by wall time, x{cpu:.2f} by CPU time")
    many = batch_throughput(path, spec, tagger, workers)
    _say(f"throughput, {workers} worker{'s' if workers != 1 else ''}: {many.rate:,.1f} docs/s "
         f"({many.records} docs in {many.seconds:.2f} s, CPU {many.cpu_seconds:.2f} s, pool start included; "
         f"x{many.rate / one.rate if one.rate else 0:.2f} vs 1 worker)")


def _report_latency(records: list[BenchRecord], tagger: Any) -> None:
    time_stages(records[:5], tagger)  # warm-up: lazy imports and caches out of the figures
    times = time_stages(records, tagger)
    if not times:
        _say("latency: no record of the bench could be tagged")
        return
    totals = [t.total for t in times]
    _say(f"latency per document: mean {sum(totals) / len(totals) * 1000:.2f} ms, "
         f"p99 {percentile(totals, 99) * 1000:.2f} ms, max {max(totals) * 1000:.2f} ms ({len(times)} docs)")
    whole = sum(totals)
    parts = []
    for i, stage in enumerate(STAGES):
        s = sum(t.seconds[i] for t in times)
        parts.append(f"{stage} {s / len(times) * 1000:.2f} ms ({s / whole * 100:.0f}%)")
    _say("time by stage (mean per doc): " + ", ".join(parts))
    bare = bare_markdown_seconds(records)
    if bare > 0:
        _say(f"vs bare markdown-it-py: pipeline {whole / bare:.1f}x a MarkdownIt('commonmark').parse of the same "
             f"READMEs ({bare / len(times) * 1000:.2f} ms/doc)")


def _report_synthetic(records: list[BenchRecord], bench_path: Path, work: Path, args: argparse.Namespace,
                      workers: int) -> None:
    synthetic = work / "synthetic.jsonl"
    count = write_synthetic(records, synthetic, args.synthetic_mb)
    size_mb = synthetic.stat().st_size / 1e6
    small = batch_subprocess(bench_path, _rule_args(args), workers)
    big = batch_subprocess(synthetic, _rule_args(args), workers)
    _say(f"synthetic: {count} records ({size_mb:.1f} MB) in {big.seconds:.1f} s "
         f"({big.records / big.seconds:,.1f} docs/s, {workers} workers): peak RSS {big.peak_mb:.0f} MB "
         f"vs {small.peak_mb:.0f} MB on the {bench_path.stat().st_size / 1e6:.1f} MB bench")
    synthetic.unlink()
