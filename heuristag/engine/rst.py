"""reStructuredText READMEs (most of PyPI's) rewritten as the Markdown every parser here reads.

A Markdown parser reads RST as one long paragraph: badges (``.. image::`` with ``:alt:`` lines) become
the lead sentence, ``Installation`` underlined with dashes is half a heading, ``::`` code is prose.
This rewrite is not a full RST implementation; it maps the constructs a README uses to their Markdown
twins, so fields come out right: headings (underlined, or over- and underlined, levels in order of
first use), images and badges with their targets, ``code-block`` and ``::`` literal blocks, inline
links and literals. Directives it does not know keep their content and lose their markup.
"""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(r"^\.\.\s+(\|[^|]+\|\s+)?([a-zA-Z][\w:-]*)\s*::\s*(.*)$")
_OPTION = re.compile(r"^:([a-zA-Z][\w -]*):\s*(.*)$")
_ADORNMENT = re.compile(r"^([=\-~^*+#\"'`:.])\1{2,}\s*$")
_INLINE_LINK = re.compile(r"`([^`<>\n]+?)\s*<([^<>`\s]+)>`__?")
#: An inline link whose text and target sit on two lines (`ASGI\n<https://...>`_): the target moves up
#: to its text's line, so the link is rewritten as one and the lines stay one for one.
_SPLIT_LINK = re.compile(r"`([^`<>\n]+?)[ \t]*\n([ \t]*)<([^<>`\s]+)>`(__?)")
_BARE_REF = re.compile(r"`([^`<>\n]+)`_(?!_)")
_LITERAL = re.compile(r"``([^`\n]+)``")
_ROLE = re.compile(r":[a-z]+:`([^`\n]+)`")
_SUBSTITUTION = re.compile(r"\|[^|\s][^|\n]*\|_{0,2}")
_CODE_DIRECTIVES = {"code", "code-block", "sourcecode", "highlight"}
_IMAGE_DIRECTIVES = {"image", "figure"}
#: Enough of these (and no Markdown heading or fence) and the text is RST.
_RST_SIGNS = (re.compile(r"^\.\.\s+(\|[^|]+\|\s+)?[a-zA-Z][\w:-]*\s*::", re.M), re.compile(r"`[^`\n]+`_\b"),
              re.compile(r"::\n\n[ \t]+\S"), re.compile(r"^\S.*\n([=\-~^*+#])\1{2,}[ \t]*$", re.M))
_ATX_HEADING = re.compile(r"^#{1,6} \S", re.M)
_FENCE = re.compile(r"^```", re.M)


def looks_like_rst(text: str) -> bool:
    """Two kinds of RST markup and no Markdown heading (three kinds when it has Markdown fences too):
    a README.rst, whatever its name."""
    if ".." not in text and "`_" not in text and "::" not in text:
        return False
    if _ATX_HEADING.search(text):
        return False
    signs = sum(1 for sign in _RST_SIGNS if sign.search(text))
    return signs >= (3 if _FENCE.search(text) else 2)


def rst_to_markdown(text: str) -> str:
    """The README as Markdown; lines are kept one for one where possible, so positions stay meaningful."""
    text = _SPLIT_LINK.sub(r"`\1 <\3>`\4\n\2", text.replace("\r\n", "\n"))
    lines = text.split("\n")
    out: list[str] = []
    levels: list[str] = []
    i = 0
    while i < len(lines):
        i = _step(lines, i, out, levels)
    return "\n".join(out)


def _step(lines: list[str], i: int, out: list[str], levels: list[str]) -> int:
    """Rewrite the construct starting at line ``i``; returns the index of the next unread line."""
    line = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    m = _DIRECTIVE.match(line)
    if m:
        return _directive(lines, i, m, out)
    if _ADORNMENT.match(line) and i + 2 < len(lines) and lines[i + 1].strip() and _ADORNMENT.match(lines[i + 2]) \
            and lines[i + 2].strip()[0] == line.strip()[0]:
        out.append(_heading(lines[i + 1].strip(), "over" + line.strip()[0], levels))
        return i + 3
    underlined = _ADORNMENT.match(nxt) and len(nxt.strip()) >= min(len(line.strip()), 3)
    if line.strip() and not line[0].isspace() and underlined:
        out.append(_heading(line.strip(), nxt.strip()[0], levels))
        return i + 2
    if line.startswith(".. ") or line.strip() == "..":          # a comment or a target: no text
        return _skip_block(lines, i + 1)
    if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
        text = line.rstrip()[:-2].rstrip()
        out.append(_inline(text + (":" if text and not text.endswith(":") else "")) if text else "")
        return _literal_block(lines, i + 1, out, "")
    out.append(_inline(line))
    return i + 1


def _heading(text: str, style: str, levels: list[str]) -> str:
    if style not in levels:
        levels.append(style)
    return "#" * min(6, levels.index(style) + 1) + " " + _inline(text)


def _directive(lines: list[str], i: int, m: re.Match, out: list[str]) -> int:
    name, arg = m.group(2).lower(), m.group(3).strip()
    options, j = _options(lines, i + 1)
    if name in _IMAGE_DIRECTIVES:
        alt = options.get("alt", "")
        image = f"![{alt}]({arg})"
        out.append(f"[{image}]({options['target']})" if options.get("target") else image)
        return _figure_caption(lines, j, out) if name == "figure" else j
    if name in _CODE_DIRECTIVES:
        return _literal_block(lines, j, out, arg.split()[0].lower() if arg else "")
    if arg and name not in ("toctree", "contents", "include", "raw", "meta", "automodule", "autoclass"):
        out.append(_inline(arg))
    return j


def _options(lines: list[str], j: int) -> tuple[dict[str, str], int]:
    """The indented ``:name: value`` lines under a directive."""
    options: dict[str, str] = {}
    while j < len(lines) and lines[j][:1] in (" ", "\t"):
        m = _OPTION.match(lines[j].strip())
        if not m:
            break
        options[m.group(1).strip().lower()] = m.group(2).strip()
        j += 1
    return options, j


def _figure_caption(lines: list[str], j: int, out: list[str]) -> int:
    while j < len(lines) and (not lines[j].strip() or lines[j][:1] in (" ", "\t")):
        if lines[j].strip():
            out.append(_inline(lines[j].strip()))
        j += 1
    return j


def _literal_block(lines: list[str], j: int, out: list[str], lang: str) -> int:
    """An indented block after ``::`` or a code directive, as a fenced block (blank lines kept)."""
    start = j
    while j < len(lines) and not lines[j].strip():
        j += 1
    body: list[str] = []
    indent: int | None = None
    while j < len(lines) and (not lines[j].strip() or lines[j][:1] in (" ", "\t")):
        if lines[j].strip():
            width = len(lines[j]) - len(lines[j].lstrip())
            indent = width if indent is None else min(indent, width)
        body.append(lines[j])
        j += 1
    if indent is None:
        return start
    while body and not body[-1].strip():
        body.pop()
    out.extend(["", f"```{lang}", *(ln[indent:] for ln in body), "```", ""])
    return j


def _skip_block(lines: list[str], j: int) -> int:
    while j < len(lines) and lines[j][:1] in (" ", "\t") and lines[j].strip():
        j += 1
    return j


def _inline(line: str) -> str:
    if "|" in line:
        line = _SUBSTITUTION.sub("", line)     # |Build Status|: the badge itself comes from its definition
    if "`" not in line:
        return line
    line = _INLINE_LINK.sub(lambda m: f"[{m.group(1)}]({m.group(2)})", line)
    line = _LITERAL.sub(lambda m: f"`{m.group(1)}`", line)
    line = _ROLE.sub(lambda m: f"`{m.group(1)}`", line)
    return _BARE_REF.sub(lambda m: m.group(1), line)
