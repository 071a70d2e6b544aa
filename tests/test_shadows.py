"""`heuristag rules shadows`: which terms take another tag's shorter term away (leftmost-longest wins)."""

from __future__ import annotations

import json

from .conftest import run_cli


def pack(tmp_path):
    (tmp_path / "vocab.txt").write_text("web-app\nui\ndatabase\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "web-app.yaml").write_text("tag: web-app\nkeywords:\n  - {terms: [admin ui, 后台数据库管理], weight: 3}\n")
    (rules / "ui.yaml").write_text("tag: ui\nkeywords:\n  - {terms: [ui, min], weight: 2}\n")
    (rules / "database.yaml").write_text("tag: database\nkeywords:\n  - {terms: [数据库], weight: 2}\n")
    return ["--rules", str(rules), "--no-builtin-rules", "--tags", str(tmp_path / "vocab.txt")]


def test_lists_what_each_longer_term_hides_at_word_boundaries_only(tmp_path):
    proc = run_cli("rules", "shadows", *pack(tmp_path))
    assert proc.returncode == 0, proc.stderr
    # 'admin' contains 'min' but not at a word boundary, so ui's 'min' still matches beside it;
    # Chinese terms match inside text, so 数据库 is hidden inside the longer web-app term
    assert proc.stdout.decode().splitlines() == ["web-app: 'admin ui' hides 'ui' of ui",
                                                 "web-app: '后台数据库管理' hides '数据库' of database"]


def test_tag_filter_and_json(tmp_path):
    proc = run_cli("rules", "shadows", *pack(tmp_path), "--tag", "database", "--json")
    assert json.loads(proc.stdout) == [{"term": "后台数据库管理", "tags": ["web-app"], "hides": "数据库",
                                        "of": ["database"]}]


def test_an_unknown_tag_is_a_one_line_error(tmp_path):
    proc = run_cli("rules", "shadows", *pack(tmp_path), "--tag", "nosuch")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == "heuristag: --tag: 'nosuch' is not a tag of the vocabulary"


def test_the_builtin_pack_under_another_vocabulary_speaks_its_names():
    """Scoring keys (concepts) are shown as the vocabulary's own names."""
    from .conftest import FIXTURES

    vocab = FIXTURES.parent.parent / "examples" / "tags-zh.txt"
    found = json.loads(run_cli("rules", "shadows", "--tags", str(vocab), "--json").stdout)
    names = set(vocab.read_text(encoding="utf-8").split())
    assert found and all(set(s["tags"]) | set(s["of"]) <= names for s in found)
