"""Which Markdown backend builds the Document: the reference (markdown-it-py) or the fast one (pyromark).

Both give the same Document for every input (tests/test_parsers.py holds them to it); the fast one is
pulldown-cmark in Rust, ~20x quicker to parse. ``auto`` (the default) takes it when it is installed
(``pip install 'heuristag[fast]'``). Backends are imported only when first used, so the fast path never
imports markdown-it-py (cold start).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import cache
from typing import Any

from .errors import HeuristagError

#: ``--parser`` choices; ``fast`` is another name for pyromark.
PARSERS = ("auto", "markdown-it", "pyromark", "fast")
ENV_VAR = "HEURISTAG_PARSER"
_MODULES = {"markdown-it": "heuristag.engine.parse_markdownit", "pyromark": "heuristag.engine.parse_pyromark"}


def resolve(name: str | None = None) -> str:
    """The backend a name means: None reads HEURISTAG_PARSER; auto is pyromark when importable."""
    where = "--parser"
    if name is None:
        name, where = os.environ.get(ENV_VAR) or "auto", ENV_VAR
    choice = name.strip().lower()
    if choice == "fast":
        choice = "pyromark"
    if choice == "auto":
        return "pyromark" if fast_available() else "markdown-it"
    if choice not in _MODULES:
        raise HeuristagError(where, f"unknown parser {name!r}; choose one of {', '.join(PARSERS)}")
    if choice == "pyromark" and not fast_available():
        raise HeuristagError(where, "the pyromark parser is not installed: pip install 'heuristag[fast]'")
    return choice


@cache
def fast_available() -> bool:
    return importlib.util.find_spec("pyromark") is not None


@cache
def _walker(backend: str) -> Callable[[str, Any], None]:
    return importlib.import_module(_MODULES[backend]).walk


def walker(name: str | None = None) -> Callable[[str, Any], None]:
    """The walk function of a backend (see document.Walker)."""
    return _walker(resolve(name))


def add_parser_option(p: Any) -> None:
    """``--parser`` on tag, explain, batch, eval and bench."""
    p.add_argument("--parser", choices=PARSERS, default=None,
                   help=f"Markdown backend: pyromark (Rust, fast; also 'fast') or markdown-it (pure Python, the "
                        f"reference); both give the same answers (default: ${ENV_VAR}, else auto = pyromark when "
                        "installed)")
