"""The CLI as a user meets it: subprocess in, the expected JSON out; one-line errors, exit codes."""

from __future__ import annotations

import json

import pytest

from .conftest import FIXTURES, SEED, run_cli

PROMPT = SEED if SEED is not None else FIXTURES / "prompt_example.txt"


def test_tag_seed_prompt_prints_expected_json():
    proc = run_cli("tag", str(PROMPT))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.count("\n") == 1
    answer = json.loads(out)
    assert set(answer) == {"id", "tags"}
    assert 1 <= len(answer["tags"]) <= 3
    for tag in answer["tags"]:
        assert set(tag) == {"id", "name"}


@pytest.mark.skipif(SEED is None, reason="shared/seed not present")
def test_seed_gives_ai_and_api():
    answer = json.loads(run_cli("tag", str(SEED)).stdout)
    assert answer["id"] == "1650"
    names = [t["name"] for t in answer["tags"]]
    assert "ai" in names and "api" in names
    assert {"id": 17, "name": "ai"} in answer["tags"]


def test_readme_with_flags_and_number_id():
    proc = run_cli("tag", str(FIXTURES / "readme_quickvec.md"), "--description", "Vector search library",
                   "--id", "42", "--format", "names")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["id"] == 42
    assert all(isinstance(t, str) for t in answer["tags"])


def test_stdin_and_string_id_and_ids_format():
    text = (FIXTURES / "readme_quickvec.md").read_text(encoding="utf-8")
    proc = run_cli("tag", "-", "--id", '"42"', "--format", "ids", input=text)
    answer = json.loads(proc.stdout)
    assert answer["id"] == "42"
    assert all(isinstance(t, int) for t in answer["tags"])


def test_custom_vocabulary_and_rules(tmp_path):
    (tmp_path / "vocab.txt").write_text("vectors\nweb3\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "vectors.yaml").write_text("tag: vectors\nkeywords:\n  - {terms: [vector search], weight: 3}\n")
    proc = run_cli("tag", str(FIXTURES / "readme_quickvec.md"), "--tags", str(tmp_path / "vocab.txt"),
                   "--rules", str(rules), "--no-builtin-rules", "--format", "names")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tags"] == ["vectors"]


def test_ruleless_vocabulary_tag_matches_its_own_name(tmp_path):
    (tmp_path / "vocab.json").write_text(json.dumps([{"id": 1, "name": "vector-search"}, {"id": 2, "name": "web3"}]))
    proc = run_cli("tag", str(FIXTURES / "readme_quickvec.md"), "--tags", str(tmp_path / "vocab.json"))
    assert json.loads(proc.stdout)["tags"] == [{"id": 1, "name": "vector-search"}]


def test_explain_shows_evidence():
    proc = run_cli("explain", str(FIXTURES / "readme_quickvec.md"))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "score" in text and "description" in text or "title" in text
    proc = run_cli("explain", str(FIXTURES / "readme_quickvec.md"), "--json")
    data = json.loads(proc.stdout)
    assert data["tags"] and all("contributions" in t for t in data["tags"])
    proc = run_cli("tag", str(FIXTURES / "readme_quickvec.md"), "--explain")
    assert json.loads(proc.stdout)["tags"] and "score" in proc.stderr.decode()


def test_same_bytes_under_any_hash_seed():
    outs = {run_cli("tag", str(PROMPT), env={"PYTHONHASHSEED": str(seed)}).stdout for seed in range(4)}
    assert len(outs) == 1


@pytest.mark.parametrize("args, message", [
    (["tag", "no/such/file.md"], "no/such/file.md: no such file"),
    (["tag", "tests"], "tests: is a directory"),
    (["tag", "README.md", "--max-tags", "0"], "--max-tags: must be at least 1"),
    (["tag", "README.md", "--tags", "no/vocab.json"], "no/vocab.json: no such file"),
    (["tag", "README.md", "--rules", "no/rules"], "no/rules: no such rules folder"),
    (["frobnicate"], "invalid choice"),
])
def test_errors_are_one_line_exit_2(args, message):
    proc = run_cli(*args)
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_explain_json_carries_the_scorers_reason_per_tag(tmp_path, capsys):
    import json as _json

    from heuristag.cli import main
    from heuristag.engine.scorer import REASONS

    readme = tmp_path / "README.md"
    readme.write_text("# fastcache\n\nAn in-memory cache library for Python. pip install fastcache\n", encoding="utf-8")
    assert main(["explain", str(readme), "--json", "--runners-up", "5"]) == 0
    tags = _json.loads(capsys.readouterr().out)["tags"]
    assert tags and all(t["reason"] in REASONS for t in tags)
    assert all((t["reason"] in ("chosen", "chosen by fallback")) == t["chosen"] for t in tags)


def _commands(parser, prefix=()):
    """Every (sub-)command path of the CLI, found from the parser so a new command is covered too."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


def test_every_command_help_ends_with_two_or_three_examples():
    from heuristag.cli import build_parser

    commands = list(_commands(build_parser()))
    assert {("tag",), ("batch",), ("rules", "check"), ("rules", "schema")} <= set(commands)
    for command in [(), *commands]:
        proc = run_cli(*command, "--help")
        assert proc.returncode == 0, command
        text = proc.stdout.decode()
        assert "examples:\n" in text, command
        lines = text.split("examples:\n", 1)[1].rstrip("\n").splitlines()
        assert 2 <= len(lines) <= 3 and all(ln.startswith("  ") for ln in lines), (command, lines)
        assert sum("heuristag" in ln for ln in lines) >= 2, (command, lines)


def test_id_help_says_what_the_default_is():
    text = " ".join(run_cli("tag", "--help").stdout.decode().split())
    assert "default: a prompt's own id, else the file name" in text


def test_bundled_examples_work_without_shared(tmp_path):
    from .conftest import ROOT

    proc = run_cli("tag", str(ROOT / "examples" / "prompt.txt"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == "q-7"
    proc = run_cli("tag", "examples/README.md", "--format", "names", cwd=ROOT)
    answer = json.loads(proc.stdout)
    assert answer["id"] == "examples/README.md" and answer["tags"]


def test_rules_schema_prints_the_schema_the_loader_uses(tmp_path):
    from heuristag.engine.rules import builtin_dir

    proc = run_cli("rules", "schema")
    assert proc.returncode == 0
    assert proc.stdout == (builtin_dir() / "schema.json").read_bytes()
    schema = json.loads(proc.stdout)
    assert schema["title"] == "heuristag rule file"


def test_readme_quick_start_says_where_to_run_it():
    from .conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "root of the clone" in quick and "../shared/seed/" in quick and "examples/prompt.txt" in quick
    assert ".ci/run" in quick and "chromium" in quick
