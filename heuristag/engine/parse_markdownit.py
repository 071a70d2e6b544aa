"""The reference backend: markdown-it-py's token stream walked into a document's fields.

Every other backend (parse_pyromark.py) must give exactly the Document this one gives.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from .document import _Collector, fence_lang


def _markdown() -> MarkdownIt:
    """A CommonMark parser trimmed to what tagging reads.

    Emphasis, strikethrough, entities, tables, rules and reference definitions only decorate text the
    matcher sees anyway, and URL normalisation (a third of inline parsing) is wasted on hrefs that are
    only split into words: dropping them keeps the whole pipeline near the cost of a bare parse.
    """
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": 20})
    md.disable(["emphasis", "strikethrough", "entity", "hr", "lheading", "reference"])
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda url: url  # type: ignore[method-assign]
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_MD = _markdown()


def walk(markdown: str, c: _Collector) -> None:
    """Feed the collector from one pass over markdown-it's tokens."""
    list_depth = 0
    pending_heading: int | None = None
    for tok in _MD.parse(markdown):
        t = tok.type
        if t == "heading_open":
            pending_heading = int(tok.tag[1])
        elif t == "inline":
            if pending_heading is not None:
                c.heading(pending_heading, _inline_text(tok, c))
                pending_heading = None
            else:
                text = _inline_text(tok, c)
                c.paragraph(text, list_depth > 0, bool(tok.children) and _starts_with_link(tok.children))
        elif t == "heading_close":
            pending_heading = None
        elif t in ("fence", "code_block"):
            c.code_block(fence_lang(tok.info or "") if t == "fence" else "", tok.content)
        elif t == "html_block":
            c.html(tok.content)
        elif t == "list_item_open":
            list_depth += 1
            c.counts["list_items"] += 1
        elif t == "list_item_close":
            list_depth = max(0, list_depth - 1)
        elif t == "table_open":
            c.counts["tables"] += 1


def _starts_with_link(children: list[Any]) -> bool:
    for child in children:
        if child.type == "text" and not child.content.strip():
            continue
        return child.type == "link_open" or (child.type == "html_inline" and child.content.lower().startswith("<a "))
    return False


def _inline_text(tok: Any, c: _Collector) -> str:
    """Text of an inline token; images and links are routed to their fields on the way."""
    parts: list[str] = []
    for child in tok.children or ():
        ct = child.type
        if ct in ("text", "code_inline"):
            parts.append(child.content)
        elif ct in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif ct == "image":
            alt = "".join(x.content for x in child.children or ()) or child.content
            c.image(alt, child.attrs.get("src", "") or "")
        elif ct == "link_open":
            c.link(str(child.attrs.get("href", "") or ""))
        elif ct == "html_inline":
            c.inline_html(child.content, parts)
    return "".join(parts).strip()
