"""Adapters: the seed prompt and its variants, README + flags, JSON records -> one Request."""

from __future__ import annotations

import json

import pytest

from heuristag.engine.errors import HeuristagError
from heuristag.engine.request import from_prompt, from_readme, from_record, looks_like_prompt, split_prompt_body
from heuristag.engine.vocabulary import parse_vocabulary

from .conftest import FIXTURES, SEED

VOCAB = [{"id": 17, "name": "ai"}, {"id": 24, "name": "api"}, {"id": 8, "name": "declarative-gui "}]


def prompt(body: str, n: int = 3, ident: object = "x1", vocab: object = VOCAB, header: str = "AI prompts\n") -> str:
    return (f'{header}{body}\n", Assign "at most {n} tags" to the expected json: '
            f'{json.dumps({"id": ident, "tags": []})} "only from the tags list I provide: '
            f'{json.dumps(vocab)}" returns me the "expected json"')


@pytest.mark.skipif(SEED is None, reason="shared/seed not present")
def test_seed_prompt_parses_id_n_vocabulary_and_description():
    req = from_prompt(SEED.read_text(encoding="utf-8"), "seed")
    assert req.id == "1650" and isinstance(req.id, str)
    assert req.max_tags == 3
    assert len(req.vocabulary) == 90
    assert req.vocabulary.get("declarative-gui").name == "declarative-gui "
    assert req.description.startswith("base on OpenAI")
    assert req.description.endswith("features an English UI.")
    assert req.readme.startswith('<p align="right">')
    assert "## 相关项目" in req.readme


def test_fixture_prompt_parses():
    req = from_prompt((FIXTURES / "prompt_example.txt").read_text(encoding="utf-8"))
    assert req.id == "q-7"
    assert req.description.startswith("一个面向大模型应用")
    assert req.readme.startswith("<p align")


def test_numeric_id_keeps_its_type():
    req = from_prompt(prompt("A fast JSON parser. # Title\ntext", ident=7))
    assert req.id == 7 and isinstance(req.id, int)


def test_other_n_and_names_only_vocabulary():
    req = from_prompt(prompt("desc", n=5, vocab=["ai", "api", "cli", "lib", "game", "video"]))
    assert req.max_tags == 5
    assert [t.name for t in req.vocabulary] == ["ai", "api", "cli", "lib", "game", "video"]
    assert req.vocabulary.tags[0].id is None


def test_n_larger_than_vocabulary_is_clamped():
    assert from_prompt(prompt("desc", n=1000)).max_tags == len(VOCAB)


def test_missing_header_and_loose_spacing():
    text = prompt("Some description.\n# Readme\nBody", header="")
    text = text.replace('", Assign "at most 3 tags"', '",  assign  "at  most 3  tags"')
    req = from_prompt(text)
    assert req.description == "Some description."
    assert req.readme.startswith("# Readme")


def test_no_description_when_readme_starts_the_body():
    desc, readme = split_prompt_body('AI prompts\n<p align="center">x</p>\n# Title')
    assert desc == "" and readme.startswith("<p")


def test_detection_prompt_vs_readme():
    assert looks_like_prompt(prompt("desc"))
    assert not looks_like_prompt("# A README\n\nAssign tasks to workers, at most 3 at once.")


@pytest.mark.parametrize("text, message", [
    (prompt("d", n=0), "asks for no tags"),
    (prompt("d").replace('{"id": "x1", "tags": []}', '{"tags": []}'), 'has no "id"'),
    (prompt("d").replace("tags list I provide: ", "tags list I provide: ").rsplit("[", 1)[0], "no tags list"),
    (prompt("d", vocab=[]), "vocabulary is empty"),
    (prompt("d", vocab={"a": 1}), "must be a list"),
    (prompt("d", vocab=[{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]), "duplicate id"),
    (prompt("d", vocab=[{"id": 1, "name": "a"}, {"id": 2, "name": "A "}]), "duplicate name"),
    (prompt("d", vocab=[{"id": 1}]), "has no 'name'"),
    (prompt("d", vocab=[{"name": "x"}]), "has no 'id'"),
])
def test_prompt_errors_say_what(text, message):
    with pytest.raises(HeuristagError, match=message):
        from_prompt(text, "p.txt")


def test_from_readme_and_record():
    vocab = parse_vocabulary(VOCAB, "v")
    req = from_readme("# T", description="d", id=42, vocabulary=vocab, max_tags=10)
    assert req.max_tags == 3 and req.id == 42
    rec = from_record({"id": "r1", "description": None, "readme": "# x", "gold": ["ai"], "extra": 1})
    assert rec.id == "r1" and rec.description == ""
    rec = from_record({"id": 5, "readme": "x", "vocabulary": ["ai", "cli"]})
    assert [t.name for t in rec.vocabulary] == ["ai", "cli"]
    rec = from_record({"id": 9, "prompt": prompt("desc", ident="inner")})
    assert rec.id == 9


@pytest.mark.parametrize("record, message", [
    ([], "must be a JSON object"),
    ({"readme": "x"}, 'no "id"'),
    ({"id": 1}, 'no "readme"'),
    ({"id": 1, "readme": 3}, "readme: must be a string"),
    ({"id": [1], "readme": "x"}, "id: must be"),
    ({"id": 1, "readme": "x", "description": 5}, "description: must be a string"),
])
def test_record_errors(record, message):
    with pytest.raises(HeuristagError, match=message):
        from_record(record, "line 3")


def test_seed_instruction_with_an_unparsable_list_is_an_error_not_a_readme():
    """The instruction is there, so the text is a prompt: a list without brackets must not be tagged as a README."""
    text = ('AI prompts\n"A tiny database.", Assign "at most 3 tags" to the expected json: '
            '{"id": "z", "tags": []} "only from the tags list I provide: cli, api"')
    assert looks_like_prompt(text)
    with pytest.raises(HeuristagError, match=r"p:2: no tags list"):
        from_prompt(text, "p")


@pytest.mark.parametrize("n", ["-2", "0", "- 1"])
def test_non_positive_n_is_refused(n):
    with pytest.raises(HeuristagError, match="asks for no tags|does not say"):
        from_prompt(prompt("d").replace("at most 3 tags", f"at most {n} tags"), "p")
