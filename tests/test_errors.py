"""Bad input through the CLI: every case exits with its exact code and one stderr line naming the place.

Each case builds its input in a temporary folder and runs ``python -m heuristag tag ...`` the way a
user would. Errors exit 2 with ``heuristag: <file[:line]>: <what>`` and never a traceback; inputs that
work (BOMs, legacy CJK encodings, "at most 1000 tags") exit 0. The rules and vocabulary are the tiny
fixture pack in tests/fixtures/robust, so no case depends on how the built-in pack is tuned.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import FIXTURES, run_cli

ROBUST = FIXTURES / "robust"
RULES = ROBUST / "rules"
VOCAB = ROBUST / "vocab.json"
README = ROBUST / "readme.md"
PROMPT = ROBUST / "prompt.txt"
#: The tiny pack: only our rules, only our four tags.
TINY = ("--rules", str(RULES), "--no-builtin-rules", "--tags", str(VOCAB))
VOCAB_TAGS = [{"id": 1, "name": "database"}, {"id": 2, "name": "cli"}, {"id": 3, "name": "game-engine "},
              {"id": 4, "name": "web"}]

ZH = ("# 快速数据库\n\n这是一个用 Go 编写的高性能分布式数据库，支持命令行工具和图形界面。"
      "它可以在本地运行，也可以部署到服务器上。\n")
JA = "# 高速データベース\n\nこれは Go で書かれた高性能な分散データベースです。コマンドラインツールで操作できます。\n"
KO = "# 빠른 데이터베이스\n\n이것은 Go로 작성된 고성능 분산 데이터베이스입니다.\n"


def prompt(n: object = 3, expected: str = '{"id":"q-1","tags":[]}', vocab: object = VOCAB_TAGS,
           with_list: bool = True) -> str:
    """A seed-style prompt around the fixture README; pieces can be broken one at a time."""
    listed = vocab if isinstance(vocab, str) else json.dumps(vocab)  # a string goes in verbatim
    tags = f' "only from the tags list I provide: {listed}"' if with_list else ""
    return (f'AI prompts\n"A tiny embedded database. {README.read_text(encoding="utf-8")}", '
            f'Assign "at most {n} tags" to the expected json: {expected}{tags} returns me the "expected json"\n')


def assert_clean(proc) -> tuple[str, str]:
    """No traceback, ever, and every stderr line is one of ours."""
    out = proc.stdout.decode("utf-8")
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err and "Traceback" not in out
    for line in err.splitlines():
        assert line.startswith("heuristag: "), err
    return out, err


def assert_error(proc, *needles: str) -> str:
    """Exit 2 and exactly one line on stderr that contains every needle (file, line, key, what)."""
    out, err = assert_clean(proc)
    assert proc.returncode == 2, (proc.returncode, err)
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def tag_names(proc) -> list[str]:
    out, _ = assert_clean(proc)
    assert proc.returncode == 0, proc.stderr
    return [t["name"] for t in json.loads(out)["tags"]]


# ---------------------------------------------------------------- the catalogue

@dataclass(frozen=True)
class Case:
    """``build`` writes what the case needs under tmp_path and returns the CLI arguments (and stdin)."""

    build: Callable[[Path], tuple[list[str], bytes | None]]
    code: int
    needles: tuple[str, ...]


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def readme_case(data: bytes | str, code: int, *needles: str, name: str = "in.md") -> Case:
    """A README file with these bytes, tagged with the tiny pack."""
    return Case(lambda d: ([str(write(d / name, data)), *TINY], None), code, needles)


def prompt_case(text: str, code: int, *needles: str) -> Case:
    """A prompt file: its own vocabulary, only our rules."""
    return Case(lambda d: ([str(write(d / "p.txt", text)), "--rules", str(RULES), "--no-builtin-rules"], None),
                code, needles)


def vocab_case(content: str | bytes, code: int, *needles: str, name: str = "v.json") -> Case:
    """The fixture README with this --tags file."""
    return Case(lambda d: ([str(README), "--rules", str(RULES), "--no-builtin-rules", "--tags",
                            str(write(d / name, content))], None), code, needles)


def rules_case(content: str | bytes, code: int, *needles: str, name: str = "x.yaml") -> Case:
    """The fixture README with our rules plus one more file in a second --rules folder."""
    return Case(lambda d: ([str(README), *TINY, "--rules", str(write(d / "more" / name, content).parent)], None),
                code, needles)


BILLION_LAUGHS = "\n".join(
    ["tag: database", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]) + "\n"

CASES: dict[str, Case] = {
    # ---- the input file
    "missing file": Case(lambda d: ([str(d / "nope.md"), *TINY], None), 2, ("nope.md: no such file",)),
    "a directory": Case(lambda d: ([str(d), *TINY], None), 2, ("is a directory",)),
    "empty file": readme_case(b"", 2, "in.md: file is empty"),
    "only white space": readme_case(b" \n\t\n", 2, "in.md: file is empty"),
    "empty stdin": Case(lambda d: (["-", *TINY], b""), 2, ("<stdin>: file is empty",)),
    "binary file": readme_case(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 2, "in.md: binary data",
                               "offset 8", name="in.md"),
    "NUL bytes in text": readme_case(b"# QuickDB database\n\nA data\x00base.\n", 2, "in.md: binary data",
                                     "NUL byte at offset 26"),
    "UTF-8 with BOM works": readme_case(codecs.BOM_UTF8 + README.read_bytes(), 0),
    "UTF-16 LE with BOM works": readme_case(README.read_text(encoding="utf-8").encode("utf-16"), 0),
    "UTF-16 BE with BOM works": readme_case(codecs.BOM_UTF16_BE + README.read_text(encoding="utf-8")
                                            .encode("utf-16-be"), 0),
    "UTF-16 cut in half": readme_case(codecs.BOM_UTF16_LE + "# database\n".encode("utf-16-le")[:-1], 2,
                                      "in.md: invalid utf-16-le after its byte order mark"),
    "GBK without BOM is detected": readme_case(ZH.encode("gbk"), 0),
    "Shift-JIS without BOM is detected": readme_case(JA.encode("shift_jis"), 0),
    "EUC-KR is not guessed": readme_case(KO.encode("euc_kr"), 2, "in.md: not UTF-8",
                                         "cannot be detected reliably", "convert it to UTF-8 first"),
    "random high bytes": readme_case(bytes(range(0x80, 0x100)) * 4, 2, "in.md: not UTF-8",
                                     "cannot be detected reliably"),
    # ---- prompts
    "prompt without vocabulary": prompt_case(prompt(with_list=False), 2, "p.txt:11: no tags list"),
    "prompt asks for 0 tags": prompt_case(prompt(n=0), 2, "p.txt:11: 'at most 0 tags' asks for no tags"),
    "prompt asks for -2 tags": prompt_case(prompt(n=-2), 2, "p.txt:11: 'at most -2 tags' asks for no tags"),
    "prompt asks for 1000 tags": prompt_case(prompt(n=1000), 0),
    "prompt expected JSON broken": prompt_case(prompt(expected='{"id": "q-1", "tags": ['), 2,
                                               "p.txt:11: the expected JSON is not valid JSON"),
    "prompt tags list missing its opener": prompt_case(prompt(vocab='"cli", "api"]'), 2, "p.txt:11: no tags list"),
    "expected JSON without id": prompt_case(prompt(expected='{"tags":[]}'), 2, "p.txt:11: the expected JSON",
                                            'has no "id"'),
    "expected JSON with a list id": prompt_case(prompt(expected='{"id":[1],"tags":[]}'), 2,
                                                "p.txt:11: the expected JSON's id must be a string or a number"),
    "prompt tags list not JSON": prompt_case(prompt(vocab="[{'id': 1}"), 2,
                                             "p.txt:11: the tags list is not valid JSON"),
    "prompt tags list nested 20,000 deep": prompt_case(prompt(vocab="[" * 20_000 + "]" * 20_000), 2,
                                                       "p.txt:11: the tags list is nested too deeply"),
    "prompt vocabulary with duplicate names": prompt_case(prompt(vocab=["cli", "CLI"]), 2,
                                                          "p.txt:11: tags list: tag #2: duplicate name 'CLI'"),
    # ---- --max-tags
    "--max-tags 0": Case(lambda d: ([str(README), *TINY, "--max-tags", "0"], None), 2,
                         ("--max-tags: must be at least 1, got 0",)),
    "--max-tags 1000 is clamped": Case(lambda d: ([str(README), *TINY, "--max-tags", "1000"], None), 0, ()),
    "--max-tags not a number": Case(lambda d: ([str(README), *TINY, "--max-tags", "three"], None), 2,
                                    ("--max-tags", "invalid int value")),
    # ---- vocabulary files (--tags)
    "vocabulary is an object": vocab_case('{"database": 1}', 2, "v.json: vocabulary must be a list of tags, got dict"),
    "vocabulary is a string": vocab_case('"database"', 2, "v.json: vocabulary must be a list of tags, got str"),
    "vocabulary YAML mapping": vocab_case("name: database\n", 2, "v.yaml: vocabulary must be a list", name="v.yaml"),
    "vocabulary duplicate ids": vocab_case('[{"id": 1, "name": "database"}, {"id": 1, "name": "cli"}]', 2,
                                           "v.json: tag #2: duplicate id 1"),
    "vocabulary duplicate names": vocab_case('[{"id": 1, "name": "cli"}, {"id": 2, "name": " CLI"}]', 2,
                                             "v.json: tag #2: duplicate name"),
    "vocabulary duplicate names (lines)": vocab_case("cli\ndatabase\ncli\n", 2, "v.txt: tag #3: duplicate name 'cli'",
                                                     name="v.txt"),
    "vocabulary entry without id": vocab_case('[{"id": 1, "name": "cli"}, {"name": "database"}]', 2,
                                              "v.json: tag #2", "has no 'id'"),
    "vocabulary entry without name": vocab_case('[{"id": 1}]', 2, "v.json: tag #1: entry has no 'name'"),
    "vocabulary entry with empty name": vocab_case('[{"id": 1, "name": "  "}]', 2,
                                                   "v.json: tag #1: 'name' must be a non-empty string"),
    "vocabulary is an empty list": vocab_case("[]", 2, "v.json: vocabulary is empty"),
    "vocabulary file is empty": vocab_case("", 2, "v.json: file is empty"),
    "vocabulary invalid JSON": vocab_case('[\n  {"id": 1, "name": "cli"}\n  {"id": 2}\n]', 2,
                                          "v.json:3: invalid JSON"),
    "vocabulary nested 100,000 deep": vocab_case("[" * 100_000 + "]" * 100_000, 2, "v.json: invalid JSON",
                                                 "nested too deeply"),
    "vocabulary YAML alias": vocab_case("- &a cli\n- *a\n", 2, "v.yaml:1", "anchors/aliases are not allowed",
                                        name="v.yaml"),
    "vocabulary python tag": vocab_case("- !!python/object/apply:os.system [echo hi]\n", 2, "v.yaml:1", "refused",
                                        name="v.yaml"),
    "vocabulary file missing": Case(lambda d: ([str(README), "--tags", str(d / "nope.json")], None), 2,
                                    ("nope.json: no such file",)),
    # ---- rule files (--rules)
    "rules: tab indentation": rules_case("tag: database\nkeywords:\n\t- terms: [db]\n\t  weight: 2\n", 2,
                                         "x.yaml:3: invalid YAML", "YAML indents with spaces only"),
    "rules: bad nesting": rules_case("tag: database\nkeywords:\n  - terms: [db]\n   weight: 2\n", 2,
                                     "x.yaml:4: invalid YAML"),
    "rules: unknown key": rules_case("tag: database\ncolour: red\n", 2, "x.yaml:2: colour: unknown key"),
    "rules: unknown nested key": rules_case("tag: database\nkeywords:\n  - terms: [db]\n    weight: 2\n"
                                            "    colour: red\n", 2, "x.yaml:5: keywords[0].colour: unknown key"),
    "rules: weight out of range": rules_case("tag: database\nkeywords:\n  - terms: [db]\n    weight: 20\n", 2,
                                             "x.yaml:4: keywords[0].weight", "maximum of 10"),
    "rules: not a mapping": rules_case("- just\n- a list\n", 2, "x.yaml:1: a rule file must be a mapping"),
    "rules: tag for no vocabulary tag warns": rules_case("tag: kubernetes\nkeywords:\n  - {terms: [k8s], weight: 2}\n",
                                                         0, "warning:", "x.yaml", "'kubernetes'",
                                                         "vocabulary does not have"),
    "rules: id that disagrees warns": rules_case("tag: cli\nid: 99\nkeywords:\n  - {terms: [shell], weight: 2}\n", 0,
                                                 "warning:", "x.yaml", "'cli' has id 99"),
    "rules: pattern that does not compile": rules_case("tag: database\npatterns:\n  - regex: '(a+'\n    weight: 2\n",
                                                       2, "x.yaml:3: patterns[0].regex", "does not compile",
                                                       "missing )"),
    "rules: backreference pattern": rules_case("tag: database\npatterns:\n  - regex: '(a)\\1'\n    weight: 2\n", 2,
                                               "x.yaml:3: patterns[0].regex", "no backreferences"),
    "rules: signal pattern that does not compile": rules_case(
        "signals:\n  - tag: cli\n    regex: '[z-a]'\n    weight: 1\n", 2, "x.yaml:3: signals[0].regex"),
    "rules: billion laughs": rules_case(BILLION_LAUGHS, 2, "x.yaml:2", "anchors/aliases are not allowed"),
    "rules: python object tag": rules_case("tag: !!python/object/apply:os.system [echo pwned]\n", 2, "x.yaml:1",
                                           "refused", "safe loading only"),
    "rules: nested 100,000 deep": rules_case("tag: database\nkeywords: " + "[" * 100_000 + "]" * 100_000 + "\n", 2,
                                             "x.yaml", "invalid YAML"),
    "rules: not UTF-8": rules_case("tag: 数据库\n".encode("gbk"), 2, "x.yaml: rule file is not UTF-8"),
    "rules: folder missing": Case(lambda d: ([str(README), "--rules", str(d / "nope")], None), 2,
                                  ("nope: no such rules folder",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_catalogue(tmp_path, name):
    case = CASES[name]
    args, stdin = case.build(tmp_path)
    proc = run_cli("tag", *args, input=stdin)
    out, err = assert_clean(proc)
    assert proc.returncode == case.code, (proc.returncode, err)
    if case.code == 2:
        assert_error(proc, *case.needles)
    else:
        answer = json.loads(out)
        assert set(answer) == {"id", "tags"}
        for needle in case.needles:  # warnings: on stderr, the answer still printed
            assert needle in err, (needle, err)


# ---------------------------------------------------------------- what the working cases answer

def test_boms_and_legacy_encodings_give_the_same_tags_as_utf8(tmp_path):
    """Decoding is right, not just quiet: the CJK term in the title is found after every decoding."""
    expected = tag_names(run_cli("tag", str(write(tmp_path / "zh.md", ZH)), *TINY))
    assert "database" in expected
    for i, data in enumerate([codecs.BOM_UTF8 + ZH.encode(), ZH.encode("utf-16"), ZH.encode("utf-32"),
                              ZH.encode("gbk"), ZH.encode("gb18030")]):
        assert tag_names(run_cli("tag", str(write(tmp_path / f"{i}.md", data)), *TINY)) == expected
    assert "database" in tag_names(run_cli("tag", str(write(tmp_path / "ja.md", JA.encode("shift_jis"))), *TINY))


def test_at_most_1000_tags_is_clamped_to_the_vocabulary(tmp_path):
    names = tag_names(run_cli("tag", str(write(tmp_path / "p.txt", prompt(n=1000))), "--rules", str(RULES),
                              "--no-builtin-rules"))
    assert set(names) >= {"database", "cli"} and len(names) <= len(VOCAB_TAGS)
    names = tag_names(run_cli("tag", str(README), *TINY, "--max-tags", "1000"))
    assert set(names) >= {"database", "cli"} and len(names) <= len(VOCAB_TAGS)


def test_warning_for_a_foreign_tag_leaves_the_answer_unchanged(tmp_path):
    plain = run_cli("tag", str(README), *TINY)
    more = write(tmp_path / "more" / "k8s.yaml", "tag: kubernetes\nkeywords:\n  - {terms: [database], weight: 9}\n")
    warned = run_cli("tag", str(README), *TINY, "--rules", str(more.parent))
    assert warned.stdout == plain.stdout
    err = warned.stderr.decode()
    assert err.count("\n") == 1
    assert f"heuristag: warning: {more}: rules for tag 'kubernetes'" in err


def test_explain_reports_errors_the_same_way(tmp_path):
    assert_error(run_cli("explain", str(tmp_path / "nope.md"), *TINY), "nope.md: no such file")
    assert_error(run_cli("explain", str(write(tmp_path / "p.txt", prompt(n=0))), "--no-builtin-rules",
                         "--rules", str(RULES)), "asks for no tags")


def test_unknown_option_is_one_line():
    proc = run_cli("tag", str(README), "--colour")
    out, err = assert_clean(proc)
    assert proc.returncode == 2 and err.count("\n") == 1 and "--colour" in err
