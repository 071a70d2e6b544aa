"""Packaging: a non-editable install must carry the whole rule pack (checked without building a wheel)."""

from __future__ import annotations

import fnmatch

import pytest

from .conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the package itself supports 3.10


def test_package_data_globs_cover_every_rule_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"]["heuristag.builtin_rules"] == "rules"
    globs = config["package-data"]["heuristag.builtin_rules"]
    files = [p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"]
    assert files
    uncovered = [f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)]
    assert not uncovered, f"not shipped by a non-editable install: {uncovered}"


def test_console_script_and_module_entry_point():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["scripts"]["heuristag"] == "heuristag.cli:main"
    assert (ROOT / "heuristag" / "__main__.py").exists()


def test_licence_file_matches_the_declared_licence():
    """pyproject says MIT; the LICENSE file (shipped by setuptools' default license-files) must say so too."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
