"""What docs/RULES_GUIDE.md promises a rule author, each promise run through the CLI as written.

A flat --rules folder, a tags/ folder and a single file all load; `mode: replace` drops the built-in
rules of a tag; a new tag acts only with a vocabulary that has it; a vocabulary tag without rules is
found by its name; `rules schema` gives editors the schema; the pre-commit hook runs the check.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import yaml

from .conftest import ROOT, run_cli

GUIDE = (ROOT / "docs" / "RULES_GUIDE.md").read_text(encoding="utf-8")
README = "# sqlplay\n\nA tiny tool. It stores rows in a plain file and answers queries from the terminal.\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def tags(*args: str, readme: str = README) -> list[str]:
    proc = run_cli("tag", "-", "--format", "names", *args, input=readme)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["tags"]


DB_RULE = "tag: database\nkeywords:\n  - terms: [stores rows, answers queries]\n    weight: 5\n"


def test_flat_folder_tags_folder_and_single_file_all_load(tmp_path):
    assert "database" not in tags()
    flat = write(tmp_path / "flat", {"database.yaml": DB_RULE})
    nested = write(tmp_path / "nested", {"tags/database.yaml": DB_RULE})
    assert "database" in tags("--rules", str(flat))
    assert "database" in tags("--rules", str(nested))
    assert "database" in tags("--rules", str(flat / "database.yaml"))
    assert "may be flat" in GUIDE


def test_mode_replace_forgets_the_builtin_rules_of_that_tag(tmp_path):
    readme = "# clitool\n\nA command-line tool: run it in your terminal, `clitool --help`.\n"
    assert "cli" in tags(readme=readme)
    replaced = write(tmp_path / "r", {"cli.yaml": "tag: cli\nmode: replace\nkeywords:\n"
                                                  "  - terms: [zzzyx]\n    weight: 3\n"})
    extended = write(tmp_path / "e", {"cli.yaml": "tag: cli\nkeywords:\n  - terms: [zzzyx]\n    weight: 3\n"})
    assert "cli" not in tags("--rules", str(replaced), readme=readme)
    assert "cli" in tags("--rules", str(extended), readme=readme)
    assert "mode: replace" in GUIDE


def test_a_new_tag_needs_a_vocabulary_that_has_it(tmp_path):
    rules = write(tmp_path / "r", {"zigbee.yaml": "tag: zigbee\nkeywords:\n  - terms: [zigbee]\n    weight: 5\n"})
    readme = "# gq\n\nA Zigbee server with Zigbee subscriptions.\n"
    proc = run_cli("tag", "-", "--rules", str(rules), input=readme)
    assert proc.returncode == 0 and "zigbee" not in proc.stdout.decode()
    assert "which the vocabulary does not have: ignored" in proc.stderr.decode()
    vocab = write(tmp_path, {"v.txt": "zigbee\ndatabase\n"}) / "v.txt"
    assert tags("--rules", str(rules), "--tags", str(vocab), readme=readme) == ["zigbee"]
    assert "needs a vocabulary that has it" in GUIDE


def test_a_vocabulary_tag_without_rules_is_matched_by_its_name(tmp_path):
    vocab = write(tmp_path, {"v.json": json.dumps([{"id": 1, "name": "vector-search"}, {"id": 2, "name": "zebra"}])})
    got = tags("--tags", str(vocab / "v.json"), readme="# vq\n\nFast vector search over embeddings, in Rust.\n")
    assert got == ["vector-search"]
    assert "matched by its name" in GUIDE


def test_schema_for_editors_and_no_header_needed_in_user_files(tmp_path):
    schema = run_cli("rules", "schema").stdout
    root = write(tmp_path / "mine", {"database.yaml": "# yaml-language-server: $schema=schema.json\n" + DB_RULE,
                                     "cli.yaml": "tag: cli\nkeywords:\n  - terms: [terminal app]\n    weight: 2\n"})
    (root / "schema.json").write_bytes(schema)
    proc = run_cli("rules", "check", str(root), "--strict")
    assert proc.returncode == 0 and proc.stdout == b"", proc.stdout
    assert "heuristag rules schema > my_rules/schema.json" in GUIDE


def test_pre_commit_hook_runs_the_strict_check_on_the_files_it_is_given(tmp_path):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "heuristag-rules-check")
    assert hook["language"] == "python" and hook["entry"].startswith("heuristag rules check --strict")
    import re

    assert re.search(hook["files"], "rules/tags/cli.yaml") and re.search(hook["files"], "x.yml")
    assert not re.search(hook["files"], "README.md")
    good = write(tmp_path, {"good.yaml": DB_RULE})
    bad = write(tmp_path, {"bad.yaml": "tag: databse\nimplied_by: {clii: 0.5}\nkeywords:\n"
                                       "  - terms: [x]\n    weight: 2\n"})
    argv = shlex.split(hook["entry"])[1:]              # what pre-commit runs: entry + args + the changed files
    assert run_cli(*argv, str(good / "good.yaml")).returncode == 0
    proc = run_cli(*argv, str(good / "good.yaml"), str(bad / "bad.yaml"))
    assert proc.returncode == 2
    out = proc.stdout.decode()
    assert "bad.yaml:1: error: tag 'databse' is not in the vocabulary (did you mean 'database'" in out
    assert "bad.yaml:2: error: implied_by tag 'clii'" in out
    assert "heuristag-rules-check" in GUIDE
