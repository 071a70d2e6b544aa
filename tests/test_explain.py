"""`heuristag explain --why TAG`: one tag, chosen or not, with the true reason, in text and JSON."""

from __future__ import annotations

import json

import pytest

from .conftest import FIXTURES, run_cli

PACK = str(FIXTURES / "tune" / "rules")
VOCAB = str(FIXTURES / "tune" / "vocab.json")


def explain(tmp_path, description: str, body: str, tag: str, *extra: str) -> tuple[dict, str]:
    readme = tmp_path / "README.md"
    readme.write_text(f"# project\n\n{body}\n", "utf-8")
    args = ["explain", str(readme), "--description", description, "--rules", PACK, "--no-builtin-rules",
            "--tags", VOCAB, "--why", tag, *extra]
    as_json = run_cli(*args, "--json")
    as_text = run_cli(*args)
    assert as_json.returncode == 0 and as_text.returncode == 0, as_json.stderr
    return json.loads(as_json.stdout), as_text.stdout.decode()


@pytest.mark.parametrize("description, body, tag, extra, reason", [
    ("A command line tool for databases.", "", "database", [], "chosen"),
    ("A command line tool that runs SQL.", "", "database", [], "below threshold"),
    ("A command line tool that runs SQL.", "", "testing", [], "no evidence"),
    ("A command line tool.", "", "blockchain", [], "not in vocabulary"),
    ("Runs SQL.", "Write a query.", "database", [], "chosen by fallback"),   # weak, but in two places
    ("A command line tool for databases.", "", "database", ["--max-tags", "1"], "beyond max tags"),
    ("A command line tool.", " ".join(["database"] * 12), "database", [], "below relative_cut"),
])
def test_why_shows_the_one_tag_with_its_reason(tmp_path, description, body, tag, extra, reason):
    data, text = explain(tmp_path, description, body, tag, *extra)
    assert [(t["tag"], t["reason"]) for t in data["tags"]] == [(tag, reason)]
    assert data["tags"][0]["chosen"] == (reason in ("chosen", "chosen by fallback"))
    shown = [ln for ln in text.splitlines()[1:] if ln[:1] in "+ " and "score" in ln]
    assert len(shown) == 1 and tag in shown[0]
    assert (f"({reason})" in shown[0]) == (reason != "chosen")


def test_why_a_tag_that_is_not_a_runner_up(tmp_path):
    data, _ = explain(tmp_path, "A command line tool for databases, tested with mock servers.", "", "testing",
                      "--runners-up", "0")
    assert data["tags"][0]["tag"] == "testing" and data["tags"][0]["reason"] == "below threshold"
    assert data["tags"][0]["contributions"]


def test_explain_marks_the_kind_tags_in_any_vocabulary():
    """What the repository IS (kind: true) is shown as such, also under a vocabulary's own names."""
    from .conftest import ROOT

    readme = str(ROOT / "examples" / "README.md")
    data = json.loads(run_cli("explain", readme, "--json", "--runners-up", "10").stdout)
    kinds = {t["tag"]: t["kind"] for t in data["tags"]}
    assert kinds["lib"] is True and kinds["ai"] is False
    text = run_cli("explain", readme, "--tags", str(ROOT / "examples" / "tags-zh.txt")).stdout.decode()
    line = next(ln for ln in text.splitlines() if ln.startswith("+ 库"))
    assert "  kind" in line
    assert "kind" not in next(ln for ln in text.splitlines() if ln.startswith("+ 人工智能"))


def test_a_term_in_a_feature_clause_is_shown_as_a_listed_feature(tmp_path):
    """Its points are lowered by signals.yaml feature_clauses; explain says so, in text and JSON."""
    readme = tmp_path / "README.md"
    readme.write_text("# marks\n\nKeeps bookmarks.\n", "utf-8")
    args = ["explain", str(readme), "--description", "A bookmark manager. Comes with user authentication.",
            "--why", "authentication"]
    text = run_cli(*args).stdout.decode()
    assert "'user authentication (listed feature, x0.5)'" in text
    data = json.loads(run_cli(*args, "--json").stdout)
    assert {e["share"] for e in data["tags"][0]["evidence"] if e["text"] == "user authentication"} == {0.5}
