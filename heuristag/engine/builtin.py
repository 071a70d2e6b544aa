"""Where the built-in rule pack lives, whichever way heuristag was imported.

An install (editable or not) maps the package ``heuristag.builtin_rules`` to the repository's ``rules/``.
Running ``python -m heuristag`` from the repository root puts the source tree's ``heuristag/`` first on
``sys.path``; that package has no ``builtin_rules`` sub-package, so the import fails although the rules
sit right beside it in ``rules/``. The fallback finds them there.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=1)
def builtin_dir() -> Path:
    """The directory of the built-in rules: the installed package data, else the source tree's ``rules/``."""
    try:
        return Path(str(resources.files("heuristag.builtin_rules")))
    except ModuleNotFoundError:
        source_rules = Path(__file__).resolve().parent.parent / "rules"
        if (source_rules / "vocabulary.json").is_file():
            return source_rules
        raise
