"""The engines coopcheck is measured against, one module each.

Every module has ``NAME``, ``available()`` (whether its package is installed), ``version()``
and ``build(policy)`` returning an :class:`Engine` that decides the benchmark's
:class:`~bench.policy.Case` s under the given :class:`~bench.policy.Policy`.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from attrs import frozen

#: Peer engines by key, in the order they are reported: ``(module, builder)``. The
#: in-process baselines first, then the engines that need the ``bench`` extra.
PEERS = {
    "naive": ("naive", "build"),
    "floor": ("floor", "build"),
    "cedar": ("cedar", "build"),
    "casbin": ("casbin", "build"),
    "rego": ("rego", "build"),
    "rego-interpreter": ("rego", "build_interpreter"),
}


class EngineLimit(RuntimeError):
    """An engine refused a decision because of a fixed limit of its own (not a wrong answer)."""


@frozen
class Engine:
    """A built engine.

    ``prepare`` turns a case into the engine's own request (done before timing); ``run`` is
    what is timed, one call per decision; ``allowed`` reads permit (True) or deny from what
    ``run`` returned.
    """

    name: str
    prepare: Callable[[Any], Any]
    run: Callable[[Any], Any]
    allowed: Callable[[Any], bool] = bool


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
