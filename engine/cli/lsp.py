"""``coopcheck lsp``: run the language server for editors (LSP over standard input/output).

Diagnostics as you type (lint's codes, spans and help lines, the clause inventory included),
hover, completion, go-to-definition, formatting, quick fixes and the outline for ``.policy``,
``.rules``, ``.test`` and ``.clauses`` files: see :mod:`coopcheck.lsp.server`. Needs the
``lsp`` extra (``pip install 'coopcheck[lsp]'``: pygls and lsprotocol); without it, says so
and exits 2. Editor set-up: editors/README.md.
"""

from __future__ import annotations

import argparse
import sys

HELP = "run the language server (LSP over stdio) for editors: diagnostics, hover, completion, fixes"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``lsp``'s arguments."""
    p.add_argument("--stdio", action="store_true",
                   help="talk LSP over standard input and output (the default and only transport; "
                        "accepted because editors pass it)")
    p.add_argument("--debounce", type=int, default=300, metavar="MS",
                   help="milliseconds of quiet after a change before linting again (default: 300)")
    p.add_argument("--clientProcessId", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Run the server until the editor ends the session; exit 2 without the ``lsp`` extra."""
    try:
        from coopcheck.lsp.server import serve
    except ImportError as err:
        if (err.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        print("coopcheck lsp: the language server needs pygls and lsprotocol: "
              "pip install 'coopcheck[lsp]'", file=sys.stderr)
        return 2
    serve(debounce=max(args.debounce, 0) / 1000)
    return 0
