"""`heuristag eval`: the bench's own numbers (checked against score.py), what misled, compare, HTML.

Every fixture test uses the tiny rule pack and vocabulary in tests/fixtures/authoring (never the
built-in rules, which change all day). Tests on ../shared/bench/dev.jsonl only check that the numbers
equal score.py's and that every command runs; they skip when the bench is absent.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from heuristag.authoring.evaluate import (
    confusion,
    load_bench,
    metrics_of,
    run_bench,
    score_predictions,
)
from heuristag.cli import main
from heuristag.engine.errors import HeuristagError

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures" / "authoring"
BENCH = FIX / "bench.jsonl"
RULES = ["--rules", str(FIX / "rules"), "--no-builtin-rules", "--tags", str(FIX / "vocab.json")]
DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "dev.jsonl"
SCORE_PY = DEV.parent / "score.py"
needs_dev = pytest.mark.skipif(not DEV.is_file(), reason="../shared/bench/dev.jsonl is absent")


def load_score_py():
    """The bench's reference scorer, imported by path: only the tests use it."""
    if not SCORE_PY.is_file():
        pytest.skip("../shared/bench/score.py is absent")
    spec = importlib.util.spec_from_file_location("bench_score", SCORE_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def eval_json(capsys, bench: Path, *extra: str) -> dict:
    code, out, _ = run(capsys, "eval", str(bench), "--json", *extra)
    assert code == 0
    return json.loads(out)


def fixture_tagger():
    from heuristag.engine.tagger import Tagger
    from heuristag.engine.vocabulary import load_vocabulary_file

    return Tagger(rules_dirs=[FIX / "rules"], builtin_rules=False,
                  vocabulary=load_vocabulary_file(FIX / "vocab.json"))


def reference(score_py, records, predicted: dict[str, list]) -> dict:
    """score.py's figures for these predictions, fed the way its command line feeds it.

    LABELS.md compares tag names after .strip(); score.py strips predictions only (the bench's gold is
    already stripped), so gold names are stripped here as the bench stores them.
    """
    gold = {str(r["id"]): {"id": r["id"], "tags": [t.strip() for t in r["gold"]],
                           "also": [t.strip() for t in r.get("gold_also", [])]} for r in records}
    pred = {k: {"id": k, "tags": v} for k, v in predicted.items()}
    return score_py.score(gold, pred, per_tag=True)


def assert_same(ours: dict, ref: dict) -> None:
    for key in ("docs", "P", "R", "F1", "lenP", "lenF1", "top1", "empty", "over3", "avg_pred"):
        assert ours[key] == ref[key], key
    assert {t: {"tp": v["tp"], "pred": v["pred"], "gold": v["support"]} for t, v in ours["per_tag"].items()} \
        == ref["per_tag"]


# ---------------------------------------------------------------- the metric


def test_metric_equals_score_py_on_awkward_predictions():
    score_py = load_score_py()
    records = [
        {"id": "a", "gold": ["x", "y"], "gold_also": ["z"]},
        {"id": "b", "gold": ["x"], "gold_also": []},
        {"id": "c", "gold": ["y", "w"], "gold_also": ["x"]},
        {"id": 4, "gold": ["z"]},
        {"id": "e", "gold": ["w"], "gold_also": ["y"]},
    ]
    predicted = {
        "a": ["z", "x", "q", "y"],          # over 3, first one only acceptable
        "b": ["x ", "x"],                   # names are stripped; a duplicate counts once for P/R
        "c": [],                            # empty
        # "4" is missing altogether: an empty prediction
        "e": ["y", {"id": 9, "name": "w"}],  # objects are read by name
    }
    ours = score_predictions((r["gold"], r.get("gold_also", []), predicted.get(str(r["id"]), []))
                             for r in records).as_dict()
    assert_same(ours, reference(score_py, records, predicted))
    assert ours["over3"] == 1 and ours["empty"] == 0.4


def test_metric_on_nothing_predicted_is_zero_not_an_error():
    m = score_predictions([(["a"], [], []), (["b"], ["c"], [])])
    assert (m.P, m.R, m.F1, m.lenP, m.top1, m.empty, m.avg_pred) == (0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def test_eval_json_equals_score_py_on_the_fixture(capsys):
    score_py = load_score_py()
    ours = eval_json(capsys, BENCH, *RULES)
    records = [json.loads(line) for line in BENCH.read_text(encoding="utf-8").splitlines()]
    outcomes = run_bench(fixture_tagger(), load_bench(BENCH))
    predicted = {o.record.label: [{"name": n} for n in o.predicted] for o in outcomes}
    assert_same(ours, reference(score_py, records, predicted))


def test_eval_json_on_the_fixture_by_hand(capsys):
    ours = eval_json(capsys, BENCH, *RULES)
    # 8 gold tags; predicted: r1 database, r3 game-engine, r4 database+web-app, r5 cli, r8 cli+testing
    assert ours["docs"] == 8
    assert (ours["P"], ours["R"], ours["F1"]) == (0.5714, 0.5, 0.5333)
    assert (ours["lenP"], ours["top1"], ours["empty"], ours["avg_pred"]) == (0.8571, 0.5, 0.375, 0.875)
    assert ours["per_tag"]["cli"] == {"support": 2, "pred": 2, "tp": 0, "P": 0.0, "R": 0.0, "F1": 0.0}
    assert ours["per_tag"]["game-engine"]["tp"] == 1          # "game-engine " compared stripped
    assert set(ours) >= {"F1", "P", "R", "lenP", "lenF1", "top1", "empty", "docs", "avg_pred", "per_tag"}
    assert ours["failed"] == [{"id": "broken", "line": 7, "error": ours["failed"][0]["error"]}]
    assert "readme" in ours["failed"][0]["error"]


# ---------------------------------------------------------------- text output


def test_eval_text_shows_figures_table_worst_and_failures(capsys):
    code, out, _ = run(capsys, "eval", str(BENCH), *RULES)
    assert code == 0
    assert "F1 0.5333  P 0.5714  R 0.5000" in out
    assert re.search(r"^cli\s+2\s+2\s+0\s+0\.0000\s+0\.0000\s+0\.0000$", out, re.M)
    worst = out.split("worst documents", 1)[1]
    # r5 has a missed and a wrong tag: first, with the contribution that misled
    assert worst.splitlines()[1].startswith("r5 ")
    assert "wrong cli: score" in worst and "cli/core [description] 'terminal'" in worst
    assert "missed testing: no evidence" in worst
    assert "failed records (1, counted as empty predictions):" in out and "broken:" in out


def test_min_f1_is_a_ci_gate(capsys):
    assert run(capsys, "eval", str(BENCH), *RULES, "--min-f1", "0.5")[0] == 0
    code, _, err = run(capsys, "eval", str(BENCH), *RULES, "--min-f1", "0.9")
    assert code == 1 and "below --min-f1 0.9" in err


@pytest.mark.parametrize("content, message", [
    ('{"id": "a", "readme": "x"}\n', "gold"),
    ('{"id": "a", "readme": "x", "gold": "cli"}\n', "gold"),
    ('not json\n', "invalid JSON"),
    ('{"id": "a", "readme": "x", "gold": []}\n{"id": "a", "readme": "y", "gold": []}\n', "duplicate id"),
    ('\n\n', "empty"),
])
def test_a_bench_that_cannot_be_scored_is_one_error_line(tmp_path, capsys, content, message):
    bench = tmp_path / "b.jsonl"
    bench.write_text(content, encoding="utf-8")
    with pytest.raises(HeuristagError, match=message):
        load_bench(bench)
    code, out, err = run(capsys, "eval", str(bench), *RULES)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_subprocess_eval_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "heuristag", "eval", str(BENCH), *RULES, "--min-f1", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "F1 0.5333" in proc.stdout


# ---------------------------------------------------------------- compare


def test_compare_shows_deltas_and_changed_documents(capsys):
    code, out, _ = run(capsys, "eval", str(BENCH), *RULES, "--compare", str(FIX / "rules_more"))
    assert code == 0
    assert re.search(r"^F1\s+0\.5333\s+0\.6250\s+\+0\.0917$", out, re.M)
    assert "documents whose tags changed: 1" in out
    assert "r2  gold: cli" in out and "-  ->  cli" in out
    assert re.search(r"^    cli: cli/command-line \+0\.00 -> \+\d+\.\d\d$", out, re.M)


def test_compare_json_and_gate_on_the_compared_rules(capsys):
    data = eval_json(capsys, BENCH, *RULES, "--compare", str(FIX / "rules_more"))
    assert data["before"]["F1"] == 0.5333 and data["after"]["F1"] == 0.625
    assert data["delta"]["F1"] == 0.0917 and data["delta"]["empty"] == -0.125
    [change] = data["changed"]
    assert change["id"] == "r2" and change["before"] == [] and change["after"] == ["cli"]
    [rule] = change["changes"]
    assert (rule["tag"], rule["rule"], rule["before"]) == ("cli", "cli/command-line", 0.0) and rule["after"] > 3.0
    assert run(capsys, "eval", str(BENCH), *RULES, "--compare", str(FIX / "rules_more"), "--min-f1", "0.6")[0] == 0


def test_compare_with_a_missing_folder_is_an_error(capsys):
    code, _, err = run(capsys, "eval", str(BENCH), *RULES, "--compare", str(FIX / "nope"))
    assert code == 2 and "no such rules folder" in err


# ---------------------------------------------------------------- HTML report


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(html: Path, tmp_path: Path) -> str:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed")
    profile = tmp_path / "chromium-profile"
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--dump-dom", html.resolve().as_uri()],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def assert_self_contained(text: str) -> None:
    assert "<script" not in text.lower() and "<link" not in text.lower() and "<img" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.I)
    assert "@import" not in text and "url(" not in text


def test_html_report_is_self_contained_and_renders(tmp_path, capsys):
    report = tmp_path / "report.html"
    code, _, err = run(capsys, "eval", str(BENCH), *RULES, "--html", str(report))
    assert code == 0 and f"wrote {report}" in err
    text = report.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert 'id="confusion"' in text and ">testing<" in text   # r5: testing missed, cli chosen instead
    dom = dump_dom(report, tmp_path)
    assert 'id="per-tag-chart"' in dom
    docs = re.findall(r'<section class="doc"[^>]*data-id="([^"]*)"', dom)
    assert docs == ["r1", "r2", "r3", "r4", "r5", "6", "broken", "r8"]
    assert dom.count('class="bar-p"') == 5            # one bar per tag seen in gold or predictions


def test_confusion_pairs_missed_gold_with_wrong_prediction():
    pairs = confusion(run_bench(fixture_tagger(), load_bench(BENCH)))
    assert {k: [o.record.label for o in v] for k, v in pairs.items()} == {("testing", "cli"): ["r5"]}


def test_html_to_an_unwritable_place_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, "eval", str(BENCH), *RULES, "--html", str(tmp_path / "no" / "such" / "r.html"))
    assert code == 2 and "cannot write" in err


# ---------------------------------------------------------------- the real bench


@pytest.fixture(scope="module")
def dev_outcomes():
    if not DEV.is_file():
        pytest.skip("../shared/bench/dev.jsonl is absent")
    from heuristag.engine.tagger import Tagger

    return run_bench(Tagger(), load_bench(DEV), str(DEV))


@needs_dev
def test_dev_bench_numbers_equal_score_py(dev_outcomes):
    score_py = load_score_py()
    ours = metrics_of(dev_outcomes).as_dict()
    records = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    predicted = {o.record.label: list(o.predicted) for o in dev_outcomes}
    assert_same(ours, reference(score_py, records, predicted))


@needs_dev
def test_dev_bench_cli_compare_json_and_html(tmp_path, capsys, dev_outcomes):
    report = tmp_path / "dev.html"
    data = eval_json(capsys, DEV, "--compare", str(FIX / "rules_more"), "--html", str(report))
    assert {k: v for k, v in data["before"].items() if k != "failed"} == metrics_of(dev_outcomes).as_dict()
    assert set(data) == {"before", "after", "delta", "changed"}
    assert_self_contained(report.read_text(encoding="utf-8"))
    dom = dump_dom(report, tmp_path)
    assert 'id="per-tag-chart"' in dom and dom.count('<section class="doc"') == len(dev_outcomes)


def test_group_by_a_field_and_no_description(tmp_path, capsys):
    lines = [json.loads(line) for line in BENCH.read_text(encoding="utf-8").splitlines()]
    for i, rec in enumerate(lines):
        if i % 3:
            rec["source"] = "list-a" if i % 3 == 1 else "list-b"
    bench = tmp_path / "b.jsonl"
    bench.write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(bench), *RULES, "--json", "--group-by", "source")
    data = json.loads(out)
    assert code == 0 and list(data["groups"]) == ["(none)", "list-a", "list-b"]
    assert sum(g["docs"] for g in data["groups"].values()) == data["docs"]
    assert "per_tag" not in data["groups"]["list-a"]
    code, text, _ = run(capsys, "eval", str(bench), *RULES, "--group-by", "source", "--worst", "0")
    assert re.search(r"^list-b +\d+ +[\d.]+", text, re.M)
    # the authoring bench's tags are carried mostly by descriptions: without them F1 falls
    _, blank, _ = run(capsys, "eval", str(bench), *RULES, "--json", "--no-description")
    assert json.loads(blank)["F1"] < data["F1"]
