"""What an open document means while it is being typed.

A :class:`Model` is built from a document's current text (and the texts of the documents it
depends on: its imports, its clause inventory, the policy a test file is about, as the editor
holds them). It keeps two views:

- the view ``coopcheck lint`` takes (:attr:`Model.loaded`, :attr:`Model.load_error`,
  :attr:`Model.ruleset`, :attr:`Model.compile_error`): the file loaded with its imports and
  compiled, or the error that stopped it — :mod:`coopcheck.lsp.checks` turns it into lint's
  diagnostics;
- a tolerant view for hover, completion and go-to-definition (:attr:`Model.partial`,
  :attr:`Model.context`, :attr:`Model.vocabulary`): the statements that parse, the modules
  they import, and a vocabulary built from every declaration found even when the file does
  not compile (a misspelt term must not take hover and completion away).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError

from coopcheck.analysis.inventory import Clause, inventory_path
from coopcheck.core import paths
from coopcheck.core.compiler import compile_modules
from coopcheck.core.loader import LoadedModule, default_roots, display_path, load
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.vocabulary import TermInfo, Vocabulary

#: The files the server knows: rule files, rule-file tests and clause inventories.
RULE_SUFFIXES = (".policy", ".rules")
SUFFIXES = RULE_SUFFIXES + (".test", ".clauses")

#: ``path -> text``: a document's text as the editor holds it, else as saved (None: unreadable).
Sources = Callable[[Path], "str | None"]


def disk_sources(path: Path) -> str | None:
    """The saved text of ``path`` (None when it cannot be read)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text[1:] if text.startswith("\ufeff") else text


# ---- tolerant parsing -------------------------------------------------------------------------

def statement_lines(text: str) -> list[tuple[int, int]]:
    """``(first, last)`` 0-based lines of each statement: a line that starts at column 0 (not
    blank, not a comment) begins one; indented, blank and comment lines belong to the one
    above (as the parser reads continuation lines)."""
    spans: list[list[int]] = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip(" \t\r\u3000")
        if not stripped or stripped.startswith("#"):
            continue
        if line[:1] in (" ", "\t", "\u3000") and spans:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return [(a, b) for a, b in spans]


def tolerant_parse(text: str, name: str) -> ast.Module:
    """The statements of ``text`` that parse, each parsed on its own (at its own lines, so
    spans are those of the whole file). A file that parses gives its whole module."""
    try:
        return dsl.parse(text, name)
    except CoopcheckError:
        pass
    lines = text.split("\n")
    statements: list = []
    for first, last in statement_lines(text):
        chunk = "\n" * first + "\n".join(lines[first:last + 1]) + "\n"
        try:
            statements.extend(dsl.parse(chunk, name).statements)
        except CoopcheckError:
            continue
    return ast.Module(name, tuple(statements))


# ---- clause inventories -----------------------------------------------------------------------

def parse_inventory(text: str) -> list[Clause]:
    """The clauses of an inventory's text, as :func:`coopcheck.analysis.inventory.read_inventory`
    reads them (malformed and repeated lines skipped: lint reports those)."""
    out: list[Clause] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        label, _, reason = (part.strip() for part in line.partition("|"))
        if not label or ("|" in line and not reason) or label in seen:
            continue
        seen.add(label)
        out.append(Clause(label, reason or None, number))
    return out


# ---- files a document points at ---------------------------------------------------------------

def rule_roots(importer: Path | None) -> tuple[Path, ...]:
    """Where imports are looked up: the shipped roots and the importing file's folder."""
    roots = default_roots()
    return roots + ((importer.parent,) if importer is not None else ())


def resolve_import(term: ast.Term, importer: Path | None) -> Path | None:
    """The file an ``import`` names, found as the loader finds it (None when there is none)."""
    roots = rule_roots(importer)
    if term.quoted:
        base = importer.parent if importer else roots[0]
        target = (base / term.text).resolve()
        return target if target.is_file() else None
    search = ([importer.parent] if importer else []) + list(roots)
    for root in search:
        candidate = (root / f"{term.key}.rules").resolve()
        if candidate.is_file():
            return candidate
    return None


def module_names(importer: Path | None) -> list[str]:
    """The modules an ``import`` can name from ``importer``."""
    return sorted({p.stem for r in rule_roots(importer) if r.is_dir() for p in r.glob("*.rules")})


def test_target(header: ast.TestsHeader, test_file: Path) -> Path | None:
    """The policy a ``tests for …`` header is about: a quoted path beside the test file, or a
    co-op id (the ``.policy`` beside it, else the shipped one)."""
    target = header.target
    if target.quoted:
        path = (test_file.parent / target.text).resolve()
        return path if path.is_file() else None
    for folder in (test_file.parent, paths.policies_dir()):
        path = (folder / f"{target.key}.policy").resolve()
        if path.is_file():
            return path
    return None


# ---- vocabulary ---------------------------------------------------------------------------------

def tolerant_vocabulary(modules: list[LoadedModule]) -> Vocabulary:
    """Every term declared in ``modules`` (the first declaration of an id wins; an unknown
    parent, a parent of another kind or a cycle is dropped): the compiler's vocabulary when
    the files compile, and as much of it as can be had when they do not."""
    decls: dict[str, ast.Declaration] = {}
    for loaded in modules:
        for d in loaded.module.of_type(ast.Declaration):
            decls.setdefault(d.name.key, d)
    terms: dict[str, TermInfo] = {}
    for tid, d in decls.items():
        parent = d.parent.key if d.parent else None
        if parent is not None and (parent not in decls or decls[parent].kind != d.kind):
            parent = None
        terms[tid] = TermInfo(tid, d.kind, parent, d.label, d.aliases)
    for tid in list(terms):
        seen, cur = set(), tid
        while cur is not None and cur not in seen:
            seen.add(cur)
            cur = terms[cur].parent
        if cur is not None:  # a cycle through `cur`: cut it there
            info = terms[cur]
            terms[cur] = TermInfo(info.id, info.kind, None, info.label, info.aliases)
    return Vocabulary.build(terms)


# ---- the model ----------------------------------------------------------------------------------

class Model:
    """One document's text and what it means (see the module doc)."""

    def __init__(self, path: Path, text: str):
        self.path = Path(path).resolve()
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.shown = display_path(self.path)
        self.suffix = self.path.suffix
        self.lines = self.text.split("\n")
        # lint's view
        self.module: ast.Module | None = None
        self.parse_error: CoopcheckError | None = None
        self.loaded: list[LoadedModule] | None = None
        self.load_error: CoopcheckError | None = None
        self.ruleset: Ruleset | None = None
        self.compile_error: CoopcheckError | None = None
        # the tolerant view
        self.partial: ast.Module = ast.Module(self.shown, ())
        self.context: list[LoadedModule] = []
        self.vocabulary: Vocabulary = Vocabulary.build({})
        #: the policy a ``.test`` or ``.clauses`` file is about
        self.target: Model | None = None
        #: the clause inventory of this policy (or of the target's), and its clauses
        self.inventory: Path | None = None
        self.clauses: list[Clause] = []

    @property
    def is_rule_file(self) -> bool:
        """Whether the document is a ``.policy`` or ``.rules`` file."""
        return self.suffix in RULE_SUFFIXES

    @property
    def is_policy(self) -> bool:
        """Whether the document parsed (at least its header) as a policy."""
        return isinstance(self.partial.header, ast.PolicyHeader)

    @property
    def policy(self) -> "Model | None":
        """The rule file whose terms and rules this document speaks of: itself for a rule
        file, the policy for a test file or an inventory."""
        return self if self.is_rule_file else self.target

    @property
    def terms(self) -> Vocabulary:
        """The vocabulary names in this document resolve against."""
        owner = self.policy
        return owner.vocabulary if owner is not None else self.vocabulary

    def declaration_of(self, tid: str) -> tuple[Path, ast.Declaration] | None:
        """The file and declaration of term ``tid``, in the modules this document sees."""
        owner = self.policy
        if owner is None:
            return None
        for loaded in owner.context:
            for d in loaded.module.of_type(ast.Declaration):
                if d.name.key == tid:
                    return Path(loaded.path), d
        return None

    def clause(self, label: str) -> Clause | None:
        """The inventory clause called ``label``."""
        owner = self.policy
        for c in (owner.clauses if owner is not None else ()):
            if c.label == label.strip():
                return c
        return None


def build_model(path: Path, text: str, sources: Sources = disk_sources, *,
                with_target: bool = True) -> Model:
    """The :class:`Model` of the document at ``path`` holding ``text``; ``sources`` gives the
    text of the files it depends on (open documents as edited, others as saved)."""
    m = Model(path, text)
    if m.suffix == ".clauses":
        m.clauses = parse_inventory(m.text)
        m.inventory = m.path
        policy = m.path.with_suffix(".policy")
        policy_text = sources(policy) if with_target else None
        if policy_text is not None:
            m.target = build_model(policy, policy_text, sources, with_target=False)
        return m
    try:
        m.module = dsl.parse(m.text, m.shown)
        m.partial = m.module
    except CoopcheckError as err:
        m.parse_error = err
        m.partial = tolerant_parse(m.text, m.shown)
    if m.suffix == ".test":
        header = m.partial.header
        if with_target and isinstance(header, ast.TestsHeader):
            target = test_target(header, m.path)
            target_text = sources(target) if target is not None else None
            if target_text is not None:
                m.target = build_model(target, target_text, sources, with_target=False)
        m.context = [LoadedModule(str(m.path), m.partial, m.text)]
        m.vocabulary = tolerant_vocabulary(m.context)
        return m
    # a rule file: load it with its imports as lint does ...
    if m.parse_error is None:
        try:
            m.loaded = load(m.path, m.text)
        except CoopcheckError as err:
            m.load_error = err
    else:
        m.load_error = m.parse_error
    if m.loaded is not None:
        try:
            m.ruleset = compile_modules(m.loaded)
        except CoopcheckError as err:
            m.compile_error = err
        m.context = m.loaded
    else:  # ... and, when that fails, as much of it as loads
        m.context = _tolerant_load(m)
    m.vocabulary = m.ruleset.vocabulary if m.ruleset is not None else tolerant_vocabulary(m.context)
    if m.is_policy:
        clauses = inventory_path(m.path)
        clauses_text = sources(clauses)
        if clauses_text is not None:
            m.inventory = clauses
            m.clauses = parse_inventory(clauses_text)
    return m


def _tolerant_load(m: Model) -> list[LoadedModule]:
    """The modules the statements that parse import (those that load), then the document."""
    out: dict[str, LoadedModule] = {}
    for imp in m.partial.of_type(ast.Import):
        target = resolve_import(imp.target, m.path)
        if target is None:
            continue
        try:
            for loaded in load(target):
                out.setdefault(loaded.path, loaded)
        except CoopcheckError:
            continue
    out.pop(str(m.path), None)
    return list(out.values()) + [LoadedModule(str(m.path), m.partial, m.text)]


#: A WORD of the grammar, whole: what may be written as a term without quotes.
WORD_RE = re.compile(r"[^\W\d][\w\-]*")
