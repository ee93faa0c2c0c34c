"""The compiled vocabulary: terms by kind, their hierarchy closures, and name resolution.

A term may be named by its id (``purchase_history``), its words (``purchase history``), its
Japanese label or any alias, compared after NFKC normalization and trimming. Plurals written
in rule files (``delivery companies``) resolve to the singular term.
"""

from __future__ import annotations

import re
from typing import Callable

from attrs import frozen

from coopcheck.dsl.ast import normalize_text
from coopcheck.dsl.errors import did_you_mean, quote
from coopcheck.dsl.limits import MAX_NAME, QUOTE_LIMIT  # noqa: F401 - the limits, named here too

from coopcheck.core.frozen import FrozenMap

#: Human names of the kinds, for messages.
KIND_NAMES = {
    "item": "data item", "party": "party", "purpose": "purpose", "subject": "data subject",
    "exception": "legal exception", "obligation": "obligation", "coop": "co-op",
}


@frozen
class TermInfo:
    """One declared term."""

    id: str
    kind: str
    parent: str | None
    label: str | None
    aliases: tuple[str, ...]

    def display(self) -> str:
        """``id (label)`` for messages."""
        return f"{self.id} ({self.label})" if self.label else self.id


def _name_key(name: str) -> str:
    return normalize_text(name).casefold()


def _words_key(name: str) -> str:
    return "_".join(normalize_text(name).casefold().replace("-", " ").split())


def _singulars(key: str) -> list[str]:
    """Singular readings of a words-key whose last word may be plural."""
    head, _, last = key.rpartition("_")
    prefix = head + "_" if head else ""
    out = []
    if last.endswith("ies"):
        out.append(prefix + last[:-3] + "y")
    if last.endswith("es"):
        out.append(prefix + last[:-2])
    if last.endswith("s"):
        out.append(prefix + last[:-1])
    return out


class UnknownTerm(LookupError):
    """A name that is not a term of the expected kind; carries message and help. The help
    may be given as a function (a search for a close spelling), found when first read."""

    def __init__(self, message: str, help: str | Callable[[], str | None] | None):
        super().__init__(message)
        self.message = message
        self._help = help

    @property
    def help(self) -> str | None:
        """What to do: a "did you mean", or None."""
        if callable(self._help):
            self._help = self._help()
        return self._help

    def unraised(self) -> "UnknownTerm":
        """A copy to remember, that refers to nothing of this error (its traceback, and with it
        every frame it passed and their locals): a remembered error that was raised would keep
        the latest caller's data alive for as long as it is remembered."""
        return UnknownTerm(self.message, self._help)

    def again(self) -> "UnknownTerm":
        """A new error with this (remembered, never raised) one's message and help — the help
        found once, when first read on any of them — to raise in its place."""
        return UnknownTerm(self.message, self._help if not callable(self._help) else (lambda: self.help))


@frozen(repr=False)
class Vocabulary:
    """Terms by id, hierarchy closures and a name index. Immutable and picklable."""

    terms: FrozenMap  # id -> TermInfo
    descendants: FrozenMap  # id -> frozenset of ids (the term itself included)
    ancestors: FrozenMap  # id -> frozenset of ids (the term itself included)
    names: FrozenMap  # normalized name -> tuple of ids

    def __repr__(self) -> str:
        return f"Vocabulary({len(self.terms)} terms)"

    @classmethod
    def build(cls, terms: dict[str, TermInfo]) -> "Vocabulary":
        """Index ``terms`` (already checked for unknown parents and cycles)."""
        children: dict[str, list[str]] = {t: [] for t in terms}
        for info in terms.values():
            if info.parent:
                children[info.parent].append(info.id)
        ancestors = {}
        for tid in terms:
            chain, cur = [tid], terms[tid].parent
            while cur:
                chain.append(cur)
                cur = terms[cur].parent
            ancestors[tid] = frozenset(chain)
        descendants = {tid: set() for tid in terms}
        for tid, ancs in ancestors.items():
            for a in ancs:
                descendants[a].add(tid)
        names: dict[str, list[str]] = {}
        for info in terms.values():
            for n in {_name_key(info.id), _words_key(info.id)} | {
                    _name_key(x) for x in (info.label, *info.aliases) if x}:
                names.setdefault(n, [])
                if info.id not in names[n]:
                    names[n].append(info.id)
        return cls(
            terms=FrozenMap(terms),
            descendants=FrozenMap({k: frozenset(v) for k, v in descendants.items()}),
            ancestors=FrozenMap(ancestors),
            names=FrozenMap({k: tuple(v) for k, v in names.items()}),
        )

    def down(self, ids) -> frozenset:
        """Every descendant of ``ids``, the ids included (what a rule about them covers)."""
        return frozenset().union(*(self.descendants[i] for i in ids)) if ids else frozenset()

    def of_kind(self, kind: str) -> list[str]:
        """Ids of every term of ``kind``, in declaration order."""
        return [t.id for t in self.terms.values() if t.kind == kind]

    def parents(self, tid: str) -> list[str]:
        """The chain of parents of a term, nearest first (the term itself left out)."""
        chain, cur = [], self.terms[tid].parent if tid in self.terms else None
        while cur is not None and cur not in chain and cur in self.terms:
            chain.append(cur)
            cur = self.terms[cur].parent
        return chain

    def label(self, tid: str) -> str | None:
        """The Japanese label of a term id."""
        info = self.terms.get(tid)
        return info.label if info else None

    def display(self, tid: str) -> str:
        """``id (label)``."""
        info = self.terms.get(tid)
        return info.display() if info else tid

    def _candidates(self, name: str, plurals: bool = True) -> list[str]:
        keys = [_name_key(name), _words_key(name)]
        if plurals:
            keys += _singulars(_words_key(name))
        found: list[str] = []
        for key in keys:
            for tid in self.names.get(key, ()):
                if tid not in found:
                    found.append(tid)
            if found:
                break
        return found

    def resolve(self, name: str, kind: str | tuple[str, ...], *, plurals: bool = True) -> str:
        """The id of the term of ``kind`` called ``name``; raises :class:`UnknownTerm`.

        ``plurals``: also read a plural last word as its singular (rule files say ``delivery
        companies``; scenario input names one term exactly, so it does not).

        >>> from coopcheck.core.api import load_policy
        >>> v = load_policy("aizu").vocabulary
        >>> v.resolve("日本生協連", "party"), v.resolve("purchase history", "item")
        ('jccu', 'purchase_history')
        """
        kinds = (kind,) if isinstance(kind, str) else kind
        if len(name) > MAX_NAME and len(name.strip()) > MAX_NAME:
            # no term is named that long: say so without echoing it all or searching for a match
            raise UnknownTerm(f"unknown {' or '.join(KIND_NAMES[k] for k in kinds)} `{quote(name)}`",
                              f"names are at most {MAX_NAME} characters")
        found = self._candidates(name, plurals)
        of_kind = [t for t in found if self.terms[t].kind in kinds]
        if len(of_kind) == 1:
            return of_kind[0]
        what = " or ".join(KIND_NAMES[k] for k in kinds)
        shown = quote(name)
        if len(of_kind) > 1:
            raise UnknownTerm(f"`{shown}` names more than one {what}: "
                              + ", ".join(f"`{t}`" for t in of_kind), "write the id instead")
        if found:
            other = self.terms[found[0]]
            raise UnknownTerm(f"`{shown}` is a {KIND_NAMES[other.kind]} (`{other.id}`), not a {what}",
                              lambda: self._suggest(name, kinds))
        raise UnknownTerm(f"unknown {what} `{shown}`", lambda: self._suggest(name, kinds))

    def names_item(self, name: str) -> bool:
        """Whether ``name`` names a data item exactly, as a scenario gives it (no plurals)."""
        try:
            self.resolve(name, "item", plurals=False)
        except UnknownTerm:
            return False
        return True

    def _suggest(self, name: str, kinds: tuple[str, ...]) -> str | None:
        pool: dict[str, str] = {}
        for info in self.terms.values():
            if info.kind not in kinds:
                continue
            pool[info.id] = info.id
            pool[info.id.replace("_", " ")] = info.id
            for x in (info.label, *info.aliases):
                if x:
                    pool[x] = info.id
        key = _words_key(name) if re.match(r"^[\x00-\x7f]*$", name) else normalize_text(name)
        hint = did_you_mean(key, pool, cutoff=0.55)
        if hint is None:
            # no close spelling: a part or prefix of a name, or an everyday word (core.search)
            from coopcheck.core.search import suggestion

            return suggestion(self, name, kinds)
        if hint is None and key != name:
            hint = did_you_mean(normalize_text(name), pool, cutoff=0.55)
        if hint is None:
            return None
        chosen = hint.split("`")[1]
        return f"did you mean `{pool[chosen]}`" + (
            f" ({self.terms[pool[chosen]].label})?" if self.terms[pool[chosen]].label else "?")
