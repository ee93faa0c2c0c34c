"""Typed syntax tree of a rule file: frozen attrs nodes with source spans.

Spans are kept out of equality (``eq=False``) so two trees that say the same thing compare
equal wherever they were written. Names are not resolved here: a :class:`Term` holds what the
author wrote; the engine's compiler resolves it against the vocabulary.
"""

from __future__ import annotations

import unicodedata
from typing import Union

from attrs import field, frozen


@frozen
class Span:
    """A region of a source file, 1-based lines and columns (end column exclusive)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def normalize_text(text: str) -> str:
    """NFKC-normalize and trim a name, the way every lookup of a term compares names."""
    return unicodedata.normalize("NFKC", text).strip()


@frozen
class Term:
    """A term as written: words (``purchase history``) or a quoted label (``"日本生協連"``)."""

    text: str
    quoted: bool = False
    span: Span | None = field(default=None, eq=False, repr=False)

    @property
    def key(self) -> str:
        """The id this term reads as when written in words: lower-case, words joined by ``_``."""
        return "_".join(normalize_text(self.text).lower().split())

    def __str__(self) -> str:
        return f'"{self.text}"' if self.quoted else self.text


@frozen
class Selector:
    """A list of terms in a rule, or a wildcard (``any purpose``, ``any declared purpose``)."""

    terms: tuple[Term, ...] = ()
    any: bool = False
    declared: bool = False
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Citation:
    """The source clause a rule encodes, written ``[指針2 ◇共済事業]``."""

    text: str
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Condition:
    """One condition or exception: consent, a named legal exception, or any honoured one."""

    kind: str  # "consent" | "exception" | "any_exception"
    term: Term | None = None
    span: Span | None = field(default=None, eq=False, repr=False)
    #: written as a clause (``consent is given``, ``by law applies``), as a condition must be
    clause: bool = field(default=False, eq=False, repr=False)


@frozen
class ModuleHeader:
    """``module NAME``: the file is a shared rule module (``rules/``)."""

    name: Term
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class PolicyHeader:
    """``policy COOP``: the file is one co-op's policy."""

    coop: Term
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class TestsHeader:
    """``tests for COOP`` or ``tests for "file.policy"``: the file holds rule-file tests."""

    target: Term
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Import:
    """``import NAME`` (a module in the rule roots) or ``import "relative/path.rules"``."""

    target: Term
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Meta:
    """``key: value, ...``: policy metadata (name, date, responsible party, contact …)."""

    key: str
    values: tuple[str, ...]
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Declaration:
    """A vocabulary term: ``data item purchase_history is transaction_data, label "購買履歴"``."""

    kind: str  # item | party | purpose | subject | exception | obligation | coop
    name: Term
    parent: Term | None = None
    label: str | None = None
    aliases: tuple[str, ...] = ()
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Grant:
    """``ITEMS [of SUBJECTS] may be VERB [RECIPIENTS] for PURPOSES ... [clause]``.

    ``verb`` is ``use``, ``collect``, ``publish``, ``joint_use`` (shared with), ``entrust``
    (entrusted to), ``provide`` (provided to) or ``disclose`` (disclosed to: any of the three;
    the compiler refuses it in a grant, which needs one legal act).
    """

    verb: str
    items: Selector
    subjects: Selector | None
    recipients: Selector | None
    purposes: Selector
    conditions: tuple[Condition, ...] = ()
    obligations: tuple[Term, ...] = ()
    managed_by: Term | None = None
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class ClosedGrant:
    """``ITEMS [of SUBJECTS] may only be VERB ... for PURPOSES [unless ...]``: a closed list."""

    verb: str
    items: Selector
    subjects: Selector | None
    recipients: Selector | None
    purposes: Selector
    exceptions: tuple[Condition, ...] = ()
    obligations: tuple[Term, ...] = ()
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Prohibition:
    """``ITEMS [of SUBJECTS] must not be VERB ... [for PURPOSES] [unless ...]``."""

    verb: str
    items: Selector
    subjects: Selector | None
    recipients: Selector | None
    purposes: Selector | None
    exceptions: tuple[Condition, ...] = ()
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Requirement:
    """``collecting ITEMS [of SUBJECTS] [with R] [for P] requires consent|notice [unless ...]``.

    ``verb`` is the legal act the gerund names, as for the passive verbs: ``using`` → ``use``,
    ``sharing`` → ``joint_use``, ``disclosing`` → ``disclose`` …
    """

    verb: str
    items: Selector
    subjects: Selector | None
    recipients: Selector | None
    purposes: Selector | None
    needs: tuple[str, ...]
    exceptions: tuple[Condition, ...] = ()
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Honour:
    """``honour legal exceptions: by law, ...``: the legal exceptions the co-op relies on."""

    exceptions: tuple[Term, ...]
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class CaseScenario:
    """The scenario of a test case, as written."""

    action: str
    items: tuple[Term, ...]
    subject: Term | None
    recipient: Term | None
    purpose: Term
    consent: bool = False
    exception: Term | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Expectation:
    """``expect permit|deny [by BASIS] [citing [clause]]``."""

    effect: str
    basis: Term | None = None
    citation: Citation | None = None
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Case:
    """``case "name": SCENARIO expect ...``: one rule-file test."""

    name: str
    scenario: CaseScenario
    expect: Expectation
    span: Span | None = field(default=None, eq=False, repr=False)


@frozen
class Comment:
    """A ``#`` comment, kept for tools that rewrite the file (the formatter).

    ``text`` runs from ``#`` to the end of the line, trailing spaces removed. A *trailing*
    comment follows code on its line; an own-line comment is alone on its line (``span.column``
    tells whether it was indented). Comments never change what a file means.
    """

    text: str
    span: Span
    trailing: bool = False


Rule = Union[Grant, ClosedGrant, Prohibition, Requirement, Honour]
Statement = Union[
    ModuleHeader, PolicyHeader, TestsHeader, Import, Meta, Declaration,
    Grant, ClosedGrant, Prohibition, Requirement, Honour, Case,
]
RULE_TYPES = (Grant, ClosedGrant, Prohibition, Requirement, Honour)


@frozen
class Module:
    """A parsed rule file: its path and its statements in source order.

    ``comments`` holds the file's comments in source order; like spans, they are kept out of
    equality, so two files that say the same thing compare equal however they are commented.
    """

    path: str
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = field(default=(), eq=False, repr=False)

    @property
    def header(self) -> ModuleHeader | PolicyHeader | TestsHeader | None:
        """The file's ``module`` / ``policy`` / ``tests for`` header, if it has one."""
        for stmt in self.statements:
            if isinstance(stmt, (ModuleHeader, PolicyHeader, TestsHeader)):
                return stmt
        return None

    def of_type(self, *types: type) -> tuple:
        """The statements of the given node types, in source order."""
        return tuple(s for s in self.statements if isinstance(s, types))
