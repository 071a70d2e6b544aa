"""`heuristag batch --resume`: carry on an output that a killed run left, so the result is byte-identical.

Every batch writing to a file first writes a fingerprint beside it (``OUT.heuristag-resume.json``): what
made the output (heuristag's version, the input's size and the hash of its first and last MiB, every
rule and vocabulary file's content, the options that change output bytes) and whether the run
completed. The output only ever grows by whole lines (batch.py flushes after whole lines), so after any
kill, even SIGKILL, the file is a prefix of the uninterrupted output plus at most one torn line. Resuming
keeps the complete records, cuts the torn line, skips that many input records and appends the rest.
``--workers`` and ``--parser`` are not in the fingerprint: they never change the bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.errors import HeuristagError

SUFFIX = ".heuristag-resume.json"
FORMAT = 1
_EDGE = 1 << 20  # bytes hashed at each end of the input
_WHAT = {"version": "another heuristag version", "input": "another input", "rules": "other rules or vocabulary",
         "options": "other options"}


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run starts: ``records`` complete in the first ``offset`` bytes, ``errors`` of them."""

    records: int
    offset: int
    errors: int


def fingerprint_path(output: str) -> Path:
    return Path(output + SUFFIX)


def fingerprint(input_path: str, rule_paths: list[str], builtin: str | None, options: dict[str, Any]) -> dict:
    """What made an output: the same dict means the same bytes."""
    from .. import __version__

    return {"heuristag_resume": FORMAT, "version": __version__, "input": _input_identity(input_path),
            "rules": _files_digest([*([builtin] if builtin else []), *rule_paths]), "options": options}


def _input_identity(path: str) -> dict[str, Any]:
    """A JSONL file: its size and the hash of its ends; a folder: the hash of its listing (paths, sizes)."""
    p = Path(path)
    digest = hashlib.sha256()
    if p.is_dir():
        from .batch import walk_files

        count = 0
        for file, error in walk_files(p):
            size = -1 if error is not None else _size(file)
            digest.update(f"{file.relative_to(p).as_posix()}\0{size}\n".encode("utf-8", "surrogateescape"))
            count += 1
        return {"folder": True, "files": count, "sha256": digest.hexdigest()}
    size = _size(p)
    with open(p, "rb") as f:
        digest.update(f.read(_EDGE))
        if size > _EDGE:
            f.seek(max(_EDGE, size - _EDGE))
            digest.update(f.read(_EDGE))
    return {"folder": False, "bytes": size, "sha256_ends": digest.hexdigest()}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _files_digest(paths: list[str]) -> str:
    """The content of every file under each path (a file or a folder tree), in a fixed order."""
    digest = hashlib.sha256()
    for root in paths:
        p = Path(root)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        digest.update(f"root {root}\n".encode("utf-8", "surrogateescape"))
        for f in files:
            rel = f.relative_to(p).as_posix() if p.is_dir() else f.name
            try:
                data = f.read_bytes()
            except OSError:
                data = b"\0unreadable"
            digest.update(f"{rel}\0{len(data)}\n".encode("utf-8", "surrogateescape"))
            digest.update(data)
    return digest.hexdigest()


def write(output: str, print_: dict, complete: bool) -> None:
    """Write (atomically: a torn fingerprint would refuse a good resume) the fingerprint beside OUT."""
    path = fingerprint_path(output)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps({**print_, "complete": complete}, indent=1, sort_keys=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise HeuristagError(str(path), f"cannot write the resume fingerprint: {exc.strerror or exc}") from None


def resume_point(output: str, print_: dict, csv: bool) -> ResumePoint | None:
    """None: nothing to resume (no OUT yet); else where to carry on. A mismatch is a one-line error."""
    out = Path(output)
    if not out.exists():
        return None
    path = fingerprint_path(output)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeuristagError(output, f"--resume: exists but has no fingerprint {path.name} beside it, so it cannot "
                                     "be shown to come from this command: remove it, or run without --resume") from None
    except (OSError, ValueError) as exc:
        raise HeuristagError(str(path), f"--resume: unreadable fingerprint ({exc}): remove {output} and it") from None
    stored.pop("complete", None)
    if not isinstance(stored, dict) or stored != print_:
        differ = [what for key, what in _WHAT.items() if not isinstance(stored, dict)
                  or stored.get(key) != print_.get(key)] or ["another fingerprint format"]
        raise HeuristagError(output, f"--resume: it was made with {' and '.join(differ)} than this command: "
                                     "remove it, or run without --resume to start again")
    return complete_prefix(out.read_bytes(), csv)


def complete_prefix(data: bytes, csv: bool) -> ResumePoint:
    """The complete records at the start of an output (a CSV's header is not one) and their errors."""
    end = 0
    rows: list[bytes] = []
    if csv:
        quoted = False
        start = 0
        for i, byte in enumerate(data):
            if byte == 0x22:
                quoted = not quoted
            elif byte == 0x0A and not quoted and i > 0 and data[i - 1] == 0x0D:
                rows.append(data[start:i + 1])
                start = end = i + 1
        header = 1 if rows else 0
        errors = sum(_csv_error(row) for row in rows[1:])
        return ResumePoint(len(rows) - header, end, errors)
    end = data.rfind(b"\n") + 1
    lines = data[:end].splitlines()
    return ResumePoint(len(lines), end, sum(_jsonl_error(line) for line in lines))


def _jsonl_error(line: bytes) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return True
    return isinstance(record, dict) and "error" in record


def _csv_error(row: bytes) -> bool:
    import csv
    import io

    cells = next(csv.reader(io.StringIO(row.decode("utf-8", "replace"))), [])
    return len(cells) >= 4 and bool(cells[3])
