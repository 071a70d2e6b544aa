"""Command line: `heuristag tag|explain|batch|eval|rules|vocab|bench`. Errors are one line and exit 2."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .engine.errors import HeuristagError, one_line

#: Modules that add sub-commands; each has ``register(subparsers)`` and sets ``func`` on its parser.
COMMAND_MODULES = ("heuristag.commands", "heuristag.running.batch", "heuristag.running.bench",
                   "heuristag.authoring.evaluate", "heuristag.authoring.ruletools",
                   "heuristag.authoring.vocabtools", "heuristag.authoring.tune", "heuristag.authoring.suggest")
#: Which module registers which command: `heuristag tag` imports only what tagging needs (cold start).
COMMAND_OWNERS = {"tag": "heuristag.commands", "explain": "heuristag.commands",
                  "batch": "heuristag.running.batch", "bench": "heuristag.running.bench",
                  "eval": "heuristag.authoring.evaluate", "rules": "heuristag.authoring.ruletools",
                  "vocab": "heuristag.authoring.vocabtools", "tune": "heuristag.authoring.tune",
                  "suggest": "heuristag.authoring.suggest"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + exits 2; keep it to one clear line
        self.exit(2, f"heuristag: {one_line(message)} (see '{self.prog} --help')\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (``command`` given) one with just the module that owns that command."""
    parser = _Parser(prog="heuristag", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="examples:\n  heuristag tag examples/prompt.txt\n"
                            "  heuristag batch repos.jsonl -o tagged.csv --workers 2\n"
                            "  heuristag COMMAND --help        # each command's options and examples")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    owner = COMMAND_OWNERS.get(command or "")
    for name in (owner,) if owner else COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _version() -> str:
    from . import __version__

    return f"heuristag {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HeuristagError as exc:
        print(f"heuristag: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("heuristag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (| head): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except MemoryError:
        print("heuristag: out of memory", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug must still be one line, never a traceback
        if os.environ.get("HEURISTAG_DEBUG"):
            raise
        print(f"heuristag: internal error: {one_line(f'{type(exc).__name__}: {exc}')} "
              "(set HEURISTAG_DEBUG=1 for a traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
