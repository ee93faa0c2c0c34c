"""The public Python API: load a policy, decide scenarios.

>>> from engine import load_policy, decide
>>> aizu = load_policy("aizu")
>>> d = decide(aizu, {"action": "share", "data": ["purchase_history"], "recipient": "jccu",
...                   "purpose": "delivery"})
>>> d.decision, d.basis
('permit', 'joint_use')
>>> d.citations[0]
'aizu 指針2 ◇商品・サービスの提供に関わっての共同利用'
>>> decide(aizu, {"action": "share", "data": ["purchase_history"], "recipient": "coop_kyosai",
...               "purpose": "delivery"}).decision
'deny'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from coopcheck.dsl.errors import CoopcheckError, Diagnostic, did_you_mean

from coopcheck.core import paths
from coopcheck.core.cache import cached_ruleset
from coopcheck.core.compiler import compile_modules
from coopcheck.core.decision import Decision
from coopcheck.core.evaluator import Evaluator, evaluator_for
from coopcheck.core.loader import load
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.scenario import Scenario
from coopcheck.core.search import search
from coopcheck.core.vocabulary import quote


def shipped_policies() -> list[str]:
    """Ids of the policies that ship with coopcheck."""
    return paths.shipped_policy_ids()


def load_policy(coop: str) -> Ruleset:
    """Load and compile a shipped policy by id (``aizu``) or by the co-op's name or alias
    (kept compiled on disk between processes: see :mod:`coopcheck.core.cache`)."""
    ids = shipped_policies()
    key = coop.strip()
    if key not in ids:
        vocab = load_file(paths.rules_dir() / "vocabulary.rules").vocabulary  # knows co-op names
        try:
            resolved = vocab.resolve(key, "coop", plurals=False)  # a co-op name is input: no plurals
        except LookupError:
            resolved = None
        if resolved not in ids:
            hits = [h.id for h in search(vocab, key, "coop") if h.id in ids]
            hint = (f"did you mean `{hits[0]}` ({vocab.terms[hits[0]].label})?" if hits else
                    did_you_mean(key, ids) or "shipped policies: " + ", ".join(ids))
            raise CoopcheckError([Diagnostic("E402", f"unknown co-op `{quote(coop)}`", None, hint)])
        key = resolved
    policy_file = paths.policies_dir() / f"{key}.policy"
    return cached_ruleset(policy_file, lambda: load_file(policy_file))


def load_file(path: str | Path) -> Ruleset:
    """Load and compile a policy or rule module from a file, with its imports."""
    return compile_modules(load(Path(path)))


def load_string(text: str, name: str = "<string>") -> Ruleset:
    """Compile rule-file text; ``import`` finds modules in the shipped rule roots.

    >>> rs = load_string('''policy demo
    ... import vocabulary
    ... name may be used for delivery   [clause 1]
    ... ''')
    >>> decide(rs, {"action": "use", "data": ["name"], "purpose": "delivery"}).basis
    'purpose'
    """
    return compile_modules(load(None, text, name=name))


def make_scenario(ruleset: Ruleset, mapping: Mapping[str, Any] | None = None, /, **fields: Any) -> Scenario:
    """A validated :class:`Scenario` from a JSON-contract dict and/or keyword arguments."""
    ev = evaluator_for(ruleset)
    if mapping is not None and not isinstance(mapping, Mapping):
        return ev.scenario(mapping)  # raises E404
    merged = dict(mapping or {})
    merged.update(fields)
    coop = merged.get("coop")
    if coop is not None and (not isinstance(coop, str) or not coop.strip()):
        raise CoopcheckError([Diagnostic("E404", "field `coop` must be a policy id", None,
                                         f"this policy is `{ruleset.coop}`")], field="coop")
    if isinstance(coop, str) and ruleset.coop and coop not in (ruleset.coop, "all"):
        try:
            same = ruleset.vocabulary.resolve(coop, "coop", plurals=False) == ruleset.coop
        except LookupError:
            same = False
        if not same:
            raise CoopcheckError([Diagnostic("E402", f"the scenario is for `{coop}` but the policy is "
                                             f"`{ruleset.coop}`", None, "drop `coop` or load that policy")])
    merged["coop"] = ruleset.coop
    return ev.scenario(merged)


def decide(ruleset: Ruleset, scenario: Scenario | Mapping[str, Any] | None = None, /, **fields: Any) -> Decision:
    """Decide one scenario (a :class:`Scenario`, a dict in the JSON contract, or keywords).

    >>> aizu = load_policy("aizu")
    >>> decide(aizu, action="use", data=["name"], purpose="delivery").basis
    'purpose'
    """
    if type(scenario) is not Scenario:
        scenario = make_scenario(ruleset, scenario, **fields)
    elif fields:
        raise _both(fields)
    return evaluator_for(ruleset).decide(scenario)


def permits(ruleset: Ruleset, scenario: Scenario | Mapping[str, Any] | None = None, /, **fields: Any) -> bool:
    """Whether the scenario is permitted: the boolean fast path for hot loops. Same answer
    as ``decide(...).permitted``, without building the decision.

    >>> aizu = load_policy("aizu")
    >>> order = make_scenario(aizu, action="share", data=["purchase_history"], recipient="jccu",
    ...                       purpose="delivery")
    >>> permits(aizu, order)
    True
    >>> permits(aizu, action="share", data=["name"], recipient="unrelated_third_party", purpose="delivery")
    False
    """
    if type(scenario) is not Scenario:
        scenario = make_scenario(ruleset, scenario, **fields)
    elif fields:
        raise _both(fields)
    return evaluator_for(ruleset).permits(scenario)


def _both(fields) -> CoopcheckError:
    return CoopcheckError([Diagnostic("E404", f"a Scenario and fields given together ({', '.join(fields)})", None,
                                      "give one Scenario, or a dict and/or keywords")])


def decide_many(ruleset: Ruleset, scenarios: Iterable[Scenario | Mapping[str, Any]]) -> Iterator[Decision]:
    """Decide scenarios one after another, streaming the decisions (lazily: nothing is
    decided before the consumer asks for it).

    >>> aizu = load_policy("aizu")
    >>> [d.decision for d in decide_many(aizu, [
    ...     {"action": "use", "data": ["name"], "purpose": "delivery"},
    ...     {"action": "share", "data": ["name"], "recipient": "unrelated_third_party", "purpose": "delivery"}])]
    ['permit', 'deny']
    """
    ev = evaluator_for(ruleset)
    for sc in scenarios:
        if type(sc) is not Scenario:
            sc = make_scenario(ruleset, sc)
        yield ev.decide(sc)
