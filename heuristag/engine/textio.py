"""Turning bytes from files and pipes into text, with a clear error for anything that is not text."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

from .errors import HeuristagError

#: Files larger than this are refused outright: nothing a README or prompt should be.
MAX_FILE_BYTES = 64 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def check_encoding(name: str, where: str = "encoding") -> str:
    """The codec's canonical name; an unknown name, or a bytes-to-bytes codec (base64), is an error."""
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError, ValueError):
        raise HeuristagError(where, f"unknown encoding {name!r}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise HeuristagError(where, f"{name!r} is not a text encoding")
    return info.name


def decode_bytes(data: bytes, where: str, encoding: str | None = None) -> str:
    """Decode README/prompt bytes: BOMs honoured, UTF-8 first, else a legacy encoding when sure.

    Legacy encodings (GBK, Big5, Shift-JIS, EUC, Windows-1252) are only accepted when one of them
    clearly fits (see ``detect_legacy``); a guess that turns Chinese into mojibake would silently
    produce wrong tags, so anything ambiguous is a clear error instead. ``encoding`` (the user's
    ``--encoding``) skips detection for the Latin-1 or GBK file it refuses.
    """
    if encoding is not None:
        return _decode_as(data, where, encoding)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise HeuristagError(where, f"invalid {encoding} after its byte order mark "
                                            f"at byte {exc.start}") from None
            return _check_text(text, where)
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise HeuristagError(where, f"binary data (NUL byte at offset {nul}), not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = _decode_legacy(data, where, exc.start)
    return _check_text(text, where)


def _decode_as(data: bytes, where: str, encoding: str) -> str:
    name = check_encoding(encoding)
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        raise HeuristagError(where, f"not valid {name} (invalid byte at offset {exc.start})") from None
    return _check_text(text.removeprefix("\ufeff"), where)


def _check_text(text: str, where: str) -> str:
    if "\x00" in text:
        raise HeuristagError(where, f"binary data (NUL character at offset {text.index(chr(0))}), not a text file")
    if not text.strip():
        raise HeuristagError(where, "file is empty")
    return text


# ---------------------------------------------------------------- legacy encodings

#: How many bytes the detector looks at (the whole file is decoded once the encoding is chosen).
_SAMPLE_BYTES = 256 * 1024
#: The winner must have at least this share of typical characters and beat the next by this margin.
_MIN_SHARE = 0.9
_MARGIN = 0.2
#: Japanese text without kana is implausible: below this share of kana a Japanese encoding scores 0;
#: above the second share the kana rows (which only Japanese text fills) decide for it.
_MIN_KANA_SHARE = 0.05
_DECISIVE_KANA_SHARE = 0.2
_DECISIVE_KANA_COUNT = 10


def _leads(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(b for lo, hi in ranges for b in range(lo, hi + 1))


# encoding -> (codec that classifies a character by its bytes, symbol rows, common rows, least trail byte
# in the common rows). Common rows hold the frequent (level 1) ideographs or hangul; a text decoded with
# the wrong codec lands in rare rows, half-width katakana or bytes the codec refuses.
_CJK_PROFILES: dict[str, tuple[str, frozenset[int], frozenset[int], int]] = {
    "gb18030": ("gbk", _leads((0xA1, 0xA9)), _leads((0xB0, 0xF7)), 0xA1),
    "big5": ("big5", _leads((0xA1, 0xA3)), _leads((0xA4, 0xC6)), 0x40),
    "shift_jis": ("shift_jis", _leads((0x81, 0x82)), _leads((0x88, 0x9F)), 0x40),
    "euc_jp": ("euc_jp", _leads((0xA1, 0xA3)), _leads((0xB0, 0xCF)), 0xA1),
    "euc_kr": ("euc_kr", _leads((0xA1, 0xA3)), _leads((0xB0, 0xC8)), 0xA1),
}
_JAPANESE = ("shift_jis", "euc_jp")
_CP1252_SYMBOLS = frozenset("©®°±«»·×÷§€£–—‘’“”…•™")


def _is_kana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff"


def _cjk_share(text: str, encoding: str) -> float:
    """Share of the non-ASCII characters that sit in the symbol or common rows of ``encoding``.

    Kana-rich text that decodes cleanly as a Japanese encoding scores above 1: decisive.
    """
    codec, symbols, common, min_trail = _CJK_PROFILES[encoding]
    japanese = encoding in _JAPANESE
    total = typical = kana = 0
    for ch in text:
        if ch < "\x80":
            continue
        total += 1
        if _is_kana(ch):
            kana += 1
            typical += japanese
            continue
        try:
            b = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        typical += b[0] in symbols or (b[0] in common and len(b) == 2 and b[1] >= min_trail)
    if not total or (japanese and kana < _MIN_KANA_SHARE * total):
        return 0.0
    share = typical / total
    decisive = japanese and share >= _MIN_SHARE and kana >= max(_DECISIVE_KANA_COUNT, _DECISIVE_KANA_SHARE * total)
    return share + 1.0 if decisive else share


def _cp1252_share(text: str) -> float:
    """Western text: lower-case accented letters and typographic symbols, one or two between ASCII.

    An upper-case accented letter counts when a lower-case letter follows (``École``); CJK bytes
    read as Windows-1252 give runs of symbols and capitals instead.
    """
    total = typical = run = good = 0
    padded = text + " "
    for i, ch in enumerate(text):
        if ch < "\x80":
            typical += good if run <= 2 else 0
            run = good = 0
            continue
        total += 1
        run += 1
        nxt = padded[i + 1]
        good += (ch.isalpha() and ch.islower()) or ch in _CP1252_SYMBOLS or (
            ch.isupper() and nxt.isalpha() and nxt.islower())
    typical += good if run <= 2 else 0
    return typical / total if total else 0.0


def _decode_sample(sample: bytes, encoding: str, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=final)
    except UnicodeDecodeError:
        return None


def detect_legacy(data: bytes) -> tuple[str | None, dict[str, float]]:
    """The one legacy encoding that clearly fits ``data``, or None, and every candidate's score.

    No statistical guesser (and no dependency): each candidate must decode the sample strictly, and
    its characters must fall in the rows real text in that encoding uses. The best must reach
    ``_MIN_SHARE`` and beat the runner-up by ``_MARGIN``; otherwise the answer is None.
    """
    sample = data[:_SAMPLE_BYTES]
    final = len(data) <= _SAMPLE_BYTES
    scores: dict[str, float] = {}
    for encoding in (*_CJK_PROFILES, "cp1252"):
        text = _decode_sample(sample, encoding, final)
        if text is not None:
            scores[encoding] = _cp1252_share(text) if encoding == "cp1252" else _cjk_share(text, encoding)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked or ranked[0][1] < _MIN_SHARE:
        return None, scores
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _MARGIN:
        return None, scores
    return ranked[0][0], scores


def _decode_legacy(data: bytes, where: str, bad_at: int) -> str:
    encoding, scores = detect_legacy(data)
    if encoding is None:
        fits = [e for e, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if s >= _MIN_SHARE - _MARGIN]
        maybe = f" (could be {' or '.join(fits)})" if fits else ""
        raise HeuristagError(where, f"not UTF-8 (invalid byte at offset {bad_at}) and its encoding cannot be "
                                    f"detected reliably{maybe}; name it with --encoding (encoding= in Python) or "
                                    "convert it to UTF-8 first (iconv -f ENCODING -t UTF-8)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise HeuristagError(where, f"not UTF-8 (invalid byte at offset {bad_at}); it looks like {encoding}, "
                                    f"but byte {exc.start} is not valid {encoding} either") from None


def read_text_file(path: str | Path, encoding: str | None = None) -> str:
    """Read a text file or ``-`` (stdin); every failure is a one-line HeuristagError naming the path."""
    where = "<stdin>" if str(path) == "-" else str(path)
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        p = Path(path)
        try:
            if p.is_dir():
                raise HeuristagError(where, "is a directory, not a file")
            size = p.stat().st_size
            if size > MAX_FILE_BYTES:
                raise HeuristagError(where, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
            data = p.read_bytes()
        except FileNotFoundError:
            raise HeuristagError(where, "no such file") from None
        except PermissionError:
            raise HeuristagError(where, "permission denied") from None
        except OSError as exc:
            raise HeuristagError(where, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise HeuristagError(where, f"input is over the limit of {MAX_FILE_BYTES:,} bytes")
    if not data.strip():
        raise HeuristagError(where, "file is empty")
    return decode_bytes(data, where, encoding)
