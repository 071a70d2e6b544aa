"""Properties over generated input: any text, any Markdown, any prompt -> a valid answer or a clean error.

"Valid" is the contract of the expected JSON: at most N tags, every one an entry of the request's own
vocabulary with its name verbatim, the id echoed. "Clean" is a HeuristagError (the CLI prints one line
and exits 2); any other exception is a bug. The answer is also deterministic and does not depend on
the order of the vocabulary. The Markdown comes from a small grammar of what READMEs are made of
(headings, lists, HTML, code, badges, tables, CJK prose), so the parser meets its awkward corners.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from heuristag import HeuristagError, Tagger
from heuristag.engine.request import Request, from_prompt, looks_like_prompt
from heuristag.engine.textio import decode_bytes
from heuristag.engine.vocabulary import builtin_vocabulary, load_vocabulary_file, parse_vocabulary, tag_key

from .conftest import run_cli
from .test_errors import RULES, VOCAB

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])
CLI = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])

BUILTIN = builtin_vocabulary()


@pytest.fixture(scope="module")
def builtin_tagger() -> Tagger:
    return Tagger()


# ---------------------------------------------------------------- strategies

WORDS = ["database", "cli", "command line", "react", "kubernetes", "k8s", "docker", "game engine", "api",
         "machine learning", "self-hosted", "数据库", "命令行", "游戏引擎", "データベース", "web", "server",
         "library", "npm install", "pip install", "go get", "rust", "trust", "specific", "CI"]
MARKUP = list("[]()<>!*_`#|>-+=~\\&;:/\"' \t")
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=12)
KANA = st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x30FF), min_size=1, max_size=8)

inline = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(MARKUP), CJK, KANA,
                            st.text(max_size=8)), max_size=12).map(" ".join)
url = st.builds(lambda host, path: f"https://{host}/{path}",
                st.sampled_from(["img.shields.io/badge", "github.com/o/r", "pypi.org/project", "example.com",
                                 "npmjs.com/package", "travis-ci.org/o/r.svg"]),
                st.text(alphabet="abcxyz-_/.%?=&", max_size=20))


def _fence(lang: str, body: str, closed: bool) -> str:
    return f"```{lang}\n{body}\n" + ("```" if closed else "")


block = st.one_of(
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 7), inline),
    st.builds(lambda t: f"{t}\n" + "=" * 3, inline),
    st.builds(lambda ind, m, t: " " * ind + m + t, st.integers(0, 8), st.sampled_from(["- ", "* ", "1. ", "+ "]),
              inline),
    st.builds(lambda d, t: "> " * d + t, st.integers(1, 30), inline),
    st.builds(lambda tag, t, closed: f"<{tag} align=\"center\">{t}" + (f"</{tag}>" if closed else ""),
              st.sampled_from(["p", "div", "h1", "h3", "details", "a href='x'", "summary", "script", "table"]),
              inline, st.booleans()),
    st.builds(lambda alt, src: f'<img src="{src}" alt="{alt}">', inline, url),
    st.builds(lambda alt, src, href: f"[![{alt}]({src})]({href})", inline, url, url),
    st.builds(lambda t, href: f"[{t}]({href})", inline, url),
    st.builds(_fence, st.sampled_from(["", "sh", "bash", "python", "go", "js"]), inline, st.booleans()),
    st.builds(lambda cells: "|" + "|".join(cells) + "|", st.lists(inline, min_size=1, max_size=4)),
    st.builds(lambda t: f"<!-- {t} -->", inline),
    CJK, KANA, inline,
    st.text(max_size=40),
)
markdown = st.builds(lambda blocks, sep: sep.join(blocks), st.lists(block, max_size=25),
                     st.sampled_from(["\n", "\n\n", " ", ""]))
any_text = st.one_of(st.text(max_size=300), markdown)


@st.composite
def vocabularies(draw) -> list[dict]:
    """Built-in tags (trailing spaces kept) and invented names, unique by key, with unique ids."""
    names = draw(st.lists(st.one_of(st.sampled_from([t.name for t in BUILTIN]),
                                    st.text(min_size=1, max_size=15), st.sampled_from(WORDS)),
                          min_size=1, max_size=12))
    out, seen = [], set()
    for name in names:
        key = tag_key(name)
        if key and key not in seen and name.strip():
            seen.add(key)
            out.append(name)
    assume(out)
    ids = draw(st.lists(st.integers(-5, 10_000), min_size=len(out), max_size=len(out), unique=True))
    if draw(st.booleans()):
        return [{"id": i, "name": n} for i, n in zip(ids, out, strict=True)]
    return [{"id": str(i), "name": n} for i, n in zip(ids, out, strict=True)]


def prompt_around(description: str, readme: str, n: object, ident: object, vocab: object, header: str) -> str:
    tags = json.dumps(vocab, ensure_ascii=False) if not isinstance(vocab, str) else vocab
    expected = json.dumps({"id": ident, "tags": []}, ensure_ascii=False) if not isinstance(ident, str) or \
        not ident.startswith("{") else ident
    return (f'{header}"{description} {readme}\n", Assign "at most {n} tags" to the expected json: {expected} '
            f'"only from the tags list I provide: {tags}" returns me the "expected json"')


def mostly(good, bad):
    """Valid values four times in five, broken ones otherwise: both paths get exercised."""
    return st.integers(0, 4).flatmap(lambda k: good if k else bad)


prompts = st.builds(
    prompt_around, inline, any_text,
    mostly(st.integers(1, 5), st.one_of(st.sampled_from([0, 1000]), st.text(alphabet="0123456789x", max_size=3))),
    mostly(st.one_of(st.text(max_size=10), st.integers(-10**6, 10**6)),
           st.sampled_from(['{"tags": []}', '{"id": [1]}', '{"id": null}', '{"id": 1'])),
    mostly(vocabularies(), st.one_of(st.sampled_from(["[]", '[{"id": 1}]', '["a", "A"]', "[1, 2"]),
                                     st.text(max_size=20))),
    st.sampled_from(["AI prompts\n", "", "Prompt:\n", "\"", "some header line\n"]),
)


# ---------------------------------------------------------------- the contract

def assert_valid(result, request: Request, vocabulary) -> None:
    """At most N tags, each the vocabulary's own entry (name verbatim, id kept), and the id echoed."""
    answer = json.loads(result.to_json())
    assert answer["id"] == request.id
    assert len(answer["tags"]) <= request.max_tags
    entries = [t.as_json() for t in vocabulary]
    for tag in answer["tags"]:
        assert tag in entries
    assert len({t["name"] for t in answer["tags"]}) == len(answer["tags"])


def tag_or_error(tagger: Tagger, readme: str, description: str, vocab, max_tags: int):
    try:
        return tagger.tag(readme, description, vocabulary=vocab, id="x", max_tags=max_tags)
    except HeuristagError:
        return None


@SLOW
@given(readme=any_text, description=st.one_of(inline, st.text(max_size=50)), vocab=vocabularies(),
       max_tags=st.integers(-2, 6))
def test_any_readme_gives_a_valid_answer_or_a_clean_error(builtin_tagger, readme, description, vocab, max_tags):
    result = tag_or_error(builtin_tagger, readme, description, vocab, max_tags)
    if result is None:
        assert max_tags < 1  # the only error a README can cause: asking for no tags
        return
    vocabulary = parse_vocabulary(vocab, "test")
    assert_valid(result, Request(id="x", description=description, readme=readme, vocabulary=vocabulary,
                                 max_tags=min(max_tags, len(vocabulary))), vocabulary)
    # deterministic, and independent of the vocabulary's order
    assert tag_or_error(builtin_tagger, readme, description, vocab, max_tags).to_json() == result.to_json()
    again = tag_or_error(builtin_tagger, readme, description, list(reversed(vocab)), max_tags)
    assert [t.name for t in again.tags] == [t.name for t in result.tags]


@SLOW
@given(readme=markdown, vocab=vocabularies(), data=st.data())
def test_vocabulary_order_never_changes_the_answer(builtin_tagger, readme, vocab, data):
    shuffled = data.draw(st.permutations(vocab))
    first = builtin_tagger.tag(readme, "", vocabulary=vocab, id=1)
    second = builtin_tagger.tag(readme, "", vocabulary=shuffled, id=1)
    assert [t.name for t in first.tags] == [t.name for t in second.tags]
    assert first.to_json() == second.to_json()


@SLOW
@given(prompt=prompts)
def test_any_prompt_gives_a_valid_answer_or_a_clean_error(builtin_tagger, prompt):
    try:
        request = from_prompt(prompt, "prompt")
    except HeuristagError:
        return
    assert request.vocabulary is not None and 1 <= request.max_tags <= len(request.vocabulary)
    result = builtin_tagger.tag_request(request)
    assert_valid(result, request, request.vocabulary)
    assert builtin_tagger.tag_request(request).to_json() == result.to_json()
    looks_like_prompt(prompt)  # never raises either


@FAST
@given(data=st.binary(max_size=2000))
def test_any_bytes_decode_or_fail_cleanly(data):
    try:
        text = decode_bytes(data, "in.md")
    except HeuristagError as exc:
        assert str(exc).startswith("in.md: ") and "\n" not in str(exc)
        return
    assert isinstance(text, str) and "\x00" not in text and text.strip()


@FAST
@given(text=st.one_of(st.text(max_size=200), markdown).map(lambda s: s.encode("utf-8")),
       encoding=st.sampled_from(["utf-8-sig", "utf-16", "utf-32"]))
def test_text_with_a_bom_round_trips(text, encoding):
    decoded = text.decode("utf-8")
    assume(decoded.strip() and "\x00" not in decoded)
    assert decode_bytes(decoded.encode(encoding), "in.md") == decoded


@FAST
@given(content=st.one_of(st.text(max_size=200), st.binary(max_size=200),
                         vocabularies().map(json.dumps),
                         st.lists(st.text(max_size=10), max_size=5).map("\n".join),
                         st.lists(st.text(max_size=10), max_size=5).map(lambda xs: "".join(f"- {x}\n" for x in xs))),
       suffix=st.sampled_from([".json", ".yaml", ".txt", ""]))
def test_any_vocabulary_file_loads_or_fails_cleanly(content, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"vocab{suffix}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        try:
            vocabulary = load_vocabulary_file(path)
        except HeuristagError as exc:
            assert str(exc).startswith(str(path))
            return
    assert len(vocabulary) >= 1
    assert len({t.key for t in vocabulary}) == len(vocabulary)


rule_text = st.one_of(
    st.text(max_size=200),
    st.builds(lambda tag, terms, weight, extra:
              f"tag: {tag}\nkeywords:\n  - terms: {terms}\n    weight: {weight}\n{extra}",
              st.one_of(st.sampled_from(["database", "cli", "nope"]), st.text(max_size=10)),
              st.one_of(st.lists(st.sampled_from(WORDS), max_size=3).map(json.dumps), st.text(max_size=10)),
              st.one_of(st.integers(-20, 20), st.text(max_size=5)),
              st.sampled_from(["", "patterns:\n  - {regex: '(a+)+$', weight: 1}\n", "x: &a 1\ny: *a\n",
                               "patterns:\n  - {regex: '(', weight: 1}\n", "\tbad: tab\n", "colour: red\n",
                               "threshold: -1\n", "mode: replace\n", "id: 3\n"])),
)


@FAST
@given(text=rule_text)
def test_any_rule_file_loads_or_fails_cleanly(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            tagger = Tagger(rules_dirs=[tmp], builtin_rules=False, vocabulary=[{"id": 1, "name": "database"}])
        except HeuristagError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc)
            return
    result = tagger.tag("# database\nA database.", "a database")
    assert len(result.tags) <= 1


# ---------------------------------------------------------------- through the CLI: never a traceback

def assert_cli_clean(proc) -> None:
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err
    assert proc.returncode in (0, 2), err
    assert all(line.startswith("heuristag: ") for line in err.splitlines()), err
    if proc.returncode == 0:
        assert set(json.loads(proc.stdout)) == {"id", "tags"}
    else:
        assert proc.stdout == b"" and err.count("\n") == 1


@CLI
@given(data=st.one_of(st.binary(max_size=500), any_text.map(lambda s: s.encode("utf-8")),
                      prompts.map(lambda s: s.encode("utf-8"))))
def test_cli_never_prints_a_traceback(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.md")
        with open(path, "wb") as f:
            f.write(data)
        assert_cli_clean(run_cli("tag", path, "--rules", str(RULES), "--no-builtin-rules", "--tags", str(VOCAB)))
        assert_cli_clean(run_cli("tag", "-", "--rules", str(RULES), "--no-builtin-rules", input=data))
