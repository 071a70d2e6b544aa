"""`heuristag batch`: one line per record, in order, same bytes for any worker count, errors as records.

Every test uses the tiny rule pack in tests/fixtures/batch (never the built-in rules, which change all
day), and runs the command in a subprocess the way a user does.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heuristag.engine.errors import HeuristagError
from heuristag.running.batch import (
    BatchStats,
    Item,
    JsonlSource,
    TaggerSpec,
    _capped_lines,
    build_tagger,
    chunks,
    open_source,
    run_batch,
    summary,
)

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "batch"
RULES = ["--rules", str(FIX / "rules"), "--no-builtin-rules", "--tags", str(FIX / "vocab.json")]
DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "dev.jsonl"
SUMMARY = re.compile(r"^heuristag: (\d+) records, (\d+) tagged, (\d+) errors? in [\d.]+ s")


def batch(*args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "heuristag", "batch", *args, *RULES, "--no-progress"],
                          input=input, capture_output=True, cwd=ROOT, timeout=timeout)


def lines_of(data: bytes) -> list[dict]:
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def record(ident: object, description: str = "", readme: str = "# x\n\nsome text\n") -> bytes:
    return json.dumps({"id": ident, "description": description, "readme": readme}).encode() + b"\n"


def many_records(n: int) -> bytes:
    topics = ["an embedded database", "a command line tool", "a web framework", "notes", "a database cli"]
    return b"".join(record(f"r{i}", f"{topics[i % len(topics)]} number {i}",
                           f"# project {i}\n\n{topics[(i * 7) % len(topics)]}\n\n" + "word " * (i % 50))
                    for i in range(n))


def stderr_summary(proc: subprocess.CompletedProcess) -> re.Match:
    last = proc.stderr.decode("utf-8").strip().splitlines()[-1]
    m = SUMMARY.match(last)
    assert m, last
    return m


# ---------------------------------------------------------------- JSONL in, JSONL out

def test_jsonl_in_jsonl_out_in_order(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = batch(str(FIX / "records.jsonl"), "-o", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    got = lines_of(out.read_bytes())
    assert [g["id"] for g in got] == ["a1", 2, "c3", "d4"]          # ids keep their JSON type
    assert got[0]["tags"] == [{"id": 1, "name": "database"}]
    assert got[1]["tags"] == [{"id": 2, "name": "cli"}]
    assert got[2]["tags"] == [{"id": 3, "name": "web"}]
    assert got[3]["tags"] == []
    assert stderr_summary(proc).groups() == ("4", "4", "0")


def test_stdout_when_no_output_and_formats():
    proc = batch(str(FIX / "records.jsonl"), "--workers", "1", "--format", "names")
    assert proc.returncode == 0
    assert lines_of(proc.stdout)[0] == {"id": "a1", "tags": ["database"]}
    proc = batch(str(FIX / "records.jsonl"), "-o", "-", "--format", "ids")
    assert lines_of(proc.stdout)[1] == {"id": 2, "tags": [2]}


def test_stdin_input():
    data = (FIX / "records.jsonl").read_bytes()
    proc = batch("-", input=data)
    assert proc.returncode == 0, proc.stderr
    assert [g["id"] for g in lines_of(proc.stdout)] == ["a1", 2, "c3", "d4"]


def test_prompt_records_use_their_own_vocabulary_and_id():
    proc = batch(str(FIX / "prompt_record.jsonl"))
    assert proc.returncode == 0, proc.stderr
    first, second = lines_of(proc.stdout)
    assert first["id"] == "p-1"                  # the id of the prompt's expected JSON
    assert second["id"] == 77                    # a record id wins over the prompt's
    for got in (first, second):
        assert {"id": 1, "name": "database"} in got["tags"]
        assert all(t["id"] in (1, 9) for t in got["tags"])   # the prompt's vocabulary, not --tags


def test_blank_lines_are_not_records(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n" + record("x") + b"   \n\n" + record("y") + record("z").rstrip(b"\n"))
    proc = batch(str(src))
    assert proc.returncode == 0
    assert [g["id"] for g in lines_of(proc.stdout)] == ["x", "y", "z"]


# ---------------------------------------------------------------- workers

def test_one_and_two_workers_give_identical_bytes_in_order(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(many_records(300) + b"{bad json\n")   # several chunks, and an error record
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    p1 = batch(str(src), "-o", str(one), "--workers", "1")
    p2 = batch(str(src), "-o", str(two), "--workers", "2")
    assert p1.returncode == p2.returncode == 1
    assert one.read_bytes() == two.read_bytes()
    got = lines_of(two.read_bytes())
    assert [g["id"] for g in got] == [f"r{i}" for i in range(300)] + [None]
    assert got[-1]["line"] == 301
    assert sum("error" in g for g in got) == 1


def test_spawn_start_method_gives_the_same_bytes(tmp_path):
    """The fallback for platforms without fork: workers build the Tagger themselves."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(many_records(150))
    spec = TaggerSpec(rules_dirs=(str(FIX / "rules"),), builtin_rules=False, tags=str(FIX / "vocab.json"))
    tagger = build_tagger(spec)
    outputs = []
    for workers, start in ((1, None), (2, "spawn")):
        source = JsonlSource(str(src))
        sink = io.BytesIO()
        stats = run_batch(source, sink, spec, tagger, workers=workers, start=start)
        source.close()
        assert (stats.written, stats.errors, stats.exit_code) == (150, 0, 0)
        outputs.append(sink.getvalue())
    assert outputs[0] == outputs[1]


def test_bad_workers_is_exit_2():
    proc = batch(str(FIX / "records.jsonl"), "--workers", "0")
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("heuristag: --workers: must be at least 1")


# ---------------------------------------------------------------- errors are records

def test_bad_lines_become_error_records(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        record("ok1", "a database")
        + b'{"id": "x", "readme": \n'                              # line 2: invalid JSON
        + b'{"id": "nr", "description": "no readme"}\n'            # line 3: missing readme
        + b'{"id": "wt", "readme": 42}\n'                          # line 4: wrong type
        + b'[1, 2]\n'                                              # line 5: not an object
        + b'{"id": [1], "readme": "x"}\n'                          # line 6: bad id type
        + b'{"id": "nan", "readme": NaN}\n'                        # line 7: NaN is not JSON
        + b'{"id": "bin", "readme": "\xff\xfe"}\n'                 # line 8: not UTF-8
        + b'{"id": "p", "prompt": "no instruction at all"}\n'      # line 9: not a prompt
        + record("ok2", "a cli")
    )
    proc = batch(str(src), "--workers", "2")
    assert proc.returncode == 1
    got = lines_of(proc.stdout)
    assert len(got) == 10
    # the record's own id when it could be read, else null: a line number never poses as an id
    assert [g["id"] for g in got] == ["ok1", None, "nr", "wt", None, None, None, None, "p", "ok2"]
    assert [list(g) for g in got[1:-1]] == [["id", "line", "error"]] * 8
    errors = {g["line"]: g["error"] for g in got if "error" in g}
    assert sorted(errors) == list(range(2, 10))
    assert errors[2].startswith("line 2: invalid JSON: ")
    assert errors[3] == 'line 3: record has no "readme"'
    assert errors[4].startswith("line 4: readme: must be a string")
    assert errors[5].startswith("line 5: record must be a JSON object")
    assert errors[6].startswith("line 6: id: must be a string or a number")
    assert errors[7].startswith("line 7: invalid JSON: NaN")
    assert errors[8].startswith("line 8: not UTF-8")
    assert errors[9].startswith("line 9: prompt: not a tagging prompt")
    assert all("\n" not in e for e in errors.values())
    assert "tags" in got[0] and "tags" in got[-1]
    assert stderr_summary(proc).groups() == ("10", "2", "8")


def test_thousand_records_with_fifty_bad_ones(tmp_path):
    """Bad JSON, missing readme, wrong types and huge fields: 1,000 lines out, in order, 50 errors."""
    kinds = [  # (line, the id its error record carries)
        lambda i: (b'{"id": "r%d", "readme": "unterminated\n' % i, None),
        lambda i: (json.dumps({"id": f"r{i}", "description": "no readme"}).encode() + b"\n", f"r{i}"),
        lambda i: (json.dumps({"id": f"r{i}", "readme": ["not", "text"]}).encode() + b"\n", f"r{i}"),
        lambda i: (json.dumps({"id": f"r{i}", "description": {"a": 1}, "readme": "x"}).encode() + b"\n", f"r{i}"),
        lambda i: (json.dumps({"id": f"r{i}", "readme": "database " * 30_000}).encode() + b"\n", None),  # > cap
    ]
    lines, ids, bad = [], [], set()
    for i in range(1000):
        if i % 20 == 7:
            line, ident = kinds[len(bad) % len(kinds)](i)
            bad.add(i)
        else:
            line, ident = record(f"r{i}", "a database" if i % 3 else "a command line tool"), f"r{i}"
        lines.append(line)
        ids.append(ident)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(lines))
    out = tmp_path / "out.jsonl"
    proc = batch(str(src), "-o", str(out), "--workers", "2", "--max-line-bytes", "100000")
    assert proc.returncode == 1, proc.stderr
    got = lines_of(out.read_bytes())
    assert len(got) == 1000
    assert [g["id"] for g in got] == ids
    for i, g in enumerate(got):
        assert ("error" in g) == (i in bad), g
        if "error" in g:
            assert g["error"].startswith(f"line {i + 1}: ") and g["line"] == i + 1
        else:
            assert g["tags"] == [{"id": 1, "name": "database"} if i % 3 else {"id": 2, "name": "cli"}]
    assert sum("error" in g for g in got) == 50
    assert sum("the limit is 100,000 (record skipped)" in g.get("error", "") for g in got) == 10
    assert sum("invalid JSON" in g.get("error", "") for g in got) == 10
    assert stderr_summary(proc).groups() == ("1000", "950", "50")


def test_a_line_over_the_default_cap_is_an_error_record(tmp_path):
    from heuristag.engine.textio import MAX_FILE_BYTES

    src = tmp_path / "in.jsonl"
    with open(src, "wb") as f:
        f.write(record("before", "a database"))
        f.write(b'{"id": "huge", "readme": "')
        chunk = b"x" * (1 << 20)
        for _ in range(MAX_FILE_BYTES // len(chunk) + 1):
            f.write(chunk)
        f.write(b'"}\n')
        f.write(record("after", "a cli"))
    proc = batch(str(src), "--workers", "1")
    assert proc.returncode == 1
    got = lines_of(proc.stdout)
    assert [g["id"] for g in got] == ["before", None, "after"] and got[1]["line"] == 2
    assert got[1]["error"].startswith("line 2: line is ")
    assert "tags" in got[2]


# ---------------------------------------------------------------- folder input

def test_folder_input(tmp_path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b.md").write_text("# b\n\nA command line tool.\n", encoding="utf-8")
    (root / "a.md").write_text("# a\n\nAn embedded database.\n", encoding="utf-8")
    (root / "sub" / "c.md").write_text("# c\n\nA web framework.\n", encoding="utf-8")
    (root / "sub" / "empty.md").write_bytes(b"")
    (root / "sub" / "prompt.txt").write_bytes((FIX / "prompt.txt").read_bytes())
    (root / ".hidden.md").write_text("# hidden\n", encoding="utf-8")
    (root / ".git" / "HEAD").write_text("ref: x\n", encoding="utf-8")
    proc = batch(str(root), "--format", "names", "--workers", "2")
    assert proc.returncode == 1, proc.stderr
    got = lines_of(proc.stdout)
    assert [g["id"] for g in got] == ["a.md", "b.md", "sub/c.md", "sub/empty.md", "p-1"]
    assert got[0]["tags"] == ["database"]
    assert got[1]["tags"] == ["cli"]
    assert got[2]["tags"] == ["web"]
    assert got[3]["error"].endswith("empty.md: file is empty")
    assert "database" in got[4]["tags"]
    assert stderr_summary(proc).groups() == ("5", "4", "1")


# ---------------------------------------------------------------- the command cannot run: exit 2

def test_missing_input_is_exit_2(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = batch(str(tmp_path / "nope.jsonl"), "-o", str(out))
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"heuristag: {tmp_path / 'nope.jsonl'}: no such file or folder\n"
    assert not out.exists()


def test_bad_rules_and_same_output_are_exit_2(tmp_path):
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "x.yaml").write_text("tag: x\nkeywords: 3\n", encoding="utf-8")
    proc = batch(str(FIX / "records.jsonl"), "--rules", str(bad))
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    src = tmp_path / "in.jsonl"
    src.write_bytes(record("x"))
    proc = batch(str(src), "-o", str(src))
    assert proc.returncode == 2 and b"is the input file" in proc.stderr
    assert src.read_bytes() == record("x")


# ---------------------------------------------------------------- streaming and Ctrl-C

def _popen(*args: str, stdin: int | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "heuristag", "batch", *args, *RULES, "--no-progress"],
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_leaves_only_complete_lines(tmp_path, workers):
    src = tmp_path / "big.jsonl"
    src.write_bytes(many_records(20_000))
    out = tmp_path / "out.jsonl"
    proc = _popen(str(src), "-o", str(out), "--workers", workers)
    _wait_for(lambda: out.exists() and out.stat().st_size > 0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    data = out.read_bytes()
    assert data.endswith(b"\n")
    got = lines_of(data)
    assert 0 < len(got) < 20_000
    assert [g["id"] for g in got] == [f"r{i}" for i in range(len(got))]
    text = err.decode()
    assert b"Traceback" not in err
    assert re.search(rf"interrupted after {len(got)} of (about )?\d+ records", text), text


def test_streams_from_a_slow_stdin_and_stops_on_ctrl_c(tmp_path):
    """A record is answered before the next one is even written: nothing waits for the whole input."""
    proc = _popen("-", "--workers", "1", stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    for i in range(3):
        proc.stdin.write(record(f"s{i}", "an embedded database"))
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == f"s{i}"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert out == b""
    assert "interrupted after 3 of at least 3 records" in err.decode()


def test_progress_bar_can_be_forced(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "heuristag", "batch", str(FIX / "records.jsonl"), *RULES,
                           "--progress", "--workers", "1"], capture_output=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0
    assert b"rec" in proc.stderr and b"4/4" in proc.stderr


# ---------------------------------------------------------------- the parts, in process

def test_capped_lines_skip_an_over_long_line_without_losing_the_next():
    data = b"short\n" + b"y" * 50 + b"\nlast"
    got = list(_capped_lines(io.BytesIO(data), 10, "x"))
    assert got == [(b"short\n", 6), (None, 51), (b"last", 4)]


def test_chunks_close_by_count_and_by_bytes():
    items = [Item(i, f"line {i}", data=b"x" * 10) for i in range(10)]
    assert [len(c) for c in chunks(items, max_records=4, max_bytes=1000)] == [4, 4, 2]
    assert [len(c) for c in chunks(items, max_records=100, max_bytes=25)] == [3, 3, 3, 1]


def test_open_source_rejects_what_is_not_there(tmp_path):
    with pytest.raises(HeuristagError, match="no such file or folder"):
        open_source(str(tmp_path / "missing"))


def test_summary_lines():
    done = BatchStats(read=10, written=10, tagged=9, errors=1, truncated=0, seconds=1.25,
                      interrupted=False, exhausted=True)
    assert summary(done) == "heuristag: 10 records, 9 tagged, 1 error in 1.2 s"
    assert done.exit_code == 1
    cut = BatchStats(read=40, written=32, tagged=32, errors=0, truncated=0, seconds=2.0,
                     interrupted=True, exhausted=False, estimated_total=1000)
    assert summary(cut).startswith("heuristag: interrupted after 32 of about 1000 records")
    assert cut.exit_code == 130


@pytest.mark.skipif(not DEV.exists(), reason="shared/bench/dev.jsonl not present")
def test_dev_bench_is_accepted_as_it_is(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = batch(str(DEV), "-o", str(out), "--workers", "2", timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = lines_of(out.read_bytes())
    ids = [json.loads(line)["id"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [g["id"] for g in got] == ids
    assert all("tags" in g for g in got)


def test_batch_and_bench_import_nothing_heavy():
    """The CLI imports every command module at start: `heuristag tag` must not pay for pools or tqdm."""
    code = ("import sys, heuristag.running.batch, heuristag.running.bench; "
            "print(','.join(m for m in ('multiprocessing', 'tqdm', 'resource', 'subprocess') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == b""


def test_a_folder_that_cannot_be_listed_is_an_error_line_not_a_gap(tmp_path, monkeypatch):
    import heuristag.running.batch as batch_module

    (tmp_path / "a.md").write_text("# a\n", encoding="utf-8")
    real_walk = os.walk

    def walk(top, onerror=None):
        for dirpath, dirnames, filenames in real_walk(top):
            yield dirpath, dirnames, filenames
            onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))

    monkeypatch.setattr(batch_module.os, "walk", walk)
    got = list(batch_module.FolderSource(str(tmp_path)))
    assert [(i.rel, i.error) for i in got] == [
        ("a.md", None), ("locked", f"{tmp_path / 'locked'}: cannot list this folder: Permission denied")]


def test_a_dying_worker_stops_the_batch_instead_of_hanging(tmp_path, monkeypatch):
    import heuristag.running.batch as batch_module

    real_process = batch_module.process

    def process(item, state):
        if item.lineno == 40:
            os._exit(9)  # what the OOM killer or a crash in C code looks like from the parent
        return real_process(item, state)

    monkeypatch.setattr(batch_module, "process", process)
    src = tmp_path / "in.jsonl"
    src.write_bytes(many_records(100))
    spec = TaggerSpec(rules_dirs=(str(FIX / "rules"),), builtin_rules=False, tags=str(FIX / "vocab.json"))
    source = JsonlSource(str(src))
    sink = io.BytesIO()
    with pytest.raises(HeuristagError, match=r"a worker process died \(exit code 9\)"):
        run_batch(source, sink, spec, build_tagger(spec), workers=2, start="fork")
    source.close()
    assert all(json.loads(line) for line in sink.getvalue().splitlines())


# ---------------------------------------------------------------- CSV output

def read_csv(path: Path) -> list[list[str]]:
    import csv

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read UTF-8"
    assert b"\n" not in data.replace(b"\r\n", b""), "CRLF line ends only"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_csv_chosen_by_extension_one_row_per_record_errors_kept(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 7, "description": "A fast embedded database, for the command line.", "readme": "x"}\n'
                   "not json\n"
                   '{"id": "=HYPERLINK(1)", "description": "A command line tool",'
                   ' "readme": "# t\\n\\nsay \\"hi\\", ok"}\n'
                   '{"id": "q", "readme": 5}\n', encoding="utf-8")
    out = tmp_path / "out.CSV"
    proc = batch(str(src), "-o", str(out))
    assert proc.returncode == 1, proc.stderr          # error records, as with JSONL
    rows = read_csv(out)
    assert rows[0] == ["id", "tags", "tag_ids", "error"]
    assert rows[1] == ["7", "cli;database", "2;1", ""]          # best first, as in JSONL
    assert rows[2][0] == "" and rows[2][1:3] == ["", ""] and rows[2][3].startswith("line 2: invalid JSON")
    assert rows[3] == ["'=HYPERLINK(1)", "cli", "2", ""]   # a formula-looking id stays text in a spreadsheet
    assert rows[4][0] == "q" and rows[4][3]
    assert len(rows) == 5


def test_csv_by_flag_is_the_same_for_any_worker_count_and_matches_jsonl(tmp_path):
    src = FIX / "records.jsonl"
    one = batch(str(src), "--output-format", "csv", "--workers", "1")
    two = batch(str(src), "--output-format", "csv", "--workers", "2")
    assert one.returncode == two.returncode and one.stdout == two.stdout
    (tmp_path / "o.csv").write_bytes(one.stdout)
    rows = read_csv(tmp_path / "o.csv")[1:]
    jsonl = lines_of(batch(str(src), "--format", "objects").stdout)
    assert len(rows) == len(jsonl)
    for row, rec in zip(rows, jsonl, strict=True):
        assert row[0] == (rec["id"] if isinstance(rec["id"], str) else json.dumps(rec["id"]))
        assert row[1] == ";".join(t["name"] for t in rec.get("tags", []))
        assert row[2] == ";".join(str(t["id"]) for t in rec.get("tags", []))
        assert bool(row[3]) == ("error" in rec)


def test_output_format_flag_overrides_extension_and_rejects_unknown(tmp_path):
    src = FIX / "records.jsonl"
    out = tmp_path / "out.csv"
    assert batch(str(src), "-o", str(out), "--output-format", "jsonl").returncode in (0, 1)
    assert out.read_bytes().startswith(b"{")
    bad = batch(str(src), "--output-format", "xlsx")
    assert bad.returncode == 2 and b"--output-format" in bad.stderr and b"Traceback" not in bad.stderr


def test_csv_row_unit():
    from heuristag.running.outputs import csv_row, output_format_for

    assert csv_row(b'{"id":"a,b","tags":[{"id":1,"name":"x y"},{"name":"z"}]}') == b'"a,b",x y;z,1,\r\n'
    assert csv_row(b'{"id":-3,"tags":["ai","api"]}') == b"-3,ai;api,,\r\n"     # a number is not a formula
    assert csv_row(b'{"id":1,"error":"@bad"}') == b"1,,,'@bad\r\n"
    assert output_format_for("a.csv", None) == "csv" and output_format_for("-", None) == "jsonl"
