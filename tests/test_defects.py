"""The defect classes issue 10 names, each reproduced with a made-up README and fixed at its root.

URLs are addresses, not prose; word boundaries are Unicode letters; the fallback needs more than one
word; generic words need support from another rule or another place.
"""

from __future__ import annotations

from heuristag.engine.document import extract, split_urls


def names(tagger, readme: str, description: str = "") -> list[str]:
    return [t.name.strip() for t in tagger.tag(readme, description).tags]


def test_a_url_in_the_description_is_not_prose(tagger):
    doc = extract("# typer\n\nA typing effect.\n", "打字机效果 [在线演示](http://example.com/http/demo/)")
    assert doc.description == "打字机效果 在线演示"
    assert "example.com http demo" in doc.links
    assert "http" not in names(tagger, "# typer\n\nA typing effect.\n", "打字机效果 [在线演示](http://example.com/demo/)")


def test_bare_urls_in_the_body_go_to_links():
    doc = extract("# x\n\nSee https://docs.example.org/api/http-server, or www.example.com/kubernetes.\n")
    assert "http" not in doc.body and "kubernetes" not in doc.body and "See" in doc.body
    assert doc.links == ("docs.example.org api http-server", "www.example.com kubernetes")


def test_split_urls_keeps_everything_else():
    text = "见 https://a.io/x。还有 [文档](https://b.io/y \"title\") 和 ftp://c.io/z, done."
    prose, urls = split_urls(text)
    assert urls == ["https://b.io/y", "https://a.io/x", "ftp://c.io/z"]
    assert "见" in prose and "。还有 文档 和" in prose and prose.rstrip().endswith(", done.")
    assert split_urls("a://b is too short for a scheme")[1] == []
    assert split_urls("plain text") == ("plain text", [])


def test_accented_latin_is_not_a_word_boundary(tagger):
    readme = "# Rosé Pine\n\nAll natural pine, faux fur and a bit of soho vibes for the classy minimalist.\n"
    assert "robot" not in names(tagger, readme)


def test_one_generic_word_in_a_title_does_not_decide(tagger):
    assert "web-app" not in names(tagger, "# Wiki\n\nNotes.\n")
    assert names(tagger, "# Wiki\n\nNotes.\n") == []          # nothing else speaks: no answer beats a wrong one
    hosted = "# Wiki\n\nA self-hosted wiki web app: run it with docker compose and open http://localhost:8080.\n"
    assert "web-app" in names(tagger, hosted)


def test_the_fallback_needs_more_than_one_weak_word(tagger):
    assert names(tagger, "# Typewriter\n\nA typing effect for your terminal prompt theme.\n") != ["robot"]
    assert names(tagger, "# Notes\n\nMy queue of things to read.\n") == []   # one weak word: no answer


def test_emphasis_inside_a_word_is_not_a_word_break(tagger):
    """Markdown's ``**h**ttp`` reads as "http": the prose fields lose their emphasis markers before matching,
    so an acronym spelled out in bold still says what it means."""
    readme = "# go-zap\n\nzap is a **z**ero-**a**lloc **p**arser library written in Go.\n"
    assert "parser" in names(tagger, readme)
    assert "parser" not in names(tagger, readme.replace("**p**arser", "**p**-arser"))

