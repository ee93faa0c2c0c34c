"""coopcheck's engine: compile rule files into immutable rulesets and decide data uses.

Public API (see :mod:`coopcheck.core.api`): :func:`load_policy`, :func:`load_file`,
:func:`load_string`, :func:`decide`, :func:`permits`, :func:`decide_many`, :func:`make_scenario`.
"""

from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import decide, decide_many, load_file, load_policy, load_string, make_scenario, permits, shipped_policies
from coopcheck.core.decision import Decision, ItemDecision
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.scenario import Scenario

__all__ = ["load_policy", "load_file", "load_string", "decide", "permits", "decide_many", "make_scenario",
           "shipped_policies", "Decision", "ItemDecision", "Ruleset", "Scenario", "CoopcheckError",
           "Diagnostic"]
