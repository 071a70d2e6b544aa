"""`heuristag batch --dask` and heuristag.running.dask on a real two-process LocalCluster on 127.0.0.1: the same
bytes as a local batch, in input order."""

from __future__ import annotations

import io
import json

import pytest

from .test_batch import FIX, RULES, batch, many_records, record

distributed = pytest.importorskip("distributed", reason="dask is not installed (pip install 'heuristag[dask]')")
pytest.importorskip("dask.bag")

from heuristag.dask import tag_bag, tag_dataframe  # noqa: E402
from heuristag.running.batch import TaggerSpec  # noqa: E402
from heuristag.running.dask import ANSWER_COLUMNS, run_dask  # noqa: E402
from heuristag.running.outputs import row_writer  # noqa: E402

SPEC = TaggerSpec(rules_dirs=(str(FIX / "rules"),), builtin_rules=False, tags=str(FIX / "vocab.json"))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c, distributed.Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    path = tmp_path_factory.mktemp("dask") / "in.jsonl"
    path.write_bytes(many_records(150) + b"{broken\n\n   \n" + b'{"id": "huge", "readme": "' + b"x" * 3000 + b'"}\n'
                     + many_records(50) + record("last").rstrip(b"\n"))
    return path


def local(src, *args: str) -> bytes:
    proc = batch(str(src), "--workers", "1", "--max-line-bytes", "2000", *args)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_the_cli_on_a_cluster_gives_the_local_bytes(cluster, src, tmp_path):
    c, _ = cluster
    out = tmp_path / "out.jsonl"
    proc = batch(str(src), "-o", str(out), "--dask", c.scheduler_address, "--max-line-bytes", "2000")
    assert proc.returncode == 1, proc.stderr
    assert out.read_bytes() == local(src)
    lines = out.read_bytes().splitlines()
    assert json.loads(lines[150]) == {"id": None, "line": 151, "error": json.loads(lines[150])["error"]}
    assert json.loads(lines[151])["line"] == 154          # the blank lines keep their numbers
    assert b"heuristag: 203 records, 201 tagged, 2 errors" in proc.stderr


def test_many_small_blocks_keep_order_and_line_numbers(cluster, src):
    _, client = cluster
    for fmt in ("jsonl", "csv"):
        sink = io.BytesIO()
        stats = run_dask(str(src), sink, SPEC, client, max_line_bytes=2000, row=row_writer(fmt), block_bytes=4096)
        assert (stats.written, stats.errors) == (203, 2)
        expected = local(src, "--output-format", fmt)
        assert expected.endswith(sink.getvalue()) and len(expected) - len(sink.getvalue()) < 100  # CSV: header


def test_a_glob_of_files_is_read_in_order(cluster, tmp_path):
    c, _ = cluster
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "a.jsonl").write_bytes(many_records(30))
    (parts / "b.jsonl").write_bytes(record("b0") + b"{bad\n")
    (tmp_path / "all.jsonl").write_bytes(many_records(30) + record("b0") + b"{bad\n")
    proc = batch(str(parts / "*.jsonl"), "--dask", c.scheduler_address)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == local(tmp_path / "all.jsonl")


def test_a_bag_of_records_is_tagged_in_order(cluster):
    import dask.bag as db

    records = [json.loads(line) for line in many_records(40).splitlines()] + [{"id": "x"}]
    answers = tag_bag(db.from_sequence(records, npartitions=3), SPEC).compute()
    expected = batch("-", "--workers", "1", input=many_records(40)).stdout.decode().splitlines()
    assert answers[:40] == expected
    assert json.loads(answers[40]) == {"id": "x", "error": 'record: record has no "readme"'}


def test_a_dataframe_is_tagged_row_by_row_on_its_index(cluster):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")

    records = [json.loads(line) for line in many_records(40).splitlines()]
    records += [{"id": "r40", "readme": "# tool\n\na command line tool"}, {"id": "no-readme", "description": "x"}]
    frame = pd.DataFrame(records, columns=["id", "description", "readme"], index=range(100, 142))
    answers = tag_dataframe(dd.from_pandas(frame, npartitions=3), SPEC).compute()
    assert list(answers.columns) == list(ANSWER_COLUMNS) and list(answers.index) == list(range(100, 142))
    # the record with no description (NaN in the frame) is tagged as the JSONL line without one
    jsonl = many_records(40) + b"".join(json.dumps(r).encode() + b"\n" for r in records[40:])
    expected = batch("-", "--workers", "1", input=jsonl).stdout.decode().splitlines()
    assert list(answers["json"][:41]) == expected[:41]   # an error names the record, not a line (as tag_bag)
    assert list(answers["id"][:2]) == ["r0", "r1"] and answers["id"].iloc[40] == "r40"
    first = json.loads(expected[0])
    assert json.loads(answers["tags"].iloc[0]) == first["tags"] and pd.isna(answers["error"].iloc[0])
    assert pd.isna(answers["tags"].iloc[41])
    assert answers["error"].iloc[41] == 'record: record has no "readme"'
    assert json.loads(answers["json"].iloc[41]) == {"id": "no-readme", "error": 'record: record has no "readme"'}


def test_a_tagged_dataframe_goes_to_parquet_and_back(tmp_path):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    import dask

    frame = pd.DataFrame({"id": ["a", "b"], "description": ["a command line tool", None],
                          "readme": ["# a\n\nsome text", None]})
    with dask.config.set(scheduler="synchronous"):
        tag_dataframe(dd.from_pandas(frame, npartitions=1), SPEC).to_parquet(tmp_path / "out")
        back = dd.read_parquet(tmp_path / "out").compute()
    assert list(back["id"]) == ["a", "b"] and list(back["tags"].isna()) == [False, True]
    assert back["error"].iloc[1] == 'record: record has no "readme"'


def test_bad_dask_uses_are_one_line_errors(tmp_path):
    for args, message in ((["-", "--dask"], b"needs INPUT to be a JSONL file"),
                          ([str(FIX / "records.jsonl"), "-o", str(tmp_path / "o"), "--dask", "--resume"],
                           b"--resume: is not available with --dask")):
        proc = batch(*args)
        assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1 and message in proc.stderr, proc.stderr
    assert RULES


def test_an_output_folder_gets_one_file_per_input_file(cluster, tmp_path):
    c, _ = cluster
    parts, out = tmp_path / "parts", tmp_path / "out"
    parts.mkdir()
    out.mkdir()
    (parts / "a.jsonl").write_bytes(many_records(30) + b"{bad\n")
    (parts / "b.jsonl").write_bytes(record("b0") + b"{bad\n")
    proc = batch(str(parts / "*.jsonl"), "-o", str(out), "--dask", c.scheduler_address)
    assert proc.returncode == 1, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.jsonl", "b.jsonl"]
    for name in ("a.jsonl", "b.jsonl"):   # each numbered from its own line 1, as a batch of that file
        assert (out / name).read_bytes() == local(parts / name)
