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


def test_no_rule_names_a_bench_repository(tagger):
    """Rules describe tags, not documents: no term may be the name of a repository in the dev bench."""
    import json

    from heuristag.normalise import normalise

    from .conftest import DEV

    if not DEV.exists():
        pytest.skip("shared/bench/dev.jsonl not present")
    terms = {normalise(t) for g in tagger.rules.all_groups() for t in g.terms}
    ordinary_words = {"monitor", "renderer", "blog", "email"}  # repositories named after a plain word
    named = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        repo = json.loads(line)["repo"].split("/")[-1]
        if normalise(repo) in terms and normalise(repo) not in ordinary_words:
            named.append(repo)
    assert not named
