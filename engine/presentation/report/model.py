"""What the report pages show, extracted from compiled rulesets.

Everything here is a frozen value built from a :class:`~coopcheck.core.ruleset.Ruleset`; the
rendering in :mod:`coopcheck.presentation.report.html` only formats it. Rows keep the terms as the policy
wrote them (``written``), so a table reads like the source, and every row carries the clause
its rule cites. Comparison matrices use the compiled term sets, so a co-op that declares a
broader term (``kyosai``) is shown as covering the narrower row (``kyosai_contract``) *via*
that term.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

from attrs import frozen

import coopcheck.dsl as dsl
from coopcheck.dsl import ast

from coopcheck.core.ruleset import CompiledRule, Ruleset
from coopcheck.core.vocabulary import Vocabulary

#: Metadata keys in the order a page lists them (the policy language's known keys).
META_ORDER = ("name", "short name", "date", "revised", "responsible party", "representative",
              "address", "contact", "disclosure fee", "request procedure", "note")

#: Rule verbs by the table they belong to.
USE_VERBS = ("use", "collect")
JOINT_USE_VERBS = ("joint_use", "share")
ENTRUST_VERBS = ("entrust",)
PROVISION_VERBS = ("provide", "publish")


@frozen
class RuleRow:
    """One rule as a table row: the terms as written, its conditions and its clause.

    Empty term tuples mean "any" (any subject, any purpose, ...); ``declared_purposes``
    means the purposes are "any purpose the policy declares" for that subject and item.
    """

    rule: str
    kind: str
    verb: str
    actions: tuple[str, ...]
    items: tuple[str, ...]
    subjects: tuple[str, ...]
    recipients: tuple[str, ...]
    purposes: tuple[str, ...]
    declared_purposes: bool
    conditions: tuple[str, ...]
    exceptions: tuple[str, ...]
    needs: tuple[str, ...]
    obligations: tuple[str, ...]
    managed_by: str | None
    clause: str

    @classmethod
    def of(cls, rule: CompiledRule) -> "RuleRow":
        """The row for a compiled rule."""
        written = rule.written

        def terms(key: str) -> tuple[str, ...]:
            return tuple(written.get(key, ()))

        return cls(rule=rule.id, kind=rule.kind, verb=rule.verb, actions=tuple(sorted(rule.actions)),
                   items=terms("items"), subjects=terms("subjects"), recipients=terms("recipients"),
                   purposes=terms("purposes"), declared_purposes=rule.declared_purposes,
                   conditions=rule.conditions, exceptions=rule.exceptions, needs=rule.needs,
                   obligations=rule.obligations, managed_by=rule.managed_by,
                   clause=rule.clause or rule.citation or "")


@frozen
class SubjectGroup:
    """The purpose-of-use rows about one data subject (``None``: rules about any subject)."""

    subject: str | None
    rows: tuple[RuleRow, ...]


@frozen
class MetaRow:
    """One metadata line: key, values and the clause it cites (``None`` when it cites none)."""

    key: str
    values: tuple[str, ...]
    clause: str | None


@frozen
class ExceptionRow:
    """A legal exception the co-op honours, with the clause that says so."""

    exception: str
    rule: str
    clause: str


@frozen
class CoopPage:
    """Everything one co-op's page shows."""

    key: str  # unique among the pages of one report; the co-op id unless two files share it
    coop: str
    page: str  # file name, e.g. ``aizu.html``
    name: str | None
    short_name: str | None
    vocabulary: Vocabulary
    meta: tuple[MetaRow, ...]
    purposes: tuple[SubjectGroup, ...]
    joint_uses: tuple[RuleRow, ...]
    entrustments: tuple[RuleRow, ...]
    provisions: tuple[RuleRow, ...]
    restrictions: tuple[RuleRow, ...]
    exceptions: tuple[ExceptionRow, ...]
    source: str | None  # the policy file's name

    def meta_value(self, key: str) -> tuple[str, ...]:
        """The values of a metadata key (empty when the policy does not set it)."""
        for row in self.meta:
            if row.key == key:
                return row.values
        return ()

    @property
    def title(self) -> str:
        """The co-op's name, or its id when the policy sets none."""
        return self.name or self.coop

    @property
    def row_count(self) -> int:
        """How many rule rows the page's tables hold (a rule may appear in two tables)."""
        return (sum(len(g.rows) for g in self.purposes) + len(self.joint_uses) + len(self.entrustments)
                + len(self.provisions) + len(self.restrictions) + len(self.exceptions))


# ---- one co-op ----------------------------------------------------------------------------

def _order(vocab: Vocabulary, kind: str) -> dict[str, int]:
    return {tid: i for i, tid in enumerate(vocab.of_kind(kind))}


def _meta_clauses(ruleset: Ruleset) -> dict[tuple[str, tuple[str, ...]], str]:
    """(key, values) -> clause, read back from the policy source (the ruleset keeps the
    metadata values but not which line cited which clause)."""
    if not ruleset.files:
        return {}
    path = Path(ruleset.files[-1])
    try:
        text = path.read_text(encoding="utf-8")
        module = dsl.parse(text, str(path))
    except Exception:  # a ruleset compiled from a string, or a file moved since: no clauses
        return {}
    out: dict[tuple[str, tuple[str, ...]], str] = {}
    for stmt in module.of_type(ast.Meta):
        if stmt.citation is not None:
            out.setdefault((stmt.key, tuple(stmt.values)), stmt.citation.text)
    return out


def _meta_rows(ruleset: Ruleset) -> tuple[MetaRow, ...]:
    clauses = _meta_clauses(ruleset)
    by_values: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for (key, values), clause in clauses.items():
        by_values.setdefault(key, []).append((values, clause))
    rows: list[MetaRow] = []
    keys = [k for k in META_ORDER if k in ruleset.meta] + sorted(k for k in ruleset.meta if k not in META_ORDER)
    for key in keys:
        values = tuple(ruleset.meta[key])
        if key == "note" or len(by_values.get(key, ())) > 1:
            # one row per source line, so each keeps its own clause
            rest = list(values)
            for line_values, clause in by_values.get(key, ()):
                if tuple(rest[:len(line_values)]) == line_values:
                    rows.append(MetaRow(key, line_values, clause))
                    rest = rest[len(line_values):]
            for value in rest:
                rows.append(MetaRow(key, (value,), clauses.get((key, (value,)))))
        else:
            rows.append(MetaRow(key, values, clauses.get((key, values))))
    return tuple(rows)


def _subject_groups(rows: Sequence[RuleRow], vocab: Vocabulary) -> tuple[SubjectGroup, ...]:
    order = _order(vocab, "subject")
    groups: dict[str | None, list[RuleRow]] = {}
    for row in rows:
        for subject in row.subjects or (None,):
            groups.setdefault(subject, []).append(row)
    keys = sorted(groups, key=lambda s: (s is None, order.get(s, len(order)) if s else 0, s or ""))
    return tuple(SubjectGroup(s, tuple(groups[s])) for s in keys)


def coop_page(ruleset: Ruleset, key: str | None = None) -> CoopPage:
    """The page model of one compiled policy; ``key`` names its page (default: the co-op id)."""
    coop = ruleset.coop or (Path(ruleset.files[-1]).stem if ruleset.files else "policy")
    key = key or coop
    own = [r for r in ruleset.rules if r.module == ruleset.coop]
    rows = [RuleRow.of(r) for r in own]
    grants = [row for row in rows if row.kind in ("grant", "closed")]
    meta = _meta_rows(ruleset)
    short = ruleset.meta.get("short name")
    return CoopPage(
        key=key,
        coop=coop,
        page=f"{safe_name(key)}.html",
        name=ruleset.name,
        short_name=short[0] if short else None,
        vocabulary=ruleset.vocabulary,
        meta=meta,
        purposes=_subject_groups([r for r in grants if r.verb in USE_VERBS], ruleset.vocabulary),
        joint_uses=tuple(r for r in grants if r.verb in JOINT_USE_VERBS),
        entrustments=tuple(r for r in grants if r.verb in ENTRUST_VERBS),
        provisions=tuple(r for r in grants if r.verb in PROVISION_VERBS),
        restrictions=tuple(r for r in rows if r.kind in ("prohibition", "closed", "requirement")),
        exceptions=tuple(ExceptionRow(e, r.id, r.clause or r.citation or "")
                         for r in own if r.kind == "honour" for e in r.conditions),
        source=Path(ruleset.files[-1]).name if ruleset.files else None,
    )


def baseline_rows(ruleset: Ruleset) -> tuple[RuleRow, ...]:
    """The rules a policy imports rather than states (the law baseline), as rows."""
    return tuple(RuleRow.of(r) for r in ruleset.rules if r.module != ruleset.coop)


def safe_name(text: str) -> str:
    """A file-name-safe form of a co-op id (letters, digits, ``_`` and ``-``)."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in text)
    return cleaned or "policy"


# ---- comparison ---------------------------------------------------------------------------

@frozen
class CellEntry:
    """One rule behind a matrix cell.

    ``via`` is the broader term the rule wrote when it covers the row only through the
    hierarchy (``None`` when it names the row's term itself); ``detail`` holds the terms that
    qualify the entry (subjects or items for a purpose, purposes for a joint user,
    joint users for an item), with markers ``*subject`` (any subject), ``*declared`` (any
    declared purpose) and ``*items:N`` (N data items).
    """

    rule: str
    clause: str
    via: str | None
    detail: tuple[str, ...] = ()


@frozen
class MatrixRow:
    """One term and, per co-op in the comparison's order, the rules covering it."""

    term: str
    cells: tuple[tuple[CellEntry, ...], ...]


@frozen
class Matrix:
    """Co-ops side by side on one kind of term."""

    key: str  # purposes | joint_users | joint_items
    rows: tuple[MatrixRow, ...]


def _covering(written: Sequence[str], compiled: frozenset | None, term: str,
              vocab: Vocabulary) -> str | None | bool:
    """How a rule's terms reach ``term``: ``None`` if written, the broader written term if
    through the hierarchy, ``False`` if not at all."""
    if term in written:
        return None
    if compiled is not None and term not in compiled:
        return False
    for w in written:
        if term in vocab.descendants.get(w, ()):
            return w
    return False


def _matrix(key: str, kind: str, rulesets: Sequence[Ruleset], pick: Callable[[CompiledRule], bool],
            dimension: str, detail: Callable[[CompiledRule], tuple[str, ...]]) -> Matrix:
    vocab = rulesets[0].vocabulary
    order = _order(vocab, kind)
    chosen = [[r for r in rs.rules if r.module == rs.coop and pick(r)] for rs in rulesets]
    terms = sorted({t for rules in chosen for r in rules for t in r.written.get(dimension, ())},
                   key=lambda t: (order.get(t, len(order)), t))
    rows = []
    for term in terms:
        cells = []
        for rs, rules in zip(rulesets, chosen):
            entries = []
            for r in rules:
                via = _covering(r.written.get(dimension, ()), getattr(r, dimension), term, rs.vocabulary)
                if via is False:
                    continue
                entries.append(CellEntry(r.id, r.clause or r.citation or "", via, detail(r)))
            cells.append(tuple(entries))
        rows.append(MatrixRow(term, tuple(cells)))
    return Matrix(key, tuple(rows))


def _is_declared_use(r: CompiledRule) -> bool:
    """A purpose of use declared outright (not opened by consent, not "any purpose")."""
    return (r.kind in ("grant", "closed") and r.verb in USE_VERBS and not r.conditions
            and bool(r.written.get("purposes")))


def _is_joint_use(r: CompiledRule) -> bool:
    return r.kind in ("grant", "closed") and r.verb in JOINT_USE_VERBS


def _use_detail(r: CompiledRule) -> tuple[str, ...]:
    """Subjects other than members, and items short of all personal data ("*…" are markers)."""
    subjects = tuple(r.written.get("subjects", ()))
    items = tuple(r.written.get("items", ()))
    detail: tuple[str, ...] = ()
    if subjects != ("member",):
        detail += subjects or ("*subject",)
    if items != ("personal_data",):
        detail += items if len(items) <= 3 else (f"*items:{len(items)}",)
    return detail


def _joint_user_detail(r: CompiledRule) -> tuple[str, ...]:
    """The joint use's purposes ("*declared": any purpose the policy declares)."""
    return tuple(r.written.get("purposes", ())) or ("*declared",)


def _joint_item_detail(r: CompiledRule) -> tuple[str, ...]:
    """The joint users an item is shared with."""
    return tuple(r.written.get("recipients", ()))


@frozen
class PairDiff:
    """The exact difference between two co-ops' rulesets (``diff`` is an
    :class:`coopcheck.analysis.diff.PolicyDiff`, or ``None`` with ``error`` when it could not be computed)."""

    a: str
    b: str
    diff: object | None
    error: str | None = None

    @property
    def page(self) -> str:
        """The file name of the pair's page listing every region."""
        return f"diff-{safe_name(self.a)}-{safe_name(self.b)}.html"

    @property
    def groups(self) -> tuple["RegionGroup", ...]:
        """The regions grouped by action and outcome pair (empty when not compared)."""
        return group_regions(self.diff.regions) if self.diff is not None else ()

    def universe(self, kind: str, vocab: Vocabulary) -> list[str]:
        """The terms of ``kind`` the diff compared (every term of the vocabulary by default)."""
        uni = getattr(self.diff, "universe", None) or {}
        return list(uni.get(kind) or vocab.of_kind(kind))


@frozen
class Comparison:
    """Everything the comparison page shows."""

    coops: tuple[CoopPage, ...]
    vocabulary: Vocabulary
    matrices: tuple[Matrix, ...]
    pairs: tuple[PairDiff, ...]
    baseline: str | None


def pairs_of(coops: Sequence[str], baseline: str | None = None) -> list[tuple[str, str]]:
    """The pairs to diff: each co-op against the baseline, or every pair when there is none.

    >>> pairs_of(["a", "b", "c"])
    [('a', 'b'), ('a', 'c'), ('b', 'c')]
    >>> pairs_of(["a", "b", "c"], baseline="b")
    [('b', 'a'), ('b', 'c')]
    """
    if baseline is not None:
        return [(baseline, c) for c in coops if c != baseline]
    return [(a, b) for i, a in enumerate(coops) for b in coops[i + 1:]]


def _diff_pair(a: Ruleset, b: Ruleset, a_id: str, b_id: str) -> PairDiff:
    try:
        from coopcheck.analysis.diff import diff_rulesets
    except ImportError as err:  # pragma: no cover - the diff module ships with the engine
        return PairDiff(a_id, b_id, None, f"policy diff unavailable: {err}")
    return PairDiff(a_id, b_id, diff_rulesets(a, b))


def comparison(rulesets: Sequence[Ruleset], pages: Sequence[CoopPage], baseline: str | None = None,
               with_diffs: bool = True) -> Comparison:
    """The comparison model: matrices over the shared terms and the pairwise diffs."""
    vocab = rulesets[0].vocabulary
    matrices = (
        _matrix("purposes", "purpose", rulesets, _is_declared_use, "purposes", _use_detail),
        _matrix("joint_users", "party", rulesets, _is_joint_use, "recipients", _joint_user_detail),
        _matrix("joint_items", "item", rulesets, _is_joint_use, "items", _joint_item_detail),
    )
    by_key = {p.key: rs for p, rs in zip(pages, rulesets)}
    pairs: list[PairDiff] = []
    if with_diffs and len(pages) > 1:
        for a, b in pairs_of([p.key for p in pages], baseline):
            pairs.append(_diff_pair(by_key[a], by_key[b], a, b))
    return Comparison(tuple(pages), vocab, matrices, tuple(pairs), baseline)


@frozen
class TermSet:
    """A set of terms as a page shows it.

    ``terms`` holds ``(id, whole)`` pairs in vocabulary order, ``whole`` when the id stands
    for itself and every term under it. ``everything`` means every term compared; when
    ``except_`` is true the set is every term compared *except* ``terms``.
    """

    terms: tuple[tuple[str, bool], ...]
    everything: bool = False
    except_: bool = False


def _compress(chosen: set, universe: Sequence[str], vocab: Vocabulary) -> tuple[tuple[str, bool], ...]:
    uni = set(universe)
    shown: list[tuple[str, bool]] = []
    covered: set[str] = set()
    for tid in universe:  # declaration order: parents before children
        if tid not in chosen or tid in covered:
            continue
        below = vocab.descendants.get(tid, frozenset({tid})) & uni
        if len(below) > 1 and below <= chosen:
            shown.append((tid, True))
            covered |= below
        else:
            shown.append((tid, False))
            covered.add(tid)
    return tuple(shown)


def term_set(ids: Iterable[str], kind: str, vocab: Vocabulary, universe: Sequence[str] | None = None) -> TermSet:
    """``ids`` with complete subtrees collapsed to their root, or as "every term except …"
    when that is shorter.

    >>> from coopcheck.core.api import load_policy
    >>> v = load_policy("aizu").vocabulary
    >>> term_set(["purchase_history", "catalog_purchase_data", "name"], "item", v).terms
    (('name', False), ('purchase_history', True))
    >>> s = term_set([p for p in v.of_kind("purpose") if p != "hiring"], "purpose", v)
    >>> s.except_, s.terms
    (True, (('hiring', False),))
    """
    uni = list(universe) if universe is not None else vocab.of_kind(kind)
    chosen = set(ids)
    uni += sorted(chosen - set(uni))  # terms outside the universe still show
    if chosen >= set(uni):
        return TermSet((), everything=True)
    shown = _compress(chosen, uni, vocab)
    if 2 * len(chosen) > len(uni):
        rest = _compress(set(uni) - chosen, uni, vocab)
        if len(rest) < len(shown):
            return TermSet(rest, except_=True)
    return TermSet(shown)


@frozen
class RegionGroup:
    """Regions of one pair with the same actions and the same outcome on each side."""

    actions: tuple[str, ...]
    a: tuple[str, str]  # (decision, basis)
    b: tuple[str, str]
    regions: tuple

    @property
    def size(self) -> int:
        """How many single-item scenarios the group's regions hold."""
        return sum(r.size for r in self.regions)

    @property
    def decision_differs(self) -> bool:
        """Whether one side permits and the other denies (not just another basis)."""
        return self.a[0] != self.b[0]

    @property
    def anchor(self) -> str:
        """An in-page anchor for the group."""
        return "g-" + "-".join(("+".join(self.actions), *self.a, *self.b)).replace("_", "-")


_ACTION_ORDER = {"use": 0, "collect": 1, "share": 2, "publish": 3}


def group_regions(regions: Iterable) -> tuple[RegionGroup, ...]:
    """Regions grouped by actions and outcome pair: decision differences first, then
    differences of basis only; by action, then by what A decides."""
    groups: dict[tuple, list] = {}
    for r in regions:
        key = (tuple(r.actions), (r.a.decision, r.a.basis), (r.b.decision, r.b.basis))
        groups.setdefault(key, []).append(r)

    def order(key: tuple) -> tuple:
        actions, a, b = key
        return (a[0] == b[0], [_ACTION_ORDER.get(x, 9) for x in actions], a[0] != "permit", a[1], b[1])

    return tuple(RegionGroup(k[0], k[1], k[2], tuple(groups[k])) for k in sorted(groups, key=order))
