"""The built-in pack against hand-written samples: every tag is reachable in English, Chinese, Japanese."""

from __future__ import annotations

import pytest
import yaml

from heuristag.engine.vocabulary import builtin_vocabulary

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
        # a generic word (needs_support) is meant not to decide alone: the strongest of the others must
        best = max((g for g in rules.groups if g.weight > 0 and not g.needs_support), key=lambda g: g.weight)
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


def _bench_records() -> list[dict]:
    import json

    from .conftest import SHARED

    paths = [SHARED / "bench" / f"{name}.jsonl" for name in ("dev", "train")]
    records = [json.loads(line) for p in paths if p.exists() for line in p.read_text(encoding="utf-8").splitlines()]
    if not records:
        pytest.skip("shared/bench/dev.jsonl and train.jsonl not present")
    return records


def test_no_rule_names_a_bench_repository(tagger):
    """Rules describe tags, not documents: no term may be the name of a repository of either bench."""
    from heuristag.engine.normalise import normalise

    terms = {normalise(t) for g in tagger.rules.all_groups() for t in g.terms}
    # repositories named after a plain word or phrase
    ordinary_words = {"monitor", "renderer", "blog", "email", "games", "config", "router", "design patterns",
                      "self hosted"}
    named = []
    for record in _bench_records():
        repo = record["repo"].split("/")[-1]
        if normalise(repo) in terms and normalise(repo) not in ordinary_words:
            named.append(repo)
    assert not named


def test_no_long_phrase_is_quoted_from_one_bench_readme(tagger):
    """A long term (5+ words, or 8+ Han characters) found in exactly one bench document is that document's
    sentence, not a way people describe the tag: it makes the pack fit the bench and nothing else."""
    import re

    from heuristag.engine.normalise import normalise

    han = re.compile(r"[\u3400-\u9fff]")
    long = {normalise(t) for g in tagger.rules.all_groups() for t in g.terms}
    long = {t for t in long if len(t.split()) >= 5 or len(han.findall(t)) >= 8}
    docs = [normalise(f"{r.get('description', '')}\n{r.get('readme', '')}") for r in _bench_records()]
    quoted = sorted(t for t in long if sum(t in d for d in docs) == 1)
    assert not quoted


@pytest.mark.parametrize("readme, tag, rule", [
    ("## Usage\n\n```pycon\n>>> from tiny_pkg import thing\n```\n", "lib", "lib/signal:import"),
    ("## Usage\n\n    import tinypkg\n", "lib", "lib/signal:import"),
    ("## Usage\n\n```js\nconst { a, b } = require('tiny')\n```\n", "lib", "lib/signal:import"),
    ("## Usage\n\n```\n$ tinytool --version\n```\n", "cli", "cli/signal:usage-flags"),
    ("## Usage\n\n```go\nimport (\n\t\"example.com/tiny\"\n)\n```\n", "lib", "lib/signal:import"),
    ("[![Deploy](https://example.com/button.svg)](https://heroku.com/deploy?template=x)\n", "web-app",
     "web-app/signal:deploy-buttons"),
    ("## Deploy to Google App Engine\n", "web-app", "web-app/signal:deploy-buttons"),
    ("## Usage\n\n```\nUsage: tinytool [OPTIONS] FILE\n\nOptions:\n  -h, --help  Show this\n```\n", "cli",
     "cli/signal:help-output"),
    ("## Usage\n\n```\n$ ./tinytool --help\n```\n", "cli", "cli/signal:help-output"),
    ("## Usage\n\n```html\n<script src=\"dist/tiny.min.js\"></script>\n```\n", "lib", "lib/signal:page-include"),
    ("## Usage\n\n```js\n$('.gallery').tinyslide({ speed: 2 });\n```\n", "lib", "lib/signal:page-include"),
])
def test_code_signals_read_code_line_by_line(tagger, readme, tag, rule):
    """Signals anchored at a line's start fire on any line of a code block, fenced or indented."""
    from heuristag.engine.document import extract
    evidence = tagger.matcher_for(builtin_vocabulary()).match(extract("# T\n\nSome text.\n\n" + readme))
    assert (tag, rule) in {(e.tag, e.rule) for e in evidence}


def test_a_readme_that_runs_its_own_name_is_a_command_line_program(tagger):
    from heuristag.engine.document import extract
    readme = "# sitegen\n\nMakes sites.\n\n## Usage\n\n```\n$ sitegen build ./site\n```\n"
    evidence = tagger.matcher_for(builtin_vocabulary()).match(extract(readme))
    assert ("cli", "cli/feature:runs-itself") in {(e.tag, e.rule) for e in evidence}


def test_a_run_script_is_not_a_command_line_program(tagger):
    from heuristag.engine.document import extract
    readme = "# T\n\n## Develop\n\n```\nnpm install\nnpm run build\nyarn serve\n```\n"
    evidence = tagger.matcher_for(builtin_vocabulary()).match(extract(readme))
    assert "cli" not in {e.tag for e in evidence}


@pytest.mark.parametrize("code", [
    "let obj = try JSONSerialization.jsonObject(with: data, options: .allowFragments)",
    "# level: fast # optional, options: fast, small",
    "schema = {flags: array.of(string)}",
    "// a helper to help you parse",
    "= help: consider removing this semicolon",
])
def test_code_that_only_says_options_or_help_is_no_help_output(tagger, code):
    """A keyword argument, a YAML comment or a compiler hint is not a program's --help."""
    from heuristag.engine.document import extract
    evidence = tagger.matcher_for(builtin_vocabulary()).match(extract(f"# T\n\n```\n{code}\n```\n"))
    assert "cli/signal:help-output" not in {e.rule for e in evidence}


def test_a_ui_library_is_read_from_the_widgets_its_body_describes(tagger):
    readme = ("# tinyscroll\n\nA small package.\n\n## Features\n\nA carousel, a tooltip and a date picker, "
              "each with a modal mode and a color picker.\n")
    from heuristag.engine.document import extract
    evidence = tagger.matcher_for(builtin_vocabulary()).match(extract(readme))
    assert ("ui", "ui/widgets", "body") in {(e.tag, e.rule, e.field) for e in evidence}
