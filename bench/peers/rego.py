"""Rego (``regorus``, Rust; on PyPI as ``gordon-to-regorus``): a data document of grants and
one ``allow`` rule, compiled once to an RVM program.

Encoding: ``data.up.<kind>.<term>`` is the set of the term and its ancestors (plus ``*``,
what "any" is written as), as an object of ``true`` values; ``data.grants`` lists each grant
as ``{"action", "items", "subjects", "recipients", "purposes", "consent"}`` with its terms as
written. The rule (:data:`POLICY`) looks the request's four terms up in ``data.up`` once and
then scans the grants; a grant covers the request when one of its terms is among each
request term's ancestors. The input is the scenario in coopcheck's JSON contract as it is
(``json.dumps`` of the dict): the rule reads ``input.data[0]`` and fills the contract's
defaults (subject ``member``, recipient ``-`` for a use, no consent) with ``object.get``.
The program is built with ``Program.compile_from_modules`` and run on an ``Rvm`` with the
data set once; a decision is ``json.dumps`` + ``set_input_json`` + ``execute``.
:func:`build_interpreter` runs the same rule and data on the interpreter (``regorus.Engine``),
which has no instruction limit. Single-item scenarios; grants only.
"""

from __future__ import annotations

import json
from importlib import metadata

from ..policy import NO_RECIPIENT, Policy
from . import Engine, EngineLimit, truth

NAME = "regorus program"
NAME_INTERPRETER = "regorus interpreter"
ANY = "*"
ENTRY = "data.coopcheck.allow"

POLICY = """\
package coopcheck

import rego.v1

default allow := false

allow if {
	count(input.data) == 1
	items := data.up.item[input.data[0]]
	recipients := data.up.party[object.get(input, "recipient", "-")]
	purposes := data.up.purpose[input.purpose]
	subjects := data.up.subject[object.get(input, "subject", "member")]
	some g in data.grants
	g.action == input.action
	some i in g.items
	items[i]
	some r in g.recipients
	recipients[r]
	some p in g.purposes
	purposes[p]
	some s in g.subjects
	subjects[s]
	consent_ok(g)
}

consent_ok(g) if not g.consent

consent_ok(_) if object.get(input, "consent", false) == true
"""


def available() -> bool:
    """Whether a ``regorus`` module with the RVM program API is installed."""
    try:
        import regorus
    except ImportError:
        return False
    return hasattr(regorus, "Program") and hasattr(regorus, "Rvm")


def version() -> str:
    """The installed distribution and version that provide ``regorus``."""
    for dist in ("regorus", "gordon-to-regorus"):
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return "?"


def data(policy: Policy) -> dict:
    """The data document: ancestor sets per kind and the grants."""
    up: dict[str, dict] = {"item": {}, "subject": {}, "party": {NO_RECIPIENT: {NO_RECIPIENT: True}}, "purpose": {}}
    for tid, kind in policy.kinds.items():
        up[kind][tid] = dict.fromkeys(sorted(policy.up[tid]) + [ANY], True)
    grants = [{"action": g.action, "items": list(g.items or (ANY,)), "subjects": list(g.subjects or (ANY,)),
               "recipients": [NO_RECIPIENT] if g.action == "use" else list(g.recipients or (ANY,)),
               "purposes": list(g.purposes or (ANY,)), "consent": g.consent} for g in policy.grants]
    return {"up": up, "grants": grants}


def build(policy: Policy) -> Engine:
    """Compile the program once and load it with the data; ``run`` sets the input and executes.

    The RVM stops any execution after a fixed number of instructions (25 000 in 0.13, not
    configurable from Python); a policy whose scan needs more raises :class:`EngineLimit`.
    """
    import regorus

    document = json.dumps(data(policy))
    program = regorus.Program.compile_from_modules(document, [("coopcheck.rego", POLICY)], [ENTRY])
    vm = regorus.Rvm()
    vm.load_program(program)
    vm.set_data_json(document)
    set_input, execute, dumps = vm.set_input_json, vm.execute, json.dumps

    def run(_state, dicts) -> list:
        out = []
        try:
            for d in dicts:
                set_input(dumps(d))
                out.append(execute())
        except RuntimeError as err:
            if "instruction limit" in str(err):
                raise EngineLimit(str(err).split("\n")[0]) from None
            raise
        return out

    return Engine(NAME, run, lambda result: "permit" if json.loads(result) is True else "deny",
                  note="compiled RVM program; single-item scenarios; grants only")


def build_interpreter(policy: Policy) -> Engine:
    """The same policy and data on the tree-walking ``regorus.Engine`` (no instruction
    limit): ``run`` sets the input and evaluates the rule."""
    import regorus

    engine = regorus.Engine()
    engine.add_policy("coopcheck.rego", POLICY)
    engine.add_data_json(json.dumps(data(policy)))
    set_input, eval_rule, dumps = engine.set_input_json, engine.eval_rule, json.dumps

    def run(_state, dicts) -> list:
        out = []
        for d in dicts:
            set_input(dumps(d))
            out.append(eval_rule(ENTRY))
        return out

    return Engine(NAME_INTERPRETER, run, truth, note="tree-walking interpreter; single-item scenarios; grants only")
