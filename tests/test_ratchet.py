"""The rule-pack ratchet: F1 on dev and on train may not fall more than 0.01 below the figures recorded
in bench/ (raise them when the pack improves); and the two stay close, or the pack fits documents."""

from __future__ import annotations

import json

import pytest

from heuristag.authoring.evaluate import load_bench, metrics_of, run_bench

from .conftest import ROOT, SHARED

SETS = ("dev", "train")


def recorded(name: str) -> float:
    return json.loads((ROOT / "bench" / f"{name}_f1.json").read_text(encoding="utf-8"))["F1"]


@pytest.fixture(scope="module")
def f1(tagger):
    out = {}
    for name in SETS:
        path = SHARED / "bench" / f"{name}.jsonl"
        if path.exists():
            out[name] = metrics_of(run_bench(tagger, load_bench(path))).F1
    return out


@pytest.mark.parametrize("name", SETS)
def test_f1_does_not_drop(f1, name):
    if name not in f1:
        pytest.skip(f"shared/bench/{name}.jsonl not present")
    assert recorded(name) - 0.01 <= f1[name], f"{name} F1 {f1[name]:.4f} below recorded {recorded(name)} - 0.01"


def test_recorded_figures_are_current(f1):
    """A figure recorded far below the pack's real F1 lets the pack fall that far unnoticed."""
    for name, value in f1.items():
        assert value < recorded(name) + 0.02, f"{name} F1 is {value:.4f}: raise bench/{name}_f1.json"
