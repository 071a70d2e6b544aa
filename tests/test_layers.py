"""The three floors of the package (DESIGN.md): authoring over running over engine, the glue on top.

Every import a module makes, at its top or inside a function, is resolved to the module it names and
checked against the floor it may reach. A lazy import is still a dependency: it only moves the cost.
"""

from __future__ import annotations

import ast
from pathlib import Path

import heuristag

PACKAGE = Path(heuristag.__file__).parent
#: What each floor may import from the package. The glue (cli, commands) sits on top and may import all;
#: a floor's sub-command may use the glue's shared option helpers (the one back-arrow DESIGN.md names).
MAY_IMPORT = {
    "engine": {"engine"},
    "running": {"engine", "running", "glue"},
    "authoring": {"engine", "running", "authoring", "glue"},
    "glue": {"engine", "running", "authoring", "glue"},
}
#: The engine's one call outward, on purpose: ``Tagger.tag_many`` streams records through the batch path.
EXCEPTIONS = {("heuristag.engine.tagger", "heuristag.running.many")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ("engine", "running", "authoring") else "glue"


def imported(path: Path) -> set[str]:
    """Package modules ``path`` imports, absolute (``from ..running import many`` -> heuristag.running.many)."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("heuristag")}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if not target.startswith("heuristag"):
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names if (PACKAGE.parent / f"{target}.{a.name}"
                                                                  .replace(".", "/")).with_suffix(".py").exists()}
    return {name for name in found if name != "heuristag"}


def violations() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "builtin_rules" in path.parts:
            continue
        source = module_name(path)
        for target in sorted(imported(path)):
            if floor(target) not in MAY_IMPORT[floor(source)] and (source, target) not in EXCEPTIONS:
                bad.append(f"{source} imports {target}")
    return bad


def test_every_module_sits_on_a_floor():
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "cli", "commands", "dask"], top


def test_no_floor_imports_one_above_it():
    assert violations() == []


def test_the_check_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    fake = tmp_path / "heuristag"
    (fake / "engine").mkdir(parents=True)
    (fake / "running").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "engine" / "__init__.py").write_text("")
    (fake / "running" / "__init__.py").write_text("")
    (fake / "running" / "batch.py").write_text("")
    (fake / "engine" / "scorer.py").write_text("def f():\n    from ..running import batch\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    assert violations() == ["heuristag.engine.scorer imports heuristag.running",
                            "heuristag.engine.scorer imports heuristag.running.batch"]
