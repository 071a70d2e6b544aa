"""CI runs every fuzz target of fuzz/fuzz_inputs.py for a bounded number of inputs (hours: see README)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

pytest.importorskip("atheris")

HARNESS = ROOT / "fuzz" / "fuzz_inputs.py"
TARGETS = ("prompt", "readme", "rules", "vocab", "jsonl")
#: Per target: a few thousand inputs, cut at a few seconds on a busy machine (five targets < 1 minute).
RUNS = 3000
SECONDS = 8


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_runs_clean(target: str, tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    proc = subprocess.run(
        [sys.executable, str(HARNESS), f"--target={target}", f"-runs={RUNS}", f"-max_total_time={SECONDS}",
         "-timeout=20", "-max_len=4096", "-seed=1", f"-artifact_prefix={tmp_path}/", str(corpus),
         str(ROOT / "fuzz" / "corpus" / target)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    tail = "\n".join(proc.stderr.splitlines()[-40:])
    assert proc.returncode == 0, f"fuzz target {target} found something:\n{tail}"
    assert "Done " in proc.stderr, tail
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*"))
