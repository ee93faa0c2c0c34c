"""Rego (``regorus``, Rust; on PyPI as ``gordon-to-regorus``): a data document of grants and
one ``allow`` rule, compiled once to an RVM program.

Encoding: ``data.up.<kind>.<term>`` is the set of the term and its ancestors (plus ``*``,
what "any" is written as), as an object of ``true`` values; ``data.grants`` lists each grant
as ``{"action", "items", "subjects", "recipients", "purposes", "consent"}`` with its terms as
written. The rule (:data:`POLICY`) looks the request's four terms up in ``data.up`` once and
then scans the grants; a grant covers the request when one of its terms is among each
request term's ancestors. A ``use`` has recipient ``-``. The program is built with
``Program.compile_from_modules`` and run on an ``Rvm`` with the data set once; a decision is
``set_input_json`` + ``execute``. :func:`build_interpreter` runs the same rule and data on
the interpreter (``regorus.Engine``), which has no instruction limit.
"""

from __future__ import annotations

import json
from importlib import metadata

from ..policy import NO_RECIPIENT, Case, Policy
from . import Engine, EngineLimit

NAME = "regorus program"
NAME_INTERPRETER = "regorus interpreter"
ANY = "*"
ENTRY = "data.coopcheck.allow"

POLICY = """\
package coopcheck

import rego.v1

default allow := false

allow if {
	items := data.up.item[input.item]
	recipients := data.up.party[input.recipient]
	purposes := data.up.purpose[input.purpose]
	subjects := data.up.subject[input.subject]
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

consent_ok(_) if input.consent
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


def request(case: Case) -> str:
    """A case as the JSON input document."""
    return json.dumps({"action": case.action, "subject": case.subject, "item": case.item,
                       "recipient": case.recipient or NO_RECIPIENT, "purpose": case.purpose,
                       "consent": case.consent})


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
    set_input, execute = vm.set_input_json, vm.execute

    def run(input_json: str) -> str:
        set_input(input_json)
        try:
            return execute()
        except RuntimeError as err:
            if "instruction limit" in str(err):
                raise EngineLimit(str(err).split("\n")[0]) from None
            raise

    return Engine(NAME, request, run, lambda result: json.loads(result) is True)


def build_interpreter(policy: Policy) -> Engine:
    """The same policy and data on the tree-walking ``regorus.Engine`` (no instruction
    limit): ``run`` sets the input and evaluates the rule."""
    import regorus

    engine = regorus.Engine()
    engine.add_policy("coopcheck.rego", POLICY)
    engine.add_data_json(json.dumps(data(policy)))
    set_input, eval_rule = engine.set_input_json, engine.eval_rule

    def run(input_json: str) -> bool:
        set_input(input_json)
        return eval_rule(ENTRY)

    return Engine(NAME_INTERPRETER, request, run, lambda result: result is True)
