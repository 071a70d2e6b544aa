"""``tag_many``: the library's batch call answers exactly as `heuristag batch` writes, in input order."""

from __future__ import annotations

import itertools
import json

import pytest

import heuristag
from heuristag import RecordError, Result, Tagger

from .test_batch import FIX, batch, many_records

BAD = (b'{"id": "x", "readme": \n'             # invalid JSON: id null, line 2
       b'{"id": "nr", "description": "d"}\n'    # no readme: its own id
       b'[1, 2]\n')                             # not an object


@pytest.fixture(scope="module")
def tiny() -> Tagger:
    return Tagger(rules_dirs=[FIX / "rules"], builtin_rules=False, vocabulary=FIX / "vocab.json")


def cli_lines(data: bytes) -> list[bytes]:
    proc = batch("-", "--workers", "1", input=data)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("workers", [1, 2])
def test_answers_are_the_cli_lines_in_order(tiny, workers):
    data = many_records(1) + BAD + many_records(60)
    lines = data.splitlines(keepends=True)
    answers = list(tiny.tag_many(lines, workers=workers))
    assert [a.to_json().encode() for a in answers] == cli_lines(data)
    assert [type(a) for a in answers[:4]] == [Result, RecordError, RecordError, RecordError]
    assert (answers[1].id, answers[1].line) == (None, 2) and answers[2].id == "nr"


def test_dicts_answer_like_their_json_lines(tiny):
    data = many_records(30)
    records = [json.loads(line) for line in data.splitlines()]
    assert [a.to_json("names") for a in tiny.tag_many(records, fmt="names")] == \
           [a.to_json("names") for a in tiny.tag_many(data.splitlines())]
    odd = list(tiny.tag_many([{"id": 1, "readme": 5}, None, "not json"]))
    assert [(a.id, a.line) for a in odd] == [(1, 1), (None, 2), (None, 3)]
    assert odd[0].error.startswith("line 1: readme: must be a string")


def test_it_streams_lazily_from_an_endless_input(tiny):
    endless = ({"id": n, "readme": "# db\n\nan embedded database"} for n in itertools.count())
    first = list(itertools.islice(tiny.tag_many(endless, workers=2), 5))
    assert [a.id for a in first] == [0, 1, 2, 3, 4]


def test_the_module_call_uses_the_built_in_rules():
    [answer] = heuristag.tag_many([{"id": 1, "readme": "# QuickDB\n\nAn embedded SQL database engine."}])
    assert answer.id == 1 and "database" in [t.name for t in answer.tags]


def test_bad_arguments_fail_at_the_call(tiny):
    with pytest.raises(heuristag.HeuristagError, match="workers"):
        tiny.tag_many([], workers=0)
    with pytest.raises(ValueError, match="fmt"):
        tiny.tag_many([], fmt="xml")
