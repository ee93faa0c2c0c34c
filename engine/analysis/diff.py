"""Exact policy diffs: every single-item scenario on which two rulesets decide differently,
grouped into a few readable regions (:mod:`coopcheck.analysis.regions` holds what they are,
:mod:`coopcheck.presentation.diff_render` how they read).

The scenario space is finite: every action, subject, data item (leaf or inner term),
recipient (``share`` takes any party, ``publish`` goes to ``public``, ``use`` and ``collect``
take none), purpose, consent true/false, and no legal exception or any one of them. A
scenario with several items is decided item by item and permitted only if every item is,
so single-item scenarios say everything.

The space has millions of points, so it is not enumerated. A decision looks only at the
rules indexed under its ``(action, subject, item)`` key and tests set membership of the
recipient, purpose and exception in their term sets. So per key (keys with the same rules
in both rulesets form one group) each dimension splits into classes of values that no rule
of either ruleset tells apart; one representative per class combination is decided, and
the answer holds for every member of the combination. The differing cells are then merged
into boxes — products of term sets, one outcome pair each — which are exact by
construction: every member of a region decides as the region says, and every differing
scenario lies in exactly one region.

>>> from engine import load_policy
>>> d = diff_rulesets(load_policy("aizu"), load_policy("kuruko"))
>>> d.identical, d.scenarios_compared
(False, 3853200)
>>> r = next(r for r in d.regions if r.actions == ("share",) and "purchase_history" in r.items
...          and r.a.basis == "joint_use")
>>> r.b.decision, r.a.citations
('deny', ('aizu 指針2 ◇共済事業、保険事業に関わっての共同利用',))
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from attrs import frozen

from coopcheck.core.partition import partition
from coopcheck.core.semantics import decide_item
from coopcheck.core.frozen import FrozenMap
from coopcheck.analysis.regions import KINDS, Outcome, PolicyDiff, Region
from coopcheck.core.ruleset import ANY_EXCEPTION, CONSENT, CompiledRule, Ruleset
from coopcheck.core.scenario import ACTIONS, Scenario


# ---- the scenario space ------------------------------------------------------------------

@frozen
class _Space:
    subjects: tuple[str, ...]
    items: tuple[str, ...]
    parties: tuple[str, ...]
    purposes: tuple[str, ...]
    exceptions: tuple[str | None, ...]  # None first

    def recipients(self, action: str) -> tuple[str | None, ...]:
        if action == "share":
            return self.parties
        if action == "publish":
            return ("public",) if "public" in self.parties else ()
        return (None,)

    def size(self) -> int:
        inner = len(self.subjects) * len(self.items) * len(self.purposes) * 2 * len(self.exceptions)
        return sum(inner * len(self.recipients(a)) for a in ACTIONS)


def _space(a: Ruleset, b: Ruleset) -> tuple[_Space, FrozenMap, FrozenMap]:
    """The terms both rulesets know, per kind (in A's declaration order), and those left out."""
    va, vb = a.vocabulary, b.vocabulary
    shared: dict[str, tuple[str, ...]] = {}
    left_out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for kind in KINDS:
        ka, kb = va.of_kind(kind), vb.of_kind(kind)
        sb = set(kb)
        shared[kind] = tuple(t for t in ka if t in sb)
        only_a = tuple(t for t in ka if t not in sb)
        only_b = tuple(t for t in kb if t not in set(ka))
        if only_a or only_b:
            left_out[kind] = (only_a, only_b)
    space = _Space(shared["subject"], shared["item"], shared["party"], shared["purpose"],
                   (None,) + shared["exception"])
    return space, FrozenMap(shared), FrozenMap(left_out)


# ---- one side's view of a key --------------------------------------------------------------

@frozen
class _Side:
    """The rules one ruleset consults for an ``(action, subject, item)`` key."""

    grants: tuple[CompiledRule, ...]
    bars: tuple[CompiledRule, ...]
    notices: tuple[CompiledRule, ...]
    declared: frozenset | None  # declared purposes, when a grant asks for them
    use_bars: tuple[CompiledRule, ...]  # bars that may withdraw a declared purpose

    @property
    def signature(self) -> tuple:
        return (tuple(r.id for r in self.grants), tuple(r.id for r in self.bars),
                tuple(r.id for r in self.notices), self.declared, tuple(r.id for r in self.use_bars))

    def rules(self) -> Iterator[CompiledRule]:
        yield from self.grants
        yield from self.bars
        yield from self.notices
        yield from self.use_bars

    def recipient_sets(self) -> list[frozenset]:
        return [r.recipients for r in self.rules() if r.recipients is not None]

    def purpose_sets(self) -> list[frozenset]:
        sets = [r.purposes for r in self.rules() if r.purposes is not None]
        if self.declared is not None:
            sets.append(self.declared)
        return sets

    def exception_sets(self, ruleset: Ruleset) -> list[frozenset]:
        codes = {c for r in self.rules() for c in r.conditions + r.exceptions
                 if c not in (CONSENT, ANY_EXCEPTION)}
        honoured: dict[str, set] = defaultdict(set)  # the exceptions each honour rule covers
        for exception, rules in ruleset.honoured.items():
            honoured[tuple(r.id for r in rules)].add(exception)
        return ([frozenset({None})] + [frozenset(v) for _, v in sorted(honoured.items())]
                + [frozenset({c}) for c in sorted(codes)])


def _side(rs: Ruleset, action: str, subject: str, item: str) -> _Side:
    key = (action, subject, item)
    grants = rs.grant_index.get(key, ())
    wants_declared = any(r.declared_purposes for r in grants)
    return _Side(grants, rs.bar_index.get(key, ()), rs.notice_index.get(key, ()),
                 rs.declared.get((subject, item), frozenset()) if wants_declared else None,
                 rs.bar_index.get(("use", subject, item), ()) if wants_declared else ())


# ---- boxes ------------------------------------------------------------------------------
# A box is ``(dims, label, extra)``: a tuple of frozensets (one per dimension), the label
# every member shares, and a frozenset of extra facts about its members (which outcomes,
# with which clauses, occur in it) that merging unites.

def _merge(boxes: list[tuple], order: tuple[int, ...]) -> list[tuple]:
    """Merge boxes that agree on every dimension but one and carry the same label, until
    none do. Disjoint boxes stay disjoint, and every member keeps its label."""
    changed = True
    while changed:
        changed = False
        for d in order:
            groups: dict[tuple, tuple[list, list]] = {}
            for dims, label, extra in boxes:
                values, extras = groups.setdefault((dims[:d] + dims[d + 1:], label), ([], []))
                values.append(dims[d])
                extras.append(extra)
            if len(groups) < len(boxes):
                changed = True
                boxes = [(rest[:d] + (frozenset().union(*values),) + rest[d:], label, frozenset().union(*extras))
                         for (rest, label), (values, extras) in groups.items()]
    return boxes


def _coarsen(cells: dict[tuple, object], shape: tuple[int, ...]) -> list[list[list[int]]]:
    """Per dimension, classes of indices whose slices of ``cells`` are identical."""
    out = []
    for d, n in enumerate(shape):
        slices: dict[int, list] = defaultdict(list)
        for idx, label in cells.items():
            slices[idx[d]].append((idx[:d] + idx[d + 1:], label))
        classes: dict[tuple, list[int]] = {}
        for i in range(n):
            classes.setdefault(tuple(sorted(slices.get(i, ()), key=lambda cell: cell[0])), []).append(i)
        out.append(list(classes.values()))
    return out


def _coarse_boxes(cells: dict[tuple, tuple], shape: tuple[int, ...], order: tuple[int, ...]) -> list[tuple]:
    """Exact boxes of indices covering ``cells`` (index -> (label, extra)). Indices with
    identical slices are merged first, so the boxes depend on the function and not on how
    finely it was sampled; then neighbouring boxes with one label."""
    labels = {idx: label for idx, (label, _) in cells.items()}
    merged_classes = _coarsen(labels, shape)
    coarse_of = [{i: k for k, group in enumerate(mc) for i in group} for mc in merged_classes]
    coarse: dict[tuple, tuple] = {}
    for idx, (label, extra) in cells.items():
        cidx = tuple(coarse_of[d][i] for d, i in enumerate(idx))
        coarse[cidx] = (label, coarse.get(cidx, (None, frozenset()))[1] | extra)
    boxes = _merge([(tuple(frozenset({i}) for i in idx), label, extra)
                    for idx, (label, extra) in coarse.items()], order)
    return [(tuple(frozenset(fine for k in dim for fine in merged_classes[d][k]) for d, dim in enumerate(dims)),
             label, extra) for dims, label, extra in boxes]


def _condition_key(condition: tuple) -> tuple:
    consent, exception = condition
    return (consent, exception is not None, exception or "")


def _scope_boxes(cells: dict[tuple, tuple], classes: list[list[tuple]]) -> list[tuple]:
    """Boxes of (recipients, purposes) of one key group, each labelled with its *profile*:
    the compared outcome pair of every differing (consent, exception) combination."""
    profiles: dict[tuple, dict] = defaultdict(dict)
    extras: dict[tuple, set] = defaultdict(set)
    for (ri, pi, ci, ei), (label, outcomes) in cells.items():
        (consent,) = classes[2][ci]
        for exception in classes[3][ei]:
            profiles[(ri, pi)][(consent, exception)] = label
            extras[(ri, pi)].add(((consent, exception), outcomes))
    grid = {idx: (tuple(sorted(prof.items(), key=lambda kv: _condition_key(kv[0]))), frozenset(extras[idx]))
            for idx, prof in profiles.items()}
    return [(tuple(frozenset(v for fine in dim for v in classes[d][fine]) for d, dim in enumerate(dims)),
             profile, extra)
            for dims, profile, extra in _coarse_boxes(grid, (len(classes[0]), len(classes[1])), (1, 0))]


def _condition_boxes(profile: tuple, extra: frozenset) -> list[tuple]:
    """A profile's (consent, exception) combinations as boxes with one compared outcome
    pair each, and the outcomes that occur in each."""
    found: dict[tuple, set] = defaultdict(set)
    for condition, outcomes in extra:
        found[condition].add(outcomes)
    return _merge([((frozenset({c}), frozenset({e})), label, frozenset(found[(c, e)]))
                   for (c, e), label in profile], (1, 0))


# ---- the diff ---------------------------------------------------------------------------

class _Outcomes:
    """Interns one ruleset's outcomes (so boxes carry small ints) and unites them."""

    def __init__(self, ruleset: Ruleset):
        self.known: dict[Outcome, int] = {}
        self.outcomes: list[Outcome] = []
        self.rank = {r.id: i for i, r in enumerate(ruleset.rules)}
        self.citation = {r.id: r.citation for r in ruleset.rules}

    def intern(self, outcome: Outcome) -> int:
        found = self.known.get(outcome)
        if found is None:
            found = self.known[outcome] = len(self.outcomes)
            self.outcomes.append(outcome)
        return found

    def union(self, ids) -> Outcome:
        """One outcome standing for several with the same decision and basis: every rule
        that decides one of them, in rule-file order, and their clauses."""
        members = [self.outcomes[i] for i in sorted(ids)]
        if len(members) == 1:
            return members[0]
        rules = sorted({r for o in members for r in o.rules}, key=lambda r: self.rank.get(r, len(self.rank)))
        citations = tuple(dict.fromkeys(self.citation[r] for r in rules if self.citation.get(r)))
        return Outcome(members[0].decision, members[0].basis, citations, tuple(rules))


def _groups(a: Ruleset, b: Ruleset, space: _Space) -> dict[tuple, tuple[_Side, _Side, list]]:
    """The ``(action, subject, item)`` keys, grouped by the rules both rulesets consult."""
    groups: dict[tuple, tuple[_Side, _Side, list]] = {}
    for action in ACTIONS:
        if not space.recipients(action):
            continue
        for subject in space.subjects:
            for item in space.items:
                sa, sb = _side(a, action, subject, item), _side(b, action, subject, item)
                groups.setdefault((action, sa.signature, sb.signature), (sa, sb, []))[2].append(
                    (action, subject, item))
    return groups


def diff_rulesets(a: Ruleset, b: Ruleset, *, a_name: str | None = None, b_name: str | None = None,
                  clauses: bool = False) -> PolicyDiff:
    """Every single-item scenario on which ``a`` and ``b`` decide differently, as regions.

    Two scenarios differ when their decision or basis differ; with ``clauses`` also when
    the cited clauses differ (useful between two versions of one co-op's file, where a
    changed clause with the same decision is worth a look). Regions are exact in what is
    compared and in the clauses of a denial; the clauses of a permit are those that permit
    one or more of its members (with ``clauses``, exactly one set per side). Terms only one side declares are left out of the
    comparison (see :attr:`PolicyDiff.left_out`). The sides are named ``a_name`` and
    ``b_name``, by default their co-op ids (``A`` and ``B`` for two versions of one co-op).
    """
    space, universe, left_out = _space(a, b)
    compared = ("decision", "basis", "citations") if clauses else ("decision", "basis")
    sides = (_Outcomes(a), _Outcomes(b))
    memo: dict[tuple, int] = {}

    def outcome(which: int, rs: Ruleset, side: _Side, memberships: tuple, sc: Scenario) -> int:
        # an answer depends only on the memberships the side's own rules test: cache on them
        key = (which, sc.action, side.signature, memberships)
        found = memo.get(key)
        if found is None:
            d = decide_item(rs, sc, sc.items[0])
            found = memo[key] = sides[which].intern(Outcome(d.decision, d.basis, d.citations, d.rules))
        return found

    def compared_key(which: int, oid: int) -> tuple:
        o = sides[which].outcomes[oid]
        return (o.decision, o.basis, o.citations) if clauses else (o.decision, o.basis)

    def region_key(which: int, oid: int) -> tuple:
        # a region unites the clauses of its permits, never those of its denials: a member
        # barred by a clause and one no rule permits do not share a region
        o = sides[which].outcomes[oid]
        return (o.decision, o.basis, o.citations if o.decision == "deny" or clauses else ())

    scopes: list[tuple] = []
    differing = 0
    for (action, _, _), (sa, sb, keys) in _groups(a, b, space).items():
        _, subject, item = keys[0]
        r_sets = (sa.recipient_sets(), sb.recipient_sets())
        p_sets = (sa.purpose_sets(), sb.purpose_sets())
        e_sets = (sa.exception_sets(a), sb.exception_sets(b))
        classes = [partition(space.recipients(action), r_sets[0] + r_sets[1]),
                   partition(space.purposes, p_sets[0] + p_sets[1]),
                   [(False,), (True,)],
                   partition(space.exceptions, e_sets[0] + e_sets[1])]
        cells: dict[tuple, tuple] = {}
        count = 0
        for ri, rc in enumerate(classes[0]):
            for pi, pc in enumerate(classes[1]):
                for ci, (c,) in enumerate(classes[2]):
                    for ei, ec in enumerate(classes[3]):
                        r, p, e = rc[0], pc[0], ec[0]
                        sc = Scenario(action, (item,), p, subject, r, c, e)
                        oa = outcome(0, a, sa, (_member(r, r_sets[0]), _member(p, p_sets[0]), c,
                                                _member(e, e_sets[0])), sc)
                        ob = outcome(1, b, sb, (_member(r, r_sets[1]), _member(p, p_sets[1]), c,
                                                _member(e, e_sets[1])), sc)
                        if compared_key(0, oa) != compared_key(1, ob):
                            cells[(ri, pi, ci, ei)] = ((region_key(0, oa), region_key(1, ob)), (oa, ob))
                            count += len(rc) * len(pc) * len(ec)
        if not cells:
            continue
        differing += count * len(keys)
        for values, profile, extra in _scope_boxes(cells, classes):
            for key in keys:
                scopes.append((tuple(frozenset({k}) for k in key) + values, profile, extra))

    scopes = _merge(scopes, (2, 1, 0, 3, 4))
    regions = [_region(dims + conditions, outcomes, sides, space)
               for dims, profile, extra in scopes
               for conditions, _, outcomes in _condition_boxes(profile, extra)]
    regions.sort(key=_sort_key(space))
    if a_name is None and b_name is None and a.coop == b.coop:
        a_name, b_name = "A", "B"  # two versions of one co-op's file
    return PolicyDiff(a_name or a.coop or "A", b_name or b.coop or "B", tuple(regions), space.size(),
                      differing, compared, universe, left_out, a.vocabulary)


def _orders(space: _Space) -> tuple[dict, ...]:
    return ({t: i for i, t in enumerate(ACTIONS)}, {t: i for i, t in enumerate(space.subjects)},
            {t: i for i, t in enumerate(space.items)}, {t: i for i, t in enumerate(space.parties)},
            {t: i for i, t in enumerate(space.purposes)}, {False: 0, True: 1},
            {t: i for i, t in enumerate(space.exceptions)})


def _region(values: tuple, outcomes: frozenset, sides: tuple[_Outcomes, _Outcomes], space: _Space) -> Region:
    orders = _orders(space)
    dims = []
    for d, v in enumerate(values):
        if d == 3 and None in v:  # use / collect take no recipient
            dims.append(())
        else:
            dims.append(tuple(sorted(v, key=orders[d].__getitem__)))
    size = 1
    for t in dims:
        size *= max(len(t), 1)
    return Region(*dims, a=sides[0].union({oa for oa, _ in outcomes}),
                  b=sides[1].union({ob for _, ob in outcomes}), size=size)


def _sort_key(space: _Space):
    orders = _orders(space)

    def key(r: Region) -> tuple:
        return tuple(tuple(orders[d][x] for x in t) for d, t in enumerate(
            (r.actions, r.subjects, r.items, r.recipients, r.purposes, r.consent, r.exceptions)))
    return key


def _member(value, sets: list[frozenset]) -> tuple[bool, ...]:
    return tuple(value in s for s in sets)
