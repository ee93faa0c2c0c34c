"""``coopcheck lint``: check rule files and report located diagnostics.

Files
    ``.policy`` and ``.rules`` files are parsed, loaded with their imports, compiled and
    analysed (:mod:`coopcheck.analysis.lint_checks`); a policy with a clause inventory beside it
    (``aizu.clauses``) also gets the inventory check (E501–E503). ``.test`` files are parsed
    only: a syntax error is reported, the cases are run by ``coopcheck test``; the terms the
    cases name count as uses for W601. Folders are searched recursively for all three.

Diagnostics
    Parse and compile errors keep their codes (E1xx–E3xx); the analyses add W601–W607, W609–W612 and
    the suppressions E601, E602 and W608. Every code is registered, with its severity and
    meaning, in :mod:`coopcheck.dsl.codes`. Every diagnostic has a code,
    a severity (``error`` or ``warning``), a span, a one-line message and a help line, and
    they are sorted by file, line and column.

Suppressions
    A comment ``# coopcheck: allow W604 -- the source names no responsible party`` allows
    the listed warnings (``allow W601, W606 -- reason`` for several) on one statement: the
    statement the comment's line belongs to (a comment at the end of any of its lines), or,
    on a line of its own between statements, the next statement. Only the analyses'
    warnings (W601–W607, W609–W612) can be allowed. The reason after ``--`` is required (E601 when it is
    missing; the warning is still allowed); a malformed directive, an unknown code or a code
    that cannot be allowed is E602; an allowance that allows nothing is W608.

JSON (``--format json``)
    One JSON document: a list, in the order above, of objects with exactly these keys::

        {"code": "W604", "severity": "warning", "message": "...", "help": "..." | null,
         "file": "policies/ibaraki.policy" | null, "line": 212 | null, "column": 1 | null,
         "end_line": 212 | null, "end_column": 37 | null}

    Lines and columns are 1-based; ``end_column`` is exclusive; columns count Unicode code
    points. ``file`` is as given on the command line (relative to the working directory
    when possible); it is null only for a diagnostic about no particular file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import attrs
from attrs import frozen

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code, lookup
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, line_of

from coopcheck.analysis import lint_checks as analysis
from coopcheck.analysis import lint_usage
from coopcheck.analysis.lint_locations import comment_start
from coopcheck.core import paths
from coopcheck.core.compiler import compile_modules
from coopcheck.analysis.inventory import check_inventory, inventory_path
from coopcheck.core.loader import display_path, load, oversized
from coopcheck.core.ruleset import Ruleset

#: Codes a suppression may allow: the analyses' warnings (:attr:`Code.allowable`).
ALLOWABLE = tuple(c for c in Code if c.allowable)

RULE_SUFFIXES = (".policy", ".rules")
SUFFIXES = RULE_SUFFIXES + (".test",)

_DIRECTIVE = re.compile(r"#\s*coopcheck\s*:\s*(?P<body>.*)$")
_ALLOW = re.compile(r"allow\b\s*(?P<codes>[^-—]*?)\s*(?:(?:--|—)\s*(?P<reason>.*))?$")
_CODE = re.compile(r"[A-Z]\d{3}")


@frozen
class Suppression:
    """One ``# coopcheck: allow CODES -- reason`` comment and the lines it covers."""

    span: ast.Span
    codes: tuple[Code, ...]
    reason: str | None
    covers: tuple[int, int] | None  # first and last line of the statement; None: nothing


@frozen
class LintResult:
    """What a lint run found."""

    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    unreadable: bool = False  # a named file could not be read: exit 2

    @property
    def errors(self) -> int:
        """How many diagnostics are errors."""
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        """How many diagnostics are warnings."""
        return sum(d.severity != "error" for d in self.diagnostics)

    def failed(self, strict: bool = False) -> bool:
        """Whether the run fails: any error, or any warning when ``strict``."""
        return self.errors > 0 or (strict and self.warnings > 0)


class UsageError(Exception):
    """A path that does not exist or is not a rule file: the command cannot run as asked."""


# ---- files ----------------------------------------------------------------------------------

def default_paths() -> list[Path]:
    """The shipped rule files: ``rules/`` and ``policies/``."""
    return [paths.rules_dir(), paths.policies_dir()]


def find_files(named: Iterable[Path]) -> list[Path]:
    """The rule and test files named, or under the folders named, without repeats.

    Raises :class:`UsageError` for a path that does not exist or a file that is not a
    ``.policy``, ``.rules`` or ``.test`` file.
    """
    found: list[Path] = []
    for p in named:
        p = Path(p)
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file()))
        elif p.exists():
            if p.suffix not in SUFFIXES:
                raise UsageError(f"`{p}` is not a rule file (.policy, .rules or .test)")
            found.append(p)
        else:
            raise UsageError(f"no such file or folder `{p}`")
    unique: dict[Path, Path] = {}
    for f in found:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())


class _Unit:
    """One linted file and what lint learnt about it."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.shown = display_path(path)
        self.source: str | None = None
        self.module: ast.Module | None = None
        self.ruleset: Ruleset | None = None
        self.checked: set[Code] = set()  # codes whose check ran over the whole file

    @property
    def is_test(self) -> bool:
        """Whether the file is a ``.test`` file (parsed only)."""
        return self.path.suffix == ".test"

    @property
    def is_policy(self) -> bool:
        """Whether the file parsed as a policy (``policy COOP``)."""
        return isinstance(self.module.header if self.module else None, ast.PolicyHeader)


# ---- the run ----------------------------------------------------------------------------------

def lint_paths(named: Sequence[Path] | None = None) -> LintResult:
    """Lint the files named (default: the shipped ``rules/`` and ``policies/``).

    Raises :class:`UsageError` when a path does not exist or is not a rule file.
    """
    files = find_files(named if named else default_paths())
    units = [_Unit(f) for f in files]
    found: list[Diagnostic] = []
    unreadable = False
    for unit in units:
        try:
            unit.source = _read(unit.path)
        except CoopcheckError as err:
            # a file that cannot be read exits 2; one too large to read (E106) is an error in it
            unreadable = unreadable or any(d.code is not Code.E106 for d in err.diagnostics)
            found.extend(err.diagnostics)
            continue
        found.extend(_check(unit))
    found.extend(_unused_terms(units))
    checked = {u.shown: u.checked for u in units}
    sources = {u.shown: u.source for u in units if u.source is not None}
    found = _with_source_lines(unique_diagnostics(found), sources)
    suppressions = {u.shown: read_suppressions(u.source, u.module) for u in units if u.module is not None}
    kept, extra = apply_suppressions(found, suppressions, checked)
    diagnostics = sorted(_with_source_lines(kept + extra, sources), key=Diagnostic.sort_key)
    return LintResult(tuple(diagnostics), tuple(u.shown for u in units), unreadable)


def _read(path: Path) -> str:
    try:
        too_large = oversized(path)  # E106, without reading all of a huge file
        if too_large is not None:
            raise CoopcheckError([too_large])
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CoopcheckError([Diagnostic(Code.E302, f"cannot read `{display_path(path)}`: {err.strerror}")]) from None
    except UnicodeDecodeError as err:
        raise CoopcheckError([Diagnostic(Code.E302, f"`{display_path(path)}` is not UTF-8 text (byte {err.start})",
                                         None, "save rule files as UTF-8")]) from None
    return text[1:] if text.startswith("\ufeff") else text


def _check(unit: _Unit) -> list[Diagnostic]:
    """Parse (and for rule files load, compile and analyse) one file."""
    if unit.is_test:
        try:
            unit.module = dsl.parse(unit.source, unit.shown)
        except CoopcheckError as err:
            return list(err.diagnostics)
        unit.checked = set(ALLOWABLE)  # none of the checks applies to a test file
        return []
    try:
        loaded = load(unit.path, unit.source)
    except CoopcheckError as err:
        return list(err.diagnostics)
    unit.module = loaded[-1].module
    try:
        unit.ruleset = compile_modules(loaded)  # E301 covers empty citations too
    except CoopcheckError as err:
        return list(err.diagnostics)
    rs, module, source = unit.ruleset, unit.module, unit.source
    found = [d for _, check in analysis.FILE_ANALYSES for d in check(rs, module, source)]
    clauses = inventory_path(unit.path)
    if unit.is_policy and clauses.is_file():
        try:
            found += check_inventory(rs, clauses)
        except (OSError, UnicodeDecodeError) as err:
            found.append(Diagnostic(Code.E302, f"cannot read `{display_path(clauses)}`: {err}"))
    unit.checked = set(ALLOWABLE) - {Code.W601}  # W601 is judged over the whole run
    return found


def _unused_terms(units: list[_Unit]) -> list[Diagnostic]:
    """W601 over the whole run: a term is used when a rule of a linted file, a case of a
    linted test file, or the engine itself names it or a term under it. A ``.rules``
    module's terms are judged only when a linted policy imports it (else there is nothing
    to judge them by); a policy's own terms by that policy."""
    compiled = [u for u in units if u.ruleset is not None]
    used: set[str] = set()
    for u in compiled:
        used |= lint_usage.ruleset_uses(u.ruleset, [u.shown])
    for u in units:
        if u.is_test and u.module is not None:
            target = _test_target(u, compiled)
            if target is not None:
                used |= lint_usage.case_uses(u.module, target)
    found = []
    for u in compiled:
        if not u.module.of_type(ast.Declaration):
            continue
        if not u.is_policy and not any(v.is_policy and str(u.path) in v.ruleset.files for v in compiled):
            continue
        found += lint_usage.unused_terms(u.ruleset, u.module, u.source, used)
        u.checked.add(Code.W601)
    return found


def _test_target(unit: _Unit, compiled: list[_Unit]) -> Ruleset | None:
    """The ruleset a test file is about, if it is among the linted files or loads cleanly."""
    header = unit.module.header
    if not isinstance(header, ast.TestsHeader):
        return None
    target = header.target
    if target.quoted:
        wanted = (unit.path.parent / target.text).resolve()
        for u in compiled:
            if u.path == wanted:
                return u.ruleset
        loader = lambda: compile_modules(load(wanted))  # noqa: E731
    else:
        for u in compiled:
            if u.ruleset.coop == target.key:
                return u.ruleset
        from coopcheck.core.api import load_policy
        loader = lambda: load_policy(target.text)  # noqa: E731
    try:
        return loader()
    except (CoopcheckError, OSError):
        return None


def unique_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop repeats (an imported file's error is found once per file that imports it)."""
    seen, out = set(), []
    for d in diagnostics:
        key = (d.code, d.span, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _with_source_lines(diagnostics: list[Diagnostic], sources: dict[str, str]) -> list[Diagnostic]:
    """Give located diagnostics that lack it the text of their line, for the caret (not the
    count of the errors left unreported, E108, which is about no line of its own)."""
    out = []
    for d in diagnostics:
        if d.span is not None and d.source_line is None and d.span.file in sources and d.code is not Code.E108:
            d = attrs.evolve(d, source_line=line_of(sources[d.span.file], d.span.line))
        out.append(d)
    return out


# ---- suppressions -----------------------------------------------------------------------------

def read_suppressions(source: str, module: ast.Module) -> list[Suppression | Diagnostic]:
    """The ``# coopcheck:`` comments of a file: suppressions, and E601/E602 diagnostics for
    the ones that are malformed or lack a reason (a reasonless one still suppresses)."""
    ranges = sorted((s.span.line, s.span.end_line) for s in module.statements if s.span is not None)
    out: list[Suppression | Diagnostic] = []
    for number, line in enumerate(source.split("\n"), 1):
        start = comment_start(line)
        if start is None:
            continue
        match = _DIRECTIVE.match(line[start:].rstrip())
        if match is None:
            continue
        body = match.group("body").strip()
        text = line.rstrip("\r")
        span = ast.Span(module.path, number, start + 1, number, len(text.rstrip()) + 1)

        def problem(code: Code, message: str, help: str) -> Diagnostic:
            return Diagnostic(code, message, span, help, source_line=text)

        allow = _ALLOW.match(body)
        usage = "write `# coopcheck: allow W604 -- why the warning is right to ignore here`"
        if allow is None:
            out.append(problem(Code.E602, f"unknown coopcheck directive `{body}`", usage))
            continue
        words = [w for w in re.split(r"[\s,]+", allow.group("codes")) if w]
        bad = [w for w in words if not _CODE.fullmatch(w)]
        if bad or not words:
            out.append(problem(Code.E602, f"`{bad[0]}` is not a diagnostic code" if bad else
                               "`allow` names no code", usage))
            continue
        codes = []
        for code in words:
            known = lookup(code)
            if known is not None and known.allowable:
                codes.append(known)
            elif known is not None:
                out.append(problem(Code.E602, f"`{code}` cannot be allowed", "only the warnings "
                                   + ", ".join(ALLOWABLE) + " can be allowed; fix errors instead"))
            else:
                out.append(problem(Code.E602, f"unknown diagnostic code `{code}`",
                                   "codes that can be allowed: " + ", ".join(ALLOWABLE)))
        reason = (allow.group("reason") or "").strip() or None
        if reason is None:
            out.append(problem(Code.E601, "suppression has no reason",
                               "say why after `--`: `# coopcheck: allow " + ", ".join(words) + " -- why`"))
        if codes:
            out.append(Suppression(span, tuple(codes), reason, _covered(number, start, line, ranges)))
    return out


def _covered(number: int, start: int, line: str, ranges: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The statement a suppression on line ``number`` covers."""
    for first, last in ranges:
        if first <= number <= last:
            return first, last
    if line[:start].strip():
        return None  # a trailing comment outside any statement
    for first, last in ranges:
        if first > number:
            return first, last
    return None


def apply_suppressions(diagnostics: list[Diagnostic], suppressions: dict[str, list],
                       checked: dict[str, set[Code]]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Drop the diagnostics suppressions allow; return the rest, and the diagnostics about
    the suppressions themselves: E601, E602, and W608 for an allowed code whose check ran
    over the file (``checked``: file -> codes) and found nothing there."""
    used: set[tuple[str, int, str]] = set()
    kept = []
    for d in diagnostics:
        hit = None
        if d.span is not None and d.code in ALLOWABLE:
            for s in suppressions.get(d.span.file, ()):
                if (isinstance(s, Suppression) and d.code in s.codes and s.covers is not None
                        and s.covers[0] <= d.span.line <= s.covers[1]):
                    hit = s
                    break
        if hit is None:
            kept.append(d)
        else:
            used.add((hit.span.file, hit.span.line, d.code))
    extra = []
    for file, items in suppressions.items():
        for s in items:
            if isinstance(s, Diagnostic):
                extra.append(s)
                continue
            for code in s.codes:
                if code in checked.get(file, ()) and (file, s.span.line, code) not in used:
                    extra.append(Diagnostic(
                        Code.W608, f"`allow {code}` suppresses nothing here", s.span,
                        "remove it (the warning is gone), or move it onto the statement it is about"))
    return kept, extra


# ---- output -----------------------------------------------------------------------------------

def to_json(diagnostics: Iterable[Diagnostic]) -> list[dict]:
    """The ``--format json`` document: one object per diagnostic (shape in the module doc)."""
    out = []
    for d in diagnostics:
        s = d.span
        out.append({"code": str(d.code), "severity": d.severity, "message": d.message, "help": d.help,
                    "file": s.file if s else None, "line": s.line if s else None,
                    "column": s.column if s else None, "end_line": s.end_line if s else None,
                    "end_column": s.end_column if s else None})
    return out


def summary(result: LintResult) -> str:
    """``N errors, M warnings in K files``."""
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"
    return f"{n(result.errors, 'error')}, {n(result.warnings, 'warning')} in {n(len(result.files), 'file')}"
