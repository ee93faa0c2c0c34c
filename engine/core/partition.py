"""Splitting values into the classes that a set of rules treats alike.

Every rule speaks about a recipient or a purpose only through membership in one of its term
sets, so two values that belong to exactly the same of those sets are decided alike by them.
The decision tables (:mod:`coopcheck.core.tables`), the exact diff
(:mod:`coopcheck.analysis.diff`) and the lint analyses all split values this way, with this
one function.
"""

from __future__ import annotations

from typing import Iterable


def partition(domain: Iterable, sets: Iterable) -> list[tuple]:
    """The classes of ``domain``: values that belong to exactly the same of ``sets`` (a set
    of ``None`` stands for "every value", so it tells nothing apart). Classes keep the order
    in which their first value appears in ``domain``, and values their order within a class.

    >>> partition(["a", "b", "c", "d"], [frozenset("ab"), None, frozenset("b")])
    [('a',), ('b',), ('c', 'd')]
    """
    uniq = [s for s in dict.fromkeys(s for s in sets if s is not None)]
    by_signature: dict[tuple, list] = {}
    for value in domain:
        by_signature.setdefault(tuple(value in s for s in uniq), []).append(value)
    return [tuple(vs) for vs in by_signature.values()]
