"""`heuristag rules check|stats`: findings as path:line: level: message, exit codes, per-rule statistics.

Fixtures: the tiny rule packs in tests/fixtures/authoring (a clean one, one with known mistakes) and
rule files written to tmp_path; the built-in pack is only run, never judged (it changes all day).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from heuristag.authoring.ruletools import _has_uppercase_literal
from heuristag.cli import main

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures" / "authoring"
BENCH = FIX / "bench.jsonl"
VOCAB = ["--tags", str(FIX / "vocab.json")]
RULES = ["--rules", str(FIX / "rules"), "--no-builtin-rules", *VOCAB]
DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "dev.jsonl"
HEADER = "# yaml-language-server: $schema=../schema.json\n"
FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<level>error|warning): (?P<message>.+)$")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def findings(out: str) -> list[tuple[str, int, str, str]]:
    """Parse every output line; each must be one finding."""
    rows = []
    for line in out.splitlines():
        m = FINDING.match(line)
        assert m, f"not a finding line: {line!r}"
        rows.append((Path(m["path"]).name, int(m["line"]), m["level"], m["message"]))
    return rows


def write_rules(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "rules"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# ---------------------------------------------------------------- rules check


def test_check_clean_pack_exits_0_even_strict(capsys):
    code, out, err = run(capsys, "rules", "check", str(FIX / "rules"), str(FIX / "rules_more"), *VOCAB, "--strict")
    assert (code, out) == (0, "")
    assert "0 error(s), 0 warning(s)" in err


def test_check_reports_every_known_mistake_at_its_line(capsys):
    code, out, _ = run(capsys, "rules", "check", str(FIX / "bad_rules"), *VOCAB)
    assert code == 2
    got = findings(out)
    expected = [
        ("database.yaml", 3, "error", "id 99 disagrees with the vocabulary"),
        ("database.yaml", 6, "error", "term '--' normalises to nothing"),
        ("database.yaml", 6, "warning", "duplicate term 'DataBase'"),
        ("database.yaml", 6, "warning", "keyword term 'cli' is also a keyword of tag 'cli'"),
        ("database.yaml", 6, "warning", "term 'x' is a single ASCII character"),
        ("database.yaml", 9, "error", "pattern '(?<=my)sql' does not compile"),
        ("database.yaml", 11, "warning", "pattern 'Postgres(QL)?' has upper-case letters"),
        ("nosuchtag.yaml", 1, "error", "tag 'nosuchtag' is not in the vocabulary"),
        ("nosuchtag.yaml", 4, "error", "keywords[0].weight: 20 is greater than the maximum of 10"),
    ]
    for name, line, level, start in expected:
        assert any(g[:3] == (name, line, level) and g[3].startswith(start) for g in got), (name, line, start)
    assert len(got) == len(expected)
    assert all(g[0] != "cli.yaml" for g in got)      # the first file to list 'cli' is not the one warned


def test_check_exit_codes_warnings_and_strict(tmp_path, capsys):
    root = write_rules(tmp_path, {"tags/cli.yaml": "tag: cli\nkeywords:\n  - terms: [cli, c]\n    weight: 2\n"})
    code, out, _ = run(capsys, "rules", "check", str(root), *VOCAB)
    assert code == 0
    assert [(g[1], g[2]) for g in findings(out)] == [(3, "warning")]   # no header line: fine for a user file
    assert run(capsys, "rules", "check", str(root), *VOCAB, "--strict")[0] == 1


def test_check_pattern_limit_yaml_errors_and_odd_files(tmp_path, capsys):
    long_regex = "a" * 1001
    root = write_rules(tmp_path, {
        "tags/cli.yaml": f"{HEADER}tag: cli\npatterns:\n  - regex: '{long_regex}'\n    weight: 1\n",
        "tags/database.yaml": f"{HEADER}tag: database\nkeywords:\n  - terms: [db\n",
        "tags/web-app.yaml": f"{HEADER}tag: web-app\nid: 4\nkeywords:\n  - terms: [web app]\n    weight: 1\n"
                             "    colour: red\n",
        "tags/testing.yaml": f"{HEADER}tag: testing\nkeywords:\n  - terms: ['   ', ' _ ']\n    weight: 1\n",
        "stray.yaml": f"{HEADER}hello: world\n",
        "notes.yaml": f"{HEADER}",
    })
    code, out, _ = run(capsys, "rules", "check", str(root), *VOCAB)
    assert code == 2
    got = findings(out)
    assert ("cli.yaml", 4, "error") in [g[:3] for g in got]
    assert any(g[0] == "cli.yaml" and "1001 characters; the limit is 1000" in g[3] for g in got)
    assert any(g[0] == "database.yaml" and g[2] == "error" and "invalid YAML" in g[3] for g in got)
    assert any(g[:3] == ("web-app.yaml", 7, "error") and "colour: unknown key" in g[3] for g in got)
    assert [g[1] for g in got if g[0] == "testing.yaml" and "normalises to nothing" in g[3]] == [4, 4]
    assert any(g[0] == "stray.yaml" and "neither a tag file" in g[3] for g in got)
    assert any(g[:3] == ("notes.yaml", 1, "warning") and "empty" in g[3] for g in got)


def test_check_signals_file(tmp_path, capsys):
    root = write_rules(tmp_path, {"signals.yaml": HEADER.replace("../", "") + """\
signals:
  - {name: a, tag: cli, weight: 1, fields: [code], terms: [brew install, go install]}
  - {name: b, tag: cli, weight: 1, fields: [links], terms: [brew install]}
  - {name: c, tag: cli, weight: 1, fields: [code, body], terms: [brew  install]}
  - {name: d, tag: nope, weight: 1, regex: '(a'}
features:
  - {feature: tables, tag: nowhere, weight: 1}
"""})
    code, out, _ = run(capsys, "rules", "check", str(root), *VOCAB)
    got = findings(out)
    assert code == 2
    # the same term for another field is not a repeat; for the same field it is
    assert [(g[1], g[2]) for g in got if "duplicate" in g[3]] == [(5, "warning")]
    assert any(g[1] == 6 and "signal tag 'nope' is not in the vocabulary" in g[3] for g in got)
    assert any(g[1] == 6 and "does not compile" in g[3] for g in got)
    assert any(g[1] == 8 and "feature tag 'nowhere'" in g[3] for g in got)


def test_check_missing_folder_is_one_error_line(capsys):
    code, out, err = run(capsys, "rules", "check", str(FIX / "nope"))
    assert code == 2 and out == "" and "no such rules folder" in err


def test_check_builtin_pack_runs_and_every_line_is_a_finding(capsys):
    code, out, err = run(capsys, "rules", "check")
    assert code in (0, 2)
    findings(out)
    assert "error(s)" in err


@pytest.mark.parametrize("regex, upper", [
    ("postgres(ql)?", False), ("Postgres", True), (r"\S+\.exe", False), (r"(?i)Postgres", False),
    (r"\p{Han}+", False), (r"(?P<Name>x)", False), (r"[A-Z]", True),
])
def test_uppercase_patterns(regex, upper):
    assert _has_uppercase_literal(regex) is upper


# ---------------------------------------------------------------- rules stats


def stats(capsys, *extra: str) -> dict:
    code, out, _ = run(capsys, "rules", "stats", str(BENCH), *RULES, "--json", *extra)
    assert code == 0
    return json.loads(out)


def test_stats_coverage_precision_and_decisions(capsys):
    data = stats(capsys)
    assert data["docs"] == 8
    rules = data["rules"]
    db = rules["database/core"]            # fires on r1 (gold database) and r4 (database only in gold_also)
    assert (db["tag"], db["kind"], db["docs"], db["coverage"]) == ("database", "keywords", 2, 0.25)
    assert (db["precision"], db["lenient_precision"], db["decided"], db["decided_correct"]) == (0.5, 1.0, 2, 1)
    assert db["terms"]["database"] == {"docs": 2, "coverage": 0.25, "precision": 0.5, "lenient_precision": 1.0}
    assert db["terms"]["databases"]["docs"] == 0
    cli = rules["cli/core"]                # 'terminal' on r5 (gold testing), 'cli' on r8 (cli only acceptable)
    assert (cli["docs"], cli["precision"], cli["lenient_precision"], cli["decided_correct"]) == (2, 0.0, 0.5, 0)
    assert {t: v["docs"] for t, v in cli["terms"].items()} == {"cli": 1, "terminal": 1, "shell": 0}
    assert rules["testing/core"]["terms"]["unit testing"]["precision"] == 1.0
    # a vocabulary tag without rules is matched by its name: that rule never fires here
    assert rules["blockchain/name"]["kind"] == "name" and data["never_fired"] == ["blockchain/name"]
    assert data["broad"] == []


def test_stats_flags_broad_rules(capsys):
    data = stats(capsys, "--broad", "0.2")
    assert data["broad"] == ["cli/core", "database/core"]
    assert data["rules"]["cli/core"]["flags"] == ["broad"]


def test_stats_text(capsys):
    code, out, err = run(capsys, "rules", "stats", str(BENCH), *RULES, "--broad", "0.2")
    assert code == 0
    assert "8 documents, 6 rules; 2 fire on more than 20% of documents, 1 never fire" in out
    assert re.search(r"^database/core\s+\+\s+2\s+0\.250\s+0\.5000\s+1\.0000\s+2\s+1\s+broad$", out, re.M)
    assert "terms: 'database' 2 (0.50)" in out
    assert "rules that never fire (1):\n  blockchain/name" in out
    assert "broken" in err                   # the failed record is named, not fatal


def test_stats_rejects_a_bad_share(capsys):
    code, _, err = run(capsys, "rules", "stats", str(BENCH), *RULES, "--broad", "2")
    assert code == 2 and "--broad" in err


def test_subprocess_rules_commands_have_no_traceback():
    for args in (["rules", "check", str(FIX / "bad_rules"), *VOCAB], ["rules", "stats", str(BENCH), *RULES],
                 ["rules"]):
        proc = subprocess.run([sys.executable, "-m", "heuristag", *args], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr


@pytest.mark.skipif(not DEV.is_file(), reason="../shared/bench/dev.jsonl is absent")
def test_stats_on_the_dev_bench(capsys):
    code, out, _ = run(capsys, "rules", "stats", str(DEV), "--json")
    assert code == 0
    data = json.loads(out)
    n = sum(1 for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip())
    assert data["docs"] == n and data["rules"]
    for name, r in data["rules"].items():
        assert 0.0 <= r["coverage"] <= 1.0 and 0.0 <= r["precision"] <= r["lenient_precision"] <= 1.0, name
        assert r["decided_correct"] <= r["decided"]
        assert ("broad" in r["flags"]) == (r["coverage"] > 0.3)


def test_check_names_every_tag_a_file_refers_to_with_a_suggestion(tmp_path, capsys):
    root = write_rules(tmp_path, {
        "tags/cli.yaml": "tag: cli\nimplied_by: {linterr: 0.5, database: 0.2}\nsuppressed_by:\n  framwork: 0.3\n"
                         "keywords:\n  - terms: [command line]\n    weight: 2\n",
        "tags/clii.yaml": "tag: clii\nkeywords:\n  - terms: [terminal]\n    weight: 2\n",
        "signals.yaml": "signals:\n  - name: s\n    tag: databse\n    terms: [sqlite]\n    weight: 1\n",
    })
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps([{"id": 1, "name": "cli"}, {"id": 2, "name": "database"},
                                 {"id": 3, "name": "linter"}, {"id": 4, "name": "framework"}]), encoding="utf-8")
    code, out, _ = run(capsys, "rules", "check", str(root), "--tags", str(vocab), "--strict")
    assert code == 2
    got = findings(out)
    assert ("cli.yaml", 2, "error", "implied_by tag 'linterr' is not in the vocabulary (did you mean 'linter'?): "
            "this relation never takes effect") in got
    assert ("cli.yaml", 4, "error", "suppressed_by tag 'framwork' is not in the vocabulary (did you mean "
            "'framework'?): this relation never takes effect") in got
    assert ("clii.yaml", 1, "error", "tag 'clii' is not in the vocabulary (did you mean 'cli'?): its rules can "
            "never be output") in got
    assert any(g[:3] == ("signals.yaml", 3, "error") and "did you mean 'database'?" in g[3] for g in got)
    assert not any("'database'" in g[3] and g[0] == "cli.yaml" for g in got)   # a known tag is fine
    assert len(got) == 4                       # user files without the $schema line: no warning


def test_check_suggests_nothing_when_nothing_is_close(tmp_path, capsys):
    root = write_rules(tmp_path, {"tags/zzz.yaml": "tag: cli\nimplied_by: {quantum: 0.5}\n"
                                                    "keywords:\n  - terms: [command line]\n    weight: 2\n"})
    _, out, _ = run(capsys, "rules", "check", str(root), *VOCAB)
    assert [g[3] for g in findings(out) if g[2] == "error"] == [
        "implied_by tag 'quantum' is not in the vocabulary: this relation never takes effect"]


def test_the_builtin_pack_refers_only_to_its_own_tags(capsys):
    code, out, _ = run(capsys, "rules", "check")
    assert code == 0
    assert "not in the vocabulary" not in out
