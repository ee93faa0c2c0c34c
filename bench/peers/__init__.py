"""The engines coopcheck is measured against, one module each, and what every engine is.

Every peer module has ``NAME``, ``available()`` (whether its package is installed),
``version()`` and ``build(policy)`` returning an :class:`Engine` that decides scenarios in
coopcheck's JSON contract (dicts) under the given :class:`~bench.policy.Policy`.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Sequence

from attrs import frozen

#: Peer engines by key, in the order they are reported: ``(module, builder)``. The
#: in-process baseline first, then the engines that need the ``bench`` extra.
PEERS = {
    "naive": ("naive", "build"),
    "cedar": ("cedar", "build"),
    "casbin": ("casbin", "build"),
    "rego": ("rego", "build"),
    "rego-interpreter": ("rego", "build_interpreter"),
}

PERMIT, DENY = "permit", "deny"


class EngineLimit(RuntimeError):
    """An engine refused a decision because of a fixed limit of its own (not a wrong answer)."""


def _same(dicts: Sequence[dict]) -> Sequence[dict]:
    return dicts


def _no_state(inputs: Sequence) -> None:
    return None


@frozen
class Engine:
    """A built engine, deciding a stream of scenarios.

    Every engine starts from the same input — the scenarios as dicts in coopcheck's JSON
    contract — and gives one output per scenario from which the effect is read.

    - ``run(state, inputs)``: the timed work, one pass over the stream; returns one output
      per input (building the engine's own request from the dict is part of it);
    - ``fresh(inputs)``: untimed, before every pass: the state the pass starts from (for
      coopcheck's cold rows a copy of the ruleset with no caches; for the memo-hit rows a copy
      that has already answered every input);
    - ``effect(output)``: ``"permit"`` or ``"deny"`` read from one output (untimed, for the
      agreement check);
    - ``prepare(dicts)``: untimed, once: the inputs ``run`` is given (the dicts themselves
      except for rows that say otherwise, such as the reference's resolved ids);
    - ``whole_stream``: always timed on the whole stream, never on a prefix (coopcheck's
      rows: their cost per decision depends on the length of the stream, as the evaluator's
      tables fill during the pass);
    - ``alternatives``: ``(label, run)`` ways to make the same pass (cedarpy's batch sizes,
      ``run`` among them); each is checked and timed, the best is reported and the others
      are named in a note.
    """

    name: str
    run: Callable[[Any, Sequence], list]
    effect: Callable[[Any], str]
    fresh: Callable[[Sequence], Any] = _no_state
    prepare: Callable[[Sequence[dict]], Sequence] = _same
    alternatives: tuple[tuple[str, Callable[[Any, Sequence], list]], ...] = ()
    note: str | None = None
    whole_stream: bool = False


def truth(value: bool) -> str:
    """A boolean answer as an effect."""
    return PERMIT if value is True else DENY


@frozen
class Peer:
    """A peer engine that can be built here: its key, module and builder."""

    key: str
    module: Any
    build: Callable[[Any], Engine]

    @property
    def version(self) -> str:
        """The version of the package behind it."""
        return self.module.version()


def peer(key: str) -> Peer:
    """The peer called ``key`` (a key of :data:`PEERS`)."""
    module_name, builder = PEERS[key]
    module = importlib.import_module(f"{__name__}.{module_name}")
    return Peer(key, module, getattr(module, builder))


def installed(keys=None) -> list[Peer]:
    """The peers (all, or those in ``keys``) whose engine can run here, in report order."""
    chosen = list(PEERS) if keys is None else [k for k in PEERS if k in keys]
    return [p for p in map(peer, chosen) if p.module.available()]
