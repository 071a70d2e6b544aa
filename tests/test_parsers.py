"""Both Markdown backends give the same Document (and so the same answers); the fast helpers equal their
references: pyromark vs markdown-it-py (parsers.py), ahocorasick-rs vs pyahocorasick (automaton.py),
``normalise`` vs its one-regex definition."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heuristag.engine.automaton import Terms, rust_available
from heuristag.engine.document import FIELDS, extract, prepare
from heuristag.engine.errors import HeuristagError
from heuristag.engine.normalise import normalise, normalise_by_pattern
from heuristag.engine.parsers import fast_available, resolve

from .conftest import FIXTURES, ROOT, SHARED, run_cli

needs_fast = pytest.mark.skipif(not fast_available(), reason="pyromark is not installed")
needs_rust = pytest.mark.skipif(not rust_available(), reason="ahocorasick-rs is not installed")
BENCHES = [SHARED / "bench" / "dev.jsonl", SHARED / "bench" / "train.jsonl"]


def readmes_of(path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        readme, description = record.get("readme"), record.get("description")
        out.append((readme if isinstance(readme, str) else "", description if isinstance(description, str) else ""))
    return out


def assert_same(text: str, description: str = "") -> None:
    reference = extract(text, description, parser="markdown-it")
    fast = extract(text, description, parser="pyromark")
    for name in (*FIELDS, "features", "truncated"):
        assert getattr(fast, name) == getattr(reference, name), name
    assert fast == reference


@needs_fast
@pytest.mark.parametrize("bench", BENCHES, ids=lambda p: p.name)
def test_every_bench_readme_gives_the_same_document(bench):
    if not bench.exists():
        pytest.skip(f"{bench} is not here")
    for readme, description in readmes_of(bench):
        assert_same(readme, description)


@needs_fast
def test_every_fixture_and_example_gives_the_same_document():
    files = [p for p in [*FIXTURES.rglob("*"), *(ROOT / "examples").rglob("*")]
             if p.is_file() and p.suffix in (".md", ".txt", ".jsonl")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert_same(text)
        if path.suffix == ".jsonl":
            for line in text.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("readme"), str):
                    assert_same(record["readme"])


#: What pulldown-cmark does and the reference switches off, or reads another way; each must come out
#: as the reference reads it.
CONSTRUCTS = [
    "*a* **b** ***c*** _d_ __e__ *foo**bar* _foo_bar_ a * b * c ***foo** **foo*",
    "&amp; &copy; &#35; &#x41; \\* \\&amp; # *T* &amp; #",
    "---", "***", "___", "* * *", "- - -", "- ---", "** * **", "* ** *", "- " * 24 + "x", "- - - - - - - - - - - -",
    # a thematic break whose bullet is followed by five columns or more: a list item starting with code
    "* *     *", "*     * *", "* *      *", "* * \t *", "*\t*     *", "> - -     -", "- a\n\n  * *     *",
    # a raw HTML block closed by another raw tag's end, then a definition (text in the reference)
    "<script></pre>\n[x]: /u", "<style></pre>  \n[x]: /u\n[y]: /v\n\nfoo [x]",
    # an escaped '<' before a CDATA: text in both (and an escaped backslash before one: HTML in both)
    "\\<![CDATA[]]>", "a \\<![CDATA[x] y]]> b", "\\\\<![CDATA[x]]> b",
    # an ATX heading closed by #s after a tab (CommonMark closes it; pulldown-cmark keeps them)
    "# *\t# ", "# a\t#", "#\t#", "# a\t\\#", "> # q\t#", "- # i\t##",
    "> ---", "> - - -", "+ + +",
    ">" * 25 + " deep", "> " * 30 + "deeper",
    "[foo]: /url\n\n[foo] bar", "[Foo]: /a\n- [FOO]: /b 't'\n[foo]", "[x][]\n\n[x]: y", "- [a]: b\n\n[a]",
    "<pre>\n[a]: b\n</pre>", "```\n[a]: b\n```",
    "```py\\&amp;x y\ncode\n```", "~~~ruby\nx\n~~~", "-     code",
    "<foo@bar.com> <https://a.b/c?d=e&amp;f> [a](<b c>) [a](b&amp;c)",
    "![a \\* `c` ![n \\*](y)](x)", "![[](y)](x)", "![](x.png) ![a *b* [l](x) <b>h</b> &amp;](img.svg)",
    "*<!----->", "x <!-- -- [a](b) --> y", "- <!----->x", "<!-- c -->\ntext", "*<!--<!---->-->", "*<!--<!---->*-->",
    "*<!--<!---->-->*", "a <!--<!---->--> [b](c) d",
    "- [x](y) z", "- <a href='q'>x</a>", "  - ![b](https://img.shields.io/x.svg)", "<img src='a.svg' alt='badge'>",
    "<details><summary>S</summary>\n\nbody\n</details>", "# License\ntext\n## sub\n![a](b.png)\n# Next",
    "[![b](https://travis-ci.org/x.svg)](https://travis-ci.org/x) [docs](#a) [l](http://e.com 't')",
    "|a|b|\n|-|-|\n|c|d|", "Title\n===", "x\n---", "a  \nb", "a\\\nb",
    "<pre></script>Title\n===\n", "<script></pre>\n*", "<style>\nx\n</textarea>\n# H\n[a](b) *c*",
    "- <pre></style>\n  - x", "<pre>\nok\n</pre>\n# t",
    "*<![CDATA[[x]: /u]]>", "a <![CDATA[x] y]]> b", "a <![CDATA[x] y", "a <![CDATA[x] *y]]> b* c",
    "*a <![CDATA[x] b* ]]> c", "# h <![CDATA[x] y]]> z", "> q <![CDATA[]x]]> r", "a <![CDATA[x]\n\ny]]> b",
    "**<!--<!---->*-->*", "*<!--<!---->-->*",
]


@needs_fast
@pytest.mark.parametrize("text", CONSTRUCTS)
def test_constructs_the_backends_read_differently_give_the_same_document(text):
    assert_same(text)


#: Pieces of Markdown, HTML and text that generated READMEs are made of.
PIECES = ["*", "**", "_", "__", "[", "]", "(", ")", "![", "](", "`", "``", "<", ">", "&amp;", "&#35;", "&copy;", "&",
          ";", "\\", "# ", "## ", "- ", "* ", "+ ", "1. ", "2) ", "> ", "    ", " ", "\n", "\n\n", "a", "foo", "Bar",
          "http://x.y/z", "https://img.shields.io/b.svg", "<a href='u'>", "</a>", "<img src='b.svg' alt='x'>", "<div>",
          "</div>", "<pre>", "</pre>", "```", "~~~", "```py", "|", "=", "---", "***", "<!--", "-->", "[x]: /u", "[x]",
          "\t", "é", "数据", "<br>", "<p>", "<foo@bar.com>", "<http://a.b>", "#", "License", "!", ":", '"t"', "'",
          "<h2>", "</h2>", "<details>", "\r\n", "\u00a0", "\u200b", "\x00", "  \n", "\\\n", "[![",
          "](https://badge.fury.io/x)",
          "<script>", "</script>", "<style>", "<?", "?>", "<![CDATA[", "]]>", "<!DOCTYPE x>", "Title\n===\n", "<x"]
_COMMENT = re.compile(r"<!---?>|<!--(?:[^-]|-[^-]|--[^>])*-->")  # markdown-it-py's


def longer_comment(text: str) -> bool:
    """A comment markdown-it-py reads past the first '-->' (the one known difference left, see
    parse_pyromark.py): ``<!--<!---->-->``."""
    at = text.find("<!--")
    while at >= 0:
        found, first = _COMMENT.match(text, at), text.find("-->", at + 2)
        if found and first >= 0 and found.end() > first + 3:
            return True
        at = text.find("<!--", at + 1)
    return False


_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>")  # markdown-it-py's, within one line


def misread_cdata(text: str) -> bool:
    """A CDATA pulldown-cmark reads as text (a ']' inside it) on a line, as parsed, with a link or code
    span that may have one end inside it (the other known difference): ``<![CDATA[x] `y]]> b` ``."""
    for line in prepare(text)[0].splitlines():
        for found in _CDATA.finditer(line):
            inner, outside = found.group(1), line[:found.start()] + line[found.end():]
            if "]" in inner and ("`" in line or "[" in inner or "[" in outside or "]" in outside):
                return True
    return False


#: A tab right after a block quote's markers, or after a list marker inside one: markdown-it-py and
#: pulldown-cmark count its columns from different places (see parse_pyromark.py), so one may read
#: indented code there.
_QUOTED_LIST_TAB = re.compile(r"^ {0,3}>[> \t]*(?:(?:[-*+]|\d{1,9}[.)])[ ]*)?\t", re.MULTILINE)


def quoted_list_tab(text: str) -> bool:
    return _QUOTED_LIST_TAB.search(prepare(text)[0]) is not None


def known_difference(text: str) -> bool:
    return longer_comment(text) or misread_cdata(text) or quoted_list_tab(text)


markdown = st.lists(st.sampled_from(PIECES), max_size=80).map("".join).filter(lambda t: not known_difference(t))


@needs_fast
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(markdown)
def test_generated_markdown_gives_the_same_document(text):
    assert_same(text)


@needs_fast
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=300).filter(lambda t: not known_difference(t)))
def test_any_text_gives_the_same_document(text):
    assert_same(text)


@needs_fast
def test_the_known_difference_is_what_the_filter_leaves_out():
    assert longer_comment("[a <!--<!---->](u)-->") and not longer_comment("a <!-- b --> c <!-- d -->")
    assert misread_cdata("a <![CDATA[x] `y]]> b`") and not misread_cdata("a <![CDATA[x] y]]> b")
    for text in ("[a <!--<!---->](u)-->", "a <![CDATA[x] `y]]> b`", "![a <![CDATA[x] y]]> b](i.png)"):
        assert known_difference(text)
        assert extract(text, parser="markdown-it") != extract(text, parser="pyromark")


@needs_fast
def test_the_cli_answers_alike_with_either_parser(tmp_path):
    readme = FIXTURES / "readme_quickvec.md"
    out = {p: run_cli("explain", str(readme), "--json", "--parser", p) for p in ("markdown-it", "pyromark", "fast")}
    assert all(r.returncode == 0 for r in out.values()), [r.stderr for r in out.values()]
    assert out["markdown-it"].stdout == out["pyromark"].stdout == out["fast"].stdout
    env = run_cli("explain", str(readme), "--json", env={"HEURISTAG_PARSER": "markdown-it"})
    assert env.stdout == out["markdown-it"].stdout


def test_an_unknown_parser_is_a_one_line_error():
    bad = run_cli("tag", str(FIXTURES / "readme_quickvec.md"), env={"HEURISTAG_PARSER": "commonmark"})
    assert bad.returncode == 2
    message = bad.stderr.decode()
    assert message.count("\n") == 1 and "HEURISTAG_PARSER: unknown parser 'commonmark'" in message
    usage = run_cli("tag", str(FIXTURES / "readme_quickvec.md"), "--parser", "nope")
    assert usage.returncode == 2 and "--parser" in usage.stderr.decode()


def test_auto_means_the_fast_parser_when_installed(monkeypatch):
    monkeypatch.delenv("HEURISTAG_PARSER", raising=False)
    assert resolve() == resolve("auto") == ("pyromark" if fast_available() else "markdown-it")
    assert resolve("markdown-it") == "markdown-it"
    monkeypatch.setenv("HEURISTAG_PARSER", "markdown-it")
    assert resolve() == "markdown-it"
    with pytest.raises(HeuristagError, match="unknown parser"):
        resolve("md4c")


def test_the_fast_path_does_not_import_markdown_it():
    if not fast_available():
        pytest.skip("pyromark is not installed")
    code = ("import sys, heuristag; heuristag.Tagger().tag('# x\\nA database'); "
            "print('markdown_it' in sys.modules)")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={"PATH": "", "HEURISTAG_PARSER": "auto"})
    assert out.stdout.strip() == "False", out.stderr


# ---------------------------------------------------------------- the automaton and normalise

def occurrences(terms: list[str], text: str, backend: str) -> list[tuple[int, int, str]]:
    automaton = Terms({t: t for t in terms}, backend)
    return [(start, stop, automaton.values[i]) for i, start, stop in automaton.spans(text)]


@needs_rust
@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab数据 é", min_size=1, max_size=4), min_size=1, max_size=8, unique=True),
       st.text(alphabet="ab数据 é😀", max_size=60))
def test_both_automata_report_the_same_occurrences_in_the_same_order(terms, text):
    assert occurrences(terms, text, "ahocorasick-rs") == occurrences(terms, text, "pyahocorasick")


@needs_rust
def test_both_automata_agree_on_the_built_in_terms_over_a_bench():
    from heuristag import Tagger

    if not BENCHES[0].exists():
        pytest.skip("no dev bench")
    matcher = Tagger().matcher_for(Tagger().vocabulary)
    table = dict(zip(matcher.terms.keys, matcher.terms.values, strict=True))
    rs, py = Terms(table, "ahocorasick-rs"), Terms(table, "pyahocorasick")
    for readme, _ in readmes_of(BENCHES[0])[:60]:
        text = normalise(readme)
        assert list(rs.spans(text)) == list(py.spans(text))


@given(st.text())
def test_normalise_equals_its_definition(text):
    assert normalise(text) == normalise_by_pattern(text)


def test_normalise_equals_its_definition_on_every_character():
    every = " x".join(chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000)
    assert normalise(every) == normalise_by_pattern(every)
