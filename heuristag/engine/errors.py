"""One exception type for every input problem, so the CLI can print one line and exit cleanly."""

from __future__ import annotations


class HeuristagError(Exception):
    """A problem with the user's input: names the place (file, line, field) and what is wrong.

    Everything a user can get wrong raises this, never a bare ValueError, so the CLI prints
    ``heuristag: <where>: <what>`` and no traceback.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


def one_line(text: str, limit: int = 300) -> str:
    """Squash a message onto one bounded line: error lines go to terminals and JSONL fields."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def require_positive(flag: str, value: int | None) -> None:
    """Counts a user passes (--workers, --max-tags, --limit ...) must be at least 1; None means the default."""
    if value is not None and value < 1:
        raise HeuristagError(flag, f"must be at least 1, got {value}")
