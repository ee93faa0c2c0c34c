"""Engines the property suite runs against: the real one and deliberately broken ones.

An :class:`Engine` compiles rule-file text and decides JSON-contract scenarios. ``REAL`` is the
engine as shipped. Each engine in ``BROKEN`` gets one part of the semantics wrong, without
touching the engine's code: the compiled ruleset is rebuilt (``coopcheck.core.compiler._index`` over
altered rules) or the scenario is altered on its way in. The property suite must catch every
one of them (tests/test_broken_engines.py).
"""

from __future__ import annotations

from typing import Any, Callable

from attrs import evolve, frozen

import coopcheck as engine
from coopcheck.core.compiler import index_rules as _index
from coopcheck.core.ruleset import Ruleset


@frozen
class Engine:
    """A way to compile rule-file text and decide scenario dicts against the result."""

    name: str
    compile: Callable[[str], Any]
    decide: Callable[[Any, dict], Any]


def _compile(text: str) -> Ruleset:
    return engine.load_string(text, "gen.policy")


REAL = Engine("real", _compile, engine.decide)


# ---- broken rulesets -----------------------------------------------------------------------------
def _reindexed(ruleset: Ruleset, rules) -> Ruleset:
    """The ruleset with other rules, indexed the way the compiler indexes them."""
    return _index(ruleset.coop, ruleset.vocabulary, tuple(rules), ruleset.meta, ruleset.files,
                  ruleset.meta_clauses)


def _without_prohibitions(text: str) -> Ruleset:
    """Prohibitions ignored: compiled, then rebuilt without them."""
    ruleset = _compile(text)
    return _reindexed(ruleset, [r for r in ruleset.rules if r.kind != "prohibition"])


def _up(ruleset: Ruleset, written: tuple[str, ...]) -> frozenset:
    vocab = ruleset.vocabulary
    return frozenset().union(*(vocab.ancestors[t] for t in written)) if written else frozenset()


def _subsumption_reversed(text: str) -> Ruleset:
    """Grants and closed lists cover their terms' ancestors instead of their descendants.

    Grants get ancestor sets for their terms, closed lists for what they list; and the
    ruleset carries a vocabulary whose "descendants" are the ancestors, since the index and
    the decision read a closed list's grant through the descendants of what it names.
    """
    ruleset = _compile(text)
    rules = []
    for rule in ruleset.rules:
        w = rule.written
        if rule.kind == "grant":
            rule = evolve(
                rule,
                items=_up(ruleset, w["items"]),
                subjects=None if rule.subjects is None else _up(ruleset, w["subjects"]),
                recipients=None if rule.recipients is None else _up(ruleset, w["recipients"]),
                purposes=None if rule.purposes is None else _up(ruleset, w["purposes"]),
            )
        elif rule.kind == "closed":
            rule = evolve(
                rule,
                recipients=None if rule.recipients is None else _up(ruleset, w["recipients"]),
                purposes=None if rule.purposes is None else _up(ruleset, w["purposes"]),
            )
        rules.append(rule)
    vocab = ruleset.vocabulary
    upside_down = evolve(vocab, descendants=vocab.ancestors, ancestors=vocab.descendants)
    return _reindexed(evolve(ruleset, vocabulary=upside_down), rules)


# ---- broken decisions ----------------------------------------------------------------------------
def _first_item_decides(ruleset: Ruleset, scenario: dict):
    """Items decided as a whole: the first item's decision stands for the whole scenario."""
    sc = engine.make_scenario(ruleset, scenario)
    return engine.decide(ruleset, sc.only(sc.items[0]))


def _consent_ignored(ruleset: Ruleset, scenario: dict):
    """Consent ignored: every scenario is decided as if no consent was given."""
    sc = engine.make_scenario(ruleset, scenario)
    return engine.decide(ruleset, evolve(sc, consent=False))


#: Broken engines by what they get wrong.
BROKEN: dict[str, Engine] = {
    "prohibitions ignored": Engine("prohibitions ignored", _without_prohibitions, engine.decide),
    "subsumption reversed": Engine("subsumption reversed", _subsumption_reversed, engine.decide),
    "items decided as a whole": Engine("items decided as a whole", _compile, _first_item_decides),
    "consent ignored": Engine("consent ignored", _compile, _consent_ignored),
}
