"""coopcheck: compile co-op privacy policies into immutable rulesets and decide data uses.

The public API — everything an embedding system needs:

- :func:`load_policy`, :func:`load_file`, :func:`load_string` give a compiled :class:`Ruleset`;
- :func:`decide` (a :class:`Decision` that carries its explanation), :func:`permits` (the
  boolean), :func:`decide_many` (a stream), :func:`make_scenario` (a validated :class:`Scenario`);
- :func:`decision_json` gives a decision in the JSON contract, reasons in English or Japanese;
- :class:`Evaluator` decides against one ruleset and owns the caches (the functions above
  share one per ruleset);
- the kinds a decision speaks in: :class:`Effect`, :class:`Basis`;
- :class:`Client` asks a running ``coopcheck serve`` instead (standard library only, every
  error a deny); it is imported only when first used.

The package is layered (docs/semantics.md §8): ``coopcheck.dsl`` (text → syntax tree),
``coopcheck.core`` (compiler, semantics, decision tables, decisions), ``coopcheck.analysis``,
``coopcheck.presentation`` and ``coopcheck.cli``.
"""

from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import decide, decide_many, load_file, load_policy, load_string, make_scenario, permits, shipped_policies
from coopcheck.core.decision import Decision, ItemDecision, Reason
from coopcheck.core.evaluator import Evaluator
from coopcheck.core.kinds import Basis, Effect
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.scenario import Scenario
from coopcheck.presentation.decision_json import decision_json

__all__ = ["load_policy", "load_file", "load_string", "decide", "permits", "decide_many", "make_scenario",
           "shipped_policies", "decision_json", "Evaluator", "Decision", "ItemDecision", "Reason", "Ruleset",
           "Scenario", "Effect", "Basis", "CoopcheckError", "Diagnostic"]


def __getattr__(name: str):
    """``coopcheck.Client``, imported on first use (the library itself never imports the
    service: :mod:`coopcheck.serve` is a surface above it)."""
    if name == "Client":
        from coopcheck.serve.client import Client

        return Client
    raise AttributeError(f"module 'coopcheck' has no attribute {name!r}")
