"""Extraction: title, headings, badges, links, code, body from Markdown with raw HTML, CJK, stripped lines."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heuristag.engine.document import _BARE_URL, extract, normalise_markdown, split_url, sub_bare_urls, url_words

from .conftest import FIXTURES, SHARED


def test_html_readme_fields():
    doc = extract((FIXTURES / "readme_html.md").read_text(encoding="utf-8"), "A grid for React")
    assert doc.title == "Gridline"
    assert "Setext Title" in doc.headings and "Install" in doc.headings
    assert any("npm" in b and "gridline" in b for b in doc.badges)
    assert any(link.startswith("www.npmjs.com package gridline") for link in doc.links)
    assert any(link.startswith("gridline.example.org docs") for link in doc.links)
    assert [c.lang for c in doc.code] == ["sh", "jsx"]
    assert "npm install gridline" in doc.code[0].text
    assert "A responsive data grid component" in doc.body  # plain image alt is prose, not a badge
    assert "Why another grid?" in doc.body and "boring" in doc.body
    assert "用户界面" in doc.body
    assert doc.description == "A grid for React"


def test_boilerplate_sections_are_left_out():
    doc = extract((FIXTURES / "readme_html.md").read_text(encoding="utf-8"))
    assert "Kubernetes" not in doc.body and "Sponsors" not in doc.headings
    assert doc.features["boilerplate_sections"] == 1


def test_blank_line_stripped_readme_finds_structure_again():
    original = (FIXTURES / "readme_quickvec.md").read_text(encoding="utf-8")
    assert "\n\n" not in original  # the fixture is stored the way the seed is: no blank lines
    doc = extract(original)
    assert doc.title == "QuickVec"
    assert doc.headings[:3] == ("QuickVec", "Features", "Installation")
    assert [c.lang for c in doc.code] == ["bash", "python"]
    assert any("pypi" in b for b in doc.badges)
    assert doc.features["list_items"] == 3


def test_stripped_and_spaced_forms_extract_alike():
    spaced = (FIXTURES / "readme_html.md").read_text(encoding="utf-8")
    stripped = "\n".join(line.strip() for line in spaced.splitlines() if line.strip())
    a, b = extract(spaced), extract(stripped)
    assert (a.title, a.headings, a.badges, a.links, a.code) == (b.title, b.headings, b.badges, b.links, b.code)


def test_fenced_code_keeps_its_lines_and_blank_lines():
    text = "# T\n```python\nimport x\n\n    indented()\n```\nafter"
    assert "import x\n\n    indented()" in normalise_markdown(text)
    doc = extract(text)
    assert doc.code[0].text == "import x\n\n    indented()\n"
    assert "after" in doc.body


@pytest.mark.parametrize("parser", ["markdown-it", "fast"])
def test_indented_code_after_a_blank_line_is_code(parser, monkeypatch):
    monkeypatch.setenv("HEURISTAG_PARSER", parser)
    text = ("Run it:\n\n    tool -d file.go\n\n    tool --help\n\n\tgo get example.com/tool\n"
            "Then some prose.\n\n        ```\n        deeper\n")
    doc = extract(text)
    assert [c.text for c in doc.code] == ["tool -d file.go\n\ntool --help\n\ngo get example.com/tool\n",
                                          "    ```\n    deeper\n"]
    assert "tool" not in doc.body and "Then some prose." in doc.body


@pytest.mark.parametrize("parser", ["markdown-it", "fast"])
def test_indented_text_that_is_not_code_stays_prose(parser, monkeypatch):
    monkeypatch.setenv("HEURISTAG_PARSER", parser)
    in_list = "- an item\n\n    its second paragraph\n\n    - a nested item\n"
    no_blank = "A paragraph\n    goes on, indented.\n"
    stripped = "# Title\n    indented with no blank line above\n"
    for text in (in_list, no_blank, stripped):
        doc = extract(text)
        assert doc.code == (), text
    assert "its second paragraph" in extract(in_list).body


@pytest.mark.parametrize("parser", ["markdown-it", "fast"])
def test_without_a_description_the_lead_is_the_first_sentence_of_the_first_paragraph(parser, monkeypatch):
    monkeypatch.setenv("HEURISTAG_PARSER", parser)
    wrapped = ("# tinyq\n\ntinyq is a small, idiomatic implementation of a\nRedis client and server. It is\n"
               "meant for learning.\n\nMore text.\n")
    assert extract(wrapped).description == "tinyq is a small, idiomatic implementation of a Redis client and server."
    assert extract(wrapped, "Given one.").description == "Given one."
    assert extract("# T\n\n一个轻量的消息队列。支持持久化。\n").description == "一个轻量的消息队列。"
    greeted = "Welcome to tinyq!\n\n![CI Status][ci]\n\ntinyq is a small message queue for Go.\n"
    assert extract(greeted).description == "tinyq is a small message queue for Go."
    assert extract("# a\n\n**Features**\n\nAn embedded database.\n").description == "An embedded database."
    nav = ('<p align="center"><a href="https://d.example.org"><strong>Read the full docs »</strong></a></p>\n\n'
           "[Get started with tinyq →](https://d.example.org/start)\n\ntinyq is a small message queue for Go.\n")
    assert extract(nav).description == "tinyq is a small message queue for Go."  # links to click come first
    for pointer in ("🌐 Read this in other languages", "Read the documentation on the website",
                    "Welcome to the official tinyq documentation.", "Visit the project website for more.",
                    "请查看官方文档了解更多的用法和示例", "**Note**: this fork keeps the old API working.",
                    "Full documentation is at tinyq.example.org", "WARNING: never expose the admin port.",
                    "See the live demo at tinyq.example.org"):
        assert extract(f"{pointer}\n\ntinyq is a small message queue for Go.\n").description == \
            "tinyq is a small message queue for Go.", pointer
    assert extract("Read-only views of a tinyq log, in the browser.\n").description.startswith("Read-only views")
    assert extract("A concurrent map for Rust, like HashMap<K, V>\n").description.endswith("HashMap<K, V>")
    forked = "tinyq is a Go HTTP framework, a fork of [fasthttp](https://example.org/f), for services.\n"
    assert extract(forked).description.startswith("tinyq is a Go HTTP framework")  # 'http' in a name is no URL
    assert extract("tinyq: see https://example.org/tinyq for the docs and more.\n").description == ""
    for notice in ("This repository is no longer actively maintained.", "**tinyq was deprecated in 2019.**",
                   "Also see installing tinyq.", "If you're using tinyq with Rails, see the Rails notes.",
                   "Hello tinyq users, welcome back.", "Logo by Jo Smith, under CC BY 4.0.",
                   "by Jo Smith, Al Jones and Bo Li.", "Install it with npm, Yarn or Bower:",
                   "pip install tinyq --upgrade", "... so better check this first.",
                   "DO NOT POST THE SOLUTIONS TO THESE LABS ONLINE.", "This project moved to tinyq/tinyq in 2024.",
                   "If you use tinyq in your research, please cite the paper.",
                   "tinyq is licensed under the Apache License 2.0.", "**Home: tinyq.example.org** **Email: a@b.c**",
                   "点击这里打开在线版本，排版更好看。", "1.本项目仅供学习研究，禁止用于任何商业项目",
                   "1: v1 the first step of the tinyq course", "See full documentation at tinyq.example.org.",
                   "[📖 Documentation][docs]", "English (by Google Translate)", "(tweet from a happy user)",
                   "This project is under active development.", "Tired of slow queues?",
                   "We accept submissions to the tinyq hub through pull requests.",
                   "For GSoC, check out our Summer of Code guide.", "**A new v0.4.0 release of tinyq is available** !",
                   "各模块详细文档请查看对应模块目录下的 README 文件。"):
        assert extract(f"{notice}\n\ntinyq is a small message queue for Go.\n").description == \
            "tinyq is a small message queue for Go.", notice
    assert extract("#tinyq by Jo\n\ntinyq is a small message queue for Go.\n").description.startswith("tinyq is")
    assert extract("A JSON API for NASA and ESA data, in Go.\n").description.startswith("A JSON API")  # acronyms
    assert extract("2.0 of tinyq is a small message queue for Go.\n").description.startswith("2.0 of")  # no step
    hook = "You're mid-migration. tinyq moves queues between brokers. It is fast.\n"
    assert extract(hook).description == "You're mid-migration. tinyq moves queues between brokers."


def test_a_description_that_only_repeats_the_title_is_read_with_the_lead():
    readme = "# Tiny Queue\n\nA persistent message queue for small services.\n"
    assert extract(readme, "Tiny Queue.").description == "Tiny Queue. A persistent message queue for small services."
    assert extract(readme, "A queue.").description == "A queue."  # says something the title does not
    long_title = "# Tiny Queue: a persistent message queue for small services\n\nInstall it with pip today.\n"
    said = "A persistent message queue for small services."
    assert extract(long_title, said).description == said  # more than a name: it stands alone


def test_a_blank_line_stripped_readme_keeps_one_block_per_line():
    """Without blank lines nothing says where a paragraph ends, so each line stays its own block."""
    stripped = "# tinyq\ntinyq is a small message queue\nInstall it with pip"
    assert extract(stripped).description == "tinyq is a small message queue"
    assert "tinyq is a small message queue\n\nInstall it with pip" in normalise_markdown(stripped)


def test_a_line_that_opens_with_a_link_or_code_span_continues_the_paragraph():
    """CommonMark reads a wrapped line that starts with inline Markdown as the same paragraph."""
    for line in ("[its site](https://example.org).", "`tinyq` is written in Go.", "**fast** and small.",
                 "(and small).", "_really_ small."):
        out = normalise_markdown(f"# T\n\nA queue for Go,\n{line}\n\nEnd.\n")
        assert f"A queue for Go, {line}\n" in out, line
    for line in ("[ref]: https://example.org", "[![CI](https://example.org/b.svg)](https://example.org)",
                 "* an item", "[<a href='https://example.org'>Docs</a>]"):
        out = normalise_markdown(f"# T\n\nA queue for Go.\n{line}\n\nEnd.\n")
        assert f"\n{line}\n" in out, line


def test_a_line_that_starts_a_block_does_not_continue_the_paragraph():
    text = "Intro line\n- a list item\n1. numbered\n> quote\n[ref]: http://example.com\nback to prose\n\nend"
    out = normalise_markdown(text)
    for line in ("- a list item", "1. numbered", "> quote", "[ref]: http://example.com"):
        assert f"\n{line}\n" in f"\n{out}\n", line
    assert "Intro line\n" in out and "back to prose\n" in out


@pytest.mark.parametrize("parser", ["markdown-it", "fast"])
def test_code_lines_that_run_the_project_by_its_name_are_counted(parser, monkeypatch):
    monkeypatch.setenv("HEURISTAG_PARSER", parser)
    readme = ("# TinyTool\n\n```sh\n$ tinytool build site/\n  tinytool --help\ntinytool = load()\n"
              "tinytool(x)\nnpm install tinytool\n```\n\n    tinytool serve\n")
    assert extract(readme).features["self_command_lines"] == 3
    assert extract("```\n$ tinytool build\n```\n").features["self_command_lines"] == 0  # no name to look for


def test_cjk_headings_and_body():
    doc = extract("# 数据库工具\n一个轻量级的数据库管理工具。\n## 安装\n```\ngo install x\n```")
    assert doc.title == "数据库工具" and "安装" in doc.headings
    assert "数据库管理工具" in doc.body


def test_url_words():
    assert url_words("https://img.shields.io/pypi/v/my-pkg?style=flat") == "img.shields.io pypi v my-pkg style flat"
    assert url_words("http://[bad") == "" or isinstance(url_words("http://[bad"), str)


def assert_splits_as_urlsplit(url: str) -> None:
    parts = split_url(url)
    if parts is not None:
        reference = urlsplit(url)
        assert parts == (reference.netloc, reference.path + ("?" + reference.query if reference.query else "")), url


#: URL-ish text: schemes, slashes, queries, fragments, brackets, digits first, spaces and controls.
_URLISH = st.lists(st.sampled_from([*"ab1+-.:/?#[]@% \t\x01é", "http", "://", "www.", "//"]),
                   max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(_URLISH)
def test_split_url_equals_urlsplit(url):
    assert_splits_as_urlsplit(url)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_split_url_equals_urlsplit_on_any_text(url):
    assert_splits_as_urlsplit(url)


def test_split_url_takes_the_usual_urls_and_leaves_the_rest_to_urlsplit():
    assert split_url("https://img.shields.io/pypi/v/x?style=flat#top") == ("img.shields.io", "/pypi/v/x?style=flat")
    assert split_url("docs/guide.md") == ("", "docs/guide.md")
    assert split_url("mailto:a@b.org") == ("", "a@b.org")
    for unusual in ("http://[::1]/x", "1http://a/b", "http://a b/\tc", "https://例え.jp/", "\x01http://a/"):
        assert split_url(unusual) is None


def test_split_url_equals_urlsplit_on_every_bench_url():
    bench = SHARED / "bench" / "dev.jsonl"
    if not bench.exists():
        pytest.skip(f"{bench} is not here")
    urls = {m.group(1) for line in bench.read_text(encoding="utf-8").splitlines()
            for m in re.finditer(r"(?:\]\(|href=[\"']|src=[\"'])([^)\"'\s]+)", json.loads(line).get("readme") or "")}
    assert len(urls) > 1000
    for url in urls:
        assert_splits_as_urlsplit(url.strip())


def test_hostile_markdown_does_not_raise():
    for text in ["<" * 5000, "[" * 5000, ">" * 5000, "```", "<div>" * 2000, "\x00" * 10, "- " * 3000]:
        extract(text)


def _marked(m: re.Match) -> str:
    return f"<{m.group(0)}>"


#: Prose with URLs in it: schemes of every length, 'www.', word characters and '@' before them, stops.
_PROSE_WITH_URLS = st.lists(st.sampled_from([*"ab1@ .:/\n()", "://", "www.", "http", "x" * 15, "。", "é"]),
                            max_size=30).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_PROSE_WITH_URLS)
def test_bare_urls_are_found_as_the_pattern_finds_them(text):
    assert sub_bare_urls(_marked, text) == _BARE_URL.sub(_marked, text)


def test_bare_urls_on_every_bench_readme_and_hostile_text():
    bench = SHARED / "bench" / "dev.jsonl"
    texts = ["www.a.org http://b.c/d, xhttp://e f@www.g h://i " * 3, "a" * 40 + "://b", "wwww.x"]
    if bench.exists():
        texts += [json.loads(line).get("readme") or "" for line in bench.read_text(encoding="utf-8").splitlines()]
    for text in texts:
        assert sub_bare_urls(_marked, text) == _BARE_URL.sub(_marked, text)
    import time

    t0 = time.process_time()
    sub_bare_urls(_marked, "xwww. " * 50_000 + "a://b")  # failing markers do not rescan the text
    assert time.process_time() - t0 < 2


def test_contributing_and_security_policy_sections_are_boilerplate():
    """How to send a patch or report a vulnerability says nothing of what the project is."""
    from heuristag.engine.rules import load_rules

    boiler = load_rules().boilerplate_headings
    readme = ("# tinyq\n\nA queue.\n\n## Security Policy\n\nWe take security seriously.\n\n"
              "## Contributing\n\nRun the unit tests first.\n\n## 参与贡献\n\n提交代码前请先运行测试。\n")
    doc = extract(readme, "", boiler)
    assert "security" not in doc.body and "unit tests" not in doc.body and "测试" not in doc.body
    assert extract("# tinyq\n\n## Security\n\nTLS everywhere.\n", "", boiler).body == "TLS everywhere."


def test_a_readme_runs_its_own_name_named_by_title_or_else_by_what_it_installs():
    untitled = ("Adds returns to Go code.\n\n    go get -u github.com/someone/tinyfix\n\n"
                "Run it:\n\n    tinyfix file.go\n")
    assert extract(untitled).features["self_command_lines"] == 1
    emoji = "# 🧰 tinyq - a queue\n\n```\n$ tinyq serve --port 80\n```\n"
    assert extract(emoji).features["self_command_lines"] == 1
    helper = "# 🧰 MyTool - a site\n\n```\nnpm install -g pnpm\npnpm install && pnpm start\n```\n"
    assert extract(helper).features["self_command_lines"] == 0  # a title names the project, not its tools


@pytest.mark.parametrize("parser", ["markdown-it", "fast"])
def test_a_first_heading_that_names_a_section_is_no_title(parser, monkeypatch):
    """Without a level-1 heading the first heading stands for the title, unless it is 'Features' and the like."""
    monkeypatch.setenv("HEURISTAG_PARSER", parser)
    assert extract("## ✨ Features\n\nFast.\n\n## Install\n").title == ""
    assert extract("### 📚 文档\n\n见官网。\n").title == ""
    assert extract("## tinyq\n\nA queue.\n\n## Features\n").title == "tinyq"
    assert extract("# Features\n\nA README whose project is called Features.\n").title == "Features"  # a real h1
