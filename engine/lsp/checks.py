"""``coopcheck lint``'s diagnostics for one document, from the text the editor holds.

:func:`coopcheck.analysis.lint.lint_paths` reads its files from disk; a language server lints
text that is not saved yet. :func:`lint_model` runs lint's pipeline over a
:class:`~coopcheck.lsp.model.Model` in the same order with the same pieces — the load and
compile errors, the analyses of :mod:`coopcheck.analysis.lint_checks`, the clause-inventory
check when a ``.clauses`` file sits beside a policy, unused terms (W601), then the
``# coopcheck: allow`` suppressions (:func:`~coopcheck.analysis.lint.read_suppressions`,
:func:`~coopcheck.analysis.lint.apply_suppressions`) — so the codes, spans, messages and help
lines are lint's own. tests/test_lsp.py checks that they equal ``lint_paths`` on every shipped
file.

What the document is linted with: a policy with its sibling ``.test`` file, as
``coopcheck lint`` over the folder sees it (a term only the tests use is used); a ``.rules``
module alone (its unused terms are judged only from a policy that imports it); a ``.test``
file parsed only; a ``.clauses`` file through the policy beside it. Texts of other open
documents (the inventory, the test file) are taken as the editor holds them; imports are
read as saved, as the loader reads them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.analysis import lint_checks, lint_usage
from coopcheck.analysis.inventory import check_inventory, inventory_path
from coopcheck.analysis.lint import ALLOWABLE, apply_suppressions, read_suppressions, unique_diagnostics
from coopcheck.core.loader import display_path

from coopcheck.lsp.model import Model, Sources, disk_sources, test_target


@attrs.define
class DocumentLint:
    """What linting a document found: diagnostics in any file (the document, its inventory,
    an import that does not load), and the analyses that failed with an exception (reported
    to the editor's log, not as diagnostics)."""

    diagnostics: list[Diagnostic]
    failures: list[str] = attrs.Factory(list)


def lint_model(model: Model, sources: Sources = disk_sources) -> DocumentLint:
    """Lint's diagnostics for ``model`` (see the module doc for what it is linted with)."""
    if model.suffix == ".clauses":
        if model.target is None:
            return DocumentLint([])
        return lint_model(model.target, sources)
    if model.suffix == ".test":
        if model.module is None:
            return DocumentLint(list(model.parse_error.diagnostics))
        return _finish(model, [], set(ALLOWABLE), [])
    if model.load_error is not None:
        return DocumentLint(list(model.load_error.diagnostics))
    if model.compile_error is not None:
        return _finish(model, list(model.compile_error.diagnostics), set(), [])
    rs, module, source = model.ruleset, model.module, model.text
    found: list[Diagnostic] = []
    failures: list[str] = []
    for name, check in lint_checks.FILE_ANALYSES:  # the same analyses as `coopcheck lint`
        try:
            found += check(rs, module, source)
        except Exception as err:  # noqa: BLE001 - one failing analysis must not take the others away
            failures.append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
    clauses = inventory_path(model.path)
    if model.is_policy and clauses.is_file():
        found += _inventory(model, clauses, sources)
    # W601 is judged over the whole run (the policy with its tests); the rest over the file
    checked = set(ALLOWABLE) - {Code.W601} if not failures else set()
    if model.is_policy and module.of_type(ast.Declaration):
        used = lint_usage.ruleset_uses(rs, [model.shown]) | _test_uses(model, sources)
        found += lint_usage.unused_terms(rs, module, source, used)
        if not failures:
            checked.add(Code.W601)
    return _finish(model, found, checked, failures)


def _finish(model: Model, found: list[Diagnostic], checked: set, failures: list[str]) -> DocumentLint:
    """Drop repeats, apply the file's suppressions, sort: as lint does."""
    unique = unique_diagnostics(found)
    suppressions = {model.shown: read_suppressions(model.text, model.module)}
    kept, extra = apply_suppressions(unique, suppressions, {model.shown: checked})
    return DocumentLint(sorted(kept + extra, key=Diagnostic.sort_key), failures)


def _inventory(model: Model, clauses: Path, sources: Sources) -> list[Diagnostic]:
    """The clause-inventory check (E501–E503) against the inventory as the editor holds it."""
    text = sources(clauses)
    try:
        if text is None or text == disk_sources(clauses):
            return check_inventory(model.ruleset, clauses)
        # an edited, unsaved inventory: check a copy, then name the real file
        with tempfile.TemporaryDirectory(prefix="coopcheck-lsp-") as folder:
            copy = Path(folder) / clauses.name
            copy.write_text(text, encoding="utf-8")
            found = check_inventory(model.ruleset, copy)
            fake, real = display_path(copy), display_path(clauses)
        return [attrs.evolve(d, message=d.message.replace(fake, real),
                             span=attrs.evolve(d.span, file=real) if d.span and d.span.file == fake else d.span)
                for d in found]
    except (OSError, UnicodeDecodeError) as err:
        return [Diagnostic(Code.E302, f"cannot read `{display_path(clauses)}`: {err}")]


def _test_uses(model: Model, sources: Sources) -> set[str]:
    """The terms the policy's sibling ``.test`` file names, when it is about this policy."""
    test = model.path.with_suffix(".test")
    text = sources(test)
    if text is None:
        return set()
    try:
        module = dsl.parse(text, display_path(test))
    except CoopcheckError:
        return set()
    header = module.header
    if not isinstance(header, ast.TestsHeader):
        return set()
    about = test_target(header, test)
    if about != model.path and header.target.key != model.ruleset.coop:
        return set()
    return lint_usage.case_uses(module, model.ruleset)
