"""`--encoding NAME`: the Latin-1 or GBK file that detection refuses is read when the user names its codec.

Every command that reads an input file takes the flag; an unknown or non-text codec is a usage error
before anything is read, and bytes that are not valid in the named codec are an error naming the file
and the offset. Rule files stay UTF-8 (YAML's own rule), so `--encoding` never applies to them.
"""

from __future__ import annotations

import json

import pytest

from heuristag import HeuristagError, Tagger, load_vocabulary_file

from .conftest import run_cli

#: GBK bytes detection calls ambiguous (GB18030 or EUC-KR): refused without --encoding.
ZH = "# 负载均衡 Docker 容器\n\ndocker run, kubectl apply, 容器编排\n"
#: Latin-1 with a C1 byte (0x81) that Windows-1252 leaves undefined: refused without --encoding.
LATIN = "# Caf\xe9 \x81 r\xe9seau\n\nA command-line tool for Docker containers: docker run, kubectl.\n"


@pytest.fixture()
def gbk_readme(tmp_path):
    path = tmp_path / "zh.md"
    path.write_bytes(ZH.encode("gbk"))
    return path


def test_detection_refuses_and_says_to_name_the_encoding(gbk_readme):
    proc = run_cli("tag", str(gbk_readme))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "cannot be detected reliably" in err and "--encoding" in err


def test_tag_and_explain_read_the_named_encoding(gbk_readme):
    utf8 = gbk_readme.with_name("utf8.md")
    utf8.write_text(ZH, encoding="utf-8")
    expected = json.loads(run_cli("tag", str(utf8), "--id", "1").stdout)
    assert expected["tags"], "the fixture should be tagged"
    got = run_cli("tag", str(gbk_readme), "--id", "1", "--encoding", "gbk")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == expected
    explained = run_cli("explain", str(gbk_readme), "--encoding", "GB18030", "--json")
    assert explained.returncode == 0, explained.stderr


def test_latin1_readme(tmp_path):
    path = tmp_path / "fr.md"
    path.write_bytes(LATIN.encode("latin-1"))
    assert run_cli("tag", str(path)).returncode == 2
    proc = run_cli("tag", str(path), "--encoding", "latin-1", "--format", "names")
    assert proc.returncode == 0, proc.stderr
    assert "cli" in json.loads(proc.stdout)["tags"]


@pytest.mark.parametrize("name, message", [("klingon", "unknown encoding 'klingon'"),
                                           ("base64", "'base64' is not a text encoding")])
def test_unknown_or_non_text_codec_is_a_usage_error(gbk_readme, name, message):
    for command in (["tag", str(gbk_readme)], ["batch", str(gbk_readme.parent)], ["eval", str(gbk_readme)],
                    ["rules", "check"]):
        proc = run_cli(*command, "--encoding", name)
        assert proc.returncode == 2, command
        err = proc.stderr.decode()
        assert err.count("\n") == 1 and message in err and "--encoding" in err, (command, err)


def test_bytes_invalid_in_the_named_codec_name_file_and_offset(tmp_path):
    path = tmp_path / "bad.md"
    path.write_bytes(b"# ok\n\n\xff\xfe\xfd broken")
    proc = run_cli("tag", str(path), "--encoding", "utf-8")
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"heuristag: {path}: not valid utf-8 (invalid byte at offset 6)\n"


def test_batch_jsonl_and_folder(tmp_path, gbk_readme):
    line = json.dumps({"id": 7, "readme": ZH}, ensure_ascii=False).encode("gbk")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(line + b"\n" + b'{"id": 8, "readme": "plain ascii docker"}\n')
    plain = run_cli("batch", str(jsonl), "--format", "names")
    assert plain.returncode == 1                       # the GBK line is an error record, never dropped
    rows = [json.loads(r) for r in plain.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == [None, 8] and rows[0]["line"] == 1 and "error" in rows[0]  # unparsed
    named = run_cli("batch", str(jsonl), "--format", "names", "--encoding", "gbk")
    assert named.returncode == 0, named.stderr
    rows = [json.loads(r) for r in named.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == [7, 8] and rows[0]["tags"]
    folder = run_cli("batch", str(gbk_readme.parent), "--format", "names", "--encoding", "gbk")
    assert folder.returncode == 0, folder.stderr
    assert json.loads(folder.stdout.decode().splitlines()[0])["tags"] == rows[0]["tags"]


def test_batch_refuses_utf16_jsonl(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes('{"id": 1, "readme": "x"}\n'.encode("utf-16"))
    proc = run_cli("batch", str(jsonl), "--encoding", "utf-16")
    assert proc.returncode == 2
    assert "convert it to UTF-8" in proc.stderr.decode()


def test_eval_and_rules_stats_read_a_legacy_bench(tmp_path):
    bench = tmp_path / "bench.jsonl"
    record = {"id": "a", "description": "负载均衡器", "readme": ZH, "gold": ["containerization"], "gold_also": []}
    bench.write_bytes(json.dumps(record, ensure_ascii=False).encode("gbk") + b"\n")
    assert run_cli("eval", str(bench)).returncode == 2
    proc = run_cli("eval", str(bench), "--encoding", "gbk", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["docs"] == 1
    assert run_cli("rules", "stats", str(bench), "--encoding", "gbk").returncode == 0


def test_vocabulary_file_in_a_named_encoding(tmp_path):
    vocab = tmp_path / "cats.txt"
    vocab.write_bytes("负载均衡\n容器\n".encode("gbk"))
    with pytest.raises(HeuristagError):
        load_vocabulary_file(vocab)
    assert [t.name for t in load_vocabulary_file(vocab, encoding="gbk")] == ["负载均衡", "容器"]
    readme = tmp_path / "r.md"
    readme.write_bytes(ZH.encode("gbk"))            # --encoding is for every input file the command reads
    proc = run_cli("tag", str(readme), "--tags", str(vocab), "--encoding", "gbk", "--format", "names")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tags"] and set(json.loads(proc.stdout)["tags"]) <= {"负载均衡", "容器"}
    assert run_cli("rules", "check", "--tags", str(vocab), "--encoding", "gbk").returncode == 2  # 90 unknown tags


def test_library_encoding_parameter():
    tagger = Tagger()
    data = ZH.encode("gbk")
    with pytest.raises(HeuristagError, match="--encoding"):
        tagger.tag(data)
    assert tagger.tag(data, encoding="gbk").tags == tagger.tag(ZH).tags
    with pytest.raises(HeuristagError, match="unknown encoding 'nope'"):
        tagger.tag(data, encoding="nope")
