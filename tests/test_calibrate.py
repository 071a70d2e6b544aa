"""Confidence: isotonic calibration (PAV), ECE, and `--confidence` on tag and batch, `eval`'s ECE line."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heuristag.engine.calibrate import Calibration, Curve, default_confidence, ece, fit_calibration, isotonic

from .conftest import FIXTURES, run_cli

TUNE = FIXTURES / "tune"
BENCH = str(TUNE / "bench.jsonl")
VOCAB = str(TUNE / "vocab.json")
PACK = ["--rules", str(TUNE / "rules"), "--no-builtin-rules", "--tags", VOCAB]


def test_pav_pools_violators_and_smooths_each_block():
    curve = isotonic([(1.0, False), (2.0, True), (3.0, False), (4.0, True), (4.0, True)])
    # (2, right) and (3, wrong) violate the order: pooled into one block at 2.5 with 1 of 2 right
    assert curve.scores == (1.0, 2.5, 4.0)
    assert curve.probabilities == (round(1 / 3, 4), 0.5, 0.75)
    assert curve(0.0) == curve(1.0) and curve(100.0) == 0.75 and curve(3.25) == pytest.approx(0.625)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50, allow_nan=False), st.booleans()), min_size=1, max_size=60))
def test_isotonic_is_monotone_and_inside_0_1(points):
    curve = isotonic(points)
    assert list(curve.scores) == sorted(set(curve.scores))
    assert all(a <= b for a, b in zip(curve.probabilities, curve.probabilities[1:], strict=False))
    assert all(0 < p < 1 for p in curve.probabilities)
    xs = sorted(s for s, _ in points)
    assert all(curve(a) <= curve(b) for a, b in zip(xs, xs[1:], strict=False))


def test_per_tag_curves_only_where_the_data_allows():
    many = [("db", float(i), i % 3 != 0) for i in range(40)]
    few = [("cli", 5.0, True)] * 10
    cal = fit_calibration(many + few)
    assert set(cal.tags) == {"db"}
    assert cal.confidence("cli", 5.0) == cal.shared(5.0)


def test_ece_of_known_pairs():
    assert ece([(0.9, True)] * 9 + [(0.9, False)]) == 0.0
    assert ece([(0.95, False), (0.05, True)]) == 0.95
    assert ece([]) == 0.0


def test_default_is_monotone_half_at_threshold():
    assert default_confidence(4.0, 4.0) == 0.5
    assert default_confidence(2.0, 4.0) < default_confidence(8.0, 4.0) < 1.0
    assert default_confidence(0.0, 4.0) == 0.0


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    out = tmp_path_factory.mktemp("tuned") / "pack"
    proc = run_cli("tune", BENCH, *PACK, "--folds", "3", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "confidence: expected calibration error on held-out folds" in proc.stdout.decode()
    return out


def test_tag_confidence_default_then_fitted(tuned, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# project\n", "utf-8")
    base = ["tag", str(readme), "--description", "A command line tool for databases.", "--tags", VOCAB,
            "--no-builtin-rules"]
    plain = run_cli(*base, "--rules", str(TUNE / "rules"))
    assert set(json.loads(plain.stdout)) == {"id", "tags"}           # no flag: exactly the expected JSON
    default = json.loads(run_cli(*base, "--rules", str(TUNE / "rules"), "--confidence").stdout)
    assert list(default) == ["id", "tags", "confidence"]
    assert set(default["confidence"]) == {t["name"] for t in default["tags"]} == {"cli", "database"}
    explained = json.loads(run_cli("explain", str(readme), "--description", "A command line tool for databases.",
                                   "--tags", VOCAB, "--no-builtin-rules", "--rules", str(TUNE / "rules"),
                                   "--json").stdout)
    for t in explained["tags"]:
        if t["chosen"]:
            assert default["confidence"][t["tag"]] == round(t["score"] / (t["score"] + t["threshold"]), 3)
    fitted = json.loads(run_cli(*base, "--rules", str(tuned), "--confidence").stdout)
    assert fitted["tags"] and all(0 < p < 1 for p in fitted["confidence"].values())
    assert fitted["confidence"] != default["confidence"]


def test_batch_confidence_on_every_record(tuned):
    proc = run_cli("batch", BENCH, "--rules", str(tuned), "--no-builtin-rules", "--tags", VOCAB, "--confidence",
                   "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(rows) == 28 and all(set(r["confidence"]) == {t["name"] for t in r["tags"]} for r in rows)
    csv = run_cli("batch", BENCH, *PACK, "--confidence", "-o", "-", "--output-format", "csv")
    assert csv.returncode == 2 and b"--confidence" in csv.stderr and csv.stderr.count(b"\n") == 1


def test_eval_reports_ece(tuned):
    proc = run_cli("eval", BENCH, "--rules", str(tuned), "--no-builtin-rules", "--tags", VOCAB, "--json")
    data = json.loads(proc.stdout)
    assert data["calibration"]["curve"] == "fitted" and 0 <= data["calibration"]["ECE"] <= 0.12
    text = run_cli("eval", BENCH, *PACK, "--worst", "0").stdout.decode().splitlines()
    assert text[2].startswith("confidence: ECE ") and "default curve" in text[2]


def test_rules_check_accepts_the_calibration_and_a_bad_one_is_one_line(tuned, tmp_path):
    ok = run_cli("rules", "check", str(tuned), "--tags", VOCAB)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad"
    shutil.copytree(tuned, bad)
    (bad / "calibration.yaml").write_text(
        "calibration:\n  shared: {scores: [1, 2], probabilities: [0.9, 0.1]}\n", "utf-8")
    proc = run_cli("tag", str(TUNE / "bench.jsonl"), "--rules", str(bad), "--no-builtin-rules", "--tags", VOCAB)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "calibration.yaml" in err and "non-decreasing" in err


def test_a_calibration_is_data_in_the_rule_set(tuned):
    from heuristag.engine.rules import load_rules

    rs = load_rules([tuned], builtin=False)
    assert isinstance(rs.calibration, Calibration) and isinstance(rs.calibration.shared, Curve)


def test_the_builtin_pack_ships_a_fitted_calibration(tagger):
    """`--confidence` out of the box is the isotonic curve tune fitted on train+dev, not the default."""
    cal = tagger.rules.calibration
    assert cal is not None
    result = tagger.tag("# pgtool\n\nA command-line tool for PostgreSQL databases: `pgtool --help`.\n")
    conf = tagger.confidence(result)
    assert set(conf) == {t.name for t in result.tags}
    assert all(0.0 <= p <= 1.0 for p in conf.values())
