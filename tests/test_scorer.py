"""Scoring: field weights, saturation, thresholds, ties and the vocabulary filter."""

from __future__ import annotations

from heuristag.engine.matcher import Evidence
from heuristag.engine.rules import load_rules
from heuristag.engine.scorer import score


def ev(tag, field, rule=None, text="x", pos=0, weight=2.0):
    return Evidence(tag, rule or f"{tag}/core", field, text, pos, weight)


RULES = load_rules(builtin=False)


def test_forty_body_mentions_do_not_beat_a_clear_title():
    many = [ev("data", "body", pos=i) for i in range(40)]
    one = [ev("database", "title")]
    ranking = score(many + one, RULES, None, 3)
    assert ranking.scores[0].tag == "database"


def test_threshold_and_max_tags():
    evidence = [ev("a", "description"), ev("b", "description"), ev("c", "description"), ev("d", "body", weight=1)]
    ranking = score(evidence, RULES, None, 2)
    assert ranking.chosen == ("a", "b")  # equal scores: the fixed key order decides
    assert "d" not in score(evidence, RULES, None, 5).chosen  # a weak body hint stays below threshold


def test_only_allowed_tags():
    ranking = score([ev("a", "description"), ev("b", "description")], RULES, frozenset({"b"}), 3)
    assert ranking.chosen == ("b",)


def test_negative_evidence_subtracts():
    positive = [ev("a", "description")]
    assert score(positive + [ev("a", "description", rule="a/-neg", weight=-2.0)], RULES, None, 3).chosen == ()


def test_order_of_evidence_does_not_matter():
    evidence = [ev(t, f, pos=i) for i, (t, f) in enumerate(
        [("a", "body"), ("b", "title"), ("a", "description"), ("c", "headings"), ("b", "body")])]
    assert score(evidence, RULES, None, 3) == score(list(reversed(evidence)), RULES, None, 3)


def test_fallback_answers_with_the_best_tag_rather_than_nothing():
    from dataclasses import replace
    from types import MappingProxyType

    # both far below the threshold; a's evidence is two rules, so it is more than one word
    weak = [ev("a", "body", weight=2.0), ev("a", "body", rule="a/other", weight=0.5), ev("b", "links", weight=1.0)]
    with_fallback = replace(RULES, scoring=MappingProxyType({**RULES.scoring, "fallback": 0.2}))
    ranking = score(weak, with_fallback, None, 3)
    assert ranking.chosen == ("a",) and ranking.scores[0].reason == "chosen by fallback"
    without = replace(RULES, scoring=MappingProxyType({**RULES.scoring, "fallback": 0.0}))
    assert score(weak, without, None, 3).chosen == ()


def test_fallback_needs_more_than_one_word():
    """One rule in one place answers by fallback only at fallback_alone of the threshold (default 0.5)."""
    one_word = [ev("a", "title", weight=0.45)]         # ~1.75 after saturation x title 4.0: 44% of 4.0
    assert score(one_word, RULES, None, 3).chosen == ()
    assert score([ev("a", "title", weight=0.55)], RULES, None, 3).chosen == ("a",)   # ~2.14: over half
    same_word_twice = one_word + [ev("a", "description", weight=0.6)]              # two places: solid
    assert score(same_word_twice, RULES, None, 3).chosen == ("a",)
    title_and_heading = one_word + [ev("a", "headings", weight=0.4)]              # the title is a heading
    assert score(title_and_heading, RULES, None, 3).chosen == ()


def test_fallback_takes_the_best_tag_that_qualifies():
    evidence = [ev("a", "title", weight=0.48),                                 # ~1.86, one word: not enough
                ev("b", "body", weight=1.5), ev("b", "links", rule="b/site", weight=1.5)]   # ~1.67, solid
    ranking = score(evidence, RULES, None, 3)
    assert [s.tag for s in ranking.scores][:2] == ["a", "b"]
    assert ranking.chosen == ("b",)


def test_needs_support_words_count_only_beside_other_evidence():
    from dataclasses import replace

    rules = replace(RULES, needs_support=frozenset({"a/generic"}))
    alone = [ev("a", "title", rule="a/generic", weight=2.0)]
    assert score(alone, rules, None, 3).scores[0].reason == "no evidence"
    assert score(alone, RULES, None, 3).chosen == ("a",)                 # unmarked, the same word decides
    supported = alone + [ev("a", "body", rule="a/core", weight=2.0)]
    assert score(supported, rules, None, 3).chosen == ("a",)
    twice = alone + [ev("a", "description", rule="a/generic", weight=2.0)]
    assert score(twice, rules, None, 3).chosen == ("a",)


def test_two_generic_words_in_two_fields_do_not_vouch_for_each_other():
    """Each generic rule must itself fire in two places; two weak words in two fields stay two weak words."""
    from dataclasses import replace

    rules = replace(RULES, needs_support=frozenset({"a/generic", "a/site"}))
    two_weak = [ev("a", "description", rule="a/generic", weight=2.0), ev("a", "links", rule="a/site", weight=2.0)]
    assert score(two_weak, rules, None, 3).scores[0].reason == "no evidence"
    one_twice = two_weak + [ev("a", "title", rule="a/generic", weight=2.0)]
    without_site = [e for e in one_twice if e.rule != "a/site"]
    assert {r for r, _f, _p in score(one_twice, rules, None, 3).scores[0].contributions} == {"a/generic"}
    assert score(one_twice, rules, None, 3).scores[0].score == score(without_site, rules, None, 3).scores[0].score


def test_params_override_a_rule_weight_without_rematching():
    from heuristag.engine.scorer import Params

    evidence = [ev("a", "description", weight=2.0)]
    assert score(evidence, RULES, None, 3).chosen == ("a",)
    assert score(evidence, RULES, None, 3, params=Params(weights={"a/core": 0.1})).chosen == ()
    assert score(evidence, RULES, None, 3, params=Params(thresholds={"a": 99.0})).scores[0].threshold == 99.0


def test_params_override_field_weights_scoring_and_priors():
    from heuristag.engine.scorer import Params

    evidence = [ev("a", "body", weight=2.0)]
    plain = score(evidence, RULES, None, 3).scores[0].score
    heavier = score(evidence, RULES, None, 3, params=Params(field_weights={"body": 2 * RULES.field_weights["body"]}))
    assert heavier.scores[0].score == round(2 * plain, 6)
    with_prior = score(evidence, RULES, None, 3, params=Params(priors={"a": -0.5}))
    assert with_prior.scores[0].score == round(plain - 0.5, 6)
    assert score(evidence, RULES, None, 3, params=Params(scoring={"fallback": 0.0})).chosen == ()


def test_every_tag_carries_its_reason():
    from dataclasses import replace
    from types import MappingProxyType

    from heuristag.engine import scorer

    rules = replace(RULES, scoring=MappingProxyType({**RULES.scoring, "relative_cut": 0.5, "fallback": 0.0}))
    evidence = [ev("a", "description"), ev("b", "description"), ev("c", "title", weight=1.0),
                ev("d", "badges", weight=0.5), ev("e", "description", rule="e/-neg", weight=-2.0),
                ev("f", "description"), ev("f", "title", weight=1.0)]
    ranking = score(evidence, rules, None, 2)
    reasons = {s.tag: s.reason for s in ranking.scores}
    assert ranking.chosen == ("f", "a")
    assert reasons == {"f": scorer.CHOSEN, "a": scorer.CHOSEN, "b": scorer.BEYOND_SLOTS,
                       "c": scorer.BELOW_THRESHOLD, "d": scorer.BELOW_THRESHOLD, "e": scorer.NO_EVIDENCE}
    strong = [ev("g", "description", weight=10.0), ev("h", "title", weight=1.5)]
    cut = {s.tag: s.reason for s in score(strong, rules, None, 3).scores}
    assert cut["h"] == scorer.BELOW_CUT


def test_fallback_is_its_own_reason():
    from dataclasses import replace
    from types import MappingProxyType

    from heuristag.engine import scorer

    rules = replace(RULES, scoring=MappingProxyType({**RULES.scoring, "fallback": 0.2}))
    ranking = score([ev("a", "body", weight=2.0), ev("a", "body", rule="a/more", weight=1.0)], rules, None, 3)
    assert ranking.chosen == ("a",) and ranking.scores[0].reason == scorer.FALLBACK


def test_kind_tags_are_cut_against_the_best_kind_not_the_best_subject():
    from dataclasses import replace

    rules = replace(RULES, kinds=frozenset({"lib", "cli"}))
    evidence = [ev("database", "title", weight=3.0), ev("database", "description", weight=3.0),   # ~20
                ev("json", "description", weight=2.5),                                                # ~7
                ev("lib", "description", weight=1.5)]                                                # ~4.4
    plain = score(evidence, RULES, None, 3)
    assert plain.chosen == ("database", "json")                    # lib is below 0.3 of the best subject
    assert {s.tag: s.reason for s in plain.scores}["lib"] == "below relative_cut"
    assert score(evidence, rules, None, 3).chosen == ("database", "json", "lib")


def test_an_answer_without_a_kind_gives_its_last_slot_to_the_best_kind():
    from dataclasses import replace

    rules = replace(RULES, kinds=frozenset({"lib", "cli"}))
    evidence = [ev(t, "description", weight=2.5) for t in ("a", "b", "c")] + [
        ev("lib", "description", weight=1.5), ev("cli", "body", weight=1.0)]
    ranking = score(evidence, rules, None, 3)
    assert ranking.chosen == ("a", "b", "lib")
    reasons = {s.tag: s.reason for s in ranking.scores}
    assert reasons["c"] == "beyond max tags" and reasons["cli"] == "below threshold"
    assert score(evidence, rules, None, 1).chosen == ("lib",)       # one slot: the kind answers first
    assert score(evidence, RULES, None, 3).chosen == ("a", "b", "c")  # no kinds: as before


def test_builtin_kind_tags_are_the_documented_ones(tagger):
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / "docs" / "RULES_GUIDE.md").read_text(encoding="utf-8")
    kinds = sorted(tagger.rules.kinds)
    assert kinds == sorted(["lib", "cli", "web-app", "desktop-app", "mobile-app", "framework", "sdk", "dev-tool",
                            "ui", "learning-resource", "server", "dev-exp-lib"])
    listed = guide.split("Tags marked `kind: true`", 1)[1].split("answer the first", 1)[0]
    assert all(k in listed for k in kinds)


def test_a_refitted_weight_keeps_the_share_of_a_feature_clause():
    """`tune` sets a rule's weight; a hit inside a feature clause still carries its share of it."""
    from heuristag.engine.scorer import Params

    listed = Evidence("a", "a/core", "description", "x", 0, 1.0, 0.5)
    refit = score([listed], RULES, None, 3, params=Params(weights={"a/core": 4.0})).scores[0].score
    assert refit == score([ev("a", "description", weight=2.0)], RULES, None, 3).scores[0].score
    strongest = [listed, ev("a", "description", pos=9, weight=2.0)]  # the full hit is the rule's strongest
    both_full = [ev("a", "description", weight=4.0), ev("a", "description", pos=9, weight=4.0)]
    assert score(strongest, RULES, None, 3, params=Params(weights={"a/core": 4.0})).scores[0].score == \
        score(both_full, RULES, None, 3).scores[0].score
