"""Shared fixtures: the repository's paths, the seed prompt, and a tagger built once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
SEED = next(iter(sorted((SHARED / "seed").glob("*.txt"))), None) if (SHARED / "seed").is_dir() else None
DEV = SHARED / "bench" / "dev.jsonl"


@pytest.fixture(scope="session")
def tagger():
    from heuristag import Tagger

    return Tagger()


@pytest.fixture(scope="session")
def seed_text() -> str:
    path = SEED if SEED is not None else FIXTURES / "prompt_example.txt"
    return path.read_text(encoding="utf-8")


def run_cli(*args: str, input: bytes | str | None = None, env: dict | None = None,
            cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python -m heuristag ARGS` the way a user would, capturing bytes."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    data = input.encode("utf-8") if isinstance(input, str) else input
    return subprocess.run([sys.executable, "-m", "heuristag", *args], input=data, capture_output=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout)
