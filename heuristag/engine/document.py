"""From README Markdown (with raw HTML, badges, code) to named text fields the matcher can weigh."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from .rst import looks_like_rst, rst_to_markdown

#: READMEs longer than this many characters are analysed up to here (the rest rarely says more).
MAX_README_CHARS = 1_000_000
#: ... and up to this many lines (the dev bench's longest README has 2,500): bounds parsing time.
MAX_README_LINES = 100_000

FIELDS = ("title", "description", "headings", "badges", "links", "code", "body")

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_FENCE_STARTS = ("```", "~~~")  # what _FENCE needs, tested first: one C call where a regex match cost four
_ATX = re.compile(r"^#{1,6}(\s|$)")
_SETEXT = re.compile(r"^(=+|-+)$")
_PROJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{1,40}")
#: A title's name, after what may come before it: space, an emoji standing in for a logo ("🧰 MyIP - ...").
_TITLE_NAME = re.compile(r"\W{0,4}([A-Za-z][A-Za-z0-9_.-]{1,40})")
_LIST_STARTS = frozenset("-*+0123456789")
_LIST_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])(\s|$)")
#: A line that opens with inline Markdown (a link, code span, emphasis, a bracket or quote) is prose too:
#: in a paragraph it goes on the paragraph, as CommonMark reads it. Not a link definition, a badge or a list.
_INLINE_STARTS = frozenset("[`*_(\"'")
_INLINE_START = re.compile(r"\[(?![!<])(?![^\]]*\]:)|`|\*\*?\S|__?\S|[(\"']\w")
_BACKTICKS = re.compile(r"`+")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\[*_`\"'])|[。！？]")
_BADGE_HOSTS = ("shields.io", "badgen.net", "badge.fury.io", "travis-ci", "codecov.io", "coveralls.io",
                "goreportcard.com", "circleci.com", "appveyor.com", "readthedocs.org", "pepy.tech",
                "badges.", "deepwiki.com/badge", "api.netlify.com", "snyk.io", "sonarcloud.io",
                "codacy.com", "starchart.cc", "star-history.com", "visitor-badge", "komarev.com",
                "hits.seeyoufarm.com", "github.com/sponsors", "opencollective.com", "pkg.go.dev/badge",
                "godoc.org", "badge", "/workflows/", "/actions/")
_URL_SPLIT = re.compile(r"[/?&=.:_+%#,]+")
_BOILERPLATE_DEFAULT = (
    "license", "licence", "licensing", "copyright", "sponsor", "sponsors", "backers", "donate", "donation",
    "contributors", "contributing", "acknowledgements", "acknowledgments", "credits", "thanks",
    "star history", "stargazers", "related projects", "similar projects", "alternatives", "see also",
    "许可", "许可证", "开源协议", "协议", "贡献", "贡献者", "致谢", "鸣谢", "赞助", "捐赠", "相关项目", "友情链接",
    "ライセンス", "謝辞", "スポンサー", "貢献",
)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
#: Lines with fewer '[' than this are left alone by ``defuse_brackets`` (nothing to gain there).
_BRACKETS_CHECKED_FROM = 8
#: Brackets nested deeper than this cannot be a link or image anyone writes: they are made literal.
_MAX_BRACKET_DEPTH = 3
#: How many '[' of one README markdown-it may try as links (the largest README of the dev bench has
#: 1,352); the rest are made literal. Each try can cost ~50 us, so this bounds a README to ~1 s of it.
MAX_LINK_BRACKETS = 20_000
_BRACKET = re.compile(r"\\.|[\[\]]")
_INERT_BRACKET = "\uff3b"  # FULLWIDTH LEFT SQUARE BRACKET: NFKC gives back '['
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
#: ``[text](url)`` left as is in text no Markdown parser saw (a catalogue's one-line description).
_MD_LINK = re.compile(r"\[([^\[\]\n]{0,300})\]\(\s*<?([^()\s<>]{1,2000})>?(?:\s+\"[^\"\n]{0,300}\")?\s*\)")
#: A bare URL in prose: a scheme or ``www.``, up to white space, a bracket or CJK punctuation.
_BARE_URL = re.compile(r"(?<![\w@])(?:[a-zA-Z][a-zA-Z0-9+.-]{1,15}://|www\.)[^\s<>\"'()\[\]{}\u3000-\u303f\uff01-\uff0f]+")
_URL_TAIL = ".,;:!?*_~"
_STRAY_LT = re.compile(r"<(?![^<>]*>)")


@dataclass(frozen=True)
class CodeBlock:
    lang: str
    text: str


@dataclass(frozen=True)
class Document:
    """What the README says, split by where it says it; ``features`` are counts for structural rules."""

    title: str = ""
    description: str = ""
    headings: tuple[str, ...] = ()
    badges: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    code: tuple[CodeBlock, ...] = ()
    body: str = ""
    features: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    truncated: bool = False

    def field_text(self, name: str) -> str:
        """The text the matcher sees for one field. The reference keeps inline Markdown raw, so the
        prose loses its emphasis markers here, even inside a word (``**h**ttp`` is http); code keeps its *."""
        if name == "code":
            return "\n".join(f"{c.lang}\n{c.text}" if c.lang else c.text for c in self.code)
        value = getattr(self, name)
        text = value if isinstance(value, str) else "\n".join(value)  # headings, badges, links: a line each
        return text.replace("*", "")


def normalise_markdown(text: str) -> str:
    """Give every line outside code fences a blank line of its own, and trim it.

    Scraped READMEs often lose their blank lines (as in the seed); CommonMark then reads the whole
    README as one HTML block and finds no heading. One block per line restores headings, lists and
    fences, and makes a README and its blank-line-stripped form parse alike. Where the README has blank
    lines, a prose line right under prose continues its paragraph, as CommonMark has it (so the lead is
    a whole sentence). Indented code (four columns after a blank line, outside a list) becomes a fence
    first, so usage lines and imports stay code.
    """
    lines = text.splitlines()
    return "\n".join(_Blocks(spaced="" in map(str.strip, lines)).run(lines))


class _Blocks:
    """The state of ``normalise_markdown`` between lines: the open fence, what the last line was."""

    def __init__(self, spaced: bool) -> None:
        self.out: list[str] = []
        self.spaced = spaced          # the README has blank lines: a line next to prose continues it
        self.fence: str | None = None
        self.prev_text = False        # the last line may carry a setext underline
        self.prose_before = False     # ... or a continuation line
        self.pending_tag = 0          # lines a multi-line HTML tag has taken so far
        self.blank_before = True
        self.in_list = False
        self.brackets = _BracketBudget()

    def run(self, lines: list[str]) -> list[str]:
        """Every line, in one loop: lines in a fence and blank lines (most of a README) are handled here."""
        out = self.out
        fence = None
        i, n = 0, len(lines)
        while i < n:
            raw = lines[i]
            i += 1
            line = raw.strip()
            if fence is not None:
                if line.startswith(fence) and not line[len(fence):].strip(fence[0]).strip():
                    out += [line, ""]
                    fence = self.fence = None
                else:
                    out.append(raw.rstrip())
            elif not line:
                self.prev_text = self.prose_before = False
                self.blank_before = True
            elif raw[0] in " \t" and _indented(raw):
                if self.blank_before and not self.in_list and not self.pending_tag:
                    self.prev_text = self.prose_before = False
                    i = _indented_code(lines, i - 1, out)
                else:
                    fence = self._block(line)
            else:
                self.in_list = line[0] in _LIST_STARTS and _LIST_ITEM.match(line) is not None
                fence = self._block(line)
        return out

    def _block(self, line: str) -> str | None:
        """A line that is not blank, not in a fence, not indented code; returns the fence it may open."""
        after_blank, self.blank_before = self.blank_before, False
        line = self.brackets.defuse(line)
        out = self.out
        if self.pending_tag:
            # a multi-line HTML tag (<img\n src=...\n alt=...>) stays one line, or its parts read as text
            out[-2] = f"{out[-2]} {line}"
            self.pending_tag = _open_tag(out[-2]) and self.pending_tag < 30 and self.pending_tag + 1
            return None
        m = _FENCE.match(line) if line.startswith(_FENCE_STARTS) else None
        if m and not (m.group(1)[0] == "`" and "`" in line[len(m.group(1)):]):
            self.fence = m.group(1)
            out.append(line)
            self.prev_text = self.prose_before = False
            return self.fence
        if self.prev_text and _SETEXT.match(line) and len(line) >= 2 and out:
            out[-2] = f"{'#' if line[0] == '=' else '##'} {out[-2]}"
            self.prev_text = self.prose_before = False
            return None
        first = line[0]  # prose, not a list item, heading, quote, table, tag, link definition, image
        continues = _LIST_ITEM.match(line) is None if first.isdigit() else first.isalpha() or ord(first) > 127 \
            or (first in _INLINE_STARTS and _INLINE_START.match(line) is not None)
        if self.spaced and self.prose_before and not after_blank and continues:
            out[-2] = f"{out[-2]} {line}"  # a hard-wrapped paragraph is one paragraph, as CommonMark reads it
            return None
        self.prose_before = continues
        out += [line, ""]
        self.pending_tag = 1 if _open_tag(line) else 0
        self.prev_text = not (line.startswith(("<", "|", ">", "#", "-", "*", "+")) or line[:1].isdigit())
        return None


def _tagline_like(text: str) -> bool:
    """A paragraph that may say what the project is: a sentence, not a nav bar, a label or a pointer."""
    if len(text) < 16 or any(sep in text for sep in (" | ", "·", " • ", "[!", "![", "http://", "https://")):
        return False
    if sum(ch.isalpha() for ch in text) < 12 or (text.isascii() and text.count(" ") < 3 and text[-1] != "."):
        return False  # a name, a label, a greeting: not a sentence saying what the project is
    # "Explore the docs »", "Read it in English", "#Title by Jo", "(tweet from ...)", a shouted warning
    return not (text[-1] in _CALL_TO_ACTION or _POINTER.match(text) or text[0] == "#" or _shouted(text)
                or (text[0] == "(" and text[-1] == ")"))


def _shouted(text: str) -> bool:
    """Mostly capitals: a warning ("DO NOT DISTRIBUTE ..."), not a tagline; acronyms alone do not count."""
    letters = [ch for ch in text[:120] if ch.isascii() and ch.isalpha()]
    return len(letters) >= 20 and sum(ch.isupper() for ch in letters) > 0.6 * len(letters)


def _first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence: a one-line description is one sentence.

    A sentence of one to three spaced words ("You're mid-engagement.", "Meet Tiny.") is a hook, not
    the description: the next one joins it. (Chinese and Japanese put no spaces between words.)
    """
    for m in _SENTENCE_END.finditer(text):
        if text[m.start()] not in ".!?" or text.count(" ", 0, m.start()) >= 3:
            return text[: m.start() + 1]
    return text


def _indented(raw: str) -> bool:
    """Indented four columns or more: CommonMark's indented code, when a blank line comes before."""
    return raw.startswith(("    ", "\t", " \t", "  \t", "   \t"))


def _indented_code(lines: list[str], start: int, out: list[str]) -> int:
    """An indented code block, written to ``out`` as a fence: the one-block-per-line pass would read it as prose.

    The block runs over indented and blank lines; trailing blanks are not part of it. The fence is longer
    than any backtick run inside, so no line of the code can close it. Returns the index after the block.
    """
    end = start
    while end < len(lines) and (_indented(lines[end]) or not lines[end].strip()):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    body = [_dedent4(raw) for raw in lines[start:end]]
    runs = [len(m) for m in _BACKTICKS.findall("\n".join(body))]
    fence = "`" * max(3, max(runs, default=0) + 1)
    out.append(fence)
    out.extend(body)
    out.append(fence)
    out.append("")
    return end


def _dedent4(raw: str) -> str:
    """The line less its first four columns of indentation (a tab reaches the next multiple of four)."""
    col = cut = 0
    while cut < len(raw) and col < 4 and raw[cut] in " \t":
        col = col + 1 if raw[cut] == " " else col + 4 - col % 4
        cut += 1
    return (" " * (col - 4) + raw[cut:]).rstrip()


class _BracketBudget:
    """One README's allowance of link brackets: a line's '[' beyond it become inert (see below)."""

    def __init__(self, allowance: int = MAX_LINK_BRACKETS) -> None:
        self.left = allowance

    def defuse(self, line: str) -> str:
        if "[" not in line:
            return line
        line = defuse_brackets(line)
        kept = line.count("[")
        if kept > self.left:
            cut = -1
            for _ in range(self.left):
                cut = line.find("[", cut + 1)
            line = line[: cut + 1] + line[cut + 1:].replace("[", _INERT_BRACKET)
            kept = self.left
        self.left -= kept
        return line


def defuse_brackets(line: str) -> str:
    """Make each '[' that no ']' closes, or that is nested deeper than any link, plain text.

    markdown-it tries a link at every '[' and scans ahead for its label: tens of microseconds per
    bracket, so a line of 500,000 '![' took a minute. Such a '[' becomes the full-width '［', which
    markdown-it reads as a letter and NFKC (the matcher's normalisation) turns back into '['.
    Balanced brackets (badges, links, ``[1]``) are untouched, and so is any line with few brackets.
    """
    if line.count("[") < _BRACKETS_CHECKED_FROM:
        return line
    if "]" not in line:
        return line.replace("[", _INERT_BRACKET)
    tokens = [(m.start(), m.group(0)) for m in _BRACKET.finditer(line) if m.group(0) in "[]"]
    opened: list[int] = []
    closes: set[int] = set()
    for pos, ch in tokens:
        if ch == "[":
            opened.append(pos)
        elif opened:
            opened.pop()
            closes.add(pos)
    unclosed = set(opened)
    inert: list[int] = list(opened)
    depth = 0  # among matched pairs only: an unclosed '[' encloses nothing
    for pos, ch in tokens:
        if ch == "[" and pos not in unclosed:
            if depth >= _MAX_BRACKET_DEPTH:
                inert.append(pos)
            depth += 1
        elif pos in closes:
            depth -= 1
    if not inert:
        return line
    chars = list(line)
    for i in inert:
        chars[i] = _INERT_BRACKET
    return "".join(chars)


def _open_tag(line: str) -> bool:
    """The line ends inside an HTML tag: a '<' + letter after the last '>'."""
    lt = line.rfind("<")
    return lt >= 0 and lt > line.rfind(">") and lt + 1 < len(line) and line[lt + 1].isalpha()


class _HtmlText(HTMLParser):
    """Reduce an HTML fragment to text, image alt/src, link hrefs and heading text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.images: list[tuple[str, str]] = []
        self.hrefs: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self._heading: int | None = None
        self._heading_text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "img":
            self.images.append((a.get("alt", ""), a.get("src", "") or a.get("data-src", "")))
        elif tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._heading, self._heading_text = int(tag[1]), []
        elif tag in ("br", "p", "div", "li", "tr", "td", "summary", "details"):
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._heading_text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading_text.append(data)
        else:
            self.text.append(data)


def defuse_html(fragment: str) -> str:
    """Drop comments and escape every '<' that does not open a complete tag, before HTMLParser sees it.

    HTMLParser rescans the rest of its buffer from each '<' it cannot finish, so 30,000 ``<a ``
    took minutes (quadratic). Here a '<' survives only when a '>' comes before the next '<': one
    linear pass. Comments are cut first (HTMLParser drops them anyway) so a commented-out ``<img>``
    stays out; only comments that end are matched, which keeps that search linear too.
    """
    if "<" not in fragment:
        return fragment
    end = fragment.rfind("-->")
    if end >= 0:
        fragment = _HTML_COMMENT.sub("", fragment[: end + 3]) + fragment[end + 3:]
    return _STRAY_LT.sub("&lt;", fragment)


@dataclass(frozen=True)
class HtmlParts:
    """What an HTML fragment holds for tagging: its text, images (alt, src), link hrefs, headings."""

    text: str
    images: tuple[tuple[str, str], ...]
    hrefs: tuple[str, ...]
    headings: tuple[tuple[int, str], ...]


#: Fragments up to this long are remembered: half of a README's tags (``</a>``, ``<br>``, ``<p align=
#: "center">``) were seen before, and HTMLParser is a tenth of the fast path's time.
_HTML_CACHED_CHARS = 1000


def _html(fragment: str) -> HtmlParts:
    return _html_cached(fragment) if len(fragment) <= _HTML_CACHED_CHARS else _html_parse(fragment)


def _html_parse(fragment: str) -> HtmlParts:
    parser = _HtmlText()
    try:
        parser.feed(defuse_html(fragment))
        parser.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; a malformed fragment must not stop tagging
        pass
    return HtmlParts("".join(parser.text), tuple(parser.images), tuple(parser.hrefs), tuple(parser.headings))


_html_cached = lru_cache(maxsize=4096)(_html_parse)


def is_badge(src: str) -> bool:
    low = src.lower()
    return any(h in low for h in _BADGE_HOSTS) or low.endswith(".svg") and "badge" in low


def url_words(url: str) -> str:
    """Domain and path of a URL as words: ``https://img.shields.io/pypi/v/x`` -> 'img.shields.io pypi v x'."""
    url = url.strip()
    parts = split_url(url)
    if parts is None:
        try:
            split = urlsplit(url)
        except ValueError:
            return ""
        parts = split.netloc, split.path + ("?" + split.query if split.query else "")
    netloc, path = parts
    if "%" in path:
        path = unquote(path)
    return f"{netloc.lower()} {' '.join(filter(None, _URL_SPLIT.split(path)))}".strip()


_SCHEME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."


def split_url(url: str) -> tuple[str, str] | None:
    """``(netloc, path[?query])`` as ``urllib.parse.urlsplit`` gives them, for the URLs READMEs hold:
    printable ASCII without brackets, whose scheme (if any) starts with a letter. None for any other
    URL, which urlsplit itself reads (it costs a third of the fast path's walk: 30 links a README).
    tests/test_document.py holds the two equal."""
    if not (url.isascii() and url.isprintable()) or "[" in url or "]" in url:
        return None
    url = url.lstrip(" ")  # urlsplit's lstrip of C0 controls and space, for printable ASCII
    colon = url.find(":")
    if colon > 0 and not url[:colon].strip(_SCHEME_CHARS):
        if not url[0].isalpha():
            return None  # Python versions differ on a scheme that starts with a digit or a sign
        url = url[colon + 1:]
    netloc = ""
    if url[:2] == "//":
        end = len(url)
        for c in "/?#":
            at = url.find(c, 2)
            if 0 <= at < end:
                end = at
        netloc, url = url[2:end], url[end:]
    if "#" in url:
        url = url[:url.index("#")]
    path, _, query = url.partition("?")
    return netloc, (path + "?" + query if query else path)


def split_urls(text: str) -> tuple[str, list[str]]:
    """Prose without its URLs, and the URLs: an address is where a thing lives, not what it is about.

    ``[在线演示](http://example.com/http/)`` keeps its text; the URL (like a bare one) goes to the links
    field, so its words ("http", "demo") never count as the description or body saying them.
    """
    if "://" not in text and "www." not in text:
        return text, []
    urls: list[str] = []

    def link(m: re.Match) -> str:
        urls.append(m.group(2))
        return m.group(1)

    def bare(m: re.Match) -> str:
        url = m.group(0).rstrip(_URL_TAIL)
        urls.append(url)
        return " " + m.group(0)[len(url):]

    text = sub_bare_urls(bare, _MD_LINK.sub(link, text))
    return text, urls


#: How far before its '://' a bare URL starts at most: _BARE_URL's longest scheme.
_SCHEME_REACH = 16


def sub_bare_urls(replace: Callable[[re.Match], str], text: str) -> str:
    """``_BARE_URL.sub(replace, text)``, with the pattern tried only where a match can start: up to
    _SCHEME_REACH characters before a '://', or at a 'www.'. The regex alone tries every character of a
    README body, a tenth of building its Document on the fast path. Linear: each marker is found once
    and tried at most _SCHEME_REACH + 1 times. tests/test_document.py holds the two equal."""
    pieces: list[str] = []
    pos = 0                       # the text before this is copied or replaced; no match starts before it
    scheme = text.find("://")
    www = text.find("www.")
    while scheme >= 0 or www >= 0:
        marker = scheme if www < 0 or 0 <= scheme < www else www
        found = None
        for start in range(max(pos, marker - _SCHEME_REACH), marker + 1):
            found = _BARE_URL.match(text, start)
            if found is not None:
                break
        after = marker + 1
        if found is not None:
            pieces += [text[pos:found.start()], replace(found)]
            pos = after = found.end()
        if scheme >= 0 and scheme < after:
            scheme = text.find("://", after)
        if www >= 0 and www < after:
            www = text.find("www.", after)
    pieces.append(text[pos:])
    return "".join(pieces)


_PUNCT = re.compile(r"[^\w\s]")


#: A line that sends the reader elsewhere (to the docs, a website, a translation), said first.
_POINTER = re.compile(
    r"\W*(read (it |this |the docs |more )?(on|in) |read the (docs|documentation)\b"
    r"|visit (the|our|its|plugin|project)\b|click "
    r"|see (the |our )?(full |complete )?(docs|documentation|website|wiki)\b"
    r"|(for [^,.]{1,30}, )?check ?out (the|our)\b|welcome to the (official )?\S+ (docs|documentation)\b"
    r"|(请|請)?(查看|参阅|參閱|访问|訪問)(官方)?(文档|文檔|网站|網站)"
    r"|(the )?(full |complete )?documentation (is|can be) (available|found|at)\b"
    r"|(note|notes|important|notice|caution|attention|deprecated|update)\W*:|warning\b|(注意|重要|提示|公告)\W*[:：]"
    r"|see (the |a )?(live |online )?demo\b|also see\b|if you('re| are) using\b[^.]*\bsee\b"
    r"|hello,? (everyone|there|all|folks|friends|\S+ users)\b"  # a greeting
    r"|(photos?|images?|pictures?|logos?|artwork|illustrations?|icons?) (by|from|courtesy)\b|inspired by\b"
    r"|by [^,.]{2,40}(,| and )"  # credits: who drew the logo, who wrote it
    r"|install (it )?(with|via|using|from)\b|(the )?(simplest|easiest|quickest|fastest|recommended) way to\b"
    r"|(pip3?|npm|yarn|pnpm|go|cargo|brew|gem|composer|apt|apt-get) (install|get|add|i) "  # a command as text
    r"|(home|homepage|website|email|e mail|contact|docs|documentation|chat|discord)\s?[:：]"  # contact lines
    r"|(请|請)?(点击|點擊)"  # "click here"
    r"|\[[^\]]*\](\[|:\s)"  # a reference link or definition left as text
    r"|we (accept|welcome) (submissions|contributions|pull requests|prs)\b"
    r"|(english|chinese|中文)\b[^.]{0,20}\btranslat"  # a note on the README's language
    r"|\.\.\.|…|\d{1,2}\s?[:：、.)](?!\d))",  # a fragment carried on from elsewhere, a numbered step
    re.IGNORECASE)
#: A first sentence that says the project's state, not what it is ("This repository is no longer maintained").
_NOTICE = re.compile(
    r"\bno longer (actively )?(maintained|developed|supported|updated|under (active )?development)\b"
    r"|\b(is|has been|was) (now )?(deprecated|archived|unmaintained|discontinued)\b"
    r"|\b(has )?moved (from|to)\b|\bplease cite\b|不再维护|不再維護|停止维护|停止維護"
    r"|\b(is |are )?(dual )?licensed under\b|\bfor (educational|research|learning) purposes only\b"
    r"|\b(is|are) (still |currently )?(in|under) (active |heavy )?(beta|alpha|development)\b"
    r"|\bexpect breaking changes\b|\b(release|version)\b[^.]{0,40}\b(is )?(now )?(out|available|released)\b"
    r"|请查看|請查看|请参阅|請參閱|请参考|請參考|详见|詳見"
    r"|仅供(学习|研究|参考|交流)|僅供(學習|研究|參考|交流)|禁止用于|禁止用於",
    re.IGNORECASE)
#: What ends a link label that asks to be clicked (a nav bar's "Read the docs »").
_CALL_TO_ACTION = frozenset("»›→⟶➜➔▶")  # not ">": a tagline may end in a type, HashMap<K, V>


#: What a README's sections are called: a first heading that is one of these, with no level-1 heading
#: before it, names a section ("Features", "简介"), not the project, so the README has no title.
_SECTION_NAMES = frozenset({
    "features", "feature", "overview", "introduction", "intro", "getting started", "quick start", "quickstart",
    "installation", "install", "usage", "documentation", "docs", "links", "resources", "example", "examples",
    "demo", "demos", "screenshot", "screenshots", "contents", "table of contents", "toc", "about", "motivation",
    "performance", "details", "releases", "release notes", "changelog", "faq", "need help", "support",
    "requirements", "prerequisites", "background", "description", "summary", "highlights", "news",
    "announcement", "status", "preview", "guided tour", "how it works", "key features", "main features",
    "功能", "功能特性", "特性", "特点", "简介", "介绍", "项目介绍", "项目简介", "概述", "说明", "文档", "安装", "使用",
    "目录", "演示", "截图", "预览", "機能", "概要", "はじめに", "インストール", "使い方"})


def _is_section_name(heading: str) -> bool:
    """The heading, without emoji and punctuation, is a section's name (``✨ Features``, ``📚 文档``)."""
    return " ".join(_PUNCT.sub(" ", heading.casefold()).split()) in _SECTION_NAMES


def _is_boilerplate(heading: str, boilerplate: tuple[str, ...]) -> bool:
    """The heading is one of ``boilerplate``, starts with one and a space, or holds a non-ASCII one."""
    h = " ".join(_PUNCT.sub(" ", heading.casefold()).split())
    if not h:
        return False
    exact, prefixes, inside = _boilerplate_index(boilerplate)
    return h in exact or h.startswith(prefixes) or (not h.isascii() and any(b in h for b in inside))


@lru_cache(maxsize=16)
def _boilerplate_index(boilerplate: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """One rule set's boilerplate headings as a set, a prefix tuple and the non-ASCII ones (one C call each)."""
    return (frozenset(boilerplate), tuple(b + " " for b in boilerplate),
            tuple(b for b in boilerplate if not b.isascii()))


class _Collector:
    """Accumulates fields while walking the token stream once."""

    def __init__(self, boilerplate: tuple[str, ...]) -> None:
        self.boilerplate = boilerplate
        self.title = ""
        self.headings: list[str] = []
        self.badges: list[str] = []
        self.links: list[str] = []
        self.code: list[CodeBlock] = []
        self.body: list[str] = []
        self.skip_level = 0  # heading level whose section is boilerplate; 0 = none
        self.lead = ""       # the README's first real sentence: the description when none is given
        self.counts = {"headings": 0, "list_items": 0, "link_list_items": 0, "code_blocks": 0,
                       "images": 0, "badges": 0, "links": 0, "tables": 0, "boilerplate_sections": 0}

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        if self.skip_level and level <= self.skip_level:
            self.skip_level = 0
        if _is_boilerplate(text, self.boilerplate):
            self.skip_level = level
            self.counts["boilerplate_sections"] += 1
            return
        if self.skip_level:
            return
        self.counts["headings"] += 1
        if not self.title and level == 1:
            self.title = text
        self.headings.append(text)

    def offer_lead(self, text: str) -> None:
        """Keep the first prose paragraph that reads like a tagline (not a language switcher or nav bar)."""
        if self.lead or self.skip_level:
            return
        text = " ".join(text.split())
        if _tagline_like(text):
            lead = _first_sentence(text[:300])
            # "No longer maintained." is the project's state, and "Tired of slow queues?" a hook: not what it is
            if not _NOTICE.search(lead) and lead[-1:] not in "?？":
                self.lead = lead

    def image(self, alt: str, src: str) -> None:
        self.counts["images"] += 1
        if self.skip_level:
            return
        if is_badge(src):
            self.counts["badges"] += 1
            self.badges.append(f"{alt} {url_words(src)}".strip())
        elif alt:
            self.body.append(alt)

    def link(self, href: str) -> None:
        if self.skip_level or not href or href.startswith("#"):
            return
        self.counts["links"] += 1
        words = url_words(href)
        if words:
            self.links.append(words)

    def html(self, fragment: str) -> None:
        parsed = _html(fragment)
        for level, text in parsed.headings:
            self.heading(level, text)
        for alt, src in parsed.images:
            self.image(alt, src)
        for href in parsed.hrefs:
            self.link(href)
        text = parsed.text.strip()
        if text and not self.skip_level:
            self.body.append(text)
            for line in text.splitlines():
                self.offer_lead(line)

    def inline_html(self, fragment: str, parts: list[str]) -> None:
        """An inline tag (``<img>``, ``<a href>``, ``<b>``): images and links routed, its text kept."""
        parsed = _html(fragment)
        for alt, src in parsed.images:
            self.image(alt, src)
        for href in parsed.hrefs:
            self.link(href)
        parts.append(parsed.text)

    def paragraph(self, text: str, in_list: bool, starts_with_link: bool) -> None:
        """The text of one paragraph (or tight list item), its links and images already routed."""
        if in_list and starts_with_link:
            self.counts["link_list_items"] += 1
        if text and not self.skip_level:
            self.body.append(text)
            if not in_list:
                self.offer_lead(text)

    def code_block(self, lang: str, content: str) -> None:
        self.counts["code_blocks"] += 1
        if not self.skip_level:
            self.code.append(CodeBlock(lang, content[:20_000]))

    def finish(self, description: str, truncated: bool) -> Document:
        """The Document: shared by every parser, so they agree on the rest. URLs in prose go to links."""
        if not self.title and self.headings and not _is_section_name(self.headings[0]):
            self.title = self.headings[0]
        body, body_urls = split_urls("\n".join(self.body))
        counts = dict(self.counts)
        counts["body_chars"] = len(body)
        counts["self_command_lines"] = self_command_lines(self.title, self.code)
        description, description_urls = split_urls(" ".join(description.split()))
        found = (u if "://" in u else f"http://{u}" for u in description_urls + body_urls)
        links = [*self.links, *(w for w in map(url_words, found) if w)]
        return Document(
            title=self.title, description=_with_lead(" ".join(description.split()), self.title, self.lead),
            headings=tuple(self.headings), badges=tuple(self.badges), links=tuple(links),
            code=tuple(self.code), body=body, features=MappingProxyType(counts), truncated=truncated,
        )


def self_command_lines(title: str, code: Sequence[CodeBlock]) -> int:
    """Code lines that run the project by its own name (``$ tinytool build file``): a program run from a
    shell. An assignment or call (``tinytool = ...``, ``tinytool(...)``) is not a command line. Without
    a title, the name is what the README installs (``go get github.com/someone/tinytool``)."""
    m = _TITLE_NAME.match(title) if code else None
    name = m.group(1) if m else _installed_name(code) if code and not title else ""
    if not name:
        return 0
    name = name.lower() + " "
    count = 0
    for block in code:
        text = block.text.lower()
        if name not in text:
            continue
        for line in text.splitlines():
            line = line.lstrip()
            if line.startswith("$ "):
                line = line[2:]
            if line.startswith(name) and line[len(name):].lstrip()[:1] not in ("=", "(", ":", "{"):
                count += 1
    return count


#: An install command and its package (flags skipped): the last part of its path, before any @version.
_INSTALL = re.compile(r"(?:^|\n)\$? ?(?:go (?:get|install)|cargo install|pipx? install|pip3 install|npm (?:install|i)"
                      r"|brew install|gem install)(?: -\S+)* ([^\s@]+)")


def _installed_name(code: Sequence[CodeBlock]) -> str:
    """The name of the first package a code block installs, or ""."""
    for block in code:
        m = _INSTALL.search(block.text)
        if m:
            found = _PROJECT_NAME.match(m.group(1).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))
            return found.group(0) if found else ""
    return ""


def _with_lead(description: str, title: str, lead: str) -> str:
    """The description, or the README's lead where there is none. A description of a few words that
    only repeats the title ("This Is Responsive.") names the project without saying what it is: the
    lead is read after it."""
    if not description:
        return lead
    words = _WORD.findall(description.casefold())
    if lead and len(words) <= 4 and set(words) <= set(_WORD.findall(title.casefold())):
        return f"{description} {lead}"
    return description


def fence_lang(info: str) -> str:
    """A fence's language: the first word of its info string, lower-cased, at most 20 characters."""
    return info.strip().split(" ")[0].lower()[:20]


def prepare(readme: str) -> tuple[str, bool]:
    """The README as every backend parses it: bounded, invisible characters dropped, one block per line."""
    truncated = len(readme) > MAX_README_CHARS
    if truncated:
        readme = readme[:MAX_README_CHARS]
    if readme.count("\n") >= MAX_README_LINES:  # each line is a block: ~50 us apiece in markdown-it
        readme = "\n".join(readme.split("\n", MAX_README_LINES)[:MAX_README_LINES])
        truncated = True
    readme = drop_invisible(readme).replace("\x00", " ")
    if looks_like_rst(readme):
        readme = rst_to_markdown(readme)
    return normalise_markdown(readme), truncated


def drop_invisible(text: str) -> str:
    """Zero-width characters out (``str.replace`` per character: 20x faster than ``str.translate``)."""
    if text.isascii():
        return text
    for ch in _INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    return text


def extract(readme: str, description: str = "", boilerplate: tuple[str, ...] = _BOILERPLATE_DEFAULT,
            parser: str | None = None) -> Document:
    """Parse a README once and collect every field; never raises on any text.

    ``parser`` names the backend (``parsers.PARSERS``; default: ``HEURISTAG_PARSER``, else the fast
    one when installed). Every backend gives the same Document: markdown-it-py is the reference.
    """
    from .parsers import walker

    markdown, truncated = prepare(readme)
    collector = _Collector(boilerplate)
    walker(parser)(markdown, collector)
    return collector.finish(description, truncated)


