"""Rule files: safe loading, validation naming file:line:key, layering over the built-in pack."""

from __future__ import annotations

import pytest

from heuristag import Tagger
from heuristag.engine.errors import HeuristagError
from heuristag.engine.rules import builtin_dir, load_rules, read_rule_file, rule_files, validate
from heuristag.engine.vocabulary import builtin_vocabulary, tag_key


def write(d, name, text):
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def test_builtin_pack_covers_every_tag_and_validates():
    files = rule_files(builtin_dir())
    rs = load_rules()
    assert {t.key for t in builtin_vocabulary()} <= set(rs.tags)
    for path in files:
        data, lines = read_rule_file(path, check=False)
        assert validate(data, lines, str(path)) == [], path
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")


def test_builtin_ids_agree_with_vocabulary():
    vocab = {t.key: t.id for t in builtin_vocabulary()}
    for key, rules in load_rules().tags.items():
        if rules.id is not None:
            assert vocab[key] == rules.id, key


def test_extend_adds_to_builtin_and_replace_overrides(tmp_path):
    d = write(tmp_path / "ext", "game.yaml",
              "tag: game\nkeywords:\n  - {name: dice, terms: [dice roller], weight: 3}\n")
    rs = load_rules([d])
    names = [g.name for g in rs.tags["game"].groups]
    assert "game/dice" in names and len(names) > 1
    d2 = write(tmp_path / "rep", "game.yaml",
               "tag: game\nmode: replace\nkeywords:\n  - {terms: [dice roller], weight: 3}\n")
    assert [g.name for g in load_rules([d2]).tags["game"].groups] == ["game/keywords1"]


def test_no_builtin_rules_uses_only_the_users(tmp_path):
    d = write(tmp_path / "r", "x.yaml", "tag: cli\nkeywords:\n  - {terms: [command line], weight: 3}\n")
    assert set(load_rules([d], builtin=False).tags) == {"cli"}


def test_user_layer_changes_the_answer(tmp_path):
    d = write(tmp_path / "r", "for-fun.yaml", "tag: for-fun\nkeywords:\n  - {terms: [tiny vector], weight: 9}\n")
    result = Tagger(rules_dirs=[d]).tag("A tiny vector search library.", "")
    assert result.tags[0].key == tag_key("for-fun")


@pytest.mark.parametrize("text, where, message", [
    ("tag: x\nkeywords:\n\t- terms: [a]\n", ":3", "invalid YAML"),
    ("tag: x\nkeywords:\n  - terms: [a]\n   weight: 1\n", ":4", "invalid YAML"),
    ("tag: x\nkeywords:\n  - {terms: [a], weight: 1, colour: red}\n", ":3", "keywords[0].colour: unknown key"),
    ("tag: x\nkeywords:\n  - {terms: [a], weight: -1}\n", ":3", "keywords[0].weight"),
    ("tag: x\nsurprise: 1\n", ":2", "surprise: unknown key"),
    ("a: &a [1, 2]\nb: [*a, *a]\n", ":1", "anchors/aliases are not allowed"),
    ("tag: !!python/object:os.system {}\n", ":1", "refused"),
    ("- just\n- a list\n", ":1", "must be a mapping"),
])
def test_invalid_rule_files_name_file_line_and_key(tmp_path, text, where, message):
    d = write(tmp_path / "bad", "x.yaml", text)
    with pytest.raises(HeuristagError) as info:
        load_rules([d])
    assert f"x.yaml{where}" in str(info.value)
    assert message in str(info.value)


def test_billion_laughs_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    d = write(tmp_path / "bomb", "x.yaml", "\n".join(lines) + "\n")
    with pytest.raises(HeuristagError, match="aliases"):
        load_rules([d])


def test_parse_cache_is_keyed_by_content(tmp_path, monkeypatch):
    from heuristag.engine.rules import parse_trusted

    monkeypatch.setenv("HEURISTAG_CACHE_DIR", str(tmp_path / "cache"))
    rule = write(tmp_path / "r", "x.yaml", "tag: x\nkeywords:\n  - {terms: [alpha], weight: 1}\n") / "x.yaml"
    assert parse_trusted([rule])[0][1]["keywords"][0]["terms"] == ["alpha"]
    assert len(list((tmp_path / "cache").glob("rules-*.json"))) == 1
    rule.write_text("tag: x\nkeywords:\n  - {terms: [beta], weight: 1}\n")
    assert parse_trusted([rule])[0][1]["keywords"][0]["terms"] == ["beta"]  # an edit is never served stale
    from heuristag.engine import rules as rules_module
    monkeypatch.setattr(rules_module, "_reader_code", lambda: b"another version of the reading code")
    assert len({*(tmp_path / "cache").glob("rules-*.json")}) == 2
    parse_trusted([rule])
    assert len({*(tmp_path / "cache").glob("rules-*.json")}) == 3  # other code, other key: nothing shared
    (tmp_path / "cache").chmod(0o500)
    monkeypatch.setenv("HEURISTAG_CACHE_DIR", str(tmp_path / "cache" / "nope"))
    assert parse_trusted([rule])[0][1]["tag"] == "x"  # an unwritable cache is simply not used


def _documented_defaults() -> dict[str, float]:
    """The defaults table of docs/RULES_GUIDE.md, as {'scoring.threshold': 4.0, ...}."""
    import re

    from .conftest import ROOT

    guide = (ROOT / "docs" / "RULES_GUIDE.md").read_text(encoding="utf-8")
    return {k: float(v) for k, v in re.findall(r"^\| `((?:field_weights|scoring)\.\w+)` \| ([\d.]+) \|", guide, re.M)}


def test_one_set_of_defaults_code_guide_and_builtin_pack_agree():
    from heuristag.engine.rules import DEFAULT_FIELD_WEIGHTS, DEFAULT_SCORING

    code = {**{f"field_weights.{k}": v for k, v in DEFAULT_FIELD_WEIGHTS.items()},
            **{f"scoring.{k}": v for k, v in DEFAULT_SCORING.items()}}
    assert _documented_defaults() == code
    builtin = load_rules()
    assert dict(builtin.field_weights) == dict(DEFAULT_FIELD_WEIGHTS)
    assert dict(builtin.scoring) == dict(DEFAULT_SCORING)


def test_pack_without_settings_scores_exactly_like_one_spelling_out_the_documented_defaults(tmp_path):
    tag = "tag: database\nkeywords:\n  - {terms: [database, 数据库], weight: 2.0}\n  - {terms: [sql], weight: 1.0}\n"
    bare = write(tmp_path / "bare", "database.yaml", tag)
    spelled = write(tmp_path / "spelled", "database.yaml", tag)
    values = _documented_defaults()
    settings = "field_weights:\n" + "".join(f"  {k.split('.')[1]}: {v}\n" for k, v in values.items()
                                             if k.startswith("field_weights"))
    settings += "scoring:\n" + "".join(f"  {k.split('.')[1]}: {v}\n" for k, v in values.items()
                                       if k.startswith("scoring"))
    write(spelled, "signals.yaml", settings)
    vocab = [{"id": 1, "name": "database"}]
    readme = "# Fast SQL database\n\nA database you embed. It speaks SQL.\n"
    a = Tagger(rules_dirs=[bare], builtin_rules=False, vocabulary=vocab)
    b = Tagger(rules_dirs=[spelled], builtin_rules=False, vocabulary=vocab)
    ra, rb = a.tag(readme, id=1), b.tag(readme, id=1)
    assert ra.to_json() == rb.to_json() == '{"id":1,"tags":[{"id":1,"name":"database"}]}'
    assert ra.ranking.scores == rb.ranking.scores


def test_an_edited_builtin_file_the_schema_refuses_is_a_one_line_error_at_its_line(tmp_path, monkeypatch):
    """The built-in pack is parsed without the schema (cold start); a file someone edited in place must
    still give the error a user layer gets, not an internal KeyError."""
    import shutil

    import heuristag.engine.rules as rules_module

    pack = tmp_path / "rules"
    shutil.copytree(builtin_dir(), pack)
    broken = pack / "tags" / "data.yaml"
    text = broken.read_text(encoding="utf-8").replace("keywords:\n", "keywords:\n  - {regex: 'x', weight: 1.0}\n", 1)
    broken.write_text(text, encoding="utf-8")             # a keyword group with a regex and no terms
    monkeypatch.setattr(rules_module, "builtin_dir", lambda: pack)
    monkeypatch.setenv("HEURISTAG_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):                       # the second run reads the (unchecked) parse from the cache
        with pytest.raises(HeuristagError) as info:
            load_rules()
        assert info.value.where.startswith(f"{broken}:")
        assert "regex" in info.value.message and "\n" not in str(info.value)


def test_feature_clauses_layer_and_a_bad_one_is_named(tmp_path):
    base = load_rules()
    d = write(tmp_path / "s", "signals.yaml", "feature_clauses:\n  share: 0.25\n  patterns: ['\\bwith extras\\b.*']\n")
    rs = load_rules([d])
    assert rs.feature_clause_share == 0.25
    assert rs.feature_clauses[:-1] == base.feature_clauses and rs.feature_clauses[-1][0] == "\\bwith extras\\b.*"
    bad = write(tmp_path / "b", "signals.yaml", "feature_clauses:\n  patterns: ['(unclosed']\n")
    with pytest.raises(HeuristagError) as info:
        Tagger(rules_dirs=[bad]).tag("# x\n", "y")
    assert "signals.yaml" in str(info.value) and "feature_clauses.patterns[" in str(info.value)
    wrong = write(tmp_path / "w", "signals.yaml", "feature_clauses:\n  share: 2\n")
    with pytest.raises(HeuristagError) as info:
        load_rules([wrong])
    assert "feature_clauses.share" in str(info.value)


def test_a_feature_the_description_lists_is_not_what_the_project_is(tmp_path):
    """'支持 …、用户认证、… 等功能' lists what a blog does; at full weight 认证 would be a second answer."""
    said = "一款开源的博客系统，支持 Markdown 编辑、用户认证、评论等功能"
    assert [t.name for t in Tagger().tag("# x\n", said).tags] == ["blog"]
    full = write(tmp_path / "full", "signals.yaml", "feature_clauses:\n  share: 1.0\n")
    assert "authentication" in [t.name for t in Tagger(rules_dirs=[full]).tag("# x\n", said).tags]
