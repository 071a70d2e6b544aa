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


def _build_and_install(tmp_path):
    """A wheel of a copy of the source tree, installed (--target) as a user's `pip install .` would.
    Uses the pip cache and the configured indexes; skips when the build requirements cannot be had."""
    import shutil
    import subprocess
    import sys

    tree = tmp_path / "heuristag-tree"  # not 'src': pip would take that for a src-layout
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    for name in ("heuristag", "rules"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                            str(tree)], capture_output=True, text=True, timeout=300)
    if wheel.returncode != 0:
        offline = ("Could not find a version", "No matching distribution", "Failed to establish", "Network")
        if any(s in wheel.stderr for s in offline):
            pytest.skip("the build requirements (setuptools) cannot be installed here")
        raise AssertionError(wheel.stderr[-3000:])
    [built] = list((tmp_path / "dist").glob("heuristag-*.whl"))
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target",
                              str(site), str(built)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    return site


def test_a_non_editable_install_tags_with_its_packaged_rules(tmp_path):
    """`python -m heuristag tag` works from an installed wheel, both away from the source tree (the
    packaged rules) and from the repository root, where the source tree's heuristag/ comes first."""
    import json
    import os
    import subprocess
    import sys

    site = _build_and_install(tmp_path)
    assert (site / "heuristag" / "builtin_rules" / "vocabulary.json").is_file()
    readme = tmp_path / "README.md"
    readme.write_text("# QuickDB\n\nAn embedded SQL database engine with a command line shell.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = ("import heuristag.engine.builtin as b; print(b.builtin_dir())")
    away = tmp_path / "elsewhere"
    away.mkdir()
    for cwd, rules_under in ((away, site), (ROOT, None)):
        proc = subprocess.run([sys.executable, "-m", "heuristag", "tag", str(readme), "--format", "names"],
                              capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "database" in json.loads(proc.stdout)["tags"]
        if rules_under is not None:
            found = subprocess.run([sys.executable, "-c", where], capture_output=True, text=True, cwd=cwd, env=env,
                                   timeout=60).stdout.strip()
            assert found.startswith(str(rules_under)), found
