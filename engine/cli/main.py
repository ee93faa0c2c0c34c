"""``coopcheck`` entry point: parse the command line and dispatch to a subcommand module.

Exit codes, stable across subcommands: 0 success; 1 a decision or test went the wrong way
(``--fail-on-deny``, failing tests); 2 bad input (arguments, scenarios, rule files) or a file
that cannot be read or written; 130 interrupted (Ctrl-C). A closed output pipe (``| head``)
ends the run quietly with 0.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
#: Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: Subcommand name -> the module (in ``coopcheck.cli``) that registers its arguments and runs it.
#: Each module has ``HELP``, ``register(parser)`` and ``run(args) -> exit code``.
COMMANDS = {"check": "check", "test": "test", "lint": "lint", "fmt": "fmt", "explain": "explain",
            "compare": "compare", "diff": "diff", "report": "report", "desugar": "desugar", "terms": "terms"}


def _command(name: str):
    return importlib.import_module(f"{__package__}.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered (or just ``only``: a run imports
    the one subcommand it runs, which keeps start-up short)."""
    parser = argparse.ArgumentParser(
        prog="coopcheck",
        description="Decide proposed uses of personal data against Japanese co-ops' privacy policies.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in ([only] if only else COMMANDS):
        module = _command(name)
        module.register(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``coopcheck`` with ``argv``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    for stream in (sys.stdout, sys.stderr):
        # user input is echoed in messages; text the terminal cannot encode (a lone
        # surrogate from JSON `\ud800`, say) is escaped rather than crashing the run
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_INPUT
    try:
        return _command(args.command).run(args)
    except BrokenPipeError:  # `coopcheck ... | head`: the reader has gone; nothing more to say
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C: stop quietly, as a shell command does
        _silence_stdout()
        print("coopcheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's final flush of what is
    still buffered does not fail again (and print a traceback) on a closed pipe."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test, or already closed
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
