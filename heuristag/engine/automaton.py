"""Every occurrence of many terms in one pass: ahocorasick-rs (Rust) when installed, else pyahocorasick.

Both report the same occurrences in the same order (by end, the longest first at each end), which the
matcher's cap on matches per field relies on; tests/test_matcher.py holds them to it. The Rust one scans
about 8x faster, which is most of the matching time on a README.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

BACKENDS = ("auto", "ahocorasick-rs", "pyahocorasick")


def rust_available() -> bool:
    return importlib.util.find_spec("ahocorasick_rs") is not None


class Terms:
    """An automaton over ``table``'s keys (sorted; ``values`` in the same order); ``spans`` finds them."""

    def __init__(self, table: Mapping[str, Any], backend: str = "auto") -> None:
        if backend == "auto":
            backend = "ahocorasick-rs" if rust_available() else "pyahocorasick"
        self.backend = backend
        self.keys = sorted(table)
        self.values = [table[k] for k in self.keys]
        self._rs: Any = None
        self._py: Any = None
        if not self.keys:
            return
        if backend == "ahocorasick-rs":
            import ahocorasick_rs

            self._rs = ahocorasick_rs.AhoCorasick(self.keys, matchkind=ahocorasick_rs.MatchKind.Standard)
        else:
            import ahocorasick

            self._py = ahocorasick.Automaton()
            for i, key in enumerate(self.keys):
                self._py.add_word(key, (len(key), i))
            self._py.make_automaton()

    def __bool__(self) -> bool:
        return bool(self.keys)

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence as (key index, start, end exclusive): for ahocorasick-rs the list it builds
        in Rust, with no Python work per occurrence (the matcher's hot path)."""
        if self._rs is not None:
            return self._rs.find_matches_as_indexes(text, overlapping=True)
        if self._py is not None:
            return [(i, end - length + 1, end + 1) for end, (length, i) in self._py.iter(text)]
        return []
