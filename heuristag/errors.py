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
