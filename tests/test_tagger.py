"""The library API as the README shows it: Tagger().tag(...) -> Result with JSON and evidence."""

from __future__ import annotations

import json

import pytest

import heuristag
from heuristag import HeuristagError, Tagger

README = "# Composey\nA declarative UI toolkit for Kotlin, in the spirit of Jetpack Compose.\n"


def test_tag_returns_expected_json_and_evidence(tagger: Tagger):
    result = tagger.tag(README, description="Declarative GUI framework", id="42")
    answer = json.loads(result.to_json())
    assert answer["id"] == "42"
    assert {"id": 8, "name": "declarative-gui "} in answer["tags"]  # the vocabulary's name, space and all
    evidence = result.evidence["declarative-gui "]
    assert evidence and all(e.tag == "declarative-gui" for e in evidence)
    assert {e.field for e in evidence} >= {"description"}


def test_caller_vocabulary_decides_what_may_be_output(tagger: Tagger):
    vocabulary = [{"id": 100, "name": "declarative-gui "}, {"id": 101, "name": "kotlin-stuff"}]
    result = tagger.tag(README, vocabulary=vocabulary, id=7, max_tags=5)
    assert json.loads(result.to_json("ids")) == {"id": 7, "tags": [100]}
    names_only = tagger.tag(README, vocabulary=["declarative-gui", "game"], id=1)
    assert json.loads(names_only.to_json()) == {"id": 1, "tags": [{"name": "declarative-gui"}]}


def test_module_level_shortcut_uses_builtin_rules():
    assert heuristag.tag(README, "Declarative GUI framework").tags[0].name == "declarative-gui "


@pytest.mark.parametrize("bad, name", [(None, "readme"), (5, "readme"), (["# x"], "readme")])
def test_readme_that_is_not_text_is_a_type_error_naming_the_parameter(bad, name):
    with pytest.raises(TypeError, match=f"^{name} must be str or bytes, got"):
        Tagger().tag(bad)


def test_description_that_is_not_text_is_a_type_error():
    with pytest.raises(TypeError, match="^description must be str or bytes"):
        Tagger().tag("# db", description=3.5)


def test_bytes_are_decoded_like_a_file():
    text = "# 快速数据库\n\n这是一个用 Go 编写的高性能分布式数据库，支持命令行工具。\n"
    tagger = Tagger()
    as_str = tagger.tag(text, id=1).to_json()
    assert tagger.tag(text.encode("utf-8"), id=1).to_json() == as_str
    assert tagger.tag(b"\xef\xbb\xbf" + text.encode("utf-8"), id=1).to_json() == as_str
    assert tagger.tag(text.encode("gbk"), id=1).to_json() == as_str
    with pytest.raises(HeuristagError, match="^readme: "):
        tagger.tag(b"\x00\x01binary")


@pytest.mark.parametrize("bad", [0, -1])
def test_library_errors_name_parameters_not_flags(bad):
    with pytest.raises(HeuristagError, match="^max_tags: must be at least 1") as info:
        Tagger().tag("# db", max_tags=bad)
    assert "--" not in str(info.value)


def test_vocabulary_may_be_a_path_in_any_cli_format(tmp_path):
    readme = "# tinydb\n\nA tiny embedded database written in Go, with a command line tool.\n"
    as_list = Tagger(vocabulary=[{"id": 1, "name": "database"}, {"id": 2, "name": "cli"}]).tag(readme, id=1)
    (tmp_path / "v.json").write_text('[{"id": 1, "name": "database"}, {"id": 2, "name": "cli"}]', encoding="utf-8")
    (tmp_path / "v.yaml").write_text("- {id: 1, name: database}\n- {id: 2, name: cli}\n", encoding="utf-8")
    for path in (str(tmp_path / "v.json"), tmp_path / "v.yaml"):
        assert Tagger(vocabulary=path).tag(readme, id=1).to_json() == as_list.to_json()
        assert Tagger().tag(readme, id=1, vocabulary=path).to_json() == as_list.to_json()
    (tmp_path / "names.txt").write_text("database\ncli\n", encoding="utf-8")
    names = Tagger(vocabulary=tmp_path / "names.txt").tag(readme, id=1)
    assert [t.name for t in names.tags] == [t.name for t in as_list.tags]
    with pytest.raises(HeuristagError, match="no such file"):
        Tagger(vocabulary=str(tmp_path / "missing.json"))
