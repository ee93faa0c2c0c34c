"""``coopcheck fmt [--check] [--diff] [PATHS]``: put rule files in the canonical layout.

The layout is documented in :mod:`coopcheck.dsl.formatter`. Without ``--check`` changed files are
rewritten in place and listed; with ``--check`` nothing is written, the files that would
change are listed and the exit code is 1; ``--diff`` shows a unified diff instead of the list
(and, like ``--check``, writes nothing). ``-`` formats standard input to standard output.
A file that does not parse is left alone and its errors reported (exit 2).

Files are rewritten atomically (:func:`coopcheck.core.files.write_atomic`): the new text goes
to a temporary file beside the original, which is renamed over it only once fully written, so
a full disk or a permission error leaves the original byte-for-byte as it was, keeps its
permissions, and is reported on one line; the other files are still formatted and the exit
code is 2 — never 1, which under ``--check`` means "would reformat".
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic
from coopcheck.dsl.formatter import format_text

from coopcheck.core import paths
from coopcheck.core.files import WriteError, write_atomic
from coopcheck.core.loader import display_path

HELP = "put rule files (.rules, .policy, .test) in the canonical layout; default: the shipped ones"

#: The rule-file extensions ``fmt`` looks for in folders.
RULE_FILE_SUFFIXES = (".rules", ".policy", ".test")
STDIN = "-"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``fmt``'s arguments."""
    p.add_argument("paths", nargs="*", help="rule files or folders, or - for standard input "
                                            "(default: the shipped rules/ and policies/)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 and list the files that are not formatted")
    p.add_argument("--explicit-subjects", action="store_true",
                   help="write `of members` into every rule that names no data subject (what it means "
                        "already), so the text says whose data it is about")
    p.add_argument("--diff", action="store_true",
                   help="change nothing; show what formatting would change as a unified diff "
                        "(exit 1 if anything would)")


def find_rule_files(targets: list[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """The rule files named or found (recursively) in folders, and errors for missing paths."""
    files: list[Path] = []
    errors: list[Diagnostic] = []
    for target in targets:
        if target.is_dir():
            files.extend(sorted(p for p in target.rglob("*") if p.suffix in RULE_FILE_SUFFIXES and p.is_file()))
        elif target.exists():
            files.append(target)
        else:
            errors.append(Diagnostic(Code.E302, f"cannot find `{target}`", None,
                                     "name rule files (.rules, .policy, .test) or folders holding them"))
    return list(dict.fromkeys(files)), errors


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise CoopcheckError([Diagnostic(Code.E302, f"cannot read `{display_path(path)}`: {err.strerror}")]) from None
    except UnicodeDecodeError as err:
        raise CoopcheckError([Diagnostic(Code.E302, f"`{display_path(path)}` is not UTF-8 text (byte {err.start})",
                                         None, "save rule files as UTF-8")]) from None


def _read_stdin() -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CoopcheckError([Diagnostic(Code.E302, f"standard input is not UTF-8 text (byte {err.start})",
                                         None, "save rule files as UTF-8")]) from None


def _diff(old: str, new: str, name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"{name}", f"{name} (formatted)"))


def _report(err: CoopcheckError) -> None:
    for diag in err.diagnostics:
        print(diag.render() + "\n", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Run ``fmt``: exit 0 all formatted (or rewritten), 1 some would change (``--check``,
    ``--diff``), 2 a path is missing or unreadable, a file does not parse, or a file could not
    be written (it is left as it was; the other files are still formatted)."""
    check = args.check or args.diff
    names = args.paths or [str(paths.rules_dir()), str(paths.policies_dir())]
    had_errors = False
    changed: list[str] = []
    unchanged = unwritten = 0
    if STDIN in names:
        if len(names) > 1:
            print("coopcheck fmt: `-` (standard input) cannot be mixed with paths", file=sys.stderr)
            return 2
        try:
            text = _read_stdin()
            formatted = format_text(text, "<stdin>", explicit_subjects=args.explicit_subjects)
        except CoopcheckError as err:
            _report(err)
            return 2
        if args.diff:
            sys.stdout.write(_diff(text, formatted, "<stdin>"))
        elif check and formatted != text:
            print("would reformat <stdin>")
        elif not check:
            sys.stdout.write(formatted)
        return 1 if check and formatted != text else 0
    files, missing = find_rule_files([Path(n) for n in names])
    if missing:
        had_errors = True
        _report(CoopcheckError(missing))
    for path in files:
        shown = display_path(path)
        try:
            text = _read(path)
            formatted = format_text(text, shown, explicit_subjects=args.explicit_subjects)
        except CoopcheckError as err:
            had_errors = True
            _report(err)
            continue
        if formatted == text:
            unchanged += 1
            continue
        if args.diff:
            sys.stdout.write(_diff(text, formatted, shown))
        elif check:
            print(f"would reformat {shown}")
        else:
            try:
                write_atomic(path, formatted)
            except WriteError as err:
                # the file is as it was; say so on one line and go on with the others
                had_errors = True
                unwritten += 1
                print(f"coopcheck fmt: error: cannot write `{shown}`: {err.reason} (left unchanged)",
                      file=sys.stderr)
                continue
            print(f"reformatted {shown}")
        changed.append(shown)
    verb = "would be reformatted" if check else "reformatted"
    summary = f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, {unchanged} already formatted"
    if unwritten:
        summary += f", {unwritten} could not be written"
    print(summary, file=sys.stderr)
    if had_errors:
        return 2
    return 1 if check and changed else 0
