"""Read-only mappings for compiled rulesets."""

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
