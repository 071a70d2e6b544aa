"""`heuristag suggest`: mined terms as a rule file that `rules check` accepts and `--rules` layers."""

from __future__ import annotations

import json
import re

import yaml

from heuristag.authoring.suggest import terms_of

from .conftest import FIXTURES, run_cli
from .test_tune import flat_pack

TUNE = FIXTURES / "tune"
BENCH = str(TUNE / "bench.jsonl")
VOCAB = str(TUNE / "vocab.json")
PACK = ["--rules", str(TUNE / "rules"), "--no-builtin-rules", "--tags", VOCAB]
COMMENT = re.compile(r'^      - "(.+)"   # support (\d+), elsewhere (\d+), lift ([\d.]+)(, missed (\d+)%)?$')


def suggest(*args: str, bench: str = BENCH) -> str:
    proc = run_cli("suggest", bench, *PACK, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode()


def terms(text: str) -> list[tuple[str, int, float]]:
    out = []
    for line in text.splitlines():
        m = COMMENT.match(line)
        if m:
            out.append((m[1], int(m[2]), float(m[4])))
    return out


def test_output_is_a_rule_file_that_checks_and_layers(tmp_path):
    text = suggest("--tag", "web-app", "--min-support", "2")
    data = yaml.safe_load(text)
    assert data["tag"] == "web-app" and data["keywords"]
    assert all(g["name"].startswith("suggested-") and g["terms"] for g in data["keywords"])
    folder = tmp_path / "mine" / "tags"
    folder.mkdir(parents=True)
    (folder / "web-app.yaml").write_text(text, "utf-8")
    check = run_cli("rules", "check", str(tmp_path / "mine"), "--tags", VOCAB)
    assert check.returncode == 0 and b"0 error(s), 0 warning(s)" in check.stdout + check.stderr
    layered = run_cli("eval", BENCH, *PACK, "--rules", str(tmp_path / "mine"), "--json")
    assert layered.returncode == 0, layered.stderr
    assert json.loads(layered.stdout)["docs"] == 28


def test_terms_are_new_supported_and_ranked_by_lift():
    text = suggest("--tag", "database", "--min-support", "2", "--top", "50")
    found = terms(text)
    assert found and len(found) == len(text.split("\n      - ")) - 1   # every term has its comment
    known = {"database", "databases", "time series database", "sql", "query", "dataset", "datasets"}
    assert not known & {t for t, _, _ in found}
    assert all(support >= 2 for _, support, _ in found)
    lifts = [lift for _, _, lift in found]
    assert lifts == sorted(lifts, reverse=True)
    assert len(terms(suggest("--tag", "database", "--min-support", "1", "--top", "3"))) == 3


def test_chinese_and_japanese_ngrams(tmp_path):
    bench = tmp_path / "zh.jsonl"
    rows = [{"id": f"z{i}", "description": d, "readme": "# x\n", "gold": [g], "gold_also": []} for i, (d, g) in
            enumerate([("一个向量检索引擎。", "database"), ("轻量的向量检索服务", "database"),
                       ("ベクトル検索エンジン", "database"), ("高速なベクトル検索", "database"),
                       ("命令行工具", "cli"), ("一个命令行工具", "cli"), ("Web 应用", "web-app")])]
    bench.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    found = {t for t, _, _ in terms(suggest("--tag", "database", "--min-support", "2", bench=str(bench)))}
    assert "向量检索" in found and "ベクトル検索" in found
    assert {"向量", "量检"} & found == set()   # fragments in the same documents as a longer n-gram say nothing new


def test_negatives_are_terms_where_the_tag_is_wrong(tmp_path):
    flat = flat_pack(tmp_path)   # weights all 1.0: 'shell' and 'terminal' make cli fire where it is wrong
    proc = run_cli("suggest", BENCH, "--rules", str(flat), "--no-builtin-rules", "--tags", VOCAB, "--tag", "cli",
                   "--negatives", "--min-support", "2")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    data = yaml.safe_load(text)
    assert data["tag"] == "cli" and "keywords" not in data and data["negative"]
    assert "chosen but wrong" in text
    assert {"shell", "terminal"}.isdisjoint(t for t, _, _ in terms(text))   # already cli's own terms


def test_word_terms_keep_to_phrases_inside_punctuation():
    got = terms_of("A fast, embedded key-value store. Use it from Node.js!")
    assert {"embedded", "key value store", "node.js", "embedded key value"} <= got
    assert "fast embedded" not in got and "the" not in got and "use" not in got


def test_errors_are_one_line_exit_2():
    for args, message in ((["--tag", "nope"], "not in the vocabulary"),
                          (["--tag", "database", "--top", "0"], "--top"),
                          (["--tag", "database", "--negatives"], "chosen wrongly on no document")):
        proc = run_cli("suggest", BENCH, *PACK, *args)
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.count("\n") == 1 and message in err, err
    missing = run_cli("suggest", "missing.jsonl", "--tag", "database")
    assert missing.returncode == 2 and missing.stderr.count(b"\n") == 1
