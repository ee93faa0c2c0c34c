"""The one registry of diagnostic codes: every code coopcheck reports, with its severity,
a rule name and what it means.

A code is a letter and three digits. The letter is the severity (``E`` error, ``W``
warning); the first digit says which stage reports it (:class:`Family`):

======  =================  ================================================================
code    family             reported by
======  =================  ================================================================
E1xx    parse              the parser (``coopcheck.dsl.parser``); E106–E108 are limits
                           (``coopcheck.dsl.limits``), E108 from any stage
E2xx    compile            the compiler: vocabulary and metadata
E3xx    compile            the loader and compiler: files, imports, headers, rules
E4xx    scenario input     reading a scenario (``check``, ``explain``, the Python API)
E5xx    clause inventory   ``lint``'s check of a policy against its ``.clauses`` file
E6xx    suppression        ``lint``: a malformed ``# coopcheck: allow`` comment
W601–12 analysis           ``lint``'s analyses; only these can be allowed
W608    suppression        ``lint``: an allowance that allows nothing
======  =================  ================================================================

:class:`Code` is a :class:`str` enum, so ``Code.E302 == "E302"`` and a code prints, formats
and serialises to JSON as its text. :class:`~coopcheck.dsl.errors.Diagnostic` refuses a code
that is not registered here, so an emitter that still writes a literal must write one of these.

>>> Code.E308, Code.E308.severity, Code.E308.rule_name
(<Code.E308: 'E308'>, <Severity.ERROR: 'error'>, 'DeclaredPurposeOutsideGrant')
>>> Code("W604").description
'joint use lacks what APPI Art. 27(5)(iii) requires to be made known'
>>> [str(c) for c in Code if c.allowable]
['W601', 'W602', 'W603', 'W604', 'W605', 'W606', 'W607', 'W609', 'W610', 'W611', 'W612']
"""

from __future__ import annotations

import enum
from typing import Mapping


class Severity(enum.StrEnum):
    """How bad a diagnostic is: an error fails the command, a warning only under ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


class Family(enum.StrEnum):
    """The stage of coopcheck that reports a code."""

    PARSE = "parse"
    COMPILE = "compile"
    INPUT = "scenario input"
    INVENTORY = "clause inventory"
    SUPPRESSION = "suppression"
    ANALYSIS = "analysis"


class Code(enum.StrEnum):
    """A registered diagnostic code, with its :attr:`family`, :attr:`rule_name` (a SARIF
    rule name: an identifier in Pascal case) and :attr:`description` (a few words, lower
    case, used as SARIF short description and in ``coopcheck lint --help``)."""

    family: Family
    rule_name: str
    description: str

    def __new__(cls, value: str, family: Family, rule_name: str, description: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.family = family
        member.rule_name = rule_name
        member.description = description
        return member

    @property
    def severity(self) -> Severity:
        """``error`` for an ``E`` code, ``warning`` for a ``W`` code."""
        return Severity.WARNING if self.value.startswith("W") else Severity.ERROR

    @property
    def allowable(self) -> bool:
        """Whether ``# coopcheck: allow CODE -- reason`` may allow it: only the analyses'
        warnings can be; errors must be fixed."""
        return self.family is Family.ANALYSIS

    # ---- parse ------------------------------------------------------------------------------
    E100 = "E100", Family.PARSE, "SyntaxError", "syntax error"
    E101 = "E101", Family.PARSE, "UnexpectedCharacter", "unexpected character"
    E102 = "E102", Family.PARSE, "UnexpectedWord", "unexpected word or incomplete statement"
    E103 = "E103", Family.PARSE, "UnterminatedString", "unterminated string"
    E104 = "E104", Family.PARSE, "UnterminatedCitation", "unterminated citation"
    E105 = "E105", Family.PARSE, "UnknownWord", "a keyword run into the next word, or an unknown word"
    E106 = "E106", Family.PARSE, "FileTooLarge", "rule file larger than the size limit"
    E107 = "E107", Family.PARSE, "LineTooLong", "line longer than the length limit"
    E108 = "E108", Family.PARSE, "TooManyErrors", "more errors in a file than are reported one by one"
    E109 = "E109", Family.PARSE, "MisplacedModifier", "a modifier a statement does not take, or takes twice"
    E110 = "E110", Family.PARSE, "ConditionNotClause", "a `provided that` condition that is not a clause"

    # ---- compile: vocabulary and metadata ---------------------------------------------------
    E201 = "E201", Family.COMPILE, "UnknownTerm", "unknown term, or a term of the wrong kind"
    E203 = "E203", Family.COMPILE, "DuplicateTerm", "duplicate term"
    E204 = "E204", Family.COMPILE, "UnknownParent", "unknown parent"
    E205 = "E205", Family.COMPILE, "HierarchyCycle", "hierarchy cycle"
    E206 = "E206", Family.COMPILE, "ParentOfAnotherKind", "parent of another kind"
    E207 = "E207", Family.COMPILE, "UnknownMetadataKey", "unknown metadata key"
    E208 = "E208", Family.COMPILE, "InvalidDate", "invalid date"
    E209 = "E209", Family.COMPILE, "HierarchyTooDeep", "hierarchy deeper than the depth limit"

    # ---- compile: files, imports, headers, rules --------------------------------------------
    E301 = "E301", Family.COMPILE, "MissingCitation", "rule without a citation"
    E302 = "E302", Family.COMPILE, "UnreadableFile", "file or import not found or unreadable"
    E303 = "E303", Family.COMPILE, "ImportOutsideRoots", "import outside the rule roots"
    E305 = "E305", Family.COMPILE, "WrongFileHeader", "wrong file header"
    E306 = "E306", Family.COMPILE, "StatementNotAllowed", "statement not allowed in this kind of file"
    E307 = "E307", Family.COMPILE, "UnconditionalProvision", "provision to third parties without a condition"
    E308 = "E308", Family.COMPILE, "DeclaredPurposeOutsideGrant", "`any declared purpose` outside a grant"
    E309 = "E309", Family.COMPILE, "RulesTooBroad", "rules speaking of more cases than the index limit"
    E310 = "E310", Family.COMPILE, "GrantWithoutLegalAct", "`disclosed to` in a grant or closed list"

    # ---- scenario input ---------------------------------------------------------------------
    E401 = "E401", Family.INPUT, "UnknownField", "unknown scenario field"
    E402 = "E402", Family.INPUT, "UnknownScenarioTerm", "unknown co-op, action or term in a scenario"
    E403 = "E403", Family.INPUT, "MissingField", "missing scenario field"
    E404 = "E404", Family.INPUT, "WrongFieldType", "scenario field of the wrong type"
    E405 = "E405", Family.INPUT, "RecipientNotAllowed", "recipient not allowed for the action"
    E406 = "E406", Family.INPUT, "InvalidJson", "invalid JSON"

    # ---- clause inventory -------------------------------------------------------------------
    E501 = "E501", Family.INVENTORY, "UnexplainedClause", "clause neither cited nor explained"
    E502 = "E502", Family.INVENTORY, "CitationNotInInventory", "citation not in the clause inventory"
    E503 = "E503", Family.INVENTORY, "MalformedInventoryLine", "malformed or duplicate inventory line"

    # ---- suppressions -----------------------------------------------------------------------
    E601 = "E601", Family.SUPPRESSION, "SuppressionWithoutReason", "suppression without a reason"
    E602 = "E602", Family.SUPPRESSION, "MalformedSuppression", "malformed suppression"
    W608 = "W608", Family.SUPPRESSION, "UnusedSuppression", "suppression that suppresses nothing"

    # ---- lint analyses ----------------------------------------------------------------------
    W601 = "W601", Family.ANALYSIS, "UnusedTerm", "unused vocabulary term"
    W602 = "W602", Family.ANALYSIS, "DuplicateRule", "duplicate rule"
    W603 = "W603", Family.ANALYSIS, "DuplicateMetadata", "single-valued metadata key set twice"
    W604 = "W604", Family.ANALYSIS, "IncompleteJointUse", \
        "joint use lacks what APPI Art. 27(5)(iii) requires to be made known"
    W605 = "W605", Family.ANALYSIS, "DeadGrant", "grant can never permit"
    W606 = "W606", Family.ANALYSIS, "RedundantGrant", "grant wholly covered by another grant"
    W607 = "W607", Family.ANALYSIS, "ClosedListConflict", "closed list contradicts a grant"
    W609 = "W609", Family.ANALYSIS, "SplitTerm", "words read as several terms that also name one term"
    W610 = "W610", Family.ANALYSIS, "DisclosureBarOnOwnSharing", \
        "a bar on any disclosure that also stops the policy's joint use or entrustment"
    W611 = "W611", Family.ANALYSIS, "BarWithoutSubject", "a prohibition or consent requirement without `of`"
    W612 = "W612", Family.ANALYSIS, "ExceptionPermitsNothing", \
        "a bar's `unless` names a legal exception nothing permits on (not honoured)"


#: Registered codes that no module reports, each with the reason it is kept. A registered
#: code must be reported somewhere or be listed here (tests/test_codes.py checks both ways).
RESERVED: Mapping[Code, str] = {}


def registered(code: str) -> Code:
    """The registered :class:`Code` for ``code``; :class:`UnregisteredCode` if there is none.

    >>> registered("E308") is Code.E308
    True
    >>> try:
    ...     registered("E999")
    ... except UnregisteredCode as err:
    ...     print(err)
    `E999` is not a registered diagnostic code (see coopcheck.dsl.codes)
    """
    try:
        return Code(code)
    except ValueError:
        raise UnregisteredCode(code) from None


def lookup(code: str) -> Code | None:
    """The registered :class:`Code` for ``code``, or None (for text a user wrote).

    >>> lookup("W604") is Code.W604, lookup("W699")
    (True, None)
    """
    try:
        return Code(code)
    except ValueError:
        return None


class UnregisteredCode(ValueError):
    """A diagnostic was given a code the registry does not list."""

    def __init__(self, code: object):
        super().__init__(f"`{code}` is not a registered diagnostic code (see coopcheck.dsl.codes)")
        self.code = code
