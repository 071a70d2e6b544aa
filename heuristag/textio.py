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


def decode_bytes(data: bytes, where: str) -> str:
    """Decode README/prompt bytes: BOMs honoured, UTF-8 first, else a CJK legacy encoding when sure.

    Legacy encodings (GBK, Big5, Shift-JIS, EUC) are only accepted when charset-normalizer is
    confident; a guess that turns Chinese into mojibake would silently produce wrong tags.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise HeuristagError(where, f"invalid {encoding} after its byte order mark at byte {exc.start}") from None
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise HeuristagError(where, f"binary data (NUL byte at offset {nul}), not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = _decode_legacy(data, where, exc.start)
    if "\x00" in text:
        raise HeuristagError(where, f"binary data (NUL byte at offset {text.index(chr(0))}), not a text file")
    return text


def _decode_legacy(data: bytes, where: str, bad_at: int) -> str:
    from charset_normalizer import from_bytes  # lazy: only non-UTF-8 input pays for the import

    best = from_bytes(data[:200_000], cp_isolation=["gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1252"]).best()
    if best is None or best.chaos > 0.2:
        raise HeuristagError(where, f"not UTF-8 (invalid byte at offset {bad_at}) and no encoding could be detected reliably")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise HeuristagError(where, f"not UTF-8 (invalid byte at offset {bad_at}); {best.encoding} did not decode it either") from None


def read_text_file(path: str | Path) -> str:
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
    return decode_bytes(data, where)
