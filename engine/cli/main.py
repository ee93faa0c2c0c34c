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
import re
import sys

from coopcheck.dsl.errors import did_you_mean

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
#: Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: Subcommand name -> the module (in ``coopcheck.cli``) that registers its arguments and runs it.
#: Each module has ``HELP``, ``register(parser)`` and ``run(args) -> exit code``.
COMMANDS = {"check": "check", "test": "test", "lint": "lint", "fmt": "fmt", "explain": "explain",
            "compare": "compare", "diff": "diff", "report": "report", "desugar": "desugar", "terms": "terms",
            "serve": "serve", "lsp": "lsp", "audit": "audit"}


def _command(name: str):
    return importlib.import_module(f"{__package__}.{COMMANDS[name]}")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors suggest the flag or command that was probably meant,
    under the usage line of the (sub)command it belongs to."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        """Print the usage line and the error, with a suggestion where one fits; exit 2."""
        known = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
        for word in re.findall(r"(--?[\w-]+)", message) if "unrecognized arguments" in message else ():
            hint = did_you_mean(word.split("=")[0], known)
            if hint:
                message += f" ({hint})"
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("coopcheck")
    except Exception:  # noqa: BLE001 - running from a checkout that was never installed
        return "unknown"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered (or just ``only``: a run imports
    the one subcommand it runs, which keeps start-up short)."""
    parser = _Parser(
        prog="coopcheck",
        description="Decide proposed uses of personal data against Japanese co-ops' privacy policies.")
    parser.add_argument("--version", action="version", version=f"coopcheck {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        hint = did_you_mean(argv[0], list(COMMANDS))
        print(f"usage: coopcheck [-h] [--version] COMMAND ...\ncoopcheck: error: unknown command `{argv[0]}`"
              + (f" ({hint})" if hint else f" (commands: {', '.join(COMMANDS)})"), file=sys.stderr)
        return EXIT_INPUT
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    if argv and argv[0] in COMMANDS:
        # the subcommand's own parser reports its mistakes, under its own usage line
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        args = sub.choices[argv[0]].parse_args(argv[1:])
        args.command = argv[0]
    else:
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
