"""`heuristag batch --resume`: after a kill (SIGKILL or Ctrl-C) the resumed output is byte-identical to an
uninterrupted run; another input, rules or options are refused in one line."""

from __future__ import annotations

import json
import signal

import pytest

from heuristag.running.resume import SUFFIX, complete_prefix

from .test_batch import FIX, _popen, _wait_for, batch, many_records

N = 6000


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """An input with an error record in it, and its uninterrupted outputs (JSONL and CSV)."""
    root = tmp_path_factory.mktemp("resume")
    src = root / "in.jsonl"
    src.write_bytes(many_records(N // 2) + b"{broken\n" + many_records(N // 2))
    full = {}
    for ext in ("jsonl", "csv"):
        out = root / f"full.{ext}"
        proc = batch(str(src), "-o", str(out), "--workers", "1")
        assert proc.returncode == 1, proc.stderr
        full[ext] = out.read_bytes()
    return src, full


def kill_part_way(src, out, sig: int, workers: str) -> None:
    proc = _popen(str(src), "-o", str(out), "--workers", workers)
    _wait_for(lambda: out.exists() and out.stat().st_size > 20_000)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode in (130, -signal.SIGKILL)


@pytest.mark.parametrize(("sig", "workers", "ext"), [(signal.SIGKILL, "2", "jsonl"), (signal.SIGINT, "1", "jsonl"),
                                                     (signal.SIGKILL, "1", "csv")])
def test_a_killed_run_resumes_to_the_same_bytes(tmp_path, bench, sig, workers, ext):
    src, full = bench
    out = tmp_path / f"out.{ext}"
    kill_part_way(src, out, sig, workers)
    part = out.read_bytes()
    assert 0 < len(part) < len(full[ext]) and full[ext].startswith(part)
    resumed = batch(str(src), "-o", str(out), "--workers", workers, "--resume")
    assert resumed.returncode == 1, resumed.stderr       # the error record before or after the cut counts
    assert "heuristag: resuming" in resumed.stderr.decode()
    assert out.read_bytes() == full[ext]
    assert json.loads((tmp_path / f"out.{ext}{SUFFIX}").read_text())["complete"] is True


def test_a_torn_last_line_is_written_again(tmp_path, bench):
    src, full = bench
    out = tmp_path / "out.jsonl"
    assert batch(str(src), "-o", str(out), "--workers", "1").returncode == 1
    cut = full["jsonl"].index(b"\n", 5000) + 40           # forty bytes into a line
    out.write_bytes(full["jsonl"][:cut])
    resumed = batch(str(src), "-o", str(out), "--resume", "--workers", "2")
    assert resumed.returncode == 1
    assert out.read_bytes() == full["jsonl"]
    again = batch(str(src), "-o", str(out), "--resume")   # complete: nothing left to do, same bytes
    assert again.returncode == 1 and out.read_bytes() == full["jsonl"]


def test_resume_without_an_output_starts_one(tmp_path):
    out = tmp_path / "new.jsonl"
    proc = batch(str(FIX / "records.jsonl"), "-o", str(out), "--resume")
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_bytes().splitlines()) == 4


def test_another_input_options_or_rules_are_refused(tmp_path, bench):
    src, _ = bench
    out = tmp_path / "out.jsonl"
    assert batch(str(src), "-o", str(out), "--workers", "1").returncode == 1
    before = out.read_bytes()
    other = tmp_path / "other.jsonl"
    other.write_bytes(src.read_bytes() + many_records(1))
    cases = {
        "another input": [str(other), "-o", str(out)],
        "other options": [str(src), "-o", str(out), "--format", "names"],
    }
    for what, args in cases.items():
        proc = batch(*args, "--resume")
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.count("\n") == 1 and f"it was made with {what}" in err, err
    assert out.read_bytes() == before
    (tmp_path / f"out.jsonl{SUFFIX}").unlink()
    proc = batch(str(src), "-o", str(out), "--resume")
    assert proc.returncode == 2 and b"has no fingerprint" in proc.stderr
    stdout = batch(str(src), "--resume")
    assert stdout.returncode == 2 and b"--resume: needs -o FILE" in stdout.stderr


def test_other_rules_are_refused(tmp_path):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(FIX / "rules", rules)
    out = tmp_path / "out.jsonl"
    args = [str(FIX / "records.jsonl"), "-o", str(out), "--rules", str(rules)]
    assert batch(*args).returncode == 0
    first = sorted(rules.rglob("*.yaml"))[0]
    first.write_bytes(first.read_bytes() + b"\n# changed\n")
    proc = batch(*args, "--resume")
    assert proc.returncode == 2 and b"other rules or vocabulary" in proc.stderr


def test_the_complete_prefix_of_csv_counts_quoted_newlines_as_text():
    data = b'\xef\xbb\xbfid,tags,tag_ids,error\r\n"a\r\nb",x,1,\r\n2,,,"line 2: bad"\r\n3,y,'
    point = complete_prefix(data, csv=True)
    assert (point.records, point.errors) == (2, 1)
    assert data[:point.offset].endswith(b'"line 2: bad"\r\n')
    assert complete_prefix(b'{"id":1}\n{"id":2,"line":2,"error":"x"}\n{"id"', csv=False).records == 2
