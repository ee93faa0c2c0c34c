"""Mappings for compiled rulesets: read-only ones, and memo tables of derived facts."""

from __future__ import annotations


class FrozenMap(dict):
    """A dict that refuses mutation after construction, so a ruleset can be shared between
    threads and processes without copies. Pickles as a plain mapping."""

    __slots__ = ()

    def _readonly(self, *args, **kwargs):
        raise TypeError("compiled rulesets are immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenMap, (dict(self),))

    def __hash__(self):  # type: ignore[override]
        return hash(frozenset(self.items()))


class Memo(dict):
    """A table of facts derived from an immutable object, filled on first use (decision
    tables, resolved names). Every entry is a pure function of its key and the owner, so
    filling it changes no answer; two threads that fill the same entry store equal values,
    each store one atomic assignment. Pickles empty: a copy fills its own."""

    __slots__ = ()

    def __reduce__(self):
        return (type(self), ())
