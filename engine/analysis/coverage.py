"""Rule coverage of rule-file tests, like ``opa test --coverage``.

A rule of a policy is **covered** when it decided or barred some item of some test case: it is
among the deciding rules of that item (the grant that gave the basis, a requirement that was
met, a notice that applied, or the bar that denied it). A clause is covered when a covered rule
cites it. Only the policy's own rules count (the shared vocabulary and law baseline are the
same for every co-op and tested through each of them).
"""

from __future__ import annotations

from attrs import frozen

from coopcheck.core.ruleset import CompiledRule, Ruleset


@frozen
class PolicyCoverage:
    """How much of one policy its test cases exercised."""

    coop: str
    rules: tuple[CompiledRule, ...]  # the policy's own rules
    covered: frozenset  # ids of the covered rules

    @property
    def uncovered(self) -> tuple[CompiledRule, ...]:
        """The rules no case exercised, in file order."""
        return tuple(r for r in self.rules if r.id not in self.covered)

    @property
    def clauses(self) -> tuple[str, ...]:
        """Every clause the policy's rules cite, once, in file order."""
        return tuple(dict.fromkeys(r.clause for r in self.rules if r.clause))

    @property
    def covered_clauses(self) -> tuple[str, ...]:
        """The clauses a covered rule cites."""
        hit = {r.clause for r in self.rules if r.id in self.covered}
        return tuple(c for c in self.clauses if c in hit)

    @property
    def percent(self) -> float:
        """Covered rules as a percentage of the policy's rules (100 with no rules)."""
        return 100.0 * len(self.covered) / len(self.rules) if self.rules else 100.0

    @property
    def clause_percent(self) -> float:
        """Covered clauses as a percentage of the cited clauses (100 with none)."""
        return 100.0 * len(self.covered_clauses) / len(self.clauses) if self.clauses else 100.0

    def to_json(self) -> dict:
        """``{"coop", "rules", "covered", "percent", "clauses", "covered_clauses", "clause_percent", "uncovered"}``."""
        return {"coop": self.coop, "rules": len(self.rules), "covered": len(self.covered),
                "percent": round(self.percent, 1), "clauses": len(self.clauses),
                "covered_clauses": len(self.covered_clauses), "clause_percent": round(self.clause_percent, 1),
                "uncovered": [{"rule": r.id, "line": r.line, "file": r.file, "clause": r.clause}
                              for r in self.uncovered]}


def policy_coverage(ruleset: Ruleset, decisions) -> PolicyCoverage:
    """The coverage of ``ruleset`` by the decisions of its test cases."""
    own = tuple(r for r in ruleset.rules if r.module == ruleset.coop)
    ids = {r.id for r in own}
    covered = frozenset(rid for d in decisions for item in d.items for rid in item.rules if rid in ids)
    return PolicyCoverage(ruleset.coop or "?", own, covered)
