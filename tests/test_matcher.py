"""Matching: one automaton, ASCII word boundaries, CJK substrings with the longest match winning."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heuristag.engine.document import extract
from heuristag.engine.errors import HeuristagError
from heuristag.engine.matcher import Matcher, compile_pattern
from heuristag.engine.normalise import is_word_char, normalise, normalise_lines
from heuristag.engine.rules import load_rules


@pytest.fixture(scope="module")
def matcher(tmp_path_factory) -> Matcher:
    d: Path = tmp_path_factory.mktemp("rules")
    (d / "cicd.yaml").write_text("tag: cicd\nkeywords:\n  - {terms: [ci, continuous integration], weight: 2}\n")
    (d / "lang.yaml").write_text("tag: language\nkeywords:\n  - {terms: [rust], weight: 2}\n")
    (d / "api.yaml").write_text("tag: api\nkeywords:\n  - {terms: [API], weight: 2}\n")
    (d / "data.yaml").write_text("tag: data\nkeywords:\n  - {terms: [数据], weight: 1}\n")
    (d / "db.yaml").write_text("tag: database\nkeywords:\n  - {terms: [数据库, self-hosted db], weight: 2}\n")
    (d / "web.yaml").write_text("tag: web-app\nkeywords:\n  - {terms: [self hosted], weight: 2}\n"
                                "patterns:\n  - {regex: 'docker run [a-z]+', weight: 1, fields: [code]}\n")
    return Matcher(load_rules([d], builtin=False))


def hits(matcher: Matcher, body: str) -> list[tuple[str, str]]:
    """Distinct (tag, matched text) pairs in order of first appearance (a body line may also be the lead)."""
    return list(dict.fromkeys((e.tag, e.text) for e in matcher.match(extract(body))))


def test_ascii_terms_need_word_boundaries(matcher):
    assert hits(matcher, "A specific, trusted tool.") == []
    assert hits(matcher, "Runs CI, written in Rust.") == [("cicd", "ci"), ("language", "rust")]


def test_ascii_term_inside_cjk_text(matcher):
    assert ("api", "api") in hits(matcher, "使用API开发")


def test_longest_cjk_match_wins(matcher):
    assert hits(matcher, "一个数据库") == [("database", "数据库")]
    assert hits(matcher, "大数据平台") == [("data", "数据")]


def test_case_width_and_hyphen_insensitive(matcher):
    assert hits(matcher, "ＡＰＩ and Self_Hosted") == [("api", "api"), ("web-app", "self hosted")]
    assert hits(matcher, "a SELF-HOSTED DB") == [("database", "self hosted db")]


def test_patterns_only_in_their_fields(matcher):
    assert ("web-app", "docker run nginx") in hits(matcher, "```\ndocker run nginx\n```")
    assert hits(matcher, "docker run nginx") == []


def test_code_lines_stay_lines(matcher):
    """A term does not run from one code line into the next, and a pattern can anchor at a line's start."""
    assert hits(matcher, "```\ndocker\nrun nginx\n```") == []
    assert ("web-app", "docker run nginx") in hits(matcher, "```\nls\ndocker run nginx\n```")
    assert hits(matcher, "## Self\n## Hosted\n") == []
    assert ("web-app", "self hosted") in hits(matcher, "Self\nhosted, hard-wrapped prose")


@given(st.text(alphabet=st.sampled_from("aZ _-\n\t\u3000ÉＡ数"), max_size=40))
def test_normalise_lines_is_normalise_per_line(text):
    lines = normalise_lines(text)
    assert " ".join(lines.split("\n")) == normalise(text)
    assert "" not in lines.split("\n") or lines == ""


def test_bad_pattern_is_a_clear_error():
    with pytest.raises(HeuristagError, match="does not compile"):
        compile_pattern(r"(a)\1", "x.yaml")
    with pytest.raises(HeuristagError, match="limit"):
        compile_pattern("a" * 5000, "x.yaml")


def test_pattern_bait_is_linear():
    rx = compile_pattern(r"(a+)+$", "x.yaml")
    assert rx.search("a" * 50_000 + "!") is None


@pytest.mark.parametrize("body, expected", [
    ("Rustñol ciñe, Rosé-like names.", []),                    # a term inside an accented Latin word
    ("Ciência de dados, cinéma, Ciudad.", []),                   # 'ci' before accented letters
    ("Библиотека rustы и ciклы.", []),                          # Cyrillic letters are letters too
    ("用rust写的ci工具", [("language", "rust"), ("cicd", "ci")]),  # CJK text has no spaces: still matches
    ("Rustで書かれたCIツール", [("language", "rust"), ("cicd", "ci")]),  # so does kana
    ("Rust로 만든 CI 도구", [("language", "rust"), ("cicd", "ci")]),    # and hangul
    ("Écrit en Rust, testé par CI.", [("language", "rust"), ("cicd", "ci")]),
])
def test_word_boundaries_are_unicode_letters_outside_cjk(matcher, body, expected):
    assert hits(matcher, body) == expected


def test_is_word_char_by_script():
    from heuristag.engine.normalise import is_word_char

    assert all(is_word_char(c) for c in "aZ9éßжω")
    assert not any(is_word_char(c) for c in " -.,数据ライブラリ한국어ｱ")


def _pattern_rules(tmp_path: Path, regexes: list[str]) -> Matcher:
    patterns = "".join(f"  - {{regex: '{r}', weight: 1}}\n" for r in regexes)
    (tmp_path / "p.yaml").write_text(f"tag: web-app\nkeywords:\n  - {{terms: [web], weight: 1}}\npatterns:\n{patterns}")
    return Matcher(load_rules([tmp_path], builtin=False))


def test_one_alternation_and_one_set_stand_for_a_field_s_patterns_and_find_the_same(tmp_path):
    from heuristag.engine.matcher import FieldPatterns

    m = _pattern_rules(tmp_path, ["(?i)docker run", "^a", "b$", "x*", "ü+", "(a)(b)"])
    helped = {f: fp for f, fp in m.field_patterns.items() if fp.rules}
    assert helped and all(fp.union is not None and fp.which is not None for fp in helped.values())
    texts = ["a docker run b", "ab", "üü and ab", "", "nothing here", "z" * 50]
    with_helpers = [m.match(extract(t)) for t in texts]
    m.field_patterns = {f: FieldPatterns(fp.rules) for f, fp in m.field_patterns.items()}
    assert [m.match(extract(t)) for t in texts] == with_helpers
    assert any(e.text == "üü" for e in with_helpers[2])  # non-ASCII text is searched as str


def test_a_set_that_answers_nothing_after_the_alternation_matched_means_search_them_all(tmp_path):
    """RE2's Set has no fallback when its DFA runs out of memory: it answers no match. The alternation
    has already said one pattern matches, so then every pattern is searched rather than none."""
    from heuristag.engine.matcher import FieldPatterns

    class Failing:
        def Match(self, data):  # noqa: N802 - RE2's name
            return None

    m = _pattern_rules(tmp_path, ["docker run", "compose up"])
    expected = m.match(extract("docker run, then compose up"))
    m.field_patterns = {f: FieldPatterns(fp.rules, fp.union, Failing() if fp.which else None)
                        for f, fp in m.field_patterns.items()}
    assert m.match(extract("docker run, then compose up")) == expected
    assert {e.text for e in expected} >= {"docker run", "compose up"}


def test_a_quoting_pattern_is_searched_without_the_alternation(tmp_path):
    m = _pattern_rules(tmp_path, ["\\Qa.b", "c\\Qd\\E"])
    assert any(fp.rules for fp in m.field_patterns.values())
    assert all(fp.union is None and fp.which is None for fp in m.field_patterns.values())
    assert [e.text for e in m.match(extract("x a.b y cd")) if e.rule.endswith(("pattern1", "pattern2"))][:2] == \
        ["a.b", "cd"]


def test_word_characters_are_the_same_whether_remembered_or_not(matcher, monkeypatch):
    import heuristag.engine.matcher as m

    texts = ["Rosé 数据库 ros", "русский rust", "使用API开发 数据", "ünïcode ci ß"]
    first = [m._word_chars(normalise(t)) for t in texts]
    again = [m._word_chars(normalise(t)) for t in texts]
    monkeypatch.setattr(m, "_MAX_CLASSIFIED", -1)      # past the bound: classified anew each time
    monkeypatch.setattr(m, "_CLASSIFIED", set())
    fresh = [m._word_chars(normalise(t)) for t in texts]
    expected = [{ch for ch in set(normalise(t)) if is_word_char(ch)} for t in texts]
    for got in (first, again, fresh):
        assert [set(w) & set(normalise(t)) for w, t in zip(got, texts, strict=True)] == expected


def test_prose_loses_its_emphasis_markers_and_code_keeps_its_asterisks(tmp_path):
    (tmp_path / "p.yaml").write_text("tag: web-app\nkeywords:\n  - {terms: [http client], weight: 1}\n"
                                     "patterns:\n  - {regex: 'import \\*', weight: 1, fields: [code]}\n")
    m = Matcher(load_rules([tmp_path], builtin=False))
    doc = extract("# x\n\nAn **h**ttp **c**lient.\n\n```python\nfrom x import *\n```\n")
    found = {(e.field, e.text) for e in m.match(doc)}
    assert ("body", "http client") in found and ("code", "import *") in found


def test_terms_in_a_descriptions_feature_clause_carry_its_share(tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    (d / "auth.yaml").write_text("tag: authentication\nkeywords:\n  - {terms: [user authentication], weight: 2}\n"
                                 "patterns:\n  - {regex: 'user authentication', weight: 1}\n")
    (d / "signals.yaml").write_text("feature_clauses:\n  share: 0.5\n  patterns: ['\\bcomes with\\b[^.]*']\n")
    matcher = Matcher(load_rules([d], builtin=False))
    listed = matcher.match(extract("# x\n", "A bookmark manager. Comes with user authentication."))
    assert {(e.rule, e.weight, e.share) for e in listed} == {("authentication/keywords1", 1.0, 0.5),
                                                             ("authentication/pattern1", 1.0, 1.0)}
    said = matcher.match(extract("Comes with user authentication.\n", "User authentication for teams."))
    assert {(e.field, e.weight) for e in said if e.rule == "authentication/keywords1"} == {("description", 2.0),
                                                                                       ("body", 2.0)}
