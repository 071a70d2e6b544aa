"""The fast backend: pulldown-cmark's events (through pyromark) walked into the same Document.

pulldown-cmark parses full CommonMark; the reference (parse_markdownit.py) switches some of it off, so
this walker undoes what the reference never does, using each event's source range:

- emphasis and strong emphasis: their ``*``/``_`` delimiters are put back as text;
- entities (``&amp;``): the source text is kept, not the character;
- thematic breaks (``---``, ``* * *``): read as the reference reads them, a paragraph of the line, or
  nested list items for ``- - -`` (one whose bullet five columns or more follow opens indented code);
- an ATX heading's closing #s after a tab (``# a\\t#``) close it, as CommonMark says;
- link reference definitions: escaped before parsing (``\\[x]: /url``), so they stay paragraph text and
  ``[x]`` stays text, as in the reference;
- a fence's language comes from its source line (the reference does not unescape it);
- containers nested 20 deep have their content dropped, as markdown-it's ``maxNesting`` does;
- markdown-it-py's HTML comment pattern: ``<!----->`` is text there (read as Markdown), and
  ``<!--<!---->-->`` one comment (pulldown-cmark's ends at the first ``-->``);
- an HTML block opened by <pre>, <script>, <style> or <textarea> ends at the first line with any of their
  end tags, as CommonMark says (pulldown-cmark waits for the matching one): the lines after are
  parsed again as Markdown;
- ``<![CDATA[x] y]]>`` (a ']' inside that ']>' does not follow) is text to pulldown-cmark, inline HTML to
  the reference: read as the reference reads it, up to the first ']]>' on its line.

An image's alt text is the reference's too: its children's text, an image inside it counting as its
raw label (read from the source, up to the first ']' after the last event inside the label).
tests/test_parsers.py checks identity on the benches, the fixtures and generated Markdown.

Known to differ, in input no README has: a link or code span with one end inside such a longer comment
or CDATA (``[a <!--<!---->](u)-->``: the reference has its brackets as text, or inside the comment); a
label defined more than MAX_DEFINITION_ROUNDS times (the later definitions stay definitions here); a tab
right after a block quote's markers or a list marker inside one (``>>> \\t*``, ``>>- \\t*``), whose
columns the two count differently, so one may read indented code where the other reads text.
An emphasis with one end inside either is read as the reference reads it (its delimiters are text).
tests/test_parsers.py leaves generated Markdown with such a comment, CDATA or tab out.
"""

from __future__ import annotations

import re
from typing import Any

import pyromark

from .document import _Collector, fence_lang

_PARSER = pyromark.Markdown(options=pyromark.Options(0))
#: markdown-it's maxNesting in the reference: deeper containers lose their content there.
MAX_NESTING = 20
#: A label defined again and again needs a round per repetition; past this many the rest stay definitions
#: (a README that defines one label 50 times is not one anybody writes).
MAX_DEFINITION_ROUNDS = 50
#: markdown-it-py's HTML comment (common/html_re.py); pulldown-cmark follows CommonMark 0.31's wider one.
_REFERENCE_COMMENT = re.compile(r"<!---?>|<!--(?:[^-]|-[^-]|--[^>])*-->")
_RAW_OPEN = re.compile(r"[ \t]*<(?:pre|script|style|textarea)(?:[ \t>]|$)", re.IGNORECASE)
_RAW_CLOSE = re.compile(r"</(?:pre|script|style|textarea)>", re.IGNORECASE)
_PARAGRAPH_EVENTS = ({"Start": "Paragraph"}, {"End": "Paragraph"})
#: An ATX heading whose closing sequence follows a tab (``# a\t#``): CommonMark closes it, pulldown-cmark
#: keeps the #s as text.
_TAB_CLOSED = re.compile(rb"\t#+$")
_CLOSING = re.compile(r"[ \t]*#+$")
_BLOCK_ENDS = frozenset({"Paragraph", "CodeBlock", "HtmlBlock", "Item", "BlockQuote", "List", "Heading"})


def walk(markdown: str, c: _Collector) -> None:
    """Feed the collector from one pass over pulldown-cmark's events."""
    markdown = _escape_definitions(markdown)
    source = markdown if markdown.isascii() else None
    raw = markdown.encode("utf-8")
    _Walk(c, raw, source).run(_PARSER.events_with_range(markdown))


def _escape_definitions(markdown: str) -> str:
    """``[label]: url`` lines become text (the reference has no reference definitions)."""
    if "]:" not in markdown:
        return markdown
    for _ in range(MAX_DEFINITION_ROUNDS):  # each round finds the first definition of each label
        found = _PARSER.reference_definitions(markdown)
        if not found:
            break
        raw = markdown.encode("utf-8")
        pieces, last = [], 0
        for start in sorted(d["span"]["start"] for d in found.values()):
            at = raw.index(b"[", start)
            pieces += [raw[last:at], b"\\"]
            last = at
        pieces.append(raw[last:])
        markdown = b"".join(pieces).decode("utf-8")
    return markdown


class _Walk:
    """One document's walk: inline text gathered per paragraph, images' alt text per image."""

    def __init__(self, c: _Collector, raw: bytes, source: str | None) -> None:
        self.c = c
        self.raw = raw
        self.source = source       # the text itself when it is ASCII (byte offsets == indices)
        self.parts: list[str] | None = None   # the open paragraph's (or heading's) text
        self.first: bool | None = None        # does it start with a link? None: nothing seen yet
        self.heading: int | None = None
        self.tab_closed = False    # the heading's closing #s follow a tab, which pulldown-cmark keeps as text
        self.images: list[list[str]] = []     # alt text of each open image, innermost last
        self.image_src: list[list[Any]] = []  # [src, start, end, end of its label's content so far]
        self.code: list[str] | None = None
        self.code_lang = ""
        self.html: list[str] | None = None
        self.list_depth = 0
        self.level = 0
        self.skip = 0              # > 0: inside a container nested too deep; its depth of Starts
        self.skip_until = 0        # > 0: events starting before this byte are inside a reference comment

    def text(self, start: int, end: int) -> str:
        if self.source is not None:
            return self.source[start:end]
        return self.raw[start:end].decode("utf-8", "replace")

    def run(self, events: Any, flush: bool = True) -> None:
        """Walk ``events``. The commonest ones (text, a paragraph's start and end, a link's end: two
        thirds of a README's ~600) are handled in this loop itself, other ends go straight to ``_end``;
        the rest, and every event inside an image, a skipped container or a longer comment, go through
        ``_dispatch``. A method call or two per event was most of the walk's time."""
        dispatch = self._dispatch
        raw = self.raw
        entities = 0x26 in raw  # no '&': no text event can be an entity the reference keeps as written
        for ev, rng in events:
            if self.skip_until or self.skip or self.images:
                self._slow(ev, rng)
                continue
            if "Text" in ev:  # a bare event is a str: ``in`` is a substring test there, False for these
                text = ev["Text"]
                if self.code is not None:
                    self.code.append(text)
                    continue
                if text[:1] == "<" and raw.startswith(b"<![CDATA[", rng["start"]) and self._cdata(rng["start"]):
                    continue
                if entities and rng["end"] - rng["start"] > 1 and raw[rng["start"]] == 0x26:
                    text = self.text(rng["start"], rng["end"])
                parts = self.parts
                if parts is None:
                    self.parts = parts = []
                    self.first = None
                parts.append(text)
                if self.first is None and text.strip():
                    self.first = False
            elif "Start" in ev and ev["Start"] == "Paragraph":
                if self.parts is not None:
                    self._flush()
                self.parts, self.first = [], None
            elif "End" in ev:
                tag = ev["End"]
                if tag == "Paragraph":
                    if self.parts is not None:
                        self._flush()
                elif tag != "Link":  # a link's end changes nothing
                    self._end(tag, rng)
            else:
                dispatch(ev, rng)
        if flush:
            self._flush()

    def _slow(self, ev: Any, rng: dict | None) -> None:
        """One event inside a longer comment, a container nested too deep, or an image's label."""
        if self.skip_until and rng is not None:
            if rng["end"] <= self.skip_until:  # wholly inside the reference's longer comment
                return
            if rng["start"] < self.skip_until and isinstance(ev, dict):
                if ev.get("Start") in ("Emphasis", "Strong"):  # its delimiter is inside: the reference's text
                    return
                if "Text" in ev:
                    ev, rng = {"Text": self.text(self.skip_until, rng["end"])}, {**rng, "start": self.skip_until}
            if rng["start"] >= self.skip_until:
                self.skip_until = 0
        if self.skip:
            self._skipping(ev)
        elif self.images:
            open_images = len(self.images)
            self._dispatch(ev, rng)
            if self.images and len(self.images) <= open_images:  # the label reaches at least here
                frame = self.image_src[-1]
                frame[3] = max(frame[3], rng["end"])
        else:
            self._dispatch(ev, rng)

    def _dispatch(self, ev: Any, rng: dict) -> None:
        if isinstance(ev, str):
            self._bare(ev, rng)
        elif "Text" in ev:
            self._text(ev["Text"], rng)
        elif "Start" in ev:
            self._start(ev["Start"], rng)
        elif "End" in ev:
            self._end(ev["End"], rng)
        elif "Code" in ev:
            self._inline(ev["Code"], False)
        elif "InlineHtml" in ev:
            self._inline_html(ev["InlineHtml"], rng)
        elif "Html" in ev and self.html is not None:
            self.html.append(ev["Html"])

    # ------------------------------------------------------------ inline content

    def _text(self, text: str, rng: dict) -> None:
        if self.code is not None:
            self.code.append(text)
            return
        start, end = rng["start"], rng["end"]
        if text[:1] == "<" and self.raw.startswith(b"<![CDATA[", start) and self._cdata(start):
            return
        if end - start > 1 and self.raw[start] == 0x26:  # '&...;': the reference keeps entities as written
            text = self.text(start, end)
        self._inline(text, not text.strip())

    def _inline(self, text: str, blank: bool) -> None:
        if self.images:
            self.images[-1].append(text)
            return
        self._open()
        assert self.parts is not None
        self.parts.append(text)
        if self.first is None and not blank:
            self.first = False

    def _inline_html(self, fragment: str, rng: dict | None = None) -> None:
        if self.images:
            self.images[-1].append(fragment)
            return
        if fragment.startswith("<!--"):
            comment = self._reference_comment(fragment, rng)
            if comment is None:
                self._reparse_as_text(fragment)
                return
            fragment = comment
        self._open()
        assert self.parts is not None
        if self.first is None:
            self.first = fragment.lower().startswith("<a ")
        self.c.inline_html(fragment, self.parts)

    def _reference_comment(self, fragment: str, rng: dict | None) -> str | None:
        """The comment markdown-it-py reads here: none, this one, or a longer one (its pattern may run
        past the first '-->', where CommonMark stops); what the longer one covers is skipped."""
        if rng is None:
            found = _REFERENCE_COMMENT.fullmatch(fragment)
            return found.group(0) if found else None
        start = rng["start"]
        end = self.raw.find(b"\n", start)
        found = _REFERENCE_COMMENT.match(self.text(start, len(self.raw) if end < 0 else end))
        if found is None:
            return None
        if len(found.group(0)) > len(fragment):
            self.skip_until = start + len(found.group(0).encode("utf-8"))
        return found.group(0)

    def _cdata(self, start: int) -> bool:
        """``<![CDATA[x] y]]>``, which pulldown-cmark reads as text (a ']' inside that ']>' does not
        follow), is inline HTML in the reference, up to the first ']]>' on its line (a paragraph is one
        line, see document.normalise_markdown): read it so, and skip what it covers."""
        if _escaped(self.raw, start):  # a backslash before the '<' makes it text in both
            return False
        line_end = self.raw.find(b"\n", start)
        close = self.raw.find(b"]]>", start + 9, len(self.raw) if line_end < 0 else line_end)
        if close < 0:
            return False
        self.skip_until = close + 3
        self._inline_html(self.text(start, close + 3))
        if self.images:  # an image's label reaches at least past it
            self.image_src[-1][3] = max(self.image_src[-1][3], close + 3)
        return True

    def _reparse_as_text(self, fragment: str) -> None:
        """A comment the reference's pattern refuses (``<!----->``) is text there, read as Markdown."""
        escaped = "\\" + fragment
        sub = _Walk(self.c, escaped.encode("utf-8"), escaped if escaped.isascii() else None)
        self._open()
        sub.parts, sub.first, sub.list_depth = self.parts, self.first, self.list_depth
        for ev, rng in _PARSER.events_with_range(escaped):
            if ev not in _PARAGRAPH_EVENTS:
                sub.run(((ev, rng),), flush=False)
        self.first = sub.first

    def _reparse_blocks(self, markdown: str) -> None:
        """Lines pulldown-cmark kept in an HTML block that the reference had closed: Markdown again, its
        ``[label]: url`` lines text as everywhere else (the first pass saw them as HTML)."""
        markdown = _escape_definitions(markdown)
        raw, source = self.raw, self.source
        self.raw, self.source = markdown.encode("utf-8"), markdown if markdown.isascii() else None
        try:
            self.run(_PARSER.events_with_range(markdown), flush=False)
        finally:
            self.raw, self.source = raw, source

    def _open(self) -> None:
        """Inline content outside any paragraph (a tight list item) opens one of its own."""
        if self.parts is None:
            self.parts, self.first = [], None

    def _flush(self) -> None:
        """The open paragraph (or heading) is complete."""
        if self.parts is None:
            return
        text = "".join(self.parts).strip()
        if self.heading is not None:
            self.c.heading(self.heading, _CLOSING.sub("", text) if self.tab_closed else text)
        else:
            self.c.paragraph(text, self.list_depth > 0, bool(self.first))
        self.parts, self.first, self.heading = None, None, None

    # ------------------------------------------------------------ bare events

    def _bare(self, ev: str, rng: dict) -> None:
        if ev in ("SoftBreak", "HardBreak"):
            if self.images:
                self.images[-1].append("")
            else:
                self._inline(" ", True)
        elif ev == "Rule":
            self._rule(self.text(rng["start"], rng["end"]))

    def _rule(self, line: str) -> None:
        """A thematic break, as the reference (no thematic breaks) reads the line: bullets open list
        items while a bullet and a space lead it; what is left is a paragraph, or indented code when
        five columns or more follow a bullet (CommonMark's list item that starts with code)."""
        self._flush()
        rest, column = _leading(line, 0)
        opened = 0
        while rest[:1] in ("-", "*", "+") and rest and (len(rest) == 1 or rest[1] in " \t"):
            self.level += 2  # the list and its item
            self.list_depth += 1
            opened += 1
            self.c.counts["list_items"] += 1
            marker = column
            rest, column = _leading(rest[1:], column + 1)
            if self.level >= MAX_NESTING:
                rest = ""
                break
            if rest and column - marker - 1 >= 5:
                self.c.code_block("", " " * (column - marker - 6) + rest + "\n")
                rest = ""
                break
        if rest:
            self.parts, self.first = [rest], False
            self._flush()
        self.level -= 2 * opened
        self.list_depth -= opened

    # ------------------------------------------------------------ blocks

    def _start(self, tag: Any, rng: dict) -> None:
        if isinstance(tag, str):
            if tag == "Emphasis" or tag == "Strong":
                start = rng["start"]
                self._inline(self.text(start, start + (1 if tag == "Emphasis" else 2)), False)
            elif tag == "Item":
                self._flush()
                self.c.counts["list_items"] += 1
                self.list_depth += 1
                self._nest()
            elif tag == "Paragraph":
                self._flush()
                self.parts, self.first = [], None
            elif tag == "HtmlBlock":
                self._flush()
                self.html = []
            return
        if "Link" in tag:
            if self.images:
                return
            link = tag["Link"]
            self._open()
            if self.first is None:
                self.first = True
            href = link["dest_url"]
            self.c.link("mailto:" + href if link["link_type"] == "Email" else href)
        elif "Image" in tag:
            if not self.images:
                self._open()
                if self.first is None:
                    self.first = False
            self.images.append([])
            self.image_src.append([tag["Image"]["dest_url"], rng["start"], rng["end"], rng["start"] + 2])
        elif "Heading" in tag:
            self._flush()
            self.parts, self.first = [], None
            self.heading = int(tag["Heading"]["level"][1])
            self.tab_closed = _TAB_CLOSED.search(self.raw[rng["start"]:rng["end"]].rstrip()) is not None
        elif "CodeBlock" in tag:
            self._flush()
            kind = tag["CodeBlock"]
            self.code = []
            self.code_lang = fence_lang(self._fence_info(rng)) if isinstance(kind, dict) else ""
        elif "BlockQuote" in tag:
            self._flush()
            self._nest()
        elif "List" in tag:
            self._flush()
            self.level += 1

    def _nest(self) -> None:
        """A blockquote or list item opens: past MAX_NESTING its content is dropped, as in the reference."""
        self.level += 1
        if self.level >= MAX_NESTING:
            self.skip = 1

    def _skipping(self, ev: Any) -> None:
        if isinstance(ev, dict):
            if "Start" in ev:
                self.skip += 1
            elif "End" in ev:
                self.skip -= 1
                if not self.skip:
                    self._end(ev["End"], None)

    def _fence_info(self, rng: dict) -> str:
        """The info string as written (pulldown-cmark unescapes it; the reference does not)."""
        start = rng["start"]
        end = self.raw.find(b"\n", start, rng["end"])
        line = self.text(start, rng["end"] if end < 0 else end).lstrip(" \t")
        fence = line[:1]
        return line.lstrip(fence) if fence in ("`", "~") else ""

    def _end(self, tag: Any, rng: dict | None) -> None:
        if isinstance(tag, str):
            if tag == "Emphasis" or tag == "Strong":
                assert rng is not None
                end = rng["end"]
                self._inline(self.text(end - (1 if tag == "Emphasis" else 2), end), False)
            elif tag == "Image":
                self._end_image()
            elif tag == "CodeBlock":
                self.c.code_block(self.code_lang, "".join(self.code or ()))
                self.code = None
            elif tag == "HtmlBlock":
                lines, self.html = self.html or [], None
                cut = _raw_block_end(lines)
                self.c.html("".join(lines[:cut]))
                if cut < len(lines):
                    self._reparse_blocks("".join(lines[cut:]))
            elif tag == "Item":
                self._flush()
                self.list_depth = max(0, self.list_depth - 1)
                self.level -= 1
            elif tag in _BLOCK_ENDS:
                self._flush()
            return
        if "Heading" in tag or "BlockQuote" in tag or "List" in tag:
            self._flush()
            if "Heading" not in tag:
                self.level -= 1

    def _end_image(self) -> None:
        """The reference's alt: its children's text, where an image inside counts as its raw label."""
        alt_parts = self.images.pop()
        src, start, _end, content_end = self.image_src.pop()
        if self.images:
            self.images[-1].append(self._raw_label(start, content_end))
        else:
            self.c.image("".join(alt_parts) or self._raw_label(start, content_end), src)

    def _raw_label(self, start: int, content_end: int) -> str:
        """``![label](...)`` -> label as written: up to the first ']' after the last event inside it."""
        close = self.raw.find(b"]", content_end)
        return self.text(start + 2, close) if close >= 0 else ""


def _escaped(raw: bytes, at: int) -> bool:
    """Whether the byte at ``at`` follows an odd run of backslashes (a Markdown escape)."""
    n = 0
    while at - n > 0 and raw[at - n - 1] == 0x5C:
        n += 1
    return n % 2 == 1


def _leading(text: str, column: int) -> tuple[str, int]:
    """``text`` without its leading blanks, and the column it then starts at (tabs stop every 4)."""
    for i, ch in enumerate(text):
        if ch == " ":
            column += 1
        elif ch == "\t":
            column += 4 - column % 4
        else:
            return text[i:].rstrip(), column
    return "", column


def _raw_block_end(lines: list[str]) -> int:
    """How many lines of an HTML block the reference keeps: one that opens with <pre>, <script>, <style>
    or <textarea> ends at the first line holding any of their end tags (CommonMark; pulldown-cmark
    waits for the matching one)."""
    first = lines[0].lower() if lines else ""
    if not _RAW_OPEN.match(first):
        return len(lines)
    for i, line in enumerate(lines):
        if _RAW_CLOSE.search(line):
            return i + 1
    return len(lines)
