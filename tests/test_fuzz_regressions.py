"""Inputs fuzz/fuzz_inputs.py found, minimised, with the clean answer each must get from now on."""

from __future__ import annotations

import json

from heuristag import Tagger
from heuristag.running.batch import Item, TaggerSpec, _State, process


def test_lone_surrogate_in_a_readme_is_tagged_not_an_internal_error(tagger: Tagger) -> None:
    """A JSON ``\\ud800`` escape reaches the README as a lone surrogate; RE2 could not encode it."""
    result = tagger.tag("\ud800 a sql database")
    assert len(result.tags) <= 3
    assert result.to_json() == tagger.tag("\ufffd a sql database").to_json()


def test_lone_surrogate_in_a_batch_record_gets_a_result_line(tagger: Tagger) -> None:
    """The fuzz target's finding: this JSONL line was an 'internal error: UnicodeEncodeError' record."""
    line = b'{"id": "e", "readme": "\\u0000\\ud800"}\n'
    outcome = process(Item(1, "line 1", data=line), _State(TaggerSpec(), tagger))
    record = json.loads(outcome.line)
    assert outcome.ok, record
    assert record["id"] == "e" and isinstance(record["tags"], list) and len(record["tags"]) <= 3


def test_rule_file_with_non_string_keys_is_a_clean_error(tmp_path) -> None:
    """The fuzz target's finding: unknown keys ``~`` (null) and ``1`` next to a string made sorting them
    raise TypeError; now each is reported as an unknown key at its file:line."""
    import pytest

    from heuristag.engine.errors import HeuristagError
    from heuristag.engine.rules import load_rules

    (tmp_path / "x.yaml").write_text("tag: x\n~: 1\nweigh: 2\n", encoding="utf-8")
    with pytest.raises(HeuristagError, match=r"x\.yaml:\d+: .*unknown key") as info:
        load_rules([tmp_path], builtin=False)
    assert len(str(info.value).splitlines()) == 1


def test_pattern_with_a_newline_that_does_not_compile_is_a_one_line_error(tmp_path) -> None:
    """The fuzz target's finding: RE2's reason echoes the pattern, so a newline in it split the message."""
    import pytest

    from heuristag.engine.errors import HeuristagError
    from heuristag.engine.rules import load_rules

    (tmp_path / "x.yaml").write_text('tag: x\npatterns:\n  - {regex: "(a\\nb", weight: 1}\n', encoding="utf-8")
    with pytest.raises(HeuristagError, match="does not compile") as info:
        load_rules([tmp_path], builtin=False)
    assert "\n" not in str(info.value)


def test_relation_with_a_null_tag_name_is_a_clean_error(tmp_path) -> None:
    """The fuzz target's finding: ``suppressed_by: {&li: 0.5}`` reads as a null key and crashed tag_key."""
    import pytest

    from heuristag.engine.errors import HeuristagError
    from heuristag.engine.rules import load_rules

    (tmp_path / "x.yaml").write_text("tag: x\nkeywords:\n  - {terms: [x], weight: 1}\nsuppressed_by: {&li: 0.5}\n",
                                     encoding="utf-8")
    with pytest.raises(HeuristagError, match=r"x\.yaml.*(suppressed_by|anchor|alias)") as info:
        load_rules([tmp_path], builtin=False)
    assert "\n" not in str(info.value)


def test_a_settings_key_spanning_lines_is_a_one_line_error(tmp_path) -> None:
    """The fuzz target's finding: ``{threshold: 2, fall~ 0.1}`` reads as the key 'fall~ 0.1' across
    lines in a flow mapping; its schema error put the newlines into the message."""
    import pytest

    from heuristag.engine.errors import HeuristagError
    from heuristag.engine.rules import load_rules

    (tmp_path / "a.yaml").write_text("scoring: {threshold: 2, fall~\n\n\n 0.1}\n", encoding="utf-8")
    with pytest.raises(HeuristagError, match=r"a\.yaml:1: scoring\.'fall~.*: None is not of type 'number'") as info:
        load_rules([tmp_path], builtin=False)
    assert len(str(info.value).splitlines()) == 1
