"""How a batch's records are written: JSON lines (the default) or CSV a spreadsheet opens as is.

Workers always produce the JSON line; the writer in the parent turns it into the output format, so
every format carries exactly the same answers in the same order, errors included.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.errors import HeuristagError

OUTPUT_FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("id", "tags", "tag_ids", "error")
#: A spreadsheet runs a cell starting with these as a formula; a leading quote keeps it text (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def output_format_for(output: str, requested: str | None) -> str:
    """``--output-format`` when given, else by the output's extension: ``.csv`` is CSV, anything else JSONL."""
    if requested is not None:
        if requested not in OUTPUT_FORMATS:
            raise HeuristagError("--output-format",
                                 f"unknown format {requested!r} (one of {', '.join(OUTPUT_FORMATS)})")
        return requested
    return "csv" if Path(output).suffix.lower() == ".csv" else "jsonl"


def header(fmt: str) -> bytes:
    """What the file starts with: for CSV a UTF-8 BOM (Excel then reads UTF-8, not the locale's code page)
    and the header row."""
    if fmt == "csv":
        return b"\xef\xbb\xbf" + _csv_line(list(CSV_COLUMNS))
    return b""


def row_writer(fmt: str) -> Callable[[bytes], bytes]:
    """The function turning one record's JSON line into the bytes written for it."""
    return csv_row if fmt == "csv" else _jsonl_row


def _jsonl_row(line: bytes) -> bytes:
    return line + b"\n"


def csv_row(line: bytes) -> bytes:
    """One CSV row from a record's JSON line: id, tag names and ids joined by ``;``, the error if any."""
    record = json.loads(line)
    tags = record.get("tags") or []
    names = [t["name"] if isinstance(t, dict) else str(t) for t in tags]
    ids = [_text(t.get("id")) for t in tags if isinstance(t, dict) and t.get("id") is not None]
    ident = record.get("id")  # null: an error record whose own id could not be read (its line is in the error)
    return _csv_line(["" if ident is None else _text(ident), ";".join(names), ";".join(ids), record.get("error", "")])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_safe(c) for c in cells])
    return out.getvalue().encode("utf-8", "backslashreplace")


def _safe(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
