"""Determinism: the same input gives the same bytes, whatever the hash seed, vocabulary order or rule file order.

A tagger whose answer moved with PYTHONHASHSEED (set iteration), with the order of the vocabulary, or
with the names of the rule files (sorted loading) would make every benchmark number and every diff
of rules noisy. These tests pin all three, plus repeated runs over the whole dev bench.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, SEED, run_cli
from .test_errors import PROMPT, README, RULES, TINY, VOCAB, VOCAB_TAGS

DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "dev.jsonl"
SEED_PROMPT = SEED if SEED is not None else FIXTURES / "prompt_example.txt"

#: A second layer for `database`, with unnamed groups and a negative, so that merge order matters
#: if anything in the engine depends on it.
EXTRA_DATABASE = """tag: database
keywords:
  - terms: [embedded database, sql]
    weight: 3
  - terms: [queries, query]
    weight: 1
negative:
  - terms: [shell]
    weight: 0.5
"""
EXTRA_CLI = """tag: cli
keywords:
  - terms: [shell, terminal]
    weight: 2
patterns:
  - regex: 'command[ -]?line'
    weight: 1
"""


def stdout_of(*args: str, env: dict | None = None) -> bytes:
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    return proc.stdout


# ---------------------------------------------------------------- hash seeds

COMMANDS = {
    "seed prompt, built-in pack": ("tag", str(SEED_PROMPT)),
    "seed prompt, explain --json": ("explain", str(SEED_PROMPT), "--json", "--runners-up", "10"),
    "README, tiny pack": ("tag", str(README), *TINY),
    "README, tiny pack, explain --json": ("explain", str(README), *TINY, "--json", "--runners-up", "10"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_identical_bytes_across_hash_seeds(tmp_path, name):
    """PYTHONHASHSEED 0..5, each with a cold parsed-rules cache: byte-identical stdout."""
    outputs = {stdout_of(*COMMANDS[name], env={"PYTHONHASHSEED": str(seed),
                                               "HEURISTAG_CACHE_DIR": str(tmp_path / f"cache{seed}")})
               for seed in range(6)}
    assert len(outputs) == 1


def test_the_rules_cache_does_not_change_the_answer(tmp_path):
    args = ("explain", str(SEED_PROMPT), "--json", "--runners-up", "10")
    cold = stdout_of(*args, env={"HEURISTAG_CACHE_DIR": str(tmp_path / "c")})
    warm = stdout_of(*args, env={"HEURISTAG_CACHE_DIR": str(tmp_path / "c")})
    off = stdout_of(*args, env={"HEURISTAG_NO_CACHE": "1"})
    assert cold == warm == off


# ---------------------------------------------------------------- vocabulary order

def names(out: bytes) -> list[str]:
    return [t["name"] if isinstance(t, dict) else t for t in json.loads(out)["tags"]]


def test_shuffled_vocabulary_file_gives_the_same_tags_in_the_same_order(tmp_path):
    baseline = stdout_of("tag", str(README), *TINY)
    assert len(names(baseline)) >= 2
    rng = random.Random(7)
    for i in range(4):
        vocab = list(VOCAB_TAGS)
        rng.shuffle(vocab)
        path = tmp_path / f"v{i}.json"
        path.write_text(json.dumps(vocab), encoding="utf-8")
        shuffled = stdout_of("tag", str(README), "--rules", str(RULES), "--no-builtin-rules", "--tags", str(path))
        assert shuffled == baseline


def test_shuffled_builtin_vocabulary_gives_the_same_tags(tmp_path):
    """The 90 built-in tags in three random orders, as a --tags file and inside the prompt."""
    prompt = SEED_PROMPT.read_text(encoding="utf-8")
    vocab = json.loads((ROOT / "rules" / "vocabulary.json").read_text(encoding="utf-8"))
    listed = json.dumps(vocab, ensure_ascii=False, separators=(",", ":"))
    baseline = stdout_of("tag", str(SEED_PROMPT))
    rng = random.Random(11)
    for i in range(3):
        shuffled = list(vocab)
        rng.shuffle(shuffled)
        path = tmp_path / f"p{i}.txt"
        new_prompt = prompt.replace(listed, json.dumps(shuffled, ensure_ascii=False, separators=(",", ":")))
        if new_prompt == prompt:
            pytest.skip("the seed prompt's tags list is not the built-in vocabulary verbatim")
        path.write_text(new_prompt, encoding="utf-8")
        assert stdout_of("tag", str(path), "--id", json.dumps(json.loads(baseline)["id"])) == baseline
        vfile = tmp_path / f"v{i}.json"
        vfile.write_text(json.dumps(shuffled), encoding="utf-8")
        assert names(stdout_of("tag", str(SEED_PROMPT), "--tags", str(vfile))) == names(baseline)


def test_library_vocabulary_order_invariance():
    from heuristag import Tagger

    tagger = Tagger(rules_dirs=[RULES], builtin_rules=False)
    text = README.read_text(encoding="utf-8")
    first = tagger.tag(text, "an embedded database", vocabulary=VOCAB_TAGS)
    for perm in ([3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]):
        other = tagger.tag(text, "an embedded database", vocabulary=[VOCAB_TAGS[i] for i in perm])
        assert other.to_json() == first.to_json()


# ---------------------------------------------------------------- rule file order

LAYOUTS = {
    # file name -> content key; sorted loading order differs in each layout
    "by tag": {"database.yaml": "database", "cli.yaml": "cli", "game-engine.yaml": "game",
               "database-extra.yaml": "db+", "cli-extra.yaml": "cli+"},
    "reversed": {"z1.yaml": "database", "y1.yaml": "cli", "x1.yaml": "game", "a1.yaml": "db+", "b1.yaml": "cli+"},
    "interleaved": {"m.yaml": "db+", "n.yaml": "database", "k.yaml": "cli+", "l.yaml": "cli", "a.yaml": "game"},
    "in tags/": {"tags/3.yaml": "database", "tags/1.yaml": "db+", "tags/2.yaml": "cli", "0.yaml": "cli+",
                 "tags/0.yaml": "game"},
}


def write_layout(folder: Path, layout: dict[str, str]) -> Path:
    contents = {"database": (RULES / "database.yaml").read_text(encoding="utf-8"),
                "cli": (RULES / "cli.yaml").read_text(encoding="utf-8"),
                "game": (RULES / "game-engine.yaml").read_text(encoding="utf-8"),
                "db+": EXTRA_DATABASE, "cli+": EXTRA_CLI}
    if folder.exists():
        shutil.rmtree(folder)
    for name, key in layout.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contents[key], encoding="utf-8")
    return folder


def test_rule_file_order_does_not_change_the_answer_or_the_evidence(tmp_path):
    outputs = set()
    for i, layout in enumerate(LAYOUTS.values()):
        folder = write_layout(tmp_path / f"layout{i}", layout)
        common = ("--rules", str(folder), "--no-builtin-rules", "--tags", str(VOCAB))
        outputs.add((stdout_of("tag", str(README), *common, "--id", "r"),
                     stdout_of("explain", str(README), *common, "--id", "r", "--json", "--runners-up", "10"),
                     stdout_of("tag", str(PROMPT), "--rules", str(folder), "--no-builtin-rules")))
    assert len(outputs) == 1


def test_rule_layers_in_either_order_give_the_same_answer(tmp_path):
    """Two --rules folders swapped: extend-mode layers commute."""
    a = write_layout(tmp_path / "a", {"database.yaml": "db+", "game.yaml": "game"})
    b = write_layout(tmp_path / "b", {"cli.yaml": "cli+", "database.yaml": "database", "c.yaml": "cli"})
    first = stdout_of("explain", str(README), "--rules", str(a), "--rules", str(b), "--no-builtin-rules",
                      "--tags", str(VOCAB), "--json", "--id", "r")
    second = stdout_of("explain", str(README), "--rules", str(b), "--rules", str(a), "--no-builtin-rules",
                       "--tags", str(VOCAB), "--json", "--id", "r")
    assert first == second


# ---------------------------------------------------------------- the whole dev bench, twice

@pytest.mark.skipif(not DEV.exists(), reason="shared/bench/dev.jsonl not present")
def test_two_runs_over_the_dev_bench_are_identical():
    """Same Tagger twice, in reverse order, and a fresh Tagger: the same JSON for every record."""
    from heuristag import Tagger
    from heuristag.engine.request import from_record

    records = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    tagger = Tagger()
    requests = [from_record(r, f"dev.jsonl:{i + 1}", vocabulary=tagger.vocabulary) for i, r in enumerate(records)]

    def run(t: Tagger, order: list[int]) -> dict[int, str]:
        return {i: t.tag_request(requests[i]).to_json() for i in order}

    forward = run(tagger, list(range(len(requests))))
    assert run(tagger, list(reversed(range(len(requests))))) == forward
    assert run(Tagger(), list(range(len(requests)))) == forward
