"""The rule-pack ratchet: dev F1 may not fall more than 0.01 below the figure recorded in bench/."""

from __future__ import annotations

import json

import pytest

from heuristag.evaluate import load_bench, metrics_of, run_bench

from .conftest import DEV, ROOT


@pytest.mark.skipif(not DEV.exists(), reason="shared/bench/dev.jsonl not present")
def test_dev_f1_does_not_drop(tagger):
    recorded = json.loads((ROOT / "bench" / "dev_f1.json").read_text(encoding="utf-8"))["F1"]
    metrics = metrics_of(run_bench(tagger, load_bench(DEV)))
    assert recorded - 0.01 <= metrics.F1, f"dev F1 {metrics.F1:.4f} below recorded {recorded} - 0.01"
