"""`heuristag bench` is a benchmark, not a timed test: check it runs and prints every figure, on a tiny fixture."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from heuristag.engine.errors import HeuristagError
from heuristag.running.bench import BenchRecord, load_bench, percentile, write_synthetic

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "batch"
RULES = ["--rules", str(FIX / "rules"), "--no-builtin-rules", "--tags", str(FIX / "vocab.json")]
DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "dev.jsonl"
NUMBER = r"[\d,]+(?:\.\d+)?"


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "heuristag", "bench", *args, *RULES],
                          capture_output=True, cwd=ROOT, timeout=timeout)


def test_bench_prints_every_figure():
    proc = bench(str(FIX / "records.jsonl"), "--workers", "2", "--limit", "3", "--synthetic-mb", "0.2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    expected = [
        r"^bench: 3 records",
        rf"^throughput, 1 worker: {NUMBER} docs/s",
        rf"^throughput, 2 workers: {NUMBER} docs/s",
        rf"^latency per document: mean {NUMBER} ms, p99 {NUMBER} ms",
        rf"^time by stage \(mean per doc\): request {NUMBER} ms \(\d+%\), parse {NUMBER} ms \(\d+%\), "
        rf"match {NUMBER} ms \(\d+%\), score {NUMBER} ms \(\d+%\), result {NUMBER} ms",
        rf"^vs bare markdown-it-py: pipeline {NUMBER}x",
        rf"^cold start: {NUMBER} ms",
        rf"^synthetic: \d+ records \({NUMBER} MB\) .* peak RSS {NUMBER} MB vs {NUMBER} MB",
        rf"^peak RSS: {NUMBER} MB this process, {NUMBER} MB largest child",
    ]
    for pattern in expected:
        assert re.search(pattern, out, re.MULTILINE), f"{pattern!r} not in:\n{out}"


def test_bench_without_synthetic_skips_that_line():
    proc = bench(str(FIX / "records.jsonl"), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert "bench: 4 records" in out and "throughput, 1 worker:" in out
    assert "synthetic:" not in out


@pytest.mark.parametrize("args, message", [
    (["missing.jsonl"], "missing.jsonl: no such file"),
    ([str(FIX / "records.jsonl"), "--limit", "0"], "--limit: must be at least 1"),
    ([str(FIX / "records.jsonl"), "--workers", "0"], "--workers: must be at least 1"),
])
def test_bench_input_errors_are_one_line_exit_2(args, message):
    proc = bench(*args)
    assert proc.returncode == 2
    err = proc.stderr.decode("utf-8")
    assert message in err and len(err.strip().splitlines()) == 1


def test_load_bench_takes_the_first_k_and_skips_unreadable_lines(tmp_path):
    src = tmp_path / "b.jsonl"
    src.write_bytes(b'{"id": 1, "readme": "a"}\nnot json\n\n[1]\n{"id": 2, "readme": "b"}\n{"id": 3, "readme": "c"}\n')
    records, skipped = load_bench(str(src), 2)
    assert [r.record["id"] for r in records] == [1, 2] and skipped == 2
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"\n")
    with pytest.raises(HeuristagError, match="no JSON records"):
        load_bench(str(empty), None)


def test_synthetic_input_repeats_records_with_new_ids(tmp_path):
    records = [BenchRecord(b"", {"id": "a", "readme": "x" * 100}), BenchRecord(b"", {"id": 7, "readme": "y"})]
    path = tmp_path / "s.jsonl"
    count = write_synthetic(records, path, 0.01)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == count > 2
    assert path.stat().st_size >= 0.01 * 1024 * 1024
    ids = [r["id"] for r in lines]
    assert len(set(ids)) == len(ids)
    assert ids[:4] == ["a~0", "7~0", "a~1", "7~1"]


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 99) == 99.0
    assert percentile(values, 50) == 50.0
    assert percentile([3.0], 99) == 3.0


@pytest.mark.skipif(not DEV.exists(), reason="shared/bench/dev.jsonl not present")
def test_bench_runs_on_the_dev_set():
    proc = bench(str(DEV), "--limit", "20", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert b"bench: 20 records" in proc.stdout
