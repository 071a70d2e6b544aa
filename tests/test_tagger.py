"""The library API as the README shows it: Tagger().tag(...) -> Result with JSON and evidence."""

from __future__ import annotations

import json

import heuristag
from heuristag import Tagger

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
