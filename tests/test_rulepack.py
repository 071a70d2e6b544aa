"""The built-in pack against hand-written samples: every tag is reachable in English, Chinese, Japanese."""

from __future__ import annotations

import pytest
import yaml

from heuristag.vocabulary import builtin_vocabulary

from .conftest import FIXTURES

ALL = yaml.safe_load((FIXTURES / "samples.yaml").read_text(encoding="utf-8"))
SAMPLES = [s for s in ALL if "tag" in s]
LOOKALIKES = [s for s in ALL if "not_tag" in s]


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s['tag'].strip()}:{s['text'][:30]}" for s in SAMPLES])
def test_sample_description_gets_its_tag(tagger, sample):
    names = [t.name for t in tagger.tag("", sample["text"]).tags]
    assert sample["tag"] in names, names


@pytest.mark.parametrize("sample", LOOKALIKES, ids=[f"not-{s['not_tag']}:{s['text'][:30]}" for s in LOOKALIKES])
def test_lookalike_does_not_get_the_tag(tagger, sample):
    names = [t.name for t in tagger.tag("", sample["text"]).tags]
    assert sample["not_tag"] not in names, names


def test_every_tag_is_reachable_from_its_own_rules(tagger):
    """A description made of a tag's strongest term chooses that tag: nothing in the pack is dead."""
    unreachable = []
    for tag in builtin_vocabulary():
        rules = tagger.rules.tags[tag.key]
        best = max((g for g in rules.groups if g.weight > 0), key=lambda g: g.weight)
        names = [t.name for t in tagger.tag("", best.terms[0]).tags]
        if tag.name not in names:
            unreachable.append((tag.name, best.terms[0], names))
    assert not unreachable


def test_every_tag_speaks_english_chinese_and_japanese(tagger):
    import re

    missing = []
    for key, rules in tagger.rules.tags.items():
        terms = [t for g in rules.groups for t in g.terms]
        scripts = {
            "latin": any(re.search(r"[a-z]", t, re.I) for t in terms),
            "han": any(re.search(r"[\u4e00-\u9fff]", t) for t in terms),
            "kana": any(re.search(r"[\u3040-\u30ff]", t) for t in terms),
        }
        missing += [(key, script) for script, present in scripts.items() if not present]
    assert not missing
