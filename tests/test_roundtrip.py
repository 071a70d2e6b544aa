"""A README and its blank-line-stripped, NFKC-normalised form (as in the seed) give the same tags."""

from __future__ import annotations

import json
import unicodedata

import pytest

from .conftest import DEV


def strip_like_the_seed(text: str) -> str:
    return "\n".join(line.strip() for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip())


@pytest.mark.skipif(not DEV.exists(), reason="shared/bench/dev.jsonl not present")
def test_stripped_form_gives_same_tags_on_90_percent_of_dev(tagger):
    same = total = 0
    for line in DEV.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        a = tagger.tag(record["readme"], record["description"]).tags
        b = tagger.tag(strip_like_the_seed(record["readme"]), record["description"]).tags
        same += a == b
        total += 1
    assert same / total >= 0.90, f"{same}/{total}"
