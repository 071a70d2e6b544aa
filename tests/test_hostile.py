"""Hostile input is bounded in time and memory: each case runs the real CLI and checks both, generously.

The bounds are not micro-timings: a case that regresses to quadratic parsing takes minutes, not
seconds (a line of 500,000 '![' took a minute before brackets were defused; 30,000 unclosed ``<a ``
in an HTML block took minutes in HTMLParser). Peak memory is the child's own high-water mark
(VmHWM), written by a wrapper that runs the CLI exactly as ``python -m heuristag``. Rules and
vocabulary are the tiny fixture pack, so no case depends on the built-in pack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from heuristag.engine.document import MAX_README_CHARS, MAX_README_LINES, extract
from heuristag.engine.parsers import fast_available
from heuristag.engine.textio import MAX_FILE_BYTES

from .conftest import ROOT
from .test_errors import RULES, TINY, VOCAB

#: Generous: the worst case below takes ~6 s on a busy two-core machine; a regression takes minutes.
SECONDS = 30.0
#: Peak RSS of one `heuristag tag` run; a 50 MB README needs ~0.4 GB.
MEGABYTES = 1024

needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="peak memory is read from /proc/self/status (Linux)")

#: Runs the CLI exactly as ``python -m heuristag`` does, then writes the process's own peak RSS
#: (VmHWM: this process image only; ru_maxrss would include the parent's size at fork time).
_PEAK_WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status, open(os.environ["HEURISTAG_TEST_PEAK"], "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(_peak)
sys.argv = ["heuristag", *sys.argv[1:]]
runpy.run_module("heuristag", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_bounded(*args: str, stdin: bytes | None = None, timeout: float = 4 * SECONDS) -> Run:
    """Run the CLI with ARGS; return its exit code, output, wall time and peak RSS in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        env = {**os.environ, "HEURISTAG_TEST_PEAK": str(peak_file)}
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, *args], cwd=ROOT, env=env, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
        seconds = time.monotonic() - t0
        peak_kb = float(peak_file.read_text()) if peak_file.exists() else float("nan")
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), seconds, peak_kb / 1024)


def assert_bounded(run: Run, seconds: float = SECONDS, megabytes: float = MEGABYTES) -> None:
    assert "Traceback" not in run.stderr
    assert run.seconds < seconds, f"took {run.seconds:.1f} s (bound {seconds} s)"
    assert run.peak_mb < megabytes, f"peak RSS {run.peak_mb:.0f} MB (bound {megabytes} MB)"


def tagged(run: Run) -> dict:
    assert run.code == 0, run.stderr
    answer = json.loads(run.stdout)
    assert set(answer) == {"id", "tags"} and len(answer["tags"]) <= 3
    return answer


TRUNCATED = "README analysed up to its first"

# name -> README text; all are tagged with the tiny pack and must answer (exit 0) within the bounds.
HOSTILE: dict[str, str] = {
    "10 MB single line of words": ("QuickDB database command line " * 350_000)[:10_000_000],
    "10 MB single line of '!['": "![" * 5_000_000,
    "10 MB single line of '[]('": "[](" * 3_400_000,
    "10 MB single line of '<a '": "<a " * 3_400_000,
    "100,000 nested '>'": ">" * 100_000 + " database",
    "100,000 nested '> '": "> " * 100_000 + "database",
    "100,000 nested list levels": "- " * 100_000 + "database",
    "100,000 nested ordered lists": "1. " * 100_000 + "database",
    "50,000 lines of deepening lists": "\n".join("  " * (i % 200) + "- database" for i in range(50_000)),
    "50,000 unclosed '['": "# database\n" + "[" * 50_000,
    "50,000 unclosed '<'": "# database\n" + "<" * 50_000,
    "50,000 unclosed '![' and '<a '": "# database\n" + "![<a " * 50_000,
    "50,000 '[' nested and closed": "[" * 50_000 + "database" + "]" * 50_000,
    "HTML block with 50,000 unclosed tags": "<div>\n" + "<a " * 50_000,
    "HTML block with 50,000 unclosed comments": "<div>\n" + "<!--" * 50_000,
    "50,000 nested <div>": "<div>" * 50_000 + "database" + "</div>" * 50_000,
    "500,000 one-letter lines": "a\n" * 500_000,
    "250,000 headings": "# a\n" * 250_000,
    "100,000 backtick runs": "".join("`" * (i % 50 + 1) + "x" for i in range(100_000)),
    "200,000 table rows": "|a|b|\n|-|-|\n" + "|database|x|\n" * 200_000,
    "100,000 reference definitions": "# database\n" + "".join(f"[a{i}]: http://x/{i}\n" for i in range(100_000)),
    "100,000 definitions of one label": "# database\n" + "[a]: http://x\n" * 100_000 + "[a]\n",
}


#: Both Markdown backends (heuristag/parsers.py) must be bounded; pyromark only where it is installed.
PARSERS = ["markdown-it", pytest.param("pyromark", marks=pytest.mark.skipif(
    not fast_available(), reason="pyromark is not installed (pip install 'heuristag[fast]')"))]


@needs_proc
@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_readme_is_bounded(tmp_path, name, parser):
    text = HOSTILE[name]
    path = tmp_path / "hostile.md"
    path.write_text(text, encoding="utf-8")
    run = run_bounded("tag", str(path), *TINY, "--parser", parser)
    assert_bounded(run)
    tagged(run)
    long = len(text) > MAX_README_CHARS or text.count("\n") >= MAX_README_LINES
    assert (TRUNCATED in run.stderr) == long, run.stderr


@needs_proc
@pytest.mark.parametrize("name", ["10 MB single line of words", "10 MB single line of '[]('", "250,000 headings"])
def test_hostile_readme_is_bounded_with_the_builtin_pack(tmp_path, name):
    """The same bounds with the built-in rules and vocabulary (whatever they answer today)."""
    path = tmp_path / "hostile.md"
    path.write_text(HOSTILE[name], encoding="utf-8")
    run = run_bounded("tag", str(path))
    assert_bounded(run)
    tagged(run)


@needs_proc
def test_50_mb_readme_is_analysed_up_to_the_limit_with_a_warning(tmp_path):
    line = "QuickDB is an embedded database with a command line shell. " * 10 + "\n"
    path = tmp_path / "big.md"
    with path.open("w", encoding="utf-8") as f:
        f.write("# QuickDB database\n")
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            f.write(line)
    assert 50 * 1024 * 1024 < path.stat().st_size < MAX_FILE_BYTES
    run = run_bounded("tag", str(path), *TINY)
    assert_bounded(run)
    assert "database" in [t["name"] for t in tagged(run)["tags"]]
    warning = [ln for ln in run.stderr.splitlines() if TRUNCATED in ln]
    assert len(warning) == 1 and str(path) in warning[0] and f"{MAX_README_CHARS:,} characters" in warning[0]


@needs_proc
def test_file_over_the_byte_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.md"
    with path.open("wb") as f:  # sparse: costs no disk, and must not be read into memory
        f.truncate(MAX_FILE_BYTES + 1)
    run = run_bounded("tag", str(path), *TINY)
    assert_bounded(run, seconds=SECONDS, megabytes=256)
    assert run.code == 2 and run.stdout == ""
    assert run.stderr == f"heuristag: {path}: file is {MAX_FILE_BYTES + 1:,} bytes; the limit is {MAX_FILE_BYTES:,}\n"


@needs_proc
def test_stdin_over_the_byte_limit_is_refused():
    run = run_bounded("tag", "-", *TINY, stdin=b"database " * (MAX_FILE_BYTES // 9 + 1))
    assert_bounded(run)
    assert run.code == 2 and run.stdout == ""
    assert run.stderr == f"heuristag: <stdin>: input is over the limit of {MAX_FILE_BYTES:,} bytes\n"


# ---------------------------------------------------------------- rules that would hang a backtracking engine

#: Classic catastrophic-backtracking patterns, each with the string that makes a backtracking engine
#: explode (a run of what it repeats, then a character that forces the match to fail).
CATASTROPHIC = {
    r"(a+)+$": "a" * 50_000 + "!",
    r"(a|aa)*b": "a" * 50_000,
    r"(a|a?)+c": "a" * 50_000,
    r"^(\w+\s?)*$": "word " * 20_000 + "!",
    r"(x+x+)+y": "x" * 50_000,
    r"(.*a){12}": "a" * 30_000,
    r"([a-z0-9]+)*@": "abc" * 20_000,
    r"(\d+\.?)+%": "1." * 25_000 + "x",
}


def write_catastrophic_rules(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["tag: database", "patterns:"]
    for regex in CATASTROPHIC:
        lines += [f"  - regex: '{regex}'", "    weight: 1"]
    (folder / "database.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@needs_proc
def test_catastrophic_patterns_do_not_hang_on_their_bait(tmp_path):
    """RE2 is linear: the bait for every pattern, in every field, is a matter of milliseconds."""
    rules = write_catastrophic_rules(tmp_path / "evil")
    bait = list(CATASTROPHIC.values())
    readme = "\n\n".join([f"# {bait[0][:2000]}", *(f"## {b[:1000]}" for b in bait), *bait,
                          *(f"```\n{b}\n```" for b in bait)])
    path = tmp_path / "bait.md"
    path.write_text(readme, encoding="utf-8")
    run = run_bounded("tag", str(path), "--rules", str(RULES), "--rules", str(rules), "--no-builtin-rules",
                      "--tags", str(VOCAB), "--description", bait[3][:5000])
    assert_bounded(run)
    tagged(run)


def test_catastrophic_patterns_are_linear_in_the_library():
    """Library level, pattern by pattern: ten times the bait takes about ten times as long, not 2^n."""
    from heuristag.engine.matcher import compile_pattern

    for regex, bait in CATASTROPHIC.items():
        rx = compile_pattern(regex, "test")
        t0 = time.monotonic()
        for _ in rx.finditer(bait * 10):
            pass
        assert time.monotonic() - t0 < 5.0, regex


# ---------------------------------------------------------------- library level

def test_extract_truncates_long_and_many_lined_readmes():
    assert extract("database " * (MAX_README_CHARS // 9 + 10)).truncated
    assert extract("a\n" * (MAX_README_LINES + 10)).truncated
    doc = extract("# database\n" + "x\n" * 1000)
    assert not doc.truncated and doc.title == "database"


def test_defused_brackets_keep_links_badges_and_text():
    """Balanced brackets still make links and badges; unclosed ones read as the same text."""
    badge = "[![CI](https://img.shields.io/badge/ci-passing-green.svg)](https://ci.example.com/q) "
    doc = extract("# QuickDB\n\n" + badge * 20 + "[" * 30 + " database [docs](https://docs.example.com/db)\n")
    assert len(doc.badges) == 20
    assert any("docs.example.com" in link for link in doc.links)
    from heuristag.engine.normalise import normalise

    assert "[" * 30 + " database docs" in normalise(doc.body)


def test_hostile_html_keeps_real_tags():
    doc = extract('<div>\n<p align="center"><img alt="QuickDB" src="logo.png"></p>\n' + "<a " * 1000 + "\n"
                  '<!-- <img src="hidden.png" alt="hidden"> -->\n<h2>Database engine</h2>\n')
    assert "Database engine" in doc.headings
    assert "QuickDB" in doc.body and "hidden" not in doc.body


# ---------------------------------------------------------------- no network, ever

def test_no_network_is_touched(tmp_path):
    """With every socket made to fail, tagging (README with badge and link URLs, prompt, explain) works."""
    from .conftest import run_cli

    (tmp_path / "sitecustomize.py").write_text(
        "import socket\n"
        "def _refuse(*args, **kwargs):\n"
        "    raise SystemExit('heuristag: test: network access attempted')\n"
        "socket.socket = _refuse\n"
        "socket.create_connection = _refuse\n"
        "socket.getaddrinfo = _refuse\n", encoding="utf-8")
    readme = tmp_path / "r.md"
    readme.write_text("# QuickDB database\n\n[![CI](https://img.shields.io/badge/ci-passing-green.svg)]"
                      "(https://ci.example.com)\n<img src=\"https://example.com/logo.png\">\n", encoding="utf-8")
    env = {"PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for args in (("tag", str(readme), *TINY), ("explain", str(readme), "--json"), ("tag", str(readme))):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 0 and b"network" not in proc.stderr, proc.stderr
